/* SPDX-License-Identifier: MIT */
/*
 * Arguments from DWARF: the formal parameters of the function containing a
 * pc, a variable expression ("n", "req->len", "a.b") in scope there, and a
 * function's return type.
 *
 * At a function's first instruction the DWARF locations of gcc -O0 are
 * frame-base relative and only hold after the prologue has stored the
 * registers, so there a parameter is fetched where the arch's calling
 * convention puts it (dwarf_abi.c classifies every parameter before it:
 * structs by value, floats), which is always right; a struct held in
 * registers is reached member by member. After the prologue, DWARF's
 * location (lists) decide.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <dwarf.h>

#include "uptrace/arch.h"
#include "sym_internal.h"

/*
 * The CU holding pc by its own ranges. libdw before 0.191 finds CUs only
 * through .debug_aranges, which clang does not emit by default.
 */
static Dwarf_Die *cu_by_ranges(Dwfl_Module *mod, uint64_t pc, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = NULL;

	while ((cu = dwfl_module_nextcu(mod, cu, bias)))
		if (dwarf_haspc(cu, pc - *bias) > 0)
			return cu;
	return NULL;
}

/*
 * Where the prologue of the function [low, high) ends, by the line table:
 * the first statement row after low (the end of GDB's first "line", also
 * when the body is on the function's own line). low when there is none.
 */
static Dwarf_Addr prologue_end(Dwarf_Die *cu, Dwarf_Addr low, Dwarf_Addr high)
{
	Dwarf_Addr end = high;
	Dwarf_Lines *lines;
	size_t n;

	if (dwarf_getsrclines(cu, &lines, &n) != 0)
		return low;
	for (size_t i = 0; i < n; i++) {
		Dwarf_Line *l = dwarf_onesrcline(lines, i);
		Dwarf_Addr a;
		bool stmt = false;

		if (!l || dwarf_lineaddr(l, &a) || a <= low || a >= end ||
		    dwarf_linebeginstatement(l, &stmt) || !stmt)
			continue;
		end = a;
	}
	return end == high ? low : end;
}

int sym_dwarf_ctx_open(struct sym_dwarf_ctx *c, struct up_symtab *s, uint64_t pc)
{
	Dwarf_Die *cu;
	Dwarf_Addr low, high;
	const char *name;
	GElf_Off off;
	GElf_Sym sym;

	memset(c, 0, sizeof(*c));
	c->s = s;
	c->pc = pc;
	c->func = -1;
	c->mod = dwfl_addrmodule(s->dwfl, pc);
	if (!c->mod)
		return -ENOENT;
	cu = dwfl_module_addrdie(c->mod, pc, &c->bias);
	if (!cu)
		cu = cu_by_ranges(c->mod, pc, &c->bias);
	if (!cu)
		return -ENOENT; /* no DWARF here */
	c->nscopes = dwarf_getscopes(cu, pc - c->bias, &c->scopes);
	if (c->nscopes <= 0) {
		c->scopes = NULL;
		return -ENOENT;
	}
	for (int i = 0; i < c->nscopes && c->func < 0; i++)
		if (dwarf_tag(&c->scopes[i]) == DW_TAG_subprogram)
			c->func = i;
	if (c->func < 0)
		return 0;
	name = dwfl_module_addrinfo(c->mod, pc, &off, &sym, NULL, NULL, NULL);
	/*
	 * gcc's clones (f.isra.0, f.constprop.0) take other arguments than
	 * the source says: their parameters are only what DWARF locates.
	 */
	c->clone = name && strchr(name, '.');
	if (dwarf_lowpc(&c->scopes[c->func], &low) == 0 && low + c->bias == pc)
		c->at_entry = true;
	else if (name && off == 0)
		c->at_entry = true; /* split hot/cold functions have no low_pc */
	else if (dwarf_lowpc(&c->scopes[c->func], &low) == 0 &&
		 dwarf_highpc(&c->scopes[c->func], &high) == 0)
		c->in_prologue = pc - c->bias < prologue_end(&c->scopes[c->nscopes - 1], low, high);
	return 0;
}

void sym_dwarf_ctx_close(struct sym_dwarf_ctx *c)
{
	free(c->scopes);
	c->scopes = NULL;
}

/* A parameter's value where the ABI put it at the function's entry. */
static int abi_value(struct sym_dwarf_ctx *c, const struct sym_abi_loc *loc, struct sym_value *v)
{
	const struct up_arch *arch = c->s->t->arch;
	Dwarf_Die agg;
	int err;

	switch (loc->where) {
	case SYM_ABI_REGS:
	case SYM_ABI_SPLIT:
		if (sym_type_aggregate(&v->type, &agg) == 0) {
			v->in_regs = true;
			v->regs = *loc;
			v->regs_offset = 0;
			return 0;
		}
		if (loc->where == SYM_ABI_SPLIT || loc->nparts != 1)
			return -EDOM; /* __int128, a quad long double: not shown */
		if (loc->part[0].fp) {
			if (loc->part[0].reg >= arch->n_fp_arg_regs)
				return -ENODATA;
			v->fetch.base = UP_FETCH_FPREG;
			v->fetch.reg = arch->fp_arg_regs[loc->part[0].reg];
		} else {
			v->fetch.base = UP_FETCH_ARG;
			v->fetch.argn = loc->part[0].reg + 1;
		}
		v->is_address = false;
		return 0;
	case SYM_ABI_STACK:
		if (sym_type_aggregate(&v->type, &agg) != 0 &&
		    dwarf_peel_type(&v->type, &agg) == 0 && dwarf_bytesize(&agg) > 0 &&
		    dwarf_bytesize(&agg) <= 8 && loc->stack % 8 == 0) {
			/* a scalar in a stack word: the $argN past the registers (its type is
			 * shown for $argN too) */
			v->fetch.base = UP_FETCH_ARG;
			v->fetch.argn = (uint16_t)(arch->n_arg_regs + 1 + loc->stack / 8);
			v->is_address = false;
			return 0;
		}
		/* fall through */
	case SYM_ABI_REF_STACK:
		v->fetch.base = UP_FETCH_REG;
		v->fetch.reg = arch->sp_reg;
		err = sym_fetch_add(&v->fetch, (int64_t)(arch->stack_arg_offset + loc->stack));
		if (!err && loc->where == SYM_ABI_REF_STACK)
			err = sym_fetch_load(&v->fetch, 8);
		v->is_address = true;
		return err;
	case SYM_ABI_REF_REG:
		v->fetch.base = UP_FETCH_ARG;
		v->fetch.argn = loc->part[0].reg + 1;
		v->is_address = true;
		return 0;
	case SYM_ABI_NONE:
		return -EDOM; /* an empty struct */
	}
	return -ENODATA;
}

/*
 * The value of a variable or parameter DIE at c->pc. At the function's
 * entry (and in gcc -O0's prologue, where the frame slots DWARF names are
 * not stored yet) a parameter is where the ABI puts it; elsewhere DWARF's
 * location (list) at c->pc decides.
 */
static int die_value(struct sym_dwarf_ctx *c, Dwarf_Die *var, struct sym_value *v)
{
	struct sym_abi_loc loc;
	int err;

	memset(v, 0, sizeof(*v));
	if (sym_die_type(var, &v->type) < 0)
		return -ENOTSUP;
	if (c->func >= 0 && !c->clone && dwarf_tag(var) == DW_TAG_formal_parameter &&
	    (c->at_entry || (c->in_prologue && sym_location_in_frame(c, var)))) {
		sym_abi_param(c, var, &loc);
		return abi_value(c, &loc, v);
	}
	err = sym_location(c, var, v);
	if (err == -ENOENT)
		return -ENODATA; /* optimised out at this pc */
	return err;
}

/*
 * A scalar of size bytes at v->regs_offset of an aggregate held in
 * registers: the register holding those bytes, shifted down to them.
 */
static int regs_scalar(struct sym_dwarf_ctx *c, struct sym_value *v, unsigned size)
{
	const struct up_arch *arch = c->s->t->arch;

	for (unsigned i = 0; i < v->regs.nparts; i++) {
		const struct sym_abi_part *p = &v->regs.part[i];
		uint64_t shift;

		if (v->regs_offset < p->offset ||
		    v->regs_offset + size > (uint64_t)p->offset + p->size)
			continue;
		memset(&v->fetch, 0, sizeof(v->fetch));
		if (p->fp) {
			if (p->reg >= arch->n_fp_arg_regs)
				return -ENODATA;
			v->fetch.base = UP_FETCH_FPREG;
			v->fetch.reg = arch->fp_arg_regs[p->reg];
		} else if (v->result) {
			if (p->reg > 1)
				return -ENODATA;
			v->fetch.base = UP_FETCH_REG;
			v->fetch.reg = p->reg ? arch->retval2_reg : arch->retval_reg;
		} else {
			v->fetch.base = UP_FETCH_ARG;
			v->fetch.argn = p->reg + 1;
		}
		shift = 8 * (v->regs_offset - p->offset);
		if (shift) {
			v->fetch.ops[0] =
			    (struct up_fetch_op){.op = UP_FOP_SHR, .imm = (int64_t)shift};
			v->fetch.nops = 1;
		}
		v->in_regs = false;
		v->is_address = false;
		return 0;
	}
	return -ENODATA; /* in the stack half of a split struct, or across two registers */
}

/* Turn a value into a printable argument: load a scalar that is still an address. */
static int finish_arg(struct sym_dwarf_ctx *c, struct sym_value *v, const char *name,
		      struct up_arg *out)
{
	const struct up_arch *arch = c->s->t->arch;
	struct up_type type;
	int err;

	if (v->is_address && sym_type_char_array(&v->type)) {
		/* A char array in memory ("req->comm"): the string is where it lies. */
		type = (struct up_type){UP_TYPE_STRING, 8};
		v->is_address = false;
	} else {
		err = sym_type_classify(&v->type, arch && arch->long_double_x87, &type);
		if (err)
			return err;
		if (v->in_regs) {
			err = regs_scalar(c, v, type.size == 10 ? 16 : type.size);
			if (err)
				return err;
		}
	}
	if (v->is_address) {
		err = sym_fetch_load(&v->fetch, type.size);
		if (err)
			return err;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->fetch = v->fetch;
	out->type = type;
	return 0;
}

int up_sym_params(struct up_symtab *s, uint64_t pc, struct up_arg *out, int max)
{
	struct sym_dwarf_ctx c;
	Dwarf_Die child;
	int n = 0, pos = 0;

	if (sym_dwarf_ctx_open(&c, s, pc) < 0 || c.func < 0) {
		sym_dwarf_ctx_close(&c);
		return 0;
	}
	if (dwarf_child(&c.scopes[c.func], &child) != 0)
		goto out;
	do {
		struct sym_value v;
		char name[UP_NAME_MAX];
		struct up_arg spare, *arg = n < max ? &out[n] : &spare; /* past max: counted only */
		const char *dn;
		int err;

		if (dwarf_tag(&child) != DW_TAG_formal_parameter)
			continue;
		pos++;
		dn = dwarf_diename(&child);
		if (dn)
			snprintf(name, sizeof(name), "%s", dn);
		else
			snprintf(name, sizeof(name), "arg%d", pos);
		/*
		 * A struct or union by value is left out (name a member: "s.a"); one that is
		 * not available here (optimised out, not located with certainty) is listed
		 * as such.
		 */
		err = die_value(&c, &child, &v);
		if (!err)
			err = finish_arg(&c, &v, name, arg);
		if (err == -ENODATA || err == -ENOENT) {
			memset(arg, 0, sizeof(*arg));
			snprintf(arg->name, sizeof(arg->name), "%s", name);
			arg->fetch.base = UP_FETCH_NONE;
			arg->type = (struct up_type){UP_TYPE_HEX, 8};
			err = 0;
		}
		if (!err)
			n++;
	} while (dwarf_siblingof(&child, &child) == 0);
out:
	sym_dwarf_ctx_close(&c);
	return n;
}

/* Next identifier of an expression into buf; returns its length, 0 if none. */
static size_t identifier(const char *p, char *buf, size_t len)
{
	size_t n = 0;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
		return 0;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
	       (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
		n++;
	if (n >= len)
		return 0;
	memcpy(buf, p, n);
	buf[n] = 0;
	return n;
}

/* Apply ".member" or "->member" to a value. */
static int member_access(struct sym_dwarf_ctx *c, struct sym_value *v, bool arrow, const char *name)
{
	Dwarf_Die agg, member, pointee;
	uint64_t offset;
	int err;

	if (arrow) {
		Dwarf_Die peeled;

		if (dwarf_peel_type(&v->type, &peeled) != 0 ||
		    dwarf_tag(&peeled) != DW_TAG_pointer_type || sym_die_type(&peeled, &pointee))
			return -EINVAL; /* "->" on something that is not a pointer */
		if (v->in_regs) {
			err = regs_scalar(c, v, 8); /* a pointer member of a struct in registers */
			if (err)
				return err;
		} else if (v->is_address) {
			err = sym_fetch_load(&v->fetch, 8);
			if (err)
				return err;
		}
		v->is_address = true;
		v->type = pointee;
	}
	err = sym_type_aggregate(&v->type, &agg);
	if (err)
		return err == -ENOTSUP ? -EINVAL : err; /* "." on a pointer or a scalar */
	if (!v->is_address && !v->in_regs)
		return -ENOTSUP;
	err = sym_type_member(&agg, name, &member, &offset);
	if (err)
		return err;
	if (v->in_regs) {
		v->regs_offset += offset;
		return sym_die_type(&member, &v->type) < 0 ? -ENOTSUP : 0;
	}
	err = sym_fetch_add(&v->fetch, offset);
	if (err)
		return err;
	return sym_die_type(&member, &v->type) < 0 ? -ENOTSUP : 0;
}

/* Apply a path of ".member" and "->member" (what follows a variable's name) to a value. */
static int walk_path(struct sym_dwarf_ctx *c, struct sym_value *v, const char *p)
{
	char name[UP_NAME_MAX * 2];
	size_t len;
	int err = 0;

	while (!err && *p) {
		bool arrow = p[0] == '-' && p[1] == '>';

		if (!arrow && p[0] != '.')
			return -EINVAL;
		p += arrow ? 2 : 1;
		len = identifier(p, name, sizeof(name));
		if (!len)
			return -EINVAL;
		p += len;
		err = member_access(c, v, arrow, name);
	}
	return err;
}

int up_sym_variable(struct up_symtab *s, uint64_t pc, const char *expr, struct up_arg *out)
{
	struct sym_dwarf_ctx c;
	struct sym_value v;
	char name[UP_NAME_MAX * 2];
	const char *p = expr;
	Dwarf_Die var;
	size_t len;
	int err;

	len = identifier(p, name, sizeof(name));
	if (!len)
		return -EINVAL;
	p += len;
	err = sym_dwarf_ctx_open(&c, s, pc);
	if (err)
		goto out;
	if (dwarf_getscopevar(c.scopes, c.nscopes, name, 0, NULL, 0, 0, &var) < 0) {
		err = -ENOENT;
		goto out;
	}
	err = die_value(&c, &var, &v);
	if (!err)
		err = walk_path(&c, &v, p);
	if (!err)
		err = finish_arg(&c, &v, expr, out);
out:
	sym_dwarf_ctx_close(&c);
	return err;
}

/* gas's DWARF for an assembly function: a return type that says nothing. */
static bool unspecified(Dwarf_Die *type)
{
	Dwarf_Die peeled;

	return dwarf_peel_type(type, &peeled) == 0 && dwarf_tag(&peeled) == DW_TAG_unspecified_type;
}

int up_sym_return_fetch(struct up_symtab *s, uint64_t func_addr, struct up_type *type,
			struct up_fetch *fetch)
{
	const struct up_arch *arch = s->t->arch;
	struct sym_dwarf_ctx c;
	Dwarf_Die ret;
	int err;

	memset(fetch, 0, sizeof(*fetch));
	err = sym_dwarf_ctx_open(&c, s, func_addr);
	if (!err && c.func < 0)
		err = -ENOENT;
	if (!err)
		err = sym_die_type(&c.scopes[c.func], &ret);
	if (!err && unspecified(&ret))
		err = -ENOENT; /* no type known: the register, as without DWARF */
	if (!err)
		err = sym_type_classify(&ret, arch && arch->long_double_x87, type);
	if (!err && arch)
		err = sym_abi_result(arch, &ret, fetch);
	sym_dwarf_ctx_close(&c);
	return err;
}

int up_sym_return_type(struct up_symtab *s, uint64_t func_addr, struct up_type *type)
{
	struct up_fetch fetch;

	return up_sym_return_fetch(s, func_addr, type, &fetch);
}

int up_sym_return_shape(struct up_symtab *s, uint64_t func_addr)
{
	struct sym_dwarf_ctx c;
	struct up_type type;
	Dwarf_Die ret, agg;
	int shape = UP_RET_UNKNOWN;

	if (sym_dwarf_ctx_open(&c, s, func_addr) == 0 && c.func >= 0) {
		if (sym_die_type(&c.scopes[c.func], &ret) == -ENOENT)
			shape = UP_RET_VOID;
		else if (unspecified(&ret))
			shape = UP_RET_UNKNOWN;
		else if (sym_type_aggregate(&ret, &agg) == 0)
			shape = UP_RET_AGGREGATE;
		else if (sym_type_classify(&ret, s->t->arch && s->t->arch->long_double_x87,
					   &type) == 0)
			shape = UP_RET_SCALAR;
		else
			shape = UP_RET_OTHER;
	}
	sym_dwarf_ctx_close(&c);
	return shape;
}

/*
 * The value a function returns, as the ABI leaves it at the return: in
 * registers, or in memory at the address the caller passed, which is
 * captured at the entry (*entry) and read at the return (UP_FETCH_ENTRY 0).
 */
static int result_value(struct sym_dwarf_ctx *c, struct sym_value *v, struct up_fetch *entry)
{
	const struct up_arch *arch = c->s->t->arch;
	struct sym_abi_loc loc;
	Dwarf_Die agg;
	int err;

	memset(v, 0, sizeof(*v));
	memset(entry, 0, sizeof(*entry));
	if (!arch || c->func < 0)
		return -ENOENT;
	err = sym_die_type(&c->scopes[c->func], &v->type);
	if (err)
		return err == -ENOENT ? -ENOMSG : err; /* void */
	if (unspecified(&v->type))
		return -ENOENT; /* no type known: as without DWARF */
	if (sym_type_aggregate(&v->type, &agg) != 0)
		return sym_abi_result(arch, &v->type, &v->fetch);
	err = sym_abi_result_loc(arch, &v->type, &loc);
	if (err)
		return err;
	switch (loc.where) {
	case SYM_ABI_REGS:
		v->in_regs = true;
		v->result = true;
		v->regs = loc;
		return 0;
	case SYM_ABI_REF_REG:
		if (arch->result_addr_reg < 0)
			return -ENODATA;
		entry->base = UP_FETCH_REG;
		entry->reg = arch->result_addr_reg;
		v->fetch.base = UP_FETCH_ENTRY;
		v->is_address = true;
		return 0;
	case SYM_ABI_NONE:
		return -EDOM; /* an empty struct: nothing to show */
	}
	return -ENODATA;
}

int up_sym_return_value(struct up_symtab *s, uint64_t func_addr, const char *path,
			struct up_arg *out, struct up_fetch *entry)
{
	struct sym_dwarf_ctx c;
	struct sym_value v;
	int err;

	memset(entry, 0, sizeof(*entry));
	err = sym_dwarf_ctx_open(&c, s, func_addr);
	if (!err)
		err = result_value(&c, &v, entry);
	if (!err)
		err = walk_path(&c, &v, path);
	if (!err)
		err = finish_arg(&c, &v, "ret", out);
	sym_dwarf_ctx_close(&c);
	return err;
}

/*
 * The scalar members of an aggregate, named "ret.a", "ret.p.x", in their
 * order; nested structs and unions flattened, anonymous ones too; what
 * cannot be shown as one value (arrays other than char, bit-fields) left
 * out. Bounded in depth and in members looked at (the DWARF comes from
 * the target).
 */
#define RET_MEMBERS_DEPTH 4
#define RET_MEMBERS_VISITS 256

struct members_walk {
	struct up_arg *out;
	int max, n;
	unsigned visits;
};

static void result_members(struct sym_dwarf_ctx *c, struct members_walk *w,
			   const struct sym_value *v, const char *prefix, int depth)
{
	Dwarf_Die agg, child;

	if (depth > RET_MEMBERS_DEPTH || sym_type_aggregate((Dwarf_Die *)&v->type, &agg) != 0 ||
	    dwarf_child(&agg, &child) != 0)
		return;
	do {
		struct sym_value m = *v;
		char name[UP_NAME_MAX];
		const char *dn;
		uint64_t off;
		Dwarf_Die inner;
		int err;

		if (w->n >= w->max || ++w->visits > RET_MEMBERS_VISITS)
			return;
		if (dwarf_tag(&child) != DW_TAG_member || dwarf_hasattr(&child, DW_AT_bit_size) ||
		    dwarf_hasattr(&child, DW_AT_data_bit_offset) ||
		    sym_type_member_offset(&child, &off) || sym_die_type(&child, &m.type))
			continue;
		if (m.in_regs)
			m.regs_offset += off;
		else if (sym_fetch_add(&m.fetch, (int64_t)off))
			continue;
		dn = dwarf_diename(&child);
		if (dn)
			snprintf(name, sizeof(name), "%s.%s", prefix, dn);
		else
			snprintf(name, sizeof(name), "%s", prefix);
		if (sym_type_aggregate(&m.type, &inner) == 0) {
			result_members(c, w, &m, name, depth + 1);
			continue;
		}
		err = finish_arg(c, &m, name, &w->out[w->n]);
		if (err == -ENODATA) { /* in registers the rules here do not place */
			memset(&w->out[w->n], 0, sizeof(w->out[w->n]));
			snprintf(w->out[w->n].name, sizeof(w->out[w->n].name), "%s", name);
			w->out[w->n].fetch.base = UP_FETCH_NONE;
			w->out[w->n].type = (struct up_type){UP_TYPE_HEX, 8};
			err = 0;
		}
		if (!err)
			w->n++;
	} while (dwarf_siblingof(&child, &child) == 0);
}

int up_sym_return_members(struct up_symtab *s, uint64_t func_addr, struct up_arg *out, int max,
			  struct up_fetch *entry)
{
	struct members_walk w = {.out = out, .max = max};
	struct sym_dwarf_ctx c;
	struct sym_value v;
	Dwarf_Die agg;
	int err;

	memset(entry, 0, sizeof(*entry));
	err = sym_dwarf_ctx_open(&c, s, func_addr);
	if (!err)
		err = result_value(&c, &v, entry);
	if (!err && sym_type_aggregate(&v.type, &agg) != 0)
		err = -EDOM;
	if (!err)
		result_members(&c, &w, &v, "ret", 0);
	sym_dwarf_ctx_close(&c);
	return err ? err : w.n;
}

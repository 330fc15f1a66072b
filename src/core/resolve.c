/* SPDX-License-Identifier: MIT */
/*
 * From parsed PROBE specs to probes on addresses: modules and functions
 * through the symbol layer, arguments from DWARF or the ABI, offsets
 * checked against instruction boundaries. A spec whose module is not
 * loaded yet waits for a library load; once the dynamic linker has loaded
 * the program's libraries ("final"), what still cannot be found is an
 * error naming it.
 */
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core_internal.h"
#include "uptrace/sym.h"

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static bool is_main_module(struct up_core *c, const char *path)
{
	struct up_module_info mi;

	if (up_sym_module(c->sym, NULL, &mi) != 0)
		return false;
	return strcmp(mi.path, path) == 0;
}

/* "+0x1f" offsets or "(4c 8b 1d ...)" bytes into a message. */
static void hex_bytes(char *out, size_t len, const uint8_t *bytes, unsigned n)
{
	size_t at = 0;

	out[0] = 0;
	for (unsigned i = 0; i < n && at + 4 < len; i++)
		at += (size_t)snprintf(out + at, len - at, "%s%02x", i ? " " : "", bytes[i]);
}

/*
 * Does an instruction start at offset into the function m (its entry is
 * one)? A sweep from the entry decides (up_arch_boundary_sweep); past the
 * function's end (when its symbol has a size) it is refused as such. Where the sweep
 * cannot tell (bytes of a length nothing measures, too far from the entry)
 * a symbol or a DWARF line-table row at the address is evidence enough;
 * without any, the probe is refused: a breakpoint inside an instruction
 * corrupts the program.
 */
static int check_boundary(struct up_core *c, const struct up_func_match *m, uint64_t offset,
			  const char *what)
{
	unsigned long long off = (unsigned long long)offset;
	struct up_arch_boundary b;
	char evidence[256], why[128];
	int err;

	if (offset == 0)
		return 0;
	if (m->size && offset >= m->size) {
		core_error(c, "probe '%s': %s+0x%llx is past the end of %s (its size is 0x%llx)",
			   what, m->func, off, m->func, (unsigned long long)m->size);
		return -EINVAL;
	}
	if (offset % c->arch->insn_align) {
		core_error(c,
			   "probe '%s': %s+0x%llx is not on an instruction boundary (%s "
			   "instructions start at multiples of %u)",
			   what, m->func, off, c->arch->name, c->arch->insn_align);
		return -EINVAL;
	}
	if (c->arch->insn_align >= 4)
		return 0;
	err = up_arch_boundary_sweep(c->arch, &c->mem, m->addr, offset, &b);
	if (!err)
		return 0;
	if (up_sym_insn_start(c->sym, m->addr + offset, evidence, sizeof(evidence)) == 1)
		return 0;
	switch (err) {
	case -EINVAL:
		core_error(c,
			   "probe '%s': %s+0x%llx is not on an instruction boundary (it is inside "
			   "the instruction at +0x%llx; the next one starts at +0x%llx)",
			   what, m->func, off, (unsigned long long)b.before,
			   (unsigned long long)b.after);
		return -EINVAL;
	case -EBADMSG:
		hex_bytes(why, sizeof(why), b.bytes, b.nbytes < 4 ? b.nbytes : 4);
		core_error(
		    c,
		    "probe '%s': cannot tell whether an instruction starts at %s+0x%llx: "
		    "the bytes at +0x%llx (%s) do not decode, and no symbol or line-table row "
		    "marks +0x%llx",
		    what, m->func, off, (unsigned long long)b.stuck, why, off);
		return -EINVAL;
	case -E2BIG:
		core_error(c,
			   "probe '%s': cannot tell whether an instruction starts at %s+0x%llx: "
			   "it is more than 0x%x bytes from the function's start, and no symbol or "
			   "line-table row marks it",
			   what, m->func, off, UP_ARCH_SWEEP_MAX);
		return -EINVAL;
	default:
		core_error(c, "probe '%s': cannot read the text of %s at +0x%llx", what, m->func,
			   (unsigned long long)b.stuck);
		return err;
	}
}

/* The DWARF type of the ABI argument argn at this entry, if the function has one. */
static bool param_type(struct up_core *c, uint64_t addr, unsigned argn, struct up_type *type)
{
	struct up_arg params[UP_MAX_ARGS];
	int n = up_sym_params(c->sym, addr, params, UP_MAX_ARGS);

	for (int i = 0; i < n && i < UP_MAX_ARGS; i++)
		if (params[i].fetch.base == UP_FETCH_ARG && params[i].fetch.argn == argn &&
		    params[i].fetch.nops == 0) {
			*type = params[i].type;
			return true;
		}
	return false;
}

/*
 * The entry_fetch slot that captures arg at the function's entry (a return
 * probe's values as they were at the call): an equal one is shared (the
 * result's address for several of its members). Each argument takes one
 * slot at most, so there is room: -E2BIG only if that ever changes.
 */
static int entry_slot(struct up_probe *p, const struct up_arg *arg)
{
	for (unsigned i = 0; i < p->nentry; i++)
		if (!memcmp(&p->entry_fetch[i].fetch, &arg->fetch, sizeof(arg->fetch)) &&
		    !memcmp(&p->entry_fetch[i].type, &arg->type, sizeof(arg->type)))
			return (int)i;
	if (p->nentry == UP_MAX_ARGS)
		return -E2BIG;
	p->entry_fetch[p->nentry] = *arg;
	return (int)p->nentry++;
}

/*
 * A result in memory is read at the address the caller passed: that is
 * captured at the entry, and the fetches of args [0, n) that start from it
 * (UP_FETCH_ENTRY 0, as sym gives them) are pointed at its slot.
 */
static int capture_result_addr(struct up_probe *p, const struct up_fetch *entry,
			       struct up_arg *args, unsigned n)
{
	struct up_arg addr = {.fetch = *entry, .type = {UP_TYPE_HEX, 8}};
	int slot;

	if (!entry->base)
		return 0;
	slot = entry_slot(p, &addr);
	if (slot < 0)
		return slot;
	for (unsigned i = 0; i < n; i++)
		if (args[i].fetch.base == UP_FETCH_ENTRY)
			args[i].fetch.argn = (uint16_t)slot;
	return 0;
}

/* $retval, $retval.member, $retval->member: the result as the ABI leaves it, typed by DWARF. */
static int retval_arg(struct up_core *c, const struct up_spec_arg *sa, struct up_probe *p,
		      uint64_t func_addr, struct up_arg *out)
{
	const char *path = sa->expr + strlen("$retval");
	const char *f = p->func[0] ? p->func : "this function";
	struct up_fetch entry;
	int err;

	err = up_sym_return_value(c->sym, func_addr, path, out, &entry);
	if (err && !*path && (err == -ENOENT || sa->has_type)) {
		/* no DWARF, or a TYPE given: the return register, a signed number or that type */
		memset(&out->fetch, 0, sizeof(out->fetch));
		out->fetch.base = UP_FETCH_RETVAL;
		out->type = (struct up_type){UP_TYPE_SIGNED, 8};
		err = 0;
	}
	if (!err)
		err = capture_result_addr(p, &entry, out, 1);
	if (!err) {
		snprintf(out->name, sizeof(out->name), "%s", sa->name);
		return 0;
	}
	if (err == -ENOMSG) {
		core_error(c, "probe '%s': %s returns nothing (void): no %s", p->key, f, sa->expr);
		err = -EDOM; /* asked of a function that has none: as for a struct */
	} else if (err == -EDOM && !*path)
		core_error(c,
			   "probe '%s': %s returns a struct or union, not one value: name a "
			   "member ('$retval.NAME'), or give no arguments to see them all",
			   p->key, f);
	else if (err == -EDOM)
		core_error(c,
			   "probe '%s': '%s' is not one value uptrace can show (a struct or "
			   "union: name a member)",
			   p->key, sa->expr);
	else if (err == -ENOENT)
		core_error(c,
			   "probe '%s': no '%s' at the return of %s (no such member, or no "
			   "DWARF type for its result)",
			   p->key, sa->expr, f);
	else if (err == -ENODATA)
		core_error(c,
			   "probe '%s': where %s leaves '%s' is a case of its calling "
			   "convention uptrace does not cover",
			   p->key, f, sa->expr);
	else if (err == -EINVAL)
		core_error(c,
			   "probe '%s': '%s': '.' or '->' on something that is not a struct "
			   "or a pointer to one",
			   p->key, sa->expr);
	else
		core_error(c, "probe '%s': cannot read '%s'", p->key, sa->expr);
	return err;
}

/*
 * What a return probe without arguments shows of the result: ret= for one
 * value (the return register without DWARF), nothing for a void
 * function, a struct's members as ret.NAME=, '?' for what uptrace cannot
 * show. Never the raw register where DWARF says the value is elsewhere.
 */
static int result_shown(struct up_core *c, const struct up_spec *spec, struct up_probe *p,
			uint64_t func_addr)
{
	struct up_fetch entry;
	int n, shape = up_sym_return_shape(c->sym, func_addr);

	if (shape == UP_RET_VOID) {
		p->no_retval = true;
		return 0;
	}
	if (shape == UP_RET_OTHER || shape == UP_RET_AGGREGATE) {
		memset(&p->ret_fetch, 0, sizeof(p->ret_fetch));
		p->ret_fetch.base = UP_FETCH_NONE; /* shown as '?' (null in JSON) */
	}
	if (shape != UP_RET_AGGREGATE || spec->nargs)
		return 0;
	n = up_sym_return_members(c->sym, func_addr, p->args, UP_MAX_ARGS, &entry);
	if (n <= 0)
		return 0;
	p->nargs = (unsigned)n;
	p->no_retval = true;
	return capture_result_addr(p, &entry, p->args, p->nargs);
}

static int build_arg(struct up_core *c, const struct up_spec *spec, const struct up_spec_arg *sa,
		     struct up_probe *p, uint64_t func_addr, struct up_arg *out)
{
	static const struct up_type x64 = {UP_TYPE_HEX, 8};
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", sa->name);
	out->type = x64;
	switch (sa->kind) {
	case UP_EXPR_VAR:
		err = up_sym_variable(c->sym, p->addr, sa->expr, out);
		if (err) {
			const char *at = p->func[0] ? p->func : "this address";

			if (err == -ENOENT)
				core_error(c, "probe '%s': no variable or parameter '%s' at %s",
					   p->key, sa->expr, at);
			else if (err == -ENODATA)
				core_error(c,
					   "probe '%s': '%s' is not available at %s (optimised "
					   "out there, or its place is not certain: a parameter "
					   "before it is of a kind the calling convention rules "
					   "here do not cover)",
					   p->key, sa->expr, at);
			else if (err == -EDOM)
				core_error(c,
					   "probe '%s': '%s' at %s is not one value uptrace can "
					   "show (a struct or union: name a member; a 128-bit "
					   "long double, a complex or vector value)",
					   p->key, sa->expr, at);
			else
				core_error(c, "probe '%s': cannot read '%s' at %s", p->key,
					   sa->expr, at);
			return err;
		}
		snprintf(out->name, sizeof(out->name), "%s", sa->name);
		break;
	case UP_EXPR_ARGN:
		out->fetch.base = UP_FETCH_ARG;
		out->fetch.argn = sa->argn;
		if (p->offset == 0)
			param_type(c, func_addr, sa->argn, &out->type);
		break;
	case UP_EXPR_RETVAL:
		err = retval_arg(c, sa, p, func_addr, out);
		if (err)
			return err;
		break;
	case UP_EXPR_REG:
		out->fetch.base = UP_FETCH_REG;
		out->fetch.reg = (int16_t)c->arch->reg_lookup(c->arch, sa->expr);
		if (out->fetch.reg < 0) {
			core_error(c, "probe '%s': no register '%%%s' on %s", p->key, sa->expr,
				   c->arch->name);
			return -EINVAL;
		}
		break;
	case UP_EXPR_COMM:
		out->fetch.base = UP_FETCH_COMM;
		out->type = (struct up_type){UP_TYPE_STRING, 8};
		break;
	case UP_EXPR_TID:
		out->fetch.base = UP_FETCH_TID;
		out->type = (struct up_type){UP_TYPE_SIGNED, 4};
		break;
	default:
		return -EINVAL;
	}
	if (sa->has_type)
		out->type = sa->type;
	/*
	 * In a return probe, arguments and parameters are the values the
	 * function was called with: fetched at its entry, kept with the call
	 * (UP_FETCH_ENTRY), shown at its return.
	 */
	if (spec->is_return && (sa->kind == UP_EXPR_VAR || sa->kind == UP_EXPR_ARGN)) {
		int slot = entry_slot(p, out);

		if (slot < 0)
			return slot;
		memset(&out->fetch, 0, sizeof(out->fetch));
		out->fetch.base = UP_FETCH_ENTRY;
		out->fetch.argn = (uint16_t)slot;
	}
	return 0;
}

/* Room for one more probe in the list (so that adding it cannot fail). */
static int reserve_probe(struct up_core *c)
{
	if (c->nprobes == c->probes_cap) {
		unsigned cap = c->probes_cap ? c->probes_cap * 2 : 16;
		struct up_probe **n = realloc(c->probes, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->probes = n;
		c->probes_cap = cap;
	}
	return 0;
}

/* A probe of the same key from before an exec: it goes on counting. */
static struct up_probe *revive(struct up_core *c, const char *key)
{
	for (unsigned i = 0; i < c->nprobes; i++) {
		struct up_probe *p = c->probes[i];
		if (p->retired && strcmp(p->key, key) == 0) {
			p->retired = false;
			return p;
		}
	}
	return NULL;
}

/*
 * Functions that return twice keep their return address to come back to it
 * later: a hijacked one brings them back to the trampoline with no instance
 * left. GCC knows them by name only (special_function_p: setjmp and
 * sigsetjmp with one or two leading underscores, savectx, vfork,
 * getcontext), and DWARF records nothing of returns_twice. swapcontext
 * too: it returns when its saved context is resumed, maybe on another
 * thread. glibc's dlopen and dlsym read their own return address to know
 * which library called them. glibc's internal aliases (__GI_, __libc_) are
 * seen through.
 */
static bool named_in(const char *name, const char *const *names, unsigned n)
{
	name += strspn(name, "_");
	if (!strncmp(name, "GI_", 3))
		name += 3 + strspn(name + 3, "_");
	if (!strncmp(name, "libc_", 5))
		name += 5 + strspn(name + 5, "_");
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

#define GO_STACKS                                                                                  \
	"Go moves goroutine stacks and walks them with its own tables, which a return "            \
	"address replaced by a return probe breaks"

/*
 * Why a return probe cannot go on this function, or NULL. Its trampoline
 * must stand where a return address is, and be reached only by that
 * return: code that is jumped to, not called, has none (a program's entry
 * point finds argc at its sp, the dynamic linker's lazy-binding resolvers
 * the relocation index a PLT entry pushed); Go's runtime copies and walks
 * goroutine stacks and throws at a return address it does not know.
 */
static const char *return_refused(struct up_core *c, const struct up_probe *p)
{
	static const char *const twice[] = {"setjmp", "sigsetjmp",  "savectx",
					    "vfork",  "getcontext", "swapcontext"};
	static const char *const by_caller[] = {"dlopen", "dlmopen", "dlsym", "dlvsym",
						"dlopen_mode"};

	if (named_in(p->func, twice, sizeof(twice) / sizeof(twice[0])))
		return "returns twice, like setjmp: the return address it keeps for its second "
		       "return would be uptrace's trampoline";
	if (named_in(p->func, by_caller, sizeof(by_caller) / sizeof(by_caller[0])))
		return "finds its caller by its return address, which would be uptrace's "
		       "trampoline (dlsym(RTLD_NEXT) would fail, dlopen would search the wrong "
		       "paths)";
	if (up_sym_is_entry_point(c->sym, p->addr))
		return "is the program's entry point: nothing calls it, and the word at its "
		       "stack pointer is argc, not a return address";
	if (!strncmp(p->func, "_dl_runtime_resolve", 19) ||
	    !strncmp(p->func, "_dl_runtime_profile", 19))
		return "is jumped to from PLT entries, not called: the word at its stack pointer "
		       "is a relocation index, not a return address";
	if (up_sym_in_go_module(c->sym, p->addr))
		return "is Go code: " GO_STACKS;
	return NULL;
}

static bool fetch_equal(const struct up_fetch *a, const struct up_fetch *b)
{
	if (a->base != b->base || a->reg != b->reg || a->argn != b->argn || a->imm != b->imm ||
	    a->nops != b->nops)
		return false;
	for (unsigned i = 0; i < a->nops && i < UP_FETCH_MAX_OPS; i++)
		if (a->ops[i].op != b->ops[i].op || a->ops[i].size != b->ops[i].size ||
		    a->ops[i].imm != b->ops[i].imm)
			return false;
	return true;
}

/* Would the two probes print the same events? */
static bool args_equal(const struct up_probe *a, const struct up_probe *b)
{
	if (a->nargs != b->nargs)
		return false;
	for (unsigned i = 0; i < a->nargs; i++)
		if (strcmp(a->args[i].name, b->args[i].name) ||
		    !fetch_equal(&a->args[i].fetch, &b->args[i].fetch) ||
		    a->args[i].type.kind != b->args[i].type.kind ||
		    a->args[i].type.size != b->args[i].type.size)
			return false;
	return true;
}

/* Is a live probe with this key on the point at addr already? */
static bool placed_here(struct up_core *c, uint64_t addr, const char *key)
{
	struct up_point *pt = point_find(c, addr);

	for (unsigned i = 0; pt && i < pt->nprobes; i++)
		if (!pt->probes[i]->retired && strcmp(pt->probes[i]->key, key) == 0)
			return true;
	return false;
}

/* The live probe (not retired by an exec) whose key this is, or NULL. */
static struct up_probe *probe_by_key(struct up_core *c, const char *key)
{
	for (unsigned i = 0; i < c->nprobes; i++)
		if (!c->probes[i]->retired && strcmp(c->probes[i]->key, key) == 0)
			return c->probes[i];
	return NULL;
}

/*
 * Keys are unique (a JSON object of counts keeps one member per key). Same
 * key on another address: two modules of the same file name, told apart by
 * their paths. Returns 1 when p repeats a probe already placed (a glob
 * matching a function another PROBE names, or the same PROBE twice): not
 * placed again. A repeat with other arguments or another predicate is an
 * error.
 */
static int key_unique(struct up_core *c, const struct up_spec *spec, struct up_probe *p,
		      const char *name)
{
	struct up_probe *old = probe_by_key(c, p->key);

	if (!old)
		return 0;
	if (old->addr == p->addr) {
		bool same_pred = !strcmp(old->pred.text, p->pred.text);

		if (strpbrk(spec->func, "*?[") || (args_equal(old, p) && same_pred))
			return 1;
		if (!same_pred)
			core_error(c,
				   "probe '%s' is given twice with different predicates: join "
				   "them with || in one PROBE",
				   p->key);
		else
			core_error(c,
				   "probe '%s' is given twice with different arguments: give "
				   "them in one PROBE",
				   p->key);
		return -EINVAL;
	}
	const char *module =
	    p->module && p->module[0] && !is_main_module(c, p->module) ? p->module : NULL;

	up_probe_key(p->key, sizeof(p->key), module, name, p->offset, p->is_return);
	if (probe_by_key(c, p->key)) {
		/* the same path twice (mapped again elsewhere): the run-time address tells */
		char tagged[UP_KEY_MAX];

		snprintf(tagged, sizeof(tagged), "%s@0x%llx", name,
			 (unsigned long long)(p->addr - p->offset));
		up_probe_key(p->key, sizeof(p->key), module, tagged, p->offset, p->is_return);
	}
	return 0;
}

/* One probe on one match: key, arguments, point. */
/*
 * A function with more parameters than an event shows: said for a probe
 * by name, counted for a glob (one line when its matches are placed), and
 * not again when a library's probes are armed anew.
 */
static void wide_params(struct up_core *c, const struct up_spec *spec, const char *key,
			const char *func, int n)
{
	if (c->rearming || c->cfg.count_only || c->cfg.want_durations || c->cfg.hist_arg)
		return; /* no event shows them */
	if (strpbrk(spec->func, "*?[")) {
		if (!c->wide.count++) {
			snprintf(c->wide.first, sizeof(c->wide.first), "%s", func);
			c->wide.first_n = n;
		}
		return;
	}
	core_warn(c,
		  "probe '%s': %s has %d parameters; its events show the first %d (name the "
		  "ones to show: '%s NAME...')",
		  key, func, n, UP_MAX_ARGS, func);
}

static int place(struct up_core *c, const struct up_spec *spec, const struct up_func_match *m,
		 uint64_t addr, uint64_t offset, const char *name)
{
	struct up_probe *p = calloc(1, sizeof(*p)), *old;
	const char *why;
	int err;

	if (!p)
		return -ENOMEM;
	if (spec->is_return && offset) {
		core_error(c, "a %%return probe goes on a function's entry: drop +0x%llx",
			   (unsigned long long)offset);
		free(p);
		return -EINVAL;
	}
	snprintf(p->func, sizeof(p->func), "%s", m ? m->func : "");
	p->module = m ? m->module : NULL; /* interned: outlives the probe */
	p->offset = offset;
	p->addr = addr;
	p->is_return = spec->is_return;
	up_probe_key(p->key, sizeof(p->key),
		     m && m->module && m->module[0] && !is_main_module(c, m->module)
			 ? base_name(m->module)
			 : NULL,
		     name, offset, spec->is_return);
	/*
	 * A glob tried again (IFUNCs waiting), or a spec resolving again after
	 * a module came back, meets what it placed before: cheap, before DWARF.
	 */
	if ((strpbrk(spec->func, "*?[") || c->rearming) && placed_here(c, addr, p->key)) {
		free(p);
		return 0;
	}
	/* $retval where the ABI leaves it: a float's in xmm0 / v0 / fa0 */
	if (spec->is_return && m) {
		err = up_sym_return_fetch(c->sym, m->addr, &p->ret_type, &p->ret_fetch);
		if (err) {
			p->ret_type.kind = 0;
			memset(&p->ret_fetch, 0, sizeof(p->ret_fetch));
		}
		if (err == -EDOM)
			p->ret_fetch.base = UP_FETCH_NONE; /* DWARF says: not in the register */
	}
	if (m && spec->kind == UP_SPEC_FUNC) {
		err = check_boundary(c, m, offset, p->key);
		if (err)
			goto fail;
	}
	why = spec->is_return ? return_refused(c, p) : NULL;
	if (why) {
		core_error(c, "probe '%s': %s %s; probe its entry instead", p->key,
			   p->func[0] ? p->func : "this address", why);
		err = -ENOTSUP;
		goto fail;
	}
	for (unsigned i = 0; i < spec->nargs; i++) {
		err = build_arg(c, spec, &spec->args[i], p, m ? m->addr : addr, &p->args[i]);
		if (err)
			goto fail;
	}
	p->nargs = spec->nargs;
	if (spec->is_return && m) {
		err = result_shown(c, spec, p, m->addr);
		if (err)
			goto fail;
	}
	/* No arguments asked for: show the function's parameters at its entry, by name. */
	if (spec->nargs == 0 && !spec->is_return && m && addr == m->addr) {
		int n = up_sym_params(c->sym, addr, p->args, UP_MAX_ARGS);
		p->nargs = n > 0 ? (unsigned)n : 0;
		if (n > UP_MAX_ARGS) {
			p->nargs = UP_MAX_ARGS;
			wide_params(c, spec, p->key, m->func, n);
		}
	}
	err = pred_bind(c, &spec->pred, p);
	if (!err)
		err = hist_bind(c, p);
	if (err)
		goto fail;
	err = key_unique(c, spec, p, name);
	if (err) {
		free(p);
		return err < 0 ? err : 0; /* 1: a repeat, placed already */
	}
	old = revive(c, p->key);
	if (old) {
		uint64_t hits = old->hits;
		uint64_t hist[UP_HIST_BUCKETS], vhist[UP_VHIST_BUCKETS];
		memcpy(hist, old->hist, sizeof(hist));
		memcpy(vhist, old->vhist, sizeof(vhist));
		*old = *p;
		old->hits = hits;
		memcpy(old->hist, hist, sizeof(hist));
		memcpy(old->vhist, vhist, sizeof(vhist));
		free(p);
		err = point_add_probe(c, addr, old, false);
		if (err)
			old->retired = true;
		return err;
	}
	/* only a probe that got its point is listed (and counted in the summary) */
	err = reserve_probe(c);
	if (!err)
		err = point_add_probe(c, addr, p, false);
	if (err && c->err && c->err[0] && strncmp(c->err, "probe '", 7) != 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", c->err);
		snprintf(c->err, c->errlen, "probe '%s': %s", p->key, why);
	}
	if (err)
		goto fail;
	c->probes[c->nprobes++] = p;
	return 0;
fail:
	free(p);
	return err;
}

/*
 * The functions a spec names, in a malloc'd array (*out) that grows until
 * it holds every match: a glob over every module can match many thousands.
 */
static int find_functions(struct up_core *c, const struct up_spec *spec, struct up_func_match **out,
			  char *ambiguous, size_t len)
{
	const char *mod = spec->module;
	struct up_func_match *m = NULL;
	int max = 256, n;

	for (;;) {
		struct up_func_match *grown = realloc(m, (size_t)max * sizeof(*m));

		if (!grown) {
			free(m);
			return -ENOMEM;
		}
		m = grown;
		n = up_sym_functions(c->sym, mod, spec->func, m, max, ambiguous, len);
		if (n < max || max > INT_MAX / 2)
			break;
		max *= 2; /* perhaps more than fitted: ask again with room for them */
	}
	if (n < 0) {
		free(m);
		return n;
	}
	*out = m;
	return n;
}

/*
 * An IFUNC's probe goes on the implementation the process runs, not on the
 * resolver (which runs once or twice). 0 with *impl a copy of m at that
 * address; -EAGAIN while it cannot be known yet (its module not relocated,
 * or the program's libraries not all loaded); another error, reported.
 */
static int ifunc_implementation(struct up_core *c, const struct up_func_match *m, const char *name,
				struct up_func_match *impl)
{
	struct up_func_match found;
	uint64_t addr;
	int err = up_sym_ifunc_target(c->sym, m, &addr, &found);

	if (err == -ENOENT && !c->libs_loaded)
		err = -EAGAIN; /* a library still to come may bind it */
	if (err == -EAGAIN)
		return err;
	if (err) {
		core_error(c,
			   "probe '%s:%s': %s is an IFUNC, and which of its implementations "
			   "process %d runs is not known%s; probe one by name (uptrace -l "
			   "'%s:*%s*' lists them)",
			   base_name(m->module), name, m->func, (int)c->t->pid,
			   err == -ENOENT ? " (no resolved relocation names it yet: lazy binding "
					    "binds it at its first call)"
					  : "",
			   base_name(m->module), m->func);
		return err;
	}
	*impl = *m;
	impl->addr = addr;
	impl->size = found.addr == addr ? found.size : 0;
	impl->ifunc = false;
	if (c->cfg.verbose) {
		char what[sizeof(found.func) + 32];

		if (found.func[0] && found.addr == addr)
			snprintf(what, sizeof(what), "%s", found.func);
		else
			snprintf(what, sizeof(what), "its implementation");
		core_warn(c,
			  "%s:%s is an IFUNC: probing %s at 0x%llx, the code process %d resolved "
			  "it to",
			  base_name(m->module), name, what, (unsigned long long)addr,
			  (int)c->t->pid);
	}
	return 0;
}

static int resolve_func(struct up_core *c, struct pending_spec *ps, bool final)
{
	const struct up_spec *spec = &ps->spec;
	struct up_func_match *matches = NULL;
	char ambiguous[1024] = "";
	const char *mod = spec->module;
	int n, err = 0, placed = 0, waiting = 0;

	n = find_functions(c, spec, &matches, ambiguous, sizeof(ambiguous));
	if (n == -EEXIST) {
		core_error(c,
			   "function '%s' is defined in several modules: %s; name one as "
			   "MODULE:%s",
			   spec->func, ambiguous, spec->func);
		return n;
	}
	if (n < 0) {
		core_error(c, "cannot look up '%s': %s", spec->func, strerror(-n));
		return n;
	}
	if (n == 0) {
		free(matches);
		if (!final)
			return 1; /* stays pending */
		if (mod)
			core_error(c, "no function matching '%s' in %s", spec->func, mod);
		else
			core_error(c, "no function matching '%s' in %s or its libraries",
				   spec->func, c->t->exe);
		return -ENOENT;
	}
	/*
	 * A glob may match functions that cannot be probed (an instruction we
	 * refuse at their entry): those are named and skipped, the rest armed.
	 * IFUNCs whose implementation is not known yet wait, with the spec.
	 */
	bool glob = strpbrk(spec->func, "*?[") != NULL;
	if (glob && spec->is_return) {
		/* a Go program's every function, one line each, would drown the rest: one line */
		int kept = 0, go = 0;
		for (int i = 0; i < n; i++) {
			if (up_sym_in_go_module(c->sym, matches[i].addr))
				go++;
			else
				matches[kept++] = matches[i];
		}
		if (go && !kept) {
			core_error(c,
				   "probe '%s%%return': the %d functions matching it are Go code: "
				   "%s; probe their entries instead",
				   spec->func, go, GO_STACKS);
			free(matches);
			return -ENOTSUP;
		}
		if (go)
			core_warn(c, "skipping the %d Go functions matching '%s%%return': %s", go,
				  spec->func, GO_STACKS);
		n = kept;
	}
	for (int i = 0; i < n; i++) {
		char name[sizeof(matches[i].func) + sizeof(matches[i].tag)];
		struct up_func_match impl, *m = &matches[i];

		snprintf(name, sizeof(name), "%s%s", m->func, m->tag);
		err = 0;
		if (m->ifunc) {
			err = ifunc_implementation(c, m, name, &impl);
			if (err == -EAGAIN) {
				waiting++;
				err = 0;
				continue;
			}
			if (err && c->started && !glob && c->err && c->err[0]) {
				/* a library loaded while tracing: that probe stays off, the trace goes on */
				core_warn(c, "warning: %s; that probe stays off", c->err);
				c->err[0] = 0;
				ps->unknown++;
				err = 0;
				continue;
			}
			m = &impl;
		}
		if (!err)
			err = place(c, spec, m, m->addr + spec->offset, spec->offset, name);
		if (err && glob && c->err && c->err[0] && err != -ENOMEM) {
			if (!c->rearming) /* said when it first resolved */
				core_warn(c, "skipping %s", c->err);
			c->err[0] = 0;
			err = 0;
			continue;
		}
		if (err)
			break;
		placed++;
	}
	if (c->wide.count)
		core_warn(c,
			  "%u of the functions matching '%s%s%s' have more than %d parameters (%s "
			  "has %d): their events show the first %d",
			  c->wide.count, spec->module ? spec->module : "", spec->module ? ":" : "",
			  spec->func, UP_MAX_ARGS, c->wide.first, c->wide.first_n, UP_MAX_ARGS);
	c->wide.count = 0;
	free(matches);
	if (err)
		return err;
	ps->waiting = waiting;
	if (placed)
		ps->ever_resolved = true;
	if (waiting)
		return 1; /* tried again at the next library event */
	if (!placed && ps->unknown)
		return 0; /* said so already */
	if (!placed) {
		core_error(c, "none of the %d functions matching '%s' can be probed", n,
			   spec->func);
		return -ENOTSUP;
	}
	return 0;
}

/*
 * A MODULE:0xADDR probe gets the boundary check of FUNC+OFFS from the
 * function that holds it (a symbol with a size that covers it; at a
 * sizeless symbol's own address the symbol says enough). An address in no
 * function only with a symbol or a line-table row to show an instruction
 * starts there: a sweep from some label before it would prove nothing.
 */
static int check_address(struct up_core *c, const struct up_spec *spec,
			 const struct up_func_match *m, uint64_t addr)
{
	unsigned long long link = (unsigned long long)spec->addr;
	char what[UP_NAME_MAX * 2 + 64], evidence[256];

	snprintf(what, sizeof(what), "%s%s0x%llx", spec->module ? spec->module : "",
		 spec->module ? ":" : "", link);
	if (m->func[0] && addr >= m->addr && (addr == m->addr || addr - m->addr < m->size))
		return check_boundary(c, m, addr - m->addr, what);
	if (addr % c->arch->insn_align) {
		core_error(c, "probe '%s': address 0x%llx is not on an instruction boundary", what,
			   link);
		return -EINVAL;
	}
	if (up_sym_insn_start(c->sym, addr, evidence, sizeof(evidence)) == 1)
		return 0;
	core_error(c,
		   "probe '%s': address 0x%llx is in no function of %s, and no symbol or "
		   "line-table row shows that an instruction starts there",
		   what, link, m->module && m->module[0] ? base_name(m->module) : c->t->exe);
	return -EINVAL;
}

static int resolve_addr(struct up_core *c, struct pending_spec *ps)
{
	const struct up_spec *spec = &ps->spec;
	struct up_func_match m;
	uint64_t addr;
	char name[32];
	int err;

	memset(&m, 0, sizeof(m));
	err = up_sym_link_to_runtime(c->sym, spec->module, spec->addr, &addr, &m);
	if (err) {
		core_error(c, "address 0x%llx is not in %s", (unsigned long long)spec->addr,
			   spec->module ? spec->module : c->t->exe);
		return err;
	}
	snprintf(name, sizeof(name), "0x%llx", (unsigned long long)spec->addr);
	if (!m.module && spec->module) {
		struct up_module_info mi;
		if (up_sym_module(c->sym, spec->module, &mi) == 0)
			m.module = up_sym_intern(c->sym, mi.path);
	}
	err = check_address(c, spec, &m, addr);
	if (err)
		return err;
	return place(c, spec, m.func[0] || m.module ? &m : NULL, addr, 0, name);
}

static int resolve_line(struct up_core *c, struct pending_spec *ps)
{
	const struct up_spec *spec = &ps->spec;
	const char *file = spec->file ? spec->file : "";
	struct up_func_match m;
	uint64_t addr;
	int err;

	memset(&m, 0, sizeof(m));
	err = up_sym_line(c->sym, spec->module, file, spec->line, &addr, &m);
	if (err) {
		core_error(c, "no code for %s:%d in %s", file, spec->line,
			   spec->module ? spec->module : c->t->exe);
		return err;
	}
	return place(c, spec, m.func[0] ? &m : NULL, addr, m.func[0] ? addr - m.addr : 0,
		     m.func[0] ? m.func : file);
}

/* Does dir hold a library file that the short name spec would match ("libfoo" -> libfoo.so*)? */
static bool dir_has_library(const char *dir, const char *spec)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, spec);
	if (stat(path, &st) == 0)
		return true;
	snprintf(path, sizeof(path), "%s/%s.so", dir, spec);
	if (stat(path, &st) == 0)
		return true;
	snprintf(path, sizeof(path), "%s/%s.so.[0-9]*", dir, spec);
	glob_t g;
	bool found = glob(path, 0, NULL, &g) == 0;
	if (found)
		globfree(&g);
	return found;
}

/*
 * Can a module that is not loaded still come, by dlopen? A path must
 * exist; a short name must name a library file in the program's folder,
 * $LD_LIBRARY_PATH or the system's library folders. Anything else is a
 * typo to report now rather than a probe that silently never fires.
 */
static bool module_may_load(struct up_core *c, const char *spec)
{
	static const char *const system_dirs[] = {"/lib",
						  "/usr/lib",
						  "/usr/local/lib",
						  "/lib64",
						  "/usr/lib64",
						  "/lib/x86_64-linux-gnu",
						  "/usr/lib/x86_64-linux-gnu",
						  "/lib/aarch64-linux-gnu",
						  "/usr/lib/aarch64-linux-gnu",
						  "/lib/riscv64-linux-gnu",
						  "/usr/lib/riscv64-linux-gnu"};
	char dir[4096];
	struct stat st;

	if (strchr(spec, '/'))
		return stat(spec, &st) == 0;
	snprintf(dir, sizeof(dir), "%s", c->t->exe);
	if (dir_has_library(dirname(dir), spec))
		return true;
	const char *llp = getenv("LD_LIBRARY_PATH");
	while (llp && *llp) {
		size_t n = strcspn(llp, ":");
		snprintf(dir, sizeof(dir), "%.*s", (int)n, llp);
		if (n && dir_has_library(dir, spec))
			return true;
		llp += n + (llp[n] == ':');
	}
	for (unsigned i = 0; i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++) {
		snprintf(dir, sizeof(dir), "%s%s", c->t->sysroot, system_dirs[i]);
		if (dir_has_library(dir, spec))
			return true;
	}
	return false;
}

static int resolve_one(struct up_core *c, struct pending_spec *ps, bool final)
{
	const struct up_spec *spec = &ps->spec;
	struct up_module_info mi;
	int err;

	/* a glob's matches in libraries still to come would be missed */
	if (c->load_watch && !spec->module && strpbrk(spec->func, "*?["))
		return 1;
	if (spec->module && up_sym_module(c->sym, spec->module, &mi) != 0) {
		ps->waiting = 0; /* its IFUNCs went with it (a dlopen that failed) */
		if (!final || module_may_load(c, spec->module))
			return 1; /* pending until it is mapped */
		core_error(c,
			   "no library '%s': process %d has not loaded it and no such file is "
			   "in its folder, $LD_LIBRARY_PATH or the system's library folders",
			   spec->module, (int)c->t->pid);
		return -ENOENT;
	}
	switch (spec->kind) {
	case UP_SPEC_FUNC:
		err = resolve_func(c, ps, final || spec->module);
		break;
	case UP_SPEC_ADDR:
		err = resolve_addr(c, ps);
		break;
	case UP_SPEC_LINE:
		err = resolve_line(c, ps);
		break;
	case UP_SPEC_USDT:
		err = resolve_usdt(c, ps, final);
		break;
	default:
		err = -EINVAL;
	}
	return err;
}

/*
 * A plain name without a module placed while the libraries were still
 * loading: now that they are all there, a name that several define is the
 * error it would have been.
 */
static int check_unambiguous(struct up_core *c, struct pending_spec *ps)
{
	static struct up_func_match matches[2];
	char ambiguous[1024] = "";
	int n =
	    up_sym_functions(c->sym, NULL, ps->spec.func, matches, 2, ambiguous, sizeof(ambiguous));

	ps->early = false;
	if (n != -EEXIST)
		return 0;
	core_error(c, "function '%s' is defined in several modules: %s; name one as MODULE:%s",
		   ps->spec.func, ambiguous, ps->spec.func);
	return n;
}

bool resolve_waiting(struct up_core *c)
{
	for (unsigned i = 0; i < c->nspecs; i++)
		if (!c->specs[i].resolved && c->specs[i].waiting)
			return true;
	return false;
}

/* Resolve every spec that can be now. 0, or the first error (already reported). */
int resolve_pending(struct up_core *c, bool final)
{
	for (unsigned i = 0; i < c->nspecs; i++) {
		struct pending_spec *ps = &c->specs[i];
		unsigned before = c->nprobes;
		int err;

		if (ps->resolved) {
			err = final && ps->early ? check_unambiguous(c, ps) : 0;
			if (err)
				return err;
			continue;
		}
		c->rearming = ps->rearm;
		err = resolve_one(c, ps, final);
		c->rearming = false;
		if (core_note_probes(c, before, i))
			return -ENOMEM;
		if (err < 0 && c->after_exec && c->err && c->err[0]) {
			/* a program exec'd into need not have every function the first had */
			core_warn(c, "after exec: %s; that probe stays off", c->err);
			c->err[0] = 0;
			err = 0;
		}
		if (err < 0)
			return err;
		/* a spec whose module went away resolves again until all its probes are back */
		if (err == 0 && ps->rearm && core_spec_parked(c, i))
			continue;
		if (err == 0) {
			ps->resolved = ps->ever_resolved = true;
			ps->rearm = false;
			ps->early =
			    c->load_watch && !ps->spec.module && ps->spec.kind == UP_SPEC_FUNC;
		}
	}
	return fast_flush(c);
}

int resolve_arg(struct up_core *c, const struct up_spec *spec, const struct up_spec_arg *sa,
		struct up_probe *p, uint64_t func_addr, struct up_arg *out)
{
	return build_arg(c, spec, sa, p, func_addr, out);
}

struct up_probe *resolve_revive(struct up_core *c, const char *key)
{
	return revive(c, key);
}

int resolve_reserve(struct up_core *c)
{
	return reserve_probe(c);
}

int up_core_never_armed(struct up_core *c, unsigned index, char *why, size_t len)
{
	const struct pending_spec *ps;
	const char *mod;

	if (index >= c->nspecs)
		return 0;
	ps = &c->specs[index];
	if (ps->ever_resolved && (ps->resolved || !ps->waiting) && !ps->unknown)
		return 0;
	mod = ps->spec.module;
	if (ps->unknown)
		snprintf(why, len, "%s%u IFUNC%s whose implementation in the process was not known",
			 ps->ever_resolved ? "partly, for " : "", ps->unknown,
			 ps->unknown > 1 ? "s" : "");
	else if (ps->waiting)
		snprintf(why, len,
			 "%s%u IFUNC%s whose implementation in the process was never known",
			 ps->ever_resolved ? "partly, for " : "", ps->waiting,
			 ps->waiting > 1 ? "s" : "");
	else if (mod && up_sym_module(c->sym, mod, NULL) != 0)
		snprintf(why, len, "no module '%s' was loaded", mod);
	else if (mod)
		snprintf(why, len, "'%s' was loaded, but without what the probe names", mod);
	else
		snprintf(why, len, "nothing it names was loaded");
	return 1;
}

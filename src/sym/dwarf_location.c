/* SPDX-License-Identifier: MIT */
/*
 * DWARF location expressions at one pc, turned into the small fetch
 * programs of probe.h: DW_OP_regN is a register's value (an integer or a
 * floating-point register), DW_OP_bregN off
 * and DW_OP_fbreg off are addresses (register plus offset; the frame base
 * being the CFA from libdw's CFI when it is DW_OP_call_frame_cfa), and
 * DW_OP_addr a global. Anything richer (pieces, entry values, arithmetic)
 * is refused with -ENOTSUP rather than guessed.
 */
#include <errno.h>
#include <stdlib.h>
#include <dwarf.h>

#include "uptrace/arch.h"
#include "sym_internal.h"

/* Address arithmetic: offsets from DWARF (any value) wrap as addresses do, in uint64_t. */
static int64_t wrap_add(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

int sym_fetch_add(struct up_fetch *f, int64_t imm)
{
	if (imm == 0)
		return 0;
	if (f->nops && f->ops[f->nops - 1].op == UP_FOP_ADD) {
		f->ops[f->nops - 1].imm = wrap_add(f->ops[f->nops - 1].imm, imm);
		return 0;
	}
	if (f->base == UP_FETCH_CONST && f->nops == 0) {
		f->imm = wrap_add(f->imm, imm);
		return 0;
	}
	if (f->nops >= UP_FETCH_MAX_OPS)
		return -E2BIG;
	f->ops[f->nops++] = (struct up_fetch_op){.op = UP_FOP_ADD, .imm = imm};
	return 0;
}

int sym_fetch_load(struct up_fetch *f, unsigned size)
{
	if (f->nops >= UP_FETCH_MAX_OPS)
		return -E2BIG;
	f->ops[f->nops++] = (struct up_fetch_op){.op = UP_FOP_LOAD, .size = size};
	return 0;
}

static int fetch_reg(struct sym_dwarf_ctx *c, unsigned dwarf_regno, struct up_fetch *f)
{
	const struct up_arch *arch = c->s->t->arch;
	int reg;

	if (!arch)
		return -ENOTSUP;
	reg = arch->dwarf_reg(arch, dwarf_regno);
	if (reg < 0)
		return -ENOTSUP;
	f->base = UP_FETCH_REG;
	f->reg = reg;
	return 0;
}

/* A register's value (DW_OP_regN): an integer register, or a floating-point one (xmm0, v0, f10). */
static int fetch_value_reg(struct sym_dwarf_ctx *c, unsigned dwarf_regno, struct up_fetch *f)
{
	const struct up_arch *arch = c->s->t->arch;
	int reg;

	if (fetch_reg(c, dwarf_regno, f) == 0)
		return 0;
	reg = arch ? arch->dwarf_fp_reg(arch, dwarf_regno) : -1;
	if (reg < 0 || reg >= UP_FPREGS_MAX)
		return -ENOTSUP;
	f->base = UP_FETCH_FPREG;
	f->reg = reg;
	return 0;
}

/* Register number of DW_OP_regN / DW_OP_regx, or -1. */
static int op_reg(const Dwarf_Op *op)
{
	if (op->atom >= DW_OP_reg0 && op->atom <= DW_OP_reg31)
		return op->atom - DW_OP_reg0;
	if (op->atom == DW_OP_regx)
		return (int)op->number;
	return -1;
}

/* DW_OP_bregN off / DW_OP_bregx: register and offset; false for other ops. */
static bool op_breg(const Dwarf_Op *op, unsigned *regno, int64_t *off)
{
	if (op->atom >= DW_OP_breg0 && op->atom <= DW_OP_breg31) {
		*regno = op->atom - DW_OP_breg0;
		*off = (int64_t)op->number;
		return true;
	}
	if (op->atom == DW_OP_bregx) {
		*regno = op->number;
		*off = (int64_t)op->number2;
		return true;
	}
	return false;
}

/* The CFA at pc (e.g. rsp+8 at a function's entry on x86_64) from .debug_frame or .eh_frame. */
static int frame_cfa(struct sym_dwarf_ctx *c, struct up_fetch *f)
{
	Dwarf_CFI *cfis[2];
	Dwarf_Addr biases[2] = {0, 0};
	int err = -ENOENT;

	cfis[0] = dwfl_module_dwarf_cfi(c->mod, &biases[0]);
	cfis[1] = dwfl_module_eh_cfi(c->mod, &biases[1]);
	for (int i = 0; i < 2; i++) {
		Dwarf_Frame *frame = NULL;
		Dwarf_Op *ops;
		size_t nops;
		unsigned regno;
		int64_t off;

		if (!cfis[i] || dwarf_cfi_addrframe(cfis[i], c->pc - biases[i], &frame) != 0)
			continue;
		if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1 &&
		    op_breg(&ops[0], &regno, &off)) {
			err = fetch_reg(c, regno, f);
			if (!err)
				err = sym_fetch_add(f, off);
		} else {
			err = -ENOTSUP;
		}
		free(frame);
		if (!err)
			return 0;
	}
	return err;
}

/* The frame base of the function (DW_AT_frame_base) at pc, as a value. */
static int frame_base(struct sym_dwarf_ctx *c, struct up_fetch *f)
{
	Dwarf_Attribute attr;
	Dwarf_Op *expr;
	size_t len;
	unsigned regno;
	int64_t off;
	int reg, err;

	if (c->func < 0 || !dwarf_attr_integrate(&c->scopes[c->func], DW_AT_frame_base, &attr))
		return -ENOENT;
	if (dwarf_getlocation_addr(&attr, c->pc - c->bias, &expr, &len, 1) <= 0 || len != 1)
		return -ENOTSUP;
	if (expr[0].atom == DW_OP_call_frame_cfa)
		return frame_cfa(c, f);
	reg = op_reg(&expr[0]);
	if (reg >= 0)
		return fetch_reg(c, reg, f);
	if (op_breg(&expr[0], &regno, &off)) {
		err = fetch_reg(c, regno, f);
		return err ? err : sym_fetch_add(f, off);
	}
	return -ENOTSUP;
}

/* One location expression: the start of an address (is_address) or a value. */
static int expression(struct sym_dwarf_ctx *c, const Dwarf_Op *expr, size_t len,
		      struct sym_value *v)
{
	unsigned regno;
	int64_t off;
	int reg, err;

	if (len == 2 && expr[1].atom == DW_OP_stack_value) {
		/* The value is what the first op computes. */
		err = expression(c, expr, 1, v);
		if (err)
			return err;
		if (!v->is_address)
			return -ENOTSUP;
		v->is_address = false;
		return 0;
	}
	if (len != 1)
		return -ENOTSUP;
	v->is_address = true;
	reg = op_reg(&expr[0]);
	if (reg >= 0) {
		v->is_address = false;
		return fetch_value_reg(c, reg, &v->fetch);
	}
	if (op_breg(&expr[0], &regno, &off)) {
		err = fetch_reg(c, regno, &v->fetch);
		return err ? err : sym_fetch_add(&v->fetch, off);
	}
	switch (expr[0].atom) {
	case DW_OP_fbreg:
		err = frame_base(c, &v->fetch);
		return err ? err : sym_fetch_add(&v->fetch, (int64_t)expr[0].number);
	case DW_OP_addr:
		v->fetch.base = UP_FETCH_CONST;
		v->fetch.imm = expr[0].number + c->bias;
		return 0;
	case DW_OP_lit0 ... DW_OP_lit31:
		v->fetch.base = UP_FETCH_CONST;
		v->fetch.imm = expr[0].atom - DW_OP_lit0;
		return 0;
	case DW_OP_const1u:
	case DW_OP_const2u:
	case DW_OP_const4u:
	case DW_OP_const8u:
	case DW_OP_constu:
	case DW_OP_const1s:
	case DW_OP_const2s:
	case DW_OP_const4s:
	case DW_OP_const8s:
	case DW_OP_consts:
		v->fetch.base = UP_FETCH_CONST;
		v->fetch.imm = (int64_t)expr[0].number;
		return 0;
	}
	return -ENOTSUP;
}

int sym_location(struct sym_dwarf_ctx *c, Dwarf_Die *var, struct sym_value *v)
{
	Dwarf_Attribute attr;
	Dwarf_Op *expr;
	size_t len;
	int n;

	if (!dwarf_attr_integrate(var, DW_AT_location, &attr))
		return -ENOENT; /* optimised out everywhere */
	n = dwarf_getlocation_addr(&attr, c->pc - c->bias, &expr, &len, 1);
	if (n <= 0)
		return -ENOENT; /* not available at this pc */
	return expression(c, expr, len, v);
}

bool sym_location_in_frame(struct sym_dwarf_ctx *c, Dwarf_Die *var)
{
	Dwarf_Attribute attr;
	Dwarf_Op *expr;
	size_t len;

	return dwarf_attr_integrate(var, DW_AT_location, &attr) &&
	       dwarf_getlocation_addr(&attr, c->pc - c->bias, &expr, &len, 1) > 0 && len >= 1 &&
	       expr[0].atom == DW_OP_fbreg;
}

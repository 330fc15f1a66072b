/* SPDX-License-Identifier: MIT */
/*
 * Simulation of the instructions decode() marked UP_INSN_SIMULATE, from the
 * operands it left in insn->priv[]: no decoding here, no allocation. The
 * effect is computed on a copy of the registers and committed only when
 * every memory access succeeded, so on error regs are unchanged. Register
 * number 31 is the zero register except where the instruction means sp
 * (add/sub immediate, load/store base).
 */
#include <errno.h>
#include <string.h>

#include "aarch64.h"
#include "common/bits.h"

/* PSTATE.BTYPE: cleared as after any instruction that is not an indirect branch. */
#define PSTATE_BTYPE 0xc00ull

static inline uint64_t xreg(const struct up_regs *regs, int64_t n)
{
	return n == 31 ? 0 : regs->r[n];
}

static inline uint64_t xreg_sp(const struct up_regs *regs, int64_t n)
{
	return regs->r[n == 31 ? UP_A64_SP : n];
}

static inline void set_xreg(struct up_regs *regs, int64_t n, uint64_t v)
{
	if (n != 31)
		regs->r[n] = v;
}

/* The Arm ARM's ConditionHolds() on PSTATE.NZCV. */
static bool condition_holds(uint64_t pstate, unsigned cond)
{
	bool n = pstate >> 31 & 1, z = pstate >> 30 & 1, c = pstate >> 29 & 1, v = pstate >> 28 & 1;
	bool r;

	switch (cond >> 1) {
	case 0:
		r = z;
		break;
	case 1:
		r = c;
		break;
	case 2:
		r = n;
		break;
	case 3:
		r = v;
		break;
	case 4:
		r = c && !z;
		break;
	case 5:
		r = n == v;
		break;
	case 6:
		r = n == v && !z;
		break;
	default:
		return true; /* al, nv */
	}
	return cond & 1 ? !r : r;
}

/* A loaded value as the destination register holds it: extended to X, or W zero-extended. */
static uint64_t load_value(const uint8_t *b, unsigned size, bool sign, bool wide)
{
	uint64_t v = le_load(b, size);

	if (sign && size < 8)
		v = (uint64_t)sign_extend(v, 8 * size);
	return wide ? v : (uint32_t)v;
}

/* stp/ldp and str/ldr (immediate): one access of one or two registers. */
static int load_store(const struct up_insn *insn, struct up_regs *regs, const struct up_mem *mem,
		      unsigned nregs)
{
	const int64_t *p = insn->priv;
	uint64_t flags = (uint64_t)p[UP_A64_PRIV_FLAGS], base = xreg_sp(regs, p[UP_A64_PRIV_RN]);
	uint64_t ea = base + (uint64_t)p[UP_A64_PRIV_IMM];
	unsigned size = (unsigned)p[UP_A64_PRIV_SIZE];
	int64_t rt[2] = {p[UP_A64_PRIV_RD], p[UP_A64_PRIV_RT2]};
	uint8_t buf[16];
	int err;

	if (flags & UP_A64_F_POST)
		ea = base;
	if (flags & UP_A64_F_LOAD) {
		err = mem->read(mem->ctx, ea, buf, size * nregs);
		if (err)
			return err;
		for (unsigned i = 0; i < nregs; i++)
			set_xreg(regs, rt[i],
				 load_value(buf + i * size, size, flags & UP_A64_F_SIGNED,
					    flags & UP_A64_F_64));
	} else {
		for (unsigned i = 0; i < nregs; i++)
			le_store(buf + i * size, xreg(regs, rt[i]), size);
		err = mem->write(mem->ctx, ea, buf, size * nregs);
		if (err)
			return err;
	}
	if (flags & UP_A64_F_WBACK)
		regs->r[p[UP_A64_PRIV_RN] == 31 ? UP_A64_SP : p[UP_A64_PRIV_RN]] =
		    base + (uint64_t)p[UP_A64_PRIV_IMM];
	return 0;
}

int up_a64_simulate(const struct up_arch *a, const struct up_insn *insn, struct up_regs *regs,
		    const struct up_mem *mem)
{
	const int64_t *p = insn->priv;
	uint64_t target = (uint64_t)p[UP_A64_PRIV_TARGET], next = insn->addr + 4, v;
	uint64_t flags = (uint64_t)p[UP_A64_PRIV_FLAGS];
	int64_t rd = p[UP_A64_PRIV_RD], rn = p[UP_A64_PRIV_RN];
	struct up_regs r = *regs;
	uint8_t buf[8];
	int err;

	if (insn->action != UP_INSN_SIMULATE)
		return -EINVAL;
	switch ((enum up_a64_op)insn->op) {
	case UP_A64_OP_B:
		next = target;
		break;
	case UP_A64_OP_BL:
		r.r[UP_A64_LR] = insn->addr + 4;
		next = target;
		break;
	case UP_A64_OP_BCOND:
		if (condition_holds(r.r[UP_A64_PSTATE], (unsigned)p[UP_A64_PRIV_IMM]))
			next = target;
		break;
	case UP_A64_OP_CBZ:
	case UP_A64_OP_CBNZ:
		v = xreg(&r, rd);
		if (!(flags & UP_A64_F_64))
			v = (uint32_t)v;
		if ((v == 0) == (insn->op == UP_A64_OP_CBZ))
			next = target;
		break;
	case UP_A64_OP_TBZ:
	case UP_A64_OP_TBNZ:
		v = xreg(&r, rd) >> p[UP_A64_PRIV_IMM] & 1;
		if (v == (insn->op == UP_A64_OP_TBNZ))
			next = target;
		break;
	case UP_A64_OP_ADR:
		set_xreg(&r, rd, target);
		break;
	case UP_A64_OP_BR:
		next = xreg(&r, rn);
		break;
	case UP_A64_OP_BLR:
		next = xreg(&r, rn);
		r.r[UP_A64_LR] = insn->addr + 4;
		break;
	case UP_A64_OP_NOP:
		break;
	case UP_A64_OP_LDR_LIT:
		err = mem->read(mem->ctx, target, buf, (size_t)p[UP_A64_PRIV_SIZE]);
		if (err)
			return err;
		set_xreg(&r, rd,
			 load_value(buf, (unsigned)p[UP_A64_PRIV_SIZE], flags & UP_A64_F_SIGNED,
				    flags & UP_A64_F_64));
		break;
	case UP_A64_OP_LDST_PAIR:
	case UP_A64_OP_LDST_IMM:
		err = load_store(insn, &r, mem, insn->op == UP_A64_OP_LDST_PAIR ? 2 : 1);
		if (err)
			return err;
		break;
	case UP_A64_OP_ADDSUB_IMM:
		v = xreg_sp(&r, rn) + (uint64_t)p[UP_A64_PRIV_IMM];
		r.r[rd == 31 ? UP_A64_SP : rd] = flags & UP_A64_F_64 ? v : (uint32_t)v;
		break;
	case UP_A64_OP_MOV_REG:
		v = xreg(&r, rn);
		set_xreg(&r, rd, flags & UP_A64_F_64 ? v : (uint32_t)v);
		break;
	case UP_A64_OP_MOVE_WIDE:
		v = (uint64_t)p[UP_A64_PRIV_IMM];
		if (flags & UP_A64_F_MOVK)
			v |= xreg(&r, rd) & ~(0xffffull << p[UP_A64_PRIV_TARGET]);
		else if (flags & UP_A64_F_MOVN)
			v = ~v;
		set_xreg(&r, rd, flags & UP_A64_F_64 ? v : (uint32_t)v);
		break;
	default:
		return -EINVAL;
	}
	r.r[UP_A64_PC] = next;
	r.r[UP_A64_PSTATE] &= ~PSTATE_BTYPE;
	*regs = r;
	return 0;
}

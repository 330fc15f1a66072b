/* SPDX-License-Identifier: MIT */
/*
 * Simulation of the displaced instruction in the tracer, on every hit.
 * decode.c left every operand in insn->priv[], so this file only does
 * arithmetic on registers and reads or writes target memory through
 * struct up_mem: no Capstone, no allocation. Registers are computed in a
 * copy and committed at the end, so a failed memory access leaves them
 * unchanged; memory is read before it is written.
 */
#include <errno.h>
#include <string.h>

#include "x86_64.h"

/* The sixteen conditions of jcc/setcc/cmovcc, by the low nibble of the opcode. */
static bool condition(unsigned cc, uint64_t eflags)
{
	bool cf = eflags & X86_FLAG_CF, pf = eflags & X86_FLAG_PF;
	bool zf = eflags & X86_FLAG_ZF, sf = eflags & X86_FLAG_SF;
	bool of = eflags & X86_FLAG_OF;
	bool r;

	switch ((cc >> 1) & 7) {
	case 0: /* o */
		r = of;
		break;
	case 1: /* b */
		r = cf;
		break;
	case 2: /* e */
		r = zf;
		break;
	case 3: /* be */
		r = cf || zf;
		break;
	case 4: /* s */
		r = sf;
		break;
	case 5: /* p */
		r = pf;
		break;
	case 6: /* l */
		r = sf != of;
		break;
	default: /* le */
		r = zf || sf != of;
		break;
	}
	return (cc & 1) ? !r : r;
}

/* rflags after a 64-bit add or sub: CF PF AF ZF SF OF from the operands, the rest kept. */
static uint64_t arith_flags(uint64_t eflags, uint64_t a, uint64_t b, uint64_t res, bool sub)
{
	uint64_t f = eflags & ~(uint64_t)(X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF |
					  X86_FLAG_SF | X86_FLAG_OF);

	if (sub ? a < b : res < a)
		f |= X86_FLAG_CF;
	if (!(__builtin_popcount((unsigned)(res & 0xff)) & 1))
		f |= X86_FLAG_PF;
	if ((a ^ b ^ res) & 0x10)
		f |= X86_FLAG_AF;
	if (res == 0)
		f |= X86_FLAG_ZF;
	if (res >> 63)
		f |= X86_FLAG_SF;
	/* Overflow: the operands' signs (b negated for sub) agree and the result's differs. */
	if (((sub ? (a ^ b) : ~(a ^ b)) & (a ^ res)) >> 63)
		f |= X86_FLAG_OF;
	return f;
}

static int push64(struct up_regs *regs, const struct up_mem *mem, uint64_t value)
{
	uint64_t sp = regs->r[UP_X86_RSP] - 8;
	int err = mem->write(mem->ctx, sp, &value, sizeof(value));

	if (err)
		return err;
	regs->r[UP_X86_RSP] = sp;
	return 0;
}

static int pop64(struct up_regs *regs, const struct up_mem *mem, uint64_t *value)
{
	int err = mem->read(mem->ctx, regs->r[UP_X86_RSP], value, sizeof(*value));

	if (err)
		return err;
	regs->r[UP_X86_RSP] += 8;
	return 0;
}

/* The target of an indirect call or jmp: a register, or the word at base+index*scale+disp. */
static int indirect_target(const struct up_insn *insn, const struct up_regs *regs,
			   const struct up_mem *mem, uint64_t *target)
{
	const int64_t *p = insn->priv;
	uint64_t ea;

	if (p[X86_IND_KIND] == 0) {
		*target = regs->r[p[X86_IND_BASE]];
		return 0;
	}
	ea = (uint64_t)p[X86_IND_DISP];
	if (p[X86_IND_BASE] >= 0)
		ea += regs->r[p[X86_IND_BASE]];
	if (p[X86_IND_INDEX] >= 0)
		ea += regs->r[p[X86_IND_INDEX]] * (uint64_t)p[X86_IND_SCALE];
	if (p[X86_IND_SEGMENT] >= 0)
		ea += regs->r[p[X86_IND_SEGMENT]];
	return mem->read(mem->ctx, ea, target, sizeof(*target));
}

int up_x86_64_simulate(const struct up_arch *arch, const struct up_insn *insn, struct up_regs *regs,
		       const struct up_mem *mem)
{
	struct up_regs r = *regs;
	const int64_t *p = insn->priv;
	uint64_t next = insn->addr + insn->len, target = 0, count, mask, a, b, res;
	int err = 0;

	if (insn->action != UP_INSN_SIMULATE)
		return -EINVAL;
	r.r[UP_X86_RIP] = next;
	switch (insn->op) {
	case X86_CLASS_NOP:
		break;
	case X86_CLASS_PUSH_REG:
		err = push64(&r, mem, regs->r[p[0]]);
		break;
	case X86_CLASS_PUSH_IMM:
		err = push64(&r, mem, (uint64_t)p[0]);
		break;
	case X86_CLASS_JMP:
		r.r[UP_X86_RIP] = (uint64_t)p[0];
		break;
	case X86_CLASS_JCC:
		if (condition((unsigned)p[1], regs->r[UP_X86_EFLAGS]))
			r.r[UP_X86_RIP] = (uint64_t)p[0];
		break;
	case X86_CLASS_JRCXZ:
		if ((regs->r[UP_X86_RCX] & (uint64_t)p[1]) == 0)
			r.r[UP_X86_RIP] = (uint64_t)p[0];
		break;
	case X86_CLASS_LOOP:
	case X86_CLASS_LOOPE:
	case X86_CLASS_LOOPNE:
		/* The counter is rcx, or ecx (zero-extended) with an address-size prefix. */
		mask = (uint64_t)p[1];
		count = (regs->r[UP_X86_RCX] - 1) & mask;
		r.r[UP_X86_RCX] = (regs->r[UP_X86_RCX] & ~mask) | count;
		if (mask != UINT64_MAX)
			r.r[UP_X86_RCX] = count;
		if (count != 0 &&
		    (insn->op == X86_CLASS_LOOP ||
		     (insn->op == X86_CLASS_LOOPE) == !!(regs->r[UP_X86_EFLAGS] & X86_FLAG_ZF)))
			r.r[UP_X86_RIP] = (uint64_t)p[0];
		break;
	case X86_CLASS_CALL:
		err = push64(&r, mem, next);
		r.r[UP_X86_RIP] = (uint64_t)p[0];
		break;
	case X86_CLASS_CALL_IND:
		err = indirect_target(insn, regs, mem, &target);
		if (!err)
			err = push64(&r, mem, next);
		r.r[UP_X86_RIP] = target;
		break;
	case X86_CLASS_JMP_IND:
		err = indirect_target(insn, regs, mem, &target);
		r.r[UP_X86_RIP] = target;
		break;
	case X86_CLASS_RET:
		err = pop64(&r, mem, &target);
		r.r[UP_X86_RSP] += (uint64_t)p[0];
		r.r[UP_X86_RIP] = target;
		break;
	case X86_CLASS_MOV_RR:
		/* A 32-bit destination is zero-extended, as the hardware does. */
		r.r[p[0]] = p[2] == 4 ? (uint32_t)regs->r[p[1]] : regs->r[p[1]];
		break;
	case X86_CLASS_ADD_IMM:
		a = regs->r[p[0]];
		b = (uint64_t)p[1];
		res = p[2] ? a - b : a + b;
		r.r[p[0]] = res;
		r.r[UP_X86_EFLAGS] = arith_flags(regs->r[UP_X86_EFLAGS], a, b, res, p[2]);
		break;
	case X86_CLASS_LEAVE:
		r.r[UP_X86_RSP] = regs->r[UP_X86_RBP];
		err = pop64(&r, mem, &target);
		r.r[UP_X86_RBP] = target;
		break;
	default:
		return -EINVAL;
	}
	if (err)
		return err;
	*regs = r;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * loongarch64 simulation: applies the effect of an instruction decode()
 * marked UP_INSN_SIMULATE to the registers (and, for ld.d/st.d, to memory
 * through up_mem), from the operands decode() left in insn->priv[]. Runs at
 * every hit, so it neither decodes nor allocates. $zero reads as zero and
 * writes to it are dropped; rj is read before rd is written (jirl $ra, $ra, 0).
 */
#include <errno.h>

#include "loongarch64.h"
#include "common/bits.h"
#include "common/zero_reg.h"

static bool branch_taken(int64_t cond, uint64_t a, uint64_t b)
{
	switch (cond) {
	case UP_LA_EQ:
		return a == b;
	case UP_LA_NE:
		return a != b;
	case UP_LA_LT:
		return (int64_t)a < (int64_t)b;
	case UP_LA_GE:
		return (int64_t)a >= (int64_t)b;
	case UP_LA_LTU:
		return a < b;
	default:
		return a >= b;
	}
}

int up_la_simulate(const struct up_arch *a, const struct up_insn *insn, struct up_regs *regs,
		   const struct up_mem *mem)
{
	const int64_t *p = insn->priv;
	int64_t rd = p[UP_LA_PRIV_RD];
	uint64_t next = insn->addr + 4, j = zr_get(regs, p[UP_LA_PRIV_RJ]);
	uint64_t imm = (uint64_t)p[UP_LA_PRIV_IMM];
	uint8_t buf[8];
	int err;

	if (insn->action != UP_INSN_SIMULATE)
		return -EINVAL;
	switch (insn->op) {
	case UP_LA_OP_PCADD:
		zr_set(regs, rd, insn->addr + imm);
		break;
	case UP_LA_OP_PCALAU12I:
		zr_set(regs, rd, (insn->addr + imm) & ~(uint64_t)0xfff);
		break;
	case UP_LA_OP_JUMP:
		zr_set(regs, rd, next);
		next = insn->addr + imm;
		break;
	case UP_LA_OP_JIRL:
		zr_set(regs, rd, next);
		next = j + imm;
		break;
	case UP_LA_OP_BRANCH:
		if (branch_taken(p[UP_LA_PRIV_COND], j, zr_get(regs, rd)))
			next = insn->addr + imm;
		break;
	case UP_LA_OP_ADDI:
		zr_set(regs, rd, j + imm);
		break;
	case UP_LA_OP_ORI:
		zr_set(regs, rd, j | imm);
		break;
	case UP_LA_OP_ANDI:
		zr_set(regs, rd, j & imm);
		break;
	case UP_LA_OP_OR:
		zr_set(regs, rd, j | zr_get(regs, p[UP_LA_PRIV_RK]));
		break;
	case UP_LA_OP_LI:
		zr_set(regs, rd, imm);
		break;
	case UP_LA_OP_ST:
		le_store(buf, zr_get(regs, rd), 8);
		err = mem->write(mem->ctx, j + imm, buf, 8);
		if (err)
			return err;
		break;
	case UP_LA_OP_LD:
		err = mem->read(mem->ctx, j + imm, buf, 8);
		if (err)
			return err;
		zr_set(regs, rd, le_load(buf, 8));
		break;
	case UP_LA_OP_NOP:
		break;
	default:
		return -EINVAL;
	}
	regs->r[UP_LA_PC] = next;
	return 0;
}

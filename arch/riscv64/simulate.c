/* SPDX-License-Identifier: MIT */
/*
 * riscv64 simulation: applies the effect of an instruction decode() marked
 * UP_INSN_SIMULATE to the registers (and, for sd/ld, to memory through
 * up_mem), from the operands decode() left in insn->priv[]. Runs at every
 * hit, so it neither decodes nor allocates. x0 reads as zero and writes to
 * it are dropped; rs1 is read before rd is written (jalr ra,0(ra)).
 */
#include <errno.h>

#include "riscv64.h"
#include "common/bits.h"
#include "common/zero_reg.h"

static bool branch_taken(int64_t cond, uint64_t a, uint64_t b)
{
	switch (cond) {
	case 0:
		return a == b;
	case 1:
		return a != b;
	case 4:
		return (int64_t)a < (int64_t)b;
	case 5:
		return (int64_t)a >= (int64_t)b;
	case 6:
		return a < b;
	default:
		return a >= b;
	}
}

int up_rv_simulate(const struct up_arch *arch, const struct up_insn *insn, struct up_regs *regs,
		   const struct up_mem *mem)
{
	const int64_t *p = insn->priv;
	uint64_t next = insn->addr + insn->len, a = zr_get(regs, p[UP_RV_PRIV_RS1]);
	uint64_t b = zr_get(regs, p[UP_RV_PRIV_RS2]), imm = (uint64_t)p[UP_RV_PRIV_IMM];
	uint8_t buf[8];
	int err;

	if (insn->action != UP_INSN_SIMULATE)
		return -EINVAL;
	switch (insn->op) {
	case UP_RV_OP_JAL:
		zr_set(regs, p[UP_RV_PRIV_RD], next);
		next = insn->addr + imm;
		break;
	case UP_RV_OP_JALR:
		zr_set(regs, p[UP_RV_PRIV_RD], next);
		next = (a + imm) & ~(uint64_t)1;
		break;
	case UP_RV_OP_AUIPC:
		zr_set(regs, p[UP_RV_PRIV_RD], insn->addr + imm);
		break;
	case UP_RV_OP_BRANCH:
		if (branch_taken(p[UP_RV_PRIV_COND], a, b))
			next = insn->addr + imm;
		break;
	case UP_RV_OP_ADDI:
		zr_set(regs, p[UP_RV_PRIV_RD], a + imm);
		break;
	case UP_RV_OP_LUI:
		zr_set(regs, p[UP_RV_PRIV_RD], imm);
		break;
	case UP_RV_OP_ADD:
		zr_set(regs, p[UP_RV_PRIV_RD], a + b);
		break;
	case UP_RV_OP_SD:
		le_store(buf, b, 8);
		err = mem->write(mem->ctx, a + imm, buf, 8);
		if (err)
			return err;
		break;
	case UP_RV_OP_LD:
		err = mem->read(mem->ctx, a + imm, buf, 8);
		if (err)
			return err;
		zr_set(regs, p[UP_RV_PRIV_RD], le_load(buf, 8));
		break;
	case UP_RV_OP_NOP:
		break;
	default:
		return -EINVAL;
	}
	regs->r[UP_RV_PC] = next;
	return 0;
}

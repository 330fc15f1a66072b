/* SPDX-License-Identifier: MIT */
/*
 * Private to arch/riscv64: the instruction classes decode() records in
 * up_insn.op and the layout of up_insn.priv[], shared by the decoder, the
 * simulator and the XOL builder. decode() fills them once at install time,
 * so simulate() only reads fields at each hit.
 */
#ifndef UPTRACE_ARCH_RISCV64_H
#define UPTRACE_ARCH_RISCV64_H

#include "uptrace/arch.h"

/* up_insn.op for riscv64: what simulate() does. */
enum up_rv_op {
	UP_RV_OP_NONE = 0, /* XOL or refused: nothing to simulate */
	UP_RV_OP_JAL,	   /* rd = addr + len; pc = addr + imm */
	UP_RV_OP_JALR,	   /* rd = addr + len; pc = (rs1 + imm) & ~1 */
	UP_RV_OP_AUIPC,	   /* rd = addr + imm */
	UP_RV_OP_BRANCH,   /* if (rs1 COND rs2) pc = addr + imm */
	UP_RV_OP_ADDI,	   /* rd = rs1 + imm (addi, c.addi, c.li, c.addi16sp, c.addi4spn) */
	UP_RV_OP_LUI,	   /* rd = imm (lui, c.lui) */
	UP_RV_OP_ADD,	   /* rd = rs1 + rs2 (add, c.add, c.mv with rs1 = x0) */
	UP_RV_OP_SD,	   /* 8 bytes at rs1 + imm = rs2 */
	UP_RV_OP_LD,	   /* rd = 8 bytes at rs1 + imm */
	UP_RV_OP_NOP,	   /* nothing but pc += len */
};

/* up_insn.priv[] indexes. */
enum {
	UP_RV_PRIV_RD,
	UP_RV_PRIV_RS1,
	UP_RV_PRIV_RS2,
	UP_RV_PRIV_IMM,	 /* sign-extended immediate or offset */
	UP_RV_PRIV_COND, /* branches: funct3 (0 beq 1 bne 4 blt 5 bge 6 bltu 7 bgeu) */
};

/* Encodings used by several files. */
#define UP_RV_EBREAK 0x00100073u
#define UP_RV_C_EBREAK 0x9002u
#define UP_RV_ECALL 0x00000073u

extern const char *const up_rv_reg_names[UP_RV_NREGS];
extern const char *const up_rv_freg_names[32];

int up_rv_decode(const struct up_arch *a, struct up_insn *insn, uint64_t addr, const uint8_t *bytes,
		 size_t avail);
unsigned up_rv_insn_length(const struct up_arch *a, const uint8_t *bytes, size_t avail);
int up_rv_simulate(const struct up_arch *a, const struct up_insn *insn, struct up_regs *regs,
		   const struct up_mem *mem);
int up_rv_xol_build(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
		    struct up_xol *xol);

#endif

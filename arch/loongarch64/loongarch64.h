/* SPDX-License-Identifier: MIT */
/*
 * Private to arch/loongarch64: the instruction classes decode() records in
 * up_insn.op and the layout of up_insn.priv[], shared by the decoder, the
 * simulator and the XOL builder. decode() fills them once at install time;
 * simulate() only reads them at each hit.
 */
#ifndef UPTRACE_ARCH_LOONGARCH64_H
#define UPTRACE_ARCH_LOONGARCH64_H

#include "uptrace/arch.h"

/* up_insn.op for loongarch64: what simulate() does. */
enum up_la_op {
	UP_LA_OP_NONE = 0,  /* XOL or refused: nothing to simulate */
	UP_LA_OP_PCADD,	    /* rd = addr + imm (pcaddi, pcaddu12i, pcaddu18i; imm pre-shifted) */
	UP_LA_OP_PCALAU12I, /* rd = (addr + imm) & ~0xfff */
	UP_LA_OP_JUMP,	    /* rd = addr + 4 (bl: rd = ra; b: rd = zero); pc = addr + imm */
	UP_LA_OP_JIRL,	    /* rd = addr + 4; pc = rj + imm */
	UP_LA_OP_BRANCH,    /* if (rj COND rd) pc = addr + imm; beqz/bnez use rd = zero */
	UP_LA_OP_ADDI,	    /* rd = rj + imm (addi.d) */
	UP_LA_OP_ORI,	    /* rd = rj | imm (ori: imm zero-extended) */
	UP_LA_OP_ANDI,	    /* rd = rj & imm */
	UP_LA_OP_OR,	    /* rd = rj | rk (or, move) */
	UP_LA_OP_LI,	    /* rd = imm (lu12i.w: imm sign-extended from 32 bits) */
	UP_LA_OP_LD,	    /* rd = 8 bytes at rj + imm (ld.d) */
	UP_LA_OP_ST,	    /* 8 bytes at rj + imm = rd (st.d) */
	UP_LA_OP_NOP,	    /* pc += 4 */
};

/* up_insn.priv[] indexes. */
enum {
	UP_LA_PRIV_RD,
	UP_LA_PRIV_RJ,
	UP_LA_PRIV_RK,
	UP_LA_PRIV_IMM,	 /* sign-extended immediate, byte offsets already scaled */
	UP_LA_PRIV_COND, /* branches: enum up_la_cond */
};

enum up_la_cond { UP_LA_EQ, UP_LA_NE, UP_LA_LT, UP_LA_GE, UP_LA_LTU, UP_LA_GEU };

#define UP_LA_BREAK0 0x002a0000u
#define UP_LA_SYSCALL0 0x002b0000u
#define UP_LA_B 0x50000000u

extern const char *const up_la_reg_names[UP_LA_NREGS];

int up_la_decode(const struct up_arch *a, struct up_insn *insn, uint64_t addr, const uint8_t *bytes,
		 size_t avail);
int up_la_simulate(const struct up_arch *a, const struct up_insn *insn, struct up_regs *regs,
		   const struct up_mem *mem);
int up_la_xol_build(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
		    struct up_xol *xol);

#endif

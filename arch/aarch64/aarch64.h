/* SPDX-License-Identifier: MIT */
/*
 * Private to arch/aarch64: the instruction classes decode() records in
 * up_insn.op and the layout of up_insn.priv[], shared by the decoder, the
 * simulator and the XOL builder. decode() fills them once at install time
 * (branch targets and PC-relative addresses already computed), so simulate()
 * only reads fields at each hit.
 */
#ifndef UPTRACE_ARCH_AARCH64_H
#define UPTRACE_ARCH_AARCH64_H

#include "uptrace/arch.h"

/* up_insn.op for aarch64: what simulate() does, or how the slot is built. */
enum up_a64_op {
	UP_A64_OP_NONE = 0,   /* refused */
	UP_A64_OP_XOL,	      /* runs as is in a slot: nothing depends on its PC */
	UP_A64_OP_XOL_BRANCH, /* braa/retaa...: runs in a slot, never comes back to it */
	UP_A64_OP_B,	      /* pc = target */
	UP_A64_OP_BL,	      /* x30 = addr + 4; pc = target */
	UP_A64_OP_BCOND,      /* if (cond(NZCV)) pc = target */
	UP_A64_OP_CBZ,	      /* if (Rt == 0) pc = target */
	UP_A64_OP_CBNZ,	      /* if (Rt != 0) pc = target */
	UP_A64_OP_TBZ,	      /* if (!(Rt & 1 << bit)) pc = target */
	UP_A64_OP_TBNZ,	      /* if (Rt & 1 << bit) pc = target */
	UP_A64_OP_ADR,	      /* Rd = value (adr, adrp: computed at decode) */
	UP_A64_OP_BR,	      /* pc = Rn (br, ret) */
	UP_A64_OP_BLR,	      /* pc = Rn; x30 = addr + 4 */
	UP_A64_OP_NOP,	      /* pc += 4 (nop, bti, prfm literal) */
	UP_A64_OP_LDR_LIT,    /* Rt = size bytes at address (zero- or sign-extended) */
	UP_A64_OP_LDST_PAIR,  /* stp/ldp/ldpsw/stnp/ldnp of GPRs */
	UP_A64_OP_LDST_IMM,   /* str/ldr/strb/ldrsw... of a GPR, immediate offset */
	UP_A64_OP_ADDSUB_IMM, /* Rd|SP = Rn|SP + imm (add/sub immediate, no flags) */
	UP_A64_OP_MOV_REG,    /* Rd = Rm (orr Rd, zr, Rm) */
	UP_A64_OP_MOVE_WIDE,  /* movz / movn / movk */
};

/* up_insn.priv[] indexes. */
enum {
	UP_A64_PRIV_TARGET = 0, /* branch target, adr value, literal address */
	UP_A64_PRIV_RD = 1,	/* destination or tested register (Rt, Rd) */
	UP_A64_PRIV_RN = 2,	/* base or source register (Rn, Rm) */
	UP_A64_PRIV_RT2 = 3,	/* second register of a pair */
	UP_A64_PRIV_IMM = 4,	/* offset, immediate, condition, bit number */
	UP_A64_PRIV_SIZE = 5,	/* access size in bytes; 4 or 8 for register width */
	UP_A64_PRIV_FLAGS = 6,	/* UP_A64_F_* */
};

/* UP_A64_PRIV_FLAGS bits. */
#define UP_A64_F_LOAD 0x1   /* load (else store) */
#define UP_A64_F_WBACK 0x2  /* base register written back */
#define UP_A64_F_POST 0x4   /* post-index: access at the old base */
#define UP_A64_F_SIGNED 0x8 /* sign-extend the loaded value */
#define UP_A64_F_64 0x10    /* 64-bit destination (X, else W zero-extended) */
#define UP_A64_F_MOVN 0x20  /* move wide: movn */
#define UP_A64_F_MOVK 0x40  /* move wide: movk (else movz) */

/* Encodings used by several files. */
#define UP_A64_BRK0 0xd4200000u
#define UP_A64_SVC0 0xd4000001u
#define UP_A64_B 0x14000000u

extern const char *const up_a64_reg_names[UP_A64_NREGS];

int up_a64_decode(const struct up_arch *a, struct up_insn *insn, uint64_t addr,
		  const uint8_t *bytes, size_t avail);
int up_a64_simulate(const struct up_arch *a, const struct up_insn *insn, struct up_regs *regs,
		    const struct up_mem *mem);
int up_a64_xol_build(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
		     struct up_xol *xol);

#endif

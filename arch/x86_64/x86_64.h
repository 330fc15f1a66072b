/* SPDX-License-Identifier: MIT */
/*
 * Private to arch/x86_64: the instruction classes decode.c assigns to
 * struct up_insn.op and the layout of the operands it leaves in insn->priv[]
 * for simulate.c and xol.c, which therefore never run Capstone on a hit.
 */
#ifndef UPTRACE_ARCH_X86_64_H
#define UPTRACE_ARCH_X86_64_H

#include "uptrace/arch.h"

enum x86_class {
	X86_CLASS_NONE = 0,
	/* UP_INSN_SIMULATE */
	X86_CLASS_NOP,	    /* nop, multi-byte nop, endbr64/endbr32 */
	X86_CLASS_PUSH_REG, /* priv[0] = register index */
	X86_CLASS_PUSH_IMM, /* priv[0] = sign-extended immediate */
	X86_CLASS_JMP,	    /* priv[0] = target */
	X86_CLASS_JCC,	    /* priv[0] = target, priv[1] = condition (low nibble of 0x7X) */
	X86_CLASS_JRCXZ,    /* priv[0] = target, priv[1] = counter mask (67 prefix: 32 bits) */
	X86_CLASS_LOOP,	    /* as JRCXZ */
	X86_CLASS_LOOPE,    /* as JRCXZ */
	X86_CLASS_LOOPNE,   /* as JRCXZ */
	X86_CLASS_CALL,	    /* priv[0] = target */
	X86_CLASS_CALL_IND, /* priv[] as X86_IND_* below */
	X86_CLASS_JMP_IND,  /* priv[] as X86_IND_* below */
	X86_CLASS_RET,	    /* priv[0] = bytes popped after the return address */
	X86_CLASS_MOV_RR,   /* priv[0] = destination, priv[1] = source, priv[2] = size 4|8 */
	X86_CLASS_LEAVE,
	X86_CLASS_ADD_IMM, /* add/sub $imm, reg64: priv[0] = register, [1] = imm, [2] = 1 for sub */
	/* UP_INSN_XOL */
	X86_CLASS_XOL,	      /* runs unchanged at any address */
	X86_CLASS_XOL_RIPREL, /* rip-relative: priv[] as X86_RIP_* below */
};

/* Indirect call/jmp operand in priv[]. */
enum {
	X86_IND_KIND,  /* 0: register, 1: memory */
	X86_IND_BASE,  /* register: the register; memory: base register or -1 */
	X86_IND_INDEX, /* index register or -1 */
	X86_IND_SCALE,
	X86_IND_DISP,	 /* with a rip base: already the absolute address */
	X86_IND_SEGMENT, /* UP_X86_FS_BASE, UP_X86_GS_BASE or -1 */
};

/* Rip-relative XOL fixup data in priv[]. */
enum {
	X86_RIP_DISP_OFFSET,  /* offset of the disp32 in the bytes */
	X86_RIP_MODRM_OFFSET, /* offset of the ModRM byte */
	X86_RIP_TARGET,	      /* the absolute address the operand refers to */
	X86_RIP_SCRATCH,      /* a register the insn does not touch, or -1 */
	X86_RIP_REX_OFFSET,   /* offset of a REX prefix, or -1 */
	X86_RIP_VEXB_OFFSET,  /* offset of the VEX3/XOP/EVEX byte holding ~B, or -1 */
};

/* Bits of eflags the conditions read. */
#define X86_FLAG_CF (1u << 0)
#define X86_FLAG_PF (1u << 2)
#define X86_FLAG_ZF (1u << 6)
#define X86_FLAG_SF (1u << 7)
#define X86_FLAG_OF (1u << 11)
#define X86_FLAG_AF (1u << 4)

/* The breakpoint (table.c says why it is not int3); slots that end in one use it too. */
#define X86_BP 0xf4

int up_x86_64_decode(const struct up_arch *a, struct up_insn *insn, uint64_t addr,
		     const uint8_t *bytes, size_t avail);
int up_x86_64_simulate(const struct up_arch *a, const struct up_insn *insn, struct up_regs *regs,
		       const struct up_mem *mem);
int up_x86_64_xol_build(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
			struct up_xol *xol);
void up_x86_64_xol_enter(const struct up_arch *a, const struct up_insn *insn,
			 const struct up_xol *xol, uint64_t slot_addr, struct up_regs *regs,
			 struct up_xol_state *state);
int up_x86_64_xol_leave(const struct up_arch *a, const struct up_insn *insn,
			const struct up_xol *xol, uint64_t slot_addr, struct up_regs *regs,
			const struct up_mem *mem, const struct up_xol_state *state);

/* The trap-free path's hooks (fastpath.c). */
extern const struct up_fast_ops up_x86_64_fast;
struct up_fast_tramp;
struct up_fast_site;
struct up_fast_reloc;
struct up_fast_fixup;
struct up_fetch;
int up_x86_64_fast_build(const struct up_arch *a, const struct up_fast_tramp *t, uint64_t addr,
			 uint8_t *code, size_t *len, struct up_fast_fixup *fixups,
			 unsigned *nfixups);
int up_x86_64_fast_can_fetch(const struct up_arch *a, const struct up_fetch *f, char *why,
			     size_t len);
bool up_x86_64_fast_has_key(const struct up_arch *a, uint64_t hwcap2);
uint64_t up_x86_64_fast_key_of(const struct up_arch *a, const struct up_regs *regs);
int up_x86_64_fast_leave(const struct up_arch *a, const struct up_fast_tramp *t, uint64_t tramp,
			 const struct up_fast_site *site, const struct up_fast_reloc *rel,
			 struct up_regs *regs, const struct up_mem *mem);
int up_x86_64_fast_stepped(const struct up_arch *a, const uint8_t *insn, size_t len,
			   const struct up_regs *regs, const struct up_mem *mem);

/* The in-process SIGTRAP handler (fallback/handler.c), built on x86_64 hosts only. */
extern const struct up_code_blob up_x86_64_fallback;

#endif

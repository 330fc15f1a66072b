/* SPDX-License-Identifier: MIT */
/*
 * Out-of-line execution: the slot code for an instruction decode.c marked
 * UP_INSN_XOL, and the register work around it.
 *
 * A slot is the instruction, re-targeted if it is rip-relative, then a jump
 * back to addr + len: `jmp rel32` when in reach, else `jmp *0(%rip)` and
 * the 8-byte address. Either way the thread leaves by itself (one stop).
 * When a rip-relative disp32 cannot reach its target from the slot, we do
 * as the kernel's uprobes do: ModRM is rewritten to [scratch + disp32],
 * xol_enter() sets the scratch register to addr + len (where rip would
 * have been), and the slot ends in the breakpoint so xol_leave() can restore it.
 */
#include <errno.h>
#include <string.h>

#include "encode.h"
#include "x86_64.h"

/* up_regs index of an encoding register number 0..7. */
/* clang-format off */
static const int8_t enc_to_idx[8] = {
	UP_X86_RAX, UP_X86_RCX, UP_X86_RDX, UP_X86_RBX,
	UP_X86_RSP, UP_X86_RBP, UP_X86_RSI, UP_X86_RDI,
};
/* clang-format on */

/* Rewrite rip-relative ModRM to [scratch + disp32]; the disp32 stays as it was. */
static void use_scratch(const struct up_insn *insn, struct up_xol *xol, int enc)
{
	const int64_t *p = insn->priv;
	unsigned m = (unsigned)p[X86_RIP_MODRM_OFFSET];

	xol->code[m] = 0x80 | (insn->bytes[m] & 0x38) | (uint8_t)enc;
	if (p[X86_RIP_REX_OFFSET] >= 0)
		xol->code[p[X86_RIP_REX_OFFSET]] &= ~0x01; /* REX.B = 0 */
	if (p[X86_RIP_VEXB_OFFSET] >= 0)
		xol->code[p[X86_RIP_VEXB_OFFSET]] |= 0x20; /* ~B = 1, i.e. B = 0 */
}

int up_x86_64_xol_build(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
			struct up_xol *xol)
{
	const int64_t *p = insn->priv;
	unsigned n = insn->len;
	int64_t disp;

	memset(xol, 0, sizeof(*xol));
	xol->priv[0] = -1;
	if (insn->action != UP_INSN_XOL || n == 0 || n > 15)
		return -EINVAL;
	memcpy(xol->code, insn->bytes, n);

	if (insn->op == X86_CLASS_XOL_RIPREL) {
		/* in uint64_t: addresses anywhere in 64 bits wrap, as rip-relative ones do */
		disp = (int64_t)((uint64_t)p[X86_RIP_TARGET] - (slot_addr + n));
		if (x86_fits_int32(disp)) {
			x86_put32(xol->code + p[X86_RIP_DISP_OFFSET], (int32_t)disp);
		} else {
			if (p[X86_RIP_SCRATCH] < 0)
				return -ERANGE;
			use_scratch(insn, xol, (int)p[X86_RIP_SCRATCH]);
			xol->code[n] = X86_BP;
			xol->len = n + 1;
			xol->exit = UP_XOL_EXIT_TRAP;
			xol->trap_offset = n;
			xol->priv[0] = enc_to_idx[p[X86_RIP_SCRATCH]];
			return 0;
		}
	} else if (insn->op != X86_CLASS_XOL) {
		return -EINVAL;
	}
	xol->len = n + x86_emit_jump(xol->code, n, slot_addr, insn->addr + n);
	xol->exit = UP_XOL_EXIT_JUMP;
	return 0;
}

void up_x86_64_xol_enter(const struct up_arch *a, const struct up_insn *insn,
			 const struct up_xol *xol, uint64_t slot_addr, struct up_regs *regs,
			 struct up_xol_state *state)
{
	int scratch = (int)xol->priv[0];

	if (xol->exit == UP_XOL_EXIT_TRAP && scratch >= 0) {
		state->saved[0] = regs->r[scratch];
		regs->r[scratch] = insn->addr + insn->len;
	}
	regs->r[UP_X86_RIP] = slot_addr;
}

int up_x86_64_xol_leave(const struct up_arch *a, const struct up_insn *insn,
			const struct up_xol *xol, uint64_t slot_addr, struct up_regs *regs,
			const struct up_mem *mem, const struct up_xol_state *state)
{
	int scratch = (int)xol->priv[0];

	if (xol->exit == UP_XOL_EXIT_TRAP && scratch >= 0)
		regs->r[scratch] = state->saved[0];
	regs->r[UP_X86_RIP] = insn->addr + insn->len;
	return 0;
}

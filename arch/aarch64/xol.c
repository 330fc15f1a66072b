/* SPDX-License-Identifier: MIT */
/*
 * XOL slot code: the displaced instruction, then `b` back to addr + 4 when
 * the slot is within +-128 MiB of it (one stop per hit), else `brk #0`
 * (two stops; the default xol_leave sets PC = addr + 4), as every
 * fixed-width arch builds them (arch/common). Branches that leave the slot
 * by themselves (braa, retaa) never reach the jump back, so a slot out of
 * `b` range is refused for them: their trap would never come.
 */
#include <errno.h>

#include "aarch64.h"
#include "common/common.h"

/* b: imm26 words from the branch itself. */
static int b_insn(uint64_t from, uint64_t to, uint32_t *word)
{
	int64_t disp = (int64_t)(to - from);

	if (disp < -(1ll << 27) || disp >= (1ll << 27))
		return -ERANGE;
	*word = UP_A64_B | ((uint32_t)(disp >> 2) & 0x03ffffffu);
	return 0;
}

int up_a64_xol_build(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
		     struct up_xol *xol)
{
	int err = up_arch_xol_build_fixed(a, insn, slot_addr, b_insn, xol);

	if (err == 0 && xol->exit != UP_XOL_EXIT_JUMP && insn->op == UP_A64_OP_XOL_BRANCH)
		return -ERANGE;
	return err;
}

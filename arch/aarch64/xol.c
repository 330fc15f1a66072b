/* SPDX-License-Identifier: MIT */
/*
 * XOL slot code: the displaced instruction, then `b` back to addr + 4 when
 * the slot is within +-128 MiB of it (one stop per hit), else `brk #0`
 * (two stops; the default xol_leave sets PC = addr + 4). Branches that
 * leave the slot by themselves (braa, retaa) never reach the jump back, so
 * a slot out of `b` range is refused for them: their trap would never come.
 */
#include <errno.h>
#include <string.h>

#include "aarch64.h"
#include "common/bits.h"

int up_a64_xol_build(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
		     struct up_xol *xol)
{
	int64_t disp = (int64_t)(insn->addr + 4 - (slot_addr + 4));

	if (insn->action != UP_INSN_XOL || insn->len != 4)
		return -EINVAL;
	if (slot_addr & 3)
		return -EINVAL;
	memset(xol, 0, sizeof(*xol));
	memcpy(xol->code, insn->bytes, 4);
	xol->len = 8;
	if (disp >= -(1ll << 27) && disp < (1ll << 27)) {
		le32_store(xol->code + 4, UP_A64_B | ((uint32_t)(disp >> 2) & 0x03ffffffu));
		xol->exit = UP_XOL_EXIT_JUMP;
		return 0;
	}
	if (insn->op == UP_A64_OP_XOL_BRANCH)
		return -ERANGE;
	le32_store(xol->code + 4, UP_A64_BRK0);
	xol->exit = UP_XOL_EXIT_TRAP;
	xol->trap_offset = 4;
	return 0;
}

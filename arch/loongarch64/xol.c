/* SPDX-License-Identifier: MIT */
/*
 * loongarch64 XOL slots: the copied instruction, then `b addr+4` when the
 * slot is within the +-128 MiB a b reaches (one stop per hit), else
 * `break 0`, whose trap the core turns into PC = addr + 4 (the default
 * xol_leave). Everything that reads the PC (pcadd*, pcalau12i, branches,
 * jirl) is simulated, so the copy needs no fixup.
 */
#include <errno.h>
#include <string.h>

#include "loongarch64.h"
#include "common/bits.h"

/* b off: offs[15:0] at bits 25:10, offs[25:16] at bits 9:0, in words. */
static uint32_t b_insn(int64_t off)
{
	uint32_t words = (uint32_t)(off >> 2);

	return UP_LA_B | (words & 0xffff) << 10 | ((words >> 16) & 0x3ff);
}

int up_la_xol_build(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
		    struct up_xol *xol)
{
	int64_t off = (int64_t)((insn->addr + 4) - (slot_addr + 4));

	if (insn->action != UP_INSN_XOL || insn->len != 4 || (slot_addr & 3))
		return -EINVAL;
	memset(xol, 0, sizeof(*xol));
	memcpy(xol->code, insn->bytes, 4);
	if (off >= -(1 << 27) && off < (1 << 27)) {
		le32_store(xol->code + 4, b_insn(off));
		xol->exit = UP_XOL_EXIT_JUMP;
	} else {
		le32_store(xol->code + 4, UP_LA_BREAK0);
		xol->exit = UP_XOL_EXIT_TRAP;
		xol->trap_offset = 4;
	}
	xol->len = 8;
	return 0;
}

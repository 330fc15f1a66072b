/* SPDX-License-Identifier: MIT */
/*
 * loongarch64 XOL slots: the copied instruction, then `b addr+4` when the
 * slot is within the +-128 MiB a b reaches (one stop per hit), else
 * `break 0`, whose trap the core turns into PC = addr + 4 (the default
 * xol_leave), as every fixed-width arch builds them (arch/common).
 * Everything that reads the PC (pcadd*, pcalau12i, branches, jirl) is
 * simulated, so the copy needs no fixup.
 */
#include <errno.h>

#include "loongarch64.h"
#include "common/common.h"

/* b off: offs[15:0] at bits 25:10, offs[25:16] at bits 9:0, in words. */
static int b_insn(uint64_t from, uint64_t to, uint32_t *word)
{
	int64_t off = (int64_t)(to - from);
	uint32_t words = (uint32_t)(off >> 2);

	if (off < -(1 << 27) || off >= (1 << 27))
		return -ERANGE;
	*word = UP_LA_B | (words & 0xffff) << 10 | ((words >> 16) & 0x3ff);
	return 0;
}

int up_la_xol_build(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
		    struct up_xol *xol)
{
	return up_arch_xol_build_fixed(a, insn, slot_addr, b_insn, xol);
}

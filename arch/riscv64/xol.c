/* SPDX-License-Identifier: MIT */
/*
 * riscv64 XOL slots. RISC-V has no hardware single-step, so the copied
 * instruction (16-bit ones keep their encoding) is followed either by
 * `jal x0, addr+len` when that is within the +-1 MiB a jal reaches from the
 * slot (one stop per hit), or by an ebreak whose trap the core turns into
 * PC = addr + len (the default xol_leave), as every fixed-width arch builds
 * them (arch/common). Nothing that reads the PC is run out of line (auipc,
 * jal, jalr and branches are simulated), so the copy needs no fixup.
 */
#include <errno.h>

#include "riscv64.h"
#include "common/common.h"

/* jal x0, off: imm[20|10:1|11|19:12], rd = 0, opcode 0x6f. */
static int jal_x0(uint64_t from, uint64_t to, uint32_t *word)
{
	int64_t off = (int64_t)(to - from);
	uint64_t o = (uint64_t)off;

	if (off < -(1 << 20) || off >= (1 << 20))
		return -ERANGE;
	*word = (uint32_t)(((o >> 20) & 1) << 31 | ((o >> 1) & 0x3ff) << 21 |
			   ((o >> 11) & 1) << 20 | ((o >> 12) & 0xff) << 12 | 0x6f);
	return 0;
}

int up_rv_xol_build(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
		    struct up_xol *xol)
{
	return up_arch_xol_build_fixed(a, insn, slot_addr, jal_x0, xol);
}

/* SPDX-License-Identifier: MIT */
/*
 * riscv64 XOL slots. RISC-V has no hardware single-step, so the copied
 * instruction (16-bit ones keep their encoding) is followed either by
 * `jal x0, addr+len` when that is within the +-1 MiB a jal reaches from the
 * slot (one stop per hit), or by an ebreak whose trap the core turns into
 * PC = addr + len (the default xol_leave). Nothing that reads the PC is run
 * out of line (auipc, jal, jalr and branches are simulated), so the copy
 * needs no fixup.
 */
#include <errno.h>
#include <string.h>

#include "riscv64.h"
#include "common/bits.h"

/* jal x0, off: imm[20|10:1|11|19:12], rd = 0, opcode 0x6f. */
static uint32_t jal_x0(int64_t off)
{
	uint64_t o = (uint64_t)off;

	return (uint32_t)(((o >> 20) & 1) << 31 | ((o >> 1) & 0x3ff) << 21 | ((o >> 11) & 1) << 20 |
			  ((o >> 12) & 0xff) << 12 | 0x6f);
}

int up_rv_xol_build(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
		    struct up_xol *xol)
{
	int64_t off = (int64_t)((insn->addr + insn->len) - (slot_addr + insn->len));

	if (insn->action != UP_INSN_XOL || (insn->len != 2 && insn->len != 4) || (slot_addr & 1))
		return -EINVAL;
	memset(xol, 0, sizeof(*xol));
	memcpy(xol->code, insn->bytes, insn->len);
	if (off >= -(1 << 20) && off < (1 << 20)) {
		le32_store(xol->code + insn->len, jal_x0(off));
		xol->exit = UP_XOL_EXIT_JUMP;
	} else {
		le32_store(xol->code + insn->len, UP_RV_EBREAK);
		xol->exit = UP_XOL_EXIT_TRAP;
		xol->trap_offset = insn->len;
	}
	xol->len = insn->len + 4;
	return 0;
}

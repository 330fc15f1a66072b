/* SPDX-License-Identifier: MIT */
/*
 * The default hooks (common.h): what an architecture does when it does
 * nothing of its own, reading its constants through the table it is given.
 */
#include <string.h>

#include "common.h"

unsigned up_arch_bp_bytes(const struct up_arch *a, uint32_t e_flags, uint8_t out[4])
{
	memcpy(out, a->bp, 4);
	return a->bp_len;
}

void up_arch_xol_enter_pc(const struct up_arch *a, const struct up_insn *insn,
			  const struct up_xol *xol, uint64_t slot_addr, struct up_regs *regs,
			  struct up_xol_state *state)
{
	regs->r[a->pc_reg] = slot_addr;
}

int up_arch_xol_leave_pc(const struct up_arch *a, const struct up_insn *insn,
			 const struct up_xol *xol, uint64_t slot_addr, struct up_regs *regs,
			 const struct up_mem *mem, const struct up_xol_state *state)
{
	regs->r[a->pc_reg] = insn->addr + insn->len;
	return 0;
}

int up_arch_link_reg_get(const struct up_arch *a, const struct up_regs *regs,
			 const struct up_mem *mem, uint64_t *ret)
{
	*ret = regs->r[a->ra_reg];
	return 0;
}

int up_arch_link_reg_set(const struct up_arch *a, struct up_regs *regs, const struct up_mem *mem,
			 uint64_t ret)
{
	regs->r[a->ra_reg] = ret;
	return 0;
}

unsigned up_arch_insn_length_unknown(const struct up_arch *a, const uint8_t *bytes, size_t avail)
{
	return 0;
}

int up_arch_dwarf_reg_0_31(const struct up_arch *a, unsigned regno)
{
	return regno < 32 ? (int)regno : -1;
}

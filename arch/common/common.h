/* SPDX-License-Identifier: MIT */
/*
 * What several architectures share, for arch/<arch>/ only: the default
 * hooks a table names where it has nothing of its own (so every table is
 * complete when compiled, and arch/arch.c hands it out as it is), the XOL
 * slot builder of the fixed-width instruction sets, and the system call
 * numbers several of them share.
 */
#ifndef UPTRACE_ARCH_COMMON_H
#define UPTRACE_ARCH_COMMON_H

#include "uptrace/arch.h"

/* breakpoint: the table's bp[] whatever the ELF flags. */
unsigned up_arch_bp_bytes(const struct up_arch *a, uint32_t e_flags, uint8_t out[4]);

/* xol_enter: PC = the slot; the slot needs nothing else. */
void up_arch_xol_enter_pc(const struct up_arch *a, const struct up_insn *insn,
			  const struct up_xol *xol, uint64_t slot_addr, struct up_regs *regs,
			  struct up_xol_state *state);

/* xol_leave: PC = the instruction after the original (the slot had no side effect). */
int up_arch_xol_leave_pc(const struct up_arch *a, const struct up_insn *insn,
			 const struct up_xol *xol, uint64_t slot_addr, struct up_regs *regs,
			 const struct up_mem *mem, const struct up_xol_state *state);

/* return_address_get / _set: the return address is in the link register, ra_reg. */
int up_arch_link_reg_get(const struct up_arch *a, const struct up_regs *regs,
			 const struct up_mem *mem, uint64_t *ret);
int up_arch_link_reg_set(const struct up_arch *a, struct up_regs *regs, const struct up_mem *mem,
			 uint64_t ret);

/* insn_length: the encoding alone does not tell (x86: only a full decoder knows a length). */
unsigned up_arch_insn_length_unknown(const struct up_arch *a, const uint8_t *bytes, size_t avail);

/* dwarf_reg: DWARF numbers 0-31 are up_regs 0-31 (aarch64's 31 is sp, as up_regs has it). */
int up_arch_dwarf_reg_0_31(const struct up_arch *a, unsigned regno);

/*
 * xol_build for a fixed-width instruction set (aarch64, riscv64,
 * loongarch64), where nothing that reads the PC runs out of line: the
 * instruction as it is, then the arch's direct jump back to the one after
 * it when that reaches from the slot (one stop per hit), else the arch's
 * breakpoint, whose trap xol_leave turns into PC = addr + len (two stops).
 * jump encodes "jump from `from` to `to`" as one 32-bit word, or returns
 * -ERANGE when it cannot reach. -EINVAL for an instruction that is not
 * UP_INSN_XOL or a misaligned slot.
 */
int up_arch_xol_build_fixed(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
			    int (*jump)(uint64_t from, uint64_t to, uint32_t *word),
			    struct up_xol *xol);

/*
 * The system call numbers of Linux's asm-generic table
 * (include/uapi/asm-generic/unistd.h), which aarch64, riscv64 and
 * loongarch64 share: their tables spread this in.
 */
#define UP_ARCH_SYSCALLS_ASM_GENERIC .nr_mmap = 222, .nr_mprotect = 226, .nr_munmap = 215

#endif

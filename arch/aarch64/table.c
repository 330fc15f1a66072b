/* SPDX-License-Identifier: MIT */
/*
 * The aarch64 ops table: breakpoint, registers (GDB's order, which is also
 * qemu-aarch64's 'g' packet: x0-x30, sp, pc as 8 bytes, cpsr as 4, 268
 * bytes in all, checked against qemu 7.2), the AAPCS64 calling convention,
 * Linux system call numbers, and the return address in x30. Instruction
 * analysis lives in decode.c, simulate.c and xol.c.
 */
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "aarch64.h"
#include "common/common.h"

/* clang-format off */
const char *const up_a64_reg_names[UP_A64_NREGS] = {
	"x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",
	"x8",  "x9",  "x10", "x11", "x12", "x13", "x14", "x15",
	"x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23",
	"x24", "x25", "x26", "x27", "x28", "x29", "x30",
	"sp",  "pc",  "pstate",
};

/* qemu-aarch64's 'g' packet (GDB's org.gnu.gdb.aarch64.core): {up_regs index, bytes} */
static const struct up_gdb_reg a64_gdb_regs[] = {
	{ 0, 8 },  { 1, 8 },  { 2, 8 },  { 3, 8 },  { 4, 8 },  { 5, 8 },  { 6, 8 },  { 7, 8 },
	{ 8, 8 },  { 9, 8 },  { 10, 8 }, { 11, 8 }, { 12, 8 }, { 13, 8 }, { 14, 8 }, { 15, 8 },
	{ 16, 8 }, { 17, 8 }, { 18, 8 }, { 19, 8 }, { 20, 8 }, { 21, 8 }, { 22, 8 }, { 23, 8 },
	{ 24, 8 }, { 25, 8 }, { 26, 8 }, { 27, 8 }, { 28, 8 }, { 29, 8 }, { 30, 8 },
	{ UP_A64_SP, 8 }, { UP_A64_PC, 8 }, { UP_A64_PSTATE, 4 },
};
/* clang-format on */

/* x0..x30, sp, pc, pstate; also fp, lr, cpsr, and "w"N for the register xN. */
static int a64_reg_lookup(const struct up_arch *a, const char *name)
{
	char *end;
	unsigned long n;

	for (int i = 0; i < UP_A64_NREGS; i++)
		if (strcmp(up_a64_reg_names[i], name) == 0)
			return i;
	if (strcmp(name, "fp") == 0)
		return UP_A64_FP;
	if (strcmp(name, "lr") == 0)
		return UP_A64_LR;
	if (strcmp(name, "cpsr") == 0)
		return UP_A64_PSTATE;
	if (name[0] == 'w' && name[1] >= '0' && name[1] <= '9') {
		n = strtoul(name + 1, &end, 10);
		if (*end == 0 && n <= 30 && !(name[1] == '0' && name[2]))
			return (int)n;
	}
	return -1;
}

/* DWARF numbers 64-95 are v0-v31. */
static int a64_dwarf_fp_reg(const struct up_arch *a, unsigned regno)
{
	return regno >= 64 && regno <= 95 ? (int)regno - 64 : -1;
}

const struct up_arch up_arch_aarch64 = {
    .name = "aarch64",
    .e_machine = EM_AARCH64,
    .qemu_name = "aarch64",
    .gdb_arch = "aarch64",
    .ld_so = "ld-linux-aarch64",
    .user_top = 1ull << 48, /* 48-bit virtual addresses (TASK_SIZE_64) */

    /* brk #0, as GDB uses; PC stays on the brk. */
    .bp = {0x00, 0x00, 0x20, 0xd4},
    .bp_len = 4,
    .bp_pc_adjust = 0,
    .bp_signal = SIGTRAP,
    .insn_align = 4,
    .max_insn_len = 4,

    .nregs = UP_A64_NREGS,
    .pc_reg = UP_A64_PC,
    .sp_reg = UP_A64_SP,
    .ra_reg = UP_A64_LR,
    .retval_reg = UP_A64_X0,
    .retval2_reg = 1,
    .result_addr_reg = 8,
    .arg_regs = {0, 1, 2, 3, 4, 5, 6, 7},
    .n_arg_regs = 8,
    .stack_arg_offset = 0,
    .fp_reg = UP_A64_FP,
    .fp_next_offset = 0,
    .fp_ra_offset = 8,
    .reg_names = up_a64_reg_names,

    .gdb_regs = a64_gdb_regs,
    .n_gdb_regs = sizeof(a64_gdb_regs) / sizeof(a64_gdb_regs[0]),

    /* svc #0: number in x8, arguments x0-x5, result in x0. */
    .syscall_insn = {0x01, 0x00, 0x00, 0xd4},
    .syscall_len = 4,
    .syscall_nr_reg = 8,
    .syscall_arg_regs = {0, 1, 2, 3, 4, 5},
    .syscall_ret_reg = UP_A64_X0,
    .syscall_restart_reg = -1,
    /* strb w1, [x0]; strh w1, [x0]; str w1, [x0]; str x1, [x0] */
    .store_insn = {{0x01, 0x00, 0x00, 0x39},
		   {0x01, 0x00, 0x00, 0x79},
		   {0x01, 0x00, 0x00, 0xb9},
		   {0x01, 0x00, 0x00, 0xf9}},
    .store_len = 4,
    UP_ARCH_SYSCALLS_ASM_GENERIC,

    .breakpoint = up_arch_bp_bytes,
    .decode = up_a64_decode,
    .insn_length = up_arch_insn_length_unknown,
    .simulate = up_a64_simulate,
    .xol_build = up_a64_xol_build,
    .xol_enter = up_arch_xol_enter_pc,
    .xol_leave = up_arch_xol_leave_pc,
    .return_address_get = up_arch_link_reg_get,
    .return_address_set = up_arch_link_reg_set,
    .reg_lookup = a64_reg_lookup,
    .dwarf_reg = up_arch_dwarf_reg_0_31,

    .fp_arg_regs = {0, 1, 2, 3, 4, 5, 6, 7},
    .n_fp_arg_regs = 8,
    .fp_retval_reg = 0,
    .dwarf_fp_reg = a64_dwarf_fp_reg,
    /* qemu's aarch64-fpu.xml after the 34 core registers: v0-v31 of 16 bytes */
    .gdb_fp_regnum = 34,
    .gdb_fp_size = 16,
    .n_fp_regs = 32,
    .gdb_x87_regnum = -1,
};

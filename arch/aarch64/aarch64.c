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
#include <stdlib.h>
#include <string.h>

#include "aarch64.h"

const char *const up_a64_reg_names[UP_A64_NREGS] = {
	"x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",	 "x7",	"x8",  "x9",  "x10", "x11",
	"x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23",
	"x24", "x25", "x26", "x27", "x28", "x29", "x30", "sp",	"pc",  "pstate",
};

#define GPR(n) { .index = (n), .size = 8 }
static const struct up_gdb_reg a64_gdb_regs[] = {
	GPR(0),	 GPR(1),  GPR(2),  GPR(3),  GPR(4),  GPR(5),  GPR(6),  GPR(7),	GPR(8),
	GPR(9),	 GPR(10), GPR(11), GPR(12), GPR(13), GPR(14), GPR(15), GPR(16), GPR(17),
	GPR(18), GPR(19), GPR(20), GPR(21), GPR(22), GPR(23), GPR(24), GPR(25), GPR(26),
	GPR(27), GPR(28), GPR(29), GPR(30), GPR(UP_A64_SP), GPR(UP_A64_PC),
	{ .index = UP_A64_PSTATE, .size = 4 },
};

/* x0..x30, sp, pc, pstate; also fp, lr, cpsr, and "w"N for the register xN. */
static int a64_reg_lookup(const char *name)
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

/* AADWARF64: 0-30 are x0-x30, 31 is sp. */
static int a64_dwarf_reg(unsigned regno)
{
	if (regno <= 30)
		return (int)regno;
	if (regno == 31)
		return UP_A64_SP;
	return -1;
}

static int a64_return_address_get(const struct up_regs *regs, const struct up_mem *mem,
				  uint64_t *ret)
{
	*ret = regs->r[UP_A64_LR];
	return 0;
}

static int a64_return_address_set(struct up_regs *regs, const struct up_mem *mem, uint64_t ret)
{
	regs->r[UP_A64_LR] = ret;
	return 0;
}

const struct up_arch up_arch_aarch64 = {
	.name = "aarch64",
	.e_machine = EM_AARCH64,
	.qemu_name = "aarch64",
	.gdb_arch = "aarch64",

	/* brk #0, as GDB uses; PC stays on the brk. */
	.bp = { 0x00, 0x00, 0x20, 0xd4 },
	.bp_len = 4,
	.bp_pc_adjust = 0,
	.insn_align = 4,
	.max_insn_len = 4,

	.nregs = UP_A64_NREGS,
	.pc_reg = UP_A64_PC,
	.sp_reg = UP_A64_SP,
	.ra_reg = UP_A64_LR,
	.retval_reg = UP_A64_X0,
	.arg_regs = { 0, 1, 2, 3, 4, 5, 6, 7 },
	.n_arg_regs = 8,
	.stack_arg_offset = 0,
	.reg_names = up_a64_reg_names,

	.gdb_regs = a64_gdb_regs,
	.n_gdb_regs = sizeof(a64_gdb_regs) / sizeof(a64_gdb_regs[0]),

	/* svc #0: number in x8, arguments x0-x5, result in x0. */
	.syscall_insn = { 0x01, 0x00, 0x00, 0xd4 },
	.syscall_len = 4,
	.syscall_nr_reg = 8,
	.syscall_arg_regs = { 0, 1, 2, 3, 4, 5 },
	.syscall_ret_reg = UP_A64_X0,
	.syscall_restart_reg = -1,
	.nr_mmap = 222,
	.nr_mprotect = 226,
	.nr_munmap = 215,

	.decode = up_a64_decode,
	.simulate = up_a64_simulate,
	.xol_build = up_a64_xol_build,
	.return_address_get = a64_return_address_get,
	.return_address_set = a64_return_address_set,
	.reg_lookup = a64_reg_lookup,
	.dwarf_reg = a64_dwarf_reg,
};

/* SPDX-License-Identifier: MIT */
/*
 * The riscv64 ops table: breakpoint (c.ebreak with RVC, else ebreak),
 * registers (up_regs holds x0..x31 then pc, the order of qemu-riscv64's
 * 'g' packet, checked against qemu 7.2: 33 registers of 8 bytes), the
 * LP64 calling convention and the Linux system call ABI. Instruction
 * analysis is in decode.c, simulate.c and xol.c.
 */
#include <elf.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>

#include "riscv64.h"
#include "common/common.h"

#ifndef EF_RISCV_RVC
#define EF_RISCV_RVC 0x1
#endif

const char *const up_rv_reg_names[UP_RV_NREGS] = {
    "zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
    "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
    "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6", "pc",
};

#define G(i) {.index = (i), .size = 8}
static const struct up_gdb_reg gdb_regs[] = {
    G(0),  G(1),  G(2),	 G(3),	G(4),  G(5),  G(6),  G(7),  G(8),  G(9),  G(10),
    G(11), G(12), G(13), G(14), G(15), G(16), G(17), G(18), G(19), G(20), G(21),
    G(22), G(23), G(24), G(25), G(26), G(27), G(28), G(29), G(30), G(31), G(UP_RV_PC),
};

static unsigned breakpoint(const struct up_arch *a, uint32_t e_flags, uint8_t out[4])
{
	memset(out, 0, 4);
	if (e_flags & EF_RISCV_RVC) {
		out[0] = UP_RV_C_EBREAK & 0xff;
		out[1] = UP_RV_C_EBREAK >> 8;
		return 2;
	}
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(UP_RV_EBREAK >> (8 * i));
	return 4;
}

/* ABI names, "pc", "x0".."x31" and "fp"; a leading '%' or '$' is ignored. */
static int reg_lookup(const struct up_arch *a, const char *name)
{
	char *end;
	long n;

	if (name[0] == '%' || name[0] == '$')
		name++;
	for (int i = 0; i < UP_RV_NREGS; i++)
		if (strcmp(name, up_rv_reg_names[i]) == 0)
			return i;
	if (strcmp(name, "fp") == 0)
		return 8;
	if (name[0] == 'x' && name[1] >= '0' && name[1] <= '9') {
		n = strtol(name + 1, &end, 10);
		if (*end == '\0' && n < 32 && !(name[1] == '0' && name[2]))
			return (int)n;
	}
	return -1;
}

/* DWARF numbers 32-63 are f0-f31. */
static int dwarf_fp_reg(const struct up_arch *a, unsigned regno)
{
	return regno >= 32 && regno <= 63 ? (int)regno - 32 : -1;
}

const struct up_arch up_arch_riscv64 = {
    .name = "riscv64",
    .e_machine = EM_RISCV,
    .qemu_name = "riscv64",
    .gdb_arch = "riscv:rv64",
    /* ld-linux-riscv64-lp64d.so.1, and the other ABIs' */
    .ld_so = "ld-linux-riscv64",
    /* mmap stays below sv48's 47 bits unless asked higher (DEFAULT_MAP_WINDOW) */
    .user_top = 1ull << 47,

    .bp = {0x73, 0x00, 0x10, 0x00},
    .bp_len = 4,
    .bp_pc_adjust = 0,
    .bp_signal = SIGTRAP,
    .insn_align = 2,
    .max_insn_len = 4,

    .nregs = UP_RV_NREGS,
    .pc_reg = UP_RV_PC,
    .sp_reg = UP_RV_SP,
    .ra_reg = UP_RV_RA,
    .retval_reg = UP_RV_A0,
    .retval2_reg = 11,
    .result_addr_reg = 10,
    .arg_regs = {10, 11, 12, 13, 14, 15, 16, 17},
    .n_arg_regs = 8,
    .stack_arg_offset = 0,
    .fp_reg = 8,
    .fp_next_offset = -16,
    .fp_ra_offset = -8,
    .reg_names = up_rv_reg_names,

    .gdb_regs = gdb_regs,
    .n_gdb_regs = sizeof(gdb_regs) / sizeof(gdb_regs[0]),

    .syscall_insn = {0x73, 0x00, 0x00, 0x00},
    .syscall_len = 4,
    .syscall_nr_reg = UP_RV_A7,
    .syscall_arg_regs = {10, 11, 12, 13, 14, 15},
    .syscall_ret_reg = UP_RV_A0,
    .syscall_restart_reg = -1,
    /* sb a1, 0(a0); sh a1, 0(a0); sw a1, 0(a0); sd a1, 0(a0) */
    .store_insn = {{0x23, 0x00, 0xb5, 0x00},
		   {0x23, 0x10, 0xb5, 0x00},
		   {0x23, 0x20, 0xb5, 0x00},
		   {0x23, 0x30, 0xb5, 0x00}},
    .store_len = 4,
    UP_ARCH_SYSCALLS_ASM_GENERIC,

    .breakpoint = breakpoint,
    .decode = up_rv_decode,
    .insn_length = up_rv_insn_length,
    .simulate = up_rv_simulate,
    .xol_build = up_rv_xol_build,
    .xol_enter = up_arch_xol_enter_pc,
    .xol_leave = up_arch_xol_leave_pc,
    .return_address_get = up_arch_link_reg_get,
    .return_address_set = up_arch_link_reg_set,
    .reg_lookup = reg_lookup,
    .dwarf_reg = up_arch_dwarf_reg_0_31,

    .fp_arg_regs = {10, 11, 12, 13, 14, 15, 16, 17},
    .n_fp_arg_regs = 8,
    .fp_retval_reg = 10,
    .dwarf_fp_reg = dwarf_fp_reg,
    /* qemu's riscv-64bit-fpu.xml after the 33 core registers: f0-f31 of 8 bytes */
    .gdb_fp_regnum = 33,
    .gdb_fp_size = 8,
    .n_fp_regs = 32,
    .gdb_x87_regnum = -1,
};

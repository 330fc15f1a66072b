/* SPDX-License-Identifier: MIT */
/*
 * The loongarch64 ops table: breakpoint `break 0` (as GDB uses), registers
 * (up_regs holds r0..r31, orig_a0, pc, badv: the order of qemu-loongarch64
 * 7.2's 'g' packet, measured on qemu 7.2 as 35 registers of 8 bytes with
 * pc in slot 33; gdb 13 cannot read this target's description, so this
 * table is the only source of truth), the LP64D calling convention and the
 * Linux system call ABI. Instruction analysis is in decode.c, simulate.c
 * and xol.c.
 */
#include <signal.h>
#include <string.h>

#include "loongarch64.h"
#include "common/common.h"

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

const char *const up_la_reg_names[UP_LA_NREGS] = {
    "r0",  "r1",  "r2",	 "r3",	"r4",  "r5",  "r6",  "r7",  "r8",      "r9",  "r10",  "r11",
    "r12", "r13", "r14", "r15", "r16", "r17", "r18", "r19", "r20",     "r21", "r22",  "r23",
    "r24", "r25", "r26", "r27", "r28", "r29", "r30", "r31", "orig_a0", "pc",  "badv",
};

/* ABI names of r0..r31; NULL where the ABI has none. */
static const char *const abi_names[32] = {
    "zero", "ra", "tp", "sp", "a0", "a1", "a2", "a3", "a4", "a5", "a6",
    "a7",   "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", NULL,
    "fp",   "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8",
};

#define G(i) {.index = (i), .size = 8}
static const struct up_gdb_reg gdb_regs[] = {
    G(0),	 G(1),		G(2),
    G(3),	 G(4),		G(5),
    G(6),	 G(7),		G(8),
    G(9),	 G(10),		G(11),
    G(12),	 G(13),		G(14),
    G(15),	 G(16),		G(17),
    G(18),	 G(19),		G(20),
    G(21),	 G(22),		G(23),
    G(24),	 G(25),		G(26),
    G(27),	 G(28),		G(29),
    G(30),	 G(31),		G(UP_LA_ORIG_A0),
    G(UP_LA_PC), G(UP_LA_BADV),
};

/* "r4", "a0", "$a0", "%a0", "s9" (= fp), "orig_a0", "pc", "badv". */
static int reg_lookup(const struct up_arch *a, const char *name)
{
	if (name[0] == '%' || name[0] == '$')
		name++;
	for (int i = 0; i < UP_LA_NREGS; i++)
		if (strcmp(name, up_la_reg_names[i]) == 0)
			return i;
	for (int i = 0; i < 32; i++)
		if (abi_names[i] && strcmp(name, abi_names[i]) == 0)
			return i;
	if (strcmp(name, "s9") == 0)
		return 22;
	return -1;
}

/* DWARF numbers 32-63 are f0-f31. */
static int dwarf_fp_reg(const struct up_arch *a, unsigned regno)
{
	return regno >= 32 && regno <= 63 ? (int)regno - 32 : -1;
}

const struct up_arch up_arch_loongarch64 = {
    .name = "loongarch64",
    .e_machine = EM_LOONGARCH,
    .qemu_name = "loongarch64",
    .gdb_arch = "loongarch64",
    /* ld-linux-loongarch-lp64d.so.1, and the other ABIs' */
    .ld_so = "ld-linux-loongarch",
    /* 47 bits of user space with 16 KiB pages in 3 levels (TASK_SIZE64) */
    .user_top = 1ull << 47,

    .bp = {0x00, 0x00, 0x2a, 0x00},
    .bp_len = 4,
    .bp_pc_adjust = 0,
    .bp_signal = SIGTRAP,
    .insn_align = 4,
    .max_insn_len = 4,

    .nregs = UP_LA_NREGS,
    .pc_reg = UP_LA_PC,
    .sp_reg = UP_LA_SP,
    .ra_reg = UP_LA_RA,
    .retval_reg = UP_LA_A0,
    .retval2_reg = 5,
    .result_addr_reg = 4,
    .arg_regs = {4, 5, 6, 7, 8, 9, 10, 11},
    .n_arg_regs = 8,
    .stack_arg_offset = 0,
    .fp_reg = 22,
    .fp_next_offset = -16,
    .fp_ra_offset = -8,
    .reg_names = up_la_reg_names,

    .gdb_regs = gdb_regs,
    .n_gdb_regs = sizeof(gdb_regs) / sizeof(gdb_regs[0]),

    .syscall_insn = {0x00, 0x00, 0x2b, 0x00},
    .syscall_len = 4,
    .syscall_nr_reg = UP_LA_A7,
    .syscall_arg_regs = {4, 5, 6, 7, 8, 9},
    .syscall_ret_reg = UP_LA_A0,
    .syscall_restart_reg = -1,
    /* st.b $a1, $a0, 0; st.h ...; st.w ...; st.d ... */
    .store_insn = {{0x85, 0x00, 0x00, 0x29},
		   {0x85, 0x00, 0x40, 0x29},
		   {0x85, 0x00, 0x80, 0x29},
		   {0x85, 0x00, 0xc0, 0x29}},
    .store_len = 4,
    UP_ARCH_SYSCALLS_ASM_GENERIC,

    .breakpoint = up_arch_bp_bytes,
    .decode = up_la_decode,
    .insn_length = up_arch_insn_length_unknown,
    .simulate = up_la_simulate,
    .xol_build = up_la_xol_build,
    .xol_enter = up_arch_xol_enter_pc,
    .xol_leave = up_arch_xol_leave_pc,
    .return_address_get = up_arch_link_reg_get,
    .return_address_set = up_arch_link_reg_set,
    .reg_lookup = reg_lookup,
    .dwarf_reg = up_arch_dwarf_reg_0_31,

    .fp_arg_regs = {0, 1, 2, 3, 4, 5, 6, 7},
    .n_fp_arg_regs = 8,
    .fp_retval_reg = 0,
    .dwarf_fp_reg = dwarf_fp_reg,
    /* qemu's loongarch-fpu.xml after the 35 core registers: f0-f31 of 8 bytes */
    .gdb_fp_regnum = 35,
    .gdb_fp_size = 8,
    .n_fp_regs = 32,
    .gdb_x87_regnum = -1,
};

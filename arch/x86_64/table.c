/* SPDX-License-Identifier: MIT */
/*
 * The x86_64 ops table: constants (int3, registers, calling convention,
 * system calls, qemu's GDB register layout) and the small register hooks.
 * Instruction analysis lives in decode.c, simulate.c and xol.c.
 */
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "x86_64.h"
#include "common/common.h"

/* clang-format off */
static const char *const x86_64_reg_names[UP_X86_NREGS] = {
	[UP_X86_RAX] = "rax", [UP_X86_RBX] = "rbx", [UP_X86_RCX] = "rcx",
	[UP_X86_RDX] = "rdx", [UP_X86_RSI] = "rsi", [UP_X86_RDI] = "rdi",
	[UP_X86_RBP] = "rbp", [UP_X86_RSP] = "rsp", [UP_X86_R8] = "r8",
	[UP_X86_R9] = "r9",   [UP_X86_R10] = "r10", [UP_X86_R11] = "r11",
	[UP_X86_R12] = "r12", [UP_X86_R13] = "r13", [UP_X86_R14] = "r14",
	[UP_X86_R15] = "r15", [UP_X86_RIP] = "rip", [UP_X86_EFLAGS] = "eflags",
	[UP_X86_CS] = "cs",   [UP_X86_SS] = "ss",   [UP_X86_DS] = "ds",
	[UP_X86_ES] = "es",   [UP_X86_FS] = "fs",   [UP_X86_GS] = "gs",
	[UP_X86_FS_BASE] = "fs_base", [UP_X86_GS_BASE] = "gs_base",
	[UP_X86_ORIG_RAX] = "orig_rax",
};
/* clang-format on */

/*
 * qemu-user's 'g' packet (gdb-xml/i386-64bit.xml, checked against qemu 7.2):
 * the core registers we keep, then k_gs_base, the control registers, x87,
 * SSE and mxcsr, which we skip.
 */
/* clang-format off */
#define SKIP(n) { -1, (n) }
static const struct up_gdb_reg x86_64_gdb_regs[] = {
	{ UP_X86_RAX, 8 }, { UP_X86_RBX, 8 }, { UP_X86_RCX, 8 }, { UP_X86_RDX, 8 },
	{ UP_X86_RSI, 8 }, { UP_X86_RDI, 8 }, { UP_X86_RBP, 8 }, { UP_X86_RSP, 8 },
	{ UP_X86_R8, 8 },  { UP_X86_R9, 8 },  { UP_X86_R10, 8 }, { UP_X86_R11, 8 },
	{ UP_X86_R12, 8 }, { UP_X86_R13, 8 }, { UP_X86_R14, 8 }, { UP_X86_R15, 8 },
	{ UP_X86_RIP, 8 }, { UP_X86_EFLAGS, 4 },
	{ UP_X86_CS, 4 },  { UP_X86_SS, 4 },  { UP_X86_DS, 4 },  { UP_X86_ES, 4 },
	{ UP_X86_FS, 4 },  { UP_X86_GS, 4 },
	{ UP_X86_FS_BASE, 8 }, { UP_X86_GS_BASE, 8 },
	SKIP(8),		/* k_gs_base */
	SKIP(8), SKIP(8), SKIP(8), SKIP(8), SKIP(8), SKIP(8), /* cr0 cr2 cr3 cr4 cr8 efer */
	SKIP(10), SKIP(10), SKIP(10), SKIP(10), SKIP(10), SKIP(10), SKIP(10), SKIP(10), /* st0-7 */
	SKIP(4), SKIP(4), SKIP(4), SKIP(4), SKIP(4), SKIP(4), SKIP(4), SKIP(4), /* fctrl..fop */
	SKIP(16), SKIP(16), SKIP(16), SKIP(16), SKIP(16), SKIP(16), SKIP(16), SKIP(16), /* xmm0-7 */
	SKIP(16), SKIP(16), SKIP(16), SKIP(16), SKIP(16), SKIP(16), SKIP(16), SKIP(16), /* -15 */
	SKIP(4),		/* mxcsr */
};
/* clang-format on */

/* The x86_64 psABI's DWARF register numbers, 0..16, then eflags and segments. */
/* clang-format off */
static const int8_t x86_64_dwarf_map[] = {
	UP_X86_RAX, UP_X86_RDX, UP_X86_RCX, UP_X86_RBX, UP_X86_RSI, UP_X86_RDI,
	UP_X86_RBP, UP_X86_RSP, UP_X86_R8,  UP_X86_R9,  UP_X86_R10, UP_X86_R11,
	UP_X86_R12, UP_X86_R13, UP_X86_R14, UP_X86_R15,
	UP_X86_RIP, /* 16: the return address column */
};
/* clang-format on */

static int x86_64_dwarf_reg(const struct up_arch *a, unsigned regno)
{
	if (regno < sizeof(x86_64_dwarf_map))
		return x86_64_dwarf_map[regno];
	switch (regno) {
	case 49:
		return UP_X86_EFLAGS;
	case 50:
		return UP_X86_ES;
	case 51:
		return UP_X86_CS;
	case 52:
		return UP_X86_SS;
	case 53:
		return UP_X86_DS;
	case 54:
		return UP_X86_FS;
	case 55:
		return UP_X86_GS;
	case 58:
		return UP_X86_FS_BASE;
	case 59:
		return UP_X86_GS_BASE;
	}
	return -1;
}

/* The psABI's DWARF numbers of xmm0-15 (17-32) and st0-7 (33-40). */
static int x86_64_dwarf_fp_reg(const struct up_arch *a, unsigned regno)
{
	if (regno >= 17 && regno <= 32)
		return (int)regno - 17;
	if (regno >= 33 && regno <= 40)
		return UP_FP_X87 + (int)regno - 33;
	return -1;
}

/* Accepts "rax" or "%rax", and the generic "pc", "ip" and "sp". */
static int x86_64_reg_lookup(const struct up_arch *a, const char *name)
{
	if (name[0] == '%')
		name++;
	for (int i = 0; i < UP_X86_NREGS; i++)
		if (strcmp(x86_64_reg_names[i], name) == 0)
			return i;
	if (strcmp(name, "pc") == 0 || strcmp(name, "ip") == 0)
		return UP_X86_RIP;
	if (strcmp(name, "sp") == 0)
		return UP_X86_RSP;
	return -1;
}

/* At a function's first instruction the return address is the word at [rsp]. */
static int x86_64_return_address_get(const struct up_arch *a, const struct up_regs *regs,
				     const struct up_mem *mem, uint64_t *ret)
{
	return mem->read(mem->ctx, regs->r[UP_X86_RSP], ret, sizeof(*ret));
}

static int x86_64_return_address_set(const struct up_arch *a, struct up_regs *regs,
				     const struct up_mem *mem, uint64_t ret)
{
	return mem->write(mem->ctx, regs->r[UP_X86_RSP], &ret, sizeof(ret));
}

const struct up_arch up_arch_x86_64 = {
    .name = "x86_64",
    .e_machine = EM_X86_64,
    .qemu_name = "x86_64",
    .gdb_arch = "i386:x86-64",
    .ld_so = "ld-linux-x86-64",
    .user_top = 0x7ffffffff000ull, /* 47-bit virtual addresses, less a guard page (TASK_SIZE_MAX) */

    /*
     * hlt (0xf4) is privileged: in user mode a #GP, SIGSEGV with PC on it. int3
     * would leave PC past it, and a thread stopped there when its tracer dies
     * would run on from the middle of the instruction (include/uptrace/fallback.h).
     * An undefined opcode would do too, but a #UD costs a VM exit under KVM,
     * which intercepts it: three times int3's hit here, where hlt costs int3's.
     */
    .bp = {X86_BP},
    .bp_len = 1,
    .bp_pc_adjust = 0,
    .bp_signal = SIGSEGV,
    .insn_align = 1,
    .max_insn_len = 15,

    .nregs = UP_X86_NREGS,
    .pc_reg = UP_X86_RIP,
    .sp_reg = UP_X86_RSP,
    .ra_reg = -1,
    .retval_reg = UP_X86_RAX,
    .retval2_reg = UP_X86_RDX,
    .result_addr_reg = UP_X86_RDI,
    .arg_regs = {UP_X86_RDI, UP_X86_RSI, UP_X86_RDX, UP_X86_RCX, UP_X86_R8, UP_X86_R9},
    .n_arg_regs = 6,
    .stack_arg_offset = 8,
    .fp_reg = UP_X86_RBP,
    .fp_next_offset = 0,
    .fp_ra_offset = 8,
    .reg_names = x86_64_reg_names,

    .gdb_regs = x86_64_gdb_regs,
    .n_gdb_regs = sizeof(x86_64_gdb_regs) / sizeof(x86_64_gdb_regs[0]),

    .syscall_insn = {0x0f, 0x05},
    .syscall_len = 2,
    .syscall_nr_reg = UP_X86_RAX,
    .syscall_arg_regs = {UP_X86_RDI, UP_X86_RSI, UP_X86_RDX, UP_X86_R10, UP_X86_R8, UP_X86_R9},
    .syscall_ret_reg = UP_X86_RAX,
    .syscall_restart_reg = UP_X86_ORIG_RAX,
    /* mov %sil,(%rdi); mov %si,(%rdi); mov %esi,0x0(%rdi); mov %rsi,(%rdi): 3 bytes each */
    .store_insn = {{0x40, 0x88, 0x37}, {0x66, 0x89, 0x37}, {0x89, 0x77, 0x00}, {0x48, 0x89, 0x37}},
    .store_len = 3,
    .nr_mmap = 9,
    .nr_mprotect = 10,
    .nr_munmap = 11,
    .nr_memfd_create = 319,
    .nr_madvise = 28,
    .nr_ftruncate = 77,
    .nr_rt_sigaction = 13,
    .nr_close = 3,
    .sigaction_flags = 0x4 | 0x04000000, /* SA_SIGINFO | SA_RESTORER */
#ifdef UP_X86_64_FALLBACK
    .fallback = &up_x86_64_fallback,
#endif
    .fast = &up_x86_64_fast,

    .breakpoint = up_arch_bp_bytes,
    .decode = up_x86_64_decode,
    .insn_length = up_arch_insn_length_unknown,
    .simulate = up_x86_64_simulate,
    .xol_build = up_x86_64_xol_build,
    .xol_enter = up_x86_64_xol_enter,
    .xol_leave = up_x86_64_xol_leave,
    .return_address_get = x86_64_return_address_get,
    .return_address_set = x86_64_return_address_set,
    .reg_lookup = x86_64_reg_lookup,
    .dwarf_reg = x86_64_dwarf_reg,

    .fp_arg_regs = {0, 1, 2, 3, 4, 5, 6, 7},
    .n_fp_arg_regs = 8,
    .fp_retval_reg = 0,
    .long_double_x87 = true,
    .dwarf_fp_reg = x86_64_dwarf_fp_reg,
    /*
     * qemu's i386-64bit.xml: xmm0 is register 49 (after st0-7 and fctrl..fop).
     * qemu 7.2's st0-7 (from 33) are the physical x87 registers, not the
     * stack ST(0)-ST(7) gdbserver sends: which one a stub means cannot be
     * told, so a long double result is not read remotely.
     */
    .gdb_fp_regnum = 49,
    .gdb_fp_size = 16,
    .n_fp_regs = 16,
    .gdb_x87_regnum = -1,
};

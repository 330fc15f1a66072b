/* SPDX-License-Identifier: MIT */
/*
 * One register file for every architecture: a flat array of 64-bit values
 * whose indexes each architecture fixes below. The ptrace target converts
 * the host's NT_PRSTATUS layout to and from it; the GDB remote target uses
 * the arch's gdb_regs table. Nothing else knows a native layout.
 */
#ifndef UPTRACE_REGS_H
#define UPTRACE_REGS_H

#include <stdint.h>

#define UP_REGS_MAX 40

struct up_regs {
	uint64_t r[UP_REGS_MAX];
};

/* x86_64: GDB's amd64 order for the first 24. */
enum {
	UP_X86_RAX,
	UP_X86_RBX,
	UP_X86_RCX,
	UP_X86_RDX,
	UP_X86_RSI,
	UP_X86_RDI,
	UP_X86_RBP,
	UP_X86_RSP,
	UP_X86_R8,
	UP_X86_R9,
	UP_X86_R10,
	UP_X86_R11,
	UP_X86_R12,
	UP_X86_R13,
	UP_X86_R14,
	UP_X86_R15,
	UP_X86_RIP,
	UP_X86_EFLAGS,
	UP_X86_CS,
	UP_X86_SS,
	UP_X86_DS,
	UP_X86_ES,
	UP_X86_FS,
	UP_X86_GS,
	UP_X86_FS_BASE,
	UP_X86_GS_BASE,
	UP_X86_ORIG_RAX,
	UP_X86_NREGS
};

/* aarch64: x0..x30, sp, pc, pstate (GDB's order). */
enum {
	UP_A64_X0 = 0,
	UP_A64_FP = 29,
	UP_A64_LR = 30,
	UP_A64_SP = 31,
	UP_A64_PC = 32,
	UP_A64_PSTATE = 33,
	UP_A64_NREGS
};

/* riscv64: x0 (zero)..x31, pc (GDB's order). */
enum {
	UP_RV_ZERO = 0,
	UP_RV_RA = 1,
	UP_RV_SP = 2,
	UP_RV_A0 = 10,
	UP_RV_A7 = 17,
	UP_RV_PC = 32,
	UP_RV_NREGS
};

/* loongarch64: r0..r31, orig_a0, pc, badv. */
enum {
	UP_LA_ZERO = 0,
	UP_LA_RA = 1,
	UP_LA_SP = 3,
	UP_LA_A0 = 4,
	UP_LA_A7 = 11,
	UP_LA_ORIG_A0 = 32,
	UP_LA_PC = 33,
	UP_LA_BADV = 34,
	UP_LA_NREGS
};

/*
 * The floating-point and vector registers, fetched only when a probe asks
 * for one (a double argument, a float return value): v[i] holds register
 * i's low 16 bytes, little-endian (x86_64 xmm0-15, aarch64 v0-31, riscv64
 * and loongarch64 f0-31 in v[i][0]); indexes UP_FP_X87 + k are x86_64's
 * st(k) as 80-bit extended (low 10 bytes). A float is the low 4 bytes of
 * its register, a double the low 8, on every arch.
 */
#define UP_FP_X87 32
#define UP_FPREGS_MAX 40

struct up_fpregs {
	uint64_t v[UP_FPREGS_MAX][2];
};

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Registers of a native x86_64 thread: NT_PRSTATUS (struct user_regs_struct)
 * to and from struct up_regs, one PTRACE_GETREGSET / SETREGSET each, as
 * this is on the per-hit path. The only place that knows the host layout.
 * The FP registers (NT_PRFPREG: the FXSAVE area, x87 and SSE) only when a
 * probe reads one.
 */
#if defined(__x86_64__)
#include <errno.h>
#include <elf.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "ptrace_internal.h"

int pt_get_regs(struct up_target *t, pid_t tid, struct up_regs *regs)
{
	struct user_regs_struct u;
	struct iovec iov = {&u, sizeof(u)};
	uint64_t *r = regs->r;

	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -errno;
	r[UP_X86_RAX] = u.rax;
	r[UP_X86_RBX] = u.rbx;
	r[UP_X86_RCX] = u.rcx;
	r[UP_X86_RDX] = u.rdx;
	r[UP_X86_RSI] = u.rsi;
	r[UP_X86_RDI] = u.rdi;
	r[UP_X86_RBP] = u.rbp;
	r[UP_X86_RSP] = u.rsp;
	r[UP_X86_R8] = u.r8;
	r[UP_X86_R9] = u.r9;
	r[UP_X86_R10] = u.r10;
	r[UP_X86_R11] = u.r11;
	r[UP_X86_R12] = u.r12;
	r[UP_X86_R13] = u.r13;
	r[UP_X86_R14] = u.r14;
	r[UP_X86_R15] = u.r15;
	r[UP_X86_RIP] = u.rip;
	r[UP_X86_EFLAGS] = u.eflags;
	r[UP_X86_CS] = u.cs;
	r[UP_X86_SS] = u.ss;
	r[UP_X86_DS] = u.ds;
	r[UP_X86_ES] = u.es;
	r[UP_X86_FS] = u.fs;
	r[UP_X86_GS] = u.gs;
	r[UP_X86_FS_BASE] = u.fs_base;
	r[UP_X86_GS_BASE] = u.gs_base;
	r[UP_X86_ORIG_RAX] = u.orig_rax;
	return 0;
}

int pt_set_regs(struct up_target *t, pid_t tid, const struct up_regs *regs)
{
	struct user_regs_struct u;
	struct iovec iov = {&u, sizeof(u)};
	const uint64_t *r = regs->r;

	u.rax = r[UP_X86_RAX];
	u.rbx = r[UP_X86_RBX];
	u.rcx = r[UP_X86_RCX];
	u.rdx = r[UP_X86_RDX];
	u.rsi = r[UP_X86_RSI];
	u.rdi = r[UP_X86_RDI];
	u.rbp = r[UP_X86_RBP];
	u.rsp = r[UP_X86_RSP];
	u.r8 = r[UP_X86_R8];
	u.r9 = r[UP_X86_R9];
	u.r10 = r[UP_X86_R10];
	u.r11 = r[UP_X86_R11];
	u.r12 = r[UP_X86_R12];
	u.r13 = r[UP_X86_R13];
	u.r14 = r[UP_X86_R14];
	u.r15 = r[UP_X86_R15];
	u.rip = r[UP_X86_RIP];
	u.eflags = r[UP_X86_EFLAGS];
	u.cs = r[UP_X86_CS];
	u.ss = r[UP_X86_SS];
	u.ds = r[UP_X86_DS];
	u.es = r[UP_X86_ES];
	u.fs = r[UP_X86_FS];
	u.gs = r[UP_X86_GS];
	u.fs_base = r[UP_X86_FS_BASE];
	u.gs_base = r[UP_X86_GS_BASE];
	u.orig_rax = r[UP_X86_ORIG_RAX];
	if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -errno;
	return 0;
}
/*
 * TF (bit 8 of eflags). ptrace hides it while the kernel knows it set TF
 * for a step of ours (TIF_FORCED_TF), and clears it when the thread runs
 * on. Not after a stepped popf, though: the kernel then takes TF for the
 * program's (is_setting_trap_flag), and on the next step finds it set and
 * stays of that opinion (arch/x86/kernel/step.c). Resumed or detached so,
 * the thread would take a trace trap after its next instruction and, with
 * no tracer, die of SIGTRAP. The trampolines' popfq is such an instruction.
 */
#define X86_TF 0x100ul

int pt_trace_flag(pid_t tid)
{
	long flags;

	errno = 0;
	flags = ptrace(PTRACE_PEEKUSER, tid, (void *)offsetof(struct user_regs_struct, eflags), 0);
	if (errno)
		return -errno;
	return (flags & X86_TF) != 0;
}

int pt_clear_trace_flag(pid_t tid)
{
	void *at = (void *)offsetof(struct user_regs_struct, eflags);
	long flags;

	errno = 0;
	flags = ptrace(PTRACE_PEEKUSER, tid, at, 0);
	if (errno)
		return -errno;
	if (!(flags & X86_TF))
		return 0;
	return ptrace(PTRACE_POKEUSER, tid, at, (void *)(flags & ~X86_TF)) < 0 ? -errno : 0;
}

int pt_get_fpregs(struct up_target *t, pid_t tid, struct up_fpregs *fp, uint64_t want)
{
	struct user_fpregs_struct u;
	struct iovec iov = {&u, sizeof(u)};

	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRFPREG, &iov) < 0)
		return -errno;
	memset(fp, 0, sizeof(*fp));
	/* xmm_space: 16 registers of 16 bytes; st_space: st(0)..st(7) in 16-byte slots */
	for (int i = 0; i < 16; i++)
		memcpy(fp->v[i], (const char *)u.xmm_space + 16 * i, 16);
	for (int i = 0; i < 8; i++)
		memcpy(fp->v[UP_FP_X87 + i], (const char *)u.st_space + 16 * i, 10);
	return 0;
}
#endif

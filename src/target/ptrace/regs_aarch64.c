/* SPDX-License-Identifier: MIT */
/*
 * Registers of a native aarch64 thread: NT_PRSTATUS (struct user_pt_regs)
 * to and from struct up_regs, one PTRACE_GETREGSET / SETREGSET each, as
 * this is on the per-hit path. The only place that knows the host layout.
 * The FP/SIMD registers (NT_PRFPREG: v0-v31) only when a probe reads one.
 */
#if defined(__aarch64__)
#include <errno.h>
#include <elf.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <asm/ptrace.h>

#include "ptrace_internal.h"

int pt_get_regs(struct up_target *t, pid_t tid, struct up_regs *regs)
{
	struct user_pt_regs u;
	struct iovec iov = {&u, sizeof(u)};

	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -errno;
	for (int i = 0; i < 31; i++)
		regs->r[UP_A64_X0 + i] = u.regs[i];
	regs->r[UP_A64_SP] = u.sp;
	regs->r[UP_A64_PC] = u.pc;
	regs->r[UP_A64_PSTATE] = u.pstate;
	return 0;
}

int pt_set_regs(struct up_target *t, pid_t tid, const struct up_regs *regs)
{
	struct user_pt_regs u;
	struct iovec iov = {&u, sizeof(u)};

	for (int i = 0; i < 31; i++)
		u.regs[i] = regs->r[UP_A64_X0 + i];
	u.sp = regs->r[UP_A64_SP];
	u.pc = regs->r[UP_A64_PC];
	u.pstate = regs->r[UP_A64_PSTATE];
	if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -errno;
	return 0;
}
int pt_get_fpregs(struct up_target *t, pid_t tid, struct up_fpregs *fp, uint64_t want)
{
	struct user_fpsimd_state u;
	struct iovec iov = {&u, sizeof(u)};

	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRFPREG, &iov) < 0)
		return -errno;
	memset(fp, 0, sizeof(*fp));
	for (int i = 0; i < 32; i++)
		memcpy(fp->v[i], &u.vregs[i], 16);
	return 0;
}

/* The kernel clears the step state itself (MDSCR_EL1.SS, PSTATE.SS): nothing of ours stays. */
int pt_trace_flag(pid_t tid)
{
	return 0;
}

int pt_clear_trace_flag(pid_t tid)
{
	return 0;
}
#endif

/* SPDX-License-Identifier: MIT */
/*
 * Hosts whose native register layout uptrace does not know yet: native
 * tracing reports -ENOTSUP for registers (qemu-user / gdbserver still work).
 */
#if !defined(__x86_64__) && !defined(__aarch64__)
#include <errno.h>

#include "ptrace_internal.h"

int pt_get_regs(struct up_target *t, pid_t tid, struct up_regs *regs)
{
	return -ENOTSUP;
}

int pt_set_regs(struct up_target *t, pid_t tid, const struct up_regs *regs)
{
	return -ENOTSUP;
}
int pt_get_fpregs(struct up_target *t, pid_t tid, struct up_fpregs *fp, uint64_t want)
{
	return -ENOTSUP;
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

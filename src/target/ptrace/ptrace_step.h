/* SPDX-License-Identifier: MIT */
/*
 * The one hook the generic remote-syscall code (../remote_syscall.c) needs
 * from the ptrace target and struct up_target_ops does not give: wait for
 * one thread's single-step trap while stops of other threads stay queued
 * for the core instead of being consumed.
 */
#ifndef UPTRACE_PTRACE_STEP_H
#define UPTRACE_PTRACE_STEP_H

#include <sys/types.h>

struct up_target;

/*
 * After ops->step(t, tid): wait for that step's trap. 0 when it arrived;
 * -ESRCH when the thread died instead; -ENOTSUP when t is not a ptrace
 * target (the caller then uses ops->wait).
 */
int up_ptrace_wait_step(struct up_target *t, pid_t tid);

#endif

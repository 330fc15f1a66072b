/* SPDX-License-Identifier: MIT */
/* A guardian process around the tracer (guardian.c): SIGKILL of uptrace still detaches. */
#ifndef UPTRACE_CLI_GUARDIAN_H
#define UPTRACE_CLI_GUARDIAN_H

/* Fork: the parent waits as the guardian and never returns; the child traces. */
void up_guardian_start(void);

#endif

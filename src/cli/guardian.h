/* SPDX-License-Identifier: MIT */
/* A guardian process around the tracer (guardian.c): SIGKILL of uptrace still detaches. */
#ifndef UPTRACE_CLI_GUARDIAN_H
#define UPTRACE_CLI_GUARDIAN_H

/* Fork: the parent waits as the guardian and never returns; the child traces. */
void up_guardian_start(void);

/* The tracer: hand the guardian the file of an in-process fallback record. */
void up_guardian_share_record(int fd);

/*
 * The guardian, after the tracer died by signal sig: re-attach to the
 * process the record is of and put back what the tracer changed
 * (guardian_recover.c).
 */
void guardian_recover(int record_fd, pid_t tracer, int sig);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The process a user sees as uptrace is a guardian; the tracing is done by
 * its child. A tracer killed with SIGKILL cannot restore the text it
 * patched, and the traced process would die at its next hit. But when the
 * guardian is killed (kill -9 PID, the OOM killer picking the process the
 * user started), the kernel sends the tracer SIGTERM (PR_SET_PDEATHSIG),
 * and the tracer detaches cleanly as on any SIGTERM.
 *
 * The guardian forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the tracer
 * (a user's `kill -INT PID` reaches only the guardian) and exits with the
 * tracer's status. A terminal sends SIGINT to both: the tracer then gets it
 * twice, and a second stop request is no different from the first. Only a
 * SIGKILL aimed at the tracer process itself still loses the state; a
 * command the tracer started then dies with it (PTRACE_O_EXITKILL).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guardian.h"

static volatile pid_t tracer;

static void forward(int sig)
{
	if (tracer > 0)
		kill(tracer, sig);
}

/* The guardian's whole life: wait for the tracer and end as it ended. */
static void guard(pid_t child)
{
	struct sigaction sa;
	int status;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	_exit(128 + WTERMSIG(status));
}

void up_guardian_start(void)
{
	pid_t parent = getpid(), child;

	if (getenv("UPTRACE_NO_GUARDIAN"))
		return;
	fflush(NULL);
	child = fork();
	if (child < 0)
		return; /* no guardian: trace without one */
	if (child > 0) {
		tracer = child;
		guard(child);
	}
	/* the tracer: SIGTERM when the guardian dies, however it dies */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 && getppid() != parent)
		raise(SIGTERM);
}

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
 * twice, and a second stop request is no different from the first.
 *
 * A SIGKILL aimed at the tracer process itself (or the OOM killer picking
 * it) cannot be caught. A command the tracer started dies with it
 * (PTRACE_O_EXITKILL). A process it attached to is let go by the kernel
 * with our breakpoints in place: the in-process fallback keeps it alive
 * meanwhile (include/uptrace/fallback.h), and the tracer hands the guardian
 * the file of its fallback record over a socket as soon as it exists; when
 * the tracer dies by a signal, the guardian re-attaches and puts everything
 * back from that record (guardian_recover.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guardian.h"

static volatile pid_t tracer;
static int record_sock = -1; /* the tracer's end of the socket to the guardian */

static void forward(int sig)
{
	if (tracer > 0)
		kill(tracer, sig);
}

/* A file descriptor sent with SCM_RIGHTS, or -1. */
static int receive_fd(int sock, int flags)
{
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

/* Keep the newest record the tracer sent (an exec makes a new one). */
static void take_records(int sock, int *record, int flags)
{
	int fd;

	while (sock >= 0 && (fd = receive_fd(sock, flags)) >= 0) {
		if (*record >= 0)
			close(*record);
		*record = fd;
		flags |= MSG_DONTWAIT;
	}
}

/*
 * Wait for the tracer, taking the records it sends meanwhile: a pidfd and
 * the socket polled together (without pidfds, a poll with a timeout).
 */
static int wait_tracer(pid_t child, int sock, int *record)
{
	int pidfd = (int)syscall(SYS_pidfd_open, child, 0), status;

	for (;;) {
		struct pollfd p[2] = {{sock, POLLIN, 0}, {pidfd, POLLIN, 0}};
		pid_t w = waitpid(child, &status, WNOHANG);

		if (w == child)
			break;
		if (w < 0 && errno != EINTR)
			_exit(1);
		if (poll(p, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 100) > 0 &&
		    (p[0].revents & POLLIN))
			take_records(sock, record, MSG_DONTWAIT);
		if (p[0].revents & (POLLHUP | POLLERR))
			sock = -1; /* closed: nothing more will come, waitpid decides */
	}
	take_records(sock, record, MSG_DONTWAIT); /* what was sent just before the end */
	if (pidfd >= 0)
		close(pidfd);
	return status;
}

/* The guardian's whole life: wait for the tracer and end as it ended. */
static void guard(pid_t child, int sock)
{
	struct sigaction sa;
	int status, record = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	status = wait_tracer(child, sock, &record);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	if (record >= 0)
		guardian_recover(record, child, WTERMSIG(status));
	_exit(128 + WTERMSIG(status));
}

void up_guardian_share_record(int fd)
{
	char byte = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	struct cmsghdr *cm;

	if (record_sock < 0 || fd < 0)
		return;
	memset(ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	sendmsg(record_sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void up_guardian_start(void)
{
	pid_t parent = getpid(), child;
	int sv[2] = {-1, -1};

	if (getenv("UPTRACE_NO_GUARDIAN"))
		return;
	fflush(NULL);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		sv[0] = sv[1] = -1; /* a guardian that cannot recover is still one */
	child = fork();
	if (child < 0) {
		close(sv[0]);
		close(sv[1]);
		return; /* no guardian: trace without one */
	}
	if (child > 0) {
		close(sv[1]);
		tracer = child;
		guard(child, sv[0]);
	}
	close(sv[0]);
	record_sock = sv[1];
	/* the tracer: SIGTERM when the guardian dies, however it dies */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 && getppid() != parent)
		raise(SIGTERM);
}

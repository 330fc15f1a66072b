/* SPDX-License-Identifier: MIT */
/*
 * Run a command traced from its first instruction.
 *
 * The child stops itself with SIGSTOP, so the parent can PTRACE_SEIZE it
 * before it execs; it then runs to the exec event and stays there, at the
 * first instruction of the new image (ld.so's entry for a dynamic program).
 * An exec failure travels back as errno over a close-on-exec pipe, so it is
 * reported as an error and never as a traced process.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptrace_internal.h"

/* Where execvp would find file (first executable match on PATH). */
static int resolve(const char *file, char *out, size_t size)
{
	const char *path = getenv("PATH"), *dir, *end;

	if (strchr(file, '/')) {
		snprintf(out, size, "%s", file);
		return 0;
	}
	for (dir = path ? path : "/usr/bin:/bin"; *dir; dir = *end ? end + 1 : end) {
		end = strchrnul(dir, ':');
		snprintf(out, size, "%.*s/%s", (int)(end - dir), dir[0] == ':' ? "." : dir, file);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/*
 * An ELF program this host cannot trace is refused before anything runs:
 * one of another class (every i386 program: ELFCLASS32) or of another
 * architecture (binfmt_misc would run it under qemu). A #! script, or a
 * file execvp will not run, is left to execvp and to pt_exe_identify.
 */
static int check_machine(const char *file)
{
	unsigned char ident[EI_NIDENT];
	char path[4096];
	uint16_t machine;
	uint32_t flags;
	ssize_t n;
	int fd;

	if (resolve(file, path, sizeof(path)))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = pread(fd, ident, sizeof(ident), 0);
	close(fd);
	if (n != (ssize_t)sizeof(ident) || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return 0;
	if (ident[EI_CLASS] != ELFCLASS64 || pt_elf_machine(path, &machine, &flags) != 0 ||
	    machine != pt_host_machine())
		return -ENOEXEC;
	return 0;
}

/*
 * Kill the child and reap it, from any state. A traced child killed with
 * SIGKILL still stops at PTRACE_EVENT_EXIT (PTRACE_O_TRACEEXIT is set):
 * it must be continued from there, or waitpid() waits for ever.
 */
static void kill_child(pid_t pid)
{
	int status;
	pid_t r;

	kill(pid, SIGKILL);
	for (;;) {
		r = waitpid(pid, &status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || WIFEXITED(status) || WIFSIGNALED(status))
			return;
		if (WIFSTOPPED(status))
			ptrace(PTRACE_CONT, pid, 0, 0);
	}
}

static void child(char *const argv[], int err_fd)
{
	int e;

	raise(SIGSTOP);
	execvp(argv[0], argv);
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* Run the seized child up to its exec event. 0 there; -errno of a failed exec. */
static int run_to_exec(pid_t pid, int err_fd)
{
	int status, e = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (read(err_fd, &e, sizeof(e)) == (ssize_t)sizeof(e) && e > 0)
				return -e;
			return -ECHILD;
		}
		if (!WIFSTOPPED(status))
			continue;
		switch (status >> 16) {
		case PTRACE_EVENT_EXEC:
			return 0;
		case 0:
			/* Our SIGCONT needs no delivery; anything else is the child's own. */
			ptrace(PTRACE_CONT, pid, 0,
			       WSTOPSIG(status) == SIGCONT ? 0L : (long)WSTOPSIG(status));
			break;
		default:
			ptrace(PTRACE_CONT, pid, 0, 0);
			break;
		}
	}
}

int up_ptrace_spawn(struct up_target **out, char *const argv[], bool follow_forks)
{
	struct up_ptrace *p;
	struct pt_thread *th;
	int fds[2], status, err;
	pid_t pid;

	if (!argv || !argv[0])
		return -EINVAL;
	err = check_machine(argv[0]);
	if (err)
		return err;
	p = pt_alloc(follow_forks);
	if (!p)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		err = -errno;
		goto err_free;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto err_pipe;
	}
	if (pid == 0) {
		close(fds[0]);
		child(argv, fds[1]);
	}
	close(fds[1]);
	fds[1] = -1;
	p->t.pid = pid;
	while (waitpid(pid, &status, WSTOPPED) < 0) {
		if (errno != EINTR) {
			err = -errno;
			goto err_kill;
		}
	}
	if (!WIFSTOPPED(status)) {
		err = -ECHILD;
		goto err_kill;
	}
	/* EXITKILL: a tracer that dies with breakpoints in the command takes the command along */
	if (ptrace(PTRACE_SEIZE, pid, 0, (long)(PT_OPTIONS | PTRACE_O_EXITKILL)) < 0) {
		err = -errno;
		goto err_kill;
	}
	kill(pid, SIGCONT);
	err = run_to_exec(pid, fds[0]);
	if (err)
		goto err_kill;
	th = pt_thread_add(&p->threads, pid, pid);
	if (!th) {
		err = -ENOMEM;
		goto err_kill;
	}
	th->state = PT_HELD;
	th->stop_type = PT_STOP_EVENT;
	err = pt_mem_open(p);
	if (!err)
		err = pt_exe_identify(p);
	if (err)
		goto err_kill;
	close(fds[0]);
	*out = &p->t;
	return 0;

err_kill:
	kill_child(pid);
err_pipe:
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
err_free:
	pt_destroy(&p->t);
	return err;
}

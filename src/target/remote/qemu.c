/* SPDX-License-Identifier: MIT */
/*
 * --qemu: run a foreign ELF under qemu-user's gdbstub and connect to it.
 *
 * argv[0]'s ELF header picks the architecture and so the emulator
 * (qemu-<arch->qemu_name> from PATH). qemu is started as
 * "qemu-ARCH -g SOCKET [-L SYSROOT] ELF ARGS..." with a unix socket in a
 * private directory (else a loopback port found free by binding port 0);
 * it waits for us before the first instruction.
 * The program shares uptrace's stdin, stdout and stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uptrace/arch.h"
#include "remote.h"

#define MAX_ARGS 1024
#define CONNECT_TRIES 100 /* 10 ms apart at first, then 50 ms */
#define PORT_TRIES 3

/* An executable file named name in $PATH (or name itself when it has a '/'). */
static int find_in_path(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(name, '/')) {
		if (!realpath(name, out))
			return -errno;
		return access(out, X_OK) ? -errno : 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		int len;

		end = strchrnul(p, ':');
		len = snprintf(out, size, "%.*s/%s", (int)(end - p), p, name);
		if (len > 0 && (size_t)len < size && access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static int free_loopback_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd, port = -EADDRNOTAVAIL;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* --sysroot, else $QEMU_LD_PREFIX, else /usr/<triple> when it is there. */
static void pick_sysroot(const struct up_arch *arch, const char *sysroot, char *out, size_t size)
{
	const char *env = getenv("QEMU_LD_PREFIX");
	struct stat st;
	char dir[64];

	out[0] = '\0';
	if (sysroot && *sysroot) {
		snprintf(out, size, "%s", sysroot);
		return;
	}
	if (env && *env) {
		snprintf(out, size, "%s", env);
		return;
	}
	if (arch == up_arch_host())
		return;
	snprintf(dir, sizeof(dir), "/usr/%s-linux-gnu", arch->name);
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(out, size, "%s", dir);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/*
 * qemu -g WHERE: a TCP port number or a unix socket's path. If qemu cannot
 * be run, the child sends execv's errno back through a close-on-exec pipe
 * (which an exec that works closes, unwritten) and the caller says so: the
 * child prints nothing.
 */
static pid_t start_qemu(const char *qemu, const char *where, const char *sysroot, const char *exe,
			char *const argv[], bool *not_run)
{
	char *args[MAX_ARGS + 8];
	pid_t pid, parent = getpid();
	int n = 0, pipefd[2], child_errno = 0;
	ssize_t got;

	args[n++] = (char *)qemu;
	args[n++] = "-g";
	args[n++] = (char *)where;
	if (sysroot[0]) {
		args[n++] = "-L";
		args[n++] = (char *)sysroot;
	}
	args[n++] = (char *)exe;
	for (int i = 1; argv[i] && n < MAX_ARGS + 6; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	*not_run = false;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		/*
		 * qemu holds the program and the breakpoints we write: a tracer
		 * that dies without detaching takes it along (ptrace's
		 * PTRACE_O_EXITKILL does this for a native command).
		 */
		close(pipefd[0]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		execv(qemu, args);
		child_errno = errno;
		if (write(pipefd[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	if (pid < 0) {
		n = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return n;
	}
	close(pipefd[1]);
	do
		got = read(pipefd[0], &child_errno, sizeof(child_errno));
	while (got < 0 && errno == EINTR);
	close(pipefd[0]);
	if (got == sizeof(child_errno)) {
		waitpid(pid, NULL, 0);
		*not_run = true;
		return -child_errno;
	}
	return pid;
}

/*
 * Connect to the qemu listening at where (a unix socket's path, else a
 * loopback port); -EAGAIN when qemu died first (the port was taken
 * meanwhile, say), after collecting it.
 */
static int connect_qemu(pid_t qemu_pid, const char *where, bool is_unix)
{
	int status;

	for (int i = 0; i < CONNECT_TRIES; i++) {
		int fd = is_unix ? up_remote_unix_connect(where)
				 : up_remote_tcp_connect("127.0.0.1", where);

		if (fd >= 0)
			return fd;
		if (waitpid(qemu_pid, &status, WNOHANG) == qemu_pid)
			return -EAGAIN;
		sleep_ms(i < 20 ? 10 : 50);
	}
	return -ETIMEDOUT;
}

/*
 * Start qemu on a unix socket in a private directory (nothing on the
 * network, no port to race for; qemu 7.2 takes a path for -g), else on a
 * free loopback port. The connected fd, or a negative errno; *pid is set.
 */
static int start_and_connect(const char *qemu, const char *sysroot, const char *exe,
			     char *const argv[], pid_t *pid, bool *not_run)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], where[300];
	int fd = -EAGAIN, port;

	snprintf(dir, sizeof(dir), "%s/uptrace-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir)) {
		snprintf(where, sizeof(where), "%s/gdb", dir);
		*pid = start_qemu(qemu, where, sysroot, exe, argv, not_run);
		if (*pid < 0)
			fd = *pid;
		else
			fd = connect_qemu(*pid, where, true);
		unlink(where);
		rmdir(dir);
		return fd;
	}
	for (int tries = 0; tries < PORT_TRIES && fd == -EAGAIN; tries++) {
		port = free_loopback_port();
		if (port < 0)
			return port;
		snprintf(where, sizeof(where), "%d", port);
		*pid = start_qemu(qemu, where, sysroot, exe, argv, not_run);
		if (*pid < 0)
			return *pid;
		fd = connect_qemu(*pid, where, false);
	}
	return fd;
}

/* The body of up_remote_spawn_qemu for a known architecture (tests pass their own). */
int up_remote_spawn_qemu_arch(struct up_target **out, char *const argv[], const char *sysroot,
			      const struct up_arch *arch, uint32_t e_flags, char *err,
			      size_t errlen)
{
	char qemu_name[64], qemu[4096];
	struct up_remote *r;
	int n, fd = -1;
	pid_t pid = -1;
	bool not_run = false;

	up_remote_why(err, errlen, "%s", "");
	snprintf(qemu_name, sizeof(qemu_name), "qemu-%s", arch->qemu_name);
	n = find_in_path(qemu_name, qemu, sizeof(qemu));
	if (n) {
		up_remote_why(err, errlen,
			      "%s not found on PATH: install qemu-user (Debian: apt install "
			      "qemu-user) to run %s programs",
			      qemu_name, arch->name);
		return -ENOENT;
	}
	r = up_remote_new();
	if (!r)
		return -ENOMEM;
	r->t.arch = arch;
	r->t.e_flags = e_flags;
	if (!realpath(argv[0], r->t.exe)) {
		n = -errno; /* errno says it */
		goto fail;
	}
	pick_sysroot(arch, sysroot, r->t.sysroot, sizeof(r->t.sysroot));
	fd = start_and_connect(qemu, r->t.sysroot, r->t.exe, argv, &pid, &not_run);
	if (fd < 0 && not_run) {
		up_remote_why(err, errlen, "%s cannot start: %s", qemu, strerror(-fd));
		n = fd;
		goto fail;
	}
	if (fd < 0) {
		up_remote_why(err, errlen, "cannot connect to %s's gdbstub: %s", qemu_name,
			      strerror(fd == -EAGAIN ? ECONNREFUSED : -fd));
		n = fd;
		if (fd != -EAGAIN && pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		goto fail;
	}
	r->qemu_pid = pid;
	r->t.pid = pid;
	n = up_remote_open(r, fd);
	if (n) {
		up_remote_why(err, errlen, "%s's gdbstub: %s", qemu_name, strerror(-n));
		r->t.ops->destroy(&r->t);
		return n;
	}
	*out = &r->t;
	return 0;
fail:
	free(r);
	return n;
}

int up_remote_spawn_qemu(struct up_target **out, char *const argv[], const char *sysroot, char *err,
			 size_t errlen)
{
	char exe[4096];
	const struct up_arch *arch;
	uint32_t e_flags;
	int n;

	up_remote_why(err, errlen, "%s", "");
	n = find_in_path(argv[0], exe, sizeof(exe));
	if (n)
		return n; /* errno says it */
	n = up_remote_elf_arch(exe, &arch, &e_flags);
	if (n == -ENOTSUP)
		up_remote_why(err, errlen, "%s is for an ELF machine uptrace does not support",
			      exe);
	if (n)
		return n; /* -ENOEXEC: the caller says "not an ELF program" */
	{
		char *args[MAX_ARGS + 1];
		int i;

		args[0] = exe;
		for (i = 1; argv[i] && i < MAX_ARGS; i++)
			args[i] = argv[i];
		args[i] = NULL;
		return up_remote_spawn_qemu_arch(out, args, sysroot, arch, e_flags, err, errlen);
	}
}

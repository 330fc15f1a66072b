/* SPDX-License-Identifier: MIT */
/* The symbol tests' target and fixture process (see test_target.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <sys/wait.h>

#include "uptrace/arch.h"
#include "uptrace/regs.h"
#include "test_target.h"

static int proc_read(pid_t pid, const char *what, uint64_t off, void *buf, size_t len, bool all)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, off);
	close(fd);
	if (n < 0)
		return -errno;
	if (all && (size_t)n != len)
		return -EIO;
	return (int)n;
}

static int test_read(struct up_target *t, uint64_t addr, void *buf, size_t len)
{
	int n = proc_read(t->pid, "mem", addr, buf, len, true);

	return n < 0 ? n : 0;
}

static int test_auxv(struct up_target *t, void *buf, size_t len)
{
	return proc_read(t->pid, "auxv", 0, buf, len, false);
}

static const struct up_target_ops test_ops = {
    .read = test_read,
    .auxv = test_auxv,
};

void sym_test_target_init(struct up_target *t, pid_t pid, const char *exe, bool remote)
{
	memset(t, 0, sizeof(*t));
	up_target_init(t, &test_ops);
	t->arch = up_arch_by_machine(EM_X86_64); /* its dwarf_reg numbering */
	t->pid = pid;
	t->caps.procfs = !remote;
	if (!realpath(exe, t->exe))
		snprintf(t->exe, sizeof(t->exe), "%s", exe);
}

int sym_child_start(struct sym_child *c, char *const argv[])
{
	char line[256];
	int fds[2];

	memset(c, 0, sizeof(*c));
	if (pipe(fds) < 0)
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	c->out = fdopen(fds[0], "r");
	if (!c->out || sym_child_line(c, line, sizeof(line)) < 0 ||
	    sscanf(line,
		   "ready %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64
		   " %" SCNx64,
		   &c->fx_int, &c->malloc_addr, &c->r_brk, &c->symfix_dup, &c->r_debug, &c->global,
		   &c->global_req) != 7) {
		sym_child_stop(c);
		return -EIO;
	}
	return 0;
}

int sym_child_line(struct sym_child *c, char *buf, size_t len)
{
	return fgets(buf, (int)len, c->out) ? 0 : -EIO;
}

void sym_child_stop(struct sym_child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
	}
	if (c->out) {
		fclose(c->out);
		c->out = NULL;
	}
}

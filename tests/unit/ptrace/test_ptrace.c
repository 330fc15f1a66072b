/* SPDX-License-Identifier: MIT */
/*
 * The ptrace target against real processes (tests/unit/ptrace/helper.c and
 * helper_static.c, no mocks): spawn and entry point, memory incl. read-only
 * text, registers, remote mmap, attach to sleeping threads and detach,
 * group-stop, new threads, forks, exec, exit status and death by signal.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "uptrace/arch.h"
#include "uptrace/target.h"

/* The host's table, as a traced process of the host gets it. */
static const struct up_arch *test_arch(void)
{
	return up_arch_host();
}

/* An untraced helper that printed "ok" on fd and exited 0: it ran on right after we let go. */
static void expect_helper_ok(int fd, pid_t pid)
{
	char buf[64] = {0};
	int status;

	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	assert_string_equal(buf, "ok\n");
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static char helper[PATH_MAX], helper_static[PATH_MAX];

static int setup_paths(void **state)
{
	const char *h = getenv("PT_HELPER"), *s = getenv("PT_HELPER_STATIC");

	if (!h || !s || !realpath(h, helper) || !realpath(s, helper_static)) {
		fprintf(stderr, "PT_HELPER / PT_HELPER_STATIC not set: run through meson test\n");
		return -1;
	}
	return 0;
}

static struct up_target *spawn(const char *a0, const char *a1, const char *a2)
{
	char *argv[] = {(char *)a0, (char *)a1, (char *)a2, NULL};
	struct up_target *t = NULL;

	assert_int_equal(up_ptrace_spawn(&t, argv, false), 0);
	assert_non_null(t);
	if (!t->arch)
		t->arch = test_arch();
	return t;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What happened on the way to the end, for the tests to check. */
struct run_log {
	int traps, signals, new_threads, thread_exits, forks, execs;
	int last_signal;
	pid_t new_tid, exit_tid, child;
	struct up_stop end;
};

/*
 * The core's part, minimally: let every stop go on (signals delivered,
 * forks released) until the process ends; fails if that takes over 10 s.
 */
static void run_to_end(struct up_target *t, struct run_log *log,
		       int64_t (*on_fork)(struct up_target *, pid_t))
{
	int64_t deadline = now_ms() + 10000;
	struct up_stop s;

	memset(log, 0, sizeof(*log));
	assert_int_equal(t->ops->resume_all(t), 0);
	for (;;) {
		assert_true(now_ms() < deadline);
		assert_int_equal(t->ops->wait(t, &s, 200), 0);
		switch (s.kind) {
		case UP_STOP_TIMEOUT:
		case UP_STOP_EINTR:
			continue;
		case UP_STOP_TRAP:
			log->traps++;
			break;
		case UP_STOP_SIGNAL:
			log->signals++;
			log->last_signal = s.sig;
			assert_int_equal(t->ops->resume(t, s.tid, s.sig), 0);
			continue;
		case UP_STOP_THREAD_NEW:
			log->new_threads++;
			log->new_tid = s.tid;
			break;
		case UP_STOP_THREAD_EXIT:
			log->thread_exits++;
			log->exit_tid = s.tid;
			continue;
		case UP_STOP_FORK:
			log->forks++;
			log->child = s.new_pid;
			if (on_fork)
				on_fork(t, s.new_pid);
			else
				assert_int_equal(t->ops->child_release(t, s.new_pid, NULL, 0), 0);
			break;
		case UP_STOP_EXEC:
			log->execs++;
			break;
		case UP_STOP_EXITED:
		case UP_STOP_KILLED:
			if (s.tid != t->pid)
				continue;
			log->end = s;
			return;
		default:
			fail_msg("unexpected stop kind %d", s.kind);
		}
		assert_int_equal(t->ops->resume(t, s.tid, 0), 0);
	}
}

static void finish(struct up_target *t, int kind, int code)
{
	struct run_log log;

	run_to_end(t, &log, NULL);
	assert_int_equal(log.end.kind, kind);
	if (kind == UP_STOP_EXITED)
		assert_int_equal(log.end.status, code);
	else
		assert_int_equal(log.end.sig, code);
	t->ops->destroy(t);
}

static uint64_t auxv_get(struct up_target *t, uint64_t type)
{
	uint64_t av[512];
	int n = t->ops->auxv(t, av, sizeof(av));

	assert_true(n > 0);
	for (int i = 0; i + 1 < n / 8; i += 2)
		if (av[i] == type)
			return av[i + 1];
	return 0;
}

static char proc_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] ? p[2] : '?';
}

static void test_spawn_errors(void **state)
{
	char *missing[] = {"/nonexistent/uptrace-no-such-program", NULL};
	char *missing_path[] = {"uptrace-no-such-program-on-path", NULL};
	char not_exec_path[] = "/tmp/uptrace-not-exec-XXXXXX";
	char *not_exec[] = {not_exec_path, NULL};
	char foreign_path[] = "/tmp/uptrace-foreign-XXXXXX";
	char *foreign[] = {foreign_path, NULL};
	struct up_target *t = NULL;
	Elf64_Ehdr eh = {0};
	int fd, status;

	assert_int_equal(up_ptrace_spawn(&t, missing, false), -ENOENT);
	assert_int_equal(up_ptrace_spawn(&t, missing_path, false), -ENOENT);
	fd = mkstemp(not_exec_path);
	assert_true(fd >= 0);
	fchmod(fd, 0644);
	close(fd);
	assert_int_equal(up_ptrace_spawn(&t, not_exec, false), -EACCES);
	unlink(not_exec_path);

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64 == EM_AARCH64 ? EM_RISCV : EM_AARCH64;
#if defined(__aarch64__)
	eh.e_machine = EM_X86_64;
#endif
	fd = mkstemp(foreign_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &eh, sizeof(eh)), sizeof(eh));
	fchmod(fd, 0755);
	close(fd);
	assert_int_equal(up_ptrace_spawn(&t, foreign, false), -ENOEXEC);
	unlink(foreign_path);
	assert_null(t);
	/* No traced process and no zombie left behind. */
	assert_int_equal(waitpid(-1, &status, WNOHANG | __WALL), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_spawn_entry_dynamic(void **state)
{
	struct up_target *t = spawn(helper, "exit", "0");
	const struct up_arch *a = t->arch;
	struct up_regs regs;
	Elf64_Ehdr eh;
	uint64_t base = auxv_get(t, AT_BASE);

	assert_string_equal(t->exe, helper);
	assert_true(base != 0);
	assert_int_equal(t->ops->read(t, base, &eh, sizeof(eh)), 0);
	assert_memory_equal(eh.e_ident, ELFMAG, SELFMAG);
	assert_int_equal(t->ops->get_regs(t, t->pid, &regs), 0);
	assert_int_equal(regs.r[a->pc_reg], base + eh.e_entry);
	assert_true(regs.r[a->pc_reg] != auxv_get(t, AT_ENTRY));
	finish(t, UP_STOP_EXITED, 0);
}

static void test_spawn_entry_static(void **state)
{
	struct up_target *t = spawn(helper_static, "x", NULL);
	struct up_regs regs;

	assert_string_equal(t->exe, helper_static);
	assert_int_equal(auxv_get(t, AT_BASE), 0);
	assert_int_equal(t->ops->get_regs(t, t->pid, &regs), 0);
	assert_int_equal(regs.r[t->arch->pc_reg], auxv_get(t, AT_ENTRY));
	finish(t, UP_STOP_EXITED, 12); /* argc + 10 */
}

static const struct up_mapping *find_map(const struct up_mapping *m, int n, uint64_t addr)
{
	for (int i = 0; i < n; i++)
		if (addr >= m[i].start && addr < m[i].end)
			return &m[i];
	return NULL;
}

static void test_memory(void **state)
{
	struct up_target *t = spawn(helper, "exit", "5");
	static struct up_mapping maps[256];
	const struct up_mapping *text;
	uint8_t orig[16], now[16], file_bytes[16], bp[16], hdr[64], file_hdr[64];
	uint64_t entry = auxv_get(t, AT_ENTRY);
	int n, fd;

	n = t->ops->mappings(t, maps, 256);
	assert_true(n > 3);
	/* The program's ELF header in memory is the file's. */
	fd = open(helper, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, file_hdr, sizeof(file_hdr), 0), sizeof(file_hdr));
	for (int i = 0; i < n; i++)
		if (!strcmp(maps[i].path, helper) && maps[i].offset == 0) {
			assert_int_equal(t->ops->read(t, maps[i].start, hdr, sizeof(hdr)), 0);
			assert_memory_equal(hdr, file_hdr, sizeof(hdr));
			break;
		}

	/* Read-only text: write, read back, put back; the file stays as it was. */
	text = find_map(maps, n, entry);
	assert_non_null(text);
	assert_true(text->x && !text->w);
	assert_string_equal(text->path, helper);
	assert_int_equal(t->ops->read(t, entry, orig, sizeof(orig)), 0);
	assert_int_equal(
	    pread(fd, file_bytes, sizeof(file_bytes), (off_t)(entry - text->start + text->offset)),
	    sizeof(file_bytes));
	assert_memory_equal(orig, file_bytes, sizeof(orig));
	memset(bp, 0xcc, sizeof(bp));
	assert_int_equal(t->ops->write(t, entry, bp, sizeof(bp)), 0);
	assert_int_equal(t->ops->read(t, entry, now, sizeof(now)), 0);
	assert_memory_equal(now, bp, sizeof(now));
	assert_int_equal(pread(fd, now, sizeof(now), (off_t)(entry - text->start + text->offset)),
			 sizeof(now));
	assert_memory_equal(now, orig, sizeof(now));
	assert_int_equal(t->ops->write(t, entry, orig, sizeof(orig)), 0);
	assert_int_equal(t->ops->read(t, entry, now, sizeof(now)), 0);
	assert_memory_equal(now, orig, sizeof(now));
	close(fd);

	/* Nothing is mapped at 0. */
	assert_true(t->ops->read(t, 0, now, sizeof(now)) < 0);
	finish(t, UP_STOP_EXITED, 5);
}

static void test_regs_round_trip(void **state)
{
	struct up_target *t = spawn(helper, "exit", "9");
	struct up_regs a, b;
	int scratch = t->arch->e_machine == EM_X86_64 ? UP_X86_R12 : 19;

	memset(&a, 0x5a, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	assert_int_equal(t->ops->get_regs(t, t->pid, &a), 0);
	assert_int_equal(t->ops->set_regs(t, t->pid, &a), 0);
	assert_int_equal(t->ops->get_regs(t, t->pid, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a.r[0]) * t->arch->nregs);

	b.r[scratch] = 0x1122334455667788ull;
	assert_int_equal(t->ops->set_regs(t, t->pid, &b), 0);
	memset(&b, 0, sizeof(b));
	assert_int_equal(t->ops->get_regs(t, t->pid, &b), 0);
	assert_true(b.r[scratch] == 0x1122334455667788ull);
	assert_int_equal(t->ops->set_regs(t, t->pid, &a), 0);
	finish(t, UP_STOP_EXITED, 9);
}

/* A syscall instruction in an executable mapping whose path contains name. */
static uint64_t find_syscall(struct up_target *t, const char *name)
{
	static struct up_mapping maps[512];
	int n = t->ops->mappings(t, maps, 512);
	uint64_t at;

	for (int i = 0; i < n; i++)
		if (maps[i].x && strstr(maps[i].path, name) &&
		    up_find_syscall_insn(t, maps[i].start, maps[i].end, &at) == 0)
			return at;
	fail_msg("no syscall instruction in %s", name);
	return 0;
}

/*
 * mmap a page in tid, use it, unmap it; registers come back unchanged, but
 * for a thread stopped inside execve (the exec event): its result register
 * then holds execve's result, 0, as it would have without us.
 */
static void remote_mmap_cycle(struct up_target *t, pid_t tid, uint64_t sys, bool at_exec)
{
	const struct up_arch *a = t->arch;
	static struct up_mapping maps[512];
	struct up_regs before, after;
	uint64_t args[6] = {
	    0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0};
	uint8_t pattern[64], back[64];
	const struct up_mapping *m;
	int64_t addr;
	int n;

	assert_int_equal(t->ops->get_regs(t, tid, &before), 0);
	addr = up_remote_syscall(t, tid, sys, a->nr_mmap, args);
	if (addr <= 0)
		fail_msg("remote mmap in %d at 0x%llx: %lld", (int)tid, (unsigned long long)sys,
			 (long long)addr);
	assert_int_equal(addr & 4095, 0);
	assert_int_equal(t->ops->get_regs(t, tid, &after), 0);
	if (at_exec) {
		assert_int_equal(after.r[a->syscall_ret_reg], 0);
		before.r[a->syscall_ret_reg] = 0;
	}
	assert_memory_equal(&before, &after, sizeof(before.r[0]) * a->nregs);

	n = t->ops->mappings(t, maps, 512);
	m = find_map(maps, n, (uint64_t)addr);
	assert_non_null(m);
	assert_true(m->r && m->w && !m->x);
	for (unsigned i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(t->ops->write(t, (uint64_t)addr + 100, pattern, sizeof(pattern)), 0);
	assert_int_equal(t->ops->read(t, (uint64_t)addr + 100, back, sizeof(back)), 0);
	assert_memory_equal(pattern, back, sizeof(back));

	args[0] = (uint64_t)addr;
	args[1] = 4096;
	assert_int_equal(up_remote_syscall(t, tid, sys, a->nr_munmap, args), 0);
	n = t->ops->mappings(t, maps, 512);
	assert_null(find_map(maps, n, (uint64_t)addr));
	assert_int_equal(t->ops->get_regs(t, tid, &after), 0);
	assert_memory_equal(&before, &after, sizeof(before.r[0]) * a->nregs);
}

static void test_remote_mmap(void **state)
{
	struct up_target *t = spawn(helper, "exit", "0");

	remote_mmap_cycle(t, t->pid, find_syscall(t, "ld-linux"), true);
	finish(t, UP_STOP_EXITED, 0);
}

/* Run helper MODE untraced with stdout on a pipe; returns once it said "ready". */
static pid_t start_untraced(const char *mode, int *out_fd)
{
	int fds[2];
	char buf[16] = {0};
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(helper, helper, mode, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], buf, 6), 6);
	assert_string_equal(buf, "ready\n");
	*out_fd = fds[0];
	return pid;
}

static void test_attach_sleeper(void **state)
{
	struct up_target *t = NULL;
	pid_t tids[16], pid, other = 0;
	int fd, n;
	uint64_t sys;

	assert_int_equal(up_ptrace_attach(&t, 999999999, false), -ESRCH);
	assert_int_equal(up_ptrace_attach(&t, getpid(), false), -EPERM);

	pid = start_untraced("sleeper", &fd);
	usleep(100 * 1000); /* let the threads reach nanosleep and the futex */
	assert_int_equal(up_ptrace_attach(&t, pid, false), 0);
	if (!t->arch)
		t->arch = test_arch();
	assert_string_equal(t->exe, helper);
	n = t->ops->threads(t, tids, 16);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++) {
		assert_int_equal(proc_state(tids[i]), 't');
		if (tids[i] != pid)
			other = tids[i];
	}
	assert_true(other > 0);
	sys = find_syscall(t, "libc");
	remote_mmap_cycle(t, other, sys, false);
	remote_mmap_cycle(t, pid, sys, false);

	/* all-stop again after a run, then let go */
	assert_int_equal(t->ops->resume_all(t), 0);
	usleep(20 * 1000);
	assert_int_equal(t->ops->stop_all(t), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(proc_state(tids[i]), 't');
	assert_int_equal(t->ops->detach(t), 0);
	t->ops->destroy(t);

	expect_helper_ok(fd, pid);
}

/*
 * A signal that reaches a thread while a remote syscall steps it is held
 * back, and raised again when the thread next runs: no stop stands for it
 * meanwhile (one would outlive the stop it came in), then its own stop
 * comes, and the resume delivers it.
 */
static void test_signal_during_remote_syscall(void **state)
{
	struct up_target *t = NULL;
	struct up_stop s;
	int fd;
	pid_t pid = start_untraced("usr1", &fd);

	assert_int_equal(up_ptrace_attach(&t, pid, false), 0);
	if (!t->arch)
		t->arch = test_arch();
	assert_int_equal(syscall(SYS_tgkill, pid, pid, SIGUSR1), 0);
	remote_mmap_cycle(t, pid, find_syscall(t, "libc"), false);
	assert_int_equal(t->ops->wait(t, &s, 0), 0);
	assert_int_equal(s.kind, UP_STOP_TIMEOUT);
	assert_int_equal(t->ops->resume_all(t), 0);
	assert_int_equal(t->ops->wait(t, &s, 2000), 0);
	assert_int_equal(s.kind, UP_STOP_SIGNAL);
	assert_int_equal(s.tid, pid);
	assert_int_equal(s.sig, SIGUSR1);
	assert_int_equal(t->ops->resume(t, pid, SIGUSR1), 0);
	assert_int_equal(t->ops->stop_all(t), 0);
	assert_int_equal(t->ops->detach(t), 0);
	t->ops->destroy(t);

	expect_helper_ok(fd, pid);
}

/*
 * The breakpoint's fault signal (x86_64's SIGSEGV), sent by a process
 * while a remote syscall steps the thread, is a signal like any other: the
 * step runs the syscall all the same, and detach delivers the signal.
 */
static void test_sent_fault_signal_during_remote_syscall(void **state)
{
	struct up_target *t = NULL;
	int fd;
	pid_t pid = start_untraced("segv", &fd);

	assert_int_equal(up_ptrace_attach(&t, pid, false), 0);
	if (!t->arch)
		t->arch = test_arch();
	assert_int_equal(syscall(SYS_tgkill, pid, pid, SIGSEGV), 0);
	remote_mmap_cycle(t, pid, find_syscall(t, "libc"), false);
	assert_int_equal(t->ops->detach(t), 0);
	t->ops->destroy(t);

	expect_helper_ok(fd, pid);
}

/* Held back during a remote syscall and not yet raised again: detach delivers it. */
static void test_signal_held_at_detach(void **state)
{
	struct up_target *t = NULL;
	int fd;
	pid_t pid = start_untraced("usr1", &fd);

	assert_int_equal(up_ptrace_attach(&t, pid, false), 0);
	if (!t->arch)
		t->arch = test_arch();
	assert_int_equal(syscall(SYS_tgkill, pid, pid, SIGUSR1), 0);
	remote_mmap_cycle(t, pid, find_syscall(t, "libc"), false);
	assert_int_equal(t->ops->detach(t), 0);
	t->ops->destroy(t);

	expect_helper_ok(fd, pid);
}

/*
 * Detach steps a thread out of an XOL slot from its signal-delivery-stop:
 * the step discards that signal, so detach delivers it.
 */
static void test_signal_of_a_stepped_stop_at_detach(void **state)
{
	struct up_target *t = NULL;
	struct up_stop s;
	int fd;
	pid_t pid = start_untraced("usr1", &fd);

	assert_int_equal(up_ptrace_attach(&t, pid, false), 0);
	assert_int_equal(t->ops->resume_all(t), 0);
	assert_int_equal(syscall(SYS_tgkill, pid, pid, SIGUSR1), 0);
	do
		assert_int_equal(t->ops->wait(t, &s, 2000), 0);
	while (s.kind == UP_STOP_EINTR);
	assert_int_equal(s.kind, UP_STOP_SIGNAL);
	assert_int_equal(s.sig, SIGUSR1);
	assert_int_equal(t->ops->step(t, pid), 0);
	assert_int_equal(t->ops->wait_step(t, pid), 0);
	assert_int_equal(t->ops->stop_all(t), 0);
	assert_int_equal(t->ops->detach(t), 0);
	t->ops->destroy(t);

	expect_helper_ok(fd, pid);
}

/* Detached while group-stopped, it stays stopped until SIGCONT, as untraced. */
static void test_detach_group_stopped(void **state)
{
	struct up_target *t = spawn(helper, "stopcont", NULL);
	int64_t until;
	struct up_stop s;
	pid_t pid = t->pid;
	int status;

	assert_int_equal(t->ops->resume_all(t), 0);
	usleep(50 * 1000);
	kill(pid, SIGSTOP);
	until = now_ms() + 200;
	while (now_ms() < until) {
		assert_int_equal(t->ops->wait(t, &s, 20), 0);
		if (s.kind == UP_STOP_TIMEOUT)
			continue;
		assert_int_equal(s.kind, UP_STOP_SIGNAL);
		assert_int_equal(t->ops->resume(t, s.tid, s.sig), 0);
	}
	assert_int_equal(t->ops->detach(t), 0);
	t->ops->destroy(t);
	usleep(100 * 1000);
	assert_int_equal(proc_state(pid), 'T');
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	kill(pid, SIGCONT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
}

static void test_kill(void **state)
{
	struct up_target *t = spawn(helper, "spin", NULL);
	pid_t pid = t->pid;
	int status;

	assert_int_equal(t->ops->resume_all(t), 0);
	usleep(50 * 1000);
	assert_int_equal(t->ops->kill(t), 0);
	t->ops->destroy(t);
	/* reaped already */
	assert_int_equal(waitpid(pid, &status, WNOHANG | __WALL), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_group_stop(void **state)
{
	struct up_target *t = spawn(helper, "stopcont", NULL);
	int64_t deadline = now_ms() + 10000, stopped_at = 0;
	bool sent_stop = false, sent_cont = false;
	char seen_stopped = 0;
	struct up_stop s;

	assert_int_equal(t->ops->resume_all(t), 0);
	for (;;) {
		assert_true(now_ms() < deadline);
		if (!sent_stop) {
			usleep(100 * 1000);
			kill(t->pid, SIGSTOP);
			sent_stop = true;
			stopped_at = now_ms();
		}
		/* Under SIGSTOP it stays stopped, as untraced, and wait() does not hang. */
		if (!sent_cont && now_ms() - stopped_at > 300) {
			seen_stopped = proc_state(t->pid);
			kill(t->pid, SIGCONT);
			sent_cont = true;
		}
		assert_int_equal(t->ops->wait(t, &s, 50), 0);
		if (s.kind == UP_STOP_TIMEOUT)
			continue;
		if (s.kind == UP_STOP_EXITED)
			break;
		assert_true(s.kind == UP_STOP_SIGNAL || s.kind == UP_STOP_THREAD_NEW);
		assert_int_equal(t->ops->resume(t, s.tid, s.sig), 0);
	}
	/* stopped: 'T', or 't' while parked with PTRACE_LISTEN */
	assert_true(seen_stopped == 'T' || seen_stopped == 't');
	assert_int_equal(s.status, 7);
	t->ops->destroy(t);
}

static void test_new_thread(void **state)
{
	struct up_target *t = spawn(helper, "thread", NULL);
	struct run_log log;

	run_to_end(t, &log, NULL);
	assert_int_equal(log.new_threads, 1);
	assert_true(log.new_tid != t->pid);
	assert_int_equal(log.thread_exits, 1);
	assert_int_equal(log.exit_tid, log.new_tid);
	assert_int_equal(log.end.kind, UP_STOP_EXITED);
	assert_int_equal(log.end.status, 3);
	t->ops->destroy(t);
}

/* The kernel names a thread after the file it exec'd (15 bytes at most); no tid, no name. */
static void test_thread_name(void **state)
{
	struct up_target *t = spawn(helper, "exit", "0");
	const char *base = strrchr(helper, '/') + 1;
	char name[64], want[16];

	snprintf(want, sizeof(want), "%s", base);
	assert_true(t->caps.procfs);
	assert_int_equal(t->ops->thread_name(t, t->pid, name, sizeof(name)), 0);
	assert_string_equal(name, want);
	assert_int_equal(t->ops->thread_name(t, t->pid + 1000000, name, sizeof(name)), -ESRCH);
	finish(t, UP_STOP_EXITED, 0);
}

/* A backend that names one op gets every other from up_target_init: none is NULL. */
static int only_wait_calls;

static int only_wait(struct up_target *t, struct up_stop *stop, int timeout_ms)
{
	memset(stop, 0, sizeof(*stop));
	stop->tid = ++only_wait_calls == 1 ? 99 : 7; /* another thread's stop first */
	stop->kind = UP_STOP_TRAP;
	return 0;
}

static void test_init_defaults(void **state)
{
	static const struct up_target_ops only = {.wait = only_wait};
	struct up_target t;
	const void *const *op;
	char name[16];
	uint8_t b;

	memset(&t, 0, sizeof(t));
	up_target_init(&t, &only);
	for (op = (const void *const *)t.ops; op < (const void *const *)(t.ops + 1); op++)
		assert_non_null(*op);
	assert_false(t.caps.procfs || t.caps.writes_unprotect);
	assert_int_equal(t.ops->read(&t, 0, &b, 1), -ENOTSUP);
	assert_int_equal(t.ops->select_space(&t, 7), -ENOTSUP);
	assert_int_equal(t.ops->thread_name(&t, 7, name, sizeof(name)), -ENOTSUP);
	assert_int_equal(t.ops->watch_syscalls(&t, true), -ENOTSUP);
	t.ops->syscall_insn_placed(&t, 0x1000);
	/* the generic wait_step waits through other threads' stops for tid's trap */
	assert_int_equal(t.ops->wait_step(&t, 7), 0);
	assert_int_equal(only_wait_calls, 2);
	t.ops->destroy(&t);
}

static void test_exit_status(void **state)
{
	finish(spawn(helper, "exit", "42"), UP_STOP_EXITED, 42);
}

static void test_killed(void **state)
{
	struct up_target *t = spawn(helper, "signal", NULL);
	struct run_log log;

	run_to_end(t, &log, NULL);
	assert_int_equal(log.last_signal, SIGTERM);
	assert_int_equal(log.end.kind, UP_STOP_KILLED);
	assert_int_equal(log.end.sig, SIGTERM);
	t->ops->destroy(t);
}

static int addr_fd = -1;

/* The child gets value = 5 written into its copy only. */
static int64_t release_patched(struct up_target *t, pid_t child)
{
	struct up_patch patch = {.len = sizeof(int)};
	uint64_t addr;
	int five = 5;

	assert_int_equal(read(addr_fd, &addr, sizeof(addr)), sizeof(addr));
	patch.addr = addr;
	memcpy(patch.bytes, &five, sizeof(five));
	assert_int_equal(t->ops->child_release(t, child, &patch, 1), 0);
	return 0;
}

static void test_fork_release(void **state)
{
	int fds[2];
	char fdname[16];
	struct up_target *t;
	struct run_log log;

	assert_int_equal(pipe(fds), 0);
	snprintf(fdname, sizeof(fdname), "%d", fds[1]);
	addr_fd = fds[0];
	t = spawn(helper, "fork", fdname);
	close(fds[1]);
	run_to_end(t, &log, release_patched);
	close(fds[0]);
	assert_int_equal(log.forks, 1);
	assert_true(log.child > 0 && log.child != t->pid);
	assert_int_equal(log.end.kind, UP_STOP_EXITED);
	assert_int_equal(log.end.status, 15); /* child 5 + 10 * parent's own 1 */
	t->ops->destroy(t);
}

static void test_exec(void **state)
{
	char cmd[PATH_MAX + 32];
	struct up_target *t;
	struct run_log log;

	snprintf(cmd, sizeof(cmd), "exec %s exit 4", helper);
	t = spawn("/bin/sh", "-c", cmd);
	assert_string_equal(t->exe, realpath("/bin/sh", (char[PATH_MAX]){0}));
	run_to_end(t, &log, NULL);
	assert_int_equal(log.execs, 1);
	assert_string_equal(t->exe, helper);
	assert_int_equal(log.end.kind, UP_STOP_EXITED);
	assert_int_equal(log.end.status, 4);
	t->ops->destroy(t);
}

/* The per-hit path: a breakpoint trap, then a single-step, then on to the end. */
static void test_breakpoint_and_step(void **state)
{
	struct up_target *t = spawn(helper, "exit", "0");
	const struct up_arch *a = t->arch;
	uint64_t entry = auxv_get(t, AT_ENTRY);
	uint8_t bp[4] = {0xcc}, orig[4];
	unsigned bp_len = 1, adjust = 1;
	struct up_regs regs;
	struct up_stop s;

	if (a->bp_len) {
		memcpy(bp, a->bp, sizeof(bp));
		bp_len = a->bp_len;
		adjust = a->bp_pc_adjust;
	} else if (a->e_machine == EM_AARCH64) {
		memcpy(bp, (uint8_t[]){0x00, 0x00, 0x20, 0xd4}, 4);
		bp_len = 4;
		adjust = 0;
	}
	assert_int_equal(t->ops->read(t, entry, orig, bp_len), 0);
	assert_int_equal(t->ops->write(t, entry, bp, bp_len), 0);
	assert_int_equal(t->ops->resume_all(t), 0);
	assert_int_equal(t->ops->wait(t, &s, 5000), 0);
	assert_int_equal(s.kind, UP_STOP_TRAP);
	assert_int_equal(s.tid, t->pid);
	assert_false(s.stepped);
	assert_int_equal(t->ops->get_regs(t, s.tid, &regs), 0);
	assert_int_equal(regs.r[a->pc_reg], entry + adjust);

	assert_int_equal(t->ops->write(t, entry, orig, bp_len), 0);
	regs.r[a->pc_reg] = entry;
	assert_int_equal(t->ops->set_regs(t, s.tid, &regs), 0);
	assert_int_equal(t->ops->step(t, s.tid), 0);
	assert_int_equal(t->ops->wait(t, &s, 5000), 0);
	assert_int_equal(s.kind, UP_STOP_TRAP);
	assert_true(s.stepped);
	assert_int_equal(t->ops->get_regs(t, s.tid, &regs), 0);
	assert_true(regs.r[a->pc_reg] != entry);
	assert_int_equal(t->ops->resume(t, s.tid, 0), 0);
	finish(t, UP_STOP_EXITED, 0);
}

/*
 * Steps over a popf, then on: x86's kernel takes TF for the program's once a
 * stepped popf loaded the flags, and would let the thread run on with it
 * (a trace trap one instruction later, SIGTRAP with no tracer). The target
 * clears what its steps left: the program runs to its end, resumed here
 * and detached in the second process.
 */
static void test_steps_over_popf(void **state)
{
#if defined(__x86_64__)
	/* push $2; popfq; nop; nop: flags 0x2 loaded by the popf, the stack as before */
	static const uint8_t code[] = {0x6a, 0x02, 0x9d, 0x90, 0x90};

	for (int detach = 0; detach < 2; detach++) {
		struct up_target *t = spawn(helper, "exit", "0");
		uint64_t entry = auxv_get(t, AT_ENTRY);
		uint8_t orig[sizeof(code)];
		struct up_regs regs;
		struct up_stop s;
		int status;

		/* to the program's entry (a breakpoint there), past the dynamic linker */
		assert_int_equal(t->ops->read(t, entry, orig, sizeof(orig)), 0);
		assert_int_equal(t->ops->write(t, entry, t->arch->bp, t->arch->bp_len), 0);
		assert_int_equal(t->ops->resume_all(t), 0);
		assert_int_equal(t->ops->wait(t, &s, 5000), 0);
		assert_int_equal(s.kind, UP_STOP_TRAP);
		assert_int_equal(t->ops->get_regs(t, t->pid, &regs), 0);
		assert_int_equal(regs.r[UP_X86_RIP] - t->arch->bp_pc_adjust, entry);
		regs.r[UP_X86_RIP] = entry;
		assert_int_equal(t->ops->set_regs(t, t->pid, &regs), 0);
		assert_int_equal(t->ops->write(t, entry, code, sizeof(code)), 0);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(t->ops->step(t, t->pid), 0);
			assert_int_equal(t->ops->wait(t, &s, 5000), 0);
			assert_int_equal(s.kind, UP_STOP_TRAP);
			assert_true(s.stepped);
		}
		/* back to the entry with the original code, the flags as the steps left them */
		assert_int_equal(t->ops->write(t, entry, orig, sizeof(orig)), 0);
		assert_int_equal(t->ops->get_regs(t, t->pid, &regs), 0);
		assert_int_equal(regs.r[UP_X86_RIP], entry + 4);
		regs.r[UP_X86_RIP] = entry;
		assert_int_equal(t->ops->set_regs(t, t->pid, &regs), 0);
		if (!detach) {
			struct run_log log;

			assert_int_equal(t->ops->resume(t, t->pid, 0), 0);
			run_to_end(t, &log, NULL);
			assert_int_equal(log.traps, 0); /* no trace trap after each instruction */
			assert_int_equal(log.end.kind, UP_STOP_EXITED);
			assert_int_equal(log.end.status, 0);
			t->ops->destroy(t);
			continue;
		}
		pid_t pid = t->pid;
		assert_int_equal(t->ops->detach(t), 0);
		t->ops->destroy(t);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
#else
	skip();
#endif
}

/* Attach to a process stopped by SIGSTOP: it stays stopped while traced and after. */
static void test_attach_stopped(void **state)
{
	struct up_target *t = NULL;
	struct up_regs regs;
	struct up_stop s;
	pid_t pid, tids[4];
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(helper, helper, "stopcont", (char *)NULL);
		_exit(127);
	}
	usleep(30 * 1000);
	kill(pid, SIGSTOP);
	assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
	assert_true(WIFSTOPPED(status));

	assert_int_equal(up_ptrace_attach(&t, pid, false), 0);
	assert_int_equal(t->ops->threads(t, tids, 4), 1);
	assert_int_equal(t->ops->get_regs(t, pid, &regs), 0);
	assert_int_equal(t->ops->resume_all(t), 0);
	assert_int_equal(t->ops->wait(t, &s, 200), 0);
	assert_int_equal(s.kind, UP_STOP_TIMEOUT);
	assert_true(proc_state(pid) == 't' || proc_state(pid) == 'T');
	assert_int_equal(t->ops->detach(t), 0);
	t->ops->destroy(t);
	usleep(50 * 1000);
	assert_int_equal(proc_state(pid), 'T');
	kill(pid, SIGCONT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
}

static void on_alarm(int sig)
{
}

/* A signal to the tracer ends a blocking wait() with UP_STOP_EINTR. */
static void test_wait_eintr(void **state)
{
	struct up_target *t = spawn(helper, "exit", "0");
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
	struct itimerval it = {.it_value = {0, 100000}};
	struct up_stop s;

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	/* nothing is running: only the alarm can end this wait */
	assert_int_equal(t->ops->wait(t, &s, -1), 0);
	assert_int_equal(s.kind, UP_STOP_EINTR);
	signal(SIGALRM, SIG_DFL);
	finish(t, UP_STOP_EXITED, 0);
}

/* Attach while threads come and go; every stop is handled, and detach leaves it well. */
static void test_attach_churn(void **state)
{
	struct up_target *t = NULL;
	int64_t until;
	struct up_stop s;
	int fd, news = 0;
	pid_t pid = start_untraced("churn", &fd);
	int64_t t0 = now_ms();

	usleep(100 * 1000);
	assert_int_equal(up_ptrace_attach(&t, pid, false), 0);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(t->ops->resume_all(t), 0);
		until = now_ms() + 100;
		while (now_ms() < until) {
			assert_int_equal(t->ops->wait(t, &s, 10), 0);
			if (s.kind == UP_STOP_TIMEOUT || s.kind == UP_STOP_THREAD_EXIT)
				continue;
			if (s.kind != UP_STOP_THREAD_NEW)
				fail_msg(
				    "round %d: stop %d tid %d (pid %d) status %d sig %d at %lld ms",
				    round, s.kind, s.tid, pid, s.status, s.sig,
				    (long long)(now_ms() - t0));
			news++;
			assert_int_equal(t->ops->resume(t, s.tid, 0), 0);
		}
		assert_int_equal(t->ops->stop_all(t), 0);
		/* what stop_all queued is for the core: handle it */
		while (t->ops->wait(t, &s, 0) == 0 && s.kind != UP_STOP_TIMEOUT) {
			if (s.kind == UP_STOP_THREAD_NEW) {
				news++;
				assert_int_equal(t->ops->resume(t, s.tid, 0), 0);
			} else {
				assert_int_equal(s.kind, UP_STOP_THREAD_EXIT);
			}
		}
	}
	if (news <= 10) {
		pid_t tids[64];
		int n = t->ops->threads(t, tids, 64);

		fprintf(stderr, "churn: only %d new threads in %lld ms; %d threads:", news,
			(long long)(now_ms() - t0), n);
		for (int i = 0; i < n; i++)
			fprintf(stderr, " %d:%c", tids[i], proc_state(tids[i]));
		fprintf(stderr, "\n");
	}
	assert_true(news > 10);
	if (getenv("PT_VERBOSE"))
		fprintf(stderr, "churn: %d new threads seen in %lld ms\n", news,
			(long long)(now_ms() - t0));
	assert_int_equal(t->ops->detach(t), 0);
	t->ops->destroy(t);
	expect_helper_ok(fd, pid);
}

static void test_vfork_release(void **state)
{
	struct up_target *t = spawn(helper, "vfork", NULL);
	struct run_log log;

	run_to_end(t, &log, NULL);
	assert_int_equal(log.forks, 1);
	assert_int_equal(log.end.kind, UP_STOP_EXITED);
	assert_int_equal(log.end.status, 26); /* child 6 + 20 */
	t->ops->destroy(t);
}

/* exec from a second thread: the exec is reported with the process's pid. */
static void test_thread_exec(void **state)
{
	struct up_target *t = spawn(helper, "thread_exec", NULL);
	struct run_log log;
	pid_t tids[8];

	run_to_end(t, &log, NULL);
	assert_int_equal(log.new_threads, 1);
	assert_int_equal(log.execs, 1);
	assert_string_equal(t->exe, helper);
	assert_int_equal(log.end.kind, UP_STOP_EXITED);
	assert_int_equal(log.end.status, 8);
	assert_int_equal(t->ops->threads(t, tids, 8), 0);
	t->ops->destroy(t);
}

static void test_stop_all_spinning(void **state)
{
	struct up_target *t = spawn(helper, "spin", NULL);
	int64_t deadline = now_ms() + 5000;
	struct up_stop s;
	struct up_regs regs;
	pid_t tids[8];
	int n;

	assert_int_equal(t->ops->resume_all(t), 0);
	do {
		assert_true(now_ms() < deadline);
		assert_int_equal(t->ops->wait(t, &s, 100), 0);
		if (s.kind == UP_STOP_THREAD_NEW)
			assert_int_equal(t->ops->resume(t, s.tid, 0), 0);
	} while (s.kind != UP_STOP_THREAD_NEW);
	usleep(50 * 1000);
	for (int round = 0; round < 5; round++) {
		assert_int_equal(t->ops->stop_all(t), 0);
		n = t->ops->threads(t, tids, 8);
		assert_int_equal(n, 2);
		for (int i = 0; i < n; i++) {
			assert_int_equal(proc_state(tids[i]), 't');
			assert_int_equal(t->ops->get_regs(t, tids[i], &regs), 0);
		}
		assert_int_equal(t->ops->resume_all(t), 0);
		usleep(10 * 1000);
	}
	/* Nothing was queued: the next stops are the ends of the threads. */
	finish(t, UP_STOP_EXITED, 0);
}

/* Containers may forbid ptrace: then there is nothing to test here. */
static bool ptrace_allowed(void)
{
	pid_t pid = fork();
	int status;
	long r;

	if (pid == 0) {
		pause();
		_exit(0);
	}
	r = ptrace(PTRACE_SEIZE, pid, 0, 0);
	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
	return r == 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spawn_errors),
	    cmocka_unit_test(test_spawn_entry_dynamic),
	    cmocka_unit_test(test_spawn_entry_static),
	    cmocka_unit_test(test_memory),
	    cmocka_unit_test(test_regs_round_trip),
	    cmocka_unit_test(test_remote_mmap),
	    cmocka_unit_test(test_attach_sleeper),
	    cmocka_unit_test(test_group_stop),
	    cmocka_unit_test(test_new_thread),
	    cmocka_unit_test(test_exit_status),
	    cmocka_unit_test(test_thread_name),
	    cmocka_unit_test(test_init_defaults),
	    cmocka_unit_test(test_killed),
	    cmocka_unit_test(test_fork_release),
	    cmocka_unit_test(test_exec),
	    cmocka_unit_test(test_stop_all_spinning),
	    cmocka_unit_test(test_signal_during_remote_syscall),
	    cmocka_unit_test(test_signal_held_at_detach),
	    cmocka_unit_test(test_sent_fault_signal_during_remote_syscall),
	    cmocka_unit_test(test_signal_of_a_stepped_stop_at_detach),
	    cmocka_unit_test(test_detach_group_stopped),
	    cmocka_unit_test(test_kill),
	    cmocka_unit_test(test_vfork_release),
	    cmocka_unit_test(test_thread_exec),
	    cmocka_unit_test(test_breakpoint_and_step),
	    cmocka_unit_test(test_steps_over_popf),
	    cmocka_unit_test(test_attach_stopped),
	    cmocka_unit_test(test_wait_eintr),
	    cmocka_unit_test(test_attach_churn),
	};

	if (!ptrace_allowed()) {
		printf("skip: ptrace is not permitted here (%s)\n", strerror(errno));
		return 77;
	}
	if (getenv("PT_FILTER"))
		cmocka_set_test_filter(getenv("PT_FILTER"));
	return cmocka_run_group_tests(tests, setup_paths, NULL);
}

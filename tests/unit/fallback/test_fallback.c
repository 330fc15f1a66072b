/* SPDX-License-Identifier: MIT */
/*
 * The in-process fallback's real handler blob, installed in this test's
 * own process exactly as uptrace installs it in a target (a memfd mapped
 * twice: the tracer's rw view and the target's r-x code + rw data), with
 * the record written through include/uptrace/fallback_record.h. Then what happens
 * after a tracer's death is played for real: breakpoints hit and heal,
 * also with threads racing; hijacked returns come back through the
 * trampoline; a fault that is not ours, and the breakpoint's signal sent
 * by somebody, do what they would have done untraced.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "uptrace/fallback_record.h"
#include "uptrace/arch.h"

#define REC_SIZE (4u << 20)

static struct up_fb_record rec;
static uint8_t *target_code; /* the target's view: handler page r-x, data rw */
static uint8_t *trampoline;
static uint64_t act[4]; /* our handler, as uptrace installs it */

static void write_text(void *addr, const void *bytes, size_t len)
{
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, len, (off_t)(uintptr_t)addr), (ssize_t)len);
	close(fd);
}

static int setup(void **state)
{
	const struct up_arch *arch = up_arch_host();
	const struct up_code_blob *blob = arch->fallback;
	void *local;
	int fd;

	(void)state;
	if (!blob) {
		print_message("no fallback handler for this host's arch\n");
		return -1;
	}
	fd = memfd_create("uptrace-fallback-test", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, REC_SIZE), 0);
	local = mmap(NULL, REC_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(local != MAP_FAILED);
	assert_int_equal(up_fb_record_init(&rec, local, REC_SIZE, arch), 0);
	target_code = mmap(NULL, REC_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	assert_true(target_code != MAP_FAILED);
	assert_true(mmap(target_code + UP_FB_CODE_SIZE, REC_SIZE - UP_FB_CODE_SIZE,
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
			 UP_FB_CODE_SIZE) != MAP_FAILED);
	close(fd);

	trampoline = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(trampoline != MAP_FAILED);
	memcpy(trampoline, arch->bp, arch->bp_len);
	assert_int_equal(mprotect(trampoline, 4096, PROT_READ | PROT_EXEC), 0);
	up_fb_record_set_trampoline(&rec, (uint64_t)(uintptr_t)trampoline);

	memset(act, 0, sizeof(act));
	act[UP_FB_ACT_HANDLER] = (uint64_t)(uintptr_t)(target_code + blob->handler);
	act[UP_FB_ACT_FLAGS] = arch->sigaction_flags;
	act[UP_FB_ACT_RESTORER] = (uint64_t)(uintptr_t)(target_code + blob->restorer);
	return 0;
}

/*
 * Our handler for the breakpoint's signal, as uptrace installs it, with
 * SIG_DFL as the program's own (cmocka puts its own SIGSEGV handler in
 * place for every test: each test takes the signal back first).
 */
static int take_signal(void **state)
{
	(void)state;
	memset(rec.d->old_action, 0, sizeof(rec.d->old_action));
	return (int)syscall(SYS_rt_sigaction, up_arch_host()->bp_signal, act, NULL, 8);
}

static void arm(void *fn)
{
	uint8_t orig[4];
	const struct up_arch *arch = up_arch_host();

	memcpy(orig, fn, arch->bp_len);
	assert_int_equal(up_fb_point_add(&rec, (uint64_t)(uintptr_t)fn, orig, arch->bp_len), 0);
	write_text(fn, arch->bp, arch->bp_len);
}

__attribute__((noinline)) static int twice(int x)
{
	__asm__ volatile("" ::: "memory");
	return 2 * x;
}

static int (*volatile twice_ptr)(int) = twice;

/* A breakpoint left by a dead tracer heals at its first hit: right result, original bytes. */
static void test_breakpoint_heals(void **state)
{

	assert_int_equal(take_signal(NULL), 0); /* cmocka took the signal for the test */
	uint8_t before[4];
	uint64_t heals = rec.d->heals;

	(void)state;
	memcpy(before, (void *)twice, 4);
	arm((void *)twice);
	assert_memory_not_equal((void *)twice, before, 1);
	assert_int_equal(twice_ptr(21), 42);
	assert_memory_equal((void *)twice, before, 4);
	assert_int_equal(rec.d->heals, heals + 1);
	assert_int_equal(twice_ptr(5), 10); /* and again, with no trap at all */
	assert_int_equal(rec.d->heals, heals + 1);
}

__attribute__((noinline)) static long add_one(long x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

static long (*volatile add_one_ptr)(long) = add_one;
static volatile int stop;

/* Calls add_one until told to stop; returns how many calls returned wrong. */
static void *racer(void *arg)
{
	long wrong = 0, i = 0;

	(void)arg;
	while (!stop || i < 1000) {
		wrong += add_one_ptr(i) != i + 1;
		i++;
	}
	return (void *)wrong;
}

/* Threads racing into one breakpoint: every call returns right, whoever heals it. */
static void test_threads_race_into_breakpoint(void **state)
{
	pthread_t th[8];

	assert_int_equal(take_signal(NULL), 0); /* cmocka took the signal for the test */

	(void)state;
	for (int round = 0; round < 5; round++) {
		uint64_t heals = rec.d->heals;
		stop = 0;
		for (int i = 0; i < 8; i++)
			assert_int_equal(pthread_create(&th[i], NULL, racer, NULL), 0);
		usleep(1000);
		arm((void *)add_one);
		for (int ms = 0; ms < 5000 && rec.d->heals == heals; ms++)
			usleep(1000);
		stop = 1;
		for (int i = 0; i < 8; i++) {
			void *wrong;
			pthread_join(th[i], &wrong);
			assert_int_equal((long)wrong, 0);
		}
		assert_true(rec.d->heals > heals);
	}
}

/*
 * A function whose return address a dead tracer hijacked returns to the
 * trampoline; the handler sends it to its real caller. A frame above it
 * that a longjmp skipped is dropped on the way, as the tracer would.
 */
static void test_trampoline_returns(void **state)
{
	struct up_fb_thread *th = up_fb_thread_get(&rec, (pid_t)syscall(SYS_gettid));
	struct up_fb_frame *f;
	uint64_t returns = rec.d->returns;
	volatile int came_back = 0;

	assert_int_equal(take_signal(NULL), 0); /* cmocka took the signal for the test */

	(void)state;
	assert_non_null(th);
	/* the frame under test is pushed by the asm below; a stale one goes on top of it */
	__asm__ volatile("lea -128(%%rsp), %%rsp\n\t" /* step over the red zone */
			 "lea 1f(%%rip), %%rax\n\t"
			 "push %[tramp]\n\t" /* the hijacked return address */
			 "mov %%rsp, %%rdx\n\t"
			 "mov %[rec], %%rdi\n\t"
			 "push %%rax\n\t"
			 "push %%rdx\n\t"
			 "sub $8, %%rsp\n\t" /* keep the stack 16-byte aligned for the call */
			 "mov %[th], %%rsi\n\t"
			 "mov %%rax, %%rdx\n\t"	   /* orig_ret: label 1 */
			 "mov 8(%%rsp), %%rcx\n\t" /* entry_sp: where the hijacked word is */
			 "call up_fb_frame_push\n\t"
			 "mov %[rec], %%rdi\n\t"
			 "mov %[th], %%rsi\n\t"
			 "mov $0x1111, %%rdx\n\t" /* a stale frame: deeper than ours, gone */
			 "mov 8(%%rsp), %%rcx\n\t"
			 "sub $64, %%rcx\n\t"
			 "call up_fb_frame_push\n\t"
			 "add $24, %%rsp\n\t" /* back to the hijacked word */
			 "ret\n"	      /* 'return' into the trampoline */
			 "1:\n\t"
			 "lea 128(%%rsp), %%rsp\n\t"
			 "movl $1, %[back]\n\t"
			 : [back] "=m"(came_back)
			 : [tramp] "r"(trampoline), [rec] "r"(&rec), [th] "r"(th)
			 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory",
			   "cc");
	assert_int_equal(came_back, 1);
	assert_int_equal(th->depth, 0);
	assert_int_equal(rec.d->returns, returns + 1);
	f = (struct up_fb_frame *)((uint8_t *)rec.d + th->frames);
	assert_int_equal(f[1].orig_ret, 0x1111);
}

/* A fault that is not ours (the program's own bad access) ends it, as untraced. */
/* A real fault: UBSan (build-asan) must not stop the store to NULL before it faults. */
__attribute__((no_sanitize("undefined"), noinline)) static void store_to_null(void)
{
	volatile int *volatile nowhere = NULL;

	*nowhere = 1;
}

static void test_foreign_fault_as_untraced(void **state)
{
	int status;
	pid_t pid;

	assert_int_equal(take_signal(NULL), 0); /* cmocka took the signal for the test */

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		store_to_null();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), up_arch_host()->bp_signal);
}

/* The breakpoint's signal, sent by somebody: ignored if the program ignored it ... */
static void test_sent_sigtrap_ignored(void **state)
{
	uint64_t saved = rec.d->old_action[UP_FB_ACT_HANDLER];

	assert_int_equal(take_signal(NULL), 0); /* cmocka took the signal for the test */

	(void)state;
	rec.d->old_action[UP_FB_ACT_HANDLER] = 1; /* SIG_IGN */
	assert_int_equal(raise(up_arch_host()->bp_signal), 0);
	rec.d->old_action[UP_FB_ACT_HANDLER] = saved;
}

/* ... and the end it would have had, by default. */
static void test_sent_sigtrap_default_kills(void **state)
{
	int status;
	pid_t pid;

	assert_int_equal(take_signal(NULL), 0); /* cmocka took the signal for the test */

	(void)state;
	assert_int_equal(rec.d->old_action[UP_FB_ACT_HANDLER], 0); /* SIG_DFL before us */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		raise(up_arch_host()->bp_signal);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), up_arch_host()->bp_signal);
}

__attribute__((noinline)) static int thrice(int x)
{
	__asm__ volatile("" ::: "memory");
	return 3 * x;
}

static int (*volatile thrice_ptr)(int) = thrice;

/*
 * A tracer killed after it moved a thread on from its breakpoint (PC set
 * past it) but before it let the thread run: the breakpoint's signal still
 * arrives, the PC elsewhere. Played with a tracer that detaches with that
 * signal instead: the thread runs on from its new PC, and the handler
 * stays for the next breakpoint, which heals.
 */
static void test_stale_breakpoint_signal_runs_on(void **state)
{
#if defined(__x86_64__)
	uint64_t heals = rec.d->heals;
	struct user_regs_struct regs;
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		take_signal(NULL);
		arm((void *)thrice);
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		__asm__ volatile("hlt"); /* a breakpoint the tracer handles, then dies */
		_exit(thrice_ptr(7) == 21 ? 0 : 3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
	assert_int_equal(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSEGV);
	assert_int_equal(ptrace(PTRACE_GETREGS, pid, 0, &regs), 0);
	regs.rip += 1; /* the tracer's simulation: on past the hlt */
	assert_int_equal(ptrace(PTRACE_SETREGS, pid, 0, &regs), 0);
	assert_int_equal(ptrace(PTRACE_DETACH, pid, 0, SIGSEGV), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(rec.d->heals, heals + 1); /* thrice's breakpoint healed */
#else
	skip();
#endif
}

/* The record's tables grow past their first size without losing an entry. */
static void test_tables_grow(void **state)
{

	assert_int_equal(take_signal(NULL), 0); /* cmocka took the signal for the test */
	uint8_t orig = 0x90;
	uint32_t mask = rec.d->points_mask;

	(void)state;
	for (uint64_t a = 0x100000; a < 0x100000 + 5000; a++)
		assert_int_equal(up_fb_point_add(&rec, a, &orig, 1), 0);
	assert_true(rec.d->points_mask > mask);
	for (pid_t t = 100000; t < 100300; t++)
		assert_non_null(up_fb_thread_get(&rec, t));
	for (pid_t t = 100000; t < 100300; t++)
		up_fb_thread_gone(&rec, t);
	assert_false(rec.full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_breakpoint_heals),
	    cmocka_unit_test(test_threads_race_into_breakpoint),
	    cmocka_unit_test(test_trampoline_returns),
	    cmocka_unit_test(test_foreign_fault_as_untraced),
	    cmocka_unit_test(test_sent_sigtrap_ignored),
	    cmocka_unit_test(test_sent_sigtrap_default_kills),
	    cmocka_unit_test(test_tables_grow),
	    cmocka_unit_test(test_stale_breakpoint_signal_runs_on),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

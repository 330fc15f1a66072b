/* SPDX-License-Identifier: MIT */
/*
 * The tracee of the ptrace target's tests: one small program whose modes
 * each know their own right answer (an exit code, "ok" on stdout).
 *
 *   exit N        exit with N
 *   signal        die by SIGTERM
 *   thread        start a thread, join it, exit 3
 *   sleeper       print "ready", then three threads sleep (nanosleep and
 *                 futex); exit 0 with "ok" only if no sleep was cut short
 *   stopcont      sleep 20 x 25 ms, exit 7 (the test sends SIGSTOP/SIGCONT)
 *   fork FD       write &value to FD, fork; the child exits with value, the
 *                 parent with child's status + 10 * its own value
 *   spin          two threads busy for a second, exit 0
 *   usr1          print "ready", wait up to 3 s for SIGUSR1 (handled): "ok", exit 0
 *   segv          the same with SIGSEGV sent by a process (x86_64's breakpoint signal)
 *   vfork         vfork; the child exits 6, the parent with its status + 20
 *   thread_exec   a second thread execs "helper exit 8"
 *   churn         print "ready", then start and join threads for 3 s, exit 0
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int value = 1;
static volatile int bad;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_checked(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	int64_t t0 = now_ns();

	if (nanosleep(&ts, NULL) != 0 || now_ns() - t0 < ms * 1000000)
		bad = 1;
}

static void *sleeper(void *arg)
{
	sleep_checked((long)(intptr_t)arg);
	return NULL;
}

static void *joiner(void *arg)
{
	int64_t t0 = now_ns();

	pthread_join(*(pthread_t *)arg, NULL); /* futex wait */
	if (now_ns() - t0 < 1000 * 1000000LL)
		bad = 1;
	return NULL;
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	got_usr1 = 1;
}

static void *exec_exit8(void *arg)
{
	execl((const char *)arg, (const char *)arg, "exit", "8", (char *)NULL);
	_exit(103);
}

static void *noop(void *arg)
{
	return arg;
}

static void *spin(void *arg)
{
	int64_t end = now_ns() + 1000 * 1000000LL;

	while (now_ns() < end)
		;
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t a, b;

	if (argc < 2)
		return 100;
	if (!strcmp(argv[1], "exit") && argc > 2)
		return atoi(argv[2]);
	if (!strcmp(argv[1], "signal")) {
		raise(SIGTERM);
		return 101;
	}
	if (!strcmp(argv[1], "thread")) {
		pthread_create(&a, NULL, noop, NULL);
		pthread_join(a, NULL);
		return 3;
	}
	if (!strcmp(argv[1], "sleeper")) {
		pthread_create(&a, NULL, sleeper, (void *)(intptr_t)1500);
		pthread_create(&b, NULL, joiner, &a);
		printf("ready\n");
		fflush(stdout);
		sleep_checked(1200);
		pthread_join(b, NULL);
		printf("%s\n", bad ? "cut short" : "ok");
		return bad;
	}
	if (!strcmp(argv[1], "stopcont")) {
		for (int i = 0; i < 20; i++)
			sleep_checked(25);
		return 7;
	}
	if (!strcmp(argv[1], "fork") && argc > 2) {
		volatile int *addr = &value;
		int status = 0;
		pid_t pid;

		if (write(atoi(argv[2]), &addr, sizeof(addr)) != sizeof(addr))
			return 102;
		pid = fork();
		if (pid == 0)
			_exit(value);
		waitpid(pid, &status, 0);
		return WEXITSTATUS(status) + 10 * value;
	}
	if (!strcmp(argv[1], "spin")) {
		pthread_create(&a, NULL, spin, NULL);
		spin(NULL);
		pthread_join(a, NULL);
		return 0;
	}
	if (!strcmp(argv[1], "usr1") || !strcmp(argv[1], "segv")) {
		signal(strcmp(argv[1], "segv") ? SIGUSR1 : SIGSEGV, on_usr1);
		printf("ready\n");
		fflush(stdout);
		for (int i = 0; i < 300 && !got_usr1; i++)
			usleep(10000);
		printf("%s\n", got_usr1 ? "ok" : "no signal");
		return !got_usr1;
	}
	if (!strcmp(argv[1], "vfork")) {
		int status = 0;
		pid_t pid = vfork();

		if (pid == 0)
			_exit(6);
		waitpid(pid, &status, 0);
		return WEXITSTATUS(status) + 20;
	}
	if (!strcmp(argv[1], "churn")) {
		int64_t end = now_ns() + 3000 * 1000000LL;

		printf("ready\n");
		fflush(stdout);
		while (now_ns() < end) {
			pthread_create(&a, NULL, noop, NULL);
			pthread_create(&b, NULL, noop, NULL);
			pthread_join(a, NULL);
			pthread_join(b, NULL);
		}
		printf("ok\n");
		return 0;
	}
	if (!strcmp(argv[1], "thread_exec")) {
		pthread_create(&a, NULL, exec_exit8, argv[0]);
		pthread_join(a, NULL);
		return 104;
	}
	return 100;
}

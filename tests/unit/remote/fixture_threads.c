/* SPDX-License-Identifier: MIT */
/*
 * Four threads, one after the other, call probe_me 50 times each while the
 * main thread waits for them; exit status 0 when the counter says every
 * call ran exactly once (a breakpoint stepped over wrongly would skip or
 * repeat one). One at a time: qemu-user 7.2's gdbstub cannot take two
 * threads stopping at once (both talk on the one socket). Built static for
 * a foreign arch, run under qemu.
 */
#include <pthread.h>

#define THREADS 4
#define CALLS 50

static int counter;

__attribute__((noinline, aligned(64))) void probe_me(void)
{
	__atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
}

static void *worker(void *arg)
{
	for (int i = 0; i < CALLS; i++)
		probe_me();
	return arg;
}

int main(void)
{
	for (int i = 0; i < THREADS; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, worker, NULL))
			return 2;
		pthread_join(t, NULL);
	}
	return counter == THREADS * CALLS ? 0 : 1;
}

/* SPDX-License-Identifier: MIT */
/*
 * Two threads spin in the page of probe_me while the main thread calls it
 * 50 times: under qemu-user every write to that page drops the page's
 * translations, the spinners translate their loop again at once, and qemu
 * write-protects the page again while the tracer is still writing. Exit
 * status 0 when every call ran exactly once. Built static for aarch64.
 */
#include <pthread.h>

#define SPINNERS 2
#define CALLS 50

static int counter, stop;

/* one page for both: the page starts here, spinner follows */
__attribute__((noinline, aligned(4096), section(".text.race"))) void probe_me(void)
{
	__atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
}

__attribute__((noinline, section(".text.race"))) void *spinner(void *arg)
{
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		;
	return arg;
}

int main(void)
{
	pthread_t t[SPINNERS];

	for (int i = 0; i < SPINNERS; i++)
		if (pthread_create(&t[i], NULL, spinner, NULL))
			return 2;
	for (int i = 0; i < CALLS; i++)
		probe_me();
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < SPINNERS; i++)
		pthread_join(t[i], NULL);
	return counter == CALLS ? 0 : 1;
}

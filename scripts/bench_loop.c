/* SPDX-License-Identifier: MIT */
/*
 * The benchmark's workload: calls bench_fn() (in libbenchfn.so, so ltrace sees the call
 * through the PLT) N times (argv[1]) and prints the loop's own time, so that start-up and
 * attach costs of each tracer stay out of the per-hit figure:
 *   loop_ns=TOTAL n=N sum=SUM
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int bench_fn(int i);

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000, sum = 0;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		sum += bench_fn((int)i);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("loop_ns=%lld n=%ld sum=%ld\n",
	       (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec), n,
	       sum);
	return 0;
}

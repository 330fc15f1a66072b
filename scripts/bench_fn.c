/* SPDX-License-Identifier: MIT */
/*
 * The probed function of the benchmark, built into libbenchfn.so with -fcf-protection so it
 * opens with a 4-byte endbr64: the floor tracer (floor.c) puts its int3 there and skips the
 * rest of the endbr64 at each hit.
 */
int bench_fn(int i)
{
	__asm__ volatile("" : : : "memory");
	return 2 * i + 1;
}

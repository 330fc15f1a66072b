/* SPDX-License-Identifier: MIT */
/*
 * A freestanding fixture for the other architectures (aarch64, riscv64,
 * loongarch64), built -O0 -g -static: the foreign test reads its DWARF and
 * CFI through a remote-style target whose memory is the file itself.
 */
#include "fixture.h"

#define FX_FUNC __attribute__((noinline, used))

/* The compiler may copy structs with these. */
void *memcpy(void *dst, const void *src, unsigned long n)
{
	char *d = dst;
	const char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, unsigned long n)
{
	char *d = dst;

	while (n--)
		*d++ = (char)c;
	return dst;
}

FX_FUNC long fx_long(long a, int b)
{
	return a - b;
}

FX_FUNC long fx_body(long n, struct fx_req *r)
{
	long acc = fx_long(n, 1);

	acc += r->len; /* FX_BODY */
	return acc + n;
}

FX_FUNC struct fx_big fx_big(int x)
{
	struct fx_big big = {{x, x, x, x}};

	return big;
}

void _start(void)
{
	struct fx_req req = {1, 2, 0, 0};

	fx_body(3, &req);
	fx_big(1);
	for (;;)
		;
}

/* SPDX-License-Identifier: MIT */
/* Types shared by the symbol fixture and its test: the test checks offsets with offsetof. */
#ifndef SYM_FIXTURE_H
#define SYM_FIXTURE_H

struct fx_req {
	int id;
	long len;
	const char *name;
	struct fx_req *next;
};

struct fx_outer {
	int a;
	struct fx_req inner;
	char tag[12];
};

/* Returned through a hidden first argument on x86_64. */
struct fx_big {
	long v[4];
};

enum fx_color { FX_RED = -1, FX_GREEN = 1 };

#endif

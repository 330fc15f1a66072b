/* SPDX-License-Identifier: MIT */
/*
 * The process the symbol tests look at: functions with int, long, char *,
 * struct pointer, enum, bool and by-value parameters, two libraries that
 * define the same name, and a third one it dlopens on SIGUSR1. It prints
 * the run-time addresses the test checks against, then sleeps.
 *
 * argv[1]: the library to dlopen on SIGUSR1.
 */
#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

#define FX_FUNC __attribute__((noipa, used))

int symfix_dup(void);
int symfix_main_too(void);
int symfix_only_b(void);

FX_FUNC int fx_int(int n)
{
	return n * 3 + 1; /* FX_LINE */
}

FX_FUNC long fx_long(long a, int b)
{
	return a - b;
}

FX_FUNC int fx_str(const char *s)
{
	return s[0];
}

FX_FUNC long fx_req(struct fx_req *req)
{
	return req->len + req->id;
}

FX_FUNC int fx_mixed(double d, int a, struct fx_req *r)
{
	return (int)d + a + r->id;
}

FX_FUNC int fx_enum(enum fx_color c, _Bool b, unsigned char u)
{
	return c + b + u;
}

FX_FUNC struct fx_big fx_big(int x)
{
	struct fx_big big = {{x, x, x, x}};

	return big;
}

FX_FUNC long fx_outer(struct fx_outer *o)
{
	return o->inner.len;
}

FX_FUNC const char *fx_name(struct fx_req *r)
{
	return r->name;
}

/* r lives across a call: in its frame at -O0, a callee-saved register at -O2. */
FX_FUNC long fx_body(long n, struct fx_req *r)
{
	long acc = fx_long(n, 1);

	acc += r->len; /* FX_BODY */
	return acc + n;
}

FX_FUNC void fx_void(int x)
{
	(void)x;
}

/* At -O2 gcc clones it (clone_me.constprop.0.isra.0): unused dropped, r maybe split. */
static __attribute__((noinline)) long clone_me(long a, long unused, struct fx_req *r)
{
	return a + r->len;
}

FX_FUNC long clone_use(struct fx_req *r, long x)
{
	return clone_me(1, 2, r) + clone_me(x, 3, r);
}

/* Also defined in libsymfixa.so: the main program's wins. */
FX_FUNC int symfix_main_too(void)
{
	return 7;
}

/* Globals: fetched at their run-time address. */
long fx_global = 42;
struct fx_req fx_global_req = {7, 8, "g", NULL};

static volatile sig_atomic_t load_requested;

static void on_usr1(int sig)
{
	(void)sig;
	load_requested = 1;
}

int main(int argc, char **argv)
{
	struct fx_req req = {1, 2, "x", NULL};
	struct fx_outer outer = {0, req};
	void *m = malloc(16);

	signal(SIGUSR1, on_usr1);
	/* Use everything, so nothing is dropped. */
	fx_int(1);
	fx_long(2, 3);
	fx_str("s");
	fx_req(&req);
	fx_mixed(1.0, 2, &req);
	fx_enum(FX_RED, 1, 2);
	fx_big(3);
	fx_outer(&outer);
	fx_name(&req);
	fx_void(0);
	clone_use(&req, 5);
	fx_global += fx_global_req.len;
	fx_body(4, &req);
	symfix_dup();
	symfix_main_too();
	symfix_only_b();
	free(m);

	printf("ready %p %p %p %p %p %p %p\n", (void *)fx_int, dlsym(RTLD_DEFAULT, "malloc"),
	       (void *)_r_debug.r_brk, dlsym(RTLD_DEFAULT, "symfix_dup"), (void *)&_r_debug,
	       (void *)&fx_global, (void *)&fx_global_req);
	fflush(stdout);
	for (;;) {
		pause();
		if (load_requested && argc > 1) {
			load_requested = 0;
			printf(dlopen(argv[1], RTLD_NOW) ? "loaded\n" : "failed\n");
			fflush(stdout);
		}
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * Symbol layer tests on a real process: the fixture (built -O0 and -O2)
 * runs sleeping, and every lookup is made twice, through /proc/PID/maps
 * (native) and through the auxv and link_map chain (remote = true), which
 * must agree with each other and with the addresses the fixture printed.
 *
 * argv: FIXTURE LIBSYMFIXC FIXTURE-SOURCE OPTIMIZATION(0|2)
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "uptrace/sym.h"
#include "uptrace/target.h"
#include "fixture.h"
#include "test_target.h"

static const char *fixture_path, *late_lib, *fixture_src;
static int optimization;

struct sym_env {
	struct sym_child child;
	struct up_target native_t, remote_t;
	struct up_symtab *native, *remote;
	struct up_symtab *both[2];
};

static int env_setup(void **state)
{
	static struct sym_env env;
	char *argv[] = {(char *)fixture_path, (char *)late_lib, NULL};

	if (sym_child_start(&env.child, argv) < 0)
		return -1;
	sym_test_target_init(&env.native_t, env.child.pid, fixture_path, false);
	sym_test_target_init(&env.remote_t, env.child.pid, fixture_path, true);
	if (up_sym_open(&env.native, &env.native_t) < 0 ||
	    up_sym_open(&env.remote, &env.remote_t) < 0)
		return -1;
	env.both[0] = env.native;
	env.both[1] = env.remote;
	*state = &env;
	return 0;
}

static int env_teardown(void **state)
{
	struct sym_env *env = *state;

	up_sym_close(env->native);
	up_sym_close(env->remote);
	sym_child_stop(&env->child);
	return 0;
}

/* Write the child's memory (r_debug's state for the refresh test). */
static int test_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ok = pwrite(fd, buf, len, addr) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -EIO;
}

static const char *base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The one function a pattern names in the main program. */
static struct up_func_match lookup_one(struct up_symtab *s, const char *module, const char *func)
{
	struct up_func_match m[4];
	char amb[256];
	int n = up_sym_functions(s, module, func, m, 4, amb, sizeof(amb));

	assert_int_equal(n, 1);
	assert_string_equal(m[0].func, func);
	return m[0];
}

static void test_main_function(void **state)
{
	struct sym_env *env = *state;

	for (int i = 0; i < 2; i++) {
		struct up_func_match m = lookup_one(env->both[i], NULL, "fx_int");

		assert_int_equal(m.addr, env->child.fx_int);
		assert_true(m.size > 0);
		assert_string_equal(base(m.module), base(fixture_path));
	}
}

static void test_libc_function(void **state)
{
	struct sym_env *env = *state;
	static const char *const specs[] = {"libc", "libc.so.6", NULL};

	for (int i = 0; i < 2; i++) {
		for (int j = 0; specs[j]; j++) {
			struct up_func_match m = lookup_one(env->both[i], specs[j], "malloc");

			assert_int_equal(m.addr, env->child.malloc_addr);
			assert_string_equal(base(m.module), "libc.so.6");
		}
		/* No module: the only definition is libc's. */
		assert_int_equal(lookup_one(env->both[i], NULL, "malloc").addr,
				 env->child.malloc_addr);
		/* Its alias __libc_malloc is the same address: asked for, it is the name. */
		assert_int_equal(lookup_one(env->both[i], "libc", "__libc_malloc").addr,
				 env->child.malloc_addr);
	}
}

static void test_globs(void **state)
{
	struct sym_env *env = *state;
	static const char *const want[] = {"fx_int",   "fx_long", "fx_str", "fx_req",
					   "fx_mixed", "fx_enum", "fx_big", "fx_outer",
					   "fx_name",  "fx_void", "fx_body"};
	struct up_func_match m[64];
	char amb[256];

	for (int i = 0; i < 2; i++) {
		int n = up_sym_functions(env->both[i], NULL, "fx_*", m, 64, amb, sizeof(amb));

		assert_int_equal(n, 11);
		for (int w = 0; w < 11; w++) {
			int found = 0;

			for (int k = 0; k < n; k++)
				found += !strcmp(m[k].func, want[w]);
			assert_int_equal(found, 1);
		}
		for (int a = 0; a < n; a++)
			for (int b = a + 1; b < n; b++)
				assert_true(m[a].addr != m[b].addr);

		/* A glob in libc: malloc is among the matches, once (not as __libc_malloc too). */
		n = up_sym_functions(env->both[i], "libc", "*mall?c", m, 64, amb, sizeof(amb));
		assert_true(n >= 1);
		int hits = 0;

		for (int k = 0; k < n; k++)
			hits += m[k].addr == env->child.malloc_addr;
		assert_int_equal(hits, 1);
		/* Glob across modules, main program first. */
		n = up_sym_functions(env->both[i], NULL, "symfix_*", m, 64, amb, sizeof(amb));
		assert_true(n >= 4);
		assert_string_equal(base(m[0].module), base(fixture_path));
	}
}

static void test_ambiguous_and_missing(void **state)
{
	struct sym_env *env = *state;
	struct up_func_match m[8];
	char amb[256];

	for (int i = 0; i < 2; i++) {
		struct up_symtab *s = env->both[i];

		assert_int_equal(up_sym_functions(s, NULL, "symfix_dup", m, 8, amb, sizeof(amb)),
				 -EEXIST);
		assert_non_null(strstr(amb, "libsymfixa.so"));
		assert_non_null(strstr(amb, "libsymfixb.so"));
		/* With a module it is not ambiguous. */
		assert_int_equal(lookup_one(s, "libsymfixa", "symfix_dup").addr,
				 env->child.symfix_dup);
		assert_true(lookup_one(s, "libsymfixb.so", "symfix_dup").addr !=
			    env->child.symfix_dup);
		/* Defined in the main program and a library: the main program's. */
		struct up_func_match mm = lookup_one(s, NULL, "symfix_main_too");

		assert_string_equal(base(mm.module), base(fixture_path));
		assert_int_equal(
		    up_sym_functions(s, NULL, "no_such_function_xyz", m, 8, amb, sizeof(amb)), 0);
		assert_int_equal(
		    up_sym_functions(s, "libnothere", "malloc", m, 8, amb, sizeof(amb)), -ENOENT);
		assert_int_equal(up_sym_functions(s, NULL, "*no_such_xyz*", m, 8, amb, sizeof(amb)),
				 0);
	}
}

static void test_modules(void **state)
{
	struct sym_env *env = *state;
	struct up_module_info info[2], libc, other;
	char real[PATH_MAX];

	for (int i = 0; i < 2; i++) {
		struct up_symtab *s = env->both[i];

		assert_int_equal(up_sym_module(s, NULL, &info[i]), 0);
		assert_string_equal(base(info[i].path), base(fixture_path));
		assert_true(env->child.fx_int >= info[i].start && env->child.fx_int < info[i].end);
		assert_int_equal(up_sym_module(s, "", &other), 0);
		assert_int_equal(other.start, info[i].start);
		assert_int_equal(up_sym_module(s, "libc", &libc), 0);
		assert_string_equal(base(libc.path), "libc.so.6");
		assert_non_null(realpath(libc.path, real));
		assert_int_equal(up_sym_module(s, real, &other), 0);
		assert_int_equal(other.start, libc.start);
		assert_int_equal(up_sym_module(s, "libc.so.6", &other), 0);
		assert_int_equal(other.start, libc.start);
		assert_int_equal(up_sym_module(s, "libsymfixa", &other), 0);
		assert_string_equal(base(other.path), "libsymfixa.so");
		assert_int_equal(up_sym_module(s, "libsymfix", &other), -ENOENT);
		assert_int_equal(up_sym_module(s, "libnothere", &other), -ENOENT);
	}
	/* Both views put the main program at the same place with the same bias. */
	assert_int_equal(info[0].start, info[1].start);
	assert_int_equal(info[0].bias, info[1].bias);
	if (optimization == 2)
		assert_int_equal(info[0].bias, 0); /* built -no-pie */
	else
		assert_true(info[0].bias != 0);
}

static void assert_arg(const struct up_arg *a, const char *name, int base_kind, int n, int kind,
		       int size)
{
	assert_string_equal(a->name, name);
	assert_int_equal(a->fetch.base, base_kind);
	if (base_kind == UP_FETCH_ARG) {
		assert_int_equal(a->fetch.argn, n);
		assert_int_equal(a->fetch.nops, 0);
	}
	assert_int_equal(a->type.kind, kind);
	assert_int_equal(a->type.size, size);
}

static void test_params_at_entry(void **state)
{
	struct sym_env *env = *state;
	struct up_arg a[8];

	for (int i = 0; i < 2; i++) {
		struct up_symtab *s = env->both[i];
		uint64_t f;

		f = lookup_one(s, NULL, "fx_long").addr;
		assert_int_equal(up_sym_params(s, f, a, 8), 2);
		assert_arg(&a[0], "a", UP_FETCH_ARG, 1, UP_TYPE_SIGNED, 8);
		assert_arg(&a[1], "b", UP_FETCH_ARG, 2, UP_TYPE_SIGNED, 4);

		f = lookup_one(s, NULL, "fx_str").addr;
		assert_int_equal(up_sym_params(s, f, a, 8), 1);
		assert_arg(&a[0], "s", UP_FETCH_ARG, 1, UP_TYPE_STRING, 8);

		/* The double is not an integer argument: a is $arg1, r is $arg2. */
		f = lookup_one(s, NULL, "fx_mixed").addr;
		int n = up_sym_params(s, f, a, 8);
		int k = 0;

		while (k < n && strcmp(a[k].name, "a"))
			k++;
		assert_true(k + 1 < n);
		assert_arg(&a[k], "a", UP_FETCH_ARG, 1, UP_TYPE_SIGNED, 4);
		assert_arg(&a[k + 1], "r", UP_FETCH_ARG, 2, UP_TYPE_PTR, 8);

		f = lookup_one(s, NULL, "fx_enum").addr;
		assert_int_equal(up_sym_params(s, f, a, 8), 3);
		assert_arg(&a[0], "c", UP_FETCH_ARG, 1, UP_TYPE_SIGNED, 4);
		assert_arg(&a[1], "b", UP_FETCH_ARG, 2, UP_TYPE_BOOL, 1);
		assert_arg(&a[2], "u", UP_FETCH_ARG, 3, UP_TYPE_UCHAR, 1);

		/* A large struct is returned through a hidden first argument. */
		f = lookup_one(s, NULL, "fx_big").addr;
		assert_int_equal(up_sym_params(s, f, a, 8), 1);
		assert_arg(&a[0], "x", UP_FETCH_ARG, 2, UP_TYPE_SIGNED, 4);

		/* Inside the -O0 prologue the frame slots are not stored yet: still registers. */
		if (optimization == 0) {
			uint8_t insn[4];
			uint64_t pc = 0;

			f = lookup_one(s, NULL, "fx_long").addr;
			assert_int_equal(env->native_t.ops->read(&env->native_t, f, insn, 4), 0);
			if (insn[0] == 0x55) /* push %rbp */
				pc = f + 1;
			else if (insn[0] == 0xf3 && insn[1] == 0x0f && insn[2] == 0x1e)
				pc = f + 4; /* endbr64 */
			else
				fail_msg("unexpected first instruction 0x%02x", insn[0]);
			assert_int_equal(up_sym_params(s, pc, a, 8), 2);
			assert_arg(&a[0], "a", UP_FETCH_ARG, 1, UP_TYPE_SIGNED, 8);
			assert_arg(&a[1], "b", UP_FETCH_ARG, 2, UP_TYPE_SIGNED, 4);
		}

		/* A clone's registers do not follow the source: only DWARF's locations count. */
		struct up_func_match cm[2];
		char amb[64];

		assert_int_equal(up_sym_functions(s, NULL, "clone_me*", cm, 2, amb, sizeof(amb)),
				 1);
		n = up_sym_params(s, cm[0].addr, a, 8);
		if (strchr(cm[0].func, '.')) {
			assert_true(n >= 1);
			assert_string_equal(a[0].name, "a");
			assert_int_equal(a[0].fetch.base, UP_FETCH_REG);
			for (k = 0; k < n; k++)
				assert_int_not_equal(a[k].fetch.base, UP_FETCH_ARG);
		} else {
			assert_int_equal(n, 3);
			assert_arg(&a[2], "r", UP_FETCH_ARG, 3, UP_TYPE_PTR, 8);
		}

		/* max is honoured: both counted, the first stored, the slot after it untouched. */
		f = lookup_one(s, NULL, "fx_long").addr;
		memset(a, 0x5a, sizeof(a));
		assert_int_equal(up_sym_params(s, f, a, 1), 2);
		assert_arg(&a[0], "a", UP_FETCH_ARG, 1, UP_TYPE_SIGNED, 8);
		assert_int_equal(a[1].name[0], 0x5a);
		/* No DWARF in libc (no debug package): no parameters, no error. */
		if (up_sym_params(s, env->child.malloc_addr, a, 8) < 0)
			fail_msg("params of malloc failed");
	}
}

static int fixture_line_of(const char *marker)
{
	char buf[512];
	FILE *f = fopen(fixture_src, "r");
	int line = 0, found = -1;

	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f)) {
		line++;
		if (strstr(buf, marker))
			found = line;
	}
	fclose(f);
	assert_true(found > 0);
	return found;
}

static int fixture_line(void)
{
	return fixture_line_of("/* FX_LINE */");
}

static void test_file_line(void **state)
{
	struct sym_env *env = *state;
	int line = fixture_line();

	for (int i = 0; i < 2; i++) {
		struct up_func_match func;
		uint64_t addr = 0;

		assert_int_equal(up_sym_line(env->both[i], NULL, "fixture.c", line, &addr, &func),
				 0);
		assert_string_equal(func.func, "fx_int");
		assert_int_equal(func.addr, env->child.fx_int);
		assert_true(addr >= env->child.fx_int && addr < func.addr + func.size);
		assert_int_equal(up_sym_line(env->both[i], NULL, fixture_src, line, &addr, NULL),
				 0);
		assert_int_equal(up_sym_line(env->both[i], NULL, "fixture.c", 99999, &addr, NULL),
				 -ENOENT);
		assert_int_equal(
		    up_sym_line(env->both[i], NULL, "no_such_file.c", line, &addr, NULL), -ENOENT);
	}
}

/* Inside a body: -O0 has n in its frame (CFA-relative), -O2 in callee-saved registers. */
static void test_params_in_body(void **state)
{
	struct sym_env *env = *state;
	int line = fixture_line();

	for (int i = 0; i < 2; i++) {
		struct up_symtab *s = env->both[i];
		struct up_arg a[4], v;
		uint64_t addr;

		assert_int_equal(up_sym_line(s, NULL, "fixture.c", line, &addr, NULL), 0);
		if (optimization != 0) {
			/* fx_int is one instruction; in fx_body both live across a call. */
			static const int saved[] = {UP_X86_RBX, UP_X86_RBP, UP_X86_R12,
						    UP_X86_R13, UP_X86_R14, UP_X86_R15};

			line = fixture_line_of("/* FX_BODY */");
			assert_int_equal(up_sym_line(s, NULL, "fixture.c", line, &addr, NULL), 0);
			assert_int_equal(up_sym_params(s, addr, a, 4), 2);
			for (int k = 0; k < 2; k++) {
				int ok = 0;

				assert_int_equal(a[k].fetch.base, UP_FETCH_REG);
				for (int r = 0; r < 6; r++)
					ok += a[k].fetch.reg == saved[r];
				assert_int_equal(ok, 1);
			}
			continue;
		}
		assert_true(addr > env->child.fx_int);
		assert_int_equal(up_sym_params(s, addr, a, 4), 1);
		assert_string_equal(a[0].name, "n");
		assert_int_equal(a[0].fetch.base, UP_FETCH_REG);
		assert_int_equal(a[0].type.kind, UP_TYPE_SIGNED);
		assert_int_equal(a[0].type.size, 4);
		/* rbp + 16 (CFA) + fbreg offset, loaded. */
		assert_int_equal(a[0].fetch.reg, UP_X86_RBP);
		assert_int_equal(a[0].fetch.nops, 2);
		assert_int_equal(a[0].fetch.ops[0].op, UP_FOP_ADD);
		assert_true(a[0].fetch.ops[0].imm < 0);
		assert_int_equal(a[0].fetch.ops[1].op, UP_FOP_LOAD);
		assert_int_equal(a[0].fetch.ops[1].size, 4);
		assert_int_equal(up_sym_variable(s, addr, "n", &v), 0);
		assert_memory_equal(&v.fetch, &a[0].fetch, sizeof(v.fetch));
	}
}

/* After a call in fx_body: r is kept somewhere, never as the entry's $arg2. */
static void test_member_in_body(void **state)
{
	struct sym_env *env = *state;
	int line = fixture_line_of("/* FX_BODY */");

	for (int i = 0; i < 2; i++) {
		struct up_symtab *s = env->both[i];
		struct up_func_match func;
		struct up_arg v;
		uint64_t addr;
		int n;

		assert_int_equal(up_sym_line(s, NULL, "fixture.c", line, &addr, &func), 0);
		assert_string_equal(func.func, "fx_body");
		assert_true(addr > func.addr);
		assert_int_equal(up_sym_variable(s, addr, "r->len", &v), 0);
		assert_int_equal(v.fetch.base, UP_FETCH_REG);
		n = v.fetch.nops;
		assert_true(n >= 2);
		assert_int_equal(v.fetch.ops[n - 2].op, UP_FOP_ADD);
		assert_int_equal(v.fetch.ops[n - 2].imm, offsetof(struct fx_req, len));
		assert_int_equal(v.fetch.ops[n - 1].op, UP_FOP_LOAD);
		assert_int_equal(v.fetch.ops[n - 1].size, 8);
		if (optimization == 0) {
			/* The frame slot of r, loaded first. */
			assert_int_equal(v.fetch.reg, UP_X86_RBP);
			assert_int_equal(n, 4);
			assert_int_equal(v.fetch.ops[1].op, UP_FOP_LOAD);
		}
	}
}

static void assert_ops(const struct up_arg *a, int argn, const int64_t *ops, int nops)
{
	assert_int_equal(a->fetch.base, UP_FETCH_ARG);
	assert_int_equal(a->fetch.argn, argn);
	assert_int_equal(a->fetch.nops, nops);
	for (int i = 0; i < nops; i++) {
		/* Positive: ADD imm; negative: LOAD -size. */
		if (ops[i] < 0) {
			assert_int_equal(a->fetch.ops[i].op, UP_FOP_LOAD);
			assert_int_equal(a->fetch.ops[i].size, -ops[i]);
		} else {
			assert_int_equal(a->fetch.ops[i].op, UP_FOP_ADD);
			assert_int_equal(a->fetch.ops[i].imm, ops[i]);
		}
	}
}

static void test_members(void **state)
{
	struct sym_env *env = *state;

	for (int i = 0; i < 2; i++) {
		struct up_symtab *s = env->both[i];
		uint64_t req = lookup_one(s, NULL, "fx_req").addr;
		uint64_t outer = lookup_one(s, NULL, "fx_outer").addr;
		struct up_arg v;

		assert_int_equal(up_sym_variable(s, req, "req->len", &v), 0);
		assert_string_equal(v.name, "req->len");
		assert_ops(&v, 1, (int64_t[]){offsetof(struct fx_req, len), -8}, 2);
		assert_int_equal(v.type.kind, UP_TYPE_SIGNED);
		assert_int_equal(v.type.size, 8);

		assert_int_equal(up_sym_variable(s, req, "req->name", &v), 0);
		assert_ops(&v, 1, (int64_t[]){offsetof(struct fx_req, name), -8}, 2);
		assert_int_equal(v.type.kind, UP_TYPE_STRING);

		/* id is at offset 0: no ADD. */
		assert_int_equal(up_sym_variable(s, req, "req->next->id", &v), 0);
		assert_ops(&v, 1, (int64_t[]){offsetof(struct fx_req, next), -8, -4}, 3);

		assert_int_equal(up_sym_variable(s, req, "req", &v), 0);
		assert_ops(&v, 1, NULL, 0);
		assert_int_equal(v.type.kind, UP_TYPE_PTR);

		/* "." inside the struct: offsets add up. */
		assert_int_equal(up_sym_variable(s, outer, "o->inner.len", &v), 0);
		assert_ops(&v, 1,
			   (int64_t[]){
			       offsetof(struct fx_outer, inner) + offsetof(struct fx_req, len), -8},
			   2);

		/* A char array member is a string at its address: no load. */
		assert_int_equal(up_sym_variable(s, outer, "o->tag", &v), 0);
		assert_ops(&v, 1, (int64_t[]){offsetof(struct fx_outer, tag)}, 1);
		assert_int_equal(v.type.kind, UP_TYPE_STRING);

		assert_int_equal(up_sym_variable(s, req, "req->nosuch", &v), -ENOENT);
		assert_int_equal(up_sym_variable(s, req, "nosuch", &v), -ENOENT);
		assert_int_equal(up_sym_variable(s, req, "req-", &v), -EINVAL);
		assert_int_equal(up_sym_variable(s, req, "req.len", &v), -EINVAL);
		assert_int_equal(up_sym_variable(s, req, "1req", &v), -EINVAL);
		assert_int_equal(up_sym_variable(s, req, "req->len->x", &v), -EINVAL);
	}
}

/* Globals are found from any function of their CU, at their run-time address. */
static void test_globals(void **state)
{
	struct sym_env *env = *state;

	for (int i = 0; i < 2; i++) {
		struct up_arg v;

		assert_int_equal(up_sym_variable(env->both[i], env->child.fx_int, "fx_global", &v),
				 0);
		assert_int_equal(v.fetch.base, UP_FETCH_CONST);
		assert_int_equal(v.fetch.imm, env->child.global);
		assert_int_equal(v.fetch.nops, 1);
		assert_int_equal(v.fetch.ops[0].op, UP_FOP_LOAD);
		assert_int_equal(v.fetch.ops[0].size, 8);
		assert_int_equal(v.type.kind, UP_TYPE_SIGNED);

		assert_int_equal(
		    up_sym_variable(env->both[i], env->child.fx_int, "fx_global_req.len", &v), 0);
		assert_int_equal(v.fetch.base, UP_FETCH_CONST);
		assert_int_equal(v.fetch.imm, env->child.global_req + offsetof(struct fx_req, len));
		assert_int_equal(v.fetch.nops, 1);
		assert_int_equal(v.fetch.ops[0].size, 8);
		/* "->" on a struct that is not a pointer. */
		assert_int_equal(
		    up_sym_variable(env->both[i], env->child.fx_int, "fx_global_req->len", &v),
		    -EINVAL);
	}
}

static void test_return_types(void **state)
{
	struct sym_env *env = *state;
	static const struct {
		const char *func;
		int kind, size;
	} cases[] = {
	    {"fx_int", UP_TYPE_SIGNED, 4},
	    {"fx_long", UP_TYPE_SIGNED, 8},
	    {"fx_name", UP_TYPE_STRING, 8},
	};

	for (int i = 0; i < 2; i++) {
		struct up_symtab *s = env->both[i];
		struct up_type t;

		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			assert_int_equal(
			    up_sym_return_type(s, lookup_one(s, NULL, cases[k].func).addr, &t), 0);
			assert_int_equal(t.kind, cases[k].kind);
			assert_int_equal(t.size, cases[k].size);
		}
		assert_int_equal(up_sym_return_type(s, lookup_one(s, NULL, "fx_void").addr, &t),
				 -ENOENT);
		assert_true(up_sym_return_type(s, lookup_one(s, NULL, "fx_big").addr, &t) < 0);
	}
}

static void test_rbrk(void **state)
{
	struct sym_env *env = *state;

	for (int i = 0; i < 2; i++) {
		uint64_t addr = 0;

		assert_int_equal(up_sym_rbrk(env->both[i], &addr), 0);
		assert_int_equal(addr, env->child.r_brk);
	}
}

static void test_describe_and_link(void **state)
{
	struct sym_env *env = *state;

	for (int i = 0; i < 2; i++) {
		struct up_symtab *s = env->both[i];
		struct up_module_info main_mod;
		struct up_func_match func;
		char buf[256];
		uint64_t addr;

		assert_int_equal(
		    up_sym_describe(s, env->child.malloc_addr + 0x10, buf, sizeof(buf)), 0);
		assert_true(!strncmp(buf, "libc.so.6+0x", 12));
		assert_non_null(strstr(buf, "malloc+0x10)"));
		assert_int_equal(up_sym_describe(s, env->child.fx_int, buf, sizeof(buf)), 0);
		assert_non_null(strstr(buf, " (fx_int)"));
		assert_int_equal(up_sym_describe(s, 8, buf, sizeof(buf)), -ENOENT);
		assert_string_equal(buf, "0x8");

		assert_int_equal(up_sym_module(s, NULL, &main_mod), 0);
		assert_int_equal(up_sym_link_to_runtime(s, NULL, env->child.fx_int - main_mod.bias,
							&addr, &func),
				 0);
		assert_int_equal(addr, env->child.fx_int);
		assert_string_equal(func.func, "fx_int");
		assert_int_equal(up_sym_link_to_runtime(s, "libnothere", 0x1000, &addr, NULL),
				 -ENOENT);
	}
}

/* Executable segments: where fx_int and malloc are, and not the data. */
static void test_exec_ranges(void **state)
{
	struct sym_env *env = *state;

	for (int i = 0; i < 2; i++) {
		uint64_t r[8][2];
		int n, in_text = 0, in_data = 0;

		n = up_sym_exec_ranges(env->both[i], NULL, r, 8);
		assert_true(n >= 1);
		for (int k = 0; k < n; k++) {
			in_text += env->child.fx_int >= r[k][0] && env->child.fx_int < r[k][1];
			in_data += env->child.global >= r[k][0] && env->child.global < r[k][1];
		}
		assert_int_equal(in_text, 1);
		assert_int_equal(in_data, 0);
		n = up_sym_exec_ranges(env->both[i], "libc", r, 8);
		assert_true(n >= 1);
		assert_true(env->child.malloc_addr >= r[0][0] &&
			    env->child.malloc_addr < r[n - 1][1]);
		assert_int_equal(up_sym_exec_ranges(env->both[i], "libnothere", r, 8), -ENOENT);
	}
}

struct list_ctx {
	int n, in_main;
	char first_module[4096];
};

static void list_one(void *ctx, const struct up_func_match *m)
{
	struct list_ctx *l = ctx;

	if (l->n++ == 0)
		snprintf(l->first_module, sizeof(l->first_module), "%s", m->module);
	l->in_main += !strcmp(base(m->module), base(fixture_path));
}

static void test_list(void **state)
{
	struct sym_env *env = *state;

	for (int i = 0; i < 2; i++) {
		struct list_ctx l = {0};

		int n = up_sym_list(env->both[i], "symfix_*", list_one, &l);

		assert_int_equal(n, l.n);
		assert_int_equal(l.n, 6); /* main 1, a 3, b 2 */
		assert_int_equal(l.in_main, 1);
		assert_string_equal(base(l.first_module), base(fixture_path));
		memset(&l, 0, sizeof(l));
		assert_true(up_sym_list(env->both[i], NULL, list_one, &l) > 1000); /* libc's too */
	}
}

/*
 * A match's module is the symbol table's one copy of the path: the same
 * pointer for every function of a module, after a refresh, and for the
 * same text interned again, however many other strings came since.
 */
static void test_interned_paths(void **state)
{
	struct sym_env *env = *state;
	struct up_func_match m[64];
	char amb[256], copy[PATH_MAX], other[32];

	for (int i = 0; i < 2; i++) {
		struct up_symtab *s = env->both[i];
		int n = up_sym_functions(s, NULL, "fx_*", m, 64, amb, sizeof(amb));
		const char *main_path, *word;

		assert_true(n > 1);
		main_path = m[0].module;
		for (int k = 1; k < n; k++)
			assert_ptr_equal(m[k].module, main_path);
		snprintf(copy, sizeof(copy), "%s", main_path);
		assert_ptr_equal(up_sym_intern(s, copy), main_path);
		assert_ptr_equal(lookup_one(s, "libc", "malloc").module,
				 lookup_one(s, NULL, "malloc").module);
		assert_ptr_not_equal(lookup_one(s, "libc", "malloc").module, main_path);
		word = up_sym_intern(s, "libnothere");
		assert_string_equal(word, "libnothere");
		for (int k = 0; k < 1000; k++) { /* the table grows several times */
			snprintf(other, sizeof(other), "/lib/x%d.so", k);
			assert_string_equal(up_sym_intern(s, other), other);
		}
		assert_ptr_equal(up_sym_intern(s, "libnothere"), word);
		assert_ptr_equal(up_sym_intern(s, copy), main_path);
		assert_int_equal(up_sym_refresh(s), 0);
		assert_ptr_equal(lookup_one(s, NULL, "fx_int").module, main_path);
		assert_string_equal(main_path, copy);
	}
}

/* Last: the fixture dlopens libsymfixc.so; a refresh finds exactly that one module. */
static void test_refresh(void **state)
{
	struct sym_env *env = *state;
	struct up_func_match m[2];
	char line[64], amb[64];
	uint64_t addr;

	assert_int_equal(up_sym_refresh(env->native), 0);
	assert_int_equal(up_sym_refresh(env->remote), 0);

	/* While r_debug says the list is changing, the remote view keeps what it knew. */
	struct up_module_info before, after;
	int32_t rt_add = 1, rt_consistent = 0; /* RT_ADD, RT_CONSISTENT */
	uint64_t r_state = env->child.r_debug + 24;

	assert_int_equal(up_sym_module(env->remote, "libsymfixb", &before), 0);
	assert_int_equal(test_write(env->child.pid, r_state, &rt_add, 4), 0);
	assert_int_equal(up_sym_refresh(env->remote), 0);
	assert_int_equal(up_sym_module(env->remote, "libsymfixb", &after), 0);
	assert_int_equal(after.start, before.start);
	assert_int_equal(up_sym_rbrk(env->remote, &addr), 0);
	assert_int_equal(addr, env->child.r_brk);
	assert_int_equal(test_write(env->child.pid, r_state, &rt_consistent, 4), 0);
	assert_int_equal(up_sym_refresh(env->remote), 0);
	assert_int_equal(
	    up_sym_functions(env->native, "libsymfixc", "symfix_late", m, 2, amb, sizeof(amb)),
	    -ENOENT);
	kill(env->child.pid, SIGUSR1);
	assert_int_equal(sym_child_line(&env->child, line, sizeof(line)), 0);
	assert_string_equal(line, "loaded\n");
	assert_int_equal(up_sym_refresh(env->native), 1);
	assert_int_equal(up_sym_refresh(env->remote), 1);
	assert_int_equal(up_sym_refresh(env->remote), 0);
	for (int i = 0; i < 2; i++) {
		struct up_func_match late = lookup_one(env->both[i], "libsymfixc", "symfix_late");

		assert_int_equal(lookup_one(env->both[i], NULL, "symfix_late").addr, late.addr);
		m[i] = late;
	}
	assert_int_equal(m[0].addr, m[1].addr);
}

int main(int argc, char **argv)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_function),
		cmocka_unit_test(test_libc_function),
		cmocka_unit_test(test_globs),
		cmocka_unit_test(test_ambiguous_and_missing),
		cmocka_unit_test(test_modules),
		cmocka_unit_test(test_params_at_entry),
		cmocka_unit_test(test_file_line),
		cmocka_unit_test(test_params_in_body),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_member_in_body),
		cmocka_unit_test(test_globals),
		cmocka_unit_test(test_return_types),
		cmocka_unit_test(test_rbrk),
		cmocka_unit_test(test_describe_and_link),
		cmocka_unit_test(test_exec_ranges),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_interned_paths),
		cmocka_unit_test(test_refresh),
	};
	/* clang-format on */

	if (argc != 5) {
		fprintf(stderr, "usage: %s FIXTURE LIBSYMFIXC FIXTURE-SOURCE 0|2\n", argv[0]);
		return 2;
	}
#if !defined(__x86_64__)
	printf("skip: the fixture's DWARF checks are written for an x86_64 host\n");
	return 77;
#endif
	fixture_path = argv[1];
	late_lib = argv[2];
	fixture_src = argv[3];
	optimization = atoi(argv[4]);
	return cmocka_run_group_tests(tests, env_setup, env_teardown);
}

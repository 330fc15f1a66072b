/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the probe-spec parser (src/cli/spec.c): tables of PROBE
 * words with the parts they must yield, tables of bad words with the exact
 * error message, the TYPE parser and the canonical key spelling.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "uptrace/spec.h"

/* One expected argument: name, kind, expr, argn, type ("" = none). */
struct arg_want {
	const char *name;
	int kind;
	const char *expr;
	unsigned argn;
	int type_kind;
	int type_size;
};

struct good_case {
	const char *text;
	int kind;
	const char *module;
	const char *func;
	uint64_t offset;
	bool has_offset;
	uint64_t addr;
	const char *file;
	int line;
	bool is_return;
	unsigned nargs;
	struct arg_want args[UP_MAX_ARGS];
};

/* The spec's MODULE as the tables spell it: "" when not given (the spec holds NULL). */
static const char *module_of(const struct up_spec *spec)
{
	return spec->module ? spec->module : "";
}

static const struct good_case good[] = {
    {"fib", UP_SPEC_FUNC, "", "fib"},
    {"  fib  ", UP_SPEC_FUNC, "", "fib"},
    {"fib%return", UP_SPEC_FUNC, "", "fib", .is_return = true},
    {"fib+16", UP_SPEC_FUNC, "", "fib", 16, true},
    {"fib+0x1c", UP_SPEC_FUNC, "", "fib", 0x1c, true},
    {"fib+0", UP_SPEC_FUNC, "", "fib", 0, true},
    {"libc:malloc", UP_SPEC_FUNC, "libc", "malloc"},
    {"/usr/lib/x86_64-linux-gnu/libc.so.6:malloc", UP_SPEC_FUNC,
     "/usr/lib/x86_64-linux-gnu/libc.so.6", "malloc"},
    {"libc.so.6:malloc%return", UP_SPEC_FUNC, "libc.so.6", "malloc", .is_return = true},
    {"str*", UP_SPEC_FUNC, "", "str*"},
    {"libc:mem[cs]?y", UP_SPEC_FUNC, "libc", "mem[cs]?y"},
    {"memcpy@GLIBC_2.14", UP_SPEC_FUNC, "", "memcpy@GLIBC_2.14"},
    {"0x1149", UP_SPEC_ADDR, "", "", .addr = 0x1149},
    {"./torture:0x401000", UP_SPEC_ADDR, "./torture", "", .addr = 0x401000},
    {"0xFFff", UP_SPEC_ADDR, "", "", .addr = 0xffff},
    {"fib.c:12", UP_SPEC_LINE, "", "", .file = "fib.c", .line = 12},
    {"src/a.c:40", UP_SPEC_LINE, "", "", .file = "src/a.c", .line = 40},
    {"libfoo:bar.c:7", UP_SPEC_LINE, "libfoo", "", .file = "bar.c", .line = 7},
    {"/opt/lib/libfoo.so:src/bar.c:7", UP_SPEC_LINE, "/opt/lib/libfoo.so", "", .file = "src/bar.c",
     .line = 7},
    {"fib n", UP_SPEC_FUNC, "", "fib", .nargs = 1, .args = {{"n", UP_EXPR_VAR, "n"}}},
    {"fib\tn", UP_SPEC_FUNC, "", "fib", .nargs = 1, .args = {{"n", UP_EXPR_VAR, "n"}}},
    {"handle req->len a.b v[2].x", UP_SPEC_FUNC, "", "handle", .nargs = 3,
     .args = {{"req->len", UP_EXPR_VAR, "req->len"},
	      {"a.b", UP_EXPR_VAR, "a.b"},
	      {"v[2].x", UP_EXPR_VAR, "v[2].x"}}},
    {"fib n:s32 m=n:u8 h=n:x16 big:u64 p:ptr s:string", UP_SPEC_FUNC, "", "fib", .nargs = 6,
     .args = {{"n", UP_EXPR_VAR, "n", 0, UP_TYPE_SIGNED, 4},
	      {"m", UP_EXPR_VAR, "n", 0, UP_TYPE_UNSIGNED, 1},
	      {"h", UP_EXPR_VAR, "n", 0, UP_TYPE_HEX, 2},
	      {"big", UP_EXPR_VAR, "big", 0, UP_TYPE_UNSIGNED, 8},
	      {"p", UP_EXPR_VAR, "p", 0, UP_TYPE_PTR, 8},
	      {"s", UP_EXPR_VAR, "s", 0, UP_TYPE_STRING, 8}}},
    {"malloc $arg1 sz=$arg2:u64 $arg12", UP_SPEC_FUNC, "", "malloc", .nargs = 3,
     .args = {{"arg1", UP_EXPR_ARGN, "$arg1", 1},
	      {"sz", UP_EXPR_ARGN, "$arg2", 2, UP_TYPE_UNSIGNED, 8},
	      {"arg12", UP_EXPR_ARGN, "$arg12", 12}}},
    {"fib%return $retval", UP_SPEC_FUNC, "", "fib", .is_return = true, .nargs = 1,
     .args = {{"ret", UP_EXPR_RETVAL, "$retval"}}},
    {"fib%return r=$retval:s64", UP_SPEC_FUNC, "", "fib", .is_return = true, .nargs = 1,
     .args = {{"r", UP_EXPR_RETVAL, "$retval", 0, UP_TYPE_SIGNED, 8}}},
    {"fib %rdi %x0:x64 $comm $tid", UP_SPEC_FUNC, "", "fib", .nargs = 4,
     .args = {{"rdi", UP_EXPR_REG, "rdi"},
	      {"x0", UP_EXPR_REG, "x0", 0, UP_TYPE_HEX, 8},
	      {"comm", UP_EXPR_COMM, "$comm"},
	      {"tid", UP_EXPR_TID, "$tid"}}},
    {"fib.c:12 n", UP_SPEC_LINE, "", "", .file = "fib.c", .line = 12, .nargs = 1,
     .args = {{"n", UP_EXPR_VAR, "n"}}},
    {"f a b c d e f g h", UP_SPEC_FUNC, "", "f", .nargs = 8,
     .args = {{"a", UP_EXPR_VAR, "a"},
	      {"b", UP_EXPR_VAR, "b"},
	      {"c", UP_EXPR_VAR, "c"},
	      {"d", UP_EXPR_VAR, "d"},
	      {"e", UP_EXPR_VAR, "e"},
	      {"f", UP_EXPR_VAR, "f"},
	      {"g", UP_EXPR_VAR, "g"},
	      {"h", UP_EXPR_VAR, "h"}}},
};

static void test_good(void **state)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct good_case *c = &good[i];
		struct up_spec spec;
		char err[256];
		int r;

		print_message("  %s\n", c->text);
		r = up_spec_parse(c->text, &spec, err, sizeof(err));
		if (r)
			print_error("unexpected error: %s\n", err);
		assert_int_equal(r, 0);
		assert_string_equal(err, "");
		assert_int_equal(spec.kind, c->kind);
		assert_string_equal(module_of(&spec), c->module);
		if (!c->module[0])
			assert_null(spec.module);
		assert_string_equal(spec.func, c->func);
		assert_int_equal(spec.offset, c->offset);
		assert_int_equal(spec.has_offset, c->has_offset);
		assert_int_equal(spec.addr, c->addr);
		assert_string_equal(spec.file ? spec.file : "", c->file ? c->file : "");
		assert_true(!spec.file == !c->file); /* not given: NULL */
		assert_int_equal(spec.line, c->line);
		assert_int_equal(spec.is_return, c->is_return);
		assert_int_equal(spec.nargs, c->nargs);
		for (unsigned a = 0; a < c->nargs; a++) {
			const struct arg_want *w = &c->args[a];
			const struct up_spec_arg *g = &spec.args[a];

			assert_string_equal(g->name, w->name);
			assert_int_equal(g->kind, w->kind);
			assert_string_equal(g->expr, w->expr);
			assert_int_equal(g->argn, w->argn);
			assert_int_equal(g->has_type, w->type_kind != 0);
			if (w->type_kind) {
				assert_int_equal(g->type.kind, w->type_kind);
				assert_int_equal(g->type.size, w->type_size);
			}
		}
		up_spec_release(&spec);
		assert_null(spec.module);
		up_spec_release(&spec); /* twice: nothing left to free */
	}
}

struct bad_case {
	const char *text;
	const char *msg;
};

static const struct bad_case bad[] = {
    {"", "probe '': empty"},
    {"   ", "probe '   ': empty"},
    {"fib+x", "probe 'fib+x': offset 'x' is not a number"},
    {"fib+", "probe 'fib+': offset '' is not a number"},
    {"fib+0x", "probe 'fib+0x': offset '0x' is not a number"},
    {"fib+12a", "probe 'fib+12a': offset '12a' is not a number"},
    {"fib+0x1ffffffffffffffff", "probe 'fib+0x1ffffffffffffffff': offset "
				"'0x1ffffffffffffffff' is too large"},
    {"fib n:s7", "probe 'fib n:s7': unknown type 's7' (s8..s64, u8..u64, x8..x64, string, ptr)"},
    {"fib n:", "probe 'fib n:': unknown type '' (s8..s64, u8..u64, x8..x64, string, ptr)"},
    {"fib n:int", "probe 'fib n:int': unknown type 'int' (s8..s64, u8..u64, x8..x64, string, ptr)"},
    {"fib $retval", "probe 'fib $retval': $retval needs a %return probe"},
    {"f $arg0", "probe 'f $arg0': '$arg0': $argN counts from 1"},
    {"f $arg65", "probe 'f $arg65': '$arg65': $argN is at most $arg64"},
    {"f $argx", "probe 'f $argx': unknown variable '$argx' ($argN, $retval, $comm, $tid)"},
    {"f $pid", "probe 'f $pid': unknown variable '$pid' ($argN, $retval, $comm, $tid)"},
    {"f a b c d e f g h i", "probe 'f a b c d e f g h i': too many arguments (at most 8)"},
    {"f n n", "probe 'f n n': duplicate argument name 'n' (rename one: NAME=EXPR)"},
    {"f x=a x=b", "probe 'f x=a x=b': duplicate argument name 'x' (rename one: NAME=EXPR)"},
    {":malloc", "probe ':malloc': empty module name before ':'"},
    {":foo.c:3", "probe ':foo.c:3': empty module name before ':'"},
    {"libc:", "probe 'libc:': empty function name"},
    {"libc:+4", "probe 'libc:+4': empty function name"},
    {"%return", "probe '%return': empty function name"},
    {"fib%ret", "probe 'fib%ret': unknown suffix '%ret' (only %return)"},
    {"fib+4%return", "probe 'fib+4%return': %return probes a function's return: it takes "
		     "no offset"},
    {"fib.c:12%return", "probe 'fib.c:12%return': %return needs a function, not a file:line"},
    {"fib.c:0", "probe 'fib.c:0': line '0' is not a line number"},
    {"0xzz", "probe '0xzz': address '0xzz' is not a number"},
    {"12", "probe '12': function '12' is not a name (an address is written 0x...)"},
    {"fi(b", "probe 'fi(b': function 'fi(b' has an invalid character '('"},
    {"f =n", "probe 'f =n': argument '=n': empty name before '='"},
    {"f 1x=n", "probe 'f 1x=n': argument name '1x' is not a name (letters, digits, _)"},
    {"f x=", "probe 'f x=': empty argument expression"},
    {"f a-b", "probe 'f a-b': argument 'a-b' is not a variable, $argN, $retval, $comm, $tid "
	      "or %REG"},
    {"f a[x]", "probe 'f a[x]': argument 'a[x]' is not a variable, $argN, $retval, $comm, "
	       "$tid or %REG"},
    {"f a.", "probe 'f a.': argument 'a.' is not a variable, $argN, $retval, $comm, $tid "
	     "or %REG"},
    {"f %", "probe 'f %': empty register name after '%'"},
    {"f %r-x", "probe 'f %r-x': register '%r-x' is not a register name"},
};

static void test_bad(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct up_spec spec;
		char err[256];

		print_message("  '%s'\n", bad[i].text);
		assert_int_equal(up_spec_parse(bad[i].text, &spec, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].msg);
	}
}

/* A short error buffer truncates the message but stays a C string. */
static void test_short_err(void **state)
{
	struct up_spec spec;
	char err[8];

	memset(err, 'x', sizeof(err));
	assert_int_equal(up_spec_parse("fib+x", &spec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "probe '");
	assert_int_equal(up_spec_parse("fib+x", &spec, NULL, 0), -EINVAL);
}

/*
 * MODULE is as long as a path may be (4095 bytes), in every form; longer is
 * refused with the limit named (FILE:LINE's message names none); FILE is at
 * most 1023 bytes. A spec that fails after its MODULE or FILE was read owns
 * nothing (ASan's leak check would say so).
 */
static void test_long_module(void **state)
{
	static const char *const forms[] = {"%s:f", "%s:0x10", "usdt:%s:p:n", "%s:ns::f",
					    "%s:f.c:3"};
	size_t len = UP_SPEC_MODULE_MAX + 16, errlen = 2 * len; /* the message quotes the probe */
	char *mod = malloc(len), *text = malloc(len + 32), *err = malloc(errlen);
	struct up_spec spec;

	assert_non_null(mod);
	assert_non_null(text);
	assert_non_null(err);
	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		bool line = strstr(forms[f], "f.c:3") != NULL;

		memset(mod, 'm', UP_SPEC_MODULE_MAX - 1);
		mod[UP_SPEC_MODULE_MAX - 1] = '\0';
		snprintf(text, len + 32, forms[f], mod);
		print_message("  form '%s'\n", forms[f]);
		assert_int_equal(up_spec_parse(text, &spec, err, errlen), 0);
		assert_string_equal(spec.module, mod);
		up_spec_release(&spec);
		mod[UP_SPEC_MODULE_MAX - 1] = 'm';
		mod[UP_SPEC_MODULE_MAX] = '\0';
		snprintf(text, len + 32, forms[f], mod);
		assert_int_equal(up_spec_parse(text, &spec, err, errlen), -EINVAL);
		assert_non_null(strstr(err, line ? "': module name too long"
						 : "': module name too long (at most 4095 bytes)"));
		assert_null(spec.module);
	}
	/* FILE:LINE's FILE: at most 1023 bytes */
	memset(mod, 'f', UP_SPEC_FILE_MAX - 3);
	snprintf(text, len + 32, "lib:%.*s.c:7", UP_SPEC_FILE_MAX - 3, mod);
	assert_int_equal(up_spec_parse(text, &spec, err, errlen), 0);
	assert_int_equal(strlen(spec.file), UP_SPEC_FILE_MAX - 1);
	assert_string_equal(spec.module, "lib");
	up_spec_release(&spec);
	snprintf(text, len + 32, "lib:%.*s.c:7", UP_SPEC_FILE_MAX - 2, mod);
	assert_int_equal(up_spec_parse(text, &spec, err, errlen), -EINVAL);
	assert_non_null(strstr(err, "': file name too long"));
	/* the module read, then an argument refused */
	assert_int_equal(up_spec_parse("libc:malloc $arg0", &spec, err, errlen), -EINVAL);
	assert_null(spec.module);
	free(mod);
	free(text);
	free(err);
}

static void test_long_names(void **state)
{
	char text[300], err[512];
	struct up_spec spec;

	/* A 100-byte DWARF expression is kept, but cannot be its own name. */
	memset(text, 0, sizeof(text));
	strcpy(text, "f ");
	memset(text + 2, 'a', 100);
	assert_int_equal(up_spec_parse(text, &spec, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too long for a name: give one with NAME="));
	memcpy(text, "f x=", 4);
	memset(text + 4, 'a', 100);
	assert_int_equal(up_spec_parse(text, &spec, err, sizeof(err)), 0);
	assert_string_equal(spec.args[0].name, "x");
	assert_int_equal(strlen(spec.args[0].expr), 100);
	/* A function name longer than the field. */
	memset(text, 'f', 200);
	text[200] = '\0';
	assert_int_equal(up_spec_parse(text, &spec, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "function name too long"));
}

/*
 * $argN with hundreds of leading zeros is a valid index: its value, not its
 * spelling, must fit. The expression is kept as "$argN"; before, the whole
 * word was copied into expr[] and ran over the fields after it.
 */
static void test_argn_zeros(void **state)
{
	char text[1200], err[2048];
	struct up_spec spec;
	size_t n;

	memset(&spec, 0, sizeof(spec));
	n = (size_t)snprintf(text, sizeof(text), "f $arg");
	memset(text + n, '0', 400);
	strcpy(text + n + 400, "7 $arg2");
	assert_int_equal(up_spec_parse(text, &spec, err, sizeof(err)), 0);
	assert_int_equal(spec.nargs, 2);
	assert_int_equal(spec.args[0].kind, UP_EXPR_ARGN);
	assert_int_equal(spec.args[0].argn, 7);
	assert_int_equal(spec.args[0].has_type, false);
	assert_string_equal(spec.args[0].expr, "$arg7");
	assert_string_equal(spec.args[0].name, "arg7");
	assert_int_equal(spec.args[1].kind, UP_EXPR_ARGN);
	assert_int_equal(spec.args[1].argn, 2);
	assert_string_equal(spec.args[1].expr, "$arg2");

	/* Named and typed: the name and type stay what was given. */
	n = (size_t)snprintf(text, sizeof(text), "f x=$arg");
	memset(text + n, '0', 500);
	strcpy(text + n + 500, "1:u32");
	assert_int_equal(up_spec_parse(text, &spec, err, sizeof(err)), 0);
	assert_string_equal(spec.args[0].name, "x");
	assert_string_equal(spec.args[0].expr, "$arg1");
	assert_int_equal(spec.args[0].argn, 1);
	assert_int_equal(spec.args[0].type.size, 4);

	/* Zeros in front of a number too large, or of nothing. */
	n = (size_t)snprintf(text, sizeof(text), "f $arg");
	memset(text + n, '0', 300);
	strcpy(text + n + 300, "65");
	assert_int_equal(up_spec_parse(text, &spec, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "$argN is at most $arg64"));
	text[n + 300] = '\0';
	assert_int_equal(up_spec_parse(text, &spec, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "$argN counts from 1"));
}

static void test_type_parse(void **state)
{
	static const struct {
		const char *text;
		int kind, size;
	} t[] = {
	    {"s8", UP_TYPE_SIGNED, 1},	   {"s16", UP_TYPE_SIGNED, 2},
	    {"s32", UP_TYPE_SIGNED, 4},	   {"s64", UP_TYPE_SIGNED, 8},
	    {"u8", UP_TYPE_UNSIGNED, 1},   {"u16", UP_TYPE_UNSIGNED, 2},
	    {"u32", UP_TYPE_UNSIGNED, 4},  {"u64", UP_TYPE_UNSIGNED, 8},
	    {"x8", UP_TYPE_HEX, 1},	   {"x16", UP_TYPE_HEX, 2},
	    {"x32", UP_TYPE_HEX, 4},	   {"x64", UP_TYPE_HEX, 8},
	    {"string", UP_TYPE_STRING, 8}, {"ptr", UP_TYPE_PTR, 8},
	};
	static const char *const bad_types[] = {"",    "s",   "s7",   "s0",   "u128", "x+8",
						"s 8", "S32", "str",  "ptr ", "s08",  "u-8",
						"x4",  "int", "s640", "q32"};
	struct up_type type;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&type, 0, sizeof(type));
		assert_int_equal(up_type_parse(t[i].text, &type), 0);
		assert_int_equal(type.kind, t[i].kind);
		assert_int_equal(type.size, t[i].size);
	}
	for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		print_message("  '%s'\n", bad_types[i]);
		assert_int_equal(up_type_parse(bad_types[i], &type), -EINVAL);
	}
}

static void test_key(void **state)
{
	char buf[UP_KEY_MAX];

	up_spec_key(buf, sizeof(buf), NULL, "fib", 0, false);
	assert_string_equal(buf, "fib");
	up_spec_key(buf, sizeof(buf), "", "fib", 0, true);
	assert_string_equal(buf, "fib%return");
	up_spec_key(buf, sizeof(buf), "libc.so.6", "malloc", 0, false);
	assert_string_equal(buf, "libc.so.6:malloc");
	up_spec_key(buf, sizeof(buf), NULL, "torture", 0x1c, false);
	assert_string_equal(buf, "torture+0x1c");
	up_spec_key(buf, sizeof(buf), "libm.so.6", "sin", 28, true);
	assert_string_equal(buf, "libm.so.6:sin+0x1c%return");
	up_spec_key(buf, sizeof(buf), NULL, "0x1149", 0, false);
	assert_string_equal(buf, "0x1149");
	/* Truncated to the buffer, always terminated. */
	up_spec_key(buf, 6, "libc.so.6", "malloc", 0, false);
	assert_string_equal(buf, "libc.");
}

/* A key (without module) parses back to the function, offset and %return it was made of. */
static void test_key_round_trip(void **state)
{
	static const char *const funcs[] = {"fib", "str*", "memcpy@GLIBC_2.14", "_start"};
	static const uint64_t offsets[] = {0, 4, 0x1c, 0xffffffff};

	for (size_t f = 0; f < 4; f++)
		for (size_t o = 0; o < 4; o++)
			for (int r = 0; r < 2; r++) {
				char key[UP_KEY_MAX], err[256];
				struct up_spec spec;

				if (r && offsets[o])
					continue;
				up_spec_key(key, sizeof(key), NULL, funcs[f], offsets[o], r);
				assert_int_equal(up_spec_parse(key, &spec, err, sizeof(err)), 0);
				assert_string_equal(spec.func, funcs[f]);
				assert_int_equal(spec.offset, offsets[o]);
				assert_int_equal(spec.is_return, r);
			}
}

/*
 * Random words over the grammar's characters: the parser never crashes,
 * and either succeeds with no message or fails with one naming the probe.
 */
static void test_random_words(void **state)
{
	static const char chars[] = "fn01x9.:/+%$=*?[]-> \tretuarg_comidvlSsux";
	unsigned seed = 42, ok = 0;

	for (int i = 0; i < 20000; i++) {
		char text[40], err[256], prefix[64];
		struct up_spec spec;
		size_t n;
		int r;

		seed = seed * 1103515245 + 12345;
		n = (seed >> 16) % sizeof(text);
		for (size_t k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			text[k] = chars[(seed >> 16) % (sizeof(chars) - 1)];
		}
		text[n] = '\0';
		r = up_spec_parse(text, &spec, err, sizeof(err));
		if (r == 0) {
			ok++;
			assert_string_equal(err, "");
			assert_true(spec.kind >= UP_SPEC_FUNC && spec.kind <= UP_SPEC_LINE);
			assert_true(spec.nargs <= UP_MAX_ARGS);
			assert_true(!spec.module || spec.module[0]); /* given: never empty */
			up_spec_release(&spec);
			continue;
		}
		assert_int_equal(r, -EINVAL);
		snprintf(prefix, sizeof(prefix), "probe '%s': ", text);
		assert_int_equal(strncmp(err, prefix, strlen(prefix)), 0);
		assert_true(strlen(err) > strlen(prefix));
	}
	/* The alphabet makes some words valid: the test would be vacuous otherwise. */
	assert_true(ok > 100);
}

/* usdt:[MODULE:]PROVIDER:NAME: the parts, and what is refused. */
static void test_usdt(void **state)
{
	static const struct {
		const char *text, *module, *provider, *name;
		unsigned nargs;
	} good[] = {
	    {"usdt:fixture:item", "", "fixture", "item"},
	    {"usdt:python:function__entry a=$arg1:string", "", "python", "function__entry", 1},
	    {"usdt:libstdc++:libstdcxx:throw", "libstdc++", "libstdcxx", "throw"},
	    {"usdt:/opt/x:y/lib.so:p*:n?[ab]", "/opt/x:y/lib.so", "p*", "n?[ab]"},
	    {"usdt:*:*", "", "*", "*"},
	};
	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"usdt:", "probe 'usdt:': a USDT probe is usdt:PROVIDER:NAME or usdt:MODULE:"
		      "PROVIDER:NAME"},
	    {"usdt:item", "probe 'usdt:item': 'item' is not PROVIDER:NAME (a USDT probe is "
			  "usdt:PROVIDER:NAME)"},
	    {"usdt:p:n%return", "probe 'usdt:p:n%return': a USDT probe marks one instruction: "
				"it has no %return"},
	    {"usdt:p:n+8", "probe 'usdt:p:n+8': a USDT probe marks one instruction: it takes "
			   "no +OFFSET"},
	    {"usdt::n", "probe 'usdt::n': USDT provider '' is not a name (letters, digits, _, "
			"globs)"},
	    {"usdt:p:", "probe 'usdt:p:': USDT probe name '' is not a name (letters, digits, "
			"_, globs)"},
	    {"usdt::p:n", "probe 'usdt::p:n': empty module name before ':'"},
	    {"usdt:p:n $retval", "probe 'usdt:p:n $retval': $retval needs a %return probe"},
	};
	struct up_spec spec;
	char err[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		print_message("  '%s'\n", good[i].text);
		assert_int_equal(up_spec_parse(good[i].text, &spec, err, sizeof(err)), 0);
		assert_int_equal(spec.kind, UP_SPEC_USDT);
		assert_string_equal(module_of(&spec), good[i].module);
		assert_string_equal(spec.usdt_provider, good[i].provider);
		assert_string_equal(spec.usdt_name, good[i].name);
		assert_int_equal(spec.nargs, good[i].nargs);
		up_spec_release(&spec);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("  '%s'\n", bad[i].text);
		assert_int_equal(up_spec_parse(bad[i].text, &spec, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].msg);
	}
}

/* Predicates: precedence, binding of literals, and random input that must never overrun. */
static void test_predicate(void **state)
{
	struct up_spec spec;
	const struct up_pred *pr = &spec.pred;
	const struct up_pred_node *root, *right;
	char err[1024], text[96];
	unsigned seed = 12345;

	assert_int_equal(up_spec_parse("f a b c if a || b && !(c == -3)", &spec, err, sizeof(err)),
			 0);
	assert_int_equal(spec.nargs, 3);
	root = &pr->nodes[pr->root];
	assert_int_equal(root->op, UP_PRED_OR);
	right = &pr->nodes[root->right];
	assert_int_equal(right->op, UP_PRED_AND);
	assert_int_equal(pr->nodes[right->right].op, UP_PRED_NOT);
	assert_int_equal(pr->nodes[pr->nodes[right->right].left].op, UP_PRED_CMP);
	assert_int_equal(pr->nodes[pr->nodes[right->right].left].b.kind, UP_TERM_INT);
	assert_int_equal(pr->nodes[pr->nodes[right->right].left].b.value, -3);
	assert_int_equal(pr->nodes[root->left].a.kind, UP_TERM_NAME);
	assert_string_equal(pr->pool + pr->nodes[root->left].a.str, "a");

	assert_int_equal(up_spec_parse("f%return if $retval >= 0x10 && $comm == \"a\\\"b\"", &spec,
				       err, sizeof(err)),
			 0);
	root = &pr->nodes[pr->root];
	assert_int_equal(pr->nodes[root->left].a.kind, UP_TERM_RETVAL);
	assert_int_equal(pr->nodes[root->left].b.value, 16);
	assert_int_equal(pr->nodes[root->right].cmp, UP_CMP_EQ);
	assert_string_equal(pr->pool + pr->nodes[root->right].b.str, "a\"b");

	/* more than UP_PRED_MAX_NODES comparisons: refused, not cut */
	char longp[512] = "f if x==1";
	for (int i = 0; i < UP_PRED_MAX_NODES; i++)
		strcat(longp, "&&x==1");
	assert_int_equal(up_spec_parse(longp, &spec, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too long"));

	for (int round = 0; round < 20000; round++) {
		static const char alphabet[] = "ab$()!&|=<>\" -0x19retvalcomm";
		size_t n = 4 + (seed = seed * 1103515245 + 12345) % 60;

		memcpy(text, "f if ", 5);
		for (size_t i = 5; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			text[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		text[n] = '\0';
		if (up_spec_parse(text, &spec, err, sizeof(err)) == 0) {
			assert_true(pr->nnodes > 0 && pr->nnodes <= UP_PRED_MAX_NODES);
			assert_true(pr->root < pr->nnodes);
		} else {
			assert_non_null(strstr(err, "predicate"));
		}
	}
}

/* C++ and Rust names: blanks in () and <>, qualifiers, the lone-':' module rule, "\\:". */
static void test_cxx_names(void **state)
{
	static const struct {
		const char *text, *module, *func;
		uint64_t offset;
		bool is_return;
		unsigned nargs;
	} good[] = {
	    {"ns::K::f", "", "ns::K::f"},
	    {"ns::K::f(int, char) x=$arg1", "", "ns::K::f(int, char)", .nargs = 1},
	    {"K::g() const", "", "K::g() const"},
	    {"K::g() const%return", "", "K::g() const", .is_return = true},
	    {"K::g() const & $arg1", "", "K::g() const &", .nargs = 1},
	    {"twice<int>", "", "twice<int>"},
	    {"std::map<int, int>::at if x == 1", "", "std::map<int, int>::at"},
	    {"libstdc++:std::vector<int, std::allocator<int> >::push_back", "libstdc++",
	     "std::vector<int, std::allocator<int> >::push_back"},
	    {"lib:ns::operator<<(std::ostream&, int)", "lib", "ns::operator<<(std::ostream&, int)"},
	    {"ns::operator<", "", "ns::operator<"},
	    {"ns::operator()(int)", "", "ns::operator()(int)"},
	    {"ns::K::f+0x10", "", "ns::K::f", 0x10},
	    {"ns::operator+", "", "ns::operator+"},
	    {"ns::operator+(int)+4", "", "ns::operator+(int)", 4},
	    {"a\\:b", "", "a:b"},
	    {"/opt/a:b/lib.so:a\\:b", "/opt/a:b/lib.so", "a:b"},
	    {"::f", "", "::f"},
	    {"rustnames::shapes::Circle::area%return", "", "rustnames::shapes::Circle::area",
	     .is_return = true},
	};
	struct up_spec spec;
	char err[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		print_message("  '%s'\n", good[i].text);
		assert_int_equal(up_spec_parse(good[i].text, &spec, err, sizeof(err)), 0);
		assert_int_equal(spec.kind, UP_SPEC_FUNC);
		assert_string_equal(module_of(&spec), good[i].module);
		assert_string_equal(spec.func, good[i].func);
		assert_int_equal(spec.offset, good[i].offset);
		assert_int_equal(spec.is_return, good[i].is_return);
		assert_int_equal(spec.nargs, good[i].nargs);
		up_spec_release(&spec);
	}
	assert_int_equal(up_spec_parse(":ns::f", &spec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "probe ':ns::f': empty module name before ':'");
	assert_int_equal(up_spec_parse("ns::f%return+8", &spec, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),	   cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_short_err),	   cmocka_unit_test(test_long_names),
	    cmocka_unit_test(test_type_parse),	   cmocka_unit_test(test_key),
	    cmocka_unit_test(test_key_round_trip), cmocka_unit_test(test_random_words),
	    cmocka_unit_test(test_usdt),	   cmocka_unit_test(test_predicate),
	    cmocka_unit_test(test_cxx_names),	   cmocka_unit_test(test_argn_zeros),
	    cmocka_unit_test(test_long_module),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

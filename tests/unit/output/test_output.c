/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the output layer (src/output): value formatting tables,
 * text and JSON Lines events formatted into an open_memstream buffer and
 * compared byte for byte, the JSON checked again by python3's json module
 * (skipped when python3 is missing), the --count and --hist summaries, and
 * the buffering (nothing written before a flush, everything after).
 *
 * up_sym_describe is stubbed here: the output is built from its sources
 * without the symbol layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "output_internal.h"
#include "uptrace/output.h"
#include "uptrace/sym.h"

#define START_NS UINT64_C(1000000000000)
#define FAKE_SYMTAB ((struct up_symtab *)0x1)

/* Stub: one known frame, everything else unknown. */
int up_sym_describe(struct up_symtab *s, uint64_t addr, char *buf, size_t len)
{
	if (s != FAKE_SYMTAB || addr != 0x7f0000001234)
		return -ENOENT;
	snprintf(buf, len, "libc.so.6+0x1234 (abort+0x4)");
	return 0;
}

/* ---- formatting primitives ---- */

typedef void (*fmt_u64_fn)(struct up_wbuf *w, uint64_t v);

static void check_fmt(fmt_u64_fn fn, uint64_t v, const char *want)
{
	char buf[128];
	struct up_wbuf w = {buf, buf + sizeof(buf) - 1};

	fn(&w, v);
	*w.pos = '\0';
	assert_string_equal(buf, want);
}

static void wb_s64(struct up_wbuf *w, uint64_t v)
{
	up_wb_s64(w, (int64_t)v);
}

static void test_numbers(void **state)
{
	check_fmt(up_wb_u64, 0, "0");
	check_fmt(up_wb_u64, 1973, "1973");
	check_fmt(up_wb_u64, UINT64_MAX, "18446744073709551615");
	check_fmt(wb_s64, (uint64_t)-1, "-1");
	check_fmt(wb_s64, (uint64_t)INT64_MIN, "-9223372036854775808");
	check_fmt(wb_s64, 610, "610");
	check_fmt(up_wb_hex, 0, "0x0");
	check_fmt(up_wb_hex, 0x1f, "0x1f");
	check_fmt(up_wb_hex, 0x55d0c0001149, "0x55d0c0001149");
	check_fmt(up_wb_hex, UINT64_MAX, "0xffffffffffffffff");
	check_fmt(up_wb_time, 0, "0.000000");
	check_fmt(up_wb_time, UINT64_C(12345678000), "12.345678");
	check_fmt(up_wb_time, UINT64_C(12345678499), "12.345678");
	check_fmt(up_wb_time, UINT64_C(12345678500), "12.345679");
	check_fmt(up_wb_time, UINT64_C(999999999), "1.000000");
	check_fmt(up_wb_time, 1000, "0.000001");
}

static void wb_float(struct up_wbuf *w, uint64_t lo, uint64_t hi, unsigned size, bool json)
{
	up_wb_float(w, lo, hi, size, json);
}

static void check_float(uint64_t lo, uint64_t hi, unsigned size, bool json, const char *want)
{
	char buf[64];
	struct up_wbuf w = {buf, buf + sizeof(buf) - 1};

	wb_float(&w, lo, hi, size, json);
	*w.pos = 0;
	assert_string_equal(buf, want);
}

/* Floating point by its bits, as gdb 13 prints the same values (print 0.1, 0.1f, 0.1L ...). */
static void test_floats(void **state)
{
	check_float(0x3fb999999999999aull, 0, 8, false, "0.10000000000000001");
	check_float(0x3dcccccdull, 0, 4, false, "0.100000001");
	check_float(0x40200000ull, 0, 4, false, "2.5");
	check_float(0x4376345785d8a000ull, 0, 8, false, "1e+17");
	check_float(0xbfe3333333333334ull, 0, 8, true, "-0.60000000000000009");
	check_float(0xcccccccccccccccdull, 0x3ffb, 10, false, "0.100000000000000000001");
	check_float(0xf000000000000000ull, 0xc001, 10, false, "-7.5");
	check_float(0xfff0000000000000ull, 0, 8, false, "-inf");
	check_float(0x7ff8000000000000ull, 0, 8, true, "\"nan\"");
	check_float(0x7f800000ull, 0, 4, true, "\"inf\"");
}

static void test_durations(void **state)
{
	static const struct {
		uint64_t ns;
		const char *text;
	} t[] = {
	    {0, "0ns"},
	    {850, "850ns"},
	    {999, "999ns"},
	    {1000, "1.0us"},
	    {23100, "23.1us"},
	    {23149, "23.1us"},
	    {23150, "23.2us"},
	    {999949, "999.9us"},
	    {999950, "1.00ms"},
	    {1250000, "1.25ms"},
	    {999994999, "999.99ms"},
	    {999995000, "1.00s"},
	    {2500000000, "2.50s"},
	    {61004999999, "61.00s"},
	    {61005000000, "61.01s"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check_fmt(up_wb_duration, t[i].ns, t[i].text);
}

static void test_escapes(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *c, *json;
	} t[] = {
	    {"hello\n", 6, "\"hello\\n\"", "\"hello\\u000a\""},
	    {"a\"b\\c", 5, "\"a\\\"b\\\\c\"", "\"a\\\"b\\\\c\""},
	    {"\t\r\x01\x7f", 4, "\"\\t\\r\\x01\\x7f\"", "\"\\u0009\\u000d\\u0001\\u007f\""},
	    {"caf\xc3\xa9", 5, "\"caf\\xc3\\xa9\"", "\"caf\xc3\xa9\""},
	    {"\xe2\x82\xac!", 4, "\"\\xe2\\x82\\xac!\"", "\"\xe2\x82\xac!\""},
	    {"\xf0\x9f\x98\x80", 4, "\"\\xf0\\x9f\\x98\\x80\"", "\"\xf0\x9f\x98\x80\""},
	    /* Not UTF-8: a lone byte, a cut sequence, an overlong form, a surrogate. */
	    {"x\xff", 2, "\"x\\xff\"", "\"x\\u00ff\""},
	    {"\xc3", 1, "\"\\xc3\"", "\"\\u00c3\""},
	    {"\xc0\xaf", 2, "\"\\xc0\\xaf\"", "\"\\u00c0\\u00af\""},
	    {"\xed\xa0\x80", 3, "\"\\xed\\xa0\\x80\"", "\"\\u00ed\\u00a0\\u0080\""},
	    {"/", 1, "\"/\"", "\"/\""},
	    {"", 0, "\"\"", "\"\""},
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct up_wbuf w = {buf, buf + sizeof(buf) - 1};

		up_wb_c_string(&w, t[i].in, t[i].n);
		*w.pos = '\0';
		assert_string_equal(buf, t[i].c);
		w = (struct up_wbuf){buf, buf + sizeof(buf) - 1};
		up_wb_json_string(&w, t[i].in, t[i].n);
		*w.pos = '\0';
		assert_string_equal(buf, t[i].json);
	}
}

/* Writes past the end are dropped, never beyond it. */
static void test_bounds(void **state)
{
	char buf[8];
	struct up_wbuf w = {buf, buf + 4};

	memset(buf, 'z', sizeof(buf));
	up_wb_puts(&w, "abcdef");
	up_wb_u64(&w, 12345);
	up_wb_putc(&w, 'q');
	assert_ptr_equal(w.pos, buf + 4);
	assert_memory_equal(buf, "abcdzzzz", 8);
}

/* ---- events ---- */

struct fixture {
	char *text;
	size_t len;
	FILE *f;
	struct up_output *o;
};

static void fx_open(struct fixture *fx, unsigned flags)
{
	memset(fx, 0, sizeof(*fx));
	fx->f = open_memstream(&fx->text, &fx->len);
	assert_non_null(fx->f);
	assert_int_equal(up_output_open(&fx->o, fx->f, flags, START_NS), 0);
}

/* Close the output and the stream; fx->text holds everything written. */
static void fx_close(struct fixture *fx)
{
	up_output_close(fx->o);
	fclose(fx->f);
}

static void fx_free(struct fixture *fx)
{
	free(fx->text);
}

static struct up_probe *probe_new(const char *key, const char *func, bool is_return)
{
	struct up_probe *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	snprintf(p->key, sizeof(p->key), "%s", key);
	snprintf(p->func, sizeof(p->func), "%s", func);
	p->module = "/path/exe";
	p->addr = 0x55d0c0001149;
	p->is_return = is_return;
	return p;
}

static void probe_arg(struct up_probe *p, const char *name, int kind, int size)
{
	struct up_arg *a = &p->args[p->nargs++];

	snprintf(a->name, sizeof(a->name), "%s", name);
	a->fetch.base = UP_FETCH_ARG;
	a->fetch.argn = p->nargs;
	a->type.kind = kind;
	a->type.size = size;
}

static struct up_event event_at(const struct up_probe *p, uint64_t since_start_ns)
{
	struct up_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = START_NS + since_start_ns;
	ev.pid = 4240;
	ev.tid = 4242;
	ev.probe = p;
	ev.is_return = p->is_return;
	return ev;
}

static void arg_value(struct up_event *ev, unsigned i, uint64_t v)
{
	ev->values[i] = v;
	ev->value_ok[i] = true;
}

/* A probe with one argument of every kind, and an event for it. */
static struct up_probe *typed_probe(struct up_event *ev)
{
	struct up_probe *p = probe_new("fib", "fib", false);

	probe_arg(p, "n", UP_TYPE_SIGNED, 4);
	probe_arg(p, "u", UP_TYPE_UNSIGNED, 2);
	probe_arg(p, "h", UP_TYPE_HEX, 1);
	probe_arg(p, "p", UP_TYPE_PTR, 8);
	probe_arg(p, "s", UP_TYPE_STRING, 8);
	probe_arg(p, "c", UP_TYPE_CHAR, 1);
	probe_arg(p, "b", UP_TYPE_BOOL, 1);
	probe_arg(p, "bad", UP_TYPE_SIGNED, 8);
	*ev = event_at(p, UINT64_C(12345678000));
	arg_value(ev, 0, 0xffffffff); /* -1 as s32, whatever the upper bits */
	arg_value(ev, 1, 0x12345);    /* u16: 0x2345 */
	arg_value(ev, 2, 0x1ff);      /* x8: 0xff */
	arg_value(ev, 3, 0);
	arg_value(ev, 4, 0x7ffd0000);
	strcpy(ev->strings[4], "hi \"you\"\n");
	arg_value(ev, 5, 'A');
	arg_value(ev, 6, 2);
	ev->values[7] = 99; /* value_ok false: the fetch faulted */
	return p;
}

static void test_text_entry(void **state)
{
	struct fixture fx;
	struct up_event ev;
	struct up_probe *p = typed_probe(&ev);

	fx_open(&fx, 0);
	up_output_event(fx.o, &ev);
	strcpy(ev.strings[4], "\x01\xff");
	ev.values[5] = '\n';
	ev.values[6] = 0x100; /* bool of size 1: false */
	ev.values[2] = 0;
	up_output_event(fx.o, &ev);
	fx_close(&fx);
	assert_string_equal(fx.text,
			    "12.345678 4242 fib n=-1 u=9029 h=0xff p=0x0 s=\"hi \\\"you\\\"\\n\" "
			    "c=65 'A' b=true bad=?\n"
			    "12.345678 4242 fib n=-1 u=9029 h=0x0 p=0x0 s=\"\\x01\\xff\" "
			    "c=10 '\\n' b=false bad=?\n");
	fx_free(&fx);
	free(p);
}

static void test_text_return(void **state)
{
	struct up_probe *r = probe_new("fib%return", "fib", true);
	struct up_probe *ra = probe_new("fib%return", "fib", true);
	struct up_event ev;
	struct fixture fx;

	probe_arg(ra, "r", UP_TYPE_SIGNED, 8);
	fx_open(&fx, 0);
	ev = event_at(r, UINT64_C(12345701000));
	ev.retval = 610;
	ev.duration_ns = 23100;
	up_output_event(fx.o, &ev);
	ev.retval = (uint64_t)-5;
	ev.duration_ns = 850;
	up_output_event(fx.o, &ev);
	ev = event_at(ra, 2000);
	ev.retval = 1;
	arg_value(&ev, 0, (uint64_t)-7);
	ev.duration_ns = 2500000000;
	up_output_event(fx.o, &ev);
	/* An event stamped before the start shows time 0. */
	ev.ts_ns = START_NS - 5;
	ev.duration_ns = 1250000;
	up_output_event(fx.o, &ev);
	fx_close(&fx);
	assert_string_equal(fx.text, "12.345701 4242 fib%return ret=610 dur=23.1us\n"
				     "12.345701 4242 fib%return ret=-5 dur=850ns\n"
				     "0.000002 4242 fib%return r=-7 dur=2.50s\n"
				     "0.000000 4242 fib%return r=-7 dur=1.25ms\n");
	fx_free(&fx);
	free(r);
	free(ra);
}

/* A string filling strings[i] (UP_STR_MAX - 1 bytes) may have been cut: "..." follows. */
static void test_text_string_cut(void **state)
{
	struct up_probe *p = probe_new("puts", "puts", false);
	struct up_event ev;
	struct fixture fx;
	char want[512];

	probe_arg(p, "s", UP_TYPE_STRING, 8);
	ev = event_at(p, 0);
	arg_value(&ev, 0, 0x1000);
	memset(ev.strings[0], 'a', UP_STR_MAX - 1);
	ev.strings[0][UP_STR_MAX - 1] = '\0';
	fx_open(&fx, 0);
	up_output_event(fx.o, &ev);
	memset(ev.strings[0], 'b', UP_STR_MAX - 2);
	ev.strings[0][UP_STR_MAX - 2] = '\0';
	up_output_event(fx.o, &ev);
	/* A string with no NUL in the array is shown to UP_STR_MAX - 1 bytes only. */
	memset(ev.strings[0], 'c', UP_STR_MAX);
	up_output_event(fx.o, &ev);
	fx_close(&fx);
	snprintf(want, sizeof(want),
		 "0.000000 4242 puts s=\"%.*s\"...\n"
		 "0.000000 4242 puts s=\"%.*s\"\n"
		 "0.000000 4242 puts s=\"%.*s\"...\n",
		 UP_STR_MAX - 1,
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 UP_STR_MAX - 2,
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		 UP_STR_MAX - 1,
		 "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
	assert_string_equal(fx.text, want);
	fx_free(&fx);
	free(p);
}

/* $comm is a string whatever type the probe carries; no type at all is x64. */
static void test_text_defaults(void **state)
{
	struct up_probe *p = probe_new("f", "f", false);
	struct up_event ev;
	struct fixture fx;

	probe_arg(p, "comm", 0, 0);
	p->args[0].fetch.base = UP_FETCH_COMM;
	probe_arg(p, "arg2", 0, 0);
	ev = event_at(p, 0);
	arg_value(&ev, 0, 0);
	strcpy(ev.strings[0], "worker");
	arg_value(&ev, 1, 0xdeadbeefcafe);
	fx_open(&fx, 0);
	up_output_event(fx.o, &ev);
	fx_close(&fx);
	assert_string_equal(fx.text, "0.000000 4242 f comm=\"worker\" arg2=0xdeadbeefcafe\n");
	fx_free(&fx);
	free(p);
}

static void test_text_stack(void **state)
{
	struct up_probe *p = probe_new("fib", "fib", false);
	struct up_event ev = event_at(p, 1000000);
	struct fixture fx;

	ev.nframes = 2;
	ev.frames[0] = 0x7f0000001234;
	ev.frames[1] = 0x55d0c00011ab;
	fx_open(&fx, UP_OUT_STACK);
	up_output_event(fx.o, &ev);
	up_output_set_symtab(fx.o, FAKE_SYMTAB);
	up_output_event(fx.o, &ev);
	fx_close(&fx);
	assert_string_equal(fx.text, "0.001000 4242 fib\n"
				     "    0x7f0000001234\n"
				     "    0x55d0c00011ab\n"
				     "0.001000 4242 fib\n"
				     "    libc.so.6+0x1234 (abort+0x4)\n"
				     "    0x55d0c00011ab\n");
	fx_free(&fx);
	free(p);
}

/*
 * Parse every line of text with python3's json module and check what it
 * decodes to with the python expression check (the lines are in L).
 * Returns 0, or 77 when python3 is missing.
 */
static int python_check(const char *text, const char *check)
{
	char path[] = "/tmp/test_output_XXXXXX";
	char cmd[4096];
	int fd, r;

	if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
		return 77;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import codecs,json,sys\n"
		 "codecs.register_error(\"u00xx\", lambda e: (\"\".join(map(chr, "
		 "e.object[e.start:e.end])), e.end))\n"
		 "L=[json.loads(l) for l in open(sys.argv[1], encoding=\"utf-8\")]\n"
		 "ok=(%s)\n"
		 "print(L if not ok else \"\", end=\"\")\n"
		 "sys.exit(0 if ok else 1)' %s",
		 check, path);
	r = system(cmd);
	unlink(path);
	return r == 0 ? 0 : 1;
}

static void check_python(const char *text, const char *check)
{
	int r = python_check(text, check);

	if (r == 77) {
		print_message("python3 missing: JSON not checked by a parser\n");
		skip();
	}
	assert_int_equal(r, 0);
}

static void test_json_events(void **state)
{
	struct up_probe *r = probe_new("fib%return", "fib", true);
	struct up_probe *ra = probe_new("fib%return", "fib", true);
	struct up_probe *a = probe_new("0x1149", "", false);
	struct up_event ev;
	struct fixture fx;
	struct up_probe *p = typed_probe(&ev);

	fx_open(&fx, UP_OUT_JSON);
	ev.ts_ns = 5;
	up_output_event(fx.o, &ev);
	ev = event_at(r, 10);
	ev.retval = 610;
	ev.duration_ns = 23100;
	up_output_event(fx.o, &ev);
	probe_arg(ra, "r", UP_TYPE_UNSIGNED, 8);
	ev = event_at(ra, 20);
	ev.retval = 610;
	arg_value(&ev, 0, UINT64_MAX);
	ev.duration_ns = 7;
	up_output_event(fx.o, &ev);
	probe_arg(a, "s", UP_TYPE_STRING, 8);
	ev = event_at(a, 30);
	arg_value(&ev, 0, 1);
	strcpy(ev.strings[0], "\x01q\xff\xc3\xa9\"\\");
	ev.nframes = 2;
	ev.frames[0] = 0x7f0000001234;
	ev.frames[1] = 0x10;
	up_output_set_symtab(fx.o, FAKE_SYMTAB);
	fx.o->flags |= UP_OUT_STACK;
	up_output_event(fx.o, &ev);
	fx_close(&fx);
	assert_string_equal(
	    fx.text,
	    "{\"ts_ns\":5,\"pid\":4240,\"tid\":4242,\"probe\":\"fib\",\"event\":\"entry\","
	    "\"func\":\"fib\",\"module\":\"/path/exe\",\"addr\":\"0x55d0c0001149\","
	    "\"args\":{\"n\":-1,\"u\":9029,\"h\":\"0xff\",\"p\":\"0x0\","
	    "\"s\":\"hi \\\"you\\\"\\u000a\",\"c\":65,\"b\":true,\"bad\":null}}\n"
	    "{\"ts_ns\":1000000000010,\"pid\":4240,\"tid\":4242,\"probe\":\"fib%return\","
	    "\"event\":\"return\",\"func\":\"fib\",\"module\":\"/path/exe\","
	    "\"addr\":\"0x55d0c0001149\",\"retval\":610,\"duration_ns\":23100}\n"
	    "{\"ts_ns\":1000000000020,\"pid\":4240,\"tid\":4242,\"probe\":\"fib%return\","
	    "\"event\":\"return\",\"func\":\"fib\",\"module\":\"/path/exe\","
	    "\"addr\":\"0x55d0c0001149\",\"args\":{\"r\":18446744073709551615},"
	    "\"retval\":610,\"duration_ns\":7}\n"
	    "{\"ts_ns\":1000000000030,\"pid\":4240,\"tid\":4242,\"probe\":\"0x1149\","
	    "\"event\":\"entry\",\"func\":null,\"module\":\"/path/exe\","
	    "\"addr\":\"0x55d0c0001149\",\"args\":{\"s\":\"\\u0001q\\u00ff\xc3\xa9\\\"\\\\\"},"
	    "\"stack\":[\"libc.so.6+0x1234 (abort+0x4)\",\"0x10\"]}\n");
	check_python(fx.text, "len(L) == 4 and L[0][\"args\"][\"n\"] == -1 and "
			      "L[0][\"args\"][\"s\"] == \"hi \\\"you\\\"\\n\" and "
			      "L[0][\"args\"][\"bad\"] is None and L[1][\"retval\"] == 610 and "
			      "\"args\" not in L[1] and L[2][\"args\"][\"r\"] == 2**64 - 1 and "
			      "L[3][\"args\"][\"s\"] == \"\\x01q\\xff\\xe9\\\"\\\\\" and "
			      "L[3][\"stack\"][1] == \"0x10\" and L[3][\"func\"] is None");
	fx_free(&fx);
	free(p);
	free(r);
	free(ra);
	free(a);
}

/*
 * Random byte strings through up_wb_json_string, each line ["HEX", "STRING"]:
 * python3 must parse every line, and decode the string to the bytes read as
 * UTF-8 with each byte that is not part of a well-formed sequence taken as
 * the code point of the same value.
 */
static void test_json_random_strings(void **state)
{
	static const unsigned char pool[] = {0x00, 0x01, 0x1f, 0x20, '"',  '\\', 'a',  0x7f,
					     0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe2, 0xed,
					     0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x82};
	size_t cap = 1 << 20, len = 0;
	char *text = malloc(cap);
	unsigned seed = 12345;

	assert_non_null(text);
	for (int i = 0; i < 3000; i++) {
		unsigned char in[24];
		size_t n;
		struct up_wbuf w;

		seed = seed * 1103515245 + 12345;
		n = (seed >> 16) % sizeof(in);
		for (size_t k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			in[k] = (seed >> 20) & 1 ? pool[(seed >> 8) % sizeof(pool)]
						 : (seed >> 8) & 0xff;
		}
		w = (struct up_wbuf){text + len, text + cap - 1};
		up_wb_puts(&w, "[\"");
		for (size_t k = 0; k < n; k++) {
			up_wb_putc(&w, "0123456789abcdef"[in[k] >> 4]);
			up_wb_putc(&w, "0123456789abcdef"[in[k] & 15]);
		}
		up_wb_puts(&w, "\",");
		up_wb_json_string(&w, (const char *)in, n);
		up_wb_puts(&w, "]\n");
		len = w.pos - text;
		assert_true(len < cap - 256);
	}
	text[len] = '\0';
	check_python(text, "len(L) == 3000 and all(s == bytes.fromhex(h).decode(\"utf-8\", "
			   "\"u00xx\") for h, s in L)");
	free(text);
}

/* With --count no event is written. */
static void test_count_no_events(void **state)
{
	struct up_probe *p = probe_new("fib", "fib", false);
	struct up_event ev = event_at(p, 0);
	struct fixture fx;

	fx_open(&fx, UP_OUT_COUNT);
	up_output_event(fx.o, &ev);
	fx_close(&fx);
	assert_int_equal(fx.len, 0);
	fx_free(&fx);
	free(p);
}

/* ---- summary ---- */

struct probes {
	struct up_probe *p[4];
	unsigned n;
};

static void probes_make(struct probes *ps)
{
	ps->p[0] = probe_new("fib", "fib", false);
	ps->p[0]->hits = 1050;
	ps->p[1] = probe_new("libc.so.6:malloc", "malloc", false);
	ps->p[1]->hits = 1973;
	ps->p[2] = probe_new("fib%return", "fib", true);
	ps->p[2]->hits = 1050;
	ps->p[3] = probe_new("torture+0x1c", "torture", false);
	ps->p[3]->hits = 0;
	ps->n = 4;
	/* fib%return: 1 in [0, 2), 3 in [512, 1024), 12 in [1024, 2048), 6 in [4096, 8192). */
	up_hist_add(ps->p[2], 1);
	for (int i = 0; i < 3; i++)
		up_hist_add(ps->p[2], 1000);
	for (int i = 0; i < 12; i++)
		up_hist_add(ps->p[2], 1024 + i * 80);
	for (int i = 0; i < 6; i++)
		up_hist_add(ps->p[2], 8191);
}

static void probes_free(struct probes *ps)
{
	for (unsigned i = 0; i < ps->n; i++)
		free(ps->p[i]);
}

static char *summary_text(unsigned flags, struct probes *ps)
{
	struct fixture fx;

	fx_open(&fx, flags);
	up_output_summary(fx.o, ps->p, ps->n);
	fx_close(&fx);
	return fx.text;
}

static void test_hist_add(void **state)
{
	struct up_probe p;

	memset(&p, 0, sizeof(p));
	up_hist_add(&p, 0);
	up_hist_add(&p, 1);
	up_hist_add(&p, 2);
	up_hist_add(&p, 3);
	up_hist_add(&p, 1023);
	up_hist_add(&p, 1024);
	up_hist_add(&p, UINT64_MAX);
	assert_int_equal(p.hist[0], 2);
	assert_int_equal(p.hist[1], 2);
	assert_int_equal(p.hist[9], 1);
	assert_int_equal(p.hist[10], 1);
	assert_int_equal(p.hist[63], 1);
}

static void test_summary_count(void **state)
{
	struct probes ps;
	char *s;

	probes_make(&ps);
	s = summary_text(UP_OUT_COUNT, &ps);
	assert_string_equal(s, "PROBE             HITS\n"
			       "libc.so.6:malloc  1973\n"
			       "fib               1050\n"
			       "fib%return        1050\n"
			       "torture+0x1c         0\n");
	free(s);
	ps.p[1]->hits = 123456;
	s = summary_text(UP_OUT_COUNT, &ps);
	assert_string_equal(s, "PROBE               HITS\n"
			       "libc.so.6:malloc  123456\n"
			       "fib                 1050\n"
			       "fib%return          1050\n"
			       "torture+0x1c           0\n");
	free(s);
	ps.p[1]->hits = 1973;
	s = summary_text(UP_OUT_COUNT | UP_OUT_JSON, &ps);
	assert_string_equal(s, "{\"counts\":{\"fib\":1050,\"libc.so.6:malloc\":1973,"
			       "\"fib%return\":1050,\"torture+0x1c\":0}}\n");
	check_python(s, "L == [{\"counts\": {\"fib\": 1050, \"libc.so.6:malloc\": 1973, "
			"\"fib%return\": 1050, \"torture+0x1c\": 0}}]");
	free(s);
	/* Neither --count nor --hist: nothing. */
	s = summary_text(0, &ps);
	assert_string_equal(s, "");
	free(s);
	s = summary_text(UP_OUT_JSON, &ps);
	assert_string_equal(s, "");
	free(s);
	probes_free(&ps);
}

/* No probe resolved: the caller has no array at all (NULL, 0); the header alone. */
static void test_summary_none(void **state)
{
	struct fixture fx;

	fx_open(&fx, UP_OUT_COUNT);
	up_output_summary(fx.o, NULL, 0);
	fx_close(&fx);
	assert_string_equal(fx.text, "PROBE  HITS\n");
	free(fx.text);
	fx_open(&fx, UP_OUT_COUNT | UP_OUT_JSON);
	up_output_summary(fx.o, NULL, 0);
	fx_close(&fx);
	assert_string_equal(fx.text, "{\"counts\":{}}\n");
	free(fx.text);
}

static void test_summary_hist(void **state)
{
	struct probes ps;
	struct up_probe *empty = probe_new("g%return", "g", true);
	char *s;

	probes_make(&ps);
	s = summary_text(UP_OUT_HIST, &ps);
	assert_string_equal(
	    s, "@fib%return:\n"
	       "[0, 2ns)               1 |@@@@                                                |\n"
	       "[2ns, 4ns)             0 |                                                    |\n"
	       "[4ns, 8ns)             0 |                                                    |\n"
	       "[8ns, 16ns)            0 |                                                    |\n"
	       "[16ns, 32ns)           0 |                                                    |\n"
	       "[32ns, 64ns)           0 |                                                    |\n"
	       "[64ns, 128ns)          0 |                                                    |\n"
	       "[128ns, 256ns)         0 |                                                    |\n"
	       "[256ns, 512ns)         0 |                                                    |\n"
	       "[512ns, 1us)           3 |@@@@@@@@@@@@@                                       |\n"
	       "[1us, 2us)            12 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
	       "[2us, 4us)             0 |                                                    |\n"
	       "[4us, 8us)             6 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n");
	free(s);

	s = summary_text(UP_OUT_HIST | UP_OUT_JSON, &ps);
	assert_string_equal(s, "{\"hist\":{\"fib%return\":["
			       "{\"lo_ns\":0,\"hi_ns\":2,\"count\":1},"
			       "{\"lo_ns\":512,\"hi_ns\":1024,\"count\":3},"
			       "{\"lo_ns\":1024,\"hi_ns\":2048,\"count\":12},"
			       "{\"lo_ns\":4096,\"hi_ns\":8192,\"count\":6}]}}\n");
	check_python(s, "sum(b[\"count\"] for b in L[0][\"hist\"][\"fib%return\"]) == 22");
	free(s);

	/* Both, and a return probe without returns; big durations in seconds. */
	free(ps.p[3]);
	ps.p[3] = empty;
	memset(ps.p[2]->hist, 0, sizeof(ps.p[2]->hist));
	up_hist_add(ps.p[2], UINT64_C(3) << 30);
	up_hist_add(ps.p[2], UINT64_MAX);
	s = summary_text(UP_OUT_HIST | UP_OUT_COUNT | UP_OUT_JSON, &ps);
	assert_string_equal(s, "{\"counts\":{\"fib\":1050,\"libc.so.6:malloc\":1973,"
			       "\"fib%return\":1050,\"g%return\":0},"
			       "\"hist\":{\"fib%return\":["
			       "{\"lo_ns\":2147483648,\"hi_ns\":4294967296,\"count\":1},"
			       "{\"lo_ns\":9223372036854775808,\"hi_ns\":18446744073709551616,"
			       "\"count\":1}],\"g%return\":[]}}\n");
	check_python(s, "L[0][\"hist\"][\"g%return\"] == [] and L[0][\"counts\"][\"fib\"] == 1050");
	free(s);
	s = summary_text(UP_OUT_HIST | UP_OUT_COUNT, &ps);
	assert_non_null(strstr(s, "g%return             0\n\n@fib%return:\n"));
	assert_non_null(strstr(s, "\n[2s, 4s)"
				  "                           1 |@@@@"));
	assert_non_null(strstr(s, "\n[8589934592s, 17179869184s)        1 |@@@@"));
	assert_non_null(strstr(s, "|\n\n@g%return: no returns\n"));
	free(s);
	probes_free(&ps);
}

/* --hist=ARG: value buckets with bpftrace's labels; exact bounds in JSON; an empty one. */
static void test_summary_value_hist(void **state)
{
	struct probes ps = {.n = 2};
	uint64_t values[] = {(uint64_t)-5, (uint64_t)INT64_MIN, 0, 1, 1, 3, 4096, 8191, UINT64_MAX};
	char *s;

	ps.p[0] = probe_new("libc.so.6:malloc", "malloc", false);
	ps.p[0]->nargs = 1;
	snprintf(ps.p[0]->args[0].name, sizeof(ps.p[0]->args[0].name), "size");
	ps.p[0]->hist_value = UP_HIST_ARG0;
	ps.p[0]->hist_signed = true;
	for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]) - 1; i++)
		ps.p[0]->vhist[up_vhist_bucket(values[i], true)]++;
	ps.p[0]->vhist[up_vhist_bucket(UINT64_MAX, false)]++;
	ps.p[1] = probe_new("f%return", "f", true);
	ps.p[1]->hist_value = UP_HIST_RETVAL;

	assert_int_equal(up_vhist_bucket(2, false), 3);
	assert_int_equal(up_vhist_bucket(3, false), 3);
	assert_int_equal(up_vhist_bucket(4, false), 4);
	assert_int_equal(up_vhist_bucket((uint64_t)-1, true), 0);
	assert_int_equal(up_vhist_bucket((uint64_t)-1, false), 65);

	s = summary_text(UP_OUT_HIST | UP_OUT_JSON, &ps);
	assert_string_equal(s, "{\"hist\":{\"libc.so.6:malloc\":["
			       "{\"lo\":-9223372036854775808,\"hi\":0,\"count\":2},"
			       "{\"lo\":0,\"hi\":1,\"count\":1},"
			       "{\"lo\":1,\"hi\":2,\"count\":2},"
			       "{\"lo\":2,\"hi\":4,\"count\":1},"
			       "{\"lo\":4096,\"hi\":8192,\"count\":2},"
			       "{\"lo\":9223372036854775808,\"hi\":18446744073709551616,"
			       "\"count\":1}],\"f%return\":[]}}\n");
	check_python(s, "sum(b[\"count\"] for b in L[0][\"hist\"][\"libc.so.6:malloc\"]) == 9");
	free(s);

	s = summary_text(UP_OUT_HIST, &ps);
	assert_non_null(strstr(
	    s, "@libc.so.6:malloc (size):\n"
	       "(..., 0)               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
	       "[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
	       "[1]                    2 |"));
	assert_non_null(strstr(s, "\n[2, 4)                 1 |"));
	assert_non_null(strstr(s, "\n[4K, 8K)               2 |"));
	assert_non_null(strstr(s, "\n[8E, 16E)              1 |"));
	assert_non_null(strstr(s, "\n\n@f%return ($retval): no values\n"));
	free(s);
	probes_free(&ps);
}

/* ---- buffering ---- */

/* Events stay in the buffer until it fills, a flush, or 200 ms of trace time pass. */
static void test_buffering(void **state)
{
	struct up_probe *p = probe_new("fib", "fib", false);
	struct up_event ev = event_at(p, 1000);
	struct fixture fx;
	size_t want = 0, line;

	fx_open(&fx, 0);
	up_output_event(fx.o, &ev);
	fflush(fx.f);
	assert_int_equal(fx.len, 0);
	ev.ts_ns = START_NS + 250000000;
	up_output_event(fx.o, &ev);
	fflush(fx.f);
	line = strlen("0.250000 4242 fib\n");
	assert_int_equal(fx.len, strlen("0.000001 4242 fib\n") + line);
	want = fx.len;
	/* Many events at one time: the 1 MiB buffer fills and is written whole. */
	for (int i = 0; i < 200000; i++) {
		up_output_event(fx.o, &ev);
		want += line;
	}
	fflush(fx.f);
	assert_true(fx.len > 0 && fx.len < want);
	up_output_flush(fx.o);
	assert_int_equal(fx.len, want);
	fx_close(&fx);
	for (size_t off = strlen("0.000001 4242 fib\n"); off < want; off += line)
		assert_memory_equal(fx.text + off, "0.250000 4242 fib\n", line);
	fx_free(&fx);
	free(p);
}

/* On a terminal each event is written at once. */
static void test_terminal_flush(void **state)
{
	struct up_probe *p = probe_new("fib", "fib", false);
	struct up_event ev = event_at(p, 1000);
	struct pollfd pfd;
	struct up_output *o;
	char buf[128];
	int master, slave;
	ssize_t n;
	FILE *f;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		print_message("no pseudo-terminal: %s\n", strerror(errno));
		skip();
	}
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	f = fdopen(slave, "w");
	assert_non_null(f);
	assert_int_equal(up_output_open(&o, f, 0, START_NS), 0);
	up_output_event(o, &ev);
	pfd = (struct pollfd){.fd = master, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	n = read(master, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	/* The terminal turns \n into \r\n. */
	assert_string_equal(buf, "0.000001 4242 fib\r\n");
	up_output_close(o);
	fclose(f);
	close(master);
	free(p);
}

/*
 * Write errors: a pipe whose reader is gone (EPIPE, SIGPIPE ignored here as
 * uptrace's handler makes it harmless), /dev/full (ENOSPC), and a full
 * non-blocking pipe once up_output_stop_waiting() was called (EAGAIN). The
 * first error is kept, and nothing is written after it.
 */
static void test_write_errors(void **state)
{
	struct up_probe *p = probe_new("fib", "fib", false);
	struct up_event ev = event_at(p, 1000);
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	struct up_output *o;
	int fds[2];
	FILE *f;

	sigaction(SIGPIPE, &ign, &old);
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	f = fdopen(fds[1], "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(up_output_open(&o, f, 0, START_NS), 0);
	up_output_event(o, &ev);
	assert_int_equal(up_output_error(o), 0); /* buffered, not written yet */
	up_output_flush(o);
	assert_int_equal(up_output_error(o), -EPIPE);
	up_output_event(o, &ev);
	up_output_flush(o);
	assert_int_equal(up_output_error(o), -EPIPE);
	up_output_close(o);
	fclose(f);

	f = fopen("/dev/full", "we");
	if (f) {
		setvbuf(f, NULL, _IONBF, 0);
		assert_int_equal(up_output_open(&o, f, UP_OUT_JSON, START_NS), 0);
		up_output_event(o, &ev);
		up_output_flush(o);
		assert_int_equal(up_output_error(o), -ENOSPC);
		up_output_close(o);
		fclose(f);
	}

	/* A reader that reads nothing: once a stop is asked for, the write gives up. */
	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	f = fdopen(fds[1], "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(up_output_open(&o, f, 0, START_NS), 0);
	up_output_stop_waiting(o);
	for (int i = 0; i < 100000 && !up_output_error(o); i++) {
		up_output_event(o, &ev);
		up_output_flush(o);
	}
	assert_int_equal(up_output_error(o), -EAGAIN);
	up_output_close(o);
	fclose(f);
	close(fds[0]);
	sigaction(SIGPIPE, &old, NULL);
	free(p);
}

static void test_open_errors(void **state)
{
	struct up_output *o = NULL;

	assert_int_equal(up_output_open(&o, NULL, 0, 0), -EINVAL);
	assert_int_equal(up_output_open(NULL, stderr, 0, 0), -EINVAL);
	/* NULL outputs are ignored. */
	up_output_event(NULL, NULL);
	up_output_summary(NULL, NULL, 0);
	up_output_flush(NULL);
	up_output_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbers),	    cmocka_unit_test(test_floats),
	    cmocka_unit_test(test_durations),	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_bounds),	    cmocka_unit_test(test_text_entry),
	    cmocka_unit_test(test_text_return),	    cmocka_unit_test(test_text_string_cut),
	    cmocka_unit_test(test_text_defaults),   cmocka_unit_test(test_text_stack),
	    cmocka_unit_test(test_json_events),	    cmocka_unit_test(test_json_random_strings),
	    cmocka_unit_test(test_count_no_events), cmocka_unit_test(test_hist_add),
	    cmocka_unit_test(test_summary_count),   cmocka_unit_test(test_summary_none),
	    cmocka_unit_test(test_summary_hist),    cmocka_unit_test(test_summary_value_hist),
	    cmocka_unit_test(test_buffering),	    cmocka_unit_test(test_terminal_flush),
	    cmocka_unit_test(test_open_errors),	    cmocka_unit_test(test_write_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

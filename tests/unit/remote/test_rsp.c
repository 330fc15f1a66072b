/* SPDX-License-Identifier: MIT */
/*
 * The GDB remote protocol's packet layer without a stub: checksums,
 * framing, escapes, run-length expansion, hex, stop replies, signal
 * numbers, and the ack / no-ack exchange against a scripted peer on a
 * socketpair.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "rsp.h"

static void test_checksum_and_frame(void **state)
{
	char out[64];
	size_t n;

	/* values GDB itself puts on the wire */
	assert_int_equal(up_rsp_checksum("g", 1), 0x67);
	assert_int_equal(up_rsp_checksum("OK", 2), 0x9a);
	assert_int_equal(up_rsp_checksum("qSupported", 10), 0x37);
	n = up_rsp_frame(out, "m400110,4", 9);
	out[n] = '\0';
	assert_string_equal(out, "$m400110,4#f3");
	n = up_rsp_frame(out, "", 0);
	out[n] = '\0';
	assert_string_equal(out, "$#00");
}

static void test_escape_roundtrip(void **state)
{
	const uint8_t data[] = {'a', '#', '$', '}', '*', 0, 0xff, 0x7d ^ 0x20};
	char out[32];
	size_t olen, used;

	used = up_rsp_escape(out, sizeof(out), data, sizeof(data), &olen);
	assert_int_equal(used, sizeof(data));
	assert_int_equal(olen, sizeof(data) + 4); /* # $ } * escaped, ']' not */
	assert_memory_equal(out, "a}\x03}\x04}]}\x0a", 9);
	assert_int_equal(up_rsp_unescape(out, olen), sizeof(data));
	assert_memory_equal(out, data, sizeof(data));
	/* an escape pair is never split when out is short */
	used = up_rsp_escape(out, 2, data, sizeof(data), &olen);
	assert_int_equal(used, 1);
	assert_int_equal(olen, 1);
}

static void test_run_length(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"0* ", "0000"},	    /* ' ' is 32: 3 more */
	    {"ab*\"c", "abbbbbbc"}, /* '"' is 34: 5 more */
	    {"xx*!", "xxxxxx"},	    /* '!' 33: 4 more */
	    {"plain", "plain"},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = up_rsp_expand(out, sizeof(out), cases[i].in, strlen(cases[i].in));

		assert_int_equal(n, strlen(cases[i].out));
		assert_memory_equal(out, cases[i].out, (size_t)n);
	}
	assert_int_equal(up_rsp_expand(out, 3, "0* ", 3), -EMSGSIZE);
}

static void test_hex(void **state)
{
	uint8_t b[4];
	char s[16];
	const char *p = "1f2e,rest";
	uint64_t v;

	assert_int_equal(up_rsp_hex_decode(b, "d4200000", 4), 0);
	assert_int_equal(b[0], 0xd4);
	assert_int_equal(b[3], 0x00);
	assert_int_equal(up_rsp_hex_decode(b, "xxxxAb", 3), 0);
	assert_int_equal(b[0], 0);
	assert_int_equal(b[2], 0xab);
	assert_int_equal(up_rsp_hex_decode(b, "zz", 1), -EINVAL);
	up_rsp_hex_encode(s, "\x00\xd4\x20", 3);
	assert_string_equal(s, "00d420");
	assert_int_equal(up_rsp_hex_u64(&p, &v), 0);
	assert_int_equal(v, 0x1f2e);
	assert_int_equal(*p, ',');
	p = ",x";
	assert_int_equal(up_rsp_hex_u64(&p, &v), -EINVAL);
}

static void test_stop_replies(void **state)
{
	static const struct {
		const char *pkt;
		char kind;
		int value;
		pid_t pid, tid;
		bool swbreak;
	} cases[] = {
	    {"T05thread:p01.1a2b;", 'T', 5, 1, 0x1a2b, false},
	    {"T1ethread:3039;", 'T', 30, 0, 0x3039, false},
	    {"T0506:0000000000000000;07:10e0ffffff7f0000;thread:p7b.7c;core:1;swbreak:;", 'T', 5,
	     0x7b, 0x7c, true},
	    {"S0b", 'S', 11, 0, 0, false},
	    {"W2a", 'W', 42, 0, 0, false},
	    {"W00;process:4d2", 'W', 0, 0x4d2, 0, false},
	    {"X09", 'X', 9, 0, 0, false},
	    {"T05thread:p-1.-1;", 'T', 5, -1, -1, false},
	    /* the packet ends right after "p-": nothing is read past it */
	    {"T05thread:p-", 'T', 5, -1, 0, false},
	};
	struct up_rsp_stop s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(up_rsp_parse_stop(cases[i].pkt, strlen(cases[i].pkt), &s), 0);
		assert_int_equal(s.kind, cases[i].kind);
		assert_int_equal(s.value, cases[i].value);
		assert_int_equal(s.pid, cases[i].pid);
		assert_int_equal(s.tid, cases[i].tid);
		assert_int_equal(s.swbreak, cases[i].swbreak);
	}
	assert_int_equal(up_rsp_parse_stop("OK", 2, &s), -EINVAL);
	assert_int_equal(up_rsp_parse_stop("E01", 3, &s), -EINVAL);
	/* A NUL where the kind goes (strchr() finds the NUL in "TSWX"), found by fuzz_rsp_packet. */
	assert_int_equal(up_rsp_parse_stop("\00005", 4, &s), -EINVAL);
	assert_false(up_rsp_is_stop("\00005", 4));
	assert_int_equal(up_rsp_parse_stop("T05thread:;", 11, &s), -EINVAL);
}

static void test_signals(void **state)
{
	static const struct {
		int gdb, linux_sig;
	} cases[] = {
	    {5, SIGTRAP},  {2, SIGINT},	  {30, SIGUSR1}, {31, SIGUSR2}, {10, SIGBUS},
	    {11, SIGSEGV}, {20, SIGCHLD}, {17, SIGSTOP}, {19, SIGCONT}, {12, SIGSYS},
	    {6, SIGABRT},  {45, 33},	  {75, 63},	 {77, 32},	{78, 64},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(up_gdb_signal_to_linux(cases[i].gdb), cases[i].linux_sig);
		assert_int_equal(up_linux_signal_to_gdb(cases[i].linux_sig), cases[i].gdb);
	}
	assert_int_equal(up_gdb_signal_to_linux(7), 0); /* SIGEMT: none on Linux */
	assert_int_equal(up_linux_signal_to_gdb(0), 0);
}

/* Read exactly n bytes from fd (the peer's side). */
static void peer_read(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		assert_true(r > 0);
		got += (size_t)r;
	}
	buf[n] = '\0';
}

static void test_ack_exchange(void **state)
{
	struct up_rsp *rsp = calloc(1, sizeof(*rsp));
	char buf[64];
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	up_rsp_init(rsp, sv[0]);
	rsp->reply_timeout_ms = 2000;
	/* a packet goes out without waiting for the stub's ack */
	assert_int_equal(up_rsp_send(rsp, "g", 1), 0);
	peer_read(sv[1], buf, 5);
	assert_string_equal(buf, "$g#67");
	/* stray acks skipped; a bad checksum nacked at once, the resent one decoded */
	assert_int_equal(write(sv[1], "+$OK#00$O* #99", 14), 14);
	assert_int_equal(up_rsp_recv(rsp, 1000, false), 4);
	assert_string_equal(rsp->pkt, "OOOO");
	peer_read(sv[1], buf, 1);
	assert_string_equal(buf, "-");
	/* its ack rides with the next packet */
	assert_int_equal(up_rsp_send(rsp, "c", 1), 0);
	peer_read(sv[1], buf, 6);
	assert_string_equal(buf, "+$c#63");
	/* or goes out alone before we wait for more */
	assert_int_equal(write(sv[1], "$W2a#ea", 7), 7);
	assert_int_equal(up_rsp_recv(rsp, 1000, false), 3);
	assert_string_equal(rsp->pkt, "W2a");
	assert_int_equal(up_rsp_recv(rsp, 50, true), -ETIMEDOUT);
	peer_read(sv[1], buf, 1);
	assert_string_equal(buf, "+");
	/* no-ack: nothing is sent back */
	rsp->noack = true;
	assert_int_equal(write(sv[1], "$S05#b8", 7), 7);
	assert_int_equal(up_rsp_recv(rsp, 1000, false), 3);
	assert_int_equal(up_rsp_send(rsp, "c", 1), 0);
	peer_read(sv[1], buf, 5);
	assert_string_equal(buf, "$c#63");
	close(sv[1]);
	assert_int_equal(up_rsp_recv(rsp, 1000, true), -ECONNRESET);
	close(sv[0]);
	free(rsp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checksum_and_frame), cmocka_unit_test(test_escape_roundtrip),
	    cmocka_unit_test(test_run_length),	       cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_stop_replies),       cmocka_unit_test(test_signals),
	    cmocka_unit_test(test_ack_exchange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

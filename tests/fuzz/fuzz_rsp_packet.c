/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the pure parts of the GDB remote protocol
 * (src/target/remote/packet.c, stop_reply.c, signals.c) on bytes a stub
 * could send: run-length expansion into a buffer of exactly the size
 * given, '}' unescaping, hex decoding, stop replies, signal numbers.
 * Buffers are allocated to the byte, so AddressSanitizer sees any read or
 * write past what a caller provided.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_rsp_packet: %s:%d: %s\n", __FILE__, __LINE__,        \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* As rsp.c hands packets on: a payload NUL-terminated after its length. */
	char *pkt = malloc(size + 1), *copy, *out, *framed, *esc;
	size_t max = size % 97, outlen;
	struct up_rsp_stop stop;
	uint8_t *bytes;
	const char *p;
	uint64_t v;
	int n;

	if (!pkt)
		return 0;
	memcpy(pkt, data, size);
	pkt[size] = '\0';

	/* Run-length expansion into a buffer of exactly max bytes. */
	out = malloc(max ? max : 1);
	n = up_rsp_expand(out, max, pkt, size);
	CHECK(n < 0 || (size_t)n <= max);
	free(out);

	/* Unescaping in place never grows. */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	CHECK(up_rsp_unescape(copy, size) <= size);

	/* Escaping and framing, then back. */
	esc = malloc(2 * size + 1);
	n = (int)up_rsp_escape(esc, 2 * size, data, size, &outlen);
	CHECK((size_t)n == size && outlen <= 2 * size);
	CHECK(up_rsp_unescape(esc, outlen) == size && memcmp(esc, data, size) == 0);
	framed = malloc(size + 4);
	CHECK(up_rsp_frame(framed, (const char *)data, size) == size + 4);
	free(framed);
	free(esc);
	free(copy);

	/* Hex: as many bytes as the text holds pairs for. */
	bytes = malloc(size / 2 + 1);
	up_rsp_hex_decode(bytes, pkt, size / 2);
	free(bytes);
	p = pkt;
	if (up_rsp_hex_u64(&p, &v) == 0)
		CHECK(p > pkt && p <= pkt + size);

	/* Stop replies: any fields, any length. */
	if (up_rsp_parse_stop(pkt, size, &stop) == 0) {
		CHECK(strchr("TSWX", stop.kind) && stop.kind);
		CHECK(stop.value >= 0 && stop.value <= 255);
		up_gdb_signal_to_linux(stop.value);
	}
	up_rsp_is_stop(pkt, size);
	up_linux_signal_to_gdb(size > 0 ? (int8_t)data[0] : 0);
	up_gdb_signal_to_linux(size > 0 ? (int8_t)data[0] : 0);
	free(pkt);
	return 0;
}

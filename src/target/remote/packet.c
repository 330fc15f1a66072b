/* SPDX-License-Identifier: MIT */
/*
 * Pure encoding of the GDB remote protocol: checksums, framing, binary
 * escapes, run-length expansion and hex. No I/O here, so the unit tests
 * run these without a stub.
 */
#include <errno.h>
#include <string.h>

#include "rsp.h"

static const char hexdigits[] = "0123456789abcdef";

uint8_t up_rsp_checksum(const char *data, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += (uint8_t)data[i];
	return sum;
}

size_t up_rsp_frame(char *out, const char *data, size_t len)
{
	uint8_t sum = up_rsp_checksum(data, len);

	out[0] = '$';
	memmove(out + 1, data, len);
	out[len + 1] = '#';
	out[len + 2] = hexdigits[sum >> 4];
	out[len + 3] = hexdigits[sum & 15];
	return len + 4;
}

size_t up_rsp_escape(char *out, size_t max, const void *data, size_t len, size_t *outlen)
{
	const uint8_t *in = data;
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		uint8_t c = in[i];
		bool special = c == '#' || c == '$' || c == '}' || c == '*';

		if (o + (special ? 2 : 1) > max)
			break;
		if (special) {
			out[o++] = '}';
			out[o++] = (char)(c ^ 0x20);
		} else {
			out[o++] = (char)c;
		}
	}
	*outlen = o;
	return i;
}

size_t up_rsp_unescape(char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '}' && i + 1 < len)
			buf[o++] = (char)(buf[++i] ^ 0x20);
		else
			buf[o++] = buf[i];
	}
	return o;
}

int up_rsp_expand(char *out, size_t max, const char *in, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '*' && o > 0 && i + 1 < len) {
			int n = (uint8_t)in[++i] - 29;

			if (n < 0 || o + (size_t)n > max)
				return -EMSGSIZE;
			memset(out + o, out[o - 1], (size_t)n);
			o += (size_t)n;
			continue;
		}
		if (o >= max)
			return -EMSGSIZE;
		out[o++] = in[i];
	}
	return (int)o;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int up_rsp_hex_decode(uint8_t *out, const char *hex, size_t nbytes)
{
	for (size_t i = 0; i < nbytes; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		/* "xx": a register the stub cannot read, taken as 0 */
		if (hex[2 * i] == 'x' && hex[2 * i + 1] == 'x') {
			out[i] = 0;
			continue;
		}
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void up_rsp_hex_encode(char *out, const void *data, size_t len)
{
	const uint8_t *in = data;

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int up_rsp_hex_u64(const char **p, uint64_t *val)
{
	const char *s = *p;
	uint64_t v = 0;
	int d;

	if (hexval(*s) < 0)
		return -EINVAL;
	while ((d = hexval(*s)) >= 0) {
		v = v << 4 | (uint64_t)d;
		s++;
	}
	*val = v;
	*p = s;
	return 0;
}

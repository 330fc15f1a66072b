/* SPDX-License-Identifier: MIT */
/*
 * Value formatting for the output layer, by hand and without printf, so
 * the per-event path costs a few hundred instructions: integers in
 * decimal and hex, times and durations in fixed point, strings escaped for
 * a terminal (C escapes) or for JSON (RFC 8259), and an event argument
 * shown by its type. Floating point is the exception: snprintf's %g, with
 * as many digits as gdb prints (9 for float, 17 for double, 21 for x87
 * long double), enough to read back the exact value.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "output_internal.h"

static const char hex_digits[] = "0123456789abcdef";

/* The letter after the backslash of a C escape, by character. */
static const char c_escapes[0x80] = {
    ['\n'] = 'n', ['\t'] = 't', ['\r'] = 'r', ['\a'] = 'a',  ['\b'] = 'b',
    ['\f'] = 'f', ['\v'] = 'v', ['"'] = '"',  ['\\'] = '\\',
};

void up_wb_put(struct up_wbuf *w, const char *s, size_t n)
{
	size_t room = w->end - w->pos;

	if (n > room)
		n = room;
	memcpy(w->pos, s, n);
	w->pos += n;
}

void up_wb_puts(struct up_wbuf *w, const char *s)
{
	up_wb_put(w, s, strlen(s));
}

/* Decimal digits of v, right-aligned at the end of tmp[24]; returns the first. */
static char *u64_digits(char tmp[24], uint64_t v)
{
	char *p = tmp + 24;

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	return p;
}

void up_wb_u64(struct up_wbuf *w, uint64_t v)
{
	char tmp[24], *p = u64_digits(tmp, v);

	up_wb_put(w, p, tmp + 24 - p);
}

void up_wb_s64(struct up_wbuf *w, int64_t v)
{
	if (v < 0) {
		up_wb_putc(w, '-');
		up_wb_u64(w, -(uint64_t)v);
	} else {
		up_wb_u64(w, v);
	}
}

void up_wb_hex(struct up_wbuf *w, uint64_t v)
{
	char tmp[18], *p = tmp + sizeof(tmp);

	do {
		*--p = hex_digits[v & 0xf];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	up_wb_put(w, p, tmp + sizeof(tmp) - p);
}

void up_wb_spaces(struct up_wbuf *w, unsigned n)
{
	while (n--)
		up_wb_putc(w, ' ');
}

void up_wb_u64_width(struct up_wbuf *w, uint64_t v, unsigned width)
{
	char tmp[24], *p = u64_digits(tmp, v);
	unsigned len = tmp + 24 - p;

	if (len < width)
		up_wb_spaces(w, width - len);
	up_wb_put(w, p, len);
}

/* v / 10^frac_digits with frac_digits decimals ("23.1"), v already rounded. */
static void fixed_point(struct up_wbuf *w, uint64_t v, unsigned frac_digits)
{
	uint64_t scale = 1;
	char tmp[24], *p;

	for (unsigned i = 0; i < frac_digits; i++)
		scale *= 10;
	up_wb_u64(w, v / scale);
	up_wb_putc(w, '.');
	p = u64_digits(tmp, v % scale + scale);
	up_wb_put(w, p + 1, frac_digits); /* skip the leading 1 of the padding */
}

void up_wb_time(struct up_wbuf *w, uint64_t ns)
{
	fixed_point(w, (ns + 500) / 1000, 6);
}

void up_wb_duration(struct up_wbuf *w, uint64_t ns)
{
	uint64_t v;

	if (ns < 1000) {
		up_wb_u64(w, ns);
		up_wb_puts(w, "ns");
		return;
	}
	/* Each unit while its rounded value stays below 1000 of it. */
	v = (ns + 50) / 100;
	if (v < 10000) {
		fixed_point(w, v, 1);
		up_wb_puts(w, "us");
		return;
	}
	v = (ns + 5000) / 10000;
	if (v < 100000) {
		fixed_point(w, v, 2);
		up_wb_puts(w, "ms");
		return;
	}
	fixed_point(w, ns / 10000000 + (ns % 10000000 >= 5000000), 2);
	up_wb_puts(w, "s");
}

void up_wb_c_string(struct up_wbuf *w, const char *s, size_t n)
{
	up_wb_putc(w, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		char esc = c < 0x80 ? c_escapes[c] : 0;

		if (esc) {
			up_wb_putc(w, '\\');
			up_wb_putc(w, esc);
		} else if (c < 0x20 || c >= 0x7f) {
			up_wb_putc(w, '\\');
			up_wb_putc(w, 'x');
			up_wb_putc(w, hex_digits[c >> 4]);
			up_wb_putc(w, hex_digits[c & 0xf]);
		} else {
			up_wb_putc(w, c);
		}
	}
	up_wb_putc(w, '"');
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), 0 if it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Printable ASCII that neither C nor JSON escapes. */
static inline bool plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void json_u00(struct up_wbuf *w, unsigned char c)
{
	up_wb_puts(w, "\\u00");
	up_wb_putc(w, hex_digits[c >> 4]);
	up_wb_putc(w, hex_digits[c & 0xf]);
}

void up_wb_json_string(struct up_wbuf *w, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	up_wb_putc(w, '"');
	while (i < n) {
		unsigned char c = u[i];
		size_t len;

		/* A run of printable ASCII needing no escape goes in one copy. */
		for (len = 0; i + len < n && plain_ascii(u[i + len]); len++)
			;
		if (len) {
			up_wb_put(w, s + i, len);
			i += len;
			continue;
		}
		if (c == '"' || c == '\\') {
			up_wb_putc(w, '\\');
			up_wb_putc(w, c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			json_u00(w, c);
			i++;
		} else if (c < 0x80) {
			up_wb_putc(w, c);
			i++;
		} else if ((len = utf8_sequence(u + i, n - i))) {
			up_wb_put(w, s + i, len);
			i += len;
		} else {
			json_u00(w, c);
			i++;
		}
	}
	up_wb_putc(w, '"');
}

/* An x87 80-bit extended value (64-bit mantissa with its integer bit, 15-bit exponent). */
static long double x87_value(uint64_t mantissa, uint16_t sign_exp)
{
	int exp = sign_exp & 0x7fff;
	long double v;

	if (exp == 0x7fff)
		v = mantissa << 1 ? NAN : INFINITY;
	else
		v = ldexpl((long double)mantissa, (exp ? exp : 1) - 16383 - 63);
	return sign_exp & 0x8000 ? -v : v;
}

void up_wb_float(struct up_wbuf *w, uint64_t lo, uint64_t hi, unsigned size, bool json)
{
	char tmp[64];
	long double v;
	int digits;
	union {
		uint32_t u;
		float f;
	} f32;
	union {
		uint64_t u;
		double d;
	} f64;

	if (size == 4) {
		f32.u = (uint32_t)lo;
		v = f32.f;
		digits = 9;
	} else if (size == 8) {
		f64.u = lo;
		v = f64.d;
		digits = 17;
	} else {
		v = x87_value(lo, (uint16_t)hi);
		digits = 21;
	}
	if (isnan(v) || isinf(v)) {
		/* JSON has no number for these: a string, as the text shows it */
		if (json)
			up_wb_putc(w, '"');
		up_wb_puts(w, signbit(v) ? "-" : "");
		up_wb_puts(w, isnan(v) ? "nan" : "inf");
		if (json)
			up_wb_putc(w, '"');
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.*Lg", digits, v);
	up_wb_puts(w, tmp);
}

struct up_type up_arg_shown_type(const struct up_arg *a)
{
	struct up_type t = a->type;

	if (a->fetch.base == UP_FETCH_COMM)
		return (struct up_type){.kind = UP_TYPE_STRING, .size = 8};
	if (t.kind < UP_TYPE_SIGNED || t.kind > UP_TYPE_UCHAR)
		t = (struct up_type){.kind = UP_TYPE_HEX, .size = 8};
	if (t.kind == UP_TYPE_FLOAT && t.size != 4 && t.size != 8 && t.size != 10)
		t.size = 8;
	if (t.kind != UP_TYPE_FLOAT && t.size != 1 && t.size != 2 && t.size != 4 && t.size != 8)
		t.size = 8;
	return t;
}

uint64_t up_value_fit(uint64_t v, struct up_type t)
{
	unsigned bits = t.size * 8;

	if (bits >= 64)
		return v;
	v &= (UINT64_C(1) << bits) - 1;
	if ((t.kind == UP_TYPE_SIGNED || t.kind == UP_TYPE_CHAR) && (v >> (bits - 1)))
		v |= ~((UINT64_C(1) << bits) - 1);
	return v;
}

bool up_string_maybe_cut(const char *s, size_t len)
{
	return len >= UP_STR_MAX - 1;
}

void up_text_value(struct up_wbuf *w, const struct up_event *ev, unsigned i)
{
	const struct up_arg *a = &ev->probe->args[i];
	struct up_type t = up_arg_shown_type(a);
	uint64_t v = up_value_fit(ev->values[i], t);
	size_t len;

	if (a->fetch.base == UP_FETCH_NONE) {
		up_wb_puts(w, "<unavailable>");
		return;
	}
	if (!ev->value_ok[i]) {
		up_wb_putc(w, '?');
		return;
	}
	switch (t.kind) {
	case UP_TYPE_SIGNED:
		up_wb_s64(w, (int64_t)v);
		break;
	case UP_TYPE_UNSIGNED:
		up_wb_u64(w, v);
		break;
	case UP_TYPE_FLOAT:
		up_wb_float(w, v, ev->values_hi[i], t.size, false);
		break;
	case UP_TYPE_STRING:
		len = strnlen(ev->strings[i], UP_STR_MAX - 1);
		up_wb_c_string(w, ev->strings[i], len);
		if (up_string_maybe_cut(ev->strings[i], len))
			up_wb_puts(w, "...");
		break;
	case UP_TYPE_CHAR:
	case UP_TYPE_UCHAR:
		/* the number as C has it (char is signed on x86_64, unsigned on the others) */
		if (t.kind == UP_TYPE_CHAR)
			up_wb_s64(w, (int64_t)v);
		else
			up_wb_u64(w, v & 0xff);
		v &= 0xff;
		up_wb_puts(w, " '");
		if (v == '\'') {
			up_wb_puts(w, "\\'");
		} else {
			/* The C escape of one byte, without its double quotes. */
			char tmp[8];
			struct up_wbuf t1 = {tmp, tmp + sizeof(tmp)};
			char c = (char)v;

			up_wb_c_string(&t1, &c, 1);
			up_wb_put(w, tmp + 1, t1.pos - tmp - 2);
		}
		up_wb_putc(w, '\'');
		break;
	case UP_TYPE_BOOL:
		up_wb_puts(w, v ? "true" : "false");
		break;
	default: /* hex, ptr */
		up_wb_hex(w, v);
		break;
	}
}

void up_json_value(struct up_wbuf *w, const struct up_event *ev, unsigned i)
{
	const struct up_arg *a = &ev->probe->args[i];
	struct up_type t = up_arg_shown_type(a);
	uint64_t v = up_value_fit(ev->values[i], t);

	if (!ev->value_ok[i] || a->fetch.base == UP_FETCH_NONE) {
		up_wb_puts(w, "null");
		return;
	}
	switch (t.kind) {
	case UP_TYPE_SIGNED:
		up_wb_s64(w, (int64_t)v);
		break;
	case UP_TYPE_UNSIGNED:
		up_wb_u64(w, v);
		break;
	case UP_TYPE_CHAR:
		up_wb_s64(w, (int64_t)v);
		break;
	case UP_TYPE_UCHAR:
		up_wb_u64(w, v & 0xff);
		break;
	case UP_TYPE_FLOAT:
		up_wb_float(w, v, ev->values_hi[i], t.size, true);
		break;
	case UP_TYPE_STRING:
		up_wb_json_string(w, ev->strings[i], strnlen(ev->strings[i], UP_STR_MAX - 1));
		break;
	case UP_TYPE_BOOL:
		up_wb_puts(w, v ? "true" : "false");
		break;
	default: /* hex, ptr: JSON strings, as JSON numbers lose 64-bit precision */
		up_wb_putc(w, '"');
		up_wb_hex(w, v);
		up_wb_putc(w, '"');
		break;
	}
}

/* The return value by the function's DWARF return type (a signed 64-bit number without it). */
static struct up_type retval_type(const struct up_event *ev)
{
	struct up_type t = ev->probe->ret_type;

	if (!t.kind)
		t = (struct up_type){UP_TYPE_SIGNED, 8};
	if (t.kind == UP_TYPE_STRING)
		t.kind = UP_TYPE_PTR; /* the pointer: its string is not read at return */
	return t;
}

void up_retval_value(struct up_wbuf *w, const struct up_event *ev, bool json)
{
	struct up_type t = retval_type(ev);
	uint64_t v = up_value_fit(ev->retval, t);

	if (ev->retval_unavailable) {
		up_wb_puts(w, json ? "null" : "?");
		return;
	}
	switch (t.kind) {
	case UP_TYPE_SIGNED:
	case UP_TYPE_CHAR:
		up_wb_s64(w, (int64_t)v);
		break;
	case UP_TYPE_UNSIGNED:
	case UP_TYPE_UCHAR:
		up_wb_u64(w, t.kind == UP_TYPE_UCHAR ? v & 0xff : v);
		break;
	case UP_TYPE_FLOAT:
		up_wb_float(w, v, ev->retval_hi, t.size, json);
		break;
	case UP_TYPE_BOOL:
		up_wb_puts(w, v ? "true" : "false");
		break;
	default:
		if (json)
			up_wb_putc(w, '"');
		up_wb_hex(w, v);
		if (json)
			up_wb_putc(w, '"');
		break;
	}
}

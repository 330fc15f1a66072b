/* SPDX-License-Identifier: MIT */
/*
 * Inside the output layer: the writer state shared by text.c, json.c and
 * summary.c, and the value formatting of format.c.
 *
 * Data flow: up_output_event() reserves room for one whole event in the
 * output's own 1 MiB buffer (flushing it to the FILE first if the room is
 * short), the text or JSON formatter writes the event into that room
 * through a struct up_wbuf (bounds-checked, no allocation, integers
 * formatted by hand), and the buffer is written out with one fwrite when
 * it fills, at up_output_flush(), after each event on a terminal, or
 * once UP_OUT_FLUSH_NS of trace time have passed since the last write.
 */
#ifndef UPTRACE_OUTPUT_INTERNAL_H
#define UPTRACE_OUTPUT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

#include "uptrace/output.h"

#define UP_OUT_BUF_SIZE (1u << 20)
/* Room reserved per event: more than the largest event can take (16 frames of escaped text). */
#define UP_OUT_EVENT_MAX (192u << 10)
#define UP_OUT_FLUSH_NS 200000000ull
/* Room of one --stack frame's description. */
#define UP_OUT_FRAME_MAX 512

/* A bounded cursor in a character buffer: writes past end are dropped. */
struct up_wbuf {
	char *pos;
	char *end;
};

struct up_output {
	FILE *f;
	unsigned flags;
	uint64_t start_ns;
	uint64_t last_flush_ns;
	struct up_symtab *symtab;
	bool line_flush; /* f is a terminal: write each event at once */
	int error;	 /* the first failed write's -errno: since then events are dropped */
	volatile sig_atomic_t stop_waiting; /* a full non-blocking fd fails the write at once */
	size_t len;
	char *buf; /* UP_OUT_BUF_SIZE bytes */
};

static inline void up_wb_putc(struct up_wbuf *w, char c)
{
	if (w->pos < w->end)
		*w->pos++ = c;
}

void up_wb_put(struct up_wbuf *w, const char *s, size_t n);
void up_wb_puts(struct up_wbuf *w, const char *s);
void up_wb_u64(struct up_wbuf *w, uint64_t v);
void up_wb_s64(struct up_wbuf *w, int64_t v);
/* "0x1f"; 0 as "0x0". */
void up_wb_hex(struct up_wbuf *w, uint64_t v);
/* v right-aligned in width columns. */
void up_wb_u64_width(struct up_wbuf *w, uint64_t v, unsigned width);
void up_wb_spaces(struct up_wbuf *w, unsigned n);
/* Seconds since start as "12.345678" (rounded to the microsecond). */
void up_wb_time(struct up_wbuf *w, uint64_t ns);
/* "850ns", "23.1us", "1.25ms", "2.50s". */
void up_wb_duration(struct up_wbuf *w, uint64_t ns);
/* s[0..n) C-escaped inside double quotes: "a\n\x01". */
void up_wb_c_string(struct up_wbuf *w, const char *s, size_t n);
/* s[0..n) as a JSON string (RFC 8259); bytes that are not UTF-8 become \u00XX. */
void up_wb_json_string(struct up_wbuf *w, const char *s, size_t n);

/*
 * A float (size 4), double (8) or x87 long double (10: lo the mantissa, hi
 * the sign and exponent) from its bits, as gdb prints it: %g with 9, 17 or
 * 21 digits. inf, -inf and nan as such (JSON strings with json).
 */
void up_wb_float(struct up_wbuf *w, uint64_t lo, uint64_t hi, unsigned size, bool json);
/* The type an argument is shown as (defaults applied: x64 without a type, string for $comm). */
struct up_type up_arg_shown_type(const struct up_arg *a);
/* The value masked to the type's size (sign-extended for signed types). */
uint64_t up_value_fit(uint64_t v, struct up_type t);
/* Is a string argument possibly cut at UP_STR_MAX - 1 bytes? */
bool up_string_maybe_cut(const char *s, size_t len);

/* Argument i of an event as text ("15", "0x1f", "\"hi\"...", "65 'A'", "?"). */
void up_text_value(struct up_wbuf *w, const struct up_event *ev, unsigned i);
/* Argument i as a JSON value (number, "0x.." string, string, true/false, null). */
void up_retval_value(struct up_wbuf *w, const struct up_event *ev, bool json);
void up_json_value(struct up_wbuf *w, const struct up_event *ev, unsigned i);

/* Writers of one event into w. */
void up_text_event(struct up_output *o, struct up_wbuf *w, const struct up_event *ev);
void up_json_event(struct up_output *o, struct up_wbuf *w, const struct up_event *ev);
/* One --stack frame's description into buf (symbolised, or the hex address). */
void up_frame_describe(struct up_output *o, uint64_t addr, char *buf, size_t len);

/* Room for at least need bytes at the end of the buffer (flushing first if short). */
struct up_wbuf up_output_reserve(struct up_output *o, size_t need);
void up_output_commit(struct up_output *o, const struct up_wbuf *w);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Output: events as text lines or JSON Lines, and the end-of-run summary
 * (--count, --hist). Writes go through one large stdio buffer; nothing is
 * allocated per event. Flushed at the end and when the buffer fills.
 */
#ifndef UPTRACE_OUTPUT_H
#define UPTRACE_OUTPUT_H

#include <stdio.h>
#include <stdbool.h>

#include "uptrace/probe.h"

struct up_symtab;

enum up_output_flags {
	UP_OUT_JSON = 1 << 0,  /* JSON Lines instead of text */
	UP_OUT_COUNT = 1 << 1, /* no events; hits per probe at the end */
	UP_OUT_HIST =
	    1 << 2, /* log2 histograms at the end (durations, or --hist=ARG values); no events */
	UP_OUT_STACK = 1 << 3, /* frames with each event */
};

struct up_output;

/* f stays owned by the caller. start_ns: CLOCK_MONOTONIC at trace start (text times are relative). */
int up_output_open(struct up_output **out, FILE *f, unsigned flags, uint64_t start_ns);
/* Symbols for --stack frames (may be NULL). */
void up_output_set_symtab(struct up_output *o, struct up_symtab *s);
/* One event (does nothing with UP_OUT_COUNT or UP_OUT_HIST). */
void up_output_event(struct up_output *o, const struct up_event *ev);
/* The summary for --count / --hist over all probes. */
void up_output_summary(struct up_output *o, struct up_probe *const *probes, unsigned n);
void up_output_flush(struct up_output *o);
void up_output_close(struct up_output *o);
/*
 * 0, or the negative errno of the first write that failed (EPIPE: the
 * reader went away). Once a write failed, nothing more is written.
 */
int up_output_error(const struct up_output *o);
/*
 * From now on a write to a full non-blocking descriptor fails at once
 * instead of waiting for the reader (a stop was asked for: the detach must
 * not wait on a reader that stopped reading). Async-signal-safe.
 */
void up_output_stop_waiting(struct up_output *o);

#endif

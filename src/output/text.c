/* SPDX-License-Identifier: MIT */
/*
 * Text events, one line each, as cli.md shows them:
 *
 *   12.345678 4242 fib n=15
 *   12.345701 4242 fib%return ret=610 dur=23.1us
 *       libc.so.6+0x2724a (__libc_start_call_main+0x7a)      <- --stack frames
 *
 * TIME is seconds since the trace started. A return event shows the
 * probe's arguments when it has some, else ret= (typed by DWARF; without
 * it the return register as a signed number; none for a void function; a
 * struct's members are arguments, ret.NAME=), then dur=.
 */
#include "output_internal.h"

void up_text_event(struct up_output *o, struct up_wbuf *w, const struct up_event *ev)
{
	const struct up_probe *p = ev->probe;

	up_wb_time(w, ev->ts_ns > o->start_ns ? ev->ts_ns - o->start_ns : 0);
	up_wb_putc(w, ' ');
	up_wb_s64(w, ev->tid);
	up_wb_putc(w, ' ');
	up_wb_puts(w, p->key);
	for (unsigned i = 0; i < p->nargs && i < UP_MAX_ARGS; i++) {
		up_wb_putc(w, ' ');
		up_wb_puts(w, p->args[i].name);
		up_wb_putc(w, '=');
		up_text_value(w, ev, i);
	}
	if (ev->is_return) {
		if (!p->nargs && !p->no_retval) {
			up_wb_puts(w, " ret=");
			up_retval_value(w, ev, false);
		}
		up_wb_puts(w, " dur=");
		up_wb_duration(w, ev->duration_ns);
	}
	up_wb_putc(w, '\n');
	if (o->flags & UP_OUT_STACK) {
		char frame[UP_OUT_FRAME_MAX];

		for (unsigned i = 0; i < ev->nframes && i < UP_STACK_MAX; i++) {
			up_frame_describe(o, ev->frames[i], frame, sizeof(frame));
			up_wb_puts(w, "    ");
			up_wb_puts(w, frame);
			up_wb_putc(w, '\n');
		}
	}
}

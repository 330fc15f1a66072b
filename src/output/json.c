/* SPDX-License-Identifier: MIT */
/*
 * JSON Lines events, one object per line, as cli.md fixes them:
 *
 *   {"ts_ns":..,"pid":..,"tid":..,"probe":"fib","event":"entry","func":"fib",
 *    "module":"/path/exe","addr":"0x55d0c0001149","args":{"n":15}}
 *   {..,"event":"return",..,"retval":610,"duration_ns":23100}
 *
 * ts_ns is CLOCK_MONOTONIC. Entry events always carry "args" (maybe {}),
 * return events only when the probe has arguments. Values: numbers for
 * signed, unsigned, char and floating point (inf and nan, which JSON has
 * no number for, as the strings "inf", "-inf", "nan"); "0x.." strings for
 * hex and ptr; strings escaped
 * per RFC 8259 (bytes that are not UTF-8 as \u00XX of the byte); true or
 * false; null for a fetch that failed. "func" is null for a bare address.
 * A string cut at UP_STR_MAX - 1 bytes carries no marker here. With
 * --stack, "stack" lists the frames innermost first.
 */
#include <string.h>

#include "output_internal.h"

static void json_key(struct up_wbuf *w, const char *key)
{
	up_wb_putc(w, ',');
	up_wb_putc(w, '"');
	up_wb_puts(w, key);
	up_wb_puts(w, "\":");
}

static void json_args(struct up_wbuf *w, const struct up_event *ev)
{
	const struct up_probe *p = ev->probe;

	json_key(w, "args");
	up_wb_putc(w, '{');
	for (unsigned i = 0; i < p->nargs && i < UP_MAX_ARGS; i++) {
		if (i)
			up_wb_putc(w, ',');
		up_wb_json_string(w, p->args[i].name, strnlen(p->args[i].name, UP_NAME_MAX));
		up_wb_putc(w, ':');
		up_json_value(w, ev, i);
	}
	up_wb_putc(w, '}');
}

void up_json_event(struct up_output *o, struct up_wbuf *w, const struct up_event *ev)
{
	const struct up_probe *p = ev->probe;

	up_wb_puts(w, "{\"ts_ns\":");
	up_wb_u64(w, ev->ts_ns);
	json_key(w, "pid");
	up_wb_s64(w, ev->pid);
	json_key(w, "tid");
	up_wb_s64(w, ev->tid);
	json_key(w, "probe");
	up_wb_json_string(w, p->key, strnlen(p->key, UP_KEY_MAX));
	json_key(w, "event");
	up_wb_puts(w, ev->is_return ? "\"return\"" : "\"entry\"");
	json_key(w, "func");
	if (p->func[0])
		up_wb_json_string(w, p->func, strnlen(p->func, sizeof(p->func)));
	else
		up_wb_puts(w, "null");
	json_key(w, "module");
	up_wb_json_string(w, p->module ? p->module : "", p->module ? strlen(p->module) : 0);
	json_key(w, "addr");
	up_wb_putc(w, '"');
	up_wb_hex(w, p->addr);
	up_wb_putc(w, '"');
	if (!ev->is_return || p->nargs)
		json_args(w, ev);
	if (ev->is_return && !p->no_retval) {
		json_key(w, "retval");
		up_retval_value(w, ev, true);
	}
	if (ev->is_return) {
		json_key(w, "duration_ns");
		up_wb_u64(w, ev->duration_ns);
	}
	if (o->flags & UP_OUT_STACK) {
		char frame[UP_OUT_FRAME_MAX];

		json_key(w, "stack");
		up_wb_putc(w, '[');
		for (unsigned i = 0; i < ev->nframes && i < UP_STACK_MAX; i++) {
			if (i)
				up_wb_putc(w, ',');
			up_frame_describe(o, ev->frames[i], frame, sizeof(frame));
			up_wb_json_string(w, frame, strlen(frame));
		}
		up_wb_putc(w, ']');
	}
	up_wb_puts(w, "}\n");
}

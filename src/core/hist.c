/* SPDX-License-Identifier: MIT */
/*
 * --hist=ARG: a log2 histogram of one value per probe key, ARG being an
 * argument's name (as the probe prints it; $argN as for predicates) or
 * $retval. Bound when a probe is placed (a probe without that value is a
 * usage error naming it), recorded at each kept hit right after the fetch
 * and the predicate, into the probe its hits count in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

static bool arg_is_signed(const struct up_arg *a)
{
	return a->type.kind == UP_TYPE_SIGNED || a->type.kind == UP_TYPE_CHAR;
}

/* The argument ARG names: by name, else $argN / argN as the parameter passed as the Nth. */
static int find_arg(const struct up_probe *p, const char *want)
{
	const char *name = want[0] == '$' ? want + 1 : want;
	char *end;
	unsigned long n;

	for (unsigned i = 0; i < p->nargs; i++)
		if (!strcmp(p->args[i].name, name))
			return (int)i;
	if (strncmp(name, "arg", 3))
		return -1;
	n = strtoul(name + 3, &end, 10);
	for (unsigned i = 0; !*end && n && i < p->nargs; i++) {
		const struct up_fetch *f = &p->args[i].fetch;

		if (f->base == UP_FETCH_ARG && f->argn == n && !f->nops)
			return (int)i;
	}
	return -1;
}

int hist_bind(struct up_core *c, struct up_probe *p)
{
	const char *want = c->cfg.hist_arg;
	int i;

	p->hist_value = UP_HIST_NONE;
	if (!want)
		return 0;
	if (!strcmp(want, "$retval")) {
		if (!p->is_return) {
			core_error(c,
				   "probe '%s' has no $retval for --hist=$retval (a %%return "
				   "probe has)",
				   p->key);
			return -EDOM;
		}
		if (p->no_retval || p->ret_fetch.base == UP_FETCH_NONE) {
			core_error(c,
				   "probe '%s': --hist=$retval: %s returns no value uptrace can "
				   "count (void, or a struct: give one member a name, '%s "
				   "x=$retval.NAME', and use --hist=x)",
				   p->key, p->func[0] ? p->func : "it", p->key);
			return -EDOM;
		}
		if (p->ret_type.kind == UP_TYPE_FLOAT) {
			core_error(c,
				   "probe '%s': --hist=$retval: its return value is floating "
				   "point, not an integer",
				   p->key);
			return -EDOM;
		}
		p->hist_value = UP_HIST_RETVAL;
		p->hist_signed = !p->ret_type.kind || p->ret_type.kind == UP_TYPE_SIGNED ||
				 p->ret_type.kind == UP_TYPE_CHAR;
		return 0;
	}
	i = find_arg(p, want);
	if (i < 0) {
		core_error(c,
			   "probe '%s' has no argument '%s' for --hist=%s (give it one: "
			   "'%s %s=EXPR')",
			   p->key, want, want, p->key, want[0] == '$' ? "x" : want);
		return -EDOM;
	}
	if (p->args[i].fetch.base == UP_FETCH_COMM || p->args[i].type.kind == UP_TYPE_STRING ||
	    p->args[i].type.kind == UP_TYPE_FLOAT) {
		core_error(c, "probe '%s': --hist=%s: '%s' is %s, not an integer", p->key, want,
			   p->args[i].name,
			   p->args[i].type.kind == UP_TYPE_FLOAT ? "floating point" : "a string");
		return -EDOM;
	}
	p->hist_value = (uint8_t)(UP_HIST_ARG0 + i);
	p->hist_signed = arg_is_signed(&p->args[i]);
	return 0;
}

void hist_record(struct up_probe *p, const struct up_event *ev)
{
	struct up_probe *into = up_probe_counter(p);
	uint64_t v;

	if (p->hist_value == UP_HIST_RETVAL) {
		struct up_type t = p->ret_type;
		unsigned bits = (t.size ? t.size : 8) * 8;

		if (ev->retval_unavailable)
			return;
		v = ev->retval;
		if (bits < 64) {
			v &= (1ull << bits) - 1;
			if (p->hist_signed && (v >> (bits - 1)) & 1)
				v |= ~0ull << bits;
		}
	} else {
		unsigned i = p->hist_value - UP_HIST_ARG0;

		if (i >= p->nargs || !ev->value_ok[i])
			return;
		v = ev->values[i];
	}
	into->vhist[up_vhist_bucket(v, p->hist_signed)]++;
}

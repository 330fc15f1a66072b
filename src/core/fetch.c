/* SPDX-License-Identifier: MIT */
/*
 * Argument fetching at a hit: evaluate each probe argument's small fetch
 * program (probe.h) against the stopped thread's registers and memory,
 * straight into the event on the stack. Strings take one bounded read
 * (two when they cross a page). No allocation.
 *
 * Floating-point registers cost the target another request (a
 * PTRACE_GETREGSET, 'p' packets), so they are fetched once per hit and
 * only when some argument of the probe lives in one. A return probe's
 * entry arguments are fetched at the entry into the thread's
 * entry_values (parallel to its instance stack) and read back at the
 * return.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

int core_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct up_core *c = ctx;
	return c->t->ops->read(c->t, addr, buf, len);
}

int core_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	struct up_core *c = ctx;
	return c->t->ops->write(c->t, addr, buf, len);
}

/* What one hit's fetches share: the registers, and the FP registers once read. */
struct fetch_state {
	struct up_core *c;
	const struct up_thread *th;
	const struct up_regs *regs;
	const struct up_arg *args; /* the probe's, to know which FP registers it wants */
	unsigned nargs;
	const struct up_entry_values *entry; /* a return probe's captured entry values */
	unsigned entry_offset;		     /* where its block starts in them */
	bool fp_tried, fp_ok;
	struct up_fpregs fp;
};

/* Little-endian targets: the low bytes are the value; 10 and 16 bytes fill hi too. */
static bool read_value(struct up_core *c, uint64_t addr, unsigned size, uint64_t *lo, uint64_t *hi)
{
	uint64_t v[2] = {0, 0};

	if (size == 0 || size > 16)
		size = 8;
	if (c->t->ops->read(c->t, addr, v, size))
		return false;
	*lo = v[0];
	*hi = v[1];
	return true;
}

static uint64_t fp_want(const struct up_arg *args, unsigned n, const struct up_fetch *extra)
{
	uint64_t want = 0;

	for (unsigned i = 0; i < n; i++)
		if (args[i].fetch.base == UP_FETCH_FPREG && args[i].fetch.reg >= 0 &&
		    args[i].fetch.reg < UP_FPREGS_MAX)
			want |= 1ull << args[i].fetch.reg;
	if (extra && extra->base == UP_FETCH_FPREG && extra->reg >= 0 && extra->reg < UP_FPREGS_MAX)
		want |= 1ull << extra->reg;
	return want;
}

static bool fp_load(struct fetch_state *s, const struct up_fetch *f)
{
	struct up_target *t = s->c->t;

	if (!s->fp_tried) {
		s->fp_tried = true;
		memset(&s->fp, 0, sizeof(s->fp));
		s->fp_ok =
		    t->ops->get_fpregs(t, s->th->tid, &s->fp, fp_want(s->args, s->nargs, f)) == 0;
	}
	return s->fp_ok;
}

static bool fetch_eval(struct fetch_state *s, const struct up_fetch *f, uint64_t *out,
		       uint64_t *out_hi)
{
	struct up_core *c = s->c;
	const struct up_arch *a = c->arch;
	const struct up_regs *regs = s->regs;
	uint64_t v, hi = 0;

	switch (f->base) {
	case UP_FETCH_REG:
		if (f->reg < 0 || f->reg >= UP_REGS_MAX)
			return false;
		v = regs->r[f->reg];
		break;
	case UP_FETCH_ARG:
		if (f->argn == 0)
			return false;
		if (f->argn <= a->n_arg_regs) {
			v = regs->r[a->arg_regs[f->argn - 1]];
		} else {
			uint64_t at = regs->r[a->sp_reg] + a->stack_arg_offset +
				      8ull * (f->argn - a->n_arg_regs - 1);
			if (!read_value(c, at, 8, &v, &hi))
				return false;
		}
		break;
	case UP_FETCH_RETVAL:
		v = regs->r[a->retval_reg];
		break;
	case UP_FETCH_CONST:
		v = (uint64_t)f->imm;
		break;
	case UP_FETCH_TID:
		v = (uint64_t)s->th->tid;
		break;
	case UP_FETCH_COMM:
		v = 0;
		break;
	case UP_FETCH_FPREG:
		if (f->reg < 0 || f->reg >= UP_FPREGS_MAX || !fp_load(s, f))
			return false;
		v = s->fp.v[f->reg][0];
		hi = s->fp.v[f->reg][1];
		break;
	case UP_FETCH_ENTRY: {
		unsigned k = s->entry_offset + f->argn;

		if (!s->entry || k >= ENTRY_VALUES_MAX || !(s->entry->ok & (1u << k)))
			return false;
		v = s->entry->values[k];
		hi = s->entry->values_hi[k];
		break;
	}
	default: /* UP_FETCH_NONE */
		return false;
	}
	for (unsigned i = 0; i < f->nops && i < UP_FETCH_MAX_OPS; i++) {
		const struct up_fetch_op *op = &f->ops[i];

		if (op->op == UP_FOP_ADD)
			v += (uint64_t)op->imm;
		else if (op->op == UP_FOP_LOAD && !read_value(c, v, op->size, &v, &hi))
			return false;
		else if (op->op == UP_FOP_SHR)
			v = op->imm > 0 && op->imm < 64 ? v >> op->imm : v;
		else if (op->op == UP_FOP_ADD_REG && op->imm >= 0 && op->imm < UP_REGS_MAX)
			v += regs->r[op->imm] * op->size;
	}
	*out = v;
	*out_hi = hi;
	return true;
}

uint64_t fetch_apply_type(uint64_t v, const struct up_type *t)
{
	unsigned bits = (t->size ? t->size : 8) * 8;

	if (bits >= 64)
		return v;
	v &= (1ull << bits) - 1;
	if ((t->kind == UP_TYPE_SIGNED || t->kind == UP_TYPE_CHAR) && (v >> (bits - 1)) & 1)
		v |= ~0ull << bits;
	return v;
}

/* A NUL-terminated string at addr, at most UP_STR_MAX-1 bytes, without faulting across a page. */
static bool read_string(struct up_core *c, uint64_t addr, char *buf)
{
	size_t want = UP_STR_MAX - 1, got = 0;

	if (!addr)
		return false;
	while (got < want) {
		size_t to_page = 4096 - ((addr + got) & 4095);
		size_t n = want - got < to_page ? want - got : to_page;
		if (c->t->ops->read(c->t, addr + got, buf + got, n))
			break;
		if (memchr(buf + got, 0, n))
			return true;
		got += n;
	}
	buf[got] = 0;
	return got > 0;
}

static void fetch_args(struct fetch_state *s, const struct up_probe *p, struct up_event *ev)
{
	for (unsigned i = 0; i < p->nargs; i++) {
		const struct up_arg *arg = &p->args[i];
		uint64_t v = 0, hi = 0;

		ev->strings[i][0] = 0;
		ev->values_hi[i] = 0;
		if (arg->fetch.base == UP_FETCH_COMM) {
			memcpy(ev->strings[i], s->th->comm, sizeof(s->th->comm));
			ev->value_ok[i] = true;
			continue;
		}
		ev->value_ok[i] = fetch_eval(s, &arg->fetch, &v, &hi);
		ev->values[i] = fetch_apply_type(v, &arg->type);
		if (arg->type.kind == UP_TYPE_FLOAT && arg->type.size > 8)
			ev->values_hi[i] = hi;
		if (ev->value_ok[i] && arg->type.kind == UP_TYPE_STRING)
			ev->value_ok[i] = read_string(s->c, v, ev->strings[i]);
	}
}

void fetch_event_args(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
		      const struct up_probe *p, struct up_event *ev)
{
	struct fetch_state s = {
	    .c = c,
	    .th = th,
	    .regs = regs,
	    .args = p->args,
	    .nargs = p->nargs,
	};

	fetch_args(&s, p, ev);
}

void fetch_return_event(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
			const struct up_point *pt, const struct up_probe *p,
			const struct up_entry_values *entry, struct up_event *ev)
{
	struct fetch_state s = {
	    .c = c,
	    .th = th,
	    .regs = regs,
	    .args = p->args,
	    .nargs = p->nargs,
	    .entry = entry,
	    .entry_offset = entry ? fetch_entry_offset(pt, p) : 0,
	};
	uint64_t hi = 0;

	ev->retval = regs->r[c->arch->retval_reg];
	ev->retval_hi = 0;
	ev->retval_unavailable = false;
	if (p->ret_fetch.base) {
		ev->retval = 0;
		ev->retval_unavailable = !fetch_eval(&s, &p->ret_fetch, &ev->retval, &hi);
		if (p->ret_type.kind == UP_TYPE_FLOAT && p->ret_type.size > 8)
			ev->retval_hi = hi;
	}
	fetch_args(&s, p, ev);
}

/*
 * At the entry of a function with return probes: the values those probes
 * show at its return, one block per return probe of the point in the
 * order of pt->probes (fetch_return_event finds its block the same way).
 */
void fetch_entry_values(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
			const struct up_point *pt, struct up_entry_values *out)
{
	struct fetch_state s = {.c = c, .th = th, .regs = regs};
	unsigned k = 0;

	out->ok = 0;
	for (unsigned i = 0; i < pt->nprobes; i++) {
		const struct up_probe *p = pt->probes[i];

		if (!p->is_return)
			continue;
		s.args = p->entry_fetch;
		s.nargs = p->nentry;
		for (unsigned j = 0; j < p->nentry && k < ENTRY_VALUES_MAX; j++, k++) {
			uint64_t v = 0, hi = 0;

			if (fetch_eval(&s, &p->entry_fetch[j].fetch, &v, &hi))
				out->ok |= 1u << k;
			out->values[k] = v;
			out->values_hi[k] = hi;
		}
	}
}

/* Where a return probe's block of entry values starts (see fetch_entry_values). */
unsigned fetch_entry_offset(const struct up_point *pt, const struct up_probe *p)
{
	unsigned k = 0;

	for (unsigned i = 0; i < pt->nprobes && pt->probes[i] != p; i++)
		if (pt->probes[i]->is_return)
			k += pt->probes[i]->nentry;
	return k;
}

/* SPDX-License-Identifier: MIT */
/*
 * Argument fetching at a hit: evaluate each probe argument's small fetch
 * program (probe.h) against the stopped thread's registers and memory,
 * straight into the event on the stack. Strings take one bounded read
 * (two when they cross a page). No allocation.
 */
#include <errno.h>
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

static bool read_uint(struct up_core *c, uint64_t addr, unsigned size, uint64_t *out)
{
	uint64_t v = 0;

	if (size == 0 || size > 8)
		size = 8;
	if (c->t->ops->read(c->t, addr, &v, size))
		return false;
	*out = v; /* little-endian targets: the low bytes are the value */
	return true;
}

static bool fetch_eval(struct up_core *c, const struct up_thread *th, const struct up_regs *regs,
		       const struct up_fetch *f, uint64_t *out)
{
	const struct up_arch *a = c->arch;
	uint64_t v;

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
			if (!read_uint(c, at, 8, &v))
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
		v = (uint64_t)th->tid;
		break;
	case UP_FETCH_COMM:
		v = 0;
		break;
	default:
		return false;
	}
	for (unsigned i = 0; i < f->nops && i < UP_FETCH_MAX_OPS; i++) {
		const struct up_fetch_op *op = &f->ops[i];
		if (op->op == UP_FOP_ADD)
			v += (uint64_t)op->imm;
		else if (op->op == UP_FOP_LOAD && !read_uint(c, v, op->size, &v))
			return false;
	}
	*out = v;
	return true;
}

/* Sign- or zero-extend to the type's size, as the output expects. */
static uint64_t apply_type(uint64_t v, const struct up_type *t)
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

void fetch_event_args(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
		      const struct up_probe *p, struct up_event *ev)
{
	for (unsigned i = 0; i < p->nargs; i++) {
		const struct up_arg *arg = &p->args[i];
		uint64_t v = 0;

		ev->strings[i][0] = 0;
		if (arg->fetch.base == UP_FETCH_COMM) {
			memcpy(ev->strings[i], th->comm, sizeof(th->comm));
			ev->value_ok[i] = true;
			continue;
		}
		ev->value_ok[i] = fetch_eval(c, th, regs, &arg->fetch, &v);
		ev->values[i] = apply_type(v, &arg->type);
		if (ev->value_ok[i] && arg->type.kind == UP_TYPE_STRING)
			ev->value_ok[i] = read_string(c, v, ev->strings[i]);
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * Predicates ('PROBE ARGS... if EXPR'): bound to a probe's arguments when
 * it is placed, evaluated at each hit right after the fetch, before the
 * event is counted, put in a histogram or printed. A hit the predicate
 * drops costs the fetch and a walk of at most UP_PRED_MAX_NODES nodes:
 * no allocation, no output.
 *
 * Numbers compare signed when either side is (a signed argument or return
 * type, $tid, $pid, a negative literal), else unsigned, each value first
 * cut to its type's size; a float or double compares as a double. Strings
 * ("string"-typed arguments, $comm) compare by content, bytewise. A
 * comparison with a value that could not be read is false.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

static bool arg_is_string(const struct up_arg *a)
{
	return a->fetch.base == UP_FETCH_COMM || a->type.kind == UP_TYPE_STRING;
}

static const char *pool(const struct up_pred *pr, uint16_t off)
{
	return off < sizeof(pr->pool) ? pr->pool + off : "";
}

/* The probe's argument names, for a message ("n, m"). */
static void arg_names(const struct up_probe *p, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < p->nargs && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "", p->args[i].name);
	if (!p->nargs)
		snprintf(buf, len, "none");
}

static int bind_term(struct up_core *c, struct up_probe *p, struct up_pred_term *t,
		     const struct up_pred *pr)
{
	char names[256];

	if (t->kind != UP_TERM_NAME)
		return 0;
	for (unsigned i = 0; i < p->nargs; i++) {
		if (strcmp(p->args[i].name, pool(pr, t->str)))
			continue;
		t->kind = UP_TERM_ARG;
		t->arg = (uint8_t)i;
		return 0;
	}
	/* $argN names an argument "argN", or the probe's parameter passed as argument N */
	if (!strncmp(pool(pr, t->str), "arg", 3)) {
		char *end;
		unsigned long n = strtoul(pool(pr, t->str) + 3, &end, 10);

		for (unsigned i = 0; !*end && n && i < p->nargs; i++) {
			const struct up_fetch *f = &p->args[i].fetch;

			if (f->base == UP_FETCH_ARG && f->argn == n && !f->nops) {
				t->kind = UP_TERM_ARG;
				t->arg = (uint8_t)i;
				return 0;
			}
		}
	}
	arg_names(p, names, sizeof(names));
	core_error(c, "probe '%s': predicate at %u: no argument '%s' (the probe's arguments: %s)",
		   p->key, t->pos, pool(pr, t->str), names);
	return -EDOM;
}

/* A float or double is compared as a double; wider ones (long double) are refused. */
static bool wide_float(const struct up_type *t)
{
	return t->kind == UP_TYPE_FLOAT && t->size != 4 && t->size != 8;
}

static bool term_is_string(const struct up_probe *p, const struct up_pred_term *t)
{
	if (t->kind == UP_TERM_ARG)
		return arg_is_string(&p->args[t->arg]);
	return t->kind == UP_TERM_STR || t->kind == UP_TERM_COMM;
}

int pred_bind(struct up_core *c, const struct up_pred *given, struct up_probe *p)
{
	struct up_pred *pr = &p->pred;

	*pr = *given;
	for (unsigned i = 0; i < pr->nnodes; i++) {
		struct up_pred_node *nd = &pr->nodes[i];
		int err;

		if (nd->op != UP_PRED_CMP)
			continue;
		err = bind_term(c, p, &nd->a, pr);
		if (!err)
			err = bind_term(c, p, &nd->b, pr);
		if (err) {
			pr->nnodes = 0;
			return err;
		}
		for (int k = 0; k < 2; k++) {
			const struct up_pred_term *t = k ? &nd->b : &nd->a;

			if (t->kind == UP_TERM_RETVAL &&
			    (p->no_retval || p->ret_fetch.base == UP_FETCH_NONE)) {
				core_error(c,
					   "probe '%s': predicate at %u: %s returns no one value "
					   "to compare (void, or a struct: name a member, "
					   "'x=$retval.NAME', and compare x)",
					   p->key, t->pos, p->func[0] ? p->func : "it");
				pr->nnodes = 0;
				return -EDOM;
			}

			if ((t->kind == UP_TERM_ARG && wide_float(&p->args[t->arg].type)) ||
			    (t->kind == UP_TERM_RETVAL && wide_float(&p->ret_type))) {
				core_error(c,
					   "probe '%s': predicate at %u: a long double cannot be "
					   "compared",
					   p->key, t->pos);
				pr->nnodes = 0;
				return -EDOM;
			}
		}
		if (term_is_string(p, &nd->a) != term_is_string(p, &nd->b)) {
			core_error(c,
				   "probe '%s': predicate at %u: compares a string with a number",
				   p->key, nd->a.pos);
			pr->nnodes = 0;
			return -EDOM;
		}
	}
	return 0;
}

struct value {
	bool ok, is_signed, is_float;
	uint64_t v;
	double d; /* is_float */
	const char *s;
	size_t max;
};

/* The value of a float or double's bits. */
static void as_double(struct value *v, unsigned size)
{
	v->is_float = true;
	if (size == 4) {
		float f;
		uint32_t bits = (uint32_t)v->v;

		memcpy(&f, &bits, sizeof(f));
		v->d = f;
	} else {
		memcpy(&v->d, &v->v, sizeof(v->d));
	}
}

static uint64_t fit(uint64_t v, struct up_type t, bool is_signed)
{
	unsigned bits = (t.size ? t.size : 8) * 8;

	if (bits >= 64)
		return v;
	v &= (1ull << bits) - 1;
	if (is_signed && (v >> (bits - 1)) & 1)
		v |= ~0ull << bits;
	return v;
}

static struct value term_value(const struct up_pred *pr, const struct up_pred_term *t,
			       const struct up_event *ev, const char *comm)
{
	const struct up_probe *p = ev->probe;
	struct value v = {.ok = true};

	switch (t->kind) {
	case UP_TERM_ARG: {
		const struct up_arg *a = &p->args[t->arg];

		v.ok = ev->value_ok[t->arg];
		if (a->fetch.base == UP_FETCH_COMM || a->type.kind == UP_TYPE_STRING) {
			v.s = ev->strings[t->arg];
			v.max = UP_STR_MAX;
		} else {
			v.is_signed =
			    a->type.kind == UP_TYPE_SIGNED || a->type.kind == UP_TYPE_CHAR;
			v.v = ev->values[t->arg];
			if (a->type.kind == UP_TYPE_FLOAT)
				as_double(&v, a->type.size);
		}
		break;
	}
	case UP_TERM_RETVAL: {
		struct up_type rt = p->ret_type;

		if (!rt.kind)
			rt = (struct up_type){UP_TYPE_SIGNED, 8};
		v.is_signed = rt.kind == UP_TYPE_SIGNED || rt.kind == UP_TYPE_CHAR;
		v.ok = ev->is_return && !ev->retval_unavailable;
		if (rt.kind == UP_TYPE_FLOAT) {
			v.v = ev->retval;
			as_double(&v, rt.size);
		} else {
			v.v = fit(ev->retval, rt, v.is_signed);
		}
		break;
	}
	case UP_TERM_TID:
		v.v = (uint64_t)(int64_t)ev->tid;
		v.is_signed = true;
		break;
	case UP_TERM_PID:
		v.v = (uint64_t)(int64_t)ev->pid;
		v.is_signed = true;
		break;
	case UP_TERM_COMM:
		v.s = comm ? comm : "";
		v.max = 16;
		break;
	case UP_TERM_INT:
		v.v = (uint64_t)t->value;
		v.is_signed = t->value < 0;
		break;
	case UP_TERM_FLOAT:
		v.is_float = true;
		memcpy(&v.d, &t->value, sizeof(v.d));
		break;
	case UP_TERM_STR:
		v.s = pool(pr, t->str);
		v.max = sizeof(pr->pool);
		break;
	default:
		v.ok = false;
	}
	return v;
}

static bool compare(uint8_t cmp, int order)
{
	switch (cmp) {
	case UP_CMP_EQ:
		return order == 0;
	case UP_CMP_NE:
		return order != 0;
	case UP_CMP_LT:
		return order < 0;
	case UP_CMP_LE:
		return order <= 0;
	case UP_CMP_GT:
		return order > 0;
	case UP_CMP_GE:
		return order >= 0;
	}
	return false;
}

static bool eval_node(const struct up_pred *pr, unsigned i, const struct up_event *ev,
		      const char *comm, unsigned budget)
{
	const struct up_pred_node *nd;

	/* budget: the depth of the tree is at most its number of nodes */
	if (i >= pr->nnodes || !budget)
		return false;
	nd = &pr->nodes[i];
	switch (nd->op) {
	case UP_PRED_OR:
		return eval_node(pr, nd->left, ev, comm, budget - 1) ||
		       eval_node(pr, nd->right, ev, comm, budget - 1);
	case UP_PRED_AND:
		return eval_node(pr, nd->left, ev, comm, budget - 1) &&
		       eval_node(pr, nd->right, ev, comm, budget - 1);
	case UP_PRED_NOT:
		return !eval_node(pr, nd->left, ev, comm, budget - 1);
	case UP_PRED_CMP: {
		struct value a = term_value(pr, &nd->a, ev, comm);
		struct value b = term_value(pr, &nd->b, ev, comm);
		int order;

		if (!a.ok || !b.ok)
			return false;
		if (a.s && b.s) {
			size_t max = a.max < b.max ? a.max : b.max;
			order = strncmp(a.s, b.s, max);
		} else if (a.s || b.s) {
			return false;
		} else if (a.is_float || b.is_float) {
			double x = a.is_float	 ? a.d
				   : a.is_signed ? (double)(int64_t)a.v
						 : (double)a.v;
			double y = b.is_float	 ? b.d
				   : b.is_signed ? (double)(int64_t)b.v
						 : (double)b.v;

			if (x != x || y != y)
				return nd->cmp == UP_CMP_NE; /* NaN: unordered, unequal */
			order = x < y ? -1 : x > y;
		} else if (a.is_signed || b.is_signed) {
			order = (int64_t)a.v<(int64_t)b.v ? -1 : (int64_t)a.v>(int64_t) b.v;
		} else {
			order = a.v < b.v ? -1 : a.v > b.v;
		}
		return compare(nd->cmp, order);
	}
	}
	return false;
}

bool pred_keep(const struct up_probe *p, const struct up_event *ev, const char *comm)
{
	const struct up_pred *pr = &p->pred;

	if (!pr->nnodes)
		return true;
	return eval_node(pr, pr->root, ev, comm, UP_PRED_MAX_NODES);
}

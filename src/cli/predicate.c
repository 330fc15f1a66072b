/* SPDX-License-Identifier: MIT */
/*
 * The predicate of a PROBE word, 'PROBE ARGS... if EXPR', parsed into the
 * node block of struct up_pred (probe.h) by recursive descent:
 *
 *   or      := and { "||" and }
 *   and     := unary { "&&" unary }
 *   unary   := "!" unary | "(" or ")" | compare
 *   compare := value [ ("==" | "!=" | "<" | "<=" | ">" | ">=") value ]
 *   value   := NAME | $argN | $retval | $tid | $pid | $comm | INTEGER | FLOAT | "STRING"
 *
 * NAME is one of the probe's arguments by name (bound when the probe is
 * placed, when its arguments are known); $argN is the argument named argN
 * (what $argN is called when not named). A value alone stands for
 * "value != 0". Every error says where: "at 7 ('>> 4'): ...", counting
 * from 1. Nesting is bounded by the node block, whose size bounds the
 * recursion too.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uptrace/spec.h"

#define MAX_DEPTH UP_PRED_MAX_NODES

struct pparse {
	const char *text, *p;
	struct up_pred *out;
	bool is_return;
	int depth;
	char *err;
	size_t errlen;
};

static int pfail(struct pparse *ps, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int pfail(struct pparse *ps, const char *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->err || !ps->errlen)
		return -EINVAL;
	if (*at)
		n = snprintf(ps->err, ps->errlen,
			     "predicate at %d ('%.16s%s'): ", (int)(at - ps->text) + 1, at,
			     strlen(at) > 16 ? "..." : "");
	else
		n = snprintf(ps->err, ps->errlen,
			     "predicate at %d (its end): ", (int)(at - ps->text) + 1);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void skip_blanks(struct pparse *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n')
		ps->p++;
}

static bool take(struct pparse *ps, const char *tok)
{
	size_t n = strlen(tok);

	skip_blanks(ps);
	if (strncmp(ps->p, tok, n))
		return false;
	ps->p += n;
	return true;
}

static int new_node(struct pparse *ps, const char *at, uint8_t op)
{
	struct up_pred *pr = ps->out;

	if (pr->nnodes == UP_PRED_MAX_NODES)
		return pfail(ps, at, "too long (at most %d comparisons and operators)",
			     UP_PRED_MAX_NODES);
	memset(&pr->nodes[pr->nnodes], 0, sizeof(pr->nodes[0]));
	pr->nodes[pr->nnodes].op = op;
	return pr->nnodes++;
}

/* Append n bytes and a NUL to the pool; its offset, or -EINVAL. */
static int pool_add(struct pparse *ps, const char *at, const char *s, size_t n)
{
	struct up_pred *pr = ps->out;
	int off = pr->pool_len;

	if ((size_t)pr->pool_len + n + 1 > sizeof(pr->pool))
		return pfail(ps, at, "too long (names and strings: at most %d bytes)",
			     UP_PRED_POOL - 1);
	memcpy(pr->pool + off, s, n);
	pr->pool[off + n] = '\0';
	pr->pool_len += (uint16_t)(n + 1);
	return off;
}

static bool name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* An argument's name as the probe spells it: IDENT { .IDENT | ->IDENT | [DIGITS] }. */
static size_t name_length(const char *s)
{
	size_t i = 0;

	while (name_char(s[i]))
		i++;
	for (;;) {
		if (s[i] == '.' && name_start(s[i + 1]))
			i++;
		else if (s[i] == '-' && s[i + 1] == '>' && name_start(s[i + 2]))
			i += 2;
		else if (s[i] == '[' && isdigit((unsigned char)s[i + 1])) {
			size_t j = i + 1;
			while (isdigit((unsigned char)s[j]))
				j++;
			if (s[j] != ']')
				return i;
			i = j + 1;
			continue;
		} else
			return i;
		while (name_char(s[i]))
			i++;
	}
}

/* A decimal floating-point literal: 0.5, -1e3, 2.5e-3 (compared with floats and doubles). */
static int read_float(struct pparse *ps, struct up_pred_term *t)
{
	const char *start = ps->p;
	char *end;
	double d;

	errno = 0;
	d = strtod(start, &end);
	if (end == start || errno == ERANGE || name_char(*end) || *end == '.')
		return pfail(ps, start, "not a number");
	t->kind = UP_TERM_FLOAT;
	memcpy(&t->value, &d, sizeof(d));
	ps->p = end;
	return 0;
}

/* An integer literal: [-]DIGITS or [-]0xHEX, within int64_t (or a uint64_t bit pattern). */
static int read_integer(struct pparse *ps, struct up_pred_term *t)
{
	const char *s = ps->p, *start = s;
	bool neg = false, hex = false;
	uint64_t v = 0;

	if (*s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		hex = true;
		s += 2;
	}
	if (!(hex ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s)))
		return pfail(ps, start, "a number expected");
	for (; hex ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s); s++) {
		unsigned d = isdigit((unsigned char)*s) ? *s - '0' : (*s | 0x20) - 'a' + 10;
		unsigned base = hex ? 16 : 10;

		if (v > (UINT64_MAX - d) / base)
			return pfail(ps, start, "number too large");
		v = v * base + d;
	}
	if (!hex && (*s == '.' || *s == 'e' || *s == 'E'))
		return read_float(ps, t);
	if (name_char(*s))
		return pfail(ps, start, "not a number");
	if (neg && v > (uint64_t)INT64_MAX + 1)
		return pfail(ps, start, "number too small");
	t->kind = UP_TERM_INT;
	t->value = neg ? (int64_t)(0 - v) : (int64_t)v;
	ps->p = s;
	return 0;
}

/* "STRING" with \" \\ \n \t escapes. */
static int read_string(struct pparse *ps, struct up_pred_term *t)
{
	char buf[UP_PRED_POOL];
	const char *s = ps->p + 1, *start = ps->p;
	size_t n = 0;
	int off;

	for (; *s != '"'; s++) {
		char c = *s;

		if (!c)
			return pfail(ps, start, "the string has no closing '\"'");
		if (c == '\\') {
			c = *++s;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c != '"' && c != '\\')
				return pfail(ps, s - 1, "unknown escape (\\\" \\\\ \\n \\t)");
		}
		if (n == sizeof(buf) - 1)
			return pfail(ps, start, "string too long");
		buf[n++] = c;
	}
	off = pool_add(ps, start, buf, n);
	if (off < 0)
		return off;
	t->kind = UP_TERM_STR;
	t->str = (uint16_t)off;
	ps->p = s + 1;
	return 0;
}

static int read_value(struct pparse *ps, struct up_pred_term *t)
{
	const char *s;
	size_t n;
	int off;

	skip_blanks(ps);
	s = ps->p;
	memset(t, 0, sizeof(*t));
	t->pos = (uint16_t)(s - ps->text + 1);
	if (*s == '"')
		return read_string(ps, t);
	if (isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1])))
		return read_integer(ps, t);
	if (*s == '$') {
		n = 1 + name_length(s + 1);
		ps->p = s + n;
		if (n == 7 && !strncmp(s, "$retval", 7)) {
			if (!ps->is_return)
				return pfail(ps, s, "$retval needs a %%return probe");
			t->kind = UP_TERM_RETVAL;
		} else if (n == 4 && !strncmp(s, "$tid", 4)) {
			t->kind = UP_TERM_TID;
		} else if (n == 4 && !strncmp(s, "$pid", 4)) {
			t->kind = UP_TERM_PID;
		} else if (n == 5 && !strncmp(s, "$comm", 5)) {
			t->kind = UP_TERM_COMM;
		} else if (n > 4 && !strncmp(s, "$arg", 4) &&
			   strspn(s + 4, "0123456789") == n - 4) {
			off = pool_add(ps, s, s + 1, n - 1);
			if (off < 0)
				return off;
			t->kind = UP_TERM_NAME;
			t->str = (uint16_t)off;
		} else {
			return pfail(ps, s,
				     "unknown variable '%.*s' ($retval, $tid, $pid, $comm, "
				     "$argN)",
				     (int)n, s);
		}
		return 0;
	}
	if (name_start(*s)) {
		n = name_length(s);
		off = pool_add(ps, s, s, n);
		if (off < 0)
			return off;
		t->kind = UP_TERM_NAME;
		t->str = (uint16_t)off;
		ps->p = s + n;
		return 0;
	}
	if (!*s)
		return pfail(ps, s,
			     "a value expected (an argument's name, $retval, $tid, $pid, "
			     "$comm, a number or a \"string\")");
	return pfail(ps, s, "a value expected, not '%c'", *s);
}

static int read_compare_op(struct pparse *ps)
{
	static const struct {
		const char *tok;
		uint8_t cmp;
	} ops[] = {
	    {"==", UP_CMP_EQ}, {"!=", UP_CMP_NE}, {"<=", UP_CMP_LE},
	    {">=", UP_CMP_GE}, {"<", UP_CMP_LT},  {">", UP_CMP_GT},
	};

	skip_blanks(ps);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].tok);

		if (strncmp(ps->p, ops[i].tok, n))
			continue;
		/* "<<", ">>", "=<", "===" are no operators of ours */
		if (strchr("<>=", ps->p[n]) && ps->p[n])
			return pfail(ps, ps->p, "unknown operator (== != < <= > >=)");
		ps->p += n;
		return ops[i].cmp;
	}
	if (*ps->p == '=')
		return pfail(ps, ps->p, "'=' compares as '=='");
	return 0;
}

static bool is_string(const struct up_pred_term *t)
{
	return t->kind == UP_TERM_STR || t->kind == UP_TERM_COMM;
}

static bool is_number(const struct up_pred_term *t)
{
	return t->kind == UP_TERM_INT || t->kind == UP_TERM_FLOAT || t->kind == UP_TERM_RETVAL ||
	       t->kind == UP_TERM_TID || t->kind == UP_TERM_PID;
}

static int parse_or(struct pparse *ps);

static int parse_compare(struct pparse *ps)
{
	const char *at;
	int node, cmp, err;
	struct up_pred_node *nd;

	skip_blanks(ps);
	at = ps->p;
	node = new_node(ps, at, UP_PRED_CMP);
	if (node < 0)
		return node;
	nd = &ps->out->nodes[node];
	err = read_value(ps, &nd->a);
	if (err)
		return err;
	cmp = read_compare_op(ps);
	if (cmp < 0)
		return cmp;
	if (!cmp) {
		/* a value alone: != 0 */
		if (is_string(&nd->a))
			return pfail(ps, at, "a string needs a comparison (== != < <= > >=)");
		nd->cmp = UP_CMP_NE;
		nd->b = (struct up_pred_term){.kind = UP_TERM_INT, .pos = nd->a.pos};
		return node;
	}
	nd->cmp = (uint8_t)cmp;
	err = read_value(ps, &nd->b);
	if (err)
		return err;
	if ((is_string(&nd->a) && is_number(&nd->b)) || (is_number(&nd->a) && is_string(&nd->b)))
		return pfail(ps, at, "compares a string with a number");
	return node;
}

static int parse_unary(struct pparse *ps)
{
	const char *at;
	int node, child;

	skip_blanks(ps);
	at = ps->p;
	if (++ps->depth > MAX_DEPTH)
		return pfail(ps, at, "nested too deeply (at most %d levels)", MAX_DEPTH);
	if (at[0] == '!' && at[1] != '=') {
		ps->p++;
		node = new_node(ps, at, UP_PRED_NOT);
		if (node < 0)
			return node;
		child = parse_unary(ps);
		if (child < 0)
			return child;
		ps->out->nodes[node].left = (uint8_t)child;
	} else if (at[0] == '(') {
		ps->p++;
		node = parse_or(ps);
		if (node < 0)
			return node;
		if (!take(ps, ")"))
			return pfail(ps, ps->p, "')' expected (for the '(' at %d)",
				     (int)(at - ps->text) + 1);
	} else {
		node = parse_compare(ps);
	}
	ps->depth--;
	return node;
}

/* left OP right ... for one of "&&", "||". */
static int parse_chain(struct pparse *ps, const char *tok, uint8_t op, int (*next)(struct pparse *))
{
	int left = next(ps), node, right;

	while (left >= 0) {
		const char *at;

		skip_blanks(ps);
		at = ps->p;
		if (!take(ps, tok))
			break;
		right = next(ps);
		if (right < 0)
			return right;
		node = new_node(ps, at, op);
		if (node < 0)
			return node;
		ps->out->nodes[node].left = (uint8_t)left;
		ps->out->nodes[node].right = (uint8_t)right;
		left = node;
	}
	return left;
}

static int parse_and(struct pparse *ps)
{
	return parse_chain(ps, "&&", UP_PRED_AND, parse_unary);
}

static int parse_or(struct pparse *ps)
{
	return parse_chain(ps, "||", UP_PRED_OR, parse_and);
}

int up_pred_parse(const char *text, bool is_return, struct up_pred *out, char *err, size_t errlen)
{
	struct pparse ps = {.text = text ? text : "",
			    .out = out,
			    .is_return = is_return,
			    .err = err,
			    .errlen = errlen};
	int root;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ps.p = ps.text;
	if (strlen(ps.text) >= sizeof(out->text))
		return pfail(&ps, ps.text, "too long (at most %d bytes)", UP_PRED_POOL - 1);
	snprintf(out->text, sizeof(out->text), "%s", ps.text);
	skip_blanks(&ps);
	if (!*ps.p)
		return pfail(&ps, ps.p, "empty: 'if' needs an expression");
	root = parse_or(&ps);
	if (root < 0) {
		out->nnodes = 0;
		return root;
	}
	skip_blanks(&ps);
	if (*ps.p) {
		out->nnodes = 0;
		return pfail(&ps, ps.p,
			     *ps.p == ')' ? "')' without its '('"
					  : "'&&', '||' or the end expected");
	}
	out->root = (uint8_t)root;
	return 0;
}

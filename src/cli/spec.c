/* SPDX-License-Identifier: MIT */
/*
 * The probe-spec parser: one PROBE word of cli.md into a struct up_spec,
 * before any symbol is looked up.
 *
 *   "libc:malloc size=$arg1:u64"  ->  module "libc", func "malloc",
 *                                     args { size: $arg1 as u64 }
 *
 * The word is split at spaces: the first part names the place (module,
 * function or address or file:line, offset, %return), the others are the
 * arguments. Every error names the whole probe and the part that is wrong,
 * so the command line can print it as is.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uptrace/spec.h"

#define RETURN_SUFFIX "%return"
#define MAX_ARGN 64
#define TYPE_HELP "(s8..s64, u8..u64, x8..x64, string, ptr)"
#define EXPR_HELP "$argN, $retval, $comm, $tid or %%REG"
#define IDENT_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

/* What is being parsed, for error messages. */
struct parse {
	const char *text;
	char *err;
	size_t errlen;
};

static int fail(struct parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->err || !ps->errlen)
		return -EINVAL;
	n = snprintf(ps->err, ps->errlen, "probe '%s': ", ps->text);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Copy n bytes of s into a NUL-terminated field of size cap; false if it does not fit. */
static bool copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* s[0..n) into *field, in memory the spec owns (up_spec_release frees it). 0 or -ENOMEM. */
static int set_string(struct parse *ps, const char **field, const char *s, size_t n)
{
	char *copy = strndup(s, n);

	if (!copy) {
		fail(ps, "out of memory");
		return -ENOMEM;
	}
	free((char *)*field);
	*field = copy;
	return 0;
}

/*
 * The spec's MODULE, s[0..n). 0, -EINVAL when longer than a path (say_max:
 * the message names the limit, as every form but FILE:LINE's does), or
 * -ENOMEM.
 */
static int set_module(struct parse *ps, struct up_spec *spec, const char *s, size_t n, bool say_max)
{
	if (n >= UP_SPEC_MODULE_MAX && say_max)
		return fail(ps, "module name too long (at most %d bytes)", UP_SPEC_MODULE_MAX - 1);
	if (n >= UP_SPEC_MODULE_MAX)
		return fail(ps, "module name too long");
	return set_string(ps, &spec->module, s, n);
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Decimal or 0x-hex, the whole of s[0..n), no sign, no overflow. */
static int parse_number(const char *s, size_t n, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	size_t i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n)
		return -EINVAL;
	for (; i < n; i++) {
		unsigned char c = s[i];
		unsigned d;

		if (isdigit(c))
			d = c - '0';
		else if (base == 16 && isxdigit(c))
			d = (c | 0x20) - 'a' + 10;
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

int up_type_parse(const char *text, struct up_type *type)
{
	uint64_t bits;

	if (!text || !type)
		return -EINVAL;
	if (!strcmp(text, "string")) {
		*type = (struct up_type){.kind = UP_TYPE_STRING, .size = 8};
		return 0;
	}
	if (!strcmp(text, "ptr")) {
		*type = (struct up_type){.kind = UP_TYPE_PTR, .size = 8};
		return 0;
	}
	switch (text[0]) {
	case 's':
		type->kind = UP_TYPE_SIGNED;
		break;
	case 'u':
		type->kind = UP_TYPE_UNSIGNED;
		break;
	case 'x':
		type->kind = UP_TYPE_HEX;
		break;
	default:
		return -EINVAL;
	}
	if (text[1] == '0' || !all_digits(text + 1, strlen(text + 1)) ||
	    parse_number(text + 1, strlen(text + 1), &bits))
		return -EINVAL;
	if (bits != 8 && bits != 16 && bits != 32 && bits != 64)
		return -EINVAL;
	type->size = bits / 8;
	return 0;
}

void up_spec_key(char *buf, size_t len, const char *module_basename, const char *func,
		 uint64_t offset, bool is_return)
{
	up_probe_key(buf, len, module_basename, func, offset, is_return);
}

/* Function names: symbol characters plus the glob characters * ? [ ] (and ! ^ - inside []). */
static bool func_char_ok(unsigned char c)
{
	return isalnum(c) || strchr("_.$@*?[]!^-~", c);
}

static bool is_ident(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

/* A DWARF expression: IDENT followed by any of ".IDENT", "->IDENT", "[DIGITS]". */
static bool is_var_expr(const char *s)
{
	size_t i = 0, n;

	n = strspn(s, IDENT_CHARS);
	if (!is_ident(s, n))
		return false;
	i = n;
	while (s[i]) {
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '-' && s[i + 1] == '>') {
			i += 2;
		} else if (s[i] == '[') {
			n = strspn(s + i + 1, "0123456789");
			if (!n || s[i + 1 + n] != ']')
				return false;
			i += n + 2;
			continue;
		} else {
			return false;
		}
		n = strspn(s + i, IDENT_CHARS);
		if (!is_ident(s + i, n))
			return false;
		i += n;
	}
	return true;
}

/* FUNC[+OFFS] or 0xADDR, after the module and %return are taken off. */
static int parse_target(struct parse *ps, struct up_spec *spec, const char *s, size_t n)
{
	const char *plus = memchr(s, '+', n);
	size_t fn = plus ? (size_t)(plus - s) : n;
	uint64_t v;

	if (!fn)
		return fail(ps, "empty function name");
	if (!plus && n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (parse_number(s, n, &v))
			return fail(ps, "address '%.*s' is not a number", (int)n, s);
		spec->kind = UP_SPEC_ADDR;
		spec->addr = v;
		return 0;
	}
	for (size_t i = 0; i < fn; i++)
		if (!func_char_ok(s[i]))
			return fail(ps, "function '%.*s' has an invalid character '%c'", (int)fn, s,
				    s[i]);
	if (isdigit((unsigned char)s[0]))
		return fail(ps, "function '%.*s' is not a name (an address is written 0x...)",
			    (int)fn, s);
	spec->kind = UP_SPEC_FUNC;
	if (!copy_field(spec->func, sizeof(spec->func), s, fn))
		return fail(ps, "function name too long (at most %zu bytes)",
			    sizeof(spec->func) - 1);
	if (plus) {
		const char *o = plus + 1;
		size_t on = n - fn - 1;
		int r = parse_number(o, on, &v);

		if (r == -ERANGE)
			return fail(ps, "offset '%.*s' is too large", (int)on, o);
		if (r)
			return fail(ps, "offset '%.*s' is not a number", (int)on, o);
		spec->offset = v;
		spec->has_offset = true;
	}
	return 0;
}

/*
 * The place: [MODULE:]FUNC[+OFFS][%return], [MODULE:]0xADDR, [MODULE:]FILE:LINE.
 * FILE:LINE is told apart by digits after the last ':' and a '.' or '/' in
 * the part before it; otherwise MODULE is everything before the last ':'.
 */
static int parse_place(struct parse *ps, struct up_spec *spec, const char *s, size_t n)
{
	size_t rl = strlen(RETURN_SUFFIX);
	const char *last, *prev = NULL, *pct;
	size_t mod_len = 0;
	bool has_mod = false;
	int err;

	if (n >= rl && !memcmp(s + n - rl, RETURN_SUFFIX, rl)) {
		spec->is_return = true;
		n -= rl;
	}
	pct = memchr(s, '%', n);
	if (pct)
		return fail(ps, "unknown suffix '%.*s' (only %%return)", (int)(n - (pct - s)), pct);
	if (!n)
		return fail(ps, "empty function name");

	last = memrchr(s, ':', n);
	if (last) {
		const char *line = last + 1, *file;
		size_t line_len = n - (line - s), file_len;

		prev = last > s ? memrchr(s, ':', last - s) : NULL;
		file = prev ? prev + 1 : s;
		file_len = last - file;

		if (all_digits(line, line_len) && file_len &&
		    (memchr(file, '.', file_len) || memchr(file, '/', file_len))) {
			uint64_t v;

			if (prev) {
				has_mod = true;
				mod_len = prev - s;
			}
			if (has_mod && !mod_len)
				return fail(ps, "empty module name before ':'");
			if (parse_number(line, line_len, &v) || v == 0 || v > 0x7fffffff)
				return fail(ps, "line '%.*s' is not a line number", (int)line_len,
					    line);
			if (file_len >= UP_SPEC_FILE_MAX)
				return fail(ps, "file name too long");
			err = set_string(ps, &spec->file, file, file_len);
			if (!err && has_mod)
				err = set_module(ps, spec, s, mod_len, false);
			if (err)
				return err;
			if (spec->is_return)
				return fail(ps, "%%return needs a function, not a file:line");
			spec->kind = UP_SPEC_LINE;
			spec->line = (int)v;
			return 0;
		}
		mod_len = last - s;
		if (!mod_len)
			return fail(ps, "empty module name before ':'");
		err = set_module(ps, spec, s, mod_len, true);
		if (err)
			return err;
		s = last + 1;
		n -= mod_len + 1;
	}
	if (parse_target(ps, spec, s, n))
		return -EINVAL;
	if (spec->is_return && spec->has_offset && spec->offset)
		return fail(ps, "%%return probes a function's return: it takes no offset");
	return 0;
}

/* A path of members: (".NAME" | "->NAME")*, NAME an identifier. */
static bool member_path(const char *p)
{
	while (*p) {
		if (p[0] == '.')
			p++;
		else if (p[0] == '-' && p[1] == '>')
			p += 2;
		else
			return false;
		if (!isalpha((unsigned char)*p) && *p != '_')
			return false;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
	}
	return true;
}

/* $argN, $retval, $comm, $tid, %REG or a DWARF expression, with its default name. */
static int parse_expr(struct parse *ps, const struct up_spec *spec, struct up_spec_arg *a,
		      const char *e, bool named)
{
	if (!*e)
		return fail(ps, "empty argument expression");
	if (e[0] == '$') {
		if (!strncmp(e, "$retval", 7) &&
		    (!e[7] || e[7] == '.' || !strncmp(e + 7, "->", 2))) {
			/* $retval, or a member of it: $retval.a, $retval->len */
			if (!spec->is_return)
				return fail(ps, "$retval needs a %%return probe");
			if (!member_path(e + 7))
				return fail(ps, "'%s': after $retval, '.NAME' or '->NAME' only", e);
			a->kind = UP_EXPR_RETVAL;
			if (!copy_field(a->expr, sizeof(a->expr), e, strlen(e)) ||
			    snprintf(a->name, sizeof(a->name), "ret%s", e + 7) >=
				(int)sizeof(a->name))
				return fail(ps, "'%s' is too long", e);
			return 0;
		} else if (!strcmp(e, "$comm")) {
			a->kind = UP_EXPR_COMM;
			strcpy(a->name, "comm");
		} else if (!strcmp(e, "$tid")) {
			a->kind = UP_EXPR_TID;
			strcpy(a->name, "tid");
		} else if (!strncmp(e, "$arg", 4) && all_digits(e + 4, strlen(e + 4))) {
			uint64_t v;

			if (parse_number(e + 4, strlen(e + 4), &v) || v > MAX_ARGN)
				return fail(ps, "'%s': $argN is at most $arg%d", e, MAX_ARGN);
			if (v == 0)
				return fail(ps, "'%s': $argN counts from 1", e);
			a->kind = UP_EXPR_ARGN;
			a->argn = v;
			snprintf(a->name, sizeof(a->name), "arg%u", (unsigned)v);
			/* canonical: "$arg0001" (any number of zeros) is kept as "$arg1" */
			snprintf(a->expr, sizeof(a->expr), "$arg%u", (unsigned)v);
			return 0;
		} else {
			return fail(ps, "unknown variable '%s' ($argN, $retval, $comm, $tid)", e);
		}
		snprintf(a->expr, sizeof(a->expr), "%s", e); /* one of the short names above */
		return 0;
	}
	if (e[0] == '%') {
		if (!e[1])
			return fail(ps, "empty register name after '%%'");
		for (const char *c = e + 1; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '_')
				return fail(ps, "register '%s' is not a register name", e);
		if (!copy_field(a->expr, sizeof(a->expr), e + 1, strlen(e + 1)) ||
		    !copy_field(a->name, sizeof(a->name), e + 1, strlen(e + 1)))
			return fail(ps, "register name '%s' too long", e);
		a->kind = UP_EXPR_REG;
		return 0;
	}
	if (!is_var_expr(e))
		return fail(ps, "argument '%s' is not a variable, " EXPR_HELP, e);
	if (!copy_field(a->expr, sizeof(a->expr), e, strlen(e)))
		return fail(ps, "expression '%s' too long", e);
	if (!named && !copy_field(a->name, sizeof(a->name), e, strlen(e)))
		return fail(ps, "expression '%s' too long for a name: give one with NAME=%s", e, e);
	a->kind = UP_EXPR_VAR;
	return 0;
}

/* One ARG: [NAME=]EXPR[:TYPE]. */
static int parse_arg(struct parse *ps, const struct up_spec *spec, struct up_spec_arg *a,
		     const char *s, size_t n)
{
	char word[512], *expr, *eq, *colon;

	if (n >= sizeof(word))
		return fail(ps, "argument '%.*s...' too long", 32, s);
	memcpy(word, s, n);
	word[n] = '\0';

	expr = word;
	eq = strchr(word, '=');
	if (eq) {
		*eq = '\0';
		expr = eq + 1;
	}
	colon = strrchr(expr, ':');
	if (colon) {
		*colon = '\0';
		if (up_type_parse(colon + 1, &a->type))
			return fail(ps, "unknown type '%s' " TYPE_HELP, colon + 1);
		a->has_type = true;
	}
	if (parse_expr(ps, spec, a, expr, eq != NULL))
		return -EINVAL;
	if (eq) {
		if (!*word)
			return fail(ps, "argument '%.*s': empty name before '='", (int)n, s);
		if (!is_ident(word, strlen(word)))
			return fail(ps, "argument name '%s' is not a name (letters, digits, _)",
				    word);
		if (!copy_field(a->name, sizeof(a->name), word, strlen(word)))
			return fail(ps, "argument name '%s' too long", word);
	}
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

#define USDT_PREFIX "usdt:"

/* A USDT provider or probe name: identifier characters and the glob characters * ? [ ] ! ^ -. */
static bool usdt_name_ok(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_*?[]!^-", s[i]))
			return false;
	return true;
}

/*
 * usdt:[MODULE:]PROVIDER:NAME. The last two ':'-separated parts are the
 * provider and the probe's name, everything before them the module (a path
 * may hold ':' too). A USDT probe is an instruction, not a function: it
 * takes neither an offset nor %return.
 */
static int parse_usdt_place(struct parse *ps, struct up_spec *spec, const char *s, size_t n)
{
	const char *rest = s + strlen(USDT_PREFIX), *end = s + n, *name, *prov;
	size_t rn = end - rest, mod_len;

	if (!rn)
		return fail(ps, "a USDT probe is usdt:PROVIDER:NAME or usdt:MODULE:PROVIDER:NAME");
	name = memrchr(rest, ':', rn);
	if (!name)
		return fail(ps, "'%.*s' is not PROVIDER:NAME (a USDT probe is usdt:PROVIDER:NAME)",
			    (int)rn, rest);
	prov = name > rest ? memrchr(rest, ':', name - rest) : NULL;
	prov = prov ? prov + 1 : rest;
	name++;
	/* (a module's name may hold '+': libstdc++) */
	if (memchr(prov, '%', end - prov))
		return fail(ps, "a USDT probe marks one instruction: it has no %%return");
	if (memchr(prov, '+', end - prov))
		return fail(ps, "a USDT probe marks one instruction: it takes no +OFFSET");
	if (!usdt_name_ok(prov, name - 1 - prov))
		return fail(ps, "USDT provider '%.*s' is not a name (letters, digits, _, globs)",
			    (int)(name - 1 - prov), prov);
	if (!usdt_name_ok(name, end - name))
		return fail(ps, "USDT probe name '%.*s' is not a name (letters, digits, _, globs)",
			    (int)(end - name), name);
	if (!copy_field(spec->usdt_provider, sizeof(spec->usdt_provider), prov, name - 1 - prov) ||
	    !copy_field(spec->usdt_name, sizeof(spec->usdt_name), name, end - name))
		return fail(ps, "USDT name too long (at most %zu bytes each)",
			    sizeof(spec->usdt_name) - 1);
	if (prov > rest) {
		mod_len = prov - 1 - rest;
		if (!mod_len)
			return fail(ps, "empty module name before ':'");
		int err = set_module(ps, spec, rest, mod_len, true);

		if (err)
			return err;
	}
	spec->kind = UP_SPEC_USDT;
	return 0;
}

/*
 * C++ (and Rust) names by their demangled spelling: "ns::K::f",
 * "ns::K::f(int, char)", "twice<int>", "K::g() const", "ns::operator<<".
 * They hold "::", blanks inside () and <>, and operator characters, so
 * their rules are their own:
 *
 *   - the MODULE separator is the last single ':' (not part of a "::")
 *     outside () and <>; "\:" is a ':' of the name, never a separator;
 *   - an offset is a last "+NUMBER" outside () and <>;
 *   - %return ends the word.
 */

/* Past the operator characters of "operator<<=", "operator()", "operator[]" at s[i]. */
static size_t skip_operator(const char *s, size_t i, size_t n)
{
	const size_t kw = strlen("operator");

	if (i + kw > n || memcmp(s + i, "operator", kw) ||
	    (i && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_')))
		return i;
	i += kw;
	if (i + 2 <= n && (!memcmp(s + i, "()", 2) || !memcmp(s + i, "[]", 2)))
		return i + 2;
	while (i < n && strchr("<>=!+-*/%^&|~,", s[i]))
		i++;
	return i;
}

static bool looks_cxx(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '(' || s[i] == '<' || s[i] == '\\' ||
		    (s[i] == ':' && i + 1 < n && s[i + 1] == ':') || skip_operator(s, i, n) != i)
			return true;
	return false;
}

/* Are the () and <> of a C++ name balanced (operators aside)? Else it is no C++ name. */
static bool balanced(const char *s, size_t n)
{
	int depth = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j = skip_operator(s, i, n);

		if (j != i) {
			i = j - 1;
			continue;
		}
		if (s[i] == '\\')
			i++;
		else if (s[i] == '(' || s[i] == '<')
			depth++;
		else if ((s[i] == ')' || s[i] == '>') && --depth < 0)
			return false;
	}
	return depth == 0;
}

/*
 * Where the place word ends: blanks inside () and <> and the qualifiers
 * after a parameter list ("() const", "() const &") belong to a C++ name.
 */
static const char *place_word_end(const char *w)
{
	static const char *const quals[] = {"const", "volatile", "&&", "&"};
	size_t n = strlen(w), i = 0;
	int depth = 0;

	while (i < n && !(depth == 0 && is_space(w[i]))) {
		size_t j = skip_operator(w, i, n);

		if (j != i) {
			i = j;
			continue;
		}
		if (w[i] == '(' || w[i] == '<')
			depth++;
		else if ((w[i] == ')' || w[i] == '>') && depth > 0)
			depth--;
		else if (w[i] == '\\' && i + 1 < n)
			i++;
		i++;
	}
	if (depth || !i || w[i - 1] != ')')
		return w + (depth ? strcspn(w, " \t\n") : i);
	for (;;) {
		size_t k = i, len;
		bool found = false;

		while (k < n && is_space(w[k]))
			k++;
		for (size_t q = 0; q < sizeof(quals) / sizeof(quals[0]) && !found; q++) {
			len = strlen(quals[q]);
			found = !strncmp(w + k, quals[q], len) &&
				(!w[k + len] || is_space(w[k + len]) || w[k + len] == '%');
		}
		if (!found || k == i)
			return w + i;
		i = k + len;
		if (w[i] == '%')
			return w + i + strcspn(w + i, " \t\n");
	}
}

static int parse_cxx_place(struct parse *ps, struct up_spec *spec, const char *s, size_t n)
{
	size_t rl = strlen(RETURN_SUFFIX), sep = SIZE_MAX, plus = SIZE_MAX, out = 0;
	int depth = 0;

	if (n >= rl && !memcmp(s + n - rl, RETURN_SUFFIX, rl)) {
		spec->is_return = true;
		n -= rl;
		while (n && is_space(s[n - 1]))
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		size_t j = skip_operator(s, i, n);

		if (j != i) {
			i = j - 1;
			continue;
		}
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(ps, "function '%.*s' has a control character", (int)n, s);
		if (s[i] == '\\' && i + 1 < n) {
			i++;
		} else if (s[i] == '(' || s[i] == '<') {
			depth++;
		} else if ((s[i] == ')' || s[i] == '>') && depth > 0) {
			depth--;
		} else if (depth == 0 && s[i] == ':' && (i == 0 || s[i - 1] != ':') &&
			   (i + 1 == n || s[i + 1] != ':')) {
			sep = i;
			plus = SIZE_MAX;
		} else if (depth == 0 && s[i] == '+') {
			plus = i;
		} else if (depth == 0 && s[i] == '%') {
			return fail(ps, "unknown suffix '%.*s' (only %%return)", (int)(n - i),
				    s + i);
		}
	}
	if (depth)
		return fail(ps, "function '%.*s' has an unbalanced '(' or '<'", (int)n, s);
	if (sep != SIZE_MAX) {
		if (!sep)
			return fail(ps, "empty module name before ':'");
		int err = set_module(ps, spec, s, sep, true);

		if (err)
			return err;
		s += sep + 1;
		n -= sep + 1;
		if (plus != SIZE_MAX)
			plus -= sep + 1;
	}
	if (plus != SIZE_MAX) {
		uint64_t v;

		if (parse_number(s + plus + 1, n - plus - 1, &v) == 0) {
			spec->offset = v;
			spec->has_offset = true;
			n = plus;
		}
	}
	if (!n)
		return fail(ps, "empty function name");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		if (out + 1 >= sizeof(spec->func))
			return fail(ps, "function name too long (at most %zu bytes)",
				    sizeof(spec->func) - 1);
		spec->func[out++] = s[i];
	}
	spec->func[out] = '\0';
	spec->kind = UP_SPEC_FUNC;
	if (spec->is_return && spec->has_offset && spec->offset)
		return fail(ps, "%%return probes a function's return: it takes no offset");
	return 0;
}

/* The place part of a PROBE word: a USDT probe, a C++ name, or perf probe's forms. */
static int parse_place_word(struct parse *ps, struct up_spec *spec, const char *s, size_t n)
{
	size_t pl = strlen(USDT_PREFIX);

	if (n >= pl && !memcmp(s, USDT_PREFIX, pl))
		return parse_usdt_place(ps, spec, s, n);
	if (looks_cxx(s, n) && balanced(s, n))
		return parse_cxx_place(ps, spec, s, n);
	return parse_place(ps, spec, s, n);
}

/* 'if EXPR': the rest of the word is the predicate. */
static int parse_predicate(struct parse *ps, struct up_spec *spec, const char *expr)
{
	char why[512];

	while (is_space(*expr))
		expr++;
	if (up_pred_parse(expr, spec->is_return, &spec->pred, why, sizeof(why)))
		return fail(ps, "%s", why);
	return 0;
}

static int parse_spec(struct parse *ps, struct up_spec *spec)
{
	const char *p = ps->text, *w;
	int err;

	while (is_space(*p))
		p++;
	if (!*p)
		return fail(ps, "empty");

	w = p;
	p = place_word_end(w);
	err = parse_place_word(ps, spec, w, p - w);
	if (err)
		return err;

	for (;;) {
		struct up_spec_arg *a;

		while (is_space(*p))
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && !is_space(*p))
			p++;
		if (p - w == 2 && !memcmp(w, "if", 2))
			return parse_predicate(ps, spec, p);
		if (spec->nargs == UP_MAX_ARGS)
			return fail(ps, "too many arguments (at most %d)", UP_MAX_ARGS);
		a = &spec->args[spec->nargs];
		if (parse_arg(ps, spec, a, w, p - w))
			return -EINVAL;
		for (unsigned i = 0; i < spec->nargs; i++)
			if (!strcmp(spec->args[i].name, a->name))
				return fail(ps, "duplicate argument name '%s' %s", a->name,
					    "(rename one: NAME=EXPR)");
		spec->nargs++;
	}
	return 0;
}

int up_spec_parse(const char *text, struct up_spec *spec, char *err, size_t errlen)
{
	struct parse ps = {.text = text ? text : "", .err = err, .errlen = errlen};
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!spec)
		return -EINVAL;
	memset(spec, 0, sizeof(*spec));
	ret = parse_spec(&ps, spec);
	if (ret)
		up_spec_release(spec); /* a spec that failed owns nothing */
	return ret;
}

void up_spec_release(struct up_spec *spec)
{
	if (!spec)
		return;
	free((char *)spec->module);
	free((char *)spec->file);
	spec->module = spec->file = NULL;
}

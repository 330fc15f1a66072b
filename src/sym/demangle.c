/* SPDX-License-Identifier: MIT */
/*
 * C++ and Rust symbol names, demangled for people: shown in events, keys,
 * -l and --stack, and matched against the names people write.
 *
 * The demangler is libiberty's cplus_demangle (Debian's libiberty-dev):
 * the one c++filt, nm -C and gdb use, so names read as the GNU tools show
 * them; one call covers Itanium C++ (g++, clang++) and Rust, legacy and
 * v0, with a recursion limit for hostile input; it is C, needs no C++
 * runtime, and links statically. Options: parameters and cv-qualifiers in
 * ("ns::K::g(int) const", which tells overloads apart), return types of
 * templates out ("twice<int>(int)", not "int twice<int>(int)"), Rust's
 * hash suffix out.
 *
 * Matching a glob against a demangled name (sym_demangled_match):
 *   - without '(' the pattern names the function without its parameter
 *     list, qualifiers and clone suffix ("ns::K::f" matches every
 *     overload); with '(' it names one ("ns::K::f(int)", "K::g() const");
 *   - blanks do not count ("std::map<int,int>" is "std::map<int, int>");
 *   - a template argument list may leave out trailing arguments, as a
 *     program's source leaves out defaults: "std::vector<int>" matches
 *     "std::vector<int, std::allocator<int> >";
 *   - a leading "::" (the global namespace) is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>

#include "sym_internal.h"

bool sym_is_mangled(const char *name)
{
	return (name[0] == '_' && (name[1] == 'Z' || name[1] == 'R')) ||
	       (name[0] == '_' && name[1] == '_' && name[2] == 'Z');
}

char *sym_demangle(const char *name)
{
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_RET_DROP | DMGL_AUTO);
}

/* The length of dem without a trailing " [clone .isra.0]" (there may be several). */
static size_t without_clones(const char *dem, size_t n)
{
	while (n && dem[n - 1] == ']') {
		size_t i = n - 1;

		while (i && dem[i] != '[')
			i--;
		if (i < 1 || dem[i - 1] != ' ' || strncmp(dem + i, "[clone ", 7))
			break;
		n = i - 1;
	}
	return n;
}

size_t sym_demangled_base_len(const char *dem)
{
	size_t n = without_clones(dem, strlen(dem));
	int depth = 0;

	/* qualifiers after the parameter list: " const", " volatile", " &", " &&" */
	while (n && dem[n - 1] != ')') {
		while (n && dem[n - 1] != ' ' && dem[n - 1] != ')')
			n--;
		while (n && dem[n - 1] == ' ')
			n--;
	}
	if (!n)
		return strlen(dem); /* no parameter list: a Rust path, a variable */
	/* back to the '(' that opens the last parameter list */
	for (size_t i = n; i > 0; i--) {
		if (dem[i - 1] == ')')
			depth++;
		else if (dem[i - 1] == '(' && --depth == 0)
			return i - 1;
	}
	return strlen(dem);
}

/* s without blanks, malloc'd (n bytes of s). */
static char *squeeze(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			*o++ = s[i];
	*o = '\0';
	return out;
}

/* A bracket expression [...] at *p against c; advances *p past it. -1: not one (a literal '['). */
static int bracket(const char **pp, char c)
{
	const char *p = *pp + 1;
	bool negate = false, found = false;

	if (*p == '!' || *p == '^') {
		negate = true;
		p++;
	}
	for (bool first = true; *p && (first || *p != ']'); first = false) {
		char lo = *p, hi = lo;

		if (p[1] == '-' && p[2] && p[2] != ']') {
			hi = p[2];
			p += 3;
		} else {
			p++;
		}
		found |= c >= lo && c <= hi;
	}
	if (*p != ']')
		return -1;
	*pp = p + 1;
	return found != negate;
}

/* Past the template argument list that n's ',' continues: at its closing '>', or NULL. */
static const char *skip_template_rest(const char *n)
{
	int depth = 0;

	for (; *n; n++) {
		if (*n == '<' || *n == '(')
			depth++;
		else if ((*n == '>' || *n == ')') && depth > 0)
			depth--;
		else if (*n == '>')
			return n;
	}
	return NULL;
}

/* Glob match of squeezed strings with the trailing-template-arguments rule. */
static bool glob(const char *p, const char *n)
{
	const char *star_p = NULL, *star_n = NULL;

	while (*n) {
		const char *q = p;
		int b;

		if (*p == '*') {
			while (*p == '*')
				p++;
			star_p = p;
			star_n = n;
			continue;
		}
		if (*q == '?') {
			p++;
			n++;
			continue;
		}
		if (*q == '[' && (b = bracket(&q, *n)) >= 0) {
			if (b) {
				p = q;
				n++;
				continue;
			}
		} else {
			if (*q == '\\' && q[1])
				q++;
			if (*q == *n) {
				p = q + 1;
				n++;
				continue;
			}
			if (*q == '>' && *n == ',') {
				const char *close = skip_template_rest(n + 1);

				if (close) {
					p = q + 1;
					n = close + 1;
					continue;
				}
			}
		}
		if (!star_p)
			return false;
		p = star_p;
		n = ++star_n;
	}
	while (*p == '*')
		p++;
	return !*p;
}

/* Does the squeezed pattern match dem's first n bytes? */
static bool match_prefix(const char *p, const char *dem, size_t n)
{
	char *d = squeeze(dem, n);
	bool ok = d && glob(p, d);

	free(d);
	return ok;
}

bool sym_demangled_match(const char *pattern, const char *dem)
{
	char *p;
	bool ok;

	if (pattern[0] == ':' && pattern[1] == ':')
		pattern += 2;
	p = squeeze(pattern, strlen(pattern));
	if (!p)
		return false;
	/* the name without its parameters; with '(' (a signature, or "(anonymous namespace)") whole
	 */
	ok = match_prefix(p, dem, sym_demangled_base_len(dem)) ||
	     (strchr(p, '(') && match_prefix(p, dem, without_clones(dem, strlen(dem))));
	free(p);
	return ok;
}

void sym_display_name(struct up_symtab *s, const char *raw, char *buf, size_t len)
{
	char *dem = !s->raw_names && sym_is_mangled(raw) ? sym_demangle(raw) : NULL;

	/* a name too long to show whole is shown as the symbol spells it */
	snprintf(buf, len, "%s", dem && strlen(dem) < len ? dem : raw);
	free(dem);
}

void up_sym_set_demangle(struct up_symtab *s, bool on)
{
	s->raw_names = !on;
}

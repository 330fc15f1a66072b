/* SPDX-License-Identifier: MIT */
/*
 * Interned strings: one copy of each module path for the life of the
 * symbol table. Matches, USDT sites, probes and the core's specs keep a
 * pointer instead of a 4 KiB copy each, and equal paths share one copy.
 * libdwfl's own names go with their module (a library unloaded, an exec),
 * so what outlives a report points here; the table survives up_sym_reset
 * and is freed by up_sym_close. Never used on the hit path.
 *
 * The copies are the entries of a struct up_table (include/uptrace/table.h)
 * on a 64-bit FNV-1a hash of the string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sym_internal.h"

static uint64_t fnv1a(const char *str)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)str; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return h;
}

static uint64_t string_hash(const void *entry)
{
	return fnv1a(entry);
}

static bool string_match(const void *entry, const void *key)
{
	return strcmp(entry, key) == 0;
}

void sym_intern_init(struct up_table *t)
{
	up_table_init(t, string_hash);
}

const char *sym_intern(struct up_table *t, const char *str)
{
	char *copy;

	if (!str)
		return NULL;
	copy = up_table_find(t, fnv1a(str), string_match, str);
	if (copy)
		return copy;
	copy = strdup(str);
	if (!copy)
		return NULL;
	if (up_table_add(t, copy)) {
		free(copy);
		return NULL;
	}
	return copy;
}

void sym_intern_free(struct up_table *t)
{
	char *copy;

	for (unsigned i = 0; (copy = up_table_next(t, &i));)
		free(copy);
	up_table_free(t);
}

const char *up_sym_intern(struct up_symtab *s, const char *str)
{
	return sym_intern(&s->strings, str);
}

/* SPDX-License-Identifier: MIT */
/*
 * Interned strings: one copy of each module path for the life of the
 * symbol table. Matches, USDT sites, probes and the core's specs keep a
 * pointer instead of a 4 KiB copy each, and equal paths share one copy.
 * libdwfl's own names go with their module (a library unloaded, an exec),
 * so what outlives a report points here; the table survives up_sym_reset
 * and is freed by up_sym_close. Never used on the hit path.
 *
 * Open addressing on a 64-bit FNV-1a hash, at most half full.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sym_internal.h"

static uint64_t hash(const char *str)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)str; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return h;
}

/* Where str is, or the empty slot where it would go. */
static char **slot_of(char **slots, unsigned cap, const char *str, uint64_t h)
{
	for (unsigned i = (unsigned)h & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!slots[i] || !strcmp(slots[i], str))
			return &slots[i];
}

static int grow(struct sym_intern *t)
{
	unsigned cap = t->cap ? t->cap * 2 : 64;
	char **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (unsigned i = 0; i < t->cap; i++)
		if (t->slots[i])
			*slot_of(slots, cap, t->slots[i], hash(t->slots[i])) = t->slots[i];
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

const char *sym_intern(struct sym_intern *t, const char *str)
{
	uint64_t h;
	char **slot;

	if (!str)
		return NULL;
	if ((t->n + 1) * 2 > t->cap && grow(t))
		return NULL;
	h = hash(str);
	slot = slot_of(t->slots, t->cap, str, h);
	if (!*slot) {
		*slot = strdup(str);
		if (!*slot)
			return NULL;
		t->n++;
	}
	return *slot;
}

void sym_intern_free(struct sym_intern *t)
{
	for (unsigned i = 0; i < t->cap; i++)
		free(t->slots[i]);
	free(t->slots);
	*t = (struct sym_intern){0};
}

const char *up_sym_intern(struct up_symtab *s, const char *str)
{
	return sym_intern(&s->strings, str);
}

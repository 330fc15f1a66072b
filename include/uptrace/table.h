/* SPDX-License-Identifier: MIT */
/*
 * The tracer's hash table (src/util/table.c): open addressing
 * with linear probing over pointers to the caller's entries, which the
 * caller allocates once and frees, so an entry's address never changes
 * while the table grows or other entries come and go.
 *
 * The caller hashes: any 64-bit function of the key will do, the key itself
 * (a tid, an address) included, since the table spreads it (Fibonacci
 * hashing) before taking the slot. up_table_find takes the key's hash and a
 * match callback; it is inline so that on the hit path the compiler inlines
 * the callback too and the lookup costs what a hand-written one would.
 * up_table_init gives the table a hash of an entry (of its key, the same
 * function), for growth and removal.
 *
 * The table grows (doubles, from 64 slots) before an add would fill it past
 * half, and never shrinks. A removal shifts the entries after it back into
 * the hole, so there are no tombstones: a lookup stops at the first empty
 * slot, and the load is the count of live entries however many come and go.
 *
 * Not for the in-target fallback record (src/core/fallback_record.c): its
 * tables are read in place by a handler inside the traced process, with a
 * fixed layout and tombstones, and are not pointers into the tracer.
 */
#ifndef UPTRACE_TABLE_H
#define UPTRACE_TABLE_H

#include <stdbool.h>
#include <stdint.h>

struct up_table {
	void **slot;	/* mask + 1 slots; NULL: free */
	unsigned mask;	/* slots - 1: slots is a power of two */
	unsigned count; /* entries */
	uint64_t (*hash)(const void *entry);
};

/* Empty, with no memory of its own yet; hash(entry) is what lookups of its key are given. */
void up_table_init(struct up_table *t, uint64_t (*hash)(const void *entry));
/* Forget every entry (the caller frees them first) and the slots: empty, as after init. */
void up_table_free(struct up_table *t);
/* Forget every entry, keeping the slots. */
void up_table_clear(struct up_table *t);
/* Add entry, which must not be in t yet (find first): 0, or -ENOMEM (then t is unchanged). */
int up_table_add(struct up_table *t, void *entry);
/* Take entry (the pointer, as found) out of t: true, or false when it was not there. */
bool up_table_remove(struct up_table *t, const void *entry);

/* The slot where a key of this hash starts its probe sequence. */
static inline unsigned up_table_home(const struct up_table *t, uint64_t hash)
{
	return (unsigned)((hash * 0x9E3779B97F4A7C15ull) >> 32) & t->mask;
}

/* The entry for which match(entry, key) holds, or NULL; hash is the key's. */
static inline void *up_table_find(const struct up_table *t, uint64_t hash,
				  bool (*match)(const void *entry, const void *key),
				  const void *key)
{
	for (unsigned i = up_table_home(t, hash);; i = (i + 1) & t->mask) {
		void *e = t->slot[i];

		if (!e || match(e, key))
			return e;
	}
}

/*
 * Every entry, in no particular order:
 *	for (unsigned i = 0; (e = up_table_next(t, &i));)
 * An add may grow the table and a removal shifts entries back, so a walk
 * that does either starts again (or may miss or repeat an entry).
 */
static inline void *up_table_next(const struct up_table *t, unsigned *i)
{
	while (*i <= t->mask) {
		void *e = t->slot[(*i)++];

		if (e)
			return e;
	}
	return NULL;
}

#endif

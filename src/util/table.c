/* SPDX-License-Identifier: MIT */
/*
 * The hash table of include/uptrace/table.h: what is not on a lookup's
 * path (growth, removal). Never on the hit path: entries come and go with
 * threads, points and module paths.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uptrace/table.h"

#define TABLE_MIN_SLOTS 64u
#define TABLE_MAX_SLOTS (1u << 31)

/*
 * The slots of an empty table: one, free, so a lookup needs no test for
 * "no slots yet". Read only: the first add grows the table first.
 */
static void *const no_slots[1];

void up_table_init(struct up_table *t, uint64_t (*hash)(const void *entry))
{
	*t = (struct up_table){.slot = (void **)no_slots, .hash = hash};
}

void up_table_free(struct up_table *t)
{
	if (t->slot != (void **)no_slots)
		free(t->slot);
	up_table_init(t, t->hash);
}

void up_table_clear(struct up_table *t)
{
	if (t->count)
		memset(t->slot, 0, (t->mask + 1) * sizeof(*t->slot));
	t->count = 0;
}

static void place(struct up_table *t, void *entry)
{
	unsigned i = up_table_home(t, t->hash(entry));

	while (t->slot[i])
		i = (i + 1) & t->mask;
	t->slot[i] = entry;
}

static int grow(struct up_table *t)
{
	struct up_table n = {.count = t->count, .hash = t->hash};
	unsigned slots;

	if (t->mask + 1 >= TABLE_MAX_SLOTS)
		return -ENOMEM;
	slots = (t->mask + 1) * 2;
	if (slots < TABLE_MIN_SLOTS)
		slots = TABLE_MIN_SLOTS;
	n.slot = calloc(slots, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	n.mask = slots - 1;
	for (unsigned i = 0; i <= t->mask; i++)
		if (t->slot[i])
			place(&n, t->slot[i]);
	if (t->slot != (void **)no_slots)
		free(t->slot);
	*t = n;
	return 0;
}

int up_table_add(struct up_table *t, void *entry)
{
	if ((t->count + 1) * 2 > t->mask + 1) {
		int err = grow(t);
		if (err)
			return err;
	}
	place(t, entry);
	t->count++;
	return 0;
}

bool up_table_remove(struct up_table *t, const void *entry)
{
	unsigned hole = up_table_home(t, t->hash(entry)), i, home;

	for (; t->slot[hole] != entry; hole = (hole + 1) & t->mask)
		if (!t->slot[hole])
			return false;
	t->slot[hole] = NULL;
	t->count--;
	/*
	 * Backward shift: an entry after the hole moves into it when the hole
	 * lies on its probe sequence (between its home and where it is), so
	 * every lookup still finds it before a free slot; its own slot is the
	 * next hole. The run ends at the first free slot.
	 */
	for (i = (hole + 1) & t->mask; t->slot[i]; i = (i + 1) & t->mask) {
		home = up_table_home(t, t->hash(t->slot[i]));
		if (((i - home) & t->mask) >= ((i - hole) & t->mask)) {
			t->slot[hole] = t->slot[i];
			t->slot[i] = NULL;
			hole = i;
		}
	}
	return true;
}

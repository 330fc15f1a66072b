/* SPDX-License-Identifier: MIT */
/*
 * The table of traced tasks: open addressing with linear probing, keyed by
 * tid, so a stop finds its thread with no allocation. It grows (rarely, when
 * threads are created) at half load; removal shifts the following entries
 * back so lookups never need tombstones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ptrace_internal.h"

static unsigned slot_of(const struct pt_table *tab, pid_t tid)
{
	return ((uint32_t)tid * 2654435761u) & (tab->cap - 1);
}

struct pt_thread *pt_thread_find(struct pt_table *tab, pid_t tid)
{
	if (!tab->cap || tid <= 0)
		return NULL;
	for (unsigned i = slot_of(tab, tid);; i = (i + 1) & (tab->cap - 1)) {
		if (tab->slot[i].tid == tid)
			return &tab->slot[i];
		if (!tab->slot[i].tid)
			return NULL;
	}
}

static void insert(struct pt_table *tab, const struct pt_thread *th)
{
	unsigned i = slot_of(tab, th->tid);

	while (tab->slot[i].tid)
		i = (i + 1) & (tab->cap - 1);
	tab->slot[i] = *th;
}

static int grow(struct pt_table *tab)
{
	unsigned old_cap = tab->cap, cap = old_cap ? old_cap * 2 : 64;
	struct pt_thread *old = tab->slot, *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	tab->slot = slot;
	tab->cap = cap;
	for (unsigned i = 0; i < old_cap; i++)
		if (old[i].tid)
			insert(tab, &old[i]);
	free(old);
	return 0;
}

/* Returns the existing entry if tid is known. Pointers into the table die at the next add. */
struct pt_thread *pt_thread_add(struct pt_table *tab, pid_t tid, pid_t tgid)
{
	struct pt_thread *th = pt_thread_find(tab, tid), fresh;

	if (th)
		return th;
	if ((tab->count + 1) * 2 > tab->cap && grow(tab))
		return NULL;
	memset(&fresh, 0, sizeof(fresh));
	fresh.tid = tid;
	fresh.tgid = tgid;
	fresh.state = PT_RUNNING;
	insert(tab, &fresh);
	tab->count++;
	return pt_thread_find(tab, tid);
}

void pt_thread_remove(struct pt_table *tab, pid_t tid)
{
	struct pt_thread *th = pt_thread_find(tab, tid);
	unsigned hole, i, home;

	if (!th)
		return;
	hole = (unsigned)(th - tab->slot);
	memset(th, 0, sizeof(*th));
	tab->count--;
	/* Backward-shift: move up every entry whose probe path crosses the hole. */
	for (i = (hole + 1) & (tab->cap - 1); tab->slot[i].tid; i = (i + 1) & (tab->cap - 1)) {
		home = slot_of(tab, tab->slot[i].tid);
		if (((i - home) & (tab->cap - 1)) >= ((i - hole) & (tab->cap - 1))) {
			tab->slot[hole] = tab->slot[i];
			memset(&tab->slot[i], 0, sizeof(tab->slot[i]));
			hole = i;
		}
	}
}

void pt_table_free(struct pt_table *tab)
{
	free(tab->slot);
	memset(tab, 0, sizeof(*tab));
}

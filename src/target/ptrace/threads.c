/* SPDX-License-Identifier: MIT */
/*
 * The table of traced tasks, keyed by tid (struct up_table,
 * include/uptrace/table.h), so a stop finds its thread with no allocation.
 * Each task is allocated once when it is first seen and freed when it is
 * removed: a struct pt_thread * stays valid while other tasks come and go
 * (a clone's parent is held while its child is added).
 */
#include <stdlib.h>

#include "ptrace_internal.h"

static uint64_t tid_hash(pid_t tid)
{
	return (uint32_t)tid;
}

static uint64_t thread_hash(const void *entry)
{
	return tid_hash(((const struct pt_thread *)entry)->tid);
}

static bool thread_match(const void *entry, const void *key)
{
	return ((const struct pt_thread *)entry)->tid == *(const pid_t *)key;
}

void pt_table_init(struct up_table *tab)
{
	up_table_init(tab, thread_hash);
}

struct pt_thread *pt_thread_find(struct up_table *tab, pid_t tid)
{
	if (tid <= 0)
		return NULL;
	return up_table_find(tab, tid_hash(tid), thread_match, &tid);
}

/* Returns the existing entry if tid is known. */
struct pt_thread *pt_thread_add(struct up_table *tab, pid_t tid, pid_t tgid)
{
	struct pt_thread *th = pt_thread_find(tab, tid);

	if (th || tid <= 0)
		return th;
	th = calloc(1, sizeof(*th));
	if (!th)
		return NULL;
	th->tid = tid;
	th->tgid = tgid;
	th->state = PT_RUNNING;
	if (up_table_add(tab, th)) {
		free(th);
		return NULL;
	}
	return th;
}

/* The entry of tid goes: a pointer to it is dead from here. */
void pt_thread_remove(struct up_table *tab, pid_t tid)
{
	struct pt_thread *th = pt_thread_find(tab, tid);

	if (th && up_table_remove(tab, th))
		free(th);
}

void pt_table_free(struct up_table *tab)
{
	struct pt_thread *th;

	for (unsigned i = 0; (th = up_table_next(tab, &i));)
		free(th);
	up_table_free(tab);
}

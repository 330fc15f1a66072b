/* SPDX-License-Identifier: MIT */
/*
 * Traced threads, by tid: each has its uretprobe instance stack and its XOL
 * state. An entry is made when a thread is first seen (attach, clone, or
 * its first hit) and freed at its exit; the hit path only looks it up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

static unsigned hash_tid(pid_t tid, unsigned cap)
{
	return ((unsigned)tid * 2654435761u) & (cap - 1);
}

struct up_thread *thread_find(struct up_core *c, pid_t tid)
{
	unsigned i = hash_tid(tid, c->threads_cap);

	for (unsigned n = 0; n < c->threads_cap; n++) {
		struct up_thread *th = &c->threads[i];
		if (th->tid == tid)
			return th;
		if (th->tid == 0)
			return NULL;
		i = (i + 1) & (c->threads_cap - 1);
	}
	return NULL;
}

static int threads_grow(struct up_core *c)
{
	unsigned cap = c->threads_cap * 2;
	struct up_thread *n = calloc(cap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (unsigned i = 0; i < c->threads_cap; i++) {
		struct up_thread *th = &c->threads[i];
		if (th->tid <= 0)
			continue;
		unsigned j = hash_tid(th->tid, cap);
		while (n[j].tid)
			j = (j + 1) & (cap - 1);
		n[j] = *th;
	}
	free(c->threads);
	c->threads = n;
	c->threads_cap = cap;
	return 0;
}

static void read_comm(struct up_core *c, struct up_thread *th)
{
	if (c->t->ops->thread_name(c->t, th->tid, th->comm, sizeof(th->comm)) < 0)
		snprintf(th->comm, sizeof(th->comm), "?");
}

/* Find or make the entry of tid (not on the per-hit path after a thread's first hit). */
struct up_thread *thread_get(struct up_core *c, pid_t tid)
{
	struct up_thread *th = thread_find(c, tid);
	unsigned i;

	if (th)
		return th;
	if ((c->nthreads + 1) * 2 > c->threads_cap && threads_grow(c))
		return NULL;
	/* reuse a tombstone (tid -1) or an empty entry */
	i = hash_tid(tid, c->threads_cap);
	while (c->threads[i].tid > 0)
		i = (i + 1) & (c->threads_cap - 1);
	th = &c->threads[i];
	if (th->tid == 0)
		c->nthreads++;
	memset(th, 0, sizeof(*th));
	th->stack = calloc(INSTANCE_STACK_MAX, sizeof(*th->stack));
	if (!th->stack)
		return NULL;
	th->tid = tid;
	th->pid = c->t->pid;
	read_comm(c, th);
	return th;
}

/* A recovery (recover.c): the live return instances a tracer that is gone mirrored. */
int thread_adopt_instances(struct up_core *c, pid_t tid, const struct up_fb_frame *frames,
			   unsigned n)
{
	struct up_thread *th = thread_get(c, tid);

	if (!th)
		return -ENOMEM;
	if (n > INSTANCE_STACK_MAX)
		return -E2BIG;
	for (unsigned i = 0; i < n; i++)
		th->stack[i] = (struct up_instance){ .orig_ret = frames[i].orig_ret,
						     .entry_sp = frames[i].entry_sp };
	th->depth = n;
	return 0;
}

void thread_remove(struct up_core *c, pid_t tid)
{
	struct up_thread *th = thread_find(c, tid);

	if (!th)
		return;
	free(th->stack);
	th->stack = NULL;
	free(th->entry_values);
	th->entry_values = NULL;
	fb_thread_gone(&c->fb, tid);
	th->tid = -1; /* tombstone: keeps probe chains intact */
}

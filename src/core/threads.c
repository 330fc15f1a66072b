/* SPDX-License-Identifier: MIT */
/*
 * Traced threads, by tid: each has its uretprobe instance stack and its XOL
 * state. An entry is made when a thread is first seen (attach, clone, or
 * its first hit) and freed at its exit; the hit path only looks it up.
 *
 * Each thread is allocated once and the table (struct up_table,
 * include/uptrace/table.h) holds pointers, so a struct up_thread * stays
 * valid while the table grows: the fork paths hold the parent's entry
 * while they make the child's.
 *
 * The instance stack starts empty and doubles when a call nests deeper
 * than it holds, up to INSTANCE_STACK_MAX; a return probe's call past that
 * (or when memory runs out) is not hijacked and is counted as missed, as
 * the kernel's uretprobes count theirs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

#define INSTANCE_STACK_FIRST 16

static uint64_t tid_hash(pid_t tid)
{
	return (uint32_t)tid;
}

static uint64_t thread_hash(const void *entry)
{
	return tid_hash(((const struct up_thread *)entry)->tid);
}

static bool thread_match(const void *entry, const void *key)
{
	return ((const struct up_thread *)entry)->tid == *(const pid_t *)key;
}

void threads_init(struct up_core *c)
{
	up_table_init(&c->threads, thread_hash);
}

struct up_thread *thread_find(struct up_core *c, pid_t tid)
{
	if (tid <= 0)
		return NULL;
	return up_table_find(&c->threads, tid_hash(tid), thread_match, &tid);
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

	if (th || tid <= 0)
		return th;
	th = calloc(1, sizeof(*th));
	if (!th)
		return NULL;
	th->tid = tid;
	th->pid = c->t->pid;
	if (up_table_add(&c->threads, th)) {
		free(th);
		return NULL;
	}
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
	th->depth = 0;
	for (unsigned i = 0; i < n; i++) {
		int err = thread_reserve_instance(th);
		if (err)
			return err;
		th->stack[th->depth++] = (struct up_instance){.orig_ret = frames[i].orig_ret,
							      .entry_sp = frames[i].entry_sp};
	}
	return 0;
}

/* The thread is gone: what it missed stays counted for the end. */
static void thread_free(struct up_core *c, struct up_thread *th)
{
	c->missed_returns += th->lost;
	free(th->stack);
	free(th->entry_values);
	free(th);
}

void thread_remove(struct up_core *c, pid_t tid)
{
	struct up_thread *th = thread_find(c, tid);

	if (!th)
		return;
	up_table_remove(&c->threads, th);
	up_fb_thread_gone(&c->fb, tid);
	thread_free(c, th);
}

/* Every thread at once (exec, the end): their entries are freed, the table stays. */
void threads_clear(struct up_core *c)
{
	struct up_thread *th;

	for (unsigned i = 0; (th = up_table_next(&c->threads, &i));)
		thread_free(c, th);
	up_table_clear(&c->threads);
}

/*
 * Room for one more instance on th's stack: 0, or -E2BIG past
 * INSTANCE_STACK_MAX (or -ENOMEM); the caller counts the return as missed.
 */
int thread_reserve_instance(struct up_thread *th)
{
	unsigned cap;
	struct up_instance *n;

	if (th->depth < th->stack_cap)
		return 0;
	if (th->stack_cap >= INSTANCE_STACK_MAX)
		return -E2BIG;
	cap = th->stack_cap ? th->stack_cap * 2 : INSTANCE_STACK_FIRST;
	if (cap > INSTANCE_STACK_MAX)
		cap = INSTANCE_STACK_MAX;
	/* the entry values, once there, keep the stack's length */
	if (th->entry_values) {
		struct up_entry_values *v = realloc(th->entry_values, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		th->entry_values = v;
	}
	n = realloc(th->stack, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	th->stack = n;
	th->stack_cap = cap;
	return 0;
}

/* A forked or vforked child starts with its parent's live return instances. */
int thread_copy_instances(struct up_thread *child, const struct up_thread *parent)
{
	if (!parent || !parent->depth)
		return 0;
	while (child->stack_cap < parent->depth) {
		child->depth = child->stack_cap;
		if (thread_reserve_instance(child)) {
			child->depth = 0;
			return -ENOMEM;
		}
	}
	memcpy(child->stack, parent->stack, parent->depth * sizeof(*child->stack));
	child->depth = parent->depth;
	return 0;
}

uint64_t up_core_missed_returns(struct up_core *c)
{
	const struct up_thread *th;
	uint64_t n = c->missed_returns;

	for (unsigned i = 0; (th = up_table_next(&c->threads, &i));)
		n += th->lost;
	return n;
}

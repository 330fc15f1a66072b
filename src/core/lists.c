/* SPDX-License-Identifier: MIT */
/*
 * The target's threads and mappings, however many: its ops fill at most
 * the room they are given, so the core asks again with twice the room
 * until a list fits. No fixed cap that would leave a thread or a mapping
 * out without a word (a thread missed is a thread left in a window).
 */
#include <errno.h>
#include <stdlib.h>

#include "core_internal.h"

typedef int (*fill_fn)(struct up_target *t, void *buf, int max);

static int fill_threads(struct up_target *t, void *buf, int max)
{
	return t->ops->threads(t, buf, max);
}

static int fill_mappings(struct up_target *t, void *buf, int max)
{
	return t->ops->mappings(t, buf, max);
}

static int list_all(struct up_core *c, void **out, size_t elem, fill_fn fill)
{
	int max = 256, n;

	*out = NULL;
	for (;;) {
		void *buf = realloc(*out, (size_t)max * elem);

		if (!buf) {
			free(*out);
			*out = NULL;
			return -ENOMEM;
		}
		*out = buf;
		n = fill(c->t, buf, max);
		if (n < max || max > (1 << 24))
			break; /* 16 M entries: a target that is lying, not a process */
		max *= 2;
	}
	if (n < 0 || n >= max) {
		free(*out);
		*out = NULL;
		return n < 0 ? n : -E2BIG;
	}
	return n;
}

int core_list_threads(struct up_core *c, pid_t **tids)
{
	return list_all(c, (void **)tids, sizeof(**tids), fill_threads);
}

int core_list_mappings(struct up_core *c, struct up_mapping **maps)
{
	return list_all(c, (void **)maps, sizeof(**maps), fill_mappings);
}

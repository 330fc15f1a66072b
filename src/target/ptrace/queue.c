/* SPDX-License-Identifier: MIT */
/*
 * Stops waiting to be handed to the core: those that arrived while stop_all
 * or a remote syscall was waiting for something else. A ring that grows
 * (rarely) when full; wait() empties it before asking the kernel again.
 */
#include <errno.h>
#include <stdlib.h>

#include "ptrace_internal.h"

int pt_queue_push(struct pt_queue *q, const struct up_stop *stop)
{
	if (q->count == q->cap) {
		unsigned cap = q->cap ? q->cap * 2 : 16;
		struct up_stop *ev = malloc(cap * sizeof(*ev));

		if (!ev)
			return -ENOMEM;
		for (unsigned i = 0; i < q->count; i++)
			ev[i] = q->ev[(q->head + i) % q->cap];
		free(q->ev);
		q->ev = ev;
		q->cap = cap;
		q->head = 0;
	}
	q->ev[(q->head + q->count) % q->cap] = *stop;
	q->count++;
	return 0;
}

bool pt_queue_pop(struct pt_queue *q, struct up_stop *stop)
{
	if (!q->count)
		return false;
	*stop = q->ev[q->head];
	q->head = (q->head + 1) % q->cap;
	q->count--;
	return true;
}

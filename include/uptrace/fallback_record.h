/* SPDX-License-Identifier: MIT */
/*
 * The tracer's side of the in-process fallback record
 * (include/uptrace/fallback.h): plain stores into the memfd that the
 * target maps too, so keeping it current costs no system call. Pure
 * memory work on a mapping, no target and no core state
 * (src/core/fallback_record.c): the core calls it as it arms points and
 * pushes return instances, and the fallback's unit test writes the record
 * the real handler reads in the test's own process. Whoever keeps a
 * record for the handler writes it through these.
 */
#ifndef UPTRACE_FALLBACK_RECORD_H
#define UPTRACE_FALLBACK_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "uptrace/arch.h"
#include "uptrace/fallback.h"

struct up_fb_free_block {
	uint64_t off;
	uint32_t cap;
};

struct up_fb_record {
	uint8_t *base;		       /* the tracer's mapping: code page, then data */
	size_t size;		       /* bytes of the memfd */
	struct up_fb_data *d;	       /* base + UP_FB_CODE_SIZE */
	uint64_t brk;		       /* next free byte of data (offset from d) */
	uint32_t npoints, nthreads;    /* live entries, tombstones included */
	bool full;		       /* out of room: the record is incomplete */
	struct up_fb_free_block *free; /* frame arrays of threads that are gone */
	unsigned nfree, free_cap;
};

/*
 * Lay out an empty record in a fresh mapping of size bytes and copy the
 * arch's handler blob into its code page. -ENOSPC when size is too small,
 * -ENOTSUP when the arch has no blob.
 */
int up_fb_record_init(struct up_fb_record *r, void *mapping, size_t size,
		      const struct up_arch *arch);
void up_fb_record_release(struct up_fb_record *r);

void up_fb_record_set_trampoline(struct up_fb_record *r, uint64_t trampoline);

/* A breakpoint is about to be written at addr over orig[len]: record it first. */
int up_fb_point_add(struct up_fb_record *r, uint64_t addr, const uint8_t *orig, unsigned len);
/* The module holding addr is gone: forget the point (a tombstone). */
void up_fb_point_drop(struct up_fb_record *r, uint64_t addr);

/* A trap-free window is about to be patched over orig[len]: record it first. */
int up_fb_window_add(struct up_fb_record *r, uint64_t addr, const uint8_t *orig, unsigned len);
/* The window's module was unmapped: a recovery leaves the address alone (addr 0). */
void up_fb_window_drop(struct up_fb_record *r, uint64_t addr);
/* The trap-free path's shared memory is mapped at addr in the target (a recovery unmaps it). */
void up_fb_fast_shm(struct up_fb_record *r, uint64_t addr, uint64_t size);

/* An XOL page was mapped at addr (a recovery unmaps it). */
int up_fb_page_add(struct up_fb_record *r, uint64_t addr);

/* A thread's shadow of its return instances (made on first use); NULL when out of room. */
struct up_fb_thread *up_fb_thread_get(struct up_fb_record *r, pid_t tid);
void up_fb_thread_gone(struct up_fb_record *r, pid_t tid);
/* Push before the hijacked return address is written; set depth after a pop. */
int up_fb_frame_push(struct up_fb_record *r, struct up_fb_thread *th, uint64_t orig_ret,
		     uint64_t entry_sp);
void up_fb_frames_set_depth(struct up_fb_record *r, struct up_fb_thread *th, uint32_t depth);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The fallback record, written by the tracer (fallback_record.h). Tables
 * are open-addressing hashes in the memfd's data area, allocated from a
 * bump pointer; a table that fills up is rebuilt bigger elsewhere in the
 * area and published with its offset first, then its mask, so a reader in
 * the target never indexes past a table. Frame arrays of threads that are
 * gone are reused.
 *
 * Not the tracer's struct up_table (include/uptrace/table.h): these tables
 * are read in place by the freestanding handler inside the traced process
 * while the tracer writes them, so they hold their entries by value at
 * offsets in the shared memfd (no pointers of the tracer's), in a layout
 * fixed by fallback.h, and a removal leaves a tombstone rather than
 * shifting entries a reader may be probing past at that moment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uptrace/fallback_record.h"

#define FB_POINTS_MIN 1024
#define FB_THREADS_MIN 64
#define FB_FRAMES_MIN 64

static uint64_t fb_alloc(struct up_fb_record *r, uint64_t bytes)
{
	uint64_t off = (r->brk + 63) & ~63ull;

	if (off + bytes > r->size - UP_FB_CODE_SIZE) {
		r->full = true;
		return 0;
	}
	r->brk = off + bytes;
	return off;
}

static void *at(struct up_fb_record *r, uint64_t off)
{
	return (uint8_t *)r->d + off;
}

int up_fb_record_init(struct up_fb_record *r, void *mapping, size_t size,
		      const struct up_arch *arch)
{
	const struct up_code_blob *blob = arch->fallback;
	struct up_fb_data *d;

	memset(r, 0, sizeof(*r));
	if (!blob || blob->size > UP_FB_CODE_SIZE)
		return -ENOTSUP;
	if (size < UP_FB_CODE_SIZE + 65536)
		return -ENOSPC;
	r->base = mapping;
	r->size = size;
	r->d = d = (struct up_fb_data *)(r->base + UP_FB_CODE_SIZE);
	memcpy(r->base, blob->code, blob->size);
	memset(d, 0, sizeof(*d));
	r->brk = sizeof(*d);
	d->points = fb_alloc(r, (uint64_t)FB_POINTS_MIN * sizeof(struct up_fb_point));
	d->points_mask = FB_POINTS_MIN - 1;
	d->threads = fb_alloc(r, (uint64_t)FB_THREADS_MIN * sizeof(struct up_fb_thread));
	d->threads_mask = FB_THREADS_MIN - 1;
	d->bp_pc_adjust = arch->bp_pc_adjust;
	d->ret_sp_adjust = arch->stack_arg_offset;
	memcpy(d->bp, arch->bp, arch->bp_len);
	d->bp_len = arch->bp_len;
	memcpy(d->mem_path, "/proc/self/mem", sizeof("/proc/self/mem"));
	__atomic_store_n(&d->magic, UP_FB_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

void up_fb_record_release(struct up_fb_record *r)
{
	free(r->free);
	memset(r, 0, sizeof(*r));
}

void up_fb_record_set_trampoline(struct up_fb_record *r, uint64_t trampoline)
{
	if (r->d)
		__atomic_store_n(&r->d->trampoline, trampoline, __ATOMIC_RELEASE);
}

static struct up_fb_point *point_slot(struct up_fb_point *tab, uint32_t mask, uint64_t addr,
				      bool for_insert)
{
	uint32_t i = up_fb_hash(addr, mask);
	struct up_fb_point *tomb = NULL;

	for (uint32_t n = 0; n <= mask; n++, i = (i + 1) & mask) {
		if (tab[i].addr == addr)
			return &tab[i];
		if (tab[i].addr == UP_FB_TOMBSTONE && !tomb)
			tomb = &tab[i];
		if (tab[i].addr == 0)
			return for_insert ? (tomb ? tomb : &tab[i]) : NULL;
	}
	return for_insert ? tomb : NULL;
}

/* A bigger point table with the live entries; published offset first, then mask. */
static int points_grow(struct up_fb_record *r)
{
	struct up_fb_data *d = r->d;
	uint32_t mask = d->points_mask * 2 + 1, live = 0;
	uint64_t off = fb_alloc(r, ((uint64_t)mask + 1) * sizeof(struct up_fb_point));
	struct up_fb_point *old = at(r, d->points), *tab;

	if (!off)
		return -ENOSPC;
	tab = at(r, off);
	memset(tab, 0, ((size_t)mask + 1) * sizeof(*tab));
	for (uint32_t i = 0; i <= d->points_mask; i++) {
		if (old[i].addr == 0 || old[i].addr == UP_FB_TOMBSTONE)
			continue;
		*point_slot(tab, mask, old[i].addr, true) = old[i];
		live++;
	}
	__atomic_store_n(&d->points, off, __ATOMIC_RELEASE);
	__atomic_store_n(&d->points_mask, mask, __ATOMIC_RELEASE);
	r->npoints = live;
	return 0;
}

int up_fb_point_add(struct up_fb_record *r, uint64_t addr, const uint8_t *orig, unsigned len)
{
	struct up_fb_point *pt;

	if (!r->d)
		return 0;
	if (len > sizeof(pt->orig) || addr == 0 || addr == UP_FB_TOMBSTONE)
		return -EINVAL;
	if ((r->npoints + 1) * 2 > r->d->points_mask + 1 && points_grow(r))
		return -ENOSPC;
	pt = point_slot(at(r, r->d->points), r->d->points_mask, addr, true);
	if (!pt)
		return -ENOSPC;
	if (pt->addr == addr)
		return 0; /* known already: its bytes are the original ones */
	if (pt->addr == 0)
		r->npoints++;
	memcpy(pt->orig, orig, len);
	pt->len = (uint8_t)len;
	__atomic_store_n(&pt->addr, addr, __ATOMIC_RELEASE);
	return 0;
}

void up_fb_point_drop(struct up_fb_record *r, uint64_t addr)
{
	struct up_fb_point *pt;

	if (!r->d)
		return;
	pt = point_slot(at(r, r->d->points), r->d->points_mask, addr, false);
	if (pt)
		__atomic_store_n(&pt->addr, UP_FB_TOMBSTONE, __ATOMIC_RELEASE);
}

int up_fb_page_add(struct up_fb_record *r, uint64_t addr)
{
	struct up_fb_data *d = r->d;
	uint64_t *pages;

	if (!d)
		return 0;
	if (d->npages == d->pages_cap) {
		uint32_t cap = d->pages_cap ? d->pages_cap * 2 : 64;
		uint64_t off = fb_alloc(r, (uint64_t)cap * sizeof(uint64_t));
		if (!off)
			return -ENOSPC;
		if (d->npages)
			memcpy(at(r, off), at(r, d->pages), d->npages * sizeof(uint64_t));
		d->pages = off;
		d->pages_cap = cap;
	}
	pages = at(r, d->pages);
	pages[d->npages] = addr;
	__atomic_store_n(&d->npages, d->npages + 1, __ATOMIC_RELEASE);
	return 0;
}

int up_fb_window_add(struct up_fb_record *r, uint64_t addr, const uint8_t *orig, unsigned len)
{
	struct up_fb_data *d = r->d;
	struct up_fb_window *w;

	if (!d)
		return 0;
	if (len > sizeof(w->orig))
		return -EINVAL;
	if (d->nwindows == d->windows_cap) {
		uint32_t cap = d->windows_cap ? d->windows_cap * 2 : 256;
		uint64_t off = fb_alloc(r, (uint64_t)cap * sizeof(*w));
		if (!off)
			return -ENOSPC;
		if (d->nwindows)
			memcpy(at(r, off), at(r, d->windows), d->nwindows * sizeof(*w));
		__atomic_store_n(&d->windows, off, __ATOMIC_RELEASE);
		d->windows_cap = cap;
	}
	w = (struct up_fb_window *)at(r, d->windows) + d->nwindows;
	w->addr = addr;
	memcpy(w->orig, orig, len);
	w->len = len;
	__atomic_store_n(&d->nwindows, d->nwindows + 1, __ATOMIC_RELEASE);
	return 0;
}

void up_fb_window_drop(struct up_fb_record *r, uint64_t addr)
{
	struct up_fb_window *w;

	if (!r->d || !r->d->nwindows)
		return;
	w = at(r, r->d->windows);
	for (uint32_t i = 0; i < r->d->nwindows; i++)
		if (w[i].addr == addr)
			__atomic_store_n(&w[i].addr, 0, __ATOMIC_RELEASE);
}

void up_fb_fast_shm(struct up_fb_record *r, uint64_t addr, uint64_t size)
{
	if (!r->d)
		return;
	r->d->fast_shm_size = size;
	__atomic_store_n(&r->d->fast_shm, addr, __ATOMIC_RELEASE);
}

static struct up_fb_thread *thread_slot(struct up_fb_thread *tab, uint32_t mask, int32_t tid,
					bool for_insert)
{
	uint32_t i = up_fb_hash((uint64_t)(uint32_t)tid, mask);
	struct up_fb_thread *tomb = NULL;

	for (uint32_t n = 0; n <= mask; n++, i = (i + 1) & mask) {
		if (tab[i].tid == tid)
			return &tab[i];
		if (tab[i].tid == -1 && !tomb)
			tomb = &tab[i];
		if (tab[i].tid == 0)
			return for_insert ? (tomb ? tomb : &tab[i]) : NULL;
	}
	return for_insert ? tomb : NULL;
}

static int threads_grow(struct up_fb_record *r)
{
	struct up_fb_data *d = r->d;
	uint32_t mask = d->threads_mask * 2 + 1, live = 0;
	uint64_t off = fb_alloc(r, ((uint64_t)mask + 1) * sizeof(struct up_fb_thread));
	struct up_fb_thread *old = at(r, d->threads), *tab;

	if (!off)
		return -ENOSPC;
	tab = at(r, off);
	memset(tab, 0, ((size_t)mask + 1) * sizeof(*tab));
	for (uint32_t i = 0; i <= d->threads_mask; i++) {
		if (old[i].tid <= 0)
			continue;
		*thread_slot(tab, mask, old[i].tid, true) = old[i];
		live++;
	}
	__atomic_store_n(&d->threads, off, __ATOMIC_RELEASE);
	__atomic_store_n(&d->threads_mask, mask, __ATOMIC_RELEASE);
	r->nthreads = live;
	return 0;
}

/* A frame array of at least cap frames: a reused one, or fresh room. */
static uint64_t frames_alloc(struct up_fb_record *r, uint32_t cap, uint32_t *got)
{
	for (unsigned i = 0; i < r->nfree; i++)
		if (r->free[i].cap >= cap) {
			uint64_t off = r->free[i].off;
			*got = r->free[i].cap;
			r->free[i] = r->free[--r->nfree];
			return off;
		}
	*got = cap;
	return fb_alloc(r, (uint64_t)cap * sizeof(struct up_fb_frame));
}

static void frames_free(struct up_fb_record *r, uint64_t off, uint32_t cap)
{
	if (!off)
		return;
	if (r->nfree == r->free_cap) {
		unsigned n = r->free_cap ? r->free_cap * 2 : 16;
		struct up_fb_free_block *f = realloc(r->free, n * sizeof(*f));
		if (!f)
			return; /* the block is only lost, never misused */
		r->free = f;
		r->free_cap = n;
	}
	r->free[r->nfree++] = (struct up_fb_free_block){off, cap};
}

struct up_fb_thread *up_fb_thread_get(struct up_fb_record *r, pid_t tid)
{
	struct up_fb_thread *th;
	uint32_t got;
	uint64_t frames;

	if (!r->d || tid <= 0)
		return NULL;
	th = thread_slot(at(r, r->d->threads), r->d->threads_mask, tid, false);
	if (th)
		return th;
	if ((r->nthreads + 1) * 2 > r->d->threads_mask + 1 && threads_grow(r))
		return NULL;
	frames = frames_alloc(r, FB_FRAMES_MIN, &got);
	if (!frames)
		return NULL;
	th = thread_slot(at(r, r->d->threads), r->d->threads_mask, tid, true);
	if (!th) {
		frames_free(r, frames, got);
		return NULL;
	}
	if (th->tid == 0)
		r->nthreads++;
	th->depth = 0;
	th->cap = got;
	th->frames = frames;
	__atomic_store_n(&th->tid, tid, __ATOMIC_RELEASE);
	return th;
}

void up_fb_thread_gone(struct up_fb_record *r, pid_t tid)
{
	struct up_fb_thread *th;

	if (!r->d)
		return;
	th = thread_slot(at(r, r->d->threads), r->d->threads_mask, tid, false);
	if (!th)
		return;
	__atomic_store_n(&th->tid, -1, __ATOMIC_RELEASE);
	frames_free(r, th->frames, th->cap);
	th->frames = 0;
	th->cap = 0;
	th->depth = 0;
}

int up_fb_frame_push(struct up_fb_record *r, struct up_fb_thread *th, uint64_t orig_ret,
		     uint64_t entry_sp)
{
	struct up_fb_frame *f;

	if (!th)
		return -ENOSPC;
	if (th->depth == th->cap) {
		uint32_t got;
		uint64_t off = frames_alloc(r, th->cap * 2, &got);
		if (!off)
			return -ENOSPC;
		memcpy(at(r, off), at(r, th->frames), (size_t)th->depth * sizeof(*f));
		uint64_t old = th->frames;
		uint32_t old_cap = th->cap;
		__atomic_store_n(&th->frames, off, __ATOMIC_RELEASE);
		th->cap = got;
		frames_free(r, old, old_cap);
	}
	f = (struct up_fb_frame *)at(r, th->frames) + th->depth;
	f->orig_ret = orig_ret;
	f->entry_sp = entry_sp;
	__atomic_store_n(&th->depth, th->depth + 1, __ATOMIC_RELEASE);
	return 0;
}

void up_fb_frames_set_depth(struct up_fb_record *r, struct up_fb_thread *th, uint32_t depth)
{
	(void)r;
	if (th && depth <= th->depth)
		__atomic_store_n(&th->depth, depth, __ATOMIC_RELEASE);
}

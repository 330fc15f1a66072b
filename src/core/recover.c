/* SPDX-License-Identifier: MIT */
/*
 * After a tracer's death: a probe manager rebuilt from the in-process
 * fallback record (include/uptrace/fallback.h) that the dead tracer kept in
 * memory it shared with the target, then an ordinary detach. The record
 * holds what detach needs: each point's address and original bytes, the
 * XOL pages, the trampoline and our syscall instruction, every thread's
 * live return instances (kept current by the handler since the tracer
 * died), the program's own SIGTRAP disposition, and where the record
 * itself is mapped in the target.
 *
 * What the record does not hold is not put back: USDT semaphores stay
 * raised, and followed children (-f) are not visited.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core_internal.h"

static int adopt_record(struct up_core *c, void *record, size_t size)
{
	struct up_fb_data *d = (struct up_fb_data *)((uint8_t *)record + UP_FB_CODE_SIZE);
	const struct up_fb_point *pts;
	const struct up_fb_thread *ths;
	const uint64_t *pages;
	int err;

	if (size < UP_FB_CODE_SIZE + sizeof(*d) || d->magic != UP_FB_MAGIC)
		return -EINVAL;
	/* offsets from a dead tracer, read with care: every table inside the record */
#define INSIDE(off, n, type) ((off) < size && (uint64_t)(n) <= (size - (off)) / sizeof(type))
	if (!INSIDE(d->points, (uint64_t)d->points_mask + 1, struct up_fb_point) ||
	    !INSIDE(d->threads, (uint64_t)d->threads_mask + 1, struct up_fb_thread) ||
	    (d->npages && !INSIDE(d->pages, d->npages, uint64_t)))
		return -EINVAL;
	c->fb.base = record;
	c->fb.size = size;
	c->fb.d = d;
	c->fb_shared.local = NULL; /* the guardian's mapping is its own to drop */
	c->fb_shared.remote = d->code;
	c->fb_shared.size = size;
	c->trampoline = d->trampoline;
	c->syscall_insn = d->syscall_insn;

	pages = (const uint64_t *)((uint8_t *)d + d->pages);
	for (uint32_t i = 0; i < d->npages; i++) {
		err = xol_adopt_page(c, pages[i]);
		if (err)
			return err;
	}
	pts = (const struct up_fb_point *)((uint8_t *)d + d->points);
	for (uint32_t i = 0; i <= d->points_mask; i++) {
		if (pts[i].addr == 0 || pts[i].addr == UP_FB_TOMBSTONE)
			continue;
		err = point_adopt(c, pts[i].addr, pts[i].orig,
				  pts[i].len < c->arch->bp_len ? pts[i].len : c->arch->bp_len);
		if (err)
			return err;
	}
	if (d->nwindows && !INSIDE(d->windows, d->nwindows, struct up_fb_window))
		return -EINVAL;
	for (uint32_t i = 0; i < d->nwindows; i++) {
		const struct up_fb_window *w =
		    (const struct up_fb_window *)((uint8_t *)d + d->windows) + i;
		if (!w->addr)
			continue; /* its module was unloaded (dlclose) */
		err = fast_adopt_window(c, w->addr, w->orig, w->len);
		if (err)
			return err;
	}
	if (d->fast_shm) {
		err = fast_adopt_shm(c, d->fast_shm, d->fast_shm_size);
		if (err)
			return err;
	}
	ths = (const struct up_fb_thread *)((uint8_t *)d + d->threads);
	for (uint32_t i = 0; i <= d->threads_mask; i++) {
		if (ths[i].tid <= 0 || ths[i].depth == 0)
			continue;
		if (!INSIDE(ths[i].frames, ths[i].depth, struct up_fb_frame))
			return -EINVAL;
		err = thread_adopt_instances(
		    c, ths[i].tid, (const struct up_fb_frame *)((uint8_t *)d + ths[i].frames),
		    ths[i].depth);
		if (err)
			return err;
	}
#undef INSIDE
	return 0;
}

int up_core_recover(struct up_target *t, struct up_symtab *sym, void *record, size_t size,
		    char *err, size_t errlen)
{
	struct up_core_config cfg = {.target = t, .sym = sym};
	struct up_core *c;
	int ret;

	if (err && errlen)
		err[0] = 0;
	ret = up_core_create(&c, &cfg);
	if (ret)
		return ret;
	c->err = err;
	c->errlen = errlen;
	c->started = true;
	ret = adopt_record(c, record, size);
	if (ret) {
		core_error(c, "the tracer's record of process %d is not readable", (int)t->pid);
		t->ops->detach(t); /* nothing touched: let it go as it is */
	} else {
		ret = up_core_detach(c);
	}
	/* the record is the guardian's mapping, not ours to free */
	memset(&c->fb, 0, sizeof(c->fb));
	memset(&c->fb_shared, 0, sizeof(c->fb_shared));
	up_core_destroy(c);
	return ret;
}

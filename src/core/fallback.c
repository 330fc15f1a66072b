/* SPDX-License-Identifier: MIT */
/*
 * Installing and removing the in-process fallback (include/uptrace/fallback.h)
 * in the traced process: its record in memory shared with the target
 * (shared.c; the handler page mapped r-x, the data rw), then, by a remote
 * rt_sigaction, our handler for SIGTRAP with the program's own disposition
 * saved in the record. From then on the record is kept by plain stores
 * (fallback_record.c) as points are armed and return instances pushed. At
 * detach the program's own SIGTRAP disposition goes back and the mapping
 * goes away.
 *
 * A program that handles SIGTRAP itself keeps its handler and gets no
 * fallback (said with -v); so does a target the tracer cannot share memory
 * with (a remote stub), and an arch this build has no handler for.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core_internal.h"

#define FB_SIZE (64ull << 20) /* sparse: only what the tables touch is memory */

static int64_t fb_sigaction(struct up_core *c, pid_t tid, uint64_t act, uint64_t old)
{
	const uint64_t args[6] = {SIGTRAP, act, old, 8};

	return up_remote_syscall(c->t, tid, c->syscall_insn, c->arch->nr_rt_sigaction, args);
}

/* Where the target sees a field of the record's data. */
static uint64_t fb_remote(struct up_core *c, size_t offset)
{
	return c->fb_shared.remote + UP_FB_CODE_SIZE + offset;
}

static void fb_note(struct up_core *c, const char *why)
{
	if (c->cfg.verbose)
		fprintf(stderr, "uptrace: no in-process fallback in process %d: %s\n",
			(int)c->t->pid, why);
}

static void fb_drop(struct up_core *c, pid_t tid)
{
	shared_unmap(c, tid, &c->fb_shared);
	fb_record_release(&c->fb);
}

int fallback_install(struct up_core *c, pid_t tid)
{
	const struct up_code_blob *blob = c->arch->fallback;
	struct up_fb_data *d;
	int64_t r;
	int err;

	if (c->fb_shared.local || !blob || !c->trampoline)
		return 0;
	err = shared_map(c, tid, "uptrace-fallback", FB_SIZE, UP_FB_CODE_SIZE, &c->fb_shared);
	if (err) {
		fb_note(c, err == -ENOTSUP ? "the target shares no memory with uptrace"
					   : "no memory to share with it");
		return 0;
	}
	err = fb_record_init(&c->fb, c->fb_shared.local, FB_SIZE, c->arch);
	if (err) {
		fb_drop(c, tid);
		return 0;
	}
	d = c->fb.d;
	d->pid = c->t->pid;
	d->code = c->fb_shared.remote;
	d->syscall_insn = c->syscall_insn;
	for (unsigned i = 0; i < c->npages; i++)
		fb_page_add(&c->fb, c->pages[i].addr);
	fb_record_set_trampoline(&c->fb, c->trampoline);
	/* points armed before the install (none today: it runs before the first arm) */
	for (unsigned i = 0; i < c->points_cap; i++) {
		struct up_point *pt = c->points[i];
		if (pt && pt->armed)
			fb_point_add(&c->fb, pt->addr, pt->insn.bytes, pt->bp_len);
	}
	d->new_action[UP_FB_ACT_HANDLER] = c->fb_shared.remote + blob->handler;
	d->new_action[UP_FB_ACT_FLAGS] = c->arch->sigaction_flags;
	d->new_action[UP_FB_ACT_RESTORER] = c->fb_shared.remote + blob->restorer;
	d->new_action[UP_FB_ACT_MASK] = 0;
	r = fb_sigaction(c, tid, fb_remote(c, offsetof(struct up_fb_data, new_action)),
			 fb_remote(c, offsetof(struct up_fb_data, old_action)));
	if (r < 0) {
		fb_note(c, "rt_sigaction failed");
		fb_drop(c, tid);
		return 0;
	}
	if (d->old_action[UP_FB_ACT_HANDLER] > 1 /* neither SIG_DFL nor SIG_IGN */) {
		fb_sigaction(c, tid, fb_remote(c, offsetof(struct up_fb_data, old_action)), 0);
		fb_note(c, "the program handles SIGTRAP itself");
		fb_drop(c, tid);
		return 0;
	}
	__atomic_store_n(&d->live, 1, __ATOMIC_RELEASE);
	return 0;
}

bool fallback_contains(struct up_core *c, uint64_t pc)
{
	uint64_t code = c->fb_shared.remote;

	return code && pc >= code && pc < code + UP_FB_CODE_SIZE;
}

/* Detach: the program's own SIGTRAP disposition back, the mapping gone. */
int fallback_uninstall(struct up_core *c, pid_t tid)
{
	int64_t r;
	int ret;

	if (!c->fb_shared.local)
		return 0;
	r = fb_sigaction(c, tid, fb_remote(c, offsetof(struct up_fb_data, old_action)), 0);
	__atomic_store_n(&c->fb.d->live, 0, __ATOMIC_RELEASE);
	ret = shared_unmap(c, tid, &c->fb_shared);
	fb_record_release(&c->fb);
	return r < 0 ? (int)r : ret;
}

/* exec: the image, the mapping and the handler (reset by the kernel) are gone already. */
void fallback_forget(struct up_core *c)
{
	shared_forget(&c->fb_shared);
	fb_record_release(&c->fb);
}

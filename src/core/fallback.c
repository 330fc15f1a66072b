/* SPDX-License-Identifier: MIT */
/*
 * Installing and removing the in-process fallback (include/uptrace/fallback.h)
 * in the traced process: its record in memory shared with the target
 * (shared.c; the handler page mapped r-x, the data rw), then, by a remote
 * rt_sigaction, our handler for the breakpoint's signal (SIGSEGV on x86_64,
 * SIGTRAP elsewhere) with the program's own disposition
 * saved in the record. From then on the record is kept by plain stores
 * (fallback_record.c) as points are armed and return instances pushed. At
 * detach the program's own disposition goes back and the mapping
 * goes away.
 *
 * A program that handles that signal itself keeps its handler and gets no
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
	const uint64_t args[6] = {c->arch->bp_signal, act, old, 8};

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
		core_warn(c, "no in-process fallback in process %d: %s", (int)c->t->pid, why);
}

static void fb_drop(struct up_core *c, pid_t tid)
{
	shared_unmap(c, tid, &c->fb_shared);
	up_fb_record_release(&c->fb);
}

int fallback_install(struct up_core *c, pid_t tid)
{
	const struct up_code_blob *blob = c->arch->fallback;
	const struct up_point *pt;
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
	err = up_fb_record_init(&c->fb, c->fb_shared.local, FB_SIZE, c->arch);
	if (err) {
		fb_drop(c, tid);
		return 0;
	}
	d = c->fb.d;
	d->pid = c->t->pid;
	d->code = c->fb_shared.remote;
	d->syscall_insn = c->syscall_insn;
	for (unsigned i = 0; i < c->npages; i++)
		up_fb_page_add(&c->fb, c->pages[i].addr);
	up_fb_record_set_trampoline(&c->fb, c->trampoline);
	/* points armed before the install (none today: it runs before the first arm) */
	for (unsigned i = 0; (pt = up_table_next(&c->points, &i));)
		if (pt->armed)
			up_fb_point_add(&c->fb, pt->addr, pt->insn.bytes, pt->bp_len);
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
		fb_note(c, "the program handles the breakpoint's signal itself");
		fb_drop(c, tid);
		return 0;
	}
	__atomic_store_n(&d->live, 1, __ATOMIC_RELEASE);
	if (c->cfg.on_record)
		c->cfg.on_record(c->fb_shared.local_fd);
	return 0;
}

/*
 * A return instance is about to be hijacked: mirror it (entries the tracer
 * popped or dropped since go first). Cheap: a hash lookup and two stores.
 */
void fallback_push(struct up_core *c, struct up_thread *th, uint64_t orig_ret, uint64_t entry_sp)
{
	struct up_fb_thread *fth;

	if (!c->fb.d)
		return;
	fth = up_fb_thread_get(&c->fb, th->tid);
	up_fb_frames_set_depth(&c->fb, fth, th->depth);
	if (up_fb_frame_push(&c->fb, fth, orig_ret, entry_sp) && !c->fb_incomplete) {
		c->fb_incomplete = true;
		fb_note(c, "its record is full: returns past this point are not covered");
	}
}

/* A thread got a copy of another's instances (fork, vfork): mirror them all. */
void fallback_copy(struct up_core *c, struct up_thread *th)
{
	struct up_fb_thread *fth;

	if (!c->fb.d)
		return;
	fth = up_fb_thread_get(&c->fb, th->tid);
	up_fb_frames_set_depth(&c->fb, fth, 0);
	for (unsigned i = 0; i < th->depth; i++)
		up_fb_frame_push(&c->fb, fth, th->stack[i].orig_ret, th->stack[i].entry_sp);
}

bool fallback_contains(struct up_core *c, uint64_t pc)
{
	uint64_t code = c->fb_shared.remote;

	return code && pc >= code && pc < code + UP_FB_CODE_SIZE;
}

/*
 * Detach, in tid's address space (the traced process, or a followed child
 * with its copy of our mapping and of the signal's disposition): the
 * program's own disposition back and the mapping gone. All threads are
 * stopped and out of the handler.
 */
int fallback_remove(struct up_core *c, pid_t tid)
{
	const uint64_t args[6] = {c->fb_shared.remote, c->fb_shared.size};
	int64_t r, u;

	if (!c->fb_shared.remote)
		return 0;
	r = fb_sigaction(c, tid, fb_remote(c, offsetof(struct up_fb_data, old_action)), 0);
	u = up_remote_syscall(c->t, tid, c->syscall_insn, c->arch->nr_munmap, args);
	return r < 0 ? (int)r : u < 0 ? (int)u : 0;
}

/* After every removal: nothing left to recover (for the guardian), our own view gone. */
void fallback_release(struct up_core *c)
{
	if (c->fb.d)
		__atomic_store_n(&c->fb.d->live, 0, __ATOMIC_RELEASE);
	shared_forget(&c->fb_shared);
	up_fb_record_release(&c->fb);
}

/* exec: the image, the mapping and the handler (reset by the kernel) are gone already. */
void fallback_forget(struct up_core *c)
{
	shared_forget(&c->fb_shared);
	up_fb_record_release(&c->fb);
}

/* SPDX-License-Identifier: MIT */
/*
 * Detach: leave the process as if it had never been traced. With every
 * thread stopped: put the original bytes back, settle the stops that were
 * already on their way (a thread that trapped on a breakpoint now gone
 * re-executes the original instruction), step threads out of XOL slots,
 * restore hijacked return addresses, unmap the XOL pages, and detach.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

static void release_child(struct up_core *c, pid_t parent_tid, pid_t child)
{
	struct up_thread *parent = thread_find(c, parent_tid);

	if (parent && parent->pid != c->t->pid)
		core_select_space(c, parent_tid); /* -f: a followed child forked */
	uret_release_child(c, parent_tid, child);
	thread_remove(c, child);
	core_select_space(c, c->t->pid);
}

static void settle_pending_stops(struct up_core *c)
{
	struct up_stop st;

	for (int guard = 0; guard < 100000; guard++) {
		if (c->t->ops->wait(c->t, &st, 0))
			return;
		switch (st.kind) {
		case UP_STOP_TRAP:
			/* rewinds onto a restored point, or completes a return or slot trap */
			c->stopped_tid = st.tid;
			hit_handle_trap(c, st.tid, st.stepped, false);
			break;
		case UP_STOP_THREAD_EXIT:
			thread_remove(c, st.tid);
			break;
		case UP_STOP_FORK:
			/*
			 * A child forked as the detach began has our breakpoints in its copy
			 * of the text: it gets the original bytes back, and goes untraced.
			 */
			release_child(c, st.tid, st.new_pid);
			break;
		case UP_STOP_TIMEOUT:
		case UP_STOP_EXITED:
		case UP_STOP_KILLED:
			return;
		default:
			/* signals stay pending: the target delivers them at detach */
			break;
		}
	}
}

/*
 * Out of our pages: an XOL slot (a step or two) or the fallback's handler
 * (a thread running it for a SIGTRAP passed on to the program: bounded
 * loops and a sigreturn, a few hundred steps).
 */
static void step_out_of_slots(struct up_core *c, pid_t tid)
{
	struct up_regs regs;

	for (int steps = 0; steps < 20000; steps++) {
		if (c->t->ops->get_regs(c->t, tid, &regs))
			return;
		if (!xol_contains(c, regs.r[c->arch->pc_reg]) &&
		    !fallback_contains(c, regs.r[c->arch->pc_reg]))
			return;
		if (core_step(c, tid))
			return;
		fast_after_step(c, tid, regs.r[c->arch->pc_reg]);
		hit_handle_trap(c, tid, true, false);
	}
}

/* One stopped thread: out of any XOL slot, its hijacked return addresses put back. */
static int settle_thread(struct up_core *c, pid_t tid)
{
	struct up_thread *th;
	struct up_regs regs;
	bool changed = false;
	int err;

	if (core_select_space(c, tid))
		return 0; /* its process is gone */
	fast_settle_thread(c, tid);
	step_out_of_slots(c, tid);
	th = thread_find(c, tid);
	if (!th || th->depth == 0)
		return 0;
	if (c->t->ops->get_regs(c->t, tid, &regs))
		return 0; /* gone */
	err = uret_restore_thread(c, th, &regs, &changed);
	if (!err && changed)
		err = c->t->ops->set_regs(c->t, tid, &regs);
	/* a followed child that ended meanwhile: its memory went with it */
	if (err == -EIO && th->pid != c->t->pid)
		err = 0;
	return err == -ESRCH ? 0 : err;
}

/* Is err what touching a followed child that just ended gives? */
static bool child_gone_error(int err)
{
	return err == -ESRCH || err == -EIO || err == -ENOENT;
}

int up_core_detach(struct up_core *c)
{
	struct up_thread *th;
	struct up_point *pt;
	pid_t *tids;
	int n, err, ret = 0;

	err = c->t->ops->stop_all(c->t);
	if (err)
		return err;
	/* the program's USDT semaphores: back to what they were before us */
	ret = usdt_release_all(c);
	/* -f: each followed child has its own copy of our text and pages */
	for (unsigned k = 0; k < c->nchildren; k++) {
		if (c->t->ops->select_space(c->t, c->children[k]))
			continue; /* gone */
		for (unsigned i = 0; (pt = up_table_next(&c->points, &i));) {
			struct up_patch p[2];
			if (pt->armed && pt->fast)
				for (int k = fast_patches(pt, p) - 1; k >= 0; k--)
					core_write_text(c, p[k].addr, p[k].bytes, p[k].len);
			else if (pt->armed && point_still_ours(c, pt))
				core_write_text(c, pt->addr, pt->insn.bytes, pt->bp_len);
		}
	}
	if (c->cfg.follow)
		c->t->ops->select_space(c->t, c->t->pid);
	for (unsigned i = 0; (pt = up_table_next(&c->points, &i));) {
		if (!pt->armed)
			continue;
		if (c->main_exited) {
			/* only children remain: their text is restored above */
			point_forget(c, pt);
			continue;
		}
		err = point_restore(c, pt);
		if (err && !ret)
			ret = err;
	}
	settle_pending_stops(c);
	/* a signal handler's frame returning into a trampoline keeps its page */
	fast_keep_if_referenced(c);
	n = core_list_threads(c, &tids);
	if (n < 0 && !ret)
		ret = n; /* no memory for the list: restore what we can, detach all the same */
	for (int i = 0; i < n; i++) {
		err = settle_thread(c, tids[i]);
		if (err && !ret)
			ret = err;
	}
	/* -f: the threads of followed children, which the target's list leaves out */
	for (unsigned i = 0; c->nchildren && (th = up_table_next(&c->threads, &i));) {
		if (th->pid != c->t->pid) {
			err = settle_thread(c, th->tid);
			if (err && !ret)
				ret = err;
		}
	}
	/* no thread is in a trampoline now: what the ring holds is emitted before it goes */
	ring_learn_threads(c);
	ring_drain(c, false);
	/* the fallback first: its removal runs on our syscall instruction in the XOL page */
	for (unsigned k = 0; k < c->nchildren; k++) {
		c->t->ops->select_space(c->t, c->children[k]);
		err = fallback_remove(c, c->children[k]);
		if (err && err != -ESRCH && !ret)
			ret = err;
	}
	if (c->nchildren)
		c->t->ops->select_space(c->t, c->t->pid);
	if (n > 0 && !c->main_exited) {
		pid_t tid = 0;
		for (int i = 0; i < n && !tid; i++) {
			struct up_thread *th = thread_find(c, tids[i]);
			if (!th || th->pid == c->t->pid)
				tid = tids[i];
		}
		err = tid ? fallback_remove(c, tid) : 0;
		if (err && !ret)
			ret = err;
	}
	fallback_release(c);
	/* the trap-free path's shared memory: folded into the counts, then unmapped */
	if (n > 0 && !c->main_exited) {
		pid_t tid = 0;
		for (int i = 0; i < n && !tid; i++) {
			struct up_thread *th = thread_find(c, tids[i]);
			if (!th || th->pid == c->t->pid)
				tid = tids[i];
		}
		err = tid ? fast_release_space(c, tid) : 0;
		if (err && !ret)
			ret = err;
	}
	for (unsigned k = 0; k < c->nchildren; k++) {
		if (c->t->ops->select_space(c->t, c->children[k]))
			continue;
		err = fast_release_space(c, c->children[k]);
		if (err && !child_gone_error(err) && !ret)
			ret = err;
	}
	for (unsigned k = 0; k < c->nchildren && c->npages; k++) {
		uint64_t syscall_insn = c->syscall_insn;
		if (c->t->ops->select_space(c->t, c->children[k]))
			continue;
		err = xol_unmap_pages(c, c->children[k]);
		c->syscall_insn = syscall_insn;
		if (err && !child_gone_error(err) && !ret)
			ret = err;
	}
	if (c->cfg.follow)
		c->t->ops->select_space(c->t, c->t->pid);
	/* the pages go through any thread of ours: one that is gone meanwhile passes it on */
	err = -ESRCH;
	for (int i = 0; i < n && c->npages && !c->main_exited && err == -ESRCH; i++) {
		struct up_thread *th = thread_find(c, tids[i]);
		if (!th || th->pid == c->t->pid)
			err = xol_unmap_pages(c, tids[i]);
	}
	if (err && err != -ESRCH && !ret)
		ret = err;
	c->npages = 0;
	c->trampoline = 0;
	free(tids);
	err = c->t->ops->detach(c->t);
	return err ? err : ret;
}

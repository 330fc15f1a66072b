/* SPDX-License-Identifier: MIT */
/*
 * Return probes. At a function's entry the real return address is saved on
 * the thread's instance stack and replaced by the trampoline (a breakpoint
 * in the XOL page). When the function returns there, the instance is
 * popped, the return events are reported, and the thread goes on at the
 * real return address.
 *
 * Instances whose frames are gone (longjmp, exceptions) are recognised by
 * their stack pointer and dropped unreported, at the next entry or return.
 * At detach (and for a forked child) every hijacked return address still
 * on a stack or in the link register is put back.
 *
 * An unwinder (C++ exceptions, Rust panics, pthread_exit, backtrace())
 * reads return addresses to find each frame's CFI: when one starts
 * (unwinder.c) every hijacked return address of the thread is put back and
 * its instance marked unhooked, remembering where its copy was. Where the
 * unwinding ends in a frame that survives, the instances of unwound frames
 * are dropped unreported and the live ones hooked again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

static int rehook_next(struct up_core *c, struct up_thread *th, uint64_t below);

/* Drop instances whose frames lie below sp: they can never return through us. */
static void drop_stale(struct up_thread *th, uint64_t live_sp)
{
	while (th->depth > 0 && th->stack[th->depth - 1].entry_sp < live_sp)
		th->depth--;
}

/* Are the return probes' values wanted: events, or under --count a predicate or --hist=ARG? */
static bool needs_values(struct up_core *c, const struct up_point *pt)
{
	if (!c->cfg.count_only)
		return true;
	for (unsigned i = 0; i < pt->nprobes; i++) {
		const struct up_probe *p = pt->probes[i];

		if (p->is_return && (p->pred.nnodes || p->hist_value))
			return true;
	}
	return false;
}

int uret_enter(struct up_core *c, struct up_thread *th, struct up_point *pt, struct up_regs *regs,
	       uint64_t now)
{
	uint64_t sp = regs->r[c->arch->sp_reg], ret;
	int err;

	drop_stale(th, sp);
	if (thread_reserve_instance(th)) {
		th->lost++;
		return 0;
	}
	err = xol_ensure_trampoline(c, th->tid);
	if (err)
		return err;
	err = c->arch->return_address_get(c->arch, regs, &c->mem, &ret);
	if (err)
		return err;
	if (pt->captures && needs_values(c, pt) && !th->entry_values) {
		th->entry_values = calloc(th->stack_cap, sizeof(*th->entry_values));
		if (!th->entry_values)
			return -ENOMEM;
	}
	if (th->entry_values) {
		th->entry_values[th->depth].ok = 0;
		if (pt->captures && needs_values(c, pt))
			fetch_entry_values(c, th, regs, pt, &th->entry_values[th->depth]);
	}
	/* the fallback's mirror first: a tracer killed after the write leaves a return it completes */
	fallback_push(c, th, ret, sp);
	err = c->arch->return_address_set(c->arch, regs, &c->mem, c->trampoline);
	if (err)
		return err;
	th->stack[th->depth++] = (struct up_instance){
	    .orig_ret = ret,
	    .entry_sp = sp,
	    .ts_ns = now,
	    .point = pt,
	};
	return 0;
}

static void emit_return(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
			const struct up_instance *in, uint64_t now)
{
	struct up_point *pt = in->point;
	uint64_t dur = now > in->ts_ns ? now - in->ts_ns : 0;

	if (!pt)
		return; /* an instance a recovery adopted: its probes are gone with the tracer */

	for (unsigned i = 0; i < pt->nprobes; i++) {
		struct up_probe *p = pt->probes[i];
		struct up_event ev;

		if (!p->is_return)
			continue;
		/* --count fetches nothing, unless a predicate or --hist=ARG needs the values */
		if (!c->cfg.count_only || p->pred.nnodes || p->hist_value) {
			ev.ts_ns = now;
			ev.pid = th->pid;
			ev.tid = th->tid;
			ev.probe = p;
			ev.is_return = true;
			ev.duration_ns = dur;
			fetch_return_event(
			    c, th, regs, pt, p,
			    th->entry_values ? &th->entry_values[in - th->stack] : NULL, &ev);
			if (!pred_keep(p, &ev, th->comm))
				continue;
			if (p->hist_value)
				hist_record(p, &ev);
		}
		p->hits++;
		if (c->cfg.want_durations)
			up_hist_add(p, dur);
		if (c->cfg.count_only) {
			core_emit(c, NULL);
			continue;
		}
		ev.nframes = 0;
		if (c->cfg.stack)
			ev.frames[ev.nframes++] = in->orig_ret;
		core_emit(c, &ev);
	}
}

/*
 * The thread is at the trampoline: its function returned. The matching
 * instance has entry_sp == sp - (bytes the return popped); a chain of
 * tail calls through probed functions returns through several at once.
 * An unhooked instance returns through its real address, not here: one
 * on top is this return's only if its frame is the one returning.
 */
int uret_return(struct up_core *c, struct up_thread *th, struct up_regs *regs, uint64_t now)
{
	uint64_t entry_sp = regs->r[c->arch->sp_reg] - c->arch->stack_arg_offset;
	uint64_t target;

	drop_stale(th, entry_sp);
	if (th->depth == 0 ||
	    (th->stack[th->depth - 1].unhooked && th->stack[th->depth - 1].entry_sp != entry_sp)) {
		core_error(c,
			   "thread %d returned to the uretprobe trampoline with no return "
			   "address saved",
			   (int)th->tid);
		return -ENOENT;
	}
	do {
		struct up_instance *in = &th->stack[--th->depth];
		emit_return(c, th, regs, in, now);
		target = in->orig_ret;
	} while (target == c->trampoline && th->depth > 0 &&
		 th->stack[th->depth - 1].entry_sp == entry_sp);
	regs->r[c->arch->pc_reg] = target;
	/*
	 * The fallback's mirror keeps the popped instance until the next push:
	 * until this thread is resumed the dead tracer's handler must still be
	 * able to complete this very return, and later ones drop it by its sp.
	 */
	/* after an exception: the caller, live, takes its trampoline back now */
	return rehook_next(c, th, th->unwind_sp ? th->unwind_sp : UINT64_MAX);
}

/* Effective original return address of instance i: through chained tail calls. */
static uint64_t effective_orig(struct up_core *c, struct up_thread *th, unsigned i)
{
	while (th->stack[i].orig_ret == c->trampoline && i > 0)
		i--;
	return th->stack[i].orig_ret;
}

/*
 * Find every copy of the trampoline address on the thread's stack (or in
 * its link register) and the instance each belongs to: the one with the
 * smallest entry sp at or above the copy's address. Calls fn for each.
 */
static int for_each_hijack(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
			   int (*fn)(void *ctx, uint64_t where, uint64_t orig, unsigned i),
			   void *ctx)
{
	uint64_t sp = regs->r[c->arch->sp_reg], top = 0;
	const size_t chunk = 8192;
	uint64_t *buf;
	int err = 0;

	if (th->depth == 0)
		return 0;
	for (unsigned i = 0; i < th->depth; i++)
		if (th->stack[i].entry_sp > top)
			top = th->stack[i].entry_sp;
	top += 8;
	if (top <= sp)
		return 0;
	buf = malloc(chunk * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	for (uint64_t at = sp & ~7ull; at < top && !err;) {
		size_t n = (top - at + 7) / 8 > chunk ? chunk : (top - at + 7) / 8;
		err = c->t->ops->read(c->t, at, buf, n * 8);
		if (err)
			break;
		for (size_t k = 0; k < n; k++) {
			uint64_t where = at + 8 * k;
			int best = -1;
			if (buf[k] != c->trampoline)
				continue;
			for (unsigned i = 0; i < th->depth; i++)
				if (th->stack[i].entry_sp >= where &&
				    (best < 0 || th->stack[i].entry_sp < th->stack[best].entry_sp))
					best = (int)i;
			if (best >= 0) {
				err = fn(ctx, where, effective_orig(c, th, (unsigned)best),
					 (unsigned)best);
				if (err)
					break;
			}
		}
		at += n * 8;
	}
	free(buf);
	return err;
}

static int write_back(void *ctx, uint64_t where, uint64_t orig, unsigned i)
{
	struct up_core *c = ctx;
	return c->t->ops->write(c->t, where, &orig, 8);
}

/* Detach: put every hijacked return address of this (stopped) thread back. */
int uret_restore_thread(struct up_core *c, struct up_thread *th, struct up_regs *regs,
			bool *regs_changed)
{
	int err;

	*regs_changed = false;
	if (th->depth == 0)
		return 0;
	if (c->arch->ra_reg >= 0 && regs->r[c->arch->ra_reg] == c->trampoline) {
		regs->r[c->arch->ra_reg] = effective_orig(c, th, th->depth - 1);
		*regs_changed = true;
	}
	err = for_each_hijack(c, th, regs, write_back, c);
	if (err)
		return err;
	th->depth = 0;
	return 0;
}

struct take_back {
	struct up_core *c;
	struct up_thread *th;
};

static int take_back_one(void *ctx, uint64_t where, uint64_t orig, unsigned i)
{
	struct take_back *tb = ctx;
	int err = tb->c->t->ops->write(tb->c->t, where, &orig, 8);

	/* the lowest copy is where the function's return reads it */
	if (!err && !tb->th->stack[i].unhooked && !tb->th->stack[i].slot)
		tb->th->stack[i].slot = where;
	return err;
}

/* Is instance i a tail call's, sharing the return address of the one before it? */
static bool chained(struct up_core *c, const struct up_thread *th, unsigned i)
{
	return i > 0 && th->stack[i].orig_ret == c->trampoline;
}

/*
 * An unwinder starts in this (stopped) thread: put back every return
 * address it has hijacked, so that each frame's CFI is found, and mark its
 * instances unhooked. Frames below sp are gone already and are dropped.
 * Where the return address sits at the function's entry sp (no link
 * register: x86_64), that is the one word the unwinder reads for the
 * frame; elsewhere the callee saved the link register where it chose, and
 * the stack is searched for copies.
 */
int uret_unhook_all(struct up_core *c, struct up_thread *th, struct up_regs *regs,
		    bool *regs_changed)
{
	struct take_back tb = {c, th};
	unsigned hooked = 0;
	int err = 0;

	*regs_changed = false;
	drop_stale(th, regs->r[c->arch->sp_reg]);
	for (unsigned i = 0; i < th->depth; i++) {
		struct up_instance *in = &th->stack[i];
		uint64_t there;

		if (in->unhooked)
			continue;
		hooked++;
		in->slot = 0;
		if (c->arch->ra_reg >= 0 || chained(c, th, i))
			continue;
		if (c->t->ops->read(c->t, in->entry_sp, &there, 8) == 0 && there == c->trampoline) {
			err = c->t->ops->write(c->t, in->entry_sp, &in->orig_ret, 8);
			if (err)
				return err;
			in->slot = in->entry_sp;
		}
	}
	if (!hooked)
		return 0;
	if (c->arch->ra_reg >= 0) {
		if (regs->r[c->arch->ra_reg] == c->trampoline) {
			regs->r[c->arch->ra_reg] = effective_orig(c, th, th->depth - 1);
			*regs_changed = true;
		}
		err = for_each_hijack(c, th, regs, take_back_one, &tb);
	}
	for (unsigned i = 0; i < th->depth; i++)
		th->stack[i].unhooked = true;
	return err;
}

bool uret_any_unhooked(const struct up_thread *th)
{
	for (unsigned i = th->depth; i > 0; i--)
		if (th->stack[i - 1].unhooked)
			return true;
	return false;
}

/*
 * Give the innermost live instance that can take it its trampoline back
 * (with the tail calls chained to it), if it has none: when it returns
 * there, the next one out gets its own, so that a landing costs one write,
 * not one per frame. An instance whose return address is no longer where it
 * was returns unreported and is dropped as stale; instances at or above
 * `below` belong to an unwinding still under way further up, and are left
 * for it to read.
 */
static int rehook_next(struct up_core *c, struct up_thread *th, uint64_t below)
{
	for (unsigned i = th->depth; i > 0; i--) {
		struct up_instance *in = &th->stack[i - 1];
		uint64_t there;
		int err;

		if (!in->unhooked || in->entry_sp >= below)
			return 0;
		if (chained(c, th, i - 1))
			continue;
		if (!in->slot || c->t->ops->read(c->t, in->slot, &there, 8) ||
		    there != in->orig_ret)
			continue;
		err = c->t->ops->write(c->t, in->slot, &c->trampoline, 8);
		if (err)
			return err;
		for (unsigned k = i - 1; k < th->depth && (k == i - 1 || chained(c, th, k)); k++)
			th->stack[k].unhooked = false;
		return 0;
	}
	return 0;
}

/*
 * The thread is where an unwinding ended, in a frame that survives (a
 * landing pad, or just after a backtrace). Instances whose functions
 * returned here through the real address we put back (returned_to: this
 * PC, else 0) are reported; those whose frames are at or below sp were
 * unwound and are dropped unreported, as frames skipped by longjmp; the
 * innermost live one gets its trampoline back (rehook_next).
 */
int uret_landed(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
		uint64_t returned_to, uint64_t below, uint64_t now)
{
	uint64_t sp = regs->r[c->arch->sp_reg], off = c->arch->stack_arg_offset;

	while (returned_to && th->depth > 0) {
		struct up_instance *in = &th->stack[th->depth - 1];
		if (!in->unhooked || in->entry_sp + off != sp ||
		    effective_orig(c, th, th->depth - 1) != returned_to)
			break;
		emit_return(c, th, regs, in, now);
		th->depth--;
	}
	while (th->depth > 0 && th->stack[th->depth - 1].entry_sp + off <= sp)
		th->depth--;
	return rehook_next(c, th, below);
}

/*
 * The real return addresses that copies of the trampoline on the thread's
 * stack stand for, innermost first: one per hooked instance (a chain of
 * tail calls has one copy). Returns how many (at most max).
 */
unsigned uret_originals(struct up_core *c, const struct up_thread *th, uint64_t *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = th->depth; i > 0 && n < max; i--) {
		const struct up_instance *in = &th->stack[i - 1];
		if (in->unhooked || chained(c, th, i - 1))
			continue;
		out[n++] = in->orig_ret;
	}
	return n;
}

struct child_patches {
	struct up_patch *p;
	int n, max;
};

static int add_patch(void *ctx, uint64_t where, uint64_t orig, unsigned i)
{
	struct child_patches *cp = ctx;

	if (cp->n == cp->max)
		return -E2BIG;
	cp->p[cp->n].addr = where;
	memcpy(cp->p[cp->n].bytes, &orig, 8);
	cp->p[cp->n].len = 8;
	cp->n++;
	return 0;
}

/*
 * A child forked by parent_tid is not traced: give it back the original
 * text and the return addresses the parent's thread had hijacked (its
 * stack is a copy of the parent's), then let it go.
 */
int uret_release_child(struct up_core *c, pid_t parent_tid, pid_t child)
{
	/* a trap-free window takes two patches */
	struct child_patches cp = {.max = (int)(2 * c->points.count + c->nsemaphores) + 1024};
	struct up_thread *th = thread_find(c, parent_tid);
	struct up_point *pt;
	struct up_regs regs;
	int err = 0;

	cp.p = calloc((size_t)cp.max, sizeof(*cp.p));
	if (!cp.p)
		return -ENOMEM;
	for (unsigned i = 0; (pt = up_table_next(&c->points, &i));) {
		if (!pt->armed && !pt->restored) /* restored: the child may be older */
			continue;
		if (pt->fast) {
			cp.n += fast_patches(pt, cp.p + cp.n);
			continue;
		}
		cp.p[cp.n].addr = pt->addr;
		memcpy(cp.p[cp.n].bytes, pt->insn.bytes, pt->bp_len);
		cp.p[cp.n].len = pt->bp_len;
		cp.n++;
	}
	err = usdt_child_patches(c, th ? th->pid : c->t->pid, cp.p, &cp.n, cp.max);
	if (!err && th && th->depth && c->t->ops->get_regs(c->t, parent_tid, &regs) == 0)
		err = for_each_hijack(c, th, &regs, add_patch, &cp);
	if (!err)
		err = c->t->ops->child_release(c->t, child, cp.p, cp.n);
	free(cp.p);
	return err;
}

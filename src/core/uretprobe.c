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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"
#include "uptrace/output.h"

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
	if (th->depth == INSTANCE_STACK_MAX) {
		th->lost++;
		return 0;
	}
	err = xol_ensure_trampoline(c, th->tid);
	if (err)
		return err;
	err = c->arch->return_address_get(regs, &c->mem, &ret);
	if (err)
		return err;
	if (pt->captures && needs_values(c, pt) && !th->entry_values) {
		th->entry_values = calloc(INSTANCE_STACK_MAX, sizeof(*th->entry_values));
		if (!th->entry_values)
			return -ENOMEM;
	}
	if (th->entry_values) {
		th->entry_values[th->depth].ok = 0;
		if (pt->captures && needs_values(c, pt))
			fetch_entry_values(c, th, regs, pt, &th->entry_values[th->depth]);
	}
	err = c->arch->return_address_set(regs, &c->mem, c->trampoline);
	if (err)
		return err;
	th->stack[th->depth++] = (struct up_instance){
		.orig_ret = ret, .entry_sp = sp, .ts_ns = now, .point = pt,
	};
	return 0;
}

static void emit_return(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
			const struct up_instance *in, uint64_t now)
{
	struct up_point *pt = in->point;
	uint64_t dur = now > in->ts_ns ? now - in->ts_ns : 0;

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
			fetch_return_event(c, th, regs, pt, p,
					   th->entry_values ? &th->entry_values[in - th->stack]
							    : NULL,
					   &ev);
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
 */
int uret_return(struct up_core *c, struct up_thread *th, struct up_regs *regs, uint64_t now)
{
	uint64_t entry_sp = regs->r[c->arch->sp_reg] - c->arch->stack_arg_offset;
	uint64_t target;

	drop_stale(th, entry_sp);
	if (th->depth == 0) {
		core_error(c, "thread %d returned to the uretprobe trampoline with no return "
			      "address saved", (int)th->tid);
		return -ENOENT;
	}
	do {
		struct up_instance *in = &th->stack[--th->depth];
		emit_return(c, th, regs, in, now);
		target = in->orig_ret;
	} while (target == c->trampoline && th->depth > 0 &&
		 th->stack[th->depth - 1].entry_sp == entry_sp);
	regs->r[c->arch->pc_reg] = target;
	return 0;
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
			   int (*fn)(void *ctx, uint64_t where, uint64_t orig), void *ctx)
{
	uint64_t sp = regs->r[c->arch->sp_reg], top = 0;
	static uint64_t buf[65536];
	int err;

	if (th->depth == 0)
		return 0;
	for (unsigned i = 0; i < th->depth; i++)
		if (th->stack[i].entry_sp > top)
			top = th->stack[i].entry_sp;
	top += 8;
	if (top <= sp)
		return 0;
	for (uint64_t at = sp & ~7ull; at < top;) {
		size_t n = (top - at) / 8 > 65536 ? 65536 : (top - at) / 8;
		err = c->t->ops->read(c->t, at, buf, n * 8);
		if (err)
			return err;
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
				err = fn(ctx, where, effective_orig(c, th, (unsigned)best));
				if (err)
					return err;
			}
		}
		at += n * 8;
	}
	return 0;
}

static int write_back(void *ctx, uint64_t where, uint64_t orig)
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

struct child_patches {
	struct up_patch *p;
	int n, max;
};

static int add_patch(void *ctx, uint64_t where, uint64_t orig)
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
	struct child_patches cp = { .max = (int)(c->npoints + c->nsemaphores) + 1024 };
	struct up_thread *th = thread_find(c, parent_tid);
	struct up_regs regs;
	int err = 0;

	cp.p = calloc((size_t)cp.max, sizeof(*cp.p));
	if (!cp.p)
		return -ENOMEM;
	for (unsigned i = 0; i < c->points_cap; i++) {
		struct up_point *pt = c->points[i];
		if (!pt || !pt->armed)
			continue;
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

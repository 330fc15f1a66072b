/* SPDX-License-Identifier: MIT */
/*
 * The hit path (design.md "the life of a probe hit"): a thread trapped; map
 * the trap to a probe point, the uretprobe trampoline, or an XOL slot's
 * trailing breakpoint; run the handlers; complete the displaced instruction
 * by simulation or out of line; resume that one thread. One get_regs, one
 * set_regs and one resume per hit; memory only for what the handlers read.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "core_internal.h"
#include "uptrace/sym.h"

uint64_t core_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void core_emit(struct up_core *c, struct up_event *ev)
{
	c->events++;
	if (c->cfg.on_event && !c->cfg.count_only)
		c->cfg.on_event(c->cfg.ctx, ev);
	if (c->cfg.max_events && c->events >= c->cfg.max_events)
		up_core_stop_requested = 1;
}

/*
 * --stack: the callers' return addresses, innermost first, unwound by
 * libdwfl from CFI; where it cannot (no CFI, a trampoline copy in the way)
 * the return address and then the frame-pointer chain. At a function's
 * first instruction its own frame does not exist yet, so the chain starts
 * at the caller's frame. Copies of the uretprobe trampoline show as the
 * return addresses they stand for.
 */
static void capture_stack(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
			  const struct up_probe *p, struct up_event *ev)
{
	const struct up_arch *a = c->arch;
	uint64_t ret, fp, prev = 0;
	int n;

	struct up_regs at = *regs;
	uint64_t originals[UP_STACK_MAX];
	unsigned norig, used = 0;

	ev->nframes = 0;
	at.r[a->pc_reg] = p->addr; /* where the thread stands: the probed instruction */
	norig = uret_originals(c, th, originals, UP_STACK_MAX);
	n = up_sym_unwind(c->sym, th->tid, &at, ev->frames, UP_STACK_MAX, c->trampoline, originals,
			  (int)norig);
	if (n > 1) {
		ev->nframes = (unsigned)n;
		return;
	}
	if (p->offset == 0 && a->return_address_get(a, regs, &c->mem, &ret) == 0)
		ev->frames[ev->nframes++] = ret;
	if (a->fp_reg < 0)
		goto map_trampoline;
	fp = regs->r[a->fp_reg];
	while (ev->nframes < UP_STACK_MAX && fp > prev && fp % 8 == 0) {
		uint64_t next;
		if (c->t->ops->read(c->t, fp + a->fp_ra_offset, &ret, 8) ||
		    c->t->ops->read(c->t, fp + a->fp_next_offset, &next, 8) || ret == 0)
			break;
		ev->frames[ev->nframes++] = ret;
		prev = fp;
		fp = next;
	}
map_trampoline:
	for (unsigned i = 0; i < ev->nframes; i++)
		if (c->trampoline && ev->frames[i] == c->trampoline && used < norig)
			ev->frames[i] = originals[used++];
}

static void emit_entry(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
		       struct up_probe *p, uint64_t now)
{
	struct up_event ev;

	/* --count fetches nothing, unless a predicate or --hist=ARG needs the values */
	if (!c->cfg.count_only || p->pred.nnodes || p->hist_value) {
		ev.ts_ns = now;
		ev.pid = th->pid;
		ev.tid = th->tid;
		ev.probe = p;
		ev.is_return = false;
		ev.retval = 0;
		ev.duration_ns = 0;
		fetch_event_args(c, th, regs, p, &ev);
		if (!pred_keep(p, &ev, th->comm))
			return;
		if (p->hist_value)
			hist_record(p, &ev);
	}
	up_probe_counter(p)->hits++;
	if (c->cfg.count_only) {
		core_emit(c, NULL);
		return;
	}
	ev.nframes = 0;
	if (c->cfg.stack)
		capture_stack(c, th, regs, p, &ev);
	core_emit(c, &ev);
}

/*
 * The dynamic linker reports a change to its list of libraries: forget the
 * points of modules it unmapped, then arm what is now resolvable.
 */
static int library_event(struct up_core *c, pid_t tid)
{
	int n = up_sym_refresh(c->sym);

	if (n < 0)
		return n;
	points_forget_unmapped(c);
	if (!c->libs_loaded && load_initial_done(c, n)) {
		c->libs_loaded = true;
		load_watch_stop(c);
		n = resolve_pending(c, true);
	} else if (n > 0 || resolve_waiting(c)) {
		n = resolve_pending(c, false);
		if (!n)
			n = load_watch_relocation(c);
	} else {
		return 0;
	}
	/* return probes and the unwinder may both have just arrived */
	return n ? n : unwind_hooks_refresh(c);
}

static int complete_insn(struct up_core *c, struct up_thread *th, struct up_point *pt,
			 struct up_regs *regs)
{
	regs->r[c->arch->pc_reg] = pt->addr;
	if (pt->insn.action == UP_INSN_SIMULATE)
		return c->arch->simulate(c->arch, &pt->insn, regs, &c->mem);
	c->arch->xol_enter(c->arch, &pt->insn, &pt->xol, pt->slot, regs, &th->xol_state);
	return 0;
}

static int handle_point(struct up_core *c, pid_t tid, struct up_point *pt, struct up_regs *regs,
			bool resume)
{
	struct up_thread *th = thread_get(c, tid);
	uint64_t now = 0;
	int err;

	if (!th)
		return -ENOMEM;
	if (pt->is_rbrk) {
		c->stopped_tid = tid;
		err = library_event(c, tid);
		if (err)
			return err;
	}
	/* the ring's records come first: each thread's events in its order, both paths in time */
	if (c->ring)
		ring_learn(c, tid, regs); /* the library hook too: a thread pointer set since */
	if (c->ring && pt->nprobes)
		ring_drain(c, false);
	if (pt->nprobes && (!c->cfg.count_only || pt->has_return))
		now = core_now_ns();
	if (pt->has_entry)
		for (unsigned i = 0; i < pt->nprobes; i++)
			if (!pt->probes[i]->is_return)
				emit_entry(c, th, regs, pt->probes[i], now);
	if (pt->has_return) {
		err = uret_enter(c, th, pt, regs, now);
		if (err)
			return err;
	}
	/* after uret_enter: an unwinder's own return address is put back with the rest */
	if (pt->unwind) {
		err = unwind_hit(c, th, pt, regs);
		if (err)
			return err;
	}
	err = complete_insn(c, th, pt, regs);
	if (err) {
		core_error(c, "cannot complete '%s' at 0x%llx: %s", pt->insn.text,
			   (unsigned long long)pt->addr, strerror(-err));
		return err;
	}
	err = c->t->ops->set_regs(c->t, tid, regs);
	if (err)
		return err;
	return resume ? c->t->ops->resume(c->t, tid, 0) : 0;
}

/*
 * Handle a breakpoint or single-step stop of tid. Returns 0 when handled (and the thread
 * resumed if `resume`), 1 when the trap is not ours (deliver it), or a
 * negative errno on a fatal error.
 */
int hit_handle_trap(struct up_core *c, pid_t tid, bool stepped, bool resume)
{
	struct up_regs regs;
	struct up_point *pt;
	uint64_t pc, at, slot;
	int err;

	err = core_select_space(c, tid);
	if (!err)
		err = c->t->ops->get_regs(c->t, tid, &regs);
	if (err)
		return err == -ESRCH ? 0 : err;
	pc = regs.r[c->arch->pc_reg];
	at = pc - c->arch->bp_pc_adjust;

	/* a single-step's trap is never a breakpoint hit, even right after one */
	pt = stepped ? NULL : point_find(c, at);
	if (pt && pt->armed)
		return handle_point(c, tid, pt, &regs, resume);

	/* (a step can end here too: deliver_signal steps a thread over the trampoline's bp) */
	if (c->trampoline && at == c->trampoline) {
		struct up_thread *th = thread_get(c, tid);
		if (!th)
			return -ENOMEM;
		err = uret_return(c, th, &regs, core_now_ns());
		if (err)
			return err;
		goto set_and_resume;
	}

	pt = xol_point_at(c, at, &slot);
	if (pt && pt->xol.exit == UP_XOL_EXIT_TRAP && at == slot + pt->xol.trap_offset) {
		struct up_thread *th = thread_get(c, tid);
		if (!th)
			return -ENOMEM;
		err = c->arch->xol_leave(c->arch, &pt->insn, &pt->xol, slot, &regs, &c->mem,
					 &th->xol_state);
		if (err)
			return err;
		goto set_and_resume;
	}

	/* A trap at a breakpoint removed after this thread hit it: run the original instruction. */
	if (!stepped && point_was_removed(c, at)) {
		regs.r[c->arch->pc_reg] = at;
		goto set_and_resume;
	}
	/* on a trap-free window's padding: on from that instruction's relocated copy */
	if (!stepped && fast_stray(c, at, &regs))
		goto set_and_resume;
	return 1;

set_and_resume:
	err = c->t->ops->set_regs(c->t, tid, &regs);
	if (err)
		return err;
	return resume ? c->t->ops->resume(c->t, tid, 0) : 0;
}

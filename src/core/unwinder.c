/* SPDX-License-Identifier: MIT */
/*
 * Unwinders through return probes. A C++ throw, a Rust panic, pthread_exit
 * and backtrace() walk the stack with the CFI of each frame, found by its
 * return address: one replaced by the uretprobe trampoline has no CFI, and
 * the unwinder gives up (std::terminate, "failed to initiate panic", a cut
 * backtrace). So the core stops the thread where an unwinder starts and
 * where it ends, with points of its own that count nothing:
 *
 *   _Unwind_RaiseException, _Unwind_Resume, _Unwind_Resume_or_Rethrow,
 *   _Unwind_ForcedUnwind, _Unwind_Backtrace (entries)
 *        every return address the thread's instances hijacked is put back
 *        (uret_unhook_all), remembering where each was;
 *   _Unwind_SetIP (a personality routine naming the landing pad it is
 *   about to install: C++, Rust and C cleanups alike)
 *        a point on that landing pad;
 *   the landing pad (the unwinding stops in this frame: its sp is exact)
 *        instances of the frames below are dropped unreported, as frames
 *        skipped by longjmp; the live ones get the trampoline back. A
 *        cleanup pad calls _Unwind_Resume next, which puts them back again;
 *   the return from _Unwind_Backtrace (a point after its call)
 *        the same, and a probe on the function that returned is reported.
 *
 * The hooks exist only while some return probe does; they are looked up
 * in every module at start, at exec and at each library load (glibc loads
 * libgcc_s.so.1 on its first pthread_exit or backtrace()).
 */
#include <errno.h>
#include <stdint.h>

#include "core_internal.h"
#include "uptrace/sym.h"

enum unwind_role {
	UNWIND_START = 1,     /* an unwinder's entry */
	UNWIND_BACKTRACE = 2, /* _Unwind_Backtrace's entry: it returns to its caller */
	UNWIND_SET_IP = 4,    /* _Unwind_SetIP(context, landing pad) */
	UNWIND_LANDING = 8,   /* a landing pad an unwinder installed */
	UNWIND_RETURNED = 16, /* just after a call of _Unwind_Backtrace */
};

static const char *const hook_names[] = {
    "_Unwind_RaiseException", "_Unwind_Resume",	   "_Unwind_Resume_or_Rethrow",
    "_Unwind_ForcedUnwind",   "_Unwind_Backtrace", "_Unwind_SetIP",
};
static const uint8_t hook_roles[] = {
    UNWIND_START, UNWIND_START, UNWIND_START, UNWIND_START, UNWIND_BACKTRACE, UNWIND_SET_IP,
};

/*
 * A point of ours at addr with this role. An address we cannot place a
 * breakpoint on leaves that unwinder as it was (return probes then cut it
 * short, as before); only running out of memory is an error.
 */
static int hook_at(struct up_core *c, uint64_t addr, uint8_t role)
{
	bool had_error = c->err && c->errlen && c->err[0];
	struct up_point *pt;
	int err;

	pt = point_get_internal(c, addr, &err);
	if (pt)
		pt->unwind |= role;
	if (!had_error && c->err && c->errlen)
		c->err[0] = 0; /* not the user's probe: nothing to report */
	return err == -ENOMEM ? err : 0;
}

static int hook_named(void *ctx, unsigned which, uint64_t addr)
{
	return hook_at(ctx, addr, hook_roles[which]);
}

int unwind_hooks_refresh(struct up_core *c)
{
	bool any = false;

	for (unsigned i = 0; i < c->nprobes && !any; i++)
		any = c->probes[i]->is_return && !c->probes[i]->retired;
	if (!any)
		return 0;
	return up_sym_each_named(c->sym, hook_names, sizeof(hook_names) / sizeof(hook_names[0]),
				 hook_named, c);
}

int unwind_hit(struct up_core *c, struct up_thread *th, struct up_point *pt, struct up_regs *regs)
{
	uint64_t sp = regs->r[c->arch->sp_reg], ret;
	bool changed;
	int err;

	c->stopped_tid = th->tid; /* a new point's XOL slot is mapped through this thread */
	if ((pt->unwind & (UNWIND_START | UNWIND_BACKTRACE)) && th->depth) {
		err = uret_unhook_all(c, th, regs, &changed);
		if (err)
			return err;
		if (uret_any_unhooked(th)) {
			/* the outermost unwinding under way: what lies above it is its to read */
			if (sp > th->unwind_sp)
				th->unwind_sp = sp;
			if ((pt->unwind & UNWIND_BACKTRACE) &&
			    c->arch->return_address_get(c->arch, regs, &c->mem, &ret) == 0 &&
			    up_sym_in_code(c->sym, ret)) {
				err = hook_at(c, ret, UNWIND_RETURNED);
				if (err)
					return err;
			}
		}
	}
	if ((pt->unwind & UNWIND_SET_IP) && uret_any_unhooked(th)) {
		uint64_t pad = regs->r[c->arch->arg_regs[1]];
		struct up_point *known = point_find(c, pad);

		/* a breakpoint goes only into code, never where a bad value points */
		if ((known && (known->unwind & UNWIND_LANDING)) || up_sym_in_code(c->sym, pad)) {
			err = hook_at(c, pad, UNWIND_LANDING);
			if (err)
				return err;
		}
	}
	if (pt->unwind & (UNWIND_LANDING | UNWIND_RETURNED)) {
		/* inside a signal handler that interrupted an unwinding: leave that one's frames */
		bool nested = th->unwind_sp && sp < th->unwind_sp;
		uint64_t returned_to = (pt->unwind & UNWIND_RETURNED) ? pt->addr : 0;

		if (uret_any_unhooked(th)) {
			err = uret_landed(c, th, regs, returned_to,
					  nested ? th->unwind_sp : UINT64_MAX, core_now_ns());
			if (err)
				return err;
		}
		if (!nested)
			th->unwind_sp = 0;
	}
	return 0;
}

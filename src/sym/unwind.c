/* SPDX-License-Identifier: MIT */
/*
 * --stack: the call stack of a stopped thread, unwound by libdwfl from the
 * modules' CFI (.eh_frame, .debug_frame), so it goes through code built
 * without frame pointers too. libdwfl asks us for the thread's registers
 * (the ones the core already holds, in DWARF numbering through the arch's
 * dwarf_reg) and for memory (through the target). Not on the hit path
 * unless --stack was asked for.
 */
#include <errno.h>
#include <string.h>

#include "sym_internal.h"
#include "uptrace/arch.h"
#include "uptrace/target.h"

#define DWARF_REGS_MAX 33

/* What one unwind needs: set before dwfl_getthread_frames, read by the callbacks. */
struct unwind_ctx {
	struct up_symtab *s;
	pid_t tid;
	const struct up_regs *regs;
	uint64_t *frames;
	int max, n;
	uint64_t trampoline;	   /* return addresses replaced by it ... */
	const uint64_t *originals; /* ... stand for these, innermost first */
	int noriginals, used;
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	/* only the thread asked for exists for libdwfl: get_thread finds it */
	return 0;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct unwind_ctx *u = ((struct up_symtab *)arg)->unwinding;

	*thread_argp = u;
	return u && u->tid == tid;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct up_symtab *s = arg;
	struct unwind_ctx *u = s->unwinding;
	uint64_t v;

	if (s->t->ops->read(s->t, addr, &v, sizeof(v)))
		return false;
	/* a return address our trampoline took over: the walk goes on from the real one */
	if (u && u->trampoline && v == u->trampoline && u->used < u->noriginals)
		v = u->originals[u->used++];
	*result = v;
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct unwind_ctx *u = thread_arg;
	const struct up_arch *a = u->s->t->arch;
	Dwarf_Word regs[DWARF_REGS_MAX];
	unsigned n = 0;

	/*
	 * DWARF registers 0..n-1, as long as each has an up_regs index; the PC
	 * (x86_64's return-address column 16) goes in by register_pc below.
	 */
	while (n < DWARF_REGS_MAX) {
		int idx = a->dwarf_reg(a, n);
		if (idx < 0 || idx >= UP_REGS_MAX || idx == a->pc_reg)
			break;
		regs[n++] = u->regs->r[idx];
	}
	if (n && !dwfl_thread_state_registers(thread, 0, n, regs))
		return false;
	dwfl_thread_state_register_pc(thread, u->regs->r[a->pc_reg]);
	return true;
}

static const Dwfl_Thread_Callbacks callbacks = {
    .next_thread = next_thread,
    .get_thread = get_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
};

static int on_frame(Dwfl_Frame *frame, void *arg)
{
	struct unwind_ctx *u = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(frame, &pc, &activation))
		return DWARF_CB_ABORT;
	if (u->n > 0) /* the first frame is where the thread stands, not a caller */
		u->frames[u->n - 1] = pc;
	u->n++;
	return u->n > u->max ? DWARF_CB_ABORT : DWARF_CB_OK;
}

int up_sym_unwind(struct up_symtab *s, pid_t tid, const struct up_regs *regs, uint64_t *frames,
		  int max, uint64_t trampoline, const uint64_t *originals, int noriginals)
{
	struct unwind_ctx u = {.s = s,
			       .tid = tid,
			       .regs = regs,
			       .frames = frames,
			       .max = max,
			       .trampoline = trampoline,
			       .originals = originals,
			       .noriginals = noriginals};

	if (!s->t->arch || max <= 0)
		return -EINVAL;
	if (s->attached != s->dwfl) {
		/*
		 * Registers come from the caller, not the kernel: at a breakpoint the
		 * thread's own PC is past the trap, the caller's is the probe's.
		 */
		if (!dwfl_attach_state(s->dwfl, NULL, s->t->pid, &callbacks, s))
			return -ENOTSUP;
		s->attached = s->dwfl;
	}
	s->unwinding = &u;
	dwfl_getthread_frames(s->dwfl, tid, on_frame, &u);
	s->unwinding = NULL;
	return u.n > 1 ? u.n - 1 : -ENOENT;
}

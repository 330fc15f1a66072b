/* SPDX-License-Identifier: MIT */
/*
 * The probe manager against a fake target: a memory array, a register file
 * per thread, and a toy architecture whose instructions are one byte
 * (0x90 nop: simulated, 0xc3 ret: simulated, 0x50 push: out of line,
 * 0xf4 hlt: refused). It checks what the core does to the target on a hit,
 * at a return, after a longjmp, and at detach — not the real ptrace path,
 * which the end-to-end tests cover.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../../src/core/core_internal.h"
#include "uptrace/output.h"

#define BASE 0x10000ull
#define SIZE 0x10000ull
#define XOL (BASE + 0x8000)
#define NTHREADS 2

struct fake {
	struct up_target t;
	uint8_t mem[SIZE];
	struct up_regs regs[NTHREADS];
	int resumes[NTHREADS];
	int last_sig[NTHREADS];
	bool detached;
};

static struct fake *F(struct up_target *t)
{
	return (struct fake *)t;
}

static int fk_read(struct up_target *t, uint64_t a, void *b, size_t n)
{
	if (a < BASE || a + n > BASE + SIZE)
		return -EFAULT;
	memcpy(b, F(t)->mem + (a - BASE), n);
	return 0;
}

static int fk_write(struct up_target *t, uint64_t a, const void *b, size_t n)
{
	if (a < BASE || a + n > BASE + SIZE)
		return -EFAULT;
	memcpy(F(t)->mem + (a - BASE), b, n);
	return 0;
}

static int fk_get(struct up_target *t, pid_t tid, struct up_regs *r)
{
	*r = F(t)->regs[tid - 1];
	return 0;
}

static int fk_set(struct up_target *t, pid_t tid, const struct up_regs *r)
{
	F(t)->regs[tid - 1] = *r;
	return 0;
}

static int fk_resume(struct up_target *t, pid_t tid, int sig)
{
	F(t)->resumes[tid - 1]++;
	F(t)->last_sig[tid - 1] = sig;
	return 0;
}

#define SYSCALL_AT (BASE + 0x10)
static pid_t stepped_tid;
static int syscalls_run;

/* Stops the next waits return, in order, before anything else (for up_core_run). */
static struct up_stop script[8];
static unsigned nscript, script_at;

static int fk_wait(struct up_target *t, struct up_stop *st, int timeout_ms)
{
	memset(st, 0, sizeof(*st));
	st->kind = UP_STOP_TIMEOUT;
	if (!stepped_tid && script_at < nscript) {
		*st = script[script_at++];
		return 0;
	}
	if (stepped_tid) {
		st->kind = UP_STOP_TRAP;
		st->tid = stepped_tid;
		st->stepped = true;
		stepped_tid = 0;
	}
	return 0;
}

static int fk_nothing(struct up_target *t)
{
	return 0;
}

static int fk_detach(struct up_target *t)
{
	F(t)->detached = true;
	return 0;
}

static int fk_threads(struct up_target *t, pid_t *tids, int max)
{
	for (int i = 0; i < NTHREADS; i++)
		tids[i] = i + 1;
	return NTHREADS;
}

/* One executable mapping: the whole fake memory (its syscall instruction is found there). */
static int fk_mappings(struct up_target *t, struct up_mapping *m, int max)
{
	memset(m, 0, sizeof(*m));
	m->start = BASE;
	m->end = BASE + 0x100;
	m->r = m->x = true;
	return 1;
}

/* A step over the fake's "syscall" (0f 05, wherever it is) runs it: every call succeeds with 0. */
static int fk_step(struct up_target *t, pid_t tid)
{
	struct up_regs *r = &F(t)->regs[tid - 1];

	uint64_t pc = r->r[2];

	if (pc >= BASE && pc + 2 <= BASE + SIZE && F(t)->mem[pc - BASE] == 0x0f &&
	    F(t)->mem[pc - BASE + 1] == 0x05) {
		r->r[0] = 0;
		r->r[2] += 2;
		syscalls_run++;
	} else if (pc >= BASE && pc < BASE + SIZE && F(t)->mem[pc - BASE] == 0xcc) {
		r->r[2] += 1; /* int3: traps with pc after it */
	}
	stepped_tid = tid;
	return 0;
}

static const struct up_target_ops fake_ops = {
    .read = fk_read,
    .write = fk_write,
    .get_regs = fk_get,
    .set_regs = fk_set,
    .resume = fk_resume,
    .step = fk_step,
    .wait = fk_wait,
    .stop_all = fk_nothing,
    .resume_all = fk_nothing,
    .threads = fk_threads,
    .mappings = fk_mappings,
    .detach = fk_detach,
};

/* The toy architecture: r0 = retval and arg1, r1 = sp, r2 = pc. */
enum { R0, SP, PC };

static unsigned toy_bp(const struct up_arch *a, uint32_t e_flags, uint8_t out[4])
{
	out[0] = 0xcc;
	return 1;
}

static int toy_decode(const struct up_arch *a, struct up_insn *in, uint64_t addr, const uint8_t *b,
		      size_t avail)
{
	memset(in, 0, sizeof(*in));
	in->addr = addr;
	in->len = 1;
	in->bytes[0] = b[0];
	switch (b[0]) {
	case 0x90:
		in->action = UP_INSN_SIMULATE;
		strcpy(in->text, "nop");
		break;
	case 0xc3:
		in->action = UP_INSN_SIMULATE;
		strcpy(in->text, "ret");
		break;
	case 0x50:
		in->action = UP_INSN_XOL;
		strcpy(in->text, "push");
		break;
	default:
		in->action = UP_INSN_REFUSE;
		strcpy(in->text, "hlt");
		strcpy(in->why, "halts the machine");
		break;
	}
	return 0;
}

static int toy_simulate(const struct up_arch *a, const struct up_insn *in, struct up_regs *r,
			const struct up_mem *m)
{
	if (in->bytes[0] == 0xc3) {
		uint64_t ret;
		int err = m->read(m->ctx, r->r[SP], &ret, 8);
		if (err)
			return err;
		r->r[SP] += 8;
		r->r[PC] = ret;
		return 0;
	}
	r->r[PC] = in->addr + in->len;
	return 0;
}

static int toy_xol_build(const struct up_arch *a, const struct up_insn *in, uint64_t slot,
			 struct up_xol *x)
{
	x->code[0] = in->bytes[0];
	x->code[1] = 0xcc;
	x->len = 2;
	x->exit = UP_XOL_EXIT_TRAP;
	x->trap_offset = 1;
	return 0;
}

static void toy_xol_enter(const struct up_arch *a, const struct up_insn *in, const struct up_xol *x,
			  uint64_t slot, struct up_regs *r, struct up_xol_state *s)
{
	r->r[PC] = slot;
}

static int toy_xol_leave(const struct up_arch *a, const struct up_insn *in, const struct up_xol *x,
			 uint64_t slot, struct up_regs *r, const struct up_mem *m,
			 const struct up_xol_state *s)
{
	r->r[PC] = in->addr + in->len;
	return 0;
}

static int toy_ra_get(const struct up_arch *a, const struct up_regs *r, const struct up_mem *m,
		      uint64_t *ret)
{
	return m->read(m->ctx, r->r[SP], ret, 8);
}

static int toy_ra_set(const struct up_arch *a, struct up_regs *r, const struct up_mem *m,
		      uint64_t ret)
{
	return m->write(m->ctx, r->r[SP], &ret, 8);
}

static const struct up_arch toy = {
    .name = "toy",
    .bp = {0xcc},
    .bp_len = 1,
    .bp_pc_adjust = 1,
    .insn_align = 1,
    .max_insn_len = 1,
    .nregs = 3,
    .pc_reg = PC,
    .sp_reg = SP,
    .ra_reg = -1,
    .retval_reg = R0,
    .arg_regs = {R0},
    .n_arg_regs = 1,
    .stack_arg_offset = 8,
    .fp_reg = -1,
    .breakpoint = toy_bp,
    .decode = toy_decode,
    .simulate = toy_simulate,
    .xol_build = toy_xol_build,
    .xol_enter = toy_xol_enter,
    .xol_leave = toy_xol_leave,
    .return_address_get = toy_ra_get,
    .return_address_set = toy_ra_set,
    .syscall_insn = {0x0f, 0x05},
    .syscall_len = 2,
    .syscall_nr_reg = R0,
    .syscall_arg_regs = {-1, -1, -1, -1, -1, -1},
    .syscall_ret_reg = R0,
    .syscall_restart_reg = -1,
    .nr_munmap = 11,
};

/* Events seen by the output side. */
static struct up_event seen[64];
static int nseen;

static void on_event(void *ctx, const struct up_event *ev)
{
	if (nseen < 64)
		seen[nseen++] = *ev;
}

struct fixture {
	struct fake *f;
	struct up_core *c;
	char err[256];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct up_core_config cfg = {.on_event = on_event};

	fx->f = calloc(1, sizeof(*fx->f));
	up_target_init(&fx->f->t, &fake_ops);
	fx->f->t.arch = &toy;
	fx->f->t.pid = 1;
	memset(fx->f->mem, 0x90, SIZE);
	cfg.target = &fx->f->t;
	assert_int_equal(up_core_create(&fx->c, &cfg), 0);
	/* An XOL page the fake "mapped" already: no remote mmap in a fake target. */
	fx->c->pages[0].addr = XOL;
	fx->c->npages = 1;
	fx->c->syscall_insn = SYSCALL_AT;
	nscript = script_at = 0;
	fx->f->mem[SYSCALL_AT - BASE] = 0x0f;
	fx->f->mem[SYSCALL_AT - BASE + 1] = 0x05;
	syscalls_run = 0;
	fx->c->err = fx->err;
	fx->c->errlen = sizeof(fx->err);
	fx->c->started = true;
	nseen = 0;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	up_core_destroy(fx->c);
	free(fx->f);
	free(fx);
	return 0;
}

static struct up_probe *probe(const char *key, bool ret, uint64_t addr)
{
	struct up_probe *p = calloc(1, sizeof(*p));
	strcpy(p->key, key);
	p->is_return = ret;
	p->addr = addr;
	p->nargs = 1;
	strcpy(p->args[0].name, "arg1");
	p->args[0].fetch.base = ret ? UP_FETCH_RETVAL : UP_FETCH_ARG;
	p->args[0].fetch.argn = 1;
	p->args[0].type = (struct up_type){UP_TYPE_SIGNED, 4};
	return p;
}

/* Make thread tid trap on the breakpoint at addr, as the kernel reports it (pc after int3). */
static void trap_at(struct fixture *fx, pid_t tid, uint64_t addr)
{
	fx->f->regs[tid - 1].r[PC] = addr + 1;
}

static void test_shared_point_and_restore(void **state)
{
	struct fixture *fx = *state;
	uint64_t a = BASE + 0x100;
	struct up_probe *p1 = probe("f", false, a), *p2 = probe("g", false, a);

	assert_int_equal(point_add_probe(fx->c, a, p1, false), 0);
	assert_int_equal(point_add_probe(fx->c, a, p2, false), 0);
	assert_int_equal(fx->c->npoints, 1);
	assert_int_equal(fx->f->mem[0x100], 0xcc);

	fx->f->regs[0].r[R0] = 42;
	trap_at(fx, 1, a);
	assert_int_equal(hit_handle_trap(fx->c, 1, false, true), 0);
	assert_int_equal(nseen, 2);
	assert_ptr_equal(seen[0].probe, p1);
	assert_ptr_equal(seen[1].probe, p2);
	assert_int_equal((int64_t)seen[0].values[0], 42);
	assert_int_equal(fx->f->regs[0].r[PC], a + 1); /* the nop was simulated */
	assert_int_equal(fx->f->resumes[0], 1);
	assert_int_equal(p1->hits, 1);

	assert_int_equal(up_core_detach(fx->c), 0);
	assert_int_equal(fx->f->mem[0x100], 0x90);
	assert_true(fx->f->detached);
	free(p1);
	free(p2);
}

static void test_refused_instruction_is_named(void **state)
{
	struct fixture *fx = *state;
	uint64_t a = BASE + 0x200;
	struct up_probe *p = probe("h", false, a);

	fx->f->mem[0x200] = 0xf4;
	assert_int_not_equal(point_add_probe(fx->c, a, p, false), 0);
	assert_non_null(strstr(fx->err, "hlt"));
	assert_int_equal(fx->f->mem[0x200], 0xf4); /* untouched */
	free(p);
}

static void test_xol_two_stops(void **state)
{
	struct fixture *fx = *state;
	uint64_t a = BASE + 0x300;
	struct up_probe *p = probe("x", false, a);

	fx->f->mem[0x300] = 0x50;
	assert_int_equal(point_add_probe(fx->c, a, p, false), 0);
	trap_at(fx, 1, a);
	assert_int_equal(hit_handle_trap(fx->c, 1, false, true), 0);
	uint64_t slot = fx->f->regs[0].r[PC];
	assert_true(slot >= XOL && slot < XOL + 4096);
	assert_int_equal(fx->f->mem[slot - BASE], 0x50);
	/* the thread runs the copy and traps on the slot's breakpoint */
	fx->f->regs[0].r[PC] = slot + 2;
	assert_int_equal(hit_handle_trap(fx->c, 1, false, true), 0);
	assert_int_equal(fx->f->regs[0].r[PC], a + 1);
	free(p);
}

/* Call the probed function at a with sp: the return address ret is on the stack. */
static void call(struct fixture *fx, pid_t tid, uint64_t a, uint64_t sp, uint64_t ret)
{
	fx->f->regs[tid - 1].r[SP] = sp;
	memcpy(fx->f->mem + (sp - BASE), &ret, 8);
	trap_at(fx, tid, a);
	assert_int_equal(hit_handle_trap(fx->c, tid, false, true), 0);
}

/* The function returns: pops the (hijacked) return address like the toy `ret`. */
static void ret_from(struct fixture *fx, pid_t tid, uint64_t value)
{
	uint64_t sp = fx->f->regs[tid - 1].r[SP], to;
	memcpy(&to, fx->f->mem + (sp - BASE), 8);
	fx->f->regs[tid - 1].r[SP] = sp + 8;
	fx->f->regs[tid - 1].r[R0] = value;
	assert_int_equal(to, fx->c->trampoline);
	fx->f->regs[tid - 1].r[PC] = to + 1;
	assert_int_equal(hit_handle_trap(fx->c, tid, false, true), 0);
}

static void test_return_probe(void **state)
{
	struct fixture *fx = *state;
	uint64_t a = BASE + 0x400;
	struct up_probe *p = probe("f%return", true, a);

	assert_int_equal(point_add_probe(fx->c, a, p, false), 0);
	call(fx, 1, a, BASE + 0x7000, BASE + 0x1234);
	assert_int_equal(nseen, 0);
	ret_from(fx, 1, 610);
	assert_int_equal(nseen, 1);
	assert_true(seen[0].is_return);
	assert_int_equal(seen[0].retval, 610);
	assert_int_equal(fx->f->regs[0].r[PC], BASE + 0x1234);
	free(p);
}

static void test_recursion_and_threads(void **state)
{
	struct fixture *fx = *state;
	uint64_t a = BASE + 0x400;
	struct up_probe *p = probe("f%return", true, a);

	assert_int_equal(point_add_probe(fx->c, a, p, false), 0);
	call(fx, 1, a, BASE + 0x7000, BASE + 0x1000);
	call(fx, 2, a, BASE + 0x6000, BASE + 0x2000);
	call(fx, 1, a, BASE + 0x6f00, a + 5); /* recursion: returns into f */
	ret_from(fx, 1, 1);
	assert_int_equal(fx->f->regs[0].r[PC], a + 5);
	ret_from(fx, 2, 2);
	assert_int_equal(fx->f->regs[1].r[PC], BASE + 0x2000);
	fx->f->regs[0].r[SP] = BASE + 0x7000; /* the outer call finishes */
	ret_from(fx, 1, 3);
	assert_int_equal(fx->f->regs[0].r[PC], BASE + 0x1000);
	assert_int_equal(nseen, 3);
	assert_int_equal(seen[0].tid, 1);
	assert_int_equal(seen[1].tid, 2);
	assert_int_equal(seen[2].retval, 3);
	free(p);
}

static void test_longjmp_drops_stale_instances(void **state)
{
	struct fixture *fx = *state;
	uint64_t a = BASE + 0x400;
	struct up_probe *p = probe("f%return", true, a);

	assert_int_equal(point_add_probe(fx->c, a, p, false), 0);
	call(fx, 1, a, BASE + 0x7000, BASE + 0x1000);
	call(fx, 1, a, BASE + 0x6f00, a + 5);
	call(fx, 1, a, BASE + 0x6e00, a + 5);
	/* longjmp back to the outer frame's caller: the outer call returns next */
	fx->f->regs[0].r[SP] = BASE + 0x7000;
	ret_from(fx, 1, 7);
	assert_int_equal(nseen, 1); /* the two abandoned calls are not reported */
	assert_int_equal(seen[0].retval, 7);
	assert_int_equal(fx->f->regs[0].r[PC], BASE + 0x1000);
	assert_int_equal(thread_find(fx->c, 1)->depth, 0);
	free(p);
}

static void test_detach_restores_return_addresses(void **state)
{
	struct fixture *fx = *state;
	uint64_t a = BASE + 0x400, got;
	struct up_probe *p = probe("f%return", true, a);

	assert_int_equal(point_add_probe(fx->c, a, p, false), 0);
	call(fx, 1, a, BASE + 0x7000, BASE + 0x1000);
	call(fx, 1, a, BASE + 0x6f00, a + 5);
	memcpy(&got, fx->f->mem + 0x6f00, 8);
	assert_int_equal(got, fx->c->trampoline);
	fx->f->regs[0].r[SP] = BASE + 0x6e00; /* somewhere inside the inner call */
	assert_int_equal(up_core_detach(fx->c), 0);
	memcpy(&got, fx->f->mem + 0x6f00, 8);
	assert_int_equal(got, a + 5);
	memcpy(&got, fx->f->mem + 0x7000, 8);
	assert_int_equal(got, BASE + 0x1000);
	assert_int_equal(fx->f->mem[0x400], 0x90);
	assert_int_equal(syscalls_run, 1); /* the XOL page was unmapped, from the text's syscall */
	assert_int_equal(fx->c->npages, 0);
	free(p);
}

/*
 * A signal arrives for a thread whose function just returned to the
 * trampoline, before its breakpoint ran. The core must complete the return
 * (report it, go on at the real return address) and only then deliver the
 * signal; stepping on past the trampoline would run the page's zeros.
 */
static void test_signal_at_trampoline(void **state)
{
	struct fixture *fx = *state;
	uint64_t a = BASE + 0x400;
	struct up_probe *p = probe("f%return", true, a);
	int status;

	assert_int_equal(point_add_probe(fx->c, a, p, false), 0);
	call(fx, 1, a, BASE + 0x7000, BASE + 0x1234);
	/* the function returns: pops the trampoline address, then a signal stops it */
	fx->f->regs[0].r[SP] = BASE + 0x7008;
	fx->f->regs[0].r[R0] = 42;
	fx->f->regs[0].r[PC] = fx->c->trampoline;
	script[nscript++] = (struct up_stop){.kind = UP_STOP_SIGNAL, .tid = 1, .sig = 10};
	script[nscript++] = (struct up_stop){.kind = UP_STOP_EXITED, .tid = 1, .status = 0};
	fx->c->cfg.spawned = false;
	assert_int_equal(up_core_run(fx->c, &status, fx->err, sizeof(fx->err)), UP_END_EXITED);
	assert_int_equal(fx->f->regs[0].r[PC], BASE + 0x1234);
	assert_int_equal(nseen, 1);
	assert_true(seen[0].is_return);
	assert_int_equal(seen[0].retval, 42);
	assert_int_equal(fx->f->last_sig[0], 10); /* delivered after the return */
	free(p);
}

/*
 * An exception unwinds through three probed calls: where the unwinder starts,
 * every hijacked return address is put back (it reads them to find each
 * frame's CFI); where it lands, in the middle frame, the innermost frame's
 * instance is dropped unreported and the middle one hooked again; when that
 * one returns, its caller's is hooked again in turn, so both are reported.
 */
static void test_unwinding_puts_back_and_rehooks(void **state)
{
	struct fixture *fx = *state;
	uint64_t a = BASE + 0x400, got;
	struct up_probe *p = probe("f%return", true, a);
	struct up_regs regs = {0};
	struct up_thread *th;
	bool changed;

	assert_int_equal(point_add_probe(fx->c, a, p, false), 0);
	call(fx, 1, a, BASE + 0x7000, BASE + 0x1000);
	call(fx, 1, a, BASE + 0x6f00, a + 5);
	call(fx, 1, a, BASE + 0x6e00, a + 6);
	th = thread_find(fx->c, 1);

	/* the innermost call throws: the unwinder's entry, deeper still */
	regs.r[SP] = BASE + 0x6d00;
	assert_int_equal(uret_unhook_all(fx->c, th, &regs, &changed), 0);
	memcpy(&got, fx->f->mem + 0x7000, 8);
	assert_int_equal(got, BASE + 0x1000);
	memcpy(&got, fx->f->mem + 0x6f00, 8);
	assert_int_equal(got, a + 5);
	memcpy(&got, fx->f->mem + 0x6e00, 8);
	assert_int_equal(got, a + 6);
	assert_true(uret_any_unhooked(th));
	assert_int_equal(th->depth, 3);

	/* a stray return to the trampoline matches no hooked instance: refused, not popped */
	fx->f->regs[0].r[SP] = BASE + 0x6c08;
	fx->f->regs[0].r[PC] = fx->c->trampoline + 1;
	assert_int_equal(hit_handle_trap(fx->c, 1, false, true), -ENOENT);
	assert_int_equal(th->depth, 3);
	fx->err[0] = 0;

	/* it lands in the middle frame: sp is what the innermost call's CFA was */
	regs.r[SP] = BASE + 0x6e08;
	assert_int_equal(uret_landed(fx->c, th, &regs, 0, UINT64_MAX, 0), 0);
	assert_int_equal(th->depth, 2);
	memcpy(&got, fx->f->mem + 0x6f00, 8);
	assert_int_equal(got, fx->c->trampoline);
	memcpy(&got, fx->f->mem + 0x7000, 8);
	assert_int_equal(got, BASE + 0x1000); /* hooked when the middle one returns */

	fx->f->regs[0].r[SP] = BASE + 0x6f00;
	ret_from(fx, 1, 5);
	assert_int_equal(fx->f->regs[0].r[PC], a + 5);
	memcpy(&got, fx->f->mem + 0x7000, 8);
	assert_int_equal(got, fx->c->trampoline);
	fx->f->regs[0].r[SP] = BASE + 0x7000;
	ret_from(fx, 1, 7);
	assert_int_equal(fx->f->regs[0].r[PC], BASE + 0x1000);
	assert_int_equal(nseen, 2); /* the unwound call is not reported */
	assert_int_equal(seen[0].retval, 5);
	assert_int_equal(seen[1].retval, 7);
	assert_int_equal(th->depth, 0);
	free(p);
}

static void test_foreign_trap_is_passed_on(void **state)
{
	struct fixture *fx = *state;

	trap_at(fx, 1, BASE + 0x500); /* no probe there */
	assert_int_equal(hit_handle_trap(fx->c, 1, false, true), 1);
}

/* A thread's entry stays where it is while the table grows, shrinks and grows again. */
static void test_thread_handles_stay(void **state)
{
	struct fixture *fx = *state;
	struct up_thread *first = thread_get(fx->c, 1), *th;

	assert_non_null(first);
	first->depth = 0;
	for (pid_t tid = 2; tid < 700; tid++)
		assert_non_null(thread_get(fx->c, tid));
	assert_ptr_equal(thread_find(fx->c, 1), first);
	for (pid_t tid = 2; tid < 700; tid += 2)
		thread_remove(fx->c, tid);
	assert_int_equal(fx->c->nthreads, 1 + 349);
	for (pid_t tid = 2; tid < 700; tid++) {
		th = thread_find(fx->c, tid);
		if (tid % 2)
			assert_int_equal(th ? th->tid : 0, tid);
		else
			assert_null(th);
	}
	for (pid_t tid = 700; tid < 1400; tid++)
		assert_non_null(thread_get(fx->c, tid));
	assert_ptr_equal(thread_find(fx->c, 1), first);
}

/* The instance stack grows on demand up to its cap; past it a return is missed, and counted. */
static void test_instance_stack_grows_to_its_cap(void **state)
{
	struct fixture *fx = *state;
	struct up_thread *th = thread_get(fx->c, 1);

	assert_int_equal(th->stack_cap, 0);
	for (unsigned i = 0; i < INSTANCE_STACK_MAX; i++) {
		assert_int_equal(thread_reserve_instance(th), 0);
		th->depth++;
	}
	assert_int_equal(th->stack_cap, INSTANCE_STACK_MAX);
	assert_int_equal(thread_reserve_instance(th), -E2BIG);
	th->lost = 3;
	thread_remove(fx->c, 1);
	assert_int_equal(up_core_missed_returns(fx->c), 3);
}

/*
 * Hundreds of points restored at a detach: a trap already on its way at any
 * of them is still recognised, and the thread rewound onto the original
 * instruction (not left at breakpoint+1).
 */
static void test_late_trap_at_any_restored_point(void **state)
{
	struct fixture *fx = *state;
	struct up_probe *p[300];

	for (int i = 0; i < 300; i++) {
		p[i] = probe("f", false, BASE + 0x1000 + (uint64_t)i * 4);
		assert_int_equal(point_add_probe(fx->c, p[i]->addr, p[i], false), 0);
	}
	for (unsigned i = 0; i < fx->c->points_cap; i++)
		if (fx->c->points[i])
			assert_int_equal(point_restore(fx->c, fx->c->points[i]), 0);
	for (int i = 0; i < 300; i += 37) {
		assert_int_equal(fx->f->mem[0x1000 + i * 4], 0x90);
		trap_at(fx, 1, p[i]->addr);
		assert_int_equal(hit_handle_trap(fx->c, 1, false, false), 0);
		assert_int_equal(fx->f->regs[0].r[PC], p[i]->addr);
	}
	for (int i = 0; i < 300; i++)
		free(p[i]);
}

/*
 * A module unmapped and another mapped at its address: the point is gone,
 * a detach writes nothing there, a trap there is not ours; when a module
 * with the same instruction comes back, the point is armed again.
 */
static void test_unmapped_point_is_gone(void **state)
{
	struct fixture *fx = *state;
	uint64_t a = BASE + 0x200;
	struct up_probe *p = probe("f", false, a);
	struct up_point *pt;

	fx->c->probes = calloc(1, sizeof(*fx->c->probes));
	fx->c->probes[0] = p;
	fx->c->nprobes = fx->c->probes_cap = 1;
	assert_int_equal(point_add_probe(fx->c, a, p, false), 0);
	pt = point_find(fx->c, a);
	fx->f->mem[0x200] = 0x50; /* the new module's byte */
	points_unmapped(fx->c, BASE + 0x100, BASE + 0x300);
	assert_true(pt->gone && !pt->armed);
	assert_true(p->retired);
	assert_int_equal(point_restore(fx->c, pt), 0);
	assert_int_equal(fx->f->mem[0x200], 0x50);
	trap_at(fx, 1, a);
	assert_int_equal(hit_handle_trap(fx->c, 1, false, false), 1);

	fx->f->mem[0x200] = 0x90; /* the first module again */
	p->retired = false;
	assert_int_equal(point_add_probe(fx->c, a, p, false), 0);
	assert_ptr_equal(point_find(fx->c, a), pt);
	assert_true(pt->armed && !pt->gone);
	assert_int_equal(fx->f->mem[0x200], 0xcc);
	trap_at(fx, 1, a);
	assert_int_equal(hit_handle_trap(fx->c, 1, false, false), 0);
	assert_int_equal(nseen, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_shared_point_and_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_instruction_is_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_xol_two_stops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_return_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recursion_and_threads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_longjmp_drops_stale_instances, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_detach_restores_return_addresses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_signal_at_trampoline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unwinding_puts_back_and_rehooks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_trap_is_passed_on, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thread_handles_stay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_instance_stack_grows_to_its_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_late_trap_at_any_restored_point, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmapped_point_is_gone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * The probe manager through its public API (include/uptrace/core.h),
 * against a fake process (fake_process.h: memory, registers, mappings,
 * scripted stops, a toy one-byte instruction set) and the real symbol
 * layer over ELF files written at run time (fake_elf.h): probes are added
 * as PROBE words, up_core_start maps the XOL page by a remote mmap the
 * fake runs, and each check is on what the core did to the process
 * (bytes, registers, resumes, system calls), the events it delivered and
 * its counters. It checks a hit, a return, a longjmp, an unwinding, many
 * threads, deep recursion, a library unloaded and loaded again, and
 * detach; the real ptrace path is the end-to-end tests'.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake_elf.h"
#include "fake_process.h"
#include "uptrace/core.h"
#include "uptrace/spec.h"
#include "uptrace/sym.h"

/* The main program: its text, then its data (dynamic section, r_debug, link_map, a name). */
#define TEXT 0x10000ull
#define TEXT_SIZE 0x10000ull
#define SYSCALL_AT (TEXT + 0x10) /* inside _start */
#define RBRK (TEXT + 0x20)	 /* the dynamic linker's r_brk (_dl_debug_state) */
#define F (TEXT + 0x100)	 /* f and g: one address */
#define H (TEXT + 0x200)	 /* hlt: refused */
#define X (TEXT + 0x300)	 /* push: out of line */
#define R (TEXT + 0x400)	 /* r: probed at its return */
#define RAISE (TEXT + 0x600)	 /* _Unwind_RaiseException */
#define SET_IP (TEXT + 0x700)	 /* _Unwind_SetIP */
#define PAD (TEXT + 0x800)	 /* a landing pad: code, no symbol */
#define BIG (TEXT + 0x1000)	 /* big: 4 KiB of nops */
#define CALLER (TEXT + 0x8000)	 /* return addresses: code that called */
#define DATA 0x20000ull
#define R_DEBUG (DATA + 0x100)
#define LM_MAIN (DATA + 0x200)
#define LM_LIB (DATA + 0x240)
#define LIB_NAME (DATA + 0x300)
/* A library, libfake.so, loaded here: its function lf. */
#define LIB 0x30000ull
#define LF (LIB + 0x200)
/* The stack: S(off) is a frame off bytes into it. */
#define STACK 0xf0000ull
#define STACK_END (FK_BASE + FK_SIZE)
#define S(off) (STACK + (off))

/* What the output side saw of each event. */
struct seen {
	const struct up_probe *probe;
	pid_t tid;
	bool is_return;
	uint64_t retval, value0;
};
#define SEEN_MAX 8192
static struct seen seen[SEEN_MAX];
static unsigned nseen;

static void on_event(void *ctx, const struct up_event *ev)
{
	if (nseen < SEEN_MAX)
		seen[nseen] =
		    (struct seen){ev->probe, ev->tid, ev->is_return, ev->retval, ev->values[0]};
	nseen++;
}

struct fixture {
	struct fake *f;
	struct up_symtab *sym;
	struct up_core *c;
	char dir[4096], exe[4200], lib[4200];
	char err[512];
	uint64_t tramp; /* where a return probe's return comes back to the core */
};

/* The dynamic linker's state: libfake.so in the link_map chain, or not. */
static void link_lib(struct fixture *fx, bool loaded)
{
	struct fake *f = fx->f;

	fk_set_u64(f, R_DEBUG + 8, LM_MAIN);		  /* r_map */
	fk_set_u64(f, R_DEBUG + 16, RBRK);		  /* r_brk */
	fk_set_u64(f, R_DEBUG + 24, 0);			  /* r_state: RT_CONSISTENT */
	fk_set_u64(f, LM_MAIN + 8, LIB_NAME - 1);	  /* l_name: "" */
	fk_set_u64(f, LM_MAIN + 24, loaded ? LM_LIB : 0); /* l_next */
	fk_set_u64(f, LM_LIB + 0, LIB);			  /* l_addr */
	fk_set_u64(f, LM_LIB + 8, LIB_NAME);
	fk_set_u64(f, LM_LIB + 24, 0);
	*fk_mem(f, LIB_NAME - 1) = 0;
	strcpy((char *)fk_mem(f, LIB_NAME), fx->lib);
}

/* The library is unloaded (dlclose), and another module mapped where it was has this byte at lf. */
static void unload_lib(struct fixture *fx, uint8_t bytes_after)
{
	link_lib(fx, false);
	*fk_mem(fx->f, LF) = bytes_after;
}

static void write_files(struct fixture *fx, const uint8_t *text, const uint8_t *lib_text)
{
	static const struct fake_elf_sym main_syms[] = {
	    {"_start", TEXT, 0x20},
	    {"_dl_debug_state", RBRK, 0x10},
	    {"f", F, 0x10},
	    {"g", F, 0x10},
	    {"h", H, 0x10},
	    {"x", X, 0x10},
	    {"r", R, 0x100},
	    {"_Unwind_RaiseException", RAISE, 0x10},
	    {"_Unwind_SetIP", SET_IP, 0x10},
	    {"big", BIG, 0x1000},
	};
	static const struct fake_elf_sym lib_syms[] = {{"lf", LF - LIB, 0x10}};
	struct fake_elf exe = {.entry = TEXT,
			       .text_addr = TEXT,
			       .text = text,
			       .text_size = TEXT_SIZE,
			       .dynamic_addr = DATA,
			       .dynamic_size = 0x1000,
			       .syms = main_syms,
			       .nsyms = sizeof(main_syms) / sizeof(main_syms[0])};
	struct fake_elf lib = {
	    .shared = true, .text = lib_text, .text_size = 0x1000, .syms = lib_syms, .nsyms = 1};

	assert_int_equal(fake_elf_write(fx->exe, &exe), 0);
	assert_int_equal(fake_elf_write(fx->lib, &lib), 0);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct up_core_config cfg = {.on_event = on_event};
	struct fake *f;

	assert_non_null(fx);
	fx->f = f = fk_new();
	assert_non_null(f);
	snprintf(fx->dir, sizeof(fx->dir), "%s/uptrace-core-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->exe, sizeof(fx->exe), "%s/prog", fx->dir);
	snprintf(fx->lib, sizeof(fx->lib), "%s/libfake.so", fx->dir);

	fk_map(f, TEXT, TEXT + TEXT_SIZE, false, true, fx->exe, 0x90);
	fk_map(f, DATA, DATA + 0x1000, true, false, fx->exe, 0);
	fk_map(f, LIB, LIB + 0x1000, false, true, fx->lib, 0x90);
	fk_map(f, STACK, STACK_END, true, false, "[stack]", 0);
	memcpy(fk_mem(f, SYSCALL_AT), "\x0f\x05", 2);
	*fk_mem(f, H) = 0xf4;
	*fk_mem(f, X) = 0x50;
	/* the dynamic section: DT_DEBUG -> r_debug, as the dynamic linker leaves it */
	fk_set_u64(f, DATA, DT_DEBUG);
	fk_set_u64(f, DATA + 8, R_DEBUG);
	link_lib(fx, true);
	write_files(fx, fk_mem(f, TEXT), fk_mem(f, LIB));

	snprintf(f->t.exe, sizeof(f->t.exe), "%s", fx->exe);
	assert_int_equal(up_sym_open(&fx->sym, &f->t), 0);
	cfg.target = &f->t;
	cfg.sym = fx->sym;
	assert_int_equal(up_core_create(&fx->c, &cfg), 0);
	nseen = 0;
	up_core_stop_requested = 0;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	up_core_destroy(fx->c);
	up_sym_close(fx->sym);
	unlink(fx->exe);
	unlink(fx->lib);
	rmdir(fx->dir);
	fk_free(fx->f);
	free(fx);
	up_core_stop_requested = 0;
	return 0;
}

/* One PROBE word, as the command line gives it: 0, or the core's -errno with fx->err set. */
static int add(struct fixture *fx, const char *word)
{
	struct up_spec spec;
	int err;

	assert_int_equal(up_spec_parse(word, &spec, fx->err, sizeof(fx->err)), 0);
	err = up_core_add_spec(fx->c, &spec, fx->err, sizeof(fx->err));
	up_spec_release(&spec); /* the core keeps its own copy of what it needs */
	return err;
}

static void add_ok(struct fixture *fx, const char *word)
{
	int err = add(fx, word);

	if (err)
		print_message("%s: %s\n", word, fx->err);
	assert_int_equal(err, 0);
}

/* up_core_start: the XOL page is mapped by a remote mmap, slot 0 the trampoline. */
static void start(struct fixture *fx)
{
	int err = up_core_start(fx->c, fx->err, sizeof(fx->err));

	if (err)
		print_message("start: %s\n", fx->err);
	assert_int_equal(err, 0);
	fx->tramp = fk_first_page(fx->f);
	assert_true(fx->tramp >= FK_BASE);
	assert_int_equal(*fk_mem(fx->f, fx->tramp), FK_BP);
}

/* Let the core take every queued stop; how its run ended (UP_END_DETACH: all taken). */
static enum up_core_end run(struct fixture *fx)
{
	int status;

	up_core_stop_requested = 0;
	return up_core_run(fx->c, &status, fx->err, sizeof(fx->err));
}

static void run_ok(struct fixture *fx)
{
	enum up_core_end end = run(fx);

	if (end != UP_END_DETACH)
		print_message("run: %s\n", fx->err);
	assert_int_equal(end, UP_END_DETACH);
}

static struct up_probe *probe_at(struct fixture *fx, unsigned i)
{
	struct up_probe *const *probes;

	assert_true(i < up_core_probes(fx->c, &probes));
	return probes[i];
}

static void test_shared_point_and_restore(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = fx->f;

	add_ok(fx, "f $arg1:s32");
	add_ok(fx, "g $arg1:s32");
	start(fx);
	assert_int_equal(*fk_mem(f, F), FK_BP);
	assert_int_equal(fk_writes_at(f, F), 1); /* one point: one breakpoint for both */

	f->regs[1].r[R0] = 42;
	fk_trap(f, 1, F);
	run_ok(fx);
	assert_int_equal(nseen, 2);
	assert_string_equal(seen[0].probe->key, "f");
	assert_string_equal(seen[1].probe->key, "g");
	assert_int_equal((int64_t)seen[0].value0, 42);
	assert_int_equal(f->regs[1].r[PC], F + 1); /* the nop was simulated */
	assert_int_equal(f->resumes[1], 1);
	assert_int_equal(probe_at(fx, 0)->hits, 1);

	assert_int_equal(up_core_detach(fx->c), 0);
	assert_int_equal(*fk_mem(f, F), 0x90);
	assert_true(f->detached);
}

static void test_refused_instruction_is_named(void **state)
{
	struct fixture *fx = *state;

	assert_int_not_equal(add(fx, "h"), 0);
	assert_non_null(strstr(fx->err, "hlt"));
	assert_int_equal(*fk_mem(fx->f, H), 0xf4); /* untouched */
	assert_int_equal(fk_writes_at(fx->f, H), 0);
}

static void test_xol_two_stops(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = fx->f;
	uint64_t slot;

	add_ok(fx, "x");
	start(fx);
	fk_trap(f, 1, X);
	run_ok(fx);
	slot = f->regs[1].r[PC];
	assert_true(slot > fx->tramp && slot < fx->tramp + 4096); /* in the XOL page */
	assert_int_equal(*fk_mem(f, slot), 0x50);
	/* the thread runs the copy and traps on the slot's breakpoint */
	fk_trap(f, 1, slot + 1);
	run_ok(fx);
	assert_int_equal(f->regs[1].r[PC], X + 1);
}

/* Thread tid calls the probed function at fn with sp: the return address ret is on the stack. */
static void call(struct fixture *fx, pid_t tid, uint64_t fn, uint64_t sp, uint64_t ret)
{
	fx->f->regs[tid].r[SP] = sp;
	fk_set_u64(fx->f, sp, ret);
	fk_trap(fx->f, tid, fn);
	run_ok(fx);
}

/* The function returns: pops the (hijacked) return address like the toy `ret`, with value. */
static void queue_return(struct fixture *fx, pid_t tid, uint64_t value)
{
	struct up_regs *r = &fx->f->regs[tid];
	uint64_t to = fk_u64(fx->f, r->r[SP]);

	assert_int_equal(to, fx->tramp);
	r->r[SP] += 8;
	r->r[R0] = value;
	fk_trap(fx->f, tid, to);
}

static void ret_from(struct fixture *fx, pid_t tid, uint64_t value)
{
	queue_return(fx, tid, value);
	run_ok(fx);
}

static void test_return_probe(void **state)
{
	struct fixture *fx = *state;

	add_ok(fx, "r%return");
	start(fx);
	call(fx, 1, R, S(0x7000), CALLER + 0x234);
	assert_int_equal(nseen, 0);
	ret_from(fx, 1, 610);
	assert_int_equal(nseen, 1);
	assert_true(seen[0].is_return);
	assert_int_equal(seen[0].retval, 610);
	assert_int_equal(fx->f->regs[1].r[PC], CALLER + 0x234);
}

static void test_recursion_and_threads(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = fx->f;

	f->live[2] = true;
	add_ok(fx, "r%return");
	start(fx);
	call(fx, 1, R, S(0x7000), CALLER);
	call(fx, 2, R, S(0x6000), CALLER + 0x1000);
	call(fx, 1, R, S(0x6f00), R + 5); /* recursion: returns into r */
	ret_from(fx, 1, 1);
	assert_int_equal(f->regs[1].r[PC], R + 5);
	ret_from(fx, 2, 2);
	assert_int_equal(f->regs[2].r[PC], CALLER + 0x1000);
	f->regs[1].r[SP] = S(0x7000); /* the outer call finishes */
	ret_from(fx, 1, 3);
	assert_int_equal(f->regs[1].r[PC], CALLER);
	assert_int_equal(nseen, 3);
	assert_int_equal(seen[0].tid, 1);
	assert_int_equal(seen[1].tid, 2);
	assert_int_equal(seen[2].retval, 3);
}

static void test_longjmp_drops_stale_instances(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = fx->f;

	add_ok(fx, "r%return");
	start(fx);
	call(fx, 1, R, S(0x7000), CALLER);
	call(fx, 1, R, S(0x6f00), R + 5);
	call(fx, 1, R, S(0x6e00), R + 5);
	/* longjmp back to the outer frame's caller: the outer call returns next */
	f->regs[1].r[SP] = S(0x7000);
	ret_from(fx, 1, 7);
	assert_int_equal(nseen, 1); /* the two abandoned calls are not reported */
	assert_int_equal(seen[0].retval, 7);
	assert_int_equal(f->regs[1].r[PC], CALLER);
	/* none is kept: a return through the innermost abandoned frame finds nothing */
	f->regs[1].r[SP] = S(0x6e00);
	queue_return(fx, 1, 8);
	assert_int_equal(run(fx), UP_END_ERROR);
	assert_non_null(strstr(fx->err, "no return address saved"));
	assert_int_equal(nseen, 1);
}

static void test_detach_restores_return_addresses(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = fx->f;
	unsigned calls;

	f->live[2] = true;
	add_ok(fx, "r%return");
	start(fx);
	call(fx, 1, R, S(0x7000), CALLER);
	call(fx, 1, R, S(0x6f00), R + 5);
	assert_int_equal(fk_u64(f, S(0x6f00)), fx->tramp);
	f->regs[1].r[SP] = S(0x6e00); /* somewhere inside the inner call */
	calls = f->ncalls;
	assert_int_equal(up_core_detach(fx->c), 0);
	assert_int_equal(fk_u64(f, S(0x6f00)), R + 5);
	assert_int_equal(fk_u64(f, S(0x7000)), CALLER);
	assert_int_equal(*fk_mem(f, R), 0x90);
	/* the XOL page was unmapped, from the text's syscall (not the page's own) */
	assert_int_equal(f->ncalls, calls + 1);
	assert_int_equal(f->calls[calls].nr, fk_toy.nr_munmap);
	assert_int_equal(f->calls[calls].args[0], fx->tramp);
	assert_int_equal(f->calls[calls].pc, SYSCALL_AT);
	assert_false(fk_mapped(f, fx->tramp));
	assert_true(f->detached);
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
	struct fake *f = fx->f;

	add_ok(fx, "r%return");
	start(fx);
	call(fx, 1, R, S(0x7000), CALLER + 0x234);
	/* the function returns: pops the trampoline address, then a signal stops it */
	f->regs[1].r[SP] = S(0x7008);
	f->regs[1].r[R0] = 42;
	f->regs[1].r[PC] = fx->tramp;
	fk_queue(f, (struct up_stop){.kind = UP_STOP_SIGNAL, .tid = 1, .sig = SIGUSR1});
	fk_queue(f, (struct up_stop){.kind = UP_STOP_EXITED, .tid = 1, .status = 0});
	assert_int_equal(run(fx), UP_END_EXITED);
	assert_int_equal(f->regs[1].r[PC], CALLER + 0x234);
	assert_int_equal(nseen, 1);
	assert_true(seen[0].is_return);
	assert_int_equal(seen[0].retval, 42);
	assert_int_equal(f->last_sig[1], SIGUSR1); /* delivered after the return */
}

/*
 * An exception unwinds through three probed calls: where the unwinder starts
 * (_Unwind_RaiseException), every hijacked return address is put back (it
 * reads them to find each frame's CFI); where it lands (the pad
 * _Unwind_SetIP names), in the middle frame, the innermost frame's instance
 * is dropped unreported and the middle one hooked again; when that one
 * returns, its caller's is hooked again in turn, so both are reported.
 */
static void test_unwinding_puts_back_and_rehooks(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = fx->f;

	add_ok(fx, "r%return");
	start(fx);
	assert_int_equal(*fk_mem(f, RAISE), FK_BP); /* the core's own hooks */
	assert_int_equal(*fk_mem(f, SET_IP), FK_BP);
	call(fx, 1, R, S(0x7000), CALLER);
	call(fx, 1, R, S(0x6f00), R + 5);
	call(fx, 1, R, S(0x6e00), R + 6);

	/* the innermost call throws: the unwinder's entry, deeper still */
	f->regs[1].r[SP] = S(0x6d00);
	fk_trap(f, 1, RAISE);
	run_ok(fx);
	assert_int_equal(fk_u64(f, S(0x7000)), CALLER);
	assert_int_equal(fk_u64(f, S(0x6f00)), R + 5);
	assert_int_equal(fk_u64(f, S(0x6e00)), R + 6);
	assert_int_equal(f->regs[1].r[PC], RAISE + 1);

	/* a stray return to the trampoline matches no hooked instance: refused, not popped */
	f->regs[1].r[SP] = S(0x6c08);
	fk_trap(f, 1, fx->tramp);
	assert_int_equal(run(fx), UP_END_ERROR);
	assert_non_null(strstr(fx->err, "no return address saved"));

	/* the personality routine names the landing pad: a point of the core's goes there */
	f->regs[1].r[SP] = S(0x6c00);
	f->regs[1].r[R3] = PAD;
	fk_trap(f, 1, SET_IP);
	run_ok(fx);
	assert_int_equal(*fk_mem(f, PAD), FK_BP);

	/* it lands in the middle frame: sp is what the innermost call's CFA was */
	f->regs[1].r[SP] = S(0x6e08);
	fk_trap(f, 1, PAD);
	run_ok(fx);
	assert_int_equal(f->regs[1].r[PC], PAD + 1);
	assert_int_equal(fk_u64(f, S(0x6f00)), fx->tramp);
	assert_int_equal(fk_u64(f, S(0x7000)), CALLER); /* hooked when the middle one returns */

	f->regs[1].r[SP] = S(0x6f00);
	ret_from(fx, 1, 5);
	assert_int_equal(f->regs[1].r[PC], R + 5);
	assert_int_equal(fk_u64(f, S(0x7000)), fx->tramp);
	f->regs[1].r[SP] = S(0x7000);
	ret_from(fx, 1, 7);
	assert_int_equal(f->regs[1].r[PC], CALLER);
	assert_int_equal(nseen, 2); /* the unwound call is not reported */
	assert_int_equal(seen[0].retval, 5);
	assert_int_equal(seen[1].retval, 7);
	/* every instance is gone: the next return to the trampoline is refused */
	f->regs[1].r[SP] = S(0x7000);
	queue_return(fx, 1, 9);
	assert_int_equal(run(fx), UP_END_ERROR);
	assert_int_equal(nseen, 2);
}

static void test_foreign_trap_is_passed_on(void **state)
{
	struct fixture *fx = *state;

	add_ok(fx, "f");
	start(fx);
	fk_trap(fx->f, 1, TEXT + 0x500); /* no probe there: the program's own */
	run_ok(fx);
	assert_int_equal(fx->f->last_sig[1], SIGTRAP);
	assert_int_equal(fx->f->regs[1].r[PC], TEXT + 0x501);
	assert_int_equal(nseen, 0);
}

/* Thread tid's stack, and the return address its call of r leaves: its own. */
#define THREAD_SP(tid) (STACK_END - 64 - 32 * (uint64_t)(tid))
#define THREAD_RET(tid) (CALLER + (uint64_t)(tid))

/* Thread tid (new unless it is 1) calls r. */
static void queue_thread_call(struct fake *f, pid_t tid)
{
	if (tid != 1)
		fk_queue(f, (struct up_stop){.kind = UP_STOP_THREAD_NEW, .tid = tid, .pid = 1});
	f->regs[tid].r[SP] = THREAD_SP(tid);
	fk_set_u64(f, THREAD_SP(tid), THREAD_RET(tid));
	fk_trap(f, tid, R);
}

/* Each thread of tids [from, to) by step for which keep() holds returns; checks where each went. */
static void threads_return(struct fixture *fx, pid_t from, pid_t to, pid_t step,
			   bool (*keep)(pid_t tid))
{
	unsigned first = nseen, n = 0;

	for (pid_t tid = from; tid < to; tid += step)
		if (keep(tid))
			queue_return(fx, tid, (uint64_t)tid);
	run_ok(fx);
	for (pid_t tid = from; tid < to; tid += step) {
		if (!keep(tid))
			continue;
		assert_true(first + n < nseen);
		assert_int_equal(seen[first + n].tid, tid);
		assert_int_equal(seen[first + n].retval, tid);
		assert_int_equal(fx->f->regs[tid].r[PC], THREAD_RET(tid));
		n++;
	}
	assert_int_equal(nseen, first + n);
}

static bool even_k_but_1(pid_t tid)
{
	return tid != 1 && tid % 128 == 1;
}

static bool odd(pid_t tid)
{
	return tid % 2;
}

/*
 * A thread's return instances stay its own while the thread table grows,
 * shrinks and grows again. Twenty threads whose tids share one slot of the
 * table while it is small (1 + 64k) call a function with a return probe;
 * every other one exits, and the others' calls return where their own did
 * (the table closes the holes). Then hundreds of threads come and call it,
 * half of them exit, the others return; thread 1's call, made before all
 * of them, returns last. A tid that comes again starts empty.
 */
static void test_thread_handles_stay(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = fx->f;

	add_ok(fx, "r%return");
	start(fx);
	for (pid_t tid = 1; tid < 1 + 64 * 20; tid += 64)
		queue_thread_call(f, tid);
	run_ok(fx);
	for (pid_t tid = 65; tid < 1 + 64 * 20; tid += 128)
		fk_queue(f, (struct up_stop){.kind = UP_STOP_THREAD_EXIT, .tid = tid});
	run_ok(fx);
	threads_return(fx, 1, 1 + 64 * 20, 64, even_k_but_1);
	assert_int_equal(nseen, 9);

	for (pid_t tid = 1300; tid < 1900; tid++)
		queue_thread_call(f, tid);
	run_ok(fx);
	for (pid_t tid = 1300; tid < 1900; tid += 2)
		fk_queue(f, (struct up_stop){.kind = UP_STOP_THREAD_EXIT, .tid = tid});
	run_ok(fx);
	threads_return(fx, 1300, 1900, 1, odd);
	queue_return(fx, 1, 1);
	run_ok(fx);
	assert_int_equal(nseen, 9 + 300 + 1);
	assert_int_equal(seen[nseen - 1].tid, 1);
	assert_int_equal(f->regs[1].r[PC], THREAD_RET(1));

	/* tid 65 again, a new thread: nothing of the one that exited is its */
	fk_queue(f, (struct up_stop){.kind = UP_STOP_THREAD_NEW, .tid = 65, .pid = 1});
	f->regs[65].r[SP] = THREAD_SP(65);
	queue_return(fx, 65, 65);
	assert_int_equal(run(fx), UP_END_ERROR);
	assert_int_equal(nseen, 310);
}

/*
 * A thread's calls under return probes nest as deep as UP_RETURN_DEPTH_MAX,
 * each hijacked; past it a call's return is missed (its return address left
 * as it is) and counted, and stays counted after the thread exits.
 */
static void test_instance_stack_grows_to_its_cap(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = fx->f;
	uint64_t sp = STACK_END - 64;
	unsigned depth = UP_RETURN_DEPTH_MAX + 3;

	add_ok(fx, "r%return");
	start(fx);
	for (unsigned i = 0; i < depth; i++, sp -= 16) {
		call(fx, 1, R, sp, R + 5);
		assert_int_equal(fk_u64(f, sp), i < UP_RETURN_DEPTH_MAX ? fx->tramp : R + 5);
	}
	assert_int_equal(up_core_missed_returns(fx->c), 3);
	/* the innermost hooked call returns through the trampoline, reported */
	f->regs[1].r[SP] = sp + 16 * 4;
	ret_from(fx, 1, 11);
	assert_int_equal(nseen, 1);
	assert_int_equal(f->regs[1].r[PC], R + 5);
	fk_queue(f, (struct up_stop){.kind = UP_STOP_THREAD_EXIT, .tid = 1});
	run_ok(fx);
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
	struct fake *f = fx->f;
	char word[32];
	pid_t tid = 1;

	for (int i = 0; i < 300; i++) {
		snprintf(word, sizeof(word), i ? "big+%d" : "big", i * 4);
		add_ok(fx, word);
	}
	start(fx);
	for (int i = 0; i < 300; i++)
		assert_int_equal(*fk_mem(f, BIG + (uint64_t)i * 4), FK_BP);
	/* traps every thread had taken as the detach stopped them all */
	for (int i = 0; i < 300; i += 37, tid++) {
		f->live[tid] = true;
		fk_trap(f, tid, BIG + (uint64_t)i * 4);
	}
	assert_int_equal(up_core_detach(fx->c), 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(*fk_mem(f, BIG + (uint64_t)i * 4), 0x90);
	tid = 1;
	for (int i = 0; i < 300; i += 37, tid++)
		assert_int_equal(f->regs[tid].r[PC], BIG + (uint64_t)i * 4);
	assert_int_equal(nseen, 0);
}

/*
 * The library is unloaded and another module mapped at its address: the
 * point is gone, its probe retired, a trap there is not ours, and a detach
 * writes nothing there.
 */
static void test_unmapped_point_is_gone(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = fx->f;

	add_ok(fx, "libfake:lf");
	start(fx);
	assert_int_equal(*fk_mem(f, LF), FK_BP);
	assert_false(probe_at(fx, 0)->retired);

	unload_lib(fx, 0x50); /* the new module's byte */
	fk_trap(f, 1, RBRK);
	run_ok(fx);
	assert_true(probe_at(fx, 0)->retired);

	fk_trap(f, 1, LF);
	run_ok(fx);
	assert_int_equal(f->last_sig[1], SIGTRAP);
	assert_int_equal(f->regs[1].r[PC], LF + 1);
	assert_int_equal(nseen, 0);

	assert_int_equal(up_core_detach(fx->c), 0);
	assert_int_equal(*fk_mem(f, LF), 0x50);
}

/* When the library comes back at the same address, its probe is armed again and counts on. */
static void test_module_back_is_armed_again(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = fx->f;
	struct up_probe *const *probes;

	add_ok(fx, "libfake:lf");
	start(fx);
	fk_trap(f, 1, LF);
	run_ok(fx);
	assert_int_equal(nseen, 1);

	unload_lib(fx, 0x50);
	fk_trap(f, 1, RBRK);
	run_ok(fx);
	assert_true(probe_at(fx, 0)->retired);

	link_lib(fx, true); /* the first module again */
	*fk_mem(f, LF) = 0x90;
	fk_trap(f, 1, RBRK);
	run_ok(fx);
	assert_int_equal(*fk_mem(f, LF), FK_BP);
	assert_false(probe_at(fx, 0)->retired);
	fk_trap(f, 1, LF);
	run_ok(fx);
	assert_int_equal(nseen, 2);
	assert_int_equal(f->regs[1].r[PC], LF + 1);
	assert_int_equal(up_core_probes(fx->c, &probes), 1); /* the same probe, not a second */
	assert_int_equal(probes[0]->hits, 2);
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
	    cmocka_unit_test_setup_teardown(test_module_back_is_armed_again, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

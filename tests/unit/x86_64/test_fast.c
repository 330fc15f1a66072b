/* SPDX-License-Identifier: MIT */
/*
 * The trap-free site analysis and relocation (arch/x86_64/fastpath.c)
 * against real code: the functions of fast_funcs.S, assembled into this
 * test. Each case says whether a site qualifies (and why not); the
 * windows' instruction starts are checked against objdump's disassembly
 * of this very binary; and each accepted site is patched in place (its
 * text made writable for the test) with a jump to a trampoline that counts
 * (lock incq) and runs the relocated window, near (rel32) and far
 * (absolute jumps), and must give what the unpatched function gives.
 * x86_64 hosts only (77 elsewhere).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <ucontext.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "uptrace/arch.h"
#include "uptrace/fast.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE 4096

typedef uint64_t (*fn1)(uint64_t);

#define DECLARE(name)                                                                              \
	uint64_t name(uint64_t);                                                                   \
	extern const uint64_t name##_size
DECLARE(fast_prologue);
DECLARE(fast_riprel);
DECLARE(fast_riprel_multi);
DECLARE(fast_loop);
DECLARE(fast_call);
DECLARE(fast_jcc);
DECLARE(fast_jmp);
DECLARE(fast_switch);
DECLARE(fast_taken);
DECLARE(fast_short);
DECLARE(fast_hot);
DECLARE(fast_hot_cold);
DECLARE(fast_syscall);
DECLARE(fast_bench);

struct fast_case {
	const char *name;
	fn1 fn;
	const uint64_t *size;
	unsigned off;
	const char *why; /* NULL: accepted; else a piece of the refusal */
	unsigned len;	 /* accepted: the window's length */
	bool single;
	bool with_cold; /* fast_hot_cold given as a second part */
	bool entry;	/* a window at the entry, no rip operand: runs relocated far away */
};

#define F(name) #name, name, &name##_size
/* clang-format off */
static const struct fast_case cases[] = {
	{ F(fast_prologue), 0, NULL, 5, false, false, true },
	{ F(fast_prologue), 4, NULL, 8, false },	/* push (1) + mov (3) + lea (4) */
	{ F(fast_riprel), 0, NULL, 7, true },
	{ F(fast_riprel_multi), 0, NULL, 10, false },
	{ F(fast_loop), 0, "a branch at", 0 },
	{ F(fast_loop), 2, NULL, 6, false },		/* the loop head itself */
	{ F(fast_call), 0, "a call", 0 },
	{ F(fast_jcc), 0, NULL, 6, false, false, true },
	{ F(fast_jmp), 0, NULL, 6, false, false, true },
	{ F(fast_switch), 0, "indirect jump", 0 },
	{ F(fast_switch), 6, NULL, 7, true },		/* lea fast_table(%rip): one instruction */
	{ F(fast_taken), 0, "the address taken", 0 },
	{ F(fast_short), 0, "a return", 0 },
	{ F(fast_hot), 0, NULL, 7, false },		/* the function alone: nothing enters */
	{ F(fast_hot), 0, "a branch at", 0, false, true }, /* its cold part does */
	{ F(fast_syscall), 0, NULL, 5, true },
	{ F(fast_syscall), 5, "system call", 0 },
	{ F(fast_bench), 0, NULL, 8, false, false, true },
};
/* clang-format on */

static const struct up_arch *arch(void)
{
	const struct up_arch *a = up_arch_by_name("x86_64");

	assert_non_null(a);
	assert_non_null(a->fast);
	return a;
}

static int analyze(const struct fast_case *c, struct up_fast_site *site)
{
	struct up_fast_code parts[2] = {
	    {(uint64_t)(uintptr_t)c->fn, (const uint8_t *)c->fn, *c->size, true},
	    {(uint64_t)(uintptr_t)fast_hot_cold, (const uint8_t *)fast_hot_cold, fast_hot_cold_size,
	     true},
	};

	return arch()->fast->analyze(arch(), parts, c->with_cold ? 2 : 1,
				     (uint64_t)(uintptr_t)c->fn + c->off, site);
}

static void test_analysis(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fast_case *c = &cases[i];
		struct up_fast_site site;
		int err = analyze(c, &site);

		if (c->why) {
			if (err != -ENOTSUP || !strstr(site.why, c->why))
				fail_msg("%s+%u: %d '%s', want a refusal with '%s'", c->name,
					 c->off, err, site.why, c->why);
			continue;
		}
		if (err)
			fail_msg("%s+%u refused: %s", c->name, c->off, site.why);
		assert_int_equal(site.len, c->len);
		assert_int_equal(site.single, c->single);
		assert_memory_equal(site.orig, (const uint8_t *)c->fn + c->off, site.len);
	}
}

/* A function without a known extent: a single long instruction only. */
static void test_unsized(void **state)
{
	struct up_fast_code part = {(uint64_t)(uintptr_t)fast_riprel, (const uint8_t *)fast_riprel,
				    16, false};
	struct up_fast_site site;

	assert_int_equal(arch()->fast->analyze(arch(), &part, 1, part.addr, &site), 0);
	assert_true(site.single);
	part.addr = (uint64_t)(uintptr_t)fast_prologue;
	part.bytes = (const uint8_t *)fast_prologue;
	assert_int_equal(arch()->fast->analyze(arch(), &part, 1, part.addr, &site), -ENOTSUP);
	assert_non_null(strstr(site.why, "extent"));
}

/* --- objdump's instruction starts in this binary ------------------------------------------- */

static uint64_t link_addr(const char *exe, const char *name)
{
	char cmd[512], line[512];
	uint64_t addr = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm --defined-only '%s'", exe);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p)) {
		unsigned long long a;
		char type, sym[256];

		if (sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 && !strcmp(sym, name))
			addr = a;
	}
	pclose(p);
	return addr;
}

/* objdump's instruction starts in [lo, hi) of exe (link-time addresses), as offsets from lo. */
static unsigned objdump_starts(const char *exe, uint64_t lo, uint64_t hi, unsigned *out,
			       unsigned max)
{
	char cmd[640], line[512];
	unsigned n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "objdump -d --no-show-raw-insn --start-address=0x%llx --stop-address=0x%llx '%s'",
		 (unsigned long long)lo, (unsigned long long)hi, exe);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p)) {
		unsigned long long a;
		char colon;

		if (sscanf(line, " %llx%c", &a, &colon) == 2 && colon == ':' &&
		    strchr(line, '\t') && a >= lo && a < hi && n < max)
			out[n++] = (unsigned)(a - lo);
	}
	pclose(p);
	return n;
}

static void test_objdump(void **state)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0 || system("command -v objdump >/dev/null 2>&1 && command -v nm >/dev/null") != 0)
		skip();
	exe[n] = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fast_case *c = &cases[i];
		struct up_fast_site site;
		unsigned starts[UP_FAST_INSNS_MAX + 1];
		uint64_t lo = link_addr(exe, c->name);

		if (c->why)
			continue;
		assert_int_equal(analyze(c, &site), 0);
		assert_true(lo != 0);
		lo += c->off;
		/* objdump's starts inside the window: exactly ours */
		assert_int_equal(
		    objdump_starts(exe, lo, lo + site.len, starts, UP_FAST_INSNS_MAX + 1),
		    site.ninsns);
		for (unsigned k = 0; k < site.ninsns; k++)
			if (starts[k] != site.insn_off[k])
				fail_msg("%s+%u: instruction %u at +%u, objdump says +%u", c->name,
					 c->off, k, site.insn_off[k], starts[k]);
		/* and the window ends where objdump's next instruction starts */
		assert_int_equal(objdump_starts(exe, lo + site.len, lo + site.len + 1, starts, 1),
				 1);
	}
}

/* --- running patched code --------------------------------------------------------------- */

/* An rwx page within rel32 reach of near (0 if none is free). */
static uint8_t *page_near(uint64_t near)
{
	for (int64_t k = 1; k < 4096; k++) {
		for (int sign = -1; sign <= 1; sign += 2) {
			uint64_t at =
			    (near & ~(uint64_t)(PAGE - 1)) + (uint64_t)(sign * k * (1 << 20));
			void *p =
			    mmap((void *)(uintptr_t)at, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

			if (p == (void *)(uintptr_t)at)
				return p;
			if (p != MAP_FAILED)
				munmap(p, PAGE);
		}
	}
	return NULL;
}

static uint8_t *near_page, *far_page;
static int64_t *hits; /* the trampoline's counter, at the end of its page */

/*
 * The trampoline the core will build, in its simplest form: step over the
 * red zone, save flags, count, restore, then the relocated window.
 */
static size_t tramp_prefix(uint8_t *code, uint64_t at)
{
	static const uint8_t prefix[] = {
	    0x48, 0x8d, 0x64, 0x24, 0x80,	   /* lea -128(%rsp),%rsp */
	    0x9c,				   /* pushfq */
	    0xf0, 0x48, 0xff, 0x05, 0,	  0, 0, 0, /* lock incq hits(%rip) */
	    0x9d,				   /* popfq */
	    0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0, /* lea 128(%rsp),%rsp */
	};
	int32_t disp = (int32_t)((int64_t)(uintptr_t)hits - (int64_t)(at + 14));

	memcpy(code, prefix, sizeof(prefix));
	memcpy(code + 10, &disp, 4);
	return sizeof(prefix);
}

static void text_writable(uint64_t addr, size_t len, bool on)
{
	uint64_t lo = addr & ~(uint64_t)(PAGE - 1),
		 hi = (addr + len + PAGE - 1) & ~(uint64_t)(PAGE - 1);

	assert_int_equal(
	    mprotect((void *)(uintptr_t)lo, hi - lo, PROT_READ | PROT_EXEC | (on ? PROT_WRITE : 0)),
	    0);
}

static const uint64_t inputs[] = {0, 1, 2, 3, 5, 6, 7, 100, 0x7fffffff};

static void test_patched(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fast_case *c = &cases[i];
		uint64_t want[sizeof(inputs) / sizeof(inputs[0])], site_addr, tramp;
		struct up_fast_site site;
		struct up_fast_reloc rel;
		uint8_t patch[UP_FAST_WINDOW_MAX];
		size_t k, ninputs = sizeof(inputs) / sizeof(inputs[0]);

		if (c->why)
			continue;
		if (c->fn == fast_loop)
			ninputs = 7; /* from 1: 0 would loop 2^64 times */
		if (c->fn == fast_hot)
			ninputs--; /* 0x7fffffff takes the cold part, which enters the window */
		for (k = 0; k < ninputs; k++)
			want[k] = c->fn(inputs[k + (c->fn == fast_loop)]);
		assert_int_equal(analyze(c, &site), 0);
		site_addr = site.addr;
		tramp = (uint64_t)(uintptr_t)near_page;
		k = tramp_prefix(near_page, tramp);
		assert_int_equal(arch()->fast->relocate(arch(), &site, tramp + k, &rel), 0);
		memcpy(near_page + k, rel.code, rel.len);
		assert_int_equal(arch()->fast->patch(arch(), &site, tramp, patch), 0);
		assert_int_equal(patch[0], 0xe9);
		for (unsigned b = 5; b < site.len; b++)
			assert_int_equal(patch[b], arch()->bp[0]);

		*hits = 0;
		text_writable(site_addr, site.len, true);
		memcpy((void *)(uintptr_t)site_addr, patch, site.len);
		for (k = 0; k < ninputs; k++) {
			uint64_t got = c->fn(inputs[k + (c->fn == fast_loop)]);

			if (got != want[k])
				fail_msg("%s+%u patched: f(%llu) = %llu, unpatched %llu", c->name,
					 c->off, (unsigned long long)inputs[k],
					 (unsigned long long)got, (unsigned long long)want[k]);
		}
		memcpy((void *)(uintptr_t)site_addr, site.orig, site.len);
		text_writable(site_addr, site.len, false);
		/* the loop head counts once per iteration, the switch's lea for 0-2, the rest once
		 */
		if (*hits != (c->fn == fast_loop     ? 1 + 2 + 3 + 5 + 6 + 7 + 100
			      : c->fn == fast_switch ? 3
						     : (int64_t)ninputs))
			fail_msg("%s+%u: the trampoline ran %lld times", c->name, c->off,
				 (long long)*hits);
		for (k = 0; k < ninputs; k++)
			assert_true(c->fn(inputs[k + (c->fn == fast_loop)]) == want[k]);
	}
}

/* Relocated far from the code: absolute jumps; entry windows run as the function itself. */
static void test_far(void **state)
{
	uint64_t far = (uint64_t)(uintptr_t)far_page;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fast_case *c = &cases[i];
		struct up_fast_site site;
		struct up_fast_reloc rel;
		uint8_t patch[UP_FAST_WINDOW_MAX];
		int64_t d = (int64_t)(far - (uint64_t)(uintptr_t)c->fn);

		if (c->why)
			continue;
		if (d > -(1ll << 32) && d < (1ll << 32))
			skip(); /* this binary's text is not far from the heap: nothing to test */
		assert_int_equal(analyze(c, &site), 0);
		assert_int_equal(arch()->fast->patch(arch(), &site, far, patch), -ERANGE);
		if (!c->entry) {
			/* rip-relative operands cannot reach, or the window is not an entry */
			continue;
		}
		assert_int_equal(arch()->fast->relocate(arch(), &site, far, &rel), 0);
		memcpy(far_page, rel.code, rel.len);
		__builtin___clear_cache((char *)far_page, (char *)far_page + rel.len);
		for (size_t k = 0; k < sizeof(inputs) / sizeof(inputs[0]); k++)
			assert_true(((fn1)(uintptr_t)far)(inputs[k]) == c->fn(inputs[k]));
	}
	/* a rip-relative operand two terabytes away cannot be re-targeted */
	{
		struct up_fast_site site;
		struct up_fast_reloc rel;

		assert_int_equal(analyze(&cases[2], &site), 0);
		assert_int_equal(arch()->fast->relocate(arch(), &site, far, &rel), -ERANGE);
	}
}

/* --- a thread stopped in a trampoline, moved out (leave), stepped (stepped) ---------------- */

static pid_t child;

static int child_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		long w;
		errno = 0;
		w = ptrace(PTRACE_PEEKDATA, child, (void *)(uintptr_t)(addr + i), NULL);
		if (errno)
			return -errno;
		memcpy((uint8_t *)buf + i, &w, len - i < 8 ? len - i : 8);
	}
	return 0;
}

static int child_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		long w = 0;
		if (len - i < 8 && child_read(ctx, addr + i, &w, 8))
			return -EIO;
		memcpy(&w, (const uint8_t *)buf + i, len - i < 8 ? len - i : 8);
		if (ptrace(PTRACE_POKEDATA, child, (void *)(uintptr_t)(addr + i), (void *)w) < 0)
			return -errno;
	}
	return 0;
}

static void to_up(const struct user_regs_struct *u, struct up_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->r[UP_X86_RAX] = u->rax, r->r[UP_X86_RBX] = u->rbx, r->r[UP_X86_RCX] = u->rcx;
	r->r[UP_X86_RDX] = u->rdx, r->r[UP_X86_RSI] = u->rsi, r->r[UP_X86_RDI] = u->rdi;
	r->r[UP_X86_RBP] = u->rbp, r->r[UP_X86_RSP] = u->rsp, r->r[UP_X86_R8] = u->r8;
	r->r[UP_X86_R9] = u->r9, r->r[UP_X86_R10] = u->r10, r->r[UP_X86_R11] = u->r11;
	r->r[UP_X86_R12] = u->r12, r->r[UP_X86_R13] = u->r13, r->r[UP_X86_R14] = u->r14;
	r->r[UP_X86_R15] = u->r15, r->r[UP_X86_RIP] = u->rip, r->r[UP_X86_EFLAGS] = u->eflags;
}

static void step(struct up_regs *r)
{
	struct user_regs_struct u;
	int st;

	assert_int_equal(ptrace(PTRACE_SINGLESTEP, child, 0, 0), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP);
	assert_int_equal(ptrace(PTRACE_GETREGS, child, 0, &u), 0);
	to_up(&u, r);
}

/*
 * A child calls fast_prologue (patched to a counting trampoline) in a
 * loop; the parent single-steps it to the site, then through the
 * trampoline: at each instruction, leave() must give the thread exactly
 * the registers it had at the site (in the trampoline's own code) or the
 * state of the original code at the same instruction (in the window); and
 * after the pushfq, stepped() must clear the trap flag the step pushed.
 */
typedef uint64_t (*fn3)(uint64_t, const void *, const char *);
static const uint64_t leave_fields[2] = {1, 2};

/* fast_prologue called with three arguments (it reads the first only; the trampoline all) */
static fn3 as_fn3(fn1 f)
{
	return (fn3)(void (*)(void))f;
}

static void leave_through(const struct up_fast_tramp *spec)
{
	const struct fast_case *c = &cases[0]; /* fast_prologue+0 */
	struct up_mem mem = {NULL, child_read, child_write};
	struct up_fast_tramp t = *spec;
	struct up_fast_site site;
	struct up_fast_reloc rel;
	struct up_regs at_site, r, moved;
	uint8_t patch[UP_FAST_WINDOW_MAX], prev[4];
	uint64_t tramp = (uint64_t)(uintptr_t)near_page;
	size_t len;
	unsigned inside = 0;
	int st;

	assert_int_equal(analyze(c, &site), 0);
	t.site = site.addr;
	assert_int_equal(arch()->fast->build(arch(), &t, tramp, near_page, &len, NULL, NULL), 0);
	assert_int_equal(arch()->fast->relocate(arch(), &site, tramp + len, &rel), 0);
	memcpy(near_page + len, rel.code, rel.len);
	assert_int_equal(arch()->fast->patch(arch(), &site, tramp, patch), 0);
	text_writable(site.addr, site.len, true);
	memcpy((void *)(uintptr_t)site.addr, patch, site.len);

	child = fork();
	if (child == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		/* arguments every fetch of events_spec() can read */
		for (uint64_t i = 0;; i++) {
			uint64_t a = (uint64_t)(uintptr_t)"abcdefgh" + (i & 7);

			if (as_fn3(c->fn)(a, leave_fields, "s") != a + 1)
				_exit(1);
		}
	}
	memcpy((void *)(uintptr_t)site.addr, site.orig, site.len);
	text_writable(site.addr, site.len, false);
	assert_true(child > 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	do
		step(&r);
	while (r.r[UP_X86_RIP] != site.addr);
	at_site = r;
	for (;;) {
		uint64_t pc;

		assert_int_equal(child_read(NULL, r.r[UP_X86_RIP], prev, 4), 0);
		step(&r);
		pc = r.r[UP_X86_RIP];
		if (pc < tramp || pc >= tramp + len + rel.len)
			break;
		inside++;
		if (prev[0] == 0x9c) { /* the step pushed TF with the flags: stepped() clears it */
			uint64_t fl;

			assert_int_equal(child_read(NULL, r.r[UP_X86_RSP], &fl, 8), 0);
			assert_true(fl & 0x100);
			assert_int_equal(arch()->fast->stepped(arch(), prev, 4, &r, &mem), 0);
			assert_int_equal(child_read(NULL, r.r[UP_X86_RSP], &fl, 8), 0);
			assert_false(fl & 0x100);
		}
		moved = r;
		assert_int_equal(arch()->fast->leave(arch(), &t, tramp, &site, &rel, &moved, &mem),
				 0);
		if (pc < tramp + len) {
			for (int k = 0; k <= UP_X86_R15; k++)
				if (moved.r[k] != at_site.r[k])
					fail_msg(
					    "at +%llu: register %d is %#llx, at the site %#llx",
					    (unsigned long long)(pc - tramp), k,
					    (unsigned long long)moved.r[k],
					    (unsigned long long)at_site.r[k]);
			assert_int_equal(moved.r[UP_X86_RIP], site.addr);
			assert_int_equal(moved.r[UP_X86_EFLAGS] & 0xcd5,
					 at_site.r[UP_X86_EFLAGS] & 0xcd5);
		} else {
			/* the window: the instruction's own place, nothing else changed */
			uint64_t off = moved.r[UP_X86_RIP] - site.addr;
			bool start = false;

			for (unsigned k = 0; k < site.ninsns; k++)
				start |= off == site.insn_off[k];
			assert_true(start || off == site.len);
			moved.r[UP_X86_RIP] = r.r[UP_X86_RIP];
			assert_memory_equal(&moved, &r, sizeof(r));
		}
	}
	assert_int_equal(r.r[UP_X86_RIP], site.addr + site.len); /* jumped back */
	assert_true(inside >= 8);
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
}

/* --- records on a ring ---------------------------------------------------------------- */

#define NRECORDS 8
static struct up_fast_ring *ring;
static uint64_t dropped;
static struct up_fast_fixup fixups[UP_FAST_FIXUPS_MAX];
static unsigned nfixups;
static uint64_t tramp_at;

/* What the tracer does with a fault in a trampoline's load: on at its fixup. */
static void on_segv(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];

	for (unsigned i = 0; i < nfixups; i++)
		if (pc == tramp_at + fixups[i].at) {
			uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(tramp_at + fixups[i].to);
			return;
		}
	signal(sig, SIG_DFL);
}

static struct up_fast_tramp events_spec(void)
{
	struct up_fast_tramp t = {0};

	t.ring = (uint64_t)(uintptr_t)ring;
	t.nrecords = NRECORDS;
	t.id = 77;
	t.dropped = (uint64_t)(uintptr_t)&dropped;
	t.key = true;
	t.nvalues = 6;
	/* $arg1; *(u64 *)$arg2; $arg3:string; *(u32 *)($arg2 + 8); *(u8 *)$arg1; 42 */
	t.values[0] = (struct up_fetch){.base = UP_FETCH_REG, .reg = UP_X86_RDI};
	t.values[1] = (struct up_fetch){
	    .base = UP_FETCH_ARG, .argn = 2, .nops = 1, .ops = {{UP_FOP_LOAD, 8, 0}}};
	t.values[2] = (struct up_fetch){.base = UP_FETCH_ARG, .argn = 3};
	t.string[2] = 1;
	t.values[3] = (struct up_fetch){.base = UP_FETCH_ARG,
					.argn = 2,
					.nops = 2,
					.ops = {{UP_FOP_ADD, 0, 8}, {UP_FOP_LOAD, 4, 0}}};
	t.values[4] = (struct up_fetch){
	    .base = UP_FETCH_REG, .reg = UP_X86_RDI, .nops = 1, .ops = {{UP_FOP_LOAD, 1, 0}}};
	t.values[5] = (struct up_fetch){.base = UP_FETCH_CONST, .imm = 42};
	return t;
}

/*
 * fast_prologue patched to an events trampoline, called with arguments:
 * each call leaves one record with the fetched values, the string, the
 * fault bits of loads that faulted, this thread's %fs base and a cycle
 * count that grows; a full ring drops and counts.
 */
static void test_records(void **state)
{
	const struct fast_case *c = &cases[0];
	struct up_fast_tramp t = events_spec();
	struct up_fast_site site;
	struct up_fast_reloc rel;
	uint8_t patch[UP_FAST_WINDOW_MAX];
	struct sigaction sa = {0}, old;
	uint64_t fields[2] = {0x1122334455667788ull, 0xabcdef01u};
	uint64_t fs = 0, last = 0;
	const struct up_fast_record *recs;
	size_t len;

	memset(ring, 0, 64 << 10);
	ring->nrecords = NRECORDS;
	dropped = 0;
	assert_int_equal(analyze(c, &site), 0);
	t.site = site.addr;
	tramp_at = (uint64_t)(uintptr_t)near_page;
	assert_int_equal(
	    arch()->fast->build(arch(), &t, tramp_at, near_page, &len, fixups, &nfixups), 0);
	assert_true(nfixups >= 4);
	assert_int_equal(arch()->fast->relocate(arch(), &site, tramp_at + len, &rel), 0);
	memcpy(near_page + len, rel.code, rel.len);
	assert_int_equal(arch()->fast->patch(arch(), &site, tramp_at, patch), 0);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, &old);
	text_writable(site.addr, site.len, true);
	memcpy((void *)(uintptr_t)site.addr, patch, site.len);

	assert_int_equal(as_fn3(c->fn)((uint64_t)(uintptr_t)"A", fields, "hello"),
			 (uint64_t)(uintptr_t)"A" + 1);
	assert_int_equal(as_fn3(c->fn)(16, fields, NULL), 17);		/* *(u8 *)16 faults */
	assert_int_equal(as_fn3(c->fn)(24, (void *)8, (char *)32), 25); /* three faults */
	for (int i = 0; i < 10; i++)					/* 5 fit, 5 are dropped */
		as_fn3(c->fn)((uint64_t)(uintptr_t)"B", fields, "x");

	memcpy((void *)(uintptr_t)site.addr, site.orig, site.len);
	text_writable(site.addr, site.len, false);
	sigaction(SIGSEGV, &old, NULL);

	assert_int_equal(ring->head, NRECORDS);
	assert_int_equal(dropped, 5);
	__asm__("rdfsbase %0" : "=r"(fs));
	recs = (const struct up_fast_record *)((const uint8_t *)ring + UP_FAST_RING_RECORDS);
	for (unsigned i = 0; i < NRECORDS; i++) {
		const struct up_fast_record *r = &recs[i];

		assert_int_equal(r->seq, i + 1);
		assert_int_equal(r->id, 77);
		assert_int_equal(r->key, fs);
		assert_true(r->cycles > last);
		last = r->cycles;
		assert_int_equal(r->values[5], 42);
		if (i == 1) {
			assert_int_equal(r->faults, 1u << 4 | 1u << 2); /* *(u8 *)16, NULL string */
			assert_int_equal(r->values[0], 16);
			continue;
		}
		if (i == 2) {
			assert_int_equal(r->faults, 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4);
			continue;
		}
		assert_int_equal(r->faults, 0);
		assert_int_equal(r->values[1], fields[0]);
		assert_int_equal(r->values[3], 0xabcdef01u);
		assert_string_equal(r->strings[0], i == 0 ? "hello" : "x");
		assert_int_equal(r->values[4], i == 0 ? 'A' : 'B');
	}
}

/*
 * A head read before other producers and the tracer moved on is behind the
 * tail (head - tail < 0): not a full ring. Here the ring's own head is
 * behind its tail, which the trampoline reads the same way: the hit is
 * recorded, not dropped (an unsigned comparison dropped it).
 */
static void test_head_behind_tail(void **state)
{
	const struct fast_case *c = &cases[0];
	struct up_fast_tramp t = events_spec();
	struct up_fast_site site;
	struct up_fast_reloc rel;
	uint8_t patch[UP_FAST_WINDOW_MAX];
	uint64_t fields[2] = {0, 0};
	size_t len;

	memset(ring, 0, 64 << 10);
	ring->nrecords = NRECORDS;
	ring->head = 100;
	ring->tail = 103;
	dropped = 0;
	assert_int_equal(analyze(c, &site), 0);
	t.site = site.addr;
	assert_int_equal(
	    arch()->fast->build(arch(), &t, tramp_at, near_page, &len, fixups, &nfixups), 0);
	assert_int_equal(arch()->fast->relocate(arch(), &site, tramp_at + len, &rel), 0);
	memcpy(near_page + len, rel.code, rel.len);
	assert_int_equal(arch()->fast->patch(arch(), &site, tramp_at, patch), 0);
	text_writable(site.addr, site.len, true);
	memcpy((void *)(uintptr_t)site.addr, patch, site.len);
	as_fn3(c->fn)((uint64_t)(uintptr_t)"D", fields, "d");
	memcpy((void *)(uintptr_t)site.addr, site.orig, site.len);
	text_writable(site.addr, site.len, false);
	assert_int_equal(dropped, 0);
	assert_int_equal(ring->head, 101);
}

/* A string longer than the cap: cut, NUL-terminated, not a fault. */
static void test_long_string(void **state)
{
	const struct fast_case *c = &cases[0];
	struct up_fast_tramp t = events_spec();
	struct up_fast_site site;
	struct up_fast_reloc rel;
	uint8_t patch[UP_FAST_WINDOW_MAX];
	char text[200];
	uint64_t fields[2] = {0, 0};
	const struct up_fast_record *r;
	size_t len;

	memset(text, 'z', sizeof(text) - 1);
	text[sizeof(text) - 1] = 0;
	memset(ring, 0, 64 << 10);
	ring->nrecords = NRECORDS;
	assert_int_equal(analyze(c, &site), 0);
	t.site = site.addr;
	assert_int_equal(
	    arch()->fast->build(arch(), &t, tramp_at, near_page, &len, fixups, &nfixups), 0);
	assert_int_equal(arch()->fast->relocate(arch(), &site, tramp_at + len, &rel), 0);
	memcpy(near_page + len, rel.code, rel.len);
	assert_int_equal(arch()->fast->patch(arch(), &site, tramp_at, patch), 0);
	text_writable(site.addr, site.len, true);
	memcpy((void *)(uintptr_t)site.addr, patch, site.len);
	as_fn3(c->fn)((uint64_t)(uintptr_t)"C", fields, text);
	memcpy((void *)(uintptr_t)site.addr, site.orig, site.len);
	text_writable(site.addr, site.len, false);
	r = (const struct up_fast_record *)((const uint8_t *)ring + UP_FAST_RING_RECORDS);
	assert_int_equal(r->faults, 0);
	assert_int_equal(strlen(r->strings[0]), UP_FAST_STRING_LEN - 1);
}

static void test_leave(void **state)
{
	struct up_fast_tramp t = {0};

	t.counter = (uint64_t)(uintptr_t)hits;
	leave_through(&t);
	memset(ring, 0, 64 << 10);
	ring->nrecords = NRECORDS;
	t = events_spec();
	leave_through(&t);
}

static int setup(void **state)
{
	near_page = page_near((uint64_t)(uintptr_t)fast_prologue);
	far_page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (!near_page || far_page == MAP_FAILED)
		return -1;
	hits = (int64_t *)(near_page + PAGE - 8);
	ring = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return ring == MAP_FAILED ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_analysis),
	    cmocka_unit_test(test_unsized),
	    cmocka_unit_test(test_objdump),
	    cmocka_unit_test(test_patched),
	    cmocka_unit_test(test_far),
	    cmocka_unit_test(test_leave),
	    cmocka_unit_test(test_records),
	    cmocka_unit_test(test_long_string),
	    cmocka_unit_test(test_head_behind_tail),
	};

#if !defined(__x86_64__)
	printf("skip: the patched code runs on x86_64 hosts only\n");
	return 77;
#endif
	return cmocka_run_group_tests(tests, setup, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * The trap-free path's trampolines on x86_64 (include/uptrace/fast.h): the
 * code a patched site jumps to, before its relocated window
 * (fastpath.c). The site's code may keep live data below rsp (the
 * 128-byte red zone) and live flags, so the trampoline first steps rsp
 * over the red zone (lea, which leaves the flags alone), saves the flags
 * and the registers it uses, and restores all of it before the window
 * runs. Addresses in the shared memory are absolute (movabs): the memory
 * need not be near the code.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uptrace/fast.h"
#include "x86_64.h"

/* What the trampoline has saved where, before one of its instructions (leave() undoes it). */
struct tstate {
	uint16_t off;	/* the instruction's offset */
	uint16_t depth; /* bytes rsp is below the site's rsp */
	uint8_t nslots; /* registers saved so far: the first nslots of the slots */
};

#define MAX_STATES 512
#define MAX_SLOTS 8

struct emit {
	uint8_t *code;
	size_t len;
	uint16_t depth;
	uint8_t nslots;
	int8_t slot_reg[MAX_SLOTS];	/* up_regs index (UP_X86_EFLAGS for the flags) */
	uint16_t slot_depth[MAX_SLOTS]; /* where: site's rsp minus this */
	struct tstate states[MAX_STATES];
	unsigned nstates;
	bool full; /* a state or a slot did not fit: the trampoline is refused (-E2BIG) */
};

/* An instruction starts here: remember what is saved. */
static void mark(struct emit *e)
{
	if (e->nstates < MAX_STATES)
		e->states[e->nstates++] = (struct tstate){(uint16_t)e->len, e->depth, e->nslots};
	else
		e->full = true;
}

static void put(struct emit *e, const void *bytes, size_t n)
{
	if (e->len + n <= UP_FAST_TRAMP_MAX)
		memcpy(e->code + e->len, bytes, n);
	e->len += n;
}

static void put8(struct emit *e, uint8_t b)
{
	put(e, &b, 1);
}

static void put64(struct emit *e, uint64_t v)
{
	put(e, &v, 8);
}

/* Encoding number (0-7 without REX.B) of an up_regs index, for push/pop. */
static const int8_t enc_of[UP_X86_R15 + 1] = {
    [UP_X86_RAX] = 0,  [UP_X86_RCX] = 1,  [UP_X86_RDX] = 2,  [UP_X86_RBX] = 3,
    [UP_X86_RSP] = 4,  [UP_X86_RBP] = 5,  [UP_X86_RSI] = 6,  [UP_X86_RDI] = 7,
    [UP_X86_R8] = 8,   [UP_X86_R9] = 9,	  [UP_X86_R10] = 10, [UP_X86_R11] = 11,
    [UP_X86_R12] = 12, [UP_X86_R13] = 13, [UP_X86_R14] = 14, [UP_X86_R15] = 15,
};

static void save(struct emit *e, int reg)
{
	mark(e);
	if (reg == UP_X86_EFLAGS) {
		put8(e, 0x9c); /* pushfq */
	} else {
		if (enc_of[reg] >= 8)
			put8(e, 0x41);
		put8(e, (uint8_t)(0x50 + (enc_of[reg] & 7)));
	}
	e->depth += 8;
	if (e->nslots < MAX_SLOTS) {
		e->slot_reg[e->nslots] = (int8_t)reg;
		e->slot_depth[e->nslots] = e->depth;
		e->nslots++;
	} else {
		e->full = true;
	}
}

static void restore(struct emit *e, int reg)
{
	mark(e);
	if (reg == UP_X86_EFLAGS) {
		put8(e, 0x9d); /* popfq */
	} else {
		if (enc_of[reg] >= 8)
			put8(e, 0x41);
		put8(e, (uint8_t)(0x58 + (enc_of[reg] & 7)));
	}
	e->depth -= 8;
}

/* lea -128(%rsp),%rsp: past the red zone, flags untouched. */
static void red_zone_in(struct emit *e)
{
	static const uint8_t lea[] = {0x48, 0x8d, 0x64, 0x24, 0x80};

	mark(e);
	put(e, lea, sizeof(lea));
	e->depth += 128;
}

static void red_zone_out(struct emit *e)
{
	static const uint8_t lea[] = {0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0};

	mark(e);
	put(e, lea, sizeof(lea));
	e->depth -= 128;
	e->nslots = 0; /* everything is back in place */
}

/* --- the record's fetches ------------------------------------------------------------------ */

#define RCX 1
#define RDX 2

/* Where the site's value of reg is now: saved in a slot (its offset from rsp), or -1. */
static int slot_of(const struct emit *e, int reg)
{
	for (unsigned k = 0; k < e->nslots; k++)
		if (e->slot_reg[k] == reg)
			return e->depth - e->slot_depth[k];
	return -1;
}

/* mov (or lea with lea set) disp32(%rsp), %dst (dst: RCX or RDX) */
static void rsp_rel(struct emit *e, bool lea, int dst, int32_t disp)
{
	const uint8_t op[] = {0x48, lea ? 0x8d : 0x8b, (uint8_t)(0x84 | dst << 3), 0x24};

	mark(e);
	put(e, op, sizeof(op));
	put(e, &disp, 4);
}

/* %dst = the site's value of up_regs register reg (a general one, rsp or rip) */
static void load_reg(struct emit *e, const struct up_fast_tramp *t, int dst, int reg)
{
	int slot = slot_of(e, reg);

	if (reg == UP_X86_RSP) {
		rsp_rel(e, true, dst, e->depth);
	} else if (reg == UP_X86_RIP) {
		mark(e);
		put8(e, 0x48);
		put8(e, (uint8_t)(0xb8 + dst));
		put64(e, t->site);
	} else if (slot >= 0) {
		rsp_rel(e, false, dst, slot);
	} else {
		/* mov %reg,%dst: REX.W (+ REX.R for r8-r15) 89 /r */
		mark(e);
		put8(e, (uint8_t)(0x48 | (enc_of[reg] >= 8 ? 4 : 0)));
		put8(e, 0x89);
		put8(e, (uint8_t)(0xc0 | (enc_of[reg] & 7) << 3 | dst));
	}
}

static bool gpr(int reg)
{
	return reg >= 0 && reg <= UP_X86_R15;
}

static int x86_can_fetch(const struct up_fetch *f, char *why, size_t len)
{
	switch (f->base) {
	case UP_FETCH_REG:
		if (!gpr(f->reg) && f->reg != UP_X86_RIP) {
			snprintf(why, len, "a register other than the general ones");
			return -ENOTSUP;
		}
		break;
	case UP_FETCH_ARG:
		if (f->argn == 0) {
			snprintf(why, len, "argument 0");
			return -ENOTSUP;
		}
		break;
	case UP_FETCH_FPREG:
		if (f->reg < 0 || f->reg >= 16) {
			snprintf(why, len, "an x87 register");
			return -ENOTSUP;
		}
		break;
	case UP_FETCH_CONST:
	case UP_FETCH_TID:
	case UP_FETCH_COMM:
		break;
	default:
		snprintf(why, len, "a value only the tracer has (a return value, an entry value)");
		return -ENOTSUP;
	}
	for (unsigned i = 0; i < f->nops && i < UP_FETCH_MAX_OPS; i++) {
		const struct up_fetch_op *op = &f->ops[i];

		if (op->op == UP_FOP_LOAD && op->size != 1 && op->size != 2 && op->size != 4 &&
		    op->size != 8) {
			snprintf(why, len, "a %u-byte value", op->size);
			return -ENOTSUP;
		}
		if (op->op == UP_FOP_ADD_REG &&
		    (!gpr((int)op->imm) ||
		     (op->size != 1 && op->size != 2 && op->size != 4 && op->size != 8))) {
			snprintf(why, len, "an index register it cannot scale");
			return -ENOTSUP;
		}
		if (op->op != UP_FOP_LOAD && op->op != UP_FOP_ADD && op->op != UP_FOP_SHR &&
		    op->op != UP_FOP_ADD_REG) {
			snprintf(why, len, "an operation it does not know");
			return -ENOTSUP;
		}
	}
	return 0;
}

int up_x86_64_fast_can_fetch(const struct up_arch *a, const struct up_fetch *f, char *why,
			     size_t len)
{
	return x86_can_fetch(f, why, len);
}

bool up_x86_64_fast_has_key(const struct up_arch *a, uint64_t hwcap2)
{
	return hwcap2 & 2; /* HWCAP2_FSGSBASE: rdfsbase works in user space */
}

uint64_t up_x86_64_fast_key_of(const struct up_arch *a, const struct up_regs *regs)
{
	return regs->r[UP_X86_FS_BASE];
}

struct fixups {
	struct up_fast_fixup *v;
	unsigned n;
	bool full;
};

/* The instruction about to be emitted may fault (its fault's place is set later). */
static void may_fault(struct emit *e, struct fixups *fx)
{
	if (fx->n < UP_FAST_FIXUPS_MAX)
		fx->v[fx->n++] = (struct up_fast_fixup){(uint16_t)e->len, 0};
	else
		fx->full = true;
}

/* A rel32 jump (op: e9, or 0f 8x) to a place not known yet: where to patch it. */
static size_t jump_fwd(struct emit *e, uint8_t op0, int op1)
{
	mark(e);
	put8(e, op0);
	if (op1 >= 0)
		put8(e, (uint8_t)op1);
	put(e, "\0\0\0\0", 4);
	return e->len - 4;
}

static void bind(struct emit *e, size_t at)
{
	int32_t rel = (int32_t)(e->len - (at + 4));

	if (at + 4 <= UP_FAST_TRAMP_MAX)
		memcpy(e->code + at, &rel, 4);
}

/* Value k into %rcx, and into the record (%rsi); a faulting load skips to a flag. */
static void emit_value(struct emit *e, const struct up_fast_tramp *t, unsigned k, struct fixups *fx)
{
	const struct up_fetch *f = &t->values[k];
	size_t first = fx->n, done;
	uint8_t store[] = {0x48, 0x89, 0x4e,
			   (uint8_t)(offsetof(struct up_fast_record, values) + 8 * k)};

	switch (f->base) {
	case UP_FETCH_REG:
		load_reg(e, t, RCX, f->reg);
		break;
	case UP_FETCH_ARG:
		if (f->argn <= 6) {
			static const int args[6] = {UP_X86_RDI, UP_X86_RSI, UP_X86_RDX,
						    UP_X86_RCX, UP_X86_R8,  UP_X86_R9};
			load_reg(e, t, RCX, args[f->argn - 1]);
		} else {
			/* on the stack: at the entry, past the return address */
			rsp_rel(e, true, RCX, e->depth + 8 + 8 * (f->argn - 7));
			may_fault(e, fx);
			mark(e);
			put(e, "\x48\x8b\x09", 3); /* mov (%rcx),%rcx */
		}
		break;
	case UP_FETCH_FPREG:
		/* movq %xmmN,%rcx: 66 REX.W(+R) 0f 7e /r */
		mark(e);
		put8(e, 0x66);
		put8(e, (uint8_t)(0x48 | (f->reg >= 8 ? 4 : 0)));
		put8(e, 0x0f);
		put8(e, 0x7e);
		put8(e, (uint8_t)(0xc1 | (f->reg & 7) << 3));
		break;
	case UP_FETCH_CONST:
		mark(e);
		put8(e, 0x48);
		put8(e, 0xb9);
		put64(e, (uint64_t)f->imm);
		break;
	default: /* $tid, $comm: the tracer has them */
		mark(e);
		put(e, "\x31\xc9", 2); /* xor %ecx,%ecx */
		break;
	}
	for (unsigned i = 0; i < f->nops && i < UP_FETCH_MAX_OPS; i++) {
		const struct up_fetch_op *op = &f->ops[i];

		switch (op->op) {
		case UP_FOP_ADD:
			mark(e);
			if (op->imm >= INT32_MIN && op->imm <= INT32_MAX) {
				int32_t imm = (int32_t)op->imm;

				put(e, "\x48\x81\xc1", 3); /* add $imm32,%rcx */
				put(e, &imm, 4);
			} else {
				put8(e, 0x48); /* movabs $imm,%rdx; add %rdx,%rcx */
				put8(e, 0xba);
				put64(e, (uint64_t)op->imm);
				mark(e);
				put(e, "\x48\x01\xd1", 3);
			}
			break;
		case UP_FOP_LOAD:
			may_fault(e, fx);
			mark(e);
			if (op->size == 1)
				put(e, "\x48\x0f\xb6\x09", 4); /* movzbq (%rcx),%rcx */
			else if (op->size == 2)
				put(e, "\x48\x0f\xb7\x09", 4); /* movzwq (%rcx),%rcx */
			else if (op->size == 4)
				put(e, "\x8b\x09", 2); /* mov (%rcx),%ecx */
			else
				put(e, "\x48\x8b\x09", 3); /* mov (%rcx),%rcx */
			break;
		case UP_FOP_SHR:
			if (op->imm > 0 && op->imm < 64) {
				mark(e);
				put(e, "\x48\xc1\xe9", 3);
				put8(e, (uint8_t)op->imm);
			}
			break;
		case UP_FOP_ADD_REG: {
			static const uint8_t sib[9] = {
			    [1] = 0x11, [2] = 0x51, [4] = 0x91, [8] = 0xd1};

			load_reg(e, t, RDX, (int)op->imm);
			mark(e);
			put(e, "\x48\x8d\x0c", 3); /* lea (%rcx,%rdx,size),%rcx */
			put8(e, sib[op->size]);
			break;
		}
		}
	}
	mark(e);
	put(e, store, sizeof(store));
	if (t->string[k]) {
		/* the string: at most UP_FAST_STRING_LEN - 1 bytes and a NUL */
		int32_t dst = (int32_t)(offsetof(struct up_fast_record, strings) +
					UP_FAST_STRING_LEN * (t->string[k] - 1));
		size_t loop, end, fault_at, null_ptr;

		mark(e);
		put(e, "\x48\x8d\x96", 3); /* lea dst(%rsi),%rdx */
		put(e, &dst, 4);
		mark(e);
		put(e, "\x41\xb8", 2); /* mov $LEN-1,%r8d */
		put(e, (int32_t[]){UP_FAST_STRING_LEN - 1}, 4);
		mark(e);
		put(e, "\x48\x85\xc9", 3);	    /* test %rcx,%rcx */
		null_ptr = jump_fwd(e, 0x0f, 0x84); /* je: a NULL pointer is a fault too */
		loop = e->len;
		mark(e);
		put(e, "\x45\x85\xc0", 3);     /* test %r8d,%r8d */
		end = jump_fwd(e, 0x0f, 0x84); /* je end: full */
		fault_at = e->len;
		may_fault(e, fx);
		mark(e);
		put(e, "\x0f\xb6\x01", 3); /* movzbl (%rcx),%eax */
		mark(e);
		put(e, "\x88\x02", 2); /* mov %al,(%rdx) */
		mark(e);
		put(e, "\x84\xc0", 2); /* test %al,%al */
		{
			size_t nul = jump_fwd(e, 0x0f, 0x84); /* je done (the NUL is copied) */
			mark(e);
			put(e, "\x48\xff\xc1", 3); /* inc %rcx */
			mark(e);
			put(e, "\x48\xff\xc2", 3); /* inc %rdx */
			mark(e);
			put(e, "\x41\xff\xc8", 3); /* dec %r8d */
			mark(e);
			put8(e, 0xe9); /* jmp loop */
			put(e, (int32_t[]){(int32_t)(loop - (e->len + 4))}, 4);
			/* a fault or a NULL: a fault unless some bytes were copied */
			for (unsigned i = first; i < fx->n; i++)
				if (fx->v[i].at == fault_at)
					fx->v[i].to = (uint16_t)e->len;
			bind(e, null_ptr);
			mark(e);
			put(e, "\x41\x83\xf8", 3); /* cmp $LEN-1,%r8d */
			put8(e, UP_FAST_STRING_LEN - 1);
			{
				size_t some =
				    jump_fwd(e, 0x0f, 0x85); /* jne: partial, not a fault */

				mark(e);
				put(e, "\x81\x4e\x0c", 3); /* orl $bit,12(%rsi) */
				put(e, (uint32_t[]){1u << k}, 4);
				bind(e, some);
			}
			bind(e, end);
			mark(e);
			put(e, "\xc6\x02\x00", 3); /* movb $0,(%rdx) */
			bind(e, nul);
		}
	}
	/* the loads of the fetch itself fault to here: the value's fault bit, on to the next */
	done = jump_fwd(e, 0xe9, -1);
	for (unsigned i = first; i < fx->n; i++)
		if (!fx->v[i].to)
			fx->v[i].to = (uint16_t)e->len;
	mark(e);
	put(e, "\x81\x4e\x0c", 3); /* orl $bit,12(%rsi) */
	put(e, (uint32_t[]){1u << k}, 4);
	bind(e, done);
}

static int emit_tramp(const struct up_fast_tramp *t, struct emit *e, struct fixups *fx)
{
	static const uint8_t lock_incq_rax[] = {0xf0, 0x48, 0xff, 0x00}; /* lock incq (%rax) */
	static const int saved[] = {UP_X86_RAX, UP_X86_RCX, UP_X86_RDX,
				    UP_X86_RSI, UP_X86_RDI, UP_X86_R8};
	size_t retry, full, out;

	if (t->counter && !t->ring) {
		red_zone_in(e);
		save(e, UP_X86_EFLAGS);
		save(e, UP_X86_RAX);
		mark(e);
		put8(e, 0x48); /* movabs $counter,%rax */
		put8(e, 0xb8);
		put64(e, t->counter);
		mark(e);
		put(e, lock_incq_rax, sizeof(lock_incq_rax));
		restore(e, UP_X86_RAX);
		restore(e, UP_X86_EFLAGS);
		red_zone_out(e);
		mark(e);
		return e->len > UP_FAST_TRAMP_MAX || e->full ? -E2BIG : 0;
	}
	if (!t->ring || !t->nrecords || (t->nrecords & (t->nrecords - 1)) || !t->dropped ||
	    t->nvalues > UP_FAST_VALUES_MAX)
		return -ENOTSUP;
	for (unsigned k = 0; k < t->nvalues; k++) {
		char why[8];

		if (x86_can_fetch(&t->values[k], why, sizeof(why)) ||
		    t->string[k] > UP_FAST_STRINGS_MAX)
			return -ENOTSUP;
	}
	red_zone_in(e);
	save(e, UP_X86_EFLAGS);
	for (unsigned i = 0; i < sizeof(saved) / sizeof(saved[0]); i++)
		save(e, saved[i]);

	/* reserve: head + 1 by compare-and-swap while head - tail < nrecords */
	mark(e);
	put(e, "\x48\xbf", 2); /* movabs $ring,%rdi */
	put64(e, t->ring);
	mark(e);
	put(e, "\x48\x8b\x07", 3); /* mov (%rdi),%rax */
	retry = e->len;
	mark(e);
	put(e, "\x48\x89\xc1", 3); /* mov %rax,%rcx */
	mark(e);
	put(e, "\x48\x2b\x4f", 3); /* sub tail(%rdi),%rcx */
	put8(e, (uint8_t)offsetof(struct up_fast_ring, tail));
	mark(e);
	put(e, "\x48\x81\xf9", 3); /* cmp $nrecords,%rcx */
	put(e, &t->nrecords, 4);
	/*
	 * jge drop, signed: a head read before other producers and the tracer
	 * moved on is behind the tail now (a negative difference, not a full
	 * ring); the compare-and-swap below then fails and retries with the
	 * new head. Unsigned, it dropped a record from a ring with room.
	 */
	full = jump_fwd(e, 0x0f, 0x8d);
	mark(e);
	put(e, "\x48\x8d\x48\x01", 4); /* lea 1(%rax),%rcx */
	mark(e);
	put(e, "\xf0\x48\x0f\xb1\x0f", 5); /* lock cmpxchg %rcx,(%rdi) */
	mark(e);
	put(e, "\x0f\x85", 2); /* jne retry (rax: the head seen) */
	put(e, (int32_t[]){(int32_t)(retry - (e->len + 4))}, 4);
	/* the record: rsi = records + (pos & mask) * size; rdi = pos */
	mark(e);
	put(e, "\x48\x89\xc6", 3); /* mov %rax,%rsi */
	mark(e);
	put(e, "\x81\xe6", 2); /* and $mask,%esi */
	put(e, (uint32_t[]){t->nrecords - 1}, 4);
	mark(e);
	put(e, "\x48\xc1\xe6", 3); /* shl $log2(size),%rsi */
	put8(e, UP_FAST_RECORD_LOG2);
	mark(e);
	put(e, "\x48\x8d\xb4\x37", 4); /* lea RECORDS(%rdi,%rsi),%rsi */
	put(e, (int32_t[]){UP_FAST_RING_RECORDS}, 4);
	mark(e);
	put(e, "\x48\x89\xc7", 3); /* mov %rax,%rdi */
	mark(e);
	put(e, "\xc7\x46\x08", 3); /* movl $id,8(%rsi) */
	put(e, &t->id, 4);
	mark(e);
	put(e, "\xc7\x46\x0c\0\0\0\0", 7); /* movl $0,12(%rsi): no fault yet */
	if (t->key) {
		mark(e);
		put(e, "\xf3\x48\x0f\xae\xc1", 5); /* rdfsbase %rcx */
		mark(e);
		put(e, "\x48\x89\x4e\x10", 4); /* mov %rcx,16(%rsi) */
	}
	mark(e);
	put(e, "\x0f\x31", 2); /* rdtsc */
	mark(e);
	put(e, "\x48\xc1\xe2\x20", 4); /* shl $32,%rdx */
	mark(e);
	put(e, "\x48\x09\xd0", 3); /* or %rdx,%rax */
	mark(e);
	put(e, "\x48\x89\x46\x18", 4); /* mov %rax,24(%rsi) */
	for (unsigned k = 0; k < t->nvalues; k++)
		emit_value(e, t, k, fx);
	/* publish: seq = pos + 1, a plain store (x86 stores are release stores) */
	mark(e);
	put(e, "\x48\x8d\x4f\x01", 4); /* lea 1(%rdi),%rcx */
	mark(e);
	put(e, "\x48\x89\x0e", 3); /* mov %rcx,(%rsi) */
	out = jump_fwd(e, 0xe9, -1);
	bind(e, full); /* dropped: counted */
	mark(e);
	put(e, "\x48\xb9", 2); /* movabs $dropped,%rcx */
	put64(e, t->dropped);
	mark(e);
	put(e, "\xf0\x48\xff\x01", 4); /* lock incq (%rcx) */
	bind(e, out);
	for (int i = (int)(sizeof(saved) / sizeof(saved[0])) - 1; i >= 0; i--)
		restore(e, saved[i]);
	restore(e, UP_X86_EFLAGS);
	red_zone_out(e);
	mark(e);
	if (fx->full)
		return -E2BIG;
	return e->len > UP_FAST_TRAMP_MAX || e->full ? -E2BIG : 0;
}

/* pushf (9c, 66 9c) stepped: the word it pushed has TF (bit 8) from the step; clear it. */
int up_x86_64_fast_stepped(const struct up_arch *a, const uint8_t *insn, size_t len,
			   const struct up_regs *regs, const struct up_mem *mem)
{
	uint64_t sp = regs->r[UP_X86_RSP], v = 0;
	size_t i = 0, size = 8;
	int err;

	while (i < len && (insn[i] == 0x66 || (insn[i] & 0xf0) == 0x40)) {
		if (insn[i] == 0x66)
			size = 2;
		if ((insn[i] & 0xf8) == 0x48)
			size = 8; /* REX.W wins */
		i++;
	}
	if (i >= len || insn[i] != 0x9c)
		return 0;
	err = mem->read(mem->ctx, sp, &v, size);
	if (err || !(v & 0x100))
		return err;
	v &= ~(uint64_t)0x100;
	return mem->write(mem->ctx, sp, &v, size);
}

int up_x86_64_fast_build(const struct up_arch *a, const struct up_fast_tramp *t, uint64_t addr,
			 uint8_t *code, size_t *len, struct up_fast_fixup *fixups,
			 unsigned *nfixups)
{
	struct up_fast_fixup none[UP_FAST_FIXUPS_MAX];
	struct fixups fx = {fixups ? fixups : none, 0, false};
	struct emit *e = calloc(1, sizeof(*e));
	int err;

	if (!e)
		return -ENOMEM;
	e->code = code;
	err = emit_tramp(t, e, &fx);
	if (!err) {
		*len = e->len;
		if (nfixups)
			*nfixups = fx.n;
	}
	free(e);
	return err;
}

/* The destination of the unconditional jump at code[0] (e9 rel32, or ff 25 0 and the address). */
static bool jump_dest(const uint8_t *code, size_t avail, uint64_t at, uint64_t *dest)
{
	int32_t rel;

	if (avail >= 5 && code[0] == 0xe9) {
		memcpy(&rel, code + 1, 4);
		*dest = at + 5 + (int64_t)rel;
		return true;
	}
	if (avail >= 14 && code[0] == 0xff && code[1] == 0x25 && !code[2] && !code[3] && !code[4] &&
	    !code[5]) {
		memcpy(dest, code + 6, 8);
		return true;
	}
	return false;
}

int up_x86_64_fast_leave(const struct up_arch *a, const struct up_fast_tramp *t, uint64_t tramp,
			 const struct up_fast_site *site, const struct up_fast_reloc *rel,
			 struct up_regs *regs, const struct up_mem *mem)
{
	uint8_t code[UP_FAST_TRAMP_MAX];
	struct up_fast_fixup fixups[UP_FAST_FIXUPS_MAX];
	struct fixups fx = {fixups, 0, false};
	uint64_t pc = regs->r[UP_X86_RIP], off = pc - tramp, rsp;
	struct emit *ep = calloc(1, sizeof(*ep)), e;
	int err;

	if (!ep)
		return -ENOMEM;
	ep->code = code;
	err = emit_tramp(t, ep, &fx);
	e = *ep;
	free(ep);
	if (err)
		return err;
	if (off >= e.len) {
		/* the relocated window: the same instruction in the original code */
		uint64_t r = off - e.len, dest;

		if (r >= rel->len)
			return -EINVAL;
		if (jump_dest(rel->code + r, rel->len - r, tramp + off, &dest)) {
			regs->r[UP_X86_RIP] =
			    dest; /* the jump back, or a relocated jump's target */
			return 0;
		}
		for (unsigned k = 0; k < site->ninsns; k++)
			if (rel->insn_off[k] == r) {
				regs->r[UP_X86_RIP] = site->addr + site->insn_off[k];
				return 0;
			}
		return -EINVAL;
	}
	for (unsigned i = 0; i < e.nstates; i++) {
		const struct tstate *s = &e.states[i];

		if (s->off != off)
			continue;
		/* what it saved goes back; the site runs as if the jump had not been taken */
		rsp = regs->r[UP_X86_RSP] + s->depth;
		for (unsigned k = 0; k < s->nslots; k++) {
			uint64_t v;

			err = mem->read(mem->ctx, rsp - e.slot_depth[k], &v, 8);
			if (err)
				return err;
			/* a flags word pushed under a single-step holds its trap flag */
			regs->r[e.slot_reg[k]] = e.slot_reg[k] == UP_X86_EFLAGS ? v & ~0x100ull : v;
		}
		regs->r[UP_X86_RSP] = rsp;
		regs->r[UP_X86_RIP] = site->addr;
		return 0;
	}
	return -EINVAL;
}

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
};

/* An instruction starts here: remember what is saved. */
static void mark(struct emit *e)
{
	if (e->nstates < MAX_STATES)
		e->states[e->nstates++] = (struct tstate){(uint16_t)e->len, e->depth, e->nslots};
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

static int emit_tramp(const struct up_fast_tramp *t, struct emit *e)
{
	static const uint8_t lock_incq_rax[] = {0xf0, 0x48, 0xff, 0x00}; /* lock incq (%rax) */

	if (!t->counter)
		return -ENOTSUP;
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
	return e->len > UP_FAST_TRAMP_MAX ? -E2BIG : 0;
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
			 uint8_t *code, size_t *len)
{
	struct emit e;
	int err;

	memset(&e, 0, sizeof(e));
	e.code = code;
	err = emit_tramp(t, &e);
	if (!err)
		*len = e.len;
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
	uint64_t pc = regs->r[UP_X86_RIP], off = pc - tramp, rsp;
	struct emit e;
	int err;

	memset(&e, 0, sizeof(e));
	e.code = code;
	err = emit_tramp(t, &e);
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

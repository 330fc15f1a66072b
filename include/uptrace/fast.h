/* SPDX-License-Identifier: MIT */
/*
 * The trap-free path's arch interface: where a site can take a jump to a
 * trampoline instead of a breakpoint, how its displaced instructions run
 * elsewhere, and the jump itself (design.md, "The trap-free path").
 *
 * An arch that has it sets up_arch.fast; every hook takes its own table
 * first, so one implementation can serve several tables. All of it is
 * pure: bytes in, bytes out, no target.
 *
 *   analyze()   the function's code and a site -> the window the jump
 *               displaces (whole instructions), or a refusal with a reason
 *   relocate()  the window's instructions, re-encoded to run at another
 *               address and continue at site + len
 *   patch()     the bytes written over the window: the jump, then padding
 *
 * The other architectures can follow with the same three hooks: aarch64
 * (b, +-128 MB: a one-instruction window; or adrp+br with a dead x16/x17),
 * riscv64 (auipc+jalr, 8 bytes, a dead temporary) and loongarch64 (b, or
 * pcaddu18i+jirl).
 */
#ifndef UPTRACE_FAST_H
#define UPTRACE_FAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uptrace/probe.h"

struct up_arch;
struct up_mem;
struct up_regs;

#define UP_FAST_WINDOW_MAX 24 /* bytes a patch may displace (x86_64: 4 + 15 at most) */
#define UP_FAST_INSNS_MAX 8   /* instructions in a window */
#define UP_FAST_RELOC_MAX 64  /* bytes of a window's relocated code, jump back included */
#define UP_FAST_WHY_LEN 128

/* One contiguous piece of a function's code: its entry part, or a split-off cold part. */
struct up_fast_code {
	uint64_t addr; /* where bytes[0] lives in the target */
	const uint8_t *bytes;
	size_t len; /* bytes of it read (the symbol's size, or a few past the site) */
	bool sized; /* len is the function's extent (a symbol with a size) */
};

/* The window a patch displaces, as analyze() found it. */
struct up_fast_site {
	uint64_t addr; /* the site: the patch's first byte */
	uint8_t len;   /* bytes of the window (whole instructions) */
	uint8_t ninsns;
	uint8_t insn_off[UP_FAST_INSNS_MAX]; /* where each instruction starts in it */
	uint8_t orig[UP_FAST_WINDOW_MAX];    /* its original bytes */
	bool single;			     /* one instruction: no other entry can exist */
	char why[UP_FAST_WHY_LEN];	     /* a refusal: the reason, for -v */
};

/* The relocated window (relocate()). */
struct up_fast_reloc {
	uint8_t code[UP_FAST_RELOC_MAX];
	uint8_t len;
	uint8_t insn_off[UP_FAST_INSNS_MAX]; /* where each window instruction landed in code */
};

#define UP_FAST_VALUES_MAX 8  /* values one record carries */
#define UP_FAST_STRINGS_MAX 2 /* of which strings, copied */
#define UP_FAST_STRING_LEN 64 /* bytes of a copied string, its NUL included */

/*
 * One hit on the ring: fixed size, written by the trampoline of the point
 * `id` after one atomic reservation of its position, published by storing
 * seq = position + 1 last (a release store). The tracer reads it when seq
 * says so and then hands the slot back by advancing the ring's tail.
 */
struct up_fast_record {
	uint64_t seq;			     /* position + 1 once complete; else older */
	uint32_t id;			     /* the point */
	uint32_t faults;		     /* bit k: value k could not be read */
	uint64_t key;			     /* the thread pointer (x86_64: the %fs base) */
	uint64_t cycles;		     /* the CPU's cycle counter (x86_64: the TSC) */
	uint64_t values[UP_FAST_VALUES_MAX]; /* raw, zero-extended from the load's size */
	char strings[UP_FAST_STRINGS_MAX][UP_FAST_STRING_LEN];
	uint8_t pad[32];
};

#define UP_FAST_RECORD_LOG2 8 /* sizeof(struct up_fast_record) == 256 */

/*
 * The ring: this header, then at UP_FAST_RING_RECORDS its records. head
 * counts reservations (producers, compare-and-swap), tail what the tracer
 * has read; head - tail < nrecords, else the hit is dropped and counted.
 */
struct up_fast_ring {
	uint64_t head;
	uint8_t pad0[56];
	uint64_t tail;
	uint8_t pad1[56];
	uint32_t nrecords; /* a power of two */
};

#define UP_FAST_RING_RECORDS 4096

/*
 * What a trampoline does at each hit before the displaced instructions
 * run (build()): count it, or write a record of it into the ring.
 */
struct up_fast_tramp {
	uint64_t site;	   /* the site's address */
	uint64_t counter;  /* count: a uint64_t the hit adds one to, atomically (0: none) */
	uint64_t ring;	   /* a record: the ring's header in the target (0: none) */
	uint32_t nrecords; /* its size */
	uint32_t id;	   /* the records' id */
	uint64_t dropped;  /* a uint64_t counting the records a full ring dropped */
	bool key;	   /* record the thread pointer (the tracer knows it) */
	uint8_t nvalues;
	struct up_fetch values[UP_FAST_VALUES_MAX]; /* each value's fetch (probe.h) */
	uint8_t string[UP_FAST_VALUES_MAX];	    /* 0: a number; 1 + j: also copy the string it
						     * points to into strings[j] */
};

#define UP_FAST_TRAMP_MAX 2048 /* bytes of a trampoline's own code, at most */
#define UP_FAST_FIXUPS_MAX 32

/* A load of the trampoline's that may fault: a fault there goes on at `to` (offsets). */
struct up_fast_fixup {
	uint16_t at, to;
};

struct up_fast_ops {
	uint8_t patch_len; /* bytes of the jump at a site (x86_64: 5, jmp rel32) */
	uint64_t reach;	   /* how far it reaches either way (bytes) */

	/*
	 * Can a trap-free jump go at site? parts[0] holds site (the function's
	 * entry part), the others are parts that may branch into it (a cold
	 * part). 0 with *out filled; -ENOTSUP with out->why when it cannot.
	 */
	int (*analyze)(const struct up_arch *a, const struct up_fast_code *parts, unsigned nparts,
		       uint64_t site, struct up_fast_site *out);
	/*
	 * Where code can be entered other than at its start: every direct
	 * branch's target and every address a pc-relative operand takes, for
	 * a whole module's code (a linear sweep that steps over what does not
	 * decode). A malloc'd array in *out (the caller frees it), *n of them,
	 * unsorted. 0 or -ENOMEM.
	 */
	int (*entries)(const struct up_arch *a, const struct up_fast_code *code, uint64_t **out,
		       size_t *n);
	/*
	 * The window's instructions as they must run at addr, then on to
	 * site->addr + site->len. -ERANGE when an operand or a branch cannot
	 * reach from addr.
	 */
	int (*relocate)(const struct up_arch *a, const struct up_fast_site *site, uint64_t addr,
			struct up_fast_reloc *out);
	/*
	 * The bytes to write over the window (site->len of them into out):
	 * the jump to tramp, the rest the breakpoint. -ERANGE out of reach.
	 */
	int (*patch)(const struct up_arch *a, const struct up_fast_site *site, uint64_t tramp,
		     uint8_t *out);
	/*
	 * The trampoline's own code, to live at addr (the relocated window
	 * follows it): step over the red zone, save what it clobbers (flags
	 * included), do what t says, restore. Its length in *len (at most
	 * UP_FAST_TRAMP_MAX). -ENOTSUP when t asks for what it cannot do.
	 */
	int (*build)(const struct up_arch *a, const struct up_fast_tramp *t, uint64_t addr,
		     uint8_t *code, size_t *len, struct up_fast_fixup *fixups, unsigned *nfixups);
	/*
	 * Can a trampoline compute this fetch (probe.h) by itself at a site?
	 * 0, or -ENOTSUP with why filled (what it cannot do).
	 */
	int (*can_fetch)(const struct up_arch *a, const struct up_fetch *f, char *why, size_t len);
	/*
	 * Is the thread key there (the instruction that reads it works in this
	 * process)? hwcap2: the target's AT_HWCAP2.
	 */
	bool (*has_key)(const struct up_arch *a, uint64_t hwcap2);
	/* The thread key from a stopped thread's registers (what the trampoline records). */
	uint64_t (*key_of)(const struct up_arch *a, const struct up_regs *regs);
	/*
	 * After a single-step over insn (the bytes at the old PC), undo what
	 * the step itself left behind: x86's pushf pushes the trap flag the
	 * step set, and a later popf would keep it (a SIGTRAP at the next
	 * instruction, after detach). regs are the thread's after the step.
	 * NULL: nothing to undo.
	 */
	int (*stepped)(const struct up_arch *a, const uint8_t *insn, size_t len,
		       const struct up_regs *regs, const struct up_mem *mem);
	/*
	 * A thread stopped inside the trampoline built from t at tramp (its
	 * relocated window rel right after): where it stands in the original
	 * code, with what the trampoline saved put back into regs. In the
	 * trampoline's own code that is the site, not yet run (a hit counted or
	 * not, never twice for one run of the site once it is restored); in
	 * the window, the same instruction at its original place. The
	 * window's bytes must be the original ones before the thread runs.
	 * -EINVAL for a PC that is no instruction of it.
	 */
	int (*leave)(const struct up_arch *a, const struct up_fast_tramp *t, uint64_t tramp,
		     const struct up_fast_site *site, const struct up_fast_reloc *rel,
		     struct up_regs *regs, const struct up_mem *mem);
};

#endif

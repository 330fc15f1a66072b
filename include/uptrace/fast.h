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

/*
 * What a trampoline does at each hit before the displaced instructions
 * run (build()): count it.
 */
struct up_fast_tramp {
	uint64_t site;		/* the site's address */
	uint64_t counter;	/* a uint64_t in shared memory the hit adds one to, atomically */
};

#define UP_FAST_TRAMP_MAX 1024 /* bytes of a trampoline's own code, at most */

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
		     uint8_t *code, size_t *len);
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

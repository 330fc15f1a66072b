/* SPDX-License-Identifier: MIT */
/*
 * The per-architecture ops table.
 *
 * Everything in arch/<arch>/ is a pure function of instruction bytes and
 * register values: no ptrace, no sockets, no globals that change. The core
 * picks a table by the target's ELF e_machine (as elfutils' ebl backends
 * are picked), so every build carries all four architectures and their
 * unit tests run on any host. Every hook takes its own table first, and
 * every table is complete when compiled: a hook an architecture has nothing
 * of its own for points at a shared default in arch/common, so no caller
 * tests a hook for NULL.
 *
 * Data flow for one probe point:
 *   install:  up_arch.decode()   bytes -> struct up_insn (simulate|xol|refuse)
 *             up_arch.xol_build() for XOL insns -> slot code written once
 *   each hit: up_arch.simulate() or  xol_enter() ... [xol_leave() at trap]
 */
#ifndef UPTRACE_ARCH_H
#define UPTRACE_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "uptrace/regs.h"

struct up_fast_ops;

/* What the core does with a displaced instruction at each hit. */
enum up_insn_action {
	UP_INSN_REFUSE = 0, /* unsafe: refuse to probe, insn->why says why */
	UP_INSN_SIMULATE,   /* arch->simulate() computes its whole effect */
	UP_INSN_XOL,	    /* run a copy in an XOL slot (arch->xol_build) */
};

#define UP_INSN_MAX_LEN 16
#define UP_INSN_TEXT_LEN 64

/*
 * One decoded instruction at a probe point. Filled by arch->decode(); the
 * core treats priv[] as opaque and only copies the struct around.
 */
struct up_insn {
	uint64_t addr;			/* where it lives in the target */
	uint8_t bytes[UP_INSN_MAX_LEN]; /* original bytes (what the bp replaces) */
	uint8_t len;			/* its length in bytes */
	uint8_t action;			/* enum up_insn_action */
	uint16_t op;			/* arch-private class of instruction */
	char text[UP_INSN_TEXT_LEN];	/* disassembly, "call *0x2f0e(%rip)" */
	char why[UP_INSN_TEXT_LEN];	/* with UP_INSN_REFUSE: the reason */
	int64_t priv[8];		/* arch-private decoded operands */
};

/*
 * Target memory as the arch code sees it while simulating: the core passes
 * callbacks so arch/ stays free of I/O. Both return 0 or a negative errno.
 */
struct up_mem {
	void *ctx;
	int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	int (*write)(void *ctx, uint64_t addr, const void *buf, size_t len);
};

/* How the thread leaves an XOL slot. */
enum up_xol_exit {
	UP_XOL_EXIT_JUMP = 1, /* the slot jumps back to insn->addr + len: one stop per hit */
	UP_XOL_EXIT_TRAP,     /* the slot ends in a breakpoint at trap_offset: xol_leave() runs */
};

#define UP_XOL_SLOT_SIZE 64

/* The code of one XOL slot, built once when the probe point is armed. */
struct up_xol {
	uint8_t code[UP_XOL_SLOT_SIZE]; /* bytes to write at the slot address */
	uint16_t len;			/* how many of them */
	uint8_t exit;			/* enum up_xol_exit */
	uint16_t trap_offset;		/* with UP_XOL_EXIT_TRAP: offset of the breakpoint */
	int64_t priv[4];		/* arch-private fixup data for enter/leave */
};

/* Per-thread state carried from xol_enter() to xol_leave() (two-stop slots). */
struct up_xol_state {
	uint64_t saved[2];
};

/* One register in the GDB remote protocol's 'g' packet, in packet order. */
struct up_gdb_reg {
	int16_t index; /* into struct up_regs.r[], or -1: skip these bytes */
	uint8_t size;  /* bytes in the packet (little-endian) */
};

/*
 * Machine code that runs inside the target, built from freestanding C by
 * arch/blob.py: position-independent, no data of its own.
 */
struct up_code_blob {
	const uint8_t *code;
	size_t size;
	size_t handler;	 /* offset of the entry point */
	size_t restorer; /* offset of the signal restorer (rt_sigreturn) */
};

struct up_arch {
	const char *name;      /* "x86_64", "aarch64", "riscv64", "loongarch64" */
	uint16_t e_machine;    /* EM_X86_64, EM_AARCH64, EM_RISCV, EM_LOONGARCH */
	const char *qemu_name; /* qemu-user binary suffix: "aarch64" ... */
	const char *gdb_arch;  /* GDB's name in target.xml: "i386:x86-64", "aarch64" ... */
	const char *ld_so;     /* the dynamic loader's module name: "ld-linux-aarch64" */
	uint64_t user_top;     /* Linux maps user memory below this address */

	/* Breakpoint. bp_len bytes of bp[]; see also breakpoint() below. */
	uint8_t bp[4];
	uint8_t bp_len;
	uint8_t bp_pc_adjust; /* PC after the trap minus the bp address (0 everywhere) */
	/*
	 * The signal the breakpoint raises. A fault, not a trap: PC stays on
	 * it, so a thread the kernel lets go when its tracer dies (dropping
	 * the stop's signal) runs into it again instead of past it.
	 */
	uint8_t bp_signal;
	uint8_t insn_align;   /* 1 x86, 2 riscv with RVC, 4 otherwise */
	uint8_t max_insn_len; /* longest instruction: bytes decode() wants */

	/* Registers: up_regs index of each role; -1 where there is none. */
	uint16_t nregs; /* indexes 0..nregs-1 of up_regs.r are used */
	int16_t pc_reg, sp_reg, ra_reg, retval_reg;
	/*
	 * A result of two integer registers: the second (rdx, x1, a1). A
	 * result returned in memory: the register that holds its address at
	 * the function's entry (rdi, x8, a0), as the caller passes it.
	 */
	int16_t retval2_reg, result_addr_reg;
	int16_t arg_regs[8]; /* integer argument registers, in order */
	uint8_t n_arg_regs;
	uint8_t stack_arg_offset;     /* at entry, $argN past the registers is at sp + this + 8*k */
	const char *const *reg_names; /* nregs names, "rax"; for %REG and messages */

	/*
	 * Frame records for --stack, where code keeps a frame pointer: at
	 * [fp + fp_next_offset] the caller's fp, at [fp + fp_ra_offset] the
	 * return address. fp_reg -1: no frame-pointer walk.
	 */
	int16_t fp_reg;
	int8_t fp_next_offset, fp_ra_offset;

	/* GDB remote 'g' packet layout (qemu-user's and gdbserver's). */
	const struct up_gdb_reg *gdb_regs;
	uint16_t n_gdb_regs;

	/* Remote system calls (mmap of the XOL page, mprotect under qemu). */
	uint8_t syscall_insn[4]; /* syscall / svc #0 / ecall / syscall 0 */
	uint8_t syscall_len;
	int16_t syscall_nr_reg; /* register holding the number */
	int16_t syscall_arg_regs[6];
	int16_t syscall_ret_reg;
	int16_t syscall_restart_reg; /* x86 orig_rax: set to -1 so no restart; else -1 */
	int16_t nr_mmap, nr_mprotect, nr_munmap;
	/*
	 * Stores for writing text under qemu-user (src/target/remote/poke.c):
	 * store_insn[i] stores the low 1 << i bytes of syscall_arg_regs[1] at
	 * the address in syscall_arg_regs[0]; store_len bytes each.
	 */
	uint8_t store_insn[4][4];
	uint8_t store_len;

	/*
	 * Breakpoint bytes for a target whose ELF header has e_flags (riscv:
	 * c.ebreak only where RVC is present). Returns the length. Default:
	 * bp/bp_len.
	 */
	unsigned (*breakpoint)(const struct up_arch *a, uint32_t e_flags, uint8_t out[4]);

	/*
	 * Decode the instruction at addr from avail bytes and decide how a hit
	 * completes it. Always fills insn->len, ->text and ->action (REFUSE with
	 * ->why when unsafe or undecodable). Returns 0, or -EINVAL when the
	 * bytes are not an instruction at all (insn->why says so).
	 */
	int (*decode)(const struct up_arch *a, struct up_insn *insn, uint64_t addr,
		      const uint8_t *bytes, size_t avail);

	/*
	 * Apply the whole effect of a UP_INSN_SIMULATE instruction to regs
	 * (PC included) and, through mem, to memory. 0 or a negative errno;
	 * on error regs are unchanged.
	 */
	int (*simulate)(const struct up_arch *a, const struct up_insn *insn, struct up_regs *regs,
			const struct up_mem *mem);

	/*
	 * Build the slot code for a UP_INSN_XOL instruction that will live at
	 * slot_addr. Prefer UP_XOL_EXIT_JUMP (jump back to addr + len) when the
	 * encoding can reach; else end in a breakpoint. -ERANGE when neither
	 * can be done from this slot address (the core tries another page).
	 */
	int (*xol_build)(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
			 struct up_xol *xol);

	/* Point the thread into the slot; save what xol_leave needs. Default: PC = slot. */
	void (*xol_enter)(const struct up_arch *a, const struct up_insn *insn,
			  const struct up_xol *xol, uint64_t slot_addr, struct up_regs *regs,
			  struct up_xol_state *state);

	/*
	 * At a UP_XOL_EXIT_TRAP slot's trailing breakpoint: set PC after the
	 * original instruction and undo the slot's side effects (scratch
	 * register, pushed return address). Default: PC = addr + len.
	 */
	int (*xol_leave)(const struct up_arch *a, const struct up_insn *insn,
			 const struct up_xol *xol, uint64_t slot_addr, struct up_regs *regs,
			 const struct up_mem *mem, const struct up_xol_state *state);

	/* At a function's first instruction: read / replace its return address. Default: ra_reg. */
	int (*return_address_get)(const struct up_arch *a, const struct up_regs *regs,
				  const struct up_mem *mem, uint64_t *ret);
	int (*return_address_set)(const struct up_arch *a, struct up_regs *regs,
				  const struct up_mem *mem, uint64_t ret);

	/* Register index for a name (%rax, %x0, %a0, %sp, %pc), or -1. */
	int (*reg_lookup)(const struct up_arch *a, const char *name);

	/* up_regs index of a DWARF register number (DW_OP_regN), or -1. Default: 0-31 as is. */
	int (*dwarf_reg)(const struct up_arch *a, unsigned dwarf_regno);

	/*
	 * Floating-point arguments and results (struct up_fpregs indexes):
	 * xmm0-7, v0-7, fa0-7 (f10-f17 on riscv64, f0-f7 on loongarch64).
	 */
	int8_t fp_arg_regs[8];
	uint8_t n_fp_arg_regs;
	int8_t fp_retval_reg; /* xmm0, v0, fa0 */
	bool long_double_x87; /* long double is x87 80-bit extended (else IEEE quad) */

	/* struct up_fpregs index of a DWARF register number, or -1. */
	int (*dwarf_fp_reg)(const struct up_arch *a, unsigned dwarf_regno);

	/*
	 * GDB remote numbers of the FP registers (qemu-user 7.2's; 'p' reads
	 * them): FP register 0 is gdb_fp_regnum (-1: none), each gdb_fp_size
	 * bytes, n_fp_regs of them; x86_64's st(0) is gdb_x87_regnum (-1: none).
	 */
	int16_t gdb_fp_regnum;
	uint8_t gdb_fp_size;
	uint8_t n_fp_regs;
	int16_t gdb_x87_regnum;

	/*
	 * The length of the instruction at bytes as its encoding alone gives
	 * it, known to decode() or not (RISC-V's low bits say it, for c.unimp
	 * and reserved encodings too): lets a sweep over a function step past
	 * what decode() refuses. 0 when the encoding does not tell, or avail is
	 * short. Default: 0 (x86: only a full decoder knows a length).
	 */
	unsigned (*insn_length)(const struct up_arch *a, const uint8_t *bytes, size_t avail);

	/*
	 * The in-process SIGTRAP handler that lets the target run on if the
	 * tracer dies (include/uptrace/fallback.h), and the numbers it is
	 * installed with. NULL where this build has none (it is built for the
	 * host's own architecture only).
	 */
	const struct up_code_blob *fallback;
	int16_t nr_memfd_create, nr_ftruncate, nr_rt_sigaction, nr_close;
	uint32_t sigaction_flags; /* SA_SIGINFO | SA_RESTORER as this arch spells them */

	/* The trap-free path (include/uptrace/fast.h); NULL: every probe takes a breakpoint. */
	const struct up_fast_ops *fast;
	/* madvise, to fault the trap-free ring in before the trampolines write it (0: none) */
	int16_t nr_madvise;
};

/* How far from a function's entry a boundary sweep goes before it gives up (-E2BIG). */
#define UP_ARCH_SWEEP_MAX (1u << 20)

/* What up_arch_boundary_sweep found where no instruction starts at the offset. */
struct up_arch_boundary {
	uint64_t before;		/* -EINVAL: where the instruction holding offset starts */
	uint64_t after;			/* -EINVAL: where the next one starts */
	uint64_t stuck;			/* -EBADMSG, -EFAULT: the offset the sweep could not pass */
	uint8_t bytes[UP_INSN_MAX_LEN]; /* -EBADMSG: the bytes there */
	uint8_t nbytes;
};

/*
 * Instruction boundaries inside a function, for FUNC+OFFS and address
 * probes (arch/common/boundary.c): sweep from func (its entry, an
 * instruction start) to func + offset, instruction by instruction, over
 * memory read through mem. decode() gives each length, or for bytes it
 * refuses, the arch's length encoding (insn_length). 0: an instruction
 * starts at offset. -EINVAL: offset is inside the instruction at
 * b->before. -EBADMSG: bytes at b->stuck whose length nothing tells (x86
 * bytes Capstone cannot decode). -EFAULT: text at b->stuck unreadable.
 * -E2BIG: offset is more than UP_ARCH_SWEEP_MAX bytes away. Offsets are
 * from func.
 */
int up_arch_boundary_sweep(const struct up_arch *a, const struct up_mem *mem, uint64_t func,
			   uint64_t offset, struct up_arch_boundary *b);

/* The ops table for an ELF e_machine; NULL if unknown. */
const struct up_arch *up_arch_by_machine(unsigned e_machine);
/* By name ("x86_64", "aarch64", "riscv64", "loongarch64"); NULL if unknown. */
const struct up_arch *up_arch_by_name(const char *name);
/* The host's own architecture. */
const struct up_arch *up_arch_host(void);

/* Per-arch tables, each in arch/<arch>/table.c; arch/arch.c hands them out as they are. */
extern const struct up_arch up_arch_x86_64;
extern const struct up_arch up_arch_aarch64;
extern const struct up_arch up_arch_riscv64;
extern const struct up_arch up_arch_loongarch64;

#endif

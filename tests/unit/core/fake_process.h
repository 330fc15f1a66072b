/* SPDX-License-Identifier: MIT */
/*
 * A fake traced process for the probe manager's tests: a struct up_target
 * over one array of memory, a register file per thread, mappings, and a
 * queue of stops the test scripts (what the program "does"). It does what
 * a real target does where the core relies on it: a single-step over the
 * syscall instruction runs mmap and munmap on its mappings (the core's XOL
 * pages), a step over a breakpoint traps after it. Its machine is a toy
 * whose instructions are one byte:
 *
 *   0x90 nop: simulated      0xc3 ret: simulated
 *   0x50 push: out of line   anything else ("hlt"): refused
 *   0xcc: the breakpoint     0f 05: the syscall instruction
 *
 * Registers: R0 (return value, argument 1, syscall result), SP, PC, R3
 * (argument 2), R4-R7 (syscall arguments 3-6 after R0 and R3), NR (the
 * syscall number). A call leaves its return address at [SP].
 */
#ifndef CORE_TEST_FAKE_PROCESS_H
#define CORE_TEST_FAKE_PROCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "uptrace/arch.h"
#include "uptrace/target.h"

#define FK_BASE 0x10000ull
#define FK_SIZE 0x100000ull
#define FK_MAX_TID 2048
#define FK_MAX_MAPS 32
#define FK_MAX_CALLS 64
#define FK_MAX_WRITES 4096
#define FK_BP 0xcc

enum { R0, SP, PC, R3, R4, R5, R6, R7, NR, TOY_NREGS };

extern const struct up_arch fk_toy;

/* A system call the fake ran (a single-step over 0f 05). */
struct fk_call {
	long nr;
	uint64_t args[6];
	uint64_t pc; /* where its instruction was */
	int64_t ret;
};

/* A stop the test queued; a trap sets the thread's PC as the breakpoint leaves it. */
struct fk_stop {
	struct up_stop st;
	bool set_pc;
	uint64_t pc;
};

struct fake {
	struct up_target t;
	uint8_t mem[FK_SIZE];
	struct up_mapping maps[FK_MAX_MAPS]; /* sorted by address, as /proc/PID/maps */
	int nmaps;
	bool live[FK_MAX_TID]; /* the threads the threads op lists */
	struct up_regs regs[FK_MAX_TID];
	int resumes[FK_MAX_TID];
	int last_sig[FK_MAX_TID];
	pid_t stepped; /* a single-step's trap to report next */
	struct fk_stop *queue;
	unsigned nqueue, queue_at, queue_cap;
	struct fk_call calls[FK_MAX_CALLS];
	unsigned ncalls;
	struct {
		uint64_t addr, len;
	} writes[FK_MAX_WRITES];
	unsigned nwrites;
	bool detached;
};

/* A fake process of pid 1 (thread 1 live) with an empty address space; NULL without memory. */
struct fake *fk_new(void);
void fk_free(struct fake *f);

/* Map [start, end) (page-aligned) with bytes `fill`; path "" for anonymous memory. */
void fk_map(struct fake *f, uint64_t start, uint64_t end, bool w, bool x, const char *path,
	    uint8_t fill);
bool fk_mapped(const struct fake *f, uint64_t addr);

/* Memory as the program sees it (no checks: the test's own addresses). */
uint8_t *fk_mem(struct fake *f, uint64_t addr);
uint64_t fk_u64(struct fake *f, uint64_t addr);
void fk_set_u64(struct fake *f, uint64_t addr, uint64_t v);

/* How many of the core's writes (its first FK_MAX_WRITES) covered addr. */
unsigned fk_writes_at(const struct fake *f, uint64_t addr);

/* Queue a stop; a trap of tid on the breakpoint at addr (PC after it, as the toy traps). */
void fk_queue(struct fake *f, struct up_stop st);
void fk_trap(struct fake *f, pid_t tid, uint64_t addr);

/* The first page the core mapped (its first mmap's result), 0 if none. */
uint64_t fk_first_page(const struct fake *f);

#endif

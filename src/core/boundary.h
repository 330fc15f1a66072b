/* SPDX-License-Identifier: MIT */
/*
 * Instruction boundaries inside a function (boundary.c), for FUNC+OFFS and
 * address probes: resolve.c's check_boundary asks, the unit tests too.
 */
#ifndef UPTRACE_CORE_BOUNDARY_H
#define UPTRACE_CORE_BOUNDARY_H

#include <stdbool.h>
#include <stdint.h>

#include "uptrace/arch.h"

/* How far from a function's entry a sweep goes before it gives up (-E2BIG). */
#define CORE_SWEEP_MAX (1u << 20)

struct core_boundary {
	uint64_t before;		/* -EINVAL: where the instruction holding offset starts */
	uint64_t after;			/* -EINVAL: where the next one starts */
	uint64_t stuck;			/* -EBADMSG, -EFAULT: the offset the sweep could not pass */
	uint8_t bytes[UP_INSN_MAX_LEN]; /* -EBADMSG: the bytes there */
	uint8_t nbytes;
};

/*
 * Sweep from func (its entry, an instruction start) to func + offset,
 * instruction by instruction: decode() gives each length, or for bytes it
 * refuses, the arch's length encoding (insn_length). 0: an instruction
 * starts at offset. -EINVAL: offset is inside the instruction at
 * b->before. -EBADMSG: bytes at b->stuck whose length nothing tells (x86
 * bytes Capstone cannot decode). -EFAULT: text at b->stuck unreadable.
 * -E2BIG: offset is more than CORE_SWEEP_MAX bytes away. Offsets are from
 * func.
 */
int core_boundary_sweep(const struct up_arch *a, const struct up_mem *mem, uint64_t func,
			uint64_t offset, struct core_boundary *b);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Register 0 of riscv64 (x0) and loongarch64 ($r0) reads as zero and drops
 * writes: the simulators of both read and write registers through these.
 */
#ifndef UPTRACE_ARCH_COMMON_ZERO_REG_H
#define UPTRACE_ARCH_COMMON_ZERO_REG_H

#include <stdint.h>

#include "uptrace/regs.h"

static inline uint64_t zr_get(const struct up_regs *regs, int64_t i)
{
	return i ? regs->r[i] : 0;
}

static inline void zr_set(struct up_regs *regs, int64_t i, uint64_t v)
{
	if (i)
		regs->r[i] = v;
}

#endif

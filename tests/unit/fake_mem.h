/* SPDX-License-Identifier: MIT */
/*
 * A window of fake target memory for arch simulate() tests: `memory` holds
 * MEM_SIZE bytes seen at MEM_BASE (both defined by the including test), and
 * `mem` is the struct up_mem over it. Accesses outside fail with -EFAULT.
 */
#ifndef UPTRACE_TESTS_FAKE_MEM_H
#define UPTRACE_TESTS_FAKE_MEM_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "uptrace/arch.h"

static uint8_t memory[MEM_SIZE];

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < MEM_BASE || addr + len > MEM_BASE + MEM_SIZE)
		return -EFAULT;
	memcpy(buf, memory + (addr - MEM_BASE), len);
	return 0;
}

static int mem_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	(void)ctx;
	if (addr < MEM_BASE || addr + len > MEM_BASE + MEM_SIZE)
		return -EFAULT;
	memcpy(memory + (addr - MEM_BASE), buf, len);
	return 0;
}

static const struct up_mem mem = {NULL, mem_read, mem_write};

#endif

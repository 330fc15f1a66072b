/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: one architecture's instruction analysis (arch/ARCH),
 * built once per arch with FUZZ_ARCH set. The input is
 *
 *   addr (8 bytes) | slot address (8) | e_flags (4) | instruction bytes...
 *
 * Decoding must fill a length and terminated texts whatever the bytes;
 * a simulated instruction is run on registers and memory derived from the
 * input, an out-of-line one has its slot built, entered and left; the
 * breakpoint, register names and DWARF numbers are asked too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uptrace/arch.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_decode(" FUZZ_ARCH "): %s:%d: %s\n", __FILE__,       \
				__LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Memory that reads as a pattern of its address, and takes any write. */
static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	uint64_t seed = *(const uint64_t *)ctx;

	if ((addr ^ seed) % 7 == 0)
		return -EFAULT; /* some reads fault */
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)((addr + i) * 131 + seed);
	return 0;
}

static int mem_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	return (addr & 0xfff) == 0xff8 ? -EFAULT : 0;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct up_arch *a = up_arch_by_name(FUZZ_ARCH);
	uint64_t addr, slot, seed, ret;
	struct up_regs regs, before;
	struct up_xol_state state;
	struct up_mem mem = {.ctx = &seed, .read = mem_read, .write = mem_write};
	struct up_insn insn;
	struct up_xol xol;
	uint8_t bp[4];
	uint32_t e_flags;
	char name[16];
	size_t n;

	CHECK(a);
	if (size < 20)
		return 0;
	addr = get64(data);
	slot = get64(data + 8);
	memcpy(&e_flags, data + 16, 4);
	data += 20;
	size -= 20;
	seed = addr ^ slot;
	n = size < UP_INSN_MAX_LEN ? size : UP_INSN_MAX_LEN;

	memset(&insn, 0x5a, sizeof(insn));
	if (a->decode(a, &insn, addr, data, n) == 0) {
		CHECK(insn.len >= 1 && insn.len <= n);
		CHECK(insn.action <= UP_INSN_XOL);
	}
	CHECK(memchr(insn.text, '\0', sizeof(insn.text)));
	CHECK(memchr(insn.why, '\0', sizeof(insn.why)));

	for (int i = 0; i < UP_REGS_MAX; i++)
		regs.r[i] = seed * (uint64_t)(i + 1) + (i < (int)size ? data[i] : 0);
	before = regs;
	if (insn.action == UP_INSN_SIMULATE) {
		if (a->simulate(a, &insn, &regs, &mem) != 0)
			CHECK(memcmp(&regs, &before, sizeof(regs)) == 0); /* unchanged on error */
	} else if (insn.action == UP_INSN_XOL) {
		memset(&xol, 0, sizeof(xol));
		if (a->xol_build(a, &insn, slot, &xol) == 0) {
			CHECK(xol.len >= insn.len && xol.len <= UP_XOL_SLOT_SIZE);
			CHECK(xol.exit == UP_XOL_EXIT_JUMP || xol.exit == UP_XOL_EXIT_TRAP);
			CHECK(xol.exit != UP_XOL_EXIT_TRAP || xol.trap_offset < xol.len);
			memset(&state, 0, sizeof(state));
			a->xol_enter(a, &insn, &xol, slot, &regs, &state);
			a->xol_leave(a, &insn, &xol, slot, &regs, &mem, &state);
		}
	}

	if (a->return_address_get(a, &before, &mem, &ret) == 0)
		a->return_address_set(a, &before, &mem, ret + 1);
	CHECK(a->breakpoint(a, e_flags, bp) <= sizeof(bp));
	snprintf(name, sizeof(name), "%.*s", (int)(size < 8 ? size : 8), (const char *)data);
	CHECK(a->reg_lookup(a, name) < UP_REGS_MAX);
	CHECK(a->dwarf_reg(a, (unsigned)seed) < UP_REGS_MAX);
	return 0;
}

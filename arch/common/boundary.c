/* SPDX-License-Identifier: MIT */
/*
 * A linear sweep over a function's instructions, from its entry to a probe
 * offset: where does each instruction start? The arch's decoder measures
 * each one; what it refuses (c.unimp, a reserved encoding) the arch's
 * length encoding still measures on RISC-V, so one odd halfword does not
 * hide every later instruction. Where nothing gives a length the sweep
 * stops and says where, and the caller looks for other evidence (a symbol,
 * a line-table row). Reads go through the caller's memory callbacks (the
 * core's, a test's bytes); the scan is bounded by UP_ARCH_SWEEP_MAX. Only
 * arch hooks and table fields are used: one sweep serves every arch.
 */
#include <errno.h>
#include <string.h>

#include "uptrace/arch.h"

/* The bytes at addr, as many as the arch may want, fewer near a mapping's end. */
static size_t read_some(const struct up_arch *a, const struct up_mem *mem, uint64_t addr,
			uint8_t *buf)
{
	size_t len = a->max_insn_len < UP_INSN_MAX_LEN ? a->max_insn_len : UP_INSN_MAX_LEN;

	while (len && mem->read(mem->ctx, addr, buf, len))
		len--;
	return len;
}

int up_arch_boundary_sweep(const struct up_arch *a, const struct up_mem *mem, uint64_t func,
			   uint64_t offset, struct up_arch_boundary *b)
{
	uint64_t at = 0;

	memset(b, 0, sizeof(*b));
	if (offset > UP_ARCH_SWEEP_MAX)
		return -E2BIG;
	while (at < offset) {
		uint8_t bytes[UP_INSN_MAX_LEN];
		struct up_insn insn;
		size_t avail = read_some(a, mem, func + at, bytes);
		unsigned len;

		if (!avail) {
			b->stuck = at;
			return -EFAULT;
		}
		if (a->decode(a, &insn, func + at, bytes, avail) == 0 && insn.len)
			len = insn.len;
		else
			len = a->insn_length(a, bytes, avail);
		if (!len) {
			b->stuck = at;
			b->nbytes = (uint8_t)avail;
			memcpy(b->bytes, bytes, avail);
			return -EBADMSG;
		}
		if (at + len > offset) {
			b->before = at;
			b->after = at + len;
			return -EINVAL;
		}
		at += len;
	}
	return 0;
}

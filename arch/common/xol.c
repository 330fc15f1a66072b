/* SPDX-License-Identifier: MIT */
/*
 * The XOL slot of a fixed-width instruction set (common.h): one builder,
 * with the arch's jump encoder and breakpoint as the only differences.
 */
#include <errno.h>
#include <string.h>

#include "bits.h"
#include "common.h"

int up_arch_xol_build_fixed(const struct up_arch *a, const struct up_insn *insn, uint64_t slot_addr,
			    int (*jump)(uint64_t from, uint64_t to, uint32_t *word),
			    struct up_xol *xol)
{
	unsigned len = insn->len;
	uint32_t word;
	int err;

	if (insn->action != UP_INSN_XOL || len == 0 || len % a->insn_align ||
	    len > a->max_insn_len || slot_addr % a->insn_align)
		return -EINVAL;
	memset(xol, 0, sizeof(*xol));
	memcpy(xol->code, insn->bytes, len);
	err = jump(slot_addr + len, insn->addr + len, &word);
	if (err == 0) {
		le32_store(xol->code + len, word);
		xol->len = len + 4;
		xol->exit = UP_XOL_EXIT_JUMP;
		return 0;
	}
	if (err != -ERANGE)
		return err;
	memcpy(xol->code + len, a->bp, a->bp_len);
	xol->len = len + a->bp_len;
	xol->exit = UP_XOL_EXIT_TRAP;
	xol->trap_offset = len;
	return 0;
}

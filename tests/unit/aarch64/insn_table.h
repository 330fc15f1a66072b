/* SPDX-License-Identifier: MIT */
/*
 * The aarch64 decode table shared by test_decode.c (what decode() must
 * say) and test_objdump.c (the mnemonics against binutils at test time).
 */
#ifndef UPTRACE_TEST_AARCH64_TABLE_H
#define UPTRACE_TEST_AARCH64_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "uptrace/arch.h"

struct a64_row {
	uint32_t word;
	uint8_t action;	      /* enum up_insn_action */
	const char *mnemonic; /* objdump's first word: "b.eq", "ldp", ".inst" */
};

extern const struct a64_row a64_table[];
extern const size_t a64_table_len;

#endif

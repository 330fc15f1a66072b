/* SPDX-License-Identifier: MIT */
/*
 * The x86_64 instruction table shared by the decode test and the objdump
 * cross-check: bytes, what decode() must decide, the length, and the
 * mnemonic as GNU objdump prints it (with its prefixes), so that a wrong
 * row cannot pass both tests.
 */
#ifndef UPTRACE_TEST_X86_64_INSN_TABLE_H
#define UPTRACE_TEST_X86_64_INSN_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct x86_case {
	const char *hex; /* instruction bytes, "48 89 e5" */
	uint8_t action;	 /* enum up_insn_action */
	uint8_t len;
	const char *objdump; /* objdump's prefixes and mnemonic: "bnd ret", "push" */
	const char *ours;    /* our mnemonic where Capstone names it otherwise, or NULL */
};

extern const struct x86_case x86_cases[];
extern const size_t x86_n_cases;

/* Equal, or equal but for an AT&T size suffix (b w l q) on one side: "push" and "pushq". */
bool x86_mnemonic_match(const char *a, const char *b);

/* The mnemonic decode() must print: ->ours, else the last word of ->objdump. */
const char *x86_case_mnemonic(const struct x86_case *c);

/* Parses "48 89 e5" into out[]; returns the byte count. */
size_t x86_case_bytes(const char *hex, uint8_t *out, size_t max);

#endif

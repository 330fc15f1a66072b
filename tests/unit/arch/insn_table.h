/* SPDX-License-Identifier: MIT */
/*
 * One shape of instruction table for every architecture: each row is an
 * encoding, what decode() must decide for it, and the mnemonic an
 * independent disassembler prints for it. Each arch fills one struct
 * insn_table (tests/unit/<arch>/insn_table.c); its test_decode.c checks
 * decode() against the rows (insn_table_check) and test_objdump.c checks
 * the rows against the disassembler, so a wrong row cannot pass both. A
 * new arch adds a table, not a harness.
 */
#ifndef UPTRACE_TEST_INSN_TABLE_H
#define UPTRACE_TEST_INSN_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uptrace/arch.h"

#define SIM UP_INSN_SIMULATE
#define XOL UP_INSN_XOL
#define REF UP_INSN_REFUSE

struct insn_case {
	/*
	 * The bytes as the disassembler shows them: hex tokens separated by
	 * spaces, each token a little-endian value of its width ("48 89 e5"
	 * is three bytes, "d503201f" one aarch64 word, "8082" one halfword).
	 */
	const char *hex;
	uint8_t action;	    /* enum up_insn_action decode() must choose */
	const char *oracle; /* the disassembler's mnemonic, prefixes included: "bnd ret" */
	const char *ours;   /* decode()'s mnemonic where it is not the oracle's, else NULL */
};

struct insn_table {
	const char *arch; /* up_arch_by_name() */
	const struct insn_case *cases;
	size_t n;
	uint64_t addr; /* where decode() is told each row lives */
	/*
	 * The oracle: the programs it needs (a missing one skips the test)
	 * and a shell command run in a folder holding the rows as t.bin (raw
	 * bytes) and t.S (.byte lines), printing objdump's "OFFSET: HEX TEXT".
	 */
	const char *tools;
	const char *command;
	const char *invalid;	 /* the oracle's mnemonics for no instruction ("(bad)"), or NULL */
	const char *invalid_why; /* what decode()'s reason for no instruction says */
	bool att;	 /* AT&T mnemonics: a size suffix (push, pushq) makes no difference */
	bool lengths;	 /* insn_length() tells every row's length (else 0 or the length) */
	unsigned min[3]; /* rows the table must have of each enum up_insn_action */
	/* further checks of one row's decoded instruction and decode()'s return, or NULL */
	void (*check)(const struct insn_case *c, const struct up_insn *insn, int err);
};

extern const struct insn_table x86_64_insns, aarch64_insns, riscv64_insns, loongarch64_insns;

/* The table of an arch by name, or NULL. */
const struct insn_table *insn_table_by_name(const char *arch);

/* Parses a row's hex into out[]; returns the byte count. */
size_t insn_case_bytes(const char *hex, uint8_t *out, size_t max);

/* The mnemonic decode() must print: ->ours, else the last word of ->oracle. */
const char *insn_case_mnemonic(const struct insn_case *c);

/* Does text (decode()'s or the oracle's) name mnemonic, as the table's arch spells them? */
bool insn_text_names(const struct insn_table *t, const char *text, const char *mnemonic);

/* cmocka checks: decode() of every row says what the row says. */
void insn_table_check(const struct insn_table *t);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The x86_64 instruction table (see insn_table.h). Rows are grouped by
 * what the probe must do with the instruction at a hit.
 */
#include <stdio.h>
#include <string.h>

#include "uptrace/arch.h"
#include "insn_table.h"

#define SIM UP_INSN_SIMULATE
#define XOL UP_INSN_XOL
#define REF UP_INSN_REFUSE

/* clang-format off */
const struct x86_case x86_cases[] = {
	/* nops and endbr */
	{ "90", XOL, 1, "nop", NULL },	/* 1 byte: out of line (decode.c simulate_as) */
	{ "66 90", SIM, 2, "xchg", "nop" },
	{ "0f 1f 00", SIM, 3, "nopl", NULL },
	{ "0f 1f 40 00", SIM, 4, "nopl", NULL },
	{ "0f 1f 44 00 00", SIM, 5, "nopl", NULL },
	{ "66 0f 1f 44 00 00", SIM, 6, "nopw", NULL },
	{ "0f 1f 80 00 00 00 00", SIM, 7, "nopl", NULL },
	{ "0f 1f 84 00 00 00 00 00", SIM, 8, "nopl", NULL },
	{ "66 2e 0f 1f 84 00 00 00 00 00", SIM, 10, "cs nopw", NULL },
	{ "f3 0f 1e fa", SIM, 4, "endbr64", NULL },
	{ "f3 0f 1e fb", SIM, 4, "endbr32", NULL },
	/* push */
	{ "55", XOL, 1, "push", NULL },
	{ "53", XOL, 1, "push", NULL },
	{ "54", XOL, 1, "push", NULL },
	{ "41 54", SIM, 2, "push", NULL },
	{ "41 54", SIM, 2, "push", NULL },
	{ "41 57", SIM, 2, "push", NULL },
	{ "ff f5", SIM, 2, "push", NULL },
	{ "6a 01", SIM, 2, "push", NULL },
	{ "6a ff", SIM, 2, "push", NULL },
	{ "68 00 01 00 00", SIM, 5, "push", NULL },
	/* direct branches and calls */
	{ "eb 10", SIM, 2, "jmp", NULL },
	{ "e9 00 01 00 00", SIM, 5, "jmp", NULL },
	{ "74 10", SIM, 2, "je", NULL },
	{ "75 f0", SIM, 2, "jne", NULL },
	{ "0f 8c 00 01 00 00", SIM, 6, "jl", NULL },
	{ "0f 87 00 01 00 00", SIM, 6, "ja", NULL },
	{ "3e 74 10", SIM, 3, "je", NULL },
	{ "e3 05", SIM, 2, "jrcxz", NULL },
	{ "67 e3 05", SIM, 3, "jecxz", NULL },
	{ "e2 05", SIM, 2, "loop", NULL },
	{ "e1 05", SIM, 2, "loope", NULL },
	{ "e0 05", SIM, 2, "loopne", NULL },
	{ "e8 00 01 00 00", SIM, 5, "call", NULL },
	{ "f2 e8 00 01 00 00", SIM, 6, "bnd call", NULL },
	{ "66 66 48 e8 00 01 00 00", SIM, 8, "data16 data16 rex.W call", NULL },
	/* indirect branches and calls */
	{ "ff d0", SIM, 2, "call", NULL },
	{ "41 ff d3", SIM, 3, "call", NULL },
	{ "ff e0", SIM, 2, "jmp", NULL },
	{ "3e ff e0", SIM, 3, "notrack jmp", NULL },
	{ "ff 15 10 00 00 00", SIM, 6, "call", NULL },
	{ "ff 25 10 00 00 00", SIM, 6, "jmp", NULL },
	{ "f2 ff 25 10 00 00 00", SIM, 7, "bnd jmp", NULL },
	{ "ff 14 c5 00 10 00 00", SIM, 7, "call", NULL },
	{ "41 ff 54 24 08", SIM, 5, "call", NULL },
	{ "ff 64 c3 f8", SIM, 4, "jmp", NULL },
	{ "64 ff 14 25 28 00 00 00", SIM, 8, "call", NULL },
	{ "65 ff 10", SIM, 3, "call", NULL },
	/* returns */
	{ "c3", SIM, 1, "ret", NULL },
	{ "c2 08 00", SIM, 3, "ret", NULL },
	{ "f3 c3", SIM, 2, "repz ret", NULL },
	{ "f2 c3", SIM, 2, "bnd ret", NULL },
	/* mov between registers, leave */
	{ "48 89 e5", SIM, 3, "mov", NULL },
	{ "48 8b ec", SIM, 3, "mov", NULL },
	{ "4c 89 c7", SIM, 3, "mov", NULL },
	{ "49 89 fc", SIM, 3, "mov", NULL },
	{ "89 f0", SIM, 2, "mov", NULL },
	{ "c9", XOL, 1, "leave", NULL },
	/* add/sub $imm, reg64 */
	{ "48 83 ec 10", SIM, 4, "sub", NULL },
	{ "48 81 ec 00 01 00 00", SIM, 7, "sub", NULL },
	{ "48 83 c4 08", SIM, 4, "add", NULL },
	{ "49 83 c7 01", SIM, 4, "add", NULL },
	{ "48 81 c5 00 00 00 80", SIM, 7, "add", NULL },

	/* out of line, unchanged */
	{ "83 ec 10", XOL, 3, "sub", NULL },
	{ "48 83 e4 f0", XOL, 4, "and", NULL },
	{ "48 2d 00 01 00 00", XOL, 6, "sub", NULL },
	{ "48 83 04 24 01", XOL, 5, "addq", NULL },
	{ "31 c0", XOL, 2, "xor", NULL },
	{ "41 90", XOL, 2, "xchg", NULL },
	{ "f3 90", XOL, 2, "pause", NULL },
	{ "66 89 c8", XOL, 3, "mov", NULL },
	{ "88 c8", XOL, 2, "mov", NULL },
	{ "48 89 7d f8", XOL, 4, "mov", NULL },
	{ "48 8b 45 f8", XOL, 4, "mov", NULL },
	{ "64 48 8b 04 25 28 00 00 00", XOL, 9, "mov", NULL },
	{ "48 8d 44 24 08", XOL, 5, "lea", NULL },
	{ "41 56", SIM, 2, "push", NULL },
	{ "ff 75 f8", XOL, 3, "push", NULL },
	{ "66 6a 01", XOL, 3, "pushw", "push" },
	{ "5d", XOL, 1, "pop", NULL },
	{ "f3 a4", XOL, 2, "rep movsb", NULL },
	{ "f0 0f b1 11", XOL, 4, "lock cmpxchg", NULL },
	{ "0f a2", XOL, 2, "cpuid", NULL },
	{ "c8 10 00 00", XOL, 4, "enter", NULL },
	/* out of line, rip-relative */
	{ "48 8b 05 10 00 00 00", XOL, 7, "mov", NULL },
	{ "48 89 05 10 00 00 00", XOL, 7, "mov", NULL },
	{ "48 8d 3d 10 00 00 00", XOL, 7, "lea", NULL },
	{ "83 3d 10 00 00 00 00", XOL, 7, "cmpl", NULL },
	{ "80 3d 10 00 00 00 01", XOL, 7, "cmpb", NULL },
	{ "ff 35 10 00 00 00", XOL, 6, "push", NULL },
	{ "f2 0f 10 05 10 00 00 00", XOL, 8, "movsd", NULL },
	{ "66 0f 6f 05 10 00 00 00", XOL, 8, "movdqa", NULL },
	{ "c5 fb 10 05 10 00 00 00", XOL, 8, "vmovsd", NULL },
	{ "c4 c1 7b 10 05 10 00 00 00", XOL, 9, "vmovsd", NULL },
	{ "f0 48 83 05 10 00 00 00 01", XOL, 9, "lock addq", NULL },
	{ "48 0f c7 0d 10 00 00 00", XOL, 8, "cmpxchg16b", NULL },
	{ "0f 18 05 10 00 00 00", XOL, 7, "prefetchnta", NULL },

	/* refused */
	{ "cc", REF, 1, "int3", NULL },
	{ "cd 80", REF, 2, "int", NULL },
	{ "cf", REF, 1, "iret", NULL },
	{ "48 cf", REF, 2, "iretq", NULL },
	{ "0f 05", REF, 2, "syscall", NULL },
	{ "0f 34", REF, 2, "sysenter", NULL },
	{ "0f 07", REF, 2, "sysretl", NULL },
	{ "ec", REF, 1, "in", NULL },
	{ "e6 80", REF, 2, "out", NULL },
	{ "6c", REF, 1, "insb", NULL },
	{ "6f", REF, 1, "outsl", NULL },
	{ "f4", REF, 1, "hlt", NULL },
	{ "0f 0b", REF, 2, "ud2", NULL },
	{ "c7 f8 00 00 00 00", REF, 6, "xbegin", NULL },
	{ "c6 f8 00", REF, 3, "xabort", NULL },
	{ "ff 1d 00 00 00 00", REF, 6, "lcall", NULL },
	{ "cb", REF, 1, "lret", NULL },
	{ "66 e8 00 01", REF, 4, "callw", NULL },
	{ "ce", REF, 1, "(bad)", NULL },
	{ "06", REF, 1, "(bad)", NULL },
	{ "ea", REF, 1, "(bad)", NULL },
};
/* clang-format on */

const size_t x86_n_cases = sizeof(x86_cases) / sizeof(x86_cases[0]);

bool x86_mnemonic_match(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la == lb)
		return strcmp(a, b) == 0;
	if (la == lb + 1)
		return strncmp(a, b, lb) == 0 && strchr("bwlq", a[lb]);
	if (lb == la + 1)
		return strncmp(a, b, la) == 0 && strchr("bwlq", b[la]);
	return false;
}

const char *x86_case_mnemonic(const struct x86_case *c)
{
	const char *space;

	if (c->ours)
		return c->ours;
	space = strrchr(c->objdump, ' ');
	return space ? space + 1 : c->objdump;
}

size_t x86_case_bytes(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;
	int used;

	while (n < max && sscanf(hex, " %2x%n", &v, &used) == 1) {
		out[n++] = (uint8_t)v;
		hex += used;
	}
	return n;
}

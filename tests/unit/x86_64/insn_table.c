/* SPDX-License-Identifier: MIT */
/*
 * The x86_64 instruction table (tests/unit/arch/insn_table.h): bytes, what
 * decode() must decide, and the mnemonic GNU objdump prints (with its
 * prefixes). Rows are grouped by what the probe must do with the
 * instruction at a hit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "insn_table.h"

/* clang-format off */
static const struct insn_case cases[] = {
	/* nops and endbr */
	{ "90", XOL, "nop", NULL },	/* 1 byte: out of line (decode.c simulate_as) */
	{ "66 90", SIM, "xchg", "nop" },
	{ "0f 1f 00", SIM, "nopl", NULL },
	{ "0f 1f 40 00", SIM, "nopl", NULL },
	{ "0f 1f 44 00 00", SIM, "nopl", NULL },
	{ "66 0f 1f 44 00 00", SIM, "nopw", NULL },
	{ "0f 1f 80 00 00 00 00", SIM, "nopl", NULL },
	{ "0f 1f 84 00 00 00 00 00", SIM, "nopl", NULL },
	{ "66 2e 0f 1f 84 00 00 00 00 00", SIM, "cs nopw", NULL },
	{ "f3 0f 1e fa", SIM, "endbr64", NULL },
	{ "f3 0f 1e fb", SIM, "endbr32", NULL },
	/* push */
	{ "55", XOL, "push", NULL },
	{ "53", XOL, "push", NULL },
	{ "54", XOL, "push", NULL },
	{ "41 54", SIM, "push", NULL },
	{ "41 54", SIM, "push", NULL },
	{ "41 57", SIM, "push", NULL },
	{ "ff f5", SIM, "push", NULL },
	{ "6a 01", SIM, "push", NULL },
	{ "6a ff", SIM, "push", NULL },
	{ "68 00 01 00 00", SIM, "push", NULL },
	/* direct branches and calls */
	{ "eb 10", SIM, "jmp", NULL },
	{ "e9 00 01 00 00", SIM, "jmp", NULL },
	{ "74 10", SIM, "je", NULL },
	{ "75 f0", SIM, "jne", NULL },
	{ "0f 8c 00 01 00 00", SIM, "jl", NULL },
	{ "0f 87 00 01 00 00", SIM, "ja", NULL },
	{ "3e 74 10", SIM, "je", NULL },
	{ "e3 05", SIM, "jrcxz", NULL },
	{ "67 e3 05", SIM, "jecxz", NULL },
	{ "e2 05", SIM, "loop", NULL },
	{ "e1 05", SIM, "loope", NULL },
	{ "e0 05", SIM, "loopne", NULL },
	{ "e8 00 01 00 00", SIM, "call", NULL },
	{ "f2 e8 00 01 00 00", SIM, "bnd call", NULL },
	{ "66 66 48 e8 00 01 00 00", SIM, "data16 data16 rex.W call", NULL },
	/* indirect branches and calls */
	{ "ff d0", SIM, "call", NULL },
	{ "41 ff d3", SIM, "call", NULL },
	{ "ff e0", SIM, "jmp", NULL },
	{ "3e ff e0", SIM, "notrack jmp", NULL },
	{ "ff 15 10 00 00 00", SIM, "call", NULL },
	{ "ff 25 10 00 00 00", SIM, "jmp", NULL },
	{ "f2 ff 25 10 00 00 00", SIM, "bnd jmp", NULL },
	{ "ff 14 c5 00 10 00 00", SIM, "call", NULL },
	{ "41 ff 54 24 08", SIM, "call", NULL },
	{ "ff 64 c3 f8", SIM, "jmp", NULL },
	{ "64 ff 14 25 28 00 00 00", SIM, "call", NULL },
	{ "65 ff 10", SIM, "call", NULL },
	/* returns */
	{ "c3", SIM, "ret", NULL },
	{ "c2 08 00", SIM, "ret", NULL },
	{ "f3 c3", SIM, "repz ret", NULL },
	{ "f2 c3", SIM, "bnd ret", NULL },
	/* mov between registers, leave */
	{ "48 89 e5", SIM, "mov", NULL },
	{ "48 8b ec", SIM, "mov", NULL },
	{ "4c 89 c7", SIM, "mov", NULL },
	{ "49 89 fc", SIM, "mov", NULL },
	{ "89 f0", SIM, "mov", NULL },
	{ "c9", XOL, "leave", NULL },
	/* add/sub $imm, reg64 */
	{ "48 83 ec 10", SIM, "sub", NULL },
	{ "48 81 ec 00 01 00 00", SIM, "sub", NULL },
	{ "48 83 c4 08", SIM, "add", NULL },
	{ "49 83 c7 01", SIM, "add", NULL },
	{ "48 81 c5 00 00 00 80", SIM, "add", NULL },

	/* out of line, unchanged */
	{ "83 ec 10", XOL, "sub", NULL },
	{ "48 83 e4 f0", XOL, "and", NULL },
	{ "48 2d 00 01 00 00", XOL, "sub", NULL },
	{ "48 83 04 24 01", XOL, "addq", NULL },
	{ "31 c0", XOL, "xor", NULL },
	{ "41 90", XOL, "xchg", NULL },
	{ "f3 90", XOL, "pause", NULL },
	{ "66 89 c8", XOL, "mov", NULL },
	{ "88 c8", XOL, "mov", NULL },
	{ "48 89 7d f8", XOL, "mov", NULL },
	{ "48 8b 45 f8", XOL, "mov", NULL },
	{ "64 48 8b 04 25 28 00 00 00", XOL, "mov", NULL },
	{ "48 8d 44 24 08", XOL, "lea", NULL },
	{ "41 56", SIM, "push", NULL },
	{ "ff 75 f8", XOL, "push", NULL },
	{ "66 6a 01", XOL, "pushw", "push" },
	{ "5d", XOL, "pop", NULL },
	{ "f3 a4", XOL, "rep movsb", NULL },
	{ "f0 0f b1 11", XOL, "lock cmpxchg", NULL },
	{ "0f a2", XOL, "cpuid", NULL },
	{ "c8 10 00 00", XOL, "enter", NULL },
	/* out of line, rip-relative */
	{ "48 8b 05 10 00 00 00", XOL, "mov", NULL },
	{ "48 89 05 10 00 00 00", XOL, "mov", NULL },
	{ "48 8d 3d 10 00 00 00", XOL, "lea", NULL },
	{ "83 3d 10 00 00 00 00", XOL, "cmpl", NULL },
	{ "80 3d 10 00 00 00 01", XOL, "cmpb", NULL },
	{ "ff 35 10 00 00 00", XOL, "push", NULL },
	{ "f2 0f 10 05 10 00 00 00", XOL, "movsd", NULL },
	{ "66 0f 6f 05 10 00 00 00", XOL, "movdqa", NULL },
	{ "c5 fb 10 05 10 00 00 00", XOL, "vmovsd", NULL },
	{ "c4 c1 7b 10 05 10 00 00 00", XOL, "vmovsd", NULL },
	{ "f0 48 83 05 10 00 00 00 01", XOL, "lock addq", NULL },
	{ "48 0f c7 0d 10 00 00 00", XOL, "cmpxchg16b", NULL },
	{ "0f 18 05 10 00 00 00", XOL, "prefetchnta", NULL },

	/* refused */
	{ "cc", REF, "int3", NULL },
	{ "cd 80", REF, "int", NULL },
	{ "cf", REF, "iret", NULL },
	{ "48 cf", REF, "iretq", NULL },
	{ "0f 05", REF, "syscall", NULL },
	{ "0f 34", REF, "sysenter", NULL },
	{ "0f 07", REF, "sysretl", NULL },
	{ "ec", REF, "in", NULL },
	{ "e6 80", REF, "out", NULL },
	{ "6c", REF, "insb", NULL },
	{ "6f", REF, "outsl", NULL },
	{ "f4", REF, "hlt", NULL },
	{ "0f 0b", REF, "ud2", NULL },
	{ "c7 f8 00 00 00 00", REF, "xbegin", NULL },
	{ "c6 f8 00", REF, "xabort", NULL },
	{ "ff 1d 00 00 00 00", REF, "lcall", NULL },
	{ "cb", REF, "lret", NULL },
	{ "66 e8 00 01", REF, "callw", NULL },
	{ "ce", REF, "(bad)", NULL },
	{ "06", REF, "(bad)", NULL },
	{ "ea", REF, "(bad)", NULL },
};
/* clang-format on */

/*
 * Every instruction decode() does not refuse has a class, out-of-line ones
 * too; what objdump cannot decode, Capstone cannot either.
 */
static void check(const struct insn_case *c, const struct up_insn *insn, int err)
{
	if (insn->action != UP_INSN_REFUSE && insn->op == 0)
		fail_msg("%s: no class in insn->op", c->hex);
	if (strcmp(c->oracle, "(bad)") == 0 && err != -EINVAL)
		fail_msg("%s: decode() returned %d for what objdump cannot decode", c->hex, err);
}

const struct insn_table x86_64_insns = {
    .arch = "x86_64",
    .cases = cases,
    .n = sizeof(cases) / sizeof(cases[0]),
    .addr = 0x401000,
    .tools = "objdump",
    .command = "objdump -z -D -b binary -mi386:x86-64 t.bin",
    .invalid = "(bad)",
    .invalid_why = "(bad): Capstone cannot decode",
    .att = true,
    .min = {[REF] = 11, [SIM] = 41, [XOL] = 21},
    .check = check,
};

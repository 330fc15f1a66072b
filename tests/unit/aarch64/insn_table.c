/* SPDX-License-Identifier: MIT */
/*
 * The aarch64 instruction table (tests/unit/arch/insn_table.h): words,
 * what decode() must decide for each, and the mnemonic binutils prints.
 * One row per simulated class and condition, the XOL classes, and every
 * refusal the decoder makes; the last rows are unallocated encodings.
 */
#include "insn_table.h"

static const struct insn_case cases[] = {
    {"14000040", SIM, "b", NULL},	/* b . + 0x100 */
    {"17fffffe", SIM, "b", NULL},	/* b . - 0x8 */
    {"95ffffff", SIM, "bl", NULL},	/* bl . + 0x7fffffc */
    {"96000000", SIM, "bl", NULL},	/* bl . - 0x8000000 */
    {"54000080", SIM, "b.eq", NULL},	/* b.eq . + 0x10 */
    {"54ffff81", SIM, "b.ne", NULL},	/* b.ne . - 0x10 */
    {"54000042", SIM, "b.cs", NULL},	/* b.cs . + 8 */
    {"54000043", SIM, "b.cc", NULL},	/* b.cc . + 8 */
    {"54000044", SIM, "b.mi", NULL},	/* b.mi . + 8 */
    {"54000045", SIM, "b.pl", NULL},	/* b.pl . + 8 */
    {"54000046", SIM, "b.vs", NULL},	/* b.vs . + 8 */
    {"54000047", SIM, "b.vc", NULL},	/* b.vc . + 8 */
    {"54000048", SIM, "b.hi", NULL},	/* b.hi . + 8 */
    {"54000049", SIM, "b.ls", NULL},	/* b.ls . + 8 */
    {"5400004a", SIM, "b.ge", NULL},	/* b.ge . + 8 */
    {"5400004b", SIM, "b.lt", NULL},	/* b.lt . + 8 */
    {"5400004c", SIM, "b.gt", NULL},	/* b.gt . + 8 */
    {"5400004d", SIM, "b.le", NULL},	/* b.le . + 8 */
    {"5400004e", SIM, "b.al", NULL},	/* b.al . + 8 */
    {"b4000203", SIM, "cbz", NULL},	/* cbz x3, . + 0x40 */
    {"35fffe04", SIM, "cbnz", NULL},	/* cbnz w4, . - 0x40 */
    {"b6400105", SIM, "tbz", NULL},	/* tbz x5, #40, . + 0x20 */
    {"371fff06", SIM, "tbnz", NULL},	/* tbnz w6, #3, . - 0x20 */
    {"b7f8ffe7", SIM, "tbnz", NULL},	/* tbnz x7, #63, . + 0x1ffc */
    {"100091a0", SIM, "adr", NULL},	/* adr x0, . + 0x1234 */
    {"10800001", SIM, "adr", NULL},	/* adr x1, . - 0x100000 */
    {"b0091a22", SIM, "adrp", NULL},	/* adrp x2, . + 0x12345000 */
    {"f0ffffe3", SIM, "adrp", NULL},	/* adrp x3, . - 0x1000 */
    {"d61f0200", SIM, "br", NULL},	/* br x16 */
    {"d63f0100", SIM, "blr", NULL},	/* blr x8 */
    {"d65f03c0", SIM, "ret", NULL},	/* ret */
    {"d65f0040", SIM, "ret", NULL},	/* ret x2 */
    {"d503201f", SIM, "nop", NULL},	/* nop */
    {"d503245f", SIM, "bti", NULL},	/* bti c */
    {"d503249f", SIM, "bti", NULL},	/* bti j */
    {"d50324df", SIM, "bti", NULL},	/* bti jc */
    {"d503241f", SIM, "bti", NULL},	/* bti */
    {"d503233f", XOL, "paciasp", NULL}, /* paciasp */
    {"d50323bf", XOL, "autiasp", NULL}, /* autiasp */
    {"d503237f", XOL, "pacibsp", NULL}, /* pacibsp */
    {"d50320ff", XOL, "xpaclri", NULL}, /* xpaclri */
    {"d503203f", XOL, "yield", NULL},	/* yield */
    {"d503229f", XOL, "csdb", NULL},	/* csdb */
    {"58000200", SIM, "ldr", NULL},	/* ldr x0, . + 0x40 */
    {"18fffe01", SIM, "ldr", NULL},	/* ldr w1, . - 0x40 */
    {"98000402", SIM, "ldrsw", NULL},	/* ldrsw x2, . + 0x80 */
    {"d8000080", SIM, "prfm", NULL},	/* prfm pldl1keep, . + 0x10 */
    {"5c000080", REF, "ldr", NULL},	/* ldr d0, . + 0x10 */
    {"9c000081", REF, "ldr", NULL},	/* ldr q1, . + 0x10 */
    {"a9be7bfd", SIM, "stp", NULL},	/* stp x29, x30, [sp, #-32]! */
    {"a90153f3", SIM, "stp", NULL},	/* stp x19, x20, [sp, #16] */
    {"a8c27bfd", SIM, "ldp", NULL},	/* ldp x29, x30, [sp], #32 */
    {"297f0861", SIM, "ldp", NULL},	/* ldp w1, w2, [x3, #-8] */
    {"29810861", SIM, "stp", NULL},	/* stp w1, w2, [x3, #8]! */
    {"694094c4", SIM, "ldpsw", NULL},	/* ldpsw x4, x5, [x6, #4] */
    {"a8000861", SIM, "stnp", NULL},	/* stnp x1, x2, [x3] */
    {"ad4107e0", XOL, "ldp", NULL},	/* ldp q0, q1, [sp, #32] */
    {"910003fd", SIM, "mov", NULL},	/* mov x29, sp */
    {"910003bf", SIM, "mov", NULL},	/* mov sp, x29 */
    {"910043ff", SIM, "add", NULL},	/* add sp, sp, #0x10 */
    {"d10103ff", SIM, "sub", NULL},	/* sub sp, sp, #0x40 */
    {"d14007ff", SIM, "sub", NULL},	/* sub sp, sp, #1, lsl #12 */
    {"11001020", SIM, "add", NULL},	/* add w0, w1, #4 */
    {"b1000420", XOL, "adds", NULL},	/* adds x0, x1, #1 */
    {"f100141f", XOL, "cmp", NULL},	/* cmp x0, #5 */
    {"aa0203e1", SIM, "mov", NULL},	/* mov x1, x2 */
    {"2a0403e3", SIM, "mov", NULL},	/* mov w3, w4 */
    {"d2800200", SIM, "mov", NULL},	/* mov x0, #0x10 */
    {"12800021", SIM, "mov", NULL},	/* mov w1, #-2 */
    {"f2e24682", SIM, "movk", NULL},	/* movk x2, #0x1234, lsl #48 */
    {"929fffe3", SIM, "mov", NULL},	/* mov x3, #0xffffffffffff0000 */
    {"f9000bf3", SIM, "str", NULL},	/* str x19, [sp, #16] */
    {"f9400bf3", SIM, "ldr", NULL},	/* ldr x19, [sp, #16] */
    {"b9001fe0", SIM, "str", NULL},	/* str w0, [sp, #28] */
    {"39400441", SIM, "ldrb", NULL},	/* ldrb w1, [x2, #1] */
    {"39800083", SIM, "ldrsb", NULL},	/* ldrsb x3, [x4] */
    {"79c004c5", SIM, "ldrsh", NULL},	/* ldrsh w5, [x6, #2] */
    {"b9800507", SIM, "ldrsw", NULL},	/* ldrsw x7, [x8, #4] */
    {"f81f0fe0", SIM, "str", NULL},	/* str x0, [sp, #-16]! */
    {"f84107e0", SIM, "ldr", NULL},	/* ldr x0, [sp], #16 */
    {"f81f83a1", SIM, "stur", NULL},	/* stur x1, [x29, #-8] */
    {"781fec62", SIM, "strh", NULL},	/* strh w2, [x3, #-2]! */
    {"f8627820", XOL, "ldr", NULL},	/* ldr x0, [x1, x2, lsl #3] */
    {"c85f7c20", REF, "ldxr", NULL},	/* ldxr x0, [x1] */
    {"c8027c20", REF, "stxr", NULL},	/* stxr w2, x0, [x1] */
    {"885ffc20", REF, "ldaxr", NULL},	/* ldaxr w0, [x1] */
    {"8802fc20", REF, "stlxr", NULL},	/* stlxr w2, w0, [x1] */
    {"c87f0440", REF, "ldxp", NULL},	/* ldxp x0, x1, [x2] */
    {"c8238440", REF, "stlxp", NULL},	/* stlxp w3, x0, x1, [x2] */
    {"c8dffc20", XOL, "ldar", NULL},	/* ldar x0, [x1] */
    {"889ffc20", XOL, "stlr", NULL},	/* stlr w0, [x1] */
    {"c8a07c41", XOL, "cas", NULL},	/* cas x0, x1, [x2] */
    {"88e0fc41", XOL, "casal", NULL},	/* casal w0, w1, [x2] */
    {"f8200041", XOL, "ldadd", NULL},	/* ldadd x0, x1, [x2] */
    {"b8e00041", XOL, "ldaddal", NULL}, /* ldaddal w0, w1, [x2] */
    {"f8e08041", XOL, "swpal", NULL},	/* swpal x0, x1, [x2] */
    {"f8bfc020", XOL, "ldapr", NULL},	/* ldapr x0, [x1] */
    {"d4000001", REF, "svc", NULL},	/* svc #0 */
    {"d4000002", REF, "hvc", NULL},	/* hvc #0 */
    {"d4000003", REF, "smc", NULL},	/* smc #0 */
    {"d4200000", REF, "brk", NULL},	/* brk #0 */
    {"d42000a0", REF, "brk", NULL},	/* brk #5 */
    {"d4400000", REF, "hlt", NULL},	/* hlt #0 */
    {"d69f03e0", REF, "eret", NULL},	/* eret */
    {"d51b4200", REF, "msr", NULL},	/* msr nzcv, x0 */
    {"d51bd041", REF, "msr", NULL},	/* msr tpidr_el0, x1 */
    {"d50342df", REF, "msr", NULL},	/* msr daifset, #2 */
    {"d503413f", REF, "msr", NULL},	/* msr ssbs, #1 */
    {"d53bd040", XOL, "mrs", NULL},	/* mrs x0, tpidr_el0 */
    {"d53b4201", XOL, "mrs", NULL},	/* mrs x1, nzcv */
    {"d500401f", XOL, "cfinv", NULL},	/* cfinv */
    {"d5033bbf", XOL, "dmb", NULL},	/* dmb ish */
    {"d5033f9f", XOL, "dsb", NULL},	/* dsb sy */
    {"d5033fdf", XOL, "isb", NULL},	/* isb */
    {"d5033f5f", XOL, "clrex", NULL},	/* clrex */
    {"d50b7420", XOL, "dc", NULL},	/* dc zva, x0 */
    {"d65f0bff", XOL, "retaa", NULL},	/* retaa */
    {"d65f0fff", XOL, "retab", NULL},	/* retab */
    {"d71f0a11", XOL, "braa", NULL},	/* braa x16, x17 */
    {"d73f0a11", REF, "blraa", NULL},	/* blraa x16, x17 */
    {"d63f083f", REF, "blraaz", NULL},	/* blraaz x1 */
    {"00000000", REF, "udf", NULL},	/* udf #0 */
    {"8b020020", XOL, "add", NULL},	/* add x0, x1, x2 */
    {"9b020c20", XOL, "madd", NULL},	/* madd x0, x1, x2, x3 */
    {"1e622820", XOL, "fadd", NULL},	/* fadd d0, d1, d2 */
    {"d3442c20", XOL, "ubfx", NULL},	/* ubfx x0, x1, #4, #8 */
    {"92401c20", XOL, "and", NULL},	/* and x0, x1, #0xff */
    {"9a820020", XOL, "csel", NULL},	/* csel x0, x1, x2, eq */
    {"4c407000", XOL, "ld1", NULL},	/* ld1 {v0.16b}, [x0] */
    {"3dc00420", XOL, "ldr", NULL},	/* ldr q0, [x1, #16] */
    {"00100000", REF, ".inst", NULL},	/* unallocated */
    {"06000000", REF, ".inst", NULL},	/* unallocated */
    {"d4000000", REF, ".inst", NULL},	/* unallocated */
};

const struct insn_table aarch64_insns = {
    .arch = "aarch64",
    .cases = cases,
    .n = sizeof(cases) / sizeof(cases[0]),
    .addr = 0x400000,
    .tools = "aarch64-linux-gnu-objdump",
    .command = "aarch64-linux-gnu-objdump -z -D -b binary -maarch64 t.bin",
    .invalid = ".inst",
    .invalid_why = "undecodable instruction 0x",
    .min = {[REF] = 20, [SIM] = 60, [XOL] = 30},
};

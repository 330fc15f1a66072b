/* SPDX-License-Identifier: MIT */
/*
 * aarch64 instruction words, what decode() must decide for each, and the
 * mnemonic binutils prints (checked by test_objdump.c when it runs). One
 * row per simulated class and condition, the XOL classes, and every
 * refusal the decoder makes; the last rows are unallocated encodings.
 */
#include "insn_table.h"

const struct a64_row a64_table[] = {
    {0x14000040, UP_INSN_SIMULATE, "b"},     /* b . + 0x100 */
    {0x17fffffe, UP_INSN_SIMULATE, "b"},     /* b . - 0x8 */
    {0x95ffffff, UP_INSN_SIMULATE, "bl"},    /* bl . + 0x7fffffc */
    {0x96000000, UP_INSN_SIMULATE, "bl"},    /* bl . - 0x8000000 */
    {0x54000080, UP_INSN_SIMULATE, "b.eq"},  /* b.eq . + 0x10 */
    {0x54ffff81, UP_INSN_SIMULATE, "b.ne"},  /* b.ne . - 0x10 */
    {0x54000042, UP_INSN_SIMULATE, "b.cs"},  /* b.cs . + 8 */
    {0x54000043, UP_INSN_SIMULATE, "b.cc"},  /* b.cc . + 8 */
    {0x54000044, UP_INSN_SIMULATE, "b.mi"},  /* b.mi . + 8 */
    {0x54000045, UP_INSN_SIMULATE, "b.pl"},  /* b.pl . + 8 */
    {0x54000046, UP_INSN_SIMULATE, "b.vs"},  /* b.vs . + 8 */
    {0x54000047, UP_INSN_SIMULATE, "b.vc"},  /* b.vc . + 8 */
    {0x54000048, UP_INSN_SIMULATE, "b.hi"},  /* b.hi . + 8 */
    {0x54000049, UP_INSN_SIMULATE, "b.ls"},  /* b.ls . + 8 */
    {0x5400004a, UP_INSN_SIMULATE, "b.ge"},  /* b.ge . + 8 */
    {0x5400004b, UP_INSN_SIMULATE, "b.lt"},  /* b.lt . + 8 */
    {0x5400004c, UP_INSN_SIMULATE, "b.gt"},  /* b.gt . + 8 */
    {0x5400004d, UP_INSN_SIMULATE, "b.le"},  /* b.le . + 8 */
    {0x5400004e, UP_INSN_SIMULATE, "b.al"},  /* b.al . + 8 */
    {0xb4000203, UP_INSN_SIMULATE, "cbz"},   /* cbz x3, . + 0x40 */
    {0x35fffe04, UP_INSN_SIMULATE, "cbnz"},  /* cbnz w4, . - 0x40 */
    {0xb6400105, UP_INSN_SIMULATE, "tbz"},   /* tbz x5, #40, . + 0x20 */
    {0x371fff06, UP_INSN_SIMULATE, "tbnz"},  /* tbnz w6, #3, . - 0x20 */
    {0xb7f8ffe7, UP_INSN_SIMULATE, "tbnz"},  /* tbnz x7, #63, . + 0x1ffc */
    {0x100091a0, UP_INSN_SIMULATE, "adr"},   /* adr x0, . + 0x1234 */
    {0x10800001, UP_INSN_SIMULATE, "adr"},   /* adr x1, . - 0x100000 */
    {0xb0091a22, UP_INSN_SIMULATE, "adrp"},  /* adrp x2, . + 0x12345000 */
    {0xf0ffffe3, UP_INSN_SIMULATE, "adrp"},  /* adrp x3, . - 0x1000 */
    {0xd61f0200, UP_INSN_SIMULATE, "br"},    /* br x16 */
    {0xd63f0100, UP_INSN_SIMULATE, "blr"},   /* blr x8 */
    {0xd65f03c0, UP_INSN_SIMULATE, "ret"},   /* ret */
    {0xd65f0040, UP_INSN_SIMULATE, "ret"},   /* ret x2 */
    {0xd503201f, UP_INSN_SIMULATE, "nop"},   /* nop */
    {0xd503245f, UP_INSN_SIMULATE, "bti"},   /* bti c */
    {0xd503249f, UP_INSN_SIMULATE, "bti"},   /* bti j */
    {0xd50324df, UP_INSN_SIMULATE, "bti"},   /* bti jc */
    {0xd503241f, UP_INSN_SIMULATE, "bti"},   /* bti */
    {0xd503233f, UP_INSN_XOL, "paciasp"},    /* paciasp */
    {0xd50323bf, UP_INSN_XOL, "autiasp"},    /* autiasp */
    {0xd503237f, UP_INSN_XOL, "pacibsp"},    /* pacibsp */
    {0xd50320ff, UP_INSN_XOL, "xpaclri"},    /* xpaclri */
    {0xd503203f, UP_INSN_XOL, "yield"},	     /* yield */
    {0xd503229f, UP_INSN_XOL, "csdb"},	     /* csdb */
    {0x58000200, UP_INSN_SIMULATE, "ldr"},   /* ldr x0, . + 0x40 */
    {0x18fffe01, UP_INSN_SIMULATE, "ldr"},   /* ldr w1, . - 0x40 */
    {0x98000402, UP_INSN_SIMULATE, "ldrsw"}, /* ldrsw x2, . + 0x80 */
    {0xd8000080, UP_INSN_SIMULATE, "prfm"},  /* prfm pldl1keep, . + 0x10 */
    {0x5c000080, UP_INSN_REFUSE, "ldr"},     /* ldr d0, . + 0x10 */
    {0x9c000081, UP_INSN_REFUSE, "ldr"},     /* ldr q1, . + 0x10 */
    {0xa9be7bfd, UP_INSN_SIMULATE, "stp"},   /* stp x29, x30, [sp, #-32]! */
    {0xa90153f3, UP_INSN_SIMULATE, "stp"},   /* stp x19, x20, [sp, #16] */
    {0xa8c27bfd, UP_INSN_SIMULATE, "ldp"},   /* ldp x29, x30, [sp], #32 */
    {0x297f0861, UP_INSN_SIMULATE, "ldp"},   /* ldp w1, w2, [x3, #-8] */
    {0x29810861, UP_INSN_SIMULATE, "stp"},   /* stp w1, w2, [x3, #8]! */
    {0x694094c4, UP_INSN_SIMULATE, "ldpsw"}, /* ldpsw x4, x5, [x6, #4] */
    {0xa8000861, UP_INSN_SIMULATE, "stnp"},  /* stnp x1, x2, [x3] */
    {0xad4107e0, UP_INSN_XOL, "ldp"},	     /* ldp q0, q1, [sp, #32] */
    {0x910003fd, UP_INSN_SIMULATE, "mov"},   /* mov x29, sp */
    {0x910003bf, UP_INSN_SIMULATE, "mov"},   /* mov sp, x29 */
    {0x910043ff, UP_INSN_SIMULATE, "add"},   /* add sp, sp, #0x10 */
    {0xd10103ff, UP_INSN_SIMULATE, "sub"},   /* sub sp, sp, #0x40 */
    {0xd14007ff, UP_INSN_SIMULATE, "sub"},   /* sub sp, sp, #1, lsl #12 */
    {0x11001020, UP_INSN_SIMULATE, "add"},   /* add w0, w1, #4 */
    {0xb1000420, UP_INSN_XOL, "adds"},	     /* adds x0, x1, #1 */
    {0xf100141f, UP_INSN_XOL, "cmp"},	     /* cmp x0, #5 */
    {0xaa0203e1, UP_INSN_SIMULATE, "mov"},   /* mov x1, x2 */
    {0x2a0403e3, UP_INSN_SIMULATE, "mov"},   /* mov w3, w4 */
    {0xd2800200, UP_INSN_SIMULATE, "mov"},   /* mov x0, #0x10 */
    {0x12800021, UP_INSN_SIMULATE, "mov"},   /* mov w1, #-2 */
    {0xf2e24682, UP_INSN_SIMULATE, "movk"},  /* movk x2, #0x1234, lsl #48 */
    {0x929fffe3, UP_INSN_SIMULATE, "mov"},   /* mov x3, #0xffffffffffff0000 */
    {0xf9000bf3, UP_INSN_SIMULATE, "str"},   /* str x19, [sp, #16] */
    {0xf9400bf3, UP_INSN_SIMULATE, "ldr"},   /* ldr x19, [sp, #16] */
    {0xb9001fe0, UP_INSN_SIMULATE, "str"},   /* str w0, [sp, #28] */
    {0x39400441, UP_INSN_SIMULATE, "ldrb"},  /* ldrb w1, [x2, #1] */
    {0x39800083, UP_INSN_SIMULATE, "ldrsb"}, /* ldrsb x3, [x4] */
    {0x79c004c5, UP_INSN_SIMULATE, "ldrsh"}, /* ldrsh w5, [x6, #2] */
    {0xb9800507, UP_INSN_SIMULATE, "ldrsw"}, /* ldrsw x7, [x8, #4] */
    {0xf81f0fe0, UP_INSN_SIMULATE, "str"},   /* str x0, [sp, #-16]! */
    {0xf84107e0, UP_INSN_SIMULATE, "ldr"},   /* ldr x0, [sp], #16 */
    {0xf81f83a1, UP_INSN_SIMULATE, "stur"},  /* stur x1, [x29, #-8] */
    {0x781fec62, UP_INSN_SIMULATE, "strh"},  /* strh w2, [x3, #-2]! */
    {0xf8627820, UP_INSN_XOL, "ldr"},	     /* ldr x0, [x1, x2, lsl #3] */
    {0xc85f7c20, UP_INSN_REFUSE, "ldxr"},    /* ldxr x0, [x1] */
    {0xc8027c20, UP_INSN_REFUSE, "stxr"},    /* stxr w2, x0, [x1] */
    {0x885ffc20, UP_INSN_REFUSE, "ldaxr"},   /* ldaxr w0, [x1] */
    {0x8802fc20, UP_INSN_REFUSE, "stlxr"},   /* stlxr w2, w0, [x1] */
    {0xc87f0440, UP_INSN_REFUSE, "ldxp"},    /* ldxp x0, x1, [x2] */
    {0xc8238440, UP_INSN_REFUSE, "stlxp"},   /* stlxp w3, x0, x1, [x2] */
    {0xc8dffc20, UP_INSN_XOL, "ldar"},	     /* ldar x0, [x1] */
    {0x889ffc20, UP_INSN_XOL, "stlr"},	     /* stlr w0, [x1] */
    {0xc8a07c41, UP_INSN_XOL, "cas"},	     /* cas x0, x1, [x2] */
    {0x88e0fc41, UP_INSN_XOL, "casal"},	     /* casal w0, w1, [x2] */
    {0xf8200041, UP_INSN_XOL, "ldadd"},	     /* ldadd x0, x1, [x2] */
    {0xb8e00041, UP_INSN_XOL, "ldaddal"},    /* ldaddal w0, w1, [x2] */
    {0xf8e08041, UP_INSN_XOL, "swpal"},	     /* swpal x0, x1, [x2] */
    {0xf8bfc020, UP_INSN_XOL, "ldapr"},	     /* ldapr x0, [x1] */
    {0xd4000001, UP_INSN_REFUSE, "svc"},     /* svc #0 */
    {0xd4000002, UP_INSN_REFUSE, "hvc"},     /* hvc #0 */
    {0xd4000003, UP_INSN_REFUSE, "smc"},     /* smc #0 */
    {0xd4200000, UP_INSN_REFUSE, "brk"},     /* brk #0 */
    {0xd42000a0, UP_INSN_REFUSE, "brk"},     /* brk #5 */
    {0xd4400000, UP_INSN_REFUSE, "hlt"},     /* hlt #0 */
    {0xd69f03e0, UP_INSN_REFUSE, "eret"},    /* eret */
    {0xd51b4200, UP_INSN_REFUSE, "msr"},     /* msr nzcv, x0 */
    {0xd51bd041, UP_INSN_REFUSE, "msr"},     /* msr tpidr_el0, x1 */
    {0xd50342df, UP_INSN_REFUSE, "msr"},     /* msr daifset, #2 */
    {0xd503413f, UP_INSN_REFUSE, "msr"},     /* msr ssbs, #1 */
    {0xd53bd040, UP_INSN_XOL, "mrs"},	     /* mrs x0, tpidr_el0 */
    {0xd53b4201, UP_INSN_XOL, "mrs"},	     /* mrs x1, nzcv */
    {0xd500401f, UP_INSN_XOL, "cfinv"},	     /* cfinv */
    {0xd5033bbf, UP_INSN_XOL, "dmb"},	     /* dmb ish */
    {0xd5033f9f, UP_INSN_XOL, "dsb"},	     /* dsb sy */
    {0xd5033fdf, UP_INSN_XOL, "isb"},	     /* isb */
    {0xd5033f5f, UP_INSN_XOL, "clrex"},	     /* clrex */
    {0xd50b7420, UP_INSN_XOL, "dc"},	     /* dc zva, x0 */
    {0xd65f0bff, UP_INSN_XOL, "retaa"},	     /* retaa */
    {0xd65f0fff, UP_INSN_XOL, "retab"},	     /* retab */
    {0xd71f0a11, UP_INSN_XOL, "braa"},	     /* braa x16, x17 */
    {0xd73f0a11, UP_INSN_REFUSE, "blraa"},   /* blraa x16, x17 */
    {0xd63f083f, UP_INSN_REFUSE, "blraaz"},  /* blraaz x1 */
    {0x00000000, UP_INSN_REFUSE, "udf"},     /* udf #0 */
    {0x8b020020, UP_INSN_XOL, "add"},	     /* add x0, x1, x2 */
    {0x9b020c20, UP_INSN_XOL, "madd"},	     /* madd x0, x1, x2, x3 */
    {0x1e622820, UP_INSN_XOL, "fadd"},	     /* fadd d0, d1, d2 */
    {0xd3442c20, UP_INSN_XOL, "ubfx"},	     /* ubfx x0, x1, #4, #8 */
    {0x92401c20, UP_INSN_XOL, "and"},	     /* and x0, x1, #0xff */
    {0x9a820020, UP_INSN_XOL, "csel"},	     /* csel x0, x1, x2, eq */
    {0x4c407000, UP_INSN_XOL, "ld1"},	     /* ld1 {v0.16b}, [x0] */
    {0x3dc00420, UP_INSN_XOL, "ldr"},	     /* ldr q0, [x1, #16] */
    {0x00100000, UP_INSN_REFUSE, ".inst"},   /* unallocated */
    {0x06000000, UP_INSN_REFUSE, ".inst"},   /* unallocated */
    {0xd4000000, UP_INSN_REFUSE, ".inst"},   /* unallocated */
};

const size_t a64_table_len = sizeof(a64_table) / sizeof(a64_table[0]);

/* SPDX-License-Identifier: MIT */
/*
 * The loongarch64 instruction table the unit tests share: encodings (made
 * with clang-19 --target=loongarch64-linux-gnu) with the action and
 * mnemonic decode() must report, spelled as llvm-objdump-19 prints them
 * (aliases move, nop, ret, jr included). test_objdump.c checks every row
 * against llvm-objdump-19, so a wrong row cannot pass.
 */
#ifndef TEST_LOONGARCH64_INSN_TABLE_H
#define TEST_LOONGARCH64_INSN_TABLE_H

#include <stdint.h>

#include "uptrace/arch.h"

#define SIM UP_INSN_SIMULATE
#define XOL UP_INSN_XOL
#define REF UP_INSN_REFUSE

struct la_case {
	uint32_t word;
	uint8_t action;
	const char *mnemonic;
};

static const struct la_case la_cases[] = {
    {0x19ffffc4, SIM, "pcaddi"},     {0x1a2468ac, SIM, "pcalau12i"},
    {0x1bffffe5, SIM, "pcalau12i"},  {0x1dffffad, SIM, "pcaddu12i"},
    {0x1e000021, SIM, "pcaddu18i"},  {0x1ffffff4, SIM, "pcaddu18i"},
    {0x53ff03ff, SIM, "b"},	     {0x53fffc01, SIM, "b"},
    {0x54040000, SIM, "bl"},	     {0x57ffffff, SIM, "bl"},
    {0x4c000181, SIM, "jirl"},	     {0x4c000020, SIM, "ret"},
    {0x4ffff1a1, SIM, "jirl"},	     {0x58004085, SIM, "beq"},
    {0x5fffc180, SIM, "bne"},	     {0x620000c7, SIM, "blt"},
    {0x640008c7, SIM, "bge"},	     {0x6bfffef8, SIM, "bltu"},
    {0x6dfffd8d, SIM, "bgeu"},	     {0x4000009c, SIM, "beqz"},
    {0x47ffff23, SIM, "bnez"},	     {0x02ffc063, SIM, "addi.d"},
    {0x02dffca4, SIM, "addi.d"},     {0x29c02061, SIM, "st.d"},
    {0x29ffe076, SIM, "st.d"},	     {0x28c02061, SIM, "ld.d"},
    {0x28e000a4, SIM, "ld.d"},	     {0x001500a4, SIM, "move"},
    {0x001539ac, SIM, "or"},	     {0x03bffc84, SIM, "ori"},
    {0x0380040c, SIM, "ori"},	     {0x15ffffe4, SIM, "lu12i.w"},
    {0x142468ac, SIM, "lu12i.w"},    {0x03400000, SIM, "nop"},
    {0x0343fca4, SIM, "andi"},	     {0x02800484, XOL, "addi.w"},
    {0x001098a4, XOL, "add.d"},	     {0x001198a4, XOL, "sub.d"},
    {0x001218a4, XOL, "slt"},	     {0x001298a4, XOL, "sltu"},
    {0x001498a4, XOL, "and"},	     {0x001598a4, XOL, "xor"},
    {0x001418a4, XOL, "nor"},	     {0x001d98a4, XOL, "mul.d"},
    {0x002318a4, XOL, "div.du"},     {0x002098a4, XOL, "mod.w"},
    {0x001898a4, XOL, "sll.d"},	     {0x0041fca4, XOL, "slli.d"},
    {0x0048fca4, XOL, "srai.w"},     {0x004504a4, XOL, "srli.d"},
    {0x17ffffe4, XOL, "lu32i.d"},    {0x031ffc84, XOL, "lu52i.d"},
    {0x28801064, XOL, "ld.w"},	     {0x2a000084, XOL, "ld.bu"},
    {0x29bff064, XOL, "st.w"},	     {0x290004a0, XOL, "st.b"},
    {0x380c18a4, XOL, "ldx.d"},	     {0x381c18a4, XOL, "stx.d"},
    {0x26000864, XOL, "ldptr.d"},    {0x25fff864, XOL, "stptr.w"},
    {0x2b802060, XOL, "fld.d"},	     {0x2b7ff078, XOL, "fst.s"},
    {0x01010820, XOL, "fadd.d"},     {0x01048820, XOL, "fmul.s"},
    {0x0114a880, XOL, "movgr2fr.d"}, {0x0114b804, XOL, "movfr2gr.d"},
    {0x00005ca4, XOL, "ext.w.b"},    {0x000058a4, XOL, "ext.w.h"},
    {0x00df00a4, XOL, "bstrpick.d"}, {0x006710a4, XOL, "bstrins.w"},
    {0x002d18a4, XOL, "alsl.d"},     {0x001318a4, XOL, "maskeqz"},
    {0x001398a4, XOL, "masknez"},    {0x000068a4, XOL, "rdtime.d"},
    {0x00006ca4, XOL, "cpucfg"},     {0x38720000, XOL, "dbar"},
    {0x38728000, XOL, "ibar"},	     {0x002b0000, REF, "syscall"},
    {0x002a0000, REF, "break"},	     {0x002a0005, REF, "break"},
    {0x200000a4, REF, "ll.w"},	     {0x210004a4, REF, "sc.w"},
    {0x220008a4, REF, "ll.d"},	     {0x230000a4, REF, "sc.d"},
    {0x386014c4, REF, "amswap.w"},   {0x386194c4, REF, "amadd.d"},
    {0x386c94c4, REF, "amor_db.d"},  {0x386714c4, REF, "ammax.wu"},
    {0x48001000, REF, "bceqz"},	     {0x4bfff13f, REF, "bcnez"},
    {0x04000404, REF, "csrrd"},	     {0x04000424, REF, "csrwr"},
    {0x06483800, REF, "ertn"},	     {0x06488000, REF, "idle"},
    {0x4c000180, SIM, "jr"},	     {0x4c000820, SIM, "jirl"},
    {0x00151404, SIM, "or"},	     {0x03400084, SIM, "andi"},
    {0x03400400, SIM, "andi"},	     {0x00150000, SIM, "move"},
    {0x60000880, SIM, "blt"},	     {0x64000804, SIM, "bge"},
    {0x02801404, XOL, "addi.w"},     {0x03800004, SIM, "ori"},
    {0x38720700, XOL, "dbar"},	     {0x2ac02080, XOL, "preld"},
    {0x01149820, XOL, "fmov.d"},     {0x0c210400, XOL, "fcmp.clt.d"},
    {0x0d000820, XOL, "fsel"},	     {0x0114d880, XOL, "movgr2cf"},
    {0x0114dc04, XOL, "movcf2gr"},   {0x00006004, XOL, "rdtimel.w"},
    {0x004d0ca4, XOL, "rotri.d"},    {0x00448ca4, XOL, "srli.w"},
    {0x001e98a4, XOL, "mulh.du"},    {0x08218820, XOL, "fmadd.d"},
    {0x2a4008a4, XOL, "ld.hu"},	     {0x001718a4, XOL, "sll.w"},
    {0x000c98a4, XOL, "bytepick.d"}, {0x00003ca4, XOL, "revb.d"},
    {0x000024a4, XOL, "clz.d"},	     {0x387194c4, REF, "ammin_db.du"},
    {0x385914c4, REF, "amcas.w"},    {0x002a8000, REF, "dbcl"},
};

#define LA_NCASES (sizeof(la_cases) / sizeof(la_cases[0]))

static inline void la_word_bytes(uint32_t w, uint8_t out[4])
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(w >> (8 * i));
}

#endif

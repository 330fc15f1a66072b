/* SPDX-License-Identifier: MIT */
/*
 * loongarch64 instruction analysis: bytes at a probe point -> struct up_insn
 * saying whether a hit is simulated (pc-relative, branches, the prologue
 * instructions), run out of line, or refused. Capstone 4 has no LoongArch,
 * so a table of mask/match pairs names the LA64 base integer, FP and
 * memory-barrier instructions; anything else (LSX/LASX, LBT, unknown) is
 * refused as undecodable. Text follows llvm-objdump, aliases included
 * (move, nop, ret, jr).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "loongarch64.h"
#include "common/bits.h"

/* How the operands print, and where the fields are. */
enum la_format {
	F_NONE,	   /* ertn */
	F_2R,	   /* rd, rj */
	F_3R,	   /* rd, rj, rk */
	F_2RI12,   /* rd, rj, si12 */
	F_2RU12,   /* rd, rj, ui12 */
	F_2RI14,   /* rd, rj, si14 << 2 */
	F_JIRL,	   /* rd, rj, si16 << 2 */
	F_BRANCH,  /* rj, rd, si16 << 2 */
	F_BRANCHZ, /* rj, si21 << 2 */
	F_BCF,	   /* fcc, si21 << 2 */
	F_I26,	   /* si26 << 2 */
	F_1RI20,   /* rd, si20 */
	F_SHIFTW,  /* rd, rj, ui5 */
	F_SHIFTD,  /* rd, rj, ui6 */
	F_CODE15,  /* ui15 */
	F_CSR,	   /* rd, csr */
	F_PRELD,   /* hint, rj, si12 */
	F_ALSL,	   /* rd, rj, rk, sa2 + 1 */
	F_BSTRW,   /* rd, rj, msbw, lsbw */
	F_BSTRD,   /* rd, rj, msbd, lsbd */
	F_FMEM,	   /* fd, rj, si12 */
	F_FMEMX,   /* fd, rj, rk */
	F_FR2,	   /* fd, fj */
	F_FR3,	   /* fd, fj, fk */
	F_FR4,	   /* fd, fj, fk, fa */
	F_GR2FR,   /* fd, rj */
	F_FR2GR,   /* rd, fj */
	F_OTHER,   /* name only */
};

struct la_form {
	uint32_t mask, match;
	const char *name;
	uint8_t format;
	uint8_t action;
	uint8_t op;	 /* enum up_la_op, with UP_INSN_SIMULATE */
	uint8_t cond;	 /* enum up_la_cond, with UP_LA_OP_BRANCH */
	const char *why; /* with UP_INSN_REFUSE */
};

#define SIM(mask, match, name, fmt, op) {mask, match, name, fmt, UP_INSN_SIMULATE, op, 0, NULL}
#define BR(mask, match, name, fmt, cond)                                                           \
	{mask, match, name, fmt, UP_INSN_SIMULATE, UP_LA_OP_BRANCH, cond, NULL}
#define XOL(mask, match, name, fmt) {mask, match, name, fmt, UP_INSN_XOL, 0, 0, NULL}
#define REF(mask, match, name, fmt, why) {mask, match, name, fmt, UP_INSN_REFUSE, 0, 0, why}

#define M20 0xfe000000u /* 1RI20 */
#define M16 0xfc000000u /* 2RI16, 1RI21, I26 */
#define M14 0xff000000u /* 2RI14 */
#define M12 0xffc00000u /* 2RI12 */
#define M3R 0xffff8000u /* 3R and friends */
#define M2R 0xfffffc00u /* 2R */

static const char why_llsc[] = "a trap between ll and sc loses the reservation";
static const char why_priv[] = "privileged instruction cannot be probed";

static const struct la_form forms[] = {
    SIM(M20, 0x14000000, "lu12i.w", F_1RI20, UP_LA_OP_LI),
    XOL(M20, 0x16000000, "lu32i.d", F_1RI20),
    SIM(M20, 0x18000000, "pcaddi", F_1RI20, UP_LA_OP_PCADD),
    SIM(M20, 0x1a000000, "pcalau12i", F_1RI20, UP_LA_OP_PCALAU12I),
    SIM(M20, 0x1c000000, "pcaddu12i", F_1RI20, UP_LA_OP_PCADD),
    SIM(M20, 0x1e000000, "pcaddu18i", F_1RI20, UP_LA_OP_PCADD),

    BR(M16, 0x40000000, "beqz", F_BRANCHZ, UP_LA_EQ),
    BR(M16, 0x44000000, "bnez", F_BRANCHZ, UP_LA_NE),
    REF(0xfc000300, 0x48000000, "bceqz", F_BCF, "FP condition flags are not in up_regs"),
    REF(0xfc000300, 0x48000100, "bcnez", F_BCF, "FP condition flags are not in up_regs"),
    SIM(M16, 0x4c000000, "jirl", F_JIRL, UP_LA_OP_JIRL),
    SIM(M16, 0x50000000, "b", F_I26, UP_LA_OP_JUMP),
    SIM(M16, 0x54000000, "bl", F_I26, UP_LA_OP_JUMP),
    BR(M16, 0x58000000, "beq", F_BRANCH, UP_LA_EQ),
    BR(M16, 0x5c000000, "bne", F_BRANCH, UP_LA_NE),
    BR(M16, 0x60000000, "blt", F_BRANCH, UP_LA_LT),
    BR(M16, 0x64000000, "bge", F_BRANCH, UP_LA_GE),
    BR(M16, 0x68000000, "bltu", F_BRANCH, UP_LA_LTU),
    BR(M16, 0x6c000000, "bgeu", F_BRANCH, UP_LA_GEU),

    XOL(M12, 0x02000000, "slti", F_2RI12),
    XOL(M12, 0x02400000, "sltui", F_2RI12),
    XOL(M12, 0x02800000, "addi.w", F_2RI12),
    SIM(M12, 0x02c00000, "addi.d", F_2RI12, UP_LA_OP_ADDI),
    XOL(M12, 0x03000000, "lu52i.d", F_2RI12),
    SIM(M12, 0x03400000, "andi", F_2RU12, UP_LA_OP_ANDI),
    SIM(M12, 0x03800000, "ori", F_2RU12, UP_LA_OP_ORI),
    XOL(M12, 0x03c00000, "xori", F_2RU12),
    XOL(M12, 0x28000000, "ld.b", F_2RI12),
    XOL(M12, 0x28400000, "ld.h", F_2RI12),
    XOL(M12, 0x28800000, "ld.w", F_2RI12),
    SIM(M12, 0x28c00000, "ld.d", F_2RI12, UP_LA_OP_LD),
    XOL(M12, 0x29000000, "st.b", F_2RI12),
    XOL(M12, 0x29400000, "st.h", F_2RI12),
    XOL(M12, 0x29800000, "st.w", F_2RI12),
    SIM(M12, 0x29c00000, "st.d", F_2RI12, UP_LA_OP_ST),
    XOL(M12, 0x2a000000, "ld.bu", F_2RI12),
    XOL(M12, 0x2a400000, "ld.hu", F_2RI12),
    XOL(M12, 0x2a800000, "ld.wu", F_2RI12),
    XOL(M12, 0x2ac00000, "preld", F_PRELD),
    XOL(M12, 0x2b000000, "fld.s", F_FMEM),
    XOL(M12, 0x2b400000, "fst.s", F_FMEM),
    XOL(M12, 0x2b800000, "fld.d", F_FMEM),
    XOL(M12, 0x2bc00000, "fst.d", F_FMEM),

    REF(M14, 0x20000000, "ll.w", F_2RI14, why_llsc),
    REF(M14, 0x21000000, "sc.w", F_2RI14, why_llsc),
    REF(M14, 0x22000000, "ll.d", F_2RI14, why_llsc),
    REF(M14, 0x23000000, "sc.d", F_2RI14, why_llsc),
    XOL(M14, 0x24000000, "ldptr.w", F_2RI14),
    XOL(M14, 0x25000000, "stptr.w", F_2RI14),
    XOL(M14, 0x26000000, "ldptr.d", F_2RI14),
    XOL(M14, 0x27000000, "stptr.d", F_2RI14),
    REF(0xff0003e0, 0x04000000, "csrrd", F_CSR, why_priv),
    REF(0xff0003e0, 0x04000020, "csrwr", F_CSR, why_priv),
    REF(M14, 0x04000000, "csrxchg", F_OTHER, why_priv),
    REF(0xffffffff, 0x06483800, "ertn", F_NONE, why_priv),
    REF(M3R, 0x06488000, "idle", F_CODE15, why_priv),
    REF(M14, 0x06000000, "privileged", F_OTHER, why_priv),

    XOL(M2R, 0x00001000, "clo.w", F_2R),
    XOL(M2R, 0x00001400, "clz.w", F_2R),
    XOL(M2R, 0x00001800, "cto.w", F_2R),
    XOL(M2R, 0x00001c00, "ctz.w", F_2R),
    XOL(M2R, 0x00002000, "clo.d", F_2R),
    XOL(M2R, 0x00002400, "clz.d", F_2R),
    XOL(M2R, 0x00002800, "cto.d", F_2R),
    XOL(M2R, 0x00002c00, "ctz.d", F_2R),
    XOL(M2R, 0x00003000, "revb.2h", F_2R),
    XOL(M2R, 0x00003400, "revb.4h", F_2R),
    XOL(M2R, 0x00003800, "revb.2w", F_2R),
    XOL(M2R, 0x00003c00, "revb.d", F_2R),
    XOL(M2R, 0x00004000, "revh.2w", F_2R),
    XOL(M2R, 0x00004400, "revh.d", F_2R),
    XOL(M2R, 0x00004800, "bitrev.4b", F_2R),
    XOL(M2R, 0x00004c00, "bitrev.8b", F_2R),
    XOL(M2R, 0x00005000, "bitrev.w", F_2R),
    XOL(M2R, 0x00005400, "bitrev.d", F_2R),
    XOL(M2R, 0x00005800, "ext.w.h", F_2R),
    XOL(M2R, 0x00005c00, "ext.w.b", F_2R),
    XOL(M2R, 0x00006000, "rdtimel.w", F_2R),
    XOL(M2R, 0x00006400, "rdtimeh.w", F_2R),
    XOL(M2R, 0x00006800, "rdtime.d", F_2R),
    XOL(M2R, 0x00006c00, "cpucfg", F_2R),

    XOL(0xfffe0000, 0x00040000, "alsl.w", F_ALSL),
    XOL(0xfffe0000, 0x00060000, "alsl.wu", F_ALSL),
    XOL(0xfffe0000, 0x00080000, "bytepick.w", F_OTHER),
    XOL(0xfffc0000, 0x000c0000, "bytepick.d", F_OTHER),
    XOL(M3R, 0x00100000, "add.w", F_3R),
    XOL(M3R, 0x00108000, "add.d", F_3R),
    XOL(M3R, 0x00110000, "sub.w", F_3R),
    XOL(M3R, 0x00118000, "sub.d", F_3R),
    XOL(M3R, 0x00120000, "slt", F_3R),
    XOL(M3R, 0x00128000, "sltu", F_3R),
    XOL(M3R, 0x00130000, "maskeqz", F_3R),
    XOL(M3R, 0x00138000, "masknez", F_3R),
    XOL(M3R, 0x00140000, "nor", F_3R),
    XOL(M3R, 0x00148000, "and", F_3R),
    SIM(M3R, 0x00150000, "or", F_3R, UP_LA_OP_OR),
    XOL(M3R, 0x00158000, "xor", F_3R),
    XOL(M3R, 0x00160000, "orn", F_3R),
    XOL(M3R, 0x00168000, "andn", F_3R),
    XOL(M3R, 0x00170000, "sll.w", F_3R),
    XOL(M3R, 0x00178000, "srl.w", F_3R),
    XOL(M3R, 0x00180000, "sra.w", F_3R),
    XOL(M3R, 0x00188000, "sll.d", F_3R),
    XOL(M3R, 0x00190000, "srl.d", F_3R),
    XOL(M3R, 0x00198000, "sra.d", F_3R),
    XOL(M3R, 0x001b0000, "rotr.w", F_3R),
    XOL(M3R, 0x001b8000, "rotr.d", F_3R),
    XOL(M3R, 0x001c0000, "mul.w", F_3R),
    XOL(M3R, 0x001c8000, "mulh.w", F_3R),
    XOL(M3R, 0x001d0000, "mulh.wu", F_3R),
    XOL(M3R, 0x001d8000, "mul.d", F_3R),
    XOL(M3R, 0x001e0000, "mulh.d", F_3R),
    XOL(M3R, 0x001e8000, "mulh.du", F_3R),
    XOL(M3R, 0x001f0000, "mulw.d.w", F_3R),
    XOL(M3R, 0x001f8000, "mulw.d.wu", F_3R),
    XOL(M3R, 0x00200000, "div.w", F_3R),
    XOL(M3R, 0x00208000, "mod.w", F_3R),
    XOL(M3R, 0x00210000, "div.wu", F_3R),
    XOL(M3R, 0x00218000, "mod.wu", F_3R),
    XOL(M3R, 0x00220000, "div.d", F_3R),
    XOL(M3R, 0x00228000, "mod.d", F_3R),
    XOL(M3R, 0x00230000, "div.du", F_3R),
    XOL(M3R, 0x00238000, "mod.du", F_3R),
    REF(M3R, 0x002a0000, "break", F_CODE15, "a breakpoint cannot be probed"),
    REF(M3R, 0x002a8000, "dbcl", F_CODE15, "a debug trap cannot be probed"),
    REF(M3R, 0x002b0000, "syscall", F_CODE15, "system call cannot be probed"),
    XOL(0xfffe0000, 0x002c0000, "alsl.d", F_ALSL),
    XOL(M3R, 0x00408000, "slli.w", F_SHIFTW),
    XOL(0xffff0000, 0x00410000, "slli.d", F_SHIFTD),
    XOL(M3R, 0x00448000, "srli.w", F_SHIFTW),
    XOL(0xffff0000, 0x00450000, "srli.d", F_SHIFTD),
    XOL(M3R, 0x00488000, "srai.w", F_SHIFTW),
    XOL(0xffff0000, 0x00490000, "srai.d", F_SHIFTD),
    XOL(M3R, 0x004c8000, "rotri.w", F_SHIFTW),
    XOL(0xffff0000, 0x004d0000, "rotri.d", F_SHIFTD),
    XOL(0xffe08000, 0x00600000, "bstrins.w", F_BSTRW),
    XOL(0xffe08000, 0x00608000, "bstrpick.w", F_BSTRW),
    XOL(0xffc00000, 0x00800000, "bstrins.d", F_BSTRD),
    XOL(0xffc00000, 0x00c00000, "bstrpick.d", F_BSTRD),

    XOL(M3R, 0x01008000, "fadd.s", F_FR3),
    XOL(M3R, 0x01010000, "fadd.d", F_FR3),
    XOL(M3R, 0x01028000, "fsub.s", F_FR3),
    XOL(M3R, 0x01030000, "fsub.d", F_FR3),
    XOL(M3R, 0x01048000, "fmul.s", F_FR3),
    XOL(M3R, 0x01050000, "fmul.d", F_FR3),
    XOL(M3R, 0x01068000, "fdiv.s", F_FR3),
    XOL(M3R, 0x01070000, "fdiv.d", F_FR3),
    XOL(M3R, 0x01088000, "fmax.s", F_FR3),
    XOL(M3R, 0x01090000, "fmax.d", F_FR3),
    XOL(M3R, 0x010a8000, "fmin.s", F_FR3),
    XOL(M3R, 0x010b0000, "fmin.d", F_FR3),
    XOL(M2R, 0x01149400, "fmov.s", F_FR2),
    XOL(M2R, 0x01149800, "fmov.d", F_FR2),
    XOL(M2R, 0x0114a400, "movgr2fr.w", F_GR2FR),
    XOL(M2R, 0x0114a800, "movgr2fr.d", F_GR2FR),
    XOL(M2R, 0x0114b400, "movfr2gr.s", F_FR2GR),
    XOL(M2R, 0x0114b800, "movfr2gr.d", F_FR2GR),
    XOL(0xfffffc18, 0x0114d800, "movgr2cf", F_OTHER),
    XOL(0xffffff00, 0x0114dc00, "movcf2gr", F_OTHER),
    XOL(0xfff00000, 0x08100000, "fmadd.s", F_FR4),
    XOL(0xfff00000, 0x08200000, "fmadd.d", F_FR4),
    XOL(0xfff00000, 0x08500000, "fmsub.s", F_FR4),
    XOL(0xfff00000, 0x08600000, "fmsub.d", F_FR4),
    XOL(0xfff00000, 0x08900000, "fnmadd.s", F_FR4),
    XOL(0xfff00000, 0x08a00000, "fnmadd.d", F_FR4),
    XOL(0xfff00000, 0x08d00000, "fnmsub.s", F_FR4),
    XOL(0xfff00000, 0x08e00000, "fnmsub.d", F_FR4),
    XOL(0xfffc0000, 0x0d000000, "fsel", F_OTHER),

    XOL(M3R, 0x38000000, "ldx.b", F_3R),
    XOL(M3R, 0x38040000, "ldx.h", F_3R),
    XOL(M3R, 0x38080000, "ldx.w", F_3R),
    XOL(M3R, 0x380c0000, "ldx.d", F_3R),
    XOL(M3R, 0x38100000, "stx.b", F_3R),
    XOL(M3R, 0x38140000, "stx.h", F_3R),
    XOL(M3R, 0x38180000, "stx.w", F_3R),
    XOL(M3R, 0x381c0000, "stx.d", F_3R),
    XOL(M3R, 0x38200000, "ldx.bu", F_3R),
    XOL(M3R, 0x38240000, "ldx.hu", F_3R),
    XOL(M3R, 0x38280000, "ldx.wu", F_3R),
    XOL(M3R, 0x382c0000, "preldx", F_OTHER),
    XOL(M3R, 0x38300000, "fldx.s", F_FMEMX),
    XOL(M3R, 0x38340000, "fldx.d", F_FMEMX),
    XOL(M3R, 0x38380000, "fstx.s", F_FMEMX),
    XOL(M3R, 0x383c0000, "fstx.d", F_FMEMX),
    XOL(M3R, 0x38720000, "dbar", F_CODE15),
    XOL(M3R, 0x38728000, "ibar", F_CODE15),
};

static const char *const fregs[32] = {
    "fa0",  "fa1",  "fa2", "fa3", "fa4", "fa5", "fa6", "fa7",  "ft0",  "ft1",  "ft2",
    "ft3",  "ft4",  "ft5", "ft6", "ft7", "ft8", "ft9", "ft10", "ft11", "ft12", "ft13",
    "ft14", "ft15", "fs0", "fs1", "fs2", "fs3", "fs4", "fs5",  "fs6",  "fs7",
};

/* LLVM's spelling of r0..r31. */
static const char *const abi[32] = {
    "zero", "ra", "tp", "sp", "a0", "a1", "a2", "a3", "a4", "a5", "a6",
    "a7",   "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "r21",
    "fp",   "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8",
};

/* The am* atomics, 0x38580000 (amcas.b) to 0x38718000 (ammin_db.du), one per 0x8000. */
static bool atomic_name(uint32_t w, char *buf, size_t size)
{
	static const char *const ops[9] = {"amswap", "amadd", "amand", "amor", "amxor",
					   "ammax",  "ammin", "ammax", "ammin"};
	static const char *const small[4] = {"amcas", "amcas_db", NULL, NULL};
	uint32_t i = ((w & M3R) - 0x38580000u) >> 15;
	bool db;

	if ((w & M3R) < 0x38580000u || i >= 52)
		return false;
	if (i < 8) {
		snprintf(buf, size, "%s.%c", small[i / 4], "bhwd"[i % 4]);
		return true;
	}
	if (i < 16) {
		/* amswap.b amswap.h amadd.b amadd.h, then the _db forms */
		i -= 8;
		snprintf(buf, size, "%s%s.%c", i & 2 ? "amadd" : "amswap", i & 4 ? "_db" : "",
			 "bh"[i & 1]);
		return true;
	}
	i -= 16;
	db = i >= 18;
	i %= 18;
	snprintf(buf, size, "%s%s.%s", ops[i / 2], db ? "_db" : "",
		 i >= 14 ? (i & 1 ? "du" : "wu") : (i & 1 ? "d" : "w"));
	return true;
}

/* fcmp.COND.s / fcmp.COND.d $fccN, $fj, $fk: writes an FP condition flag, runs out of line. */
static bool fcmp_name(uint32_t w, char *buf, size_t size)
{
	static const char *const conds[32] = {
	    "caf", "saf",  "clt",  "slt",  "ceq",  "seq",  "cle",  "sle",  "cun",
	    "sun", "cult", "sult", "cueq", "sueq", "cule", "sule", "cne",  "sne",
	    NULL,  NULL,   "cor",  "sor",  NULL,   NULL,   "cune", "sune",
	};
	const char *cond = conds[(w >> 15) & 31];

	if (((w & 0xfff00018) != 0x0c100000 && (w & 0xfff00018) != 0x0c200000) || !cond)
		return false;
	snprintf(buf, size, "fcmp.%s.%c", cond, (w & 0x00200000) ? 'd' : 's');
	return true;
}

static int invalid(struct up_insn *insn, uint32_t w, const char *what)
{
	snprintf(insn->text, sizeof(insn->text), ".word 0x%08x", w);
	insn->action = UP_INSN_REFUSE;
	insn->op = UP_LA_OP_NONE;
	snprintf(insn->why, sizeof(insn->why), "%s 0x%08x", what, w);
	return -EINVAL;
}

/* Operands per format; also returns the immediate simulate() wants. */
static int64_t format(struct up_insn *insn, const struct la_form *f, const char *name, uint32_t w)
{
	unsigned rd = w & 31, rj = (w >> 5) & 31, rk = (w >> 10) & 31, ra = (w >> 15) & 31;
	char *t = insn->text;
	size_t n = sizeof(insn->text);
	int64_t imm = 0;

	switch (f->format) {
	case F_2R:
		snprintf(t, n, "%s $%s, $%s", name, abi[rd], abi[rj]);
		break;
	case F_3R:
		snprintf(t, n, "%s $%s, $%s, $%s", name, abi[rd], abi[rj], abi[rk]);
		break;
	case F_2RI12:
		imm = sign_extend((w >> 10) & 0xfff, 12);
		snprintf(t, n, "%s $%s, $%s, %lld", name, abi[rd], abi[rj], (long long)imm);
		break;
	case F_2RU12:
		imm = (w >> 10) & 0xfff;
		snprintf(t, n, "%s $%s, $%s, %lld", name, abi[rd], abi[rj], (long long)imm);
		break;
	case F_2RI14:
		imm = sign_extend((w >> 10) & 0x3fff, 14) * 4;
		snprintf(t, n, "%s $%s, $%s, %lld", name, abi[rd], abi[rj], (long long)imm);
		break;
	case F_JIRL:
		imm = sign_extend((w >> 10) & 0xffff, 16) * 4;
		snprintf(t, n, "%s $%s, $%s, %lld", name, abi[rd], abi[rj], (long long)imm);
		break;
	case F_BRANCH:
		imm = sign_extend((w >> 10) & 0xffff, 16) * 4;
		snprintf(t, n, "%s $%s, $%s, %lld", name, abi[rj], abi[rd], (long long)imm);
		break;
	case F_BRANCHZ:
	case F_BCF:
		imm = sign_extend((w & 31) << 16 | ((w >> 10) & 0xffff), 21) * 4;
		if (f->format == F_BCF)
			snprintf(t, n, "%s $fcc%u, %lld", name, rj & 7, (long long)imm);
		else
			snprintf(t, n, "%s $%s, %lld", name, abi[rj], (long long)imm);
		break;
	case F_I26:
		imm = sign_extend((w & 0x3ff) << 16 | ((w >> 10) & 0xffff), 26) * 4;
		snprintf(t, n, "%s %lld", name, (long long)imm);
		break;
	case F_1RI20:
		imm = sign_extend((w >> 5) & 0xfffff, 20);
		snprintf(t, n, "%s $%s, %lld", name, abi[rd], (long long)imm);
		break;
	case F_SHIFTW:
	case F_SHIFTD:
		snprintf(t, n, "%s $%s, $%s, %u", name, abi[rd], abi[rj],
			 (w >> 10) & (f->format == F_SHIFTW ? 31 : 63));
		break;
	case F_CODE15:
		snprintf(t, n, "%s %u", name, w & 0x7fff);
		break;
	case F_CSR:
		snprintf(t, n, "%s $%s, %u", name, abi[rd], (w >> 10) & 0x3fff);
		break;
	case F_PRELD:
		snprintf(t, n, "%s %u, $%s, %lld", name, rd, abi[rj],
			 (long long)sign_extend((w >> 10) & 0xfff, 12));
		break;
	case F_ALSL:
		snprintf(t, n, "%s $%s, $%s, $%s, %u", name, abi[rd], abi[rj], abi[rk],
			 ((w >> 15) & 3) + 1);
		break;
	case F_BSTRW:
		snprintf(t, n, "%s $%s, $%s, %u, %u", name, abi[rd], abi[rj], (w >> 16) & 31,
			 (w >> 10) & 31);
		break;
	case F_BSTRD:
		snprintf(t, n, "%s $%s, $%s, %u, %u", name, abi[rd], abi[rj], (w >> 16) & 63,
			 (w >> 10) & 63);
		break;
	case F_FMEM:
		snprintf(t, n, "%s $%s, $%s, %lld", name, fregs[rd], abi[rj],
			 (long long)sign_extend((w >> 10) & 0xfff, 12));
		break;
	case F_FMEMX:
		snprintf(t, n, "%s $%s, $%s, $%s", name, fregs[rd], abi[rj], abi[rk]);
		break;
	case F_FR2:
		snprintf(t, n, "%s $%s, $%s", name, fregs[rd], fregs[rj]);
		break;
	case F_FR3:
		snprintf(t, n, "%s $%s, $%s, $%s", name, fregs[rd], fregs[rj], fregs[rk]);
		break;
	case F_FR4:
		snprintf(t, n, "%s $%s, $%s, $%s, $%s", name, fregs[rd], fregs[rj], fregs[rk],
			 fregs[ra]);
		break;
	case F_GR2FR:
		snprintf(t, n, "%s $%s, $%s", name, fregs[rd], abi[rj]);
		break;
	case F_FR2GR:
		snprintf(t, n, "%s $%s, $%s", name, abi[rd], fregs[rj]);
		break;
	default:
		snprintf(t, n, "%s", name);
		break;
	}
	return imm;
}

/* LLVM's aliases: move, nop, ret, jr. */
static void alias(struct up_insn *insn, uint32_t w)
{
	unsigned rd = w & 31, rj = (w >> 5) & 31, rk = (w >> 10) & 31;

	if ((w & M3R) == 0x00150000 && rk == 0)
		snprintf(insn->text, sizeof(insn->text), "move $%s, $%s", abi[rd], abi[rj]);
	else if (w == 0x03400000)
		snprintf(insn->text, sizeof(insn->text), "nop");
	else if ((w & M16) == 0x4c000000 && rd == 0 && (w >> 10 & 0xffff) == 0)
		snprintf(insn->text, sizeof(insn->text), rj == 1 ? "ret" : "jr $%s", abi[rj]);
}

static void simulated(struct up_insn *insn, const struct la_form *f, uint32_t w, int64_t imm)
{
	int64_t *p = insn->priv;

	insn->op = f->op;
	p[UP_LA_PRIV_RD] = w & 31;
	p[UP_LA_PRIV_RJ] = (w >> 5) & 31;
	p[UP_LA_PRIV_RK] = (w >> 10) & 31;
	p[UP_LA_PRIV_IMM] = imm;
	switch (f->op) {
	case UP_LA_OP_PCADD: /* pcaddi << 2, pcaddu12i << 12, pcaddu18i << 18 */
		p[UP_LA_PRIV_IMM] = imm * ((w & M20) == 0x18000000   ? 4
					   : (w & M20) == 0x1c000000 ? 4096
								     : 262144);
		break;
	case UP_LA_OP_PCALAU12I:
	case UP_LA_OP_LI:
		p[UP_LA_PRIV_IMM] = imm * 4096;
		break;
	case UP_LA_OP_JUMP: /* b links nowhere (zero), bl links ra */
		p[UP_LA_PRIV_RD] = (w & M16) == 0x54000000 ? UP_LA_RA : UP_LA_ZERO;
		break;
	case UP_LA_OP_BRANCH:
		p[UP_LA_PRIV_COND] = f->cond;
		if (f->format == F_BRANCHZ)
			p[UP_LA_PRIV_RD] = UP_LA_ZERO;
		break;
	case UP_LA_OP_ANDI:
		if (w == 0x03400000)
			insn->op = UP_LA_OP_NOP;
		break;
	}
}

int up_la_decode(const struct up_arch *a, struct up_insn *insn, uint64_t addr, const uint8_t *bytes,
		 size_t avail)
{
	const struct la_form *f = NULL;
	char name[24];
	uint32_t w;
	int64_t imm;

	memset(insn, 0, sizeof(*insn));
	insn->addr = addr;
	insn->len = avail < 4 ? (uint8_t)avail : 4;
	memcpy(insn->bytes, bytes, insn->len);
	if (avail < 4)
		return invalid(insn, 0, "truncated instruction");
	w = le32_load(bytes);
	if (addr & 3)
		return invalid(insn, w, "misaligned instruction");
	if (atomic_name(w, name, sizeof(name))) {
		unsigned rd = w & 31, rj = (w >> 5) & 31, rk = (w >> 10) & 31;

		snprintf(insn->text, sizeof(insn->text), "%s $%s, $%s, $%s", name, abi[rd], abi[rk],
			 abi[rj]);
		insn->action = UP_INSN_REFUSE;
		snprintf(insn->why, sizeof(insn->why), "%s: atomics are not probed", name);
		return 0;
	}
	if (fcmp_name(w, name, sizeof(name))) {
		snprintf(insn->text, sizeof(insn->text), "%s $fcc%u, $%s, $%s", name, w & 7,
			 fregs[(w >> 5) & 31], fregs[(w >> 10) & 31]);
		insn->action = UP_INSN_XOL;
		return 0;
	}
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if ((w & forms[i].mask) == forms[i].match) {
			f = &forms[i];
			break;
		}
	}
	if (!f)
		return invalid(insn, w, "undecodable instruction");
	imm = format(insn, f, f->name, w);
	alias(insn, w);
	insn->action = f->action;
	if (f->action == UP_INSN_SIMULATE)
		simulated(insn, f, w, imm);
	else if (f->action == UP_INSN_REFUSE)
		snprintf(insn->why, sizeof(insn->why), "%s: %s", f->name, f->why);
	return 0;
}

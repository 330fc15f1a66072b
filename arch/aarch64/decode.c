/* SPDX-License-Identifier: MIT */
/*
 * aarch64 instruction analysis by bit patterns (the Arm ARM's top-level
 * op0 = bits[28:25] split, then each class). Whatever reads the PC is
 * simulated (branches, adr/adrp, literal loads) along with the common
 * prologue (stp/ldp, str/ldr immediate, add/sub sp, mov); what is safe at
 * another address runs in an XOL slot; exclusives, exception-generating
 * instructions, MSR writes and SIMD&FP literal loads are refused. The
 * decoded operands go to insn->op and insn->priv[] (aarch64.h) once, here.
 * Capstone only supplies the text, and tells which of the encodings this
 * file does not single out are allocated at all.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <capstone/capstone.h>

#include "aarch64.h"
#include "common/bits.h"

/*
 * Disassembly text for struct up_insn.text. Capstone 4 decodes ARMv8.0 and
 * part of 8.1/8.2; hints it prints as "hint #N" get their names here
 * (paciasp, bti c), and instructions it does not know (LSE atomics, PAC
 * branches) take the mnemonic the decoder found. Install time only: the
 * Capstone handle is opened and closed per call, so nothing is global.
 */
static const char *const hint_names[40] = {
    [0] = "nop",       [1] = "yield",	   [2] = "wfe",	       [3] = "wfi",
    [4] = "sev",       [5] = "sevl",	   [6] = "dgh",	       [7] = "xpaclri",
    [8] = "pacia1716", [10] = "pacib1716", [12] = "autia1716", [14] = "autib1716",
    [16] = "esb",      [17] = "psb csync", [18] = "tsb csync", [20] = "csdb",
    [24] = "paciaz",   [25] = "paciasp",   [26] = "pacibz",    [27] = "pacibsp",
    [28] = "autiaz",   [29] = "autiasp",   [30] = "autibz",    [31] = "autibsp",
    [32] = "bti",      [34] = "bti c",	   [36] = "bti j",     [38] = "bti jc",
};

static const char *hint_name(unsigned hint)
{
	return hint < 40 ? hint_names[hint] : NULL;
}

/* Capstone's "mnemonic operands"; -ENOENT when it does not decode the word. */
static int capstone_text(uint64_t addr, uint32_t word, char *text, size_t size)
{
	uint8_t b[4];
	cs_insn *ci;
	csh handle;
	size_t n;

	le32_store(b, word);
	if (cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &handle) != CS_ERR_OK)
		return -ENOTSUP;
	n = cs_disasm(handle, b, 4, addr, 1, &ci);
	if (n == 1 && snprintf(text, size, "%s%s%s", ci->mnemonic, ci->op_str[0] ? " " : "",
			       ci->op_str) >= (int)size)
		text[size - 1] = 0; /* truncated, still NUL-terminated */
	if (n)
		cs_free(ci, n);
	cs_close(&handle);
	return n == 1 ? 0 : -ENOENT;
}

/*
 * Fill insn->text for word. Returns 0, or -ENOENT when neither Capstone
 * nor the decoder (fallback) can name it: text is then ".inst 0x...".
 */
static int fill_text(struct up_insn *insn, uint32_t word, const char *fallback)
{
	if ((word & 0xfffff01fu) == 0xd503201fu) {
		const char *name = hint_name((word >> 5) & 0x7f);

		if (name)
			snprintf(insn->text, sizeof(insn->text), "%s", name);
		else
			snprintf(insn->text, sizeof(insn->text), "hint #0x%x", (word >> 5) & 0x7f);
		return 0;
	}
	if (capstone_text(insn->addr, word, insn->text, sizeof(insn->text)) == 0) {
		/* binutils' names of the carry conditions */
		if (strncmp(insn->text, "b.hs", 4) == 0)
			memcpy(insn->text, "b.cs", 4);
		else if (strncmp(insn->text, "b.lo", 4) == 0)
			memcpy(insn->text, "b.cc", 4);
		return 0;
	}
	if (fallback) {
		snprintf(insn->text, sizeof(insn->text), "%s", fallback);
		return 0;
	}
	snprintf(insn->text, sizeof(insn->text), ".inst 0x%08x", word);
	return -ENOENT;
}

/* What a class decoder found, before the text is known. */
struct a64_dec {
	struct up_insn *insn;
	uint32_t w;
	const char *name;	     /* mnemonic when Capstone 4 does not know the word */
	char buf[24];		     /* for a name built here (ldaddal, caslh) */
	char text[UP_INSN_TEXT_LEN]; /* text preferred to Capstone's, where they differ */
	const char *why;	     /* with UP_INSN_REFUSE */
	bool known;		     /* certainly allocated, whatever Capstone says */
};

static void simulated(struct a64_dec *d, enum up_a64_op op)
{
	d->insn->action = UP_INSN_SIMULATE;
	d->insn->op = op;
	d->known = true;
}

/* Out of line; known says the encoding is allocated even where Capstone cannot tell. */
static void out_of_line(struct a64_dec *d, enum up_a64_op op, bool known, const char *name)
{
	d->insn->action = UP_INSN_XOL;
	d->insn->op = op;
	d->known = known;
	d->name = name;
}

static void refused(struct a64_dec *d, const char *why)
{
	d->insn->action = UP_INSN_REFUSE;
	d->insn->op = UP_A64_OP_NONE;
	d->why = why;
	d->known = true;
}

/* An encoding the architecture leaves unallocated: refused as undecodable below. */
static void unallocated(struct a64_dec *d)
{
	out_of_line(d, UP_A64_OP_XOL, false, NULL);
}

static void branch_target(struct a64_dec *d, int64_t words, enum up_a64_op op)
{
	d->insn->priv[UP_A64_PRIV_TARGET] = (int64_t)(d->insn->addr + (uint64_t)(words * 4));
	simulated(d, op);
}

/* Unconditional branch (register): br, blr, ret, their PAC forms, eret. */
static void decode_branch_reg(struct a64_dec *d)
{
	uint32_t w = d->w, opc = bits(w, 24, 21), op3 = bits(w, 15, 10);
	uint32_t rn = bits(w, 9, 5), op4 = bits(w, 4, 0);
	bool pac = (op3 & ~1u) == 2, plain = op3 == 0 && op4 == 0;

	d->insn->priv[UP_A64_PRIV_RN] = rn;
	if (bits(w, 20, 16) != 0x1f)
		return unallocated(d);
	switch (opc) {
	case 0: /* br, braaz, brabz */
		if (plain)
			return simulated(d, UP_A64_OP_BR);
		if (pac && op4 == 0x1f)
			return out_of_line(d, UP_A64_OP_XOL_BRANCH, true,
					   op3 & 1 ? "brabz" : "braaz");
		break;
	case 1: /* blr, blraaz, blrabz */
		if (plain)
			return simulated(d, UP_A64_OP_BLR);
		if (pac && op4 == 0x1f) {
			d->name = op3 & 1 ? "blrabz" : "blraaz";
			return refused(d, "authenticated call, links to its own PC");
		}
		break;
	case 2: /* ret, retaa, retab */
		if (plain)
			return simulated(d, UP_A64_OP_BR);
		if (pac && rn == 0x1f && op4 == 0x1f)
			return out_of_line(d, UP_A64_OP_XOL_BRANCH, true,
					   op3 & 1 ? "retab" : "retaa");
		break;
	case 4:
	case 5:
	case 10:
		return refused(d, "exception return");
	case 8: /* braa, brab */
		if (pac)
			return out_of_line(d, UP_A64_OP_XOL_BRANCH, true,
					   op3 & 1 ? "brab" : "braa");
		break;
	case 9: /* blraa, blrab */
		if (pac) {
			d->name = op3 & 1 ? "blrab" : "blraa";
			return refused(d, "authenticated call, links to its own PC");
		}
		break;
	}
	unallocated(d);
}

/* System instructions: hints, barriers, PSTATE, sys, msr/mrs. */
static void decode_system(struct a64_dec *d)
{
	uint32_t w = d->w, hint;

	if ((w & 0xfffff01fu) == 0xd503201fu) {
		hint = bits(w, 11, 5);
		if (hint == 0 || hint == 32 || hint == 34 || hint == 36 || hint == 38)
			return simulated(d, UP_A64_OP_NOP);
		/* paciasp, autiasp...: they read sp and x30 (or x16/x17), never the PC */
		return out_of_line(d, UP_A64_OP_XOL, true, NULL);
	}
	if ((w & 0xfffff01fu) == 0xd503301fu)
		return out_of_line(d, UP_A64_OP_XOL, false, NULL); /* barriers, clrex */
	if ((w & 0xfff8f01fu) == 0xd500401fu) {
		static const char *const flag_ops[3] = {"cfinv", "xaflag", "axflag"};

		if (bits(w, 18, 16) == 0 && bits(w, 7, 5) <= 2)
			return out_of_line(d, UP_A64_OP_XOL, true, flag_ops[bits(w, 7, 5)]);
		d->name = "msr";
		return refused(d, "writes PSTATE (MSR immediate)");
	}
	if (bits(w, 20, 19) >= 2) {
		if (bits(w, 21, 21))
			return out_of_line(d, UP_A64_OP_XOL, true, "mrs");
		d->name = "msr";
		return refused(d, "writes a system register (MSR)");
	}
	/* sys/sysl (dc zva, ic ivau) and the rest: as Capstone knows them */
	out_of_line(d, UP_A64_OP_XOL, false, NULL);
}

/* Branches, exception generation and system instructions (op0 = 101x). */
static void decode_branch_sys(struct a64_dec *d)
{
	uint32_t w = d->w;
	struct up_insn *insn = d->insn;

	if ((w & 0x7c000000u) == 0x14000000u)
		return branch_target(d, sign_extend(bits(w, 25, 0), 26),
				     bits(w, 31, 31) ? UP_A64_OP_BL : UP_A64_OP_B);
	if ((w & 0x7e000000u) == 0x34000000u) {
		insn->priv[UP_A64_PRIV_RD] = bits(w, 4, 0);
		insn->priv[UP_A64_PRIV_FLAGS] = bits(w, 31, 31) ? UP_A64_F_64 : 0;
		return branch_target(d, sign_extend(bits(w, 23, 5), 19),
				     bits(w, 24, 24) ? UP_A64_OP_CBNZ : UP_A64_OP_CBZ);
	}
	if ((w & 0x7e000000u) == 0x36000000u) {
		insn->priv[UP_A64_PRIV_RD] = bits(w, 4, 0);
		insn->priv[UP_A64_PRIV_IMM] = bits(w, 31, 31) << 5 | bits(w, 23, 19);
		return branch_target(d, sign_extend(bits(w, 18, 5), 14),
				     bits(w, 24, 24) ? UP_A64_OP_TBNZ : UP_A64_OP_TBZ);
	}
	if ((w & 0xff000000u) == 0x54000000u) {
		/* b.cond; bit 4 set is bc.cond (FEAT_HBC), the same branch with a hint */
		insn->priv[UP_A64_PRIV_IMM] = bits(w, 3, 0);
		d->name = bits(w, 4, 4) ? "bc.cond" : NULL;
		branch_target(d, sign_extend(bits(w, 23, 5), 19), UP_A64_OP_BCOND);
		return;
	}
	if ((w & 0xff000000u) == 0xd4000000u)
		return refused(d, "exception-generating instruction");
	if ((w & 0xffc00000u) == 0xd5000000u)
		return decode_system(d);
	if ((w & 0xfe000000u) == 0xd6000000u)
		return decode_branch_reg(d);
	unallocated(d);
}

/*
 * Capstone 4 prints movz/movn where binutils (and the Arm ARM's preferred
 * disassembly) print the mov alias: spell it as binutils does.
 */
static void move_wide_text(struct a64_dec *d)
{
	uint32_t w = d->w, sf = bits(w, 31, 31), opc = bits(w, 30, 29), hw = bits(w, 22, 21);
	uint32_t imm16 = bits(w, 20, 5), rd = bits(w, 4, 0);
	uint64_t value = (uint64_t)imm16 << (hw * 16);
	char reg[8];
	bool alias;

	if (rd == 31)
		snprintf(reg, sizeof(reg), "%czr", sf ? 'x' : 'w');
	else
		snprintf(reg, sizeof(reg), "%c%u", sf ? 'x' : 'w', rd);
	if (opc == 3)
		return; /* movk: Capstone's text is binutils' */
	alias = !(imm16 == 0 && hw != 0) && (opc == 2 || sf || imm16 != 0xffff);
	if (opc == 0)
		value = ~value;
	if (!sf)
		value = (uint32_t)value;
	if (alias)
		snprintf(d->text, sizeof(d->text), "mov %s, #0x%llx", reg,
			 (unsigned long long)value);
	else
		snprintf(d->text, sizeof(d->text), "%s %s, #0x%x, lsl #%u", opc ? "movz" : "movn",
			 reg, imm16, hw * 16);
}

/* Data processing, immediate (op0 = 100x). */
static void decode_dp_imm(struct a64_dec *d)
{
	uint32_t w = d->w, sf = bits(w, 31, 31);
	struct up_insn *insn = d->insn;
	int64_t imm;

	insn->priv[UP_A64_PRIV_RD] = bits(w, 4, 0);
	insn->priv[UP_A64_PRIV_RN] = bits(w, 9, 5);
	insn->priv[UP_A64_PRIV_FLAGS] = sf ? UP_A64_F_64 : 0;
	switch (bits(w, 25, 23)) {
	case 0:
	case 1: /* adr, adrp */
		imm = sign_extend(bits(w, 23, 5) << 2 | bits(w, 30, 29), 21);
		if (sf)
			insn->priv[UP_A64_PRIV_TARGET] =
			    (int64_t)((insn->addr & ~0xfffull) + (uint64_t)(imm * 4096));
		else
			insn->priv[UP_A64_PRIV_TARGET] = (int64_t)(insn->addr + (uint64_t)imm);
		return simulated(d, UP_A64_OP_ADR);
	case 2: /* add/sub (immediate) */
		if (bits(w, 29, 29))
			return out_of_line(d, UP_A64_OP_XOL, true, NULL); /* adds, subs, cmp */
		imm = (int64_t)bits(w, 21, 10) << (bits(w, 22, 22) ? 12 : 0);
		insn->priv[UP_A64_PRIV_IMM] = bits(w, 30, 30) ? -imm : imm;
		return simulated(d, UP_A64_OP_ADDSUB_IMM);
	case 5: /* move wide */
		if (bits(w, 30, 29) == 1 || (!sf && bits(w, 22, 21) >= 2))
			return unallocated(d);
		insn->priv[UP_A64_PRIV_TARGET] = bits(w, 22, 21) * 16;
		insn->priv[UP_A64_PRIV_IMM] =
		    (int64_t)((uint64_t)bits(w, 20, 5) << (bits(w, 22, 21) * 16));
		if (bits(w, 30, 29) == 0)
			insn->priv[UP_A64_PRIV_FLAGS] |= UP_A64_F_MOVN;
		else if (bits(w, 30, 29) == 3)
			insn->priv[UP_A64_PRIV_FLAGS] |= UP_A64_F_MOVK;
		move_wide_text(d);
		return simulated(d, UP_A64_OP_MOVE_WIDE);
	default: /* addg/subg, logical, bitfield, extract */
		return out_of_line(d, UP_A64_OP_XOL, false, NULL);
	}
}

/* ldr/ldrsw/prfm (literal). */
static void decode_literal(struct a64_dec *d)
{
	uint32_t w = d->w, opc = bits(w, 31, 30);
	struct up_insn *insn = d->insn;
	static const uint8_t sizes[3] = {4, 8, 4};

	if (bits(w, 26, 26)) {
		d->name = "ldr";
		return refused(d, "SIMD&FP literal load (no vector registers here)");
	}
	insn->priv[UP_A64_PRIV_TARGET] =
	    (int64_t)(insn->addr + (uint64_t)(sign_extend(bits(w, 23, 5), 19) * 4));
	if (opc == 3)
		return simulated(d, UP_A64_OP_NOP); /* prfm: a hint, no architectural effect */
	insn->priv[UP_A64_PRIV_RD] = bits(w, 4, 0);
	insn->priv[UP_A64_PRIV_SIZE] = sizes[opc];
	insn->priv[UP_A64_PRIV_FLAGS] =
	    UP_A64_F_LOAD | (opc ? UP_A64_F_64 : 0) | (opc == 2 ? UP_A64_F_SIGNED : 0);
	simulated(d, UP_A64_OP_LDR_LIT);
}

/* Mnemonic suffix of a byte or halfword access. */
static const char *size_suffix(uint32_t size)
{
	return size == 0 ? "b" : size == 1 ? "h" : "";
}

/* Load/store exclusive, ordered (ldar/stlr), compare and swap. */
static void decode_exclusive(struct a64_dec *d)
{
	uint32_t w = d->w, size = bits(w, 31, 30), o2 = bits(w, 23, 23), o1 = bits(w, 21, 21);
	uint32_t l = bits(w, 22, 22), o0 = bits(w, 15, 15);
	static const char *const ordered[2][2] = {{"stllr", "stlr"}, {"ldlar", "ldar"}};
	static const char *const cas[2][2] = {{"cas", "casl"}, {"casa", "casal"}};

	if (!o2 && (!o1 || size >= 2))
		return refused(d, "exclusive access; a trap in between clears the monitor");
	if (bits(w, 14, 10) != 0x1f)
		return unallocated(d);
	if (!o2) { /* casp */
		snprintf(d->buf, sizeof(d->buf), "casp%s", cas[l][o0] + 3);
		return out_of_line(d, UP_A64_OP_XOL, true, d->buf);
	}
	snprintf(d->buf, sizeof(d->buf), "%s%s", o1 ? cas[l][o0] : ordered[l][o0],
		 size_suffix(size));
	out_of_line(d, UP_A64_OP_XOL, o1 || bits(w, 20, 16) == 0x1f, d->buf);
}

/* LSE atomic memory operations (ldadd, swp, ldapr...): single instructions, safe in a slot. */
static void decode_atomic(struct a64_dec *d)
{
	uint32_t w = d->w, o3 = bits(w, 15, 15), opc = bits(w, 14, 12);
	static const char *const names[8] = {"ldadd",  "ldclr",	 "ldeor",  "ldset",
					     "ldsmax", "ldsmin", "ldumax", "ldumin"};

	static const char *const order[4] = {"", "l", "a", "al"};
	const char *base = NULL, *suffix = order[bits(w, 23, 22)];

	if (bits(w, 26, 26))
		return unallocated(d);
	if (!o3) {
		base = names[opc];
		/* without acquire and with the result discarded, binutils prints stadd... */
		if (bits(w, 4, 0) == 31 && !bits(w, 23, 23)) {
			snprintf(d->buf, sizeof(d->buf), "st%s%s%s", names[opc] + 2, suffix,
				 size_suffix(bits(w, 31, 30)));
			return out_of_line(d, UP_A64_OP_XOL, true, d->buf);
		}
	} else if (opc == 0) {
		base = "swp";
	} else if (opc == 4 && bits(w, 23, 22) == 2 && bits(w, 20, 16) == 0x1f) {
		base = "ldapr";
		suffix = "";
	}
	if (!base)
		return unallocated(d);
	snprintf(d->buf, sizeof(d->buf), "%s%s%s", base, suffix, size_suffix(bits(w, 31, 30)));
	out_of_line(d, UP_A64_OP_XOL, true, d->buf);
}

/* stp/ldp/ldpsw/stnp/ldnp of general registers. */
static void decode_pair(struct a64_dec *d)
{
	uint32_t w = d->w, opc = bits(w, 31, 30), l = bits(w, 22, 22), idx = bits(w, 24, 23);
	uint32_t rt = bits(w, 4, 0), rn = bits(w, 9, 5), rt2 = bits(w, 14, 10);
	struct up_insn *insn = d->insn;
	unsigned scale = opc == 2 ? 8 : 4;
	bool wback = idx == 1 || idx == 3;

	if (bits(w, 26, 26) || opc == 3 || (opc == 1 && (!l || idx == 0)))
		return out_of_line(d, UP_A64_OP_XOL, false, NULL); /* SIMD&FP, stgp, unallocated */
	/* constrained unpredictable: let the hardware do what it does */
	if ((l && rt == rt2) || (wback && rn != 31 && (rn == rt || rn == rt2)))
		return out_of_line(d, UP_A64_OP_XOL, false, NULL);
	insn->priv[UP_A64_PRIV_RD] = rt;
	insn->priv[UP_A64_PRIV_RT2] = rt2;
	insn->priv[UP_A64_PRIV_RN] = rn;
	insn->priv[UP_A64_PRIV_IMM] = sign_extend(bits(w, 21, 15), 7) * scale;
	insn->priv[UP_A64_PRIV_SIZE] = scale;
	insn->priv[UP_A64_PRIV_FLAGS] = (l ? UP_A64_F_LOAD : 0) | (wback ? UP_A64_F_WBACK : 0) |
					(idx == 1 ? UP_A64_F_POST : 0) |
					(opc == 1 ? UP_A64_F_SIGNED : 0) | (opc ? UP_A64_F_64 : 0);
	simulated(d, UP_A64_OP_LDST_PAIR);
}

/* str/ldr/strb/ldrsh... of a general register: unsigned offset, unscaled, pre/post-index. */
static void decode_ldst_imm(struct a64_dec *d)
{
	uint32_t w = d->w, size = bits(w, 31, 30), opc = bits(w, 23, 22);
	uint32_t rt = bits(w, 4, 0), rn = bits(w, 9, 5);
	struct up_insn *insn = d->insn;
	bool uoff = bits(w, 24, 24), wback = false, post = false;
	uint64_t flags = 0;

	if (!uoff) {
		switch (bits(w, 11, 10)) {
		case 1:
			post = wback = true;
			break;
		case 3:
			wback = true;
			break;
		case 2: /* sttr/ldtr: unprivileged */
			return out_of_line(d, UP_A64_OP_XOL, false, NULL);
		}
	}
	if (opc == 1)
		flags = UP_A64_F_LOAD | (size == 3 ? UP_A64_F_64 : 0);
	else if (opc == 2 && size < 3)
		flags = UP_A64_F_LOAD | UP_A64_F_SIGNED | UP_A64_F_64;
	else if (opc == 3 && size < 2)
		flags = UP_A64_F_LOAD | UP_A64_F_SIGNED;
	else if (opc != 0) /* prfm, prfum, unallocated */
		return out_of_line(d, UP_A64_OP_XOL, false, NULL);
	if (wback && rn == rt && rn != 31)
		return out_of_line(d, UP_A64_OP_XOL, false, NULL); /* constrained unpredictable */
	insn->priv[UP_A64_PRIV_RD] = rt;
	insn->priv[UP_A64_PRIV_RN] = rn;
	insn->priv[UP_A64_PRIV_IMM] =
	    uoff ? (int64_t)bits(w, 21, 10) << size : sign_extend(bits(w, 20, 12), 9);
	insn->priv[UP_A64_PRIV_SIZE] = 1 << size;
	insn->priv[UP_A64_PRIV_FLAGS] =
	    flags | (wback ? UP_A64_F_WBACK : 0) | (post ? UP_A64_F_POST : 0);
	simulated(d, UP_A64_OP_LDST_IMM);
}

/* Loads and stores (op0 = x1x0). */
static void decode_ldst(struct a64_dec *d)
{
	uint32_t w = d->w;

	if ((w & 0x3b000000u) == 0x18000000u)
		return decode_literal(d);
	if ((w & 0x3f000000u) == 0x08000000u)
		return decode_exclusive(d);
	if ((w & 0x3b200c00u) == 0x38200000u)
		return decode_atomic(d);
	if ((w & 0x3a000000u) == 0x28000000u)
		return decode_pair(d);
	if ((w & 0x3f000000u) == 0x39000000u || (w & 0x3f200000u) == 0x38000000u)
		return decode_ldst_imm(d);
	/* register offset, SIMD&FP, ld1/st1, MTE, ldapur...: PC-independent */
	out_of_line(d, UP_A64_OP_XOL, false, NULL);
}

/* Data processing, register (op0 = x101): only mov is simulated. */
static void decode_dp_reg(struct a64_dec *d)
{
	uint32_t w = d->w;
	struct up_insn *insn = d->insn;

	/* orr Rd, zr, Rm with no shift: mov */
	if ((w & 0x7fe0fc00u) == 0x2a000000u && bits(w, 9, 5) == 31) {
		insn->priv[UP_A64_PRIV_RD] = bits(w, 4, 0);
		insn->priv[UP_A64_PRIV_RN] = bits(w, 20, 16);
		insn->priv[UP_A64_PRIV_FLAGS] = bits(w, 31, 31) ? UP_A64_F_64 : 0;
		return simulated(d, UP_A64_OP_MOV_REG);
	}
	out_of_line(d, UP_A64_OP_XOL, false, NULL);
}

static void classify(struct a64_dec *d)
{
	uint32_t op0 = bits(d->w, 28, 25);

	if (op0 == 0) {
		if (bits(d->w, 31, 16) == 0) {
			d->name = "udf";
			return refused(d, "permanently undefined");
		}
		return unallocated(d); /* SME and reserved */
	}
	if ((op0 & 0xe) == 0x8)
		return decode_dp_imm(d);
	if ((op0 & 0xe) == 0xa)
		return decode_branch_sys(d);
	if ((op0 & 0x5) == 0x4)
		return decode_ldst(d);
	if ((op0 & 0x7) == 0x5)
		return decode_dp_reg(d);
	if ((op0 & 0x7) == 0x7)
		return out_of_line(d, UP_A64_OP_XOL, false, NULL); /* SIMD&FP data processing */
	unallocated(d); /* 0001, 0011, and SVE (0010): not decoded here */
}

int up_a64_decode(const struct up_arch *a, struct up_insn *insn, uint64_t addr,
		  const uint8_t *bytes, size_t avail)
{
	struct a64_dec d = {.insn = insn};
	char name[24];
	int err;

	memset(insn, 0, sizeof(*insn));
	insn->addr = addr;
	insn->action = UP_INSN_REFUSE;
	if (avail < 4 || (addr & 3)) {
		snprintf(insn->text, sizeof(insn->text), "?");
		snprintf(insn->why, sizeof(insn->why),
			 avail < 4 ? "truncated instruction" : "address not 4-byte aligned");
		return -EINVAL;
	}
	memcpy(insn->bytes, bytes, 4);
	insn->len = 4;
	d.w = le32_load(bytes);
	classify(&d);
	if (d.text[0]) {
		memcpy(insn->text, d.text, sizeof(insn->text));
		err = 0;
	} else {
		err = fill_text(insn, d.w, d.name);
	}
	if (err && !d.known) {
		memset(insn->priv, 0, sizeof(insn->priv));
		insn->action = UP_INSN_REFUSE;
		insn->op = UP_A64_OP_NONE;
		snprintf(insn->why, sizeof(insn->why), "undecodable instruction 0x%08x", d.w);
		return -EINVAL;
	}
	if (insn->action == UP_INSN_REFUSE) {
		if (sscanf(insn->text, "%23s", name) != 1)
			snprintf(name, sizeof(name), "?");
		snprintf(insn->why, sizeof(insn->why), "%s: %s", name, d.why);
	}
	return 0;
}

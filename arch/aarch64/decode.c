/* SPDX-License-Identifier: MIT */
/*
 * aarch64 instruction analysis by a table of mask/match rows (forms[], in
 * the Arm ARM's op0 = bits[28:25] classes), the shape of loongarch64's and
 * riscv64's decoders and of the kernel's arm64 uprobe decoder: the first
 * row a word matches decides. Whatever reads the PC is simulated
 * (branches, adr/adrp, literal loads) along with the common prologue
 * (stp/ldp, str/ldr immediate, add/sub sp, mov); what is safe at another
 * address runs in an XOL slot; exclusives, exception-generating
 * instructions, MSR writes and SIMD&FP literal loads are refused. The
 * decoded operands go to insn->op and insn->priv[] (aarch64.h) once, here.
 * Capstone only supplies the text, and tells which of the encodings the
 * table does not single out are allocated at all.
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

/* What the table row and its operand decoder found, before the text is known. */
struct a64_dec {
	struct up_insn *insn;
	uint32_t w;
	const char *name;	     /* mnemonic when Capstone 4 does not know the word */
	char buf[24];		     /* for a name built here (ldaddal, caslh) */
	char text[UP_INSN_TEXT_LEN]; /* text preferred to Capstone's, where they differ */
	const char *why;	     /* with UP_INSN_REFUSE */
	bool known;		     /* certainly allocated, whatever Capstone says */
};

/*
 * One row of the decoder: the words w with (w & mask) == match. The first
 * row that matches decides the action and class; its operands() (if any)
 * moves fields to insn->priv[], names what Capstone 4 cannot, and may send
 * the word out of line after all where registers decide (constrained
 * unpredictable forms) or the row's sub-fields leave it unallocated.
 */
struct a64_form {
	uint32_t mask, match;
	uint8_t action;	  /* enum up_insn_action */
	uint8_t op;	  /* enum up_a64_op */
	bool known;	  /* allocated, even where Capstone cannot tell; else Capstone decides */
	const char *name; /* the mnemonic where Capstone 4 does not know it */
	const char *why;  /* with UP_INSN_REFUSE */
	void (*operands)(struct a64_dec *d);
};

/* Out of line if Capstone knows the word, else refused as undecodable (decode() below). */
static void xol_if_known(struct a64_dec *d)
{
	d->insn->action = UP_INSN_XOL;
	d->insn->op = UP_A64_OP_XOL;
	d->known = false;
	d->name = NULL;
}

static void set_target(struct a64_dec *d, int64_t words)
{
	d->insn->priv[UP_A64_PRIV_TARGET] = (int64_t)(d->insn->addr + (uint64_t)(words * 4));
}

/* b, bl: imm26. */
static void op_b(struct a64_dec *d)
{
	set_target(d, sign_extend(bits(d->w, 25, 0), 26));
}

/* cbz, cbnz: Rt, sf, imm19. */
static void op_cb(struct a64_dec *d)
{
	d->insn->priv[UP_A64_PRIV_RD] = bits(d->w, 4, 0);
	d->insn->priv[UP_A64_PRIV_FLAGS] = bits(d->w, 31, 31) ? UP_A64_F_64 : 0;
	set_target(d, sign_extend(bits(d->w, 23, 5), 19));
}

/* tbz, tbnz: Rt, the bit b5:b40, imm14. */
static void op_tb(struct a64_dec *d)
{
	d->insn->priv[UP_A64_PRIV_RD] = bits(d->w, 4, 0);
	d->insn->priv[UP_A64_PRIV_IMM] = bits(d->w, 31, 31) << 5 | bits(d->w, 23, 19);
	set_target(d, sign_extend(bits(d->w, 18, 5), 14));
}

/* b.cond, bc.cond: the condition, imm19. */
static void op_bcond(struct a64_dec *d)
{
	d->insn->priv[UP_A64_PRIV_IMM] = bits(d->w, 3, 0);
	set_target(d, sign_extend(bits(d->w, 23, 5), 19));
}

/* Unconditional branch (register): Rn. */
static void op_rn(struct a64_dec *d)
{
	d->insn->priv[UP_A64_PRIV_RN] = bits(d->w, 9, 5);
}

/* Data processing (immediate): Rd, Rn, sf. */
static void op_dp_imm(struct a64_dec *d)
{
	d->insn->priv[UP_A64_PRIV_RD] = bits(d->w, 4, 0);
	d->insn->priv[UP_A64_PRIV_RN] = bits(d->w, 9, 5);
	d->insn->priv[UP_A64_PRIV_FLAGS] = bits(d->w, 31, 31) ? UP_A64_F_64 : 0;
}

/* adr: the address itself; adrp: its 4 KiB page, both computed here. */
static void op_adr(struct a64_dec *d)
{
	struct up_insn *insn = d->insn;
	int64_t imm = sign_extend(bits(d->w, 23, 5) << 2 | bits(d->w, 30, 29), 21);

	op_dp_imm(d);
	if (bits(d->w, 31, 31))
		insn->priv[UP_A64_PRIV_TARGET] =
		    (int64_t)((insn->addr & ~0xfffull) + (uint64_t)(imm * 4096));
	else
		insn->priv[UP_A64_PRIV_TARGET] = (int64_t)(insn->addr + (uint64_t)imm);
}

/* add, sub (immediate): imm12, shifted by 12 or not, negated for sub. */
static void op_addsub_imm(struct a64_dec *d)
{
	int64_t imm = (int64_t)bits(d->w, 21, 10) << (bits(d->w, 22, 22) ? 12 : 0);

	op_dp_imm(d);
	d->insn->priv[UP_A64_PRIV_IMM] = bits(d->w, 30, 30) ? -imm : imm;
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

/* movz, movn, movk: the shift, the shifted imm16; opc 01 and 32-bit hw 2, 3 are unallocated. */
static void op_move_wide(struct a64_dec *d)
{
	uint32_t w = d->w;

	op_dp_imm(d);
	if (bits(w, 30, 29) == 1 || (!bits(w, 31, 31) && bits(w, 22, 21) >= 2))
		return xol_if_known(d);
	d->insn->priv[UP_A64_PRIV_TARGET] = bits(w, 22, 21) * 16;
	d->insn->priv[UP_A64_PRIV_IMM] =
	    (int64_t)((uint64_t)bits(w, 20, 5) << (bits(w, 22, 21) * 16));
	if (bits(w, 30, 29) == 0)
		d->insn->priv[UP_A64_PRIV_FLAGS] |= UP_A64_F_MOVN;
	else if (bits(w, 30, 29) == 3)
		d->insn->priv[UP_A64_PRIV_FLAGS] |= UP_A64_F_MOVK;
	move_wide_text(d);
}

/* prfm (literal): only the address, for the record. */
static void op_literal_address(struct a64_dec *d)
{
	set_target(d, sign_extend(bits(d->w, 23, 5), 19));
}

/* ldr, ldrsw (literal): Rt, the address, 4 or 8 bytes, sign-extended for ldrsw. */
static void op_literal(struct a64_dec *d)
{
	static const uint8_t sizes[3] = {4, 8, 4};
	uint32_t opc = bits(d->w, 31, 30);
	struct up_insn *insn = d->insn;

	op_literal_address(d);
	insn->priv[UP_A64_PRIV_RD] = bits(d->w, 4, 0);
	insn->priv[UP_A64_PRIV_SIZE] = sizes[opc];
	insn->priv[UP_A64_PRIV_FLAGS] =
	    UP_A64_F_LOAD | (opc ? UP_A64_F_64 : 0) | (opc == 2 ? UP_A64_F_SIGNED : 0);
}

/* Mnemonic suffix of a byte or halfword access. */
static const char *size_suffix(uint32_t size)
{
	return size == 0 ? "b" : size == 1 ? "h" : "";
}

/* casp, caspa, caspl, caspal by L:o0 (Capstone 4 does not know them). */
static void op_casp(struct a64_dec *d)
{
	static const char *const order[2][2] = {{"", "l"}, {"a", "al"}};

	snprintf(d->buf, sizeof(d->buf), "casp%s", order[bits(d->w, 22, 22)][bits(d->w, 15, 15)]);
	d->name = d->buf;
}

/*
 * Load-acquire, store-release (ldar, stlr, ldlar, stllr) and compare and
 * swap (cas...), by size, L and o0; an ordered access with Rs not 11111 is
 * left to Capstone.
 */
static void op_ordered(struct a64_dec *d)
{
	static const char *const ordered[2][2] = {{"stllr", "stlr"}, {"ldlar", "ldar"}};
	static const char *const cas[2][2] = {{"cas", "casl"}, {"casa", "casal"}};
	uint32_t w = d->w, o1 = bits(w, 21, 21), l = bits(w, 22, 22), o0 = bits(w, 15, 15);

	snprintf(d->buf, sizeof(d->buf), "%s%s", o1 ? cas[l][o0] : ordered[l][o0],
		 size_suffix(bits(w, 31, 30)));
	d->name = d->buf;
	d->known = o1 || bits(w, 20, 16) == 0x1f;
}

/* LSE atomic memory operations (ldadd, swp, ldapr...): single instructions, safe in a slot. */
static void op_atomic(struct a64_dec *d)
{
	uint32_t w = d->w, o3 = bits(w, 15, 15), opc = bits(w, 14, 12);
	static const char *const names[8] = {"ldadd",  "ldclr",	 "ldeor",  "ldset",
					     "ldsmax", "ldsmin", "ldumax", "ldumin"};
	static const char *const order[4] = {"", "l", "a", "al"};
	const char *base = NULL, *suffix = order[bits(w, 23, 22)];

	if (!o3) {
		base = names[opc];
		/* without acquire and with the result discarded, binutils prints stadd... */
		if (bits(w, 4, 0) == 31 && !bits(w, 23, 23)) {
			snprintf(d->buf, sizeof(d->buf), "st%s%s%s", names[opc] + 2, suffix,
				 size_suffix(bits(w, 31, 30)));
			d->name = d->buf;
			return;
		}
	} else if (opc == 0) {
		base = "swp";
	} else if (opc == 4 && bits(w, 23, 22) == 2 && bits(w, 20, 16) == 0x1f) {
		base = "ldapr";
		suffix = "";
	}
	if (!base)
		return xol_if_known(d);
	snprintf(d->buf, sizeof(d->buf), "%s%s%s", base, suffix, size_suffix(bits(w, 31, 30)));
	d->name = d->buf;
}

/* stp/ldp/ldpsw/stnp/ldnp of general registers. */
static void op_pair(struct a64_dec *d)
{
	uint32_t w = d->w, opc = bits(w, 31, 30), l = bits(w, 22, 22), idx = bits(w, 24, 23);
	uint32_t rt = bits(w, 4, 0), rn = bits(w, 9, 5), rt2 = bits(w, 14, 10);
	struct up_insn *insn = d->insn;
	unsigned scale = opc == 2 ? 8 : 4;
	bool wback = idx == 1 || idx == 3;

	/* constrained unpredictable: let the hardware do what it does */
	if ((l && rt == rt2) || (wback && rn != 31 && (rn == rt || rn == rt2)))
		return xol_if_known(d);
	insn->priv[UP_A64_PRIV_RD] = rt;
	insn->priv[UP_A64_PRIV_RT2] = rt2;
	insn->priv[UP_A64_PRIV_RN] = rn;
	insn->priv[UP_A64_PRIV_IMM] = sign_extend(bits(w, 21, 15), 7) * scale;
	insn->priv[UP_A64_PRIV_SIZE] = scale;
	insn->priv[UP_A64_PRIV_FLAGS] = (l ? UP_A64_F_LOAD : 0) | (wback ? UP_A64_F_WBACK : 0) |
					(idx == 1 ? UP_A64_F_POST : 0) |
					(opc == 1 ? UP_A64_F_SIGNED : 0) | (opc ? UP_A64_F_64 : 0);
}

/* str/ldr/strb/ldrsh... of a general register: unsigned offset, unscaled, pre/post-index. */
static void op_ldst_imm(struct a64_dec *d)
{
	uint32_t w = d->w, size = bits(w, 31, 30), opc = bits(w, 23, 22);
	uint32_t rt = bits(w, 4, 0), rn = bits(w, 9, 5);
	struct up_insn *insn = d->insn;
	bool uoff = bits(w, 24, 24);
	bool wback = !uoff && (bits(w, 11, 10) == 1 || bits(w, 11, 10) == 3);
	bool post = !uoff && bits(w, 11, 10) == 1;
	uint64_t flags = 0;

	if (opc == 1)
		flags = UP_A64_F_LOAD | (size == 3 ? UP_A64_F_64 : 0);
	else if (opc == 2)
		flags = UP_A64_F_LOAD | UP_A64_F_SIGNED | UP_A64_F_64;
	else if (opc == 3)
		flags = UP_A64_F_LOAD | UP_A64_F_SIGNED;
	if (wback && rn == rt && rn != 31)
		return xol_if_known(d); /* constrained unpredictable */
	insn->priv[UP_A64_PRIV_RD] = rt;
	insn->priv[UP_A64_PRIV_RN] = rn;
	insn->priv[UP_A64_PRIV_IMM] =
	    uoff ? (int64_t)bits(w, 21, 10) << size : sign_extend(bits(w, 20, 12), 9);
	insn->priv[UP_A64_PRIV_SIZE] = 1 << size;
	insn->priv[UP_A64_PRIV_FLAGS] =
	    flags | (wback ? UP_A64_F_WBACK : 0) | (post ? UP_A64_F_POST : 0);
}

/* mov Rd, Rm (orr Rd, zr, Rm). */
static void op_mov(struct a64_dec *d)
{
	d->insn->priv[UP_A64_PRIV_RD] = bits(d->w, 4, 0);
	d->insn->priv[UP_A64_PRIV_RN] = bits(d->w, 20, 16);
	d->insn->priv[UP_A64_PRIV_FLAGS] = bits(d->w, 31, 31) ? UP_A64_F_64 : 0;
}

/*
 * Row kinds: SIM simulated (SIMN with a name for Capstone 4), XOL out of
 * line and certainly allocated, XOL_CS out of line if Capstone knows the
 * word (else undecodable), REF refused with the reason.
 */
#define SIM(mask, match, op, operands)                                                             \
	{mask, match, UP_INSN_SIMULATE, op, true, NULL, NULL, operands}
#define SIMN(mask, match, op, name, operands)                                                      \
	{mask, match, UP_INSN_SIMULATE, op, true, name, NULL, operands}
#define XOL(mask, match, op, name, operands)                                                       \
	{mask, match, UP_INSN_XOL, op, true, name, NULL, operands}
#define XOL_CS(mask, match, operands)                                                              \
	{mask, match, UP_INSN_XOL, UP_A64_OP_XOL, false, NULL, NULL, operands}
#define REF(mask, match, name, why, operands)                                                      \
	{mask, match, UP_INSN_REFUSE, UP_A64_OP_NONE, true, name, why, operands}

static const char why_auth_call[] = "authenticated call, links to its own PC";
static const char why_exclusive[] = "exclusive access; a trap in between clears the monitor";

/* clang-format off */
/*
 * By the Arm ARM's encoding index: op0 = bits 28:25 splits the classes
 * (each class ends in a row for the rest of it), then each class by its
 * own fields. XOL_CS rows are the encodings this file does not single out
 * (or leaves unallocated): Capstone says whether they are instructions.
 */
static const struct a64_form forms[] = {
	/* op0 = 0000: reserved; udf */
	REF(0xffff0000, 0x00000000, "udf", "permanently undefined", NULL),
	XOL_CS(0x1e000000, 0x00000000, NULL),

	/* op0 = 100x: data processing, immediate */
	SIM(0x1f000000, 0x10000000, UP_A64_OP_ADR, op_adr),		/* adr, adrp */
	XOL(0x3f800000, 0x31000000, UP_A64_OP_XOL, NULL, op_dp_imm),	/* adds, subs, cmp */
	SIM(0x1f800000, 0x11000000, UP_A64_OP_ADDSUB_IMM, op_addsub_imm), /* add, sub */
	SIM(0x1f800000, 0x12800000, UP_A64_OP_MOVE_WIDE, op_move_wide), /* movz, movn, movk */
	XOL_CS(0x1c000000, 0x10000000, op_dp_imm), /* addg/subg, logical, bitfield, extract */

	/* op0 = 101x: branches, exception generation, system */
	SIM(0xfc000000, 0x14000000, UP_A64_OP_B, op_b),
	SIM(0xfc000000, 0x94000000, UP_A64_OP_BL, op_b),
	SIM(0x7f000000, 0x34000000, UP_A64_OP_CBZ, op_cb),
	SIM(0x7f000000, 0x35000000, UP_A64_OP_CBNZ, op_cb),
	SIM(0x7f000000, 0x36000000, UP_A64_OP_TBZ, op_tb),
	SIM(0x7f000000, 0x37000000, UP_A64_OP_TBNZ, op_tb),
	SIM(0xff000010, 0x54000000, UP_A64_OP_BCOND, op_bcond),
	/* bc.cond (FEAT_HBC): the same branch with a hint */
	SIMN(0xff000010, 0x54000010, UP_A64_OP_BCOND, "bc.cond", op_bcond),
	REF(0xff000000, 0xd4000000, NULL, "exception-generating instruction", NULL),
	/* hints: nop and bti do nothing; paciasp, autiasp... read sp and x30, never the PC */
	SIM(0xffffffff, 0xd503201f, UP_A64_OP_NOP, NULL),		/* nop */
	SIM(0xffffff3f, 0xd503241f, UP_A64_OP_NOP, NULL),		/* bti, bti c, j, jc */
	XOL(0xfffff01f, 0xd503201f, UP_A64_OP_XOL, NULL, NULL),
	XOL_CS(0xfffff01f, 0xd503301f, NULL),				/* barriers, clrex */
	XOL(0xfffff0ff, 0xd500401f, UP_A64_OP_XOL, "cfinv", NULL),
	XOL(0xfffff0ff, 0xd500403f, UP_A64_OP_XOL, "xaflag", NULL),
	XOL(0xfffff0ff, 0xd500405f, UP_A64_OP_XOL, "axflag", NULL),
	REF(0xfff8f01f, 0xd500401f, "msr", "writes PSTATE (MSR immediate)", NULL),
	XOL(0xfff00000, 0xd5300000, UP_A64_OP_XOL, "mrs", NULL),
	REF(0xfff00000, 0xd5100000, "msr", "writes a system register (MSR)", NULL),
	XOL_CS(0xffc00000, 0xd5000000, NULL),		/* sys, sysl (dc zva, ic ivau)... */
	/* unconditional branch (register) */
	SIM(0xfffffc1f, 0xd61f0000, UP_A64_OP_BR, op_rn),		/* br */
	XOL(0xfffffc1f, 0xd61f081f, UP_A64_OP_XOL_BRANCH, "braaz", op_rn),
	XOL(0xfffffc1f, 0xd61f0c1f, UP_A64_OP_XOL_BRANCH, "brabz", op_rn),
	SIM(0xfffffc1f, 0xd63f0000, UP_A64_OP_BLR, op_rn),		/* blr */
	REF(0xfffffc1f, 0xd63f081f, "blraaz", why_auth_call, op_rn),
	REF(0xfffffc1f, 0xd63f0c1f, "blrabz", why_auth_call, op_rn),
	SIM(0xfffffc1f, 0xd65f0000, UP_A64_OP_BR, op_rn),		/* ret */
	XOL(0xffffffff, 0xd65f0bff, UP_A64_OP_XOL_BRANCH, "retaa", op_rn),
	XOL(0xffffffff, 0xd65f0fff, UP_A64_OP_XOL_BRANCH, "retab", op_rn),
	REF(0xffff0000, 0xd69f0000, NULL, "exception return", op_rn),	/* eret, eretaa */
	REF(0xffff0000, 0xd6bf0000, NULL, "exception return", op_rn),	/* drps */
	REF(0xffff0000, 0xd75f0000, NULL, "exception return", op_rn),
	XOL(0xfffffc00, 0xd71f0800, UP_A64_OP_XOL_BRANCH, "braa", op_rn),
	XOL(0xfffffc00, 0xd71f0c00, UP_A64_OP_XOL_BRANCH, "brab", op_rn),
	REF(0xfffffc00, 0xd73f0800, "blraa", why_auth_call, op_rn),
	REF(0xfffffc00, 0xd73f0c00, "blrab", why_auth_call, op_rn),
	XOL_CS(0xfe000000, 0xd6000000, op_rn),
	XOL_CS(0x1c000000, 0x14000000, NULL),

	/* op0 = x1x0: loads and stores */
	REF(0x3f000000, 0x1c000000, "ldr", "SIMD&FP literal load (no vector registers here)", NULL),
	SIM(0xff000000, 0xd8000000, UP_A64_OP_NOP, op_literal_address), /* prfm: a hint */
	SIM(0x3b000000, 0x18000000, UP_A64_OP_LDR_LIT, op_literal),	/* ldr, ldrsw */
	REF(0x3fa00000, 0x08000000, NULL, why_exclusive, NULL),	/* ldxr, stxr, ldaxp... */
	REF(0xbfa00000, 0x88200000, NULL, why_exclusive, NULL),	/* ldxp, stlxp... */
	XOL(0xbfa07c00, 0x08207c00, UP_A64_OP_XOL, NULL, op_casp),
	XOL_CS(0x3f800000, 0x08000000, NULL),
	XOL(0x3f807c00, 0x08807c00, UP_A64_OP_XOL, NULL, op_ordered),	/* ldar, stlr, cas */
	XOL_CS(0x3f000000, 0x08000000, NULL),
	XOL_CS(0x3f200c00, 0x3c200000, NULL),
	XOL(0x3b200c00, 0x38200000, UP_A64_OP_XOL, NULL, op_atomic),
	/* SIMD&FP, stgp and the unallocated pairs run as Capstone knows them */
	XOL_CS(0x3e000000, 0x2c000000, NULL),
	XOL_CS(0xfa000000, 0xe8000000, NULL),
	XOL_CS(0xfa400000, 0x68000000, NULL),
	XOL_CS(0xfb800000, 0x68000000, NULL),
	SIM(0x3a000000, 0x28000000, UP_A64_OP_LDST_PAIR, op_pair),	/* stp, ldp, ldpsw... */
	XOL_CS(0x3f200c00, 0x38000800, NULL),				/* sttr, ldtr */
	/* prfm, prfum and the unallocated signed loads */
	XOL_CS(0xffc00000, 0xf9800000, NULL),
	XOL_CS(0xffe00000, 0xf8800000, NULL),
	XOL_CS(0xbfc00000, 0xb9c00000, NULL),
	XOL_CS(0xbfe00000, 0xb8c00000, NULL),
	SIM(0x3f000000, 0x39000000, UP_A64_OP_LDST_IMM, op_ldst_imm),	/* unsigned offset */
	SIM(0x3f200000, 0x38000000, UP_A64_OP_LDST_IMM, op_ldst_imm),	/* unscaled, pre, post */
	/* register offset, SIMD&FP, ld1/st1, MTE, ldapur...: PC-independent */
	XOL_CS(0x0a000000, 0x08000000, NULL),

	/* op0 = x101: data processing, register; only mov is simulated */
	SIM(0x7fe0ffe0, 0x2a0003e0, UP_A64_OP_MOV_REG, op_mov),	/* orr Rd, zr, Rm */
	XOL_CS(0x0e000000, 0x0a000000, NULL),
	/* op0 = x111: SIMD&FP data processing */
	XOL_CS(0x0e000000, 0x0e000000, NULL),
	/* op0 = 0001, 0011, and SVE (0010): not decoded here */
	XOL_CS(0x00000000, 0x00000000, NULL),
};
/* clang-format on */

static void classify(struct a64_dec *d)
{
	const struct a64_form *f = forms;

	while ((d->w & f->mask) != f->match)
		f++; /* the last row matches every word */
	d->insn->action = f->action;
	d->insn->op = f->op;
	d->known = f->known;
	d->name = f->name;
	d->why = f->why;
	if (f->operands)
		f->operands(d);
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

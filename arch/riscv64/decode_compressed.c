/* SPDX-License-Identifier: MIT */
/*
 * riscv64 instruction analysis for 16-bit (C extension, RV64C) encodings.
 * Each is recorded as the 32-bit instruction it expands to (c.li a0,5 is
 * simulated as addi a0,zero,5), with its own length, so the simulator knows
 * one set of classes. Text follows `objdump -M no-aliases`.
 */
#include <errno.h>

#include "riscv64.h"
#include "common/bits.h"

#define R(i) up_rv_reg_names[i]

/* The 3-bit register fields name x8..x15. */
static unsigned creg(uint16_t h, unsigned lo)
{
	return 8 + bits(h, lo + 2, lo);
}

/* imm[5] at bit 12, imm[4:0] at bits 6:2 (c.addi, c.li, c.andi, c.addiw). */
static int64_t imm6(uint16_t h)
{
	return sign_extend(bits(h, 12, 12) << 5 | bits(h, 6, 2), 6);
}

/* c.ld/c.sd/c.fld/c.fsd: uimm[5:3] at 12:10, uimm[7:6] at 6:5. */
static unsigned uimm_d(uint16_t h)
{
	return bits(h, 12, 10) << 3 | bits(h, 6, 5) << 6;
}

/* c.lw/c.sw: uimm[5:3] at 12:10, uimm[2] at 6, uimm[6] at 5. */
static unsigned uimm_w(uint16_t h)
{
	return bits(h, 12, 10) << 3 | bits(h, 6, 6) << 2 | bits(h, 5, 5) << 6;
}

static int64_t imm_cj(uint16_t h)
{
	unsigned v = bits(h, 12, 12) << 11 | bits(h, 11, 11) << 4 | bits(h, 10, 9) << 8 |
		     bits(h, 8, 8) << 10 | bits(h, 7, 7) << 6 | bits(h, 6, 6) << 7 |
		     bits(h, 5, 3) << 1 | bits(h, 2, 2) << 5;
	return sign_extend(v, 12);
}

static int64_t imm_cb(uint16_t h)
{
	unsigned v = bits(h, 12, 12) << 8 | bits(h, 11, 10) << 3 | bits(h, 6, 5) << 6 |
		     bits(h, 4, 3) << 1 | bits(h, 2, 2) << 5;
	return sign_extend(v, 9);
}

static int quadrant0(struct up_insn *insn, uint16_t h)
{
	unsigned rd = creg(h, 2), rs1 = creg(h, 7), imm;

	switch (bits(h, 15, 13)) {
	case 0:
		imm = bits(h, 12, 11) << 4 | bits(h, 10, 7) << 6 | bits(h, 6, 6) << 2 |
		      bits(h, 5, 5) << 3;
		if (imm == 0)
			return up_rv_invalid(insn);
		up_rv_text(insn, "c.addi4spn %s,sp,%u", R(rd), imm);
		up_rv_simulated(insn, UP_RV_OP_ADDI, rd, UP_RV_SP, 0, imm);
		return 0;
	case 1:
		up_rv_text(insn, "c.fld %s,%u(%s)", up_rv_freg_names[rd], uimm_d(h), R(rs1));
		up_rv_xol(insn);
		return 0;
	case 2:
		up_rv_text(insn, "c.lw %s,%u(%s)", R(rd), uimm_w(h), R(rs1));
		up_rv_xol(insn);
		return 0;
	case 3:
		up_rv_text(insn, "c.ld %s,%u(%s)", R(rd), uimm_d(h), R(rs1));
		up_rv_simulated(insn, UP_RV_OP_LD, rd, rs1, 0, uimm_d(h));
		return 0;
	case 5:
		up_rv_text(insn, "c.fsd %s,%u(%s)", up_rv_freg_names[rd], uimm_d(h), R(rs1));
		up_rv_xol(insn);
		return 0;
	case 6:
		up_rv_text(insn, "c.sw %s,%u(%s)", R(rd), uimm_w(h), R(rs1));
		up_rv_xol(insn);
		return 0;
	case 7:
		up_rv_text(insn, "c.sd %s,%u(%s)", R(rd), uimm_d(h), R(rs1));
		up_rv_simulated(insn, UP_RV_OP_SD, 0, rs1, rd, uimm_d(h));
		return 0;
	default:
		return up_rv_invalid(insn);
	}
}

/* c.srli c.srai c.andi c.sub c.xor c.or c.and c.subw c.addw: all run out of line. */
static int quadrant1_alu(struct up_insn *insn, uint16_t h)
{
	static const char *const rr[8] = {"c.sub",  "c.xor",  "c.or", "c.and",
					  "c.subw", "c.addw", NULL,   NULL};
	unsigned rd = creg(h, 7), rs2 = creg(h, 2);
	unsigned shamt = bits(h, 12, 12) << 5 | bits(h, 6, 2);

	switch (bits(h, 11, 10)) {
	case 0:
		up_rv_text(insn, "c.srli %s,0x%x", R(rd), shamt);
		break;
	case 1:
		up_rv_text(insn, "c.srai %s,0x%x", R(rd), shamt);
		break;
	case 2:
		up_rv_text(insn, "c.andi %s,%lld", R(rd), (long long)imm6(h));
		break;
	default:
		if (!rr[bits(h, 12, 12) << 2 | bits(h, 6, 5)])
			return up_rv_invalid(insn);
		up_rv_text(insn, "%s %s,%s", rr[bits(h, 12, 12) << 2 | bits(h, 6, 5)], R(rd),
			   R(rs2));
		break;
	}
	up_rv_xol(insn);
	return 0;
}

static int quadrant1(struct up_insn *insn, uint16_t h)
{
	unsigned rd = bits(h, 11, 7), rs1 = creg(h, 7);
	int64_t imm;

	switch (bits(h, 15, 13)) {
	case 0:
		if (rd == 0) { /* c.nop (objdump -M no-aliases: c.addi zero,0) */
			up_rv_text(insn, "c.addi zero,%lld", (long long)imm6(h));
			up_rv_simulated(insn, UP_RV_OP_NOP, 0, 0, 0, 0);
			return 0;
		}
		up_rv_text(insn, "c.addi %s,%lld", R(rd), (long long)imm6(h));
		up_rv_simulated(insn, UP_RV_OP_ADDI, rd, rd, 0, imm6(h));
		return 0;
	case 1:
		if (rd == 0)
			return up_rv_invalid(insn);
		up_rv_text(insn, "c.addiw %s,%lld", R(rd), (long long)imm6(h));
		up_rv_xol(insn);
		return 0;
	case 2:
		up_rv_text(insn, "c.li %s,%lld", R(rd), (long long)imm6(h));
		up_rv_simulated(insn, UP_RV_OP_ADDI, rd, 0, 0, imm6(h));
		return 0;
	case 3:
		if (rd == UP_RV_SP) {
			imm = sign_extend(bits(h, 12, 12) << 9 | bits(h, 6, 6) << 4 |
					      bits(h, 5, 5) << 6 | bits(h, 4, 3) << 7 |
					      bits(h, 2, 2) << 5,
					  10);
			if (imm == 0)
				return up_rv_invalid(insn);
			up_rv_text(insn, "c.addi16sp sp,%lld", (long long)imm);
			up_rv_simulated(insn, UP_RV_OP_ADDI, UP_RV_SP, UP_RV_SP, 0, imm);
			return 0;
		}
		imm = imm6(h);
		if (imm == 0 || rd == 0)
			return up_rv_invalid(insn);
		up_rv_text(insn, "c.lui %s,0x%x", R(rd), (unsigned)(imm & 0xfffff));
		up_rv_simulated(insn, UP_RV_OP_LUI, rd, 0, 0, imm * 4096);
		return 0;
	case 4:
		return quadrant1_alu(insn, h);
	case 5:
		up_rv_text(insn, "c.j 0x%llx", (unsigned long long)(insn->addr + imm_cj(h)));
		up_rv_simulated(insn, UP_RV_OP_JAL, 0, 0, 0, imm_cj(h));
		return 0;
	default:
		up_rv_text(insn, "%s %s,0x%llx", bits(h, 13, 13) ? "c.bnez" : "c.beqz", R(rs1),
			   (unsigned long long)(insn->addr + imm_cb(h)));
		up_rv_simulated(insn, UP_RV_OP_BRANCH, 0, rs1, 0, imm_cb(h));
		insn->priv[UP_RV_PRIV_COND] = bits(h, 13, 13); /* beq or bne against zero */
		return 0;
	}
}

static int quadrant2(struct up_insn *insn, uint16_t h)
{
	unsigned rd = bits(h, 11, 7), rs2 = bits(h, 6, 2), imm;

	switch (bits(h, 15, 13)) {
	case 0:
		up_rv_text(insn, "c.slli %s,0x%x", R(rd), bits(h, 12, 12) << 5 | rs2);
		up_rv_xol(insn);
		return 0;
	case 1:
		imm = bits(h, 12, 12) << 5 | bits(h, 6, 5) << 3 | bits(h, 4, 2) << 6;
		up_rv_text(insn, "c.fldsp %s,%u(sp)", up_rv_freg_names[rd], imm);
		up_rv_xol(insn);
		return 0;
	case 2:
		if (rd == 0)
			return up_rv_invalid(insn);
		imm = bits(h, 12, 12) << 5 | bits(h, 6, 4) << 2 | bits(h, 3, 2) << 6;
		up_rv_text(insn, "c.lwsp %s,%u(sp)", R(rd), imm);
		up_rv_xol(insn);
		return 0;
	case 3:
		if (rd == 0)
			return up_rv_invalid(insn);
		imm = bits(h, 12, 12) << 5 | bits(h, 6, 5) << 3 | bits(h, 4, 2) << 6;
		up_rv_text(insn, "c.ldsp %s,%u(sp)", R(rd), imm);
		up_rv_simulated(insn, UP_RV_OP_LD, rd, UP_RV_SP, 0, imm);
		return 0;
	case 4:
		if (!bits(h, 12, 12)) {
			if (rs2 == 0) {
				if (rd == 0)
					return up_rv_invalid(insn);
				up_rv_text(insn, "c.jr %s", R(rd));
				up_rv_simulated(insn, UP_RV_OP_JALR, 0, rd, 0, 0);
			} else {
				up_rv_text(insn, "c.mv %s,%s", R(rd), R(rs2));
				up_rv_simulated(insn, UP_RV_OP_ADD, rd, 0, rs2, 0);
			}
			return 0;
		}
		if (rd == 0 && rs2 == 0) {
			up_rv_text(insn, "c.ebreak");
			return up_rv_refuse(insn, "a breakpoint cannot be probed");
		}
		if (rs2 == 0) {
			up_rv_text(insn, "c.jalr %s", R(rd));
			up_rv_simulated(insn, UP_RV_OP_JALR, UP_RV_RA, rd, 0, 0);
		} else {
			up_rv_text(insn, "c.add %s,%s", R(rd), R(rs2));
			up_rv_simulated(insn, UP_RV_OP_ADD, rd, rd, rs2, 0);
		}
		return 0;
	case 5:
		imm = bits(h, 12, 10) << 3 | bits(h, 9, 7) << 6;
		up_rv_text(insn, "c.fsdsp %s,%u(sp)", up_rv_freg_names[rs2], imm);
		up_rv_xol(insn);
		return 0;
	case 6:
		imm = bits(h, 12, 9) << 2 | bits(h, 8, 7) << 6;
		up_rv_text(insn, "c.swsp %s,%u(sp)", R(rs2), imm);
		up_rv_xol(insn);
		return 0;
	default:
		imm = bits(h, 12, 10) << 3 | bits(h, 9, 7) << 6;
		up_rv_text(insn, "c.sdsp %s,%u(sp)", R(rs2), imm);
		up_rv_simulated(insn, UP_RV_OP_SD, 0, UP_RV_SP, rs2, imm);
		return 0;
	}
}

int up_rv_decode_compressed(struct up_insn *insn, uint16_t h)
{
	insn->len = 2;
	if (h == 0) /* the defined illegal instruction */
		return up_rv_invalid(insn);
	switch (h & 3) {
	case 0:
		return quadrant0(insn, h);
	case 1:
		return quadrant1(insn, h);
	default:
		return quadrant2(insn, h);
	}
}

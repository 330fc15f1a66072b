/* SPDX-License-Identifier: MIT */
/*
 * riscv64 instruction analysis for 32-bit encodings (RV64IMAFD, Zifencei,
 * Zicsr): bytes at a probe point -> struct up_insn saying whether a hit is
 * simulated (control flow, pc-relative and the common prologue/leaf
 * instructions), run out of line, or refused. Capstone 4 has no RISC-V, so
 * this decodes by hand; 16-bit (C extension) encodings are in
 * decode_compressed.c. Text follows `objdump -M no-aliases`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "riscv64.h"
#include "common/bits.h"

#define R(i) up_rv_reg_names[i]

void up_rv_text(struct up_insn *insn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(insn->text, sizeof(insn->text), fmt, ap);
	va_end(ap);
}

void up_rv_simulated(struct up_insn *insn, enum up_rv_op op, int rd, int rs1, int rs2, int64_t imm)
{
	insn->action = UP_INSN_SIMULATE;
	insn->op = op;
	insn->priv[UP_RV_PRIV_RD] = rd;
	insn->priv[UP_RV_PRIV_RS1] = rs1;
	insn->priv[UP_RV_PRIV_RS2] = rs2;
	insn->priv[UP_RV_PRIV_IMM] = imm;
}

void up_rv_xol(struct up_insn *insn)
{
	insn->action = UP_INSN_XOL;
	insn->op = UP_RV_OP_NONE;
}

/* The instruction is known but unsafe to probe: why names it (text is already set). */
int up_rv_refuse(struct up_insn *insn, const char *why)
{
	char name[24];

	sscanf(insn->text, "%23s", name);
	insn->action = UP_INSN_REFUSE;
	insn->op = UP_RV_OP_NONE;
	snprintf(insn->why, sizeof(insn->why), "%s: %s", name, why);
	return 0;
}

/*
 * Not an instruction this decoder knows: refuse it, and say the bytes are no
 * instruction. insn->len stays what the encoding's length bits say (a
 * 48-bit encoding is 6 bytes long even if only 4 were read).
 */
int up_rv_invalid(struct up_insn *insn)
{
	unsigned shown = insn->len < 4 ? insn->len : 4;
	uint32_t w = 0;

	memcpy(&w, insn->bytes, shown);
	up_rv_text(insn, "unknown 0x%0*x", (int)shown * 2, w);
	insn->action = UP_INSN_REFUSE;
	insn->op = UP_RV_OP_NONE;
	snprintf(insn->why, sizeof(insn->why), "undecodable instruction 0x%0*x%s", (int)shown * 2,
		 w, insn->len > 4 ? "..." : "");
	return -EINVAL;
}

/*
 * RISC-V's length encoding (the unprivileged spec, "Base Instruction-Length
 * Encoding"): the low bits of the first halfword give the length of every
 * instruction, ratified, reserved or custom, so a sweep can step over what
 * it cannot decode (c.unimp is 2 bytes, as 0x0000 has low bits 00).
 */
unsigned up_rv_insn_length(const struct up_arch *a, const uint8_t *bytes, size_t avail)
{
	unsigned h, nnn;

	if (avail < 2)
		return 0;
	h = bytes[0] | (unsigned)bytes[1] << 8;
	if ((h & 0x03) != 0x03)
		return 2;
	if ((h & 0x1c) != 0x1c)
		return 4;
	if ((h & 0x3f) == 0x1f)
		return 6;
	if ((h & 0x7f) == 0x3f)
		return 8;
	nnn = (h >> 12) & 7;
	return nnn == 7 ? 0 : 10 + 2 * nnn; /* (80 + 16 * nnn) bits; nnn 7: reserved, >= 192 */
}

static int64_t imm_i(uint32_t w)
{
	return (int32_t)w >> 20;
}

static int64_t imm_s(uint32_t w)
{
	return sign_extend((w >> 25) << 5 | ((w >> 7) & 0x1f), 12);
}

static int64_t imm_b(uint32_t w)
{
	uint64_t v = ((w >> 31) & 1) << 12 | ((w >> 7) & 1) << 11 | ((w >> 25) & 0x3f) << 5 |
		     ((w >> 8) & 0xf) << 1;
	return sign_extend(v, 13);
}

static int64_t imm_j(uint32_t w)
{
	uint64_t v = ((w >> 31) & 1) << 20 | ((w >> 12) & 0xff) << 12 | ((w >> 20) & 1) << 11 |
		     ((w >> 21) & 0x3ff) << 1;
	return sign_extend(v, 21);
}

static int64_t imm_u(uint32_t w)
{
	return (int32_t)(w & 0xfffff000u);
}

const char *const up_rv_freg_names[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4",	"ft5",	"ft6", "ft7", "fs0",  "fs1",  "fa0",
    "fa1", "fa2", "fa3", "fa4", "fa5",	"fa6",	"fa7", "fs2", "fs3",  "fs4",  "fs5",
    "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

static int decode_load_store(struct up_insn *insn, uint32_t w)
{
	static const char *const loads[8] = {"lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", NULL};
	static const char *const stores[8] = {"sb", "sh", "sw", "sd"};
	unsigned rd = (w >> 7) & 31, f3 = (w >> 12) & 7, rs1 = (w >> 15) & 31, rs2 = (w >> 20) & 31;

	switch (w & 0x7f) {
	case 0x03:
		if (!loads[f3])
			return up_rv_invalid(insn);
		up_rv_text(insn, "%s %s,%lld(%s)", loads[f3], R(rd), (long long)imm_i(w), R(rs1));
		if (f3 == 3)
			up_rv_simulated(insn, UP_RV_OP_LD, rd, rs1, 0, imm_i(w));
		else
			up_rv_xol(insn);
		return 0;
	case 0x23:
		if (f3 > 3)
			return up_rv_invalid(insn);
		up_rv_text(insn, "%s %s,%lld(%s)", stores[f3], R(rs2), (long long)imm_s(w), R(rs1));
		if (f3 == 3)
			up_rv_simulated(insn, UP_RV_OP_SD, 0, rs1, rs2, imm_s(w));
		else
			up_rv_xol(insn);
		return 0;
	case 0x07:
		if (f3 != 2 && f3 != 3)
			return up_rv_invalid(insn);
		up_rv_text(insn, "%s %s,%lld(%s)", f3 == 2 ? "flw" : "fld", up_rv_freg_names[rd],
			   (long long)imm_i(w), R(rs1));
		up_rv_xol(insn);
		return 0;
	default: /* 0x27 */
		if (f3 != 2 && f3 != 3)
			return up_rv_invalid(insn);
		up_rv_text(insn, "%s %s,%lld(%s)", f3 == 2 ? "fsw" : "fsd", up_rv_freg_names[rs2],
			   (long long)imm_s(w), R(rs1));
		up_rv_xol(insn);
		return 0;
	}
}

/* OP-IMM (0x13) and OP-IMM-32 (0x1b). */
static int decode_op_imm(struct up_insn *insn, uint32_t w)
{
	static const char *const names[8] = {"addi", NULL, "slti", "sltiu",
					     "xori", NULL, "ori",  "andi"};
	unsigned rd = (w >> 7) & 31, f3 = (w >> 12) & 7, rs1 = (w >> 15) & 31;
	bool word = (w & 0x7f) == 0x1b;
	unsigned shamt = (w >> 20) & (word ? 31 : 63), hi = w >> (word ? 25 : 26);
	const char *name;

	if (f3 == 1 || f3 == 5) {
		if (f3 == 1 && hi == 0)
			name = word ? "slliw" : "slli";
		else if (f3 == 5 && hi == 0)
			name = word ? "srliw" : "srli";
		else if (f3 == 5 && hi == (word ? 0x20u : 0x10u))
			name = word ? "sraiw" : "srai";
		else
			return up_rv_invalid(insn);
		up_rv_text(insn, "%s %s,%s,0x%x", name, R(rd), R(rs1), shamt);
		up_rv_xol(insn);
		return 0;
	}
	if (word && f3 != 0)
		return up_rv_invalid(insn);
	name = word ? "addiw" : names[f3];
	up_rv_text(insn, "%s %s,%s,%lld", name, R(rd), R(rs1), (long long)imm_i(w));
	if (!word && f3 == 0)
		up_rv_simulated(insn, rd == 0 ? UP_RV_OP_NOP : UP_RV_OP_ADDI, rd, rs1, 0, imm_i(w));
	else
		up_rv_xol(insn);
	return 0;
}

/* OP (0x33) and OP-32 (0x3b): base integer and the M extension. */
static int decode_op(struct up_insn *insn, uint32_t w)
{
	static const char *const base[8] = {"add", "sll", "slt", "sltu", "xor", "srl", "or", "and"};
	static const char *const mul[8] = {"mul", "mulh", "mulhsu", "mulhu",
					   "div", "divu", "rem",    "remu"};
	unsigned rd = (w >> 7) & 31, f3 = (w >> 12) & 7, rs1 = (w >> 15) & 31, rs2 = (w >> 20) & 31;
	unsigned f7 = w >> 25;
	bool word = (w & 0x7f) == 0x3b;
	char name[12];

	if (f7 == 0)
		snprintf(name, sizeof(name), "%s", base[f3]);
	else if (f7 == 1)
		snprintf(name, sizeof(name), "%s", mul[f3]);
	else if (f7 == 0x20 && f3 == 0)
		snprintf(name, sizeof(name), "sub");
	else if (f7 == 0x20 && f3 == 5)
		snprintf(name, sizeof(name), "sra");
	else
		return up_rv_invalid(insn);
	if (word) {
		/* RV64 word forms exist for add sub sll srl sra mul div divu rem remu. */
		if ((f7 != 1 && f3 != 0 && f3 != 1 && f3 != 5) || (f7 == 1 && f3 != 0 && f3 < 4))
			return up_rv_invalid(insn);
		strcat(name, "w");
	}
	up_rv_text(insn, "%s %s,%s,%s", name, R(rd), R(rs1), R(rs2));
	if (!word && f7 == 0 && f3 == 0)
		up_rv_simulated(insn, UP_RV_OP_ADD, rd, rs1, rs2, 0);
	else
		up_rv_xol(insn);
	return 0;
}

static int decode_amo(struct up_insn *insn, uint32_t w)
{
	static const char *const names[32] = {
	    [0x00] = "amoadd", [0x01] = "amoswap", [0x02] = "lr",      [0x03] = "sc",
	    [0x04] = "amoxor", [0x08] = "amoor",   [0x0c] = "amoand",  [0x10] = "amomin",
	    [0x14] = "amomax", [0x18] = "amominu", [0x1c] = "amomaxu",
	};
	static const char *const order[4] = {"", ".rl", ".aq", ".aqrl"};
	unsigned rd = (w >> 7) & 31, f3 = (w >> 12) & 7, rs1 = (w >> 15) & 31, rs2 = (w >> 20) & 31;
	unsigned f5 = w >> 27;

	if ((f3 != 2 && f3 != 3) || !names[f5] || (f5 == 0x02 && rs2 != 0))
		return up_rv_invalid(insn);
	if (f5 == 0x02) {
		up_rv_text(insn, "lr.%c%s %s,(%s)", f3 == 2 ? 'w' : 'd', order[(w >> 25) & 3],
			   R(rd), R(rs1));
		return up_rv_refuse(insn, "a trap after lr loses the reservation");
	}
	up_rv_text(insn, "%s.%c%s %s,%s,(%s)", names[f5], f3 == 2 ? 'w' : 'd', order[(w >> 25) & 3],
		   R(rd), R(rs2), R(rs1));
	if (f5 == 0x03)
		return up_rv_refuse(insn, "a trap before sc loses the reservation");
	up_rv_xol(insn);
	return 0;
}

/* SYSTEM (0x73): ecall, ebreak, xret, wfi, csr*: all refused. */
static int decode_system(struct up_insn *insn, uint32_t w)
{
	static const char *const csr[8] = {NULL, "csrrw",  "csrrs",  "csrrc",
					   NULL, "csrrwi", "csrrsi", "csrrci"};
	unsigned f3 = (w >> 12) & 7;

	if (w == UP_RV_ECALL)
		up_rv_text(insn, "ecall");
	else if (w == UP_RV_EBREAK)
		up_rv_text(insn, "ebreak");
	else if (w == 0x10200073)
		up_rv_text(insn, "sret");
	else if (w == 0x30200073)
		up_rv_text(insn, "mret");
	else if (w == 0x10500073)
		up_rv_text(insn, "wfi");
	else if (f3 == 0 && (w >> 25) == 0x09 && ((w >> 7) & 31) == 0)
		up_rv_text(insn, "sfence.vma");
	else if (csr[f3])
		up_rv_text(insn, "%s %s,0x%x,%u", csr[f3], R((w >> 7) & 31), w >> 20,
			   (w >> 15) & 31);
	else
		return up_rv_invalid(insn);
	return up_rv_refuse(insn, "system instruction cannot be probed");
}

/* OP-FP (0x53) for .s and .d: run out of line; the names make messages readable. */
static int decode_op_fp(struct up_insn *insn, uint32_t w)
{
	static const char *const arith[32] = {
	    [0x00] = "fadd", [0x01] = "fsub", [0x02] = "fmul", [0x03] = "fdiv", [0x0b] = "fsqrt",
	};
	static const char *const cvt_int[4] = {"w", "wu", "l", "lu"};
	unsigned f5 = w >> 27, fmt = (w >> 25) & 3, f3 = (w >> 12) & 7, rs2 = (w >> 20) & 31;
	char t = fmt == 0 ? 's' : 'd';
	char name[24];

	if (fmt > 1)
		return up_rv_invalid(insn);
	if (arith[f5] && (f5 != 0x0b || rs2 == 0))
		snprintf(name, sizeof(name), "%s.%c", arith[f5], t);
	else if (f5 == 0x04 && f3 < 3)
		snprintf(name, sizeof(name), "%s.%c",
			 (const char *[]){"fsgnj", "fsgnjn", "fsgnjx"}[f3], t);
	else if (f5 == 0x05 && f3 < 2)
		snprintf(name, sizeof(name), "%s.%c", f3 ? "fmax" : "fmin", t);
	else if (f5 == 0x14 && f3 < 3)
		snprintf(name, sizeof(name), "%s.%c", (const char *[]){"fle", "flt", "feq"}[f3], t);
	else if (f5 == 0x18 && rs2 < 4)
		snprintf(name, sizeof(name), "fcvt.%s.%c", cvt_int[rs2], t);
	else if (f5 == 0x1a && rs2 < 4)
		snprintf(name, sizeof(name), "fcvt.%c.%s", t, cvt_int[rs2]);
	else if (f5 == 0x08 && rs2 == 1 - fmt)
		snprintf(name, sizeof(name), "fcvt.%c.%c", t, fmt ? 's' : 'd');
	else if (f5 == 0x1c && rs2 == 0 && f3 == 0)
		snprintf(name, sizeof(name), "fmv.x.%c", fmt ? 'd' : 'w');
	else if (f5 == 0x1c && rs2 == 0 && f3 == 1)
		snprintf(name, sizeof(name), "fclass.%c", t);
	else if (f5 == 0x1e && rs2 == 0 && f3 == 0)
		snprintf(name, sizeof(name), "fmv.%c.x", fmt ? 'd' : 'w');
	else
		return up_rv_invalid(insn);
	up_rv_text(insn, "%s", name);
	up_rv_xol(insn);
	return 0;
}

static int decode32(struct up_insn *insn, uint32_t w)
{
	static const char *const branches[8] = {"beq", "bne", NULL,   NULL,
						"blt", "bge", "bltu", "bgeu"};
	unsigned rd = (w >> 7) & 31, f3 = (w >> 12) & 7, rs1 = (w >> 15) & 31, rs2 = (w >> 20) & 31;
	unsigned long long target;

	switch (w & 0x7f) {
	case 0x37:
		up_rv_text(insn, "lui %s,0x%x", R(rd), w >> 12);
		up_rv_simulated(insn, UP_RV_OP_LUI, rd, 0, 0, imm_u(w));
		return 0;
	case 0x17:
		up_rv_text(insn, "auipc %s,0x%x", R(rd), w >> 12);
		up_rv_simulated(insn, UP_RV_OP_AUIPC, rd, 0, 0, imm_u(w));
		return 0;
	case 0x6f:
		target = insn->addr + imm_j(w);
		up_rv_text(insn, "jal %s,0x%llx", R(rd), target);
		up_rv_simulated(insn, UP_RV_OP_JAL, rd, 0, 0, imm_j(w));
		return 0;
	case 0x67:
		if (f3 != 0)
			return up_rv_invalid(insn);
		up_rv_text(insn, "jalr %s,%lld(%s)", R(rd), (long long)imm_i(w), R(rs1));
		up_rv_simulated(insn, UP_RV_OP_JALR, rd, rs1, 0, imm_i(w));
		return 0;
	case 0x63:
		if (f3 == 2 || f3 == 3)
			return up_rv_invalid(insn);
		target = insn->addr + imm_b(w);
		up_rv_text(insn, "%s %s,%s,0x%llx", branches[f3], R(rs1), R(rs2), target);
		up_rv_simulated(insn, UP_RV_OP_BRANCH, 0, rs1, rs2, imm_b(w));
		insn->priv[UP_RV_PRIV_COND] = f3;
		return 0;
	case 0x03:
	case 0x23:
	case 0x07:
	case 0x27:
		return decode_load_store(insn, w);
	case 0x13:
	case 0x1b:
		return decode_op_imm(insn, w);
	case 0x33:
	case 0x3b:
		return decode_op(insn, w);
	case 0x2f:
		return decode_amo(insn, w);
	case 0x0f:
		if (f3 == 1) {
			up_rv_text(insn, "fence.i");
			return up_rv_refuse(insn, "instruction fetch fence cannot run out of line");
		}
		if (f3 != 0)
			return up_rv_invalid(insn);
		up_rv_text(insn, "fence");
		up_rv_xol(insn);
		return 0;
	case 0x73:
		return decode_system(insn, w);
	case 0x53:
		return decode_op_fp(insn, w);
	case 0x43:
	case 0x47:
	case 0x4b:
	case 0x4f:
		if (((w >> 25) & 3) > 1)
			return up_rv_invalid(insn);
		up_rv_text(
		    insn, "%s.%c",
		    (const char *[]){"fmadd", "fmsub", "fnmsub", "fnmadd"}[((w & 0x7f) - 0x43) / 4],
		    (w >> 25) & 1 ? 'd' : 's');
		up_rv_xol(insn);
		return 0;
	default:
		return up_rv_invalid(insn);
	}
}

int up_rv_decode(const struct up_arch *a, struct up_insn *insn, uint64_t addr, const uint8_t *bytes,
		 size_t avail)
{
	uint32_t w;

	memset(insn, 0, sizeof(*insn));
	insn->addr = addr;
	insn->len = avail < 2 ? (uint8_t)avail : 2;
	memcpy(insn->bytes, bytes, insn->len);
	if (avail < 2)
		return up_rv_invalid(insn);
	if ((bytes[0] & 3) != 3) {
		uint16_t h = (uint16_t)le_load(bytes, 2);

		return up_rv_decode_compressed(insn, h);
	}
	if ((bytes[0] & 0x1c) == 0x1c) {
		/* 48-bit and longer encodings: no ratified instruction uses them. */
		unsigned len = up_rv_insn_length(a, bytes, avail);

		if (len) {
			insn->len = (uint8_t)len;
			memcpy(insn->bytes, bytes, avail < UP_INSN_MAX_LEN ? avail : UP_INSN_MAX_LEN);
		}
		return up_rv_invalid(insn);
	}
	if (avail < 4)
		return up_rv_invalid(insn);
	insn->len = 4;
	memcpy(insn->bytes, bytes, 4);
	w = le32_load(bytes);
	return decode32(insn, w);
}

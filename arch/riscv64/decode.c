/* SPDX-License-Identifier: MIT */
/*
 * riscv64 instruction analysis (RV64IMAFDC, Zifencei, Zicsr): bytes at a
 * probe point -> struct up_insn saying whether a hit is simulated (control
 * flow, pc-relative and the common prologue/leaf instructions), run out of
 * line, or refused. Capstone 4 has no RISC-V, so two tables of mask/match
 * rows name the 32-bit and the 16-bit (C extension) encodings, the shape
 * of loongarch64's and aarch64's decoders and of the kernel's riscv uprobe
 * decoder: the first row a word matches decides, a word no row matches is
 * undecodable. A 16-bit instruction is recorded as the 32-bit one it
 * expands to (c.li a0,5 is simulated as addi a0,zero,5), with its own
 * length, so the simulator knows one set of classes. Text follows
 * `objdump -M no-aliases`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "riscv64.h"
#include "common/bits.h"

#define R(i) up_rv_reg_names[i]

const char *const up_rv_freg_names[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4",	"ft5",	"ft6", "ft7", "fs0",  "fs1",  "fa0",
    "fa1", "fa2", "fa3", "fa4", "fa5",	"fa6",	"fa7", "fs2", "fs3",  "fs4",  "fs5",
    "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

/* How the operands print and where they are; 32-bit formats first, then the 16-bit ones. */
enum rv_format {
	F_NONE,	  /* name only: fence, ecall, fadd.d */
	F_U,	  /* rd, imm[31:12] (lui, auipc) */
	F_J,	  /* rd, target (jal) */
	F_B,	  /* rs1, rs2, target */
	F_I,	  /* rd, rs1, imm12 */
	F_LOAD,	  /* rd, imm12(rs1) (loads, jalr) */
	F_STORE,  /* rs2, simm12(rs1) */
	F_SHIFT,  /* rd, rs1, shamt6 */
	F_SHIFTW, /* rd, rs1, shamt5 */
	F_R,	  /* rd, rs1, rs2 */
	F_AMO,	  /* rd, rs2, (rs1), with .aq/.rl */
	F_LR,	  /* rd, (rs1), with .aq/.rl */
	F_CSR,	  /* rd, csr, rs1 */
	C_NONE,	  /* c.ebreak */
	C_ADDI4SPN,
	C_MEM_W, /* c.lw, c.sw: rd'/rs2', uimm(rs1') */
	C_MEM_D, /* c.ld, c.sd, c.fld, c.fsd */
	C_NOP,	 /* c.addi zero, imm: no operands */
	C_ADDI,	 /* rd, imm6 (c.addi, c.addiw): rd += imm */
	C_LI,	 /* rd, imm6: rd = imm */
	C_ADDI16SP,
	C_LUI,
	C_SHIFT, /* rd', shamt (c.srli, c.srai) */
	C_ANDI,	 /* rd', imm6 */
	C_CA,	 /* rd', rs2' */
	C_J,
	C_B,	 /* rs1', target (c.beqz, c.bnez) */
	C_SLLI,	 /* rd, shamt */
	C_LSP_W, /* rd, uimm(sp) (c.lwsp) */
	C_LSP_D, /* c.ldsp, c.fldsp */
	C_SSP_W, /* rs2, uimm(sp) (c.swsp) */
	C_SSP_D, /* c.sdsp, c.fsdsp */
	C_JR,	 /* rs1 (c.jr) */
	C_JALR,	 /* rs1, linking ra */
	C_MV,	 /* rd, rs2: rd = rs2 */
	C_ADD,	 /* rd, rs2: rd += rs2 */
};

/* One row: the words w with (w & mask) == match. name NULL: reserved, undecodable. */
struct rv_form {
	uint32_t mask, match;
	const char *name;
	uint8_t format;	 /* enum rv_format */
	uint8_t action;	 /* enum up_insn_action */
	uint8_t op;	 /* enum up_rv_op, with UP_INSN_SIMULATE */
	bool freg;	 /* the data register is a floating-point one */
	const char *why; /* with UP_INSN_REFUSE */
};

/*
 * Row kinds: SIM simulated, XOL out of line (XOLF: its data register is a
 * floating-point one), REF refused with the reason, RESERVED undecodable.
 */
#define SIM(mask, match, name, fmt, op) {mask, match, name, fmt, UP_INSN_SIMULATE, op, false, NULL}
#define XOL(mask, match, name, fmt) {mask, match, name, fmt, UP_INSN_XOL, 0, false, NULL}
#define XOLF(mask, match, name, fmt) {mask, match, name, fmt, UP_INSN_XOL, 0, true, NULL}
#define REF(mask, match, name, fmt, why) {mask, match, name, fmt, UP_INSN_REFUSE, 0, false, why}
#define RESERVED(mask, match) {mask, match, NULL, F_NONE, UP_INSN_REFUSE, 0, false, NULL}

/* clang-format off */
#define M_OP 0x0000007fu  /* opcode */
#define M_F3 0x0000707fu  /* funct3, opcode */
#define M_F7 0xfe00707fu  /* funct7, funct3, opcode */
#define M_AMO 0xf800707fu /* funct5, funct3, opcode */
#define M_FP 0xfe00007fu  /* funct5, fmt, opcode */
#define M_FP2 0xfff0007fu /* funct5, fmt, rs2, opcode */
#define M_C 0xe003u	  /* funct3, quadrant */

static const char why_system[] = "system instruction cannot be probed";

static const struct rv_form forms32[] = {
	SIM(M_OP, 0x00000037, "lui", F_U, UP_RV_OP_LUI),
	SIM(M_OP, 0x00000017, "auipc", F_U, UP_RV_OP_AUIPC),
	SIM(M_OP, 0x0000006f, "jal", F_J, UP_RV_OP_JAL),
	SIM(M_F3, 0x00000067, "jalr", F_LOAD, UP_RV_OP_JALR),

	SIM(M_F3, 0x00000063, "beq", F_B, UP_RV_OP_BRANCH),
	SIM(M_F3, 0x00001063, "bne", F_B, UP_RV_OP_BRANCH),
	SIM(M_F3, 0x00004063, "blt", F_B, UP_RV_OP_BRANCH),
	SIM(M_F3, 0x00005063, "bge", F_B, UP_RV_OP_BRANCH),
	SIM(M_F3, 0x00006063, "bltu", F_B, UP_RV_OP_BRANCH),
	SIM(M_F3, 0x00007063, "bgeu", F_B, UP_RV_OP_BRANCH),

	XOL(M_F3, 0x00000003, "lb", F_LOAD),
	XOL(M_F3, 0x00001003, "lh", F_LOAD),
	XOL(M_F3, 0x00002003, "lw", F_LOAD),
	SIM(M_F3, 0x00003003, "ld", F_LOAD, UP_RV_OP_LD),
	XOL(M_F3, 0x00004003, "lbu", F_LOAD),
	XOL(M_F3, 0x00005003, "lhu", F_LOAD),
	XOL(M_F3, 0x00006003, "lwu", F_LOAD),
	XOL(M_F3, 0x00000023, "sb", F_STORE),
	XOL(M_F3, 0x00001023, "sh", F_STORE),
	XOL(M_F3, 0x00002023, "sw", F_STORE),
	SIM(M_F3, 0x00003023, "sd", F_STORE, UP_RV_OP_SD),
	XOLF(M_F3, 0x00002007, "flw", F_LOAD),
	XOLF(M_F3, 0x00003007, "fld", F_LOAD),
	XOLF(M_F3, 0x00002027, "fsw", F_STORE),
	XOLF(M_F3, 0x00003027, "fsd", F_STORE),

	/* addi with rd = zero is a nop (decode() below) */
	SIM(M_F3, 0x00000013, "addi", F_I, UP_RV_OP_ADDI),
	XOL(0xfc00707f, 0x00001013, "slli", F_SHIFT),
	XOL(M_F3, 0x00002013, "slti", F_I),
	XOL(M_F3, 0x00003013, "sltiu", F_I),
	XOL(M_F3, 0x00004013, "xori", F_I),
	XOL(0xfc00707f, 0x00005013, "srli", F_SHIFT),
	XOL(0xfc00707f, 0x40005013, "srai", F_SHIFT),
	XOL(M_F3, 0x00006013, "ori", F_I),
	XOL(M_F3, 0x00007013, "andi", F_I),
	XOL(M_F3, 0x0000001b, "addiw", F_I),
	XOL(M_F7, 0x0000101b, "slliw", F_SHIFTW),
	XOL(M_F7, 0x0000501b, "srliw", F_SHIFTW),
	XOL(M_F7, 0x4000501b, "sraiw", F_SHIFTW),

	SIM(M_F7, 0x00000033, "add", F_R, UP_RV_OP_ADD),
	XOL(M_F7, 0x40000033, "sub", F_R),
	XOL(M_F7, 0x00001033, "sll", F_R),
	XOL(M_F7, 0x00002033, "slt", F_R),
	XOL(M_F7, 0x00003033, "sltu", F_R),
	XOL(M_F7, 0x00004033, "xor", F_R),
	XOL(M_F7, 0x00005033, "srl", F_R),
	XOL(M_F7, 0x40005033, "sra", F_R),
	XOL(M_F7, 0x00006033, "or", F_R),
	XOL(M_F7, 0x00007033, "and", F_R),
	XOL(M_F7, 0x02000033, "mul", F_R),
	XOL(M_F7, 0x02001033, "mulh", F_R),
	XOL(M_F7, 0x02002033, "mulhsu", F_R),
	XOL(M_F7, 0x02003033, "mulhu", F_R),
	XOL(M_F7, 0x02004033, "div", F_R),
	XOL(M_F7, 0x02005033, "divu", F_R),
	XOL(M_F7, 0x02006033, "rem", F_R),
	XOL(M_F7, 0x02007033, "remu", F_R),
	XOL(M_F7, 0x0000003b, "addw", F_R),
	XOL(M_F7, 0x4000003b, "subw", F_R),
	XOL(M_F7, 0x0000103b, "sllw", F_R),
	XOL(M_F7, 0x0000503b, "srlw", F_R),
	XOL(M_F7, 0x4000503b, "sraw", F_R),
	XOL(M_F7, 0x0200003b, "mulw", F_R),
	XOL(M_F7, 0x0200403b, "divw", F_R),
	XOL(M_F7, 0x0200503b, "divuw", F_R),
	XOL(M_F7, 0x0200603b, "remw", F_R),
	XOL(M_F7, 0x0200703b, "remuw", F_R),

	REF(0xf9f0707f, 0x1000202f, "lr.w", F_LR, "a trap after lr loses the reservation"),
	REF(0xf9f0707f, 0x1000302f, "lr.d", F_LR, "a trap after lr loses the reservation"),
	REF(M_AMO, 0x1800202f, "sc.w", F_AMO, "a trap before sc loses the reservation"),
	REF(M_AMO, 0x1800302f, "sc.d", F_AMO, "a trap before sc loses the reservation"),
	XOL(M_AMO, 0x0000202f, "amoadd.w", F_AMO),
	XOL(M_AMO, 0x0000302f, "amoadd.d", F_AMO),
	XOL(M_AMO, 0x0800202f, "amoswap.w", F_AMO),
	XOL(M_AMO, 0x0800302f, "amoswap.d", F_AMO),
	XOL(M_AMO, 0x2000202f, "amoxor.w", F_AMO),
	XOL(M_AMO, 0x2000302f, "amoxor.d", F_AMO),
	XOL(M_AMO, 0x4000202f, "amoor.w", F_AMO),
	XOL(M_AMO, 0x4000302f, "amoor.d", F_AMO),
	XOL(M_AMO, 0x6000202f, "amoand.w", F_AMO),
	XOL(M_AMO, 0x6000302f, "amoand.d", F_AMO),
	XOL(M_AMO, 0x8000202f, "amomin.w", F_AMO),
	XOL(M_AMO, 0x8000302f, "amomin.d", F_AMO),
	XOL(M_AMO, 0xa000202f, "amomax.w", F_AMO),
	XOL(M_AMO, 0xa000302f, "amomax.d", F_AMO),
	XOL(M_AMO, 0xc000202f, "amominu.w", F_AMO),
	XOL(M_AMO, 0xc000302f, "amominu.d", F_AMO),
	XOL(M_AMO, 0xe000202f, "amomaxu.w", F_AMO),
	XOL(M_AMO, 0xe000302f, "amomaxu.d", F_AMO),

	XOL(M_F3, 0x0000000f, "fence", F_NONE),
	REF(M_F3, 0x0000100f, "fence.i", F_NONE, "instruction fetch fence cannot run out of line"),
	REF(0xffffffff, 0x00000073, "ecall", F_NONE, why_system),
	REF(0xffffffff, 0x00100073, "ebreak", F_NONE, why_system),
	REF(0xffffffff, 0x10200073, "sret", F_NONE, why_system),
	REF(0xffffffff, 0x30200073, "mret", F_NONE, why_system),
	REF(0xffffffff, 0x10500073, "wfi", F_NONE, why_system),
	REF(0xfe007fff, 0x12000073, "sfence.vma", F_NONE, why_system),
	REF(M_F3, 0x00001073, "csrrw", F_CSR, why_system),
	REF(M_F3, 0x00002073, "csrrs", F_CSR, why_system),
	REF(M_F3, 0x00003073, "csrrc", F_CSR, why_system),
	REF(M_F3, 0x00005073, "csrrwi", F_CSR, why_system),
	REF(M_F3, 0x00006073, "csrrsi", F_CSR, why_system),
	REF(M_F3, 0x00007073, "csrrci", F_CSR, why_system),

	/* OP-FP: run out of line; the names make messages readable */
	XOL(M_FP, 0x00000053, "fadd.s", F_NONE),
	XOL(M_FP, 0x02000053, "fadd.d", F_NONE),
	XOL(M_FP, 0x08000053, "fsub.s", F_NONE),
	XOL(M_FP, 0x0a000053, "fsub.d", F_NONE),
	XOL(M_FP, 0x10000053, "fmul.s", F_NONE),
	XOL(M_FP, 0x12000053, "fmul.d", F_NONE),
	XOL(M_FP, 0x18000053, "fdiv.s", F_NONE),
	XOL(M_FP, 0x1a000053, "fdiv.d", F_NONE),
	XOL(M_FP2, 0x58000053, "fsqrt.s", F_NONE),
	XOL(M_FP2, 0x5a000053, "fsqrt.d", F_NONE),
	XOL(M_F7, 0x20000053, "fsgnj.s", F_NONE),
	XOL(M_F7, 0x20001053, "fsgnjn.s", F_NONE),
	XOL(M_F7, 0x20002053, "fsgnjx.s", F_NONE),
	XOL(M_F7, 0x22000053, "fsgnj.d", F_NONE),
	XOL(M_F7, 0x22001053, "fsgnjn.d", F_NONE),
	XOL(M_F7, 0x22002053, "fsgnjx.d", F_NONE),
	XOL(M_F7, 0x28000053, "fmin.s", F_NONE),
	XOL(M_F7, 0x28001053, "fmax.s", F_NONE),
	XOL(M_F7, 0x2a000053, "fmin.d", F_NONE),
	XOL(M_F7, 0x2a001053, "fmax.d", F_NONE),
	XOL(M_F7, 0xa0000053, "fle.s", F_NONE),
	XOL(M_F7, 0xa0001053, "flt.s", F_NONE),
	XOL(M_F7, 0xa0002053, "feq.s", F_NONE),
	XOL(M_F7, 0xa2000053, "fle.d", F_NONE),
	XOL(M_F7, 0xa2001053, "flt.d", F_NONE),
	XOL(M_F7, 0xa2002053, "feq.d", F_NONE),
	XOL(M_FP2, 0xc0000053, "fcvt.w.s", F_NONE),
	XOL(M_FP2, 0xc0100053, "fcvt.wu.s", F_NONE),
	XOL(M_FP2, 0xc0200053, "fcvt.l.s", F_NONE),
	XOL(M_FP2, 0xc0300053, "fcvt.lu.s", F_NONE),
	XOL(M_FP2, 0xc2000053, "fcvt.w.d", F_NONE),
	XOL(M_FP2, 0xc2100053, "fcvt.wu.d", F_NONE),
	XOL(M_FP2, 0xc2200053, "fcvt.l.d", F_NONE),
	XOL(M_FP2, 0xc2300053, "fcvt.lu.d", F_NONE),
	XOL(M_FP2, 0xd0000053, "fcvt.s.w", F_NONE),
	XOL(M_FP2, 0xd0100053, "fcvt.s.wu", F_NONE),
	XOL(M_FP2, 0xd0200053, "fcvt.s.l", F_NONE),
	XOL(M_FP2, 0xd0300053, "fcvt.s.lu", F_NONE),
	XOL(M_FP2, 0xd2000053, "fcvt.d.w", F_NONE),
	XOL(M_FP2, 0xd2100053, "fcvt.d.wu", F_NONE),
	XOL(M_FP2, 0xd2200053, "fcvt.d.l", F_NONE),
	XOL(M_FP2, 0xd2300053, "fcvt.d.lu", F_NONE),
	XOL(M_FP2, 0x40100053, "fcvt.s.d", F_NONE),
	XOL(M_FP2, 0x42000053, "fcvt.d.s", F_NONE),
	XOL(0xfff0707f, 0xe0000053, "fmv.x.w", F_NONE),
	XOL(0xfff0707f, 0xe2000053, "fmv.x.d", F_NONE),
	XOL(0xfff0707f, 0xe0001053, "fclass.s", F_NONE),
	XOL(0xfff0707f, 0xe2001053, "fclass.d", F_NONE),
	XOL(0xfff0707f, 0xf0000053, "fmv.w.x", F_NONE),
	XOL(0xfff0707f, 0xf2000053, "fmv.d.x", F_NONE),
	XOL(0x0600007f, 0x00000043, "fmadd.s", F_NONE),
	XOL(0x0600007f, 0x02000043, "fmadd.d", F_NONE),
	XOL(0x0600007f, 0x00000047, "fmsub.s", F_NONE),
	XOL(0x0600007f, 0x02000047, "fmsub.d", F_NONE),
	XOL(0x0600007f, 0x0000004b, "fnmsub.s", F_NONE),
	XOL(0x0600007f, 0x0200004b, "fnmsub.d", F_NONE),
	XOL(0x0600007f, 0x0000004f, "fnmadd.s", F_NONE),
	XOL(0x0600007f, 0x0200004f, "fnmadd.d", F_NONE),
};

static const struct rv_form forms16[] = {
	/* quadrant 0 */
	RESERVED(0xffff, 0x0000),			/* the defined illegal instruction */
	RESERVED(0xffe3, 0x0000),			/* c.addi4spn with nzuimm 0 */
	SIM(M_C, 0x0000, "c.addi4spn", C_ADDI4SPN, UP_RV_OP_ADDI),
	XOLF(M_C, 0x2000, "c.fld", C_MEM_D),
	XOL(M_C, 0x4000, "c.lw", C_MEM_W),
	SIM(M_C, 0x6000, "c.ld", C_MEM_D, UP_RV_OP_LD),
	XOLF(M_C, 0xa000, "c.fsd", C_MEM_D),
	XOL(M_C, 0xc000, "c.sw", C_MEM_W),
	SIM(M_C, 0xe000, "c.sd", C_MEM_D, UP_RV_OP_SD),

	/* quadrant 1 */
	SIM(0xef83, 0x0001, "c.addi", C_NOP, UP_RV_OP_NOP),	/* c.nop */
	SIM(M_C, 0x0001, "c.addi", C_ADDI, UP_RV_OP_ADDI),
	RESERVED(0xef83, 0x2001),			/* c.addiw zero */
	XOL(M_C, 0x2001, "c.addiw", C_ADDI),
	SIM(M_C, 0x4001, "c.li", C_LI, UP_RV_OP_ADDI),
	RESERVED(0xffff, 0x6101),			/* c.addi16sp with nzimm 0 */
	SIM(0xef83, 0x6101, "c.addi16sp", C_ADDI16SP, UP_RV_OP_ADDI),
	RESERVED(0xf07f, 0x6001),			/* c.lui with nzimm 0 */
	RESERVED(0xef83, 0x6001),			/* c.lui zero */
	SIM(M_C, 0x6001, "c.lui", C_LUI, UP_RV_OP_LUI),
	XOL(0xec03, 0x8001, "c.srli", C_SHIFT),
	XOL(0xec03, 0x8401, "c.srai", C_SHIFT),
	XOL(0xec03, 0x8801, "c.andi", C_ANDI),
	XOL(0xfc63, 0x8c01, "c.sub", C_CA),
	XOL(0xfc63, 0x8c21, "c.xor", C_CA),
	XOL(0xfc63, 0x8c41, "c.or", C_CA),
	XOL(0xfc63, 0x8c61, "c.and", C_CA),
	XOL(0xfc63, 0x9c01, "c.subw", C_CA),
	XOL(0xfc63, 0x9c21, "c.addw", C_CA),
	SIM(M_C, 0xa001, "c.j", C_J, UP_RV_OP_JAL),
	SIM(M_C, 0xc001, "c.beqz", C_B, UP_RV_OP_BRANCH),
	SIM(M_C, 0xe001, "c.bnez", C_B, UP_RV_OP_BRANCH),

	/* quadrant 2 */
	XOL(M_C, 0x0002, "c.slli", C_SLLI),
	XOLF(M_C, 0x2002, "c.fldsp", C_LSP_D),
	RESERVED(0xef83, 0x4002),			/* c.lwsp zero */
	XOL(M_C, 0x4002, "c.lwsp", C_LSP_W),
	RESERVED(0xef83, 0x6002),			/* c.ldsp zero */
	SIM(M_C, 0x6002, "c.ldsp", C_LSP_D, UP_RV_OP_LD),
	RESERVED(0xffff, 0x8002),			/* c.jr zero */
	SIM(0xf07f, 0x8002, "c.jr", C_JR, UP_RV_OP_JALR),
	SIM(0xf003, 0x8002, "c.mv", C_MV, UP_RV_OP_ADD),
	REF(0xffff, 0x9002, "c.ebreak", C_NONE, "a breakpoint cannot be probed"),
	SIM(0xf07f, 0x9002, "c.jalr", C_JALR, UP_RV_OP_JALR),
	SIM(0xf003, 0x9002, "c.add", C_ADD, UP_RV_OP_ADD),
	XOLF(M_C, 0xa002, "c.fsdsp", C_SSP_D),
	XOL(M_C, 0xc002, "c.swsp", C_SSP_W),
	SIM(M_C, 0xe002, "c.sdsp", C_SSP_D, UP_RV_OP_SD),
};
/* clang-format on */

static void text(struct up_insn *insn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text(struct up_insn *insn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(insn->text, sizeof(insn->text), fmt, ap);
	va_end(ap);
}

/*
 * Not an instruction this decoder knows: refuse it, and say the bytes are no
 * instruction. insn->len stays what the encoding's length bits say (a
 * 48-bit encoding is 6 bytes long even if only 4 were read).
 */
static int invalid(struct up_insn *insn)
{
	unsigned shown = insn->len < 4 ? insn->len : 4;
	uint32_t w = (uint32_t)le_load(insn->bytes, shown);

	text(insn, "unknown 0x%0*x", (int)shown * 2, w);
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
	h = (unsigned)le_load(bytes, 2);
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

/* The operands of one instruction, as the 32-bit form it is or expands to. */
struct rv_operands {
	unsigned rd, rs1, rs2;
	int64_t imm;
};

static int64_t imm_i(uint32_t w)
{
	return (int32_t)w >> 20;
}

static int64_t imm_s(uint32_t w)
{
	return sign_extend(bits(w, 31, 25) << 5 | bits(w, 11, 7), 12);
}

static int64_t imm_b(uint32_t w)
{
	return sign_extend(bits(w, 31, 31) << 12 | bits(w, 7, 7) << 11 | bits(w, 30, 25) << 5 |
			       bits(w, 11, 8) << 1,
			   13);
}

static int64_t imm_j(uint32_t w)
{
	return sign_extend(bits(w, 31, 31) << 20 | bits(w, 19, 12) << 12 | bits(w, 20, 20) << 11 |
			       bits(w, 30, 21) << 1,
			   21);
}

/* Text and operands of a 32-bit instruction. */
static void format32(struct up_insn *insn, const struct rv_form *f, uint32_t w,
		     struct rv_operands *o)
{
	static const char *const order[4] = {"", ".rl", ".aq", ".aqrl"};
	unsigned rd = bits(w, 11, 7), rs1 = bits(w, 19, 15), rs2 = bits(w, 24, 20);
	const char *const *data = f->freg ? up_rv_freg_names : up_rv_reg_names;
	const char *name = f->name;

	switch (f->format) {
	case F_U:
		*o = (struct rv_operands){rd, 0, 0, (int32_t)(w & 0xfffff000u)};
		text(insn, "%s %s,0x%x", name, R(rd), w >> 12);
		break;
	case F_J:
		*o = (struct rv_operands){rd, 0, 0, imm_j(w)};
		text(insn, "%s %s,0x%llx", name, R(rd), (unsigned long long)(insn->addr + o->imm));
		break;
	case F_B:
		*o = (struct rv_operands){0, rs1, rs2, imm_b(w)};
		text(insn, "%s %s,%s,0x%llx", name, R(rs1), R(rs2),
		     (unsigned long long)(insn->addr + o->imm));
		break;
	case F_I:
		*o = (struct rv_operands){rd, rs1, 0, imm_i(w)};
		text(insn, "%s %s,%s,%lld", name, R(rd), R(rs1), (long long)o->imm);
		break;
	case F_LOAD:
		*o = (struct rv_operands){rd, rs1, 0, imm_i(w)};
		text(insn, "%s %s,%lld(%s)", name, data[rd], (long long)o->imm, R(rs1));
		break;
	case F_STORE:
		*o = (struct rv_operands){0, rs1, rs2, imm_s(w)};
		text(insn, "%s %s,%lld(%s)", name, data[rs2], (long long)o->imm, R(rs1));
		break;
	case F_SHIFT:
	case F_SHIFTW:
		text(insn, "%s %s,%s,0x%x", name, R(rd), R(rs1),
		     bits(w, f->format == F_SHIFT ? 25 : 24, 20));
		break;
	case F_R:
		*o = (struct rv_operands){rd, rs1, rs2, 0};
		text(insn, "%s %s,%s,%s", name, R(rd), R(rs1), R(rs2));
		break;
	case F_AMO:
		text(insn, "%s%s %s,%s,(%s)", name, order[bits(w, 26, 25)], R(rd), R(rs2), R(rs1));
		break;
	case F_LR:
		text(insn, "%s%s %s,(%s)", name, order[bits(w, 26, 25)], R(rd), R(rs1));
		break;
	case F_CSR:
		text(insn, "%s %s,0x%x,%u", name, R(rd), w >> 20, rs1);
		break;
	default:
		text(insn, "%s", name);
		break;
	}
}

/* The 3-bit register fields name x8..x15. */
static unsigned creg(uint32_t h, unsigned lo)
{
	return 8 + bits(h, lo + 2, lo);
}

/* imm[5] at bit 12, imm[4:0] at bits 6:2 (c.addi, c.li, c.andi, c.addiw, c.lui). */
static int64_t imm6(uint32_t h)
{
	return sign_extend(bits(h, 12, 12) << 5 | bits(h, 6, 2), 6);
}

/* Text and operands of a 16-bit instruction, as the 32-bit one it expands to. */
static void format16(struct up_insn *insn, const struct rv_form *f, uint32_t h,
		     struct rv_operands *o)
{
	unsigned rd = bits(h, 11, 7), rs2 = bits(h, 6, 2), rd_ = creg(h, 2), rs1_ = creg(h, 7);
	const char *const *data = f->freg ? up_rv_freg_names : up_rv_reg_names;
	const char *name = f->name;
	unsigned u;

	switch (f->format) {
	case C_ADDI4SPN:
		u = bits(h, 12, 11) << 4 | bits(h, 10, 7) << 6 | bits(h, 6, 6) << 2 |
		    bits(h, 5, 5) << 3;
		*o = (struct rv_operands){rd_, UP_RV_SP, 0, u};
		text(insn, "%s %s,sp,%u", name, R(rd_), u);
		break;
	case C_MEM_W:
	case C_MEM_D:
		/* c.lw/c.sw: uimm[5:3] at 12:10, [2] at 6, [6] at 5; c.ld/c.sd: [7:6] at 6:5 */
		u = bits(h, 12, 10) << 3 |
		    (f->format == C_MEM_W ? bits(h, 6, 6) << 2 | bits(h, 5, 5) << 6
					  : bits(h, 6, 5) << 6);
		if (f->op == UP_RV_OP_SD)
			*o = (struct rv_operands){0, rs1_, rd_, u};
		else
			*o = (struct rv_operands){rd_, rs1_, 0, u};
		text(insn, "%s %s,%u(%s)", name, data[rd_], u, R(rs1_));
		break;
	case C_NOP:
	case C_ADDI:
		if (f->format == C_ADDI)
			*o = (struct rv_operands){rd, rd, 0, imm6(h)};
		text(insn, "%s %s,%lld", name, R(rd), (long long)imm6(h));
		break;
	case C_LI:
		*o = (struct rv_operands){rd, 0, 0, imm6(h)};
		text(insn, "%s %s,%lld", name, R(rd), (long long)imm6(h));
		break;
	case C_ADDI16SP:
		*o = (struct rv_operands){UP_RV_SP, UP_RV_SP, 0,
					  sign_extend(bits(h, 12, 12) << 9 | bits(h, 6, 6) << 4 |
							  bits(h, 5, 5) << 6 | bits(h, 4, 3) << 7 |
							  bits(h, 2, 2) << 5,
						      10)};
		text(insn, "%s sp,%lld", name, (long long)o->imm);
		break;
	case C_LUI:
		*o = (struct rv_operands){rd, 0, 0, imm6(h) * 4096};
		text(insn, "%s %s,0x%x", name, R(rd), (unsigned)(imm6(h) & 0xfffff));
		break;
	case C_SHIFT:
		text(insn, "%s %s,0x%x", name, R(rs1_), bits(h, 12, 12) << 5 | rs2);
		break;
	case C_ANDI:
		text(insn, "%s %s,%lld", name, R(rs1_), (long long)imm6(h));
		break;
	case C_CA:
		text(insn, "%s %s,%s", name, R(rs1_), R(rd_));
		break;
	case C_J:
		*o = (struct rv_operands){
		    0, 0, 0,
		    sign_extend(bits(h, 12, 12) << 11 | bits(h, 11, 11) << 4 | bits(h, 10, 9) << 8 |
				    bits(h, 8, 8) << 10 | bits(h, 7, 7) << 6 | bits(h, 6, 6) << 7 |
				    bits(h, 5, 3) << 1 | bits(h, 2, 2) << 5,
				12)};
		text(insn, "%s 0x%llx", name, (unsigned long long)(insn->addr + o->imm));
		break;
	case C_B:
		*o = (struct rv_operands){0, rs1_, 0,
					  sign_extend(bits(h, 12, 12) << 8 | bits(h, 11, 10) << 3 |
							  bits(h, 6, 5) << 6 | bits(h, 4, 3) << 1 |
							  bits(h, 2, 2) << 5,
						      9)};
		text(insn, "%s %s,0x%llx", name, R(rs1_),
		     (unsigned long long)(insn->addr + o->imm));
		break;
	case C_SLLI:
		text(insn, "%s %s,0x%x", name, R(rd), bits(h, 12, 12) << 5 | rs2);
		break;
	case C_LSP_W:
	case C_LSP_D:
		/* c.lwsp: uimm[5] at 12, [4:2] at 6:4, [7:6] at 3:2; c.ldsp: [4:3] at 6:5, [8:6] at
		 * 4:2 */
		u = bits(h, 12, 12) << 5 |
		    (f->format == C_LSP_W ? bits(h, 6, 4) << 2 | bits(h, 3, 2) << 6
					  : bits(h, 6, 5) << 3 | bits(h, 4, 2) << 6);
		*o = (struct rv_operands){rd, UP_RV_SP, 0, u};
		text(insn, "%s %s,%u(sp)", name, data[rd], u);
		break;
	case C_SSP_W:
	case C_SSP_D:
		/* c.swsp: uimm[5:2] at 12:9, [7:6] at 8:7; c.sdsp: [5:3] at 12:10, [8:6] at 9:7 */
		u = f->format == C_SSP_W ? bits(h, 12, 9) << 2 | bits(h, 8, 7) << 6
					 : bits(h, 12, 10) << 3 | bits(h, 9, 7) << 6;
		*o = (struct rv_operands){0, UP_RV_SP, rs2, u};
		text(insn, "%s %s,%u(sp)", name, data[rs2], u);
		break;
	case C_JR:
	case C_JALR:
		*o = (struct rv_operands){f->format == C_JALR ? UP_RV_RA : 0, rd, 0, 0};
		text(insn, "%s %s", name, R(rd));
		break;
	case C_MV:
	case C_ADD:
		*o = (struct rv_operands){rd, f->format == C_ADD ? rd : 0, rs2, 0};
		text(insn, "%s %s,%s", name, R(rd), R(rs2));
		break;
	default:
		text(insn, "%s", name);
		break;
	}
}

static const struct rv_form *form_of(const struct rv_form *forms, size_t n, uint32_t w)
{
	for (size_t i = 0; i < n; i++)
		if ((w & forms[i].mask) == forms[i].match)
			return forms[i].name ? &forms[i] : NULL;
	return NULL;
}

int up_rv_decode(const struct up_arch *a, struct up_insn *insn, uint64_t addr, const uint8_t *bytes,
		 size_t avail)
{
	struct rv_operands o = {0};
	const struct rv_form *f;
	char name[24];
	uint32_t w;

	memset(insn, 0, sizeof(*insn));
	insn->addr = addr;
	insn->len = avail < 2 ? (uint8_t)avail : 2;
	memcpy(insn->bytes, bytes, insn->len);
	if (avail < 2)
		return invalid(insn);
	if ((bytes[0] & 3) != 3) {
		w = (uint32_t)le_load(bytes, 2);
		f = form_of(forms16, sizeof(forms16) / sizeof(forms16[0]), w);
		if (!f)
			return invalid(insn);
		format16(insn, f, w, &o);
	} else {
		if ((bytes[0] & 0x1c) == 0x1c) {
			/* 48-bit and longer encodings: no ratified instruction uses them */
			unsigned len = up_rv_insn_length(a, bytes, avail);

			if (len) {
				insn->len = (uint8_t)len;
				memcpy(insn->bytes, bytes,
				       avail < UP_INSN_MAX_LEN ? avail : UP_INSN_MAX_LEN);
			}
			return invalid(insn);
		}
		if (avail < 4)
			return invalid(insn);
		insn->len = 4;
		memcpy(insn->bytes, bytes, 4);
		w = le32_load(bytes);
		f = form_of(forms32, sizeof(forms32) / sizeof(forms32[0]), w);
		if (!f)
			return invalid(insn);
		format32(insn, f, w, &o);
	}
	insn->action = f->action;
	if (f->action == UP_INSN_SIMULATE) {
		insn->op = f->op;
		if (f->op == UP_RV_OP_ADDI && insn->len == 4 && o.rd == 0)
			insn->op = UP_RV_OP_NOP; /* addi zero, ...: nop and its hints */
		insn->priv[UP_RV_PRIV_RD] = o.rd;
		insn->priv[UP_RV_PRIV_RS1] = o.rs1;
		insn->priv[UP_RV_PRIV_RS2] = o.rs2;
		insn->priv[UP_RV_PRIV_IMM] = o.imm;
		if (f->op == UP_RV_OP_BRANCH) /* funct3; c.beqz/c.bnez: beq/bne against zero */
			insn->priv[UP_RV_PRIV_COND] =
			    insn->len == 4 ? bits(w, 14, 12) : bits(w, 13, 13);
	} else if (f->action == UP_INSN_REFUSE) {
		sscanf(insn->text, "%23s", name);
		snprintf(insn->why, sizeof(insn->why), "%s: %s", name, f->why);
	}
	return 0;
}

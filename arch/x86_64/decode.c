/* SPDX-License-Identifier: MIT */
/*
 * Instruction analysis at install time: Capstone decodes the bytes, and
 * this file decides how a hit completes the instruction (design.md, "the
 * life of a probe hit"):
 *   - SIMULATE the cheap, exact classes (nops, endbr, push, branches, calls,
 *     ret, mov reg,reg, leave, add/sub $imm,reg), leaving their operands in
 *     insn->priv[];
 *   - XOL everything else that may run at another address, noting where a
 *     rip-relative displacement sits so xol.c can re-target it;
 *   - REFUSE what must not run out of line or that we cannot decode.
 * Capstone runs here only, never on a hit.
 */
#include <errno.h>
#include <string.h>

#include <capstone/capstone.h>

#include "x86_64.h"

/* Capstone's general-purpose registers, any width, as up_regs indexes. */
/* clang-format off */
static const struct {
	uint16_t reg;
	uint8_t idx;
	uint8_t size;
} gpr_table[] = {
	{ X86_REG_RAX, UP_X86_RAX, 8 }, { X86_REG_EAX, UP_X86_RAX, 4 },
	{ X86_REG_AX, UP_X86_RAX, 2 },  { X86_REG_AL, UP_X86_RAX, 1 },
	{ X86_REG_AH, UP_X86_RAX, 1 },  { X86_REG_RBX, UP_X86_RBX, 8 },
	{ X86_REG_EBX, UP_X86_RBX, 4 }, { X86_REG_BX, UP_X86_RBX, 2 },
	{ X86_REG_BL, UP_X86_RBX, 1 },  { X86_REG_BH, UP_X86_RBX, 1 },
	{ X86_REG_RCX, UP_X86_RCX, 8 }, { X86_REG_ECX, UP_X86_RCX, 4 },
	{ X86_REG_CX, UP_X86_RCX, 2 },  { X86_REG_CL, UP_X86_RCX, 1 },
	{ X86_REG_CH, UP_X86_RCX, 1 },  { X86_REG_RDX, UP_X86_RDX, 8 },
	{ X86_REG_EDX, UP_X86_RDX, 4 }, { X86_REG_DX, UP_X86_RDX, 2 },
	{ X86_REG_DL, UP_X86_RDX, 1 },  { X86_REG_DH, UP_X86_RDX, 1 },
	{ X86_REG_RSI, UP_X86_RSI, 8 }, { X86_REG_ESI, UP_X86_RSI, 4 },
	{ X86_REG_SI, UP_X86_RSI, 2 },  { X86_REG_SIL, UP_X86_RSI, 1 },
	{ X86_REG_RDI, UP_X86_RDI, 8 }, { X86_REG_EDI, UP_X86_RDI, 4 },
	{ X86_REG_DI, UP_X86_RDI, 2 },  { X86_REG_DIL, UP_X86_RDI, 1 },
	{ X86_REG_RBP, UP_X86_RBP, 8 }, { X86_REG_EBP, UP_X86_RBP, 4 },
	{ X86_REG_BP, UP_X86_RBP, 2 },  { X86_REG_BPL, UP_X86_RBP, 1 },
	{ X86_REG_RSP, UP_X86_RSP, 8 }, { X86_REG_ESP, UP_X86_RSP, 4 },
	{ X86_REG_SP, UP_X86_RSP, 2 },  { X86_REG_SPL, UP_X86_RSP, 1 },
	{ X86_REG_R8, UP_X86_R8, 8 },   { X86_REG_R8D, UP_X86_R8, 4 },
	{ X86_REG_R8W, UP_X86_R8, 2 },  { X86_REG_R8B, UP_X86_R8, 1 },
	{ X86_REG_R9, UP_X86_R9, 8 },   { X86_REG_R9D, UP_X86_R9, 4 },
	{ X86_REG_R9W, UP_X86_R9, 2 },  { X86_REG_R9B, UP_X86_R9, 1 },
	{ X86_REG_R10, UP_X86_R10, 8 }, { X86_REG_R10D, UP_X86_R10, 4 },
	{ X86_REG_R10W, UP_X86_R10, 2 }, { X86_REG_R10B, UP_X86_R10, 1 },
	{ X86_REG_R11, UP_X86_R11, 8 }, { X86_REG_R11D, UP_X86_R11, 4 },
	{ X86_REG_R11W, UP_X86_R11, 2 }, { X86_REG_R11B, UP_X86_R11, 1 },
	{ X86_REG_R12, UP_X86_R12, 8 }, { X86_REG_R12D, UP_X86_R12, 4 },
	{ X86_REG_R12W, UP_X86_R12, 2 }, { X86_REG_R12B, UP_X86_R12, 1 },
	{ X86_REG_R13, UP_X86_R13, 8 }, { X86_REG_R13D, UP_X86_R13, 4 },
	{ X86_REG_R13W, UP_X86_R13, 2 }, { X86_REG_R13B, UP_X86_R13, 1 },
	{ X86_REG_R14, UP_X86_R14, 8 }, { X86_REG_R14D, UP_X86_R14, 4 },
	{ X86_REG_R14W, UP_X86_R14, 2 }, { X86_REG_R14B, UP_X86_R14, 1 },
	{ X86_REG_R15, UP_X86_R15, 8 }, { X86_REG_R15D, UP_X86_R15, 4 },
	{ X86_REG_R15W, UP_X86_R15, 2 }, { X86_REG_R15B, UP_X86_R15, 1 },
};
/* clang-format on */

/* Register numbers as ModRM, SIB and REX encode them, as up_regs indexes. */
/* clang-format off */
static const int8_t enc_to_idx[16] = {
	UP_X86_RAX, UP_X86_RCX, UP_X86_RDX, UP_X86_RBX, UP_X86_RSP, UP_X86_RBP, UP_X86_RSI, UP_X86_RDI,
	UP_X86_R8,  UP_X86_R9,  UP_X86_R10, UP_X86_R11, UP_X86_R12, UP_X86_R13, UP_X86_R14, UP_X86_R15,
};
/* clang-format on */

/* The up_regs index of a general-purpose register and its width; -1 if it is none. */
static int gpr_index(unsigned reg, unsigned *size)
{
	for (size_t i = 0; i < sizeof(gpr_table) / sizeof(gpr_table[0]); i++) {
		if (gpr_table[i].reg == reg) {
			if (size)
				*size = gpr_table[i].size;
			return gpr_table[i].idx;
		}
	}
	return -1;
}

/* Legacy prefixes, as bits of a mask. */
enum {
	PFX_LOCK = 1 << 0,
	PFX_REPNE = 1 << 1,
	PFX_REP = 1 << 2,
	PFX_CS = 1 << 3,
	PFX_SS = 1 << 4,
	PFX_DS = 1 << 5,
	PFX_ES = 1 << 6,
	PFX_FS = 1 << 7,
	PFX_GS = 1 << 8,
	PFX_OPSIZE = 1 << 9,
	PFX_ADDRSIZE = 1 << 10,
};

/* Walks the legacy prefixes; returns the offset of the first byte after them (REX or opcode). */
static unsigned scan_prefixes(const uint8_t *b, unsigned len, unsigned *mask)
{
	unsigned i;

	*mask = 0;
	for (i = 0; i < len; i++) {
		/* clang-format off */
		switch (b[i]) {
		case 0xf0: *mask |= PFX_LOCK; continue;
		case 0xf2: *mask |= PFX_REPNE; continue;
		case 0xf3: *mask |= PFX_REP; continue;
		case 0x2e: *mask |= PFX_CS; continue;
		case 0x36: *mask |= PFX_SS; continue;
		case 0x3e: *mask |= PFX_DS; continue;
		case 0x26: *mask |= PFX_ES; continue;
		case 0x64: *mask |= PFX_FS; continue;
		case 0x65: *mask |= PFX_GS; continue;
		case 0x66: *mask |= PFX_OPSIZE; continue;
		case 0x67: *mask |= PFX_ADDRSIZE; continue;
		}
		/* clang-format on */
		break;
	}
	return i;
}

/* Appends src to the string in dst[size], cutting it short: text is for messages only. */
static void append(char *dst, size_t size, const char *src)
{
	size_t n = strlen(dst);

	while (*src && n + 1 < size)
		dst[n++] = *src++;
	dst[n] = 0;
}

static void set_text(struct up_insn *insn, const char *mnemonic, const char *op_str)
{
	insn->text[0] = 0;
	append(insn->text, sizeof(insn->text), mnemonic);
	if (op_str[0]) {
		append(insn->text, sizeof(insn->text), " ");
		append(insn->text, sizeof(insn->text), op_str);
	}
}

static int refuse(struct up_insn *insn, const char *mnemonic, const char *reason)
{
	insn->action = UP_INSN_REFUSE;
	insn->op = X86_CLASS_NONE;
	insn->why[0] = 0;
	append(insn->why, sizeof(insn->why), mnemonic);
	append(insn->why, sizeof(insn->why), ": ");
	append(insn->why, sizeof(insn->why), reason);
	return 0;
}

/*
 * A 1-byte instruction that is no branch (push %rbp, nop, leave) runs out
 * of line instead: simulated, it would leave PC at addr + 1, exactly where
 * a trap on its breakpoint leaves it, and a tracer killed between the two
 * (include/uptrace/fallback.h) would have the thread run it twice. In a
 * slot, PC says which; and push needs no memory write from the tracer.
 */
static int simulate_as(struct up_insn *insn, enum x86_class op)
{
	if (insn->len == 1 &&
	    (op == X86_CLASS_NOP || op == X86_CLASS_PUSH_REG || op == X86_CLASS_LEAVE)) {
		insn->action = UP_INSN_XOL;
		insn->op = X86_CLASS_XOL;
		return 0;
	}
	insn->action = UP_INSN_SIMULATE;
	insn->op = op;
	return 0;
}

/* What an instruction of these ids can never do out of line; NULL for the rest. */
static const char *forbidden(unsigned id)
{
	switch (id) {
	case X86_INS_INT3:
	case X86_INS_INT:
	case X86_INS_INT1:
	case X86_INS_INTO:
		return "software interrupt cannot be probed";
	case X86_INS_IRET:
	case X86_INS_IRETD:
	case X86_INS_IRETQ:
		return "interrupt return cannot be probed";
	case X86_INS_SYSCALL:
	case X86_INS_SYSENTER:
	case X86_INS_SYSEXIT:
	case X86_INS_SYSRET:
		return "system call instruction cannot run out of line";
	case X86_INS_IN:
	case X86_INS_OUT:
	case X86_INS_INSB:
	case X86_INS_INSW:
	case X86_INS_INSD:
	case X86_INS_OUTSB:
	case X86_INS_OUTSW:
	case X86_INS_OUTSD:
		return "port I/O cannot be probed";
	case X86_INS_HLT:
		return "privileged instruction cannot be probed";
	case X86_INS_UD0:
	case X86_INS_UD2:
	case X86_INS_UD2B:
		return "undefined instruction cannot be probed";
	case X86_INS_XBEGIN:
	case X86_INS_XABORT:
	case X86_INS_XEND:
		return "transactional memory instruction cannot be probed";
	}
	return NULL;
}

/* Jcc ids to their condition nibble (the low 4 bits of opcode 0x7X). */
static int jcc_condition(unsigned id)
{
	switch (id) {
	case X86_INS_JO:
		return 0x0;
	case X86_INS_JNO:
		return 0x1;
	case X86_INS_JB:
		return 0x2;
	case X86_INS_JAE:
		return 0x3;
	case X86_INS_JE:
		return 0x4;
	case X86_INS_JNE:
		return 0x5;
	case X86_INS_JBE:
		return 0x6;
	case X86_INS_JA:
		return 0x7;
	case X86_INS_JS:
		return 0x8;
	case X86_INS_JNS:
		return 0x9;
	case X86_INS_JP:
		return 0xa;
	case X86_INS_JNP:
		return 0xb;
	case X86_INS_JL:
		return 0xc;
	case X86_INS_JGE:
		return 0xd;
	case X86_INS_JLE:
		return 0xe;
	case X86_INS_JG:
		return 0xf;
	}
	return -1;
}

static bool is_branch(const cs_insn *ci)
{
	const cs_detail *d = ci->detail;

	for (unsigned i = 0; i < d->groups_count; i++) {
		switch (d->groups[i]) {
		case X86_GRP_JUMP:
		case X86_GRP_CALL:
		case X86_GRP_RET:
		case X86_GRP_INT:
		case X86_GRP_IRET:
		case X86_GRP_BRANCH_RELATIVE:
			return true;
		}
	}
	return false;
}

/* Indirect call/jmp: a 64-bit register or memory operand into priv[]. */
static int decode_indirect(struct up_insn *insn, const cs_x86_op *o, unsigned prefixes)
{
	int64_t *p = insn->priv;
	unsigned size;

	if (o->size != 8)
		return -1;
	if (o->type == X86_OP_REG) {
		p[X86_IND_KIND] = 0;
		p[X86_IND_BASE] = gpr_index(o->reg, &size);
		return p[X86_IND_BASE] >= 0 && size == 8 ? 0 : -1;
	}
	if (o->type != X86_OP_MEM)
		return -1;
	p[X86_IND_KIND] = 1;
	p[X86_IND_BASE] = -1;
	p[X86_IND_INDEX] = -1;
	p[X86_IND_SCALE] = o->mem.scale;
	p[X86_IND_DISP] = o->mem.disp;
	p[X86_IND_SEGMENT] = -1;
	if (o->mem.base == X86_REG_RIP) {
		p[X86_IND_DISP] = (int64_t)(insn->addr + insn->len + (uint64_t)o->mem.disp);
	} else if (o->mem.base != X86_REG_INVALID) {
		p[X86_IND_BASE] = gpr_index(o->mem.base, &size);
		if (p[X86_IND_BASE] < 0 || size != 8)
			return -1;
	}
	if (o->mem.index != X86_REG_INVALID) {
		p[X86_IND_INDEX] = gpr_index(o->mem.index, &size);
		if (p[X86_IND_INDEX] < 0 || size != 8)
			return -1;
	}
	if (prefixes & PFX_FS)
		p[X86_IND_SEGMENT] = UP_X86_FS_BASE;
	else if (prefixes & PFX_GS)
		p[X86_IND_SEGMENT] = UP_X86_GS_BASE;
	return 0;
}

/* Capstone's branch target must be addr + len + the rel8/rel32 in the bytes. */
static bool relative_target_ok(const struct up_insn *insn, const cs_x86 *x, int64_t target)
{
	unsigned off = x->encoding.imm_offset, size = x->encoding.imm_size;
	int64_t rel;

	if (size == 1 && off + 1 == insn->len) {
		rel = (int8_t)insn->bytes[off];
	} else if (size == 4 && off + 4 == insn->len) {
		int32_t rel32;

		memcpy(&rel32, insn->bytes + off, 4);
		rel = rel32;
	} else {
		return false;
	}
	return (uint64_t)target == insn->addr + insn->len + (uint64_t)rel;
}

/*
 * Branches we simulate; any other branch is refused. Branch hints (2e, 3e:
 * also CET's notrack), bnd (f2) and "rep ret" (f3) change nothing; the
 * operand-size prefix changes the width on some CPUs and is refused unless
 * REX.W overrides it, as is the address-size one except where it selects
 * ecx as the counter; fs/gs only add their base to a memory operand.
 */
static int decode_branch(struct up_insn *insn, const cs_insn *ci, unsigned prefixes)
{
	const cs_x86 *x = &ci->detail->x86;
	const cs_x86_op *o = &x->operands[0];
	unsigned bad = PFX_LOCK | PFX_OPSIZE | PFX_SS | PFX_ES | PFX_FS | PFX_GS | PFX_ADDRSIZE;
	int64_t *p = insn->priv;
	int cc = jcc_condition(ci->id);

	if (ci->id == X86_INS_JRCXZ || ci->id == X86_INS_JECXZ || ci->id == X86_INS_LOOP ||
	    ci->id == X86_INS_LOOPE || ci->id == X86_INS_LOOPNE)
		bad &= ~PFX_ADDRSIZE;
	if ((ci->id == X86_INS_CALL || ci->id == X86_INS_JMP) && o->type == X86_OP_MEM)
		bad &= ~(PFX_FS | PFX_GS);
	/* REX.W wins over 66 (the TLS "data16 data16 rex.W call __tls_get_addr" padding). */
	if (x->rex & 8)
		bad &= ~PFX_OPSIZE;
	if (prefixes & bad)
		return refuse(insn, ci->mnemonic, "branch with this prefix is not simulated");
	if (ci->id != X86_INS_RET && o->type == X86_OP_IMM && !relative_target_ok(insn, x, o->imm))
		return refuse(insn, ci->mnemonic, "unexpected branch encoding");

	if (cc >= 0 && x->op_count == 1 && o->type == X86_OP_IMM) {
		p[0] = o->imm;
		p[1] = cc;
		return simulate_as(insn, X86_CLASS_JCC);
	}
	switch (ci->id) {
	case X86_INS_JRCXZ:
	case X86_INS_JECXZ:
	case X86_INS_LOOP:
	case X86_INS_LOOPE:
	case X86_INS_LOOPNE:
		if (o->type != X86_OP_IMM)
			break;
		p[0] = o->imm;
		p[1] = (prefixes & PFX_ADDRSIZE) ? (int64_t)UINT32_MAX : -1;
		if (ci->id == X86_INS_LOOP)
			return simulate_as(insn, X86_CLASS_LOOP);
		if (ci->id == X86_INS_LOOPE)
			return simulate_as(insn, X86_CLASS_LOOPE);
		if (ci->id == X86_INS_LOOPNE)
			return simulate_as(insn, X86_CLASS_LOOPNE);
		return simulate_as(insn, X86_CLASS_JRCXZ);
	case X86_INS_JMP:
	case X86_INS_CALL:
		if (x->op_count != 1)
			break;
		if (o->type == X86_OP_IMM) {
			p[0] = o->imm;
			return simulate_as(insn,
					   ci->id == X86_INS_JMP ? X86_CLASS_JMP : X86_CLASS_CALL);
		}
		if (decode_indirect(insn, o, prefixes) == 0)
			return simulate_as(insn, ci->id == X86_INS_JMP ? X86_CLASS_JMP_IND
								       : X86_CLASS_CALL_IND);
		break;
	case X86_INS_RET:
		p[0] = x->op_count == 1 && o->type == X86_OP_IMM ? (uint16_t)o->imm : 0;
		return simulate_as(insn, X86_CLASS_RET);
	}
	return refuse(insn, ci->mnemonic, "this kind of branch is not simulated");
}

/* push of a 64-bit register or of a sign-extended immediate. */
static bool decode_push(struct up_insn *insn, const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;
	const cs_x86_op *o = &x->operands[0];
	unsigned size;
	int idx;

	if (x->op_count != 1 || o->size != 8)
		return false;
	if (o->type == X86_OP_REG) {
		idx = gpr_index(o->reg, &size);
		if (idx < 0 || size != 8)
			return false;
		insn->priv[0] = idx;
		simulate_as(insn, X86_CLASS_PUSH_REG);
		return true;
	}
	if (o->type == X86_OP_IMM) {
		insn->priv[0] = o->imm;
		simulate_as(insn, X86_CLASS_PUSH_IMM);
		return true;
	}
	return false;
}

/*
 * mov between two 64- or 32-bit registers, from the encoding itself (89 /r:
 * r/m <- reg; 8b /r: reg <- r/m; mod 11) so operand order is not a question.
 */
static bool decode_mov(struct up_insn *insn, const cs_insn *ci, unsigned prefixes)
{
	const cs_x86 *x = &ci->detail->x86;
	uint8_t rex = x->rex, modrm = x->modrm;
	int reg, rm;

	if ((x->opcode[0] != 0x89 && x->opcode[0] != 0x8b) || x->opcode[1] != 0 ||
	    (modrm >> 6) != 3 || (prefixes & (PFX_OPSIZE | PFX_LOCK)))
		return false;
	reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	rm = (modrm & 7) | ((rex & 1) ? 8 : 0);
	if (x->opcode[0] == 0x89) {
		insn->priv[0] = enc_to_idx[rm];
		insn->priv[1] = enc_to_idx[reg];
	} else {
		insn->priv[0] = enc_to_idx[reg];
		insn->priv[1] = enc_to_idx[rm];
	}
	insn->priv[2] = (rex & 8) ? 8 : 4;
	simulate_as(insn, X86_CLASS_MOV_RR);
	return true;
}

/*
 * add or sub of a sign-extended immediate to a 64-bit register (REX.W 83 /0
 * /5 ib, 81 /0 /5 id, mod 11): the prologue's `sub $N, %rsp`. Its flags are
 * computed exactly by simulate.c.
 */
static bool decode_add_imm(struct up_insn *insn, const cs_insn *ci, unsigned prefixes,
			   unsigned pfx_end)
{
	const cs_x86 *x = &ci->detail->x86;
	const uint8_t *b = insn->bytes;
	unsigned op = x->opcode[0], ext = (x->modrm >> 3) & 7, off = x->encoding.imm_offset;
	int32_t imm32;

	if (prefixes || (x->rex & 8) == 0 || pfx_end != 0 || (op != 0x83 && op != 0x81) ||
	    (x->modrm >> 6) != 3 || (ext != 0 && ext != 5))
		return false;
	if (op == 0x83 && insn->len == 4 && off == 3) {
		insn->priv[1] = (int8_t)b[3];
	} else if (op == 0x81 && insn->len == 7 && off == 3) {
		memcpy(&imm32, b + 3, 4);
		insn->priv[1] = imm32;
	} else {
		return false;
	}
	insn->priv[0] = enc_to_idx[(x->modrm & 7) | ((x->rex & 1) ? 8 : 0)];
	insn->priv[2] = ext == 5;
	simulate_as(insn, X86_CLASS_ADD_IMM);
	return true;
}

/* Is up_regs index idx read or written by the instruction, explicitly or not? */
static bool uses_register(csh handle, const cs_insn *ci, int idx)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;

	if (cs_regs_access(handle, ci, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return true;
	for (unsigned i = 0; i < nrd; i++)
		if (gpr_index(rd[i], NULL) == idx)
			return true;
	for (unsigned i = 0; i < nwr; i++)
		if (gpr_index(wr[i], NULL) == idx)
			return true;
	return false;
}

/*
 * Where ModRM sits, found by walking REX/VEX/XOP/EVEX and the opcode map
 * escapes after the legacy prefixes: a check on Capstone's encoding data
 * before we rewrite bytes by it. 0 when the bytes end too soon.
 */
static unsigned modrm_offset(const uint8_t *b, unsigned len, unsigned i)
{
	if (i < len && (b[i] & 0xf0) == 0x40)
		i++;
	if (i + 1 >= len)
		return 0;
	switch (b[i]) {
	case 0xc5:
		i += 3; /* c5, one payload byte, opcode */
		break;
	case 0xc4:
		i += 4; /* c4, two payload bytes, opcode */
		break;
	case 0x8f:
		if ((b[i + 1] & 0x1f) < 8) { /* pop r/m, not XOP */
			i += 1;
			break;
		}
		i += 4;
		break;
	case 0x62:
		i += 5; /* 62, three payload bytes, opcode */
		break;
	case 0x0f:
		if (b[i + 1] == 0x38 || b[i + 1] == 0x3a)
			i += 3;
		else
			i += 2;
		break;
	default:
		i += 1;
		break;
	}
	return i < len ? i : 0;
}

/*
 * A rip-relative instruction: where its ModRM and disp32 sit, and which
 * register can stand in for rip when the slot is out of disp32 reach (the
 * kernel's fallback). The scratch must be one of the first eight (ModRM.rm
 * with REX.B/VEX.B cleared) and not touched by the instruction; like the
 * kernel, we also avoid whatever ModRM.reg and VEX.vvvv name in their low
 * three bits.
 */
static int decode_riprel(struct up_insn *insn, csh handle, const cs_insn *ci, unsigned pfx_end)
{
	/* rsi rdi rbx rcx rdx rax: the kernel's three first, then the rest of the low eight */
	static const int8_t candidates[] = {6, 7, 3, 1, 2, 0};
	const cs_x86 *x = &ci->detail->x86;
	const uint8_t *b = insn->bytes;
	int64_t *p = insn->priv;
	unsigned m = x->encoding.modrm_offset, d = x->encoding.disp_offset;
	int avoid_reg, avoid_vvvv = -1;
	int32_t disp;

	/* Capstone 4 reports disp_size 2 under a 66 prefix: a rip disp32 is always 4 bytes. */
	if (m == 0 || m != modrm_offset(b, insn->len, pfx_end) || d != m + 1 || d + 4 > insn->len ||
	    (b[m] & 0xc7) != 0x05)
		return refuse(insn, ci->mnemonic, "unexpected rip-relative encoding");
	memcpy(&disp, b + d, 4);
	if (disp != (int32_t)x->disp)
		return refuse(insn, ci->mnemonic, "unexpected rip-relative displacement");
	p[X86_RIP_DISP_OFFSET] = d;
	p[X86_RIP_MODRM_OFFSET] = m;
	p[X86_RIP_TARGET] = (int64_t)(insn->addr + insn->len + (int64_t)disp);
	p[X86_RIP_REX_OFFSET] = -1;
	p[X86_RIP_VEXB_OFFSET] = -1;

	if ((b[pfx_end] & 0xf0) == 0x40) {
		p[X86_RIP_REX_OFFSET] = pfx_end;
	} else if (b[pfx_end] == 0xc4 || b[pfx_end] == 0x62 || b[pfx_end] == 0x8f) {
		/* VEX3, EVEX and XOP: ~R ~X ~B in the top bits of the next byte. */
		p[X86_RIP_VEXB_OFFSET] = pfx_end + 1;
		avoid_vvvv = (~b[pfx_end + 2] >> 3) & 7;
	} else if (b[pfx_end] == 0xc5) {
		avoid_vvvv = (~b[pfx_end + 1] >> 3) & 7;
	}
	avoid_reg = (b[m] >> 3) & 7;

	p[X86_RIP_SCRATCH] = -1;
	for (unsigned i = 0; i < sizeof(candidates); i++) {
		int enc = candidates[i];

		if (enc == avoid_reg || enc == avoid_vvvv)
			continue;
		if (uses_register(handle, ci, enc_to_idx[enc]))
			continue;
		p[X86_RIP_SCRATCH] = enc;
		break;
	}
	insn->action = UP_INSN_XOL;
	insn->op = X86_CLASS_XOL_RIPREL;
	return 0;
}

static bool has_rip_operand(const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;

	for (unsigned i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && x->operands[i].mem.base == X86_REG_RIP)
			return true;
	return false;
}

static int classify(struct up_insn *insn, csh handle, const cs_insn *ci)
{
	const uint8_t *b = insn->bytes;
	const char *why;
	unsigned prefixes, pfx_end = scan_prefixes(b, insn->len, &prefixes);

	/* endbr64/endbr32 (f3 0f 1e fa/fb): nops to a tracer, whatever Capstone calls them. */
	if (insn->len == 4 && b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e &&
	    (b[3] == 0xfa || b[3] == 0xfb)) {
		set_text(insn, b[3] == 0xfa ? "endbr64" : "endbr32", "");
		return simulate_as(insn, X86_CLASS_NOP);
	}
	why = forbidden(ci->id);
	if (why)
		return refuse(insn, ci->mnemonic, why);
	/* 90 without REX.B is nop (41 90 is xchg %eax,%r8d); also 66 90 and 0f 1f /0. */
	if (ci->id == X86_INS_NOP ||
	    (b[pfx_end] == 0x90 && pfx_end + 1 == insn->len && !(prefixes & ~PFX_OPSIZE)))
		return simulate_as(insn, X86_CLASS_NOP);
	if (is_branch(ci))
		return decode_branch(insn, ci, prefixes);
	if (ci->id == X86_INS_PUSH && !(prefixes & (PFX_OPSIZE | PFX_LOCK)) &&
	    decode_push(insn, ci))
		return 0;
	if (ci->id == X86_INS_MOV && decode_mov(insn, ci, prefixes))
		return 0;
	if ((ci->id == X86_INS_ADD || ci->id == X86_INS_SUB) &&
	    decode_add_imm(insn, ci, prefixes, pfx_end))
		return 0;
	if (ci->id == X86_INS_LEAVE && !(prefixes & PFX_OPSIZE) && ci->size == pfx_end + 1)
		return simulate_as(insn, X86_CLASS_LEAVE);
	if (has_rip_operand(ci))
		return decode_riprel(insn, handle, ci, pfx_end);
	insn->action = UP_INSN_XOL;
	insn->op = X86_CLASS_XOL;
	return 0;
}

int up_x86_64_decode(const struct up_arch *a, struct up_insn *insn, uint64_t addr,
		     const uint8_t *bytes, size_t avail)
{
	size_t n = avail < 15 ? avail : 15;
	cs_insn *ci = NULL;
	csh handle;
	int err;

	memset(insn, 0, sizeof(*insn));
	insn->addr = addr;
	memcpy(insn->bytes, bytes, n);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
		insn->len = 1;
		set_text(insn, "(bad)", "");
		refuse(insn, "(bad)", "Capstone cannot be opened");
		return -ENOMEM;
	}
	cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(handle, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	if (n == 0 || cs_disasm(handle, bytes, n, addr, 1, &ci) != 1) {
		insn->len = 1;
		set_text(insn, "(bad)", "");
		refuse(insn, "(bad)", "Capstone cannot decode these bytes");
		err = -EINVAL;
		goto out;
	}
	insn->len = ci->size;
	memset(insn->bytes + insn->len, 0, sizeof(insn->bytes) - insn->len);
	set_text(insn, ci->mnemonic, ci->op_str);
	err = classify(insn, handle, ci);
	cs_free(ci, 1);
out:
	cs_close(&handle);
	return err;
}

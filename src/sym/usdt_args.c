/* SPDX-License-Identifier: MIT */
/*
 * The argument specs of USDT (SystemTap SDT) notes, as <sys/sdt.h> has the
 * assembler write them, turned into fetch programs (probe.h): "SIZE@OPERAND",
 * SIZE 1, 2, 4 or 8 bytes, negative for a signed value, OPERAND in the
 * target architecture's assembler syntax:
 *
 *   x86_64       -4@%edi  8@-80(%rbx)  -8@(%rdx,%rcx,8)  -4@$5  -4@counter(%rip)
 *   aarch64      -4@x1  8@[sp, 12]  8@[x2]  -4@5
 *   riscv64      -4@a0  -8@-24(s0)  -4@5
 *   loongarch64  -4@$r4  -8@-24($r22)  8@[$r3, 16]  -4@5
 *
 * The grammar is the one libbpf's and bcc's USDT support read (learnt from
 * them, written here for our fetch programs). A register operand is the
 * register's value, a memory operand the SIZE bytes at base + index*scale +
 * displacement. A symbol ("counter(%rip)", non-PIC "counter") is left to
 * the caller, who knows the module: it comes back by name, to be added to
 * the fetch's constant. Pure string work: no target, no allocation.
 */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "uptrace/arch.h"
#include "uptrace/sym.h"

#define OPERAND_MAX 128

/* x86_64 registers by every name an operand may use: 64, 32, 16 and 8-bit. */
static const struct {
	const char *name;
	int16_t reg;
} x86_regs[] = {
    {"rax", UP_X86_RAX}, {"eax", UP_X86_RAX},  {"ax", UP_X86_RAX},   {"al", UP_X86_RAX},
    {"rbx", UP_X86_RBX}, {"ebx", UP_X86_RBX},  {"bx", UP_X86_RBX},   {"bl", UP_X86_RBX},
    {"rcx", UP_X86_RCX}, {"ecx", UP_X86_RCX},  {"cx", UP_X86_RCX},   {"cl", UP_X86_RCX},
    {"rdx", UP_X86_RDX}, {"edx", UP_X86_RDX},  {"dx", UP_X86_RDX},   {"dl", UP_X86_RDX},
    {"rsi", UP_X86_RSI}, {"esi", UP_X86_RSI},  {"si", UP_X86_RSI},   {"sil", UP_X86_RSI},
    {"rdi", UP_X86_RDI}, {"edi", UP_X86_RDI},  {"di", UP_X86_RDI},   {"dil", UP_X86_RDI},
    {"rbp", UP_X86_RBP}, {"ebp", UP_X86_RBP},  {"bp", UP_X86_RBP},   {"bpl", UP_X86_RBP},
    {"rsp", UP_X86_RSP}, {"esp", UP_X86_RSP},  {"sp", UP_X86_RSP},   {"spl", UP_X86_RSP},
    {"r8", UP_X86_R8},	 {"r8d", UP_X86_R8},   {"r8w", UP_X86_R8},   {"r8b", UP_X86_R8},
    {"r9", UP_X86_R9},	 {"r9d", UP_X86_R9},   {"r9w", UP_X86_R9},   {"r9b", UP_X86_R9},
    {"r10", UP_X86_R10}, {"r10d", UP_X86_R10}, {"r10w", UP_X86_R10}, {"r10b", UP_X86_R10},
    {"r11", UP_X86_R11}, {"r11d", UP_X86_R11}, {"r11w", UP_X86_R11}, {"r11b", UP_X86_R11},
    {"r12", UP_X86_R12}, {"r12d", UP_X86_R12}, {"r12w", UP_X86_R12}, {"r12b", UP_X86_R12},
    {"r13", UP_X86_R13}, {"r13d", UP_X86_R13}, {"r13w", UP_X86_R13}, {"r13b", UP_X86_R13},
    {"r14", UP_X86_R14}, {"r14d", UP_X86_R14}, {"r14w", UP_X86_R14}, {"r14b", UP_X86_R14},
    {"r15", UP_X86_R15}, {"r15d", UP_X86_R15}, {"r15w", UP_X86_R15}, {"r15b", UP_X86_R15},
};

struct operand {
	const struct up_arch *arch;
	const char *text; /* the whole spec, for messages */
	char *err;
	size_t errlen;
};

static int fail(struct operand *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct operand *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!o->err || !o->errlen)
		return -EINVAL;
	n = snprintf(o->err, o->errlen, "USDT argument '%s': ", o->text);
	if (n >= 0 && (size_t)n < o->errlen) {
		va_start(ap, fmt);
		vsnprintf(o->err + n, o->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* [+-]digits or [+-]0xhex at *p; advances *p. 0, or -EINVAL (none, or too large). */
static int read_int(const char **p, int64_t *out)
{
	const char *s = *p;
	bool neg = false;
	unsigned base = 10;
	uint64_t v = 0;
	int digits = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char)s[2])) {
		base = 16;
		s += 2;
	}
	for (;; s++, digits++) {
		unsigned d;

		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (*s | 0x20) - 'a' + 10;
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	if (!digits || v > (uint64_t)INT64_MAX + neg)
		return -EINVAL;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	*p = s;
	return 0;
}

static bool ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_' || c == '.';
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$' || c == '@';
}

/* A register name at *p (for x86 after its '%'), ended by one of stop; advances *p. */
static int read_reg(struct operand *o, const char **p, const char *stop)
{
	char name[32];
	size_t n = strcspn(*p, stop);

	if (!n || n >= sizeof(name))
		return fail(o, "'%.*s' is not a register", (int)n, *p);
	memcpy(name, *p, n);
	name[n] = '\0';
	*p += n;
	if (o->arch->e_machine == EM_X86_64) {
		for (size_t i = 0; i < sizeof(x86_regs) / sizeof(x86_regs[0]); i++)
			if (!strcmp(x86_regs[i].name, name))
				return x86_regs[i].reg;
		if (!strcmp(name, "ah") || !strcmp(name, "bh") || !strcmp(name, "ch") ||
		    !strcmp(name, "dh"))
			return fail(o, "the high-byte register %%%s is not supported", name);
		return fail(o, "unknown register '%%%s'", name);
	}
	int reg = o->arch->reg_lookup(o->arch, name);
	if (reg < 0)
		return fail(o, "unknown %s register '%s'", o->arch->name, name);
	return reg;
}

static int add(struct up_fetch *f, struct up_fetch_op op, struct operand *o)
{
	if (f->nops >= UP_FETCH_MAX_OPS)
		return fail(o, "too complex");
	f->ops[f->nops++] = op;
	return 0;
}

/*
 * x86_64 (AT&T): $IMM | %REG | [DISP][SYM[+-DISP]]([%BASE][,%INDEX[,SCALE]]) |
 * SYM[+-DISP] (an absolute address, non-PIC code).
 */
static int x86_operand(struct operand *o, const char *s, struct up_fetch *f, unsigned size,
		       char *symbol, size_t symlen)
{
	int64_t disp = 0, more, scale = 1;
	int base = -1, index = -1, err;
	bool rip = false;
	size_t symn = 0;
	const char *sym = NULL;

	if (*s == '$') {
		s++;
		if (read_int(&s, &f->imm) || *s)
			return fail(o, "'$%s' is not a number", s);
		f->base = UP_FETCH_CONST;
		return 0;
	}
	if (*s == '%') {
		s++;
		err = read_reg(o, &s, "");
		if (err < 0)
			return err;
		f->base = UP_FETCH_REG;
		f->reg = (int16_t)err;
		return 0;
	}
	if (*s == '-' || *s == '+' || isdigit((unsigned char)*s)) {
		if (read_int(&s, &disp))
			return fail(o, "bad displacement");
	}
	if (ident_start(*s)) {
		sym = s;
		while (ident_char(*s))
			s++;
		symn = s - sym;
		if ((*s == '+' || *s == '-') && !read_int(&s, &more))
			disp += more;
	}
	if (*s == '(') {
		s++;
		if (*s == '%') {
			s++;
			if (!strncmp(s, "rip", 3) && (s[3] == ')' || s[3] == ',')) {
				rip = true;
				s += 3;
			} else {
				base = read_reg(o, &s, ",)");
				if (base < 0)
					return base;
			}
		}
		if (*s == ',') {
			s++;
			if (*s++ != '%')
				return fail(o, "the index is not a register");
			index = read_reg(o, &s, ",)");
			if (index < 0)
				return index;
			if (*s == ',') {
				s++;
				if (read_int(&s, &scale) ||
				    (scale != 1 && scale != 2 && scale != 4 && scale != 8))
					return fail(o, "scale is not 1, 2, 4 or 8");
			}
		}
		if (*s++ != ')')
			return fail(o, "no ')'");
	}
	if (*s)
		return fail(o, "unexpected '%s'", s);
	if (rip && (!sym || index >= 0))
		return fail(o, "a %%rip-relative operand without a symbol cannot be read");
	if (sym && base >= 0)
		return fail(o, "a symbol with a base register is not supported");
	if (!sym && base < 0 && index < 0)
		return fail(o, "no register and no symbol");
	if (sym) {
		if (symn >= symlen)
			return fail(o, "symbol name too long");
		memcpy(symbol, sym, symn);
		symbol[symn] = '\0';
		f->base = UP_FETCH_CONST;
		f->imm = disp;
		disp = 0;
	} else if (base >= 0) {
		f->base = UP_FETCH_REG;
		f->reg = (int16_t)base;
	} else {
		f->base = UP_FETCH_CONST;
		f->imm = 0;
	}
	if (index >= 0 &&
	    add(f, (struct up_fetch_op){.op = UP_FOP_ADD_REG, .size = (uint8_t)scale, .imm = index},
		o))
		return -EINVAL;
	if (disp && add(f, (struct up_fetch_op){.op = UP_FOP_ADD, .imm = disp}, o))
		return -EINVAL;
	return add(f, (struct up_fetch_op){.op = UP_FOP_LOAD, .size = (uint8_t)size}, o);
}

/*
 * aarch64, riscv64, loongarch64: REG | IMM | #IMM | [REG] | [REG, [#]OFF] |
 * [REG, REG] | OFF(REG). Registers as the arch names them ("x1", "sp",
 * "a0", "s0", "$r4", "$a0").
 */
static int risc_operand(struct operand *o, const char *s, struct up_fetch *f, unsigned size)
{
	int64_t off = 0;
	int base, index = -1;

	if (*s == '[') {
		s++;
		while (*s == ' ')
			s++;
		base = read_reg(o, &s, " ,]");
		if (base < 0)
			return base;
		while (*s == ' ')
			s++;
		if (*s == ',') {
			s++;
			while (*s == ' ')
				s++;
			if (*s == '#') {
				s++;
				if (read_int(&s, &off))
					return fail(o,
						    "offset '#%s' is not a number (a relocation "
						    "cannot be read)",
						    s);
			} else if (*s == '-' || *s == '+' || isdigit((unsigned char)*s)) {
				if (read_int(&s, &off))
					return fail(o, "bad offset");
			} else {
				index = read_reg(o, &s, " ]");
				if (index < 0)
					return index;
			}
			while (*s == ' ')
				s++;
		}
		if (*s++ != ']' || *s)
			return fail(o, "no closing ']'");
	} else if (strchr(s, '(')) {
		if (*s != '(' && read_int(&s, &off))
			return fail(o, "bad offset");
		if (*s++ != '(')
			return fail(o, "no '(' after the offset");
		base = read_reg(o, &s, ")");
		if (base < 0)
			return base;
		if (*s++ != ')' || *s)
			return fail(o, "no closing ')'");
	} else if (*s == '#' || *s == '-' || *s == '+' || isdigit((unsigned char)*s)) {
		if (*s == '#')
			s++;
		if (read_int(&s, &f->imm) || *s)
			return fail(o, "not a number");
		f->base = UP_FETCH_CONST;
		return 0;
	} else {
		base = read_reg(o, &s, "");
		if (base < 0)
			return base;
		f->base = UP_FETCH_REG;
		f->reg = (int16_t)base;
		return 0;
	}
	f->base = UP_FETCH_REG;
	f->reg = (int16_t)base;
	if (index >= 0 &&
	    add(f, (struct up_fetch_op){.op = UP_FOP_ADD_REG, .size = 1, .imm = index}, o))
		return -EINVAL;
	if (off && add(f, (struct up_fetch_op){.op = UP_FOP_ADD, .imm = off}, o))
		return -EINVAL;
	return add(f, (struct up_fetch_op){.op = UP_FOP_LOAD, .size = (uint8_t)size}, o);
}

int up_usdt_arg_parse(const struct up_arch *arch, const char *text, struct up_arg *out,
		      char *symbol, size_t symlen, char *err, size_t errlen)
{
	struct operand o = {.arch = arch, .err = err, .errlen = errlen};
	char spec[OPERAND_MAX + 16], *operand;
	const char *p = text, *start;
	int64_t size = 8;
	bool is_signed = false;
	size_t n;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (symbol && symlen)
		symbol[0] = '\0';
	if (!arch || !text || !out || !symbol || !symlen)
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	start = p;
	/* One spec ends at a blank, except inside [ ] (aarch64's "[sp, 12]"). */
	for (int depth = 0; *p && (depth || (*p != ' ' && *p != '\t')); p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth)
			depth--;
	}
	n = p - start;
	o.text = spec;
	snprintf(spec, sizeof(spec), "%.*s...", (int)(n < 32 ? n : 32), start);
	if (!n)
		return fail(&o, "empty");
	if (n > OPERAND_MAX)
		return fail(&o, "too long");
	memcpy(spec, start, n);
	spec[n] = '\0';

	memset(out, 0, sizeof(*out));
	operand = strchr(spec, '@');
	if (operand) {
		const char *q = spec;

		if (read_int(&q, &size) || q != operand)
			return fail(&o, "the size before '@' is not a number");
		operand++;
	} else if (arch->e_machine == EM_X86_64) {
		operand = spec; /* sdt.h before 1.0 wrote no size: 8 unsigned bytes */
	} else {
		return fail(&o, "no SIZE@ before the operand");
	}
	is_signed = size < 0;
	if (size < 0)
		size = -size;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return fail(&o, "size %lld is not 1, 2, 4 or 8", (long long)size);
	if (arch->e_machine == EM_X86_64)
		ret = x86_operand(&o, operand, &out->fetch, (unsigned)size, symbol, symlen);
	else
		ret = risc_operand(&o, operand, &out->fetch, (unsigned)size);
	if (ret)
		return ret;
	out->type.kind = is_signed ? UP_TYPE_SIGNED : UP_TYPE_UNSIGNED;
	out->type.size = (uint8_t)size;
	return (int)(p - text);
}

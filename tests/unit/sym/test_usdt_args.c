/* SPDX-License-Identifier: MIT */
/*
 * USDT argument specs (src/sym/usdt_args.c): one table per architecture of
 * specs as gcc and <sys/sdt.h> wrote them into real notes (the usdt fixture
 * at -O0 and -O2, python3.11, libstdc++), each with the fetch program it
 * must become, evaluated here against a register file and a memory of known
 * contents; then the malformed specs that must be refused with a reason.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "uptrace/arch.h"
#include "uptrace/sym.h"

/* Registers: r[i] = 0x1000 * (i + 1); memory: the byte at address a is (a & 0xff). */
static uint64_t reg_value(int i)
{
	return 0x1000ull * (uint64_t)(i + 1);
}

static uint64_t mem_read(uint64_t addr, unsigned size)
{
	uint64_t v = 0;

	for (unsigned b = 0; b < size; b++)
		v |= (uint64_t)((addr + b) & 0xff) << (8 * b);
	return v;
}

/* What the core does at a hit (its fetch.c), for a fake thread. */
static uint64_t evaluate(const struct up_fetch *f)
{
	uint64_t v = f->base == UP_FETCH_REG ? reg_value(f->reg) : (uint64_t)f->imm;

	for (unsigned i = 0; i < f->nops; i++) {
		const struct up_fetch_op *op = &f->ops[i];

		if (op->op == UP_FOP_ADD)
			v += (uint64_t)op->imm;
		else if (op->op == UP_FOP_ADD_REG)
			v += reg_value((int)op->imm) * op->size;
		else if (op->op == UP_FOP_LOAD)
			v = mem_read(v, op->size);
	}
	return v;
}

struct good {
	const char *spec;
	int type_kind;
	int size;
	uint64_t value;	    /* of the evaluated fetch, before the type's sign/size */
	const char *symbol; /* NULL: none */
};

#define R(i) (0x1000ull * ((i) + 1))

static const struct good x86[] = {
    {"-4@%edi", UP_TYPE_SIGNED, 4, R(UP_X86_RDI)},
    {"8@%rax", UP_TYPE_UNSIGNED, 8, R(UP_X86_RAX)},
    {"1@%dl", UP_TYPE_UNSIGNED, 1, R(UP_X86_RDX)},
    {"-1@%sil", UP_TYPE_SIGNED, 1, R(UP_X86_RSI)},
    {"-2@%r9w", UP_TYPE_SIGNED, 2, R(UP_X86_R9)},
    {"-4@%r12d", UP_TYPE_SIGNED, 4, R(UP_X86_R12)},
    {"-4@$5", UP_TYPE_SIGNED, 4, 5},
    {"-4@$-7", UP_TYPE_SIGNED, 4, (uint64_t)-7},
    {"8@-80(%rbx)", UP_TYPE_UNSIGNED, 8, 0xb7b6b5b4b3b2b1b0ull}, /* rbx 0x2000 - 80 */
    {"-8@(%rdi)", UP_TYPE_SIGNED, 8, 0x0706050403020100ull},
    {"8@16(%rdi)", UP_TYPE_UNSIGNED, 8, 0x1716151413121110ull},
    {"-4@112(%rsp)", UP_TYPE_SIGNED, 4, 0x73727170},
    {"-8@(%rdx,%rcx,8)", UP_TYPE_SIGNED, 8, 0x0706050403020100ull}, /* 0x4000 + 0x3000*8 */
    {"-8@(%rdi,%rax,8)", UP_TYPE_SIGNED, 8, 0x0706050403020100ull},
    {"1@-96(%rbp,%rax,2)", UP_TYPE_UNSIGNED, 1, 0xa0}, /* 0x7000 + 0x2000 - 96 */
    {"-8@fixture_total(%rip)", UP_TYPE_SIGNED, 8, 0x0706050403020100ull, "fixture_total"},
    {"-4@counter+8(%rip)", UP_TYPE_SIGNED, 4, 0x0b0a0908, "counter"},
};

static const struct good a64[] = {
    {"-4@x1", UP_TYPE_SIGNED, 4, R(1)},
    {"-8@x19", UP_TYPE_SIGNED, 8, R(19)},
    {"1@w2", UP_TYPE_UNSIGNED, 1, R(2)},
    {"-4@[sp, 120]", UP_TYPE_SIGNED, 4, 0x7b7a7978},
    {"-8@[x0]", UP_TYPE_SIGNED, 8, 0x0706050403020100ull},
    {"8@[x0, 16]", UP_TYPE_UNSIGNED, 8, 0x1716151413121110ull},
    {"8@[x29, -8]", UP_TYPE_UNSIGNED, 8, 0xfffefdfcfbfaf9f8ull},
    {"-4@[x2, #4]", UP_TYPE_SIGNED, 4, 0x07060504},
    {"-4@5", UP_TYPE_SIGNED, 4, 5},
    {"-4@-7", UP_TYPE_SIGNED, 4, (uint64_t)-7},
};

static const struct good rv64[] = {
    {"-4@a0", UP_TYPE_SIGNED, 4, R(10)},
    {"-8@s0", UP_TYPE_SIGNED, 8, R(8)},
    {"1@a4", UP_TYPE_UNSIGNED, 1, R(14)},
    {"-4@-24(s0)", UP_TYPE_SIGNED, 4, 0xebeae9e8},
    {"-8@8(sp)", UP_TYPE_SIGNED, 8, 0x0f0e0d0c0b0a0908ull},
    {"-8@0(a4)", UP_TYPE_SIGNED, 8, 0x0706050403020100ull},
    {"-4@5", UP_TYPE_SIGNED, 4, 5},
};

static const struct good la64[] = {
    {"-4@$r4", UP_TYPE_SIGNED, 4, R(4)},
    {"8@$a1", UP_TYPE_UNSIGNED, 8, R(5)},
    {"-8@-24($r22)", UP_TYPE_SIGNED, 8, 0xefeeedecebeae9e8ull},
    {"8@[$r3, 16]", UP_TYPE_UNSIGNED, 8, 0x1716151413121110ull},
    {"-4@[$sp]", UP_TYPE_SIGNED, 4, 0x03020100},
    {"-4@5", UP_TYPE_SIGNED, 4, 5},
};

static void check_table(const char *arch_name, const struct good *t, size_t n)
{
	const struct up_arch *a = up_arch_by_name(arch_name);
	char err[256], symbol[64];
	struct up_arg arg;

	assert_non_null(a);
	for (size_t i = 0; i < n; i++) {
		int len =
		    up_usdt_arg_parse(a, t[i].spec, &arg, symbol, sizeof(symbol), err, sizeof(err));
		uint64_t v;

		if (len != (int)strlen(t[i].spec))
			fail_msg("%s '%s': returned %d (%s)", arch_name, t[i].spec, len, err);
		assert_int_equal(arg.type.kind, t[i].type_kind);
		assert_int_equal(arg.type.size, t[i].size);
		assert_string_equal(symbol, t[i].symbol ? t[i].symbol : "");
		v = evaluate(&arg.fetch);
		if (v != t[i].value)
			fail_msg("%s '%s': evaluates to 0x%llx, want 0x%llx", arch_name, t[i].spec,
				 (unsigned long long)v, (unsigned long long)t[i].value);
	}
}

static void test_x86_64(void **state)
{
	check_table("x86_64", x86, sizeof(x86) / sizeof(x86[0]));
}

static void test_aarch64(void **state)
{
	check_table("aarch64", a64, sizeof(a64) / sizeof(a64[0]));
}

static void test_riscv64(void **state)
{
	check_table("riscv64", rv64, sizeof(rv64) / sizeof(rv64[0]));
}

static void test_loongarch64(void **state)
{
	check_table("loongarch64", la64, sizeof(la64) / sizeof(la64[0]));
}

/* A note's whole argument string: specs one after another, aarch64's with blanks inside []. */
static void test_sequence(void **state)
{
	const char *notes = "-4@[sp, 120] -8@x2 1@x2 -8@[x0, 16]";
	const struct up_arch *a = up_arch_by_name("aarch64");
	const char *p = notes;
	char err[256], symbol[64];
	struct up_arg arg;
	int n = 0, len;

	while (*p) {
		len = up_usdt_arg_parse(a, p, &arg, symbol, sizeof(symbol), err, sizeof(err));
		assert_true(len > 0);
		p += len;
		while (*p == ' ')
			p++;
		n++;
	}
	assert_int_equal(n, 4);
}

struct bad {
	const char *arch, *spec, *why;
};

static const struct bad bad[] = {
    {"x86_64", "-4@%ah", "the high-byte register %ah is not supported"},
    {"x86_64", "-4@%xmm0", "unknown register '%xmm0'"},
    {"x86_64", "3@%eax", "size 3 is not 1, 2, 4 or 8"},
    {"x86_64", "-8@(%rdx,%rcx,3)", "scale is not 1, 2, 4 or 8"},
    {"x86_64", "8@16(%rip)", "a %rip-relative operand without a symbol cannot be read"},
    {"x86_64", "8@-80(%rbx", "no ')'"},
    {"x86_64", "8@$x", "is not a number"},
    {"aarch64", "-8@[x26, #:lo12:.LANCHOR0]", "(a relocation cannot be read)"},
    {"aarch64", "-4@[x1, 8", "no closing ']'"},
    {"aarch64", "-4@x31", "unknown aarch64 register 'x31'"},
    {"aarch64", "x1", "no SIZE@ before the operand"},
    {"riscv64", "-4@-24(q9)", "unknown riscv64 register 'q9'"},
    {"riscv64", "-4@99999999999999999999", "not a number"},
    {"loongarch64", "-4@$r40", "unknown loongarch64 register '$r40'"},
    {"x86_64", "", "empty"},
};

static void test_refused(void **state)
{
	char err[256], symbol[64];
	struct up_arg arg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct up_arch *a = up_arch_by_name(bad[i].arch);
		int r = up_usdt_arg_parse(a, bad[i].spec, &arg, symbol, sizeof(symbol), err,
					  sizeof(err));

		if (r != -EINVAL || !strstr(err, bad[i].why))
			fail_msg("%s '%s': returned %d, '%s' (want -EINVAL, '%s')", bad[i].arch,
				 bad[i].spec, r, err, bad[i].why);
		assert_non_null(strstr(err, "USDT argument '"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_x86_64),   cmocka_unit_test(test_aarch64),
	    cmocka_unit_test(test_riscv64),  cmocka_unit_test(test_loongarch64),
	    cmocka_unit_test(test_sequence), cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

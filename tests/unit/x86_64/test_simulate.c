/* SPDX-License-Identifier: MIT */
/*
 * x86_64 simulate(): for each simulated class, registers and a fake memory
 * go in, and the whole register file and the whole memory that come out
 * must be exactly the expected ones (so a stray write fails too). Every
 * jcc condition is checked taken and not taken, in rel8 and rel32 form.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "uptrace/arch.h"
#include "insn_table.h"

#define ADDR 0x401000ull
#define RSP0 0x7fff8000ull
#define STACK_BASE 0x7fff7000ull
#define DATA_BASE 0x600000ull
#define REGION 0x2000

#define CF 0x001ull
#define PF 0x004ull
#define ZF 0x040ull
#define SF 0x080ull
#define OF 0x800ull

/* Fake memory: a stack and a data page; anything else faults. */
static uint8_t stack_mem[REGION], data_mem[REGION];

/* Where addr lives in a pair of stack and data images; NULL outside them. */
static uint8_t *where_in(uint8_t *stack, uint8_t *data, uint64_t addr, size_t len)
{
	if (addr >= STACK_BASE && addr + len <= STACK_BASE + REGION)
		return stack + (addr - STACK_BASE);
	if (addr >= DATA_BASE && addr + len <= DATA_BASE + REGION)
		return data + (addr - DATA_BASE);
	return NULL;
}

static uint8_t *where(uint64_t addr, size_t len)
{
	return where_in(stack_mem, data_mem, addr, len);
}

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	uint8_t *p = where(addr, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

static int fake_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	uint8_t *p = where(addr, len);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

static const struct up_mem mem = {NULL, fake_read, fake_write};

static void poke(uint64_t addr, uint64_t v)
{
	uint8_t *p = where(addr, 8);

	assert_non_null(p);
	memcpy(p, &v, 8);
}

/* Register values: idx1 is the up_regs index + 1, so 0 ends a list. */
struct reg_val {
	int idx1;
	uint64_t val;
};
#define R(name, v) {UP_X86_##name + 1, (v)}

struct mem_val {
	uint64_t addr; /* 0 ends a list */
	uint64_t val;
};

struct sim_case {
	const char *hex;
	struct reg_val in[4];
	struct mem_val mem_in[2];
	struct reg_val out[4];
	struct mem_val mem_out[2];
};

/* clang-format off */
static const struct sim_case cases[] = {
	/* nops */
	{ "66 90", {}, {}, { R(RIP, ADDR + 2) } },
	{ "0f 1f 44 00 00", {}, {}, { R(RIP, ADDR + 5) } },
	{ "66 2e 0f 1f 84 00 00 00 00 00", {}, {}, { R(RIP, ADDR + 10) } },
	{ "f3 0f 1e fa", {}, {}, { R(RIP, ADDR + 4) } },
	{ "f3 0f 1e fb", {}, {}, { R(RIP, ADDR + 4) } },
	/* push */
	{ "41 55", { R(R13, 0xabc) }, {}, { R(RIP, ADDR + 2), R(RSP, RSP0 - 8) },
	  { { RSP0 - 8, 0xabc } } },
	{ "41 57", { R(R15, 0x1515) }, {}, { R(RIP, ADDR + 2), R(RSP, RSP0 - 8) },
	  { { RSP0 - 8, 0x1515 } } },
	{ "41 54", { R(R12, 0x1212) }, {}, { R(RIP, ADDR + 2), R(RSP, RSP0 - 8) },
	  { { RSP0 - 8, 0x1212 } } },
	{ "ff f5", { R(RBP, 0x5555) }, {}, { R(RIP, ADDR + 2), R(RSP, RSP0 - 8) },
	  { { RSP0 - 8, 0x5555 } } },
	{ "6a ff", {}, {}, { R(RIP, ADDR + 2), R(RSP, RSP0 - 8) }, { { RSP0 - 8, ~0ull } } },
	{ "68 00 01 00 00", {}, {}, { R(RIP, ADDR + 5), R(RSP, RSP0 - 8) },
	  { { RSP0 - 8, 0x100 } } },
	{ "68 00 00 00 80", {}, {}, { R(RIP, ADDR + 5), R(RSP, RSP0 - 8) },
	  { { RSP0 - 8, 0xffffffff80000000ull } } },
	/* jmp, call */
	{ "eb 10", {}, {}, { R(RIP, ADDR + 0x12) } },
	{ "eb fe", {}, {}, { R(RIP, ADDR) } },
	{ "e9 00 01 00 00", {}, {}, { R(RIP, ADDR + 0x105) } },
	{ "e9 fb ef ff ff", {}, {}, { R(RIP, ADDR - 0x1000) } },
	{ "e8 00 01 00 00", {}, {}, { R(RIP, ADDR + 0x105), R(RSP, RSP0 - 8) },
	  { { RSP0 - 8, ADDR + 5 } } },
	{ "f2 e8 00 01 00 00", {}, {}, { R(RIP, ADDR + 0x106), R(RSP, RSP0 - 8) },
	  { { RSP0 - 8, ADDR + 6 } } },
	{ "66 66 48 e8 00 01 00 00", {}, {}, { R(RIP, ADDR + 0x108), R(RSP, RSP0 - 8) },
	  { { RSP0 - 8, ADDR + 8 } } },
	/* indirect: register */
	{ "ff d0", { R(RAX, 0x402468) }, {}, { R(RIP, 0x402468), R(RSP, RSP0 - 8) },
	  { { RSP0 - 8, ADDR + 2 } } },
	{ "41 ff d3", { R(R11, 0x402468) }, {}, { R(RIP, 0x402468), R(RSP, RSP0 - 8) },
	  { { RSP0 - 8, ADDR + 3 } } },
	{ "ff e0", { R(RAX, 0x402468) }, {}, { R(RIP, 0x402468) } },
	{ "3e ff e0", { R(RAX, 0x402468) }, {}, { R(RIP, 0x402468) } },
	/* indirect: memory (rip-relative, base+index*scale+disp, fs and gs) */
	{ "ff 15 0a f0 1f 00", {}, { { DATA_BASE + 0x10, 0x402468 } },
	  { R(RIP, 0x402468), R(RSP, RSP0 - 8) }, { { RSP0 - 8, ADDR + 6 } } },
	{ "ff 25 0a f0 1f 00", {}, { { DATA_BASE + 0x10, 0x402468 } }, { R(RIP, 0x402468) } },
	{ "f2 ff 25 09 f0 1f 00", {}, { { DATA_BASE + 0x10, 0x402468 } },
	  { R(RIP, 0x402468) } },
	{ "ff 14 c5 00 00 60 00", { R(RAX, 2) }, { { DATA_BASE + 0x10, 0x402468 } },
	  { R(RIP, 0x402468), R(RSP, RSP0 - 8) }, { { RSP0 - 8, ADDR + 7 } } },
	{ "41 ff 54 24 08", { R(R12, DATA_BASE + 8) }, { { DATA_BASE + 0x10, 0x402468 } },
	  { R(RIP, 0x402468), R(RSP, RSP0 - 8) }, { { RSP0 - 8, ADDR + 5 } } },
	{ "ff 64 c3 f8", { R(RBX, DATA_BASE), R(RAX, 3) }, { { DATA_BASE + 0x10, 0x402468 } },
	  { R(RIP, 0x402468) } },
	{ "64 ff 14 25 28 00 00 00", { R(FS_BASE, DATA_BASE - 0x18) },
	  { { DATA_BASE + 0x10, 0x402468 } }, { R(RIP, 0x402468), R(RSP, RSP0 - 8) },
	  { { RSP0 - 8, ADDR + 8 } } },
	{ "65 ff 10", { R(GS_BASE, DATA_BASE), R(RAX, 0x10) }, { { DATA_BASE + 0x10, 0x402468 } },
	  { R(RIP, 0x402468), R(RSP, RSP0 - 8) }, { { RSP0 - 8, ADDR + 3 } } },
	/* ret */
	{ "c3", {}, { { RSP0, 0x405000 } }, { R(RIP, 0x405000), R(RSP, RSP0 + 8) } },
	{ "f3 c3", {}, { { RSP0, 0x405000 } }, { R(RIP, 0x405000), R(RSP, RSP0 + 8) } },
	{ "c2 08 00", {}, { { RSP0, 0x405000 } }, { R(RIP, 0x405000), R(RSP, RSP0 + 16) } },
	/* mov reg, reg; leave */
	{ "48 89 e5", {}, {}, { R(RIP, ADDR + 3), R(RBP, RSP0) } },
	{ "48 8b ec", {}, {}, { R(RIP, ADDR + 3), R(RBP, RSP0) } },
	{ "4c 89 c7", { R(R8, 0x88) }, {}, { R(RIP, ADDR + 3), R(RDI, 0x88) } },
	{ "49 89 fc", { R(RDI, 0x77) }, {}, { R(RIP, ADDR + 3), R(R12, 0x77) } },
	{ "89 f0", { R(RSI, 0xdeadbeefcafef00dull), R(RAX, ~0ull) }, {},
	  { R(RIP, ADDR + 2), R(RAX, 0xcafef00d) } },
	/* add/sub $imm, reg64, with their flags */
	{ "48 83 ec 10", {}, {}, { R(RIP, ADDR + 4), R(RSP, RSP0 - 0x10), R(EFLAGS, 0x206) } },
	{ "48 81 ec 00 01 00 00", {}, {},
	  { R(RIP, ADDR + 7), R(RSP, RSP0 - 0x100), R(EFLAGS, 0x206) } },
	{ "48 83 c4 08", { R(EFLAGS, 0x202 | CF | ZF) }, {},
	  { R(RIP, ADDR + 4), R(RSP, RSP0 + 8), R(EFLAGS, 0x202) } },
	{ "48 83 e8 01", { R(RAX, 0) }, {},
	  { R(RIP, ADDR + 4), R(RAX, ~0ull), R(EFLAGS, 0x297) } },
	{ "48 83 c0 01", { R(RAX, 0x7fffffffffffffffull) }, {},
	  { R(RIP, ADDR + 4), R(RAX, 0x8000000000000000ull), R(EFLAGS, 0xa96) } },
	{ "48 83 e8 05", { R(RAX, 5), R(EFLAGS, 0x202 | CF | SF | OF) }, {},
	  { R(RIP, ADDR + 4), R(RAX, 0), R(EFLAGS, 0x246) } },
	{ "49 83 c7 01", { R(R15, ~0ull) }, {}, { R(RIP, ADDR + 4), R(R15, 0), R(EFLAGS, 0x257) } },
	/* jrcxz, loop */
	{ "e3 05", { R(RCX, 0) }, {}, { R(RIP, ADDR + 7) } },
	{ "e3 05", { R(RCX, 1) }, {}, { R(RIP, ADDR + 2) } },
	{ "e3 05", { R(RCX, 0x100000000ull) }, {}, { R(RIP, ADDR + 2) } },
	{ "67 e3 05", { R(RCX, 0x100000000ull) }, {}, { R(RIP, ADDR + 8) } },
	{ "e2 05", { R(RCX, 2) }, {}, { R(RIP, ADDR + 7), R(RCX, 1) } },
	{ "e2 05", { R(RCX, 1) }, {}, { R(RIP, ADDR + 2), R(RCX, 0) } },
	{ "e2 05", { R(RCX, 0) }, {}, { R(RIP, ADDR + 7), R(RCX, ~0ull) } },
	{ "67 e2 05", { R(RCX, 0x100000001ull) }, {}, { R(RIP, ADDR + 3), R(RCX, 0) } },
	{ "67 e2 05", { R(RCX, 0x100000000ull) }, {}, { R(RIP, ADDR + 8), R(RCX, 0xffffffff) } },
	{ "e1 05", { R(RCX, 5), R(EFLAGS, 0x202 | ZF) }, {}, { R(RIP, ADDR + 7), R(RCX, 4) } },
	{ "e1 05", { R(RCX, 5) }, {}, { R(RIP, ADDR + 2), R(RCX, 4) } },
	{ "e1 05", { R(RCX, 1), R(EFLAGS, 0x202 | ZF) }, {}, { R(RIP, ADDR + 2), R(RCX, 0) } },
	{ "e0 05", { R(RCX, 5), R(EFLAGS, 0x202 | ZF) }, {}, { R(RIP, ADDR + 2), R(RCX, 4) } },
	{ "e0 05", { R(RCX, 5) }, {}, { R(RIP, ADDR + 7), R(RCX, 4) } },
	{ "e0 05", { R(RCX, 1) }, {}, { R(RIP, ADDR + 2), R(RCX, 0) } },
};
/* clang-format on */

static const struct up_arch *arch(void)
{
	const struct up_arch *a = up_arch_by_name("x86_64");

	assert_non_null(a);
	return a;
}

static void base_regs(struct up_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	for (int i = 0; i < UP_X86_NREGS; i++)
		regs->r[i] = 0x1111000000000000ull + (uint64_t)i * 0x10101;
	regs->r[UP_X86_RSP] = RSP0;
	regs->r[UP_X86_RIP] = ADDR;
	regs->r[UP_X86_EFLAGS] = 0x202;
}

static void decode_hex(const char *hex, struct up_insn *insn)
{
	uint8_t bytes[16];
	size_t n = insn_case_bytes(hex, bytes, sizeof(bytes));

	assert_int_equal(arch()->decode(arch(), insn, ADDR, bytes, n), 0);
	if (insn->action != UP_INSN_SIMULATE)
		fail_msg("%s ('%s') is not simulated: %s", hex, insn->text, insn->why);
	assert_int_equal(insn->len, n);
}

static void run_case(const struct sim_case *c)
{
	static uint8_t want_stack[REGION], want_data[REGION];
	struct up_regs regs, want;
	struct up_insn insn;
	int err;

	decode_hex(c->hex, &insn);
	memset(stack_mem, 0x5a, sizeof(stack_mem));
	memset(data_mem, 0xa5, sizeof(data_mem));
	base_regs(&regs);
	for (const struct reg_val *r = c->in; r < c->in + 4 && r->idx1; r++)
		regs.r[r->idx1 - 1] = r->val;
	for (const struct mem_val *m = c->mem_in; m < c->mem_in + 2 && m->addr; m++)
		poke(m->addr, m->val);

	want = regs;
	for (const struct reg_val *r = c->out; r < c->out + 4 && r->idx1; r++)
		want.r[r->idx1 - 1] = r->val;
	memcpy(want_stack, stack_mem, REGION);
	memcpy(want_data, data_mem, REGION);
	for (const struct mem_val *m = c->mem_out; m < c->mem_out + 2 && m->addr; m++) {
		uint8_t *p = where_in(want_stack, want_data, m->addr, 8);

		assert_non_null(p);
		memcpy(p, &m->val, 8);
	}

	err = arch()->simulate(arch(), &insn, &regs, &mem);
	if (err)
		fail_msg("%s ('%s'): simulate returned %d", c->hex, insn.text, err);
	for (int i = 0; i < UP_REGS_MAX; i++)
		if (regs.r[i] != want.r[i])
			fail_msg("%s ('%s'): %s is %#llx, want %#llx", c->hex, insn.text,
				 i < UP_X86_NREGS ? arch()->reg_names[i] : "?",
				 (unsigned long long)regs.r[i], (unsigned long long)want.r[i]);
	if (memcmp(stack_mem, want_stack, REGION) != 0 || memcmp(data_mem, want_data, REGION) != 0)
		fail_msg("%s ('%s'): memory differs from the expected", c->hex, insn.text);
}

static void test_cases(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* Each condition with flags that take it and flags that do not. */
/* clang-format off */
static const struct {
	uint8_t cc;
	uint64_t flags;
	bool taken;
} jcc_cases[] = {
	{ 0x0, OF, true },	{ 0x0, 0, false },	/* jo */
	{ 0x1, 0, true },	{ 0x1, OF, false },	/* jno */
	{ 0x2, CF, true },	{ 0x2, ZF, false },	/* jb */
	{ 0x3, ZF, true },	{ 0x3, CF, false },	/* jae */
	{ 0x4, ZF, true },	{ 0x4, CF, false },	/* je */
	{ 0x5, CF, true },	{ 0x5, ZF, false },	/* jne */
	{ 0x6, CF, true },	{ 0x6, ZF, true },	{ 0x6, SF, false },	/* jbe */
	{ 0x7, 0, true },	{ 0x7, CF, false },	{ 0x7, ZF, false },	/* ja */
	{ 0x8, SF, true },	{ 0x8, OF, false },	/* js */
	{ 0x9, OF, true },	{ 0x9, SF, false },	/* jns */
	{ 0xa, PF, true },	{ 0xa, CF, false },	/* jp */
	{ 0xb, 0, true },	{ 0xb, PF, false },	/* jnp */
	{ 0xc, SF, true },	{ 0xc, OF, true },	{ 0xc, SF | OF, false }, { 0xc, ZF, false },
	{ 0xd, 0, true },	{ 0xd, SF | OF, true }, { 0xd, SF, false }, { 0xd, OF, false },
	{ 0xe, ZF, true },	{ 0xe, SF, true },	{ 0xe, 0, false },	{ 0xe, SF | OF, false },
	{ 0xf, 0, true },	{ 0xf, SF | OF, true }, { 0xf, ZF, false },	{ 0xf, OF, false },
};
/* clang-format on */

static void test_jcc(void **state)
{
	unsigned seen = 0;

	for (size_t i = 0; i < sizeof(jcc_cases) / sizeof(jcc_cases[0]); i++) {
		for (int wide = 0; wide < 2; wide++) {
			char hex[32];
			struct up_insn insn;
			struct up_regs regs, want;
			uint64_t next = ADDR + (wide ? 6 : 2);

			if (wide)
				snprintf(hex, sizeof(hex), "0f %02x 00 01 00 00",
					 0x80 | jcc_cases[i].cc);
			else
				snprintf(hex, sizeof(hex), "%02x f0", 0x70 | jcc_cases[i].cc);
			decode_hex(hex, &insn);
			base_regs(&regs);
			regs.r[UP_X86_EFLAGS] = 0x202 | jcc_cases[i].flags;
			want = regs;
			want.r[UP_X86_RIP] =
			    jcc_cases[i].taken ? next + (wide ? 0x100 : -0x10) : next;
			assert_int_equal(arch()->simulate(arch(), &insn, &regs, &mem), 0);
			if (memcmp(&regs, &want, sizeof(regs)) != 0)
				fail_msg("%s ('%s') flags %#llx: rip %#llx, want %#llx", hex,
					 insn.text, (unsigned long long)jcc_cases[i].flags,
					 (unsigned long long)regs.r[UP_X86_RIP],
					 (unsigned long long)want.r[UP_X86_RIP]);
		}
		seen |= 1u << jcc_cases[i].cc;
	}
	assert_int_equal(seen, 0xffff);
}

/* A fault leaves every register as it was and writes nothing. */
static void test_faults(void **state)
{
	static const char *const hex[] = {
	    "c3", "41 55", "e8 00 01 00 00", "ff 15 0a f0 1f 00", "ff 14 c5 00 00 60 00",
	};

	for (size_t i = 0; i < sizeof(hex) / sizeof(hex[0]); i++) {
		struct up_insn insn;
		struct up_regs regs, before;

		decode_hex(hex[i], &insn);
		base_regs(&regs);
		regs.r[UP_X86_RSP] = 0x1000; /* unmapped */
		regs.r[UP_X86_RBP] = 0x1000;
		regs.r[UP_X86_RAX] = 0x10000000;
		memset(stack_mem, 0, sizeof(stack_mem));
		before = regs;
		assert_int_equal(arch()->simulate(arch(), &insn, &regs, &mem), -EFAULT);
		assert_memory_equal(&regs, &before, sizeof(regs));
	}
}

/* simulate() only takes what decode() marked for simulation. */
static void test_not_simulated(void **state)
{
	static const uint8_t and[] = {0x48, 0x83, 0xe4, 0xf0}; /* and $-16, %rsp */
	struct up_insn insn;
	struct up_regs regs;

	assert_int_equal(arch()->decode(arch(), &insn, ADDR, and, sizeof(and)), 0);
	assert_int_equal(insn.action, UP_INSN_XOL);
	base_regs(&regs);
	assert_int_equal(arch()->simulate(arch(), &insn, &regs, &mem), -EINVAL);
	assert_int_equal(regs.r[UP_X86_RIP], ADDR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_jcc),
	    cmocka_unit_test(test_faults),
	    cmocka_unit_test(test_not_simulated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

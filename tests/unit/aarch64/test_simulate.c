/* SPDX-License-Identifier: MIT */
/*
 * simulate() for every simulated class: registers and a fake memory in,
 * registers and memory out. Expected values are worked out here from the
 * Arm ARM's definitions, not from the simulator: every b.cond condition
 * against all sixteen NZCV values, tbz/tbnz on bits >= 32, adrp page
 * arithmetic, literal loads' zero and sign extension, stp/ldp writeback.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "uptrace/arch.h"

#define MEM_BASE 0x7f0000ull
#define MEM_SIZE 0x200
#define PC 0x400abcull

/* A window of target memory; anything outside it faults. */
struct fake_mem {
	uint8_t b[MEM_SIZE];
	unsigned reads, writes;
};

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake_mem *m = ctx;

	if (addr < MEM_BASE || len > MEM_SIZE || addr - MEM_BASE > MEM_SIZE - len)
		return -EFAULT;
	memcpy(buf, m->b + (addr - MEM_BASE), len);
	m->reads++;
	return 0;
}

static int fake_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	struct fake_mem *m = ctx;

	if (addr < MEM_BASE || len > MEM_SIZE || addr - MEM_BASE > MEM_SIZE - len)
		return -EFAULT;
	memcpy(m->b + (addr - MEM_BASE), buf, len);
	m->writes++;
	return 0;
}

static struct fake_mem fmem;
static struct up_mem mem = {&fmem, fake_read, fake_write};
static struct up_regs regs;

static const struct up_arch *arch(void)
{
	const struct up_arch *a = up_arch_by_name("aarch64");

	assert_non_null(a);
	return a;
}

static void put64(uint64_t addr, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		fmem.b[addr - MEM_BASE + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(uint64_t addr)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)fmem.b[addr - MEM_BASE + i] << (8 * i);
	return v;
}

static int setup(void **state)
{
	memset(&fmem, 0, sizeof(fmem));
	memset(&regs, 0, sizeof(regs));
	for (int i = 0; i < 31; i++)
		regs.r[i] = 0x1000 + i;
	regs.r[UP_A64_SP] = MEM_BASE + 0x100;
	return 0;
}

static void decode_at(uint64_t pc, uint32_t word, struct up_insn *insn)
{
	uint8_t b[4] = {word, word >> 8, word >> 16, word >> 24};

	assert_int_equal(arch()->decode(arch(), insn, pc, b, 4), 0);
	if (insn->action != UP_INSN_SIMULATE)
		print_error("0x%08x (%s) is not simulated\n", word, insn->text);
	assert_int_equal(insn->action, UP_INSN_SIMULATE);
}

/* Simulate word at PC; returns the new pc, checks every other register against want. */
static uint64_t run(uint32_t word, const struct up_regs *want)
{
	struct up_insn insn;
	struct up_regs before = regs;

	decode_at(PC, word, &insn);
	regs.r[UP_A64_PC] = PC;
	assert_int_equal(arch()->simulate(arch(), &insn, &regs, &mem), 0);
	if (want) {
		for (int i = 0; i < UP_A64_NREGS; i++) {
			if (i == UP_A64_PC)
				continue;
			if (regs.r[i] != want->r[i])
				print_error("0x%08x: r%d = 0x%llx, want 0x%llx\n", word, i,
					    (unsigned long long)regs.r[i],
					    (unsigned long long)want->r[i]);
			assert_int_equal(regs.r[i], want->r[i]);
		}
	}
	(void)before;
	return regs.r[UP_A64_PC];
}

/* Run with every register but pc expected unchanged, except those the caller sets after. */
static uint64_t run_same(uint32_t word)
{
	struct up_regs want = regs;

	return run(word, &want);
}

static void test_branches(void **state)
{
	struct up_regs want;

	assert_int_equal(run_same(0x14000040), PC + 0x100); /* b .+0x100 */
	assert_int_equal(run_same(0x17fffffe), PC - 8);	    /* b .-8 */
	want = regs;
	want.r[30] = PC + 4;
	assert_int_equal(run(0x95ffffff, &want), PC + 0x7fffffc); /* bl, farthest forward */
	regs.r[30] = 0;
	assert_int_equal(run(0x96000000, &want), PC - 0x8000000); /* bl, farthest back */
}

/* The condition table of the Arm ARM (C1.2.4), written out case by case. */
static bool cond_expected(unsigned cond, unsigned nzcv)
{
	bool n = nzcv & 8, z = nzcv & 4, c = nzcv & 2, v = nzcv & 1;

	switch (cond) {
	case 0x0:
		return z; /* eq */
	case 0x1:
		return !z; /* ne */
	case 0x2:
		return c; /* cs */
	case 0x3:
		return !c; /* cc */
	case 0x4:
		return n; /* mi */
	case 0x5:
		return !n; /* pl */
	case 0x6:
		return v; /* vs */
	case 0x7:
		return !v; /* vc */
	case 0x8:
		return c && !z; /* hi */
	case 0x9:
		return !c || z; /* ls */
	case 0xa:
		return n == v; /* ge */
	case 0xb:
		return n != v; /* lt */
	case 0xc:
		return !z && n == v; /* gt */
	case 0xd:
		return z || n != v; /* le */
	default:
		return true; /* al, nv */
	}
}

static void test_bcond(void **state)
{
	for (unsigned cond = 0; cond < 16; cond++) {
		for (unsigned nzcv = 0; nzcv < 16; nzcv++) {
			uint64_t want_pc = cond_expected(cond, nzcv) ? PC + 0x10 : PC + 4;

			regs.r[UP_A64_PSTATE] = (uint64_t)nzcv << 28 | 0x1000;
			/* b.<cond> .+0x10 */
			if (run_same(0x54000080 | cond) != want_pc)
				print_error("cond %u nzcv %x\n", cond, nzcv);
			assert_int_equal(regs.r[UP_A64_PC], want_pc);
		}
	}
	/* b.ne .-0x10 with Z clear */
	regs.r[UP_A64_PSTATE] = 0;
	assert_int_equal(run_same(0x54ffff81), PC - 0x10);
}

static void test_btype_cleared(void **state)
{
	regs.r[UP_A64_PSTATE] = 0x60000c00; /* Z, C, BTYPE 3 */
	run(0xd503245f, NULL);		    /* bti c */
	assert_int_equal(regs.r[UP_A64_PSTATE], 0x60000000);
}

static void test_cbz_tbz(void **state)
{
	regs.r[3] = 0;
	assert_int_equal(run_same(0xb4000203), PC + 0x40); /* cbz x3, .+0x40 */
	regs.r[3] = 1ull << 40;
	assert_int_equal(run_same(0xb4000203), PC + 4);
	regs.r[4] = 1ull << 32;				/* w4 == 0 */
	assert_int_equal(run_same(0x35fffe04), PC + 4); /* cbnz w4, .-0x40 */
	regs.r[4] = 0x80000000;
	assert_int_equal(run_same(0x35fffe04), PC - 0x40);

	regs.r[5] = ~(1ull << 40);
	assert_int_equal(run_same(0xb6400105), PC + 0x20); /* tbz x5, #40, .+0x20 */
	regs.r[5] = 1ull << 40;
	assert_int_equal(run_same(0xb6400105), PC + 4);
	regs.r[6] = 8;
	assert_int_equal(run_same(0x371fff06), PC - 0x20); /* tbnz w6, #3, .-0x20 */
	regs.r[6] = ~8ull;
	assert_int_equal(run_same(0x371fff06), PC + 4);
	regs.r[7] = 1ull << 63;
	assert_int_equal(run_same(0xb7f8ffe7), PC + 0x1ffc); /* tbnz x7, #63, .+0x1ffc */
	regs.r[7] = ~(1ull << 63);
	assert_int_equal(run_same(0xb7f8ffe7), PC + 4);
}

static void test_adr_adrp(void **state)
{
	struct up_regs want = regs;

	want.r[0] = PC + 0x1234;
	assert_int_equal(run(0x100091a0, &want), PC + 4); /* adr x0, .+0x1234 */
	want.r[1] = PC - 0x100000;
	run(0x10800001, &want); /* adr x1, .-0x100000 */
	/* adrp x2, page + 0x12345: PC's page is 0x400000 */
	want.r[2] = 0x400000 + 0x12345000ull;
	run(0xb0091a22, &want);
	want.r[3] = 0x3ff000; /* adrp x3, page - 1 */
	run(0xf0ffffe3, &want);
}

static void test_register_branches(void **state)
{
	struct up_regs want;

	regs.r[16] = 0x12345678;
	assert_int_equal(run_same(0xd61f0200), 0x12345678); /* br x16 */
	regs.r[8] = 0x5000;
	want = regs;
	want.r[30] = PC + 4;
	assert_int_equal(run(0xd63f0100, &want), 0x5000); /* blr x8 */
	regs.r[30] = 0x6000;
	want = regs;
	want.r[30] = PC + 4;
	assert_int_equal(run(0xd63f03c0, &want), 0x6000); /* blr x30: target read first */
	regs.r[30] = 0x7000;
	assert_int_equal(run_same(0xd65f03c0), 0x7000); /* ret */
	regs.r[2] = 0x8000;
	assert_int_equal(run_same(0xd65f0040), 0x8000); /* ret x2 */
}

static void test_hints(void **state)
{
	assert_int_equal(run_same(0xd503201f), PC + 4); /* nop */
	assert_int_equal(run_same(0xd503241f), PC + 4); /* bti */
	assert_int_equal(run_same(0xd50324df), PC + 4); /* bti jc */
	assert_int_equal(run_same(0xd8000080), PC + 4); /* prfm pldl1keep, .+0x10 */
	assert_int_equal(fmem.reads + fmem.writes, 0);
}

/* ldr literal with the literal placed inside the fake memory. */
static uint64_t ldr_literal(uint32_t opc_v, unsigned rt, uint64_t value)
{
	uint64_t pc = MEM_BASE + 0x40, lit = MEM_BASE + 0x80;
	uint32_t word = opc_v | (uint32_t)((lit - pc) / 4) << 5 | rt;
	struct up_insn insn;

	put64(lit, value);
	decode_at(pc, word, &insn);
	assert_int_equal(arch()->simulate(arch(), &insn, &regs, &mem), 0);
	assert_int_equal(regs.r[UP_A64_PC], pc + 4);
	return regs.r[rt];
}

static void test_ldr_literal(void **state)
{
	struct up_insn insn;
	struct up_regs before;

	assert_int_equal(ldr_literal(0x58000000, 0, 0x8877665544332211), 0x8877665544332211);
	/* 32-bit: zero-extended */
	assert_int_equal(ldr_literal(0x18000000, 1, 0xffffffff80000001), 0x80000001);
	/* ldrsw: sign-extended */
	assert_int_equal(ldr_literal(0x98000000, 2, 0x80000001), 0xffffffff80000001);
	assert_int_equal(ldr_literal(0x98000000, 3, 0x7ffffffe), 0x7ffffffe);
	/* a literal outside memory: the error, registers untouched */
	decode_at(PC, 0x58000200, &insn); /* ldr x0, .+0x40 */
	before = regs;
	assert_int_equal(arch()->simulate(arch(), &insn, &regs, &mem), -EFAULT);
	assert_memory_equal(&regs, &before, sizeof(regs));
}

static void test_pairs(void **state)
{
	uint64_t sp = regs.r[UP_A64_SP];
	struct up_regs want, before;
	struct up_insn insn;

	regs.r[29] = 0x2929;
	regs.r[30] = 0x3030;
	want = regs;
	want.r[UP_A64_SP] = sp - 32;
	run(0xa9be7bfd, &want); /* stp x29, x30, [sp, #-32]! */
	assert_int_equal(get64(sp - 32), 0x2929);
	assert_int_equal(get64(sp - 24), 0x3030);

	regs.r[19] = 0x1919;
	regs.r[20] = 0x2020;
	run_same(0xa90153f3); /* stp x19, x20, [sp, #16] */
	assert_int_equal(get64(sp - 16), 0x1919);
	assert_int_equal(get64(sp - 8), 0x2020);

	regs.r[29] = regs.r[30] = 0;
	want = regs;
	want.r[29] = 0x2929;
	want.r[30] = 0x3030;
	want.r[UP_A64_SP] = sp;
	run(0xa8c27bfd, &want); /* ldp x29, x30, [sp], #32 */

	/* stp w1, w2, [x3, #8]!: two words, x3 written back */
	regs.r[1] = 0xaaaaaaaa11111111;
	regs.r[2] = 0xbbbbbbbb22222222;
	regs.r[3] = MEM_BASE;
	want = regs;
	want.r[3] = MEM_BASE + 8;
	run(0x29810861, &want);
	assert_int_equal(get64(MEM_BASE + 8), 0x2222222211111111);
	/* ldp w1, w2, [x3, #-8]: zero-extended words */
	regs.r[3] = MEM_BASE + 16;
	want = regs;
	want.r[1] = 0x11111111;
	want.r[2] = 0x22222222;
	run(0x297f0861, &want);
	/* ldpsw x4, x5, [x6, #4]: sign-extended words */
	put64(MEM_BASE + 0x24, 0x7fffffff80000000);
	regs.r[6] = MEM_BASE + 0x20;
	want = regs;
	want.r[4] = 0xffffffff80000000;
	want.r[5] = 0x7fffffff;
	run(0x694094c4, &want);
	/* stp xzr, xzr, [sp, #-16]!: zeros */
	put64(sp - 16, 1);
	put64(sp - 8, 1);
	regs.r[UP_A64_SP] = sp;
	want = regs;
	want.r[UP_A64_SP] = sp - 16;
	run(0xa9bf7fff, &want);
	assert_int_equal(get64(sp - 16), 0);
	assert_int_equal(get64(sp - 8), 0);
	/* a store that faults: the error, sp not written back */
	regs.r[UP_A64_SP] = 0x10;
	before = regs;
	decode_at(PC, 0xa9be7bfd, &insn);
	assert_int_equal(arch()->simulate(arch(), &insn, &regs, &mem), -EFAULT);
	assert_memory_equal(&regs, &before, sizeof(regs));
}

static void test_loads_stores(void **state)
{
	uint64_t sp = regs.r[UP_A64_SP];
	struct up_regs want;

	regs.r[19] = 0x1122334455667788;
	run_same(0xf9000bf3); /* str x19, [sp, #16] */
	assert_int_equal(get64(sp + 16), 0x1122334455667788);
	regs.r[19] = 0;
	want = regs;
	want.r[19] = 0x1122334455667788;
	run(0xf9400bf3, &want); /* ldr x19, [sp, #16] */

	regs.r[0] = 0xdeadbeefcafef00d;
	put64(sp + 24, 0);
	run_same(0xb9001fe0); /* str w0, [sp, #28]: four bytes only */
	assert_int_equal(get64(sp + 24), 0xcafef00d00000000);

	put64(MEM_BASE, 0x00000000f0e1d2c3);
	regs.r[2] = MEM_BASE;
	want = regs;
	want.r[1] = 0xd2;
	run(0x39400441, &want); /* ldrb w1, [x2, #1] */
	regs.r[4] = MEM_BASE;
	want = regs;
	want.r[3] = 0xffffffffffffffc3;
	run(0x39800083, &want); /* ldrsb x3, [x4] */
	regs.r[6] = MEM_BASE;
	want = regs;
	want.r[5] = 0xfffff0e1; /* ldrsh w5, [x6, #2]: sign to 32, zero above */
	run(0x79c004c5, &want);

	regs.r[0] = 0xabcdef;
	want = regs;
	want.r[UP_A64_SP] = sp - 16;
	run(0xf81f0fe0, &want); /* str x0, [sp, #-16]! */
	assert_int_equal(get64(sp - 16), 0xabcdef);
	regs.r[0] = 0;
	want = regs;
	want.r[0] = 0xabcdef;
	want.r[UP_A64_SP] = sp;
	run(0xf84107e0, &want); /* ldr x0, [sp], #16 */

	regs.r[29] = MEM_BASE + 0x48;
	regs.r[1] = 0x4242;
	run_same(0xf81f83a1); /* stur x1, [x29, #-8] */
	assert_int_equal(get64(MEM_BASE + 0x40), 0x4242);
	regs.r[3] = MEM_BASE + 0x52;
	regs.r[2] = 0x1234abcd;
	want = regs;
	want.r[3] = MEM_BASE + 0x50;
	run(0x781fec62, &want); /* strh w2, [x3, #-2]! */
	assert_int_equal(get64(MEM_BASE + 0x50) & 0xffffff, 0xabcd);
}

static void test_arithmetic(void **state)
{
	uint64_t sp = regs.r[UP_A64_SP];
	struct up_regs want = regs;

	want.r[29] = sp;
	run(0x910003fd, &want); /* mov x29, sp */
	regs.r[29] = sp - 0x40;
	want = regs;
	want.r[UP_A64_SP] = sp - 0x40;
	run(0x910003bf, &want); /* mov sp, x29 */
	want.r[UP_A64_SP] = sp - 0x30;
	run(0x910043ff, &want); /* add sp, sp, #0x10 */
	want.r[UP_A64_SP] = sp - 0x70;
	run(0xd10103ff, &want); /* sub sp, sp, #0x40 */
	want.r[UP_A64_SP] = sp - 0x1070;
	run(0xd14007ff, &want); /* sub sp, sp, #1, lsl #12 */
	regs.r[1] = 0x1ffffffff;
	want = regs;
	want.r[0] = 3;
	run(0x11001020, &want); /* add w0, w1, #4: wraps in 32 bits */

	regs.r[2] = 0x123456789;
	want = regs;
	want.r[1] = 0x123456789;
	run(0xaa0203e1, &want); /* mov x1, x2 */
	regs.r[4] = 0xffffffff00000005;
	want = regs;
	want.r[3] = 5;
	run(0x2a0403e3, &want); /* mov w3, w4 */

	want.r[0] = 0x10;
	run(0xd2800200, &want); /* mov x0, #0x10 (movz) */
	want.r[1] = 0xfffffffe;
	run(0x12800021, &want); /* mov w1, #-2 (movn, 32-bit) */
	regs.r[2] = 0x1111222233334444;
	want = regs;
	want.r[2] = 0x1234222233334444;
	run(0xf2e24682, &want); /* movk x2, #0x1234, lsl #48 */
	want.r[3] = 0xffffffffffff0000;
	run(0x929fffe3, &want); /* mov x3, #0xffffffffffff0000 (movn) */
}

static void test_not_simulated(void **state)
{
	struct up_insn insn;
	uint8_t b[4] = {0x3f, 0x23, 0x03, 0xd5}; /* paciasp */

	assert_int_equal(arch()->decode(arch(), &insn, PC, b, 4), 0);
	assert_int_equal(insn.action, UP_INSN_XOL);
	assert_int_not_equal(arch()->simulate(arch(), &insn, &regs, &mem), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_branches, setup),
	    cmocka_unit_test_setup(test_bcond, setup),
	    cmocka_unit_test_setup(test_btype_cleared, setup),
	    cmocka_unit_test_setup(test_cbz_tbz, setup),
	    cmocka_unit_test_setup(test_adr_adrp, setup),
	    cmocka_unit_test_setup(test_register_branches, setup),
	    cmocka_unit_test_setup(test_hints, setup),
	    cmocka_unit_test_setup(test_ldr_literal, setup),
	    cmocka_unit_test_setup(test_pairs, setup),
	    cmocka_unit_test_setup(test_loads_stores, setup),
	    cmocka_unit_test_setup(test_arithmetic, setup),
	    cmocka_unit_test_setup(test_not_simulated, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

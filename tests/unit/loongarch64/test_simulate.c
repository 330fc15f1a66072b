/* SPDX-License-Identifier: MIT */
/*
 * loongarch64 simulate(): every simulated class with negative offsets,
 * pcalau12i page arithmetic, pcaddu18i + jirl pairs (the medium code model's
 * far call), lu12i.w sign extension, $zero as source and destination,
 * memory through a fake up_mem, and errors that leave registers unchanged.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "uptrace/arch.h"

#define ADDR 0x120000a40ull /* not page aligned, so pcalau12i's masking shows */
#define MEM_BASE 0x7ff000ull
#define MEM_SIZE 1024

enum { ZERO = 0, RA = 1, SP = 3, A0 = 4, A1 = 5, A2 = 6, A3 = 7, T0 = 12, T1 = 13, T2 = 14 };
enum { T8 = 20, FP = 22, S0 = 23, S1 = 24, S2 = 25 };

static const struct up_arch *la;
#include "../fake_mem.h"

static int sim_at(uint64_t addr, uint32_t word, struct up_regs *regs)
{
	struct up_insn insn;
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(word >> (8 * i));
	assert_int_equal(la->decode(la, &insn, addr, b, 4), 0);
	assert_int_equal(insn.action, UP_INSN_SIMULATE);
	regs->r[UP_LA_PC] = addr;
	return la->simulate(la, &insn, regs, &mem);
}

static int sim(uint32_t word, struct up_regs *regs)
{
	return sim_at(ADDR, word, regs);
}

static void setup_regs(struct up_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	for (int i = 1; i < 32; i++)
		regs->r[i] = 0x1000 * i;
	regs->r[SP] = MEM_BASE + 512;
}

/* Only PC and register reg (-1: none) may differ from the initial state. */
static void expect_only(const struct up_regs *after, uint64_t pc, int reg, uint64_t val)
{
	struct up_regs before;

	setup_regs(&before);
	assert_int_equal(after->r[UP_LA_PC], pc);
	for (int i = 0; i < 32; i++)
		assert_int_equal(after->r[i], i == reg ? val : before.r[i]);
}

static void test_pc_relative(void **state)
{
	struct up_regs r;

	setup_regs(&r);
	assert_int_equal(sim(0x19ffffc4, &r), 0); /* pcaddi $a0, -2 */
	expect_only(&r, ADDR + 4, A0, ADDR - 8);
	setup_regs(&r);
	assert_int_equal(sim(0x1a2468ac, &r), 0); /* pcalau12i $t0, 0x12345 */
	expect_only(&r, ADDR + 4, T0, 0x120000000ull + 0x12345000ull);
	setup_regs(&r);
	assert_int_equal(sim(0x1bffffe5, &r), 0); /* pcalau12i $a1, -1 */
	expect_only(&r, ADDR + 4, A1, 0x11ffff000ull);
	setup_regs(&r);
	assert_int_equal(sim(0x1dffffad, &r), 0); /* pcaddu12i $t1, -3 */
	expect_only(&r, ADDR + 4, T1, ADDR - 0x3000);
	setup_regs(&r);
	assert_int_equal(sim(0x1ffffff4, &r), 0); /* pcaddu18i $t8, -1 */
	expect_only(&r, ADDR + 4, T8, ADDR - 0x40000);
}

/* pcaddu18i $ra, 1 ; jirl $ra, $ra, 8: a call 256 KiB + 8 away. */
static void test_pcaddu18i_jirl(void **state)
{
	struct up_regs r;

	setup_regs(&r);
	assert_int_equal(sim(0x1e000021, &r), 0);
	assert_int_equal(r.r[RA], ADDR + 0x40000);
	assert_int_equal(r.r[UP_LA_PC], ADDR + 4);
	assert_int_equal(sim_at(ADDR + 4, 0x4c000821, &r), 0); /* rj read before rd written */
	assert_int_equal(r.r[UP_LA_PC], ADDR + 0x40000 + 8);
	assert_int_equal(r.r[RA], ADDR + 8);
}

static void test_jumps(void **state)
{
	struct up_regs r;

	setup_regs(&r);
	assert_int_equal(sim(0x53ff03ff, &r), 0); /* b -256 */
	expect_only(&r, ADDR - 256, -1, 0);
	setup_regs(&r);
	assert_int_equal(sim(0x53fffc01, &r), 0); /* b 524284 */
	expect_only(&r, ADDR + 524284, -1, 0);
	setup_regs(&r);
	assert_int_equal(sim(0x54040000, &r), 0); /* bl 1024 */
	expect_only(&r, ADDR + 1024, RA, ADDR + 4);
	setup_regs(&r);
	assert_int_equal(sim(0x57ffffff, &r), 0); /* bl -4 */
	expect_only(&r, ADDR - 4, RA, ADDR + 4);
	setup_regs(&r);
	assert_int_equal(sim(0x4c000181, &r), 0); /* jirl $ra, $t0, 0 */
	expect_only(&r, 0xc000, RA, ADDR + 4);
	setup_regs(&r);
	assert_int_equal(sim(0x4ffff1a1, &r), 0); /* jirl $ra, $t1, -16 */
	expect_only(&r, 0xd000 - 16, RA, ADDR + 4);
	setup_regs(&r);
	assert_int_equal(sim(0x4c000020, &r), 0); /* ret */
	expect_only(&r, 0x1000, -1, 0);
	setup_regs(&r);
	assert_int_equal(sim(0x4c000180, &r), 0); /* jr $t0 */
	expect_only(&r, 0xc000, -1, 0);
}

static void test_branches(void **state)
{
	struct up_regs r;

	setup_regs(&r);
	assert_int_equal(sim(0x58004085, &r), 0); /* beq $a0, $a1, 64: not taken */
	expect_only(&r, ADDR + 4, -1, 0);
	r.r[A1] = r.r[A0];
	assert_int_equal(sim(0x58004085, &r), 0);
	assert_int_equal(r.r[UP_LA_PC], ADDR + 64);
	setup_regs(&r);
	assert_int_equal(sim(0x5fffc180, &r), 0); /* bne $t0, $zero, -64 */
	expect_only(&r, ADDR - 64, -1, 0);
	setup_regs(&r);
	r.r[A2] = (uint64_t)-1;
	r.r[A3] = 1;
	assert_int_equal(sim(0x620000c7, &r), 0); /* blt $a2, $a3, -131072: -1 < 1 */
	assert_int_equal(r.r[UP_LA_PC], ADDR - 131072);
	assert_int_equal(sim(0x640008c7, &r), 0); /* bge $a2, $a3, 8: not taken */
	assert_int_equal(r.r[UP_LA_PC], ADDR + 4);
	r.r[A2] = 1;
	assert_int_equal(sim(0x640008c7, &r), 0); /* equal: taken */
	assert_int_equal(r.r[UP_LA_PC], ADDR + 8);
	setup_regs(&r);
	r.r[S0] = (uint64_t)-1;
	r.r[S1] = 1;
	assert_int_equal(sim(0x6bfffef8, &r), 0); /* bltu $s0, $s1, -4: ~0 not below 1 */
	assert_int_equal(r.r[UP_LA_PC], ADDR + 4);
	r.r[S0] = 0;
	assert_int_equal(sim(0x6bfffef8, &r), 0);
	assert_int_equal(r.r[UP_LA_PC], ADDR - 4);
	setup_regs(&r);
	assert_int_equal(sim(0x6dfffd8d, &r), 0); /* bgeu $t0, $t1, 131068: 0xc000 < 0xd000 */
	assert_int_equal(r.r[UP_LA_PC], ADDR + 4);
	r.r[T0] = (uint64_t)-1;
	assert_int_equal(sim(0x6dfffd8d, &r), 0);
	assert_int_equal(r.r[UP_LA_PC], ADDR + 131068);
	setup_regs(&r);
	assert_int_equal(sim(0x4000009c, &r), 0); /* beqz $a0, -1048576 */
	expect_only(&r, ADDR + 4, -1, 0);
	r.r[A0] = 0;
	assert_int_equal(sim(0x4000009c, &r), 0);
	assert_int_equal(r.r[UP_LA_PC], ADDR - 1048576);
	setup_regs(&r);
	assert_int_equal(sim(0x47ffff23, &r), 0); /* bnez $s2, 1048572 */
	expect_only(&r, ADDR + 1048572, -1, 0);
	r.r[S2] = 0;
	assert_int_equal(sim(0x47ffff23, &r), 0);
	assert_int_equal(r.r[UP_LA_PC], ADDR + 4);
}

static void test_arith(void **state)
{
	const uint64_t sp = MEM_BASE + 512;
	struct up_regs r;

	setup_regs(&r);
	assert_int_equal(sim(0x02ffc063, &r), 0); /* addi.d $sp, $sp, -16 */
	expect_only(&r, ADDR + 4, SP, sp - 16);
	setup_regs(&r);
	assert_int_equal(sim(0x02dffca4, &r), 0); /* addi.d $a0, $a1, 2047 */
	expect_only(&r, ADDR + 4, A0, 0x5000 + 2047);
	setup_regs(&r);
	assert_int_equal(sim(0x001500a4, &r), 0); /* move $a0, $a1 */
	expect_only(&r, ADDR + 4, A0, 0x5000);
	setup_regs(&r);
	r.r[T1] = 0x0f0;
	r.r[T2] = 0xf00;
	assert_int_equal(sim(0x001539ac, &r), 0); /* or $t0, $t1, $t2 */
	assert_int_equal(r.r[T0], 0xff0);
	setup_regs(&r);
	assert_int_equal(sim(0x03bffc84, &r), 0); /* ori $a0, $a0, 4095: zero-extended */
	expect_only(&r, ADDR + 4, A0, 0x4fff);
	setup_regs(&r);
	assert_int_equal(sim(0x0380040c, &r), 0); /* ori $t0, $zero, 1 */
	expect_only(&r, ADDR + 4, T0, 1);
	setup_regs(&r);
	assert_int_equal(sim(0x0343fca4, &r), 0); /* andi $a0, $a1, 255 */
	expect_only(&r, ADDR + 4, A0, 0x5000 & 255);
	setup_regs(&r);
	assert_int_equal(sim(0x15ffffe4, &r), 0); /* lu12i.w $a0, -1 */
	expect_only(&r, ADDR + 4, A0, 0xfffffffffffff000ull);
	setup_regs(&r);
	assert_int_equal(sim(0x142468ac, &r), 0); /* lu12i.w $t0, 0x12345 */
	expect_only(&r, ADDR + 4, T0, 0x12345000);
	setup_regs(&r);
	assert_int_equal(sim(0x15000004, &r), 0); /* lu12i.w $a0, -524288: bit 31 */
	expect_only(&r, ADDR + 4, A0, 0xffffffff80000000ull);
	setup_regs(&r);
	assert_int_equal(sim(0x03400000, &r), 0); /* nop */
	expect_only(&r, ADDR + 4, -1, 0);
	setup_regs(&r);
	r.r[ZERO] = 0x55; /* garbage in r0 must read as zero and stay unwritten */
	assert_int_equal(sim(0x00150000 | 4 << 5 | 0, &r), 0); /* move $zero, $a0 */
	assert_int_equal(r.r[ZERO], 0x55);
	assert_int_equal(sim(0x00150000 | 0 << 5 | A1, &r), 0); /* move $a1, $zero */
	assert_int_equal(r.r[A1], 0);
}

static uint64_t mem64(uint64_t addr)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | memory[addr - MEM_BASE + i];
	return v;
}

static void test_store_load(void **state)
{
	const uint64_t sp = MEM_BASE + 512;
	struct up_regs r;

	memset(memory, 0xee, sizeof(memory));
	setup_regs(&r);
	r.r[RA] = 0x1122334455667788ull;
	assert_int_equal(sim(0x29c02061, &r), 0); /* st.d $ra, $sp, 8 */
	expect_only(&r, ADDR + 4, RA, 0x1122334455667788ull);
	assert_int_equal(mem64(sp + 8), 0x1122334455667788ull);
	assert_int_equal(memory[sp + 16 - MEM_BASE], 0xee);
	assert_int_equal(memory[sp + 7 - MEM_BASE], 0xee);
	setup_regs(&r);
	assert_int_equal(sim(0x29ffe076, &r), 0); /* st.d $fp, $sp, -8 */
	assert_int_equal(mem64(sp - 8), 0x16000);

	setup_regs(&r);
	assert_int_equal(sim(0x28c02061, &r), 0); /* ld.d $ra, $sp, 8 */
	expect_only(&r, ADDR + 4, RA, 0x1122334455667788ull);
	setup_regs(&r);
	r.r[A1] = sp + 2040;
	assert_int_equal(sim(0x28e000a4, &r), 0); /* ld.d $a0, $a1, -2048 */
	assert_int_equal(r.r[A0], 0x16000);
}

static void test_errors(void **state)
{
	struct up_regs r, before;
	struct up_insn insn;

	setup_regs(&r);
	r.r[SP] = 0x100; /* unmapped */
	r.r[UP_LA_PC] = ADDR;
	before = r;
	assert_int_equal(sim(0x28c02061, &r), -EFAULT); /* ld.d $ra, $sp, 8 */
	assert_memory_equal(&r, &before, sizeof(r));
	assert_int_equal(sim(0x29c02061, &r), -EFAULT); /* st.d $ra, $sp, 8 */
	assert_memory_equal(&r, &before, sizeof(r));

	assert_int_equal(la->decode(la, &insn, ADDR, (const uint8_t *)"\x64\x10\x80\x28", 4), 0);
	assert_int_equal(insn.action, UP_INSN_XOL); /* ld.w: not simulated */
	assert_int_equal(la->simulate(la, &insn, &r, &mem), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pc_relative), cmocka_unit_test(test_pcaddu18i_jirl),
	    cmocka_unit_test(test_jumps),	cmocka_unit_test(test_branches),
	    cmocka_unit_test(test_arith),	cmocka_unit_test(test_store_load),
	    cmocka_unit_test(test_errors),
	};

	la = up_arch_by_name("loongarch64");
	if (!la)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

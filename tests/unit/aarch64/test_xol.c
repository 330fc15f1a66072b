/* SPDX-License-Identifier: MIT */
/*
 * xol_build(): the instruction then `b` back to addr + 4 when the slot is
 * within +-128 MiB (the exact encoding, at both ends of the range), else
 * `brk #0` with a trap exit; branches that leave the slot by themselves
 * get -ERANGE far away; non-XOL instructions are not built.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "uptrace/arch.h"

#define ADDR 0x10000000ull

static const struct up_arch *arch(void)
{
	const struct up_arch *a = up_arch_by_name("aarch64");

	assert_non_null(a);
	return a;
}

static void decode(uint32_t word, struct up_insn *insn)
{
	uint8_t b[4] = {word, word >> 8, word >> 16, word >> 24};

	assert_int_equal(arch()->decode(arch(), insn, ADDR, b, 4), 0);
}

static uint32_t word_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Build paciasp's slot at slot_addr; returns the word after the instruction. */
static uint32_t build(uint64_t slot_addr, struct up_xol *xol)
{
	struct up_insn insn;

	decode(0xd503233f, &insn); /* paciasp */
	assert_int_equal(insn.action, UP_INSN_XOL);
	assert_int_equal(arch()->xol_build(arch(), &insn, slot_addr, xol), 0);
	assert_int_equal(xol->len, 8);
	assert_int_equal(word_at(xol->code), 0xd503233f);
	return word_at(xol->code + 4);
}

static void test_near(void **state)
{
	struct up_xol xol;

	/* slot 0x1000 after: b .-0x1000 back to ADDR + 4 */
	assert_int_equal(build(ADDR + 0x1000, &xol), 0x17fffc00);
	assert_int_equal(xol.exit, UP_XOL_EXIT_JUMP);
	/* slot before: b .+0x2000 */
	assert_int_equal(build(ADDR - 0x2000, &xol), 0x14000800);
	/* farthest back the b reaches: -128 MiB */
	assert_int_equal(build(ADDR + 0x8000000, &xol), 0x16000000);
	assert_int_equal(xol.exit, UP_XOL_EXIT_JUMP);
	/* farthest forward: +128 MiB - 4 */
	assert_int_equal(build(ADDR - 0x8000000 + 4, &xol), 0x15ffffff);
	assert_int_equal(xol.exit, UP_XOL_EXIT_JUMP);
}

static void test_far(void **state)
{
	struct up_xol xol;

	assert_int_equal(build(ADDR + 0x8000004, &xol), 0xd4200000);
	assert_int_equal(xol.exit, UP_XOL_EXIT_TRAP);
	assert_int_equal(xol.trap_offset, 4);
	assert_int_equal(build(ADDR - 0x8000000, &xol), 0xd4200000);
	assert_int_equal(xol.exit, UP_XOL_EXIT_TRAP);
	assert_int_equal(build(0x7fff00000000ull, &xol), 0xd4200000);
}

static void test_leave(void **state)
{
	const struct up_arch *a = arch();
	struct up_regs regs = {{0}};
	struct up_xol_state st = {{0}};
	struct up_insn insn;
	struct up_xol xol;

	decode(0xd503233f, &insn);
	assert_int_equal(a->xol_build(a, &insn, 0x7fff00000000ull, &xol), 0);
	a->xol_enter(a, &insn, &xol, 0x7fff00000000ull, &regs, &st);
	assert_int_equal(regs.r[UP_A64_PC], 0x7fff00000000ull);
	regs.r[UP_A64_PC] += xol.trap_offset;
	assert_int_equal(a->xol_leave(a, &insn, &xol, 0x7fff00000000ull, &regs, NULL, &st), 0);
	assert_int_equal(regs.r[UP_A64_PC], ADDR + 4);
}

static void test_branch_away(void **state)
{
	struct up_insn insn;
	struct up_xol xol;

	decode(0xd65f0bff, &insn); /* retaa */
	assert_int_equal(insn.action, UP_INSN_XOL);
	assert_int_equal(arch()->xol_build(arch(), &insn, ADDR + 0x1000, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_JUMP);
	assert_int_equal(arch()->xol_build(arch(), &insn, ADDR + 0x10000000, &xol), -ERANGE);
}

static void test_not_xol(void **state)
{
	struct up_insn insn;
	struct up_xol xol;

	decode(0x14000040, &insn); /* b: simulated */
	assert_int_equal(arch()->xol_build(arch(), &insn, ADDR + 0x1000, &xol), -EINVAL);
	decode(0xc85f7c20, &insn); /* ldxr: refused */
	assert_int_equal(arch()->xol_build(arch(), &insn, ADDR + 0x1000, &xol), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_near),    cmocka_unit_test(test_far),
	    cmocka_unit_test(test_leave),   cmocka_unit_test(test_branch_away),
	    cmocka_unit_test(test_not_xol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * riscv64 xol_build(): a slot is the copied instruction followed by
 * `jal x0, back` within +-1 MiB (expected words made with
 * riscv64-linux-gnu-as), else by an ebreak that the default xol_leave()
 * turns into PC = addr + len.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "uptrace/arch.h"

static const struct up_arch *rv;

static void decode_xol(struct up_insn *insn, uint64_t addr, uint32_t word)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(word >> (8 * i));
	assert_int_equal(rv->decode(rv, insn, addr, b, 4), 0);
	assert_int_equal(insn->action, UP_INSN_XOL);
}

static uint32_t word_at(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_near(void **state)
{
	struct up_insn insn;
	struct up_xol xol;

	/* lw a0,4(a1) at 0x20000, slot 0x30000: back = -0x10000 -> 0x800f006f. */
	decode_xol(&insn, 0x20000, 0x0045a503);
	assert_int_equal(rv->xol_build(rv, &insn, 0x30000, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_JUMP);
	assert_int_equal(xol.len, 8);
	assert_int_equal(word_at(xol.code), 0x0045a503);
	assert_int_equal(word_at(xol.code + 4), 0x800f006f);

	/* Largest forward reach: jal zero,.+0xffffe -> 0x7ffff06f. */
	assert_int_equal(rv->xol_build(rv, &insn, 0x20000 - 0xffffe, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_JUMP);
	assert_int_equal(word_at(xol.code + 4), 0x7ffff06f);

	/* Largest backward reach: jal zero,.-0x100000 -> 0x8000006f. */
	assert_int_equal(rv->xol_build(rv, &insn, 0x20000 + 0x100000, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_JUMP);
	assert_int_equal(word_at(xol.code + 4), 0x8000006f);

	/* A 16-bit instruction keeps its encoding; the jal follows at +2. */
	decode_xol(&insn, 0x10000, 0x41c8); /* c.lw a0,4(a1) */
	assert_int_equal(rv->xol_build(rv, &insn, 0x10000 - 0x802, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_JUMP);
	assert_int_equal(xol.len, 6);
	assert_int_equal(xol.code[0], 0xc8);
	assert_int_equal(xol.code[1], 0x41);
	assert_int_equal(word_at(xol.code + 2), 0x0030006f); /* jal zero,.+0x802 */
}

static void test_far(void **state)
{
	struct up_insn insn;
	struct up_xol xol;
	struct up_regs regs = {0};
	struct up_xol_state st = {0};
	const uint64_t slot = 0x7fff00000000ull;

	/* One step past the forward reach. */
	decode_xol(&insn, 0x20000, 0x0045a503);
	assert_int_equal(rv->xol_build(rv, &insn, 0x20000 - 0x100000, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_TRAP);
	assert_int_equal(rv->xol_build(rv, &insn, 0x20000 + 0x100002, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_TRAP);

	decode_xol(&insn, 0x20000, 0x0045a503);
	assert_int_equal(rv->xol_build(rv, &insn, slot, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_TRAP);
	assert_int_equal(xol.len, 8);
	assert_int_equal(xol.trap_offset, 4);
	assert_int_equal(word_at(xol.code), 0x0045a503);
	assert_int_equal(word_at(xol.code + 4), 0x00100073); /* ebreak */

	decode_xol(&insn, 0x20000, 0x2505); /* c.addiw a0,1 */
	assert_int_equal(rv->xol_build(rv, &insn, slot, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_TRAP);
	assert_int_equal(xol.trap_offset, 2);
	assert_int_equal(xol.len, 6);
	assert_int_equal(word_at(xol.code + 2), 0x00100073);

	/* Enter puts PC in the slot; leaving at the trap resumes after the original. */
	rv->xol_enter(rv, &insn, &xol, slot, &regs, &st);
	assert_int_equal(regs.r[UP_RV_PC], slot);
	regs.r[UP_RV_PC] = slot + xol.trap_offset;
	assert_int_equal(rv->xol_leave(rv, &insn, &xol, slot, &regs, NULL, &st), 0);
	assert_int_equal(regs.r[UP_RV_PC], 0x20002);
}

static void test_not_xol(void **state)
{
	struct up_insn insn;
	struct up_xol xol;

	assert_int_equal(rv->decode(rv, &insn, 0x1000, (const uint8_t *)"\x82\x80", 2), 0);
	assert_int_equal(insn.action, UP_INSN_SIMULATE); /* c.jr ra */
	assert_int_equal(rv->xol_build(rv, &insn, 0x2000, &xol), -EINVAL);
	assert_int_equal(rv->decode(rv, &insn, 0x1000, (const uint8_t *)"\x73\x00\x00\x00", 4), 0);
	assert_int_equal(insn.action, UP_INSN_REFUSE); /* ecall */
	assert_int_equal(rv->xol_build(rv, &insn, 0x2000, &xol), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_near),
	    cmocka_unit_test(test_far),
	    cmocka_unit_test(test_not_xol),
	};

	rv = up_arch_by_name("riscv64");
	if (!rv)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

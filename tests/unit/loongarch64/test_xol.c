/* SPDX-License-Identifier: MIT */
/*
 * loongarch64 xol_build(): a slot is the copied instruction followed by
 * `b back` within +-128 MiB (expected words made with clang-19's
 * assembler), else by `break 0`, which the default xol_leave() turns into
 * PC = addr + 4.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "uptrace/arch.h"

#define ADDR 0x120004000ull
#define LD_W 0x28801064u /* ld.w $a0, $sp, 4 */

static const struct up_arch *la;

static void decode_xol(struct up_insn *insn, uint64_t addr, uint32_t word)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(word >> (8 * i));
	assert_int_equal(la->decode(la, insn, addr, b, 4), 0);
	assert_int_equal(insn->action, UP_INSN_XOL);
}

static uint32_t word_at(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The slot's b sits at slot + 4 and must reach ADDR + 4: offset ADDR - slot. */
static void expect_jump(uint64_t slot, uint32_t b_word)
{
	struct up_insn insn;
	struct up_xol xol;

	decode_xol(&insn, ADDR, LD_W);
	assert_int_equal(la->xol_build(la, &insn, slot, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_JUMP);
	assert_int_equal(xol.len, 8);
	assert_int_equal(word_at(xol.code), LD_W);
	assert_int_equal(word_at(xol.code + 4), b_word);
}

static void test_near(void **state)
{
	expect_jump(ADDR + 256, 0x53ff03ff);	   /* b -256 */
	expect_jump(ADDR - 0x10000, 0x51000000);   /* b 65536 */
	expect_jump(ADDR - 134217724, 0x53fffdff); /* b 134217724: farthest forward */
	expect_jump(ADDR + 134217728, 0x50000200); /* b -134217728: farthest back */
}

static void test_far(void **state)
{
	struct up_insn insn;
	struct up_xol xol;
	struct up_regs regs = {0};
	struct up_xol_state st = {0};
	const uint64_t slot = 0x7fff00000000ull;

	decode_xol(&insn, ADDR, LD_W);
	assert_int_equal(la->xol_build(la, &insn, ADDR - 134217728, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_TRAP); /* one word past the forward reach */
	assert_int_equal(la->xol_build(la, &insn, ADDR + 134217732, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_TRAP);

	assert_int_equal(la->xol_build(la, &insn, slot, &xol), 0);
	assert_int_equal(xol.exit, UP_XOL_EXIT_TRAP);
	assert_int_equal(xol.len, 8);
	assert_int_equal(xol.trap_offset, 4);
	assert_int_equal(word_at(xol.code), LD_W);
	assert_int_equal(word_at(xol.code + 4), 0x002a0000); /* break 0 */

	la->xol_enter(la, &insn, &xol, slot, &regs, &st);
	assert_int_equal(regs.r[UP_LA_PC], slot);
	regs.r[UP_LA_PC] = slot + xol.trap_offset;
	assert_int_equal(la->xol_leave(la, &insn, &xol, slot, &regs, NULL, &st), 0);
	assert_int_equal(regs.r[UP_LA_PC], ADDR + 4);
}

static void test_not_xol(void **state)
{
	struct up_insn insn;
	struct up_xol xol;

	assert_int_equal(la->decode(la, &insn, ADDR, (const uint8_t *)"\x20\x00\x00\x4c", 4), 0);
	assert_int_equal(insn.action, UP_INSN_SIMULATE); /* ret */
	assert_int_equal(la->xol_build(la, &insn, 0x2000, &xol), -EINVAL);
	assert_int_equal(la->decode(la, &insn, ADDR, (const uint8_t *)"\xa4\x00\x00\x20", 4), 0);
	assert_int_equal(insn.action, UP_INSN_REFUSE); /* ll.w */
	assert_int_equal(la->xol_build(la, &insn, 0x2000, &xol), -EINVAL);
	decode_xol(&insn, ADDR, LD_W);
	assert_int_equal(la->xol_build(la, &insn, 0x2002, &xol), -EINVAL); /* misaligned slot */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_near),
	    cmocka_unit_test(test_far),
	    cmocka_unit_test(test_not_xol),
	};

	la = up_arch_by_name("loongarch64");
	if (!la)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

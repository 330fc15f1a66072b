/* SPDX-License-Identifier: MIT */
/*
 * decode() against insn_table.c: the action of every row and the mnemonic
 * of its text; refusals name the instruction and say why; the ops table's
 * constants (breakpoint, registers, qemu's 'g' packet, system calls).
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "insn_table.h"

static const struct up_arch *arch(void)
{
	const struct up_arch *a = up_arch_by_name("aarch64");

	assert_non_null(a);
	return a;
}

static void put_word(uint8_t *b, uint32_t w)
{
	b[0] = (uint8_t)w;
	b[1] = (uint8_t)(w >> 8);
	b[2] = (uint8_t)(w >> 16);
	b[3] = (uint8_t)(w >> 24);
}

/* Every row of the table (tests/unit/aarch64/insn_table.c) decodes as the row says. */
static void test_table(void **state)
{
	insn_table_check(&aarch64_insns);
}

static void expect_refused(uint32_t word, const char *why_part)
{
	struct up_insn insn;
	uint8_t b[4];

	put_word(b, word);
	arch()->decode(arch(), &insn, 0x1000, b, 4);
	assert_int_equal(insn.action, UP_INSN_REFUSE);
	if (!strstr(insn.why, why_part)) {
		print_error("0x%08x: why '%s' lacks '%s'\n", word, insn.why, why_part);
		fail();
	}
}

static void test_reasons(void **state)
{
	expect_refused(0xc85f7c20, "ldxr: exclusive");
	expect_refused(0xc8238440, "stlxp: exclusive");
	expect_refused(0xd4000001, "svc: exception");
	expect_refused(0xd4200000, "brk: exception");
	expect_refused(0xd69f03e0, "eret: exception return");
	expect_refused(0xd51bd041, "msr: writes a system register");
	expect_refused(0xd50342df, "msr: writes PSTATE");
	expect_refused(0x9c000081, "ldr: SIMD&FP literal");
	expect_refused(0xd73f0a11, "blraa: authenticated call");
	expect_refused(0x00000000, "udf");
	expect_refused(0x06000000, "undecodable instruction 0x06000000");
}

static void test_bad_input(void **state)
{
	struct up_insn insn;
	uint8_t b[4] = {0x1f, 0x20, 0x03, 0xd5};

	assert_int_equal(arch()->decode(arch(), &insn, 0x1000, b, 3), -EINVAL);
	assert_int_equal(insn.action, UP_INSN_REFUSE);
	assert_int_equal(arch()->decode(arch(), &insn, 0x1002, b, 4), -EINVAL);
	assert_int_equal(arch()->decode(arch(), &insn, 0x1000, b, 4), 0);
	assert_int_equal(insn.action, UP_INSN_SIMULATE);
	assert_memory_equal(insn.bytes, b, 4);
	assert_int_equal(insn.addr, 0x1000);
}

static void test_ops_table(void **state)
{
	const struct up_arch *a = arch();
	uint8_t bp[4];
	unsigned bytes = 0;

	assert_ptr_equal(up_arch_by_machine(EM_AARCH64), a);
	assert_int_equal(a->breakpoint(a, 0, bp), 4);
	assert_memory_equal(bp, "\x00\x00\x20\xd4", 4);
	assert_int_equal(a->bp_pc_adjust, 0);
	assert_int_equal(a->nregs, 34);
	assert_string_equal(a->reg_names[a->pc_reg], "pc");
	assert_string_equal(a->reg_names[a->sp_reg], "sp");
	assert_string_equal(a->reg_names[a->ra_reg], "x30");
	assert_string_equal(a->reg_names[a->arg_regs[7]], "x7");
	assert_int_equal(a->reg_lookup(a, "x0"), 0);
	assert_int_equal(a->reg_lookup(a, "x30"), 30);
	assert_int_equal(a->reg_lookup(a, "fp"), 29);
	assert_int_equal(a->reg_lookup(a, "lr"), 30);
	assert_int_equal(a->reg_lookup(a, "sp"), UP_A64_SP);
	assert_int_equal(a->reg_lookup(a, "pc"), UP_A64_PC);
	assert_int_equal(a->reg_lookup(a, "pstate"), UP_A64_PSTATE);
	assert_int_equal(a->reg_lookup(a, "w5"), 5);
	assert_int_equal(a->reg_lookup(a, "x31"), -1);
	assert_int_equal(a->reg_lookup(a, "w05"), -1);
	assert_int_equal(a->reg_lookup(a, "rax"), -1);
	assert_int_equal(a->dwarf_reg(a, 0), 0);
	assert_int_equal(a->dwarf_reg(a, 30), 30);
	assert_int_equal(a->dwarf_reg(a, 31), UP_A64_SP);
	assert_int_equal(a->dwarf_reg(a, 32), -1);
	/* qemu-aarch64 7.2 answers 'g' with 268 bytes: x0-x30, sp, pc, cpsr(4) */
	for (unsigned i = 0; i < a->n_gdb_regs; i++)
		bytes += a->gdb_regs[i].size;
	assert_int_equal(bytes, 268);
	assert_int_equal(a->gdb_regs[31].index, UP_A64_SP);
	assert_int_equal(a->gdb_regs[32].index, UP_A64_PC);
	assert_int_equal(a->gdb_regs[33].index, UP_A64_PSTATE);
	assert_int_equal(a->gdb_regs[33].size, 4);
	assert_memory_equal(a->syscall_insn, "\x01\x00\x00\xd4", 4);
	assert_int_equal(a->syscall_nr_reg, 8);
	assert_int_equal(a->nr_mmap, 222);
	assert_int_equal(a->nr_mprotect, 226);
	assert_int_equal(a->nr_munmap, 215);
}

static void test_return_address(void **state)
{
	const struct up_arch *a = arch();
	struct up_regs regs = {{0}};
	uint64_t ret = 0;

	regs.r[UP_A64_LR] = 0x400123;
	assert_int_equal(a->return_address_get(a, &regs, NULL, &ret), 0);
	assert_int_equal(ret, 0x400123);
	assert_int_equal(a->return_address_set(a, &regs, NULL, 0x7000), 0);
	assert_int_equal(regs.r[UP_A64_LR], 0x7000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),	   cmocka_unit_test(test_reasons),
	    cmocka_unit_test(test_bad_input),	   cmocka_unit_test(test_ops_table),
	    cmocka_unit_test(test_return_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

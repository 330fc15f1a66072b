/* SPDX-License-Identifier: MIT */
/*
 * loongarch64 decode() against the shared instruction table (action,
 * mnemonic, a reason naming the instruction when refused), encodings that
 * are no instruction, and the ops table's constants: breakpoint, registers,
 * the qemu 7.2 'g' packet layout, system call ABI.
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

static const struct up_arch *la;

static void la_word_bytes(uint32_t w, uint8_t out[4])
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(w >> (8 * i));
}

/* Every row of the table (tests/unit/loongarch64/insn_table.c) decodes as the row says. */
static void test_table(void **state)
{
	insn_table_check(&loongarch64_insns);
}

static void test_invalid(void **state)
{
	static const uint32_t words[] = {
	    0x00000000,		    /* all zero */
	    0xffffffff, 0x70000000, /* LSX: not decoded */
	    0x002b8000,		    /* hypervisor call space between syscall and alsl.d */
	    0x0114e000,		    /* FP 2R hole */
	};
	struct up_insn insn;
	uint8_t b[4];

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		la_word_bytes(words[i], b);
		print_message("%08x\n", words[i]);
		assert_int_equal(la->decode(la, &insn, 0x1000, b, 4), -EINVAL);
		assert_int_equal(insn.action, UP_INSN_REFUSE);
		assert_non_null(strstr(insn.why, "undecodable"));
	}
	la_word_bytes(0x02ffc063, b); /* addi.d $sp, $sp, -16 */
	assert_int_equal(la->decode(la, &insn, 0x1002, b, 4), -EINVAL);
	assert_non_null(strstr(insn.why, "misaligned"));
	assert_int_equal(la->decode(la, &insn, 0x1000, b, 3), -EINVAL);
	assert_int_equal(insn.action, UP_INSN_REFUSE);
}

static void test_breakpoint(void **state)
{
	uint8_t out[4];
	struct up_insn insn;

	assert_int_equal(la->breakpoint(la, 0, out), 4);
	assert_memory_equal(out, "\x00\x00\x2a\x00", 4);
	assert_int_equal(la->bp_len, 4);
	assert_int_equal(la->bp_pc_adjust, 0);
	assert_int_equal(la->insn_align, 4);
	assert_int_equal(la->max_insn_len, 4);
	assert_int_equal(la->decode(la, &insn, 0, la->bp, 4), 0);
	assert_string_equal(insn.text, "break 0");
	assert_int_equal(insn.action, UP_INSN_REFUSE);
}

static void test_registers(void **state)
{
	assert_int_equal(la->nregs, 35);
	assert_int_equal(la->pc_reg, 33);
	assert_int_equal(la->sp_reg, 3);
	assert_int_equal(la->ra_reg, 1);
	assert_int_equal(la->retval_reg, 4);
	assert_int_equal(la->n_arg_regs, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(la->arg_regs[i], 4 + i);
	assert_string_equal(la->reg_names[0], "r0");
	assert_string_equal(la->reg_names[31], "r31");
	assert_string_equal(la->reg_names[32], "orig_a0");
	assert_string_equal(la->reg_names[33], "pc");
	assert_string_equal(la->reg_names[34], "badv");

	assert_int_equal(la->reg_lookup(la, "r4"), 4);
	assert_int_equal(la->reg_lookup(la, "$r4"), 4);
	assert_int_equal(la->reg_lookup(la, "a0"), 4);
	assert_int_equal(la->reg_lookup(la, "$a7"), 11);
	assert_int_equal(la->reg_lookup(la, "zero"), 0);
	assert_int_equal(la->reg_lookup(la, "ra"), 1);
	assert_int_equal(la->reg_lookup(la, "tp"), 2);
	assert_int_equal(la->reg_lookup(la, "sp"), 3);
	assert_int_equal(la->reg_lookup(la, "t0"), 12);
	assert_int_equal(la->reg_lookup(la, "t8"), 20);
	assert_int_equal(la->reg_lookup(la, "fp"), 22);
	assert_int_equal(la->reg_lookup(la, "s9"), 22);
	assert_int_equal(la->reg_lookup(la, "s0"), 23);
	assert_int_equal(la->reg_lookup(la, "s8"), 31);
	assert_int_equal(la->reg_lookup(la, "pc"), 33);
	assert_int_equal(la->reg_lookup(la, "%sp"), 3);
	assert_int_equal(la->reg_lookup(la, "r32"), -1);
	assert_int_equal(la->reg_lookup(la, "t9"), -1);
	assert_int_equal(la->reg_lookup(la, "x0"), -1);

	assert_int_equal(la->dwarf_reg(la, 0), 0);
	assert_int_equal(la->dwarf_reg(la, 3), 3);
	assert_int_equal(la->dwarf_reg(la, 31), 31);
	assert_int_equal(la->dwarf_reg(la, 32), -1); /* f0 */
}

/* qemu-loongarch64 7.2's 'g' reply: 280 bytes, r0..r31, orig_a0, pc, badv. */
static void test_gdb_layout(void **state)
{
	unsigned total = 0;

	assert_int_equal(la->n_gdb_regs, 35);
	for (int i = 0; i < la->n_gdb_regs; i++) {
		assert_int_equal(la->gdb_regs[i].index, i);
		total += la->gdb_regs[i].size;
	}
	assert_int_equal(total, 280);
	assert_int_equal(la->gdb_regs[33].index, UP_LA_PC);
	assert_string_equal(la->gdb_arch, "loongarch64");
	assert_string_equal(la->qemu_name, "loongarch64");
}

static void test_syscall_abi(void **state)
{
	struct up_insn insn;

	assert_int_equal(la->syscall_len, 4);
	assert_int_equal(la->decode(la, &insn, 0, la->syscall_insn, 4), 0);
	assert_string_equal(insn.text, "syscall 0");
	assert_int_equal(la->syscall_nr_reg, 11);
	for (int i = 0; i < 6; i++)
		assert_int_equal(la->syscall_arg_regs[i], 4 + i);
	assert_int_equal(la->syscall_ret_reg, 4);
	assert_int_equal(la->syscall_restart_reg, -1);
	assert_int_equal(la->nr_mmap, 222);
	assert_int_equal(la->nr_mprotect, 226);
	assert_int_equal(la->nr_munmap, 215);
}

static void test_return_address(void **state)
{
	struct up_regs regs = {0};
	uint64_t ret = 0;

	regs.r[UP_LA_RA] = 0x120001234;
	assert_int_equal(la->return_address_get(la, &regs, NULL, &ret), 0);
	assert_int_equal(ret, 0x120001234);
	assert_int_equal(la->return_address_set(la, &regs, NULL, 0x7000), 0);
	assert_int_equal(regs.r[UP_LA_RA], 0x7000);
	assert_int_equal(regs.r[UP_LA_SP], 0);
}

static void test_lookup(void **state)
{
	assert_ptr_equal(up_arch_by_machine(258), la);
	assert_string_equal(la->name, "loongarch64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),	   cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_breakpoint),	   cmocka_unit_test(test_registers),
	    cmocka_unit_test(test_gdb_layout),	   cmocka_unit_test(test_syscall_abi),
	    cmocka_unit_test(test_return_address), cmocka_unit_test(test_lookup),
	};

	la = up_arch_by_name("loongarch64");
	if (!la) {
		fprintf(stderr, "loongarch64 ops table missing\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

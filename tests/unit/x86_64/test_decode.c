/* SPDX-License-Identifier: MIT */
/*
 * x86_64 decode(): every row of insn_table.c must get the action, length
 * and mnemonic the table gives, and a refusal must name the instruction.
 * Also the ops table's constants and register hooks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <elf.h>
#include <cmocka.h>

#include "uptrace/arch.h"
#include "insn_table.h"

#define ADDR 0x401000

static const struct up_arch *arch(void)
{
	const struct up_arch *a = up_arch_by_machine(EM_X86_64);

	assert_non_null(a);
	return a;
}

/* Every row of the table (tests/unit/x86_64/insn_table.c) decodes as the row says. */
static void test_table(void **state)
{
	insn_table_check(&x86_64_insns);
}

/* Fewer bytes than the instruction needs: not an instruction, refused. */
static void test_truncated(void **state)
{
	static const uint8_t call[] = {0xe8, 0x00, 0x01, 0x00, 0x00};
	struct up_insn insn;

	assert_int_equal(arch()->decode(arch(), &insn, ADDR, call, 3), -EINVAL);
	assert_int_equal(insn.action, UP_INSN_REFUSE);
	assert_non_null(strstr(insn.why, "decode"));
	assert_int_equal(arch()->decode(arch(), &insn, ADDR, call, 0), -EINVAL);
	assert_int_equal(arch()->decode(arch(), &insn, ADDR, call, 5), 0);
	assert_int_equal(insn.action, UP_INSN_SIMULATE);
}

static void test_constants(void **state)
{
	const struct up_arch *a = arch();
	uint8_t bp[4];
	unsigned total = 0;

	assert_ptr_equal(a, up_arch_by_name("x86_64"));
	assert_string_equal(a->qemu_name, "x86_64");
	assert_string_equal(a->gdb_arch, "i386:x86-64");
	assert_int_equal(a->breakpoint(a, 0, bp), 1);
	assert_int_equal(bp[0], 0xf4);
	assert_int_equal(a->bp_pc_adjust, 0);
	assert_int_equal(a->insn_align, 1);
	assert_int_equal(a->max_insn_len, 15);
	assert_int_equal(a->nregs, UP_X86_NREGS);
	assert_int_equal(a->pc_reg, UP_X86_RIP);
	assert_int_equal(a->sp_reg, UP_X86_RSP);
	assert_int_equal(a->ra_reg, -1);
	assert_int_equal(a->retval_reg, UP_X86_RAX);
	assert_int_equal(a->n_arg_regs, 6);
	assert_int_equal(a->arg_regs[0], UP_X86_RDI);
	assert_int_equal(a->arg_regs[3], UP_X86_RCX);
	assert_int_equal(a->arg_regs[5], UP_X86_R9);
	assert_int_equal(a->stack_arg_offset, 8);
	assert_int_equal(a->syscall_len, 2);
	assert_memory_equal(a->syscall_insn, "\x0f\x05", 2);
	assert_int_equal(a->syscall_arg_regs[3], UP_X86_R10);
	assert_int_equal(a->syscall_restart_reg, UP_X86_ORIG_RAX);
	assert_int_equal(a->nr_mmap, 9);
	assert_int_equal(a->nr_mprotect, 10);
	assert_int_equal(a->nr_munmap, 11);

	/* qemu 7.2's 'g' packet for x86_64 is 608 bytes; rip at 128, fs_base at 164. */
	for (unsigned i = 0; i < a->n_gdb_regs; i++) {
		if (a->gdb_regs[i].index == UP_X86_RIP)
			assert_int_equal(total, 128);
		if (a->gdb_regs[i].index == UP_X86_FS_BASE)
			assert_int_equal(total, 164);
		total += a->gdb_regs[i].size;
	}
	assert_int_equal(total, 608);
	assert_int_equal(a->gdb_regs[1].index, UP_X86_RBX);
}

static void test_registers(void **state)
{
	const struct up_arch *a = arch();

	assert_int_equal(a->reg_lookup(a, "rax"), UP_X86_RAX);
	assert_int_equal(a->reg_lookup(a, "%r15"), UP_X86_R15);
	assert_int_equal(a->reg_lookup(a, "pc"), UP_X86_RIP);
	assert_int_equal(a->reg_lookup(a, "ip"), UP_X86_RIP);
	assert_int_equal(a->reg_lookup(a, "sp"), UP_X86_RSP);
	assert_int_equal(a->reg_lookup(a, "orig_rax"), UP_X86_ORIG_RAX);
	assert_int_equal(a->reg_lookup(a, "fs_base"), UP_X86_FS_BASE);
	assert_int_equal(a->reg_lookup(a, "eax"), -1);
	assert_int_equal(a->reg_lookup(a, "x0"), -1);
	for (int i = 0; i < UP_X86_NREGS; i++)
		assert_int_equal(a->reg_lookup(a, a->reg_names[i]), i);

	assert_int_equal(a->dwarf_reg(a, 0), UP_X86_RAX);
	assert_int_equal(a->dwarf_reg(a, 1), UP_X86_RDX);
	assert_int_equal(a->dwarf_reg(a, 2), UP_X86_RCX);
	assert_int_equal(a->dwarf_reg(a, 3), UP_X86_RBX);
	assert_int_equal(a->dwarf_reg(a, 4), UP_X86_RSI);
	assert_int_equal(a->dwarf_reg(a, 5), UP_X86_RDI);
	assert_int_equal(a->dwarf_reg(a, 6), UP_X86_RBP);
	assert_int_equal(a->dwarf_reg(a, 7), UP_X86_RSP);
	assert_int_equal(a->dwarf_reg(a, 8), UP_X86_R8);
	assert_int_equal(a->dwarf_reg(a, 15), UP_X86_R15);
	assert_int_equal(a->dwarf_reg(a, 16), UP_X86_RIP);
	assert_int_equal(a->dwarf_reg(a, 17), -1); /* xmm0 */
	assert_int_equal(a->dwarf_reg(a, 49), UP_X86_EFLAGS);
}

/* One word of fake stack at 0x7000. */
static uint64_t stack_word;

static int word_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	if (addr != 0x7000 || len != 8)
		return -EFAULT;
	memcpy(buf, &stack_word, 8);
	return 0;
}

static int word_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	if (addr != 0x7000 || len != 8)
		return -EFAULT;
	memcpy(&stack_word, buf, 8);
	return 0;
}

static void test_return_address(void **state)
{
	const struct up_arch *a = arch();
	const struct up_mem mem = {NULL, word_read, word_write};
	struct up_regs regs = {{0}};
	uint64_t ret = 0;

	regs.r[UP_X86_RSP] = 0x7000;
	stack_word = 0x401234;
	assert_int_equal(a->return_address_get(a, &regs, &mem, &ret), 0);
	assert_int_equal(ret, 0x401234);
	assert_int_equal(a->return_address_set(a, &regs, &mem, 0x999000), 0);
	assert_int_equal(stack_word, 0x999000);
	assert_int_equal(regs.r[UP_X86_RSP], 0x7000);
	regs.r[UP_X86_RSP] = 0x8000;
	assert_int_equal(a->return_address_get(a, &regs, &mem, &ret), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),	   cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_constants),	   cmocka_unit_test(test_registers),
	    cmocka_unit_test(test_return_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * riscv64 decode() against the shared instruction table (length, action,
 * mnemonic, and a reason naming the instruction when refused), encodings
 * that are no instruction, and the ops table's constants: breakpoint,
 * registers, 'g' packet layout, system call ABI.
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

static const struct up_arch *rv;

/* Every row of the table (tests/unit/riscv64/insn_table.c) decodes as the row says. */
static void test_table(void **state)
{
	insn_table_check(&riscv64_insns);
}

/* A 2-byte instruction needs only 2 bytes; a 4-byte one must not read past avail. */
static void test_short_input(void **state)
{
	const uint8_t c_jr_ra[2] = {0x82, 0x80}, sd[4] = {0x23, 0x3c, 0x11, 0x00};
	struct up_insn insn;

	assert_int_equal(rv->decode(rv, &insn, 0x1000, c_jr_ra, 2), 0);
	assert_int_equal(insn.len, 2);
	assert_int_equal(insn.action, UP_INSN_SIMULATE);
	assert_int_equal(rv->decode(rv, &insn, 0x1000, sd, 2), -EINVAL);
	assert_int_equal(insn.action, UP_INSN_REFUSE);
	assert_int_equal(rv->decode(rv, &insn, 0x1000, sd, 1), -EINVAL);
}

static void test_invalid(void **state)
{
	static const uint32_t words[] = {
	    0x00000000,				  /* the defined illegal 16-bit instruction */
	    0x0000ffff,				  /* 48-bit and longer encodings */
	    0x0000001f,				  /* 48-bit */
	    0x0000707f,				  /* reserved major opcode 0x7f */
	    0x00002063,				  /* branch funct3 2 */
	    0x00007003,				  /* load funct3 7 */
	    0x00004023,				  /* store funct3 4 */
	    0x0000001b | (1u << 12) | (1u << 25), /* slliw with shamt[5] */
	    0x00008000,				  /* c.lwsp-like quadrant 0 funct3 4: reserved */
	    0x00006101,				  /* c.addi16sp sp,0: reserved */
	    0x00008002,				  /* c.jr zero: reserved */
	    0x00006002 | (0 << 7),		  /* c.ldsp zero: reserved */
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		struct up_insn insn;
		uint8_t b[4];

		for (int k = 0; k < 4; k++)
			b[k] = (uint8_t)(words[i] >> (8 * k));
		print_message("%08x\n", words[i]);
		assert_int_equal(rv->decode(rv, &insn, 0x1000, b, 4), -EINVAL);
		assert_int_equal(insn.action, UP_INSN_REFUSE);
		assert_non_null(strstr(insn.why, "undecodable"));
	}
}

/*
 * insn_length() where the length bits tell nothing the sweep could use: the
 * reserved >= 192-bit format, and fewer bytes than a halfword; and the
 * longest format it measures, 176 bits. (Every row of the table has its
 * length checked, against objdump too.)
 */
static void test_insn_length_unknown(void **state)
{
	assert_int_equal(rv->insn_length(rv, (const uint8_t[]){0x7f, 0x70}, 2), 0);
	assert_int_equal(rv->insn_length(rv, (const uint8_t[]){0x13}, 1), 0);
	assert_int_equal(rv->insn_length(rv, (const uint8_t[]){0x7f, 0x60}, 2), 22);
}

static void test_breakpoint(void **state)
{
	uint8_t out[4];

	assert_int_equal(rv->breakpoint(rv, 0x1 /* EF_RISCV_RVC */ | 0x4, out), 2);
	assert_int_equal(out[0], 0x02);
	assert_int_equal(out[1], 0x90);
	assert_int_equal(rv->breakpoint(rv, 0x4 /* float ABI only */, out), 4);
	assert_memory_equal(out, "\x73\x00\x10\x00", 4);
	assert_int_equal(rv->bp_len, 4);
	assert_memory_equal(rv->bp, "\x73\x00\x10\x00", 4);
	assert_int_equal(rv->bp_pc_adjust, 0);
	assert_int_equal(rv->insn_align, 2);
	assert_int_equal(rv->max_insn_len, 4);
}

static void test_registers(void **state)
{
	assert_int_equal(rv->nregs, 33);
	assert_int_equal(rv->pc_reg, UP_RV_PC);
	assert_int_equal(rv->sp_reg, 2);
	assert_int_equal(rv->ra_reg, 1);
	assert_int_equal(rv->retval_reg, 10);
	assert_int_equal(rv->n_arg_regs, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(rv->arg_regs[i], 10 + i);
	assert_string_equal(rv->reg_names[0], "zero");
	assert_string_equal(rv->reg_names[8], "s0");
	assert_string_equal(rv->reg_names[31], "t6");
	assert_string_equal(rv->reg_names[32], "pc");

	assert_int_equal(rv->reg_lookup(rv, "a0"), 10);
	assert_int_equal(rv->reg_lookup(rv, "a7"), 17);
	assert_int_equal(rv->reg_lookup(rv, "s11"), 27);
	assert_int_equal(rv->reg_lookup(rv, "fp"), 8);
	assert_int_equal(rv->reg_lookup(rv, "x0"), 0);
	assert_int_equal(rv->reg_lookup(rv, "x31"), 31);
	assert_int_equal(rv->reg_lookup(rv, "%sp"), 2);
	assert_int_equal(rv->reg_lookup(rv, "pc"), 32);
	assert_int_equal(rv->reg_lookup(rv, "x32"), -1);
	assert_int_equal(rv->reg_lookup(rv, "x01"), -1);
	assert_int_equal(rv->reg_lookup(rv, "x"), -1);
	assert_int_equal(rv->reg_lookup(rv, "rax"), -1);

	assert_int_equal(rv->dwarf_reg(rv, 0), 0);
	assert_int_equal(rv->dwarf_reg(rv, 10), 10);
	assert_int_equal(rv->dwarf_reg(rv, 31), 31);
	assert_int_equal(rv->dwarf_reg(rv, 32), -1); /* f0: not in up_regs */
}

/* qemu-riscv64 7.2's 'g' reply is 264 bytes: x0..x31 then pc, 8 bytes each. */
static void test_gdb_layout(void **state)
{
	unsigned total = 0;

	assert_int_equal(rv->n_gdb_regs, 33);
	for (int i = 0; i < rv->n_gdb_regs; i++) {
		assert_int_equal(rv->gdb_regs[i].index, i);
		total += rv->gdb_regs[i].size;
	}
	assert_int_equal(total, 264);
	assert_int_equal(rv->gdb_regs[32].index, UP_RV_PC);
	assert_string_equal(rv->gdb_arch, "riscv:rv64");
	assert_string_equal(rv->qemu_name, "riscv64");
}

static void test_syscall_abi(void **state)
{
	struct up_insn insn;

	assert_int_equal(rv->syscall_len, 4);
	assert_int_equal(rv->decode(rv, &insn, 0, rv->syscall_insn, 4), 0);
	assert_string_equal(insn.text, "ecall");
	assert_int_equal(rv->syscall_nr_reg, UP_RV_A7);
	for (int i = 0; i < 6; i++)
		assert_int_equal(rv->syscall_arg_regs[i], 10 + i);
	assert_int_equal(rv->syscall_ret_reg, 10);
	assert_int_equal(rv->syscall_restart_reg, -1);
	assert_int_equal(rv->nr_mmap, 222);
	assert_int_equal(rv->nr_mprotect, 226);
	assert_int_equal(rv->nr_munmap, 215);
}

static void test_return_address(void **state)
{
	struct up_regs regs = {0};
	uint64_t ret = 0;

	regs.r[UP_RV_RA] = 0x2a0000;
	assert_int_equal(rv->return_address_get(rv, &regs, NULL, &ret), 0);
	assert_int_equal(ret, 0x2a0000);
	assert_int_equal(rv->return_address_set(rv, &regs, NULL, 0x7000), 0);
	assert_int_equal(regs.r[UP_RV_RA], 0x7000);
	assert_int_equal(regs.r[UP_RV_SP], 0);
}

static void test_lookup(void **state)
{
	assert_ptr_equal(up_arch_by_machine(EM_RISCV), rv);
	assert_string_equal(rv->name, "riscv64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_short_input),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_breakpoint),
	    cmocka_unit_test(test_insn_length_unknown),
	    cmocka_unit_test(test_registers),
	    cmocka_unit_test(test_gdb_layout),
	    cmocka_unit_test(test_syscall_abi),
	    cmocka_unit_test(test_return_address),
	    cmocka_unit_test(test_lookup),
	};

	rv = up_arch_by_name("riscv64");
	if (!rv) {
		fprintf(stderr, "riscv64 ops table missing\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * The four ops tables as arch/arch.c hands them out: the tables as
 * compiled (nothing filled in at run time), every hook set, found by name
 * and by e_machine alike.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "uptrace/arch.h"

static const struct {
	const char *name;
	const struct up_arch *table;
} arches[] = {
    {"x86_64", &up_arch_x86_64},
    {"aarch64", &up_arch_aarch64},
    {"riscv64", &up_arch_riscv64},
    {"loongarch64", &up_arch_loongarch64},
};

static void test_lookup(void **state)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		const struct up_arch *a = up_arch_by_name(arches[i].name);

		assert_ptr_equal(a, arches[i].table);
		assert_ptr_equal(up_arch_by_machine(a->e_machine), a);
		assert_string_equal(a->name, arches[i].name);
	}
	assert_null(up_arch_by_name("i386"));
	assert_null(up_arch_by_machine(EM_386));
#if defined(__x86_64__)
	assert_ptr_equal(up_arch_host(), &up_arch_x86_64);
#endif
}

static void test_complete(void **state)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		const struct up_arch *a = arches[i].table;
		uint8_t bp[4];

		print_message("%s\n", a->name);
		assert_non_null(a->breakpoint);
		assert_non_null(a->decode);
		assert_non_null(a->insn_length);
		assert_non_null(a->simulate);
		assert_non_null(a->xol_build);
		assert_non_null(a->xol_enter);
		assert_non_null(a->xol_leave);
		assert_non_null(a->return_address_get);
		assert_non_null(a->return_address_set);
		assert_non_null(a->reg_lookup);
		assert_non_null(a->dwarf_reg);
		assert_non_null(a->dwarf_fp_reg);
		assert_non_null(a->reg_names);
		assert_non_null(a->gdb_regs);
		assert_true(a->bp_len >= 1 && a->bp_len <= 4);
		/* the table's breakpoint is what the hook writes for a plain ELF */
		assert_int_equal(a->breakpoint(a, 0, bp), a->bp_len);
		assert_memory_equal(bp, a->bp, a->bp_len);
		assert_int_equal(a->reg_lookup(a, "pc"), a->pc_reg);
		assert_int_equal(a->reg_lookup(a, "sp"), a->sp_reg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

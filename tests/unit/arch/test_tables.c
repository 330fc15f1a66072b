/* SPDX-License-Identifier: MIT */
/*
 * The four ops tables as arch/arch.c hands them out: the tables as
 * compiled (nothing filled in at run time), every hook set, found by name
 * and by e_machine alike; the Linux facts each names for the core (its
 * dynamic loader, the top of user space, the stores the remote target
 * runs).
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

/*
 * ld_so names each arch's dynamic loader as sym matches a module name: a
 * prefix of the file name followed by ".so" or '-'. The file names are the
 * ones glibc installs (its sysdeps/unix/sysv/linux/<arch>/ldconfig.h).
 */
static void test_ld_so(void **state)
{
	static const char *const files[] = {
	    "ld-linux-x86-64.so.2",
	    "ld-linux-aarch64.so.1",
	    "ld-linux-riscv64-lp64d.so.1",
	    "ld-linux-loongarch-lp64d.so.1",
	};

	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		const char *ld = arches[i].table->ld_so;
		size_t n = strlen(ld);

		assert_int_equal(strncmp(files[i], ld, n), 0);
		assert_true(strncmp(files[i] + n, ".so", 3) == 0 || files[i][n] == '-');
		for (size_t j = 0; j < sizeof(arches) / sizeof(arches[0]); j++)
			if (j != i)
				assert_int_not_equal(strncmp(files[j], ld, n), 0);
	}
}

/*
 * The stores src/target/remote/poke.c runs under qemu-user: 1, 2, 4 and 8
 * bytes of the second syscall argument register to the address in the
 * first, as each arch's own decoder reads them.
 */
static void test_stores(void **state)
{
	static const char *const want[][4] = {
	    {"movb %sil, (%rdi)", "movw %si, (%rdi)", "movl %esi, (%rdi)", "movq %rsi, (%rdi)"},
	    {"strb w1, [x0]", "strh w1, [x0]", "str w1, [x0]", "str x1, [x0]"},
	    {"sb a1,0(a0)", "sh a1,0(a0)", "sw a1,0(a0)", "sd a1,0(a0)"},
	    {"st.b $a1, $a0, 0", "st.h $a1, $a0, 0", "st.w $a1, $a0, 0", "st.d $a1, $a0, 0"},
	};

	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		const struct up_arch *a = arches[i].table;

		assert_true(a->store_len >= 1 && a->store_len <= sizeof(a->store_insn[0]));
		for (unsigned k = 0; k < 4; k++) {
			struct up_insn insn;

			memset(&insn, 0, sizeof(insn));
			assert_int_equal(
			    a->decode(a, &insn, 0x1000, a->store_insn[k], a->store_len), 0);
			assert_int_equal(insn.len, a->store_len);
			assert_string_equal(insn.text, want[i][k]);
		}
	}
}

/* This host's own mappings (x86_64: the vsyscall page aside) lie below the table's user_top. */
static void test_user_top(void **state)
{
	const struct up_arch *a = up_arch_host();
	unsigned long long lo, hi;
	char line[512];
	unsigned seen = 0;
	FILE *f;

	if (!a)
		skip();
	f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx", &lo, &hi) != 2 || strstr(line, "[vsyscall]"))
			continue;
		assert_true(hi <= a->user_top);
		seen++;
	}
	fclose(f);
	assert_true(seen > 3);
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		assert_true(arches[i].table->user_top >= 1ull
							     << 38); /* riscv64's sv39, the least */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup),   cmocka_unit_test(test_complete),
	    cmocka_unit_test(test_ld_so),    cmocka_unit_test(test_stores),
	    cmocka_unit_test(test_user_top),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

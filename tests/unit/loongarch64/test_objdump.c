/* SPDX-License-Identifier: MIT */
/*
 * Checks the shared loongarch64 table against an independent decoder: every
 * word becomes a `.word` in an assembly file, clang-19 assembles it for
 * loongarch64 and llvm-objdump-19 disassembles it; LLVM's mnemonic must equal
 * the table's and decode()'s. Exits 77 (skip) when clang-19 or
 * llvm-objdump-19 is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "uptrace/arch.h"
#include "insn_table.h"

static char dir[] = "/tmp/uptrace-la-XXXXXX";

static void test_against_llvm(void **state)
{
	const struct up_arch *la = up_arch_by_name("loongarch64");
	char src[64], obj[64], cmd[256], line[256];
	size_t i = 0;
	FILE *f, *p;

	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/t.S", dir);
	snprintf(obj, sizeof(obj), "%s/t.o", dir);
	f = fopen(src, "w");
	assert_non_null(f);
	for (size_t k = 0; k < LA_NCASES; k++)
		fprintf(f, "\t.word 0x%08x\n", la_cases[k].word);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "clang-19 --target=loongarch64-linux-gnu -c %s -o %s", src, obj);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "llvm-objdump-19 -d %s", obj);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long off;
		unsigned b0, b1, b2, b3;
		char mnemonic[32], name[32];
		struct up_insn insn;
		uint8_t b[4];

		/* "       c: ad ff ff 1d  \tpcaddu12i\t$t1, -3" */
		if (sscanf(line, " %lx: %2x %2x %2x %2x %31s", &off, &b0, &b1, &b2, &b3,
			   mnemonic) != 6)
			continue;
		assert_true(i < LA_NCASES);
		print_message("%-4lx %08x llvm %-12s table %s\n", off, la_cases[i].word, mnemonic,
			      la_cases[i].mnemonic);
		assert_int_equal(b0 | b1 << 8 | b2 << 16 | b3 << 24, la_cases[i].word);
		assert_string_equal(mnemonic, la_cases[i].mnemonic);
		la_word_bytes(la_cases[i].word, b);
		la->decode(la, &insn, 0, b, 4);
		sscanf(insn.text, "%31s", name);
		assert_string_equal(name, mnemonic);
		i++;
	}
	pclose(p);
	unlink(src);
	unlink(obj);
	rmdir(dir);
	assert_int_equal(i, LA_NCASES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_against_llvm),
	};

	if (system("command -v clang-19 >/dev/null 2>&1 && "
		   "command -v llvm-objdump-19 >/dev/null 2>&1") != 0) {
		printf("SKIP: clang-19 or llvm-objdump-19 not installed\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Checks the shared riscv64 table against an independent decoder: every
 * encoding is written to a raw file and disassembled by
 * `riscv64-linux-gnu-objdump -D -b binary -m riscv:rv64 -M no-aliases`;
 * objdump's mnemonic must equal the table's and decode()'s. Exits 77 (skip)
 * when objdump for riscv64 is not installed.
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

#define OBJDUMP "riscv64-linux-gnu-objdump"

static char path[] = "/tmp/uptrace-rv-XXXXXX";

static void test_against_objdump(void **state)
{
	const struct up_arch *rv = up_arch_by_name("riscv64");
	char cmd[256], line[256];
	size_t i = 0;
	FILE *f, *p;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	for (size_t k = 0; k < RV_NCASES; k++) {
		uint8_t b[4];

		rv_case_bytes(&rv_cases[k], b);
		fwrite(b, 1, rv_cases[k].len, f);
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), OBJDUMP " -D -b binary -m riscv:rv64 -M no-aliases %s", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long off;
		char hex[16], mnemonic[32];
		struct up_insn insn;
		uint8_t b[4];
		char name[32];

		/* "   2c:\t00113c23          \tsd\tra,24(sp)" */
		if (sscanf(line, " %lx:\t%15s %31s", &off, hex, mnemonic) != 3)
			continue;
		assert_true(i < RV_NCASES);
		print_message("%-6lx %-10s objdump %-16s table %s\n", off, hex, mnemonic,
			      rv_cases[i].mnemonic);
		assert_int_equal(strtoul(hex, NULL, 16), rv_cases[i].word);
		assert_string_equal(mnemonic, rv_cases[i].mnemonic);
		rv_case_bytes(&rv_cases[i], b);
		rv->decode(&insn, 0, b, 4);
		sscanf(insn.text, "%31s", name);
		assert_string_equal(name, mnemonic);
		i++;
	}
	pclose(p);
	unlink(path);
	assert_int_equal(i, RV_NCASES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_against_objdump),
	};

	if (system("command -v " OBJDUMP " >/dev/null 2>&1") != 0) {
		printf("SKIP: " OBJDUMP " not installed\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

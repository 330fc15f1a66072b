/* SPDX-License-Identifier: MIT */
/*
 * Checks the shared riscv64 table against an independent decoder: every
 * encoding is written to a raw file and disassembled by
 * `riscv64-linux-gnu-objdump -D -b binary -m riscv:rv64 -M no-aliases`;
 * objdump's mnemonic must equal the table's and decode()'s; and insn_length()
 * must step from instruction to instruction as objdump does. Exits 77 (skip)
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
		rv->decode(rv, &insn, 0, b, 4);
		sscanf(insn.text, "%31s", name);
		assert_string_equal(name, mnemonic);
		i++;
	}
	pclose(p);
	unlink(path);
	assert_int_equal(i, RV_NCASES);
}

/*
 * insn_length() against objdump's own idea of where each instruction
 * starts, for encodings decode() refuses: c.unimp, a reserved 32-bit
 * opcode, the 48-, 64-, 80- and 96-bit formats, then c.nop.
 */
static void test_lengths_against_objdump(void **state)
{
	static const uint8_t stream[] = {
	    0x00, 0x00,					    /* c.unimp: 2 */
	    0x7b, 0x00, 0x00, 0x00,			    /* custom-3 opcode: 4 */
	    0x1f, 0x00, 0x00, 0x00, 0x00, 0x00,		    /* 48-bit: 6 */
	    0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 64-bit: 8 */
	    0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 80-bit: 10 */
	    0x7f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 96: 12 */
	    0x01, 0x00,					    /* c.nop: 2 */
	};
	const struct up_arch *rv = up_arch_by_name("riscv64");
	unsigned long starts[32], want = 0;
	char cmd[256], line[256], raw[] = "/tmp/uptrace-rvlen-XXXXXX";
	size_t n = 0, at = 0;
	FILE *f, *p;
	int fd;

	fd = mkstemp(raw);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	fwrite(stream, 1, sizeof(stream), f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), OBJDUMP " -D -b binary -m riscv:rv64 %s", raw);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long off;
		char hex[64], mnemonic[32];

		/* an instruction's first line has a mnemonic after the hex; a long one's rest not */
		if (sscanf(line, " %lx:	%63[0-9a-f ]	%31s", &off, hex, mnemonic) == 3 && n < 32)
			starts[n++] = off;
	}
	pclose(p);
	unlink(raw);
	assert_int_equal(n, 7);
	for (size_t i = 0; i < n; i++) {
		unsigned len = rv->insn_length(rv, stream + at, sizeof(stream) - at);

		print_message("+%-3zu objdump starts at %lu, insn_length %u\n", at, starts[i], len);
		assert_int_equal(starts[i], want);
		assert_true(len > 0);
		at += len;
		want = at;
	}
	assert_int_equal(at, sizeof(stream));
	/* the reserved >= 192-bit format has no length the sweep could use */
	assert_int_equal(rv->insn_length(rv, (const uint8_t[]){0x7f, 0x70}, 2), 0);
	assert_int_equal(rv->insn_length(rv, (const uint8_t[]){0x13}, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_against_objdump),
	    cmocka_unit_test(test_lengths_against_objdump),
	};

	if (system("command -v " OBJDUMP " >/dev/null 2>&1") != 0) {
		printf("SKIP: " OBJDUMP " not installed\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

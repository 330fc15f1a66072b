/* SPDX-License-Identifier: MIT */
/*
 * Cross-checks insn_table.c against an independent decoder: all its words
 * go through `aarch64-linux-gnu-objdump -D -b binary -maarch64`, whose
 * mnemonic for each must be the row's. Exits 77 (skip) without objdump.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "insn_table.h"

#define OBJDUMP "aarch64-linux-gnu-objdump"

static char path[64];

static void test_mnemonics(void **state)
{
	char cmd[160], line[256], **mnem;
	unsigned seen = 0, bad = 0;
	FILE *f, *p;

	mnem = calloc(a64_table_len, sizeof(*mnem));
	assert_non_null(mnem);
	f = fopen(path, "wb");
	assert_non_null(f);
	for (size_t i = 0; i < a64_table_len; i++) {
		uint32_t w = a64_table[i].word;
		uint8_t b[4] = {w, w >> 8, w >> 16, w >> 24};

		assert_int_equal(fwrite(b, 1, 4, f), 4);
	}
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), OBJDUMP " -D -b binary -maarch64 %s", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	/* "   8:\t95ffffff \tbl\t0x8000004" */
	while (fgets(line, sizeof(line), p)) {
		unsigned long off;
		char word[16], m[32];

		if (sscanf(line, " %lx:\t%15s %31s", &off, word, m) != 3 || off % 4 ||
		    off / 4 >= a64_table_len || mnem[off / 4])
			continue;
		mnem[off / 4] = strdup(m);
		seen++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(seen, a64_table_len);
	for (size_t i = 0; i < a64_table_len; i++) {
		if (strcmp(mnem[i], a64_table[i].mnemonic) != 0) {
			print_error("0x%08x: objdump says '%s', the table '%s'\n",
				    a64_table[i].word, mnem[i], a64_table[i].mnemonic);
			bad++;
		}
		free(mnem[i]);
	}
	free(mnem);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_mnemonics)};
	int fd, ret;

	if (system("command -v " OBJDUMP " >/dev/null 2>&1") != 0) {
		printf("SKIP: " OBJDUMP " is not installed\n");
		return 77;
	}
	snprintf(path, sizeof(path), "/tmp/uptrace-a64-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * Cross-checks insn_table.c against an independent decoder: every row's
 * bytes go through `objdump -D -b binary -mi386:x86-64`, whose length and
 * mnemonic (with prefixes) must be the row's. Exits 77 (skip) without objdump.
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

static char path[64];

/* objdump's first instruction in the file: its byte count and text. */
static int objdump_first(const uint8_t *bytes, size_t n, unsigned *len, char *text, size_t size)
{
	char cmd[160], line[256];
	FILE *f, *p;
	bool started = false;

	f = fopen(path, "wb");
	if (!f || fwrite(bytes, 1, n, f) != n || fclose(f) != 0)
		return -EIO;
	snprintf(cmd, sizeof(cmd), "objdump -D -b binary -mi386:x86-64 %s", path);
	p = popen(cmd, "r");
	if (!p)
		return -EIO;
	*len = 0;
	text[0] = 0;
	/* Lines "   0:\t48 89 e5             \tmov    %rsp,%rbp"; long ones continue as "   7:\t00
	 * 00". */
	while (fgets(line, sizeof(line), p)) {
		char *tab1 = strchr(line, '\t'), *tab2, *colon = strchr(line, ':');
		unsigned v;
		int used;

		if (!tab1 || !colon || colon > tab1)
			continue;
		tab2 = strchr(tab1 + 1, '\t');
		if (tab2 && started)
			break; /* the next instruction */
		if (tab2) {
			started = true;
			snprintf(text, size, "%s", tab2 + 1);
			text[strcspn(text, "\n")] = 0;
			*tab2 = 0;
		}
		for (char *s = tab1 + 1; sscanf(s, " %2x%n", &v, &used) == 1; s += used)
			(*len)++;
	}
	return pclose(p) == 0 ? 0 : -EIO;
}

static void test_against_objdump(void **state)
{
	for (size_t i = 0; i < x86_n_cases; i++) {
		const struct x86_case *c = &x86_cases[i];
		uint8_t bytes[16];
		size_t n = x86_case_bytes(c->hex, bytes, sizeof(bytes));
		size_t m = strlen(c->objdump);
		unsigned len;
		char text[128];

		assert_int_equal(objdump_first(bytes, n, &len, text, sizeof(text)), 0);
		if (len != c->len)
			fail_msg("%s: objdump says %u bytes ('%s'), the table %u", c->hex, len,
				 text, c->len);
		/* "je,pt" is objdump's je with a hint prefix. */
		if (strncmp(text, c->objdump, m) != 0 || (text[m] && !strchr(" ,", text[m])))
			fail_msg("%s: objdump says '%s', the table '%s'", c->hex, text, c->objdump);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_against_objdump),
	};
	int fd, ret;

	if (system("command -v objdump >/dev/null 2>&1") != 0) {
		printf("skip: objdump (binutils) is not installed\n");
		return 77;
	}
	snprintf(path, sizeof(path), "/tmp/uptrace-x86-objdump-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0) {
		printf("skip: cannot create a temporary file\n");
		return 77;
	}
	close(fd);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return ret;
}

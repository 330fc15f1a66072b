/* SPDX-License-Identifier: MIT */
/*
 * The independent oracle for every arch's instruction table: all rows go
 * into one file that the arch's disassembler (binutils' objdump, or
 * clang-19 and llvm-objdump-19) decodes; at each row's offset it must see
 * the row's bytes as one instruction of the row's length with the row's
 * mnemonic, and decode() must name the same. Run as `test_objdump ARCH`;
 * exits 77 (skip) when the disassembler is not installed.
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

/* One instruction as the oracle printed it. */
struct oracle_insn {
	unsigned long offset;
	uint8_t bytes[UP_INSN_MAX_LEN];
	size_t len;
	char text[128];
};

static char dir[] = "/tmp/uptrace-oracle-XXXXXX";
static const struct insn_table *table;

/*
 * One line of objdump: "OFFSET:<ws>HEX HEX ...<tab>TEXT" (GNU), "OFFSET: HEX
 * ... <tab>TEXT" (LLVM); a line without TEXT carries more bytes of the
 * instruction before it (x86 past 7 bytes). Returns 1 for an instruction,
 * 2 for more bytes, 0 for any other line.
 */
static int parse_line(char *line, struct oracle_insn *in)
{
	char *colon = strchr(line, ':'), *hex, *end, *tab;

	hex = line + strspn(line, " ");
	in->offset = strtoul(hex, &end, 16);
	if (!colon || end == hex || end != colon)
		return 0;
	hex = colon + 1 + strspn(colon + 1, " \t");
	end = hex;
	while (*end && *end != '\t' && *end != '\n' && !(end[0] == ' ' && end[1] == ' '))
		end++;
	tab = strchr(end, '\t');
	*end = 0;
	in->len = insn_case_bytes(hex, in->bytes, sizeof(in->bytes));
	if (in->len == 0)
		return 0;
	snprintf(in->text, sizeof(in->text), "%s", tab ? tab + 1 + strspn(tab + 1, " \t") : "");
	in->text[strcspn(in->text, "\n")] = 0;
	return in->text[0] ? 1 : 2;
}

/* Writes the rows as t.bin and t.S; returns each row's offset in offsets[]. */
static void write_rows(unsigned long *offsets)
{
	char path[64];
	unsigned long off = 0;
	FILE *bin, *src;

	snprintf(path, sizeof(path), "%s/t.bin", dir);
	bin = fopen(path, "wb");
	snprintf(path, sizeof(path), "%s/t.S", dir);
	src = fopen(path, "w");
	assert_non_null(bin);
	assert_non_null(src);
	fprintf(src, "\t.text\n");
	for (size_t i = 0; i < table->n; i++) {
		uint8_t b[UP_INSN_MAX_LEN];
		size_t n = insn_case_bytes(table->cases[i].hex, b, sizeof(b));

		assert_true(n > 0);
		assert_int_equal(fwrite(b, 1, n, bin), n);
		fprintf(src, "\t.byte");
		for (size_t k = 0; k < n; k++)
			fprintf(src, "%s0x%02x", k ? ", " : " ", b[k]);
		fprintf(src, "\n");
		offsets[i] = off;
		off += n;
	}
	assert_int_equal(fclose(bin), 0);
	assert_int_equal(fclose(src), 0);
}

static void test_oracle(void **state)
{
	const struct up_arch *a = up_arch_by_name(table->arch);
	unsigned long *offsets = calloc(table->n, sizeof(*offsets));
	struct oracle_insn *seen = calloc(table->n + 1, sizeof(*seen)), line_insn;
	char cmd[512], line[512];
	size_t nseen = 0, bad = 0;
	FILE *p;

	assert_non_null(a);
	assert_non_null(offsets);
	assert_non_null(seen);
	write_rows(offsets);
	snprintf(cmd, sizeof(cmd), "cd '%s' && %s", dir, table->command);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		int kind = parse_line(line, &line_insn);

		if (kind == 1 && nseen <= table->n) {
			seen[nseen++] = line_insn;
		} else if (kind == 2 && nseen > 0) {
			struct oracle_insn *last = &seen[nseen - 1];
			size_t n = line_insn.len;

			if (last->len + n > sizeof(last->bytes))
				n = sizeof(last->bytes) - last->len;
			memcpy(last->bytes + last->len, line_insn.bytes, n);
			last->len += n;
		}
	}
	assert_int_equal(pclose(p), 0);
	if (nseen != table->n)
		print_error("%s: the oracle printed %zu instructions for %zu rows\n", table->arch,
			    nseen, table->n);
	for (size_t i = 0, k = 0; i < table->n; i++) {
		const struct insn_case *c = &table->cases[i];
		size_t m = strlen(c->oracle);
		uint8_t b[UP_INSN_MAX_LEN];
		size_t n = insn_case_bytes(c->hex, b, sizeof(b));
		struct up_insn insn;

		while (k < nseen && seen[k].offset < offsets[i])
			k++;
		if (k == nseen || seen[k].offset != offsets[i]) {
			print_error(
			    "%s: the oracle has no instruction at offset %#lx (a row before "
			    "is not the length the oracle decodes)\n",
			    c->hex, offsets[i]);
			bad++;
			continue;
		}
		/* "je,pt" is objdump's je with a hint prefix; aarch64 separates by a tab */
		if (seen[k].len != n || memcmp(seen[k].bytes, b, n) != 0 ||
		    strncmp(seen[k].text, c->oracle, m) != 0 ||
		    (seen[k].text[m] && !strchr(" ,\t", seen[k].text[m]))) {
			print_error(
			    "%s: the oracle says '%s' in %zu bytes, the table '%s' in %zu\n",
			    c->hex, seen[k].text, seen[k].len, c->oracle, n);
			bad++;
		}
		a->decode(a, &insn, table->addr, b, n);
		if (!insn_text_names(table, insn.text, insn_case_mnemonic(c))) {
			print_error("%s: decode() says '%s', the oracle '%s'\n", c->hex, insn.text,
				    seen[k].text);
			bad++;
		}
	}
	free(offsets);
	free(seen);
	assert_int_equal(bad, 0);
	assert_int_equal(nseen, table->n);
}

/* Are all the oracle's programs installed? */
static bool have_tools(const char *tools)
{
	char cmd[256], name[64];
	int used;

	for (const char *s = tools; sscanf(s, "%63s%n", name, &used) == 1; s += used) {
		snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
		if (system(cmd) != 0) {
			printf("SKIP: %s is not installed\n", name);
			return false;
		}
	}
	return true;
}

static int cleanup(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_oracle),
	};

	table = argc == 2 ? insn_table_by_name(argv[1]) : NULL;
	if (!table) {
		fprintf(stderr, "usage: test_objdump x86_64|aarch64|riscv64|loongarch64\n");
		return 2;
	}
	if (!have_tools(table->tools))
		return 77;
	if (!mkdtemp(dir)) {
		printf("SKIP: cannot create a temporary folder (%s)\n", strerror(errno));
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, cleanup);
}

/* SPDX-License-Identifier: MIT */
/*
 * decode() over every instruction of the aarch64 C library and dynamic
 * linker, judged by binutils' objdump (an independent decoder): nothing
 * PC-relative may run out of line, so every branch, adr/adrp and literal
 * load objdump sees must be simulated (SIMD&FP literals refused) under
 * objdump's own mnemonic; exclusives, exception-generating instructions and
 * MSR writes must be refused; and most of the code must be probe-able.
 *
 * Usage: test_libc [ELF...]; exits 77 (skip) without objdump or the sysroot.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uptrace/arch.h"

#define OBJDUMP "aarch64-linux-gnu-objdump"

static const char *const default_files[] = {
    "/usr/aarch64-linux-gnu/lib/libc.so.6",
    "/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1",
};

static unsigned total, simulated, xol, refused, bad;

static bool is_one_of(const char *m, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(m, *list) == 0)
			return true;
	return false;
}

static void report(unsigned long addr, uint32_t w, const char *line, const struct up_insn *insn,
		   const char *what)
{
	if (bad++ < 20)
		fprintf(stderr, "0x%lx %08x objdump '%s', decode '%s' (action %d, %s): %s\n", addr,
			w, line, insn->text, insn->action, insn->why, what);
}

/* One objdump line: "  4a0:\t94000010 \tbl\t4e0 <f>". */
static void check_line(const struct up_arch *a, char *line)
{
	static const char *const branches[] = {"b",   "bl",   "cbz", "cbnz", "tbz", "tbnz",
					       "adr", "adrp", "br",  "blr",  "ret", NULL};
	static const char *const literal_loads[] = {"ldr", "ldrsw", "prfm", NULL};
	static const char *const exclusives[] = {
	    "ldxr",  "ldxrb", "ldxrh",	"ldaxr",  "ldaxrb", "ldaxrh", "stxr", "stxrb",
	    "stxrh", "stlxr", "stlxrb", "stlxrh", "ldxp",   "ldaxp",  "stxp", "stlxp",
	    "svc",   "hvc",   "smc",	"brk",	  "hlt",    "udf",    "eret", NULL,
	};
	char word[16], mnem[32], mine[32] = "", ops[200] = "";
	unsigned long addr;
	struct up_insn insn;
	uint8_t b[4];
	uint32_t w;

	if (sscanf(line, " %lx:\t%15s %31s %199[^\n]", &addr, word, mnem, ops) < 3 ||
	    strlen(word) != 8 || mnem[0] == '.')
		return;
	w = (uint32_t)strtoul(word, NULL, 16);
	b[0] = (uint8_t)w;
	b[1] = (uint8_t)(w >> 8);
	b[2] = (uint8_t)(w >> 16);
	b[3] = (uint8_t)(w >> 24);
	a->decode(a, &insn, addr, b, 4);
	sscanf(insn.text, "%31s", mine);
	total++;
	simulated += insn.action == UP_INSN_SIMULATE;
	xol += insn.action == UP_INSN_XOL;
	refused += insn.action == UP_INSN_REFUSE;
	line[strcspn(line, "\n")] = 0;
	if (is_one_of(mnem, branches) || strncmp(mnem, "b.", 2) == 0) {
		if (insn.action != UP_INSN_SIMULATE || strcmp(mine, mnem) != 0)
			report(addr, w, line, &insn, "a branch or adr must be simulated");
	} else if (is_one_of(mnem, literal_loads) && !strchr(ops, '[')) {
		bool vector = strchr("bhsdq", ops[0]) && ops[1] >= '0' && ops[1] <= '9';

		if (insn.action != (vector ? UP_INSN_REFUSE : UP_INSN_SIMULATE))
			report(addr, w, line, &insn,
			       "a literal load: simulated, or refused for SIMD");
	} else if (is_one_of(mnem, exclusives)) {
		if (insn.action != UP_INSN_REFUSE)
			report(addr, w, line, &insn, "must be refused");
	} else if (strcmp(mnem, "msr") == 0) {
		if (insn.action != UP_INSN_REFUSE)
			report(addr, w, line, &insn, "MSR writes must be refused");
	}
}

int main(int argc, char **argv)
{
	const struct up_arch *a = up_arch_by_name("aarch64");
	const char *const *files = argc > 1 ? (const char *const *)argv + 1 : default_files;
	int nfiles = argc > 1 ? argc - 1 : 2;
	char cmd[600], line[512];

	if (system("command -v " OBJDUMP " >/dev/null 2>&1") != 0) {
		printf("SKIP: " OBJDUMP " is not installed\n");
		return 77;
	}
	for (int i = 0; i < nfiles; i++) {
		FILE *p;

		if (access(files[i], R_OK)) {
			printf("SKIP: %s is missing\n", files[i]);
			return 77;
		}
		snprintf(cmd, sizeof(cmd), OBJDUMP " -d %s", files[i]);
		p = popen(cmd, "r");
		if (!p)
			return 1;
		while (fgets(line, sizeof(line), p))
			check_line(a, line);
		if (pclose(p) != 0) {
			fprintf(stderr, "FAIL: %s failed\n", cmd);
			return 1;
		}
	}
	printf("%u instructions: %u simulated, %u out of line, %u refused; %u wrong\n", total,
	       simulated, xol, refused, bad);
	if (bad || total < 10000 || refused * 50 > total)
		return 1;
	return 0;
}

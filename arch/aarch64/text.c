/* SPDX-License-Identifier: MIT */
/*
 * Disassembly text for struct up_insn.text. Capstone 4 decodes ARMv8.0 and
 * part of 8.1/8.2; hints it prints as "hint #N" get their names here
 * (paciasp, bti c), and instructions it does not know (LSE atomics, PAC
 * branches) take the mnemonic the decoder found. Install time only: the
 * Capstone handle is opened and closed per call, so nothing is global.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <capstone/capstone.h>

#include "aarch64.h"
#include "common/bits.h"

static const char *const hint_names[40] = {
    [0] = "nop",       [1] = "yield",	   [2] = "wfe",	       [3] = "wfi",
    [4] = "sev",       [5] = "sevl",	   [6] = "dgh",	       [7] = "xpaclri",
    [8] = "pacia1716", [10] = "pacib1716", [12] = "autia1716", [14] = "autib1716",
    [16] = "esb",      [17] = "psb csync", [18] = "tsb csync", [20] = "csdb",
    [24] = "paciaz",   [25] = "paciasp",   [26] = "pacibz",    [27] = "pacibsp",
    [28] = "autiaz",   [29] = "autiasp",   [30] = "autibz",    [31] = "autibsp",
    [32] = "bti",      [34] = "bti c",	   [36] = "bti j",     [38] = "bti jc",
};

const char *up_a64_hint_name(unsigned hint)
{
	return hint < 40 ? hint_names[hint] : NULL;
}

/* Capstone's "mnemonic operands"; -ENOENT when it does not decode the word. */
static int capstone_text(uint64_t addr, uint32_t word, char *text, size_t size)
{
	uint8_t b[4];
	cs_insn *ci;
	csh handle;
	size_t n;

	le32_store(b, word);
	if (cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &handle) != CS_ERR_OK)
		return -ENOTSUP;
	n = cs_disasm(handle, b, 4, addr, 1, &ci);
	if (n == 1 && snprintf(text, size, "%s%s%s", ci->mnemonic, ci->op_str[0] ? " " : "",
			       ci->op_str) >= (int)size)
		text[size - 1] = 0; /* truncated, still NUL-terminated */
	if (n)
		cs_free(ci, n);
	cs_close(&handle);
	return n == 1 ? 0 : -ENOENT;
}

/*
 * Fill insn->text for word. Returns 0, or -ENOENT when neither Capstone
 * nor the decoder (fallback) can name it: text is then ".inst 0x...".
 */
int up_a64_text(struct up_insn *insn, uint32_t word, const char *fallback)
{
	if ((word & 0xfffff01fu) == 0xd503201fu) {
		const char *name = up_a64_hint_name((word >> 5) & 0x7f);

		if (name)
			snprintf(insn->text, sizeof(insn->text), "%s", name);
		else
			snprintf(insn->text, sizeof(insn->text), "hint #0x%x", (word >> 5) & 0x7f);
		return 0;
	}
	if (capstone_text(insn->addr, word, insn->text, sizeof(insn->text)) == 0) {
		/* binutils' names of the carry conditions */
		if (strncmp(insn->text, "b.hs", 4) == 0)
			memcpy(insn->text, "b.cs", 4);
		else if (strncmp(insn->text, "b.lo", 4) == 0)
			memcpy(insn->text, "b.cc", 4);
		return 0;
	}
	if (fallback) {
		snprintf(insn->text, sizeof(insn->text), "%s", fallback);
		return 0;
	}
	snprintf(insn->text, sizeof(insn->text), ".inst 0x%08x", word);
	return -ENOENT;
}

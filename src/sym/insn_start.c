/* SPDX-License-Identifier: MIT */
/*
 * Evidence, from outside any instruction decoder, that an address starts
 * an instruction: a function or label symbol there, or a row of the DWARF
 * line table (compilers and assemblers emit rows only where an instruction
 * starts). The core asks when its sweep from a function's entry cannot
 * decide (bytes it cannot measure, an address in no function).
 */
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <elfutils/libdwfl.h>

#include "sym_internal.h"

/* A symbol that marks code: a function, a label; of mapping symbols only "$x" (code). */
static bool marks_code(const GElf_Sym *sym, const char *name)
{
	int type = GELF_ST_TYPE(sym->st_info);

	if (sym->st_shndx == SHN_UNDEF || !name || !name[0])
		return false;
	if (type != STT_FUNC && type != STT_NOTYPE && type != STT_GNU_IFUNC)
		return false;
	return name[0] != '$' || name[1] == 'x';
}

int up_sym_insn_start(struct up_symtab *s, uint64_t addr, char *what, size_t len)
{
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
	Dwfl_Line *line;
	int n;

	if (!mod)
		return -ENOENT;
	n = dwfl_module_getsymtab(mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr value;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &value, NULL, NULL, NULL);

		if (name && value == addr && marks_code(&sym, name)) {
			snprintf(what, len, "the symbol '%s'", name);
			return 1;
		}
	}
	line = dwfl_module_getsrc(mod, addr);
	if (line) {
		Dwarf_Addr at = 0;
		int lineno = 0;
		const char *file = dwfl_lineinfo(line, &at, &lineno, NULL, NULL, NULL);

		bool end = false;

		/* a sequence's end row marks the address after its last instruction */
		dwarf_lineendsequence(dwfl_dwarf_line(line, &(Dwarf_Addr){0}), &end);
		if (file && at == addr && !end) {
			const char *base = strrchr(file, '/');
			snprintf(what, len, "a line-table row (%s:%d)", base ? base + 1 : file,
				 lineno);
			return 1;
		}
	}
	return 0;
}

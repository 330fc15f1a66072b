/* SPDX-License-Identifier: MIT */
/*
 * A module's executable segments at run time, from its ELF program headers
 * (libelf through libdwfl): the core searches only these for a syscall
 * instruction, so a remote system call never jumps into data.
 */
#include <errno.h>
#include <gelf.h>

#include "sym_internal.h"

int up_sym_exec_ranges(struct up_symtab *s, const char *module_spec, uint64_t ranges[][2], int max)
{
	Dwfl_Module *mod = sym_module_find(s, module_spec);
	GElf_Addr bias;
	size_t phnum;
	Elf *elf;
	int n = 0;

	if (!mod)
		return -ENOENT;
	elf = dwfl_module_getelf(mod, &bias);
	if (!elf || elf_getphdrnum(elf, &phnum))
		return -ENOENT;
	for (size_t i = 0; i < phnum && n < max; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		ranges[n][0] = ph.p_vaddr + bias;
		ranges[n][1] = ph.p_vaddr + ph.p_filesz + bias;
		n++;
	}
	return n;
}

/* SPDX-License-Identifier: MIT */
/*
 * Where the core places breakpoints of its own (the unwinder hooks): the
 * functions it needs by their exact names in whichever modules define them
 * (libgcc_s.so.1, a program that links libgcc_eh statically, or both), and
 * whether an address it learns at run time (a landing pad) is code. Every
 * loaded module's symbol table is searched; not on the hit path.
 */
#include <errno.h>
#include <string.h>
#include <gelf.h>

#include "sym_internal.h"

int up_sym_each_named(struct up_symtab *s, const char *const *names, unsigned n,
		      int (*fn)(void *ctx, unsigned which, uint64_t addr), void *ctx)
{
	Dwfl_Module *mods[SYM_MAX_MODULES];
	int nmods = sym_modules_ordered(s, mods, SYM_MAX_MODULES);

	if (nmods < 0)
		return nmods;
	for (int m = 0; m < nmods; m++) {
		int nsyms = dwfl_module_getsymtab(mods[m]);

		for (int i = 1; i < nsyms; i++) {
			GElf_Addr addr;
			GElf_Word shndx;
			GElf_Sym sym;
			const char *raw =
			    dwfl_module_getsym_info(mods[m], i, &sym, &addr, &shndx, NULL, NULL);
			size_t len;

			if (!raw || !*raw || shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			/* .symtab may spell the version in: "_Unwind_Resume@@GCC_3.0" */
			len = strcspn(raw, "@");
			for (unsigned k = 0; k < n; k++) {
				if (raw[0] != names[k][0] || strlen(names[k]) != len ||
				    memcmp(raw, names[k], len) != 0)
					continue;
				int err = fn(ctx, k, addr);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

bool up_sym_in_code(struct up_symtab *s, uint64_t addr)
{
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
	GElf_Addr bias;
	size_t phnum;
	Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;

	if (!elf || elf_getphdrnum(elf, &phnum))
		return false;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
		    addr >= ph.p_vaddr + bias && addr < ph.p_vaddr + ph.p_filesz + bias)
			return true;
	}
	return false;
}

bool up_sym_is_entry_point(struct up_symtab *s, uint64_t addr)
{
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
	GElf_Addr bias;
	GElf_Ehdr eh;
	Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;

	return elf && gelf_getehdr(elf, &eh) && eh.e_entry && eh.e_entry + bias == addr;
}

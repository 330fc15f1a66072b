/* SPDX-License-Identifier: MIT */
/*
 * Is a module Go code? Go moves a goroutine's stack when it grows, and walks
 * it with its own tables: a return address replaced by a return probe's
 * trampoline is not in them, and the runtime throws. The Go linker marks
 * what it builds with a .go.buildinfo section (Go 1.13 and later) and an
 * ELF note "Go" of type 4 (the Go build ID, in .note.go.buildid and a
 * PT_NOTE segment, so it survives stripped section headers).
 */
#include <string.h>
#include <gelf.h>

#include "sym_internal.h"

#define NT_GO_BUILDID 4

static bool note_is_go(Elf_Data *data)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while (data && off < data->d_size &&
	       (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0)
		if (nh.n_type == NT_GO_BUILDID && nh.n_namesz == 3 &&
		    memcmp((const char *)data->d_buf + name_off, "Go", 3) == 0)
			return true;
	return false;
}

static bool elf_is_go(Elf *elf)
{
	size_t shstrndx, phnum;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		while ((scn = elf_nextscn(elf, scn)) != NULL) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (name && strcmp(name, ".go.buildinfo") == 0)
				return true;
			if (sh.sh_type == SHT_NOTE && note_is_go(elf_getdata(scn, NULL)))
				return true;
		}
	}
	if (elf_getphdrnum(elf, &phnum) != 0)
		return false;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		if (note_is_go(elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
						    ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR)))
			return true;
	}
	return false;
}

bool up_sym_in_go_module(struct up_symtab *s, uint64_t addr)
{
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
	Dwarf_Addr bias;
	Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;

	return elf && elf_is_go(elf);
}

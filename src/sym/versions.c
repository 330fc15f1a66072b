/* SPDX-License-Identifier: MIT */
/*
 * Symbol versions of a module's .dynsym (.gnu.version, .gnu.version_d):
 * which of two pthread_cond_wait is GLIBC_2.3.2, the default a plain
 * reference binds to, and which GLIBC_2.2.5, kept for old programs. A
 * separate .symtab spells versions into names ("memcpy@@GLIBC_2.14"), a
 * stripped library only here; both lead to the same answer.
 *
 * Read once per lookup into a table sorted by link-time address; names and
 * version strings point into the ELF's string tables, which live as long as
 * the module.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>

#include "sym_internal.h"

#define VERSYM_HIDDEN 0x8000
#define VERSYM_INDEX 0x7fff

static int compare_value(const void *a, const void *b)
{
	const struct sym_version *va = a, *vb = b;

	return va->value < vb->value ? -1 : va->value > vb->value;
}

/* The section of a type (the first one), or NULL. */
static Elf_Scn *find_section(Elf *elf, GElf_Word type, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, shdr) && shdr->sh_type == type)
			return scn;
	return NULL;
}

/* Version names by index, from .gnu.version_d (at most max indexes). */
static void read_verdefs(Elf *elf, const char **names, size_t max)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(elf, SHT_GNU_verdef, &shdr);
	Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;
	size_t off = 0;

	/* bounded by the section's own count, and by its size through gelf */
	for (GElf_Word i = 0; data && i < shdr.sh_info; i++) {
		GElf_Verdef def;
		GElf_Verdaux aux;

		if (!gelf_getverdef(data, (int)off, &def))
			break;
		if (def.vd_ndx < max && def.vd_cnt &&
		    gelf_getverdaux(data, (int)(off + def.vd_aux), &aux))
			names[def.vd_ndx] = elf_strptr(elf, shdr.sh_link, aux.vda_name);
		if (!def.vd_next)
			break;
		off += def.vd_next;
	}
}

int sym_versions_load(Dwfl_Module *mod, struct sym_versions *v)
{
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	GElf_Shdr dynsym, versym;
	Elf_Scn *dscn, *vscn;
	Elf_Data *ddata, *vdata;
	const char *names[1024] = {0};
	size_t n;

	memset(v, 0, sizeof(*v));
	if (!elf)
		return 0;
	dscn = find_section(elf, SHT_DYNSYM, &dynsym);
	vscn = find_section(elf, SHT_GNU_versym, &versym);
	if (!dscn || !vscn || !dynsym.sh_entsize)
		return 0;
	ddata = elf_getdata(dscn, NULL);
	vdata = elf_getdata(vscn, NULL);
	if (!ddata || !vdata)
		return 0;
	read_verdefs(elf, names, sizeof(names) / sizeof(names[0]));
	n = dynsym.sh_size / dynsym.sh_entsize;
	v->entries = calloc(n ? n : 1, sizeof(*v->entries));
	if (!v->entries)
		return -ENOMEM;
	for (size_t i = 1; i < n; i++) {
		GElf_Versym ver;
		GElf_Sym sym;
		unsigned idx;

		if (!gelf_getsym(ddata, (int)i, &sym) || !gelf_getversym(vdata, (int)i, &ver))
			break;
		idx = ver & VERSYM_INDEX;
		if (sym.st_shndx == SHN_UNDEF || idx < 2 || idx >= 1024 || !names[idx])
			continue;
		v->entries[v->n].value = sym.st_value;
		v->entries[v->n].name = elf_strptr(elf, dynsym.sh_link, sym.st_name);
		v->entries[v->n].version = names[idx];
		v->entries[v->n].hidden = ver & VERSYM_HIDDEN;
		if (v->entries[v->n].name)
			v->n++;
	}
	qsort(v->entries, v->n, sizeof(*v->entries), compare_value);
	return 0;
}

const struct sym_version *sym_versions_find(const struct sym_versions *v, uint64_t value,
					    const char *name, size_t len)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->entries[mid].value < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < v->n && v->entries[lo].value == value; lo++)
		if (!strncmp(v->entries[lo].name, name, len) && !v->entries[lo].name[len])
			return &v->entries[lo];
	return NULL;
}

void sym_versions_free(struct sym_versions *v)
{
	free(v->entries);
	memset(v, 0, sizeof(*v));
}

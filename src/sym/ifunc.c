/* SPDX-License-Identifier: MIT */
/*
 * IFUNC symbols (STT_GNU_IFUNC): strlen in libc is not strlen's code but a
 * resolver, which the dynamic linker calls once while relocating and whose
 * answer (__strlen_avx2 on one machine, __strlen_evex on another) every
 * call then goes to. A probe on the symbol's address would count the
 * resolver's one or two runs, not the calls: the probe belongs on the
 * answer, which the process keeps in the GOT slots of the relocations that
 * name the function. Two kinds are read:
 *
 *   - the defining module's own R_*_IRELATIVE relocations, whose addend is
 *     the resolver (libc calls most of its IFUNCs itself; resolved when the
 *     module is relocated, lazy binding or not);
 *   - any module's JUMP_SLOT, GLOB_DAT or 64-bit relocations against the
 *     name, once resolved (lazy binding resolves a JUMP_SLOT at the first
 *     call, until then it points into the caller's PLT).
 *
 * A slot's value counts only if it lies in the defining module's code,
 * outside its PLT, and is not the resolver nor another version of the name.
 */
#include <errno.h>
#include <string.h>
#include <gelf.h>

#include "sym_internal.h"

#define NO_TYPE 0xffffffffu

/* The relocation types that matter here, per machine (elfutils' backends keep such tables). */
struct reloc_types {
	uint16_t machine;
	unsigned irelative, relative, jump_slot, glob_dat, abs64;
};

static const struct reloc_types reloc_table[] = {
    {EM_X86_64, 37, 8, 7, 6, 1},		    /* R_X86_64_* */
    {EM_AARCH64, 1032, 1027, 1026, 1025, 257},	    /* R_AARCH64_* */
    {EM_RISCV, 58, 3, 5, NO_TYPE, 2},		    /* R_RISCV_* (no GLOB_DAT: R_RISCV_64) */
    {258 /* EM_LOONGARCH */, 12, 3, 5, NO_TYPE, 2}, /* R_LARCH_* */
};

static const struct reloc_types *types_of(Elf *elf)
{
	GElf_Ehdr eh;

	if (!gelf_getehdr(elf, &eh))
		return NULL;
	for (size_t i = 0; i < sizeof(reloc_table) / sizeof(reloc_table[0]); i++)
		if (reloc_table[i].machine == eh.e_machine)
			return &reloc_table[i];
	return NULL;
}

/* What a GOT slot must point at to be the implementation. */
struct ifunc_query {
	struct up_symtab *s;
	Dwfl_Module *mod; /* the defining module */
	Elf *elf;
	uint64_t bias, start, end;
	uint64_t resolver; /* run-time address of the IFUNC symbol */
	const char *name;  /* its plain name */
	struct sym_versions versions;
};

/* The section holding a link-time address, or NULL. */
static Elf_Scn *section_at(Elf *elf, uint64_t link, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, shdr) && (shdr->sh_flags & SHF_ALLOC) &&
		    shdr->sh_type != SHT_NOBITS && link >= shdr->sh_addr &&
		    link - shdr->sh_addr < shdr->sh_size)
			return scn;
	return NULL;
}

static bool is_implementation(struct ifunc_query *q, uint64_t value)
{
	uint64_t link = value - q->bias;
	const char *secname;
	GElf_Shdr shdr;
	size_t shstrndx;

	if (value < q->start || value >= q->end || value == q->resolver)
		return false;
	if (!section_at(q->elf, link, &shdr) || !(shdr.sh_flags & SHF_EXECINSTR))
		return false;
	if (elf_getshdrstrndx(q->elf, &shstrndx) == 0 &&
	    (secname = elf_strptr(q->elf, shstrndx, shdr.sh_name)) &&
	    (!strncmp(secname, ".plt", 4) || !strncmp(secname, ".iplt", 5)))
		return false; /* an unrelocated slot still pointing at a PLT entry */
	/* another version of the same name (memcpy@GLIBC_2.2.5), not what the resolver chose */
	return !sym_versions_find(&q->versions, link, q->name, strlen(q->name));
}

static int read_slot(struct ifunc_query *q, uint64_t slot, uint64_t *value)
{
	return sym_read_mem(q->s, slot, value, sizeof(*value)) < 0 ? -EIO : 0;
}

/*
 * Has the dynamic linker relocated this module yet? Its first R_*_RELATIVE
 * slot holds bias + addend once it has. (A module at bias 0 cannot tell.)
 */
static bool module_relocated(struct ifunc_query *q, const struct reloc_types *rt)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	if (!q->bias)
		return true;
	while ((scn = elf_nextscn(q->elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_RELA || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; i++) {
			GElf_Rela r;
			uint64_t value;

			if (!gelf_getrela(data, (int)i, &r))
				break;
			if (GELF_R_TYPE(r.r_info) != rt->relative || !r.r_addend)
				continue;
			if (read_slot(q, r.r_offset + q->bias, &value))
				return false;
			return value == q->bias + (uint64_t)r.r_addend;
		}
	}
	return true;
}

/* The defining module's IRELATIVE relocations of this resolver. */
static int from_irelative(struct ifunc_query *q, const struct reloc_types *rt, uint64_t *impl)
{
	uint64_t resolver_link = q->resolver - q->bias;
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(q->elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_RELA || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; i++) {
			GElf_Rela r;
			uint64_t value;

			if (!gelf_getrela(data, (int)i, &r))
				break;
			if (GELF_R_TYPE(r.r_info) != rt->irelative ||
			    (uint64_t)r.r_addend != resolver_link)
				continue;
			if (read_slot(q, r.r_offset + q->bias, &value) == 0 &&
			    is_implementation(q, value)) {
				*impl = value;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* One module's relocations against the name, resolved to the implementation. */
static int from_symbol_relocs(struct ifunc_query *q, Dwfl_Module *user, uint64_t *impl)
{
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(user, &bias);
	const struct reloc_types *rt = elf ? types_of(elf) : NULL;
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	if (!rt)
		return -ENOENT;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data, *symdata;
		GElf_Shdr symshdr;
		Elf_Scn *symscn;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_RELA || !shdr.sh_entsize)
			continue;
		symscn = elf_getscn(elf, shdr.sh_link);
		if (!symscn || !gelf_getshdr(symscn, &symshdr) || symshdr.sh_type != SHT_DYNSYM)
			continue;
		data = elf_getdata(scn, NULL);
		symdata = elf_getdata(symscn, NULL);
		for (size_t i = 0; data && symdata && i < shdr.sh_size / shdr.sh_entsize; i++) {
			unsigned type;
			const char *name;
			uint64_t value;
			GElf_Rela r;
			GElf_Sym sym;

			if (!gelf_getrela(data, (int)i, &r))
				break;
			type = GELF_R_TYPE(r.r_info);
			if (!GELF_R_SYM(r.r_info) ||
			    (type != rt->jump_slot && type != rt->glob_dat && type != rt->abs64))
				continue;
			if (!gelf_getsym(symdata, (int)GELF_R_SYM(r.r_info), &sym))
				continue;
			name = elf_strptr(elf, symshdr.sh_link, sym.st_name);
			if (!name || strcmp(name, q->name))
				continue;
			if (read_slot(q, r.r_offset + bias, &value) == 0 &&
			    is_implementation(q,
					      value - (type == rt->jump_slot ? 0 : r.r_addend))) {
				*impl = value - (type == rt->jump_slot ? 0 : r.r_addend);
				return 0;
			}
		}
	}
	return -ENOENT;
}

/*
 * The IFUNC's name as relocations spell it (plain, no "@VERSION") into buf:
 * m->func shows a C++ or Rust name demangled. m->func itself if no IFUNC
 * symbol at its address shows as it does.
 */
static void symbol_name(struct up_symtab *s, Dwfl_Module *mod, const struct up_func_match *m,
			char *buf, size_t len)
{
	int nsyms = dwfl_module_getsymtab(mod);
	char shown[sizeof(m->func)];

	for (int i = 1; i < nsyms; i++) {
		GElf_Addr addr;
		GElf_Word shndx;
		GElf_Sym sym;
		const char *raw = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);

		if (!raw || addr != m->addr || GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC)
			continue;
		snprintf(buf, len, "%.*s", (int)strcspn(raw, "@"), raw);
		sym_display_name(s, buf, shown, sizeof(shown));
		if (!strcmp(shown, m->func))
			return;
	}
	snprintf(buf, len, "%s", m->func);
}

int up_sym_ifunc_target(struct up_symtab *s, const struct up_func_match *m, uint64_t *impl,
			struct up_func_match *impl_match)
{
	struct ifunc_query q = {.s = s, .resolver = m->addr};
	Dwfl_Module *mods[SYM_MAX_MODULES];
	const struct reloc_types *rt;
	Dwarf_Addr start, end;
	char name[UP_FUNC_MAX];
	int n, err;

	q.mod = dwfl_addrmodule(s->dwfl, m->addr);
	if (!q.mod)
		return -ENOENT;
	symbol_name(s, q.mod, m, name, sizeof(name));
	q.name = name;
	q.elf = dwfl_module_getelf(q.mod, &start);
	q.bias = start;
	dwfl_module_info(q.mod, NULL, &start, &end, NULL, NULL, NULL, NULL);
	q.start = start;
	q.end = end;
	rt = q.elf ? types_of(q.elf) : NULL;
	if (!rt)
		return -ENOTSUP;
	if (!module_relocated(&q, rt))
		return -EAGAIN;
	err = sym_versions_load(q.mod, &q.versions);
	if (err)
		return err;
	err = from_irelative(&q, rt, impl);
	if (err) {
		n = sym_modules_ordered(s, mods, SYM_MAX_MODULES);
		for (int i = 0; i < n && err; i++)
			err = from_symbol_relocs(&q, mods[i], impl);
	}
	sym_versions_free(&q.versions);
	if (!err)
		err = sym_fill_match(s, q.mod, *impl, impl_match);
	return err;
}

/* SPDX-License-Identifier: MIT */
/*
 * USDT probes (SystemTap SDT): where they are, read from each module's
 * .note.stapsdt with libelf. Each note is one probe site:
 *
 *   desc = { loc, base, semaphore } (one address each, the ELF's class)
 *          "provider\0" "name\0" "arg specs\0"
 *
 * loc is the link-time address of the nop <sys/sdt.h> placed, semaphore
 * that of a 2-byte counter the program reads to know whether a tracer is
 * attached (0: none). Prelink moves code without rewriting notes, which are
 * not loaded: the note records where .stapsdt.base was at link time, and
 * the difference to where it is now moves loc and semaphore too (as libbpf
 * and systemtap do). The run-time address adds the module's load bias.
 * Notes are read from the module's main file (strip keeps them), which
 * for a foreign target under --qemu is that architecture's ELF.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>

#include "sym_internal.h"

#define NOTE_SECTION ".note.stapsdt"
#define BASE_SECTION ".stapsdt.base"
#define NOTE_OWNER "stapsdt"
#define NT_STAPSDT 3

/* A section by name, or NULL. */
static Elf_Scn *find_section(Elf *elf, const char *want, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, shdr))
			continue;
		name = elf_strptr(elf, shstrndx, shdr->sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

/* The run-time address of a symbol of the module (an operand "counter(%rip)"), or 0. */
static uint64_t symbol_address(Dwfl_Module *mod, const char *want)
{
	int nsyms = dwfl_module_getsymtab(mod);

	for (int i = 1; i < nsyms; i++) {
		GElf_Addr addr;
		GElf_Sym sym;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
		size_t n = name ? strcspn(name, "@") : 0;

		if (name && sym.st_shndx != SHN_UNDEF && n == strlen(want) &&
		    !strncmp(name, want, n))
			return addr;
	}
	return 0;
}

/* The note's argument specs into site->args; on failure site->args_error says why. */
static void parse_args(Dwfl_Module *mod, const struct up_arch *arch, struct up_usdt_site *site)
{
	const char *p = site->arg_specs;
	char symbol[UP_FUNC_MAX];

	site->nargs = 0;
	site->args_error[0] = '\0';
	if (!arch) {
		snprintf(site->args_error, sizeof(site->args_error), "unknown architecture");
		return;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p) {
		struct up_arg *a;
		int n;

		if (site->nargs == UP_USDT_MAX_ARGS) {
			snprintf(site->args_error, sizeof(site->args_error),
				 "more than %d arguments", UP_USDT_MAX_ARGS);
			site->nargs = 0;
			return;
		}
		a = &site->args[site->nargs];
		n = up_usdt_arg_parse(arch, p, a, symbol, sizeof(symbol), site->args_error,
				      sizeof(site->args_error));
		if (n <= 0) {
			site->nargs = 0;
			return;
		}
		if (symbol[0]) {
			uint64_t at = symbol_address(mod, symbol);

			if (!at) {
				snprintf(site->args_error, sizeof(site->args_error),
					 "USDT argument %u: no symbol '%s' in %s", site->nargs + 1,
					 symbol, sym_basename(site->module));
				site->nargs = 0;
				return;
			}
			a->fetch.imm += (int64_t)at;
		}
		snprintf(a->name, sizeof(a->name), "arg%u", site->nargs + 1);
		site->nargs++;
		p += n;
		while (*p == ' ' || *p == '\t')
			p++;
	}
}

/* Read an address of the ELF's class (little-endian targets only). */
static uint64_t read_address(const char *p, bool is64)
{
	uint64_t v = 0;

	memcpy(&v, p, is64 ? 8 : 4);
	return v;
}

struct usdt_scan {
	const char *provider, *name;
	int (*fn)(void *ctx, const struct up_usdt_site *site);
	void *ctx;
	struct up_usdt_site *site;
	int found;
};

/* One module's notes. Returns 0, the callback's non-zero value, or a negative errno. */
static int scan_module(struct up_symtab *s, Dwfl_Module *mod, struct usdt_scan *scan)
{
	GElf_Shdr note_shdr, base_shdr;
	Elf_Scn *notes, *base_scn;
	uint64_t base_addr = 0;
	GElf_Addr bias;
	GElf_Ehdr ehdr;
	GElf_Nhdr nhdr;
	size_t off = 0, name_off, desc_off;
	Elf_Data *data;
	const char *path;
	bool is64;
	Elf *elf;

	elf = dwfl_module_getelf(mod, &bias);
	if (!elf || !gelf_getehdr(elf, &ehdr))
		return 0;
	notes = find_section(elf, NOTE_SECTION, &note_shdr);
	if (!notes || note_shdr.sh_type != SHT_NOTE)
		return 0;
	if (ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
		return 0; /* every architecture we trace is little-endian */
	is64 = gelf_getclass(elf) == ELFCLASS64;
	base_scn = find_section(elf, BASE_SECTION, &base_shdr);
	if (base_scn)
		base_addr = base_shdr.sh_addr;
	data = elf_getdata(notes, NULL);
	if (!data || !data->d_buf)
		return 0;
	path = sym_intern(&s->strings, sym_module_path(mod));
	if (!path)
		return -ENOMEM;
	while ((off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
		const char *desc = (const char *)data->d_buf + desc_off, *end, *prov, *name, *args;
		size_t asize = is64 ? 8 : 4;
		uint64_t loc, note_base, sema;
		struct up_usdt_site *site = scan->site;
		int err;

		if (nhdr.n_type != NT_STAPSDT || nhdr.n_namesz != sizeof(NOTE_OWNER) ||
		    memcmp((const char *)data->d_buf + name_off, NOTE_OWNER, sizeof(NOTE_OWNER)))
			continue;
		if (nhdr.n_descsz < 3 * asize + 3 || desc_off + nhdr.n_descsz > data->d_size)
			continue; /* malformed: skipped */
		end = desc + nhdr.n_descsz;
		prov = desc + 3 * asize;
		name = memchr(prov, '\0', end - prov);
		if (!name || ++name >= end)
			continue;
		args = memchr(name, '\0', end - name);
		if (!args || ++args > end || !memchr(args, '\0', end - args))
			continue;
		if (fnmatch(scan->provider, prov, 0) || fnmatch(scan->name, name, 0))
			continue;
		loc = read_address(desc, is64);
		note_base = read_address(desc + asize, is64);
		sema = read_address(desc + 2 * asize, is64);
		if (base_addr && note_base) {
			loc += base_addr - note_base;
			if (sema)
				sema += base_addr - note_base;
		}
		memset(site, 0, sizeof(*site));
		site->provider = prov;
		site->name = name;
		site->arg_specs = args;
		site->module = path;
		site->addr = loc + bias;
		site->semaphore = sema ? sema + bias : 0;
		err = sym_fill_match(s, mod, site->addr, &site->func);
		if (err)
			return err;
		parse_args(mod, s->t ? s->t->arch : NULL, site);
		scan->found++;
		err = scan->fn(scan->ctx, site);
		if (err)
			return err;
	}
	return 0;
}

int up_sym_usdt_sites(struct up_symtab *s, const char *module_spec, const char *provider,
		      const char *name, int (*fn)(void *ctx, const struct up_usdt_site *site),
		      void *ctx)
{
	Dwfl_Module *mods[SYM_MAX_MODULES];
	struct usdt_scan scan = {.provider = provider, .name = name, .fn = fn, .ctx = ctx};
	int n = 1, err = 0;

	scan.site = malloc(sizeof(*scan.site));
	if (!scan.site)
		return -ENOMEM;
	if (module_spec && *module_spec) {
		mods[0] = sym_module_find(s, module_spec);
		if (!mods[0])
			err = -ENOENT;
	} else {
		n = sym_modules_ordered(s, mods, SYM_MAX_MODULES);
		if (n < 0)
			err = n;
	}
	for (int i = 0; !err && i < n; i++)
		err = scan_module(s, mods[i], &scan);
	free(scan.site);
	return err ? err : scan.found;
}

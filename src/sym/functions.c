/* SPDX-License-Identifier: MIT */
/*
 * Function symbols: globs over the symbol tables libdwfl gives for each
 * module (.symtab from the file or its separate debug file, else .dynsym),
 * one match per address, the main program first. Also the reverse lookups
 * (link-time address, --stack descriptions).
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <gelf.h>

#include "sym_internal.h"

static bool has_glob(const char *pattern)
{
	return strpbrk(pattern, "*?[") != NULL;
}

/* Is b's name a better one than a's for the same address, given what was asked? */
static bool name_better(const char *pattern, const char *a, int abind, const char *b, int bbind)
{
	size_t ua = strspn(a, "_"), ub = strspn(b, "_");

	if (!strcmp(b, pattern) != !strcmp(a, pattern))
		return !strcmp(b, pattern);
	if ((bbind == STB_GLOBAL) != (abind == STB_GLOBAL))
		return bbind == STB_GLOBAL;
	if (ua != ub)
		return ub < ua;
	if (strlen(a) != strlen(b))
		return strlen(b) < strlen(a);
	return strcmp(b, a) < 0;
}

/* One matching symbol of one module, before it becomes a struct up_func_match. */
struct sym_hit {
	char name[UP_FUNC_MAX];	/* as shown: demangled unless the symtab says raw */
	uint64_t addr, size;
	int bind;
};

static int compare_addr(const void *a, const void *b)
{
	const struct sym_hit *ha = a, *hb = b;

	return ha->addr < hb->addr ? -1 : ha->addr > hb->addr;
}

/*
 * Does the pattern match this symbol: its name as the symbol table spells
 * it, or for a C++ or Rust symbol its demangled name (demangle.c's rules)?
 * Fills the name to show.
 */
static bool symbol_matches(struct up_symtab *s, const char *pattern, const char *name,
			   char *shown, size_t len)
{
	bool raw = fnmatch(pattern, name, 0) == 0;
	char *dem = sym_is_mangled(name) ? sym_demangle(name) : NULL;
	bool ok = raw || (dem && sym_demangled_match(pattern, dem));

	if (ok)
		snprintf(shown, len, "%s",
			 dem && !s->raw_names && strlen(dem) < len ? dem : name);
	free(dem);
	return ok;
}

/*
 * The module's function symbols matching the pattern, one per address, in a
 * malloc'd array (*hits). Returns the count or a negative errno.
 */
static int module_matches(struct up_symtab *s, Dwfl_Module *mod, const char *pattern,
			  struct sym_hit **hits)
{
	int nsyms = dwfl_module_getsymtab(mod);
	struct sym_hit *h;
	int n = 0, kept = 0;

	*hits = NULL;
	if (nsyms <= 0)
		return 0;
	h = calloc(nsyms, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (int i = 1; i < nsyms; i++) {
		char name[UP_FUNC_MAX];
		GElf_Addr addr;
		GElf_Word shndx;
		GElf_Sym sym;
		const char *raw;
		int type;

		raw = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
		if (!raw || !*raw || sym.st_size == 0 || shndx == SHN_UNDEF)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		/* .symtab may spell versions in: "memcpy@@GLIBC_2.14". */
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(raw, "@"), raw);
		if (!symbol_matches(s, pattern, name, h[n].name, sizeof(h[n].name)))
			continue;
		h[n].addr = addr;
		h[n].size = sym.st_size;
		h[n].bind = GELF_ST_BIND(sym.st_info);
		n++;
	}
	/* One per address: aliases (malloc, __libc_malloc) keep the best name. */
	qsort(h, n, sizeof(*h), compare_addr);
	for (int i = 0; i < n; i++) {
		if (kept && h[kept - 1].addr == h[i].addr) {
			if (name_better(pattern, h[kept - 1].name, h[kept - 1].bind, h[i].name,
					h[i].bind))
				h[kept - 1] = h[i];
			continue;
		}
		h[kept++] = h[i];
	}
	*hits = h;
	return kept;
}

static void hit_to_match(const struct sym_hit *h, const char *path, struct up_func_match *m)
{
	memcpy(m->func, h->name, sizeof(m->func));
	snprintf(m->module, sizeof(m->module), "%s", path);
	m->addr = h->addr;
	m->size = h->size;
}

/* Append a module's matches to out[*n..max). Returns how many the module had, or -errno. */
static int collect(struct up_symtab *s, Dwfl_Module *mod, const char *pattern,
		   struct up_func_match *out, int *n, int max)
{
	struct sym_hit *hits;
	int count = module_matches(s, mod, pattern, &hits);

	for (int i = 0; i < count && *n < max; i++)
		hit_to_match(&hits[i], sym_module_path(mod), &out[(*n)++]);
	free(hits);
	return count;
}

static void list_append(char *buf, size_t len, const char *item)
{
	size_t used = strlen(buf);

	if (used < len)
		snprintf(buf + used, len - used, "%s%s", used ? "," : "", item);
}

int up_sym_functions(struct up_symtab *s, const char *module_spec, const char *pattern,
		     struct up_func_match *out, int max, char *ambiguous, size_t ambiguous_len)
{
	Dwfl_Module *mods[SYM_MAX_MODULES];
	bool plain = !has_glob(pattern) && !(module_spec && *module_spec);
	int n, count, found = 0, found_in = 0;

	if (ambiguous && ambiguous_len)
		ambiguous[0] = 0;
	if (module_spec && *module_spec) {
		Dwfl_Module *mod = sym_module_find(s, module_spec);

		if (!mod)
			return -ENOENT;
		count = collect(s, mod, pattern, out, &found, max);
		return count < 0 ? count : found;
	}
	n = sym_modules_ordered(s, mods, SYM_MAX_MODULES);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		count = collect(s, mods[i], pattern, out, &found, max);
		if (count < 0)
			return count;
		if (count == 0)
			continue;
		/* A plain name the main program defines is the main program's. */
		if (plain && mods[i] == s->main)
			return found;
		found_in++;
		if (plain && ambiguous && ambiguous_len)
			list_append(ambiguous, ambiguous_len,
				    sym_basename(sym_module_path(mods[i])));
	}
	if (plain && found_in > 1)
		return -EEXIST;
	return found;
}

int up_sym_list(struct up_symtab *s, const char *pattern,
		void (*fn)(void *ctx, const struct up_func_match *m), void *ctx)
{
	Dwfl_Module *mods[SYM_MAX_MODULES];
	struct up_func_match *m;
	int n, total = 0;

	if (!pattern || !*pattern)
		pattern = "*";
	n = sym_modules_ordered(s, mods, SYM_MAX_MODULES);
	if (n < 0)
		return n;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct sym_hit *hits;
		int count = module_matches(s, mods[i], pattern, &hits);

		for (int j = 0; j < count; j++) {
			hit_to_match(&hits[j], sym_module_path(mods[i]), m);
			fn(ctx, m);
		}
		free(hits);
		total += count > 0 ? count : 0;
	}
	free(m);
	return total;
}

void sym_fill_match(struct up_symtab *s, Dwfl_Module *mod, uint64_t addr,
		    struct up_func_match *func)
{
	char raw[UP_FUNC_MAX];
	GElf_Off off;
	GElf_Sym sym;
	const char *name;

	if (!func)
		return;
	memset(func, 0, sizeof(*func));
	snprintf(func->module, sizeof(func->module), "%s", sym_module_path(mod));
	name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (!name)
		return;
	snprintf(raw, sizeof(raw), "%.*s", (int)strcspn(name, "@"), name);
	sym_display_name(s, raw, func->func, sizeof(func->func));
	func->addr = addr - off;
	func->size = sym.st_size;
}

int up_sym_link_to_runtime(struct up_symtab *s, const char *module_spec, uint64_t link_addr,
			   uint64_t *addr, struct up_func_match *func)
{
	Dwfl_Module *mod = sym_module_find(s, module_spec);
	Dwarf_Addr start, end;
	uint64_t run;

	if (!mod)
		return -ENOENT;
	run = link_addr + sym_module_bias(mod);
	dwfl_module_info(mod, NULL, &start, &end, NULL, NULL, NULL, NULL);
	if (run < start || run >= end)
		return -ERANGE;
	*addr = run;
	sym_fill_match(s, mod, run, func);
	return 0;
}

int up_sym_describe(struct up_symtab *s, uint64_t addr, char *buf, size_t len)
{
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
	struct up_func_match m;
	int n;

	if (!mod) {
		snprintf(buf, len, "0x%" PRIx64, addr);
		return -ENOENT;
	}
	n = snprintf(buf, len, "%s+0x%" PRIx64, sym_basename(sym_module_path(mod)),
		     addr - sym_module_bias(mod));
	sym_fill_match(s, mod, addr, &m);
	if (m.func[0] && n >= 0 && (size_t)n < len) {
		if (addr == m.addr)
			snprintf(buf + n, len - n, " (%s)", m.func);
		else
			snprintf(buf + n, len - n, " (%s+0x%" PRIx64 ")", m.func, addr - m.addr);
	}
	return 0;
}

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

/*
 * One function symbol of one module, before it becomes a struct
 * up_func_match. Every function of the module is one (the tags are
 * computed over them all); matching picks among them.
 */
struct sym_hit {
	char name[UP_FUNC_MAX]; /* as shown: demangled unless the symtab says raw */
	const char *raw;	/* as the table spells it, maybe with "@VERSION" or "@@VERSION" */
	size_t len;		/* of the plain name (before any '@') */
	uint64_t addr, size;	/* run-time */
	uint64_t link;		/* link-time address */
	int bind;
	bool named;	     /* the name part of the pattern matches it */
	bool cut;	     /* too long for name: only its start is there */
	bool ifunc;	     /* STT_GNU_IFUNC */
	const char *version; /* its symbol version, or NULL */
	bool hidden;	     /* a version that is not the default */
	char tag[64];	     /* see struct up_func_match */
};

static int compare_addr(const void *a, const void *b)
{
	const struct sym_hit *ha = a, *hb = b;

	return ha->addr < hb->addr ? -1 : ha->addr > hb->addr;
}

static int compare_name_addr(const void *a, const void *b)
{
	const struct sym_hit *ha = a, *hb = b;
	int d = strcmp(ha->name, hb->name);

	return d ? d : compare_addr(a, b);
}

/*
 * The name to show for one symbol into h->name, and whether the name part
 * of the pattern matches it: its plain name as the table spells it, for a
 * C++ or Rust symbol its demangled name (demangle.c's rules), or for a name
 * cut to fit what is shown of it.
 */
static int hit_name(struct up_symtab *s, const char *pattern, struct sym_hit *h)
{
	char *copy = NULL, *dem;
	const char *plain = h->raw, *shown;

	/* .symtab may spell versions in: "memcpy@@GLIBC_2.14" */
	if (h->raw[h->len]) {
		copy = strndup(h->raw, h->len);
		if (!copy)
			return -ENOMEM;
		plain = copy;
	}
	dem = sym_is_mangled(plain) ? sym_demangle(plain) : NULL;
	/* a name too long to show whole is shown as the symbol spells it, cut if need be */
	shown = dem && !s->raw_names && strlen(dem) < sizeof(h->name) ? dem : plain;
	h->cut = strlen(shown) >= sizeof(h->name);
	snprintf(h->name, sizeof(h->name), "%s", shown);
	h->named = fnmatch(pattern, plain, 0) == 0 || (dem && sym_demangled_match(pattern, dem)) ||
		   (h->cut && fnmatch(pattern, h->name, 0) == 0); /* as its key spells it */
	free(dem);
	free(copy);
	return 0;
}

/* The version of one symbol: spelled into its .symtab name, else from .dynsym. */
static void hit_version(struct sym_hit *h, const struct sym_versions *v)
{
	const char *at = h->raw + h->len;
	const struct sym_version *dv;

	if (*at == '@') {
		h->hidden = at[1] != '@';
		h->version = at + (h->hidden ? 1 : 2);
		return;
	}
	dv = sym_versions_find(v, h->link, h->raw, h->len);
	if (dv) {
		h->version = dv->version;
		h->hidden = dv->hidden;
	}
}

static int compare_tag_addr(const void *a, const void *b)
{
	const struct sym_hit *ha = a, *hb = b;
	int d = strcmp(ha->tag, hb->tag);

	return d ? d : compare_addr(a, b);
}

/*
 * Tag the addresses of one name defined at several (all[lo..hi) sorted by
 * address; aliases of one address are adjacent). Where they are one symbol
 * name, the one a plain reference binds to keeps the plain name: the
 * default version, else the only global definition. Names that only
 * demangle alike (a C++ destructor's variants, Rust's hash left out) have
 * no such one. Every other address is told by its version, unless another
 * address has that version too, else by its link-time address.
 */
static void tag_group(struct sym_hit *all, size_t lo, size_t hi)
{
	bool one_name = true, have = false;
	uint64_t canonical = 0;
	int globals = 0;

	for (size_t i = lo + 1; i < hi && one_name; i++)
		one_name =
		    all[i].len == all[lo].len && !strncmp(all[i].raw, all[lo].raw, all[lo].len);
	for (size_t i = lo; one_name && i < hi; i++)
		if (all[i].version && !all[i].hidden) {
			canonical = all[i].addr;
			have = true;
		}
	for (size_t i = lo, end; one_name && !have && i < hi; i = end) {
		bool global = false;

		for (end = i; end < hi && all[end].addr == all[i].addr; end++)
			global |= all[end].bind != STB_LOCAL;
		if (global) {
			canonical = all[i].addr;
			globals++;
		}
	}
	have |= globals == 1;
	for (size_t i = lo, end; i < hi; i = end) {
		const char *version = NULL;

		/* any alias of this address that carries a version speaks for it */
		for (end = i; end < hi && all[end].addr == all[i].addr; end++)
			if (!version)
				version = all[end].version;
		for (size_t j = i; j < end && version && !(have && all[i].addr == canonical); j++)
			snprintf(all[j].tag, sizeof(all[j].tag), "@%s", version);
	}
	/* the rest by address: those without a version, and those sharing one */
	qsort(all + lo, hi - lo, sizeof(*all), compare_tag_addr);
	for (size_t i = lo, end; i < hi; i = end) {
		for (end = i + 1; end < hi && !strcmp(all[end].tag, all[i].tag); end++)
			;
		bool shared = all[i].addr != all[end - 1].addr;

		for (size_t j = i; j < end; j++) {
			char *tag = all[j].tag;

			if ((!tag[0] || shared) && !(have && all[j].addr == canonical))
				snprintf(tag, sizeof(all[j].tag), "@0x%" PRIx64, all[j].link);
		}
	}
}

/*
 * Give every function that shares its name (as shown: C++ and Rust names
 * demangled) with another address of the module a tag.
 */
static void tag_duplicates(struct sym_hit *all, size_t n)
{
	qsort(all, n, sizeof(*all), compare_name_addr);
	for (size_t lo = 0, hi; lo < n; lo = hi) {
		bool several = false;

		for (hi = lo + 1; hi < n && !strcmp(all[hi].name, all[lo].name); hi++)
			several |= all[hi].addr != all[lo].addr;
		if (several)
			tag_group(all, lo, hi);
	}
}

/*
 * Does the tag part of a pattern ("@GLIBC_2.2.5", "@0x1149", or nm's
 * "@@GLIBC_2.14", from its first '@' on) match the function's tag, or its
 * version as nm spells it? -ENOMEM, else 1 or 0.
 */
static int hit_tagged(const char *tag, const struct sym_hit *h)
{
	char *spelled;
	int ok;

	if (fnmatch(tag, h->tag, 0) == 0)
		return 1;
	if (!h->version)
		return 0;
	spelled = malloc(strlen(h->version) + 3);
	if (!spelled)
		return -ENOMEM;
	sprintf(spelled, "%s%s", h->hidden ? "@" : "@@", h->version);
	ok = fnmatch(tag, spelled, 0) == 0;
	free(spelled);
	return ok;
}

/*
 * The module's function symbols matching the pattern, one per address, in a
 * malloc'd array (*hits), each with its tag among same-named functions of
 * the module (computed over every function, so whatever the pattern, a
 * function's tag is the same). A pattern without '@' looks at the name; one
 * with '@' at the name before it and the tag from it on ("memcpy@GLIBC_2.2.5",
 * "helper@0x1149", "ns::f(int)@0x1149", nm's "memcpy@@GLIBC_2.14").
 * Returns the count or a negative errno.
 */
static int module_matches(struct up_symtab *s, Dwfl_Module *mod, const char *pattern,
			  struct sym_hit **hits)
{
	int nsyms = dwfl_module_getsymtab(mod);
	uint64_t bias = sym_module_bias(mod);
	const char *tag = strchr(pattern, '@');
	struct sym_versions versions;
	struct sym_hit *h;
	size_t n = 0, kept = 0, matched = 0;
	char *name = NULL;
	int err;

	*hits = NULL;
	if (nsyms <= 0)
		return 0;
	h = calloc(nsyms, sizeof(*h));
	name = strndup(pattern, tag ? (size_t)(tag - pattern) : strlen(pattern));
	if (!h || !name) {
		err = -ENOMEM;
		goto fail;
	}
	err = sym_versions_load(mod, &versions);
	if (err)
		goto fail;
	for (int i = 1; i < nsyms; i++) {
		GElf_Addr addr;
		GElf_Word shndx;
		GElf_Sym sym;
		const char *raw;
		int type;

		raw = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
		if (!raw || !*raw || *raw == '@' || sym.st_size == 0 || shndx == SHN_UNDEF)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		h[n].raw = raw;
		h[n].len = strcspn(raw, "@");
		err = hit_name(s, name, &h[n]);
		if (err)
			break;
		h[n].addr = addr;
		h[n].link = addr - bias;
		h[n].size = sym.st_size;
		h[n].bind = GELF_ST_BIND(sym.st_info);
		h[n].ifunc = type == STT_GNU_IFUNC;
		hit_version(&h[n], &versions);
		n++;
	}
	if (!err)
		tag_duplicates(h, n);
	/* a name cut to fit (long C++ names) is told by its address: its version may be shared */
	for (size_t i = 0; !err && i < n; i++)
		if (h[i].cut)
			snprintf(h[i].tag, sizeof(h[i].tag), "@0x%" PRIx64, h[i].link);
	for (size_t i = 0; !err && i < n; i++) {
		int ok = h[i].named && tag ? hit_tagged(tag, &h[i]) : h[i].named;

		if (ok < 0)
			err = ok;
		else if (ok)
			h[matched++] = h[i];
	}
	sym_versions_free(&versions);
	if (err)
		goto fail;
	/* One per address: aliases (malloc, __libc_malloc) keep the best name. */
	qsort(h, matched, sizeof(*h), compare_addr);
	for (size_t i = 0; i < matched; i++) {
		if (kept && h[kept - 1].addr == h[i].addr) {
			if (name_better(name, h[kept - 1].name, h[kept - 1].bind, h[i].name,
					h[i].bind))
				h[kept - 1] = h[i];
			continue;
		}
		h[kept++] = h[i];
	}
	free(name);
	*hits = h;
	return (int)kept;
fail:
	free(name);
	free(h);
	return err;
}

/* path: the module's, interned. */
static void hit_to_match(const struct sym_hit *h, const char *path, struct up_func_match *m)
{
	memcpy(m->func, h->name, sizeof(m->func));
	snprintf(m->tag, sizeof(m->tag), "%s", h->tag);
	m->module = path;
	m->addr = h->addr;
	m->size = h->size;
	m->ifunc = h->ifunc;
}

/* Append a module's matches to out[*n..max). Returns how many the module had, or -errno. */
static int collect(struct up_symtab *s, Dwfl_Module *mod, const char *pattern,
		   struct up_func_match *out, int *n, int max)
{
	const char *path = sym_intern(&s->strings, sym_module_path(mod));
	struct sym_hit *hits;
	int count;

	if (!path)
		return -ENOMEM;
	count = module_matches(s, mod, pattern, &hits);
	for (int i = 0; i < count && *n < max; i++)
		hit_to_match(&hits[i], path, &out[(*n)++]);
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
		const char *path = sym_intern(&s->strings, sym_module_path(mods[i]));
		struct sym_hit *hits;
		int count;

		if (!path) {
			free(m);
			return -ENOMEM;
		}
		count = module_matches(s, mods[i], pattern, &hits);
		for (int j = 0; j < count; j++) {
			hit_to_match(&hits[j], path, m);
			fn(ctx, m);
		}
		free(hits);
		total += count > 0 ? count : 0;
	}
	free(m);
	return total;
}

/* The function symbol holding addr into func (name, entry, size), if there is one. */
static void fill_func(struct up_symtab *s, Dwfl_Module *mod, uint64_t addr,
		      struct up_func_match *func)
{
	char raw[UP_FUNC_MAX];
	GElf_Off off;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);

	if (!name)
		return;
	snprintf(raw, sizeof(raw), "%.*s", (int)strcspn(name, "@"), name);
	sym_display_name(s, raw, func->func, sizeof(func->func));
	func->addr = addr - off;
	func->size = sym.st_size;
}

int sym_fill_match(struct up_symtab *s, Dwfl_Module *mod, uint64_t addr, struct up_func_match *func)
{
	if (!func)
		return 0;
	memset(func, 0, sizeof(*func));
	func->module = sym_intern(&s->strings, sym_module_path(mod));
	if (!func->module)
		return -ENOMEM;
	fill_func(s, mod, addr, func);
	return 0;
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
	return sym_fill_match(s, mod, run, func);
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
	/* (the module's path is not needed: no interning per frame) */
	memset(&m, 0, sizeof(m));
	fill_func(s, mod, addr, &m);
	if (m.func[0] && n >= 0 && (size_t)n < len) {
		if (addr == m.addr)
			snprintf(buf + n, len - n, " (%s)", m.func);
		else
			snprintf(buf + n, len - n, " (%s+0x%" PRIx64 ")", m.func, addr - m.addr);
	}
	return 0;
}

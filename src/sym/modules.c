/* SPDX-License-Identifier: MIT */
/*
 * The libdwfl session of a target and its modules.
 *
 * A target whose /proc/PID is this machine's (caps.procfs: ptrace) is
 * reported from /proc/PID/maps (dwfl_linux_proc_report), any other (a GDB
 * remote stub) from its auxv and link_map chain (link_map.c). Either
 * way the whole set is re-reported at each library-load event between
 * dwfl_report_begin and dwfl_report_end, and the main program is the module
 * holding AT_ENTRY. Module specs ("libc", "libc.so.6", a path) resolve here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <link.h>
#include <gelf.h>

#include "sym_internal.h"

const char *sym_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

const char *sym_module_path(Dwfl_Module *mod)
{
	return dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
}

uint64_t sym_module_bias(Dwfl_Module *mod)
{
	Dwarf_Addr bias = 0;

	if (!dwfl_module_getelf(mod, &bias))
		return 0;
	return bias;
}

int sym_read_auxv(struct up_symtab *s)
{
	Elf64_auxv_t auxv[256];
	int len = s->t->ops->auxv(s->t, auxv, sizeof(auxv));

	if (len < 0)
		return len;
	for (size_t i = 0; i < (size_t)len / sizeof(auxv[0]); i++) {
		switch (auxv[i].a_type) {
		case AT_ENTRY:
			s->auxv_entry = auxv[i].a_un.a_val;
			break;
		case AT_BASE:
			s->auxv_base = auxv[i].a_un.a_val;
			break;
		case AT_PHDR:
			s->auxv_phdr = auxv[i].a_un.a_val;
			break;
		}
		if (auxv[i].a_type == AT_NULL)
			break;
	}
	return s->auxv_entry ? 0 : -ENOENT;
}

struct module_list {
	Dwfl_Module **mods;
	int n, max;
};

static int collect_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
			  void *arg)
{
	struct module_list *list = arg;

	/*
	 * Memory uptrace shares with the target (src/core/shared.c) is no
	 * module of the program: counted, it would make a library-load event
	 * look like the libraries' arrival.
	 */
	if (name && !strncmp(name, "/memfd:uptrace-", 15))
		return DWARF_CB_OK;
	if (list->n < list->max)
		list->mods[list->n++] = mod;
	return DWARF_CB_OK;
}

static int compare_start(const void *a, const void *b)
{
	Dwarf_Addr sa, sb;

	dwfl_module_info(*(Dwfl_Module *const *)a, NULL, &sa, NULL, NULL, NULL, NULL, NULL);
	dwfl_module_info(*(Dwfl_Module *const *)b, NULL, &sb, NULL, NULL, NULL, NULL, NULL);
	return sa < sb ? -1 : sa > sb;
}

int sym_modules_ordered(struct up_symtab *s, Dwfl_Module **mods, int max)
{
	struct module_list list = {.mods = mods, .max = max};

	if (dwfl_getmodules(s->dwfl, collect_module, &list, 0) < 0)
		return -EIO;
	qsort(mods, list.n, sizeof(mods[0]), compare_start);
	for (int i = 0; i < list.n; i++) {
		if (mods[i] == s->main) {
			memmove(mods + 1, mods, i * sizeof(mods[0]));
			mods[0] = s->main;
			break;
		}
	}
	return list.n;
}

/* Does a module spec name this path: exact, same file, same basename, or a short name? */
static int spec_match(const char *spec, const char *path)
{
	const char *base = sym_basename(path);
	size_t n = strlen(spec);

	if (!strcmp(spec, path))
		return 4;
	if (strchr(spec, '/')) {
		char a[PATH_MAX], b[PATH_MAX];

		if (realpath(spec, a) && realpath(path, b) && !strcmp(a, b))
			return 3;
		return 0;
	}
	if (!strcmp(spec, base))
		return 2;
	if (!strncmp(spec, base, n) && (!strncmp(base + n, ".so", 3) || base[n] == '-'))
		return 1;
	return 0;
}

/* The module's DT_SONAME ("libz.so.1" for libz.so.1.2.13), or NULL. */
static const char *module_soname(Dwfl_Module *mod)
{
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	Elf_Scn *scn = NULL;

	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; i++) {
			GElf_Dyn dyn;

			if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag == DT_SONAME)
				return elf_strptr(elf, shdr.sh_link, dyn.d_un.d_val);
		}
	}
	return NULL;
}

/*
 * A library named as the dynamic linker names it: its soname, or a file
 * name in its folder that leads to the mapped file ("libz.so.1" is a
 * symlink to libz.so.1.2.13, which is what the maps show).
 */
static bool library_name_match(const char *spec, Dwfl_Module *mod)
{
	const char *path = sym_module_path(mod), *soname;
	char link[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	size_t dir = strlen(path) - strlen(sym_basename(path));

	if (strchr(spec, '/'))
		return false;
	soname = module_soname(mod);
	if (soname && !strcmp(soname, spec))
		return true;
	if (!dir ||
	    snprintf(link, sizeof(link), "%.*s%s", (int)dir, path, spec) >= (int)sizeof(link))
		return false;
	return realpath(link, a) && realpath(path, b) && !strcmp(a, b);
}

Dwfl_Module *sym_module_find(struct up_symtab *s, const char *spec)
{
	Dwfl_Module *mods[SYM_MAX_MODULES];
	Dwfl_Module *best = NULL;
	int n, best_score = 0;

	if (!spec || !*spec)
		return s->main;
	n = sym_modules_ordered(s, mods, SYM_MAX_MODULES);
	for (int i = 0; i < n; i++) {
		int score = spec_match(spec, sym_module_path(mods[i]));

		if (score < 2 && library_name_match(spec, mods[i]))
			score = 2;

		if (score > best_score) {
			best = mods[i];
			best_score = score;
		}
	}
	return best;
}

static uint64_t name_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	while (name && *name)
		h = (h ^ (uint8_t)*name++) * 0x100000001b3ull;
	return h;
}

struct seen_list {
	struct sym_seen *v;
	int n, cap;
	int err;
};

/* Every module of the report, however many (a module missed here would seem unmapped). */
static int collect_seen(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
			void *arg)
{
	struct seen_list *l = arg;
	Dwarf_Addr lo, hi;

	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		struct sym_seen *v = realloc(l->v, (size_t)cap * sizeof(*v));
		if (!v) {
			l->err = -ENOMEM;
			return DWARF_CB_ABORT;
		}
		l->v = v;
		l->cap = cap;
	}
	name = dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
	/* A module is its start and its name (a library dlopen'ed where another was). */
	l->v[l->n++] = (struct sym_seen){.id = lo ^ name_hash(name), .start = lo, .end = hi};
	return DWARF_CB_OK;
}

static bool seen_has(const struct sym_seen *v, int n, uint64_t id)
{
	for (int i = 0; i < n; i++)
		if (v[i].id == id)
			return true;
	return false;
}

/*
 * Remember the modules of this report and add those of the last one that
 * are gone to the removed list (up_sym_removed empties it); returns how
 * many were not there before.
 */
static int note_modules(struct up_symtab *s)
{
	struct seen_list now = {0};
	int added = 0;

	if (dwfl_getmodules(s->dwfl, collect_seen, &now, 0) < 0 || now.err) {
		free(now.v);
		return now.err ? now.err : -EIO;
	}
	for (int i = 0; i < s->nmodules; i++) {
		if (seen_has(now.v, now.n, s->seen[i].id))
			continue;
		if (s->nremoved == s->removed_cap) {
			int cap = s->removed_cap ? s->removed_cap * 2 : 16;
			struct sym_seen *v = realloc(s->removed, (size_t)cap * sizeof(*v));
			if (!v) {
				free(now.v);
				return -ENOMEM;
			}
			s->removed = v;
			s->removed_cap = cap;
		}
		s->removed[s->nremoved++] = s->seen[i];
	}
	for (int i = 0; i < now.n; i++)
		added += !seen_has(s->seen, s->nmodules, now.v[i].id);
	free(s->seen);
	s->seen = now.v;
	s->seen_cap = now.cap;
	s->nmodules = now.n;
	return added;
}

void up_sym_removed(struct up_symtab *s, void (*fn)(void *ctx, uint64_t start, uint64_t end),
		    void *ctx)
{
	for (int i = 0; i < s->nremoved; i++)
		fn(ctx, s->removed[i].start, s->removed[i].end);
	s->nremoved = 0;
}

static void find_main(struct up_symtab *s)
{
	char want[PATH_MAX];

	s->main = NULL;
	if (s->auxv_entry)
		s->main = dwfl_addrmodule(s->dwfl, s->auxv_entry);
	if (s->main || !realpath(s->t->exe, want))
		return;
	/* No auxv: the module whose file is t->exe. */
	Dwfl_Module *mods[SYM_MAX_MODULES];
	int n = sym_modules_ordered(s, mods, SYM_MAX_MODULES);

	for (int i = 0; i < n && !s->main; i++)
		if (spec_match(want, sym_module_path(mods[i])) >= 3)
			s->main = mods[i];
}

/* What was reported last time (names stay valid until dwfl_report_end). */
static void snapshot_known(struct up_symtab *s)
{
	Dwfl_Module *mods[SYM_MAX_MODULES];
	int n = sym_modules_ordered(s, mods, SYM_MAX_MODULES);

	s->nknown = 0;
	for (int i = 0; i < n; i++) {
		struct sym_known *k = &s->known[s->nknown++];
		Dwarf_Addr start, end;

		k->name = dwfl_module_info(mods[i], NULL, &start, &end, NULL, NULL, NULL, NULL);
		k->start = start;
		k->end = end;
		k->bias = sym_module_bias(mods[i]);
	}
}

static int report(struct up_symtab *s)
{
	int err;

	if (!s->t->caps.procfs)
		snapshot_known(s);
	dwfl_report_begin(s->dwfl);
	if (s->t->caps.procfs) {
		err = dwfl_linux_proc_report(s->dwfl, s->t->pid);
		if (err > 0)
			err = err == ENOENT ? -ESRCH : -err;
		else if (err < 0)
			err = -EIO;
	} else {
		err = sym_report_link_map(s);
	}
	if (dwfl_report_end(s->dwfl, NULL, NULL) != 0 && !err)
		err = -EIO;
	s->nknown = 0;
	if (err)
		return err;
	find_main(s);
	return note_modules(s);
}

int up_sym_open(struct up_symtab **out, struct up_target *t)
{
	struct up_symtab *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	sym_intern_init(&s->strings);
	s->t = t;
	s->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
	s->callbacks.section_address = dwfl_offline_section_address;
	if (t->caps.procfs) {
		s->callbacks.find_elf = dwfl_linux_proc_find_elf;
	} else {
		/* Separate debug files of a foreign target live under its sysroot. */
		if (t->sysroot[0] &&
		    asprintf(&s->debuginfo_path, ":.debug:%s/usr/lib/debug", t->sysroot) < 0) {
			free(s);
			return -ENOMEM;
		}
		s->callbacks.find_elf = dwfl_build_id_find_elf;
	}
	s->callbacks.debuginfo_path = &s->debuginfo_path;
	s->dwfl = dwfl_begin(&s->callbacks);
	if (!s->dwfl) {
		err = -ENOMEM;
		goto err_free;
	}
	/* Without an auxv a native target still has its maps, a remote one its ELF header. */
	sym_read_auxv(s);
	err = report(s);
	if (err < 0)
		goto err_end;
	*out = s;
	return 0;

err_end:
	dwfl_end(s->dwfl);
err_free:
	free(s->debuginfo_path);
	sym_intern_free(&s->strings); /* what the failed report interned */
	free(s);
	return err;
}

void up_sym_close(struct up_symtab *s)
{
	if (!s)
		return;
	dwfl_end(s->dwfl);
	free(s->debuginfo_path);
	free(s->seen);
	free(s->removed);
	sym_intern_free(&s->strings);
	free(s);
}

int up_sym_refresh(struct up_symtab *s)
{
	return report(s);
}

/* After an exec every module is another: start a new libdwfl session on the same handle. */
int up_sym_reset(struct up_symtab *s)
{
	Dwfl *dwfl = dwfl_begin(&s->callbacks);
	int err;

	if (!dwfl)
		return -ENOMEM;
	dwfl_end(s->dwfl);
	s->dwfl = dwfl;
	s->main = NULL;
	s->auxv_entry = s->auxv_base = s->auxv_phdr = s->main_bias = 0;
	s->nmodules = 0;
	s->nremoved = 0;
	s->nknown = 0;
	sym_read_auxv(s);
	err = report(s);
	return err < 0 ? err : 0;
}

int up_sym_module(struct up_symtab *s, const char *spec, struct up_module_info *info)
{
	Dwfl_Module *mod = sym_module_find(s, spec);
	Dwarf_Addr start, end;

	if (!mod)
		return -ENOENT;
	if (info) {
		info->path = dwfl_module_info(mod, NULL, &start, &end, NULL, NULL, NULL, NULL);
		info->start = start;
		info->end = end;
		info->bias = sym_module_bias(mod);
	}
	return 0;
}

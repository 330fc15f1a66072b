/* SPDX-License-Identifier: MIT */
/*
 * FILE:LINE probes: the DWARF line tables (dwfl_module_getsrc_file), the
 * lowest statement address of the line, in the named module or the first
 * module (main program first) that has the line.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <stdlib.h>
#include <elfutils/libdw.h>

#include "sym_internal.h"

/* Is a line table's file name the same file as want (a real path)? */
static bool same_file(const char *name, const char *want)
{
	char real[PATH_MAX];

	return name && realpath(name, real) && !strcmp(real, want);
}

/*
 * The lowest is_stmt address of file:line in mod, or -ENOENT. An absolute
 * file is looked up by its base name and compared by real path, since the
 * line table spells it from the compilation directory ("build/../src/x.c").
 */
static int module_line(Dwfl_Module *mod, const char *file, int line, uint64_t *addr)
{
	char want[PATH_MAX];
	const char *query = file;
	Dwfl_Line **srcs = NULL;
	size_t nsrcs = 0;
	bool found = false;

	if (file[0] == '/') {
		if (!realpath(file, want))
			return -ENOENT;
		query = strrchr(file, '/') + 1;
	}
	if (dwfl_module_getsrc_file(mod, query, line, 0, &srcs, &nsrcs) != 0)
		return -ENOENT;
	for (size_t i = 0; i < nsrcs; i++) {
		Dwarf_Addr a, bias;
		Dwarf_Line *dl = dwfl_dwarf_line(srcs[i], &bias);
		const char *name;
		bool stmt = true;
		int lineno;

		name = dwfl_lineinfo(srcs[i], &a, &lineno, NULL, NULL, NULL);
		if (!name || lineno != line || (query != file && !same_file(name, want)))
			continue;
		if (dl)
			dwarf_linebeginstatement(dl, &stmt);
		if (stmt && (!found || a < *addr)) {
			*addr = a;
			found = true;
		}
	}
	free(srcs);
	return found ? 0 : -ENOENT;
}

int up_sym_line(struct up_symtab *s, const char *module_spec, const char *file, int line,
		uint64_t *addr, struct up_func_match *func)
{
	Dwfl_Module *mods[SYM_MAX_MODULES];
	int n;

	if (module_spec && *module_spec) {
		mods[0] = sym_module_find(s, module_spec);
		if (!mods[0])
			return -ENOENT;
		n = 1;
	} else {
		n = sym_modules_ordered(s, mods, SYM_MAX_MODULES);
		if (n < 0)
			return n;
	}
	for (int i = 0; i < n; i++) {
		if (module_line(mods[i], file, line, addr) == 0)
			return sym_fill_match(s, mods[i], *addr, func);
	}
	return -ENOENT;
}

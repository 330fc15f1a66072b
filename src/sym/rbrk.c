/* SPDX-License-Identifier: MIT */
/*
 * Where to stop for library loads: the dynamic linker calls its r_brk
 * function (_dl_debug_state in glibc, which exports it) after each change
 * to the link_map chain. Found in the interpreter's symbol table, else read
 * from r_debug.r_brk through DT_DEBUG once the dynamic linker has run.
 */
#include <errno.h>
#include <string.h>
#include <gelf.h>

#include "sym_internal.h"

#define R_DEBUG_BRK 16
#define R_DEBUG_STATE 24

/* The interpreter's module: the one at AT_BASE, else an ld.so by name. */
static Dwfl_Module *interp_module(struct up_symtab *s)
{
	Dwfl_Module *mods[SYM_MAX_MODULES];
	int n;

	if (s->auxv_base) {
		Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, s->auxv_base);

		if (mod)
			return mod;
	}
	n = sym_modules_ordered(s, mods, SYM_MAX_MODULES);
	for (int i = 0; i < n; i++) {
		const char *base = sym_basename(sym_module_path(mods[i]));

		if (!strncmp(base, "ld-linux", 8) || !strncmp(base, "ld.so", 5) ||
		    !strncmp(base, "ld-musl", 7))
			return mods[i];
	}
	return NULL;
}

int up_sym_rbrk(struct up_symtab *s, uint64_t *addr)
{
	Dwfl_Module *mod = interp_module(s);
	uint64_t r_debug = 0;

	if (mod) {
		int nsyms = dwfl_module_getsymtab(mod);

		for (int i = 1; i < nsyms; i++) {
			GElf_Addr a;
			GElf_Word shndx;
			GElf_Sym sym;
			const char *name =
			    dwfl_module_getsym_info(mod, i, &sym, &a, &shndx, NULL, NULL);

			if (name && shndx != SHN_UNDEF && !strncmp(name, "_dl_debug_state", 15) &&
			    (name[15] == 0 || name[15] == '@')) {
				*addr = a;
				return 0;
			}
		}
	}
	if (sym_r_debug(s, &r_debug) < 0 || !r_debug)
		return -ENOENT;
	if (sym_read_mem(s, r_debug + R_DEBUG_BRK, addr, sizeof(*addr)) < 0 || !*addr)
		return -ENOENT;
	return 0;
}

int up_sym_link_state(struct up_symtab *s)
{
	uint64_t r_debug = 0;
	int32_t state;

	if (sym_r_debug(s, &r_debug) < 0 || !r_debug)
		return -ENOENT;
	if (sym_read_mem(s, r_debug + R_DEBUG_STATE, &state, sizeof(state)) < 0)
		return -EIO;
	return state >= 0 && state <= 2 ? state : -EINVAL;
}

/* SPDX-License-Identifier: MIT */
/*
 * Private to src/sym: the symbol table object shared by the files of this
 * layer. One libdwfl session per target; modules are (re)reported into it
 * by modules.c (with caps.procfs: /proc/PID/maps; else link_map.c from the
 * auxv and the r_debug/link_map chain). Everything else only reads it.
 */
#ifndef UPTRACE_SYM_INTERNAL_H
#define UPTRACE_SYM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "uptrace/sym.h"
#include "uptrace/table.h"
#include "uptrace/target.h"

#define SYM_MAX_MODULES 512

/* A module as last reported (remote targets re-report known modules by range). */
struct sym_known {
	const char *name;
	uint64_t start, end, bias;
};

/* A module as one report saw it: its identity (start ^ name hash) and its range. */
struct sym_seen {
	uint64_t id;
	uint64_t start, end;
};

/* Interned strings (intern.c): one copy of each, in a table of them, freed with the table. */
void sym_intern_init(struct up_table *t);
/* The one copy of str, NULL only when out of memory (or str is NULL). */
const char *sym_intern(struct up_table *t, const char *str);
void sym_intern_free(struct up_table *t);

struct up_symtab {
	struct up_target *t;
	Dwfl *dwfl;
	Dwfl *attached;	 /* the session dwfl_attach_state ran on (unwind.c) */
	void *unwinding; /* the unwind under way, for libdwfl's callbacks */
	Dwfl_Callbacks callbacks;
	char *debuginfo_path;
	Dwfl_Module *main;   /* the main program's module (may be NULL) */
	uint64_t auxv_entry; /* AT_ENTRY, 0 if unknown */
	uint64_t auxv_base;  /* AT_BASE: the interpreter's load address */
	uint64_t auxv_phdr;  /* AT_PHDR */
	uint64_t main_bias;  /* remote: bias the main program was reported at */
	/* the last report's modules, to tell what a new report added and removed */
	struct sym_seen *seen;
	int nmodules, seen_cap;
	struct sym_seen *removed; /* in the report before the last, not in the last */
	int nremoved, removed_cap;
	struct sym_known known[SYM_MAX_MODULES];
	int nknown;
	bool raw_names;		 /* --no-demangle: names as the symbol tables spell them */
	struct up_table strings; /* module paths that outlive a report (up_sym_intern) */
};

/* Modules ordered for lookups: the main program first, then by address. Returns the count. */
int sym_modules_ordered(struct up_symtab *s, Dwfl_Module **mods, int max);
/* The module a spec names (NULL / "" = main program), or NULL. */
Dwfl_Module *sym_module_find(struct up_symtab *s, const char *spec);
/* The module's name (its path) and its bias (run-time minus link-time). */
const char *sym_module_path(Dwfl_Module *mod);
uint64_t sym_module_bias(Dwfl_Module *mod);
const char *sym_basename(const char *path);

/* Read target memory (t->ops->read). */
int sym_read_mem(struct up_symtab *s, uint64_t addr, void *buf, size_t len);

/* Parse the auxv into s->auxv_*. 0 or a negative errno. */
int sym_read_auxv(struct up_symtab *s);
/*
 * Report every module of a target without procfs, from its memory (inside a
 * dwfl_report_begin/end pair).
 */
int sym_report_link_map(struct up_symtab *s);
/* The run-time address of r_debug (from DT_DEBUG of the main program), 0 if not set yet. */
int sym_r_debug(struct up_symtab *s, uint64_t *r_debug);

/* One versioned symbol of .dynsym (versions.c). */
struct sym_version {
	uint64_t value;	     /* link-time address */
	const char *name;    /* plain: "pthread_cond_wait" */
	const char *version; /* "GLIBC_2.3.2" */
	bool hidden;	     /* not the default version: nm's single '@' */
};

struct sym_versions {
	struct sym_version *entries; /* sorted by value */
	size_t n;
};

/* The module's versioned .dynsym symbols (none without version sections). 0 or -ENOMEM. */
int sym_versions_load(Dwfl_Module *mod, struct sym_versions *v);
/* The version of the symbol name[0..len) at a link-time address, or NULL. */
const struct sym_version *sym_versions_find(const struct sym_versions *v, uint64_t value,
					    const char *name, size_t len);
void sym_versions_free(struct sym_versions *v);

/*
 * Fill a match for the function symbol containing addr (func may be NULL):
 * its module's path always, its function's name, entry and size when a
 * symbol holds addr. 0, or -ENOMEM.
 */
int sym_fill_match(struct up_symtab *s, Dwfl_Module *mod, uint64_t addr,
		   struct up_func_match *func);

/* demangle.c: C++ and Rust names (libiberty). */
bool sym_is_mangled(const char *name);
/* The demangled name with parameters ("ns::K::f(int)"), malloc'd; NULL if not mangled. */
char *sym_demangle(const char *name);
/* Its length without the parameter list, qualifiers and clone suffixes ("ns::K::f"). */
size_t sym_demangled_base_len(const char *dem);
/* Does a glob match a demangled name (rules in demangle.c)? */
bool sym_demangled_match(const char *pattern, const char *dem);
/* The name to show for a raw symbol name into buf: demangled unless s says raw. */
void sym_display_name(struct up_symtab *s, const char *raw, char *buf, size_t len);

/* DWARF (dwarf_*.c). */

/* Where the DWARF of one pc is: its module, CU, function and the biases. */
struct sym_dwarf_ctx {
	struct up_symtab *s;
	Dwfl_Module *mod;
	uint64_t pc;	   /* run-time */
	Dwarf_Addr bias;   /* DWARF addresses + bias = run-time */
	Dwarf_Die *scopes; /* dwarf_getscopes at pc, innermost first (malloc'd) */
	int nscopes;
	int func;	  /* index in scopes of the innermost DW_TAG_subprogram */
	bool at_entry;	  /* pc is the function's first instruction */
	bool in_prologue; /* after it, before the first line of the body */
	bool clone;	  /* a compiler's clone (f.isra.0): the ABI does not follow the source */
};

/* Where the calling convention puts a parameter at the function's entry (dwarf_abi.c). */
enum sym_abi_where {
	SYM_ABI_UNKNOWN = 0, /* not certain: a parameter before it is not understood */
	SYM_ABI_NONE,	     /* an empty struct: passed nowhere */
	SYM_ABI_REGS,	     /* in registers: part[] */
	SYM_ABI_STACK,	     /* at stack bytes from the first stack argument */
	SYM_ABI_REF_REG,     /* a copy in memory, its address in integer register part[0] */
	SYM_ABI_REF_STACK,   /* a copy in memory, its address at stack */
	SYM_ABI_SPLIT,	     /* half in a register, half on the stack (riscv, loongarch) */
};

#define SYM_ABI_PARTS 4

/* One register holding bytes [offset, offset + size) of the object. */
struct sym_abi_part {
	bool fp;     /* a floating-point argument register (else integer) */
	uint8_t reg; /* which argument register: 0 is the first (rdi, xmm0, x0, a0, fa0) */
	uint16_t offset;
	uint8_t size;
};

struct sym_abi_loc {
	uint8_t where; /* enum sym_abi_where */
	uint8_t nparts;
	struct sym_abi_part part[SYM_ABI_PARTS];
	uint64_t stack; /* SYM_ABI_STACK, SYM_ABI_REF_STACK */
};

/* A value being built: its fetch, and whether that yields the object's address or its value. */
struct sym_value {
	struct up_fetch fetch;
	bool is_address;
	Dwarf_Die type;
	/* An aggregate held in registers (not is_address): where each part is, and the offset of
	 * the member reached so far. */
	bool in_regs;
	bool result; /* the parts are the result registers, not the argument ones */
	struct sym_abi_loc regs;
	uint64_t regs_offset;
};

/* Where parameter param of c's function is at its entry, by the arch's ABI. */
int sym_abi_param(struct sym_dwarf_ctx *c, Dwarf_Die *param, struct sym_abi_loc *loc);
/* Where a function returning type leaves its value (a fetch), or -EDOM (not a scalar). */
struct up_arch;
int sym_abi_result(const struct up_arch *arch, Dwarf_Die *type, struct up_fetch *f);
/*
 * Where a function returning an aggregate of this type leaves it:
 * SYM_ABI_REGS (parts numbered per kind: integer 0 and 1 are retval_reg and
 * retval2_reg, float k is fp_arg_regs[k]), SYM_ABI_REF_REG (in memory at
 * the address the caller passed in result_addr_reg), or SYM_ABI_NONE (an
 * empty struct). -EDOM: not an aggregate; -ENODATA: a case the rules here
 * do not cover.
 */
int sym_abi_result_loc(const struct up_arch *arch, Dwarf_Die *type, struct sym_abi_loc *loc);

int sym_dwarf_ctx_open(struct sym_dwarf_ctx *c, struct up_symtab *s, uint64_t pc);
void sym_dwarf_ctx_close(struct sym_dwarf_ctx *c);

/*
 * Scalar type of a DWARF type (typedefs and qualifiers peeled), or -EDOM
 * for one that is not shown (aggregates, complex, IEEE quad long double).
 * x87_long_double: a 16-byte float is x86_64's 80-bit long double.
 */
int sym_type_classify(Dwarf_Die *type, bool x87_long_double, struct up_type *out);
/* An array of char (shown as the string it holds). */
bool sym_type_char_array(Dwarf_Die *type);
/* The DW_AT_type of a DIE (abstract origins followed), or -ENOENT (void). */
int sym_die_type(Dwarf_Die *die, Dwarf_Die *type);
/* The struct or union a type names (peeled), or -ENOTSUP. */
int sym_type_aggregate(Dwarf_Die *type, Dwarf_Die *aggregate);
/* A member of a struct or union (anonymous members searched): its DIE and byte offset. */
int sym_type_member(Dwarf_Die *aggregate, const char *name, Dwarf_Die *member, uint64_t *offset);
/* A member's byte offset in its struct (0 in a union), or -ENOTSUP (a location expression). */
int sym_type_member_offset(Dwarf_Die *member, uint64_t *offset);

/* Append "add imm" / "load size" to a fetch. 0 or -E2BIG. */
int sym_fetch_add(struct up_fetch *f, int64_t imm);
int sym_fetch_load(struct up_fetch *f, unsigned size);
/* Is the variable's location at c->pc a frame-base slot (DW_OP_fbreg)? */
bool sym_location_in_frame(struct sym_dwarf_ctx *c, Dwarf_Die *var);
/* The location of a variable or parameter DIE at c->pc. */
int sym_location(struct sym_dwarf_ctx *c, Dwarf_Die *var, struct sym_value *v);

#endif

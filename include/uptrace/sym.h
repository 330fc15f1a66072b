/* SPDX-License-Identifier: MIT */
/*
 * Symbols: the target's modules (libdwfl), function symbols, DWARF
 * parameters and line tables. Used when probes are resolved and when
 * libraries load; never on the per-hit path.
 *
 * A native target's modules come from /proc/PID/maps; a remote target's
 * from its auxv (AT_PHDR, AT_BASE, AT_ENTRY) and the r_debug/link_map chain,
 * each module reported to libdwfl at its load bias.
 */
#ifndef UPTRACE_SYM_H
#define UPTRACE_SYM_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "uptrace/probe.h"
#include "uptrace/regs.h"

struct up_arch;
struct up_target;
struct up_symtab;

struct up_module_info {
	const char *path;    /* as mapped */
	uint64_t start, end; /* run-time address range */
	uint64_t bias;	     /* run-time minus link-time addresses */
};

struct up_func_match {
	char func[UP_FUNC_MAX]; /* demangled unless up_sym_set_demangle(s, false) */
	const char *module;	/* module path (up_sym_intern's), NULL: none */
	uint64_t addr;		/* run-time address of the function's entry */
	uint64_t size;
	/*
	 * What tells it from other functions of its module with the same name
	 * as func shows it (versions, static functions, C++ names that
	 * demangle alike): "@GLIBC_2.2.5" for a version that is not the
	 * default, else "@0x" and its link-time address; "" for the one a
	 * plain reference binds to, and for a name defined once.
	 */
	char tag[64];
	bool ifunc; /* an STT_GNU_IFUNC: addr is its resolver (up_sym_ifunc_target) */
};

int up_sym_open(struct up_symtab **out, struct up_target *t);
/*
 * The symbol table's one copy of str (a module's path, a PROBE's module
 * name): equal strings share it, and it stays valid across
 * up_sym_refresh and up_sym_reset until up_sym_close, so a match's,
 * a site's or a probe's module can be kept by pointer. NULL only when out
 * of memory.
 */
const char *up_sym_intern(struct up_symtab *s, const char *str);
/*
 * Names of C++ and Rust functions as shown (up_func_match.func, --stack):
 * demangled (the default) or as the symbol table spells them. Either way
 * a pattern matches both spellings.
 */
void up_sym_set_demangle(struct up_symtab *s, bool on);
void up_sym_close(struct up_symtab *s);
/* Re-read the module list (after a library load). Returns how many modules are new. */
int up_sym_refresh(struct up_symtab *s);
/* The process exec'd: forget every module and read the new program's. */
int up_sym_reset(struct up_symtab *s);
/*
 * The address range of every module a refresh found gone (unmapped by
 * dlclose) since the last call, one call of fn each.
 */
void up_sym_removed(struct up_symtab *s, void (*fn)(void *ctx, uint64_t start, uint64_t end),
		    void *ctx);

/*
 * Does a module spec ("libc", "libc.so.6", "/usr/lib/.../libc.so.6", NULL =
 * main program) name a loaded module? 0 and *info, or -ENOENT.
 */
int up_sym_module(struct up_symtab *s, const char *spec, struct up_module_info *info);

/*
 * Functions matching a glob in one module (spec as above) or, with
 * module_spec NULL, the main program first and then every module. Returns
 * the number of matches (at most max), 0 for none. -EEXIST with
 * *ambiguous set to a comma-separated list of modules when a plain name
 * (no glob, no module) is defined in more than one module.
 */
int up_sym_functions(struct up_symtab *s, const char *module_spec, const char *pattern,
		     struct up_func_match *out, int max, char *ambiguous, size_t ambiguous_len);

/*
 * The implementation an IFUNC match resolves to in this process (what
 * every call runs), read from the resolved GOT slots of the relocations
 * that name it. 0 with *impl (and impl_match, may be NULL, describing it);
 * -EAGAIN while its module is not relocated yet; -ENOENT when no resolved
 * relocation names it (lazy binding has not bound it yet).
 */
int up_sym_ifunc_target(struct up_symtab *s, const struct up_func_match *m, uint64_t *impl,
			struct up_func_match *impl_match);

/* Run-time address of a FILE:LINE (first is_stmt address), or -ENOENT. */
int up_sym_line(struct up_symtab *s, const char *module_spec, const char *file, int line,
		uint64_t *addr, struct up_func_match *func);

/* Run-time address of a link-time address in a module. */
int up_sym_link_to_runtime(struct up_symtab *s, const char *module_spec, uint64_t link_addr,
			   uint64_t *addr, struct up_func_match *func);

/*
 * The formal parameters of the function containing pc (DWARF), as fetches
 * valid at pc (at the entry: ABI registers, even when DWARF's locations
 * only hold after the prologue), the first max of them into out. Returns
 * how many there are (more than max: the rest were not stored), 0 with no
 * DWARF.
 */
int up_sym_params(struct up_symtab *s, uint64_t pc, struct up_arg *out, int max);

/*
 * One DWARF expression ("n", "req->len", "p->name") at pc: its fetch and
 * type. -ENOENT naming no variable, -EINVAL a malformed expression.
 */
int up_sym_variable(struct up_symtab *s, uint64_t pc, const char *expr, struct up_arg *out);

/* The type of the function's return value (for $retval), or -ENOENT. */
int up_sym_return_type(struct up_symtab *s, uint64_t func_addr, struct up_type *type);
/*
 * Its type and where the ABI leaves it (the integer return register,
 * xmm0 / v0 / fa0 for a float, x87 st(0) for long double); -EDOM when it
 * is not one value uptrace can show (a struct), -ENOENT without DWARF.
 */
int up_sym_return_fetch(struct up_symtab *s, uint64_t func_addr, struct up_type *type,
			struct up_fetch *fetch);

/* What a function returns, by its DWARF. */
enum up_ret_shape {
	UP_RET_UNKNOWN = 0, /* no DWARF for it: the return register is all there is */
	UP_RET_SCALAR,	    /* one value uptrace shows */
	UP_RET_VOID,	    /* nothing */
	UP_RET_AGGREGATE,   /* a struct, union or class: shown by its members */
	UP_RET_OTHER,	    /* a value uptrace cannot show (complex, vector, __int128) */
};
int up_sym_return_shape(struct up_symtab *s, uint64_t func_addr);

/*
 * $retval followed by path (".a", "->len", ".p.x"; "" for $retval
 * itself) at the return of the function at func_addr: out's fetch runs at
 * the return. A result returned in memory is read at the address the
 * caller passed: *entry is then what to capture at the function's entry
 * (base 0: nothing), and out's fetch starts from that capture
 * (UP_FETCH_ENTRY, argn 0 for the caller to set). -ENOMSG: the function
 * returns void; -EDOM: not one value (a struct itself: name a member);
 * -ENODATA: where the ABI leaves it is not covered; -ENOENT: no DWARF
 * or no such member.
 */
int up_sym_return_value(struct up_symtab *s, uint64_t func_addr, const char *path,
			struct up_arg *out, struct up_fetch *entry);
/*
 * An aggregate result's scalar members ("ret.a", "ret.p.x"), at most max,
 * fetched as up_sym_return_value's are (*entry the same). Returns how many,
 * or a negative errno (-EDOM: the result is not an aggregate).
 */
int up_sym_return_members(struct up_symtab *s, uint64_t func_addr, struct up_arg *out, int max,
			  struct up_fetch *entry);

/*
 * The run-time ranges of a module's executable segments (PT_LOAD with
 * PF_X): where a remote system call may find its instruction. Returns how
 * many (at most max).
 */
int up_sym_exec_ranges(struct up_symtab *s, const char *module_spec, uint64_t ranges[][2], int max);

/* Address of the dynamic linker's r_brk (_dl_debug_state), or -ENOENT. */
int up_sym_rbrk(struct up_symtab *s, uint64_t *addr);

/*
 * r_debug.r_state at an r_brk stop: UP_LINK_CONSISTENT (the link map is
 * complete), UP_LINK_ADD or UP_LINK_DELETE (a change is under way), or a
 * negative errno when there is no r_debug yet.
 */
enum { UP_LINK_CONSISTENT = 0, UP_LINK_ADD = 1, UP_LINK_DELETE = 2 };
int up_sym_link_state(struct up_symtab *s);

/*
 * The return addresses of a stopped thread's callers, innermost first,
 * unwound by libdwfl from CFI starting at regs. Return addresses on the
 * stack that hold trampoline stand, in order, for originals (innermost
 * first). Returns how many frames (at most max), or a negative errno when
 * libdwfl cannot unwind this target.
 */
int up_sym_unwind(struct up_symtab *s, pid_t tid, const struct up_regs *regs, uint64_t *frames,
		  int max, uint64_t trampoline, const uint64_t *originals, int noriginals);

/*
 * Every function symbol named exactly names[which] (a version suffix aside)
 * in every loaded module: fn(ctx, which, run-time address) for each. Stops
 * at the first non-zero return of fn and returns it, else 0.
 */
int up_sym_each_named(struct up_symtab *s, const char *const *names, unsigned n,
		      int (*fn)(void *ctx, unsigned which, uint64_t addr), void *ctx);

/* Is addr in an executable segment of a loaded module? */
bool up_sym_in_code(struct up_symtab *s, uint64_t addr);

/* Is addr the ELF entry point (e_entry) of the module holding it? */
bool up_sym_is_entry_point(struct up_symtab *s, uint64_t addr);

/* Is the module holding addr built by Go (its build info or Go build ID note)? */
bool up_sym_in_go_module(struct up_symtab *s, uint64_t addr);

/* "module+0xoff (func+0xoff)" for --stack, outside the hit path. */
int up_sym_describe(struct up_symtab *s, uint64_t addr, char *buf, size_t len);

/*
 * Evidence that addr starts an instruction: a function or label symbol, or
 * a DWARF line-table row, at exactly addr. 1 (and *what names it: "the
 * symbol 'f'", "a line-table row (f.c:12)"), 0 for none, -ENOENT outside
 * every module.
 */
int up_sym_insn_start(struct up_symtab *s, uint64_t addr, char *what, size_t len);

/* Call fn for every function symbol (for -l), with its parameters when verbose. */
int up_sym_list(struct up_symtab *s, const char *pattern,
		void (*fn)(void *ctx, const struct up_func_match *m), void *ctx);

/* USDT (SystemTap SDT) probes: sdt.h allows 12 arguments. */
#define UP_USDT_MAX_ARGS 12

/* One site of a USDT probe, read from a module's .note.stapsdt. */
struct up_usdt_site {
	const char *provider, *name; /* valid during the callback only */
	const char *arg_specs;	     /* as the note spells them: "-4@%edi 8@-80(%rbx)" */
	const char *module;	     /* the module's path (up_sym_intern's) */
	uint64_t addr;		     /* run-time address of the probe's nop */
	uint64_t semaphore;	     /* run-time address of its 2-byte semaphore, 0: none */
	struct up_func_match func;   /* the function holding the site (func "" if none) */
	unsigned nargs;
	struct up_arg args[UP_USDT_MAX_ARGS]; /* $arg1..: fetch and type (sign, size) */
	char args_error[256];		      /* not "": why the arguments cannot be read */
};

/*
 * Call fn for every USDT site whose provider and name match the globs, in
 * one module (module_spec) or, with module_spec NULL, in every module, the
 * main program first. Addresses are adjusted for prelink (.stapsdt.base)
 * and the module's load bias. fn returns 0 to go on, or a negative errno to
 * stop with it. Returns how many sites matched, or a
 * negative errno.
 */
int up_sym_usdt_sites(struct up_symtab *s, const char *module_spec, const char *provider,
		      const char *name, int (*fn)(void *ctx, const struct up_usdt_site *site),
		      void *ctx);

/*
 * One argument spec of a USDT note in the arch's syntax ("-4@%edi",
 * "8@[sp, 12]") into a fetch and a type (signed for a negative size). A
 * symbol operand ("-4@counter(%rip)") leaves its name in symbol (else ""),
 * its address to be added to the fetch's imm. Returns the characters
 * consumed, or -EINVAL with err naming the spec.
 */
int up_usdt_arg_parse(const struct up_arch *arch, const char *text, struct up_arg *out,
		      char *symbol, size_t symlen, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The probe grammar of cli.md (perf probe's), parsed into parts before any
 * symbol is looked up:
 *
 *   [MODULE:]FUNC[+OFFS][%return] [ARG...]
 *   [MODULE:]0xADDR [ARG...]
 *   [MODULE:]FILE:LINE [ARG...]
 *   usdt:[MODULE:]PROVIDER:NAME [ARG...]     a USDT (SystemTap SDT) probe
 *   ... [ARG...] if PREDICATE                 keep only the events PREDICATE holds for
 *   ARG = [NAME=]EXPR[:TYPE]
 *   EXPR = DWARF-var ("n", "req->len", "a.b") | $argN | $retval | %REG | $comm | $tid
 */
#ifndef UPTRACE_SPEC_H
#define UPTRACE_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "uptrace/probe.h"

enum up_spec_kind {
	UP_SPEC_FUNC = 1, /* func (maybe a glob) + offset */
	UP_SPEC_ADDR,	  /* link-time address in module */
	UP_SPEC_LINE,	  /* file:line */
	UP_SPEC_USDT,	  /* usdt:[MODULE:]PROVIDER:NAME (globs in both names) */
};

enum up_spec_expr {
	UP_EXPR_VAR = 1, /* a DWARF expression: text in expr */
	UP_EXPR_ARGN,	 /* $argN: argn */
	UP_EXPR_RETVAL,	 /* $retval */
	UP_EXPR_REG,	 /* %REG: register name in expr */
	UP_EXPR_COMM,	 /* $comm */
	UP_EXPR_TID,	 /* $tid */
};

struct up_spec_arg {
	char name[UP_NAME_MAX]; /* given with NAME=, else derived: "n", "arg1", "retval", "rax" */
	char expr[UP_NAME_MAX * 2];
	uint8_t kind; /* enum up_spec_expr */
	uint16_t argn;
	bool has_type;
	struct up_type type; /* with has_type */
};

/* The longest MODULE (a path) and FILE a PROBE may name, with their NUL. */
#define UP_SPEC_MODULE_MAX 4096
#define UP_SPEC_FILE_MAX 1024

struct up_spec {
	uint8_t kind;		    /* enum up_spec_kind */
	const char *module;	    /* NULL = not given; owned by the spec (up_spec_release) */
	char func[UP_NAME_MAX * 2]; /* UP_SPEC_FUNC: name or glob */
	uint64_t offset;	    /* UP_SPEC_FUNC: +OFFS */
	bool has_offset;
	uint64_t addr;	  /* UP_SPEC_ADDR */
	const char *file; /* UP_SPEC_LINE (else NULL); owned as module is */
	int line;
	bool is_return;
	unsigned nargs;
	struct up_spec_arg args[UP_MAX_ARGS];
	char usdt_provider[UP_NAME_MAX]; /* UP_SPEC_USDT: provider name or glob */
	char usdt_name[UP_NAME_MAX];	 /* UP_SPEC_USDT: probe name or glob */
	struct up_pred pred;		 /* 'if EXPR' (nnodes 0: none), names unbound */
};

/*
 * Parse one PROBE word into *spec (its old contents are not freed). 0, or
 * -EINVAL with err naming the part that is wrong ("probe 'fib+x': offset
 * 'x' is not a number"), or -ENOMEM. A spec parsed owns its strings
 * (module, file): up_spec_release frees them; one that failed owns nothing.
 * A copy of the struct shares them (up_core_add_spec keeps its own).
 */
int up_spec_parse(const char *text, struct up_spec *spec, char *err, size_t errlen);

/* Free what up_spec_parse allocated for spec (NULL strings stay NULL); it may be parsed again. */
void up_spec_release(struct up_spec *spec);

/*
 * Parse a predicate EXPR (what follows "if" in a PROBE word): comparisons
 * (== != < <= > >=) of argument names, $retval, $tid, $pid, $comm, $argN
 * (the argument named argN) and integer or "string" literals, joined by
 * && || ! and parentheses; a value alone means "!= 0". is_return allows
 * $retval. 0, or -EINVAL with err naming the position ("at 7 ('>> 4'):
 * ...").
 */
int up_pred_parse(const char *text, bool is_return, struct up_pred *out, char *err, size_t errlen);

/* Parse a TYPE ("s32", "x64", "string", "ptr"). 0 or -EINVAL. */
int up_type_parse(const char *text, struct up_type *type);

/* Canonical key of a resolved probe: [MODULE-BASENAME:]FUNC[+0xOFF][%return]. */
void up_spec_key(char *buf, size_t len, const char *module_basename, const char *func,
		 uint64_t offset, bool is_return);

#endif

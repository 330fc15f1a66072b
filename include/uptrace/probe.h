/* SPDX-License-Identifier: MIT */
/*
 * What a probe is once its spec is parsed (cli) and resolved (sym): shared
 * by the core, which runs it, and the output, which prints its events.
 *
 * An argument is a small fetch program, evaluated at each hit without
 * allocation: start from a base (register, ABI argument, return value),
 * then apply up to UP_FETCH_MAX_OPS of "add immediate" / "load N bytes".
 * "n" in a register is {REG rdi}; "req->len" is {ARG 1, ADD 8, LOAD 4}.
 */
#ifndef UPTRACE_PROBE_H
#define UPTRACE_PROBE_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define UP_MAX_ARGS 8
#define UP_FETCH_MAX_OPS 6
#define UP_NAME_MAX 64
#define UP_FUNC_MAX 512 /* a function's name as shown: C++ ones are long */
#define UP_KEY_MAX (UP_FUNC_MAX + 128)
#define UP_STR_MAX 64	/* bytes of a string argument shown */
#define UP_STACK_MAX 16 /* frames with --stack */
#define UP_HIST_BUCKETS 64
/* --hist=ARG: bucket 0 negative values, 1 zero, b >= 2 [2^(b-2), 2^(b-1)) */
#define UP_VHIST_BUCKETS 66

/* What a probe's --hist=ARG histogram counts (up_probe.hist_value). */
enum {
	UP_HIST_NONE = 0, /* nothing (--hist alone: durations of return probes) */
	UP_HIST_RETVAL,	  /* $retval */
	UP_HIST_ARG0,	  /* + i: argument i */
};

enum up_fetch_base {
	UP_FETCH_REG = 1, /* reg: an up_regs index */
	UP_FETCH_ARG,	  /* argn (from 1): ABI integer argument at function entry */
	UP_FETCH_RETVAL,  /* the return value register (return probes) */
	UP_FETCH_CONST,	  /* imm */
	UP_FETCH_TID,	  /* the thread id */
	UP_FETCH_COMM,	  /* the thread's name (a string) */
	UP_FETCH_FPREG,	  /* reg: a floating-point register (struct up_fpregs index) */
	UP_FETCH_ENTRY,	  /* argn (from 0): the value of the return probe's entry_fetch[argn],
				 * captured when the function was entered */
	UP_FETCH_NONE,	  /* nothing: the value is not available here (shown as such) */
};

enum up_fetch_opcode {
	UP_FOP_ADD = 1, /* value += imm */
	UP_FOP_LOAD,	/* value = *(uintN_t *)value, N = size bytes (10, 16: two words) */
	UP_FOP_SHR,	/* value >>= imm (a member of a struct held in a register) */
	UP_FOP_ADD_REG, /* value += register imm (an up_regs index) * size (USDT x86 SIB) */
};

struct up_fetch_op {
	uint8_t op;
	uint8_t size;
	int64_t imm;
};

struct up_fetch {
	uint8_t base; /* enum up_fetch_base */
	int16_t reg;
	uint16_t argn;
	int64_t imm;
	uint8_t nops;
	struct up_fetch_op ops[UP_FETCH_MAX_OPS];
};

enum up_type_kind {
	UP_TYPE_SIGNED = 1, /* s8..s64 */
	UP_TYPE_UNSIGNED,   /* u8..u64 */
	UP_TYPE_HEX,	    /* x8..x64 */
	UP_TYPE_STRING,	    /* value is a pointer to a NUL-terminated string */
	UP_TYPE_PTR,	    /* shown as 0x... */
	UP_TYPE_CHAR,	    /* a C char: shown as a number and the character */
	UP_TYPE_BOOL,
	UP_TYPE_FLOAT, /* IEEE binary32 (size 4), binary64 (8), x87 80-bit extended (10) */
	UP_TYPE_UCHAR, /* an unsigned char: a number and the character (CHAR is signed) */
};

struct up_type {
	uint8_t kind; /* enum up_type_kind */
	uint8_t size; /* 1, 2, 4, 8; 10 for an x87 long double */
};

struct up_arg {
	char name[UP_NAME_MAX]; /* as printed: "n", "arg1", "r" */
	struct up_fetch fetch;
	struct up_type type;
};

/*
 * A predicate ('PROBE ARGS... if EXPR'), parsed by the cli into a small
 * tree of nodes in one fixed block (nothing to allocate or free), its
 * argument names bound to the probe's argument indexes when the probe is
 * placed, and evaluated by the core after each hit's fetch.
 */
#define UP_PRED_MAX_NODES 32
#define UP_PRED_POOL 256 /* bytes for the names and string literals it holds */

enum up_pred_op {
	UP_PRED_OR = 1, /* left || right */
	UP_PRED_AND,	/* left && right */
	UP_PRED_NOT,	/* !left */
	UP_PRED_CMP,	/* a CMP b */
};

enum up_pred_cmp { UP_CMP_EQ = 1, UP_CMP_NE, UP_CMP_LT, UP_CMP_LE, UP_CMP_GT, UP_CMP_GE };

enum up_pred_term_kind {
	UP_TERM_NAME = 1, /* an argument by name (pool + str), before binding */
	UP_TERM_ARG,	  /* argument index arg of the probe, after binding */
	UP_TERM_RETVAL,	  /* $retval (return probes) */
	UP_TERM_TID,
	UP_TERM_PID,
	UP_TERM_COMM,  /* $comm: a string */
	UP_TERM_INT,   /* a literal: value */
	UP_TERM_STR,   /* a literal string: pool + str */
	UP_TERM_FLOAT, /* a literal with a '.' or an exponent: value holds a double's bits */
};

struct up_pred_term {
	uint8_t kind;  /* enum up_pred_term_kind */
	uint8_t arg;   /* UP_TERM_ARG */
	uint16_t str;  /* UP_TERM_NAME, UP_TERM_STR: offset in the pool */
	uint16_t pos;  /* where it starts in the expression (from 1), for messages */
	int64_t value; /* UP_TERM_INT */
};

struct up_pred_node {
	uint8_t op;		  /* enum up_pred_op */
	uint8_t cmp;		  /* UP_PRED_CMP: enum up_pred_cmp */
	uint8_t left, right;	  /* children (node indexes) of OR, AND, NOT */
	struct up_pred_term a, b; /* UP_PRED_CMP */
};

struct up_pred {
	uint8_t nnodes; /* 0: no predicate */
	uint8_t root;
	uint16_t pool_len;
	struct up_pred_node nodes[UP_PRED_MAX_NODES];
	char pool[UP_PRED_POOL];
	char text[UP_PRED_POOL]; /* the expression as given, for messages */
};

/* One resolved probe: a function (or address) in one module. */
struct up_probe {
	char key[UP_KEY_MAX];	/* canonical: [MODULE-BASENAME:]FUNC[+0xOFF][%return] */
	char func[UP_FUNC_MAX]; /* function name, demangled ("" for a bare address) */
	const char *module;	/* path of the module (interned: up_sym_intern), NULL: none */
	uint64_t offset;	/* bytes from the function's start */
	uint64_t addr;		/* run-time address of the probed instruction */
	bool is_return;
	struct up_type ret_type; /* return probes: how $retval is shown (kind 0: s64) */
	bool no_retval;		 /* return probes: no ret= (a void function; a struct's
					 * members are its args instead) */
	unsigned nargs;
	struct up_arg args[UP_MAX_ARGS];

	/*
	 * Return probes: what is fetched at the function's entry and kept
	 * with the call until it returns (entry arguments at the return,
	 * UP_FETCH_ENTRY). Types are those of the args that use them.
	 */
	unsigned nentry;
	struct up_arg entry_fetch[UP_MAX_ARGS];
	struct up_fetch ret_fetch; /* where $retval lives (base 0: the return register) */

	/* Filled while tracing. */
	bool retired; /* its program exec'd away; revived if it resolves again */
	uint64_t hits;
	uint64_t hist[UP_HIST_BUCKETS]; /* log2 buckets of durations in ns (return probes) */
	/*
	 * The probe whose hits and histogram this one adds to: the sites of one
	 * USDT probe (each its own address and argument fetches) count as one
	 * key. NULL: its own.
	 */
	struct up_probe *owner;
	struct up_pred pred; /* events it keeps (nnodes 0: all) */
	uint8_t hist_value;  /* --hist=ARG: UP_HIST_RETVAL, UP_HIST_ARG0 + i, or NONE */
	bool hist_signed;    /* its values are signed (negatives in bucket 0) */
	uint64_t vhist[UP_VHIST_BUCKETS]; /* --hist=ARG: log2 buckets of its values */
	uint64_t dropped;		  /* events the trap-free path's ring had no room for */
};

/* Where a probe's hits are counted. */
static inline struct up_probe *up_probe_counter(struct up_probe *p)
{
	return p->owner ? p->owner : p;
}

/* One event, filled by the core at a hit and handed to the output. */
struct up_event {
	uint64_t ts_ns; /* CLOCK_MONOTONIC */
	pid_t pid, tid;
	const struct up_probe *probe;
	bool is_return;
	uint64_t retval;
	uint64_t duration_ns; /* return events */
	uint64_t values[UP_MAX_ARGS];
	bool value_ok[UP_MAX_ARGS];	       /* false: the fetch faulted */
	char strings[UP_MAX_ARGS][UP_STR_MAX]; /* string-typed args, NUL-terminated */
	unsigned nframes;
	uint64_t frames[UP_STACK_MAX];	 /* --stack: return addresses, innermost first */
	uint64_t values_hi[UP_MAX_ARGS]; /* bytes 8-15 of a value wider than 8 (long double) */
	uint64_t retval_hi;
	bool retval_unavailable; /* $retval could not be read (its FP register) */
};

/*
 * A probe's key, its canonical spelling in summaries and JSON (cli.md):
 * [MODULE-BASENAME:]FUNC[+0xOFF][%return]. module_basename is NULL or ""
 * for the main program.
 */
static inline void up_probe_key(char *buf, size_t len, const char *module_basename,
				const char *func, uint64_t offset, bool is_return)
{
	char off[24] = "";
	bool mod = module_basename && *module_basename;

	if (!buf || !len)
		return;
	if (offset)
		snprintf(off, sizeof(off), "+0x%llx", (unsigned long long)offset);
	snprintf(buf, len, "%s%s%s%s%s", mod ? module_basename : "", mod ? ":" : "",
		 func ? func : "", off, is_return ? "%return" : "");
}

/*
 * The histograms' buckets, here with the counters they fill: the core adds
 * at a return or a hit, output prints them in the summary.
 */

/* Add a duration to a probe's log2 histogram (the core calls it at a return). */
static inline void up_hist_add(struct up_probe *p, uint64_t ns)
{
	unsigned b = 0;
	while (ns > 1 && b < UP_HIST_BUCKETS - 1) {
		ns >>= 1;
		b++;
	}
	p->hist[b]++;
}

/* The --hist=ARG bucket of a value: 0 negative, 1 zero, b >= 2 for [2^(b-2), 2^(b-1)). */
static inline unsigned up_vhist_bucket(uint64_t v, bool is_signed)
{
	if (is_signed && (int64_t)v < 0)
		return 0;
	if (v == 0)
		return 1;
	return 2 + (63 - (unsigned)__builtin_clzll(v));
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * A minimal struct up_target over a real child process for the symbol
 * tests: memory through /proc/PID/mem, the auxv through /proc/PID/auxv, and
 * an x86_64 arch with only dwarf_reg, so these tests need no other layer.
 */
#ifndef SYM_TEST_TARGET_H
#define SYM_TEST_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "uptrace/arch.h"
#include "uptrace/target.h"

/* Fill t for pid (remote: no procfs, so the auxv + link_map path instead of /proc/PID/maps). */
void sym_test_target_init(struct up_target *t, pid_t pid, const char *exe, bool remote);

/* The fixture, started with argv, stopped when it has printed its "ready" line. */
struct sym_child {
	pid_t pid;
	FILE *out; /* its stdout */
	uint64_t fx_int, malloc_addr, r_brk, symfix_dup, r_debug, global, global_req;
};

int sym_child_start(struct sym_child *c, char *const argv[]);
/* Read the child's next line into buf. 0 or -EIO. */
int sym_child_line(struct sym_child *c, char *buf, size_t len);
void sym_child_stop(struct sym_child *c);

#endif

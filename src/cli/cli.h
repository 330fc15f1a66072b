/* SPDX-License-Identifier: MIT */
/* What the files of src/cli share (options.c reads argv, main.c runs, list.c answers -l). */
#ifndef UPTRACE_CLI_CLI_H
#define UPTRACE_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct up_symtab;
struct up_target;

#define EXIT_USAGE 2
#define MAX_PROBES 256

struct options {
	pid_t pid;
	char **command; /* after "--" */
	bool follow, count, hist, json, list, stack, qemu, verbose, raw_names;
	bool breakpoints_only;
	const char *output;
	const char *hist_arg; /* --hist=ARG */
	const char *remote;
	const char *sysroot;
	uint64_t max_events;
	double timeout;
	const char *probes[MAX_PROBES];
	int nprobes;
};

/* options.c: argv into o; exits with a usage error (2) or after --help / --version. */
void parse_options(int argc, char **argv, struct options *o);
/* "uptrace: MSG" and a hint at --help on stderr, then exit 2. */
void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * -l PATTERN ("*": everything): list what matches on stdout. A started
 * program first runs until its libraries are loaded, so they are listed
 * too. 0, or a negative errno after saying why on stderr.
 */
int cli_list(struct up_target *t, struct up_symtab *sym, const char *pattern, bool spawned,
	     bool verbose);

/* struct up_core_config's on_warning: "uptrace: MSG" on stderr (the core never prints). */
void cli_core_warning(void *ctx, const char *msg);

#endif

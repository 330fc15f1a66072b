/* SPDX-License-Identifier: MIT */
/*
 * -l [PATTERN]: the functions (or, with usdt:..., the USDT probes) a
 * PROBE could name, one per line on stdout, as a PROBE word spells them:
 * the module named for those outside the main program.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "uptrace/core.h"
#include "uptrace/probe.h"
#include "uptrace/spec.h"
#include "uptrace/sym.h"
#include "uptrace/target.h"

/* -l -v lists up to this many parameters of a function, then "..." */
#define LIST_PARAMS_MAX 64

struct listing {
	struct up_symtab *sym;
	bool verbose; /* each function's parameters too */
};

static void print_listed(void *ctx, const struct up_func_match *m)
{
	const struct listing *l = ctx;
	struct up_symtab *sym = l->sym;
	struct up_module_info mi;
	struct up_arg args[LIST_PARAMS_MAX];
	bool main_module = up_sym_module(sym, NULL, &mi) == 0 && strcmp(mi.path, m->module) == 0;
	const char *base = strrchr(m->module, '/');

	if (ferror(stdout))
		return; /* the reader went away: cli_list says so once */
	if (main_module)
		printf("%s%s", m->func, m->tag);
	else
		printf("%s:%s%s", base ? base + 1 : m->module, m->func, m->tag);
	if (l->verbose) {
		int n = up_sym_params(sym, m->addr, args, LIST_PARAMS_MAX);
		for (int i = 0; i < n && i < LIST_PARAMS_MAX; i++)
			printf(" %s", args[i].name);
		if (n > LIST_PARAMS_MAX)
			printf(" ...");
	}
	putchar('\n');
}

struct usdt_listing {
	struct up_symtab *sym;
	const char *main_path;
};

static int print_usdt(void *ctx, const struct up_usdt_site *site)
{
	const struct usdt_listing *l = ctx;
	const char *base = strrchr(site->module, '/');

	if (l->main_path && !strcmp(site->module, l->main_path))
		printf("usdt:%s:%s", site->provider, site->name);
	else
		printf("usdt:%s:%s:%s", base ? base + 1 : site->module, site->provider, site->name);
	if (site->arg_specs[0])
		printf(" %s", site->arg_specs);
	putchar('\n');
	return 0;
}

/*
 * -l 'usdt:[[MODULE:]PROVIDER[:NAME]]': the USDT probes, one line per site
 * with the note's argument specs ("usdt:prov:name -4@%edi 8@%rax"), the
 * module named for those outside the main program.
 */
static int list_usdt(struct up_symtab *sym, const char *pattern)
{
	char parts[3][4096] = {"", "*", "*"};
	const char *p = pattern + strlen("usdt:");
	struct up_module_info mi;
	struct usdt_listing l = {.sym = sym};
	int nparts = 0, rc;

	while (*p && nparts < 3) {
		size_t n = strcspn(p, ":");
		snprintf(parts[nparts++], sizeof(parts[0]), "%.*s", (int)n, p);
		p += n + (p[n] == ':');
	}
	if (*p) {
		fprintf(stderr,
			"uptrace: -l '%s': a USDT pattern is usdt:[[MODULE:]PROVIDER[:NAME]]\n",
			pattern);
		return -EINVAL;
	}
	if (nparts < 3) { /* no module: shift PROVIDER[:NAME] into place */
		memmove(parts[1], parts[0], sizeof(parts[0]) * (size_t)nparts);
		parts[0][0] = '\0';
		if (nparts < 2)
			snprintf(parts[2], sizeof(parts[2]), "*");
		if (nparts < 1)
			snprintf(parts[1], sizeof(parts[1]), "*");
	}
	if (up_sym_module(sym, NULL, &mi) == 0)
		l.main_path = mi.path;
	rc = up_sym_usdt_sites(sym, parts[0][0] ? parts[0] : NULL, parts[1], parts[2], print_usdt,
			       &l);
	if (rc == -ENOENT)
		fprintf(stderr, "uptrace: no module '%s' is loaded\n", parts[0]);
	else if (rc < 0)
		fprintf(stderr, "uptrace: cannot list the USDT probes: %s\n", strerror(-rc));
	return rc < 0 ? rc : 0;
}

/*
 * -l [[MODULE:]PATTERN]: a started program first runs to the point where
 * its libraries are loaded (before their code runs), so they are listed too.
 */
int cli_list(struct up_target *t, struct up_symtab *sym, const char *pattern, bool spawned,
	     bool verbose)
{
	const char *colon = strrchr(pattern, ':');
	struct listing l = {.sym = sym, .verbose = verbose};
	char err[1024], module[4096];
	int rc = 0;

	if (spawned) {
		struct up_core_config cfg = {
		    .target = t, .sym = sym, .on_warning = cli_core_warning, .spawned = true};
		struct up_core *core = NULL;

		rc = up_core_create(&core, &cfg);
		if (!rc)
			rc = up_core_start(core, err, sizeof(err));
		if (!rc)
			rc = up_core_wait_libraries(core, err, sizeof(err));
		if (rc && rc != -ESRCH)
			fprintf(stderr, "uptrace: %s\n", err[0] ? err : strerror(-rc));
		if (!rc || rc == -ESRCH)
			rc = 0;
		/* the program is killed, not detached: nothing needs restoring */
		if (core)
			up_core_destroy(core);
		if (rc)
			return rc;
	}
	if (!strncmp(pattern, "usdt:", 5))
		return list_usdt(sym, pattern);
	/* MODULE:PATTERN as a PROBE word splits it (a C++ name's "::" is no separator) */
	struct up_spec *spec = calloc(1, sizeof(*spec));
	char func[sizeof(spec->func)];
	if (spec && up_spec_parse(pattern, spec, NULL, 0) == 0 && spec->kind == UP_SPEC_FUNC &&
	    !spec->nargs && !spec->has_offset && !spec->is_return) {
		colon = spec->module ? pattern : NULL;
		snprintf(module, sizeof(module), "%s", spec->module ? spec->module : "");
		snprintf(func, sizeof(func), "%s", spec->func);
	} else if (colon) {
		snprintf(module, sizeof(module), "%.*s", (int)(colon - pattern), pattern);
		snprintf(func, sizeof(func), "%s", colon + 1);
	}
	up_spec_release(spec);
	free(spec);
	if (!colon) {
		rc = up_sym_list(sym, pattern, print_listed, &l);
	} else {
		struct up_func_match *matches = NULL;
		char ambiguous[256];
		int max = 1024;
		if (up_sym_module(sym, module, NULL)) {
			fprintf(stderr, "uptrace: no module '%s' is loaded\n", module);
			return -ENOENT;
		}
		/* as many as match: ask again with more room while the array comes back full */
		for (rc = max; rc == max && max < (1 << 28); max *= 2) {
			struct up_func_match *grown = realloc(matches, max * 2 * sizeof(*matches));
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			matches = grown;
			rc = up_sym_functions(sym, module, func, matches, max * 2, ambiguous,
					      sizeof(ambiguous));
		}
		for (int i = 0; i < rc; i++)
			print_listed(&l, &matches[i]);
		free(matches);
	}
	if (rc < 0)
		fprintf(stderr, "uptrace: cannot list the functions: %s\n", strerror(-rc));
	if (rc >= 0 && (fflush(stdout) != 0 || ferror(stdout))) {
		rc = errno ? -errno : -EIO;
		fprintf(stderr, "uptrace: cannot write the list: %s\n", strerror(-rc));
	}
	return rc < 0 ? rc : 0;
}

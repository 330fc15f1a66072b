/* SPDX-License-Identifier: MIT */
/*
 * uptrace's command line (man/uptrace.1): options and PROBE words in,
 * a target (ptrace spawn or attach, qemu-user, a remote stub), symbols,
 * the probe manager and the output wired together, and the exit status
 * out. Errors are printed here, once, naming what the user gave.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "guardian.h"
#include "uptrace/arch.h"
#include "uptrace/core.h"
#include "uptrace/output.h"
#include "uptrace/spec.h"
#include "uptrace/sym.h"
#include "uptrace/target.h"

#define EXIT_USAGE 2
#define MAX_PROBES 256

struct options {
	pid_t pid;
	char **command;		/* after "--" */
	bool follow, count, hist, json, list, stack, qemu, verbose, raw_names;
	const char *output;
	const char *hist_arg;	/* --hist=ARG */
	const char *remote;
	const char *sysroot;
	uint64_t max_events;
	double timeout;
	const char *probes[MAX_PROBES];
	int nprobes;
};

static const char usage_text[] =
	"Usage: uptrace [OPTIONS] PROBE... -p PID\n"
	"       uptrace [OPTIONS] PROBE... -- COMMAND [ARG...]\n"
	"       uptrace --qemu [OPTIONS] PROBE... -- FOREIGN-ELF [ARG...]\n"
	"       uptrace --remote HOST:PORT [OPTIONS] PROBE...\n"
	"       uptrace -l [PATTERN] (-p PID | -- COMMAND...)\n"
	"\n"
	"PROBE: [MODULE:]FUNC[+OFFS][%return] [ARG...] | [MODULE:]0xADDR | [MODULE:]FILE:LINE\n"
	"       | usdt:[MODULE:]PROVIDER:NAME [ARG...]  (a USDT probe; $argN: its arguments)\n"
	"FUNC:  a name or glob; C++ and Rust ones demangled: 'ns::K::f' 'ns::K::f(int)'\n"
	"ARG:   [NAME=]EXPR[:TYPE]  EXPR: var, var->field, $argN, $retval, %REG, $comm, $tid\n"
	"       TYPE: s8..s64 u8..u64 x8..x64 string ptr\n"
	"PROBE ... if EXPR: only the events EXPR keeps: == != < <= > >= on argument names,\n"
	"       $retval $tid $pid $comm, numbers and \"strings\"; && || ! ( )\n"
	"\n"
	"  -p, --pid PID          attach to a running process (all its threads)\n"
	"  -f, --follow           also trace forked children (until they exec)\n"
	"  -c, --count            count hits per probe; print the counts at the end\n"
	"      --hist             log2 histogram of durations per return probe (no events)\n"
	"      --hist=ARG         log2 histogram of ARG's values per probe (an argument's\n"
	"                         name or $retval; no events)\n"
	"      --json             JSON Lines output (the summary as one object at the end)\n"
	"  -o, --output FILE      write events and summary to FILE (default: stderr)\n"
	"  -n, --max-events N     detach after N events\n"
	"      --timeout SECONDS  detach after SECONDS\n"
	"  -l, --list [[MODULE:]PATTERN]  list probe-able functions (-v: with their\n"
	"                         arguments); a COMMAND runs until its libraries load;\n"
	"                         -l 'usdt:*': the USDT probes with their argument specs\n"
	"      --stack            the user stack with each event (unwound from the modules'\n"
	"                         call frame information, else by frame pointers)\n"
	"      --qemu             run COMMAND under qemu-user for its ELF architecture\n"
	"      --remote HOST:PORT trace a target behind the GDB remote protocol (gdbserver,\n"
	"                         qemu -g; also a unix socket's path)\n"
	"      --sysroot DIR      where a foreign target's libraries live ($QEMU_LD_PREFIX)\n"
	"      --no-demangle      show C++ and Rust names as the symbol table spells them\n"
	"  -v, --verbose          with -l: each function's parameters; when tracing, the\n"
	"                         code each IFUNC probe went on\n"
	"  -h, --help             this help\n"
	"  -V, --version          the version\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("uptrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'uptrace --help' for more information.\n", stderr);
	exit(EXIT_USAGE);
}

/* A pipe or socket the events go to, and the output writing to it: see on_signal. */
static int output_pipe_fd = -1;
static struct up_output *volatile signal_output;

static void on_signal(int sig)
{
	(void)sig;
	up_core_stop_requested = 1;
	/*
	 * A tracer blocked writing events to a pipe nobody reads could never
	 * get to detach: from now on such writes fail instead of blocking
	 * (fcntl is async-signal-safe).
	 */
	if (sig != SIGALRM && output_pipe_fd >= 0) {
		fcntl(output_pipe_fd, F_SETFL, fcntl(output_pipe_fd, F_GETFL) | O_NONBLOCK);
		up_output_stop_waiting(signal_output);
	}
}

/*
 * SIGPIPE (the reader of our output went away) and SIGXFSZ (-o FILE past
 * the file size limit) would kill the tracer with its breakpoints in place,
 * and the target with them at its next hit. Caught, they do nothing: the
 * write fails with EPIPE or EFBIG instead, and the output layer's error
 * turns into a clean detach (on_event). A handler rather than SIG_IGN,
 * because an ignored signal stays ignored across the exec of the command
 * we start, and that program must get its default SIGPIPE.
 */
static void on_write_signal(int sig)
{
	(void)sig;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: waits return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_write_signal;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_HIST = 256, OPT_JSON, OPT_TIMEOUT, OPT_STACK, OPT_QEMU, OPT_REMOTE, OPT_SYSROOT,
	       OPT_NO_DEMANGLE };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "follow", no_argument, NULL, 'f' },
		{ "count", no_argument, NULL, 'c' },
		{ "hist", optional_argument, NULL, OPT_HIST },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "output", required_argument, NULL, 'o' },
		{ "max-events", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "list", no_argument, NULL, 'l' },
		{ "stack", no_argument, NULL, OPT_STACK },
		{ "qemu", no_argument, NULL, OPT_QEMU },
		{ "remote", required_argument, NULL, OPT_REMOTE },
		{ "sysroot", required_argument, NULL, OPT_SYSROOT },
		{ "no-demangle", no_argument, NULL, OPT_NO_DEMANGLE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int nopts = argc, c;
	char *end;

	/* Everything after the first "--" is the command, untouched by option parsing. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			nopts = i;
			o->command = &argv[i + 1];
			break;
		}
	while ((c = getopt_long(nopts, argv, "p:fcho:n:lvV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			errno = 0;
			long pid = strtol(optarg, &end, 10);
			if (errno || *end || pid <= 0 || pid > 0x3fffffff)
				usage_error("-p: '%s' is not a process id", optarg);
			o->pid = (pid_t)pid;
			break;
		case 'f':
			o->follow = true;
			break;
		case 'c':
			o->count = true;
			break;
		case OPT_HIST:
			o->hist = true;
			o->hist_arg = NULL;
			if (optarg) {
				if (!*optarg)
					usage_error("--hist=: name an argument (--hist=size) or $retval");
				o->hist_arg = optarg;
			}
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'n':
			errno = 0;
			unsigned long long n = strtoull(optarg, &end, 10);
			if (errno || *end || n == 0 || optarg[0] == '-')
				usage_error("-n: '%s' is not a positive number of events", optarg);
			o->max_events = n;
			break;
		case OPT_TIMEOUT:
			errno = 0;
			o->timeout = strtod(optarg, &end);
			if (errno || *end || !(o->timeout > 0))
				usage_error("--timeout: '%s' is not a positive number of seconds",
					    optarg);
			break;
		case 'l':
			o->list = true;
			break;
		case OPT_STACK:
			o->stack = true;
			break;
		case OPT_QEMU:
			o->qemu = true;
			break;
		case OPT_REMOTE:
			o->remote = optarg;
			break;
		case OPT_SYSROOT:
			o->sysroot = optarg;
			break;
		case OPT_NO_DEMANGLE:
			o->raw_names = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case 'V':
			printf("uptrace %s\n", UPTRACE_VERSION);
			exit(0);
		default:
			fputs("Try 'uptrace --help' for more information.\n", stderr);
			exit(EXIT_USAGE);
		}
	}
	for (int i = optind; i < nopts; i++) {
		if (o->nprobes == MAX_PROBES)
			usage_error("too many probes (at most %d)", MAX_PROBES);
		o->probes[o->nprobes++] = argv[i];
	}
	int modes = (o->pid != 0) + (o->command != NULL) + (o->remote != NULL);
	if (modes == 0)
		usage_error("say which process to trace: -p PID, -- COMMAND, or --remote HOST:PORT");
	if (modes > 1)
		usage_error("give only one of -p PID, -- COMMAND and --remote HOST:PORT");
	if (o->command && !o->command[0])
		usage_error("no COMMAND after '--'");
	if (o->qemu && !o->command)
		usage_error("--qemu runs a COMMAND: give it after '--'");
	if (!o->list && o->nprobes == 0)
		usage_error("no PROBE given (e.g. 'uptrace main -- ./prog')");
	if (o->list && o->nprobes > 1)
		usage_error("-l takes at most one PATTERN");
	if (o->follow && (o->qemu || o->remote))
		usage_error("-f/--follow works with native processes only, not with --qemu or --remote");
}

/* Find COMMAND like execvp does: a path as given, else the first match in $PATH. */
static bool find_command(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return access(out, F_OK) == 0;
	}
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", cmd);
		if (access(out, X_OK) == 0)
			return true;
		p += n + (end ? 1 : 0);
	}
	return false;
}

/*
 * A file that is neither an ELF program nor a #! script is refused here,
 * before anything runs, with a message that says so.
 */
static int check_program(const char *cmd)
{
	char path[4096], magic[5] = { 0 };
	FILE *f;

	if (!find_command(cmd, path, sizeof(path)))
		return 0; /* spawn reports "no such file" */
	f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	if (n >= 2 && magic[0] == '#' && magic[1] == '!')
		return 0;
	if (n == 5 && memcmp(magic, "\177ELF", 4) == 0 && magic[4] == 1) { /* ELFCLASS32 */
		fprintf(stderr, "uptrace: cannot trace '%s': %s is a 32-bit program "
				"(uptrace traces 64-bit programs only)\n", cmd, path);
		return -ENOEXEC;
	}
	if (n >= 4 && memcmp(magic, "\177ELF", 4) == 0)
		return 0;
	fprintf(stderr, "uptrace: cannot trace '%s': %s is not an ELF program\n", cmd, path);
	return -ENOEXEC;
}

/* Is pid a kernel thread (PF_KTHREAD in /proc/PID/stat's flags)? Its name into comm. */
static bool kernel_thread(pid_t pid, char *comm, size_t len)
{
	char path[64], buf[1024], *p;
	unsigned long flags = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || !strchr(buf, '('))
		return false;
	snprintf(comm, len, "%.*s", (int)(p - strchr(buf, '(') - 1), strchr(buf, '(') + 1);
	/* after ") ": state ppid pgrp session tty_nr tpgid flags */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return flags & 0x00200000; /* PF_KTHREAD */
}

/* What the target has to say while it runs (its subsystem's prefix included). */
static void on_target_warning(void *ctx, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

static int open_target(const struct options *o, struct up_target **t)
{
	char comm[64], why[512] = "";
	int err;

	if (o->pid) {
		err = up_ptrace_attach(t, o->pid, o->follow);
		if (err == -ESRCH)
			fprintf(stderr, "uptrace: no process with PID %d\n", (int)o->pid);
		else if (err == -EPERM && kernel_thread(o->pid, comm, sizeof(comm)))
			fprintf(stderr, "uptrace: cannot trace process %d (%s): it is a kernel thread, "
					"with no user space to trace\n", (int)o->pid, comm);
		else if (err == -EPERM)
			fprintf(stderr, "uptrace: cannot trace process %d: %s (another user's process, "
					"or already traced by a debugger)\n", (int)o->pid,
				strerror(-err));
		else if (err == -ENOEXEC)
			fprintf(stderr, "uptrace: cannot trace process %d: it does not run a 64-bit "
					"program for this machine (a 32-bit one cannot be traced)\n",
				(int)o->pid);
		else if (err)
			fprintf(stderr, "uptrace: cannot attach to process %d: %s\n", (int)o->pid,
				strerror(-err));
		return err;
	}
	if (o->remote) {
		err = up_remote_connect(t, o->remote, why, sizeof(why));
		if (err)
			fprintf(stderr, "uptrace: cannot trace the remote target %s: %s\n", o->remote,
				why[0] ? why : strerror(-err));
		return err;
	}
	if (check_program(o->command[0]))
		return -ENOEXEC;
	if (o->qemu)
		err = up_remote_spawn_qemu(t, o->command, o->sysroot, why, sizeof(why));
	else
		err = up_ptrace_spawn(t, o->command, o->follow);
	if (err == -ENOEXEC)
		fprintf(stderr, "uptrace: cannot trace '%s': not an ELF program %s\n", o->command[0],
			o->qemu ? "of a supported architecture"
				: "for this machine (a foreign one runs with --qemu)");
	else if (err)
		fprintf(stderr, "uptrace: cannot run '%s': %s\n", o->command[0],
			why[0] ? why : strerror(-err));
	return err;
}

/*
 * %REG arguments name registers of the target's architecture, known once
 * the target is open: a wrong one is a usage error (exit 2), reported
 * before any byte of the process is touched, with the names to choose from.
 */
static int check_registers(const struct options *o, const struct up_spec *specs,
			   const struct up_arch *arch)
{
	if (!arch)
		return 0;
	for (int i = 0; i < o->nprobes; i++)
		for (unsigned k = 0; k < specs[i].nargs; k++) {
			const struct up_spec_arg *a = &specs[i].args[k];

			if (a->kind != UP_EXPR_REG || arch->reg_lookup(arch, a->expr) >= 0)
				continue;
			fprintf(stderr, "uptrace: probe '%s': no register '%%%s' on %s; its registers:",
				o->probes[i], a->expr, arch->name);
			for (unsigned r = 0; arch->reg_names && r < arch->nregs; r++)
				if (arch->reg_names[r])
					fprintf(stderr, " %%%s", arch->reg_names[r]);
			fputs(" (and %pc, %sp; see uptrace(1))\n", stderr);
			return -EINVAL;
		}
	return 0;
}

static void print_listed(void *ctx, const struct up_func_match *m)
{
	struct up_symtab *sym = ((void **)ctx)[0];
	const struct options *o = ((void **)ctx)[1];
	struct up_module_info mi;
	struct up_arg args[UP_MAX_ARGS];
	bool main_module = up_sym_module(sym, NULL, &mi) == 0 && strcmp(mi.path, m->module) == 0;
	const char *base = strrchr(m->module, '/');

	if (ferror(stdout))
		return; /* the reader went away: list_functions says so once */
	if (main_module)
		printf("%s%s", m->func, m->tag);
	else
		printf("%s:%s%s", base ? base + 1 : m->module, m->func, m->tag);
	if (o->verbose) {
		int n = up_sym_params(sym, m->addr, args, UP_MAX_ARGS);
		for (int i = 0; i < n; i++)
			printf(" %s", args[i].name);
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
	char parts[3][4096] = { "", "*", "*" };
	const char *p = pattern + strlen("usdt:");
	struct up_module_info mi;
	struct usdt_listing l = { .sym = sym };
	int nparts = 0, rc;

	while (*p && nparts < 3) {
		size_t n = strcspn(p, ":");
		snprintf(parts[nparts++], sizeof(parts[0]), "%.*s", (int)n, p);
		p += n + (p[n] == ':');
	}
	if (*p) {
		fprintf(stderr, "uptrace: -l '%s': a USDT pattern is usdt:[[MODULE:]PROVIDER[:NAME]]\n",
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

/* What the core has to say that does not stop the run: it never prints itself. */
static void on_core_warning(void *ctx, const char *msg)
{
	fprintf(stderr, "uptrace: %s\n", msg);
}

/*
 * -l [[MODULE:]PATTERN]: a started program first runs to the point where
 * its libraries are loaded (before their code runs), so they are listed too.
 */
static int list_functions(const struct options *o, struct up_target *t, struct up_symtab *sym,
			  bool spawned)
{
	const char *pattern = o->nprobes ? o->probes[0] : "*";
	const char *colon = strrchr(pattern, ':');
	void *ctx[2] = { sym, (void *)o };
	char err[1024], module[4096];
	int rc = 0;

	if (spawned) {
		struct up_core_config cfg = { .target = t,
					      .sym = sym,
					      .on_warning = on_core_warning,
					      .spawned = true };
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
		colon = spec->module[0] ? pattern : NULL;
		snprintf(module, sizeof(module), "%s", spec->module);
		snprintf(func, sizeof(func), "%s", spec->func);
	} else if (colon) {
		snprintf(module, sizeof(module), "%.*s", (int)(colon - pattern), pattern);
		snprintf(func, sizeof(func), "%s", colon + 1);
	}
	free(spec);
	if (!colon) {
		rc = up_sym_list(sym, pattern, print_listed, ctx);
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
			print_listed(ctx, &matches[i]);
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_event(void *ctx, const struct up_event *ev)
{
	up_output_event(ctx, ev);
	/* the events cannot be written: detach as -n does (main reports it) */
	if (up_output_error(ctx))
		up_core_stop_requested = 1;
}

/*
 * A PROBE that never armed (its library was never loaded) counted nothing
 * because it could not, not because nothing called it: say so. The exit
 * status stays what it would be (the command's own with --), as bpftrace's
 * does for a probe whose file is never mapped.
 */
static void warn_never_armed(const struct options *o, struct up_core *core)
{
	char why[512];

	for (int i = 0; i < o->nprobes; i++)
		if (up_core_never_armed(core, (unsigned)i, why, sizeof(why)))
			fprintf(stderr, "uptrace: warning: probe '%.*s' never armed: %s\n",
				(int)strcspn(o->probes[i], " \t"), o->probes[i], why);
}

/* The status uptrace exits with after a spawned command ended: its own, or 128+N. */
static int command_status(enum up_core_end end, int status)
{
	return end == UP_END_KILLED ? 128 + status : status;
}

/* After detaching from a command we started, wait for it like a shell would. */
static int wait_command(const struct up_target *t)
{
	int st;

	while (waitpid(t->pid, &st, 0) < 0) {
		if (errno == ECHILD && t->ended)
			return t->end_status; /* it died while we detached */
		if (errno != EINTR)
			return 1;
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/*
 * The detach of a command we started failed: did the command end meanwhile
 * (a terminal's SIGINT reaches it as well as us, and a dying process's
 * memory cannot be written)? Its status then, as if it ended traced; -1 if
 * it still runs a second later.
 */
static int command_ended(const struct up_target *t)
{
	struct timespec nap = { 0, 10000000 };
	int st;

	for (int i = 0; i < 100; i++) {
		pid_t r = waitpid(t->pid, &st, WNOHANG);

		if (r == t->pid && WIFEXITED(st))
			return WEXITSTATUS(st);
		if (r == t->pid && WIFSIGNALED(st))
			return 128 + WTERMSIG(st);
		if (r < 0 && errno == ECHILD && t->ended)
			return t->end_status;
		if (r < 0 && errno != EINTR)
			return -1;
		nanosleep(&nap, NULL);
	}
	return -1;
}

/* One run: what main sets up step by step, closed in reverse by run_close. */
struct run {
	struct options o;
	struct up_spec *specs;	/* one per PROBE, parsed before any process is touched */
	FILE *f;		/* where the events go: stderr, or -o FILE */
	struct up_target *t;
	struct up_symtab *sym;
	struct up_output *out;
	struct up_core *core;
	bool spawned;		/* we started the command (else attached, or a remote stub) */
	bool let_go;		/* the process needs no kill or detach at close: done with it */
	char err[1024];
};

/* Parse every PROBE before touching any process: a bad one is a usage error (exit 2). */
static int parse_probes(struct run *r)
{
	r->specs = calloc((size_t)r->o.nprobes + 1, sizeof(*r->specs));
	if (!r->specs)
		return 1;
	for (int i = 0; !r->o.list && i < r->o.nprobes; i++)
		if (up_spec_parse(r->o.probes[i], &r->specs[i], r->err, sizeof(r->err)))
			usage_error("%s", r->err);
	return 0;
}

/* -o FILE, unbuffered: the output keeps its own buffer, so a failed write says how far it got. */
static int open_output_file(struct run *r)
{
	if (!r->o.output)
		return 0;
	r->f = fopen(r->o.output, "we");
	if (!r->f) {
		fprintf(stderr, "uptrace: cannot open output file '%s': %s\n", r->o.output,
			strerror(errno));
		return 1;
	}
	setvbuf(r->f, NULL, _IONBF, 0);
	return 0;
}

/* A reader at the other end of a pipe or socket may stop reading: the signal handlers know it. */
static void note_output_pipe(FILE *f)
{
	struct stat st;

	if (fstat(fileno(f), &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		output_pipe_fd = fileno(f);
}

/* The target, its %REG names checked against its arch, and its symbols. 0 or the exit status. */
static int open_process(struct run *r)
{
	int rc;

	if (open_target(&r->o, &r->t)) {
		r->t = NULL; /* nothing to close */
		return 1;
	}
	r->t->on_warning = on_target_warning;
	if (!r->o.list && check_registers(&r->o, r->specs, r->t->arch))
		return EXIT_USAGE;
	rc = up_sym_open(&r->sym, r->t);
	if (rc) {
		fprintf(stderr, "uptrace: cannot read the symbols of %s: %s\n",
			r->t->exe[0] ? r->t->exe : "the target", strerror(-rc));
		return 1;
	}
	up_sym_set_demangle(r->sym, !r->o.raw_names);
	return 0;
}

static int open_events(struct run *r)
{
	const struct options *o = &r->o;
	int rc;

	rc = up_output_open(&r->out, r->f,
			    (o->json ? UP_OUT_JSON : 0) | (o->count ? UP_OUT_COUNT : 0) |
				    (o->hist ? UP_OUT_HIST : 0) | (o->stack ? UP_OUT_STACK : 0),
			    now_ns());
	if (rc) {
		fprintf(stderr, "uptrace: cannot set up the output: %s\n", strerror(-rc));
		return 1;
	}
	up_output_set_symtab(r->out, r->sym);
	signal_output = r->out;
	return 0;
}

/*
 * The probe manager, every PROBE added and armed. 0, or the exit status: a
 * process that has not run traced is restored and let go (attached) or
 * killed at close (started).
 */
static int start_tracing(struct run *r)
{
	const struct options *o = &r->o;
	struct up_core_config cfg = {
		.target = r->t,
		.sym = r->sym,
		.on_event = on_event,
		.on_record = up_guardian_share_record,
		.on_warning = on_core_warning,
		.ctx = r->out,
		.max_events = o->max_events,
		/* --hist prints no events either: it fetches only what its histogram needs */
		.count_only = o->count || o->hist,
		.want_durations = o->hist && !o->hist_arg,
		.hist_arg = o->hist_arg,
		.stack = o->stack,
		.spawned = r->spawned || o->remote,
		.follow = o->follow,
		.verbose = o->verbose,
	};
	bool usage = false;
	int rc;

	if (up_core_create(&r->core, &cfg))
		return 1;
	for (int i = 0; i < o->nprobes; i++) {
		rc = up_core_add_spec(r->core, &r->specs[i], r->err, sizeof(r->err));
		if (rc) {
			fprintf(stderr, "uptrace: %s\n", r->err[0] ? r->err : strerror(-rc));
			/* -EDOM: a predicate that does not fit its probe is a usage error too */
			usage = rc == -EDOM;
			goto fail;
		}
	}
	rc = up_core_start(r->core, r->err, sizeof(r->err));
	if (rc) {
		fprintf(stderr, "uptrace: %s\n", r->err[0] ? r->err : strerror(-rc));
		goto fail;
	}
	if (o->verbose) {
		struct up_probe *const *placed;
		fprintf(stderr, "uptrace: tracing process %d: %u probes placed\n", (int)r->t->pid,
			up_core_probes(r->core, &placed));
	}
	return 0;

fail:
	if (!r->spawned && up_core_detach(r->core) == 0)
		r->let_go = true;
	return usage ? EXIT_USAGE : 1;
}

/* --timeout: SIGALRM asks the run to stop (a tiny positive time still arms it). */
static void arm_timeout(double seconds)
{
	struct itimerval it = { 0 };

	if (seconds <= 0)
		return;
	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
	if (!it.it_value.tv_sec && !it.it_value.tv_usec)
		it.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* The process ended under us: a command's own status, 0 for an attached one. */
static int on_end_process(struct run *r, enum up_core_end end, int status)
{
	return r->spawned ? command_status(end, status) : 0;
}

/* A stop was asked for (signal, timeout, -n): restore everything and let the process go. */
static int on_end_detach(struct run *r)
{
	int rc = up_core_detach(r->core), ret;

	if (rc && r->spawned && (ret = command_ended(r->t)) >= 0) {
		if (r->o.verbose)
			fprintf(stderr, "uptrace: '%s' ended while uptrace detached\n",
				r->o.command[0]);
		return ret;
	}
	if (rc) {
		fprintf(stderr, "uptrace: detaching from process %d: %s\n", (int)r->t->pid,
			strerror(-rc));
		return 1;
	}
	return r->spawned ? wait_command(r->t) : 0;
}

/* Tracing failed: a command we started dies with us, an attached process is let go. */
static int on_end_error(struct run *r)
{
	fprintf(stderr, "uptrace: %s\n", r->err[0] ? r->err : "tracing failed");
	if (r->spawned)
		r->t->ops->kill(r->t);
	else
		up_core_detach(r->core);
	return 1;
}

/* The summary and what never armed, then whether every event was written. */
static int report(struct run *r, enum up_core_end end, int ret)
{
	int rc;

	if (end != UP_END_ERROR) {
		struct up_probe *const *probes;
		unsigned n = up_core_probes(r->core, &probes);
		up_output_summary(r->out, probes, n);
		warn_never_armed(&r->o, r->core);
	}
	up_output_flush(r->out);
	rc = up_output_error(r->out);
	if (rc) {
		/* stderr may be that very pipe: the exit status is what is sure to be seen */
		fprintf(stderr, "uptrace: cannot write the events%s%s: %s; %s process %d\n",
			r->o.output ? " to " : "", r->o.output ? r->o.output : "", strerror(-rc),
			end == UP_END_DETACH ? "detached from" : "done with", (int)r->t->pid);
		ret = 1;
	}
	return ret;
}

/* Trace until the process ends or a stop is asked for; the exit status. */
static int trace_process(struct run *r)
{
	enum up_core_end end;
	int status = 0, ret = 1;

	if (open_events(r))
		return 1;
	ret = start_tracing(r);
	if (ret)
		return ret;
	arm_timeout(r->o.timeout);
	end = up_core_run(r->core, &status, r->err, sizeof(r->err));
	switch (end) {
	case UP_END_EXITED:
	case UP_END_KILLED:
		ret = on_end_process(r, end, status);
		break;
	case UP_END_DETACH:
		ret = on_end_detach(r);
		break;
	case UP_END_ERROR:
		ret = on_end_error(r);
		break;
	}
	r->let_go = true;
	return report(r, end, ret);
}

/* Everything open, in reverse; a process not let go yet is killed (started) or detached. */
static void run_close(struct run *r)
{
	signal_output = NULL;
	if (r->out)
		up_output_close(r->out);
	up_core_destroy(r->core);
	if (r->sym)
		up_sym_close(r->sym);
	if (r->t) {
		if (!r->let_go && r->spawned)
			r->t->ops->kill(r->t);
		else if (!r->let_go)
			r->t->ops->detach(r->t);
		r->t->ops->destroy(r->t);
	}
	if (r->f && r->f != stderr)
		fclose(r->f);
	free(r->specs);
}

int main(int argc, char **argv)
{
	struct run r = { .f = stderr };
	int ret;

	parse_options(argc, argv, &r.o);
	r.spawned = r.o.command != NULL;
	ret = parse_probes(&r);
	if (!ret)
		ret = open_output_file(&r);
	if (!ret) {
		up_guardian_start();
		note_output_pipe(r.f);
		install_signals();
		ret = open_process(&r);
	}
	if (!ret)
		ret = r.o.list ? (list_functions(&r.o, r.t, r.sym, r.spawned) ? 1 : 0)
			       : trace_process(&r);
	run_close(&r);
	return ret;
}

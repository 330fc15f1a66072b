/* SPDX-License-Identifier: MIT */
/*
 * uptrace's options (man/uptrace.1, --help): argv into struct options, a
 * usage error (exit 2) for anything that does not fit, before any process
 * is touched.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cli.h"

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
    "      --breakpoints-only every probe on the breakpoint path, none trap-free\n"
    "  -v, --verbose          with -l: each function's parameters; when tracing, the\n"
    "                         code each IFUNC probe went on\n"
    "  -h, --help             this help\n"
    "  -V, --version          the version\n";

void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("uptrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'uptrace --help' for more information.\n", stderr);
	exit(EXIT_USAGE);
}

void parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_HIST = 256,
		OPT_JSON,
		OPT_TIMEOUT,
		OPT_STACK,
		OPT_QEMU,
		OPT_REMOTE,
		OPT_SYSROOT,
		OPT_NO_DEMANGLE,
		OPT_BREAKPOINTS_ONLY
	};
	static const struct option longopts[] = {
	    {"pid", required_argument, NULL, 'p'},
	    {"follow", no_argument, NULL, 'f'},
	    {"count", no_argument, NULL, 'c'},
	    {"hist", optional_argument, NULL, OPT_HIST},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"output", required_argument, NULL, 'o'},
	    {"max-events", required_argument, NULL, 'n'},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"list", no_argument, NULL, 'l'},
	    {"stack", no_argument, NULL, OPT_STACK},
	    {"qemu", no_argument, NULL, OPT_QEMU},
	    {"remote", required_argument, NULL, OPT_REMOTE},
	    {"sysroot", required_argument, NULL, OPT_SYSROOT},
	    {"no-demangle", no_argument, NULL, OPT_NO_DEMANGLE},
	    {"breakpoints-only", no_argument, NULL, OPT_BREAKPOINTS_ONLY},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
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
					usage_error(
					    "--hist=: name an argument (--hist=size) or $retval");
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
		case OPT_BREAKPOINTS_ONLY:
			o->breakpoints_only = true;
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
		usage_error(
		    "say which process to trace: -p PID, -- COMMAND, or --remote HOST:PORT");
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
		usage_error(
		    "-f/--follow works with native processes only, not with --qemu or --remote");
}

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
#include "cli.h"
#include "guardian.h"
#include "uptrace/arch.h"
#include "uptrace/core.h"
#include "uptrace/output.h"
#include "uptrace/spec.h"
#include "uptrace/sym.h"
#include "uptrace/target.h"

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
	char path[4096], magic[5] = {0};
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
		fprintf(stderr,
			"uptrace: cannot trace '%s': %s is a 32-bit program "
			"(uptrace traces 64-bit programs only)\n",
			cmd, path);
		return -ENOEXEC;
	}
	if (n >= 4 && memcmp(magic, "\177ELF", 4) == 0)
		return 0;
	fprintf(stderr, "uptrace: cannot trace '%s': %s is not an ELF program\n", cmd, path);
	return -ENOEXEC;
}

/* From /proc/PID/stat: its name into comm, its state letter and flags. false: unreadable. */
static bool proc_stat(pid_t pid, char *comm, size_t len, char *state, unsigned long *flags)
{
	char path[64], buf[1024], *p;
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
	return sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", state, flags) == 2;
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
		unsigned long flags = 0;
		char state = 0;
		bool stat_ok;

		err = up_ptrace_attach(t, o->pid, o->follow);
		stat_ok = err == -EPERM && proc_stat(o->pid, comm, sizeof(comm), &state, &flags);
		if (err == -ESRCH)
			fprintf(stderr, "uptrace: no process with PID %d\n", (int)o->pid);
		else if (err == -EPERM && stat_ok && (flags & 0x00200000)) /* PF_KTHREAD */
			fprintf(stderr,
				"uptrace: cannot trace process %d (%s): it is a kernel thread, "
				"with no user space to trace\n",
				(int)o->pid, comm);
		else if (err == -EPERM && stat_ok && (state == 'Z' || state == 'X'))
			fprintf(stderr,
				"uptrace: cannot trace process %d (%s): it has exited (its parent "
				"has not collected its status yet)\n",
				(int)o->pid, comm);
		else if (err == -EPERM)
			fprintf(stderr,
				"uptrace: cannot trace process %d: %s (another user's process, "
				"or already traced by a debugger)\n",
				(int)o->pid, strerror(-err));
		else if (err == -ENOEXEC)
			fprintf(stderr,
				"uptrace: cannot trace process %d: it does not run a 64-bit "
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
			fprintf(stderr, "uptrace: cannot trace the remote target %s: %s\n",
				o->remote, why[0] ? why : strerror(-err));
		return err;
	}
	if (check_program(o->command[0]))
		return -ENOEXEC;
	if (o->qemu)
		err = up_remote_spawn_qemu(t, o->command, o->sysroot, why, sizeof(why));
	else
		err = up_ptrace_spawn(t, o->command, o->follow);
	if (err == -ENOEXEC)
		fprintf(stderr, "uptrace: cannot trace '%s': not an ELF program %s\n",
			o->command[0],
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
			fprintf(stderr,
				"uptrace: probe '%s': no register '%%%s' on %s; its registers:",
				o->probes[i], a->expr, arch->name);
			for (unsigned r = 0; arch->reg_names && r < arch->nregs; r++)
				if (arch->reg_names[r])
					fprintf(stderr, " %%%s", arch->reg_names[r]);
			fputs(" (and %pc, %sp; see uptrace(1))\n", stderr);
			return -EINVAL;
		}
	return 0;
}

/* What the core has to say that does not stop the run: it never prints itself. */
void cli_core_warning(void *ctx, const char *msg)
{
	fprintf(stderr, "uptrace: %s\n", msg);
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
	struct timespec nap = {0, 10000000};
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
	struct up_spec *specs; /* one per PROBE, parsed before any process is touched */
	FILE *f;	       /* where the events go: stderr, or -o FILE */
	struct up_target *t;
	struct up_symtab *sym;
	struct up_output *out;
	struct up_core *core;
	bool spawned; /* we started the command (else attached, or a remote stub) */
	bool let_go;  /* the process needs no kill or detach at close: done with it */
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
	    .on_warning = cli_core_warning,
	    .ctx = r->out,
	    .max_events = o->max_events,
	    /* --hist prints no events either: it fetches only what its histogram needs */
	    .count_only = o->count || o->hist,
	    .want_durations = o->hist && !o->hist_arg,
	    .hist_arg = o->hist_arg,
	    .stack = o->stack,
	    .spawned = r->spawned || o->remote,
	    .follow = o->follow,
	    .breakpoints_only = o->breakpoints_only,
	    .verbose = o->verbose,
	};
	const char *ring = getenv("UPTRACE_RING_RECORDS");
	bool usage = false;
	int rc;

	/* for tests only (README): the trap-free path's ring, in records; a tiny one drops */
	if (ring && *ring) {
		char *end;
		unsigned long n = strtoul(ring, &end, 10);

		if (*end || n == 0 || n > (1ul << 24) || (n & (n - 1))) {
			fprintf(stderr, "uptrace: UPTRACE_RING_RECORDS='%s': %s\n", ring,
				"a power of two from 1 to 16777216");
			return 2;
		}
		cfg.ring_records = (uint32_t)n;
	}
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
	struct itimerval it = {0};

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

/*
 * Events the trap-free path's ring had no room for (the target never
 * waits for the tracer): said on stderr, one line per probe, whatever the
 * output (the --count and --hist summaries carry them too).
 */
static void warn_dropped(struct run *r, struct up_probe *const *probes, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (probes[i]->dropped)
			fprintf(stderr, "uptrace: %llu events of '%s' dropped: %s\n",
				(unsigned long long)probes[i]->dropped, probes[i]->key,
				"the trap-free ring was full");
}

/* The summary and what never armed, then whether every event was written. */
static int report(struct run *r, enum up_core_end end, int ret)
{
	int rc;

	if (end != UP_END_ERROR) {
		struct up_probe *const *probes;
		unsigned n = up_core_probes(r->core, &probes);
		uint64_t missed = up_core_missed_returns(r->core);
		up_output_summary(r->out, probes, n);
		warn_never_armed(&r->o, r->core);
		if (missed)
			fprintf(stderr,
				"uptrace: %llu returns not reported: calls under return probes "
				"nested deeper than %d in a thread\n",
				(unsigned long long)missed, UP_RETURN_DEPTH_MAX);
		warn_dropped(r, probes, n);
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

/* -l: list what PROBEs could name instead of tracing; the exit status. */
static int list_process(struct run *r)
{
	const char *pattern = r->o.nprobes ? r->o.probes[0] : "*";

	return cli_list(r->t, r->sym, pattern, r->spawned, r->o.verbose) ? 1 : 0;
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
	for (int i = 0; r->specs && i < r->o.nprobes; i++)
		up_spec_release(&r->specs[i]);
	free(r->specs);
}

int main(int argc, char **argv)
{
	struct run r = {.f = stderr};
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
		ret = r.o.list ? list_process(&r) : trace_process(&r);
	run_close(&r);
	return ret;
}

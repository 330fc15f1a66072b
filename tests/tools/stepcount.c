/* SPDX-License-Identifier: MIT */
/*
 * stepcount: an oracle for the end-to-end tests that shares no code with uptrace. It runs a
 * single-threaded program under ptrace, lets it run freely to START (default main), then
 * single-steps it to exit, counting how many times each address in [LO, HI) executes.
 *
 *   stepcount [-s START] LO HI -- PROGRAM [ARG...]
 *
 * START, LO and HI are link-time addresses of the main executable (hex, as nm prints them);
 * the load base is read from /proc/PID/maps. Output, one line per executed address in
 * [LO, HI): "0xADDR COUNT" (link-time address). The program's stdout goes to stderr. Exits
 * with the program's exit status, or 1 on a tracing error.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static int exe_base(pid_t pid, const char *exe_real, uint64_t *base)
{
	char path[64], line[4096];
	FILE *maps;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "r");
	if (!maps)
		return -errno;
	while (fgets(line, sizeof(line), maps)) {
		uint64_t lo, off;
		char name[4096] = "";

		if (sscanf(line, "%" SCNx64 "-%*x %*s %" SCNx64 " %*s %*s %4095s", &lo, &off,
			   name) < 2)
			continue;
		if (off == 0 && strcmp(name, exe_real) == 0) {
			*base = lo;
			ret = 0;
			break;
		}
	}
	fclose(maps);
	return ret;
}

static int is_pie(const char *file)
{
	unsigned char hdr[18];
	FILE *f = fopen(file, "rb");
	int pie = 1;

	if (f && fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr))
		pie = hdr[16] == 3; /* e_type ET_DYN */
	if (f)
		fclose(f);
	return pie;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	uint64_t start = 0, lo, hi, base = 0, *counts;
	const char *start_name = NULL;
	char exe_real[4096];
	int opt, status, sig;
	long orig;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+s:")) != -1) {
		if (opt != 's')
			goto usage;
		start_name = optarg;
	}
	if (argc - optind < 4 || strcmp(argv[optind + 2], "--") != 0)
		goto usage;
	lo = strtoull(argv[optind], NULL, 16);
	hi = strtoull(argv[optind + 1], NULL, 16);
	if (start_name)
		start = strtoull(start_name, NULL, 16);
	if (hi <= lo || hi - lo > (1 << 24))
		goto usage;
	counts = calloc(hi - lo, sizeof(*counts));
	if (!counts || !realpath(argv[optind + 3], exe_real)) {
		perror("stepcount");
		return 1;
	}

	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		dup2(2, 1);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execv(argv[optind + 3], argv + optind + 3);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		fprintf(stderr, "stepcount: %s did not start\n", argv[optind + 3]);
		return 1;
	}
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_EXITKILL);
	if (is_pie(exe_real) && exe_base(pid, exe_real, &base)) {
		fprintf(stderr, "stepcount: no mapping of %s in pid %d\n", exe_real, pid);
		return 1;
	}

	/* Run freely to START through one int3, then single-step. */
	if (start_name) {
		uint64_t at = base + start;

		errno = 0;
		orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)at, NULL);
		if (errno) {
			perror("stepcount: peek");
			return 1;
		}
		ptrace(PTRACE_POKETEXT, pid, (void *)at, (void *)((orig & ~0xffL) | 0xcc));
		ptrace(PTRACE_CONT, pid, NULL, NULL);
		for (;;) {
			struct user_regs_struct regs;

			if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
				fprintf(stderr, "stepcount: exited before reaching 0x%" PRIx64 "\n",
					start);
				return 1;
			}
			sig = WSTOPSIG(status);
			ptrace(PTRACE_GETREGS, pid, NULL, &regs);
			if (sig == SIGTRAP && regs.rip == at + 1) {
				regs.rip = at;
				ptrace(PTRACE_SETREGS, pid, NULL, &regs);
				ptrace(PTRACE_POKETEXT, pid, (void *)at, (void *)orig);
				break;
			}
			ptrace(PTRACE_CONT, pid, NULL, (void *)(long)(sig == SIGTRAP ? 0 : sig));
		}
	}

	sig = 0;
	for (;;) {
		struct user_regs_struct regs;

		if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0) {
			uint64_t link = regs.rip - base;

			if (link >= lo && link < hi)
				counts[link - lo]++;
		}
		ptrace(PTRACE_SINGLESTEP, pid, NULL, (void *)(long)sig);
		if (waitpid(pid, &status, 0) != pid)
			return 1;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		sig = WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status);
	}
	for (uint64_t a = lo; a < hi; a++)
		if (counts[a - lo])
			printf("0x%" PRIx64 " %" PRIu64 "\n", a, counts[a - lo]);
	return exit_code(status);

usage:
	fprintf(stderr, "usage: stepcount [-s START] LO HI -- PROGRAM [ARG...]\n");
	return 2;
}

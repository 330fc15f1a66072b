/* SPDX-License-Identifier: MIT */
/*
 * floor: the cheapest ptrace tracer of a function entry, the benchmark's floor. Exactly one
 * ptrace stop per hit: an int3 over the first byte of a 4-byte endbr64; at the hit GETREGS,
 * rip += 3 (past the endbr64), SETREGS, CONT.
 *
 *   floor MAIN_OFF LIB FN_OFF -- PROGRAM [ARG...]
 *
 * MAIN_OFF is main's link-time address in PROGRAM (hex; the int3 there waits until the
 * libraries are mapped); FN_OFF the function's address in the library whose path ends with
 * LIB. Prints "hits=N" on stderr; exits with the program's status.
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

static uint64_t module_base(pid_t pid, const char *suffix)
{
	char path[64], line[4096];
	uint64_t base = 0;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "r");
	if (!maps)
		return 0;
	while (fgets(line, sizeof(line), maps)) {
		uint64_t lo, off;
		char name[4096] = "";
		size_t len, slen = strlen(suffix);

		if (sscanf(line, "%" SCNx64 "-%*x %*s %" SCNx64 " %*s %*s %4095s", &lo, &off,
			   name) != 3 ||
		    off != 0)
			continue;
		len = strlen(name);
		if (len >= slen && strcmp(name + len - slen, suffix) == 0) {
			base = lo;
			break;
		}
	}
	fclose(maps);
	return base;
}

static int wait_trap(pid_t pid, uint64_t at, int *status)
{
	struct user_regs_struct regs;

	for (;;) {
		if (waitpid(pid, status, 0) != pid || !WIFSTOPPED(*status))
			return -ESRCH;
		int sig = WSTOPSIG(*status);

		if (sig == SIGTRAP && ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0 &&
		    regs.rip == at + 1)
			return 0;
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)(sig == SIGTRAP ? 0 : sig));
	}
}

int main(int argc, char **argv)
{
	struct user_regs_struct regs;
	uint64_t main_at, fn_at, exe_base, lib_base, hits = 0;
	char exe_real[4096];
	long orig, word;
	int status;
	pid_t pid;

	if (argc < 6 || strcmp(argv[4], "--") != 0) {
		fprintf(stderr, "usage: floor MAIN_OFF LIB FN_OFF -- PROGRAM [ARG...]\n");
		return 2;
	}
	if (!realpath(argv[5], exe_real)) {
		perror(argv[5]);
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execv(argv[5], argv + 5);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return 1;
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_EXITKILL);

	/* To main, where the libraries are mapped and relocated. */
	exe_base = module_base(pid, exe_real);
	main_at = exe_base + strtoull(argv[1], NULL, 16);
	orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)main_at, NULL);
	ptrace(PTRACE_POKETEXT, pid, (void *)main_at, (void *)((orig & ~0xffL) | 0xcc));
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	if (wait_trap(pid, main_at, &status)) {
		fprintf(stderr, "floor: the program ended before main\n");
		return 1;
	}
	ptrace(PTRACE_POKETEXT, pid, (void *)main_at, (void *)orig);
	ptrace(PTRACE_GETREGS, pid, NULL, &regs);
	regs.rip = main_at;
	ptrace(PTRACE_SETREGS, pid, NULL, &regs);

	lib_base = module_base(pid, argv[2]);
	if (!lib_base) {
		fprintf(stderr, "floor: no library %s in process %d\n", argv[2], pid);
		return 1;
	}
	fn_at = lib_base + strtoull(argv[3], NULL, 16);
	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, pid, (void *)fn_at, NULL);
	if (errno || (word & 0xffffffffL) != 0xfa1e0ff3L) {
		fprintf(stderr, "floor: no endbr64 at 0x%" PRIx64 "\n", fn_at);
		return 1;
	}
	ptrace(PTRACE_POKETEXT, pid, (void *)fn_at, (void *)((word & ~0xffL) | 0xcc));

	/* One stop per hit. */
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	for (;;) {
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			break;
		int sig = WSTOPSIG(status);

		if (sig == SIGTRAP) {
			ptrace(PTRACE_GETREGS, pid, NULL, &regs);
			if (regs.rip == fn_at + 1) {
				regs.rip += 3;
				ptrace(PTRACE_SETREGS, pid, NULL, &regs);
				hits++;
			}
			sig = 0;
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	fprintf(stderr, "hits=%" PRIu64 "\n", hits);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

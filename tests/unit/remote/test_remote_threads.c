/* SPDX-License-Identifier: MIT */
/*
 * Threads under qemu-aarch64's stub: fixture_threads (argv[1]) runs four
 * threads, one after the other, through probe_me while its main thread
 * waits. A breakpoint there is hit from each; each hit is stepped over the
 * way a debugger does it (original bytes back, step that thread,
 * breakpoint again), which drives thread selection (Hg), register reads of
 * a thread other than the stopped one, and writes to text qemu keeps
 * protecting. The program checks every call ran exactly once (status 0).
 *
 * fixture_spinners (argv[2]) does the same from its main thread while two
 * others spin in probe_me's page: qemu write-protects that page again as
 * soon as a spinner translates its loop anew, which it does after every
 * mprotect, so each write races with them (the stub's M lost the race at
 * the first hit, run after run).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "uptrace/arch.h"
#include "uptrace/target.h"
#include "remote.h"

static const char *fixture, *spinners;
static uint64_t probe_me, spin_probe;
static struct up_target *live;

static const struct up_arch *aarch64(void)
{
	return up_arch_by_name("aarch64");
}

static int find_symbol(const char *path, const char *want, uint64_t *addr)
{
	Elf_Scn *scn = NULL;
	Elf *elf;
	int fd, ret = -1;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			gelf_getsym(data, (int)i, &sym);
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && !strcmp(name, want)) {
				*addr = sym.st_value;
				ret = 0;
			}
		}
	}
	elf_end(elf);
	close(fd);
	return ret;
}

static int teardown(void **state)
{
	if (live)
		live->ops->destroy(live);
	live = NULL;
	return 0;
}

/*
 * Over the breakpoint at `at` that stop's thread hit: the original back,
 * that thread stepped, the breakpoint again, the thread resumed.
 */
static void step_over(struct up_target *t, struct up_stop *stop, uint64_t at, uint32_t orig)
{
	const uint32_t brk = 0xd4200000;
	struct up_regs regs;

	assert_int_equal(t->ops->write(t, at, &orig, 4), 0);
	assert_int_equal(t->ops->step(t, stop->tid), 0);
	do {
		assert_int_equal(t->ops->wait(t, stop, 20000), 0);
	} while (stop->kind == UP_STOP_TRAP && !stop->stepped);
	assert_int_equal(stop->kind, UP_STOP_TRAP);
	assert_int_equal(t->ops->get_regs(t, stop->tid, &regs), 0);
	assert_int_equal(regs.r[UP_A64_PC], at + 4);
	assert_int_equal(t->ops->write(t, at, &brk, 4), 0);
	assert_int_equal(t->ops->resume(t, stop->tid, 0), 0);
}

static void test_threads(void **state)
{
	char *argv[] = {(char *)fixture, NULL};
	const uint32_t brk = 0xd4200000;
	const struct up_arch *a = aarch64();
	struct up_target *t = NULL;
	struct up_regs regs;
	struct up_stop stop;
	pid_t tids[16], seen[16];
	int nseen = 0, hits = 0, most_threads = 0;
	uint32_t orig;

	assert_int_equal(up_remote_spawn_qemu_arch(&t, argv, NULL, a, 0, NULL, 0), 0);
	live = t;
	assert_int_equal(t->ops->read(t, probe_me, &orig, 4), 0);
	assert_int_equal(t->ops->write(t, probe_me, &brk, 4), 0);
	assert_int_equal(t->ops->resume(t, t->pid, 0), 0);
	for (;;) {
		int n;
		bool known = false;

		assert_int_equal(t->ops->wait(t, &stop, 20000), 0);
		if (stop.kind == UP_STOP_EXITED)
			break;
		assert_int_equal(stop.kind, UP_STOP_TRAP);
		assert_false(stop.stepped);
		hits++;
		for (int i = 0; i < nseen; i++)
			known |= seen[i] == stop.tid;
		if (!known && nseen < 16)
			seen[nseen++] = stop.tid;

		/* every thread's registers can be read, not only the stopped one's */
		n = t->ops->threads(t, tids, 16);
		assert_true(n >= 1);
		if (n > most_threads)
			most_threads = n;
		for (int i = 0; i < n; i++) {
			assert_int_equal(t->ops->get_regs(t, tids[i], &regs), 0);
			assert_true(regs.r[UP_A64_PC] != 0);
		}
		assert_int_equal(t->ops->get_regs(t, stop.tid, &regs), 0);
		assert_int_equal(regs.r[UP_A64_PC], probe_me);

		step_over(t, &stop, probe_me, orig);
	}
	printf("# %d hits from %d threads, at most %d threads listed\n", hits, nseen, most_threads);
	/* every call ran once: the fixture's own check */
	assert_int_equal(stop.status, 0);
	assert_int_equal(hits, 4 * 50);
	assert_int_equal(nseen, 4);
	assert_int_equal(most_threads, 2); /* main and the worker of the moment */
	t->ops->destroy(t);
	live = NULL;
}

static void test_spinners(void **state)
{
	char *argv[] = {(char *)spinners, NULL};
	const uint32_t brk = 0xd4200000;
	struct up_target *t = NULL;
	struct up_regs regs;
	struct up_stop stop;
	uint64_t spinner = 0;
	uint32_t orig;
	int hits = 0;

	/* the race needs the spinners' loop in probe_me's page */
	assert_int_equal(find_symbol(spinners, "spinner", &spinner), 0);
	assert_int_equal(spinner & ~0xfffull, spin_probe & ~0xfffull);

	assert_int_equal(up_remote_spawn_qemu_arch(&t, argv, NULL, aarch64(), 0, NULL, 0), 0);
	live = t;
	assert_int_equal(t->ops->read(t, spin_probe, &orig, 4), 0);
	assert_int_equal(t->ops->write(t, spin_probe, &brk, 4), 0);
	assert_int_equal(t->ops->resume(t, t->pid, 0), 0);
	for (;;) {
		assert_int_equal(t->ops->wait(t, &stop, 20000), 0);
		if (stop.kind == UP_STOP_EXITED)
			break;
		assert_int_equal(stop.kind, UP_STOP_TRAP);
		hits++;
		assert_int_equal(t->ops->get_regs(t, stop.tid, &regs), 0);
		assert_int_equal(regs.r[UP_A64_PC], spin_probe);
		step_over(t, &stop, spin_probe, orig);
	}
	printf("# %d hits beside two spinning threads\n", hits);
	assert_int_equal(stop.status, 0);
	assert_int_equal(hits, 50);
	t->ops->destroy(t);
	live = NULL;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_threads, teardown),
	    cmocka_unit_test_teardown(test_spinners, teardown),
	};

	if (argc < 3 || access(argv[1], R_OK) || access(argv[2], R_OK)) {
		printf("skip: no threads fixtures (aarch64-linux-gnu-gcc missing?)\n");
		return 77;
	}
	if (system("command -v qemu-aarch64 >/dev/null 2>&1")) {
		printf("skip: qemu-aarch64 not on PATH (Debian package qemu-user)\n");
		return 77;
	}
	fixture = argv[1];
	spinners = argv[2];
	if (find_symbol(fixture, "probe_me", &probe_me) ||
	    find_symbol(spinners, "probe_me", &spin_probe)) {
		printf("fixture %s or %s has no probe_me\n", fixture, spinners);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

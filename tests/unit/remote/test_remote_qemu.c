/* SPDX-License-Identifier: MIT */
/*
 * The GDB remote target against a real qemu-aarch64: spawn the fixture
 * (argv[1]) stopped at its entry, read registers, memory and auxv, make
 * its text writable with a remote mprotect, plant brk #0 in probe_me, take
 * the trap, put the bytes back (write() mprotects again by itself), step, change a register and check
 * the exit status the fixture computes from it. Then stop a spinning run
 * with stop_all, time out, take an EINTR, and kill it.
 * Skips (77) without qemu-aarch64 or the fixture (aarch64-linux-gnu-gcc).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "uptrace/arch.h"
#include "uptrace/target.h"
#include "remote.h"

static const char *fixture;
static uint64_t entry, probe_me, do_syscall, spin_here, value;
/* the PT_LOAD segment holding the entry */
static uint64_t text_vaddr, text_offset, text_filesz;

/* Until arch/aarch64 has its table: x0..x30, sp, pc (8 bytes), cpsr (4). */
static const struct up_gdb_reg local_gdb_regs[] = {
	{ 0, 8 },  { 1, 8 },  { 2, 8 },	 { 3, 8 },  { 4, 8 },  { 5, 8 },  { 6, 8 },
	{ 7, 8 },  { 8, 8 },  { 9, 8 },	 { 10, 8 }, { 11, 8 }, { 12, 8 }, { 13, 8 },
	{ 14, 8 }, { 15, 8 }, { 16, 8 }, { 17, 8 }, { 18, 8 }, { 19, 8 }, { 20, 8 },
	{ 21, 8 }, { 22, 8 }, { 23, 8 }, { 24, 8 }, { 25, 8 }, { 26, 8 }, { 27, 8 },
	{ 28, 8 }, { 29, 8 }, { 30, 8 }, { 31, 8 }, { 32, 8 }, { 33, 4 },
};

static const struct up_arch local_aarch64 = {
	.name = "aarch64",
	.e_machine = EM_AARCH64,
	.qemu_name = "aarch64",
	.bp = { 0x00, 0x00, 0x20, 0xd4 },
	.bp_len = 4,
	.insn_align = 4,
	.nregs = UP_A64_NREGS,
	.pc_reg = UP_A64_PC,
	.sp_reg = UP_A64_SP,
	.gdb_regs = local_gdb_regs,
	.n_gdb_regs = sizeof(local_gdb_regs) / sizeof(local_gdb_regs[0]),
	.syscall_insn = { 0x01, 0x00, 0x00, 0xd4 },
	.syscall_len = 4,
	.syscall_nr_reg = 8,
	.syscall_arg_regs = { 0, 1, 2, 3, 4, 5 },
	.syscall_ret_reg = 0,
	.syscall_restart_reg = -1,
	.nr_mmap = 222,
	.nr_mprotect = 226,
	.nr_munmap = 215,
};

static const struct up_arch *aarch64(void)
{
	const struct up_arch *a = up_arch_by_machine(EM_AARCH64);

	return a && a->gdb_regs ? a : &local_aarch64;
}

static int load_symbols(const char *path)
{
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || !gelf_getehdr(elf, &eh))
		return -1;
	entry = eh.e_entry;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr <= entry &&
		    entry < ph.p_vaddr + ph.p_filesz) {
			text_vaddr = ph.p_vaddr;
			text_offset = ph.p_offset;
			text_filesz = ph.p_filesz;
		}
	}
	while ((scn = elf_nextscn(elf, scn))) {
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
			if (!name)
				continue;
			if (!strcmp(name, "probe_me"))
				probe_me = sym.st_value;
			else if (!strcmp(name, "do_syscall"))
				do_syscall = sym.st_value;
			else if (!strcmp(name, "spin_here"))
				spin_here = sym.st_value;
			else if (!strcmp(name, "value"))
				value = sym.st_value;
		}
	}
	elf_end(elf);
	close(fd);
	return probe_me && do_syscall && spin_here && value ? 0 : -1;
}

static struct up_target *spawn(bool spin)
{
	char *argv[] = { (char *)fixture, spin ? "spin" : NULL, NULL };
	struct up_target *t = NULL;

	assert_int_equal(up_remote_spawn_qemu_arch(&t, argv, NULL, aarch64(), 0), 0);
	assert_non_null(t);
	return t;
}

static void test_trace_to_exit(void **state)
{
	struct up_target *t = spawn(false);
	struct up_regs regs, saved;
	struct up_stop stop;
	static uint8_t mem[16384], file[16384];
	size_t size;
	uint64_t v, auxv[64], args[6] = { 0 };
	uint32_t insn, orig;
	char real[4096];
	pid_t tid, tids[8];
	int n, fd;

	/* what spawning fills in */
	assert_true(t->remote);
	assert_true(t->pid > 0);
	assert_non_null(realpath(fixture, real));
	assert_string_equal(t->exe, real);
	assert_ptr_equal(t->arch, aarch64());

	/* one thread, stopped at the ELF entry */
	n = t->ops->threads(t, tids, 8);
	assert_int_equal(n, 1);
	tid = tids[0];
	assert_int_equal(tid, t->pid);	/* qemu-user's main thread is qemu itself */
	assert_int_equal(t->ops->get_regs(t, tid, &regs), 0);
	assert_int_equal(regs.r[UP_A64_PC], entry);
	assert_true(regs.r[UP_A64_SP] != 0);
	assert_int_equal(regs.r[UP_A64_SP] & 15, 0);

	/* memory: the text segment as in the file, read in several m packets */
	size = text_filesz < sizeof(mem) ? text_filesz : sizeof(mem);
	assert_true(size > 4096);
	assert_int_equal(t->ops->read(t, text_vaddr, mem, size), 0);
	fd = open(fixture, O_RDONLY);
	assert_int_equal(pread(fd, file, size, (off_t)text_offset), (ssize_t)size);
	close(fd);
	assert_memory_equal(mem, file, size);
	assert_int_equal(t->ops->read(t, probe_me, &orig, 4), 0);
	assert_int_equal(orig, 0x91000694);	/* add x20, x20, #1 */
	assert_int_equal(t->ops->read(t, value, &v, 8), 0);
	assert_int_equal(v, 0x1122334455667788ull);
	assert_int_equal(t->ops->read(t, 0, &v, 8), -EFAULT);

	/* data pages take writes as they are */
	v = 0xa5a5a5a5deadbeefull;
	assert_int_equal(t->ops->write(t, value, &v, 8), 0);
	v = 0;
	assert_int_equal(t->ops->read(t, value, &v, 8), 0);
	assert_int_equal(v, 0xa5a5a5a5deadbeefull);

	/* auxv: AT_ENTRY is the entry */
	n = t->ops->auxv(t, auxv, sizeof(auxv));
	assert_true(n >= 16 && n % 16 == 0);
	v = 0;
	for (int i = 0; i + 1 < n / 8; i += 2)
		if (auxv[i] == AT_ENTRY)
			v = auxv[i + 1];
	assert_int_equal(v, entry);

	/* a remote mprotect makes the text page writable through the stub */
	args[0] = probe_me & ~4095ull;
	args[1] = 4096;
	args[2] = 7;	/* PROT_READ | PROT_WRITE | PROT_EXEC */
	assert_int_equal(up_remote_syscall(t, tid, do_syscall, 226, args), 0);
	/* every register came back, the PC included */
	assert_int_equal(t->ops->get_regs(t, tid, &saved), 0);
	assert_memory_equal(&saved, &regs, sizeof(regs));
	insn = 0xd4200000;	/* brk #0 */
	assert_int_equal(t->ops->write(t, probe_me, &insn, 4), 0);
	insn = 0;
	assert_int_equal(t->ops->read(t, probe_me, &insn, 4), 0);
	assert_int_equal(insn, 0xd4200000);

	/* the breakpoint traps with PC at the brk: bp_pc_adjust 0 */
	assert_int_equal(t->ops->resume(t, tid, 0), 0);
	assert_int_equal(t->ops->wait(t, &stop, 10000), 0);
	assert_int_equal(stop.kind, UP_STOP_TRAP);
	assert_int_equal(stop.tid, tid);
	assert_false(stop.stepped);
	assert_int_equal(t->ops->get_regs(t, tid, &regs), 0);
	printf("# brk #0 at %#llx: stop PC %#llx\n", (unsigned long long)probe_me,
	       (unsigned long long)regs.r[UP_A64_PC]);
	assert_int_equal(regs.r[UP_A64_PC], probe_me + aarch64()->bp_pc_adjust);
	assert_int_equal(regs.r[UP_A64_LR], entry + 6 * 4);	/* after the first bl */
	assert_int_equal(regs.r[20], 0);

	/*
	 * Original bytes back. qemu write-protected the page again when it
	 * translated the brk: write() runs the mprotect itself this time, from
	 * a syscall instruction on another page, and leaves the registers be.
	 */
	saved = regs;
	assert_int_equal(t->ops->write(t, probe_me, &orig, 4), 0);
	assert_int_equal(t->ops->get_regs(t, tid, &regs), 0);
	assert_memory_equal(&saved, &regs, sizeof(regs));
	insn = 0;
	assert_int_equal(t->ops->read(t, probe_me, &insn, 4), 0);
	assert_int_equal(insn, orig);
	/* one step runs exactly the add */
	assert_int_equal(t->ops->step(t, tid), 0);
	assert_int_equal(t->ops->wait(t, &stop, 10000), 0);
	assert_int_equal(stop.kind, UP_STOP_TRAP);
	assert_true(stop.stepped);
	assert_int_equal(t->ops->get_regs(t, tid, &regs), 0);
	assert_int_equal(regs.r[UP_A64_PC], probe_me + 4);
	assert_int_equal(regs.r[20], 1);

	/* a register changed here shows in the exit status: 40 + 10 + 2 more calls */
	regs.r[20] = 10;
	assert_int_equal(t->ops->set_regs(t, tid, &regs), 0);
	memset(&saved, 0, sizeof(saved));
	assert_int_equal(t->ops->get_regs(t, tid, &saved), 0);
	assert_int_equal(saved.r[20], 10);
	assert_int_equal(t->ops->resume(t, tid, 0), 0);
	assert_int_equal(t->ops->wait(t, &stop, 10000), 0);
	assert_int_equal(stop.kind, UP_STOP_EXITED);
	assert_int_equal(stop.status, 52);
	assert_int_equal(t->ops->wait(t, &stop, 100), -ESRCH);
	assert_int_equal(t->ops->mappings(t, NULL, 0), -ENOTSUP);
	t->ops->destroy(t);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	alarms++;
}

static void test_stop_all_and_kill(void **state)
{
	struct up_target *t = spawn(true);
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART, as the cli */
	struct itimerval it = { .it_value = { .tv_usec = 100000 } };
	struct up_regs regs;
	struct up_stop stop;
	pid_t tid = t->pid;

	assert_int_equal(t->ops->resume(t, tid, 0), 0);
	/* nothing happens while it spins */
	assert_int_equal(t->ops->wait(t, &stop, 100), 0);
	assert_int_equal(stop.kind, UP_STOP_TIMEOUT);
	/* a signal to the tracer ends the wait */
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	assert_int_equal(t->ops->wait(t, &stop, -1), 0);
	assert_int_equal(stop.kind, UP_STOP_EINTR);
	assert_int_equal(alarms, 1);
	signal(SIGALRM, SIG_DFL);

	/* stop_all stops it where it spins; nothing else is queued */
	assert_int_equal(t->ops->stop_all(t), 0);
	assert_int_equal(t->ops->get_regs(t, tid, &regs), 0);
	assert_int_equal(regs.r[UP_A64_PC], spin_here);
	assert_int_equal(t->ops->resume_all(t), 0);
	assert_int_equal(t->ops->wait(t, &stop, 200), 0);
	assert_int_equal(stop.kind, UP_STOP_TIMEOUT);
	assert_int_equal(t->ops->stop_all(t), 0);

	/* a signal passed on with resume reaches the program: SIGUSR1 kills it */
	assert_int_equal(t->ops->resume(t, tid, SIGUSR1), 0);
	assert_int_equal(t->ops->wait(t, &stop, 10000), 0);
	assert_int_equal(stop.kind, UP_STOP_KILLED);
	assert_int_equal(stop.sig, SIGUSR1);
	t->ops->destroy(t);

	/* kill ends a stopped one for good */
	t = spawn(true);
	assert_int_equal(t->ops->kill(t), 0);
	assert_int_equal(kill(t->pid, 0), -1);
	t->ops->destroy(t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_to_exit),
		cmocka_unit_test(test_stop_all_and_kill),
	};
	if (argc < 2 || access(argv[1], R_OK)) {
		printf("skip: no aarch64 fixture (aarch64-linux-gnu-gcc missing?)\n");
		return 77;
	}
	fixture = argv[1];
	if (system("command -v qemu-aarch64 >/dev/null 2>&1")) {
		printf("skip: qemu-aarch64 not on PATH (Debian package qemu-user)\n");
		return 77;
	}
	if (load_symbols(fixture)) {
		printf("fixture %s lacks its symbols\n", fixture);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * The GDB remote target against a real qemu-user (argv[1] names the arch,
 * argv[2] its fixture, fixture_ARCH.S): spawn the fixture stopped at its entry, read registers,
 * memory and auxv, make its text writable with a remote mprotect, plant brk #0 in probe_me, take
 * the trap, put the bytes back (write() stores them with a store of the program's arch), step,
 * change a register and check the exit status the fixture computes from it. Then stop a spinning
 * run with stop_all, time out, take an EINTR, and kill it. Skips (77) without qemu-ARCH or the
 * fixture (no cross compiler).
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
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "uptrace/arch.h"
#include "uptrace/target.h"
#include "remote.h"

static const char *fixture;
static uint64_t entry, probe_me, do_syscall, spin_here, value;
/* the PT_LOAD segment holding the entry */
static uint64_t text_vaddr, text_offset, text_filesz;

/* What each fixture does, in the arch's terms. */
static const struct arch_case {
	const char *name, *arch;
	uint32_t first_word;	   /* probe_me's first 4 bytes: the counter's increment first */
	uint32_t bp;		   /* the breakpoint GDB uses */
	uint8_t bp_len, first_len; /* bytes of bp, of probe_me's first instruction */
	int counter_reg, ra_reg;
} cases[] = {
    /* add x20, x20, #1; brk #0 */
    {"aarch64", "aarch64", 0x91000694, 0xd4200000, 4, 4, 20, UP_A64_LR},
    /* addi s2, s2, 1; ebreak */
    {"riscv64", "riscv64", 0x00190913, 0x00100073, 4, 4, 18, UP_RV_RA},
    /* c.addi s2, 1; c.nop; c.ebreak */
    {"riscv64c", "riscv64", 0x00010905, 0x9002, 2, 2, 18, UP_RV_RA},
    /* addi.d $s1, $s1, 1; break 0 */
    {"loongarch64", "loongarch64", 0x02c00718, 0x002a0000, 4, 4, 24, UP_LA_RA},
};

static const struct arch_case *acase;
static const struct up_arch *test_arch;
static uint64_t after_call;

/* arch/<arch>'s table: its 'g' layout and syscall are what is under test with the stub. */
static const struct up_arch *pick_arch(const char *name)
{
	return up_arch_by_name(name);
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
			else if (!strcmp(name, "after_call"))
				after_call = sym.st_value;
			else if (!strcmp(name, "value"))
				value = sym.st_value;
		}
	}
	elf_end(elf);
	close(fd);
	return probe_me && do_syscall && spin_here && value && after_call ? 0 : -1;
}

/* The target a test is using: a failed assertion leaves it to teardown. */
static struct up_target *live;

static int teardown(void **state)
{
	if (live)
		live->ops->destroy(live); /* kills qemu: it holds the test's stdout */
	live = NULL;
	return 0;
}

static struct up_target *spawn(bool spin)
{
	char *argv[] = {(char *)fixture, spin ? "spin" : NULL, NULL};
	struct up_target *t = NULL;

	assert_int_equal(up_remote_spawn_qemu_arch(&t, argv, NULL, test_arch, 0, NULL, 0), 0);
	assert_non_null(t);
	live = t;
	return t;
}

/* tid resumed with sig, which ends the program: its end is reported, the target goes */
static void killed_by(struct up_target *t, pid_t tid, int sig)
{
	struct up_stop stop;

	assert_int_equal(t->ops->resume(t, tid, sig), 0);
	assert_int_equal(t->ops->wait(t, &stop, 10000), 0);
	assert_int_equal(stop.kind, UP_STOP_KILLED);
	assert_int_equal(stop.sig, sig);
	t->ops->destroy(t);
	live = NULL;
}

static void test_trace_to_exit(void **state)
{
	struct up_target *t = spawn(false);
	struct up_regs regs, saved;
	struct up_stop stop;
	static uint8_t mem[16384], file[16384];
	size_t size;
	uint64_t v, auxv[64], args[6] = {0}, pagesz = 0;
	uint8_t pattern[15], before[17], back[17];
	uint32_t insn, orig;
	char real[4096];
	pid_t tid, tids[8];
	int n, fd;

	/* what spawning fills in */
	assert_true(t->caps.writes_unprotect);
	assert_false(t->caps.procfs);
	assert_true(t->pid > 0);
	assert_non_null(realpath(fixture, real));
	assert_string_equal(t->exe, real);
	assert_ptr_equal(t->arch, test_arch);

	/* one thread, stopped at the ELF entry */
	n = t->ops->threads(t, tids, 8);
	assert_int_equal(n, 1);
	tid = tids[0];
	assert_int_equal(tid, t->pid); /* qemu-user's main thread is qemu itself */
	assert_int_equal(t->ops->get_regs(t, tid, &regs), 0);
	assert_int_equal(regs.r[test_arch->pc_reg], entry);
	assert_true(regs.r[test_arch->sp_reg] != 0);
	assert_int_equal(regs.r[test_arch->sp_reg] & 15, 0);

	/* memory: the text segment as in the file, read in several m packets */
	size = text_filesz < sizeof(mem) ? text_filesz : sizeof(mem);
	assert_true(size > 4096);
	assert_int_equal(t->ops->read(t, text_vaddr, mem, size), 0);
	fd = open(fixture, O_RDONLY);
	assert_int_equal(pread(fd, file, size, (off_t)text_offset), (ssize_t)size);
	close(fd);
	assert_memory_equal(mem, file, size);
	assert_int_equal(t->ops->read(t, probe_me, &orig, 4), 0);
	assert_int_equal(orig, acase->first_word);
	assert_int_equal(t->ops->read(t, value, &v, 8), 0);
	assert_int_equal(v, 0x1122334455667788ull);
	assert_int_equal(t->ops->read(t, 0, &v, 8), -EFAULT);

	/* data pages take writes as they are */
	v = 0xa5a5a5a5deadbeefull;
	assert_int_equal(t->ops->write(t, value, &v, 8), 0);
	v = 0;
	assert_int_equal(t->ops->read(t, value, &v, 8), 0);
	assert_int_equal(v, 0xa5a5a5a5deadbeefull);

	/* auxv: AT_ENTRY is the entry; AT_PAGESZ is what mprotect wants */
	n = t->ops->auxv(t, auxv, sizeof(auxv));
	assert_true(n >= 16 && n % 16 == 0);
	v = 0;
	for (int i = 0; i + 1 < n / 8; i += 2) {
		if (auxv[i] == AT_ENTRY)
			v = auxv[i + 1];
		else if (auxv[i] == AT_PAGESZ)
			pagesz = auxv[i + 1];
	}
	assert_int_equal(v, entry);
	assert_true(pagesz >= 4096);

	/*
	 * A step over the system call instruction runs the call once and ends
	 * past it (qemu 7.2 leaves PC on svc / syscall: the target fixes it).
	 */
	saved = regs;
	regs.r[test_arch->pc_reg] = do_syscall;
	regs.r[test_arch->syscall_nr_reg] = 172; /* getpid */
	assert_int_equal(t->ops->set_regs(t, tid, &regs), 0);
	assert_int_equal(t->ops->step(t, tid), 0);
	assert_int_equal(t->ops->wait(t, &stop, 10000), 0);
	assert_int_equal(stop.kind, UP_STOP_TRAP);
	assert_true(stop.stepped);
	assert_int_equal(t->ops->get_regs(t, tid, &regs), 0);
	assert_int_equal(regs.r[test_arch->pc_reg], do_syscall + test_arch->syscall_len);
	assert_int_equal(regs.r[test_arch->syscall_ret_reg], t->pid);
	assert_int_equal(t->ops->set_regs(t, tid, &saved), 0);
	regs = saved;

	/* a remote mprotect makes the text page writable through the stub */
	args[0] = probe_me & ~(pagesz - 1);
	args[1] = pagesz;
	args[2] = 7; /* PROT_READ | PROT_WRITE | PROT_EXEC */
	assert_int_equal(up_remote_syscall(t, tid, do_syscall, test_arch->nr_mprotect, args), 0);
	/* every register came back, the PC included */
	assert_int_equal(t->ops->get_regs(t, tid, &saved), 0);
	assert_memory_equal(&saved, &regs, sizeof(regs));

	/*
	 * The program's own stores (poke.c), all four widths: 15 bytes from an
	 * odd address past probe_me's code, in the page it may write now.
	 */
	for (unsigned i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(t->ops->read(t, probe_me + 0x100, before, sizeof(before)), 0);
	assert_int_equal(
	    up_remote_poke((struct up_remote *)t, probe_me + 0x101, pattern, sizeof(pattern)), 0);
	assert_int_equal(t->ops->read(t, probe_me + 0x100, back, sizeof(back)), 0);
	assert_int_equal(back[0], before[0]);
	assert_memory_equal(back + 1, pattern, sizeof(pattern));
	assert_int_equal(back[16], before[16]);
	assert_int_equal(t->ops->get_regs(t, tid, &saved), 0);
	assert_memory_equal(&saved, &regs, sizeof(regs));
	assert_int_equal(t->ops->write(t, probe_me, &acase->bp, acase->bp_len), 0);
	insn = 0;
	assert_int_equal(t->ops->read(t, probe_me, &insn, 4), 0);
	if (acase->bp_len == 2)
		assert_int_equal(insn, (orig & 0xffff0000) | acase->bp);
	else
		assert_int_equal(insn, acase->bp);

	/* the breakpoint traps with PC at the brk: bp_pc_adjust 0 */
	assert_int_equal(t->ops->resume(t, tid, 0), 0);
	assert_int_equal(t->ops->wait(t, &stop, 10000), 0);
	assert_int_equal(stop.kind, UP_STOP_TRAP);
	assert_int_equal(stop.tid, tid);
	assert_false(stop.stepped);
	assert_int_equal(t->ops->get_regs(t, tid, &regs), 0);
	printf("# %s breakpoint at %#llx: stop PC %#llx\n", acase->name,
	       (unsigned long long)probe_me, (unsigned long long)regs.r[test_arch->pc_reg]);
	assert_int_equal(regs.r[test_arch->pc_reg], probe_me + test_arch->bp_pc_adjust);
	assert_int_equal(regs.r[acase->ra_reg], after_call);
	assert_int_equal(regs.r[acase->counter_reg], 0);

	/*
	 * Original bytes back. qemu write-protected the page again when it
	 * translated the brk, so the stub refuses M: write() steps one of the
	 * program's own store instructions from a page it maps (the program
	 * may write the page since the mprotect above) and leaves the
	 * registers be.
	 */
	saved = regs;
	assert_int_equal(t->ops->write(t, probe_me, &orig, acase->bp_len), 0);
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
	assert_int_equal(regs.r[test_arch->pc_reg], probe_me + acase->first_len);
	assert_int_equal(regs.r[acase->counter_reg], 1);

	/* a register changed here shows in the exit status: 40 + 10 + 2 more calls */
	regs.r[acase->counter_reg] = 10;
	assert_int_equal(t->ops->set_regs(t, tid, &regs), 0);
	memset(&saved, 0, sizeof(saved));
	assert_int_equal(t->ops->get_regs(t, tid, &saved), 0);
	assert_int_equal(saved.r[acase->counter_reg], 10);
	assert_int_equal(t->ops->resume(t, tid, 0), 0);
	assert_int_equal(t->ops->wait(t, &stop, 10000), 0);
	assert_int_equal(stop.kind, UP_STOP_EXITED);
	assert_int_equal(stop.status, 52);
	assert_int_equal(t->ops->wait(t, &stop, 100), -ESRCH);
	assert_int_equal(t->ops->mappings(t, NULL, 0), -ENOTSUP);
	t->ops->destroy(t);
	live = NULL;
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	alarms++;
}

static void test_stop_all_and_kill(void **state)
{
	struct up_target *t = spawn(true);
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART, as the cli */
	struct itimerval it = {.it_value = {.tv_usec = 100000}};
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
	assert_int_equal(regs.r[test_arch->pc_reg], spin_here);
	assert_int_equal(t->ops->resume_all(t), 0);
	assert_int_equal(t->ops->wait(t, &stop, 200), 0);
	assert_int_equal(stop.kind, UP_STOP_TIMEOUT);
	assert_int_equal(t->ops->stop_all(t), 0);

	/* a signal passed on with resume reaches the program: SIGUSR1 kills it */
	killed_by(t, tid, SIGUSR1);

	/* kill ends a stopped one for good */
	t = spawn(true);
	assert_int_equal(t->ops->kill(t), 0);
	assert_int_equal(kill(t->pid, 0), -1);
	t->ops->destroy(t);
	live = NULL;
}

/* A fault is a signal stop; the signal not passed on, the program runs on. */
static void test_signal_and_detach(void **state)
{
	struct up_target *t = spawn(false);
	struct up_regs regs, saved;
	struct up_stop stop;
	pid_t tid = t->pid, qemu;
	int status = -1;

	assert_int_equal(t->ops->get_regs(t, tid, &saved), 0);
	regs = saved;
	regs.r[test_arch->pc_reg] = 0;
	assert_int_equal(t->ops->set_regs(t, tid, &regs), 0);
	assert_int_equal(t->ops->resume(t, tid, 0), 0);
	assert_int_equal(t->ops->wait(t, &stop, 10000), 0);
	assert_int_equal(stop.kind, UP_STOP_SIGNAL);
	assert_int_equal(stop.sig, SIGSEGV);
	assert_int_equal(stop.tid, tid);
	assert_int_equal(t->ops->set_regs(t, tid, &saved), 0);
	assert_int_equal(t->ops->resume(t, tid, 0), 0);
	assert_int_equal(t->ops->wait(t, &stop, 10000), 0);
	assert_int_equal(stop.kind, UP_STOP_EXITED);
	assert_int_equal(stop.status, 43);
	t->ops->destroy(t);
	live = NULL;

	/*
	 * Detached at its entry, it runs to its own end: qemu's exit status is
	 * 43, collected (as the cli does) while the target still exists.
	 */
	t = spawn(false);
	qemu = t->pid;
	assert_int_equal(t->ops->detach(t), 0);
	for (int i = 0; i < 1000 && waitpid(qemu, &status, WNOHANG) != qemu; i++)
		usleep(10000);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 43);
	t->ops->destroy(t);
	live = NULL;
}

/*
 * A signal that reaches the thread a remote syscall steps: the call still
 * completes, every register comes back, and the signal is the program's,
 * its next stop (it ends the program, as untraced). The generic wait for
 * the step gave up with -ESRCH on it and left the call's registers.
 */
static void test_signal_during_remote_syscall(void **state)
{
	struct up_target *t = spawn(false);
	struct up_regs before, after;
	struct up_stop stop;
	uint64_t args[6] = {0}; /* munmap(0, 0): EINVAL, and nothing else */
	pid_t tid = t->pid;

	assert_int_equal(t->ops->get_regs(t, tid, &before), 0);
	assert_int_equal(kill(t->pid, SIGUSR1), 0);
	usleep(200000); /* qemu's own handler has it pending for the guest */
	assert_int_equal(up_remote_syscall(t, tid, do_syscall, test_arch->nr_munmap, args),
			 -EINVAL);
	assert_int_equal(t->ops->get_regs(t, tid, &after), 0);
	assert_memory_equal(&after, &before, sizeof(before));
	assert_int_equal(t->ops->wait(t, &stop, 10000), 0);
	assert_int_equal(stop.kind, UP_STOP_SIGNAL);
	assert_int_equal(stop.tid, tid);
	assert_int_equal(stop.sig, SIGUSR1);
	killed_by(t, tid, SIGUSR1);
}

/*
 * --remote against a qemu we start with -g gdb_arg, reached as spec: the
 * arch comes from target.xml, the program from qemu's command line.
 */
static void connect_once(const struct up_arch *a, const char *gdb_arg, const char *spec)
{
	char qemu[64], real[4096];
	struct up_target *t = NULL;
	struct up_regs regs;
	pid_t pid;
	int status, n = -1;

	snprintf(qemu, sizeof(qemu), "qemu-%s", a->qemu_name);
	pid = fork();
	if (pid == 0) {
		execlp(qemu, qemu, "-g", gdb_arg, fixture, "spin", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && n; i++) {
		n = up_remote_connect(&t, spec, NULL, 0);
		if (n)
			usleep(20000);
	}
	assert_int_equal(n, 0);
	live = t;
	assert_ptr_equal(t->arch, a);
	assert_int_equal(t->pid, pid); /* qemu's main thread id */
	/* the program's path from that qemu's command line (7.2 has no exec-file) */
	assert_non_null(realpath(fixture, real));
	assert_string_equal(t->exe, real);
	assert_int_equal(t->ops->get_regs(t, t->pid, &regs), 0);
	assert_int_equal(regs.r[a->pc_reg], entry);
	/*
	 * This stub ignores \x03 while the program runs, and a qemu uptrace did
	 * not start is not uptrace's to signal (its PID is only the stub's
	 * word): stop_all gives up, and the program runs on untouched.
	 */
	assert_int_equal(t->ops->resume_all(t), 0);
	assert_int_equal(t->ops->stop_all(t), -ETIMEDOUT);
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	t->ops->destroy(t);
	live = NULL;
	kill(pid, SIGKILL); /* ours: this test started it */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_connect(void **state)
{
	const struct up_arch *a = up_arch_by_name(acase->arch);
	char port[16], hostport[32], path[64];

	if (!a || !a->gdb_arch || a->gdb_regs != test_arch->gdb_regs) {
		printf("# arch/%s has no table yet: connect not tried\n", acase->arch);
		return;
	}
	snprintf(port, sizeof(port), "%d", 20000 + getpid() % 20000);
	snprintf(hostport, sizeof(hostport), "localhost:%s", port);
	connect_once(a, port, hostport);
	snprintf(path, sizeof(path), "/tmp/uptrace-test-%d.sock", (int)getpid());
	connect_once(a, path, path);
	unlink(path);
}

/* Run spawn with PATH set to dir and fd 2 caught: its result, why, and what it printed. */
static int spawn_caught(const char *dir, char *why, size_t len, char *printed, size_t plen)
{
	char *argv[] = {(char *)fixture, NULL}, *old = strdup(getenv("PATH"));
	char log[] = "/tmp/uptrace-remote-err-XXXXXX";
	struct up_target *t = NULL;
	int fd = mkstemp(log), saved = dup(2), n;
	ssize_t got;

	assert_true(fd >= 0 && saved >= 0 && old);
	unlink(log);
	dup2(fd, 2);
	setenv("PATH", dir, 1);
	n = up_remote_spawn_qemu_arch(&t, argv, NULL, test_arch, 0, why, len);
	setenv("PATH", old, 1);
	dup2(saved, 2);
	close(saved);
	got = pread(fd, printed, plen - 1, 0);
	printed[got > 0 ? got : 0] = '\0';
	close(fd);
	free(old);
	if (!n)
		t->ops->destroy(t);
	return n;
}

/*
 * A qemu that is missing or cannot start: the target says why in err, once,
 * and prints nothing (the cli prints it, with what the user asked for).
 */
static void test_spawn_errors(void **state)
{
	char dir[] = "/tmp/uptrace-noqemu-XXXXXX", qemu[256], why[512], printed[512];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(spawn_caught(dir, why, sizeof(why), printed, sizeof(printed)), -ENOENT);
	assert_non_null(strstr(why, "not found on PATH"));
	assert_non_null(strstr(why, test_arch->qemu_name));
	assert_string_equal(printed, "");

	/* on PATH, but its interpreter is missing: execve fails with ENOENT in the child */
	snprintf(qemu, sizeof(qemu), "%s/qemu-%s", dir, test_arch->qemu_name);
	f = fopen(qemu, "w");
	assert_non_null(f);
	fputs("#!/nonexistent/uptrace-interpreter\n", f);
	fclose(f);
	assert_int_equal(chmod(qemu, 0755), 0);
	assert_int_equal(spawn_caught(dir, why, sizeof(why), printed, sizeof(printed)), -ENOENT);
	assert_non_null(strstr(why, qemu));
	assert_non_null(strstr(why, "cannot start"));
	assert_string_equal(printed, "");
	unlink(qemu);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_trace_to_exit, teardown),
	    cmocka_unit_test_teardown(test_stop_all_and_kill, teardown),
	    cmocka_unit_test_teardown(test_signal_and_detach, teardown),
	    cmocka_unit_test_teardown(test_signal_during_remote_syscall, teardown),
	    cmocka_unit_test_teardown(test_connect, teardown),
	    cmocka_unit_test(test_spawn_errors),
	};
	char cmd[128];

	if (argc < 2) {
		printf("usage: %s ARCH [FIXTURE]\n", argv[0]);
		return 1;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(cases[i].name, argv[1]))
			acase = &cases[i];
	test_arch = acase ? pick_arch(acase->arch) : NULL;
	if (!acase || !test_arch) {
		printf("unknown arch %s\n", argv[1]);
		return 1;
	}
	if (argc < 3 || access(argv[2], R_OK)) {
		printf("skip: no %s fixture (its cross compiler is missing)\n", argv[1]);
		return 77;
	}
	fixture = argv[2];
	snprintf(cmd, sizeof(cmd), "command -v qemu-%s >/dev/null 2>&1", test_arch->qemu_name);
	if (system(cmd)) {
		printf("skip: qemu-%s not on PATH (Debian package qemu-user)\n",
		       test_arch->qemu_name);
		return 77;
	}
	if (load_symbols(fixture)) {
		printf("fixture %s lacks its symbols\n", fixture);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

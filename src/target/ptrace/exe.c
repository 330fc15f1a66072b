/* SPDX-License-Identifier: MIT */
/*
 * What program a native process runs: its absolute path (/proc/PID/exe),
 * and from its ELF header the machine (which picks t->arch) and e_flags.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "uptrace/arch.h"
#include "ptrace_internal.h"

uint16_t pt_host_machine(void)
{
#if defined(__x86_64__)
	return EM_X86_64;
#elif defined(__aarch64__)
	return EM_AARCH64;
#elif defined(__riscv)
	return EM_RISCV;
#elif defined(__loongarch64)
	return 258; /* EM_LOONGARCH */
#else
	return EM_NONE;
#endif
}

/* -ENOEXEC when path is not a 64-bit ELF file; -errno when it cannot be read. */
int pt_elf_machine(const char *path, uint16_t *machine, uint32_t *flags)
{
	Elf64_Ehdr eh;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = pread(fd, &eh, sizeof(eh), 0);
	close(fd);
	if (n != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		return -ENOEXEC;
	*machine = eh.e_machine;
	*flags = eh.e_flags;
	return 0;
}

/* Fill t->exe, t->e_flags and t->arch from the process's current program. */
int pt_exe_identify(struct up_ptrace *p)
{
	char link[64];
	uint16_t machine;
	uint32_t flags;
	ssize_t n;
	int err;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)p->t.pid);
	n = readlink(link, p->t.exe, sizeof(p->t.exe) - 1);
	if (n < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	p->t.exe[n] = '\0';
	err = pt_elf_machine(link, &machine, &flags);
	if (err)
		return err;
	p->t.e_flags = flags;
	p->t.arch = up_arch_by_machine(machine);
	return machine == pt_host_machine() ? 0 : -ENOEXEC;
}

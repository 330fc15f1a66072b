/* SPDX-License-Identifier: MIT */
/*
 * Attach to a running process: PTRACE_SEIZE every thread listed in
 * /proc/PID/task, again until a pass finds none new (threads may be created
 * meanwhile; those made by a seized thread are traced by the kernel already),
 * then stop them all.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>

#include "ptrace_internal.h"

/* One pass over /proc/PID/task; *added counts the threads seized now. */
static int seize_pass(struct up_ptrace *p, int *added)
{
	char path[64];
	struct dirent *de;
	struct pt_thread *th;
	DIR *dir;
	pid_t tid;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)p->t.pid);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(dir))) {
		tid = (pid_t)atoi(de->d_name);
		if (tid <= 0 || pt_thread_find(&p->threads, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0, (long)PT_OPTIONS) < 0) {
			/*
			 * ESRCH: gone meanwhile. EPERM in a process we seized:
			 * made by a seized thread, so the kernel traces it
			 * already, and its first stop and its parent's clone
			 * event will introduce it.
			 */
			if (errno == ESRCH || (errno == EPERM && tid != p->t.pid))
				continue;
			closedir(dir);
			return -errno;
		}
		th = pt_thread_add(&p->threads, tid, p->t.pid);
		if (!th) {
			closedir(dir);
			return -ENOMEM;
		}
		(*added)++;
	}
	closedir(dir);
	return 0;
}

int up_ptrace_attach(struct up_target **out, pid_t pid, bool follow_forks)
{
	struct up_ptrace *p;
	char exe[64];
	uint16_t machine;
	uint32_t flags;
	int added, err;

	if (pid <= 0)
		return -ESRCH;
	/*
	 * A program of another class or machine (an i386 process) is refused
	 * before any thread is seized: it never notices. When its exe cannot
	 * be read (another user's), PTRACE_SEIZE says why.
	 */
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	err = pt_elf_machine(exe, &machine, &flags);
	if (err == -ENOEXEC || (!err && machine != pt_host_machine()))
		return -ENOEXEC;
	p = pt_alloc(follow_forks);
	if (!p)
		return -ENOMEM;
	p->t.pid = pid;
	do {
		added = 0;
		err = seize_pass(p, &added);
	} while (!err && added);
	if (!err && !pt_thread_find(&p->threads, pid))
		err = -ESRCH;
	/* the arch first: stopping the threads takes the stops of breakpoints pending (its signal) */
	if (!err)
		err = pt_mem_open(p);
	if (!err)
		err = pt_exe_identify(p);
	if (!err)
		err = pt_stop_all(&p->t);
	if (err) {
		p->t.ops->detach(&p->t);
		pt_destroy(&p->t);
		return err;
	}
	*out = &p->t;
	return 0;
}

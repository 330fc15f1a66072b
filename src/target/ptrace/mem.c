/* SPDX-License-Identifier: MIT */
/*
 * Memory and address-space views of a native process: reads in bulk with
 * process_vm_readv (falling back to /proc/PID/mem), writes through
 * /proc/PID/mem, which may write read-only private text as the kernel's
 * FOLL_FORCE allows (process_vm_writev does not). The mem fd stays open
 * for the life of the process image and is reopened after exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ptrace_internal.h"

int pt_mem_open(struct up_ptrace *p)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)p->t.pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (p->mem_fd >= 0)
		close(p->mem_fd);
	p->mem_fd = fd;
	return 0;
}

static int mem_pread(int fd, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done, (off_t)(addr + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ESRCH; /* the process's memory is gone (it exited or exec'd) */
		done += (size_t)n;
	}
	return 0;
}

int pt_read(struct up_target *t, uint64_t addr, void *buf, size_t len)
{
	struct up_ptrace *p = to_ptrace(t);
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t n;

	if (!len)
		return 0;
	n = process_vm_readv(p->space_pid ? p->space_pid : t->pid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	/* Partly unmapped, or process_vm_readv refused: the mem file says which. */
	int fd = p->space_pid ? p->space_fd : p->mem_fd;
	if (fd < 0)
		return n < 0 ? -errno : -EFAULT;
	return mem_pread(fd, addr, buf, len);
}

int pt_write(struct up_target *t, uint64_t addr, const void *buf, size_t len)
{
	struct up_ptrace *p = to_ptrace(t);
	int fd = p->space_pid ? p->space_fd : p->mem_fd;
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		return p->space_pid ? -ESRCH : -EBADF; /* a followed child that is gone */
	while (done < len) {
		n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(addr + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ESRCH; /* the process's memory is gone (it exited or exec'd) */
		done += (size_t)n;
	}
	return 0;
}

/*
 * -f: memory ops go to tid's process. Each followed child's mem file is
 * opened once and kept until the child exits or execs (pt_space_forget);
 * switching is a lookup on the hit path.
 */
int pt_select_space(struct up_target *t, pid_t tid)
{
	struct up_ptrace *p = to_ptrace(t);
	struct pt_thread *th = pt_thread_find(&p->threads, tid);
	pid_t tgid = th ? th->tgid : t->pid;
	struct pt_space *free_slot = NULL;
	char path[64];
	int fd;

	if (!th && tid != t->pid) {
		/* gone (a child that exited or exec'd): its memory is nobody's to touch */
		p->space_pid = tid;
		p->space_fd = -1;
		return -ESRCH;
	}
	if (tgid == t->pid || tgid <= 0) {
		p->space_pid = 0;
		return 0;
	}
	if (tgid == p->space_pid && p->space_fd >= 0)
		return 0;
	for (unsigned i = 0; i < p->nspaces; i++) {
		struct pt_space *sp = &p->spaces[i];
		if (sp->pid == tgid) {
			p->space_pid = tgid;
			p->space_fd = sp->mem_fd;
			return 0;
		}
		if (!free_slot && sp->pid == 0)
			free_slot = sp;
	}
	if (!free_slot) {
		struct pt_space *n = realloc(p->spaces, (p->nspaces + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->spaces = n;
		free_slot = &p->spaces[p->nspaces++];
		free_slot->pid = 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tgid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	free_slot->pid = tgid;
	free_slot->mem_fd = fd;
	p->space_pid = tgid;
	p->space_fd = fd;
	return 0;
}

/*
 * A followed child exited or exec'd: its mem file goes, and if memory ops
 * were aimed at it they fail with ESRCH from now on, rather than reach an
 * address space that is not the one the core thinks of.
 */
void pt_space_forget(struct up_ptrace *p, pid_t pid)
{
	for (unsigned i = 0; i < p->nspaces; i++) {
		struct pt_space *sp = &p->spaces[i];
		if (sp->pid != pid)
			continue;
		close(sp->mem_fd);
		sp->pid = 0;
		sp->mem_fd = -1;
	}
	if (p->space_pid == pid)
		p->space_fd = -1;
}

void pt_spaces_free(struct up_ptrace *p)
{
	for (unsigned i = 0; i < p->nspaces; i++)
		if (p->spaces[i].pid)
			close(p->spaces[i].mem_fd);
	free(p->spaces);
	p->spaces = NULL;
	p->nspaces = 0;
	p->space_pid = 0;
	p->space_fd = -1;
}

/* One line of /proc/PID/maps: "start-end perms offset dev inode   path". */
static bool parse_map_line(const char *line, struct up_mapping *m)
{
	unsigned long long start, end, offset;
	char perms[8];
	int path_at = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &offset, &path_at) <
	    4)
		return false;
	m->start = start;
	m->end = end;
	m->offset = offset;
	m->r = perms[0] == 'r';
	m->w = perms[1] == 'w';
	m->x = perms[2] == 'x';
	m->path[0] = '\0';
	if (path_at > 0) {
		snprintf(m->path, sizeof(m->path), "%s", line + path_at);
		m->path[strcspn(m->path, "\n")] = '\0';
	}
	return true;
}

int pt_mappings(struct up_target *t, struct up_mapping *maps, int max)
{
	char path[64], line[4096 + 256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps",
		 (int)(to_ptrace(t)->space_pid ? to_ptrace(t)->space_pid : t->pid));
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (n < max && fgets(line, sizeof(line), f))
		if (parse_map_line(line, &maps[n]))
			n++;
	fclose(f);
	return n;
}

int pt_auxv(struct up_target *t, void *buf, size_t len)
{
	char path[64];
	size_t done = 0;
	ssize_t n = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	n = n < 0 ? -errno : (ssize_t)done;
	close(fd);
	return (int)n;
}

/* The target's file target_fd, through /proc (the same file, not a copy of it). */
int pt_open_fd(struct up_target *t, int target_fd, int *local_fd)
{
	struct up_ptrace *p = to_ptrace(t);
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)(p->space_pid ? p->space_pid : t->pid),
		 target_fd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	*local_fd = fd;
	return 0;
}

/*
 * A forked child that is not to be traced: it inherited our breakpoints in
 * its copy of the text, so write the original bytes back before letting it
 * go. A vfork child shares the parent's memory (and the parent keeps its
 * breakpoints), so it is only detached.
 */
int pt_child_release(struct up_target *t, pid_t child, const struct up_patch *patches, int n)
{
	struct up_ptrace *p = to_ptrace(t);
	struct pt_thread *th = pt_thread_find(&p->threads, child);
	bool vfork_child = th && th->vfork_child;
	char path[64];
	int fd, err = 0;

	if (!vfork_child && n > 0) {
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)child);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			err = errno == ENOENT ? -ESRCH : -errno;
		} else {
			for (int i = 0; i < n && !err; i++)
				if (pwrite(fd, patches[i].bytes, patches[i].len,
					   (off_t)patches[i].addr) != patches[i].len)
					err = -EIO;
			close(fd);
		}
	}
	if (ptrace(PTRACE_DETACH, child, 0, 0) < 0 && !err)
		err = -errno;
	pt_thread_remove(&p->threads, child);
	return err;
}

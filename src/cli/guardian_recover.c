/* SPDX-License-Identifier: MIT */
/*
 * The guardian's recovery after the tracer died by a signal (SIGKILL, the
 * OOM killer): the tracer could not detach, so the process runs on with
 * our breakpoints, XOL pages, hijacked return addresses and SIGTRAP
 * handler, kept alive by that handler (include/uptrace/fallback.h). From
 * the record the tracer shared with us, re-attach and put it all back
 * (up_core_recover), then let the process go.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guardian.h"
#include "uptrace/core.h"
#include "uptrace/fallback.h"
#include "uptrace/sym.h"
#include "uptrace/target.h"

static double ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

void guardian_recover(int record_fd, pid_t tracer_pid, int sig)
{
	const struct up_fb_data *d;
	struct up_target *t = NULL;
	struct up_symtab *sym = NULL;
	struct timespec t0;
	struct stat st;
	char err[512];
	void *record;
	pid_t pid;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (fstat(record_fd, &st) || (size_t)st.st_size < UP_FB_CODE_SIZE + sizeof(*d))
		goto out_close;
	record = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, record_fd, 0);
	if (record == MAP_FAILED)
		goto out_close;
	d = (const struct up_fb_data *)((const char *)record + UP_FB_CODE_SIZE);
	if (d->magic != UP_FB_MAGIC || !d->live)
		goto out_unmap; /* it detached before it died: nothing to put back */
	pid = d->pid;
	fprintf(stderr,
		"uptrace: the tracer (pid %d) was killed by %s; putting back what it "
		"changed in process %d\n",
		(int)tracer_pid, strsignal(sig), (int)pid);
	rc = up_ptrace_attach(&t, pid, false);
	if (rc) {
		fprintf(stderr,
			"uptrace: cannot attach to process %d again: %s (it goes on "
			"healing its breakpoints at their first hit)\n",
			(int)pid, strerror(-rc));
		goto out_unmap;
	}
	rc = up_sym_open(&sym, t);
	if (rc) {
		fprintf(stderr,
			"uptrace: cannot read the symbols of process %d: %s (it goes on "
			"healing its breakpoints at their first hit)\n",
			(int)pid, strerror(-rc));
		t->ops->detach(t);
		goto out_target;
	}
	rc = up_core_recover(t, sym, record, (size_t)st.st_size, err, sizeof(err));
	if (rc)
		fprintf(stderr, "uptrace: could not put everything back in process %d: %s\n",
			(int)pid, err[0] ? err : strerror(-rc));
	else
		fprintf(stderr,
			"uptrace: process %d restored and let go, %.0f ms after the tracer "
			"died; meanwhile it healed %llu breakpoints and completed %llu "
			"returns itself\n",
			(int)pid, ms_since(&t0), (unsigned long long)d->heals,
			(unsigned long long)d->returns);
	up_sym_close(sym);
out_target:
	t->ops->destroy(t);
out_unmap:
	munmap(record, (size_t)st.st_size);
out_close:
	close(record_fd);
}

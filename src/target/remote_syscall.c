/* SPDX-License-Identifier: MIT */
/*
 * System calls run inside the target (mmap of XOL pages, mprotect of text
 * under qemu-user), written only against struct up_target_ops and struct
 * up_arch so every target shares it.
 *
 * A stopped thread's registers are saved, the call's number and arguments
 * set, PC pointed at an existing syscall instruction, one instruction
 * stepped, the result read, and every register put back. The restart
 * register (x86's orig_rax) is set to -1 first: a thread stopped inside an
 * interrupted call (attach during futex or nanosleep) must not have the
 * kernel rewind into that call on our injected registers; restoring the
 * saved set afterwards lets the interrupted call resume as it would have.
 */
#include <errno.h>
#include <string.h>

#include "uptrace/arch.h"
#include "uptrace/target.h"

int64_t up_remote_syscall(struct up_target *t, pid_t tid, uint64_t syscall_addr, long nr,
			  const uint64_t args[6])
{
	const struct up_arch *a = t->arch;
	struct up_regs saved, call, regs;
	int64_t ret;
	int err;

	if (!a || a->syscall_nr_reg < 0 || a->syscall_ret_reg < 0 || a->pc_reg < 0)
		return -ENOTSUP;
	err = t->ops->get_regs(t, tid, &saved);
	if (err)
		return err;
	call = saved;
	call.r[a->syscall_nr_reg] = (uint64_t)nr;
	for (int i = 0; i < 6; i++)
		if (a->syscall_arg_regs[i] >= 0)
			call.r[a->syscall_arg_regs[i]] = args[i];
	if (a->syscall_restart_reg >= 0)
		call.r[a->syscall_restart_reg] = (uint64_t)-1;
	call.r[a->pc_reg] = syscall_addr;
	/*
	 * From a stop inside a system call (exec, clone and fork events) the
	 * kernel reports the step at that call's exit, before our instruction
	 * ran, and writes the old call's result over the number: that result
	 * is what the thread must find when it resumes, so keep it; then set
	 * everything again and step until PC is past the instruction.
	 */
	for (int tries = 0; tries < 3; tries++) {
		err = t->ops->set_regs(t, tid, &call);
		if (!err)
			err = t->ops->step(t, tid);
		if (!err)
			err = t->ops->wait_step(t, tid); /* others' stops stay queued */
		if (err == -ESRCH)
			return err; /* the thread is gone: nothing to restore */
		if (!err)
			err = t->ops->get_regs(t, tid, &regs);
		if (err || regs.r[a->pc_reg] != syscall_addr)
			break;
		saved.r[a->syscall_ret_reg] = regs.r[a->syscall_ret_reg];
	}
	if (!err && regs.r[a->pc_reg] == syscall_addr)
		err = -EIO;
	ret = err ? err : (int64_t)regs.r[a->syscall_ret_reg];
	err = t->ops->set_regs(t, tid, &saved);
	return err ? err : ret;
}

/*
 * How much of one range the search for a syscall instruction reads: the
 * range comes from ELF headers a remote stub may have made up (a segment
 * of a terabyte). A real program has one in its first pages, or in the
 * next module the caller tries.
 */
#define SYSCALL_SCAN_MAX (16u << 20)

int up_find_syscall_insn(struct up_target *t, uint64_t lo, uint64_t hi, uint64_t *out)
{
	const struct up_arch *a = t->arch;
	uint8_t buf[4096 + 8];
	uint64_t at, scanned = 0;
	unsigned len, align;
	int err;

	if (!a || !a->syscall_len || a->syscall_len > sizeof(a->syscall_insn))
		return -ENOTSUP;
	len = a->syscall_len;
	align = a->insn_align ? a->insn_align : 1;
	if (lo % align) {
		if (lo > UINT64_MAX - align)
			return -ENOENT;
		lo += align - lo % align;
	}
	/* Written so nothing wraps: hi may be anything up to UINT64_MAX. */
	for (at = lo; at < hi && hi - at >= len && scanned < SYSCALL_SCAN_MAX;) {
		uint64_t left = hi - at;
		uint64_t chunk = left < 4096 ? left : 4096;
		uint64_t span = chunk + len - 1 <= left ? chunk + len - 1 : left;

		err = t->ops->read(t, at, buf, span);
		if (err == 0) {
			for (uint64_t off = 0; off + len <= span; off += align) {
				if (memcmp(buf + off, a->syscall_insn, len) == 0) {
					*out = at + off;
					return 0;
				}
			}
		} else if (err != -EFAULT && err != -EIO) {
			/* not an unreadable page: the process or the connection is gone */
			return err;
		}
		scanned += chunk;
		at += chunk;
		/* keep the scan on the alignment grid */
		if (at % align) {
			if (hi - at <= align - at % align)
				break;
			at += align - at % align;
		}
	}
	return -ENOENT;
}

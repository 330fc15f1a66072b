/* SPDX-License-Identifier: MIT */
/*
 * struct up_target_ops over the GDB remote protocol (qemu-user's gdbstub,
 * gdbserver). We drive the stub as all-stop: one stop is reported at a
 * time and one resume runs every thread, so "resume(tid)" continues the
 * whole process.
 *
 * Per hit the traffic is: the stop reply, one 'g' (cached until the next
 * resume), one 'G' only when set_regs changed something, one vCont. The
 * stub selects the stopped thread for 'g' itself, so no Hg is needed then.
 *
 * qemu-user 7.2, as measured: a breakpoint (brk #0, ebreak, c.ebreak,
 * break 0) stops with PC on it; a page it translated code from refuses M
 * until the program mprotects it, and again as soon as any running thread
 * translates from it (write() stores text with the program's own
 * instructions instead, poke.c, after an mprotect, unprotect.c); it
 * reads no \x03 while the program runs (stop_all sends qemu SIGINT); a
 * step over svc / syscall may not end past it (a stub breakpoint after it
 * instead); loongarch64's G skips orig_a0 (probe_g); only the thread that
 * trapped stops, and two threads stopping at once share the one socket
 * (stop replies that arrive mid-command are queued, but the stream can
 * still be garbled).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uptrace/arch.h"
#include "remote.h"

#define to_remote(t) ((struct up_remote *)(t))

/* mprotect and store rounds for one write to text before it is called impossible. */
#define TEXT_WRITE_TRIES 4
/* How long stop_all waits for the stub to report the interrupt. */
#define INTERRUPT_TIMEOUT_MS 5000
/* More threads than any process has: a thread list that goes on is the stub's fault. */
#define REMOTE_THREADS_MAX (1 << 22)

static const char *thread_id(struct up_remote *r, pid_t tid, char buf[32])
{
	if (r->multiprocess)
		snprintf(buf, 32, "p%x.%x", (unsigned)r->stub_pid, (unsigned)tid);
	else
		snprintf(buf, 32, "%x", (unsigned)tid);
	return buf;
}

static int select_thread(struct up_remote *r, pid_t tid)
{
	char id[32];
	int n;

	if (tid <= 0 || r->g_tid == tid)
		return 0;
	n = up_rsp_command(&r->rsp, "Hg%s", thread_id(r, tid, id));
	if (n < 0)
		return n;
	if (strcmp(r->rsp.pkt, "OK") != 0)
		return -ESRCH;
	r->g_tid = tid;
	return 0;
}

/* Registers of tid into r->g_raw, by 'g' or else one 'p' per register. */
static int fetch_registers(struct up_remote *r, pid_t tid)
{
	const struct up_arch *arch = r->t.arch;
	size_t off = 0;
	int n;

	if (r->running)
		return -EBUSY;
	if (r->gone)
		return -ESRCH;
	if (r->regs_valid && r->regs_tid == tid)
		return 0;
	if (!r->use_p) {
		unsigned strays;

		/* a stop of another thread before the reply may have moved 'g' there */
		do {
			n = select_thread(r, tid);
			if (n)
				return n;
			strays = r->rsp.strays;
			n = up_rsp_command(&r->rsp, "g");
			if (n < 0)
				return n;
		} while (strays != r->rsp.strays);
		if (up_rsp_error(&r->rsp))
			return -ESRCH;
		if (n > 0) {
			if ((size_t)n / 2 > sizeof(r->g_raw) ||
			    up_rsp_hex_decode(r->g_raw, r->rsp.pkt, (size_t)n / 2))
				return -EPROTO;
			r->g_len = (size_t)n / 2;
			r->regs_tid = tid;
			r->regs_valid = true;
			return 0;
		}
		r->use_p = true; /* empty reply: 'g' is not supported */
	}
	n = select_thread(r, tid);
	if (n)
		return n;
	for (unsigned i = 0; arch && i < arch->n_gdb_regs; i++) {
		unsigned size = arch->gdb_regs[i].size;

		if (off + size > sizeof(r->g_raw))
			return -EPROTO;
		n = up_rsp_command(&r->rsp, "p%x", i);
		if (n < 0)
			return n;
		if ((size_t)n < 2 * size || up_rsp_hex_decode(r->g_raw + off, r->rsp.pkt, size))
			memset(r->g_raw + off, 0, size);
		off += size;
	}
	r->g_len = off;
	r->regs_tid = tid;
	r->regs_valid = true;
	return 0;
}

static int remote_get_regs(struct up_target *t, pid_t tid, struct up_regs *regs)
{
	struct up_remote *r = to_remote(t);
	const struct up_arch *arch = t->arch;
	size_t off = 0;
	int n;

	n = fetch_registers(r, tid);
	if (n)
		return n;
	memset(regs, 0, sizeof(*regs));
	for (unsigned i = 0; i < arch->n_gdb_regs; i++) {
		const struct up_gdb_reg *g = &arch->gdb_regs[i];
		uint64_t v = 0;

		if (off + g->size > r->g_len)
			break;
		if (g->index >= 0 && g->index < UP_REGS_MAX) {
			for (unsigned b = 0; b < g->size && b < 8; b++)
				v |= (uint64_t)r->g_raw[off + b] << (8 * b);
			regs->r[g->index] = v;
		}
		off += g->size;
	}
	return 0;
}

static int store_register_p(struct up_remote *r, unsigned i, const uint8_t *bytes, unsigned size)
{
	int n;

	memcpy(r->cmd, "P", 1);
	n = snprintf(r->cmd + 1, 16, "%x=", i);
	up_rsp_hex_encode(r->cmd + 1 + n, bytes, size);
	n = up_rsp_send(&r->rsp, r->cmd, 1 + (size_t)n + 2 * size);
	if (n)
		return n;
	n = up_rsp_reply(&r->rsp);
	if (n < 0)
		return n;
	return strcmp(r->rsp.pkt, "OK") == 0 ? 0 : -EIO;
}

/* Offset of 'g' register index i in the packet. */
static size_t g_offset(const struct up_arch *arch, unsigned i)
{
	size_t off = 0;

	for (unsigned k = 0; k < i; k++)
		off += arch->gdb_regs[k].size;
	return off;
}

/*
 * Before the first G: send one whose PC slot holds a value no other slot
 * holds and read it back; a register that did not take its value is set
 * with P after every G from now on. qemu 7.2's loongarch64 stub needs it:
 * its G takes no bytes for orig_a0, so PC gets orig_a0's slot. The real G
 * follows at once, so the probe's PC never runs.
 */
static int probe_g(struct up_remote *r, const uint8_t *raw)
{
	const struct up_arch *arch = r->t.arch;
	uint8_t probe[UP_REMOTE_G_MAX], back[UP_REMOTE_G_MAX];
	uint64_t mark = 0x5a5a5a5a5a5a5a50ull;
	size_t pc_off = 0;
	unsigned pc_size = 0;
	int n;

	r->g_checked = true;
	for (unsigned i = 0; i < arch->n_gdb_regs; i++) {
		if (arch->gdb_regs[i].index == arch->pc_reg) {
			pc_off = g_offset(arch, i);
			pc_size = arch->gdb_regs[i].size;
		}
	}
	if (!pc_size || pc_off + pc_size > r->g_len)
		return 0;
	memcpy(probe, raw, r->g_len);
	for (unsigned b = 0; b < pc_size && b < 8; b++)
		probe[pc_off + b] = (uint8_t)(mark >> (8 * b));
	r->cmd[0] = 'G';
	up_rsp_hex_encode(r->cmd + 1, probe, r->g_len);
	n = up_rsp_send(&r->rsp, r->cmd, 1 + 2 * r->g_len);
	if (n)
		return n;
	n = up_rsp_reply(&r->rsp);
	if (n < 0)
		return n;
	if (strcmp(r->rsp.pkt, "OK") != 0)
		return 0;
	n = up_rsp_command(&r->rsp, "g");
	if (n < 0)
		return n;
	if ((size_t)n != 2 * r->g_len || up_rsp_hex_decode(back, r->rsp.pkt, r->g_len))
		return 0;
	for (unsigned i = 0; i < arch->n_gdb_regs && i < 64; i++) {
		size_t off = g_offset(arch, i);
		unsigned size = arch->gdb_regs[i].size;

		if (off + size > r->g_len)
			break;
		if (arch->gdb_regs[i].index >= 0 && memcmp(back + off, probe + off, size) != 0)
			r->p_after_g |= 1ull << i;
	}
	return 0;
}

static int remote_set_regs(struct up_target *t, pid_t tid, const struct up_regs *regs)
{
	struct up_remote *r = to_remote(t);
	const struct up_arch *arch = t->arch;
	uint8_t raw[UP_REMOTE_G_MAX];
	size_t off = 0;
	int n;

	n = fetch_registers(r, tid);
	if (n)
		return n;
	memcpy(raw, r->g_raw, r->g_len);
	for (unsigned i = 0; i < arch->n_gdb_regs; i++) {
		const struct up_gdb_reg *g = &arch->gdb_regs[i];

		if (off + g->size > r->g_len)
			break;
		if (g->index >= 0 && g->index < UP_REGS_MAX) {
			uint64_t v = regs->r[g->index];

			for (unsigned b = 0; b < g->size && b < 8; b++)
				raw[off + b] = (uint8_t)(v >> (8 * b));
		}
		if (r->use_p && memcmp(raw + off, r->g_raw + off, g->size) != 0) {
			n = store_register_p(r, i, raw + off, g->size);
			if (n)
				return n;
			memcpy(r->g_raw + off, raw + off, g->size);
		}
		off += g->size;
	}
	if (r->use_p || memcmp(raw, r->g_raw, r->g_len) == 0)
		return 0;
	if (!r->g_checked) {
		n = probe_g(r, raw);
		if (n)
			return n;
	}
	r->cmd[0] = 'G';
	up_rsp_hex_encode(r->cmd + 1, raw, r->g_len);
	n = up_rsp_send(&r->rsp, r->cmd, 1 + 2 * r->g_len);
	if (n)
		return n;
	n = up_rsp_reply(&r->rsp);
	if (n < 0)
		return n;
	if (strcmp(r->rsp.pkt, "OK") != 0)
		return -EIO;
	for (unsigned i = 0; r->p_after_g && i < arch->n_gdb_regs && i < 64; i++) {
		if (r->p_after_g & (1ull << i)) {
			n = store_register_p(r, i, raw + g_offset(arch, i), arch->gdb_regs[i].size);
			if (n)
				return n;
		}
	}
	memcpy(r->g_raw, raw, r->g_len);
	return 0;
}

/*
 * The FP registers a probe wants, one 'p' each: qemu-user keeps them in
 * target-description features of their own (aarch64-fpu, riscv-64bit-fpu,
 * loongarch-fpu; x86_64's st and xmm registers), numbered after the core
 * registers as the arch table says. Only on hits whose probes read one.
 */
static int remote_get_fpregs(struct up_target *t, pid_t tid, struct up_fpregs *fp, uint64_t want)
{
	struct up_remote *r = to_remote(t);
	const struct up_arch *arch = t->arch;
	unsigned strays;
	int n;

	if (r->running)
		return -EBUSY;
	if (r->gone)
		return -ESRCH;
	if (!arch || arch->gdb_fp_regnum < 0)
		return -ENOTSUP;
	do {
		memset(fp, 0, sizeof(*fp));
		n = select_thread(r, tid);
		if (n)
			return n;
		strays = r->rsp.strays;
		for (unsigned i = 0; i < UP_FPREGS_MAX; i++) {
			unsigned regnum, size;

			if (!(want & (1ull << i)))
				continue;
			if (i < UP_FP_X87 && i < arch->n_fp_regs) {
				regnum = (unsigned)arch->gdb_fp_regnum + i;
				size = arch->gdb_fp_size;
			} else if (i >= UP_FP_X87 && arch->gdb_x87_regnum >= 0) {
				regnum = (unsigned)arch->gdb_x87_regnum + i - UP_FP_X87;
				size = 10;
			} else {
				return -ENOTSUP;
			}
			n = up_rsp_command(&r->rsp, "p%x", regnum);
			if (n < 0)
				return n;
			if (up_rsp_error(&r->rsp) || (size_t)n < 2 * size)
				return -EIO;
			if (up_rsp_hex_decode((uint8_t *)fp->v[i], r->rsp.pkt,
					      size < sizeof(fp->v[i]) ? size : sizeof(fp->v[i])))
				return -EPROTO;
		}
	} while (strays != r->rsp.strays); /* another thread's stop moved the selection */
	return 0;
}

/* Bytes of memory that fit in one m / M exchange. */
static size_t memory_chunk(struct up_remote *r)
{
	size_t max = r->rsp.packet_size < UP_RSP_BUF ? r->rsp.packet_size : UP_RSP_BUF;

	return (max - 40) / 2;
}

static int remote_read(struct up_target *t, uint64_t addr, void *buf, size_t len)
{
	struct up_remote *r = to_remote(t);
	size_t chunk = memory_chunk(r);
	uint8_t *out = buf;
	int n;

	if (r->running)
		return -EBUSY;
	if (r->gone)
		return -ESRCH;
	while (len) {
		size_t want = len < chunk ? len : chunk, got;

		n = up_rsp_command(&r->rsp, "m%llx,%zx", (unsigned long long)addr, want);
		if (n < 0)
			return n;
		if (up_rsp_error(&r->rsp) || n < 2)
			return -EFAULT;
		got = (size_t)n / 2 < want ? (size_t)n / 2 : want;
		if (up_rsp_hex_decode(out, r->rsp.pkt, got))
			return -EPROTO;
		out += got;
		addr += got;
		len -= got;
	}
	return 0;
}

static int write_memory(struct up_target *t, uint64_t addr, const void *buf, size_t len)
{
	struct up_remote *r = to_remote(t);
	size_t chunk = memory_chunk(r);
	const uint8_t *in = buf;
	int n;

	if (r->running)
		return -EBUSY;
	if (r->gone)
		return -ESRCH;
	while (len) {
		size_t want = len < chunk ? len : chunk;
		uint8_t probe;

		n = snprintf(r->cmd, 64, "M%llx,%zx:", (unsigned long long)addr, want);
		up_rsp_hex_encode(r->cmd + n, in, want);
		n = up_rsp_send(&r->rsp, r->cmd, (size_t)n + 2 * want);
		if (n)
			return n;
		n = up_rsp_reply(&r->rsp);
		if (n < 0)
			return n;
		if (strcmp(r->rsp.pkt, "OK") != 0) {
			/*
			 * Readable but not writable is qemu-user's read-only text:
			 * -EACCES tells the caller a remote mprotect is needed.
			 */
			return remote_read(t, addr, &probe, 1) == 0 ? -EACCES : -EFAULT;
		}
		in += want;
		addr += want;
		len -= want;
	}
	return 0;
}

int up_remote_write_m(struct up_remote *r, uint64_t addr, const void *buf, size_t len)
{
	return write_memory(&r->t, addr, buf, len);
}

/*
 * Text qemu-user write-protects. M may be refused again at once while
 * other threads run, so the bytes go in with the program's own stores
 * (poke.c), which qemu takes on any page the program may write: first as
 * things are (a page we made writable before), then after an mprotect
 * from inside, again while a store faults (the program made the page
 * read-only meanwhile).
 */
static int write_text(struct up_remote *r, uint64_t addr, const void *buf, size_t len)
{
	char msg[200];
	int n = up_remote_poke(r, addr, buf, len), err;

	for (int i = 0; i < TEXT_WRITE_TRIES && (n == -EACCES || n == -EAGAIN || n == -ENOTSUP);
	     i++) {
		err = up_remote_unprotect(r, addr, len);
		if (err) {
			snprintf(msg, sizeof(msg),
				 "remote: cannot write 0x%llx: the stub refuses it and an mprotect "
				 "in the program to make it writable failed: %s",
				 (unsigned long long)addr, strerror(-err));
			goto fail;
		}
		n = up_remote_poke(r, addr, buf, len);
		if (n == -ENOTSUP)
			n = write_memory(&r->t, addr, buf, len); /* no stores: M, as before */
	}
	if (n != -EACCES && n != -EAGAIN && n != -ENOTSUP)
		return n;
	snprintf(msg, sizeof(msg),
		 "remote: cannot write 0x%llx: the page stays read-only to the program after "
		 "%d mprotects",
		 (unsigned long long)addr, TEXT_WRITE_TRIES);
fail:
	if (r->t.on_warning)
		r->t.on_warning(r->t.warning_ctx, msg);
	return -EACCES;
}

static int remote_write(struct up_target *t, uint64_t addr, const void *buf, size_t len)
{
	int n = write_memory(t, addr, buf, len);

	return n == -EACCES ? write_text(to_remote(t), addr, buf, len) : n;
}

/* Send a resume packet and remember it (an own interrupt's stop repeats it). */
static int send_resume(struct up_remote *r, const char *packet)
{
	int n = up_rsp_send(&r->rsp, packet, strlen(packet));

	if (n)
		return n;
	r->running = true;
	r->regs_valid = false;
	return 0;
}

static int remote_resume(struct up_target *t, pid_t tid, int sig)
{
	struct up_remote *r = to_remote(t);
	char id[32];

	if (r->gone)
		return -ESRCH;
	/* a stop is still to be reported: the stub stays stopped until then */
	if (r->running || r->nqueued)
		return 0;
	r->step_tid = 0;
	if (sig)
		snprintf(r->last_resume, sizeof(r->last_resume), "vCont;C%02x:%s;c",
			 up_linux_signal_to_gdb(sig), thread_id(r, tid, id));
	else
		snprintf(r->last_resume, sizeof(r->last_resume), "vCont;c");
	return send_resume(r, r->last_resume);
}

static int remote_step(struct up_target *t, pid_t tid)
{
	struct up_remote *r = to_remote(t);
	struct up_regs regs;
	char id[32];

	if (r->gone)
		return -ESRCH;
	if (r->running)
		return -EBUSY;
	r->step_tid = tid;
	r->step_pc_known = false;
	if (t->arch && t->arch->syscall_len && remote_get_regs(t, tid, &regs) == 0) {
		r->step_pc = regs.r[t->arch->pc_reg];
		r->step_pc_known = true;
	}
	/*
	 * Over a system call instruction qemu-user 7.2 does not stop where a
	 * step should: it may run one instruction more, with the registers a
	 * remote syscall injected. A stub breakpoint (Z0, no memory written)
	 * right after it and a continue stop exactly there instead.
	 */
	if (r->step_pc_known) {
		uint8_t insn[4];
		uint64_t after = r->step_pc + t->arch->syscall_len;

		if (remote_read(t, r->step_pc, insn, t->arch->syscall_len) == 0 &&
		    memcmp(insn, t->arch->syscall_insn, t->arch->syscall_len) == 0 &&
		    up_rsp_command(&r->rsp, "Z0,%llx,%x", (unsigned long long)after,
				   (unsigned)t->arch->syscall_len) >= 0 &&
		    strcmp(r->rsp.pkt, "OK") == 0) {
			r->step_z0 = after;
			snprintf(r->last_resume, sizeof(r->last_resume), "vCont;c:%s",
				 thread_id(r, tid, id));
			return send_resume(r, r->last_resume);
		}
	}
	snprintf(r->last_resume, sizeof(r->last_resume), "vCont;s:%s", thread_id(r, tid, id));
	return send_resume(r, r->last_resume);
}

/* The step over a system call ended: take its stub breakpoint out again. */
static int remove_step_z0(struct up_remote *r)
{
	uint64_t at = r->step_z0;
	int n;

	r->step_z0 = 0;
	n = up_rsp_command(&r->rsp, "z0,%llx,%x", (unsigned long long)at,
			   (unsigned)r->t.arch->syscall_len);
	return n < 0 ? n : 0;
}

/* The qemu we spawned is gone: collect it (once). */
static void reap_qemu(struct up_remote *r)
{
	/* qemu waits for the ack of its last packet (W, X) before it exits */
	if (r->rsp.fd >= 0)
		up_rsp_flush_ack(&r->rsp);
	if (r->qemu_pid > 0) {
		waitpid(r->qemu_pid, NULL, 0);
		r->qemu_pid = 0;
	}
}

/* Turn the stop reply in rsp->pkt into stop; 1 when it is our own interrupt. */
static int decode_stop(struct up_remote *r, struct up_stop *stop)
{
	struct up_rsp_stop s;
	int sig;

	if (up_rsp_parse_stop(r->rsp.pkt, r->rsp.pkt_len, &s))
		return -EPROTO;
	memset(stop, 0, sizeof(*stop));
	r->running = false;
	r->regs_valid = false;
	if (s.kind == 'W' || s.kind == 'X') {
		r->gone = true;
		stop->tid = r->t.pid;
		if (s.kind == 'W') {
			stop->kind = UP_STOP_EXITED;
			stop->status = s.value;
		} else {
			stop->kind = UP_STOP_KILLED;
			stop->sig = up_gdb_signal_to_linux(s.value);
		}
		reap_qemu(r);
		return 0;
	}
	stop->tid = s.tid > 0 ? s.tid : r->last_tid;
	r->last_tid = stop->tid;
	r->g_tid = stop->tid;
	sig = up_gdb_signal_to_linux(s.value);
	if (sig == SIGINT && r->pending_interrupts > 0) {
		r->pending_interrupts--;
		stop->kind = UP_STOP_INTERRUPTED;
		return 1;
	}
	if (sig == SIGTRAP || (r->t.arch && sig == r->t.arch->bp_signal)) {
		stop->kind = UP_STOP_TRAP;
		stop->sig = sig;
		stop->stepped = sig == SIGTRAP && r->step_tid == stop->tid;
	} else if (sig == 0) {
		stop->kind = UP_STOP_INTERRUPTED;
	} else {
		stop->kind = UP_STOP_SIGNAL;
		stop->sig = sig;
	}
	r->step_tid = 0;
	return 0;
}

/*
 * Keep a stop for a later wait(); the oldest is dropped when full (a trap
 * repeats). A thread that traps again where it stands is one hit, not two.
 */
static void queue_stop(struct up_remote *r, const struct up_stop *stop)
{
	for (unsigned i = 0; i < r->nqueued; i++)
		if (r->queued[i].tid == stop->tid && r->queued[i].kind == stop->kind &&
		    r->queued[i].sig == stop->sig && !stop->stepped)
			return;
	if (r->nqueued == UP_REMOTE_QUEUE)
		memmove(r->queued, r->queued + 1, --r->nqueued * sizeof(r->queued[0]));
	r->queued[r->nqueued++] = *stop;
}

void up_remote_queue_stop(struct up_remote *r, const struct up_stop *stop)
{
	queue_stop(r, stop);
}

/* The connection dropped: if our qemu died, that is the process's end. */
static int connection_lost(struct up_remote *r, struct up_stop *stop, int err)
{
	int status;

	if (r->qemu_pid > 0 && waitpid(r->qemu_pid, &status, 0) == r->qemu_pid) {
		r->qemu_pid = 0;
		r->gone = true;
		r->running = false;
		memset(stop, 0, sizeof(*stop));
		stop->tid = r->t.pid;
		if (WIFSIGNALED(status)) {
			stop->kind = UP_STOP_KILLED;
			stop->sig = WTERMSIG(status);
		} else {
			stop->kind = UP_STOP_EXITED;
			stop->status = WEXITSTATUS(status);
		}
		return 0;
	}
	return err;
}

/*
 * qemu-user 7.2 (aarch64, loongarch64) ends a step over the system call
 * instruction with PC still on it, the call done: stepping again would run
 * it twice. Move PC past it, as a step over it ends under ptrace.
 */
static int finish_syscall_step(struct up_remote *r, pid_t tid)
{
	const struct up_arch *arch = r->t.arch;
	struct up_regs regs;
	uint8_t insn[4];
	int n;

	n = remote_get_regs(&r->t, tid, &regs);
	if (n || regs.r[arch->pc_reg] != r->step_pc)
		return n;
	n = remote_read(&r->t, r->step_pc, insn, arch->syscall_len);
	if (n || memcmp(insn, arch->syscall_insn, arch->syscall_len) != 0)
		return n;
	regs.r[arch->pc_reg] += arch->syscall_len;
	return remote_set_regs(&r->t, tid, &regs);
}

static int remote_wait(struct up_target *t, struct up_stop *stop, int timeout_ms)
{
	struct up_remote *r = to_remote(t);
	int n, restep = 0;
	bool other;

	/* a step under way reports first; queued stops wait for the stub to stop */
	if (r->nqueued && !r->running) {
		*stop = r->queued[0];
		memmove(r->queued, r->queued + 1, --r->nqueued * sizeof(r->queued[0]));
		return 0;
	}
	if (r->gone)
		return -ESRCH;
	if (!r->running && timeout_ms < 0)
		return -ECHILD;
	for (;;) {
		pid_t step_tid = r->step_tid;

		n = up_rsp_recv(&r->rsp, timeout_ms, true);
		if (n == -ETIMEDOUT || n == -EINTR) {
			memset(stop, 0, sizeof(*stop));
			stop->kind = n == -EINTR ? UP_STOP_EINTR : UP_STOP_TIMEOUT;
			return 0;
		}
		if (n < 0)
			return connection_lost(r, stop, n);
		if (r->rsp.pkt[0] == 'O' && r->rsp.pkt[1] != 'K')
			continue; /* console output */
		n = decode_stop(r, stop);
		if (n < 0)
			return n;
		other = n == 0 && step_tid && stop->tid != step_tid &&
			(stop->kind == UP_STOP_TRAP || stop->kind == UP_STOP_SIGNAL);
		/* our own interrupt's stop (n == 1) runs on with the breakpoint kept */
		if (r->step_z0 && !r->gone && !other && n == 0) {
			int err = remove_step_z0(r);
			if (err)
				return err;
			if (n == 0 && stop->kind == UP_STOP_TRAP && stop->stepped) {
				r->step_pc_known = false;
				return 0;
			}
		}
		if (n == 0 && stop->kind == UP_STOP_TRAP && stop->stepped && r->step_pc_known) {
			r->step_pc_known = false;
			return finish_syscall_step(r, stop->tid);
		}
		if (n == 0 && step_tid && stop->tid != step_tid && restep++ < 64 &&
		    (stop->kind == UP_STOP_TRAP || stop->kind == UP_STOP_SIGNAL)) {
			/*
			 * Another thread stopped first (qemu-user runs them all
			 * during a step): keep its stop, step again.
			 */
			queue_stop(r, stop);
			r->step_tid = step_tid;
			n = send_resume(r, r->last_resume);
			if (n)
				return n;
			continue;
		}
		if (n == 0)
			return 0;
		/* the stop of an interrupt stop_all no longer waits for: run on */
		n = send_resume(r, r->last_resume);
		if (n)
			return n;
	}
}

/*
 * The step of a remote syscall (or of a poke) of one thread: a signal that
 * stops that thread first is the program's, kept (queued) for the core's
 * next wait, and the step is made again if it did not move the thread. The
 * generic wait gave up there (-ESRCH), and the caller then left the call's
 * registers in the thread. Other threads' stops are kept too; an exit ends
 * the step with -ESRCH and is kept for the core.
 */
#define STEP_SIGNALS_MAX 8

static int remote_wait_step(struct up_target *t, pid_t tid)
{
	struct up_remote *r = to_remote(t);
	struct up_stop stop;
	struct up_regs regs;
	int err, again = 0;

	for (;;) {
		uint64_t from = r->step_pc;
		bool from_known = r->step_pc_known;

		err = remote_wait(t, &stop, -1);
		if (err)
			return err;
		if (stop.kind == UP_STOP_EINTR)
			continue;
		if (stop.kind == UP_STOP_EXITED || stop.kind == UP_STOP_KILLED) {
			queue_stop(r, &stop);
			return -ESRCH;
		}
		if (stop.tid == tid && stop.kind == UP_STOP_TRAP)
			return 0;
		if (stop.kind != UP_STOP_INTERRUPTED)
			queue_stop(r, &stop);
		if (stop.tid == tid && stop.kind == UP_STOP_SIGNAL && from_known &&
		    remote_get_regs(t, tid, &regs) == 0 && regs.r[t->arch->pc_reg] != from)
			return 0; /* the instruction ran before the signal came */
		if (++again > STEP_SIGNALS_MAX)
			return -EIO;
		err = remote_step(t, tid);
		if (err)
			return err;
	}
}

static int send_interrupt(struct up_remote *r)
{
	/* qemu-user 7.2 does not read the socket while the program runs */
	if (r->qemu_pid > 0)
		return kill(r->qemu_pid, SIGINT) ? -errno : 0;
	return up_rsp_send_byte(&r->rsp, '\x03');
}

/*
 * A stub that ignores \x03 (a qemu-user 7.2 someone else started) leaves the
 * program running: -ETIMEDOUT. No signal goes to the PID the stub reports:
 * it is only the stub's word, and may be any local process.
 */
static int remote_stop_all(struct up_target *t)
{
	struct up_remote *r = to_remote(t);
	struct up_stop stop;
	int n;

	if (r->gone || !r->running)
		return 0;
	n = send_interrupt(r);
	if (n)
		return n;
	r->pending_interrupts++;
	for (;;) {
		n = up_rsp_recv(&r->rsp, INTERRUPT_TIMEOUT_MS, false);
		if (n == -ETIMEDOUT) {
			char msg[160];

			snprintf(msg, sizeof(msg),
				 "remote: the stub did not stop the program within %d s of an "
				 "interrupt (\\x03): it cannot be detached cleanly",
				 INTERRUPT_TIMEOUT_MS / 1000);
			if (t->on_warning)
				t->on_warning(t->warning_ctx, msg);
			return n;
		}
		if (n < 0) {
			n = connection_lost(r, &stop, n);
			if (n)
				return n;
			queue_stop(r, &stop);
			return 0;
		}
		if (r->rsp.pkt[0] == 'O' && r->rsp.pkt[1] != 'K')
			continue;
		n = decode_stop(r, &stop);
		if (n < 0)
			return n;
		if (n == 0) {
			/* stopped for another reason first: report it later */
			queue_stop(r, &stop);
		}
		return 0;
	}
}

static int remote_resume_all(struct up_target *t)
{
	struct up_remote *r = to_remote(t);

	if (r->gone || r->running || r->nqueued)
		return 0;
	r->step_tid = 0;
	snprintf(r->last_resume, sizeof(r->last_resume), "vCont;c");
	return send_resume(r, r->last_resume);
}

static int remote_threads(struct up_target *t, pid_t *tids, int max)
{
	struct up_remote *r = to_remote(t);
	const char *query = "qfThreadInfo";
	int count = 0, n;

	if (r->running)
		return -EBUSY;
	if (r->gone)
		return 0;
	for (;;) {
		const char *p;

		n = up_rsp_command(&r->rsp, "%s", query);
		if (n < 0)
			return n;
		if (r->rsp.pkt[0] != 'm')
			break;
		for (p = r->rsp.pkt + 1; *p;) {
			uint64_t v;

			if (*p == 'p') {
				/* pPID.TID */
				p = strchr(p, '.');
				if (!p)
					return -EPROTO;
				p++;
			}
			if (up_rsp_hex_u64(&p, &v))
				return -EPROTO;
			if (count < max)
				tids[count] = (pid_t)v;
			if (++count > REMOTE_THREADS_MAX)
				return -EPROTO; /* a stub that never says 'l' */
			if (*p == ',')
				p++;
		}
		query = "qsThreadInfo";
	}
	if (count == 0 && max > 0) {
		/* no thread list from this stub: the thread of the last stop */
		tids[0] = r->last_tid;
		count = 1;
	}
	return count < max ? count : max;
}

static int remote_auxv(struct up_target *t, void *buf, size_t len)
{
	struct up_remote *r = to_remote(t);
	size_t off = 0, chunk = memory_chunk(r);
	int n;

	if (r->running)
		return -EBUSY;
	if (r->gone)
		return -ESRCH;
	for (;;) {
		size_t got;

		n = up_rsp_command(&r->rsp, "qXfer:auxv:read::%zx,%zx", off, chunk);
		if (n < 0)
			return n;
		if (n == 0)
			return -ENOTSUP;
		if (r->rsp.pkt[0] != 'm' && r->rsp.pkt[0] != 'l')
			return -EIO;
		got = up_rsp_unescape(r->rsp.pkt + 1, (size_t)n - 1);
		if (off + got > len)
			got = len - off;
		memcpy((uint8_t *)buf + off, r->rsp.pkt + 1, got);
		off += got;
		if (r->rsp.pkt[0] == 'l' || got == 0 || off >= len)
			return (int)off;
	}
}

static int remote_mappings(struct up_target *t, struct up_mapping *maps, int max)
{
	return -ENOTSUP;
}

static int remote_child_release(struct up_target *t, pid_t child, const struct up_patch *patches,
				int n)
{
	return -ENOTSUP;
}

/* SIGINTs we sent qemu and whose stops never came must not reach the program. */
static void drain_interrupts(struct up_remote *r)
{
	struct up_stop stop;

	for (int i = 0; i < 8 && r->pending_interrupts > 0 && !r->gone; i++) {
		if (send_resume(r, "vCont;c") || up_rsp_recv(&r->rsp, 1000, false) < 0 ||
		    decode_stop(r, &stop) < 0)
			break;
	}
	if (r->running)
		remote_stop_all(&r->t);
}

static int remote_detach(struct up_target *t)
{
	struct up_remote *r = to_remote(t);
	int n;

	if (r->gone || r->detached)
		return 0;
	if (r->running) {
		n = remote_stop_all(t);
		if (n)
			return n;
	}
	drain_interrupts(r);
	up_remote_poke_release(r);
	if (r->multiprocess)
		n = up_rsp_command(&r->rsp, "D;%x", (unsigned)r->stub_pid);
	else
		n = up_rsp_command(&r->rsp, "D");
	if (n < 0)
		return n;
	if (strcmp(r->rsp.pkt, "OK") != 0)
		return -EIO;
	r->detached = true;
	/*
	 * Hang up now: qemu-user keeps the connection after D and, at the
	 * program's exit, would wait for our ack of its W packet for ever.
	 */
	close(r->rsp.fd);
	r->rsp.fd = -1;
	return 0;
}

static int remote_kill(struct up_target *t)
{
	struct up_remote *r = to_remote(t);

	if (!r->gone && !r->detached) {
		/* qemu-user exits without a reply; gdbserver may answer X09 */
		up_rsp_send(&r->rsp, "k", 1);
		up_rsp_recv(&r->rsp, 200, false);
	}
	if (r->qemu_pid > 0)
		kill(r->qemu_pid, SIGKILL);
	reap_qemu(r);
	r->gone = true;
	r->running = false;
	return 0;
}

static void remote_destroy(struct up_target *t)
{
	struct up_remote *r = to_remote(t);

	if (!t)
		return;
	if (r->rsp.fd >= 0)
		close(r->rsp.fd);
	/* a detached qemu runs on as the program: its parent may wait for it */
	if (r->qemu_pid > 0 && !r->detached) {
		kill(r->qemu_pid, SIGKILL);
		reap_qemu(r);
	}
	free(r);
}

/* A second thread's stop reply arrived in the middle of a command: keep it. */
static void stray_stop(void *ctx)
{
	struct up_remote *r = ctx;
	struct up_stop stop;

	if (r->rsp.strays == 1 && r->t.on_warning)
		r->t.on_warning(r->t.warning_ctx,
				"remote: warning: two threads stopped at once; qemu-user 7.2's "
				"gdbstub can lose packets then (its threads share one socket)");
	if (decode_stop(r, &stop) == 0)
		queue_stop(r, &stop);
	/* the stub now points 'g' at that thread */
	r->g_tid = 0;
}

static void remote_syscall_insn_placed(struct up_target *t, uint64_t addr)
{
	to_remote(t)->core_syscall = addr;
}

/*
 * Not here, so -ENOTSUP by default: open_fd (a stub's files are on another
 * machine, or in qemu's own process: nothing to share), select_space,
 * watch_syscalls, thread_name.
 */

static const struct up_target_ops remote_ops = {
    .read = remote_read,
    .write = remote_write,
    .get_regs = remote_get_regs,
    .set_regs = remote_set_regs,
    .resume = remote_resume,
    .step = remote_step,
    .wait = remote_wait,
    .wait_step = remote_wait_step,
    .stop_all = remote_stop_all,
    .resume_all = remote_resume_all,
    .threads = remote_threads,
    .mappings = remote_mappings,
    .auxv = remote_auxv,
    .child_release = remote_child_release,
    .detach = remote_detach,
    .kill = remote_kill,
    .destroy = remote_destroy,
    .get_fpregs = remote_get_fpregs,
    .syscall_insn_placed = remote_syscall_insn_placed,
};

struct up_remote *up_remote_new(void)
{
	struct up_remote *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	up_target_init(&r->t, &remote_ops);
	r->t.caps.writes_unprotect = true; /* unprotect.c */
	r->rsp.fd = -1;
	r->rsp.on_stop = stray_stop;
	r->rsp.ctx = r;
	return r;
}

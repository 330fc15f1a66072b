/* SPDX-License-Identifier: MIT */
/*
 * The in-process fallback: what a traced process needs to run on by itself
 * when its tracer dies without detaching (SIGKILL of the tracer process,
 * the OOM killer). The kernel then detaches every thread and lets it run,
 * breakpoints and hijacked return addresses still in place; the next hit
 * would kill the process with SIGTRAP.
 *
 * So, while tracing, uptrace keeps a SIGTRAP handler in the target (a
 * small position-independent blob, arch/<arch>/fallback/) and the record
 * it needs in memory shared by tracer and target: a memfd mapped in both.
 * A traced thread's SIGTRAP stops for the tracer first, so the handler
 * only ever runs once the tracer is gone. It then:
 *   - at a breakpoint of ours: writes the original bytes back (through
 *     /proc/self/mem, which writes read-only text) and re-executes the
 *     instruction, so each point heals at its first hit;
 *   - at the uretprobe trampoline: pops the thread's shadow stack (the
 *     same instances the tracer keeps) and returns to the real caller;
 *   - for a SIGTRAP someone sent (not a trap): does what the program's own
 *     disposition would have done.
 *
 * Layout of the memfd: one page of handler code (mapped r-x in the
 * target), then the data below (mapped rw). Offsets in the data are from
 * the start of struct up_fb_data. Both sides hash the same way.
 */
#ifndef UPTRACE_FALLBACK_H
#define UPTRACE_FALLBACK_H

#include <stdint.h>

#define UP_FB_MAGIC 0x31626674707475ull /* "utptfb1" */
#define UP_FB_CODE_SIZE 4096u

/*
 * One patched address: its original bytes. An entry stays after the
 * tracer restores the bytes (a trap already on its way still rewinds);
 * only an unmapped module's entries become tombstones.
 */
#define UP_FB_TOMBSTONE UINT64_MAX
struct up_fb_point {
	uint64_t addr;	 /* 0: an empty entry; UP_FB_TOMBSTONE: a removed one */
	uint8_t orig[8]; /* the bytes the breakpoint replaced */
	uint8_t len;
	uint8_t pad[7];
};

/* One live return-probe instance of a thread (the tracer's up_instance, mirrored). */
struct up_fb_frame {
	uint64_t orig_ret; /* where the function really returns */
	uint64_t entry_sp; /* sp at its first instruction */
};

struct up_fb_thread {
	int32_t tid;	/* 0: an empty entry; -1: a thread that is gone */
	uint32_t depth; /* live frames */
	uint32_t cap;	/* frames room */
	uint32_t pad;
	uint64_t frames; /* offset of its struct up_fb_frame array */
};

/*
 * A trap-free window (src/core/fastpath.c): its original bytes. The
 * handler never sees one (a jump does not fault); a recovery restores it.
 */
struct up_fb_window {
	uint64_t addr; /* 0: dropped, its module was unloaded (dlclose) */
	uint8_t orig[24];
	uint32_t len;
	uint32_t pad;
};

struct up_fb_data {
	uint64_t magic;
	uint64_t trampoline;  /* the uretprobe trampoline's address, 0: none */
	uint64_t points;      /* offset of the point table (points_mask + 1 entries) */
	uint64_t threads;     /* offset of the thread table (threads_mask + 1 entries) */
	uint32_t points_mask; /* table size - 1, a power of two minus one */
	uint32_t threads_mask;
	uint32_t bp_pc_adjust;	/* PC after the trap minus the breakpoint's address */
	uint32_t ret_sp_adjust; /* at the trampoline, sp minus the entry sp */
	uint8_t bp[4];		/* the breakpoint instruction */
	uint32_t bp_len;
	uint32_t lock; /* the handler's mprotect path, one thread at a time */
	uint32_t pad;
	uint64_t old_action[4]; /* the program's own SIGTRAP (kernel struct sigaction) */
	uint64_t new_action[4]; /* ours, for the tracer's rt_sigaction */
	/* what a recovery needs besides the tables (the guardian re-attaches with it) */
	int32_t pid;	       /* the process this record is of */
	uint32_t live;	       /* installed; 0 once uptrace detached cleanly */
	uint64_t code;	       /* where the target maps the record (its handler page) */
	uint64_t syscall_insn; /* a syscall instruction of ours in the target */
	uint64_t pages;	       /* offset of the XOL page addresses (uint64_t each) */
	uint32_t npages, pages_cap;

	uint64_t heals;	   /* breakpoints healed by the handler */
	uint64_t returns;  /* trampoline returns completed by the handler */
	char mem_path[16]; /* "/proc/self/mem" */

	/* the trap-free path: its windows, and its memory shared with the tracer */
	uint64_t windows; /* offset of the struct up_fb_window array */
	uint32_t nwindows, windows_cap;
	uint64_t fast_shm, fast_shm_size; /* where the target maps it, how big (0: none) */

	/*
	 * The last fault the handler knew nothing of (thread, PC). A tracer
	 * killed after it moved a thread on from a breakpoint (simulated, or
	 * into an XOL slot) but before it let the thread run leaves the
	 * breakpoint's signal to arrive anyway, the PC already elsewhere: the
	 * thread runs on from there. Only a second fault of one thread at one
	 * place is the program's own.
	 */
	uint64_t stray_pc;
	int32_t stray_tid;
	uint32_t pad2;
};

/* The kernel's struct sigaction on the 64-bit arches (not glibc's). */
enum { UP_FB_ACT_HANDLER, UP_FB_ACT_FLAGS, UP_FB_ACT_RESTORER, UP_FB_ACT_MASK };

static inline uint32_t up_fb_hash(uint64_t key, uint32_t mask)
{
	return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The x86_64 handler of the in-process fallback (include/uptrace/fallback.h)
 * for the breakpoint's signal (SIGSEGV: the breakpoint is hlt, which faults
 * with PC on it): runs inside the traced process, and only once its tracer
 * is gone. Built freestanding into a flat blob
 * (arch/blob.py): no libc, no relocations, no data of its own; it finds
 * its record in the page after its own, and makes raw system calls.
 *
 * It must be safe in any thread at any moment: it reads the shared
 * tables, writes only its own thread's shadow-stack depth, and takes no
 * lock but the one around the mprotect path (used only when
 * /proc/self/mem cannot write).
 */
#include <stdint.h>

#include "uptrace/fallback.h"

#define NR_OPEN 2
#define NR_CLOSE 3
#define NR_MPROTECT 10
#define NR_RT_SIGACTION 13
#define NR_PREAD64 17
#define NR_PWRITE64 18
#define NR_SCHED_YIELD 24
#define NR_GETPID 39
#define NR_GETTID 186
#define NR_TGKILL 234

#define SI_USER_MAX 0 /* si_code <= 0: sent by a process, not a trap */
#define O_RDWR 2
#define O_CLOEXEC 02000000
#define PROT_RWX 7
#define PROT_RX 5

/* struct ucontext: uc_mcontext (the kernel's struct sigcontext) at 40, rsp and rip in it. */
#define UC_GREGS 40
#define GREG_RSP 15
#define GREG_RIP 16

static inline long sys4(long nr, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline struct up_fb_data *fb_data(void);

/* Write the original bytes back: /proc/self/mem writes read-only text, as a debugger's would. */
static inline int heal_write(struct up_fb_data *d, const struct up_fb_point *pt)
{
	long fd = sys4(NR_OPEN, (long)d->mem_path, O_RDWR | O_CLOEXEC, 0, 0);
	long n = -1;

	if (fd >= 0) {
		n = sys4(NR_PWRITE64, fd, (long)pt->orig, pt->len, (long)pt->addr);
		sys4(NR_CLOSE, fd, 0, 0, 0);
	}
	if (n == pt->len)
		return 0;
	/* no /proc: make the page writable for the copy, one thread at a time */
	while (__atomic_exchange_n(&d->lock, 1, __ATOMIC_ACQUIRE))
		sys4(NR_SCHED_YIELD, 0, 0, 0, 0);
	long page = (long)(pt->addr & ~4095ull);
	long span = (long)((pt->addr + pt->len + 4095) & ~4095ull) - page;
	int ret = -1;
	if (sys4(NR_MPROTECT, page, span, PROT_RWX, 0) == 0) {
		for (unsigned i = 0; i < pt->len; i++)
			((volatile uint8_t *)pt->addr)[i] = pt->orig[i];
		sys4(NR_MPROTECT, page, span, PROT_RX, 0);
		ret = 0;
	}
	__atomic_store_n(&d->lock, 0, __ATOMIC_RELEASE);
	return ret;
}

static inline const struct up_fb_point *point_lookup(struct up_fb_data *d, uint64_t addr)
{
	const struct up_fb_point *tab = (const void *)((char *)d + d->points);
	uint32_t i = up_fb_hash(addr, d->points_mask);

	for (uint32_t n = 0; n <= d->points_mask; n++) {
		uint64_t a = __atomic_load_n(&tab[i].addr, __ATOMIC_ACQUIRE);
		if (a == addr)
			return &tab[i];
		if (a == 0)
			return 0;
		i = (i + 1) & d->points_mask;
	}
	return 0;
}

static inline struct up_fb_thread *thread_lookup(struct up_fb_data *d, int32_t tid)
{
	struct up_fb_thread *tab = (void *)((char *)d + d->threads);
	uint32_t i = up_fb_hash((uint64_t)(uint32_t)tid, d->threads_mask);

	for (uint32_t n = 0; n <= d->threads_mask; n++) {
		if (tab[i].tid == tid)
			return &tab[i];
		if (tab[i].tid == 0)
			return 0;
		i = (i + 1) & d->threads_mask;
	}
	return 0;
}

/* The program's own disposition for the signal somebody sent: as if we were never there. */
static inline void as_untraced(struct up_fb_data *d, int sig)
{
	if (d->old_action[UP_FB_ACT_HANDLER] == 1 /* SIG_IGN */)
		return;
	sys4(NR_RT_SIGACTION, sig, (long)d->old_action, 0, 8);
	sys4(NR_TGKILL, sys4(NR_GETPID, 0, 0, 0, 0), sys4(NR_GETTID, 0, 0, 0, 0), sig, 0);
	/* delivered, by the program's own rules, when this handler returns */
}

/*
 * A fault that is not ours (a bad access of the program's own):
 * the program's disposition back, and the instruction runs again to fault
 * under it, as it would have untraced.
 */
static inline void fault_as_untraced(struct up_fb_data *d, int sig)
{
	sys4(NR_RT_SIGACTION, sig, (long)d->old_action, 0, 8);
}

/* At the trampoline: the same pop as the tracer's (src/core/uretprobe.c). */
static inline int trampoline_return(struct up_fb_data *d, uint64_t *gregs)
{
	struct up_fb_thread *th = thread_lookup(d, (int32_t)sys4(NR_GETTID, 0, 0, 0, 0));
	uint64_t entry_sp = gregs[GREG_RSP] - d->ret_sp_adjust, target;
	struct up_fb_frame *f;
	uint32_t depth;

	if (!th)
		return -1;
	f = (void *)((char *)d + th->frames);
	depth = th->depth;
	while (depth > 0 && f[depth - 1].entry_sp < entry_sp)
		depth--; /* frames longjmp'd over */
	if (depth == 0)
		return -1;
	do {
		target = f[--depth].orig_ret;
	} while (target == d->trampoline && depth > 0 && f[depth - 1].entry_sp == entry_sp);
	th->depth = depth;
	gregs[GREG_RIP] = target;
	d->returns++;
	return 0;
}

/* A fault nothing of ours explains: the first at this thread's PC runs on (see stray_pc). */
static inline int stray_once(struct up_fb_data *d, uint64_t pc)
{
	int32_t tid = (int32_t)sys4(NR_GETTID, 0, 0, 0, 0);

	if (d->stray_tid == tid && d->stray_pc == pc) {
		d->stray_tid = 0;
		return 0;
	}
	d->stray_pc = pc;
	d->stray_tid = tid;
	return 1;
}

__attribute__((used)) void up_fb_handler(int sig, const int *siginfo, void *ucontext)
{
	struct up_fb_data *d = fb_data();
	uint64_t *gregs = (uint64_t *)((char *)ucontext + UC_GREGS);
	uint64_t at = gregs[GREG_RIP] - d->bp_pc_adjust;
	const struct up_fb_point *pt;

	if (siginfo[2] <= SI_USER_MAX) {
		as_untraced(d, sig);
		return;
	}
	pt = point_lookup(d, at);
	if (pt) {
		int ours = 1;
		for (unsigned i = 0; i < d->bp_len; i++)
			if (((volatile uint8_t *)at)[i] != d->bp[i])
				ours = 0;
		/* healed by another thread already, or restored by the tracer: just rewind */
		if (!ours || heal_write(d, pt) == 0) {
			gregs[GREG_RIP] = at;
			if (ours)
				__atomic_fetch_add(&d->heals, 1, __ATOMIC_RELAXED);
		}
		return;
	}
	if (d->trampoline && at == d->trampoline && trampoline_return(d, gregs) == 0)
		return;
	if (stray_once(d, gregs[GREG_RIP]))
		return; /* again: a fault of the program's would come back here at once */
	fault_as_untraced(d, sig); /* not ours, or a return nothing is known of */
}

/* Our data is the page after the code page this handler lives in. */
static inline struct up_fb_data *fb_data(void)
{
	uint64_t self;

	__asm__("lea 0(%%rip), %0" : "=r"(self)); /* an address inside this page */
	return (struct up_fb_data *)((self & ~(uint64_t)(UP_FB_CODE_SIZE - 1)) + UP_FB_CODE_SIZE);
}

/* sa_restorer: back from the handler through rt_sigreturn. */
__asm__(".text\n"
	".globl up_fb_restorer\n"
	"up_fb_restorer:\n"
	"	mov $15, %eax\n"
	"	syscall\n"
	"	hlt\n");

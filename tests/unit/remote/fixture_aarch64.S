/* SPDX-License-Identifier: MIT */
/*
 * A tiny static aarch64 program for the remote target's tests: it calls
 * probe_me three times (x20 counts the calls) and exits with status
 * 40 + x20, so a test knows the right answer: 43 when nothing went wrong.
 * With any argument it spins in spin_here instead, for the stop tests.
 */
	.text
	.globl _start
_start:
	ldr	x0, [sp]	/* argc */
	cmp	x0, #1
	b.gt	spin_here
	mov	x19, #0
	mov	x20, #0
1:	bl	probe_me
	.globl after_call
after_call:
	add	x19, x19, #1
	cmp	x19, #3
	b.ne	1b
	add	x0, x20, #40
	mov	x8, #93		/* exit */
	.globl do_syscall
do_syscall:
	svc	#0
	b	do_syscall

	.globl spin_here
spin_here:
	b	spin_here

	/* a page of its own: qemu write-protects pages it translated code from */
	.globl probe_me
	.type probe_me, %function
	.p2align 12
probe_me:
	add	x20, x20, #1
	nop
	ret
	.size	probe_me, . - probe_me

	.data
	.globl value
	.p2align 3
value:
	.quad	0x1122334455667788

/* SPDX-License-Identifier: MIT */
/*
 * fixture_aarch64.S for riscv64: probe_me is called three times (s2 counts
 * the calls) and the exit status is 40 + s2; with an argument it spins in
 * spin_here. No compressed instructions (ebreak replaces 4 bytes) unless
 * built with -DRVC (c.ebreak replaces the 2 of c.addi).
 */
#ifndef RVC
	.option norvc
#endif
	.text
	.globl _start
_start:
	ld	a0, 0(sp)	/* argc */
	li	t0, 1
	bgt	a0, t0, spin_here
	li	s1, 0
	li	s2, 0
1:	call	probe_me
	.globl after_call
after_call:
	addi	s1, s1, 1
	li	t0, 3
	bne	s1, t0, 1b
	addi	a0, s2, 40
	li	a7, 93		/* exit */
	.globl do_syscall
do_syscall:
	ecall
	j	do_syscall

	.globl spin_here
spin_here:
	j	spin_here

	/* a page of its own: qemu write-protects pages it translated code from */
	.globl probe_me
	.type probe_me, %function
	.p2align 12
probe_me:
	addi	s2, s2, 1
	nop
	ret
	.size	probe_me, . - probe_me

	.data
	.globl value
	.p2align 3
value:
	.quad	0x1122334455667788

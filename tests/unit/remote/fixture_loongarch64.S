/* SPDX-License-Identifier: MIT */
/*
 * fixture_aarch64.S for loongarch64: probe_me is called three times ($s1
 * counts the calls) and the exit status is 40 + $s1; with an argument it
 * spins in spin_here.
 */
	.text
	.globl _start
_start:
	ld.d	$a0, $sp, 0	/* argc */
	ori	$t0, $zero, 1
	blt	$t0, $a0, spin_here
	or	$s0, $zero, $zero
	or	$s1, $zero, $zero
1:	bl	probe_me
	.globl after_call
after_call:
	addi.d	$s0, $s0, 1
	ori	$t0, $zero, 3
	bne	$s0, $t0, 1b
	addi.d	$a0, $s1, 40
	ori	$a7, $zero, 93	/* exit */
	.globl do_syscall
do_syscall:
	syscall	0
	b	do_syscall

	.globl spin_here
spin_here:
	b	spin_here

	/*
	 * A page of its own (16 KiB pages here): qemu write-protects pages it
	 * translated code from.
	 */
	.globl probe_me
	.type probe_me, %function
	.p2align 14
probe_me:
	addi.d	$s1, $s1, 1
	nop
	jirl	$zero, $ra, 0
	.size	probe_me, . - probe_me

	.data
	.globl value
	.p2align 3
value:
	.quad	0x1122334455667788

/* SPDX-License-Identifier: MIT */
/*
 * Functions for test_fast.c, each a case of the trap-free site analysis
 * (arch/x86_64/fastpath.c): what qualifies, what is refused, and code the
 * test runs patched to check that the relocated window does what the
 * original did. Each returns a value that depends on its input, so a wrong
 * relocation shows.
 */
	.section .rodata
	.balign 8
fast_table:
	.long .Lcase0 - fast_table, .Lcase1 - fast_table, .Lcase2 - fast_table

	.data
	.balign 8
	.globl fast_data
fast_data:	.quad 1000

	.text
#define FUNC(name) .globl name; .type name, @function; .balign 16; name:
/* the size as data too, name_size, for the test to read */
#define END(name) .size name, . - name; .set .L##name##_len, . - name; \
	.pushsection .data; .balign 8; .globl name##_size; name##_size: .quad .L##name##_len; \
	.popsection

/* rdi + 1; entry window: endbr64 (4) + push (1) */
FUNC(fast_prologue)
	endbr64
	push	%rbp
	mov	%rsp, %rbp
	lea	1(%rdi), %rax
	pop	%rbp
	ret
END(fast_prologue)

/* rdi + fast_data; one rip-relative instruction of 7 bytes */
FUNC(fast_riprel)
	mov	fast_data(%rip), %rax
	add	%rdi, %rax
	ret
END(fast_riprel)

/* rdi + fast_data; mov (3) + rip-relative add (7) */
FUNC(fast_riprel_multi)
	mov	%rdi, %rax
	add	fast_data(%rip), %rax
	ret
END(fast_riprel_multi)

/* rdi + (rdi-1) + ... + 1 (rdi > 0); +0 has the loop head inside its window, +2 is the head */
FUNC(fast_loop)
	xor	%eax, %eax
1:	add	%rdi, %rax
	dec	%rdi
	jnz	1b
	ret
END(fast_loop)

/* a call in the window */
FUNC(fast_call)
	push	%rbx
	call	fast_riprel
	pop	%rbx
	ret
END(fast_call)

/* 1 if rdi > 5, else 2; cmp (4) + jle (2): a jcc ends the window */
FUNC(fast_jcc)
	cmp	$5, %rdi
	jle	1f
	mov	$1, %eax
	ret
1:	mov	$2, %eax
	ret
END(fast_jcc)

/* rdi + 11; mov (2) + inc (2) + jmp (2): a jmp ends the window */
FUNC(fast_jmp)
	mov	%edi, %eax
	inc	%eax
	jmp	1f
	ud2
1:	add	$10, %eax
	ret
END(fast_jmp)

/* 10, 20, 30 for rdi 0, 1, 2, else 0: a jump table; +0 refused, +10 (lea, 7 bytes) single */
FUNC(fast_switch)
	cmp	$2, %rdi
	ja	.Ldefault
	lea	fast_table(%rip), %rax
	movslq	(%rax,%rdi,4), %rdx
	add	%rdx, %rax
	jmp	*%rax
.Lcase0:
	mov	$10, %eax
	ret
.Lcase1:
	mov	$20, %eax
	ret
.Lcase2:
	mov	$30, %eax
	ret
.Ldefault:
	xor	%eax, %eax
	ret
END(fast_switch)

/* rdi + 1; the address of its second instruction is taken (lea) */
FUNC(fast_taken)
	mov	%rdi, %rax
1:	add	$1, %rax
	lea	1b(%rip), %rcx
	ret
END(fast_taken)

/* a return in the window */
FUNC(fast_short)
	mov	%edi, %eax
	ret
END(fast_short)

/* rdi + 1; its cold part (below) jumps into the window at +0 */
FUNC(fast_hot)
	test	%edi, %edi
	mov	%edi, %eax
.Lhot_back:
	add	$1, %eax
	js	fast_hot_cold
	ret
END(fast_hot)

FUNC(fast_hot_cold)
	xor	%eax, %eax
	jmp	.Lhot_back
END(fast_hot_cold)

/* getpid(): a 5-byte mov, then the syscall */
FUNC(fast_syscall)
	mov	$39, %eax
	syscall
	ret
END(fast_syscall)

/* rdi * 2 + 3 at -O2 with an endbr64: the benchmark's bench_fn */
FUNC(fast_bench)
	endbr64
	lea	3(%rdi,%rdi,1), %eax
	ret
END(fast_bench)

	.section .note.GNU-stack, "", @progbits

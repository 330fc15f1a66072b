/* SPDX-License-Identifier: MIT */
/* libsymfixb.so: the second definition of symfix_dup. */
int symfix_dup(void)
{
	return 4;
}

/* What the fixture uses from this library, so the linker keeps it. */
int symfix_only_b(void)
{
	return 5;
}

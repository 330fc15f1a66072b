/* SPDX-License-Identifier: MIT */
/* libsymfixa.so: defines a name libsymfixb.so defines too, and one the main program defines. */
int symfix_dup(void)
{
	return 1;
}

int symfix_main_too(void)
{
	return 2;
}

int symfix_only_a(void)
{
	return 3;
}

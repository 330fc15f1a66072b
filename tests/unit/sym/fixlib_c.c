/* SPDX-License-Identifier: MIT */
/* libsymfixc.so: loaded by the fixture with dlopen, to test refreshing the module list. */
int symfix_late(int x)
{
	return x + 5;
}

/* SPDX-License-Identifier: MIT */
/* A static tracee: its first instruction after exec is its own AT_ENTRY. */
int main(int argc, char **argv)
{
	return argc + 10;
}

/* SPDX-License-Identifier: MIT */
/*
 * GDB's signal numbers (gdb/signals.def, used in stop replies and vCont;C)
 * against Linux's generic ones. They agree only below 6: GDB's SIGUSR1 is
 * 30, SIGBUS 10, SIGCHLD 20, and real-time signals 33..63 are 45..75.
 */
#include <signal.h>

#include "rsp.h"

/* GDB number -> Linux number for GDB's classic signals 0..32 (0: none on Linux). */
static const unsigned char gdb_to_linux[33] = {
    [0] = 0,	    [1] = SIGHUP,     [2] = SIGINT,	 [3] = SIGQUIT,	  [4] = SIGILL,
    [5] = SIGTRAP,  [6] = SIGABRT,    [7] = 0 /* EMT */, [8] = SIGFPE,	  [9] = SIGKILL,
    [10] = SIGBUS,  [11] = SIGSEGV,   [12] = SIGSYS,	 [13] = SIGPIPE,  [14] = SIGALRM,
    [15] = SIGTERM, [16] = SIGURG,    [17] = SIGSTOP,	 [18] = SIGTSTP,  [19] = SIGCONT,
    [20] = SIGCHLD, [21] = SIGTTIN,   [22] = SIGTTOU,	 [23] = SIGIO,	  [24] = SIGXCPU,
    [25] = SIGXFSZ, [26] = SIGVTALRM, [27] = SIGPROF,	 [28] = SIGWINCH, [29] = 0 /* LOST */,
    [30] = SIGUSR1, [31] = SIGUSR2,   [32] = SIGPWR,
};

#define GDB_SIGNAL_POLL 33
#define GDB_SIGNAL_REALTIME_33 45
#define GDB_SIGNAL_REALTIME_63 75
#define GDB_SIGNAL_REALTIME_32 77
#define GDB_SIGNAL_REALTIME_64 78
#define GDB_SIGNAL_UNKNOWN 143

int up_gdb_signal_to_linux(int gdb_sig)
{
	if (gdb_sig >= 0 && gdb_sig <= 32)
		return gdb_to_linux[gdb_sig];
	if (gdb_sig == GDB_SIGNAL_POLL)
		return SIGIO;
	if (gdb_sig >= GDB_SIGNAL_REALTIME_33 && gdb_sig <= GDB_SIGNAL_REALTIME_63)
		return gdb_sig - GDB_SIGNAL_REALTIME_33 + 33;
	if (gdb_sig == GDB_SIGNAL_REALTIME_32)
		return 32;
	if (gdb_sig == GDB_SIGNAL_REALTIME_64)
		return 64;
	return 0;
}

int up_linux_signal_to_gdb(int sig)
{
	if (sig <= 0)
		return 0;
	for (int i = 1; i <= 32; i++)
		if (gdb_to_linux[i] == sig)
			return i;
	if (sig == 32)
		return GDB_SIGNAL_REALTIME_32;
	if (sig >= 33 && sig <= 63)
		return sig - 33 + GDB_SIGNAL_REALTIME_33;
	if (sig == 64)
		return GDB_SIGNAL_REALTIME_64;
	return GDB_SIGNAL_UNKNOWN;
}

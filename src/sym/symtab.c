/* SPDX-License-Identifier: MIT */
/* Placeholder. */
#include "uptrace/sym.h"

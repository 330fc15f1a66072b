/* SPDX-License-Identifier: MIT */
/* Placeholder. */
#include "uptrace/output.h"

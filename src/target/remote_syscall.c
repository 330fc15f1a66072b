/* SPDX-License-Identifier: MIT */
/* Placeholder. */
#include "uptrace/target.h"

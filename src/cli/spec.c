/* SPDX-License-Identifier: MIT */
/* Placeholder. */
#include "uptrace/spec.h"

/* SPDX-License-Identifier: MIT */
/* Placeholder. */

/* SPDX-License-Identifier: MIT */
/*
 * Compiler helpers shared by every module: branch hints, cache-line
 * alignment, array sizes. Nothing here depends on a library.
 */
#ifndef DRIFT_INTERNAL_COMPILER_H
#define DRIFT_INTERNAL_COMPILER_H

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define CACHE_LINE_BYTES 64
#define cache_aligned	 __attribute__((aligned(CACHE_LINE_BYTES)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define UNUSED __attribute__((unused))

#endif

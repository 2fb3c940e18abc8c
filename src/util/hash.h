/*
 * Hashing helpers shared by the matcher, the classifier and watch's panel:
 * FNV-1a's constants, and murmur3's 64-bit finaliser (fmix64), which mixes
 * every input bit into the low bits that a table mask keeps (FNV's and a
 * rolling hash's low bits alone are weak). Not for secrets.
 */
#ifndef DW_UTIL_HASH_H
#define DW_UTIL_HASH_H

#include <stdint.h>

#define HASH_FNV_OFFSET 0xcbf29ce484222325ull
#define HASH_FNV_PRIME 0x100000001b3ull

static inline uint64_t hash_fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

#endif

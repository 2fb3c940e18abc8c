/*
 * splitmix64 (Steele, Lea and Flood 2014): a fast, well-mixed generator for
 * fingerprints, DNS IDs and ports. Not for secrets: the lab's injector and
 * prober need variety and repeatability from a seed, not unpredictability.
 */
#ifndef DW_UTIL_RAND_H
#define DW_UTIL_RAND_H

#include <stdint.h>

static inline uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

#endif

/* Microsecond clocks: monotonic for intervals, real time for what is kept. */
#ifndef DW_UTIL_CLOCK_H
#define DW_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in microseconds: timeouts, rates, durations. */
static inline uint64_t util_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* CLOCK_REALTIME in microseconds since the epoch: times that are stored
 * and compared with packets' kernel timestamps. */
static inline uint64_t util_real_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#endif

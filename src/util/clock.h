/* Clocks: monotonic for intervals, real time for what is kept. */
#ifndef DW_UTIL_CLOCK_H
#define DW_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds: the lab's delay element schedules
 * packets on it. */
static inline uint64_t util_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC in microseconds: timeouts, rates, durations. */
static inline uint64_t util_mono_us(void)
{
	return util_mono_ns() / 1000u;
}

/* CLOCK_MONOTONIC in milliseconds: deadlines and timings people read
 * (a batch's age, a tool's timeout, how long `lab up` took). */
static inline uint64_t util_mono_ms(void)
{
	return util_mono_ns() / 1000000u;
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

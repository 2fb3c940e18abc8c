/* The delay element's heap: due-time order, FIFO on ties, bounded. */
#include <stdlib.h>

#include "harness.h"
#include "lab/delay.h"

static void test_order_by_due_time(void)
{
	struct lab_delay_heap h;
	CHECK_EQ(lab_delay_heap_init(&h, 1000), 0);
	/* pseudo-random due times */
	uint64_t x = 12345;
	for (uint32_t i = 0; i < 1000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		CHECK_EQ(lab_delay_heap_push(&h, (x >> 33) % 5000, i), 0);
	}
	uint64_t last = 0;
	struct lab_delay_item it;
	size_t n = 0;
	while (lab_delay_heap_pop(&h, &it) == 0) {
		CHECK(it.due_ns >= last);
		last = it.due_ns;
		n++;
	}
	CHECK_EQ(n, 1000);
	lab_delay_heap_free(&h);
}

static void test_ties_leave_in_arrival_order(void)
{
	struct lab_delay_heap h;
	CHECK_EQ(lab_delay_heap_init(&h, 64), 0);
	for (uint32_t i = 0; i < 64; i++)
		CHECK_EQ(lab_delay_heap_push(&h, i % 2 ? 200 : 100, i), 0);
	struct lab_delay_item it;
	uint32_t prev_even = 0, prev_odd = 1;
	for (int k = 0; k < 64; k++) {
		CHECK_EQ(lab_delay_heap_pop(&h, &it), 0);
		if (k < 32) {
			CHECK_EQ(it.due_ns, 100);
			CHECK(k == 0 || it.id > prev_even);
			prev_even = it.id;
		} else {
			CHECK_EQ(it.due_ns, 200);
			CHECK(k == 32 || it.id > prev_odd);
			prev_odd = it.id;
		}
	}
	lab_delay_heap_free(&h);
}

static void test_bounded(void)
{
	struct lab_delay_heap h;
	CHECK_EQ(lab_delay_heap_init(&h, 3), 0);
	CHECK_EQ(lab_delay_heap_push(&h, 3, 1), 0);
	CHECK_EQ(lab_delay_heap_push(&h, 2, 2), 0);
	CHECK_EQ(lab_delay_heap_push(&h, 1, 3), 0);
	CHECK_EQ(lab_delay_heap_push(&h, 0, 4), -1); /* full: the caller drops and counts */
	CHECK(lab_delay_heap_peek(&h) != NULL);
	CHECK_EQ(lab_delay_heap_peek(&h)->id, 3);
	struct lab_delay_item it;
	CHECK_EQ(lab_delay_heap_pop(&h, &it), 0);
	CHECK_EQ(lab_delay_heap_push(&h, 0, 5), 0); /* room again */
	CHECK_EQ(lab_delay_heap_pop(&h, &it), 0);
	CHECK_EQ(it.id, 5);
	CHECK_EQ(lab_delay_heap_pop(&h, &it), 0);
	CHECK_EQ(lab_delay_heap_pop(&h, &it), 0);
	CHECK_EQ(lab_delay_heap_pop(&h, &it), -1);
	CHECK(lab_delay_heap_peek(&h) == NULL);
	lab_delay_heap_free(&h);
}

static void test_interleaved_push_pop(void)
{
	/* the element's real pattern: arrivals and releases interleave */
	struct lab_delay_heap h;
	CHECK_EQ(lab_delay_heap_init(&h, 256), 0);
	uint64_t now = 0, last = 0;
	uint32_t id = 0;
	struct lab_delay_item it;
	for (int step = 0; step < 10000; step++) {
		now += 7;
		if (h.n < h.cap)
			CHECK_EQ(lab_delay_heap_push(&h, now + 80 + (uint64_t)(step * 31 % 13), id++), 0);
		while (lab_delay_heap_peek(&h) && lab_delay_heap_peek(&h)->due_ns <= now) {
			CHECK_EQ(lab_delay_heap_pop(&h, &it), 0);
			CHECK(it.due_ns >= last);
			last = it.due_ns;
		}
	}
	lab_delay_heap_free(&h);
}

int main(void)
{
	RUN(test_order_by_due_time);
	RUN(test_ties_leave_in_arrival_order);
	RUN(test_bounded);
	RUN(test_interleaved_push_pop);
	return harness_done();
}

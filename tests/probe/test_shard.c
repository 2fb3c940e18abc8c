/* probe/shard and the threaded engine's feed: which thread a name goes to,
 * the queues between threads (fixed-size and of records of any size), the merge of the threads' finished queries
 * into one stream ordered by finish time (scripted, and with real threads),
 * and a core fed by a thread's queue (no name yet, numbers from the feed). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "harness.h"
#include "probe/core.h"
#include "probe/shard.h"
#include "wire/name.h"

static void wire(const char *text, uint8_t out[WIRE_NAME_MAX])
{
	size_t n;
	if (wire_name_from_text(text, out, &n) != DW_OK)
		FAIL("bad test name %s", text);
}

static void test_shard(void)
{
	uint8_t a[WIRE_NAME_MAX], b[WIRE_NAME_MAX];
	wire("www.Example.COM", a);
	wire("WWW.example.com", b);
	/* The 0x20 case never moves a name; one shard is shard 0. */
	for (unsigned n = 1; n <= 8; n++)
		CHECK_EQ(probe_shard(a, n), probe_shard(b, n));
	CHECK_EQ(probe_shard(a, 1), 0);
	CHECK_EQ(probe_shard(a, 0), 0);
	/* Names that differ in one label land apart often enough: 40,000
	 * names over 4 threads, each within 5% of a quarter. */
	unsigned count[4] = {0};
	char text[64];
	for (int i = 0; i < 40000; i++) {
		snprintf(text, sizeof text, "w%d.bench.example", i);
		wire(text, a);
		unsigned s = probe_shard(a, 4);
		CHECK(s < 4);
		if (s < 4)
			count[s]++;
	}
	for (int s = 0; s < 4; s++)
		CHECK(count[s] > 9500 && count[s] < 10500);
	/* The same name, the same shard, every time. */
	wire("w17.bench.example", a);
	unsigned first = probe_shard(a, 3);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(probe_shard(a, 3), first);
}

static void test_spsc(void)
{
	struct probe_spsc q;
	CHECK_EQ(probe_spsc_init(&q, 3, sizeof(int)), 0); /* rounded up to 4 */
	CHECK(probe_spsc_peek(&q) == NULL);
	int next = 0, want = 0;
	/* Fill, then wrap around a few times. */
	for (int round = 0; round < 5; round++) {
		int *slot;
		while ((slot = probe_spsc_write_slot(&q))) {
			*slot = next++;
			probe_spsc_push(&q);
		}
		CHECK_EQ(next - want, 4);
		int *head = probe_spsc_peek(&q);
		CHECK(head && *head == want);
		probe_spsc_pop(&q);
		want++;
		head = probe_spsc_peek(&q);
		CHECK(head && *head == want);
		probe_spsc_pop(&q);
		want++;
	}
	int *head;
	while ((head = probe_spsc_peek(&q))) {
		CHECK_EQ(*head, want);
		want++;
		probe_spsc_pop(&q);
	}
	CHECK_EQ(want, next);
	probe_spsc_free(&q);
}

/* Records of SIZE bytes, each filled with bytes of its number. */
static size_t rec_size(unsigned k)
{
	return 1 + (k * 37) % 700;
}

static bool rec_ok(const uint8_t *r, size_t room, unsigned k)
{
	size_t n = rec_size(k);
	if (room < n || room > n + 7)
		return false;
	for (size_t i = 0; i < n; i++)
		if (r[i] != (uint8_t)(k + i))
			return false;
	return true;
}

static void test_bytes(void)
{
	struct probe_bytes q;
	CHECK_EQ(probe_bytes_init(&q, 100), 0); /* at least 4096 */
	CHECK_EQ(q.size, 4096);
	size_t room;
	CHECK(probe_bytes_peek(&q, &room) == NULL);
	/* Fill, take a few, fill again: records of many sizes wrap the buffer
	 * hundreds of times, each whole and in order. */
	unsigned next = 0, want = 0;
	for (int round = 0; round < 400; round++) {
		uint8_t *r;
		while ((r = probe_bytes_reserve(&q, 1024))) {
			size_t n = rec_size(next);
			for (size_t i = 0; i < n; i++)
				r[i] = (uint8_t)(next + i);
			probe_bytes_push(&q, n);
			next++;
		}
		for (int k = 0; k < 3; k++) {
			const uint8_t *h = probe_bytes_peek(&q, &room);
			CHECK(h && rec_ok(h, room, want));
			/* A second look sees the same record. */
			CHECK(probe_bytes_peek(&q, &room) == h);
			probe_bytes_pop(&q);
			want++;
		}
	}
	const uint8_t *h;
	while ((h = probe_bytes_peek(&q, &room))) {
		CHECK(rec_ok(h, room, want));
		want++;
		probe_bytes_pop(&q);
	}
	CHECK_EQ(want, next);
	CHECK(next > 1000);
	probe_bytes_free(&q);
}

/* The same across two threads: every record whole and in order. */
static void *bytes_produce(void *arg)
{
	struct probe_bytes *q = arg;
	for (unsigned k = 0; k < 50000; k++) {
		uint8_t *r;
		while (!(r = probe_bytes_reserve(q, 1024)))
			sched_yield();
		size_t n = rec_size(k);
		for (size_t i = 0; i < n; i++)
			r[i] = (uint8_t)(k + i);
		probe_bytes_push(q, n);
	}
	return NULL;
}

static void test_bytes_threads(void)
{
	struct probe_bytes q;
	CHECK_EQ(probe_bytes_init(&q, 8192), 0);
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, bytes_produce, &q), 0);
	unsigned want = 0, bad = 0;
	while (want < 50000) {
		size_t room;
		const uint8_t *h = probe_bytes_peek(&q, &room);
		if (!h) {
			sched_yield();
			continue;
		}
		bad += !rec_ok(h, room, want);
		want++;
		probe_bytes_pop(&q);
	}
	pthread_join(t, NULL);
	CHECK_EQ(bad, 0);
	CHECK(probe_bytes_peek(&q, &(size_t){0}) == NULL);
	probe_bytes_free(&q);
}

static void test_merge_pick(void)
{
	const uint64_t E = PROBE_MERGE_EMPTY, D = PROBE_MERGE_DONE;
	/* The earliest head, whatever the marks of non-empty queues. */
	CHECK_EQ(probe_merge_pick((uint64_t[]){5, 3}, (uint64_t[]){0, 0}, 2), 1);
	/* Ties: the lowest index. */
	CHECK_EQ(probe_merge_pick((uint64_t[]){4, 4, 9}, (uint64_t[]){0, 0, 0}, 3), 0);
	/* An empty queue whose thread has not got past 5 yet: it could still
	 * finish something earlier. Once its mark is at 5 or past, go. */
	CHECK_EQ(probe_merge_pick((uint64_t[]){5, E}, (uint64_t[]){0, 2}, 2), -1);
	CHECK_EQ(probe_merge_pick((uint64_t[]){5, E}, (uint64_t[]){0, 5}, 2), 0);
	CHECK_EQ(probe_merge_pick((uint64_t[]){5, E}, (uint64_t[]){0, 7}, 2), 0);
	/* A thread that is done holds nothing back. */
	CHECK_EQ(probe_merge_pick((uint64_t[]){E, 8, E}, (uint64_t[]){D, 0, D}, 3), 1);
	/* Nothing to take. */
	CHECK_EQ(probe_merge_pick((uint64_t[]){E, E}, (uint64_t[]){D, D}, 2), -1);
	CHECK_EQ(probe_merge_pick((uint64_t[]){E}, (uint64_t[]){3}, 1), -1);
	/* The lowest mark of the empty queues is the bound. */
	CHECK_EQ(probe_merge_pick((uint64_t[]){6, E, E}, (uint64_t[]){0, 9, 4}, 3), -1);
}

/* ---- the merge with real threads ---------------------------------------------- */

#define ITEMS 20000

struct producer {
	struct probe_spsc q;
	_Atomic uint64_t mark;
	_Atomic uint64_t *clock;  /* shared, goes up */
	unsigned id;
};

struct item {
	uint64_t time;
	unsigned from, n;
};

/* Finishes ITEMS "queries" at times of the shared clock, in bursts, each
 * burst followed by a watermark, as a prober thread does. */
static void *produce(void *arg)
{
	struct producer *p = arg;
	unsigned n = 0;
	while (n < ITEMS) {
		unsigned burst = 1 + (n * 7 + p->id * 13) % 50;
		for (unsigned k = 0; k < burst && n < ITEMS; k++) {
			struct item *it;
			while (!(it = probe_spsc_write_slot(&p->q)))
				sched_yield();
			it->time = atomic_fetch_add(p->clock, 1);
			it->from = p->id;
			it->n = n++;
			probe_spsc_push(&p->q);
		}
		atomic_store_explicit(&p->mark, atomic_load(p->clock), memory_order_release);
		if (n % 3 == p->id)
			sched_yield();
	}
	atomic_store_explicit(&p->mark, PROBE_MERGE_DONE, memory_order_release);
	return NULL;
}

static void test_merge_threads(void)
{
	enum { N = 3 };
	struct producer p[N];
	pthread_t t[N];
	_Atomic uint64_t clock = 1;
	for (unsigned i = 0; i < N; i++) {
		CHECK_EQ(probe_spsc_init(&p[i].q, 64, sizeof(struct item)), 0);
		atomic_init(&p[i].mark, 0);
		p[i].clock = &clock;
		p[i].id = i;
	}
	for (unsigned i = 0; i < N; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, produce, &p[i]), 0);
	uint64_t last = 0, taken = 0, out_of_order = 0;
	unsigned next_n[N] = {0};
	for (;;) {
		uint64_t head[N], mark[N];
		bool all_done = true;
		for (unsigned i = 0; i < N; i++) {
			mark[i] = atomic_load_explicit(&p[i].mark, memory_order_acquire);
			struct item *it = probe_spsc_peek(&p[i].q);
			head[i] = it ? it->time : PROBE_MERGE_EMPTY;
			all_done &= mark[i] == PROBE_MERGE_DONE && !it;
		}
		if (all_done)
			break;
		int k = probe_merge_pick(head, mark, N);
		if (k < 0) {
			sched_yield();
			continue;
		}
		struct item *it = probe_spsc_peek(&p[k].q);
		if (it->time < last)
			out_of_order++;
		if (it->n != next_n[k])
			out_of_order++;
		next_n[k]++;
		last = it->time;
		taken++;
		probe_spsc_pop(&p[k].q);
	}
	for (unsigned i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		probe_spsc_free(&p[i].q);
	}
	CHECK_EQ(taken, (uint64_t)N * ITEMS);
	CHECK_EQ(out_of_order, 0);
}

/* ---- a core fed from a queue ---------------------------------------------------- */

struct feed {
	struct probe_core *core;
	int calls;
	uint64_t seqs[4];
	int nres;
	uint64_t res_seq[4];
	uint32_t res_line[4];
};

/* No name on the first call, then two names numbered 7 and 12 (another
 * thread has the ones between), then the end. */
static int feed_next(void *ctx, uint8_t name[WIRE_NAME_MAX], uint32_t *line, uint64_t *tag,
		     struct dw_error *err)
{
	struct feed *f = ctx;
	(void)tag;
	(void)err;
	int call = f->calls++;
	if (call == 0)
		return PROBE_NEXT_LATER;
	if (call > 2)
		return 0;
	wire(call == 1 ? "a.example" : "b.example", name);
	*line = (uint32_t)(100 + call);
	probe_core_set_next_seq(f->core, call == 1 ? 7 : 12);
	return 1;
}

static int feed_result(void *ctx, struct probe_result *r)
{
	struct feed *f = ctx;
	if (f->nres < 4) {
		f->res_seq[f->nres] = r->seq;
		f->res_line[f->nres] = r->line;
		f->nres++;
	}
	return 0;
}

static void feed_send(void *ctx, unsigned sock, const struct probe_target *t, const uint8_t *q,
		      size_t len)
{
	(void)ctx, (void)sock, (void)t, (void)q, (void)len;
}

static void test_core_feed(void)
{
	struct probe_config c;
	probe_config_default(&c);
	c.target[0] = (struct probe_target){"auth", TARGET_AUTH, AF_INET, {127, 0, 0, 1}, 53};
	c.ntargets = 1;
	c.sockets = 1;
	c.rate = 1000000;
	c.retries = 0;
	c.timeout_ms = 10;
	struct feed f = {0};
	struct probe_hooks h = {.next = feed_next, .result = feed_result, .ctx = &f};
	struct probe_stats st;
	struct dw_error err;
	static const uint16_t port[1] = {40000};
	f.core = probe_core_new(&c, port, &h, feed_send, &f, &st, 0, &err);
	CHECK(f.core != NULL);
	if (!f.core)
		return;
	/* No name yet: not the end, and the driver is told to look again soon. */
	probe_core_turn(f.core, 1, 1);
	CHECK(!probe_core_finished(f.core));
	CHECK_EQ(probe_core_wait_us(f.core), PROBE_CORE_STARVED_US);
	CHECK_EQ(st.names, 0);
	/* The names, numbered by the feed; both time out (no replies). */
	probe_core_turn(f.core, 2, 2);
	CHECK_EQ(st.names, 2);
	CHECK_EQ(st.sent, 2);
	probe_core_turn(f.core, 20000, 20000);
	CHECK(probe_core_finished(f.core));
	CHECK_EQ(f.nres, 2);
	CHECK_EQ(f.res_seq[0], 7);
	CHECK_EQ(f.res_seq[1], 12);
	CHECK_EQ(f.res_line[0], 101);
	CHECK_EQ(f.res_line[1], 102);
	probe_core_free(f.core);
}

int main(void)
{
	RUN(test_shard);
	RUN(test_spsc);
	RUN(test_bytes);
	RUN(test_bytes_threads);
	RUN(test_merge_pick);
	RUN(test_merge_threads);
	RUN(test_core_feed);
	return harness_done();
}

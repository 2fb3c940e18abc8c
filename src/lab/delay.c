/* The NFQUEUE delay element (see delay.h). */
#include "lab/delay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libnetfilter_queue/libnetfilter_queue.h>

#include "lab/proc.h"
#include "util/clock.h"
#include "util/rand.h"

/* ---- the heap: a binary min-heap on (due, seq) ---------------------------- */

static int heap_less(const struct lab_delay_item *a, const struct lab_delay_item *b)
{
	return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

int lab_delay_heap_init(struct lab_delay_heap *h, size_t cap)
{
	memset(h, 0, sizeof *h);
	h->v = calloc(cap ? cap : 1, sizeof *h->v);
	if (!h->v)
		return -1;
	h->cap = cap;
	return 0;
}

void lab_delay_heap_free(struct lab_delay_heap *h)
{
	free(h->v);
	memset(h, 0, sizeof *h);
}

int lab_delay_heap_push(struct lab_delay_heap *h, uint64_t due_ns, uint32_t id)
{
	if (h->n >= h->cap)
		return -1;
	size_t i = h->n++;
	struct lab_delay_item it = {.due_ns = due_ns, .seq = h->next_seq++, .id = id};
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!heap_less(&it, &h->v[parent]))
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = it;
	return 0;
}

const struct lab_delay_item *lab_delay_heap_peek(const struct lab_delay_heap *h)
{
	return h->n ? &h->v[0] : NULL;
}

int lab_delay_heap_pop(struct lab_delay_heap *h, struct lab_delay_item *out)
{
	if (h->n == 0)
		return -1;
	*out = h->v[0];
	struct lab_delay_item last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct lab_delay_item *best = &last;
		if (l < h->n && heap_less(&h->v[l], best)) {
			m = l;
			best = &h->v[l];
		}
		if (r < h->n && heap_less(&h->v[r], best))
			m = r;
		if (m == i)
			break;
		h->v[i] = h->v[m];
		i = m;
	}
	if (h->n)
		h->v[i] = last;
	return 0;
}

/* ---- the element ------------------------------------------------------------- */

struct delay_state {
	const struct lab_delay_opts *o;
	struct lab_delay_heap heap;
	struct nfq_q_handle *qh;
	uint64_t rng;
	uint64_t last_due[2];   /* per direction: never due before the previous packet */
	uint64_t queued, passed, dropped, enobufs, max_held, lost;
};

static volatile sig_atomic_t delay_stop, delay_dump;

static void delay_on_signal(int sig)
{
	if (sig == SIGUSR1)
		delay_dump = 1;
	else
		delay_stop = 1;
}


static int delay_on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg,
			   struct nfq_data *nfa, void *data)
{
	(void)msg;
	struct delay_state *st = data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	if (!ph)
		return 0;
	uint32_t id = ntohl(ph->packet_id);
	/* Direction: queued on the way in (PREROUTING, an input device) or on
	 * the way out (POSTROUTING); each direction is one FIFO cable. */
	int dir = nfq_get_indev(nfa) != 0 ? 0 : 1;
	/* Random loss (a lossy long-haul link): independent per packet. */
	if (st->o->loss_ppm && splitmix64(&st->rng) % 1000000 < st->o->loss_ppm) {
		st->lost++;
		nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
		return 0;
	}
	int64_t d = (int64_t)st->o->delay_us * 1000;
	if (st->o->jitter_us) {
		uint64_t span = 2ULL * st->o->jitter_us + 1;
		d += ((int64_t)(splitmix64(&st->rng) % span) - (int64_t)st->o->jitter_us) * 1000;
		if (d < 0)
			d = 0;
	}
	uint64_t due = util_mono_ns() + (uint64_t)d;
	if (due < st->last_due[dir])
		due = st->last_due[dir];
	if (lab_delay_heap_push(&st->heap, due, id) != 0) {
		st->dropped++;
		nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
		return 0;
	}
	st->last_due[dir] = due;
	st->queued++;
	if (st->heap.n > st->max_held)
		st->max_held = st->heap.n;
	return 0;
}

static void delay_release_due(struct delay_state *st, uint64_t now, int all)
{
	const struct lab_delay_item *top;
	struct lab_delay_item it;
	while ((top = lab_delay_heap_peek(&st->heap)) && (all || top->due_ns <= now) &&
	       lab_delay_heap_pop(&st->heap, &it) == 0) {
		nfq_set_verdict(st->qh, it.id, NF_ACCEPT, 0, NULL);
		st->passed++;
	}
}

static void delay_write_stats(const struct delay_state *st)
{
	const struct lab_delay_opts *o = st->o;
	if (!o->stats)
		return;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", o->stats);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "pid=%ld\nqueue=%u\ndelay_us=%u\njitter_us=%u\ncapacity=%u\n"
		   "held=%zu\nmax_held=%llu\nqueued=%llu\npassed=%llu\ndropped=%llu\n"
		   "enobufs=%llu\nloss_ppm=%u\nlost=%llu\nupdated=%lld\n",
		(long)getpid(), o->queue, o->delay_us, o->jitter_us, o->capacity,
		st->heap.n, (unsigned long long)st->max_held, (unsigned long long)st->queued,
		(unsigned long long)st->passed, (unsigned long long)st->dropped,
		(unsigned long long)st->enobufs, o->loss_ppm, (unsigned long long)st->lost,
		(long long)time(NULL));
	if (fclose(f) == 0)
		rename(tmp, o->stats); /* atomic: a reader sees the old or the new file */
	else
		unlink(tmp);
}

/* Hold and release until SIGTERM or SIGINT: each packet read from the
 * queue's socket FD of H goes on the heap, each is let go when due, and the
 * counters are written twice a second (and on SIGUSR1). */
static void delay_loop(struct delay_state *st, struct nfq_handle *h, int fd)
{
	/* Messages with COPY_META are small; one page-sized buffer per recv. */
	static char buf[65536] __attribute__((aligned(8)));
	uint64_t next_stats = 0;
	delay_write_stats(st);
	while (!delay_stop) {
		uint64_t now = util_mono_ns();
		delay_release_due(st, now, 0);
		if (now >= next_stats || delay_dump) {
			delay_write_stats(st);
			next_stats = now + 500000000ULL;
			delay_dump = 0;
		}
		const struct lab_delay_item *top = lab_delay_heap_peek(&st->heap);
		uint64_t wait = next_stats - now;
		if (top && top->due_ns - now < wait)
			wait = top->due_ns > now ? top->due_ns - now : 0;
		struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000ULL),
				      .tv_nsec = (long)(wait % 1000000000ULL)};
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int r = ppoll(&pf, 1, &ts, NULL);
		if (r <= 0)
			continue; /* timeout or a signal */
		/* Bounded burst so release times stay honest under load. */
		for (int i = 0; i < 512; i++) {
			ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
			if (got < 0) {
				if (errno == ENOBUFS)
					st->enobufs++;
				break;
			}
			nfq_handle_packet(h, buf, (int)got);
		}
	}
}

int lab_delay_run(const struct lab_delay_opts *o)
{
	struct delay_state st = {.o = o, .rng = o->seed ^ 0xd1b54a32d192ed03ULL};
	if (lab_delay_heap_init(&st.heap, o->capacity) != 0) {
		fprintf(stderr, "dnswatch lab delay: out of memory\n");
		return 1;
	}
	lab_proc_catch(delay_on_signal, (const int[]){SIGTERM, SIGINT, SIGUSR1, 0});
	signal(SIGPIPE, SIG_IGN);

	int rc = 1;
	struct nfq_handle *h = nfq_open();
	if (!h) {
		fprintf(stderr, "dnswatch lab delay: nfq_open: %s\n", strerror(errno));
		goto out;
	}
	st.qh = nfq_create_queue(h, (uint16_t)o->queue, delay_on_packet, &st);
	if (!st.qh) {
		fprintf(stderr, "dnswatch lab delay: cannot bind NFQUEUE %u: %s\n", o->queue,
			strerror(errno));
		goto out_close;
	}
	/* Metadata only: the verdict needs the id, not the payload. */
	if (nfq_set_mode(st.qh, NFQNL_COPY_META, 0) < 0) {
		fprintf(stderr, "dnswatch lab delay: nfq_set_mode: %s\n", strerror(errno));
		goto out_queue;
	}
	/* The kernel's own bound (default 1024) must not be the smaller one,
	 * or the kernel would drop where we would have held. */
	nfq_set_queue_maxlen(st.qh, o->capacity + 1024);
	int fd = nfq_fd(h);
	nfnl_rcvbufsiz(nfq_nfnlh(h), 8u << 20);
	int one = 1;
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	delay_loop(&st, h, fd);
	/* Leaving: let everything held go now rather than have the kernel drop it. */
	delay_release_due(&st, 0, 1);
	delay_write_stats(&st);
	rc = 0;
out_queue:
	nfq_destroy_queue(st.qh);
out_close:
	nfq_close(h);
out:
	lab_delay_heap_free(&st.heap);
	return rc;
}

/* The probe engine's I/O: UDP sockets out, a packet ring in, around the
 * core (see engine.h, core.h and docs/probe.md). */
#include "probe/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/filter.h"
#include "probe/core.h"
#include "probe/shard.h"
#include "util/clock.h"
#include "util/text.h"
#include "wire/msg.h"

#define RING_BLOCK (1u << 20)
#define RING_BLOCKS_MAX 32
#define RING_BLOCKS_MIN 8
#define RING_FRAME 2048u

void probe_config_default(struct probe_config *c)
{
	memset(c, 0, sizeof *c);
	c->qtype[0] = WIRE_T_A;
	c->nqtypes = 1;
	c->rate = 1000;
	c->inflight = 1000;
	c->retries = 2;
	c->timeout_ms = 1000;
	c->hold_ms = 2000;
	c->sockets = 8;
	c->threads = 1;
	c->edns = true;
	c->seed = (uint64_t)time(NULL);
}

/* Queries built and waiting for their socket's sendmmsg. */
struct txq {
	int n;
	uint8_t buf[PROBE_BATCH][PROBE_QUERY_MAX];
	struct iovec iov[PROBE_BATCH];
	struct mmsghdr msg[PROBE_BATCH];
};

struct worker;

struct io {
	const struct probe_config *cfg;
	struct probe_stats *st;
	struct probe_core *core;
	int sock[PROBE_SOCKETS_MAX];
	uint16_t port[PROBE_SOCKETS_MAX];
	struct txq *txq;          /* one per socket */
	/* Each target's address, made once: every query to it points here. */
	struct sockaddr_storage to[PROBE_TARGETS_MAX];
	socklen_t to_len[PROBE_TARGETS_MAX];
	int ring_fd;
	uint8_t *ring;
	unsigned ring_block, ring_blocks;
	bool own_ports;           /* one of several threads: its ring sees replies
				   * to its own sockets' ports only */
	pcap_t *pcap_dead;
	pcap_dumper_t *pcap;      /* --pcap: every packet sent and received */
	pthread_mutex_t *pcap_lock; /* several threads: one file */
	bool pcap_owner;
	uint64_t now_mono;        /* the time of what the core is handling */
	struct worker *w;         /* a thread of a threaded run, or NULL */
};

/* ---- sockets ------------------------------------------------------------ */

static int open_sockets(struct io *io, struct dw_error *err)
{
	/* Whatever reaches these sockets is dropped: replies are read from
	 * the ring. */
	int family = io->cfg->target[0].family;
	for (unsigned i = 0; i < io->cfg->sockets; i++) {
		int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return dw_error_errno(err, "UDP socket");
		io->sock[i] = fd;
		int big = 4 << 20;
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
		if (net_filter_drop_all(fd, err))
			return -1;
		if (io->cfg->ip_ttl) {
			int t = io->cfg->ip_ttl;
			if (family == AF_INET)
				setsockopt(fd, IPPROTO_IP, IP_TTL, &t, sizeof t);
			else
				setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &t, sizeof t);
		}
		struct sockaddr_storage ss = {0};
		socklen_t sl;
		if (family == AF_INET) {
			((struct sockaddr_in *)&ss)->sin_family = AF_INET;
			sl = sizeof(struct sockaddr_in);
		} else {
			((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
			sl = sizeof(struct sockaddr_in6);
		}
		if (bind(fd, (struct sockaddr *)&ss, sl) || getsockname(fd, (struct sockaddr *)&ss, &sl))
			return dw_error_errno(err, "binding a UDP socket");
		io->port[i] = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						      : ((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return 0;
}

static int open_ring(struct io *io, struct dw_error *err)
{
	/* Cooked (SOCK_DGRAM): frames start at the IP header on every link
	 * type, loopback included. Protocol 0 until the filter is on. */
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 && errno == EPERM)
		return dw_error_set(err, DW_E_SYSTEM, "AF_PACKET socket: %s (the prober reads replies with "
				    "their IP header: it needs root or CAP_NET_RAW)", strerror(EPERM));
	if (fd < 0)
		return dw_error_errno(err, "AF_PACKET socket");
	io->ring_fd = fd;
	/* IP fragments too (the later ones have no UDP header for a port to
	 * be read from): the core reassembles them. IPv6: a Fragment header
	 * right after the fixed header. */
	/* Replies come from the targets' own ports (53 or another: a test
	 * resolver, a stub, a proxy); with --pcap the queries going to them
	 * are kept too. */
	/* One of several threads: only the replies to its own sockets' ports
	 * (and, with --pcap, the queries from them); fragments and ICMP go to
	 * every thread, whose core keeps what answers its own queries. */
	char filter[PROBE_TARGETS_MAX * 24 + PROBE_SOCKETS_MAX * 24 + 200];
	size_t n = text_cat(filter, sizeof filter, 0, "((");
	for (int i = 0; i < io->cfg->ntargets; i++) {
		bool seen = false;
		for (int k = 0; k < i; k++)
			seen = seen || io->cfg->target[k].port == io->cfg->target[i].port;
		if (!seen)
			n = text_cat(filter, sizeof filter, n, "%sudp %sport %u", n > 2 ? " or " : "",
				     io->cfg->pcap_path ? "" : "src ", io->cfg->target[i].port);
	}
	if (n == 2)
		n = text_cat(filter, sizeof filter, n, "udp src port 53");
	n = text_cat(filter, sizeof filter, n, ")");
	if (io->own_ports) {
		n = text_cat(filter, sizeof filter, n, " and (");
		for (unsigned i = 0; i < io->cfg->sockets; i++)
			n = text_cat(filter, sizeof filter, n, "%sudp %sport %u", i ? " or " : "",
				     io->cfg->pcap_path ? "" : "dst ", io->port[i]);
		n = text_cat(filter, sizeof filter, n, ")");
	}
	text_cat(filter, sizeof filter, n,
		 ") or icmp or icmp6 or (ip and ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44)");
	if (net_filter_attach(fd, DLT_RAW, filter, err))
		return -1;
	int v = TPACKET_V3, one = 1;
	/* Blocks are handed over when full or after 2 ms: replies wait at most
	 * that long to be read, but their kernel timestamps are exact. */
	struct tpacket_req3 req = {.tp_block_size = RING_BLOCK, .tp_block_nr = io->ring_blocks,
				   .tp_frame_size = RING_FRAME,
				   .tp_frame_nr = RING_BLOCK / RING_FRAME * io->ring_blocks,
				   .tp_retire_blk_tov = 2};
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) ||
	    (!io->cfg->pcap_path &&
	     setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one)))
		return dw_error_errno(err, "packet ring");
	io->ring = mmap(NULL, (size_t)RING_BLOCK * io->ring_blocks, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (io->ring == MAP_FAILED) {
		io->ring = NULL;
		return dw_error_errno(err, "packet ring mmap");
	}
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll))
		return dw_error_errno(err, "packet socket bind");
	return 0;
}

static int open_pcap(struct io *io, struct dw_error *err)
{
	const char *path = io->cfg->pcap_path;
	io->pcap_owner = true;
	io->pcap_dead = pcap_open_dead(DLT_RAW, 65535);
	io->pcap = io->pcap_dead ? pcap_dump_open(io->pcap_dead, path) : NULL;
	if (!io->pcap)
		return dw_error_set(err, io->pcap_dead ? DW_E_IO : DW_E_NOMEM, "%s: %s", path,
				    io->pcap_dead ? pcap_geterr(io->pcap_dead) : "out of memory");
	return 0;
}

static void io_close(struct io *io)
{
	if (io->pcap && io->pcap_owner)
		pcap_dump_close(io->pcap);
	if (io->pcap_dead && io->pcap_owner)
		pcap_close(io->pcap_dead);
	for (unsigned i = 0; i < PROBE_SOCKETS_MAX; i++)
		if (io->sock[i] >= 0)
			close(io->sock[i]);
	if (io->ring)
		munmap(io->ring, (size_t)RING_BLOCK * io->ring_blocks);
	if (io->ring_fd >= 0)
		close(io->ring_fd);
	free(io->txq);
}

/* ---- receiving ---------------------------------------------------------------- */

/* Read every block the kernel has handed over; each packet to the core. */
static void drain_ring(struct io *io)
{
	for (unsigned n = 0; n < io->ring_blocks; n++) {
		struct tpacket_block_desc *b =
			(struct tpacket_block_desc *)(io->ring + (size_t)io->ring_block * RING_BLOCK);
		if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			return;
		uint64_t mono = util_mono_us();
		io->now_mono = mono;
		/* The offsets come from the kernel; still, every one is checked
		 * against the block before it is followed. */
		const uint8_t *base = (const uint8_t *)b;
		size_t off = b->hdr.bh1.offset_to_first_pkt;
		const size_t hdr = TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) + sizeof(struct sockaddr_ll);
		for (uint32_t k = 0; k < b->hdr.bh1.num_pkts && off + hdr <= RING_BLOCK; k++) {
			const uint8_t *pk = base + off;
			const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)pk;
			uint64_t t = (uint64_t)h->tp_sec * 1000000u + h->tp_nsec / 1000u;
			const struct sockaddr_ll *ll =
				(const struct sockaddr_ll *)(pk + TPACKET_ALIGN(sizeof *h));
			if (off + h->tp_net + (size_t)h->tp_snaplen <= RING_BLOCK) {
				if (io->pcap) {
					struct pcap_pkthdr ph = {
						.ts = {(time_t)h->tp_sec, (suseconds_t)(h->tp_nsec / 1000)},
						.caplen = h->tp_snaplen, .len = h->tp_len};
					if (io->pcap_lock)
						pthread_mutex_lock(io->pcap_lock);
					pcap_dump((u_char *)io->pcap, &ph, pk + h->tp_net);
					if (io->pcap_lock)
						pthread_mutex_unlock(io->pcap_lock);
				}
				if (ll->sll_pkttype != PACKET_OUTGOING)
					probe_core_packet(io->core, pk + h->tp_net, h->tp_snaplen, t, mono);
			}
			if (!h->tp_next_offset)
				break;
			off += h->tp_next_offset;
		}
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		io->ring_block = (io->ring_block + 1) % io->ring_blocks;
	}
}

/* ---- sending ---------------------------------------------------------------- */

static void fill_addr(const struct probe_target *t, struct sockaddr_storage *ss, socklen_t *sl)
{
	memset(ss, 0, sizeof *ss);
	if (t->family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(t->port);
		memcpy(&a->sin_addr, t->addr, 4);
		*sl = sizeof *a;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(t->port);
		memcpy(&a->sin6_addr, t->addr, 16);
		*sl = sizeof *a;
	}
}

static void flush_socket(struct io *io, unsigned sock)
{
	struct txq *q = &io->txq[sock];
	int done = 0;
	while (done < q->n) {
		int r = sendmmsg(io->sock[sock], q->msg + done, (unsigned)(q->n - done), 0);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			/* A full buffer or an unreachable target: the rest stay
			 * unanswered and are retransmitted after the timeout. */
			io->st->send_errors += (uint64_t)(q->n - done);
			break;
		}
		done += r;
	}
	q->n = 0;
}

/* The core's send callback: queued on the socket, sent a batch at a time. */
static void io_send(void *ctx, unsigned sock, const struct probe_target *t, const uint8_t *query,
		    size_t len)
{
	struct io *io = ctx;
	struct txq *q = &io->txq[sock];
	/* T is one of the run's targets (the core's configuration is ours). */
	size_t ti = (size_t)(t - io->cfg->target);
	if (ti >= (size_t)io->cfg->ntargets) {
		io->st->send_errors++;
		return;
	}
	if (q->n == PROBE_BATCH)
		flush_socket(io, sock);
	int k = q->n++;
	if (len > sizeof q->buf[k])
		len = sizeof q->buf[k];
	memcpy(q->buf[k], query, len);
	q->iov[k] = (struct iovec){q->buf[k], len};
	q->msg[k] = (struct mmsghdr){.msg_hdr = {.msg_name = &io->to[ti], .msg_namelen = io->to_len[ti],
						 .msg_iov = &q->iov[k], .msg_iovlen = 1}};
}

static void flush_all(struct io *io)
{
	for (unsigned k = 0; k < io->cfg->sockets; k++)
		if (io->txq[k].n)
			flush_socket(io, k);
}

/* ---- the run ------------------------------------------------------------------ */

static int io_open(struct io *io, struct dw_error *err)
{
	io->txq = calloc(io->cfg->sockets, sizeof *io->txq);
	if (!io->txq)
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	for (int i = 0; i < io->cfg->ntargets; i++)
		fill_addr(&io->cfg->target[i], &io->to[i], &io->to_len[i]);
	/* The sockets first: a thread's ring filter names their ports. */
	if (open_sockets(io, err) || open_ring(io, err))
		return -1;
	if (io->cfg->pcap_path && !io->pcap && open_pcap(io, err))
		return -1;
	return 0;
}

/* A thread of a threaded run (probe_run with cfg->threads > 1). */
struct worker {
	struct io io;
	struct probe_config cfg;  /* the run's, with the thread's share */
	struct probe_stats st;
	struct probe_hooks hooks; /* the thread's own: its queues */
	struct probe_spsc in;     /* names from the reading thread (struct feed_item) */
	struct probe_bytes out;   /* finished queries to it (done records) */
	uint64_t handed;          /* records pushed on out (the thread's own) */
	_Atomic uint64_t mark;    /* watermark (shard.h); PROBE_MERGE_DONE at the end */
	_Atomic bool input_end;   /* no more names will come */
	_Atomic int *stop;        /* the run's: set by the reading thread */
	uint32_t skip_mask;       /* of the name the core just took: targets to skip */
	pthread_t thread;
	bool started;
};

/* Whether the run is to stop: the caller's flag, a hook, or (a thread of a
 * threaded run) the reading thread. */
static bool io_stopping(const struct io *io)
{
	const struct probe_config *cfg = io->cfg;
	return (cfg->stop && *cfg->stop) || probe_core_stopped(io->core) ||
	       (io->w && atomic_load_explicit(io->w->stop, memory_order_relaxed));
}

/* Turns of the core and waits for packets, until the input is done, the
 * caller's stop flag is set or a hook asks to stop. */
static void io_loop(struct io *io, const struct probe_hooks *hooks)
{
	uint64_t start = util_mono_us(), next_progress = start + 1000000;
	for (;;) {
		uint64_t now = util_mono_us();
		io->now_mono = now;
		if (io_stopping(io))
			break;
		probe_core_turn(io->core, now, util_real_us());
		flush_all(io);
		if (probe_core_finished(io->core))
			break;
		if (hooks->progress && now >= next_progress) {
			io->st->in_flight = probe_core_in_flight(io->core);
			hooks->progress(hooks->ctx, io->st, now - start, false);
			next_progress = now + 1000000;
		}
		/* Busy sending: the ring's blocks are read without a system call
		 * (their status is in shared memory). Else sleep until a block of
		 * replies, or until the next token. */
		uint64_t wait_us = probe_core_wait_us(io->core);
		if (wait_us) {
			struct pollfd pf = {io->ring_fd, POLLIN, 0};
			struct timespec ts = {0, (long)wait_us * 1000};
			ppoll(&pf, 1, &ts, NULL);
		}
		drain_ring(io);
		/* Everything finished so far is queued: what comes later is
		 * finished after this time. */
		if (io->w)
			atomic_store_explicit(&io->w->mark, util_mono_us(), memory_order_release);
	}
	io->st->in_flight = probe_core_in_flight(io->core);
	if (hooks->progress)
		hooks->progress(hooks->ctx, io->st, util_mono_us() - start, true);
}

static void run_stats(struct io *io)
{
	struct tpacket_stats_v3 ks;
	socklen_t kl = sizeof ks;
	if (getsockopt(io->ring_fd, SOL_PACKET, PACKET_STATISTICS, &ks, &kl) == 0)
		io->st->ring_drops = ks.tp_drops;
}

static void io_init(struct io *io, const struct probe_config *cfg, struct probe_stats *st)
{
	io->cfg = cfg;
	io->st = st;
	io->ring_fd = -1;
	io->ring_blocks = RING_BLOCKS_MAX;
	for (unsigned i = 0; i < PROBE_SOCKETS_MAX; i++)
		io->sock[i] = -1;
}

static int probe_run_threads(const struct probe_config *cfg, const struct probe_hooks *hooks,
			     struct probe_stats *st, struct dw_error *err);

int probe_run(const struct probe_config *cfg, const struct probe_hooks *hooks,
	      struct probe_stats *st, struct dw_error *err)
{
	if (cfg->threads > 1)
		return probe_run_threads(cfg, hooks, st, err);
	struct io *io = calloc(1, sizeof *io);
	int rc = -1;
	memset(st, 0, sizeof *st);
	if (!io)
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	io_init(io, cfg, st);
	if (probe_core_check(cfg, hooks, err) || io_open(io, err))
		goto out;
	io->core = probe_core_new(cfg, io->port, hooks, io_send, io, st, util_mono_us(), err);
	if (!io->core)
		goto out;
	io_loop(io, hooks);
	run_stats(io);
	const struct dw_error *in = probe_core_input_error(io->core);
	if (in) {
		if (err)
			*err = *in;
		goto out; /* the input failed: the run did not get through it */
	}
	rc = 0;
out:
	probe_core_free(io->core);
	io_close(io);
	free(io);
	return rc;
}

/* ---- several threads ------------------------------------------------------------- */

/* A name on its way to its thread. */
struct feed_item {
	uint64_t seq, tag;
	uint32_t line;
	uint32_t skip_mask;       /* bit t: target t is done already (resume) */
	uint8_t name[WIRE_NAME_MAX];
};

/* A finished query on its way back, a done record: when it finished
 * (monotonic, 8 bytes), then the result packed (probe_result_pack). */
#define DONE_RECORD_MAX (sizeof(uint64_t) + PROBE_RESULT_PACKED_MAX)

#define FEED_QUEUE 1024
/* Bytes of done records a thread may run ahead of the reading thread:
 * ~2,000 typical results, and always at least 4 of the longest. */
#define DONE_QUEUE (1u << 20)
/* Names the reading thread hands out, and results it takes, in one go. */
#define READER_BURST 512
#define READER_IDLE_NS 100000

static int w_next(void *ctx, uint8_t name[WIRE_NAME_MAX], uint32_t *line, uint64_t *tag,
		  struct dw_error *err)
{
	struct worker *w = ctx;
	(void)err;
	struct feed_item *f = probe_spsc_peek(&w->in);
	if (!f) {
		/* The end flag is set after the last name was queued: read it
		 * first, then look at the queue once more. */
		if (!atomic_load_explicit(&w->input_end, memory_order_acquire))
			return PROBE_NEXT_LATER;
		f = probe_spsc_peek(&w->in);
		if (!f)
			return 0;
	}
	memcpy(name, f->name, wire_name_len(f->name, WIRE_NAME_MAX));
	*line = f->line;
	*tag = f->tag;
	w->skip_mask = f->skip_mask;
	probe_core_set_next_seq(w->io.core, f->seq);
	probe_spsc_pop(&w->in);
	return 1;
}

static bool w_skip(void *ctx, uint64_t seq, unsigned target)
{
	struct worker *w = ctx;
	(void)seq;
	return (w->skip_mask >> target) & 1u;
}

static int w_result(void *ctx, struct probe_result *r)
{
	struct worker *w = ctx;
	uint8_t *d;
	/* A full queue: the reading thread is behind; wait for it (unless the
	 * run is stopping, when nobody will take it). */
	while (!(d = probe_bytes_reserve(&w->out, DONE_RECORD_MAX))) {
		if (atomic_load_explicit(w->stop, memory_order_relaxed))
			return 1;
		struct timespec ts = {0, 50000};
		nanosleep(&ts, NULL);
	}
	memcpy(d, &w->io.now_mono, sizeof(uint64_t));
	probe_bytes_push(&w->out, sizeof(uint64_t) + probe_result_pack(r, d + sizeof(uint64_t)));
	w->handed++;
	return 0;
}

static void *w_main(void *arg)
{
	struct worker *w = arg;
	io_loop(&w->io, &w->hooks);
	run_stats(&w->io);
	atomic_store_explicit(&w->mark, PROBE_MERGE_DONE, memory_order_release);
	return NULL;
}

/* The reading thread's share of a run: names in, results out. */
struct reader {
	const struct probe_config *cfg;
	const struct probe_hooks *hooks;
	struct worker *w;
	unsigned n;
	_Atomic int stop;
	uint64_t seq;             /* names handed out */
	bool input_end, input_failed, have;
	struct dw_error input_err;
	struct feed_item next;    /* a name read whose thread's queue was full */
	unsigned next_shard;
	uint64_t bad_names, delivered;
	uint64_t taken[PROBE_THREADS_MAX]; /* records taken from each thread's queue */
	/* The merge's view of each queue (shard.h): its head's finish time and
	 * its thread's watermark, read again only when they may have moved. */
	uint64_t head[PROBE_THREADS_MAX], mark[PROBE_THREADS_MAX];
	struct probe_result cur;  /* the result being handed on, unpacked */
};

static void end_input(struct reader *rd)
{
	rd->input_end = true;
	for (unsigned i = 0; i < rd->n; i++)
		atomic_store_explicit(&rd->w[i].input_end, true, memory_order_release);
}

/* Names to their threads while their queues have room. Returns whether
 * any went. */
static bool feed(struct reader *rd)
{
	const struct probe_hooks *h = rd->hooks;
	bool any = false;
	for (unsigned k = 0; k < READER_BURST && !rd->input_end; k++) {
		if (!rd->have) {
			struct feed_item *f = &rd->next;
			f->line = 0;
			f->tag = 0;
			int r = h->next(h->ctx, f->name, &f->line, &f->tag, &rd->input_err);
			if (r == PROBE_NEXT_LATER)
				break;
			if (r <= 0) {
				rd->input_failed = r < 0;
				if (r < 0 && rd->input_err.status == DW_OK)
					dw_error_set(&rd->input_err, DW_E_IO, "the names callback failed");
				end_input(rd);
				break;
			}
			if (!wire_name_len(f->name, WIRE_NAME_MAX)) {
				rd->bad_names++;
				continue;
			}
			rd->have = true;
			rd->next_shard = probe_shard(f->name, rd->n);
		}
		struct worker *w = &rd->w[rd->next_shard];
		struct feed_item *slot = probe_spsc_write_slot(&w->in);
		if (!slot)
			break;
		/* Numbered here, in the input's order, as one thread would; the
		 * skip hook asked here, on the caller's thread. */
		struct feed_item *f = &rd->next;
		f->seq = rd->seq++;
		f->skip_mask = 0;
		for (int t = 0; t < rd->cfg->ntargets; t++)
			if (h->skip && h->skip(h->ctx, f->seq, (unsigned)t))
				f->skip_mask |= 1u << t;
		memcpy(slot, f, offsetof(struct feed_item, name) + wire_name_len(f->name, WIRE_NAME_MAX));
		probe_spsc_push(&w->in);
		rd->have = false;
		any = true;
	}
	return any;
}

/* Thread I's queue looked at again: its head's time, or if it is empty
 * its watermark, read before the queue was found empty (shard.h). */
static void look(struct reader *rd, unsigned i)
{
	size_t n;
	const uint8_t *d = probe_bytes_peek(&rd->w[i].out, &n);
	if (!d) {
		rd->mark[i] = atomic_load_explicit(&rd->w[i].mark, memory_order_acquire);
		d = probe_bytes_peek(&rd->w[i].out, &n);
	}
	if (d)
		memcpy(&rd->head[i], d, sizeof(uint64_t));
	else
		rd->head[i] = PROBE_MERGE_EMPTY;
}

/* Finished queries to the caller, merged in the order they finished.
 * Returns how many went; sets rd->stop if the result hook asked. */
static unsigned deliver(struct reader *rd)
{
	unsigned done = 0;
	for (unsigned i = 0; i < rd->n; i++)
		if (rd->head[i] == PROBE_MERGE_EMPTY)
			look(rd, i);
	while (done < READER_BURST && !atomic_load(&rd->stop)) {
		int k = probe_merge_pick(rd->head, rd->mark, rd->n);
		if (k < 0) {
			/* An empty queue's watermark may have moved on since. */
			bool moved = false;
			for (unsigned i = 0; i < rd->n; i++)
				if (rd->head[i] == PROBE_MERGE_EMPTY) {
					uint64_t was = rd->mark[i];
					look(rd, i);
					moved |= rd->head[i] != PROBE_MERGE_EMPTY || rd->mark[i] != was;
				}
			if (!moved || (k = probe_merge_pick(rd->head, rd->mark, rd->n)) < 0)
				break;
		}
		size_t n;
		const uint8_t *d = probe_bytes_peek(&rd->w[k].out, &n);
		probe_result_unpack(d + sizeof(uint64_t), &rd->cur);
		probe_bytes_pop(&rd->w[k].out);
		rd->taken[k]++;
		look(rd, (unsigned)k);
		rd->delivered++;
		if (rd->hooks->result && rd->hooks->result(rd->hooks->ctx, &rd->cur))
			atomic_store(&rd->stop, 1);
		done++;
	}
	return done;
}

static bool all_done(struct reader *rd)
{
	for (unsigned i = 0; i < rd->n; i++)
		if (atomic_load_explicit(&rd->w[i].mark, memory_order_acquire) != PROBE_MERGE_DONE ||
		    probe_bytes_peek(&rd->w[i].out, &(size_t){0}))
			return false;
	return true;
}

/* The threads' counters added up into ST (the caller's verdicts kept). */
static void sum_stats(struct reader *rd, struct probe_stats *st)
{
	uint64_t verdicts[VERDICT_COUNT];
	memcpy(verdicts, st->verdicts, sizeof verdicts);
	memset(st, 0, sizeof *st);
	memcpy(st->verdicts, verdicts, sizeof verdicts);
	for (unsigned i = 0; i < rd->n; i++) {
		const struct probe_stats *s = &rd->w[i].st;
		st->names += s->names;
		st->queries += s->queries;
		st->sent += s->sent;
		st->retransmits += s->retransmits;
		st->send_errors += s->send_errors;
		st->replies += s->replies;
		st->unmatched += s->unmatched;
		st->skipped += s->skipped;
		st->in_flight += s->in_flight;
		st->ring_drops += s->ring_drops;
		if (s->sent && (!st->first_sent_us || s->first_sent_us < st->first_sent_us))
			st->first_sent_us = s->first_sent_us;
		if (s->last_sent_us > st->last_sent_us)
			st->last_sent_us = s->last_sent_us;
		st->frag_replies += s->frag_replies;
		/* Every thread sees every fragment: the first one's count. */
		if (i == 0) {
			st->fragments = s->fragments;
			st->frag_reassembled = s->frag_reassembled;
			st->frag_expired = s->frag_expired;
			st->frag_rejected = s->frag_rejected;
		}
		/* Finished but not handed on (the run stopped): dropped too. */
		st->in_flight += rd->w[i].handed - rd->taken[i];
	}
	st->bad_names = rd->bad_names;
	st->done = rd->delivered;
	st->input_failed = rd->input_failed;
}

/* The reading thread: names out and results in, until the threads are done
 * or the run stops. */
static void reader_loop(struct reader *rd, struct probe_stats *st)
{
	const struct probe_config *cfg = rd->cfg;
	uint64_t start = util_mono_us(), next_progress = start + 1000000;
	for (;;) {
		if (cfg->stop && *cfg->stop)
			atomic_store(&rd->stop, 1);
		if (atomic_load(&rd->stop))
			break;
		bool busy = feed(rd);
		busy |= deliver(rd) > 0;
		if (atomic_load(&rd->stop))
			break;
		if (rd->input_end && all_done(rd))
			break;
		uint64_t now = util_mono_us();
		if (rd->hooks->progress && now >= next_progress) {
			/* The reading thread's own counters: the threads' are
			 * theirs until they end. */
			st->names = rd->seq;
			st->done = rd->delivered;
			st->in_flight = 0;
			rd->hooks->progress(rd->hooks->ctx, st, now - start, false);
			next_progress = now + 1000000;
		}
		if (!busy) {
			struct timespec ts = {0, READER_IDLE_NS};
			nanosleep(&ts, NULL);
		}
	}
}

static int probe_run_threads(const struct probe_config *cfg, const struct probe_hooks *hooks,
			     struct probe_stats *st, struct dw_error *err)
{
	memset(st, 0, sizeof *st);
	if (probe_core_check(cfg, hooks, err))
		return -1;
	if (cfg->threads > PROBE_THREADS_MAX)
		return dw_error_set(err, DW_E_INVALID, "at most %d threads", PROBE_THREADS_MAX);
	unsigned n = cfg->threads;
	struct reader *rd = calloc(1, sizeof *rd);
	struct worker *w = calloc(n, sizeof *w);
	pthread_mutex_t pcap_lock = PTHREAD_MUTEX_INITIALIZER;
	uint64_t start_us = 0;
	int rc = -1;
	if (!rd || !w) {
		free(rd);
		free(w);
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	}
	*rd = (struct reader){.cfg = cfg, .hooks = hooks, .w = w, .n = n};
	atomic_init(&rd->stop, 0);
	for (unsigned i = 0; i < n; i++)
		rd->head[i] = PROBE_MERGE_EMPTY; /* not looked at yet */
	/* Each thread: the run's configuration with its share of the rate and
	 * of the cap, its own seed, sockets, ring and core. Opened here, so
	 * that a run that cannot start says so before any thread runs. */
	for (unsigned i = 0; i < n; i++) {
		struct worker *x = &w[i];
		x->cfg = *cfg;
		x->cfg.threads = 1;
		x->cfg.stop = NULL;
		x->cfg.rate = cfg->rate / n;
		x->cfg.inflight = (cfg->inflight + n - 1) / n;
		x->cfg.seed = cfg->seed + 0x9E3779B97F4A7C15ull * i;
		x->stop = &rd->stop;
		atomic_init(&x->mark, 0);
		atomic_init(&x->input_end, false);
		io_init(&x->io, &x->cfg, &x->st);
		x->io.w = x;
		x->io.own_ports = true;
		x->io.ring_blocks = 64 / n < RING_BLOCKS_MIN ? RING_BLOCKS_MIN
			: 64 / n > RING_BLOCKS_MAX ? RING_BLOCKS_MAX : 64 / n;
		x->hooks = (struct probe_hooks){.next = w_next, .skip = w_skip, .result = w_result, .ctx = x};
		if (i > 0 && cfg->pcap_path) {
			x->io.pcap = w[0].io.pcap;
			x->io.pcap_lock = &pcap_lock;
		}
		if (i == 0 && cfg->pcap_path)
			x->io.pcap_lock = &pcap_lock;
		if (probe_spsc_init(&x->in, FEED_QUEUE, sizeof(struct feed_item)) ||
		    probe_bytes_init(&x->out, DONE_QUEUE)) {
			dw_error_set(err, DW_E_NOMEM, "out of memory");
			goto out;
		}
		if (io_open(&x->io, err))
			goto out;
		x->io.core = probe_core_new(&x->cfg, x->io.port, &x->hooks, io_send, &x->io, &x->st,
					    util_mono_us(), err);
		if (!x->io.core)
			goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		if (pthread_create(&w[i].thread, NULL, w_main, &w[i])) {
			atomic_store(&rd->stop, 1);
			dw_error_set(err, DW_E_SYSTEM, "starting prober thread %u", i);
			goto out;
		}
		w[i].started = true;
	}
	start_us = util_mono_us();
	reader_loop(rd, st);
	rc = 0;
out:
	if (rc)
		atomic_store(&rd->stop, 1);
	for (unsigned i = 0; i < n; i++)
		if (w[i].started)
			pthread_join(w[i].thread, NULL);
	sum_stats(rd, st);
	if (!rc && rd->input_failed) {
		if (err)
			*err = rd->input_err;
		rc = -1;
	}
	for (unsigned i = 0; i < n; i++) {
		probe_core_free(w[i].io.core);
		io_close(&w[i].io);
		probe_spsc_free(&w[i].in);
		probe_bytes_free(&w[i].out);
	}
	if (hooks->progress && !rc)
		hooks->progress(hooks->ctx, st, util_mono_us() - start_us, true);
	free(rd);
	free(w);
	return rc;
}

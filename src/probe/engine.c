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
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/filter.h"
#include "probe/core.h"
#include "util/clock.h"
#include "util/text.h"
#include "wire/msg.h"

#define RING_BLOCK (1u << 20)
#define RING_BLOCKS 32
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
	c->edns = true;
	c->seed = (uint64_t)time(NULL);
}

/* Queries built and waiting for their socket's sendmmsg. */
struct txq {
	int n;
	uint8_t buf[PROBE_BATCH][PROBE_QUERY_MAX];
	struct iovec iov[PROBE_BATCH];
	struct sockaddr_storage to[PROBE_BATCH];
	struct mmsghdr msg[PROBE_BATCH];
};

struct io {
	const struct probe_config *cfg;
	struct probe_stats *st;
	struct probe_core *core;
	int sock[PROBE_SOCKETS_MAX];
	uint16_t port[PROBE_SOCKETS_MAX];
	struct txq *txq;          /* one per socket */
	int ring_fd;
	uint8_t *ring;
	unsigned ring_block;
	pcap_t *pcap_dead;
	pcap_dumper_t *pcap;      /* --pcap: every packet sent and received */
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
	char filter[PROBE_TARGETS_MAX * 24 + 160];
	size_t n = text_cat(filter, sizeof filter, 0, "(");
	for (int i = 0; i < io->cfg->ntargets; i++) {
		bool seen = false;
		for (int k = 0; k < i; k++)
			seen = seen || io->cfg->target[k].port == io->cfg->target[i].port;
		if (!seen)
			n = text_cat(filter, sizeof filter, n, "%sudp %sport %u", n > 1 ? " or " : "",
				     io->cfg->pcap_path ? "" : "src ", io->cfg->target[i].port);
	}
	if (n == 1)
		n = text_cat(filter, sizeof filter, n, "udp src port 53");
	text_cat(filter, sizeof filter, n,
		 ") or icmp or icmp6 or (ip and ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44)");
	if (net_filter_attach(fd, DLT_RAW, filter, err))
		return -1;
	int v = TPACKET_V3, one = 1;
	/* Blocks are handed over when full or after 2 ms: replies wait at most
	 * that long to be read, but their kernel timestamps are exact. */
	struct tpacket_req3 req = {.tp_block_size = RING_BLOCK, .tp_block_nr = RING_BLOCKS,
				   .tp_frame_size = RING_FRAME,
				   .tp_frame_nr = RING_BLOCK / RING_FRAME * RING_BLOCKS,
				   .tp_retire_blk_tov = 2};
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) ||
	    (!io->cfg->pcap_path &&
	     setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one)))
		return dw_error_errno(err, "packet ring");
	io->ring = mmap(NULL, (size_t)RING_BLOCK * RING_BLOCKS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
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
	io->pcap_dead = pcap_open_dead(DLT_RAW, 65535);
	io->pcap = io->pcap_dead ? pcap_dump_open(io->pcap_dead, path) : NULL;
	if (!io->pcap)
		return dw_error_set(err, io->pcap_dead ? DW_E_IO : DW_E_NOMEM, "%s: %s", path,
				    io->pcap_dead ? pcap_geterr(io->pcap_dead) : "out of memory");
	return 0;
}

static void io_close(struct io *io)
{
	if (io->pcap)
		pcap_dump_close(io->pcap);
	if (io->pcap_dead)
		pcap_close(io->pcap_dead);
	for (unsigned i = 0; i < PROBE_SOCKETS_MAX; i++)
		if (io->sock[i] >= 0)
			close(io->sock[i]);
	if (io->ring)
		munmap(io->ring, (size_t)RING_BLOCK * RING_BLOCKS);
	if (io->ring_fd >= 0)
		close(io->ring_fd);
	free(io->txq);
}

/* ---- receiving ---------------------------------------------------------------- */

/* Read every block the kernel has handed over; each packet to the core. */
static void drain_ring(struct io *io)
{
	for (unsigned n = 0; n < RING_BLOCKS; n++) {
		struct tpacket_block_desc *b =
			(struct tpacket_block_desc *)(io->ring + (size_t)io->ring_block * RING_BLOCK);
		if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			return;
		uint64_t mono = util_mono_us();
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
					pcap_dump((u_char *)io->pcap, &ph, pk + h->tp_net);
				}
				if (ll->sll_pkttype != PACKET_OUTGOING)
					probe_core_packet(io->core, pk + h->tp_net, h->tp_snaplen, t, mono);
			}
			if (!h->tp_next_offset)
				break;
			off += h->tp_next_offset;
		}
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		io->ring_block = (io->ring_block + 1) % RING_BLOCKS;
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
	if (q->n == PROBE_BATCH)
		flush_socket(io, sock);
	int k = q->n++;
	if (len > sizeof q->buf[k])
		len = sizeof q->buf[k];
	memcpy(q->buf[k], query, len);
	socklen_t tl;
	fill_addr(t, &q->to[k], &tl);
	q->iov[k] = (struct iovec){q->buf[k], len};
	q->msg[k] = (struct mmsghdr){.msg_hdr = {.msg_name = &q->to[k], .msg_namelen = tl,
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
	if (open_ring(io, err) || open_sockets(io, err))
		return -1;
	if (io->cfg->pcap_path && open_pcap(io, err))
		return -1;
	return 0;
}

/* Turns of the core and waits for packets, until the input is done, the
 * caller's stop flag is set or a hook asks to stop. */
static void io_loop(struct io *io, const struct probe_hooks *hooks)
{
	const struct probe_config *cfg = io->cfg;
	uint64_t start = util_mono_us(), next_progress = start + 1000000;
	for (;;) {
		uint64_t now = util_mono_us();
		if ((cfg->stop && *cfg->stop) || probe_core_stopped(io->core))
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
	}
	io->st->in_flight = probe_core_in_flight(io->core);
	if (hooks->progress)
		hooks->progress(hooks->ctx, io->st, util_mono_us() - start, true);
}

int probe_run(const struct probe_config *cfg, const struct probe_hooks *hooks,
	      struct probe_stats *st, struct dw_error *err)
{
	struct io *io = calloc(1, sizeof *io);
	int rc = -1;
	memset(st, 0, sizeof *st);
	if (!io)
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	io->cfg = cfg;
	io->st = st;
	io->ring_fd = -1;
	for (unsigned i = 0; i < PROBE_SOCKETS_MAX; i++)
		io->sock[i] = -1;
	if (probe_core_check(cfg, hooks, err) || io_open(io, err))
		goto out;
	io->core = probe_core_new(cfg, io->port, hooks, io_send, io, st, util_mono_us(), err);
	if (!io->core)
		goto out;
	io_loop(io, hooks);
	struct tpacket_stats_v3 ks;
	socklen_t kl = sizeof ks;
	if (getsockopt(io->ring_fd, SOL_PACKET, PACKET_STATISTICS, &ks, &kl) == 0)
		st->ring_drops = ks.tp_drops;
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

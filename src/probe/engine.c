/* The probe engine (see engine.h and docs/probe.md). */
#include "probe/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/filter.h"
#include "net/packet.h"
#include "probe/reply.h"
#include "util/clock.h"
#include "util/rand.h"
#include "wire/build.h"
#include "wire/msg.h"

#define SOCKETS_MAX 64
#define BATCH 64
#define RING_BLOCK (1u << 20)
#define RING_BLOCKS 32
#define RING_FRAME 2048u
#define NIL (-1)

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

/* ---- input -------------------------------------------------------------- */

const char *probe_name_check(const char *text, uint8_t *name)
{
	for (const char *p = text; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return "bad character (letters, digits, '-', '_' and '.' only)";
	size_t wl;
	enum dw_status st = wire_name_from_text(text, name, &wl);
	if (st)
		return st == DW_E_BAD_TEXT ? "empty label" : dw_strerror(st);
	return NULL;
}

int probe_names_next(struct probe_names *n, uint8_t *name, uint32_t *line)
{
	char buf[1100];
	while (fgets(buf, sizeof buf, n->in)) {
		n->line++;
		size_t len = strlen(buf);
		if (len == sizeof buf - 1 && buf[len - 1] != '\n') {
			/* Longer than any name could be: skip the rest of it. */
			int c;
			while ((c = fgetc(n->in)) != EOF && c != '\n')
				;
			fprintf(stderr, "%s:%lu: line too long for a domain name, skipped\n", n->label, n->line);
			n->invalid++;
			continue;
		}
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		char *s = buf;
		while (*s == ' ' || *s == '\t')
			s++;
		char *e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*s)
			continue;
		const char *why = probe_name_check(s, name);
		if (why) {
			fprintf(stderr, "%s:%lu: invalid name '%.80s': %s, skipped\n", n->label, n->line, s, why);
			n->invalid++;
			continue;
		}
		*line = (uint32_t)n->line;
		n->seq++;
		return 1;
	}
	return ferror(n->in) ? -1 : 0;
}

/* ---- state ---------------------------------------------------------------- */

enum slot_list { L_FREE, L_PENDING, L_WAITING, L_HOLDING };

struct slot {
	int32_t prev, next;
	uint8_t list;
	uint8_t sock;
	uint8_t attempts;
	uint8_t nreplies;
	uint16_t target, qtype, id, replies_seen;
	uint32_t line;
	uint64_t seq;
	uint64_t sent_us;      /* first transmission, realtime */
	uint64_t tx_mono;      /* last transmission, monotonic */
	uint64_t tx_real;      /* last transmission, realtime (for round-trip times) */
	uint64_t reply_mono;   /* first reply, monotonic */
	int32_t reply[PROBE_REPLIES_MAX]; /* indexes into the reply pool */
	uint8_t qname[WIRE_NAME_MAX];
};

struct list {
	int32_t head, tail;
	uint32_t count;
};

struct engine {
	const struct probe_config *cfg;
	struct probe_names *names;
	const struct probe_hooks *hooks;
	struct probe_stats *st;
	struct slot *slot;
	uint32_t nslots;
	uint32_t fresh;        /* slots [fresh, nslots) never used yet: handed out
				* lazily, so memory is touched only as it is needed */
	struct list free_, waiting, holding;
	struct list pending[PROBE_TARGETS_MAX];
	uint32_t awaiting[PROBE_TARGETS_MAX]; /* sent, no reply yet */
	struct probe_reply *pool;
	int32_t *pool_free;
	uint32_t npool, pool_top;
	int sock[SOCKETS_MAX];
	uint16_t port[SOCKETS_MAX];
	int8_t *port_sock;     /* 65536: local port -> socket index, -1 */
	int32_t *id_slot;      /* sockets x 65536: DNS ID -> slot, NIL */
	int ring_fd;
	pcap_t *pcap_dead;
	pcap_dumper_t *pcap;      /* --pcap: every packet sent and received */
	uint8_t *ring;
	unsigned ring_block;
	uint64_t rng;
	struct probe_result result; /* the one handed to the hook */
	struct txq *txq;            /* one per socket */
	bool input_done;
	int stop;
	double tokens;
	uint64_t token_mono;
	unsigned next_target;
	uint64_t assigned;          /* queries given a socket so far */
};

static volatile sig_atomic_t probe_signalled;
static void on_signal(int sig)
{
	(void)sig;
	probe_signalled = 1;
}

static uint64_t rnd(struct engine *e)
{
	return splitmix64(&e->rng);
}

static void list_push(struct engine *e, struct list *l, int32_t i, enum slot_list which)
{
	struct slot *s = &e->slot[i];
	s->list = (uint8_t)which;
	s->next = NIL;
	s->prev = l->tail;
	if (l->tail != NIL)
		e->slot[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
	l->count++;
}

static void list_remove(struct engine *e, struct list *l, int32_t i)
{
	struct slot *s = &e->slot[i];
	if (s->prev != NIL)
		e->slot[s->prev].next = s->next;
	else
		l->head = s->next;
	if (s->next != NIL)
		e->slot[s->next].prev = s->prev;
	else
		l->tail = s->prev;
	l->count--;
}

static struct list *list_of(struct engine *e, int32_t i)
{
	struct slot *s = &e->slot[i];
	switch (s->list) {
	case L_PENDING: return &e->pending[s->target];
	case L_WAITING: return &e->waiting;
	case L_HOLDING: return &e->holding;
	default: return &e->free_;
	}
}

static void move(struct engine *e, int32_t i, enum slot_list to)
{
	list_remove(e, list_of(e, i), i);
	list_push(e, to == L_PENDING ? &e->pending[e->slot[i].target]
		     : to == L_WAITING ? &e->waiting
		     : to == L_HOLDING ? &e->holding : &e->free_, i, to);
}

static uint32_t slots_available(const struct engine *e)
{
	return e->free_.count + (e->nslots - e->fresh);
}

/* A slot for a new query (slots_available() must be non-zero). */
static int32_t slot_take(struct engine *e)
{
	if (e->free_.count) {
		int32_t i = e->free_.head;
		list_remove(e, &e->free_, i);
		return i;
	}
	return (int32_t)e->fresh++;
}

/* ---- sockets ------------------------------------------------------------ */

static int open_sockets(struct engine *e, char *err, size_t errcap)
{
	/* Whatever reaches these sockets is dropped: replies are read from
	 * the ring. */
	int family = e->cfg->target[0].family;
	for (unsigned i = 0; i < e->cfg->sockets; i++) {
		int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(err, errcap, "UDP socket: %s", strerror(errno));
			return -1;
		}
		e->sock[i] = fd;
		int big = 4 << 20;
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
		struct dw_error fe;
		if (net_filter_drop_all(fd, &fe))
			return dw_error_copy(&fe, err, errcap);
		if (e->cfg->ip_ttl) {
			int t = e->cfg->ip_ttl;
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
		if (bind(fd, (struct sockaddr *)&ss, sl) || getsockname(fd, (struct sockaddr *)&ss, &sl)) {
			snprintf(err, errcap, "binding a UDP socket: %s", strerror(errno));
			return -1;
		}
		e->port[i] = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						     : ((struct sockaddr_in6 *)&ss)->sin6_port);
		e->port_sock[e->port[i]] = (int8_t)i;
	}
	return 0;
}

static int open_ring(struct engine *e, char *err, size_t errcap)
{
	/* Cooked (SOCK_DGRAM): frames start at the IP header on every link
	 * type, loopback included. Protocol 0 until the filter is on. */
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errcap, "AF_PACKET socket: %s%s", strerror(errno),
			 errno == EPERM ? " (the prober reads replies with their IP header: it needs root or CAP_NET_RAW)" : "");
		return -1;
	}
	e->ring_fd = fd;
	/* With --pcap the queries going out are wanted too. */
	const char *filter = e->cfg->pcap_path ? "udp port 53 or icmp or icmp6"
					       : "udp src port 53 or icmp or icmp6";
	struct dw_error fe;
	if (net_filter_attach(fd, DLT_RAW, filter, &fe))
		return dw_error_copy(&fe, err, errcap);
	int v = TPACKET_V3, one = 1;
	/* Blocks are handed over when full or after 2 ms: replies wait at most
	 * that long to be read, but their kernel timestamps are exact. */
	struct tpacket_req3 req = {.tp_block_size = RING_BLOCK, .tp_block_nr = RING_BLOCKS,
				   .tp_frame_size = RING_FRAME,
				   .tp_frame_nr = RING_BLOCK / RING_FRAME * RING_BLOCKS,
				   .tp_retire_blk_tov = 2};
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) ||
	    (!e->cfg->pcap_path &&
	     setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one))) {
		snprintf(err, errcap, "packet ring: %s", strerror(errno));
		return -1;
	}
	e->ring = mmap(NULL, (size_t)RING_BLOCK * RING_BLOCKS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (e->ring == MAP_FAILED) {
		e->ring = NULL;
		snprintf(err, errcap, "packet ring mmap: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll)) {
		snprintf(err, errcap, "packet socket bind: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- queries -------------------------------------------------------------- */

static size_t build_query(struct engine *e, const struct slot *s, uint8_t *buf, size_t cap)
{
	const struct probe_target *t = &e->cfg->target[s->target];
	return wire_build_query(buf, cap, s->id, s->qname, s->qtype, t->kind != TARGET_AUTH,
				e->cfg->edns ? 1232 : 0);
}

/*
 * A socket and a random ID free on it. Sockets take turns a batch at a time,
 * so that one sendmmsg carries a whole batch; the ports still vary. The
 * engine never holds more queries than three quarters of all sockets' IDs
 * (probe_run sizes it so), so a free ID exists: a few random tries on the
 * socket whose turn it is find one almost always; otherwise the next
 * sockets are tried, and a scan is the bounded last resort.
 */
static void assign_id(struct engine *e, int32_t i)
{
	struct slot *s = &e->slot[i];
	unsigned first = (unsigned)((e->assigned++ / BATCH) % e->cfg->sockets);
	for (unsigned k = 0; k < e->cfg->sockets; k++) {
		unsigned sock = (first + k) % e->cfg->sockets;
		int32_t *ids = &e->id_slot[(size_t)sock * 65536];
		for (int tries = 0; tries < 16; tries++) {
			uint16_t id = (uint16_t)rnd(e);
			if (ids[id] == NIL) {
				ids[id] = i;
				s->sock = (uint8_t)sock;
				s->id = id;
				return;
			}
		}
	}
	for (size_t c = 0; c < (size_t)e->cfg->sockets * 65536; c++) {
		if (e->id_slot[c] == NIL) {
			e->id_slot[c] = i;
			s->sock = (uint8_t)(c / 65536);
			s->id = (uint16_t)c;
			return;
		}
	}
}

/* Open the queries of the next names (one per target and query type): at
 * most a batch's worth per turn, so that reading keeps pace with sending and
 * each sendmmsg carries many queries. */
static void open_name(struct engine *e)
{
	uint8_t name[WIRE_NAME_MAX];
	uint32_t line;
	unsigned per = (unsigned)(e->cfg->ntargets * e->cfg->nqtypes);
	for (unsigned opened = 0; opened < BATCH && !e->input_done && slots_available(e) >= per;
	     opened++) {
		int r = probe_names_next(e->names, name, &line);
		if (r <= 0) {
			e->input_done = true;
			if (r < 0)
				fprintf(stderr, "dnswatch probe: %s: read error; stopping the input here\n",
					e->names->label);
			return;
		}
		uint64_t seq = e->names->seq - 1;
		e->st->names++;
		for (int t = 0; t < e->cfg->ntargets; t++) {
			if (e->hooks->skip && e->hooks->skip(e->hooks->ctx, seq, (unsigned)t)) {
				e->st->skipped += (uint64_t)e->cfg->nqtypes;
				continue;
			}
			for (int q = 0; q < e->cfg->nqtypes; q++) {
				int32_t i = slot_take(e);
				struct slot *s = &e->slot[i];
				s->target = (uint16_t)t;
				list_push(e, &e->pending[t], i, L_PENDING);
				s->qtype = e->cfg->qtype[q];
				s->seq = seq;
				s->line = line;
				s->attempts = 0;
				s->nreplies = 0;
				s->replies_seen = 0;
				memcpy(s->qname, name, wire_name_len(name, WIRE_NAME_MAX));
				assign_id(e, i);
				e->st->queries++;
			}
		}
	}
}

/* Free a finished slot and its replies. */
static void release(struct engine *e, int32_t i)
{
	struct slot *s = &e->slot[i];
	e->id_slot[(size_t)s->sock * 65536 + s->id] = NIL;
	for (unsigned k = 0; k < s->nreplies; k++)
		e->pool_free[e->pool_top++] = s->reply[k];
	s->nreplies = 0;
	move(e, i, L_FREE);
}

/* Hand a finished query to the hook, then free it. */
static void finish(struct engine *e, int32_t i)
{
	struct slot *s = &e->slot[i];
	struct probe_result *r = &e->result;
	memset(r, 0, offsetof(struct probe_result, reply));
	r->seq = s->seq;
	r->line = s->line;
	r->target = s->target;
	memcpy(r->qname, s->qname, sizeof r->qname);
	r->qtype = s->qtype;
	r->id = s->id;
	r->sport = e->port[s->sock];
	r->attempts = s->attempts;
	r->sent_us = s->sent_us;
	r->nreplies = s->nreplies;
	r->replies_seen = s->replies_seen;
	for (unsigned k = 0; k < s->nreplies; k++)
		r->reply[k] = e->pool[s->reply[k]];
	r->verdict = VERDICT_NONE;
	r->forged_reply = -1;
	r->group = -1;
	if (s->list == L_WAITING && e->awaiting[s->target])
		e->awaiting[s->target]--;
	e->st->done++;
	if (e->hooks->result && e->hooks->result(e->hooks->ctx, r))
		e->stop = 1;
	release(e, i);
}

/* ---- replies ------------------------------------------------------------ */

static void on_packet(struct engine *e, const uint8_t *ip, size_t len, uint64_t t_us)
{
	struct net_packet p;
	if (net_packet_parse_ip(ip, len, &p) != DW_OK) /* ICMP: for locate */
		return;
	int sock = e->port_sock[p.dport];
	if (sock < 0 || p.payload_len < 2) {
		return;
	}
	uint16_t id = (uint16_t)(p.payload[0] << 8 | p.payload[1]);
	int32_t i = e->id_slot[(size_t)sock * 65536 + id];
	if (i == NIL) {
		e->st->unmatched++;
		return;
	}
	struct slot *s = &e->slot[i];
	const struct probe_target *t = &e->cfg->target[s->target];
	size_t alen = t->family == AF_INET ? 4 : 16;
	if (p.family != t->family || memcmp(p.src, t->addr, alen) != 0 || p.sport != t->port) {
		e->st->unmatched++;
		return;
	}
	e->st->replies++;
	s->replies_seen++;
	if (s->nreplies < PROBE_REPLIES_MAX && e->pool_top) {
		int32_t k = e->pool_free[--e->pool_top];
		struct probe_reply *r = &e->pool[k];
		memset(r, 0, offsetof(struct probe_reply, raw));
		probe_reply_set_ip(r, &p, t_us);
		r->rtt_us = t_us > s->tx_real ? (uint32_t)(t_us - s->tx_real) : 0;
		uint8_t question[PROBE_QUESTION_MAX];
		size_t ql = probe_question_make(s->qname, s->qtype, question);
		probe_reply_fill(r, p.payload, p.payload_len, question, ql);
		s->reply[s->nreplies++] = k;
	}
	if (s->list == L_WAITING) {
		/* The first reply: hold the query open for the later ones. */
		uint64_t now = util_mono_us();
		s->reply_mono = now;
		if (e->awaiting[s->target])
			e->awaiting[s->target]--;
		move(e, i, L_HOLDING);
		if (e->cfg->hold_ms == 0)
			finish(e, i);
	}
}

/* Read every block the kernel has handed over. */
static void drain_ring(struct engine *e)
{
	for (unsigned n = 0; n < RING_BLOCKS; n++) {
		struct tpacket_block_desc *b =
			(struct tpacket_block_desc *)(e->ring + (size_t)e->ring_block * RING_BLOCK);
		if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			return;
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
				if (e->pcap) {
					struct pcap_pkthdr ph = {
						.ts = {(time_t)h->tp_sec, (suseconds_t)(h->tp_nsec / 1000)},
						.caplen = h->tp_snaplen, .len = h->tp_len};
					pcap_dump((u_char *)e->pcap, &ph, pk + h->tp_net);
				}
				if (ll->sll_pkttype != PACKET_OUTGOING)
					on_packet(e, pk + h->tp_net, h->tp_snaplen, t);
			}
			if (!h->tp_next_offset)
				break;
			off += h->tp_next_offset;
		}
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		e->ring_block = (e->ring_block + 1) % RING_BLOCKS;
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

/* Queries built and waiting for their socket's sendmmsg. */
struct txq {
	int n;
	int32_t slot[BATCH];
	uint8_t buf[BATCH][300];
	struct iovec iov[BATCH];
	struct sockaddr_storage to[BATCH];
	struct mmsghdr msg[BATCH];
};

static void flush_socket(struct engine *e, struct txq *q, unsigned sock)
{
	int done = 0;
	while (done < q->n) {
		int r = sendmmsg(e->sock[sock], q->msg + done, (unsigned)(q->n - done), 0);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			/* A full buffer or an unreachable target: the rest stay
			 * unanswered and are retransmitted after the timeout. */
			e->st->send_errors += (uint64_t)(q->n - done);
			break;
		}
		done += r;
	}
	q->n = 0;
}

/* Record slot I as transmitted now and queue its bytes on its socket. */
static void transmit(struct engine *e, struct txq *txq, int32_t i)
{
	struct slot *s = &e->slot[i];
	struct txq *q = &txq[s->sock];
	if (q->n == BATCH)
		flush_socket(e, q, s->sock);
	int k = q->n++;
	size_t ql = build_query(e, s, q->buf[k], sizeof q->buf[k]);
	socklen_t tl;
	fill_addr(&e->cfg->target[s->target], &q->to[k], &tl);
	q->iov[k] = (struct iovec){q->buf[k], ql};
	q->msg[k] = (struct mmsghdr){.msg_hdr = {.msg_name = &q->to[k], .msg_namelen = tl,
						 .msg_iov = &q->iov[k], .msg_iovlen = 1}};
	q->slot[k] = i;
	s->tx_real = util_real_us();
	if (!s->attempts)
		s->sent_us = s->tx_real;
	s->attempts++;
	s->tx_mono = util_mono_us();
	e->st->sent++;
}

static void flush_all(struct engine *e, struct txq *txq)
{
	for (unsigned k = 0; k < e->cfg->sockets; k++)
		if (txq[k].n)
			flush_socket(e, &txq[k], k);
}

static void refill_tokens(struct engine *e, uint64_t now)
{
	double burst = e->cfg->rate / 100 + BATCH; /* at most 10 ms of sending at once */
	e->tokens += (double)(now - e->token_mono) * e->cfg->rate / 1e6;
	if (e->tokens > burst)
		e->tokens = burst;
	e->token_mono = now;
}

static void send_pending(struct engine *e, struct txq *txq, uint64_t now)
{
	refill_tokens(e, now);
	int idle = 0;
	while (e->tokens >= 1 && idle < e->cfg->ntargets) {
		unsigned t = e->next_target;
		e->next_target = (e->next_target + 1) % (unsigned)e->cfg->ntargets;
		struct list *p = &e->pending[t];
		if (!p->count || e->awaiting[t] >= e->cfg->inflight) {
			idle++;
			continue;
		}
		idle = 0;
		int32_t i = p->head;
		transmit(e, txq, i);
		e->tokens -= 1;
		e->awaiting[t]++;
		move(e, i, L_WAITING);
	}
}

/* Unanswered queries past their timeout: again, or finished as timeouts. */
static void expire(struct engine *e, struct txq *txq, uint64_t now)
{
	uint64_t tmo = (uint64_t)e->cfg->timeout_ms * 1000u;
	while (e->waiting.head != NIL) {
		int32_t i = e->waiting.head;
		struct slot *s = &e->slot[i];
		if (s->tx_mono + tmo > now)
			break;
		if (s->attempts <= e->cfg->retries) {
			refill_tokens(e, now);
			if (e->tokens < 1)
				break; /* try again on the next turn */
			transmit(e, txq, i);
			e->tokens -= 1;
			e->st->retransmits++;
			move(e, i, L_WAITING); /* to the tail: its new deadline */
		} else {
			finish(e, i);
		}
	}
	uint64_t hold = (uint64_t)e->cfg->hold_ms * 1000u;
	while (e->holding.head != NIL && e->slot[e->holding.head].reply_mono + hold <= now)
		finish(e, e->holding.head);
}

static void progress(struct engine *e, uint64_t start, uint64_t now, bool last)
{
	const struct probe_stats *st = e->st;
	double el = (double)(now - start) / 1e6;
	uint64_t total = e->names->total * (uint64_t)e->cfg->ntargets * (uint64_t)e->cfg->nqtypes;
	fprintf(stderr, "\r%llu", (unsigned long long)st->done);
	if (total)
		fprintf(stderr, "/%llu", (unsigned long long)total);
	fprintf(stderr, " done, %.0f/s, %u in flight; ok %llu injected %llu poisoned %llu inconsistent %llu timeout %llu",
		el > 0 ? (double)st->done / el : 0.0, e->waiting.count + e->holding.count,
		(unsigned long long)st->verdicts[VERDICT_OK], (unsigned long long)st->verdicts[VERDICT_INJECTED],
		(unsigned long long)st->verdicts[VERDICT_POISONED],
		(unsigned long long)st->verdicts[VERDICT_INCONSISTENT],
		(unsigned long long)st->verdicts[VERDICT_TIMEOUT]);
	if (total && st->done && !last && st->done < total)
		fprintf(stderr, "; ETA %.0f s", el / (double)st->done * (double)(total - st->done));
	fputs(last ? "\n" : "   ", stderr);
	fflush(stderr);
}

int probe_run(const struct probe_config *cfg, struct probe_names *names,
	      const struct probe_hooks *hooks, struct probe_stats *st, char *err, size_t errcap)
{
	struct engine *e = calloc(1, sizeof *e);
	int rc = -1;
	if (!e) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	memset(st, 0, sizeof *st);
	e->cfg = cfg;
	e->names = names;
	e->hooks = hooks;
	e->st = st;
	e->rng = cfg->seed ^ 0x5eedull;
	e->ring_fd = -1;
	for (unsigned i = 0; i < SOCKETS_MAX; i++)
		e->sock[i] = -1;
	if (cfg->ntargets < 1 || cfg->ntargets > PROBE_TARGETS_MAX || cfg->sockets < 1 ||
	    cfg->sockets > SOCKETS_MAX || cfg->nqtypes < 1 || cfg->rate <= 0) {
		snprintf(err, errcap, "bad configuration");
		goto out;
	}
	for (int t = 1; t < cfg->ntargets; t++)
		if (cfg->target[t].family != cfg->target[0].family) {
			snprintf(err, errcap, "targets mix IPv4 and IPv6; probe them in separate runs");
			goto out;
		}
	/* Slots: everything that can be open at once: awaiting a reply (the
	 * per-target caps) plus holding (rate x hold window), with room for
	 * the next names. Bounded, whatever the input's length. */
	uint64_t holding = (uint64_t)(cfg->rate * (cfg->hold_ms + 100) / 1000.0);
	uint64_t n = (uint64_t)cfg->inflight * (uint64_t)cfg->ntargets + holding +
		     (uint64_t)cfg->ntargets * (uint64_t)cfg->nqtypes * 64;
	uint64_t ids = (uint64_t)cfg->sockets * 65536 * 3 / 4; /* see assign_id */
	if (n > ids)
		n = ids;
	if (n > 2000000)
		n = 2000000;
	e->nslots = (uint32_t)n;
	e->npool = e->nslots + e->nslots / 2;
	e->slot = malloc((size_t)e->nslots * sizeof *e->slot);
	e->pool = malloc((size_t)e->npool * sizeof *e->pool);
	e->pool_free = malloc((size_t)e->npool * sizeof *e->pool_free);
	e->port_sock = malloc(65536);
	e->id_slot = malloc((size_t)cfg->sockets * 65536 * sizeof *e->id_slot);
	e->txq = calloc(cfg->sockets, sizeof *e->txq);
	if (!e->txq || !e->slot || !e->pool || !e->pool_free || !e->port_sock || !e->id_slot) {
		snprintf(err, errcap, "out of memory for %u queries in flight", e->nslots);
		goto out;
	}
	memset(e->port_sock, -1, 65536);
	for (size_t k = 0; k < (size_t)cfg->sockets * 65536; k++)
		e->id_slot[k] = NIL;
	for (uint32_t k = 0; k < e->npool; k++)
		e->pool_free[k] = (int32_t)k;
	e->pool_top = e->npool;
	e->free_ = e->waiting = e->holding = (struct list){NIL, NIL, 0};
	for (int t = 0; t < PROBE_TARGETS_MAX; t++)
		e->pending[t] = (struct list){NIL, NIL, 0};
	if (open_ring(e, err, errcap) || open_sockets(e, err, errcap))
		goto out;
	if (cfg->pcap_path) {
		e->pcap_dead = pcap_open_dead(DLT_RAW, 65535);
		e->pcap = e->pcap_dead ? pcap_dump_open(e->pcap_dead, cfg->pcap_path) : NULL;
		if (!e->pcap) {
			snprintf(err, errcap, "%s: %s", cfg->pcap_path,
				 e->pcap_dead ? pcap_geterr(e->pcap_dead) : "out of memory");
			goto out;
		}
	}

	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	volatile sig_atomic_t *stop = cfg->stop ? cfg->stop : &probe_signalled;
	if (!cfg->stop) {
		probe_signalled = 0;
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
	}

	uint64_t start = util_mono_us(), next_progress = start + 1000000;
	e->token_mono = start;
	for (;;) {
		uint64_t now = util_mono_us();
		if (*stop || e->stop)
			break;
		open_name(e);
		expire(e, e->txq, now);
		send_pending(e, e->txq, now);
		flush_all(e, e->txq);
		if (e->input_done && slots_available(e) == e->nslots)
			break;
		if (cfg->progress && now >= next_progress) {
			progress(e, start, now, false);
			next_progress = now + 1000000;
		}
		/* Sleep until a block of replies, or briefly when there is
		 * sending or expiring to do. */
		int timeout = 2;
		bool can_send = false;
		for (int t = 0; t < cfg->ntargets; t++)
			can_send |= e->pending[t].count && e->awaiting[t] < cfg->inflight;
		if (can_send || (!e->input_done && slots_available(e)))
			timeout = 0;
		struct pollfd pf = {e->ring_fd, POLLIN, 0};
		if (timeout == 0 && e->tokens >= 1) {
			/* Busy sending: the ring's blocks are read without a
			 * system call (their status is in shared memory). */
		} else if (timeout == 0) {
			/* Rate-limited: wait for the next token, sub-millisecond. */
			uint64_t wait_us = (uint64_t)((1 - e->tokens) * 1e6 / cfg->rate) + 1;
			struct timespec ts = {0, (long)(wait_us < 1000 ? wait_us : 1000) * 1000};
			ppoll(&pf, 1, &ts, NULL);
		} else {
			poll(&pf, 1, timeout);
		}
		drain_ring(e);
	}
	if (cfg->progress)
		progress(e, start, util_mono_us(), true);
	struct tpacket_stats_v3 ks;
	socklen_t kl = sizeof ks;
	if (getsockopt(e->ring_fd, SOL_PACKET, PACKET_STATISTICS, &ks, &kl) == 0)
		st->ring_drops = ks.tp_drops;
	if (!cfg->stop) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	if (*stop)
		snprintf(err, errcap, "interrupted; %u queries in flight were not stored (--resume repeats them)",
			 e->waiting.count + e->holding.count);
	rc = *stop ? -1 : 0;
out:
	if (e->pcap)
		pcap_dump_close(e->pcap);
	if (e->pcap_dead)
		pcap_close(e->pcap_dead);
	for (unsigned i = 0; i < SOCKETS_MAX; i++)
		if (e->sock[i] >= 0)
			close(e->sock[i]);
	if (e->ring)
		munmap(e->ring, (size_t)RING_BLOCK * RING_BLOCKS);
	if (e->ring_fd >= 0)
		close(e->ring_fd);
	free(e->slot);
	free(e->pool);
	free(e->pool_free);
	free(e->port_sock);
	free(e->id_slot);
	free(e->txq);
	free(e);
	return rc;
}

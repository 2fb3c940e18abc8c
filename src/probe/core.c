/* The probe engine's scheduler and matcher (see core.h and docs/probe.md). */
#include "probe/core.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/packet.h"
#include "net/reasm.h"
#include "probe/reply.h"
#include "util/rand.h"
#include "wire/build.h"

#define NIL (-1)

/* ---- state ---------------------------------------------------------------- */

/* Each slot (one query) is on one list: free, pending (opened, not sent;
 * one list per target), waiting (sent, no reply yet; in order of their
 * last transmission, so the head times out first) or holding (answered,
 * in its hold window; in order of first reply). */
enum slot_list { L_FREE, L_PENDING, L_WAITING, L_HOLDING };

struct slot {
	int32_t prev, next;
	uint8_t list;
	uint8_t sock;
	uint8_t attempts;
	uint8_t nreplies;
	uint16_t target, qtype, id, replies_seen;
	uint32_t line;
	uint64_t seq, tag;
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

struct probe_core {
	const struct probe_config *cfg;
	const struct probe_hooks *hooks;
	struct probe_stats *st;
	probe_send_fn send;
	void *send_ctx;
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
	uint16_t port[PROBE_SOCKETS_MAX];
	int8_t *port_sock;     /* 65536: local port -> socket index, -1 */
	int32_t *id_slot;      /* sockets x 65536: DNS ID -> slot, NIL */
	uint64_t rng;
	uint64_t next_seq;     /* names taken so far */
	struct probe_result result; /* the one handed to the hook */
	bool input_done;
	bool starved;          /* the names callback had no name yet (PROBE_NEXT_LATER) */
	struct dw_error input_err; /* why the names callback failed */
	bool stop;             /* a hook asked */
	double tokens;
	uint64_t token_mono;
	unsigned next_target;
	uint64_t assigned;     /* queries given a socket so far */
	struct net_reasm *reasm; /* IP fragments of replies (probe_reasm_config) */
};

static uint64_t rnd(struct probe_core *c)
{
	return splitmix64(&c->rng);
}

static void list_push(struct probe_core *c, struct list *l, int32_t i, enum slot_list which)
{
	struct slot *s = &c->slot[i];
	s->list = (uint8_t)which;
	s->next = NIL;
	s->prev = l->tail;
	if (l->tail != NIL)
		c->slot[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
	l->count++;
}

static void list_remove(struct probe_core *c, struct list *l, int32_t i)
{
	struct slot *s = &c->slot[i];
	if (s->prev != NIL)
		c->slot[s->prev].next = s->next;
	else
		l->head = s->next;
	if (s->next != NIL)
		c->slot[s->next].prev = s->prev;
	else
		l->tail = s->prev;
	l->count--;
}

static struct list *list_of(struct probe_core *c, int32_t i, enum slot_list which)
{
	switch (which) {
	case L_PENDING: return &c->pending[c->slot[i].target];
	case L_WAITING: return &c->waiting;
	case L_HOLDING: return &c->holding;
	default: return &c->free_;
	}
}

static void slot_move(struct probe_core *c, int32_t i, enum slot_list to)
{
	list_remove(c, list_of(c, i, (enum slot_list)c->slot[i].list), i);
	list_push(c, list_of(c, i, to), i, to);
}

static uint32_t slots_available(const struct probe_core *c)
{
	return c->free_.count + (c->nslots - c->fresh);
}

/* A slot for a new query (slots_available() must be non-zero). */
static int32_t slot_take(struct probe_core *c)
{
	if (c->free_.count) {
		int32_t i = c->free_.head;
		list_remove(c, &c->free_, i);
		return i;
	}
	return (int32_t)c->fresh++;
}

/* ---- set-up ----------------------------------------------------------------- */

int probe_core_check(const struct probe_config *cfg, const struct probe_hooks *hooks,
		     struct dw_error *err)
{
	if (cfg->ntargets < 1 || cfg->ntargets > PROBE_TARGETS_MAX || cfg->sockets < 1 ||
	    cfg->sockets > PROBE_SOCKETS_MAX || cfg->nqtypes < 1 || cfg->nqtypes > PROBE_QTYPES_MAX ||
	    cfg->rate <= 0 || !hooks->next)
		return dw_error_set(err, DW_E_INVALID, "bad configuration");
	for (int t = 1; t < cfg->ntargets; t++)
		if (cfg->target[t].family != cfg->target[0].family)
			return dw_error_set(err, DW_E_INVALID,
					    "targets mix IPv4 and IPv6; probe them in separate runs");
	return 0;
}

/* Slots: everything that can be open at once: awaiting a reply (the
 * per-target caps) plus holding (rate x hold window), with room for the
 * next names. Bounded, whatever the input's length. */
static uint32_t slots_needed(const struct probe_config *cfg)
{
	uint64_t holding = (uint64_t)(cfg->rate * (cfg->hold_ms + 100) / 1000.0);
	uint64_t n = (uint64_t)cfg->inflight * (uint64_t)cfg->ntargets + holding +
		     (uint64_t)cfg->ntargets * (uint64_t)cfg->nqtypes * PROBE_BATCH;
	uint64_t ids = (uint64_t)cfg->sockets * 65536 * 3 / 4; /* see assign_id */
	if (n > ids)
		n = ids;
	if (n > 2000000)
		n = 2000000;
	return (uint32_t)n;
}

struct probe_core *probe_core_new(const struct probe_config *cfg, const uint16_t *ports,
				  const struct probe_hooks *hooks, probe_send_fn send,
				  void *send_ctx, struct probe_stats *st, uint64_t mono_us,
				  struct dw_error *err)
{
	memset(st, 0, sizeof *st);
	if (probe_core_check(cfg, hooks, err))
		return NULL;
	struct probe_core *c = calloc(1, sizeof *c);
	if (!c) {
		dw_error_set(err, DW_E_NOMEM, "out of memory");
		return NULL;
	}
	c->cfg = cfg;
	c->hooks = hooks;
	c->st = st;
	c->send = send;
	c->send_ctx = send_ctx;
	c->rng = cfg->seed ^ 0x5eedull;
	c->nslots = slots_needed(cfg);
	c->npool = c->nslots + c->nslots / 2;
	c->slot = malloc((size_t)c->nslots * sizeof *c->slot);
	c->pool = malloc((size_t)c->npool * sizeof *c->pool);
	c->pool_free = malloc((size_t)c->npool * sizeof *c->pool_free);
	c->port_sock = malloc(65536);
	c->id_slot = malloc((size_t)cfg->sockets * 65536 * sizeof *c->id_slot);
	struct net_reasm_config rc = probe_reasm_config(cfg);
	c->reasm = net_reasm_new(&rc);
	if (!c->slot || !c->pool || !c->pool_free || !c->port_sock || !c->id_slot || !c->reasm) {
		dw_error_set(err, DW_E_NOMEM, "out of memory for %u queries in flight", c->nslots);
		probe_core_free(c);
		return NULL;
	}
	memset(c->port_sock, -1, 65536);
	for (unsigned i = 0; i < cfg->sockets; i++) {
		c->port[i] = ports[i];
		c->port_sock[ports[i]] = (int8_t)i;
	}
	for (size_t k = 0; k < (size_t)cfg->sockets * 65536; k++)
		c->id_slot[k] = NIL;
	for (uint32_t k = 0; k < c->npool; k++)
		c->pool_free[k] = (int32_t)k;
	c->pool_top = c->npool;
	c->free_ = c->waiting = c->holding = (struct list){NIL, NIL, 0};
	for (int t = 0; t < PROBE_TARGETS_MAX; t++)
		c->pending[t] = (struct list){NIL, NIL, 0};
	c->token_mono = mono_us;
	return c;
}

void probe_core_free(struct probe_core *c)
{
	if (!c)
		return;
	free(c->slot);
	free(c->pool);
	free(c->pool_free);
	free(c->port_sock);
	free(c->id_slot);
	net_reasm_free(c->reasm);
	free(c);
}

/* ---- opening queries ---------------------------------------------------------- */

/*
 * A socket and a random ID free on it. Sockets take turns a batch at a time,
 * so that one sendmmsg carries a whole batch; the ports still vary. The
 * core never holds more queries than three quarters of all sockets' IDs
 * (slots_needed), so a free ID exists: a few random tries on the socket
 * whose turn it is find one almost always; otherwise the next sockets are
 * tried, and a scan is the bounded last resort.
 */
static void assign_id(struct probe_core *c, int32_t i)
{
	struct slot *s = &c->slot[i];
	unsigned first = (unsigned)((c->assigned++ / PROBE_BATCH) % c->cfg->sockets);
	for (unsigned k = 0; k < c->cfg->sockets; k++) {
		unsigned sock = (first + k) % c->cfg->sockets;
		int32_t *ids = &c->id_slot[(size_t)sock * 65536];
		for (int tries = 0; tries < 16; tries++) {
			uint16_t id = (uint16_t)rnd(c);
			if (ids[id] == NIL) {
				ids[id] = i;
				s->sock = (uint8_t)sock;
				s->id = id;
				return;
			}
		}
	}
	for (size_t k = 0; k < (size_t)c->cfg->sockets * 65536; k++) {
		if (c->id_slot[k] == NIL) {
			c->id_slot[k] = i;
			s->sock = (uint8_t)(k / 65536);
			s->id = (uint16_t)k;
			return;
		}
	}
}

/* The queries of one name: one per target (unless the skip hook says it is
 * done) and query type, pending on their targets' lists. */
static void open_queries(struct probe_core *c, const uint8_t *name, uint32_t line, uint64_t tag)
{
	uint64_t seq = c->next_seq++;
	const struct probe_hooks *h = c->hooks;
	c->st->names++;
	for (int t = 0; t < c->cfg->ntargets; t++) {
		if (h->skip && h->skip(h->ctx, seq, (unsigned)t)) {
			c->st->skipped += (uint64_t)c->cfg->nqtypes;
			continue;
		}
		for (int q = 0; q < c->cfg->nqtypes; q++) {
			int32_t i = slot_take(c);
			struct slot *s = &c->slot[i];
			s->target = (uint16_t)t;
			list_push(c, &c->pending[t], i, L_PENDING);
			s->qtype = c->cfg->qtype[q];
			s->seq = seq;
			s->line = line;
			s->tag = tag;
			s->attempts = 0;
			s->nreplies = 0;
			s->replies_seen = 0;
			memcpy(s->qname, name, wire_name_len(name, WIRE_NAME_MAX));
			assign_id(c, i);
			c->st->queries++;
		}
	}
}

/* Queries opened and not sent yet, on every target. */
static uint32_t pending_count(const struct probe_core *c)
{
	uint32_t n = 0;
	for (int t = 0; t < c->cfg->ntargets; t++)
		n += c->pending[t].count;
	return n;
}

/* Open the queries of the next names while what waits to be sent is
 * short: as many as a turn can send (each target's cap on queries awaiting
 * a reply, and a batch), so that each sendmmsg carries many queries. A
 * server slower than the run's rate would otherwise have every free slot
 * opened ahead of it: names read long before their turn, and hundreds of
 * megabytes of slots touched once and gone cold. */
static void open_names(struct probe_core *c)
{
	uint8_t name[WIRE_NAME_MAX];
	unsigned per = (unsigned)(c->cfg->ntargets * c->cfg->nqtypes);
	uint32_t ahead = (uint32_t)c->cfg->inflight * (uint32_t)c->cfg->ntargets + PROBE_BATCH * per;
	c->starved = false;
	for (uint32_t pending = pending_count(c); pending < ahead && !c->input_done &&
	     slots_available(c) >= per; pending += per) {
		uint32_t line = 0;
		uint64_t tag = 0;
		int r = c->hooks->next(c->hooks->ctx, name, &line, &tag, &c->input_err);
		if (r == PROBE_NEXT_LATER) {
			c->starved = true;
			return;
		}
		if (r <= 0) {
			c->input_done = true;
			c->st->input_failed = r < 0;
			if (r < 0 && c->input_err.status == DW_OK) /* a callback that did not say */
				dw_error_set(&c->input_err, DW_E_IO, "the names callback failed");
			return;
		}
		/* The callback's business, but never sent as garbage. */
		if (!wire_name_len(name, WIRE_NAME_MAX)) {
			c->st->bad_names++;
			continue;
		}
		open_queries(c, name, line, tag);
	}
}

/* ---- finishing queries ---------------------------------------------------------- */

/* Free a finished slot and its replies. */
static void release(struct probe_core *c, int32_t i)
{
	struct slot *s = &c->slot[i];
	c->id_slot[(size_t)s->sock * 65536 + s->id] = NIL;
	for (unsigned k = 0; k < s->nreplies; k++)
		c->pool_free[c->pool_top++] = s->reply[k];
	s->nreplies = 0;
	slot_move(c, i, L_FREE);
}

/* Hand a finished query to the hook, then free it. */
static void finish(struct probe_core *c, int32_t i)
{
	struct slot *s = &c->slot[i];
	struct probe_result *r = &c->result;
	memset(r, 0, offsetof(struct probe_result, reply));
	memset(r->reply_group, 0, sizeof r->reply_group); /* the classifier's, after reply */
	r->seq = s->seq;
	r->line = s->line;
	r->tag = s->tag;
	r->target = s->target;
	memcpy(r->qname, s->qname, sizeof r->qname);
	r->qtype = s->qtype;
	r->id = s->id;
	r->sport = c->port[s->sock];
	r->attempts = s->attempts;
	r->sent_us = s->sent_us;
	r->nreplies = s->nreplies;
	r->replies_seen = s->replies_seen;
	for (unsigned k = 0; k < s->nreplies; k++) {
		/* Raw bytes only as far as they go: the rest is never read. */
		const struct probe_reply *p = &c->pool[s->reply[k]];
		memcpy(&r->reply[k], p, offsetof(struct probe_reply, raw) + p->rawlen);
	}
	r->verdict = VERDICT_NONE;
	r->forged_reply = -1;
	r->group = -1;
	if (s->list == L_WAITING && c->awaiting[s->target])
		c->awaiting[s->target]--;
	c->st->done++;
	if (c->hooks->result && c->hooks->result(c->hooks->ctx, r))
		c->stop = true;
	release(c, i);
}

/* ---- replies -------------------------------------------------------------------- */

/* The slot a packet P answers, or NIL (counted as unmatched if it came to
 * one of our ports). */
static int32_t match(struct probe_core *c, const struct net_packet *p)
{
	int sock = c->port_sock[p->dport];
	if (sock < 0 || p->payload_len < 2)
		return NIL;
	uint16_t id = (uint16_t)(p->payload[0] << 8 | p->payload[1]);
	int32_t i = c->id_slot[(size_t)sock * 65536 + id];
	if (i == NIL) {
		c->st->unmatched++;
		return NIL;
	}
	const struct probe_target *t = &c->cfg->target[c->slot[i].target];
	size_t alen = t->family == AF_INET ? 4 : 16;
	if (p->family != t->family || memcmp(p->src, t->addr, alen) != 0 || p->sport != t->port) {
		c->st->unmatched++;
		return NIL;
	}
	return i;
}

/* Keep reply P to slot I (while there is room: more are only counted). */
static void keep_reply(struct probe_core *c, int32_t i, const struct net_packet *p,
		       uint64_t time_us)
{
	struct slot *s = &c->slot[i];
	if (s->nreplies >= PROBE_REPLIES_MAX || !c->pool_top)
		return;
	int32_t k = c->pool_free[--c->pool_top];
	struct probe_reply *r = &c->pool[k];
	memset(r, 0, offsetof(struct probe_reply, raw));
	probe_reply_set_ip(r, p, time_us);
	r->rtt_us = time_us > s->tx_real ? (uint32_t)(time_us - s->tx_real) : 0;
	uint8_t question[PROBE_QUESTION_MAX];
	size_t ql = probe_question_make(s->qname, s->qtype, question);
	probe_reply_fill(r, p->payload, p->payload_len, question, ql);
	s->reply[s->nreplies++] = k;
}

struct net_reasm_config probe_reasm_config(const struct probe_config *cfg)
{
	/* A fragment is of use while its query can still take a reply. */
	uint64_t us = ((uint64_t)cfg->retries + 1) * cfg->timeout_ms * 1000u +
		      (uint64_t)cfg->hold_ms * 1000u;
	if (us < PROBE_REASM_TIMEOUT_MIN_US)
		us = PROBE_REASM_TIMEOUT_MIN_US;
	if (us > NET_REASM_TIMEOUT_US)
		us = NET_REASM_TIMEOUT_US;
	return (struct net_reasm_config){.max_datagrams = PROBE_REASM_DATAGRAMS,
					 .max_frags = PROBE_REASM_FRAGS, .timeout_us = us};
}

static void reasm_stats(struct probe_core *c)
{
	const struct net_reasm_stats *r = net_reasm_stats(c->reasm);
	c->st->fragments = r->fragments;
	c->st->frag_reassembled = r->reassembled;
	c->st->frag_expired = r->expired;
	c->st->frag_rejected = net_reasm_rejected(r);
}

void probe_core_packet(struct probe_core *c, const uint8_t *ip, size_t len, uint64_t time_us,
		       uint64_t mono_us)
{
	struct net_packet p;
	enum dw_status st = net_packet_parse_ip(ip, len, &p);
	unsigned nfrags = 0;
	if (st == DW_E_FRAGMENT) {
		/* A reply cut in fragments: whole again, it is judged like any
		 * other, with the first fragment's IP fields. */
		const uint8_t *whole;
		size_t n;
		enum net_reasm_result r = net_reasm_feed(c->reasm, ip, len, mono_us, &whole, &n,
							 &nfrags);
		reasm_stats(c);
		if (r != NET_REASM_DONE)
			return;
		st = net_packet_parse_ip(whole, n, &p);
	}
	if (st != DW_OK) /* ICMP: for locate */
		return;
	int32_t i = match(c, &p);
	if (i == NIL)
		return;
	struct slot *s = &c->slot[i];
	c->st->replies++;
	if (nfrags)
		c->st->frag_replies++;
	s->replies_seen++;
	keep_reply(c, i, &p, time_us);
	if (s->list == L_WAITING) {
		/* The first reply: hold the query open for the later ones. */
		s->reply_mono = mono_us;
		if (c->awaiting[s->target])
			c->awaiting[s->target]--;
		slot_move(c, i, L_HOLDING);
		if (c->cfg->hold_ms == 0)
			finish(c, i);
	}
}

/* ---- sending -------------------------------------------------------------------- */

/* Record slot I as transmitted now and hand its bytes to the sender. */
static void transmit(struct probe_core *c, int32_t i, uint64_t mono_us, uint64_t real_us)
{
	struct slot *s = &c->slot[i];
	const struct probe_target *t = &c->cfg->target[s->target];
	uint8_t buf[PROBE_QUERY_MAX];
	size_t len = wire_build_query(buf, sizeof buf, s->id, s->qname, s->qtype,
				      t->kind != TARGET_AUTH, c->cfg->edns ? 1232 : 0);
	s->tx_real = real_us;
	if (!s->attempts)
		s->sent_us = real_us;
	s->attempts++;
	s->tx_mono = mono_us;
	if (!c->st->sent++)
		c->st->first_sent_us = mono_us;
	c->st->last_sent_us = mono_us;
	c->send(c->send_ctx, s->sock, t, buf, len);
}

static void refill_tokens(struct probe_core *c, uint64_t now)
{
	double burst = c->cfg->rate / 100 + PROBE_BATCH; /* at most 10 ms of sending at once */
	c->tokens += (double)(now - c->token_mono) * c->cfg->rate / 1e6;
	if (c->tokens > burst)
		c->tokens = burst;
	c->token_mono = now;
}

/* Pending queries, round-robin over the targets, as tokens and each
 * target's cap on queries awaiting a reply allow. */
static void send_pending(struct probe_core *c, uint64_t mono_us, uint64_t real_us)
{
	refill_tokens(c, mono_us);
	int idle = 0;
	while (c->tokens >= 1 && idle < c->cfg->ntargets) {
		unsigned t = c->next_target;
		c->next_target = (c->next_target + 1) % (unsigned)c->cfg->ntargets;
		struct list *p = &c->pending[t];
		if (!p->count || c->awaiting[t] >= c->cfg->inflight) {
			idle++;
			continue;
		}
		idle = 0;
		int32_t i = p->head;
		transmit(c, i, mono_us, real_us);
		c->tokens -= 1;
		c->awaiting[t]++;
		slot_move(c, i, L_WAITING);
	}
}

/* Unanswered queries past their timeout: again (same ID, same port), or
 * finished as timeouts; answered ones past their hold window: finished. */
static void expire(struct probe_core *c, uint64_t mono_us, uint64_t real_us)
{
	uint64_t tmo = (uint64_t)c->cfg->timeout_ms * 1000u;
	while (c->waiting.head != NIL) {
		int32_t i = c->waiting.head;
		struct slot *s = &c->slot[i];
		if (s->tx_mono + tmo > mono_us)
			break;
		if (s->attempts <= c->cfg->retries) {
			refill_tokens(c, mono_us);
			if (c->tokens < 1)
				break; /* try again on the next turn */
			transmit(c, i, mono_us, real_us);
			c->tokens -= 1;
			c->st->retransmits++;
			slot_move(c, i, L_WAITING); /* to the tail: its new deadline */
		} else {
			finish(c, i);
		}
	}
	uint64_t hold = (uint64_t)c->cfg->hold_ms * 1000u;
	while (c->holding.head != NIL && c->slot[c->holding.head].reply_mono + hold <= mono_us)
		finish(c, c->holding.head);
}

void probe_core_turn(struct probe_core *c, uint64_t mono_us, uint64_t real_us)
{
	open_names(c);
	expire(c, mono_us, real_us);
	if (net_reasm_pending(c->reasm)) {
		net_reasm_expire(c->reasm, mono_us);
		reasm_stats(c);
	}
	send_pending(c, mono_us, real_us);
}

/* ---- state for the driver ---------------------------------------------------------- */

bool probe_core_finished(const struct probe_core *c)
{
	return c->input_done && slots_available(c) == c->nslots;
}

void probe_core_set_next_seq(struct probe_core *c, uint64_t seq)
{
	c->next_seq = seq;
}

bool probe_core_stopped(const struct probe_core *c)
{
	return c->stop;
}

unsigned probe_core_in_flight(const struct probe_core *c)
{
	return c->waiting.count + c->holding.count;
}

const struct dw_error *probe_core_input_error(const struct probe_core *c)
{
	return c->st->input_failed ? &c->input_err : NULL;
}

uint64_t probe_core_wait_us(const struct probe_core *c)
{
	bool can_send = false;
	for (int t = 0; t < c->cfg->ntargets; t++)
		can_send |= c->pending[t].count && c->awaiting[t] < c->cfg->inflight;
	if (!can_send && c->starved && !c->input_done)
		return PROBE_CORE_STARVED_US;
	/* Nothing to send until replies come (every target at its cap, or
	 * nothing opened): sleep until they do, not spin on the ring (the
	 * server may need the core). */
	if (!can_send)
		return PROBE_CORE_IDLE_US;
	if (c->tokens >= 1)
		return 0; /* busy sending */
	/* Rate-limited: wait for the next token, sub-millisecond. */
	uint64_t wait_us = (uint64_t)((1 - c->tokens) * 1e6 / c->cfg->rate) + 1;
	return wait_us < 1000 ? wait_us : 1000;
}

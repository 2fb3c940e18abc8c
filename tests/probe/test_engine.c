/* probe/core: the engine's scheduler and matcher driven without sockets or
 * root, by scripted packets and a scripted clock: races between a forged
 * and a real reply, replies from the wrong source, port or ID, timeouts and
 * retransmissions, the hold window, late replies, the per-target caps, the
 * names callback and its tags. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "net/frames.h"
#include "probe/core.h"
#include "wire/msg.h"

#define MS 1000u
#define EPOCH 1700000000000000ull /* real time = EPOCH + the scripted monotonic clock */

/* What the core sent: one transmission. */
struct sent {
	unsigned sock;
	unsigned target;
	uint16_t id;
	size_t len;
	uint8_t bytes[PROBE_QUERY_MAX];
};

/* The script: names to hand out, and what came back. */
struct script {
	const char *names[8];
	int nnames, next;
	int fail_at;              /* next returns -1 at this name (0: never) */
	struct sent sent[64];
	int nsent;
	struct probe_result res[16];
	int nres;
	bool stop_after_first;
	int skip_target;          /* the skip hook says this target is done (-1: none) */
};

static const uint16_t PORTS[2] = {40000, 40001};
static const struct probe_target ISP = {"isp", TARGET_RESOLVER, AF_INET, {198, 18, 1, 2}, 53};
static const struct probe_target NODNS = {"nodns", TARGET_NODNS, AF_INET, {198, 18, 1, 2}, 5353};

static void on_send(void *ctx, unsigned sock, const struct probe_target *t, const uint8_t *q,
		    size_t len)
{
	struct script *s = ctx;
	if (s->nsent == 64)
		return;
	struct sent *x = &s->sent[s->nsent++];
	x->sock = sock;
	x->target = t == &ISP ? 0 : t->port == NODNS.port ? 1 : 0;
	x->id = (uint16_t)(q[0] << 8 | q[1]);
	x->len = len;
	memcpy(x->bytes, q, len);
}

static int on_next(void *ctx, uint8_t name[WIRE_NAME_MAX], uint32_t *line, uint64_t *tag,
		   struct dw_error *err)
{
	struct script *s = ctx;
	if (s->fail_at && s->next + 1 == s->fail_at)
		return dw_error_set(err, DW_E_IO, "names.txt: read error");
	if (s->next >= s->nnames)
		return 0;
	size_t wl;
	if (wire_name_from_text(s->names[s->next], name, &wl) != DW_OK)
		name[0] = 0xff; /* no wire name: the core must refuse it */
	*line = 10u + (uint32_t)s->next;
	*tag = 100u + (uint64_t)s->next++;
	return 1;
}

static int on_result(void *ctx, struct probe_result *r)
{
	struct script *s = ctx;
	if (s->nres < 16)
		s->res[s->nres++] = *r;
	return s->stop_after_first;
}

static bool on_skip(void *ctx, uint64_t seq, unsigned target)
{
	struct script *s = ctx;
	(void)seq;
	return (int)target == s->skip_target;
}

/* One target (the ISP resolver), no EDNS (so a reply is the query with an
 * answer appended), 2 sockets, plenty of rate. */
static void config(struct probe_config *c)
{
	probe_config_default(c);
	c->target[0] = ISP;
	c->ntargets = 1;
	c->rate = 100000;
	c->inflight = 10;
	c->retries = 1;
	c->timeout_ms = 1000;
	c->hold_ms = 2000;
	c->sockets = 2;
	c->edns = false;
	c->seed = 1;
}

static struct probe_core *start(const struct probe_config *c, const struct probe_hooks *h,
				struct script *s, struct probe_stats *st)
{
	struct dw_error err;
	dw_error_clear(&err);
	struct probe_core *core = probe_core_new(c, PORTS, h, on_send, s, st, 0, &err);
	CHECK(core != NULL);
	if (!core)
		printf("#   %s\n", err.text);
	return core;
}

static void turn(struct probe_core *c, uint64_t t)
{
	probe_core_turn(c, t, EPOCH + t);
}

struct reply_spec {
	const char *addr;      /* the answer */
	const uint8_t *src;    /* NULL: the target's */
	uint16_t sport;        /* 0: 53 */
	int dport;             /* 0: the query's socket's port */
	int id_xor;            /* changes the DNS ID */
	uint8_t ttl;
	uint16_t ipid;
	bool df;
	int frags;             /* in this many IPv4 fragments of 24 bytes (the
				* last one first; later ones with TTL + 1) */
};

/* Deliver at time T a reply to transmission Q, as R says. */
static void reply(struct probe_core *c, const struct sent *q, struct reply_spec r, uint64_t t)
{
	uint8_t dns[PROBE_QUERY_MAX + 16], frame[600];
	memcpy(dns, q->bytes, q->len);
	size_t n = q->len;
	dns[0] ^= (uint8_t)(r.id_xor >> 8);
	dns[1] ^= (uint8_t)r.id_xor;
	dns[2] |= 0x80; /* QR */
	dns[3] |= 0x80; /* RA */
	dns[7] = 1;     /* ancount */
	const uint8_t rr[12] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
	memcpy(dns + n, rr, sizeof rr);
	inet_pton(AF_INET, r.addr, dns + n + 12);
	n += 16;
	struct frame_spec fs = {.ttl = r.ttl ? r.ttl : 60, .ip_id = r.ipid, .df = r.df,
				.sport = r.sport ? r.sport : 53,
				.dport = (uint16_t)(r.dport ? r.dport : PORTS[q->sock])};
	size_t len = frame_build(&fs, dns, n, frame);
	uint8_t *ip = frame + 14; /* the ring is cooked: IP first */
	if (r.src)
		memcpy(ip + 12, r.src, 4);
	if (!r.frags) {
		probe_core_packet(c, ip, len - 14, EPOCH + t, t);
		return;
	}
	size_t dlen = len - 14 - 20;
	for (int k = r.frags; k-- > 0;) {
		int f = k == r.frags - 1 ? k : r.frags - 2 - k; /* last, then from the first */
		size_t off = (size_t)f * 24, fl = f == r.frags - 1 ? dlen - off : 24;
		uint8_t pkt[600];
		memcpy(pkt, ip, 20);
		memcpy(pkt + 20, ip + 20 + off, fl);
		pkt[2] = (uint8_t)((20 + fl) >> 8);
		pkt[3] = (uint8_t)(20 + fl);
		uint16_t fo = (uint16_t)((r.df ? 0x4000 : 0) | (f < r.frags - 1 ? 0x2000 : 0) | off / 8);
		pkt[6] = (uint8_t)(fo >> 8);
		pkt[7] = (uint8_t)fo;
		if (f)
			pkt[8]++;
		probe_core_packet(c, pkt, 20 + fl, EPOCH + t, t);
	}
}

static bool reply_addr_is(const struct probe_reply *p, const char *addr)
{
	uint8_t a[4];
	inet_pton(AF_INET, addr, a);
	return p->naddrs >= 1 && memcmp(p->addrs[0].addr, a, 4) == 0;
}

/* A forged reply first, the real one after: both kept, in order, with
 * their IP fields; the query finished when the hold window ends. */
static void test_race(void)
{
	struct probe_config c;
	config(&c);
	struct script s = {.names = {"www.example.com"}, .nnames = 1, .skip_target = -1};
	struct probe_hooks h = {.next = on_next, .result = on_result, .ctx = &s};
	struct probe_stats st;
	struct probe_core *core = start(&c, &h, &s, &st);
	if (!core)
		return;
	turn(core, 1 * MS);
	CHECK_EQ(s.nsent, 1);
	CHECK_EQ(st.names, 1);
	CHECK_EQ(st.queries, 1);
	CHECK_EQ(probe_core_in_flight(core), 1);
	reply(core, &s.sent[0], (struct reply_spec){.addr = "65.49.2.178", .ttl = 50, .ipid = 0}, 11 * MS);
	reply(core, &s.sent[0], (struct reply_spec){.addr = "198.19.1.1", .ttl = 62, .ipid = 4321, .df = true},
	      81 * MS);
	turn(core, 100 * MS);
	turn(core, 2010 * MS);
	CHECK_EQ(s.nres, 0); /* the hold runs 2 s from the first reply: 2011 ms */
	CHECK(!probe_core_finished(core));
	turn(core, 2011 * MS);
	CHECK_EQ(s.nres, 1);
	const struct probe_result *r = &s.res[0];
	CHECK_EQ(r->tag, 100);
	CHECK_EQ(r->line, 10); /* both as the names callback gave them */
	CHECK_EQ(r->seq, 0);
	CHECK_EQ(r->target, 0);
	CHECK_EQ(r->attempts, 1);
	CHECK_EQ(r->id, s.sent[0].id);
	CHECK_EQ(r->sport, PORTS[s.sent[0].sock]);
	CHECK_EQ(r->sent_us, EPOCH + 1 * MS);
	CHECK_EQ(r->nreplies, 2);
	CHECK_EQ(r->replies_seen, 2);
	CHECK_EQ(r->verdict, VERDICT_NONE);
	CHECK(reply_addr_is(&r->reply[0], "65.49.2.178"));
	CHECK_EQ(r->reply[0].ip_ttl, 50);
	CHECK(!r->reply[0].df);
	CHECK_EQ(r->reply[0].rtt_us, 10 * MS);
	CHECK_EQ(r->reply[0].time_us, EPOCH + 11 * MS);
	CHECK(r->reply[0].question_match);
	CHECK(reply_addr_is(&r->reply[1], "198.19.1.1"));
	CHECK_EQ(r->reply[1].ip_id, 4321);
	CHECK(r->reply[1].df);
	CHECK_EQ(r->reply[1].rtt_us, 80 * MS);
	CHECK_EQ(st.replies, 2);
	CHECK_EQ(st.unmatched, 0);
	CHECK_EQ(st.done, 1);
	CHECK(probe_core_finished(core));
	CHECK_EQ(probe_core_in_flight(core), 0);
	probe_core_free(core);
}

/* The real reply in IP fragments (a large answer over a small MTU), the
 * forged one whole: both kept, the reassembled one with its first
 * fragment's TTL and ID, counted in the stats. */
static void test_fragmented_reply(void)
{
	struct probe_config c;
	config(&c);
	struct script s = {.names = {"www.example.com"}, .nnames = 1, .skip_target = -1};
	struct probe_hooks h = {.next = on_next, .result = on_result, .ctx = &s};
	struct probe_stats st;
	struct probe_core *core = start(&c, &h, &s, &st);
	if (!core)
		return;
	turn(core, 1 * MS);
	CHECK_EQ(s.nsent, 1);
	reply(core, &s.sent[0], (struct reply_spec){.addr = "65.49.2.178", .ttl = 50}, 11 * MS);
	reply(core, &s.sent[0],
	      (struct reply_spec){.addr = "198.19.1.1", .ttl = 62, .ipid = 4321, .frags = 3}, 81 * MS);
	CHECK_EQ(st.fragments, 3);
	CHECK_EQ(st.frag_reassembled, 1);
	CHECK_EQ(st.frag_replies, 1);
	CHECK_EQ(st.replies, 2);
	/* another datagram with the same reply, its ID its own */
	reply(core, &s.sent[0], (struct reply_spec){.addr = "198.19.1.1", .ipid = 9, .frags = 3},
	      90 * MS);
	turn(core, 100 * MS);
	turn(core, 2011 * MS);
	CHECK_EQ(s.nres, 1);
	const struct probe_result *r = &s.res[0];
	CHECK_EQ(r->nreplies, 3);
	CHECK(reply_addr_is(&r->reply[0], "65.49.2.178"));
	CHECK(reply_addr_is(&r->reply[1], "198.19.1.1"));
	CHECK_EQ(r->reply[1].ip_ttl, 62);
	CHECK_EQ(r->reply[1].ip_id, 4321);
	CHECK(r->reply[1].question_match);
	CHECK_EQ(st.frag_replies, 2); /* the second datagram, whole too */
	probe_core_free(core);

	/* A lone fragment expires with a query's life ((retries + 1) x
	 * timeout + hold = 4 s, on the core's monotonic clock); a bad one is
	 * refused. */
	core = start(&c, &h, &s, &st);
	if (!core)
		return;
	s.nsent = 0;
	turn(core, 1 * MS);
	uint8_t frag[60] = {0x45, 0, 0, 28, 0, 7, 0x20, 0, 60, 17, 0, 0, 198, 18, 1, 2,
			    198, 18, 0, 1};
	probe_core_packet(core, frag, 28, EPOCH + 2 * MS, 2 * MS);
	CHECK_EQ(st.fragments, 1);
	turn(core, 3999 * MS);
	CHECK_EQ(st.frag_expired, 0);
	turn(core, 4003 * MS);
	CHECK_EQ(st.frag_expired, 1);
	frag[3] = 27; /* 7 bytes, MF set: a bad length */
	probe_core_packet(core, frag, 27, EPOCH + 4004 * MS, 4004 * MS);
	CHECK_EQ(st.frag_rejected, 1);
	CHECK_EQ(st.frag_replies, 0);
	probe_core_free(core);
}

/* Replies from the wrong address, source port or ID, or to the other
 * socket: counted as unmatched, kept nowhere. Packets to a port that is not
 * ours, and what is not UDP, are not ours to count. */
static void test_unmatched(void)
{
	struct probe_config c;
	config(&c);
	c.hold_ms = 0; /* the first reply finishes the query */
	struct script s = {.names = {"a.example.com"}, .nnames = 1, .skip_target = -1};
	struct probe_hooks h = {.next = on_next, .result = on_result, .ctx = &s};
	struct probe_stats st;
	struct probe_core *core = start(&c, &h, &s, &st);
	if (!core)
		return;
	turn(core, 1 * MS);
	CHECK_EQ(s.nsent, 1);
	const struct sent *q = &s.sent[0];
	const uint8_t other[4] = {198, 18, 1, 9};
	reply(core, q, (struct reply_spec){.addr = "1.1.1.1", .src = other}, 2 * MS);
	reply(core, q, (struct reply_spec){.addr = "1.1.1.2", .sport = 5353}, 3 * MS);
	reply(core, q, (struct reply_spec){.addr = "1.1.1.3", .id_xor = 1}, 4 * MS);
	reply(core, q, (struct reply_spec){.addr = "1.1.1.4", .dport = PORTS[1 - q->sock]}, 5 * MS);
	CHECK_EQ(st.unmatched, 4);
	reply(core, q, (struct reply_spec){.addr = "1.1.1.5", .dport = 40002}, 6 * MS);
	const uint8_t junk[8] = {0x45, 0, 0, 8, 0, 0, 0, 0};
	probe_core_packet(core, junk, sizeof junk, EPOCH + 6 * MS, 6 * MS);
	CHECK_EQ(st.unmatched, 4);
	CHECK_EQ(st.replies, 0);
	CHECK_EQ(s.nres, 0);
	reply(core, q, (struct reply_spec){.addr = "198.19.1.1"}, 7 * MS);
	CHECK_EQ(s.nres, 1);
	CHECK_EQ(s.res[0].nreplies, 1);
	CHECK(reply_addr_is(&s.res[0].reply[0], "198.19.1.1"));
	CHECK_EQ(st.replies, 1);
	probe_core_free(core);
}

/* No reply within the timeout: sent again, same ID, same port, same
 * bytes; a reply to it counts, its round trip from the retransmission. */
static void test_retransmit(void)
{
	struct probe_config c;
	config(&c);
	struct script s = {.names = {"b.example.com"}, .nnames = 1, .skip_target = -1};
	struct probe_hooks h = {.next = on_next, .result = on_result, .ctx = &s};
	struct probe_stats st;
	struct probe_core *core = start(&c, &h, &s, &st);
	if (!core)
		return;
	turn(core, 1 * MS);
	turn(core, 1000 * MS);
	CHECK_EQ(s.nsent, 1);
	turn(core, 1001 * MS);
	CHECK_EQ(s.nsent, 2);
	CHECK_EQ(st.retransmits, 1);
	CHECK_EQ(st.sent, 2);
	CHECK_EQ(s.sent[1].id, s.sent[0].id);
	CHECK_EQ(s.sent[1].sock, s.sent[0].sock);
	CHECK_EQ(s.sent[1].len, s.sent[0].len);
	CHECK_MEM(s.sent[1].bytes, s.sent[0].bytes, s.sent[0].len);
	reply(core, &s.sent[1], (struct reply_spec){.addr = "198.19.1.1"}, 1101 * MS);
	turn(core, 3101 * MS);
	CHECK_EQ(s.nres, 1);
	CHECK_EQ(s.res[0].attempts, 2);
	CHECK_EQ(s.res[0].nreplies, 1);
	CHECK_EQ(s.res[0].reply[0].rtt_us, 100 * MS);
	CHECK_EQ(s.res[0].sent_us, EPOCH + 1 * MS); /* the first transmission */
	probe_core_free(core);
}

/* Never answered: retries + 1 transmissions, then a result with no reply. */
static void test_timeout(void)
{
	struct probe_config c;
	config(&c);
	c.retries = 2;
	struct script s = {.names = {"c.example.com"}, .nnames = 1, .skip_target = -1};
	struct probe_hooks h = {.next = on_next, .result = on_result, .ctx = &s};
	struct probe_stats st;
	struct probe_core *core = start(&c, &h, &s, &st);
	if (!core)
		return;
	for (uint64_t t = 1; t <= 3000; t += 100)
		turn(core, t * MS);
	CHECK_EQ(s.nsent, 3); /* at 1, 1001 and 2001 ms */
	CHECK_EQ(s.nres, 0);
	turn(core, 3001 * MS);
	CHECK_EQ(s.nres, 1);
	CHECK_EQ(s.res[0].attempts, 3);
	CHECK_EQ(s.res[0].nreplies, 0);
	CHECK(probe_core_finished(core));
	probe_core_free(core);
}

/* The hold window runs from the first reply; a reply within it is kept, a
 * reply after it (the query is finished, its ID free) is unmatched. */
static void test_hold_and_late(void)
{
	struct probe_config c;
	config(&c);
	struct script s = {.names = {"d.example.com"}, .nnames = 1, .skip_target = -1};
	struct probe_hooks h = {.next = on_next, .result = on_result, .ctx = &s};
	struct probe_stats st;
	struct probe_core *core = start(&c, &h, &s, &st);
	if (!core)
		return;
	turn(core, 1 * MS);
	reply(core, &s.sent[0], (struct reply_spec){.addr = "65.49.2.178"}, 10 * MS);
	reply(core, &s.sent[0], (struct reply_spec){.addr = "198.19.1.1"}, 1900 * MS);
	turn(core, 2009 * MS);
	CHECK_EQ(s.nres, 0);
	turn(core, 2010 * MS);
	CHECK_EQ(s.nres, 1);
	CHECK_EQ(s.res[0].nreplies, 2);
	reply(core, &s.sent[0], (struct reply_spec){.addr = "198.19.1.2"}, 2100 * MS);
	CHECK_EQ(st.unmatched, 1);
	CHECK_EQ(st.replies, 2);
	turn(core, 5000 * MS);
	CHECK_EQ(s.nres, 1);
	probe_core_free(core);
}

/* Names and targets: every (name, target, type) a query, the tag of each
 * name with its results, the skip hook, the cap on queries awaiting a
 * first reply per target, a name that is no wire name, the end. */
static void test_names_and_caps(void)
{
	struct probe_config c;
	config(&c);
	c.target[1] = NODNS;
	c.ntargets = 2;
	c.qtype[1] = WIRE_T_AAAA;
	c.nqtypes = 2;
	c.inflight = 1;
	c.hold_ms = 0;
	struct script s = {.names = {"e.example.com", "a..b", "f.example.com"},
			   .nnames = 3, .skip_target = -1};
	struct probe_hooks h = {.next = on_next, .skip = on_skip, .result = on_result, .ctx = &s};
	struct probe_stats st;
	struct probe_core *core = start(&c, &h, &s, &st);
	if (!core)
		return;
	/* The bad name: built from text that does not parse, refused. */
	turn(core, 1 * MS);
	CHECK_EQ(st.names, 2);
	CHECK_EQ(st.bad_names, 1);
	CHECK_EQ(st.queries, 8);
	CHECK_EQ(s.nsent, 2); /* one per target: the cap */
	CHECK(s.sent[0].target != s.sent[1].target);
	CHECK_EQ(probe_core_wait_us(core), PROBE_CORE_IDLE_US);
	for (int round = 0; round < 4; round++) {
		int n = s.nsent;
		for (int k = n - 2; k < n; k++)
			reply(core, &s.sent[k], (struct reply_spec){.addr = "192.0.2.1",
					.sport = s.sent[k].target ? 5353 : 53}, (2 + (uint64_t)round) * MS);
		turn(core, (2 + (uint64_t)round) * MS);
	}
	CHECK_EQ(s.nres, 8);
	int tag100 = 0, tag102 = 0;
	for (int i = 0; i < s.nres; i++) {
		tag100 += s.res[i].tag == 100 && s.res[i].seq == 0;
		tag102 += s.res[i].tag == 102 && s.res[i].seq == 1;
	}
	CHECK_EQ(tag100, 4);
	CHECK_EQ(tag102, 4);
	CHECK(probe_core_finished(core));
	CHECK(probe_core_input_error(core) == NULL);
	probe_core_free(core);

	/* A target the skip hook says is done: not asked; a failing names
	 * callback ends the input. */
	struct script s2 = {.names = {"g.example.com", "h.example.com"}, .nnames = 2, .fail_at = 2,
			    .skip_target = 1};
	h.ctx = &s2;
	core = probe_core_new(&c, PORTS, &h, on_send, &s2, &st, 0, NULL);
	CHECK(core != NULL);
	if (!core)
		return;
	turn(core, 1 * MS);
	CHECK_EQ(st.names, 1);
	CHECK_EQ(st.skipped, 2);
	CHECK_EQ(st.queries, 2);
	CHECK(st.input_failed);
	CHECK_EQ(s2.nsent, 1);
	CHECK_EQ(s2.sent[0].target, 0);
	/* the callback's own error, kept for probe_run to return */
	const struct dw_error *ie = probe_core_input_error(core);
	CHECK(ie != NULL);
	if (ie) {
		CHECK_EQ(ie->status, DW_E_IO);
		CHECK_STR(ie->text, "names.txt: read error");
	}
	probe_core_free(core);
}

/* A result hook that asks to stop, and a configuration the core refuses. */
static void test_stop_and_config(void)
{
	struct probe_config c;
	config(&c);
	c.hold_ms = 0;
	struct script s = {.names = {"i.example.com", "j.example.com"}, .nnames = 2,
			   .stop_after_first = true, .skip_target = -1};
	struct probe_hooks h = {.next = on_next, .result = on_result, .ctx = &s};
	struct probe_stats st;
	struct probe_core *core = start(&c, &h, &s, &st);
	if (!core)
		return;
	turn(core, 1 * MS);
	CHECK(!probe_core_stopped(core));
	reply(core, &s.sent[0], (struct reply_spec){.addr = "192.0.2.1"}, 2 * MS);
	CHECK(probe_core_stopped(core));
	CHECK_EQ(probe_core_in_flight(core), 1);
	probe_core_free(core);

	struct dw_error err;
	c.target[1] = ISP;
	c.target[1].family = AF_INET6;
	c.ntargets = 2;
	CHECK(probe_core_new(&c, PORTS, &h, on_send, &s, &st, 0, &err) == NULL);
	CHECK_STR(err.text, "targets mix IPv4 and IPv6; probe them in separate runs");
	c.ntargets = 1;
	h.next = NULL;
	CHECK(probe_core_new(&c, PORTS, &h, on_send, &s, &st, 0, &err) == NULL);
	CHECK_EQ(err.status, DW_E_INVALID);
}

int main(void)
{
	RUN(test_race);
	RUN(test_fragmented_reply);
	RUN(test_unmatched);
	RUN(test_retransmit);
	RUN(test_timeout);
	RUN(test_hold_and_late);
	RUN(test_names_and_caps);
	RUN(test_stop_and_config);
	return harness_done();
}

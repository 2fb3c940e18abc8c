/* The iterative walk from the root (see walk.h). */
#include "watch/walk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe/reply.h"
#include "util/clock.h"
#include "util/rand.h"
#include "wire/build.h"
#include "wire/msg.h"
#include "wire/name.h"
#include "wire/rdata.h"

/* The payload size DNS Flag Day 2020 settled on: large enough for a root or
 * TLD referral with its glue, small enough not to fragment. */
#define WALK_EDNS 1232
/* Receive buffer: larger than we ask for, so that a server that ignores our
 * payload size is still read whole rather than silently cut. */
#define WALK_BUF 4096

/* One query of one step and the reply taken for it. */
struct exchange {
	uint8_t name[WIRE_NAME_MAX];            /* qname as sent (0x20 case) */
	uint8_t question[PROBE_QUESTION_MAX];
	size_t qlen;
	uint16_t id, sport;
	uint64_t tx_mono;                       /* last transmission */
	uint32_t rtt_us;
	uint64_t arrival_us;                    /* CLOCK_REALTIME */
	unsigned seen;                          /* datagrams received, taken or not */
	unsigned unusable;                      /* matched but did not parse */
	uint8_t buf[WALK_BUF];
	size_t len;
	struct wire_rr rr[WALK_RR_MAX];
	struct wire_msg msg;
};

__attribute__((format(printf, 2, 3)))
static void say(struct walk_trace *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* Long names are cut: the line is for people, the trace has the rest. */
	vsnprintf(t->why, sizeof t->why, fmt, ap);
	va_end(ap);
}

/* "198.19.66.66 (ns.example.com., zone example.com.)"; the root's server
 * has no name we learnt, so just "(zone .)". */
static const char *where(const uint8_t server[4], const uint8_t *ns, const uint8_t *zone,
			 char *out, size_t cap)
{
	char a[INET_ADDRSTRLEN], z[WIRE_NAME_TEXT_MAX], n[WIRE_NAME_TEXT_MAX];
	inet_ntop(AF_INET, server, a, sizeof a);
	wire_name_to_text(zone, z, sizeof z);
	if (ns[0]) {
		wire_name_to_text(ns, n, sizeof n);
		snprintf(out, cap, "%s (%.100s, zone %.100s)", a, n, z);
	} else {
		snprintf(out, cap, "%s (zone %.100s)", a, z);
	}
	return out;
}

/* A UDP socket on a port drawn from the seed, as a resolver's source port
 * is part of what an off-path forger must guess; the kernel's own pick if
 * that port is taken. */
static int open_socket(uint64_t *rng, uint16_t *sport)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_port = htons((uint16_t)(1024 + splitmix64(rng) % (65536 - 1024)));
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa)) {
		sa.sin_port = 0;
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa)) {
			close(fd);
			return -1;
		}
	}
	socklen_t sl = sizeof sa;
	if (getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		close(fd);
		return -1;
	}
	*sport = ntohs(sa.sin_port);
	return fd;
}

/*
 * Is BUF[0..N) from FROM the reply to X? Source address and port, ID, QR
 * and the one question byte for byte (0x20 case included): anything an
 * off-path forger would have to guess. A match that does not parse is
 * counted and skipped, not taken: the real reply may still come.
 */
static bool take(struct exchange *x, const uint8_t server[4], uint16_t port,
		 const struct sockaddr_in *from, size_t n)
{
	if (from->sin_family != AF_INET || memcmp(&from->sin_addr, server, 4) != 0 ||
	    ntohs(from->sin_port) != port)
		return false;
	if (n > sizeof x->buf || n < WIRE_HEADER_LEN + x->qlen)
		return false;
	const uint8_t *b = x->buf;
	if ((uint16_t)(b[0] << 8 | b[1]) != x->id || !(b[2] & 0x80) ||
	    (b[4] << 8 | b[5]) != 1 || memcmp(b + WIRE_HEADER_LEN, x->question, x->qlen) != 0)
		return false;
	enum dw_status st = wire_msg_parse(&x->msg, b, n, x->rr, WALK_RR_MAX);
	/* More records than we read is not malformed: those read were checked. */
	if (st != DW_OK && st != DW_E_TOO_MANY_RR) {
		x->unusable++;
		return false;
	}
	x->len = n;
	return true;
}

/*
 * One step: ask SERVER (AT, for messages) for QNAME/QTYPE, retransmit once
 * at half the timeout, give up at the whole. Returns 1 with a reply in X, 0
 * on timeout, -2 when the query could not be sent (no route: the path's
 * failure; ERR's text says why), -1 on a local error (ERR set). *SENT
 * counts datagrams, *FIRST_US gets the wall clock of the walk's first one.
 */
static int ask(const struct walk_config *cfg, const uint8_t server[4], const char *at,
	       uint64_t *rng, const uint8_t *qname, uint16_t qtype, struct exchange *x,
	       unsigned *sent, uint64_t *first_us, struct dw_error *err)
{
	memcpy(x->name, qname, wire_name_len(qname, WIRE_NAME_MAX));
	wire_name_apply_0x20(x->name, splitmix64(rng));
	x->id = (uint16_t)splitmix64(rng);
	x->qlen = probe_question_make(x->name, qtype, x->question);
	x->seen = x->unusable = 0;
	x->len = 0;
	uint8_t q[PROBE_QUESTION_MAX + WIRE_HEADER_LEN + 11];
	size_t ql = wire_build_query(q, sizeof q, x->id, x->name, qtype, 0, WALK_EDNS);
	if (!ql || !x->qlen)
		return dw_error_set(err, DW_E_NOSPACE, "asking %s: the query does not fit", at);
	int fd = open_socket(rng, &x->sport);
	if (fd < 0)
		return dw_error_errno(err, "the walker's UDP socket");
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(cfg->port)};
	memcpy(&to.sin_addr, server, 4);

	uint64_t start = util_mono_us();
	uint64_t retx_at = start + (uint64_t)cfg->timeout_ms * 500u;
	uint64_t deadline = start + (uint64_t)cfg->timeout_ms * 1000u;
	unsigned tx = 0;
	int rc = 0;
	for (;;) {
		uint64_t now = util_mono_us();
		if (tx == 0 || (tx == 1 && now >= retx_at && now < deadline)) {
			if (!*sent)
				*first_us = util_real_us();
			if (sendto(fd, q, ql, 0, (struct sockaddr *)&to, sizeof to) < 0) {
				/* No route, a firewall: the path failed, not the
				 * walker (-1 is for what no later walk can fix). */
				dw_error_errno(err, "sending to %s", at);
				rc = -2;
				break;
			}
			x->tx_mono = util_mono_us();
			tx++;
			(*sent)++;
			continue;
		}
		if (now >= deadline)
			break;
		uint64_t until = tx < 2 && retx_at < deadline ? retx_at : deadline;
		int ms = until > now ? (int)((until - now + 999) / 1000) : 0;
		struct pollfd pf = {fd, POLLIN, 0};
		int r = poll(&pf, 1, ms);
		if (r < 0 && errno != EINTR) {
			rc = dw_error_errno(err, "the walker's poll");
			break;
		}
		if (r <= 0)
			continue;
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		/* MSG_TRUNC: the datagram's true length, so a cut one is seen. */
		ssize_t n = recvfrom(fd, x->buf, sizeof x->buf, MSG_TRUNC | MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				continue;
			rc = dw_error_errno(err, "the walker's receive from %s", at);
			break;
		}
		uint64_t t_mono = util_mono_us();
		x->seen++;
		if (fl < sizeof from || !take(x, server, cfg->port, &from, (size_t)n))
			continue;
		x->arrival_us = util_real_us();
		x->rtt_us = (uint32_t)(t_mono - x->tx_mono);
		rc = 1;
		break;
	}
	close(fd);
	return rc;
}

/* The A glue for NS, searched in the additional section; false if none. */
static bool find_glue(const struct wire_msg *m, const uint8_t *ns, uint8_t addr[4])
{
	size_t a = wire_msg_section_start(m, WIRE_SEC_ADDITIONAL);
	size_t na = wire_msg_section_count(m, WIRE_SEC_ADDITIONAL);
	uint8_t owner[WIRE_NAME_MAX];
	for (size_t i = a; i < a + na; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->type != WIRE_T_A || rr->class != WIRE_C_IN || rr->rdlen != 4)
			continue;
		if (!wire_msg_name(m, rr->owner_off, owner) || !wire_name_equal(owner, ns))
			continue;
		memcpy(addr, m->raw + rr->rdata_off, 4);
		return true;
	}
	return false;
}

/* The why line of walk_decide; WHYCAP 0 writes nothing. */
__attribute__((format(printf, 3, 4)))
static void why_say(char *why, size_t whycap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* Long names are cut: the line is for people, the trace has the rest. */
	vsnprintf(why, whycap, fmt, ap);
	va_end(ap);
}

enum walk_verdict walk_decide(const struct wire_msg *m, const uint8_t *qname,
			      const uint8_t *zone, const char *at, struct walk_next *next,
			      char *why, size_t whycap)
{
	memset(next, 0, sizeof *next);
	unsigned rcode = wire_msg_rcode(m);
	if (m->hdr.flags & WIRE_FLAG_TC) {
		/* Asking again over TCP would be a second transport to get
		 * right for a case a 1232-byte answer rarely hits. */
		why_say(why, whycap, "truncated reply from %s; TCP is not tried", at);
		return WALK_TRUNCATED;
	}
	/* Any answer ends the walk, a CNAME alone included: following it
	 * would be a second walk, and the classifier judges the reply as it
	 * came, which is what the other paths return too. */
	if (wire_msg_section_count(m, WIRE_SEC_ANSWER)) {
		why_say(why, whycap, "answer from %s", at);
		return WALK_ANSWER;
	}
	if (rcode != WIRE_RCODE_NOERROR) {
		char rname[16];
		why_say(why, whycap, "%s from %s", wire_rcode_name(rcode, rname, sizeof rname), at);
		return WALK_RCODE;
	}

	/* No answer, NOERROR: a referral if the authority section holds NS
	 * records and no SOA; NODATA otherwise. */
	size_t a = wire_msg_section_start(m, WIRE_SEC_AUTHORITY);
	size_t na = wire_msg_section_count(m, WIRE_SEC_AUTHORITY);
	bool soa = false;
	size_t first_ns = SIZE_MAX;
	for (size_t i = a; i < a + na; i++) {
		if (m->rr[i].type == WIRE_T_SOA)
			soa = true;
		else if (m->rr[i].type == WIRE_T_NS && m->rr[i].class == WIRE_C_IN &&
			 first_ns == SIZE_MAX)
			first_ns = i;
	}
	if (soa || first_ns == SIZE_MAX) {
		why_say(why, whycap, "NODATA from %s", at);
		return WALK_NODATA;
	}

	/* The parse checked every owner name read, so this cannot fail; were
	 * it to, the root put here is never below ZONE and the referral is
	 * refused rather than followed on stack bytes. */
	uint8_t child[WIRE_NAME_MAX] = {0};
	char ztext[WIRE_NAME_TEXT_MAX];
	if (!wire_msg_name(m, m->rr[first_ns].owner_off, child))
		memset(child, 0, sizeof child);
	/* Shown and kept lower case: a server may echo our 0x20 case. */
	wire_name_canonicalize(child);
	wire_name_to_text(child, ztext, sizeof ztext);
	memcpy(next->zone, child, wire_name_len(child, WIRE_NAME_MAX));
	/* Each step must go strictly down, towards the name: a referral to
	 * the same zone, above it or beside the name is a loop or a lame
	 * server, and following it could go round for ever. */
	if (!wire_name_is_subdomain(qname, child) || !wire_name_is_subdomain(child, zone) ||
	    wire_name_equal(child, zone)) {
		why_say(why, whycap, "referral to %.100s is not down towards the name at %s",
			ztext, at);
		return WALK_SIDEWAYS;
	}

	/* The first NS of the child zone with A glue. Names without glue are
	 * not looked up on their own: that is a walk of its own, and what
	 * this path checks is the delegation as handed out. The glue is taken
	 * whatever its bailiwick: nothing is cached, so it can poison
	 * nothing, and a rogue delegation is exactly what the walk is there
	 * to show. */
	for (size_t i = first_ns; i < a + na; i++) {
		const struct wire_rr *rr = &m->rr[i];
		uint8_t owner[WIRE_NAME_MAX];
		if (rr->type != WIRE_T_NS || rr->class != WIRE_C_IN ||
		    !wire_msg_name(m, rr->owner_off, owner) || !wire_name_equal(owner, child))
			continue;
		struct wire_rdata rd;
		wire_rdata_get(m, rr, &rd);
		if (find_glue(m, rd.u.name, next->server)) {
			memcpy(next->ns, rd.u.name, wire_name_len(rd.u.name, WIRE_NAME_MAX));
			wire_name_canonicalize(next->ns);
			why_say(why, whycap, "referral to %.100s at %s", ztext, at);
			return WALK_REFERRAL;
		}
	}
	why_say(why, whycap, "referral to %.100s without glue at %s", ztext, at);
	return WALK_NO_GLUE;
}

/* Fill OUT as the probe engine would for a query of the last step. */
static void fill_out(struct probe_result *out, const struct exchange *x, uint16_t qtype,
		     unsigned sent, uint64_t first_us, const uint8_t server[4], uint16_t port,
		     bool have_reply)
{
	uint64_t seq = out->seq;
	uint32_t line = out->line;
	uint16_t target = out->target;
	memset(out, 0, sizeof *out);
	out->seq = seq;
	out->line = line;
	out->target = target;
	memcpy(out->qname, x->name, sizeof out->qname);
	out->qtype = qtype;
	out->id = x->id;
	out->sport = x->sport;
	out->attempts = (uint8_t)sent;
	out->sent_us = first_us;
	/* Every datagram the last step's socket received, the ignored ones
	 * included: a forgery that guessed wrong is still evidence. */
	out->replies_seen = (uint16_t)x->seen;
	out->verdict = VERDICT_NONE;
	out->forged_reply = -1;
	out->group = -1;
	if (!have_reply)
		return;
	struct probe_reply *r = &out->reply[0];
	r->time_us = x->arrival_us;
	r->rtt_us = x->rtt_us;
	r->family = AF_INET;
	memcpy(r->src, server, 4);
	r->sport = port;
	r->ip_known = false; /* a plain socket does not see the IP header */
	probe_reply_fill(r, x->buf, x->len, x->question, x->qlen);
	out->nreplies = 1;
}

int walk_run(const struct walk_config *cfg, const uint8_t *qname, uint16_t qtype,
	     struct probe_result *out, struct walk_trace *trace, struct dw_error *err)
{
	struct walk_trace own;
	struct walk_trace *t = trace ? trace : &own;
	memset(t, 0, sizeof *t);

	/* About 6 KiB on the stack: no allocation, and a worker thread's
	 * stack holds it easily. */
	struct exchange x;
	memset(&x, 0, sizeof x);
	uint64_t rng = cfg->seed;
	unsigned sent = 0;
	uint64_t first_us = 0;
	uint8_t server[4], zone[WIRE_NAME_MAX] = {0}, ns[WIRE_NAME_MAX] = {0};
	memcpy(server, cfg->root, 4);
	char at[300];

	size_t qnl = wire_name_len(qname, WIRE_NAME_MAX);
	if (!qnl) {
		fill_out(out, &x, qtype, 0, 0, server, cfg->port, false);
		return dw_error_set(err, DW_E_INVALID, "the walker was given no valid name in wire form");
	}
	memcpy(x.name, qname, qnl);

	int result = 1;
	bool have_reply = false;
	for (;;) {
		if (t->nsteps == WALK_STEPS_MAX) {
			say(t, "more than %d steps (the next would ask %s)", WALK_STEPS_MAX,
			    where(server, ns, zone, at, sizeof at));
			break;
		}
		struct walk_step *s = &t->step[t->nsteps++];
		memcpy(s->server, server, 4);
		memcpy(s->zone, zone, wire_name_len(zone, WIRE_NAME_MAX));
		where(server, ns, zone, at, sizeof at);

		struct dw_error e;
		int r = ask(cfg, server, at, &rng, qname, qtype, &x, &sent, &first_us, &e);
		if (r == -2) {
			say(t, "%s", e.text); /* the path's failure: an outcome */
			break;
		}
		if (r < 0) {
			if (err)
				*err = e;
			result = -1;
			break;
		}
		if (r == 0) {
			if (x.unusable)
				say(t, "timeout at %s, %u malformed replies ignored", at, x.unusable);
			else
				say(t, "timeout at %s", at);
			break;
		}
		const struct wire_msg *m = &x.msg;
		s->rcode = (uint16_t)wire_msg_rcode(m);
		s->rtt_us = x.rtt_us;
		struct walk_next next;
		enum walk_verdict v = walk_decide(m, qname, zone, at, &next, t->why, sizeof t->why);
		if (v == WALK_ANSWER || v == WALK_RCODE || v == WALK_NODATA) {
			have_reply = true;
			result = 0;
			break;
		}
		/* A delegation down counts as a referral in the trace even when
		 * none of its servers can be reached: the step did delegate. */
		if (v == WALK_REFERRAL || v == WALK_NO_GLUE)
			s->referral = true;
		if (v != WALK_REFERRAL)
			break;
		memcpy(server, next.server, 4);
		memcpy(zone, next.zone, sizeof zone);
		memcpy(ns, next.ns, sizeof ns);
	}

	const uint8_t *from = t->nsteps ? t->step[t->nsteps - 1].server : cfg->root;
	fill_out(out, &x, qtype, sent, first_us, from, cfg->port, have_reply);
	return result;
}

/* The guard's resolver: listeners, upstream legs, Hold-On, the cache (see server.h). */
#include "guard/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "guard/cache.h"
#include "net/dot.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/json.h"
#include "wire/build.h"
#include "wire/msg.h"
#include "wire/name.h"

#define QUERY_MAX 4096          /* a client query longer than this is oversized */
#define UQ_MAX 512              /* our upstream query */
/* a leg per plain upstream, again at each retry (a UDP leg, and a TCP one
 * at the first), and one for a truncated reply asked over TCP */
#define LEGS_MAX (3 * GUARD_UPSTREAM_MAX + 1)
#define CANDS_MAX 4
#define WAIT_MAX 16             /* replies waiting for keys: forgeries of every leg, and the real ones */
#define RETRY_MIN_US 200000u    /* a query unanswered is sent again every 3 RTTs, at least this, */
#define RETRY_MAX_DIV 4         /* at most a quarter of the timeout, */
#define RETRY_MAX 6             /* at most this many times */
#define DROPPED_KEEP 4
#define TCP_IDLE_US 10000000u   /* a client TCP connection with nothing to do */
#define TCP_OUT_MAX (256u * 1024u)
#define EDNS_PAYLOAD 1232       /* what we offer and ask for (DNS flag day 2020) */
#define EDE_OTHER 0
#define EDE_NETWORK_ERROR 23
#define EDE_NO_REACHABLE 22
#define TLS_WORKERS 4           /* DoT connections per tls: upstream, one exchange each at a time */
#define TLS_QUEUE 256
#define FORGED_NAMES 4096       /* names that drew a forged reply, remembered (a power of 2) */
#define EDE_DNSSEC_BOGUS 6
#define EDE_DNSKEY_MISSING 9
#define FETCH_FAILS 256         /* key fetches that failed, not tried again for a while (a power of 2) */
#define REVALIDATE_ROUNDS 64    /* key fetches finished in one poll round that wake waiting replies */
#define KEYS_DONE_MAX 64        /* key fetches finished since the last look, by name (more: look at all) */
#define UDP_BATCH 32            /* client datagrams read (recvmmsg) and answered (sendmmsg) at once */
#define T_DS 43
#define T_RRSIG 46
#define T_NSEC 47
#define T_NSEC3 50

/* Who asked, and how to answer them. */
struct client {
	bool tcp;
	int fd;                      /* UDP: the listener */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int conn;                    /* TCP: the connection's slot and generation */
	uint32_t conn_gen;
	uint16_t id, flags;
	bool edns, dnssec_ok;
	uint16_t payload;
	uint8_t qname[WIRE_NAME_MAX];
	uint16_t qtype, qclass;
	uint8_t question[WIRE_NAME_MAX + 4]; /* as the client sent it */
	size_t qlen;
};

struct leg {
	int fd;                      /* -1: closed */
	unsigned up;
	bool tcp;
	bool failed;
	uint8_t tcp_state;           /* 0 connecting, 1 sending, 2 reading */
	size_t sent, got;
	uint8_t *buf;                /* TCP: the length and the reply */
	uint64_t sent_us;
};

struct cand {
	uint8_t *msg;
	size_t len;
	struct guard_obs obs;
	unsigned up;
	bool verified;               /* waiting: on a ready profile, or a path no datagram races */
	uint64_t need;               /* waiting for keys: fetch_key() of the DS or DNSKEY it needs */
};

struct pend {
	bool used;
	uint64_t serial;             /* tells a TLS result for this query from one for an earlier */
	unsigned tls_pending;        /* TLS exchanges under way */
	bool tls_sent;
	bool calibration;
	unsigned cal_up;
	bool internal;               /* the guard's own key fetch (DS or DNSKEY): no client */
	struct cand wait[WAIT_MAX];  /* replies waiting for key fetches */
	unsigned nwait;
	uint8_t need_name[WIRE_NAME_MAX]; /* what the last of them waits for */
	uint16_t need_type;
	uint64_t fetch_at;           /* a deferred fetch (need_fetch) is due; 1: fired */
	unsigned bogus;              /* replies dropped as DNSSEC bogus */
	char why[256];               /* the last one's evidence */
	struct client cl;
	uint16_t uid;
	uint8_t uq[UQ_MAX];
	size_t uqlen, uq_question_len;
	struct leg leg[LEGS_MAX];
	unsigned nleg;
	uint64_t start_us, deadline_us, window_end_us;
	uint64_t retry_at;           /* unanswered then: asked again (0: no more) */
	unsigned retries;
	struct cand cand[CANDS_MAX];
	unsigned ncand;
	unsigned drops;
	struct guard_obs dropped[DROPPED_KEEP];
	unsigned ndropped;
	/* calibration: the UDP replies and the TCP one that confirms them */
	struct guard_obs cal_udp[CANDS_MAX];
	unsigned ncal_udp;
	bool cal_tcp_in;
	struct guard_obs cal_tcp;
};

struct conn {
	int fd;                      /* -1: free */
	uint32_t gen;
	uint64_t last_us;
	uint8_t in[2 + QUERY_MAX];
	size_t inlen;
	uint8_t *out;
	size_t outlen, outcap;
};

enum pfd_kind { PFD_UDP, PFD_TCP_LISTEN, PFD_CONN, PFD_LEG, PFD_TLS };

/* A query for a TLS worker, and what came back. */
struct tls_job {
	unsigned slot, up;
	uint64_t serial;
	size_t qlen;
	uint8_t q[UQ_MAX];
};
struct tls_done {
	unsigned slot, up;
	uint64_t serial;
	bool ok;
	size_t len;
	uint8_t *msg;
};

/* The DoT side: TLS_WORKERS threads per tls: upstream, each with its own
 * connection, take jobs from the upstream's queue; results come back
 * through one list and an eventfd the loop polls. dot_exchange waits, so
 * it runs off the loop's thread. */
struct tls_upstream {
	struct guard *g;
	unsigned up;
	pthread_t th[TLS_WORKERS];
	unsigned nth;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct tls_job job[TLS_QUEUE];
	unsigned head, count;
	bool stop;
};
struct pfd_map {
	uint8_t kind;
	unsigned i, j;
};

struct guard {
	struct guard_config cfg;
	int udp[GUARD_LISTEN_MAX], tcp[GUARD_LISTEN_MAX];
	struct conn *conn;
	struct pend *pend;
	unsigned npend;
	struct guard_cache *cache;
	struct guard_profile prof[GUARD_UPSTREAM_MAX];
	struct guard_intel *intel;
	struct guard_counters ctr;
	uint64_t next_calibration_us;
	struct pollfd *pfd;
	struct pfd_map *map;
	size_t pfd_cap;
	uint32_t conn_gen;
	uint64_t serial;
	/* encrypted fallback */
	struct tls_upstream *tls[GUARD_UPSTREAM_MAX];
	unsigned ntls;
	int tls_efd;
	pthread_mutex_t done_mu;
	struct tls_done done[TLS_QUEUE * 2];
	unsigned ndone;
	uint64_t injected_until[GUARD_UPSTREAM_MAX]; /* a path judged injected until then */
	uint32_t srtt_us[GUARD_UPSTREAM_MAX]; /* smoothed RTT of the replies served, per upstream (0: none yet) */
	uint64_t served_us[GUARD_UPSTREAM_MAX]; /* when a reply from it was last served or proved keys */
	struct { uint64_t hash, until; } forged_name[FORGED_NAMES];
	/* DNSSEC: key fetches that ended without teaching anything, and
	 * whether one finished since the waiting replies were last looked at */
	struct { uint64_t hash, until; } fetch_fail[FETCH_FAILS];
	bool keys_changed;
	uint64_t keys_done[KEYS_DONE_MAX]; /* fetch_key() of the fetches that finished: whose waiters to wake */
	unsigned nkeys_done;               /* > KEYS_DONE_MAX: wake every waiting reply */
	/* a batch of client datagrams, and the UDP answers gathered while it
	 * is read (cache hits, SERVFAILs), sent with one sendmmsg: two system
	 * calls per batch instead of two per query */
	uint8_t in[UDP_BATCH][QUERY_MAX + 1];
	struct sockaddr_storage in_addr[UDP_BATCH];
	struct mmsghdr in_msg[UDP_BATCH];
	struct iovec in_iov[UDP_BATCH];
	int batch_fd;                /* -1: answers go out one by one */
	unsigned nbatch;
	uint8_t bout[UDP_BATCH][4096]; /* a UDP answer is at most 4096 bytes (client_max) */
	struct sockaddr_storage bout_addr[UDP_BATCH];
	struct mmsghdr bout_msg[UDP_BATCH];
	struct iovec bout_iov[UDP_BATCH];
	uint8_t buf[WIRE_MSG_MAX + 2];
	uint8_t out[WIRE_MSG_MAX + 2];
	uint8_t vbuf[WIRE_MSG_MAX + 2]; /* a validated reply with its AD bit */
	uint8_t sbuf[WIRE_MSG_MAX + 2]; /* the same shaped for one client */
};

static struct wire_rr rr_scratch[WIRE_RR_MAX]; /* one thread runs the guard */

/* A reply's way (on_reply, consider) meets the upstream paths (leg_open,
 * pend_route) again for key fetches: declared ahead. */
static void consider(struct guard *g, struct pend *p, const uint8_t *msg, size_t len,
		     const struct guard_obs *o, unsigned up, bool verified, bool fetch);
static void key_fetch(struct guard *g, const uint8_t *name, uint16_t type, uint64_t deadline_us,
		      unsigned depth);
static void need_fetch(struct guard *g, struct pend *p);
static void dnssec_drop(struct guard *g, struct pend *p, unsigned up, const struct guard_obs *o,
			const char *why);
static void settle_waiting(struct guard *g, struct pend *p);
static int leg_open(struct guard *g, struct pend *p, unsigned up, bool tcp);
static bool build_upstream_query(const struct guard *g, struct pend *p);
static bool pend_route(struct guard *g, struct pend *p);
static struct pend *pend_new(struct guard *g);
static uint64_t retry_gap_us(const struct guard *g, unsigned retries);

void guard_config_default(struct guard_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->timeout_ms = 2000;
	cfg->window_ms = 300;
	cfg->min_ttl = 0;
	cfg->max_ttl = 86400;
	cfg->cache_max = 10000;
	cfg->inflight_max = 1024;
	cfg->tcp_clients_max = 64;
	cfg->checks = GUARD_CHECK_ALL & ~GUARD_CHECK_DNSSEC;
	cfg->holdon = true;
	cfg->calibrate_every_ms = 10000;
	cfg->fallback = true;
	cfg->fallback_hold_ms = 30000;
}

/* --- addresses -------------------------------------------------------------- */

int guard_addr_parse(const char *text, uint16_t defport, struct sockaddr_storage *ss,
		     socklen_t *len, struct dw_error *err)
{
	char host[128];
	const char *port = NULL;
	memset(ss, 0, sizeof *ss);
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end || (size_t)(end - text - 1) >= sizeof host)
			return dw_error_set(err, DW_E_SYNTAX, "'%s': an IPv6 address in [] expected", text);
		memcpy(host, text + 1, (size_t)(end - text - 1));
		host[end - text - 1] = 0;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return dw_error_set(err, DW_E_SYNTAX, "'%s': ':PORT' expected after ]", text);
	} else {
		const char *colon = strchr(text, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		size_t n = colon ? (size_t)(colon - text) : strlen(text);
		if (n >= sizeof host)
			return dw_error_set(err, DW_E_SYNTAX, "'%s': address too long", text);
		memcpy(host, text, n);
		host[n] = 0;
		if (colon)
			port = colon + 1;
	}
	long p = defport;
	if (port) {
		char *end;
		p = strtol(port, &end, 10);
		if (!*port || *end || p < 1 || p > 65535)
			return dw_error_set(err, DW_E_SYNTAX, "'%s': port must be 1..65535", text);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*len = sizeof *s4;
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*len = sizeof *s6;
	} else {
		return dw_error_set(err, DW_E_SYNTAX, "'%s': '%s' is not an IP address", text, host);
	}
	return 0;
}

int guard_upstream_parse(const char *text, struct guard_upstream *up, struct dw_error *err)
{
	memset(up, 0, sizeof *up);
	snprintf(up->text, sizeof up->text, "%s", text);
	const char *rest;
	uint16_t defport = 53;
	if (!strncmp(text, "udp:", 4)) {
		up->kind = GUARD_UP_UDP;
	} else if (!strncmp(text, "tcp:", 4)) {
		up->kind = GUARD_UP_TCP;
	} else if (!strncmp(text, "tls:", 4)) {
		up->kind = GUARD_UP_TLS;
		defport = 853;
	} else {
		return dw_error_set(err, DW_E_SYNTAX,
				    "upstream '%s': udp:, tcp: or tls: then ADDR[:PORT] expected", text);
	}
	rest = text + 4;
	char addr[160];
	const char *hash = strchr(rest, '#');
	size_t n = hash ? (size_t)(hash - rest) : strlen(rest);
	if (n >= sizeof addr)
		return dw_error_set(err, DW_E_SYNTAX, "upstream '%s': address too long", text);
	memcpy(addr, rest, n);
	addr[n] = 0;
	if (hash) {
		if (up->kind != GUARD_UP_TLS)
			return dw_error_set(err, DW_E_SYNTAX, "upstream '%s': #NAME is for tls: only", text);
		if (!hash[1] || strlen(hash + 1) >= sizeof up->name)
			return dw_error_set(err, DW_E_SYNTAX, "upstream '%s': empty or long #NAME", text);
		snprintf(up->name, sizeof up->name, "%s", hash + 1);
	}
	if (guard_addr_parse(addr, defport, &up->addr, &up->addrlen, err))
		return dw_error_prefix(err, "upstream");
	return 0;
}

/* --- the client side ---------------------------------------------------------- */

/* Read a client's query into CL. false: drop it (malformed). */
static bool client_parse(struct client *cl, const uint8_t *q, size_t len)
{
	struct wire_msg m;
	if (len < WIRE_HEADER_LEN || wire_msg_parse(&m, q, len, rr_scratch, WIRE_RR_MAX) != DW_OK)
		return false;
	if ((m.hdr.flags & WIRE_FLAG_QR) || WIRE_OPCODE(m.hdr.flags) != 0 ||
	    m.hdr.count[WIRE_SEC_QUESTION] != 1 || m.hdr.count[WIRE_SEC_ANSWER] != 0 ||
	    m.edns.count > 1 || m.trailing)
		return false;
	const struct wire_rr *qr = &m.rr[0];
	if (!wire_msg_name(&m, qr->owner_off, cl->qname))
		return false;
	/* the question's bytes as sent: a question is never compressed, it is
	 * the first name of the message */
	if (qr->owner_off != WIRE_HEADER_LEN || qr->rdata_off <= WIRE_HEADER_LEN)
		return false;
	cl->qlen = qr->rdata_off - WIRE_HEADER_LEN;
	/* a compressed question (a pointer into the header) would point
	 * elsewhere in the answer: only a name in full is taken */
	if (cl->qlen > sizeof cl->question || cl->qlen < 5 ||
	    wire_name_len(q + WIRE_HEADER_LEN, cl->qlen - 4) != cl->qlen - 4)
		return false;
	memcpy(cl->question, q + WIRE_HEADER_LEN, cl->qlen);
	cl->qtype = qr->type;
	cl->qclass = qr->class;
	if (cl->qtype == WIRE_T_OPT || cl->qtype == 251 || cl->qtype == 252)
		return false; /* zone transfers and OPT are not a stub's questions */
	cl->id = m.hdr.id;
	cl->flags = m.hdr.flags;
	cl->edns = m.edns.present;
	cl->payload = m.edns.present ? m.edns.payload : 512;
	if (cl->payload < 512)
		cl->payload = 512;
	cl->dnssec_ok = m.edns.present && (m.edns.flags & WIRE_EDNS_DO);
	return true;
}

/* The largest answer CL can take. */
static size_t client_max(const struct client *cl)
{
	if (cl->tcp)
		return WIRE_MSG_MAX;
	return cl->payload > 4096 ? 4096 : cl->payload;
}

/* SERVFAIL, or an empty TC answer (TC true), to CL; with EDE WHY when CL
 * speaks EDNS (an OPT to a query without one is not allowed, RFC 6891 7). */
static size_t client_short_answer(const struct client *cl, unsigned rcode, bool tc, uint16_t flags,
				  const char *why, uint16_t ede, uint8_t *out, size_t cap)
{
	struct wire_builder b;
	uint16_t f = (uint16_t)(WIRE_FLAG_QR | WIRE_FLAG_RA | (cl->flags & (WIRE_FLAG_RD | WIRE_FLAG_CD)) |
				(rcode & 0xf));
	if (tc)
		f = (uint16_t)((flags & ~0xfu & ~WIRE_FLAG_TC) | WIRE_FLAG_TC | (rcode & 0xf));
	wire_build_init(&b, out, cap, cl->id, f);
	wire_build_question(&b, cl->qname, cl->qtype, cl->qclass);
	if (cl->edns) {
		uint8_t opt[4 + 2 + 200];
		uint16_t olen = 0;
		if (why) {
			size_t wl = strlen(why);
			if (wl > 200)
				wl = 200;
			opt[0] = 0;
			opt[1] = 15;
			opt[2] = (uint8_t)((wl + 2) >> 8);
			opt[3] = (uint8_t)(wl + 2);
			opt[4] = (uint8_t)(ede >> 8);
			opt[5] = (uint8_t)ede;
			memcpy(opt + 6, why, wl);
			olen = (uint16_t)(6 + wl);
		}
		wire_build_edns(&b, EDNS_PAYLOAD, 0, 0, cl->dnssec_ok ? WIRE_EDNS_DO : 0, opt, olen);
	}
	size_t len;
	if (wire_build_finish(&b, &len) != DW_OK)
		return 0;
	/* the question goes back as the client wrote it (case included) */
	if (len >= WIRE_HEADER_LEN + cl->qlen)
		memcpy(out + WIRE_HEADER_LEN, cl->question, cl->qlen);
	return len;
}

/* The upstream's reply MSG rewritten for CL: its ID and question, RD as
 * asked, no OPT for a client without EDNS, TC and nothing else when it is
 * too large. Returns its length, 0 if MSG cannot be rewritten. */
static size_t client_answer(const struct client *cl, const uint8_t *msg, size_t len, uint8_t *out,
			    size_t cap)
{
	struct wire_msg m;
	if (len > cap || wire_msg_parse(&m, msg, len, rr_scratch, WIRE_RR_MAX) != DW_OK ||
	    m.hdr.count[WIRE_SEC_QUESTION] != 1 || m.rr[0].owner_off != WIRE_HEADER_LEN ||
	    (size_t)(m.rr[0].rdata_off - WIRE_HEADER_LEN) != cl->qlen)
		return 0;
	uint8_t name[WIRE_NAME_MAX];
	if (!wire_msg_name(&m, m.rr[0].owner_off, name) || !wire_name_equal(name, cl->qname) ||
	    m.rr[0].type != cl->qtype || m.rr[0].class != cl->qclass)
		return 0;
	size_t n = len;
	uint16_t arcount = m.hdr.count[WIRE_SEC_ADDITIONAL];
	if (!cl->edns && m.edns.present) {
		/* drop the OPT when it is the last record (where every server
		 * puts it); elsewhere the message is rebuilt without it */
		const struct wire_rr *opt = &m.rr[m.edns.rr_index];
		if (m.edns.rr_index == m.rr_count - 1 && !m.trailing) {
			n = opt->owner_off;
			arcount--;
		} else {
			return 0;
		}
	}
	if (n > client_max(cl))
		return client_short_answer(cl, wire_msg_rcode(&m), true, m.hdr.flags, NULL, 0, out, cap);
	memcpy(out, msg, n);
	out[0] = (uint8_t)(cl->id >> 8);
	out[1] = (uint8_t)cl->id;
	uint16_t f = (uint16_t)((m.hdr.flags & ~WIRE_FLAG_RD) | (cl->flags & WIRE_FLAG_RD));
	out[2] = (uint8_t)(f >> 8);
	out[3] = (uint8_t)f;
	out[10] = (uint8_t)(arcount >> 8);
	out[11] = (uint8_t)arcount;
	memcpy(out + WIRE_HEADER_LEN, cl->question, cl->qlen);
	/* a name pointing into the header (no legal encoder writes one) reads
	 * the rewritten ID and counts now: what goes out must still parse */
	for (size_t i = WIRE_HEADER_LEN; i + 1 < n; i++)
		if (out[i] == 0xc0 && out[i + 1] < WIRE_HEADER_LEN) {
			struct wire_msg check;
			if (wire_msg_parse(&check, out, n, rr_scratch, WIRE_RR_MAX) != DW_OK)
				return 0;
			break;
		}
	return n;
}

/* The cache-hit path: MSG (a kept reply, OPT at OPT_OFF as guard_cache_get
 * says) for CL without a parse, when its question is CL's but for case and
 * it fits; 0 sends the caller to client_answer. */
static size_t client_answer_fast(const struct client *cl, const uint8_t *msg, size_t len, size_t opt_off,
				 uint8_t *out, size_t cap)
{
	if (len > cap || len < WIRE_HEADER_LEN + cl->qlen || msg[4] != 0 || msg[5] != 1 ||
	    opt_off == GUARD_CACHE_OPT_UNKNOWN)
		return 0;
	/* the kept question is in full (a parse checked it once); length
	 * octets are under 64, so folding letters leaves them as they are */
	const uint8_t *q = msg + WIRE_HEADER_LEN;
	for (size_t i = 0; i < cl->qlen; i++) {
		uint8_t a = q[i], b = cl->question[i];
		if (i + 4 < cl->qlen) {
			a = (uint8_t)(a >= 'A' && a <= 'Z' ? a + 32 : a);
			b = (uint8_t)(b >= 'A' && b <= 'Z' ? b + 32 : b);
		}
		if (a != b)
			return 0;
	}
	size_t n = len;
	uint16_t arcount = (uint16_t)(msg[10] << 8 | msg[11]);
	if (!cl->edns && opt_off) {
		n = opt_off;
		arcount--;
	}
	if (n > client_max(cl))
		return 0;
	memcpy(out, msg, n);
	out[0] = (uint8_t)(cl->id >> 8);
	out[1] = (uint8_t)cl->id;
	out[2] = (uint8_t)((msg[2] & ~(WIRE_FLAG_RD >> 8)) | ((cl->flags & WIRE_FLAG_RD) >> 8));
	out[10] = (uint8_t)(arcount >> 8);
	out[11] = (uint8_t)arcount;
	memcpy(out + WIRE_HEADER_LEN, cl->question, cl->qlen);
	return n;
}

/* With validation on, a kept or accepted reply MSG (AD set when the guard
 * validated it) as CL is to get it, into OUT[0..CAP): AD only for a
 * validated answer and a client that asked with DO or AD (RFC 6840 5.7,
 * 5.8: the upstream's AD is never passed on); for a client without DO the
 * RRSIG, NSEC and NSEC3 records removed unless it asked for that type (RFC
 * 4035 3.2.1: what a stub that did not ask cannot use only costs it bytes
 * and truncation). Returns the length, 0 if MSG cannot be rebuilt. */
static size_t client_shape(const struct client *cl, const uint8_t *msg, size_t len, uint8_t *out,
			   size_t cap)
{
	if (len < WIRE_HEADER_LEN || len > cap)
		return 0;
	uint16_t flags = (uint16_t)(msg[2] << 8 | msg[3]);
	bool validated = flags & WIRE_FLAG_AD;
	flags &= (uint16_t)~WIRE_FLAG_AD;
	if (validated && (cl->dnssec_ok || (cl->flags & WIRE_FLAG_AD)))
		flags |= WIRE_FLAG_AD;
	if (cl->dnssec_ok) {
		memcpy(out, msg, len);
		out[2] = (uint8_t)(flags >> 8);
		out[3] = (uint8_t)flags;
		return len;
	}
	struct wire_msg m;
	if (wire_msg_parse(&m, msg, len, rr_scratch, WIRE_RR_MAX) != DW_OK)
		return 0;
	struct wire_builder b;
	wire_build_init(&b, out, cap, m.hdr.id, flags);
	for (size_t i = 0; i < m.rr_count; i++) {
		uint16_t t = m.rr[i].type;
		if (m.rr[i].section != WIRE_SEC_QUESTION && (t == T_RRSIG || t == T_NSEC || t == T_NSEC3) &&
		    t != cl->qtype)
			continue;
		if (t == WIRE_T_OPT && m.rr[i].section == WIRE_SEC_ADDITIONAL) {
			/* DO in an answer echoes the query's (RFC 3225 3) */
			wire_build_edns(&b, m.edns.payload, m.edns.ext_rcode, m.edns.version,
					(uint16_t)(m.edns.flags & ~WIRE_EDNS_DO), msg + m.edns.options_off,
					m.edns.options_len);
			continue;
		}
		wire_build_copy_rr(&b, &m, &m.rr[i]);
	}
	size_t n;
	if (wire_build_finish(&b, &n) != DW_OK)
		return 0;
	return n;
}

size_t guard_servfail_for(const uint8_t *q, size_t qlen, const char *why, uint16_t ede,
			  uint8_t *out, size_t cap, uint64_t *malformed)
{
	struct client cl;
	memset(&cl, 0, sizeof cl);
	if (qlen > QUERY_MAX || !client_parse(&cl, q, qlen)) {
		(*malformed)++;
		return 0;
	}
	return client_short_answer(&cl, WIRE_RCODE_SERVFAIL, false, 0, why, ede, out, cap);
}

size_t guard_answer_for(const uint8_t *q, size_t qlen, const uint8_t *reply, size_t rlen, bool tcp,
			uint8_t *out, size_t cap)
{
	struct client cl;
	memset(&cl, 0, sizeof cl);
	cl.tcp = tcp;
	if (qlen > QUERY_MAX || !client_parse(&cl, q, qlen))
		return 0;
	return client_answer(&cl, reply, rlen, out, cap);
}

size_t guard_answer_validated_for(const uint8_t *q, size_t qlen, const uint8_t *reply, size_t rlen,
				  bool tcp, uint8_t *out, size_t cap)
{
	struct client cl;
	memset(&cl, 0, sizeof cl);
	cl.tcp = tcp;
	if (qlen > QUERY_MAX || !client_parse(&cl, q, qlen))
		return 0;
	static uint8_t shaped[WIRE_MSG_MAX + 2];
	size_t n = client_shape(&cl, reply, rlen, shaped, sizeof shaped);
	return n ? client_answer(&cl, shaped, n, out, cap) : 0;
}

size_t guard_answer_cached_for(const uint8_t *q, size_t qlen, const uint8_t *reply, size_t rlen,
			       size_t opt_off, bool tcp, uint8_t *out, size_t cap)
{
	struct client cl;
	memset(&cl, 0, sizeof cl);
	cl.tcp = tcp;
	if (qlen > QUERY_MAX || !client_parse(&cl, q, qlen))
		return 0;
	size_t n = client_answer_fast(&cl, reply, rlen, opt_off, out, cap);
	return n ? n : client_answer(&cl, reply, rlen, out, cap);
}

/* --- the guard ------------------------------------------------------------------ */

static void conn_close(struct guard *g, unsigned i)
{
	struct conn *c = &g->conn[i];
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->outlen = c->outcap = 0;
	c->inlen = 0;
}

static void conn_flush(struct guard *g, unsigned i)
{
	struct conn *c = &g->conn[i];
	while (c->outlen) {
		ssize_t w = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				conn_close(g, i);
			return;
		}
		memmove(c->out, c->out + w, c->outlen - (size_t)w);
		c->outlen -= (size_t)w;
	}
}

/* The guard's own key fetches answer nobody. */
static bool client_none(const struct client *cl)
{
	return !cl->tcp && cl->fd < 0;
}

static void client_send(struct guard *g, const struct client *cl, const uint8_t *msg, size_t len)
{
	if (!len || client_none(cl))
		return;
	if (!cl->tcp) {
		if (cl->fd == g->batch_fd && g->nbatch < UDP_BATCH && len <= sizeof g->bout[0] &&
		    cl->addrlen <= sizeof g->bout_addr[0]) {
			unsigned i = g->nbatch++;
			memcpy(g->bout[i], msg, len);
			memcpy(&g->bout_addr[i], &cl->addr, cl->addrlen);
			g->bout_iov[i] = (struct iovec){.iov_base = g->bout[i], .iov_len = len};
			g->bout_msg[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &g->bout_addr[i],
								      .msg_namelen = cl->addrlen,
								      .msg_iov = &g->bout_iov[i],
								      .msg_iovlen = 1}};
			return;
		}
		(void)sendto(cl->fd, msg, len, MSG_DONTWAIT, (const struct sockaddr *)&cl->addr, cl->addrlen);
		return;
	}
	if (cl->conn < 0 || (unsigned)cl->conn >= g->cfg.tcp_clients_max)
		return;
	struct conn *c = &g->conn[cl->conn];
	if (c->fd < 0 || c->gen != cl->conn_gen)
		return; /* the connection is gone */
	if (c->outlen + len + 2 > TCP_OUT_MAX) {
		conn_close(g, (unsigned)cl->conn);
		return;
	}
	if (c->outlen + len + 2 > c->outcap) {
		size_t ncap = c->outcap ? c->outcap * 2 : 4096;
		while (ncap < c->outlen + len + 2)
			ncap *= 2;
		uint8_t *nb = realloc(c->out, ncap);
		if (!nb) {
			conn_close(g, (unsigned)cl->conn);
			return;
		}
		c->out = nb;
		c->outcap = ncap;
	}
	c->out[c->outlen] = (uint8_t)(len >> 8);
	c->out[c->outlen + 1] = (uint8_t)len;
	memcpy(c->out + c->outlen + 2, msg, len);
	c->outlen += len + 2;
	conn_flush(g, (unsigned)cl->conn);
}

static void client_servfail(struct guard *g, const struct client *cl, const char *why, uint16_t ede)
{
	if (client_none(cl))
		return;
	size_t n = client_short_answer(cl, WIRE_RCODE_SERVFAIL, false, 0, why, ede, g->out, sizeof g->out);
	client_send(g, cl, g->out, n);
	g->ctr.servfail++;
}

/* --- the encrypted fallback ------------------------------------------------------ */

static void *tls_worker(void *arg)
{
	struct tls_upstream *t = arg;
	struct guard *g = t->g;
	const struct guard_upstream *u = &g->cfg.up[t->up];
	struct dot_conn *c = NULL;
	uint8_t *reply = malloc(WIRE_MSG_MAX);
	struct tls_job job;
	for (;;) {
		pthread_mutex_lock(&t->mu);
		while (!t->count && !t->stop)
			pthread_cond_wait(&t->cv, &t->mu);
		if (t->stop) {
			pthread_mutex_unlock(&t->mu);
			break;
		}
		job = t->job[t->head];
		t->head = (t->head + 1) % TLS_QUEUE;
		t->count--;
		pthread_mutex_unlock(&t->mu);
		struct tls_done d = {.slot = job.slot, .up = job.up, .serial = job.serial};
		struct dw_error err;
		size_t rlen = 0;
		/* a connection the server closed while idle fails its first
		 * exchange: connect again once */
		for (int attempt = 0; attempt < 2 && !d.ok && reply; attempt++) {
			if (!c && dot_connect(&c, (const struct sockaddr *)&u->addr, u->addrlen,
					      u->name[0] ? u->name : NULL, g->cfg.ca_file, (int)g->cfg.timeout_ms,
					      &err))
				break;
			if (!dot_exchange(c, job.q, job.qlen, reply, WIRE_MSG_MAX, &rlen, (int)g->cfg.timeout_ms,
					  &err)) {
				d.ok = true;
			} else if (err.status != DW_E_IO || !strstr(err.text, "timed out")) {
				dot_close(c);
				c = NULL;
			} else {
				break;
			}
		}
		if (d.ok && (d.msg = malloc(rlen))) {
			memcpy(d.msg, reply, rlen);
			d.len = rlen;
		} else {
			d.ok = false;
		}
		pthread_mutex_lock(&g->done_mu);
		if (g->ndone < sizeof g->done / sizeof g->done[0])
			g->done[g->ndone++] = d;
		else
			free(d.msg);
		pthread_mutex_unlock(&g->done_mu);
		uint64_t one = 1;
		(void)!write(g->tls_efd, &one, sizeof one);
	}
	dot_close(c);
	free(reply);
	return NULL;
}

static int tls_start(struct guard *g, struct dw_error *err)
{
	for (unsigned u = 0; u < g->cfg.nup; u++)
		if (g->cfg.up[u].kind == GUARD_UP_TLS)
			g->ntls++;
	if (!g->ntls)
		return 0;
	pthread_mutex_init(&g->done_mu, NULL);
	g->tls_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (g->tls_efd < 0)
		return dw_error_errno(err, "guard: eventfd");
	/* the workers take no signal: the command's handlers run on its thread */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = 0;
	for (unsigned u = 0; u < g->cfg.nup && !rc; u++) {
		if (g->cfg.up[u].kind != GUARD_UP_TLS)
			continue;
		struct tls_upstream *t = calloc(1, sizeof *t);
		if (!t) {
			rc = dw_error_set(err, DW_E_NOMEM, "guard: out of memory");
			break;
		}
		t->g = g;
		t->up = u;
		pthread_mutex_init(&t->mu, NULL);
		pthread_cond_init(&t->cv, NULL);
		g->tls[u] = t;
		for (unsigned k = 0; k < TLS_WORKERS; k++) {
			int e = pthread_create(&t->th[k], NULL, tls_worker, t);
			if (e) {
				errno = e;
				rc = dw_error_errno(err, "guard: starting a DoT worker");
				break;
			}
			t->nth++;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void tls_stop(struct guard *g)
{
	for (unsigned u = 0; u < GUARD_UPSTREAM_MAX; u++) {
		struct tls_upstream *t = g->tls[u];
		if (!t)
			continue;
		pthread_mutex_lock(&t->mu);
		t->stop = true;
		pthread_cond_broadcast(&t->cv);
		pthread_mutex_unlock(&t->mu);
		for (unsigned k = 0; k < t->nth; k++)
			pthread_join(t->th[k], NULL);
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cv);
		free(t);
		g->tls[u] = NULL;
	}
	for (unsigned i = 0; i < g->ndone; i++)
		free(g->done[i].msg);
	g->ndone = 0;
	if (g->ntls)
		pthread_mutex_destroy(&g->done_mu);
	if (g->tls_efd >= 0)
		close(g->tls_efd);
}

/* Send P's query to every tls: upstream. Returns how many took it. */
static unsigned tls_send(struct guard *g, struct pend *p)
{
	unsigned n = 0;
	for (unsigned u = 0; u < g->cfg.nup; u++) {
		struct tls_upstream *t = g->tls[u];
		if (!t)
			continue;
		pthread_mutex_lock(&t->mu);
		if (t->count < TLS_QUEUE) {
			struct tls_job *j = &t->job[(t->head + t->count) % TLS_QUEUE];
			j->slot = (unsigned)(p - g->pend);
			j->up = u;
			j->serial = p->serial;
			j->qlen = p->uqlen;
			memcpy(j->q, p->uq, p->uqlen);
			t->count++;
			pthread_cond_signal(&t->cv);
			n++;
		}
		pthread_mutex_unlock(&t->mu);
	}
	p->tls_pending += n;
	if (n) {
		p->tls_sent = true;
		g->ctr.upstream_sent += n;
	}
	return n;
}

static uint64_t name_hash(const uint8_t *qname)
{
	uint8_t c[WIRE_NAME_MAX];
	size_t n = wire_name_len(qname, WIRE_NAME_MAX);
	memcpy(c, qname, n);
	wire_name_canonicalize(c);
	uint64_t h = HASH_FNV_OFFSET;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * HASH_FNV_PRIME;
	return hash_fmix64(h) | 1; /* 0 marks a free slot */
}

/* Remember that QNAME drew a forged reply (until UNTIL); a full table
 * forgets the oldest in the probe window. */
static void forged_name_add(struct guard *g, const uint8_t *qname, uint64_t until)
{
	uint64_t h = name_hash(qname);
	size_t i = h & (FORGED_NAMES - 1), oldest = i;
	for (unsigned k = 0; k < 8; k++, i = (i + 1) & (FORGED_NAMES - 1)) {
		if (g->forged_name[i].hash == h || g->forged_name[i].until < g->forged_name[oldest].until) {
			oldest = i;
			if (g->forged_name[i].hash == h)
				break;
		}
	}
	g->forged_name[oldest].hash = h;
	g->forged_name[oldest].until = until;
}

static bool forged_name_has(const struct guard *g, const uint8_t *qname, uint64_t now)
{
	uint64_t h = name_hash(qname);
	size_t i = h & (FORGED_NAMES - 1);
	for (unsigned k = 0; k < 8; k++, i = (i + 1) & (FORGED_NAMES - 1))
		if (g->forged_name[i].hash == h)
			return g->forged_name[i].until > now;
	return false;
}

static void pend_free(struct guard *g, struct pend *p)
{
	for (unsigned i = 0; i < p->nleg; i++) {
		if (p->leg[i].fd >= 0)
			close(p->leg[i].fd);
		free(p->leg[i].buf);
	}
	for (unsigned i = 0; i < p->ncand; i++)
		free(p->cand[i].msg);
	for (unsigned i = 0; i < p->nwait; i++)
		free(p->wait[i].msg);
	p->used = false;
	g->npend--;
}

static void text_of(const struct pend *p, char *name, size_t cap)
{
	if (!wire_name_to_text(p->cl.qname, name, cap))
		snprintf(name, cap, "?");
}

static uint64_t fetch_key(const uint8_t *name, uint16_t type)
{
	return name_hash(name) ^ ((uint64_t)type << 48);
}

/* A key fetch that ended without teaching anything (timed out, or an
 * answer that proves nothing) is not asked again for a timeout's length:
 * the queries waiting on it run out instead of asking in a loop. */
static void fetch_fail_add(struct guard *g, const uint8_t *name, uint16_t type)
{
	uint64_t h = fetch_key(name, type);
	size_t i = h & (FETCH_FAILS - 1);
	g->fetch_fail[i].hash = h;
	g->fetch_fail[i].until = util_mono_us() + (uint64_t)g->cfg.timeout_ms * 1000u;
}

static bool fetch_failed(const struct guard *g, const uint8_t *name, uint16_t type, uint64_t now)
{
	uint64_t h = fetch_key(name, type);
	size_t i = h & (FETCH_FAILS - 1);
	return g->fetch_fail[i].hash == h && g->fetch_fail[i].until > now;
}

/* Cached answers purged for holding one forged address: counted, told. */
struct purge_ctx {
	struct guard *g;
	int family;
	const uint8_t *addr;
	const char *why;
};

static void purged_one(void *ctx, const uint8_t *qname, uint16_t qtype)
{
	struct purge_ctx *x = ctx;
	x->g->ctr.cache_purged++;
	if (!x->g->cfg.on_purge)
		return;
	char name[WIRE_NAME_TEXT_MAX];
	if (!wire_name_to_text(qname, name, sizeof name))
		snprintf(name, sizeof name, "?");
	struct guard_purge_info pi = {.time_us = util_real_us(), .qname = name, .qtype = qtype,
				      .family = x->family, .addr = x->addr, .why = x->why};
	x->g->cfg.on_purge(x->g->cfg.ctx, &pi);
}

/* Every cached answer holding ADDR goes (with QNAME: that name's only;
 * UNVERIFIED_ONLY: those accepted unverified only). */
static void purge_addr(struct guard *g, int family, const uint8_t *addr, const uint8_t *qname,
		       bool unverified_only, const char *why)
{
	if (!g->cache)
		return;
	struct purge_ctx x = {.g = g, .family = family, .addr = addr, .why = why};
	(void)guard_cache_purge_addr(g->cache, family, addr, qname, unverified_only, purged_one, &x);
}

bool guard_learn_addr(struct guard *g, int family, const uint8_t *addr)
{
	uint8_t a[16] = {0};
	memcpy(a, addr, family == AF_INET ? 4 : 16);
	if (guard_intel_has_addr(g->intel, family, a))
		return false;
	guard_intel_add_addr(g->intel, family, a);
	g->ctr.forged_addrs_learned++;
	/* with the addr check off an address says nothing: a purged answer
	 * would come back with the same address and be served */
	if (g->cfg.checks & GUARD_CHECK_ADDR)
		purge_addr(g, family, a, NULL, false, "learned");
	return true;
}

/* Serve MSG, accepted, to P's client (SECURE: validated, it gets AD); learn
 * what the drops before it were. A key fetch serves nobody: what it proved
 * is in the validator's store, and the replies waiting on it are looked at
 * again. */
static void accept_reply(struct guard *g, struct pend *p, const uint8_t *msg, size_t len,
			 const struct guard_obs *o, unsigned up, bool unverified, bool secure)
{
	if (unverified)
		g->ctr.accepted_unverified++;
	else
		g->ctr.accepted++;
	if (o->rtt_us && up < GUARD_UPSTREAM_MAX) /* 0: over TLS or TCP, no datagram's time */
		g->srtt_us[up] = g->srtt_us[up] ? (7 * g->srtt_us[up] + o->rtt_us) / 8 : o->rtt_us;
	if (up < GUARD_UPSTREAM_MAX)
		g->served_us[up] = util_mono_us();
	/* a dropped reply that this one contradicts was a forgery: its
	 * addresses are known forged from now on, everywhere */
	if (!unverified)
		for (unsigned i = 0; i < p->ndropped; i++) {
			if (guard_obs_agree(&p->dropped[i], o))
				continue;
			for (unsigned k = 0; k < p->dropped[i].naddrs; k++) {
				bool in_real = false;
				for (unsigned r = 0; r < o->naddrs; r++)
					in_real |= o->addrs[r].family == p->dropped[i].addrs[k].family &&
						   !memcmp(o->addrs[r].addr, p->dropped[i].addrs[k].addr, 16);
				if (!in_real)
					(void)guard_learn_addr(g, p->dropped[i].addrs[k].family,
							       p->dropped[i].addrs[k].addr);
			}
		}
	if (p->internal) {
		if (!secure) {
			g->ctr.key_fetch_failed++;
			fetch_fail_add(g, p->cl.qname, p->cl.qtype);
		}
		g->keys_changed = true;
		if (g->nkeys_done < KEYS_DONE_MAX)
			g->keys_done[g->nkeys_done] = fetch_key(p->cl.qname, p->cl.qtype);
		if (g->nkeys_done <= KEYS_DONE_MAX)
			g->nkeys_done++;
		pend_free(g, p);
		return;
	}
	if (g->cfg.dnssec && len <= sizeof g->vbuf && len >= WIRE_HEADER_LEN) {
		/* the AD bit is the guard's own word: set when it validated */
		memcpy(g->vbuf, msg, len);
		g->vbuf[3] = (uint8_t)((g->vbuf[3] & ~WIRE_FLAG_AD) | (secure ? WIRE_FLAG_AD : 0));
		msg = g->vbuf;
	}
	if (g->cache)
		(void)guard_cache_put(g->cache, p->cl.qname, p->cl.qtype, p->cl.qclass, p->cl.dnssec_ok,
				      unverified ? GUARD_CACHE_UNVERIFIED : 0, msg, len, g->cfg.min_ttl,
				      g->cfg.max_ttl, util_mono_us());
	size_t n = 0;
	if (!g->cfg.dnssec) {
		n = client_answer(&p->cl, msg, len, g->out, sizeof g->out);
	} else {
		size_t sn = client_shape(&p->cl, msg, len, g->sbuf, sizeof g->sbuf);
		if (sn)
			n = client_answer(&p->cl, g->sbuf, sn, g->out, sizeof g->out);
	}
	if (n) {
		client_send(g, &p->cl, g->out, n);
		g->ctr.answered++;
		if (p->drops && g->cfg.on_answer) {
			/* a forged name: how long past the real reply the client waited */
			char name[WIRE_NAME_TEXT_MAX];
			text_of(p, name, sizeof name);
			struct guard_answer_info ai = {
				.time_us = util_real_us(), .upstream = g->cfg.up[up].text, .qname = name,
				.qtype = p->cl.qtype, .drops = p->drops, .unverified = unverified,
				.real_rtt_us = o->rtt_us, .answer_us = (uint32_t)(util_mono_us() - p->start_us)};
			g->cfg.on_answer(g->cfg.ctx, &ai);
		}
	} else {
		client_servfail(g, &p->cl, "upstream reply could not be rewritten", EDE_OTHER);
	}
	pend_free(g, p);
}

static void drop_reply(struct guard *g, struct pend *p, unsigned up, const struct guard_obs *o,
		       unsigned failed, int group, const char *ev)
{
	g->ctr.dropped++;
	for (unsigned i = 0; i < GUARD_CHECK_COUNT; i++)
		if (failed & (1u << i))
			g->ctr.dropped_by[i]++;
	p->drops++;
	if (p->ndropped < DROPPED_KEEP)
		p->dropped[p->ndropped++] = *o;
	/* a reply whose layout is not the upstream's own, caught on a
	 * verified profile, is an injector's: its fingerprint (which differs
	 * from the upstream's, or the layout check had not failed) becomes,
	 * or counts for, a group */
	if (group < 0 && (failed & GUARD_CHECK_LAYOUT) && guard_profile_ready(&g->prof[up])) {
		struct guard_fp fp;
		guard_fp_of(o, &fp);
		group = guard_intel_add_group(g->intel, &fp, &g->prof[up]);
	}
	if (group >= 0)
		g->intel->group_hits[group]++;
	const uint64_t now = util_mono_us(), hold = (uint64_t)g->cfg.fallback_hold_ms * 1000u;
	g->injected_until[up] = now + hold;
	forged_name_add(g, p->cl.qname, now + hold);
	/* the real reply may never come (a path that drops it): ask over
	 * TLS now rather than after the timeout */
	if (g->cfg.fallback && g->ntls && !p->tls_sent && tls_send(g, p))
		g->ctr.fallbacks++;
	if (g->cfg.on_drop) {
		char name[WIRE_NAME_TEXT_MAX];
		text_of(p, name, sizeof name);
		struct guard_drop_info d = {
			.time_us = util_real_us(), .upstream = g->cfg.up[up].text, .qname = name,
			.qtype = p->cl.qtype, .failed = failed, .group = group + 1, .evidence = ev, .obs = o};
		g->cfg.on_drop(g->cfg.ctx, &d);
	}
	/* an answer for this name accepted unverified (no profile could judge
	 * it) that holds an address of this forgery was the same forgery,
	 * served before the guard could tell: out of the cache */
	for (unsigned k = 0; k < o->naddrs; k++)
		purge_addr(g, o->addrs[k].family, o->addrs[k].addr, p->cl.qname, true, "dropped");
}

/* The window is over (or the time is up) with unverified candidates: serve
 * them if they agree, else nothing. */
static void decide_candidates(struct guard *g, struct pend *p)
{
	for (unsigned i = 1; i < p->ncand; i++)
		if (!guard_obs_agree(&p->cand[0].obs, &p->cand[i].obs)) {
			g->ctr.servfail_disagree++;
			client_servfail(g, &p->cl, "upstream replies disagree, none verified", EDE_OTHER);
			pend_free(g, p);
			return;
		}
	struct cand c = p->cand[0];
	p->cand[0].msg = NULL; /* accept_reply frees the pend; keep the bytes alive */
	accept_reply(g, p, c.msg, c.len, &c.obs, c.up, true, false);
	free(c.msg);
}

static void calibration_done(struct guard *g, struct pend *p)
{
	const uint64_t now = util_mono_us();
	bool agreed = false;
	for (unsigned i = 0; i < p->ncal_udp && !agreed; i++)
		if (guard_obs_agree(&p->cal_udp[i], &p->cal_tcp)) {
			guard_profile_learn(&g->prof[p->cal_up], &p->cal_udp[i], now,
					    (uint64_t)g->cfg.calibrate_every_ms * 1000u * GUARD_PROFILE_SAMPLES);
			g->ctr.calibration_samples++;
			agreed = true;
		}
	if (!agreed)
		g->ctr.calibration_disagree++;
	pend_free(g, p);
	/* the first sample may include the upstream's own recursion: take a
	 * second, cached, one at once */
	if (agreed && g->prof[p->cal_up].n < 2 && g->next_calibration_us > now + 200000)
		g->next_calibration_us = now + 200000;
}

static bool reply_matches(const struct pend *p, const uint8_t *msg, size_t len)
{
	return len >= WIRE_HEADER_LEN + p->uq_question_len && msg[0] == p->uq[0] && msg[1] == p->uq[1] &&
	       (msg[2] & 0x80) && msg[4] == 0 && msg[5] == 1 &&
	       !memcmp(msg + WIRE_HEADER_LEN, p->uq + WIRE_HEADER_LEN, p->uq_question_len);
}

/* What the TLS workers brought back. */
static void tls_results(struct guard *g)
{
	uint64_t v;
	(void)!read(g->tls_efd, &v, sizeof v);
	struct tls_done d[TLS_QUEUE * 2];
	pthread_mutex_lock(&g->done_mu);
	unsigned n = g->ndone;
	memcpy(d, g->done, n * sizeof d[0]);
	g->ndone = 0;
	pthread_mutex_unlock(&g->done_mu);
	for (unsigned i = 0; i < n; i++) {
		struct pend *p = d[i].slot < g->cfg.inflight_max ? &g->pend[d[i].slot] : NULL;
		if (!p || !p->used || p->serial != d[i].serial) {
			free(d[i].msg); /* the query was answered (or given up) meanwhile */
			continue;
		}
		p->tls_pending--;
		if (!d[i].ok) {
			g->ctr.upstream_errors++;
			continue;
		}
		if (!reply_matches(p, d[i].msg, d[i].len)) {
			g->ctr.upstream_mismatch++;
		} else {
			g->ctr.upstream_replies++;
			struct guard_obs o;
			memset(&o, 0, sizeof o);
			/* TLS is not raced by an injector's datagram, and the
			 * certificate says who answered */
			if (!guard_obs_fill(&o, d[i].msg, d[i].len))
				consider(g, p, d[i].msg, d[i].len, &o, d[i].up, true, true);
		}
		free(d[i].msg);
	}
}

/* A reply MSG[0..LEN) on leg L of P, with IP TTL TTL (-1 unknown). */
static void on_reply(struct guard *g, struct pend *p, struct leg *l, const uint8_t *msg, size_t len,
		     int ttl)
{
	const uint64_t now = util_mono_us();
	if (!reply_matches(p, msg, len)) {
		g->ctr.upstream_mismatch++;
		return;
	}
	g->ctr.upstream_replies++;
	struct guard_obs o;
	memset(&o, 0, sizeof o);
	(void)guard_obs_fill(&o, msg, len);
	o.rtt_us = (uint32_t)(now - l->sent_us);
	o.ttl_known = ttl >= 0;
	o.ip_ttl = ttl >= 0 ? (uint8_t)ttl : 0;
	if (p->calibration) {
		if (l->tcp) {
			p->cal_tcp = o;
			p->cal_tcp_in = true;
		} else if (p->ncal_udp < CANDS_MAX) {
			p->cal_udp[p->ncal_udp++] = o;
		}
		if (p->cal_tcp_in && p->ncal_udp)
			calibration_done(g, p);
		return;
	}
	if (g->cfg.dnssec && !l->tcp && o.parsed && (o.flags & WIRE_FLAG_TC)) {
		/* a truncated reply has lost its signatures: ask that upstream
		 * again over TCP */
		g->ctr.truncated++;
		if (leg_open(g, p, l->up, true))
			g->ctr.upstream_errors++;
		return;
	}
	if (l->tcp || !g->cfg.holdon) {
		/* TCP cannot be raced by an injector's datagram; without Hold-On
		 * the guard is a plain forwarder */
		if (o.parsed)
			consider(g, p, msg, len, &o, l->up, true, true);
		return;
	}
	char ev[256];
	int group;
	unsigned failed = guard_judge(&g->prof[l->up], g->intel, &o, true, g->cfg.checks, &group, ev,
				      sizeof ev);
	if (!p->window_end_us)
		p->window_end_us = now + (uint64_t)g->cfg.window_ms * 1000u;
	if (failed) {
		drop_reply(g, p, l->up, &o, failed, group, ev);
		return;
	}
	consider(g, p, msg, len, &o, l->up, guard_profile_ready(&g->prof[l->up]), true);
}

/* Keep a copy of MSG in P's list (candidates or waiting); false if full or
 * out of memory. */
static bool cand_add(struct cand *list, unsigned *n, unsigned max, const uint8_t *msg, size_t len,
		     const struct guard_obs *o, unsigned up, bool verified)
{
	if (*n >= max)
		return false;
	uint8_t *copy = malloc(len);
	if (!copy)
		return false;
	memcpy(copy, msg, len);
	list[(*n)++] = (struct cand){.msg = copy, .len = len, .obs = *o, .up = up, .verified = verified};
	return true;
}

/* A reply to P judged bogus: dropped like a forgery (counted, logged with
 * its evidence, the path judged injected); the query stays open. */
static void dnssec_drop(struct guard *g, struct pend *p, unsigned up, const struct guard_obs *o,
			const char *why)
{
	char ev[300];
	snprintf(ev, sizeof ev, "dnssec: %.280s", why);
	snprintf(p->why, sizeof p->why, "%s", why);
	g->ctr.dnssec_bogus++;
	p->bogus++;
	drop_reply(g, p, up, o, GUARD_CHECK_DNSSEC, -1, ev);
}

/* P is about to be answered with a validated reply: the replies still
 * waiting for keys are judged once more (the answer just proved its owner
 * is no zone cut, which settles a forged unsigned one), so that a forgery
 * is counted and logged as the drop it is, and its addresses learned. */
static void settle_waiting(struct guard *g, struct pend *p)
{
	p->tls_sent = true; /* answered: a drop now sends the query nowhere else */
	unsigned n = p->nwait;
	p->nwait = 0;
	for (unsigned k = 0; k < n; k++) {
		struct cand *w = &p->wait[k];
		struct guard_dnssec_result r;
		if (guard_dnssec_check(g->cfg.dnssec, w->msg, w->len, p->cl.qname, p->cl.qtype,
				       util_real_us() / 1000000u, false, &r) == GUARD_DNSSEC_BOGUS)
			dnssec_drop(g, p, w->up, &w->obs, r.why);
		free(w->msg);
	}
}

/*
 * A reply to P that the Hold-On checks let through (VERIFIED: on a ready
 * profile, or over a path no datagram can race). With DNSSEC it is
 * validated first: a bogus reply is dropped like a forgery (the query stays
 * open for the real one); one whose keys the validator lacks waits for
 * their fetch (started now with FETCH, else by the caller); a validated one
 * is served at once, whatever the profile knows. Otherwise a verified reply
 * is served and an unverified one is a candidate for the window.
 */
static void consider(struct guard *g, struct pend *p, const uint8_t *msg, size_t len,
		     const struct guard_obs *o, unsigned up, bool verified, bool fetch)
{
	bool secure = false;
	if (g->cfg.dnssec && !p->calibration) {
		struct guard_dnssec_result r;
		/* what a validated reply proves is kept, a client's too */
		enum guard_dnssec_verdict v = guard_dnssec_check(g->cfg.dnssec, msg, len, p->cl.qname, p->cl.qtype,
								 util_real_us() / 1000000u, true, &r);
		if (v == GUARD_DNSSEC_NEED) {
			for (unsigned i = 0; i < p->nwait; i++)
				if (p->wait[i].len == len && !memcmp(p->wait[i].msg, msg, len)) {
					g->ctr.duplicates++;
					return;
				}
			if (!cand_add(p->wait, &p->nwait, WAIT_MAX, msg, len, o, up, verified))
				g->ctr.wait_full++;
			else
				p->wait[p->nwait - 1].need = fetch_key(r.need_name, r.need_type);
			memcpy(p->need_name, r.need_name, wire_name_len(r.need_name, WIRE_NAME_MAX));
			p->need_type = r.need_type;
			if (fetch)
				need_fetch(g, p);
			return;
		}
		if (v == GUARD_DNSSEC_BOGUS) {
			dnssec_drop(g, p, up, o, r.why);
			return;
		}
		secure = v == GUARD_DNSSEC_SECURE;
		if (secure) {
			g->ctr.dnssec_secure++;
			settle_waiting(g, p);
		} else {
			g->ctr.dnssec_insecure++;
			if (p->internal) {
				/* a key fetch ends on proof only: a reply that
				 * proves nothing (an rcode such as REFUSED or
				 * SERVFAIL, which anyone on the path can forge) is
				 * noted, and the fetch waits on for one that does,
				 * asking again, until its waiters' deadline */
				snprintf(p->why, sizeof p->why, "the reply proves nothing (%.200s)", r.why);
				return;
			}
		}
	}
	if (secure || verified) {
		accept_reply(g, p, msg, len, o, up, false, secure);
		return;
	}
	for (unsigned i = 0; i < p->ncand; i++)
		if (p->cand[i].len == len && !memcmp(p->cand[i].msg, msg, len)) {
			g->ctr.duplicates++; /* a benign duplicate: neither a drop nor news */
			return;
		}
	(void)cand_add(p->cand, &p->ncand, CANDS_MAX, msg, len, o, up, false);
}

/* Start the fetch P's waiting replies need. Whether the question's own
 * name is a zone cut (a DS question that only an unsigned answer raises:
 * the wall's) waits a --window first: the real answer, validated, usually
 * settles it (its owner is then known no cut), and no one is asked. */
static void need_fetch(struct guard *g, struct pend *p)
{
	const uint64_t now = util_mono_us();
	if (p->need_type == T_DS && wire_name_equal(p->need_name, p->cl.qname)) {
		if (!p->fetch_at) {
			p->fetch_at = now + (uint64_t)g->cfg.window_ms * 1000u;
			return;
		}
		if (now < p->fetch_at)
			return;
		p->fetch_at = 1;
	}
	key_fetch(g, p->need_name, p->need_type, p->deadline_us, 0);
}

/* Ask for NAME TYPE (a zone's DS or DNSKEY RRset) through the same
 * upstream paths and judging as a client's query, unless that is under way
 * or failed a moment ago. A fetch lives as long as the latest deadline of
 * the queries waiting on it (DEADLINE_US: the asker's), and the fetches it
 * waits on with it (DEPTH: how far down that chain this is). */
static void key_fetch(struct guard *g, const uint8_t *name, uint16_t type, uint64_t deadline_us,
		      unsigned depth)
{
	for (unsigned i = 0; i < g->cfg.inflight_max; i++) {
		struct pend *q = &g->pend[i];
		if (q->used && q->internal && q->cl.qtype == type && wire_name_equal(q->cl.qname, name)) {
			if (q->deadline_us < deadline_us) {
				q->deadline_us = deadline_us;
				if (q->nwait && depth < 16)
					key_fetch(g, q->need_name, q->need_type, deadline_us, depth + 1);
			}
			return;
		}
	}
	if (fetch_failed(g, name, type, util_mono_us()))
		return;
	struct pend *p = pend_new(g);
	if (!p)
		return;
	p->internal = true;
	memcpy(p->cl.qname, name, wire_name_len(name, WIRE_NAME_MAX));
	p->cl.qtype = type;
	p->cl.qclass = WIRE_C_IN;
	p->cl.fd = -1;
	p->cl.conn = -1;
	if (p->deadline_us < deadline_us)
		p->deadline_us = deadline_us;
	g->ctr.key_fetches++;
	if (!build_upstream_query(g, p) || !pend_route(g, p)) {
		fetch_fail_add(g, name, type);
		pend_free(g, p);
	}
}

/* Key fetches finished: the replies waiting for one of them (every waiting
 * reply when more finished than were noted) are judged again, with the rest
 * of their query's waiting replies; the fetches they still need start after
 * all of a query's replies were looked at (the real reply may be among
 * them, and then nothing more is needed). Only those: under load hundreds
 * of queries wait, and judging them all again on every fetch that ends
 * costs time quadratic in the load, when time is shortest. */
static void revalidate(struct guard *g)
{
	uint64_t done[KEYS_DONE_MAX];
	const unsigned ndone = g->nkeys_done;
	const bool all = ndone > KEYS_DONE_MAX;
	if (!all)
		memcpy(done, g->keys_done, ndone * sizeof done[0]);
	g->nkeys_done = 0;
	for (unsigned i = 0; i < g->cfg.inflight_max; i++) {
		struct pend *p = &g->pend[i];
		if (!p->used || !p->nwait)
			continue;
		bool woken = all;
		for (unsigned k = 0; k < p->nwait && !woken; k++)
			for (unsigned d = 0; d < ndone && !woken; d++)
				woken = p->wait[k].need == done[d];
		if (!woken)
			continue;
		const uint64_t serial = p->serial;
		struct cand w[WAIT_MAX];
		unsigned n = p->nwait;
		memcpy(w, p->wait, n * sizeof w[0]);
		p->nwait = 0;
		for (unsigned k = 0; k < n; k++) {
			if (p->used && p->serial == serial)
				consider(g, p, w[k].msg, w[k].len, &w[k].obs, w[k].up, w[k].verified, false);
			free(w[k].msg);
		}
		if (p->used && p->serial == serial && p->nwait)
			need_fetch(g, p);
	}
}

static int leg_open(struct guard *g, struct pend *p, unsigned up, bool tcp)
{
	const struct guard_upstream *u = &g->cfg.up[up];
	if (p->nleg >= LEGS_MAX)
		return -1;
	int fd = socket(u->addr.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	if (!tcp) {
		if (u->addr.ss_family == AF_INET)
			(void)setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
		else
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
	}
	struct leg *l = &p->leg[p->nleg];
	memset(l, 0, sizeof *l);
	l->fd = fd;
	l->up = up;
	l->tcp = tcp;
	l->sent_us = util_mono_us();
	if (connect(fd, (const struct sockaddr *)&u->addr, u->addrlen) && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	if (tcp) {
		l->buf = malloc(2 + WIRE_MSG_MAX);
		if (!l->buf) {
			close(fd);
			return -1;
		}
		l->tcp_state = 0;
	} else if (send(fd, p->uq, p->uqlen, 0) < 0) {
		close(fd);
		return -1;
	}
	g->ctr.upstream_sent++;
	p->nleg++;
	return 0;
}

static struct pend *pend_new(struct guard *g)
{
	if (g->npend >= g->cfg.inflight_max)
		return NULL;
	for (unsigned i = 0; i < g->cfg.inflight_max; i++)
		if (!g->pend[i].used) {
			struct pend *p = &g->pend[i];
			memset(p, 0, sizeof *p);
			p->used = true;
			p->serial = ++g->serial;
			g->npend++;
			p->start_us = util_mono_us();
			p->deadline_us = p->start_us + (uint64_t)g->cfg.timeout_ms * 1000u;
			return p;
		}
	return NULL;
}

static bool build_upstream_query(const struct guard *g, struct pend *p)
{
	uint16_t id;
	if (getrandom(&id, sizeof id, 0) != sizeof id)
		id = (uint16_t)util_mono_ns();
	struct wire_builder b;
	wire_build_init(&b, p->uq, sizeof p->uq, id,
			(uint16_t)(WIRE_FLAG_RD | (p->cl.flags & WIRE_FLAG_CD)));
	wire_build_question(&b, p->cl.qname, p->cl.qtype, p->cl.qclass);
	size_t qend = b.c.pos;
	/* a validating guard asks for the signatures whatever the client asked */
	wire_build_edns(&b, EDNS_PAYLOAD, 0, 0, p->cl.dnssec_ok || g->cfg.dnssec ? WIRE_EDNS_DO : 0, NULL, 0);
	if (wire_build_finish(&b, &p->uqlen) != DW_OK)
		return false;
	p->uid = id;
	p->uq_question_len = qend - WIRE_HEADER_LEN;
	return true;
}

static void client_query(struct guard *g, const struct client *cl0, const uint8_t *q, size_t len)
{
	struct client cl = *cl0;
	g->ctr.queries++;
	if (cl.tcp)
		g->ctr.queries_tcp++;
	else
		g->ctr.queries_udp++;
	if (len > QUERY_MAX) {
		g->ctr.oversized++;
		return;
	}
	if (!client_parse(&cl, q, len)) {
		g->ctr.malformed++;
		return;
	}
	if (g->cache) {
		size_t n, opt_off;
		if (guard_cache_get(g->cache, cl.qname, cl.qtype, cl.qclass, cl.dnssec_ok, util_mono_us(),
				    g->buf, sizeof g->buf, &n, &opt_off)) {
			g->ctr.cache_hits++;
			size_t m = 0;
			if (g->cfg.dnssec) {
				size_t sn = client_shape(&cl, g->buf, n, g->sbuf, sizeof g->sbuf);
				if (sn)
					m = client_answer(&cl, g->sbuf, sn, g->out, sizeof g->out);
			} else {
				m = client_answer_fast(&cl, g->buf, n, opt_off, g->out, sizeof g->out);
				if (!m)
					m = client_answer(&cl, g->buf, n, g->out, sizeof g->out);
			}
			if (m) {
				client_send(g, &cl, g->out, m);
				g->ctr.answered++;
				return;
			}
		}
		g->ctr.cache_misses++;
	}
	struct pend *p = pend_new(g);
	if (!p) {
		g->ctr.refused_busy++;
		client_servfail(g, &cl, "too many queries in flight", EDE_OTHER);
		return;
	}
	p->cl = cl;
	if (!build_upstream_query(g, p)) {
		client_servfail(g, &cl, "query could not be forwarded", EDE_OTHER);
		pend_free(g, p);
		return;
	}
	if (!pend_route(g, p)) {
		g->ctr.servfail_timeout++;
		client_servfail(g, &cl, "no upstream reachable", EDE_NETWORK_ERROR);
		pend_free(g, p);
	}
}

/* Send P's query on its route: the tls: upstreams when asked to, or while
 * every plain path is judged injected or its name drew a forged reply;
 * else every plain upstream. false if no path took it. */
static bool pend_route(struct guard *g, struct pend *p)
{
	const uint64_t now = util_mono_us();
	bool plain_clean = false;
	for (unsigned u = 0; u < g->cfg.nup; u++)
		if (g->cfg.up[u].kind != GUARD_UP_TLS && g->injected_until[u] <= now)
			plain_clean = true;
	bool tls = g->ntls && (g->cfg.prefer_tls ||
			       (g->cfg.fallback && (!plain_clean || forged_name_has(g, p->cl.qname, now))));
	if (tls && tls_send(g, p)) {
		if (!g->cfg.prefer_tls)
			g->ctr.fallbacks++;
		return true;
	}
	bool udp = false;
	for (unsigned u = 0; u < g->cfg.nup; u++) {
		if (g->cfg.up[u].kind == GUARD_UP_TLS)
			continue;
		if (leg_open(g, p, u, g->cfg.up[u].kind == GUARD_UP_TCP))
			g->ctr.upstream_errors++;
		else if (g->cfg.up[u].kind == GUARD_UP_UDP)
			udp = true;
	}
	/* a datagram may be lost: unanswered, it is asked again (retransmit) */
	if (udp)
		p->retry_at = now + retry_gap_us(g, 0);
	if (!p->nleg && !p->tls_pending && g->ntls && tls_send(g, p))
		return true;
	return p->nleg || p->tls_pending;
}

static void calibrate(struct guard *g)
{
	for (unsigned u = 0; u < g->cfg.nup; u++) {
		if (g->cfg.up[u].kind != GUARD_UP_UDP)
			continue;
		struct pend *p = pend_new(g);
		if (!p)
			return;
		p->calibration = true;
		p->cal_up = u;
		memcpy(p->cl.qname, g->cfg.calibrate, wire_name_len(g->cfg.calibrate, WIRE_NAME_MAX));
		p->cl.qtype = WIRE_T_A;
		p->cl.qclass = WIRE_C_IN;
		p->cl.tcp = true;
		p->cl.conn = -1;
		if (!build_upstream_query(g, p) || leg_open(g, p, u, false) || leg_open(g, p, u, true)) {
			g->ctr.upstream_errors++;
			pend_free(g, p);
			continue;
		}
		g->ctr.calibrations++;
	}
}

/* --- the loop ---------------------------------------------------------------- */

static void leg_udp_read(struct guard *g, struct pend *p, struct leg *l)
{
	for (int k = 0; k < 16 && p->used && l->fd >= 0; k++) {
		struct iovec iov = {.iov_base = g->buf, .iov_len = sizeof g->buf};
		union {
			char buf[CMSG_SPACE(sizeof(int)) * 4];
			struct cmsghdr align;
		} ctl;
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
				    .msg_controllen = sizeof ctl.buf};
		ssize_t n = recvmsg(l->fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				/* ICMP unreachable on a connected socket: the upstream is down */
				g->ctr.upstream_errors++;
				l->failed = true;
				close(l->fd);
				l->fd = -1;
			}
			return;
		}
		int ttl = -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
			    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
				int v;
				memcpy(&v, CMSG_DATA(c), sizeof v);
				ttl = v;
			}
		on_reply(g, p, l, g->buf, (size_t)n, ttl);
	}
}

static void leg_fail(struct guard *g, struct leg *l)
{
	g->ctr.upstream_errors++;
	l->failed = true;
	close(l->fd);
	l->fd = -1;
}

static void leg_tcp_event(struct guard *g, struct pend *p, struct leg *l, short rev)
{
	if (l->tcp_state == 0) {
		int e = 0;
		socklen_t el = sizeof e;
		if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &e, &el) || e) {
			leg_fail(g, l);
			return;
		}
		l->buf[0] = (uint8_t)(p->uqlen >> 8);
		l->buf[1] = (uint8_t)p->uqlen;
		memcpy(l->buf + 2, p->uq, p->uqlen);
		l->tcp_state = 1;
		l->sent = 0;
	}
	if (l->tcp_state == 1 && (rev & POLLOUT)) {
		ssize_t w = send(l->fd, l->buf + l->sent, p->uqlen + 2 - l->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				leg_fail(g, l);
			return;
		}
		l->sent += (size_t)w;
		if (l->sent == p->uqlen + 2) {
			l->tcp_state = 2;
			l->got = 0;
		}
		return;
	}
	if (l->tcp_state == 2 && (rev & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t r = recv(l->fd, l->buf + l->got, 2 + WIRE_MSG_MAX - l->got, MSG_DONTWAIT);
		if (r <= 0) {
			if (r == 0 || (errno != EAGAIN && errno != EINTR))
				leg_fail(g, l);
			return;
		}
		l->got += (size_t)r;
		if (l->got >= 2) {
			size_t need = ((size_t)l->buf[0] << 8 | l->buf[1]) + 2;
			if (l->got >= need) {
				memcpy(g->buf, l->buf + 2, need - 2);
				close(l->fd);
				l->fd = -1;
				on_reply(g, p, l, g->buf, need - 2, -1);
			}
		}
	}
}

static void conn_read(struct guard *g, unsigned i)
{
	struct conn *c = &g->conn[i];
	ssize_t r = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen, MSG_DONTWAIT);
	if (r <= 0) {
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			conn_close(g, i);
		return;
	}
	c->inlen += (size_t)r;
	c->last_us = util_mono_us();
	while (c->fd >= 0 && c->inlen >= 2) {
		size_t need = (size_t)c->in[0] << 8 | c->in[1];
		if (need > QUERY_MAX || need < WIRE_HEADER_LEN) {
			/* RFC 7766 framing with a length no query has: the
			 * stream cannot be trusted past it */
			if (need > QUERY_MAX)
				g->ctr.oversized++;
			else
				g->ctr.malformed++;
			conn_close(g, i);
			return;
		}
		if (c->inlen < need + 2)
			return;
		struct client cl = {.tcp = true, .fd = c->fd, .conn = (int)i, .conn_gen = c->gen};
		memcpy(g->buf, c->in + 2, need);
		memmove(c->in, c->in + need + 2, c->inlen - need - 2);
		c->inlen -= need + 2;
		client_query(g, &cl, g->buf, need);
	}
}

static void conn_accept(struct guard *g, int lfd)
{
	for (int k = 0; k < 16; k++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		unsigned i;
		for (i = 0; i < g->cfg.tcp_clients_max && g->conn[i].fd >= 0; i++)
			;
		if (i == g->cfg.tcp_clients_max) {
			g->ctr.refused_busy++;
			close(fd);
			continue;
		}
		struct conn *c = &g->conn[i];
		c->fd = fd;
		c->gen = ++g->conn_gen;
		c->inlen = 0;
		c->outlen = 0;
		c->last_us = util_mono_us();
	}
}

/* The answers gathered from one batch, out with one sendmmsg (a full
 * socket buffer loses the rest, as a sendto would). */
static void batch_flush(struct guard *g)
{
	for (unsigned done = 0; done < g->nbatch;) {
		int r = sendmmsg(g->batch_fd, g->bout_msg + done, g->nbatch - done, MSG_DONTWAIT);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			/* one that cannot go (an address the kernel refuses)
			 * must not hold up the others */
			done++;
			continue;
		}
		done += (unsigned)r;
	}
	g->nbatch = 0;
}

static void udp_read(struct guard *g, int fd)
{
	for (int round = 0; round < 4; round++) {
		for (unsigned i = 0; i < UDP_BATCH; i++) {
			g->in_iov[i] = (struct iovec){.iov_base = g->in[i], .iov_len = sizeof g->in[i]};
			g->in_msg[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &g->in_addr[i],
								    .msg_namelen = sizeof g->in_addr[i],
								    .msg_iov = &g->in_iov[i],
								    .msg_iovlen = 1}};
		}
		int n = recvmmsg(fd, g->in_msg, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		g->batch_fd = fd;
		for (int i = 0; i < n; i++) {
			struct client cl = {.tcp = false, .fd = fd, .conn = -1};
			cl.addrlen = g->in_msg[i].msg_hdr.msg_namelen;
			memcpy(&cl.addr, &g->in_addr[i], cl.addrlen <= sizeof cl.addr ? cl.addrlen : sizeof cl.addr);
			/* a datagram longer than the buffer comes cut, MSG_TRUNC
			 * set: oversized either way */
			size_t len = g->in_msg[i].msg_len;
			if (g->in_msg[i].msg_hdr.msg_flags & MSG_TRUNC)
				len = QUERY_MAX + 1;
			client_query(g, &cl, g->in[i], len);
		}
		batch_flush(g);
		g->batch_fd = -1;
		if (n < UDP_BATCH)
			return;
	}
}

static int pfd_add(struct guard *g, size_t *n, int fd, short ev, uint8_t kind, unsigned i, unsigned j)
{
	if (*n == g->pfd_cap) {
		size_t cap = g->pfd_cap ? g->pfd_cap * 2 : 64;
		struct pollfd *np = realloc(g->pfd, cap * sizeof *np);
		if (!np)
			return -1;
		g->pfd = np;
		struct pfd_map *nm = realloc(g->map, cap * sizeof *nm);
		if (!nm)
			return -1;
		g->map = nm;
		g->pfd_cap = cap;
	}
	g->pfd[*n] = (struct pollfd){.fd = fd, .events = ev};
	g->map[*n] = (struct pfd_map){.kind = kind, .i = i, .j = j};
	(*n)++;
	return 0;
}

/* The key fetch in P's chain of waits (P waits for a fetch, which waits
 * for another, ...) that had a reply dropped as bogus; NULL if none. */
static const struct pend *key_blocker(const struct guard *g, const struct pend *p)
{
	for (unsigned depth = 0; depth < 16 && p && p->nwait; depth++) {
		const struct pend *next = NULL;
		for (unsigned k = 0; k < g->cfg.inflight_max && !next; k++)
			if (g->pend[k].used && g->pend[k].internal && g->pend[k].cl.qtype == p->need_type &&
			    wire_name_equal(g->pend[k].cl.qname, p->need_name))
				next = &g->pend[k];
		if (next && next->bogus)
			return next;
		if (next == p)
			return NULL;
		p = next;
	}
	return NULL;
}

/* Is a key fetch for NAME TYPE in flight? */
static bool fetch_under_way(const struct guard *g, const uint8_t *name, uint16_t type)
{
	for (unsigned i = 0; i < g->cfg.inflight_max; i++) {
		const struct pend *q = &g->pend[i];
		if (q->used && q->internal && q->cl.qtype == type && wire_name_equal(q->cl.qname, name))
			return true;
	}
	return false;
}

/* How long an unanswered query waits before it is asked again: three
 * round trips of the slowest plain upstream that answered (a quarter of the
 * timeout before any did), at least RETRY_MIN_US, at most a quarter of the
 * timeout. Not doubled for each retry of a query as a resolver's would be:
 * the client's deadline is seconds away and a key chain may need several
 * fetches one after the other, each of which may lose a datagram (while
 * other replies keep coming: random loss). But doubled, up to 8 times, for
 * each such gap in which no plain upstream's reply was served at all: an
 * upstream that answers nobody is not asked ever faster (an outage, or a
 * resolver under load that more queries would only slow down). RETRY_MAX
 * bounds what one query costs the upstream. */
static uint64_t retry_gap_us(const struct guard *g, unsigned retries)
{
	(void)retries;
	const uint64_t timeout = (uint64_t)g->cfg.timeout_ms * 1000u;
	uint64_t srtt = 0, served = 0;
	for (unsigned u = 0; u < g->cfg.nup; u++)
		if (g->cfg.up[u].kind == GUARD_UP_UDP) {
			if (g->srtt_us[u] > srtt)
				srtt = g->srtt_us[u];
			if (g->served_us[u] > served)
				served = g->served_us[u];
		}
	uint64_t gap = srtt ? 3 * srtt : timeout / RETRY_MAX_DIV;
	if (gap > timeout / RETRY_MAX_DIV)
		gap = timeout / RETRY_MAX_DIV;
	if (gap < RETRY_MIN_US)
		gap = RETRY_MIN_US;
	const uint64_t now = util_mono_us();
	if (served && now > served) {
		uint64_t silent = (now - served) / gap;
		gap <<= silent < 3 ? silent : 3;
	}
	return gap;
}

/* P has had no answer it could serve (or, a key fetch, no proof) for a
 * retry gap: a datagram lost on the way, either way, or a reply the
 * upstream never sent. Ask again on every plain UDP path with a fresh
 * socket (the same ID: a reply to either is an answer), the first time
 * over TCP too (which loses nothing and no datagram races), and over TLS
 * where configured and not yet asked. The earlier legs stay open: a late
 * reply is as good. */
static void retransmit(struct guard *g, struct pend *p, uint64_t now)
{
	const bool tcp_too = p->retries == 0;
	p->retries++;
	for (unsigned u = 0; u < g->cfg.nup; u++) {
		if (g->cfg.up[u].kind != GUARD_UP_UDP)
			continue;
		if (leg_open(g, p, u, false) == 0)
			g->ctr.retransmits++;
		if (tcp_too && leg_open(g, p, u, true) == 0)
			g->ctr.retransmits++;
	}
	if (g->ntls && g->cfg.fallback && !p->tls_sent && tls_send(g, p))
		g->ctr.fallbacks++;
	uint64_t next = now + retry_gap_us(g, p->retries);
	/* past the deadline it fires only if a waiter extends it (key_fetch) */
	p->retry_at = p->nleg < LEGS_MAX && p->retries < RETRY_MAX ? next : 0;
}

static void timers(struct guard *g)
{
	const uint64_t now = util_mono_us();
	for (unsigned i = 0; i < g->cfg.inflight_max; i++) {
		struct pend *p = &g->pend[i];
		if (!p->used)
			continue;
		if (p->calibration) {
			if (now >= p->deadline_us)
				pend_free(g, p);
			continue;
		}
		if (p->nwait && p->fetch_at > 1 && now >= p->fetch_at)
			need_fetch(g, p);
		/* (a query with an unverified candidate has its answer: the
		 * window decides it) */
		if (p->retry_at && now >= p->retry_at && now < p->deadline_us && !p->ncand) {
			if (p->nwait && fetch_under_way(g, p->need_name, p->need_type))
				/* a reply is in hand, waiting for keys that are on
				 * their way (the fetch asks again itself): asking
				 * again would bring another copy. Unless all it
				 * holds prove forged: looked at again shortly */
				p->retry_at = now + RETRY_MIN_US / 2;
			else
				retransmit(g, p, now);
		}
		bool all_failed = p->nleg > 0;
		for (unsigned k = 0; k < p->nleg; k++)
			all_failed &= p->leg[k].failed;
		all_failed &= !p->tls_pending;
		if (!p->nleg && p->tls_sent && !p->tls_pending)
			all_failed = true; /* TLS only, and it failed */
		if (p->ncand && (now >= p->window_end_us || now >= p->deadline_us || all_failed)) {
			decide_candidates(g, p);
		} else if (now >= p->deadline_us || (all_failed && !p->ncand)) {
			char why[256], need[WIRE_NAME_TEXT_MAX];
			if (p->internal) {
				/* it lived as long as the queries waiting on it
				 * (key_fetch): none is left to answer; a query that
				 * comes later asks again (a lost reply is no reason
				 * to fail the next names of the zone) */
				g->ctr.key_fetch_failed++;
			} else if (p->bogus) {
				/* RFC 8914 4.7: what was dropped, and why */
				g->ctr.servfail_bogus++;
				snprintf(why, sizeof why, "forged reply dropped (DNSSEC bogus: %.150s), no valid reply", p->why);
				client_servfail(g, &p->cl, why, EDE_DNSSEC_BOGUS);
			} else if (p->nwait) {
				/* the key fetch it waits for, and the one that waits
				 * for, ...: bogus replies to one of them are what kept
				 * the answer from being validated */
				const struct pend *f = key_blocker(g, p);
				if (!wire_name_to_text(f ? f->cl.qname : p->need_name, need, sizeof need))
					snprintf(need, sizeof need, "?");
				if (f) {
					g->ctr.servfail_bogus++;
					snprintf(why, sizeof why,
						 "forged reply dropped (DNSSEC bogus: %.60s %s: %.110s), no valid reply",
						 need, f->cl.qtype == T_DS ? "DS" : "DNSKEY", f->why);
					client_servfail(g, &p->cl, why, EDE_DNSSEC_BOGUS);
				} else {
					g->ctr.servfail_keys++;
					snprintf(why, sizeof why, "DNSSEC keys not fetched in time (%.150s %s)", need,
						 p->need_type == T_DS ? "DS" : "DNSKEY");
					client_servfail(g, &p->cl, why, EDE_DNSKEY_MISSING);
				}
			} else if (p->drops) {
				g->ctr.servfail_forged++;
				client_servfail(g, &p->cl, "forged reply dropped, no real reply", EDE_OTHER);
			} else if (all_failed) {
				g->ctr.servfail_timeout++;
				client_servfail(g, &p->cl, "upstream unreachable", EDE_NETWORK_ERROR);
			} else {
				g->ctr.servfail_timeout++;
				client_servfail(g, &p->cl, "upstream timed out", EDE_NO_REACHABLE);
			}
			pend_free(g, p);
		}
	}
	for (unsigned i = 0; i < g->cfg.tcp_clients_max; i++)
		if (g->conn[i].fd >= 0 && now - g->conn[i].last_us > TCP_IDLE_US)
			conn_close(g, i);
	if (g->cfg.have_calibrate && now >= g->next_calibration_us) {
		g->next_calibration_us = now + (uint64_t)g->cfg.calibrate_every_ms * 1000u;
		calibrate(g);
	}
}

int guard_poll(struct guard *g, int max_wait_ms, struct dw_error *err)
{
	size_t n = 0;
	for (unsigned i = 0; i < g->cfg.nlisten; i++) {
		if (pfd_add(g, &n, g->udp[i], POLLIN, PFD_UDP, i, 0) ||
		    pfd_add(g, &n, g->tcp[i], POLLIN, PFD_TCP_LISTEN, i, 0))
			return dw_error_set(err, DW_E_NOMEM, "guard: poll set: out of memory");
	}
	for (unsigned i = 0; i < g->cfg.tcp_clients_max; i++)
		if (g->conn[i].fd >= 0 &&
		    pfd_add(g, &n, g->conn[i].fd, (short)(POLLIN | (g->conn[i].outlen ? POLLOUT : 0)), PFD_CONN, i, 0))
			return dw_error_set(err, DW_E_NOMEM, "guard: poll set: out of memory");
	if (g->tls_efd >= 0 && pfd_add(g, &n, g->tls_efd, POLLIN, PFD_TLS, 0, 0))
		return dw_error_set(err, DW_E_NOMEM, "guard: poll set: out of memory");
	uint64_t now = util_mono_us(), next = now + (uint64_t)max_wait_ms * 1000u;
	for (unsigned i = 0; i < g->cfg.inflight_max; i++) {
		struct pend *p = &g->pend[i];
		if (!p->used)
			continue;
		if (p->deadline_us < next)
			next = p->deadline_us;
		if (p->ncand && p->window_end_us < next)
			next = p->window_end_us;
		if (p->nwait && p->fetch_at > 1 && p->fetch_at < next)
			next = p->fetch_at;
		if (p->retry_at && p->retry_at < next)
			next = p->retry_at;
		for (unsigned k = 0; k < p->nleg; k++) {
			struct leg *l = &p->leg[k];
			if (l->fd < 0)
				continue;
			short ev = POLLIN;
			if (l->tcp && l->tcp_state < 2)
				ev = POLLOUT;
			if (pfd_add(g, &n, l->fd, ev, PFD_LEG, i, k))
				return dw_error_set(err, DW_E_NOMEM, "guard: poll set: out of memory");
		}
	}
	if (g->cfg.have_calibrate && g->next_calibration_us < next)
		next = g->next_calibration_us;
	int wait_ms = next > now ? (int)((next - now + 999) / 1000) : 0;
	int r = poll(g->pfd, n, wait_ms);
	if (r < 0) {
		if (errno == EINTR)
			return 0;
		return dw_error_errno(err, "guard: poll");
	}
	for (size_t k = 0; r > 0 && k < n; k++) {
		short rev = g->pfd[k].revents;
		if (!rev)
			continue;
		const struct pfd_map *m = &g->map[k];
		switch (m->kind) {
		case PFD_UDP:
			udp_read(g, g->pfd[k].fd);
			break;
		case PFD_TCP_LISTEN:
			conn_accept(g, g->pfd[k].fd);
			break;
		case PFD_TLS:
			tls_results(g);
			break;
		case PFD_CONN:
			if (g->conn[m->i].fd != g->pfd[k].fd)
				break;
			if (rev & POLLOUT)
				conn_flush(g, m->i);
			if (g->conn[m->i].fd >= 0 && (rev & (POLLIN | POLLHUP | POLLERR)))
				conn_read(g, m->i);
			break;
		case PFD_LEG: {
			struct pend *p = &g->pend[m->i];
			/* an earlier event of this round may have finished the query */
			if (!p->used || m->j >= p->nleg || p->leg[m->j].fd != g->pfd[k].fd)
				break;
			struct leg *l = &p->leg[m->j];
			if (l->tcp)
				leg_tcp_event(g, p, l, rev);
			else
				leg_udp_read(g, p, l);
			break;
		}
		}
	}
	/* key fetches that finished wake the replies waiting on them (which
	 * may start further fetches, or finish more: bounded rounds) */
	for (unsigned k = 0; k < REVALIDATE_ROUNDS && g->keys_changed; k++) {
		g->keys_changed = false;
		revalidate(g);
	}
	timers(g);
	return 0;
}

static int listen_on(struct guard *g, unsigned i, struct dw_error *err)
{
	const struct sockaddr *sa = (const struct sockaddr *)&g->cfg.listen[i];
	char text[INET6_ADDRSTRLEN + 8];
	const void *a = sa->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
						 : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	uint16_t port = ntohs(sa->sa_family == AF_INET ? ((const struct sockaddr_in *)sa)->sin_port
						       : ((const struct sockaddr_in6 *)sa)->sin6_port);
	inet_ntop(sa->sa_family, a, text, sizeof text);
	int one = 1;
	g->udp[i] = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->udp[i] < 0 || bind(g->udp[i], sa, g->cfg.listen_len[i]))
		return dw_error_errno(err, "guard: listening on udp %s port %u", text, port);
	g->tcp[i] = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->tcp[i] < 0 || setsockopt(g->tcp[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(g->tcp[i], sa, g->cfg.listen_len[i]) || listen(g->tcp[i], 64))
		return dw_error_errno(err, "guard: listening on tcp %s port %u", text, port);
	return 0;
}

int guard_open(struct guard **out, const struct guard_config *cfg, struct dw_error *err)
{
	*out = NULL;
	if (!cfg->nlisten || !cfg->nup || cfg->inflight_max == 0 || cfg->inflight_max > 4096 ||
	    cfg->tcp_clients_max == 0 || cfg->tcp_clients_max > 4096) {
		guard_dnssec_free(cfg->dnssec); /* taken, whatever happens */
		if (!cfg->nlisten || !cfg->nup)
			return dw_error_set(err, DW_E_INVALID, "guard: %s",
					    !cfg->nlisten ? "no --listen address" : "no --upstream");
		return dw_error_set(err, DW_E_INVALID, "guard: in-flight or TCP client limit out of range");
	}
	struct guard *g = calloc(1, sizeof *g);
	if (!g) {
		guard_dnssec_free(cfg->dnssec);
		return dw_error_set(err, DW_E_NOMEM, "guard: out of memory");
	}
	g->cfg = *cfg;
	for (unsigned i = 0; i < GUARD_LISTEN_MAX; i++)
		g->udp[i] = g->tcp[i] = -1;
	g->tls_efd = -1;
	g->batch_fd = -1;
	for (unsigned i = 0; i < GUARD_UPSTREAM_MAX; i++)
		g->prof[i].answer_ptr = -1;
	g->conn = calloc(cfg->tcp_clients_max, sizeof *g->conn);
	g->pend = calloc(cfg->inflight_max, sizeof *g->pend);
	g->intel = calloc(1, sizeof *g->intel);
	if (!g->conn || !g->pend || !g->intel) {
		guard_close(g);
		return dw_error_set(err, DW_E_NOMEM, "guard: out of memory");
	}
	for (unsigned i = 0; i < cfg->tcp_clients_max; i++)
		g->conn[i].fd = -1;
	if (cfg->cache_max && guard_cache_new(&g->cache, cfg->cache_max, err)) {
		guard_close(g);
		return -1;
	}
	for (unsigned i = 0; i < cfg->nlisten; i++)
		if (listen_on(g, i, err)) {
			guard_close(g);
			return -1;
		}
	if (tls_start(g, err)) {
		guard_close(g);
		return -1;
	}
	g->next_calibration_us = util_mono_us();
	*out = g;
	return 0;
}

void guard_close(struct guard *g)
{
	if (!g)
		return;
	tls_stop(g);
	for (unsigned i = 0; i < GUARD_LISTEN_MAX; i++) {
		if (g->udp[i] >= 0)
			close(g->udp[i]);
		if (g->tcp[i] >= 0)
			close(g->tcp[i]);
	}
	if (g->pend)
		for (unsigned i = 0; i < g->cfg.inflight_max; i++)
			if (g->pend[i].used)
				pend_free(g, &g->pend[i]);
	if (g->conn)
		for (unsigned i = 0; i < g->cfg.tcp_clients_max; i++)
			conn_close(g, i);
	guard_cache_free(g->cache);
	guard_dnssec_free(g->cfg.dnssec);
	free(g->conn);
	free(g->pend);
	free(g->intel);
	free(g->pfd);
	free(g->map);
	free(g);
}

const struct guard_counters *guard_counters(const struct guard *g)
{
	return &g->ctr;
}

struct guard_intel *guard_intel(struct guard *g)
{
	return g->intel;
}

const struct guard_profile *guard_profile(const struct guard *g, unsigned i)
{
	return &g->prof[i];
}

#define C(name) jw_key(&j, #name), jw_uint(&j, g->ctr.name)
void guard_write_json(const struct guard *g, FILE *out)
{
	struct jw j;
	jw_init(&j, out);
	jw_object_begin(&j);
	C(queries), C(queries_udp), C(queries_tcp), C(malformed), C(oversized), C(refused_busy);
	C(cache_hits), C(cache_misses), C(cache_purged);
	C(answered), C(servfail), C(servfail_forged), C(servfail_timeout), C(servfail_disagree);
	C(servfail_bogus), C(servfail_keys);
	C(upstream_sent), C(upstream_replies), C(upstream_mismatch), C(upstream_errors);
	C(retransmits), C(wait_full);
	C(accepted), C(accepted_unverified), C(duplicates), C(late_disagree);
	C(dropped);
	jw_key(&j, "dropped_by");
	jw_object_begin(&j);
	for (unsigned i = 0; i < GUARD_CHECK_COUNT; i++) {
		jw_key(&j, guard_check_name(i));
		jw_uint(&j, g->ctr.dropped_by[i]);
	}
	jw_object_end(&j);
	C(calibrations), C(calibration_samples), C(calibration_disagree), C(forged_addrs_learned);
	C(fallbacks);
	if (g->cfg.dnssec) {
		C(dnssec_secure), C(dnssec_insecure), C(dnssec_bogus), C(key_fetches), C(key_fetch_failed);
		C(truncated);
		jw_key(&j, "dnssec_store");
		jw_uint(&j, guard_dnssec_count(g->cfg.dnssec));
	}
	jw_key(&j, "cache_entries");
	jw_uint(&j, g->cache ? guard_cache_count(g->cache) : 0);
	jw_key(&j, "groups");
	jw_array_begin(&j);
	for (unsigned i = 0; i < g->intel->ngroups; i++) {
		const struct guard_fp *fp = &g->intel->group[i];
		jw_object_begin(&j);
		jw_key(&j, "id");
		jw_uint(&j, i + 1);
		jw_key(&j, "flags");
		jw_uint(&j, fp->flags);
		jw_key(&j, "opt");
		jw_bool(&j, fp->has_opt);
		jw_key(&j, "answer_ptr");
		jw_bool(&j, fp->answer_ptr);
		jw_key(&j, "dropped");
		jw_uint(&j, g->intel->group_hits[i]);
		jw_object_end(&j);
	}
	jw_array_end(&j);
	jw_key(&j, "forged_addresses");
	jw_uint(&j, g->intel->naddrs);
	jw_key(&j, "upstreams");
	jw_array_begin(&j);
	for (unsigned i = 0; i < g->cfg.nup; i++) {
		const struct guard_profile *p = &g->prof[i];
		jw_object_begin(&j);
		jw_key(&j, "upstream");
		jw_string(&j, g->cfg.up[i].text);
		jw_key(&j, "samples");
		jw_uint(&j, p->learned);
		uint32_t fl;
		uint8_t lo, hi;
		if (guard_profile_rtt_floor(p, &fl)) {
			jw_key(&j, "rtt_floor_us");
			jw_uint(&j, fl);
		}
		if (guard_profile_ttl_range(p, &lo, &hi)) {
			jw_key(&j, "ip_ttl_min");
			jw_uint(&j, lo);
			jw_key(&j, "ip_ttl_max");
			jw_uint(&j, hi);
		}
		jw_key(&j, "ready");
		jw_bool(&j, guard_profile_ready(p));
		jw_object_end(&j);
	}
	jw_array_end(&j);
	jw_object_end(&j);
	jw_newline(&j);
}
#undef C

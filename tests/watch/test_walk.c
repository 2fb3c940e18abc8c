/* watch/walk: the iterative walk against tiny fake authoritative servers,
 * one thread each, on 127.0.0.1, .2, .3 ... sharing one UDP port. No root
 * and no lab needed; nothing leaves 127.0.0.0/8. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "watch/walk.h"
#include "wire/build.h"
#include "wire/rdata.h"

enum kind {
	K_REFER,    /* NS ZONE -> NS, with A glue 127.0.0.GLUE unless GLUE is 0 */
	K_ANSWER,   /* A ANSWER, after any forgery SPOOF asks for */
	K_CNAME,    /* a CNAME to ZONE only */
	K_NXDOMAIN, /* with the SOA of ZONE */
	K_NODATA,   /* with the SOA of ZONE, or an empty authority if ZONE is NULL */
	K_RCODE,    /* an empty reply with RCODE */
	K_SILENT,   /* never answers */
	K_DEEP      /* refers one label further down the name each time, to itself */
};

enum spoof {
	SP_NONE,
	SP_SRC,  /* a forgery from 127.0.0.9, same port */
	SP_ID,   /* a forgery with the ID off by one */
	SP_CASE  /* a forgery whose question has every letter's case flipped */
};

#define SPOOF_HOST 9

struct fake {
	uint8_t host;           /* 127.0.0.HOST */
	enum kind kind;
	const char *zone;
	const char *ns;
	uint8_t glue;
	uint8_t answer[4];
	uint8_t rcode;
	enum spoof spoof;
	/* run time */
	int fd, spoof_fd;
	pthread_t th;
	atomic_int stop;
	atomic_uint queries;
	atomic_int saw_rd;
	unsigned depth;         /* K_DEEP: distinct queries seen */
	uint16_t last_id, last_port;
	uint8_t last_qname[WIRE_NAME_MAX];
};

static uint8_t *wname(const char *text, uint8_t *out)
{
	size_t n;
	memset(out, 0, WIRE_NAME_MAX);
	if (wire_name_from_text(text, out, &n) != DW_OK)
		abort();
	return out;
}

static void add_soa(struct wire_builder *b, const char *zone)
{
	struct wire_rdata rd;
	memset(&rd, 0, sizeof rd);
	rd.type = WIRE_T_SOA;
	uint8_t z[WIRE_NAME_MAX];
	wname(zone, z);
	size_t zl = wire_name_len(z, WIRE_NAME_MAX);
	/* ns.ZONE and hostmaster.ZONE */
	rd.u.soa.mname[0] = 2;
	memcpy(rd.u.soa.mname + 1, "ns", 2);
	memcpy(rd.u.soa.mname + 3, z, zl);
	rd.u.soa.rname[0] = 10;
	memcpy(rd.u.soa.rname + 1, "hostmaster", 10);
	memcpy(rd.u.soa.rname + 11, z, zl);
	rd.u.soa.serial = 1;
	rd.u.soa.refresh = 3600;
	rd.u.soa.retry = 600;
	rd.u.soa.expire = 86400;
	rd.u.soa.minimum = 300;
	wire_build_rr(b, WIRE_SEC_AUTHORITY, z, WIRE_C_IN, 3600, &rd);
}

static void add_ns(struct wire_builder *b, const uint8_t *zone, const uint8_t *ns)
{
	struct wire_rdata rd;
	memset(&rd, 0, sizeof rd);
	rd.type = WIRE_T_NS;
	memcpy(rd.u.name, ns, wire_name_len(ns, WIRE_NAME_MAX));
	wire_build_rr(b, WIRE_SEC_AUTHORITY, zone, WIRE_C_IN, 172800, &rd);
}

/* The reply of F to the query NAME/QTYPE with ID (ANSWER for the address). */
static size_t make_reply(struct fake *f, uint8_t *buf, size_t cap, uint16_t id,
			 const uint8_t *name, uint16_t qtype, const uint8_t answer[4])
{
	struct wire_builder b;
	uint16_t flags = WIRE_FLAG_QR;
	if (f->kind != K_REFER && f->kind != K_DEEP)
		flags |= WIRE_FLAG_AA;
	if (f->kind == K_NXDOMAIN)
		flags |= WIRE_RCODE_NXDOMAIN;
	if (f->kind == K_RCODE)
		flags |= f->rcode;
	wire_build_init(&b, buf, cap, id, flags);
	wire_build_question(&b, name, qtype, WIRE_C_IN);
	uint8_t z[WIRE_NAME_MAX], n[WIRE_NAME_MAX];
	switch (f->kind) {
	case K_REFER:
		wname(f->zone, z);
		wname(f->ns, n);
		add_ns(&b, z, n);
		if (f->glue) {
			const uint8_t a[4] = {127, 0, 0, f->glue};
			wire_build_rr_raw(&b, WIRE_SEC_ADDITIONAL, n, WIRE_T_A, WIRE_C_IN, 172800, a, 4);
		}
		break;
	case K_DEEP: {
		/* The suffix of NAME with DEPTH labels, served by ns.SUFFIX here. */
		unsigned skip = wire_name_labels(name) - f->depth;
		size_t i = 0;
		for (unsigned k = 0; k < skip; k++)
			i += 1 + (size_t)name[i];
		memset(z, 0, sizeof z);
		memcpy(z, name + i, wire_name_len(name + i, WIRE_NAME_MAX));
		memset(n, 0, sizeof n);
		n[0] = 2;
		memcpy(n + 1, "ns", 2);
		memcpy(n + 3, z, wire_name_len(z, WIRE_NAME_MAX));
		add_ns(&b, z, n);
		const uint8_t a[4] = {127, 0, 0, f->host};
		wire_build_rr_raw(&b, WIRE_SEC_ADDITIONAL, n, WIRE_T_A, WIRE_C_IN, 172800, a, 4);
		break;
	}
	case K_ANSWER:
		wire_build_rr_raw(&b, WIRE_SEC_ANSWER, name, WIRE_T_A, WIRE_C_IN, 300, answer, 4);
		break;
	case K_CNAME: {
		struct wire_rdata rd;
		memset(&rd, 0, sizeof rd);
		rd.type = WIRE_T_CNAME;
		wname(f->zone, rd.u.name);
		wire_build_rr(&b, WIRE_SEC_ANSWER, name, WIRE_C_IN, 300, &rd);
		break;
	}
	case K_NXDOMAIN:
	case K_NODATA:
		if (f->zone)
			add_soa(&b, f->zone);
		break;
	case K_RCODE:
	case K_SILENT:
		break;
	}
	size_t len;
	if (wire_build_finish(&b, &len) != DW_OK)
		abort();
	return len;
}

static void handle(struct fake *f, const uint8_t *q, size_t qlen, const struct sockaddr_in *from)
{
	struct wire_rr rr[4];
	struct wire_msg m;
	if (wire_msg_parse(&m, q, qlen, rr, 4) != DW_OK || m.hdr.count[WIRE_SEC_QUESTION] != 1)
		return;
	uint8_t name[WIRE_NAME_MAX] = {0};
	if (!wire_msg_name(&m, rr[0].owner_off, name))
		return; /* the parse checked it: cannot happen */
	if (m.hdr.flags & WIRE_FLAG_RD)
		atomic_store(&f->saw_rd, 1);
	if (f->kind == K_DEEP && (!f->queries || m.hdr.id != f->last_id))
		f->depth++; /* a retransmission keeps its depth */
	atomic_fetch_add(&f->queries, 1);
	f->last_id = m.hdr.id;
	f->last_port = ntohs(from->sin_port);
	memcpy(f->last_qname, name, sizeof name);
	if (f->kind == K_SILENT)
		return;

	uint8_t buf[1024];
	const uint8_t forged[4] = {6, 6, 6, 6};
	size_t len;
	if (f->kind == K_ANSWER && f->spoof != SP_NONE) {
		uint16_t id = f->spoof == SP_ID ? (uint16_t)(m.hdr.id + 1) : m.hdr.id;
		uint8_t other[WIRE_NAME_MAX];
		memcpy(other, name, sizeof other);
		if (f->spoof == SP_CASE)
			for (size_t i = 0; other[i]; i += 1 + (size_t)other[i])
				for (size_t k = 1; k <= other[i]; k++)
					if ((other[i + k] | 0x20) >= 'a' && (other[i + k] | 0x20) <= 'z')
						other[i + k] ^= 0x20;
		len = make_reply(f, buf, sizeof buf, id, other, rr[0].type, forged);
		int fd = f->spoof == SP_SRC ? f->spoof_fd : f->fd;
		sendto(fd, buf, len, 0, (const struct sockaddr *)from, sizeof *from);
	}
	len = make_reply(f, buf, sizeof buf, m.hdr.id, name, rr[0].type, f->answer);
	sendto(f->fd, buf, len, 0, (const struct sockaddr *)from, sizeof *from);
}

static void *serve(void *arg)
{
	struct fake *f = arg;
	uint8_t q[1024];
	while (!atomic_load(&f->stop)) {
		struct pollfd pf = {f->fd, POLLIN, 0};
		if (poll(&pf, 1, 20) <= 0)
			continue;
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(f->fd, q, sizeof q, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n >= WIRE_HEADER_LEN)
			handle(f, q, (size_t)n, &from);
	}
	return NULL;
}

static int bind_udp(uint8_t host, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	const uint8_t a[4] = {127, 0, 0, host};
	memcpy(&sa.sin_addr, a, 4);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void close_all(struct fake *f, int n)
{
	for (int i = 0; i < n; i++) {
		if (f[i].fd >= 0)
			close(f[i].fd);
		if (f[i].spoof_fd >= 0)
			close(f[i].spoof_fd);
		f[i].fd = f[i].spoof_fd = -1;
	}
}

/* Bind every fake on one random high port (another on EADDRINUSE) and start
 * its thread. Returns the port, 0 if none could be had. */
static uint16_t world_start(struct fake *f, int n)
{
	static uint64_t pick;
	if (!pick)
		pick = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	for (int tries = 0; tries < 50; tries++) {
		pick = pick * 6364136223846793005ull + 1442695040888963407ull;
		uint16_t port = (uint16_t)(20000 + (pick >> 33) % 40000);
		bool ok = true;
		for (int i = 0; i < n; i++)
			f[i].fd = f[i].spoof_fd = -1;
		for (int i = 0; i < n && ok; i++) {
			f[i].fd = bind_udp(f[i].host, port);
			if (f[i].fd >= 0 && f[i].spoof == SP_SRC)
				f[i].spoof_fd = bind_udp(SPOOF_HOST, port);
			ok = f[i].fd >= 0 && (f[i].spoof != SP_SRC || f[i].spoof_fd >= 0);
		}
		if (!ok) {
			int e = errno;
			close_all(f, n);
			if (e == EADDRINUSE)
				continue;
			printf("# binding 127.0.0.x:%u: %s\n", port, strerror(e));
			return 0;
		}
		for (int i = 0; i < n; i++) {
			atomic_store(&f[i].stop, 0);
			atomic_store(&f[i].queries, 0);
			atomic_store(&f[i].saw_rd, 0);
			if (pthread_create(&f[i].th, NULL, serve, &f[i]))
				abort();
		}
		return port;
	}
	return 0;
}

static void world_stop(struct fake *f, int n)
{
	for (int i = 0; i < n; i++)
		atomic_store(&f[i].stop, 1);
	for (int i = 0; i < n; i++)
		pthread_join(f[i].th, NULL);
	close_all(f, n);
}

/* Root at .1 refers com. to .2, which refers example.com. to GLUE; the
 * caller sets up what the last server(s) do. */
static void chain(struct fake *f, uint8_t glue)
{
	f[0] = (struct fake){.host = 1, .kind = K_REFER, .zone = "com.", .ns = "a.gtld.com.", .glue = 2};
	f[1] = (struct fake){.host = 2, .kind = K_REFER, .zone = "example.com.",
			     .ns = "ns.example.com.", .glue = glue};
}

struct run {
	int rc;
	uint16_t port;
	struct probe_result out;
	struct walk_trace tr;
	uint64_t before, after; /* wall clock around the walk, us */
	uint64_t took_ms;
};

static uint64_t wall_us(int clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Start F, walk NAME, stop F. Static: the result is large. */
static struct run *walk(struct fake *f, int n, const char *name, uint32_t timeout_ms)
{
	static struct run r;
	memset(&r, 0, sizeof r);
	r.port = world_start(f, n);
	CHECK(r.port != 0);
	if (!r.port) {
		r.rc = -2;
		return &r;
	}
	struct walk_config cfg = {.root = {127, 0, 0, 1}, .port = r.port,
				  .timeout_ms = timeout_ms, .seed = 0x5eed1234u};
	uint8_t q[WIRE_NAME_MAX];
	wname(name, q);
	r.out.seq = 77;
	r.out.line = 78;
	r.out.target = 79;
	r.out.nreplies = 5; /* must be overwritten */
	r.before = wall_us(CLOCK_REALTIME);
	uint64_t t0 = wall_us(CLOCK_MONOTONIC);
	struct dw_error err;
	dw_error_clear(&err);
	r.rc = walk_run(&cfg, q, WIRE_T_A, &r.out, &r.tr, &err);
	if (r.rc < 0)
		printf("#   walk_run: %s\n", err.text);
	r.took_ms = (wall_us(CLOCK_MONOTONIC) - t0) / 1000;
	r.after = wall_us(CLOCK_REALTIME);
	world_stop(f, n);
	for (int i = 0; i < n; i++)
		CHECK(!atomic_load(&f[i].saw_rd));
	return &r;
}

static const char *ip(const uint8_t *a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int k;
	k = (k + 1) % 4;
	return inet_ntop(AF_INET, a, buf[k], sizeof buf[k]);
}

static const char *zone_text(const struct walk_step *s)
{
	static char buf[4][WIRE_NAME_TEXT_MAX];
	static int k;
	k = (k + 1) % 4;
	wire_name_to_text(s->zone, buf[k], sizeof buf[k]);
	return buf[k];
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void check_failed(const struct run *r)
{
	CHECK_EQ(r->rc, 1);
	CHECK_EQ(r->out.nreplies, 0);
	CHECK_EQ(r->out.seq, 77);
	CHECK_EQ(r->out.verdict, VERDICT_NONE);
	CHECK_EQ(r->out.forged_reply, -1);
	CHECK_EQ(r->out.group, -1);
}

static void test_answer(void)
{
	struct fake f[3];
	chain(f, 3);
	f[2] = (struct fake){.host = 3, .kind = K_ANSWER, .answer = {192, 0, 2, 1}};
	struct run *r = walk(f, 3, "www.example.com", 1000);
	CHECK_EQ(r->rc, 0);
	CHECK_STR(r->tr.why, "answer from 127.0.0.3 (ns.example.com., zone example.com.)");
	CHECK_EQ(r->tr.nsteps, 3);
	CHECK_STR(ip(r->tr.step[0].server), "127.0.0.1");
	CHECK_STR(ip(r->tr.step[1].server), "127.0.0.2");
	CHECK_STR(ip(r->tr.step[2].server), "127.0.0.3");
	CHECK_STR(zone_text(&r->tr.step[0]), ".");
	CHECK_STR(zone_text(&r->tr.step[1]), "com.");
	CHECK_STR(zone_text(&r->tr.step[2]), "example.com.");
	CHECK(r->tr.step[0].referral && r->tr.step[1].referral && !r->tr.step[2].referral);
	CHECK_EQ(r->tr.step[2].rcode, 0);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(atomic_load(&f[i].queries), 1);
		CHECK(r->tr.step[i].rtt_us < 1000000);
	}

	const struct probe_result *o = &r->out;
	uint8_t want[WIRE_NAME_MAX];
	wname("www.example.com", want);
	CHECK(wire_name_equal(o->qname, want));
	CHECK(wire_name_equal_exact(o->qname, f[2].last_qname)); /* as sent, 0x20 case */
	CHECK(!wire_name_equal_exact(o->qname, want));           /* some letter was raised */
	CHECK_EQ(o->qtype, WIRE_T_A);
	CHECK_EQ(o->id, f[2].last_id);
	CHECK_EQ(o->sport, f[2].last_port);
	CHECK_EQ(o->attempts, 3);
	CHECK(o->sent_us >= r->before && o->sent_us <= r->after);
	CHECK_EQ(o->seq, 77);
	CHECK_EQ(o->line, 78);
	CHECK_EQ(o->target, 79);
	CHECK_EQ(o->nreplies, 1);
	CHECK_EQ(o->replies_seen, 1);
	CHECK_EQ(o->verdict, VERDICT_NONE);
	CHECK_EQ(o->forged_reply, -1);
	CHECK_EQ(o->group, -1);
	const struct probe_reply *p = &o->reply[0];
	CHECK_EQ(p->family, AF_INET);
	CHECK_STR(ip(p->src), "127.0.0.3");
	CHECK_EQ(p->sport, r->port);
	CHECK(!p->ip_known);
	CHECK(p->parsed);
	CHECK(p->question_match);
	CHECK(p->flags & WIRE_FLAG_AA);
	CHECK_EQ(p->rcode, 0);
	CHECK_EQ(p->naddrs, 1);
	CHECK_STR(ip(p->addrs[0].addr), "192.0.2.1");
	CHECK(p->time_us >= o->sent_us && p->time_us <= r->after);
	CHECK(p->rtt_us < 1000000);
	CHECK_EQ(p->rtt_us, r->tr.step[2].rtt_us);
}

/* A TLD server hands out a rogue delegation: the walk follows it and ends
 * at the rogue server, whose answer is the reply. */
static void test_hijacked_delegation(void)
{
	struct fake f[4];
	chain(f, 4);
	f[2] = (struct fake){.host = 3, .kind = K_ANSWER, .answer = {192, 0, 2, 1}};
	f[3] = (struct fake){.host = 4, .kind = K_ANSWER, .answer = {65, 49, 2, 178}};
	struct run *r = walk(f, 4, "www.example.com", 1000);
	CHECK_EQ(r->rc, 0);
	CHECK_STR(r->tr.why, "answer from 127.0.0.4 (ns.example.com., zone example.com.)");
	CHECK_EQ(r->tr.nsteps, 3);
	CHECK_STR(ip(r->tr.step[2].server), "127.0.0.4");
	CHECK_EQ(atomic_load(&f[2].queries), 0);
	CHECK_STR(ip(r->out.reply[0].src), "127.0.0.4");
	CHECK_EQ(r->out.reply[0].naddrs, 1);
	CHECK_STR(ip(r->out.reply[0].addrs[0].addr), "65.49.2.178");
}

static void test_nxdomain(void)
{
	struct fake f[3];
	chain(f, 3);
	f[2] = (struct fake){.host = 3, .kind = K_NXDOMAIN, .zone = "example.com."};
	struct run *r = walk(f, 3, "nope.example.com", 1000);
	CHECK_EQ(r->rc, 0);
	CHECK_STR(r->tr.why, "NXDOMAIN from 127.0.0.3 (ns.example.com., zone example.com.)");
	CHECK_EQ(r->tr.nsteps, 3);
	CHECK_EQ(r->tr.step[2].rcode, WIRE_RCODE_NXDOMAIN);
	CHECK_EQ(r->out.nreplies, 1);
	CHECK_EQ(r->out.reply[0].rcode, WIRE_RCODE_NXDOMAIN);
	CHECK_EQ(r->out.reply[0].nscount, 1);
}

static void test_nodata(void)
{
	struct fake f[3];
	chain(f, 3);
	f[2] = (struct fake){.host = 3, .kind = K_NODATA, .zone = "example.com."};
	struct run *r = walk(f, 3, "www.example.com", 1000);
	CHECK_EQ(r->rc, 0);
	CHECK(starts(r->tr.why, "NODATA from 127.0.0.3 "));
	CHECK_EQ(r->out.nreplies, 1);
	CHECK_EQ(r->out.reply[0].rcode, 0);
	CHECK_EQ(r->out.reply[0].ancount, 0);

	/* An empty authority section is NODATA too. */
	chain(f, 3);
	f[2] = (struct fake){.host = 3, .kind = K_NODATA};
	r = walk(f, 3, "www.example.com", 1000);
	CHECK_EQ(r->rc, 0);
	CHECK(starts(r->tr.why, "NODATA from 127.0.0.3 "));
	CHECK_EQ(r->out.reply[0].nscount, 0);
}

static void test_error_rcode(void)
{
	struct fake f[3];
	chain(f, 3);
	f[2] = (struct fake){.host = 3, .kind = K_RCODE, .rcode = WIRE_RCODE_SERVFAIL};
	struct run *r = walk(f, 3, "www.example.com", 1000);
	CHECK_EQ(r->rc, 0);
	CHECK(starts(r->tr.why, "SERVFAIL from 127.0.0.3 "));
	CHECK_EQ(r->out.reply[0].rcode, WIRE_RCODE_SERVFAIL);

	/* A refusal half way down is a final reply as well. */
	chain(f, 3);
	f[1] = (struct fake){.host = 2, .kind = K_RCODE, .rcode = WIRE_RCODE_REFUSED};
	r = walk(f, 2, "www.example.com", 1000);
	CHECK_EQ(r->rc, 0);
	CHECK_STR(r->tr.why, "REFUSED from 127.0.0.2 (a.gtld.com., zone com.)");
	CHECK_EQ(r->tr.nsteps, 2);
	CHECK_STR(ip(r->out.reply[0].src), "127.0.0.2");
}

/* A CNAME is the reply as it stands: not chased. */
static void test_cname_not_chased(void)
{
	struct fake f[3];
	chain(f, 3);
	f[2] = (struct fake){.host = 3, .kind = K_CNAME, .zone = "elsewhere.net."};
	struct run *r = walk(f, 3, "www.example.com", 1000);
	CHECK_EQ(r->rc, 0);
	CHECK(starts(r->tr.why, "answer from 127.0.0.3 "));
	CHECK_EQ(r->tr.nsteps, 3);
	CHECK_EQ(r->out.reply[0].ncnames, 1);
	CHECK_EQ(r->out.reply[0].naddrs, 0);
}

static void test_no_glue(void)
{
	struct fake f[2];
	chain(f, 0);
	struct run *r = walk(f, 2, "www.example.com", 1000);
	check_failed(r);
	CHECK_STR(r->tr.why, "referral to example.com. without glue at 127.0.0.2 (a.gtld.com., zone com.)");
	CHECK_EQ(r->tr.nsteps, 2);
	CHECK_EQ(r->out.attempts, 2);
	CHECK_EQ(r->out.id, f[1].last_id);
}

/* Referrals to the same zone, above it or beside the name go round or
 * nowhere: each ends the walk at once. */
static void test_loops(void)
{
	static const struct { const char *zone; uint8_t glue; } bad[] = {
		{"com.", 2},         /* the same zone, to itself */
		{".", 1},            /* back up to the root */
		{"example.net.", 3}, /* sideways, not towards the name */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct fake f[3];
		chain(f, 3);
		f[1].zone = bad[i].zone;
		f[1].ns = "ns.example.net.";
		f[1].glue = bad[i].glue;
		f[2] = (struct fake){.host = 3, .kind = K_ANSWER, .answer = {192, 0, 2, 1}};
		struct run *r = walk(f, 3, "www.example.com", 1000);
		check_failed(r);
		char want[128];
		snprintf(want, sizeof want,
			 "referral to %s is not down towards the name at 127.0.0.2 (a.gtld.com., zone com.)",
			 bad[i].zone);
		CHECK_STR(r->tr.why, want);
		CHECK_EQ(r->tr.nsteps, 2);
		CHECK(!r->tr.step[1].referral);
		CHECK_EQ(atomic_load(&f[0].queries), 1);
		CHECK_EQ(atomic_load(&f[1].queries), 1);
		CHECK_EQ(atomic_load(&f[2].queries), 0);
	}
}

/* A silent server: one retransmission at half the timeout, then the walk
 * gives up at the whole, naming the server. */
static void test_timeout(void)
{
	struct fake f[2];
	chain(f, 3);
	f[1].kind = K_SILENT;
	struct run *r = walk(f, 2, "www.example.com", 300);
	check_failed(r);
	CHECK_STR(r->tr.why, "timeout at 127.0.0.2 (a.gtld.com., zone com.)");
	CHECK_EQ(r->tr.nsteps, 2);
	CHECK_EQ(atomic_load(&f[1].queries), 2);
	CHECK_EQ(r->out.attempts, 3);
	CHECK_EQ(r->out.replies_seen, 0);
	CHECK_EQ(r->out.id, f[1].last_id);
	CHECK(r->took_ms >= 290);
	CHECK(r->took_ms < 1500);
}

/* A forgery arriving first, from the wrong address, with the wrong ID or
 * with the question's case changed, is passed over for the real reply. */
static void test_spoofs_ignored(void)
{
	static const enum spoof kinds[] = {SP_SRC, SP_ID, SP_CASE};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		int before = harness_failed_checks;
		struct fake f[3];
		chain(f, 3);
		f[2] = (struct fake){.host = 3, .kind = K_ANSWER, .answer = {192, 0, 2, 1},
				     .spoof = kinds[i]};
		struct run *r = walk(f, 3, "www.example.com", 1000);
		CHECK_EQ(r->rc, 0);
		CHECK_EQ(r->out.nreplies, 1);
		CHECK_EQ(r->out.replies_seen, 2);
		CHECK_STR(ip(r->out.reply[0].src), "127.0.0.3");
		CHECK_EQ(r->out.reply[0].naddrs, 1);
		CHECK_STR(ip(r->out.reply[0].addrs[0].addr), "192.0.2.1");
		CHECK(r->out.reply[0].question_match);
		if (harness_failed_checks != before)
			printf("# spoof kind %d\n", (int)kinds[i]);
	}
}

/* A chain of referrals one label at a time outlasts the bound. */
static void test_too_many_steps(void)
{
	struct fake f[1] = {{.host = 1, .kind = K_DEEP}};
	struct run *r = walk(f, 1, "a.b.c.d.e.f.g.h.i.j.k", 1000);
	check_failed(r);
	CHECK(starts(r->tr.why, "more than 8 steps"));
	CHECK_EQ(r->tr.nsteps, WALK_STEPS_MAX);
	CHECK_STR(zone_text(&r->tr.step[0]), ".");
	CHECK_STR(zone_text(&r->tr.step[7]), "e.f.g.h.i.j.k.");
	CHECK_EQ(atomic_load(&f[0].queries), WALK_STEPS_MAX);
	CHECK_EQ(r->out.attempts, WALK_STEPS_MAX);
}

static void test_bad_name(void)
{
	struct walk_config cfg = {.root = {127, 0, 0, 1}, .port = 9, .timeout_ms = 100};
	const uint8_t bad[3] = {5, 'a', 'b'}; /* a label running past the name */
	uint8_t name[WIRE_NAME_MAX] = {0};
	memcpy(name, bad, sizeof bad);
	memset(name + 3, 'x', sizeof name - 3);
	static struct probe_result out;
	struct dw_error err;
	dw_error_clear(&err);
	CHECK_EQ(walk_run(&cfg, name, WIRE_T_A, &out, NULL, &err), -1);
	CHECK_EQ(out.nreplies, 0);
	CHECK_EQ(out.attempts, 0);
	/* the walker's failure is said in the error record, not the trace */
	CHECK_EQ(err.status, DW_E_INVALID);
	CHECK_STR(err.text, "the walker was given no valid name in wire form");
	struct walk_trace tr;
	CHECK_EQ(walk_run(&cfg, name, WIRE_T_A, &out, &tr, NULL), -1);
	CHECK_STR(tr.why, "");
}

int main(void)
{
	RUN(test_answer);
	RUN(test_hijacked_delegation);
	RUN(test_nxdomain);
	RUN(test_nodata);
	RUN(test_error_rcode);
	RUN(test_cname_not_chased);
	RUN(test_no_glue);
	RUN(test_loops);
	RUN(test_timeout);
	RUN(test_spoofs_ignored);
	RUN(test_too_many_steps);
	RUN(test_bad_name);
	return harness_done();
}

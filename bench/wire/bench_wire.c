/*
 * bench_wire: parse rate of typical DNS responses, dnswatch's wire_msg_parse
 * side by side with libknot's knot_pkt_parse, on the same bytes, in one
 * process and one run.
 *
 *   bench_wire [--iters N] [--repeats R] [--tsv]
 *
 * Messages (built with src/wire/build.h):
 *   a1     a 1-answer A response: www.example.com. A, no EDNS
 *   cname5 a 5-record CNAME chain (4 CNAME + 1 A) with an EDNS0 OPT record
 *
 * Parsers, each doing what a real consumer does per message:
 *   dnswatch       wire_msg_parse into a caller-supplied wire_rr array (the
 *                  full validating parse: names, counts, rdata checks);
 *                  nothing allocated, nothing copied.
 *   knot           one knot_pkt_t reused: knot_pkt_clear (frees the parsed
 *                  rrsets and zeroes the header, so the 12 header bytes are
 *                  copied back), then knot_pkt_parse(pkt, 0); default malloc
 *                  memory context, as kdig and most library users do.
 *   knot-arena     knot_pkt_new + knot_pkt_parse with a bump allocator reset
 *                  per message (the knotd/kresd mempool pattern): knot's best
 *                  case, no malloc/free at all.
 * The ratio is ours/knot in messages per second (> 1: ours is faster).
 *
 * Timing: CLOCK_MONOTONIC around a batch of N parses, a warm-up batch per
 * parser, R repeats interleaved across parsers (so drift hits all alike),
 * median of the R batches. Iteration counts are bounded (see ITERS_MAX).
 * Before timing, every parser must accept every message and both must agree
 * on the record count; otherwise the program fails loudly (exit 1).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libknot/libknot.h>

#include "wire/build.h"
#include "wire/msg.h"
#include "wire/name.h"
#include "wire/rdata.h"

#define ITERS_DEFAULT 200000
#define ITERS_MAX 100000000
#define REPEATS_DEFAULT 9
#define REPEATS_MAX 101
#define RR_CAP 64 /* caller's record array: plenty for a typical response */

struct message {
	const char *name;
	const char *what;
	uint8_t buf[512];
	size_t len;
};

/* --- building the messages ------------------------------------------------- */

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_wire: FAIL: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

static void name_of(const char *text, uint8_t out[WIRE_NAME_MAX])
{
	size_t n;
	if (wire_name_from_text(text, out, &n) != DW_OK)
		die("bad name in the benchmark", text);
}

static void add_cname(struct wire_builder *b, const char *owner, const char *target)
{
	uint8_t o[WIRE_NAME_MAX];
	struct wire_rdata rd;
	memset(&rd, 0, sizeof rd);
	rd.type = WIRE_T_CNAME;
	name_of(owner, o);
	name_of(target, rd.u.name);
	wire_build_rr(b, WIRE_SEC_ANSWER, o, WIRE_C_IN, 300, &rd);
}

static void add_a(struct wire_builder *b, const char *owner, uint8_t a0, uint8_t a1,
		  uint8_t a2, uint8_t a3, uint32_t ttl)
{
	uint8_t o[WIRE_NAME_MAX];
	struct wire_rdata rd;
	memset(&rd, 0, sizeof rd);
	rd.type = WIRE_T_A;
	rd.u.a[0] = a0, rd.u.a[1] = a1, rd.u.a[2] = a2, rd.u.a[3] = a3;
	name_of(owner, o);
	wire_build_rr(b, WIRE_SEC_ANSWER, o, WIRE_C_IN, ttl, &rd);
}

static void finish(struct wire_builder *b, struct message *m)
{
	enum dw_status st = wire_build_finish(b, &m->len);
	if (st != DW_OK)
		die("building message failed", dw_strerror(st));
}

static void build_a1(struct message *m)
{
	struct wire_builder b;
	uint8_t q[WIRE_NAME_MAX];
	m->name = "a1";
	m->what = "1-answer A response";
	name_of("www.example.com.", q);
	wire_build_init(&b, m->buf, sizeof m->buf, 0x1234,
			WIRE_FLAG_QR | WIRE_FLAG_RD | WIRE_FLAG_RA);
	wire_build_question(&b, q, WIRE_T_A, WIRE_C_IN);
	add_a(&b, "www.example.com.", 93, 184, 216, 34, 3600);
	finish(&b, m);
}

static void build_cname5(struct message *m)
{
	struct wire_builder b;
	uint8_t q[WIRE_NAME_MAX];
	m->name = "cname5";
	m->what = "5-record CNAME chain + EDNS0";
	name_of("www.example.com.", q);
	wire_build_init(&b, m->buf, sizeof m->buf, 0xbeef,
			WIRE_FLAG_QR | WIRE_FLAG_RD | WIRE_FLAG_RA);
	wire_build_question(&b, q, WIRE_T_A, WIRE_C_IN);
	add_cname(&b, "www.example.com.", "www.example.com.edgekey.net.");
	add_cname(&b, "www.example.com.edgekey.net.", "e1234.a.akamaiedge.net.");
	add_cname(&b, "e1234.a.akamaiedge.net.", "e1234.dscx.akamaiedge.net.");
	add_cname(&b, "e1234.dscx.akamaiedge.net.", "edge-7.dscx.akamaiedge.net.");
	add_a(&b, "edge-7.dscx.akamaiedge.net.", 23, 45, 67, 89, 20);
	wire_build_edns(&b, 1232, 0, 0, 0, NULL, 0);
	finish(&b, m);
}

/* --- the parsers under test --------------------------------------------------- */

/* Bump allocator for knot's memory context; free is a no-op, reset per message. */
struct arena {
	size_t used;
	_Alignas(16) uint8_t buf[1 << 16];
};

static void *arena_alloc(void *ctx, size_t len)
{
	struct arena *a = ctx;
	size_t n = (len + 15) & ~(size_t)15;
	if (n > sizeof a->buf - a->used)
		return NULL;
	void *p = a->buf + a->used;
	a->used += n;
	return p;
}

static void arena_free(void *p)
{
	(void)p;
}

struct ctx {
	const struct message *msg;
	uint8_t wire[512];          /* knot's copy of the bytes */
	knot_pkt_t *pkt;            /* knot: reused packet */
	struct arena *arena;
	knot_mm_t mm;
	struct wire_rr rr[RR_CAP];  /* ours: caller's record array */
	struct wire_msg m;
};

/* Each runner parses the message ITERS times and returns a value that depends
 * on every parse (records seen), so none of the work can be dropped; any
 * failure aborts: a benchmark of a failing parse would measure nothing. */
typedef size_t (*runner)(struct ctx *c, size_t iters);

static size_t run_ours(struct ctx *c, size_t iters)
{
	size_t sink = 0;
	const uint8_t *raw = c->msg->buf;
	size_t len = c->msg->len;
	for (size_t i = 0; i < iters; i++) {
		if (wire_msg_parse(&c->m, raw, len, c->rr, RR_CAP) != DW_OK)
			die("wire_msg_parse failed during timing", c->msg->name);
		sink += c->m.rr_count;
	}
	return sink;
}

static size_t run_knot(struct ctx *c, size_t iters)
{
	size_t sink = 0;
	knot_pkt_t *pkt = c->pkt;
	size_t len = c->msg->len;
	for (size_t i = 0; i < iters; i++) {
		/* knot_pkt_clear frees the previous parse and zeroes the header;
		 * put the header back (the rest of the bytes is untouched). */
		knot_pkt_clear(pkt);
		memcpy(c->wire, c->msg->buf, KNOT_WIRE_HEADER_SIZE);
		pkt->size = len;
		if (knot_pkt_parse(pkt, 0) != KNOT_EOK)
			die("knot_pkt_parse failed during timing", c->msg->name);
		sink += pkt->rrset_count;
	}
	return sink;
}

static size_t run_knot_arena(struct ctx *c, size_t iters)
{
	size_t sink = 0;
	uint16_t len = (uint16_t)c->msg->len;
	for (size_t i = 0; i < iters; i++) {
		c->arena->used = 0;
		knot_pkt_t *pkt = knot_pkt_new(c->wire, len, &c->mm);
		if (!pkt || knot_pkt_parse(pkt, 0) != KNOT_EOK)
			die("knot_pkt_parse (arena) failed during timing", c->msg->name);
		sink += pkt->rrset_count;
	}
	return sink;
}

struct parser {
	const char *name;
	runner run;
	int is_ours;
};

static const struct parser parsers[] = {
	{"dnswatch", run_ours, 1},
	{"knot", run_knot, 0},
	{"knot-arena", run_knot_arena, 0},
};
#define NPARSERS (sizeof parsers / sizeof parsers[0])

/* --- checks before timing ------------------------------------------------------ */

static void ctx_init(struct ctx *c, const struct message *msg, struct arena *arena)
{
	memset(c, 0, sizeof *c);
	c->msg = msg;
	memcpy(c->wire, msg->buf, msg->len);
	c->arena = arena;
	c->mm = (knot_mm_t){.ctx = arena, .alloc = arena_alloc, .free = arena_free};
	c->pkt = knot_pkt_new(c->wire, (uint16_t)msg->len, NULL);
	if (!c->pkt)
		die("knot_pkt_new failed", msg->name);
}

/* Both parsers accept MSG and agree on what is in it. */
static void check_agree(struct ctx *c)
{
	const struct message *msg = c->msg;
	char buf[160];

	enum dw_status st = wire_msg_parse(&c->m, msg->buf, msg->len, c->rr, RR_CAP);
	if (st != DW_OK)
		die("wire_msg_parse rejects the message",
		    wire_error_describe(&c->m.err, buf, sizeof buf));
	int ret = knot_pkt_parse(c->pkt, 0);
	if (ret != KNOT_EOK)
		die("knot_pkt_parse rejects the message", knot_strerror(ret));

	size_t ours_rr = c->m.rr_count - c->m.hdr.count[WIRE_SEC_QUESTION];
	size_t knot_rr = c->pkt->rrset_count;
	if (ours_rr != knot_rr) {
		snprintf(buf, sizeof buf, "%s: dnswatch %zu records, knot %zu", msg->name,
			 ours_rr, knot_rr);
		die("parsers disagree on the record count", buf);
	}
	if (c->m.trailing != 0)
		die("dnswatch sees trailing bytes", msg->name);
	if (c->m.edns.present != (c->pkt->opt_rr != NULL))
		die("parsers disagree on EDNS0", msg->name);
	if (knot_pkt_qtype(c->pkt) != c->rr[0].type)
		die("parsers disagree on the question type", msg->name);
	/* The runners must see the same counts on every iteration. */
	if (run_ours(c, 1) != c->m.rr_count || run_knot(c, 1) != knot_rr ||
	    run_knot_arena(c, 1) != knot_rr)
		die("runner self-check failed", msg->name);
}

/* --- timing ---------------------------------------------------------------------- */

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static volatile size_t g_sink; /* keeps every batch's result observable */

static size_t parse_count(const char *s, size_t max, const char *opt)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > max) {
		fprintf(stderr, "bench_wire: %s must be 1..%zu\n", opt, max);
		exit(2);
	}
	return (size_t)v;
}

int main(int argc, char **argv)
{
	size_t iters = ITERS_DEFAULT, repeats = REPEATS_DEFAULT;
	int tsv = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
			iters = parse_count(argv[++i], ITERS_MAX, "--iters");
		else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc)
			repeats = parse_count(argv[++i], REPEATS_MAX, "--repeats");
		else if (strcmp(argv[i], "--tsv") == 0)
			tsv = 1;
		else {
			fprintf(stderr, "usage: bench_wire [--iters N] [--repeats R] [--tsv]\n");
			return 2;
		}
	}

	static struct message msgs[2];
	build_a1(&msgs[0]);
	build_cname5(&msgs[1]);
	enum { NMSG = sizeof msgs / sizeof msgs[0] };

	static struct arena arena;
	static struct ctx ctx[NMSG];
	for (size_t k = 0; k < NMSG; k++) {
		ctx_init(&ctx[k], &msgs[k], &arena);
		check_agree(&ctx[k]);
	}

	static double samples[NMSG][NPARSERS][REPEATS_MAX];
	double med[NMSG][NPARSERS];
	for (size_t k = 0; k < NMSG; k++) {
		for (size_t p = 0; p < NPARSERS; p++) /* warm-up */
			g_sink += parsers[p].run(&ctx[k], iters);
		for (size_t r = 0; r < repeats; r++) {
			for (size_t p = 0; p < NPARSERS; p++) {
				double t0 = now_ns();
				g_sink += parsers[p].run(&ctx[k], iters);
				samples[k][p][r] = (now_ns() - t0) / (double)iters;
			}
		}
		for (size_t p = 0; p < NPARSERS; p++) {
			qsort(samples[k][p], repeats, sizeof(double), cmp_double);
			med[k][p] = samples[k][p][repeats / 2];
		}
	}

	printf("bench_wire: parse rate, %zu msgs x %zu repeats per parser, median; "
	       "libknot %d.%d.%d\n", iters, repeats, KNOT_VERSION_MAJOR, KNOT_VERSION_MINOR,
	       KNOT_VERSION_PATCH);
	printf("%-8s %-38s %-11s %12s %8s %10s\n", "message", "what", "parser", "msgs/s",
	       "ns/msg", "ours/knot");
	double worst = 1e300;
	for (size_t k = 0; k < NMSG; k++) {
		double ours = med[k][0];
		char what[48];
		snprintf(what, sizeof what, "%s (%zu B)", msgs[k].what, msgs[k].len);
		for (size_t p = 0; p < NPARSERS; p++) {
			char ratio[16] = "-";
			if (!parsers[p].is_ours) {
				double r = med[k][p] / ours; /* = ours msgs/s / knot msgs/s */
				snprintf(ratio, sizeof ratio, "%.2f", r);
				if (r < worst)
					worst = r;
			}
			printf("%-8s %-38s %-11s %12.0f %8.1f %10s\n", p ? "" : msgs[k].name,
			       p ? "" : what, parsers[p].name, 1e9 / med[k][p], med[k][p], ratio);
		}
	}
	printf("lowest ratio ours/knot: %.2f (goal >= 1.00: %s)\n", worst,
	       worst >= 1.0 ? "met" : "NOT met");
	if (tsv) {
		printf("#tsv\tmessage\tbytes\tparser\tmsgs_per_s\tns_per_msg\tratio_ours_knot\n");
		for (size_t k = 0; k < NMSG; k++)
			for (size_t p = 0; p < NPARSERS; p++)
				printf("tsv\t%s\t%zu\t%s\t%.0f\t%.1f\t%.2f\n", msgs[k].name,
				       msgs[k].len, parsers[p].name, 1e9 / med[k][p], med[k][p],
				       parsers[p].is_ours ? 1.0 : med[k][p] / med[k][0]);
	}

	for (size_t k = 0; k < NMSG; k++)
		knot_pkt_free(ctx[k].pkt);
	return 0;
}

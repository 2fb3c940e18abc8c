/* Crafted probe results shared by the store tests. */
#ifndef DW_TESTS_STORE_RESULTS_H
#define DW_TESTS_STORE_RESULTS_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "probe/result.h"
#include "wire/msg.h"
#include "wire/name.h"

static inline void t_targets(struct probe_target t[3])
{
	memset(t, 0, 3 * sizeof *t);
	strcpy(t[0].label, "isp");
	t[0].kind = TARGET_RESOLVER;
	t[0].family = AF_INET;
	inet_pton(AF_INET, "10.53.0.2", t[0].addr);
	t[0].port = 53;
	strcpy(t[1].label, "public6");
	t[1].kind = TARGET_AUTH;
	t[1].family = AF_INET6;
	inet_pton(AF_INET6, "fd00:53::8", t[1].addr);
	t[1].port = 5353;
	strcpy(t[2].label, "nodns");
	t[2].kind = TARGET_NODNS;
	t[2].family = AF_INET;
	inet_pton(AF_INET, "10.99.0.7", t[2].addr);
	t[2].port = 53;
}

/* A result for (SEQ, TARGET); VARIANT picks its shape:
 * 0: injected, a forged v4 reply then the real one (two answers)
 * 1: timeout, no reply at all
 * 2: ok over IPv6, IP fields known (no ID/DF), a CNAME, 0x20 case
 * 3: eight replies (the maximum), raw bytes cut, more seen than kept */
static inline void t_result(struct probe_result *r, uint64_t seq, uint16_t target, int variant)
{
	static const char *const names[] = {"www.Twitter.com", "nx.example.org",
					    "wWw.YouTube.com", "a\\.b.c\\032d.net"};
	size_t len;
	memset(r, 0, sizeof *r);
	r->seq = seq;
	r->line = (uint32_t)(seq * 2 + 1);
	r->target = target;
	if (wire_name_from_text(names[variant & 3], r->qname, &len) != DW_OK)
		abort(); /* a fixed name that always parses */
	r->qtype = variant == 2 ? WIRE_T_AAAA : WIRE_T_A;
	r->id = (uint16_t)(0x1234 + seq);
	r->sport = (uint16_t)(40000 + target);
	r->attempts = (uint8_t)(variant == 1 ? 3 : 1);
	r->sent_us = 1390288500000000ull + seq * 1000 + target;
	r->forged_reply = -1;
	r->group = -1;
	switch (variant & 3) {
	case 0: {
		r->verdict = VERDICT_INJECTED;
		snprintf(r->evidence, sizeof r->evidence,
			 "reply 0 from %u arrived first with \"65.49.2.178\"", target);
		r->forged_reply = 0;
		r->group = 2;
		r->nreplies = 2;
		r->replies_seen = 2;
		struct probe_reply *f = &r->reply[0], *g = &r->reply[1];
		f->time_us = r->sent_us + 20000;
		f->rtt_us = 20000;
		f->family = AF_INET;
		inet_pton(AF_INET, "10.53.0.2", f->src);
		f->sport = 53;
		f->ip_known = true;
		f->ip_ttl = 47;
		f->ip_id = 0xbeef;
		f->df = true;
		f->parsed = true;
		f->question_match = true;
		f->flags = 0x8180;
		f->rcode = 0;
		f->ancount = 1;
		f->answer_ptr = true;
		f->answer_ttl = 299;
		f->naddrs = 1;
		f->addrs[0].family = AF_INET;
		inet_pton(AF_INET, "65.49.2.178", f->addrs[0].addr);
		f->addrs[0].ttl = 299;
		f->len = 45;
		f->rawlen = 45;
		for (int i = 0; i < 45; i++)
			f->raw[i] = (uint8_t)(i * 7 + seq);
		*g = *f;
		g->time_us = r->sent_us + 180000;
		g->rtt_us = 180000;
		g->ip_ttl = 57;
		g->ip_id = 0x0102;
		g->df = false;
		g->flags = 0x8580;
		g->ancount = 2;
		g->nscount = 4;
		g->arcount = 1;
		g->naddrs = 2;
		inet_pton(AF_INET, "104.244.42.1", g->addrs[0].addr);
		g->addrs[0].ttl = 1800;
		g->addrs[1].family = AF_INET;
		inet_pton(AF_INET, "104.244.42.129", g->addrs[1].addr);
		g->addrs[1].ttl = 1799;
		g->answer_ttl = 1800;
		g->answer_ptr = false;
		break;
	}
	case 1:
		r->verdict = VERDICT_TIMEOUT;
		snprintf(r->evidence, sizeof r->evidence, "no reply in 3 tries");
		break;
	case 2: {
		r->verdict = VERDICT_OK;
		snprintf(r->evidence, sizeof r->evidence, "one reply, consistent");
		r->nreplies = 1;
		r->replies_seen = 1;
		struct probe_reply *p = &r->reply[0];
		p->time_us = r->sent_us + 900;
		p->rtt_us = 900;
		p->family = AF_INET6;
		inet_pton(AF_INET6, "fd00:53::8", p->src);
		p->sport = 5353;
		p->ip_known = true;
		p->ip_ttl = 63;
		p->parsed = true;
		p->question_match = false;
		p->flags = 0x8400;
		p->rcode = 0;
		p->ancount = 2;
		p->ncnames = 1;
		p->answer_ptr = true;
		p->answer_ttl = 3600;
		p->naddrs = 1;
		p->addrs[0].family = AF_INET6;
		inet_pton(AF_INET6, "2001::1234:5678", p->addrs[0].addr);
		p->addrs[0].ttl = 60;
		p->len = 80;
		p->rawlen = 80;
		memset(p->raw, 0xab, 80);
		break;
	}
	case 3:
		r->verdict = VERDICT_INCONSISTENT;
		snprintf(r->evidence, sizeof r->evidence, "8 replies disagree; tab\there");
		r->nreplies = PROBE_REPLIES_MAX;
		r->replies_seen = 11;
		for (int i = 0; i < PROBE_REPLIES_MAX; i++) {
			struct probe_reply *p = &r->reply[i];
			p->time_us = r->sent_us + 1000u * (unsigned)(i + 1);
			p->rtt_us = 1000u * (unsigned)(i + 1);
			p->family = AF_INET;
			inet_pton(AF_INET, "192.0.2.1", p->src);
			p->src[3] = (uint8_t)(i + 1);
			p->sport = 53;
			p->ip_known = i % 2 == 0;
			p->ip_ttl = p->ip_known ? (uint8_t)(100 + i) : 0;
			p->ip_id = p->ip_known ? (uint16_t)i : 0;
			p->parsed = i != 7;
			p->flags = p->parsed ? 0x8183 : 0;
			p->rcode = p->parsed ? (i == 6 ? 16 : 3) : 0;
			p->len = 600;
			p->rawlen = PROBE_RAW_MAX;
			memset(p->raw, i, PROBE_RAW_MAX);
			if (i == 5) {
				p->naddrs = PROBE_ADDRS_MAX;
				for (int k = 0; k < PROBE_ADDRS_MAX; k++) {
					p->addrs[k].family = AF_INET;
					p->addrs[k].addr[0] = 198;
					p->addrs[k].addr[1] = 51;
					p->addrs[k].addr[2] = 100;
					p->addrs[k].addr[3] = (uint8_t)k;
					p->addrs[k].ttl = (uint32_t)k;
				}
			}
		}
		break;
	}
}

#endif

/* A control over DNS over TLS (dot_control.h). */
#include "probe/dot_control.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "net/dot.h"
#include "probe/reply.h"
#include "wire/build.h"

struct dot_control {
	struct dot_control_config cfg;
	struct dot_conn *conn;
	uint64_t rng;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* splitmix64: the query IDs (unpredictable enough with a random seed; TLS
 * already keeps an off-path forger out). */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

struct dot_control *dot_control_new(const struct dot_control_config *cfg)
{
	struct dot_control *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->cfg = *cfg;
	d->rng = cfg->seed;
	return d;
}

void dot_control_free(struct dot_control *d)
{
	if (!d)
		return;
	dot_close(d->conn);
	free(d);
}

static int connect_once(struct dot_control *d, struct dw_error *err)
{
	if (d->conn)
		return 0;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t sl;
	const struct probe_target *t = &d->cfg.target;
	if (t->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(t->port);
		memcpy(&a->sin6_addr, t->addr, 16);
		sl = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(t->port);
		memcpy(&a->sin_addr, t->addr, 4);
		sl = sizeof *a;
	}
	return dot_connect(&d->conn, (const struct sockaddr *)&ss, sl, d->cfg.name, d->cfg.ca_file,
			   d->cfg.timeout_ms, err);
}

int dot_control_ask(struct dot_control *d, const uint8_t *qname, uint16_t qtype,
		    struct probe_result *r, struct dw_error *err)
{
	uint8_t q[PROBE_QUESTION_MAX + 40], question[PROBE_QUESTION_MAX], buf[65535];
	size_t nl = wire_name_len(qname, WIRE_NAME_MAX);
	if (!nl || nl > WIRE_NAME_MAX)
		return dw_error_set(err, DW_E_INVALID, "dot control: not a wire name");
	memcpy(r->qname, qname, nl);
	r->qtype = qtype;
	r->nreplies = 0;
	r->sent_us = 0;
	size_t qlen = probe_question_make(qname, qtype, question);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (connect_once(d, err))
			return -1;
		uint16_t id = (uint16_t)next_rand(&d->rng);
		size_t len = wire_build_query(q, sizeof q, id, qname, qtype, 1, 1232);
		if (!len)
			return dw_error_set(err, DW_E_INVALID, "dot control: the query does not fit");
		r->id = id;
		r->attempts = (uint8_t)(attempt + 1);
		uint64_t t0 = now_us();
		if (!r->sent_us)
			r->sent_us = t0;
		size_t rlen;
		struct dw_error e;
		if (dot_exchange(d->conn, q, len, buf, sizeof buf, &rlen, d->cfg.timeout_ms, &e)) {
			/* A new connection for the second try: the server may
			 * have closed an idle one (RFC 7766 6.2.3). */
			dot_close(d->conn);
			d->conn = NULL;
			continue;
		}
		struct probe_reply *p = &r->reply[0];
		memset(p, 0, sizeof *p);
		probe_reply_fill(p, buf, rlen, question, qlen);
		p->time_us = now_us();
		p->rtt_us = (uint32_t)(p->time_us - t0);
		p->family = d->cfg.target.family;
		memcpy(p->src, d->cfg.target.addr, 16);
		p->sport = d->cfg.target.port;
		r->nreplies = 1;
		r->replies_seen = 1;
		return 0;
	}
	return 0;
}

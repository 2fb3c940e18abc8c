/* Verdict names (see result.h). */
#include "probe/result.h"

#include <string.h>

#include "wire/name.h"

static const char *const names[VERDICT_COUNT] = {
	[VERDICT_NONE] = "none",
	[VERDICT_OK] = "ok",
	[VERDICT_INJECTED] = "injected",
	[VERDICT_POISONED] = "poisoned",
	[VERDICT_INCONSISTENT] = "inconsistent",
	[VERDICT_NXDOMAIN] = "nxdomain",
	[VERDICT_SERVFAIL] = "servfail",
	[VERDICT_REFUSED] = "refused",
	[VERDICT_TIMEOUT] = "timeout",
};

const char *probe_target_kind_name(enum probe_target_kind k)
{
	switch (k) {
	case TARGET_RESOLVER: return "resolver";
	case TARGET_AUTH: return "auth";
	case TARGET_NODNS: return "nodns";
	}
	return "?";
}

const char *probe_verdict_name(enum probe_verdict v)
{
	return (unsigned)v < VERDICT_COUNT ? names[v] : "?";
}

bool probe_verdict_from_name(const char *name, enum probe_verdict *v)
{
	for (int i = 0; i < VERDICT_COUNT; i++)
		if (strcmp(names[i], name) == 0) {
			*v = (enum probe_verdict)i;
			return true;
		}
	return false;
}

/* The packed form: the struct's own bytes, in its order, less what is not
 * in use. A reply: its fields before the addresses, NADDRS addresses, its
 * fields from ncnames to raw, RAWLEN raw bytes. */
#define REPLY_HEAD offsetof(struct probe_reply, addrs)
#define REPLY_MID_AT offsetof(struct probe_reply, ncnames)
#define REPLY_MID (offsetof(struct probe_reply, raw) - REPLY_MID_AT)
#define RESULT_HEAD offsetof(struct probe_result, qname)
#define RESULT_MID_AT offsetof(struct probe_result, qtype)
#define RESULT_MID (offsetof(struct probe_result, reply) - RESULT_MID_AT)

static size_t qname_len(const uint8_t *qname)
{
	size_t n = wire_name_len(qname, WIRE_NAME_MAX);
	return n ? n : WIRE_NAME_MAX;
}

size_t probe_result_pack(const struct probe_result *r, uint8_t *out)
{
	uint8_t *o = out;
	size_t q = qname_len(r->qname);
	memcpy(o, r, RESULT_HEAD);
	o += RESULT_HEAD;
	memcpy(o, r->qname, q);
	o += q;
	memcpy(o, (const uint8_t *)r + RESULT_MID_AT, RESULT_MID);
	o += RESULT_MID;
	unsigned n = r->nreplies <= PROBE_REPLIES_MAX ? r->nreplies : PROBE_REPLIES_MAX;
	for (unsigned i = 0; i < n; i++) {
		const struct probe_reply *p = &r->reply[i];
		size_t na = p->naddrs <= PROBE_ADDRS_MAX ? p->naddrs : PROBE_ADDRS_MAX;
		size_t raw = p->rawlen <= PROBE_RAW_MAX ? p->rawlen : PROBE_RAW_MAX;
		memcpy(o, p, REPLY_HEAD);
		o += REPLY_HEAD;
		memcpy(o, p->addrs, na * sizeof *p->addrs);
		o += na * sizeof *p->addrs;
		memcpy(o, (const uint8_t *)p + REPLY_MID_AT, REPLY_MID);
		o += REPLY_MID;
		memcpy(o, p->raw, raw);
		o += raw;
	}
	return (size_t)(o - out);
}

void probe_result_unpack(const uint8_t *in, struct probe_result *r)
{
	memcpy(r, in, RESULT_HEAD);
	in += RESULT_HEAD;
	size_t q = qname_len(in);
	memcpy(r->qname, in, q);
	in += q;
	memcpy((uint8_t *)r + RESULT_MID_AT, in, RESULT_MID);
	in += RESULT_MID;
	unsigned n = r->nreplies <= PROBE_REPLIES_MAX ? r->nreplies : PROBE_REPLIES_MAX;
	for (unsigned i = 0; i < n; i++) {
		struct probe_reply *p = &r->reply[i];
		memcpy(p, in, REPLY_HEAD);
		in += REPLY_HEAD;
		size_t na = p->naddrs <= PROBE_ADDRS_MAX ? p->naddrs : PROBE_ADDRS_MAX;
		memcpy(p->addrs, in, na * sizeof *p->addrs);
		in += na * sizeof *p->addrs;
		memcpy((uint8_t *)p + REPLY_MID_AT, in, REPLY_MID);
		in += REPLY_MID;
		size_t raw = p->rawlen <= PROBE_RAW_MAX ? p->rawlen : PROBE_RAW_MAX;
		memcpy(p->raw, in, raw);
		in += raw;
	}
	memset(r->reply_group, 0, sizeof r->reply_group);
	r->verdict = VERDICT_NONE;
	r->forged_reply = -1;
	r->group = -1;
	r->evidence[0] = r->control[0] = 0;
}

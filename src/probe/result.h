/*
 * What the prober keeps: every reply to every query, with the IP-level
 * fields an injector gives itself away by, and the verdict judged from all
 * of them. This header is the contract between the probe engine (which fills
 * results), the classifier (which judges them), and the stores (NDJSON and
 * SQLite, which write them). No I/O here.
 */
#ifndef DW_PROBE_RESULT_H
#define DW_PROBE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "wire/name.h"

#define PROBE_REPLIES_MAX 8   /* replies kept per query and target (more are counted) */
#define PROBE_ADDRS_MAX 8     /* answer addresses kept per reply */
#define PROBE_RAW_MAX 512     /* raw bytes kept per reply (longer ones are cut; flagged) */

/* A target: where queries go, and what kind of server is expected there. */
enum probe_target_kind {
	TARGET_RESOLVER = 0,  /* a recursive resolver (RD set) */
	TARGET_AUTH,          /* an authoritative server (RD clear) */
	TARGET_NODNS          /* an address that runs no DNS: any reply is injected */
};

struct probe_target {
	char label[32];        /* e.g. "isp", "public", "nodns" */
	enum probe_target_kind kind;
	int family;            /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint16_t port;
};

/* One answer address (A or AAAA) with its record's TTL. */
struct probe_addr {
	int family;
	uint8_t addr[16];
	uint32_t ttl;
};

struct probe_reply {
	uint64_t time_us;      /* arrival, microseconds since the epoch (kernel timestamp) */
	uint32_t rtt_us;       /* since the query's last transmission */
	int family;
	uint8_t src[16];       /* the reply's source address and port */
	uint16_t sport;
	bool ip_known;         /* the IP-level fields below were captured */
	uint8_t ip_ttl;
	uint16_t ip_id;        /* IPv4 only */
	bool df;               /* IPv4 only */
	bool parsed;           /* the DNS payload parsed */
	bool question_match;   /* its question equals the query's, byte for byte (0x20) */
	uint16_t flags;        /* DNS header flags word */
	uint16_t rcode;        /* full rcode, EDNS extension included */
	uint16_t ancount, nscount, arcount;
	bool answer_ptr;       /* first answer's owner is a pointer to the question (c00c) */
	uint32_t answer_ttl;   /* TTL of the first answer record, 0 if none */
	uint8_t naddrs;
	struct probe_addr addrs[PROBE_ADDRS_MAX];
	uint8_t ncnames;       /* CNAME records in the answer section */
	bool has_ede;          /* an Extended DNS Error option was there (RFC 8914) */
	uint16_t ede;          /* its info-code (the first one), if has_ede */
	uint16_t len;          /* the whole DNS payload's length */
	uint16_t rawlen;       /* bytes kept in raw (<= PROBE_RAW_MAX) */
	uint8_t raw[PROBE_RAW_MAX];
};

enum probe_verdict {
	VERDICT_NONE = 0,      /* not judged yet */
	VERDICT_OK,
	VERDICT_INJECTED,
	VERDICT_POISONED,
	VERDICT_INCONSISTENT,
	VERDICT_NXDOMAIN,
	VERDICT_SERVFAIL,
	VERDICT_REFUSED,
	VERDICT_TIMEOUT,
	VERDICT_COUNT
};

/* One query of one name to one target, and everything that came back. */
struct probe_result {
	uint64_t seq;          /* position of the name in the input (0-based) */
	uint64_t tag;          /* the engine's caller's own (probe_next_fn): a panel
				* entry; kept nowhere */
	uint32_t line;         /* where the name stood in the caller's input (its
				* line in a file, its position in a stream), as
				* probe_next_fn gave it; the stores keep it */
	uint16_t target;       /* index into the run's targets */
	uint8_t qname[WIRE_NAME_MAX]; /* as sent (0x20 case included) */
	uint16_t qtype;
	uint16_t id;           /* DNS ID of the last transmission */
	uint16_t sport;        /* source port of the last transmission */
	uint8_t attempts;      /* transmissions (retries + 1) */
	uint64_t sent_us;      /* first transmission, microseconds since the epoch */
	uint8_t nreplies;      /* replies kept */
	uint16_t replies_seen; /* replies received, kept or not */
	struct probe_reply reply[PROBE_REPLIES_MAX];
	enum probe_verdict verdict;
	int8_t forged_reply;   /* index of the reply judged forged, -1 if none */
	int32_t group;         /* injector group of the forged reply, -1 if none */
	int32_t reply_group[PROBE_REPLIES_MAX]; /* per reply: the injector group (id >= 1)
				* of every reply classify judged forged, 0 for a reply
				* not judged forged or with no group; set by the
				* classifier, kept in memory only (the stores keep group) */
	char evidence[160];    /* one line: why this verdict */
	char control[40];      /* the control it was judged by: "key", "run", "live
				* PATH" (a control target's live answers), "" none
				* (classify_judge sets it; the stores keep it) */
};

const char *probe_verdict_name(enum probe_verdict v);

/*
 * An unjudged result packed for its hand-over from a prober thread to the
 * reading thread: only the bytes in use (the name to its length, each
 * reply's addresses and raw bytes to their counts), a few hundred bytes
 * where the struct is several kilobytes; every byte packed crosses between
 * cores. The verdict's fields are not packed: unpacking sets them as a
 * result leaves the engine (no verdict, nothing forged, no evidence).
 * Both ends are one process: no checks on unpacking.
 */
#define PROBE_RESULT_PACKED_MAX sizeof(struct probe_result)
/* R packed into OUT (room for PROBE_RESULT_PACKED_MAX); returns its size. */
size_t probe_result_pack(const struct probe_result *r, uint8_t *out);
/* What probe_result_pack wrote at IN, back into R. */
void probe_result_unpack(const uint8_t *in, struct probe_result *r);

/* "resolver", "auth", "nodns" ("?" if out of range). */
const char *probe_target_kind_name(enum probe_target_kind k);
/* Parse "ok", "injected", ... back; false if unknown. */
DW_MUST_CHECK bool probe_verdict_from_name(const char *name, enum probe_verdict *v);

#endif

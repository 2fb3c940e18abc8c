/* libFuzzer: what the prober does with a reply it captured: the IP and UDP
 * layers (net_packet_parse_ip), the reply's DNS fields (probe_reply_fill,
 * the EDE code included), and judging a query with it among earlier replies
 * (classify_judge). The first byte picks the target's kind; the rest is an
 * IP packet. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/packet.h"
#include "probe/classify.h"
#include "probe/reply.h"
#include "wire/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: one byte for the target's kind, then IP packets, each preceded by
 * its length in two bytes: the replies one query drew, judged together. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The classifier learns (forged addresses, injector groups) across
	 * inputs, as it does across the queries of a run. */
	static struct classify *cls;
	static struct probe_result r;
	if (!cls && !(cls = classify_new(NULL)))
		abort();
	if (size < 1)
		return 0;
	memset(&r, 0, sizeof r);
	struct probe_target t = {.label = "t", .kind = (enum probe_target_kind)(data[0] % 3),
				 .family = AF_INET, .addr = {198, 18, 0, 1}, .port = 53};
	r.qtype = 1;
	for (size_t off = 1; off + 2 <= size && r.nreplies < PROBE_REPLIES_MAX;) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		const uint8_t *pkt = data + off;
		off += len;
		struct net_packet p;
		if (net_packet_parse_ip(pkt, len, &p) != DW_OK)
			continue;
		/* The query: the question of the first packet, if it has one. */
		if (!r.nreplies && p.payload_len > 12) {
			size_t n, next, eo;
			if (wire_name_unpack(p.payload, p.payload_len, 12, r.qname, &n, &next, &eo))
				memset(r.qname, 0, sizeof r.qname);
		}
		struct probe_reply *rep = &r.reply[r.nreplies++];
		probe_reply_set_ip(rep, &p, 0);
		uint8_t question[PROBE_QUESTION_MAX];
		size_t ql = probe_question_make(r.qname, r.qtype, question);
		probe_reply_fill(rep, p.payload, p.payload_len, question, ql);
		if (rep->rawlen > PROBE_RAW_MAX || rep->naddrs > PROBE_ADDRS_MAX ||
		    (!rep->parsed && rep->has_ede) || (!rep->has_ede && rep->ede))
			abort();
	}
	r.replies_seen = r.nreplies;
	classify_judge(cls, &r, &t);
	if (r.verdict <= VERDICT_NONE || r.verdict >= VERDICT_COUNT ||
	    r.forged_reply >= (int)r.nreplies || !memchr(r.evidence, 0, sizeof r.evidence))
		abort();
	return 0;
}

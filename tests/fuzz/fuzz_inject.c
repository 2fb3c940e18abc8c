/* libFuzzer: the injector's capture-to-decision-to-forge path on arbitrary
 * Ethernet frames. Whatever is forged must be a well-formed reply to the
 * frame's query: same ID, same question bytes, QR set, ports swapped. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inject/forge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rules_text[] =
	"pool p 10.0.0.1 10.0.0.2 10.0.0.3\n"
	"*.com a=65.49.2.178\n"
	"*.net a=@p aaaa=2001::/32\n"
	"*google* nxdomain\n"
	"*.cn pass\n"
	"*.org noreply\n"
	"* aaaa=2001:db8::/48 qtype=AAAA\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct inject_rules *rules;
	static struct inject_profile prof[PROFILE_MAX];
	static struct forge_state st[PROFILE_MAX];
	static int nprof;
	static uint8_t out[FORGE_FRAME_MAX];
	if (!rules) {
		struct dw_error err;
		rules = inject_rules_parse(rules_text, sizeof rules_text - 1, "fuzz", &err);
		nprof = inject_profile_preset("gfw", prof, PROFILE_MAX);
		if (!rules || nprof <= 0)
			abort();
		for (int i = 0; i < nprof; i++)
			forge_state_init(&st[i], (uint64_t)i);
	}
	struct inject_query q;
	if (inject_classify(NET_LINK_ETHERNET, data, size, &q) != INJ_QUERY)
		return 0;
	const struct inject_rule *rule = inject_rules_lookup(rules, q.qname, q.qtype);
	if (!rule || rule->action == RULE_PASS || rule->action == RULE_NOREPLY)
		return 0;
	for (int i = 0; i < nprof; i++) {
		size_t n = inject_forge(&prof[i], &st[i], rules, rule, &q, out);
		if (!n)
			continue;
		struct net_packet k;
		struct wire_msg m;
		struct wire_rr rr[8];
		if (n > FORGE_FRAME_MAX || net_packet_parse(NET_LINK_ETHERNET, out, n, &k) != DW_OK ||
		    k.sport != q.pkt.dport || k.dport != q.pkt.sport ||
		    wire_msg_parse(&m, k.payload, k.payload_len, rr, 8) != DW_OK ||
		    m.hdr.id != q.msg.hdr.id || !(m.hdr.flags & WIRE_FLAG_QR) ||
		    memcmp(k.payload + 12, q.pkt.payload + 12, q.question_end - 12) != 0)
			abort();
	}
	return 0;
}

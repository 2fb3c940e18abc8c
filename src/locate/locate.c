/* TTL-limited injector localisation (see locate.h). */
#include "locate/locate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/filter.h"
#include "net/packet.h"
#include "util/clock.h"
#include "util/json.h"
#include "wire/build.h"
#include "wire/msg.h"

/* The ring for the replies (from the target's PORT) and the ICMP errors. */
static int capture_socket(uint16_t port, struct dw_error *err)
{
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		return dw_error_set(err, DW_E_SYSTEM, "AF_PACKET socket: %s%s", strerror(e),
				    e == EPERM ? " (needs root or CAP_NET_RAW)" : "");
	}
	char filter[64];
	snprintf(filter, sizeof filter, "icmp or icmp6 or udp src port %u", port);
	if (net_filter_attach(fd, DLT_RAW, filter, err)) {
		close(fd);
		return -1;
	}
	int one = 1;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof sll)) {
		dw_error_errno(err, "capture socket");
		close(fd);
		return -1;
	}
	return fd;
}

static struct locate_group *group_of(struct locate_report *rep, uint16_t flags, bool df,
				     bool ipid_zero)
{
	for (int i = 0; i < rep->ngroups; i++) {
		struct locate_group *g = &rep->group[i];
		if (g->flags == flags && g->df == df && g->ipid_zero == ipid_zero)
			return g;
	}
	if (rep->ngroups == LOCATE_GROUPS_MAX)
		return NULL;
	struct locate_group *g = &rep->group[rep->ngroups++];
	memset(g, 0, sizeof *g);
	g->flags = flags;
	g->df = df;
	g->ipid_zero = ipid_zero;
	for (int t = 0; t <= LOCATE_TTL_MAX; t++)
		g->ttl_at[t] = -1;
	return g;
}

struct ctx {
	const struct locate_config *cfg;
	struct locate_report *rep;
	uint16_t port;
	uint16_t id_base;
	unsigned round; /* the TTL being probed */
};

/* The TTL a DNS ID was sent with, or 0. */
static unsigned ttl_of_id(const struct ctx *c, uint16_t id)
{
	unsigned k = (uint16_t)(id - c->id_base);
	unsigned ttl = k / c->cfg->probes + 1;
	return ttl >= 1 && ttl <= c->cfg->max_ttl ? ttl : 0;
}

static void on_packet(struct ctx *c, const uint8_t *ip, size_t len)
{
	const struct locate_config *cfg = c->cfg;
	struct locate_report *rep = c->rep;
	size_t alen = cfg->family == AF_INET ? 4 : 16;
	if (len < 1)
		return;
	int v = ip[0] >> 4;
	/* ICMP: time exceeded from a router, or port unreachable from the target. */
	if (v == 4 && len >= 28 && ip[9] == 1 && cfg->family == AF_INET) {
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		if (len < ihl + 8 + 28)
			return;
		const uint8_t *icmp = ip + ihl, *inner = icmp + 8;
		size_t iihl = (size_t)(inner[0] & 15) * 4;
		if (inner[9] != 17 || memcmp(inner + 16, cfg->target, 4) != 0 ||
		    len < ihl + 8 + iihl + 8)
			return;
		const uint8_t *udp = inner + iihl;
		if ((uint16_t)(udp[0] << 8 | udp[1]) != c->port)
			return;
		/* Linux quotes the whole query (RFC 1812 4.3.2.3), so its DNS
		 * ID says which TTL it had; else it is the round in progress. */
		unsigned ttl = c->round;
		if (len >= ihl + 8 + iihl + 8 + 2)
			ttl = ttl_of_id(c, (uint16_t)(udp[8] << 8 | udp[9]));
		if (!ttl)
			return;
		if (icmp[0] == 11) {
			rep->hop[ttl].router_seen = true;
			memcpy(rep->hop[ttl].router, ip + 12, 4);
		} else if (icmp[0] == 3 && memcmp(ip + 12, cfg->target, 4) == 0) {
			rep->hop[ttl].target_reached = true;
		}
		return;
	}
	if (v == 6 && len >= 48 && ip[6] == 58 && cfg->family == AF_INET6) {
		const uint8_t *icmp = ip + 40, *inner = icmp + 8;
		if (len < 40 + 8 + 40 + 10 || inner[6] != 17 || memcmp(inner + 24, cfg->target, 16))
			return;
		const uint8_t *udp = inner + 40;
		if ((uint16_t)(udp[0] << 8 | udp[1]) != c->port)
			return;
		unsigned ttl = ttl_of_id(c, (uint16_t)(udp[8] << 8 | udp[9]));
		if (!ttl)
			return;
		if (icmp[0] == 3) {
			rep->hop[ttl].router_seen = true;
			memcpy(rep->hop[ttl].router, ip + 8, 16);
		} else if (icmp[0] == 1 && memcmp(ip + 8, cfg->target, 16) == 0) {
			rep->hop[ttl].target_reached = true;
		}
		return;
	}
	/* A DNS reply to one of our probes. */
	struct net_packet p;
	if (net_packet_parse_ip(ip, len, &p) != DW_OK || p.dport != c->port ||
	    p.sport != cfg->port || p.family != cfg->family || memcmp(p.src, cfg->target, alen) ||
	    p.payload_len < WIRE_HEADER_LEN)
		return;
	unsigned ttl = ttl_of_id(c, (uint16_t)(p.payload[0] << 8 | p.payload[1]));
	if (!ttl)
		return;
	struct locate_hop *h = &rep->hop[ttl];
	if (!h->replies || p.ttl < h->reply_ttl_min)
		h->reply_ttl_min = p.ttl;
	if (!h->replies || p.ttl > h->reply_ttl_max)
		h->reply_ttl_max = p.ttl;
	h->replies++;
	uint16_t flags = (uint16_t)(p.payload[2] << 8 | p.payload[3]);
	struct locate_group *g = group_of(rep, flags, p.df, p.family == AF_INET && p.ip_id == 0);
	if (!g)
		return;
	if (!g->replies || ttl < g->first_ttl)
		g->first_ttl = ttl;
	g->replies++;
	if (g->ttl_at[ttl] < 0 || p.ttl < g->ttl_at[ttl])
		g->ttl_at[ttl] = p.ttl;
	if (!g->answer[0]) {
		struct wire_rr rr[16];
		struct wire_msg m;
		if (wire_msg_parse(&m, p.payload, p.payload_len, rr, 16) == DW_OK) {
			size_t a = wire_msg_section_start(&m, WIRE_SEC_ANSWER);
			for (size_t k = a; k < a + wire_msg_section_count(&m, WIRE_SEC_ANSWER); k++)
				/* By length too: an UPDATE or a class NONE/ANY
				 * record may carry no rdata (RFC 2136 2.4). */
				if ((rr[k].type == WIRE_T_A && rr[k].rdlen == 4) ||
				    (rr[k].type == WIRE_T_AAAA && rr[k].rdlen == 16)) {
					inet_ntop(rr[k].type == WIRE_T_A ? AF_INET : AF_INET6,
						  p.payload + rr[k].rdata_off, g->answer, sizeof g->answer);
					break;
				}
			if (!g->answer[0])
				snprintf(g->answer, sizeof g->answer, "rcode %u", WIRE_RCODE(m.hdr.flags));
		}
	}
}

void locate_judge(struct locate_report *rep)
{
	int tentative = 0;
	rep->hop_found = 0;
	rep->hop_tentative = false;
	rep->untrusted = false;
	for (int i = 0; i < rep->ngroups; i++) {
		struct locate_group *g = &rep->group[i];
		/* Mirroring: across the probe TTLs that drew this group, the
		 * received TTL rises with the probe TTL, one for one. An
		 * injector with a TTL of its own gives the same received TTL
		 * whatever the probe's (or a random one). Two TTLs are the least
		 * that can tell; with few, every step must track; with many,
		 * three in four (a lost reply or a random coincidence). */
		int pairs = 0, tracking = 0, prev_t = -1, prev_r = -1;
		for (int t = 1; t <= LOCATE_TTL_MAX; t++) {
			if (g->ttl_at[t] < 0)
				continue;
			if (prev_t > 0) {
				pairs++;
				if (g->ttl_at[t] - prev_r == t - prev_t)
					tracking++;
			}
			prev_t = t;
			prev_r = g->ttl_at[t];
		}
		g->judged = pairs >= 1;
		g->mirrors = pairs >= 1 && (tracking == pairs || (pairs >= 3 && tracking * 4 >= pairs * 3));
		if (g->mirrors) {
			rep->untrusted = true;
		} else if (g->replies && g->judged) {
			if (!rep->hop_found || (int)g->first_ttl < rep->hop_found)
				rep->hop_found = (int)g->first_ttl;
		} else if (g->replies && (!tentative || (int)g->first_ttl < tentative)) {
			tentative = (int)g->first_ttl;
		}
	}
	/* Only groups seen at a single TTL: their first TTL is the best guess,
	 * said to be one. */
	if (!rep->hop_found && tentative) {
		rep->hop_found = tentative;
		rep->hop_tentative = true;
	}
}

/* The UDP socket the probes go out of, connected to the target, with its
 * local port in *PORT. Replies are read from the capture; this socket only
 * holds the port, so a filter drops everything it would receive. Returns
 * the socket, or -1 with ERR set (the callee's reason kept). */
static int probe_socket(const struct locate_config *cfg, uint16_t *port, struct dw_error *err)
{
	struct sockaddr_storage to = {0}, me;
	socklen_t tl, ml = sizeof me;
	if (cfg->family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&to;
		a->sin_family = AF_INET;
		a->sin_port = htons(cfg->port);
		memcpy(&a->sin_addr, cfg->target, 4);
		tl = sizeof *a;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&to;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(cfg->port);
		memcpy(&a->sin6_addr, cfg->target, 16);
		tl = sizeof *a;
	}
	int fd = socket(cfg->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return dw_error_errno(err, "UDP socket");
	int rc;
	if (net_filter_drop_all(fd, err))
		rc = dw_error_prefix(err, "UDP socket");
	else if (connect(fd, (struct sockaddr *)&to, tl))
		rc = dw_error_errno(err, "UDP socket: connect");
	else if (getsockname(fd, (struct sockaddr *)&me, &ml))
		rc = dw_error_errno(err, "UDP socket: getsockname");
	else
		rc = 0;
	if (rc) {
		close(fd);
		return -1;
	}
	*port = ntohs(cfg->family == AF_INET ? ((struct sockaddr_in *)&me)->sin_port
					      : ((struct sockaddr_in6 *)&me)->sin6_port);
	return fd;
}

int locate_run(const struct locate_config *cfg, struct locate_report *rep, struct dw_error *err)
{
	memset(rep, 0, sizeof *rep);
	rep->max_ttl = cfg->max_ttl;
	if (cfg->max_ttl < 1 || cfg->max_ttl > LOCATE_TTL_MAX || cfg->probes < 1 ||
	    cfg->probes > 16)
		return dw_error_set(err, DW_E_INVALID, "TTLs 1 to %d and 1 to 16 probes per TTL",
				    LOCATE_TTL_MAX);
	int cap = capture_socket(cfg->port, err);
	if (cap < 0)
		return -1;
	uint16_t port = 0;
	int fd = probe_socket(cfg, &port, err);
	if (fd < 0) {
		close(cap);
		return -1;
	}
	struct ctx c = {.cfg = cfg, .rep = rep, .port = port,
			.id_base = (uint16_t)(cfg->seed * 2654435761u)};
	for (unsigned ttl = 1; ttl <= cfg->max_ttl; ttl++) {
		c.round = ttl;
		int t = (int)ttl;
		if (cfg->family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_TTL, &t, sizeof t);
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &t, sizeof t);
		for (unsigned k = 0; k < cfg->probes; k++) {
			uint8_t q[300];
			uint16_t id = (uint16_t)(c.id_base + (ttl - 1) * cfg->probes + k);
			size_t ql = wire_build_query(q, sizeof q, id, cfg->qname, cfg->qtype, 1, 0);
			if (send(fd, q, ql, 0) < 0 && errno != ECONNREFUSED)
				break;
		}
		uint64_t until = util_mono_ms() + cfg->wait_ms;
		for (uint64_t now = util_mono_ms(); now < until; now = util_mono_ms()) {
			struct pollfd pf = {cap, POLLIN, 0};
			if (poll(&pf, 1, (int)(until - now)) <= 0)
				continue;
			uint8_t buf[2048];
			ssize_t n;
			while ((n = recv(cap, buf, sizeof buf, MSG_DONTWAIT)) > 0)
				on_packet(&c, buf, (size_t)n);
		}
	}
	close(fd);
	close(cap);
	locate_judge(rep);
	return 0;
}

void locate_print(FILE *out, const struct locate_config *cfg, const struct locate_report *rep)
{
	char a[64], n[WIRE_NAME_TEXT_MAX];
	wire_name_to_text(cfg->qname, n, sizeof n);
	fprintf(out, "locate: %s towards %s, probe TTL 1..%u, %u probe%s each\n", n,
		net_packet_addr_text(cfg->family, cfg->target, a, sizeof a), rep->max_ttl, cfg->probes,
		cfg->probes == 1 ? "" : "s");
	fprintf(out, "  TTL  router (time exceeded)   DNS replies  their IP TTL\n");
	for (unsigned t = 1; t <= rep->max_ttl; t++) {
		const struct locate_hop *h = &rep->hop[t];
		char r[64] = "*";
		if (h->router_seen)
			net_packet_addr_text(cfg->family, h->router, r, sizeof r);
		else if (h->target_reached)
			snprintf(r, sizeof r, "(target reached)");
		fprintf(out, "  %3u  %-24s %11u", t, r, h->replies);
		if (h->replies)
			fprintf(out, "  %u-%u", h->reply_ttl_min, h->reply_ttl_max);
		if ((int)t == rep->hop_found)
			fprintf(out, "  <- forged replies start here");
		fputc('\n', out);
	}
	for (int i = 0; i < rep->ngroups; i++) {
		const struct locate_group *g = &rep->group[i];
		fprintf(out, "  injector %c: flags %04x, DF %d, IP ID %s, answer %s: %u replies, first at TTL %u, ",
			'A' + i, g->flags, g->df, g->ipid_zero ? "zero" : "non-zero", g->answer,
			g->replies, g->first_ttl);
		if (g->mirrors)
			fprintf(out, "its IP TTL rises with the probe's: it mirrors the query's TTL, so TTL %u is not its hop (it sits at or before it)\n",
				g->first_ttl);
		else if (!g->judged)
			fprintf(out, "seen at one TTL only: cannot tell whether it mirrors TTLs (raise --max-ttl)\n");
		else
			fprintf(out, "its IP TTL does not follow the probe's: hop %u\n", g->first_ttl);
	}
	if (rep->hop_found) {
		char r[64] = "an unknown router";
		const struct locate_hop *h = &rep->hop[rep->hop_found];
		if (h->router_seen)
			net_packet_addr_text(cfg->family, h->router, r, sizeof r);
		fprintf(out, "verdict: the injector sits at hop %d (%s)%s%s\n", rep->hop_found, r,
			rep->hop_tentative ? ", tentatively: its replies came at one TTL only" : "",
			rep->untrusted ? "; an injector that mirrors TTLs was not used to place it" : "");
	} else if (rep->untrusted) {
		fprintf(out, "verdict: cannot place the injector: every injector seen mirrors the probe's IP TTL, so the first TTL that draws a reply is not its hop\n");
	} else {
		fprintf(out, "verdict: no forged reply at any TTL up to %u\n", rep->max_ttl);
	}
}

void locate_print_json(FILE *out, const struct locate_config *cfg, const struct locate_report *rep)
{
	char a[64], n[WIRE_NAME_TEXT_MAX];
	struct jw j;
	jw_init(&j, out);
	jw_object_begin(&j);
	wire_name_to_text(cfg->qname, n, sizeof n);
	jw_key(&j, "name");
	jw_string(&j, n);
	jw_key(&j, "target");
	jw_string(&j, net_packet_addr_text(cfg->family, cfg->target, a, sizeof a));
	jw_key(&j, "hops");
	jw_array_begin(&j);
	for (unsigned t = 1; t <= rep->max_ttl; t++) {
		const struct locate_hop *h = &rep->hop[t];
		jw_object_begin(&j);
		jw_key(&j, "ttl");
		jw_uint(&j, t);
		jw_key(&j, "router");
		if (h->router_seen)
			jw_string(&j, net_packet_addr_text(cfg->family, h->router, a, sizeof a));
		else
			jw_null(&j);
		jw_key(&j, "target_reached");
		jw_bool(&j, h->target_reached);
		jw_key(&j, "replies");
		jw_uint(&j, h->replies);
		jw_object_end(&j);
	}
	jw_array_end(&j);
	jw_key(&j, "injectors");
	jw_array_begin(&j);
	for (int i = 0; i < rep->ngroups; i++) {
		const struct locate_group *g = &rep->group[i];
		jw_object_begin(&j);
		jw_key(&j, "flags");
		jw_uint(&j, g->flags);
		jw_key(&j, "df");
		jw_bool(&j, g->df);
		jw_key(&j, "ipid_zero");
		jw_bool(&j, g->ipid_zero);
		jw_key(&j, "answer");
		jw_string(&j, g->answer);
		jw_key(&j, "replies");
		jw_uint(&j, g->replies);
		jw_key(&j, "first_ttl");
		jw_uint(&j, g->first_ttl);
		jw_key(&j, "judged");
		jw_bool(&j, g->judged);
		jw_key(&j, "mirrors_ttl");
		jw_bool(&j, g->mirrors);
		jw_object_end(&j);
	}
	jw_array_end(&j);
	jw_key(&j, "hop");
	if (rep->hop_found)
		jw_uint(&j, (unsigned)rep->hop_found);
	else
		jw_null(&j);
	jw_key(&j, "hop_tentative");
	jw_bool(&j, rep->hop_tentative);
	jw_key(&j, "untrusted_mirroring");
	jw_bool(&j, rep->untrusted);
	jw_object_end(&j);
	jw_newline(&j);
}

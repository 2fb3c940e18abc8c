/* Deterministic domain population and answer key (see population.h). */
#include "lab/population.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "key/key.h"
#include "util/rand.h"
#include "util/text.h"

const char *const lab_tld_names[LAB_TLD_COUNT] = {"com", "net", "org", "cn"};

/* splitmix64 (util/rand.h): the same sequence on every machine, which is
 * what determinism from a seed needs (rand() differs between libcs). */
static uint32_t pop_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(splitmix64(s) % n);
}

/* Host labels inside a zone; "@" is the apex. "ns" is reserved for the
 * zone's name server and must not be here. */
static const char *const pop_hosts[] = {
	"@", "www", "mail", "api", "cdn", "img", "m", "shop", "news", "blog",
	"static", "login", "app", "video", "docs", "dev", "ftp", "smtp", "pay",
	"search", "wiki", "cloud", "portal", "bbs",
};
#define POP_NHOSTS (sizeof pop_hosts / sizeof pop_hosts[0])
#define POP_ZONE_MAX_NAMES 8

static const char *const pop_syll[] = {
	"ka", "mi", "ro", "ta", "bo", "ne", "lu", "shi", "zen", "qi", "fa", "do",
	"ri", "su", "ho", "wei", "bai", "xin", "ma", "po", "le", "tu", "yan", "go",
};
#define POP_NSYLL (sizeof pop_syll / sizeof pop_syll[0])

/* TTLs with weights, roughly the mix of popular names: many 300 s and
 * 3600 s, a tail of one minute and of a day. */
static const struct { uint32_t ttl, weight; } pop_ttls[] = {
	{60, 10}, {300, 25}, {600, 10}, {1800, 10}, {3600, 25}, {14400, 8}, {86400, 12},
};

static uint32_t pop_ttl(uint64_t *s)
{
	uint32_t total = 0;
	for (size_t i = 0; i < sizeof pop_ttls / sizeof pop_ttls[0]; i++)
		total += pop_ttls[i].weight;
	uint32_t r = pop_below(s, total);
	for (size_t i = 0; i < sizeof pop_ttls / sizeof pop_ttls[0]; i++) {
		if (r < pop_ttls[i].weight)
			return pop_ttls[i].ttl;
		r -= pop_ttls[i].weight;
	}
	return 3600;
}

/* Record data addresses: inside the lab's benchmarking range but on no
 * interface, so nothing is ever sent to them. Names abroad get
 * 198.19.128.0/17, names under cn 198.18.128.0/17. */
static uint32_t pop_addr4(uint64_t *s, int tld)
{
	uint32_t base = tld == LAB_TLD_CN ? 0xC6128000u : 0xC6138000u;
	uint32_t host = pop_below(s, 0x8000u);
	if ((host & 0xff) == 0 || (host & 0xff) == 0xff)
		host ^= 0x11; /* keep away from .0 and .255 */
	return base | host;
}

static void pop_addr6(uint64_t *s, int tld, uint8_t out[16])
{
	/* fd53:d0:TLD:xxxx::xxxx:xxxx, in the lab's ULA prefix fd53::/16 */
	uint64_t r = splitmix64(s);
	memset(out, 0, 16);
	out[0] = 0xfd;
	out[1] = 0x53;
	out[3] = 0xd0;
	out[5] = (uint8_t)(tld + 1);
	out[6] = (uint8_t)(r >> 8);
	out[7] = (uint8_t)r;
	out[12] = (uint8_t)(r >> 40);
	out[13] = (uint8_t)(r >> 32);
	out[14] = (uint8_t)(r >> 24);
	out[15] = (uint8_t)((r >> 16) | 1);
}

static int pop_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void pop_fill_name(struct lab_pop_name *n, uint64_t *s, int tld)
{
	uint32_t r = pop_below(s, 10);
	n->na = r < 7 ? 1 : r < 9 ? 2 : 3;
	for (unsigned i = 0; i < n->na; i++) {
		uint32_t a;
		int dup;
		unsigned tries = 0;
		do { /* distinct addresses; bounded retries */
			a = pop_addr4(s, tld);
			dup = 0;
			for (unsigned j = 0; j < i; j++)
				dup |= n->a[j] == a;
		} while (dup && ++tries < 16);
		n->a[i] = a + (dup ? i : 0);
	}
	qsort(n->a, n->na, sizeof n->a[0], pop_cmp_u32);
	n->n6 = pop_below(s, 100) < 30 ? 1 : 0;
	for (unsigned i = 0; i < n->n6; i++)
		pop_addr6(s, tld, n->aaaa[i]);
	n->ttl = pop_ttl(s);
}

int lab_pop_generate(struct lab_pop *pop, const struct lab_pop_params *p)
{
	memset(pop, 0, sizeof *pop);
	size_t total = 0;
	for (int t = 0; t < LAB_TLD_COUNT; t++) {
		if (p->count[t] > LAB_POP_NAMES_MAX || p->nauth[t] > LAB_POP_AUTH_MAX)
			return -1;
		if (p->count[t] && !p->nauth[t])
			return -1;
		total += p->count[t];
	}
	/* A zone holds at least one name, so there are at most TOTAL zones. */
	pop->names = calloc(total ? total : 1, sizeof *pop->names);
	pop->zones = calloc(total ? total : 1, sizeof *pop->zones);
	if (!pop->names || !pop->zones) {
		lab_pop_free(pop);
		return -1;
	}
	pop->seed = p->seed;
	for (int t = 0; t < LAB_TLD_COUNT; t++) {
		/* One stream per TLD, so changing one count leaves the others' names alone. */
		uint64_t s = p->seed ^ (0x1000193ULL * (uint64_t)(t + 1));
		unsigned left = p->count[t];
		for (unsigned zi = 0; left > 0; zi++) {
			struct lab_pop_zone *z = &pop->zones[pop->nzones];
			unsigned k = 1 + pop_below(&s, POP_ZONE_MAX_NAMES);
			if (k > left)
				k = left;
			char label[40] = "";
			unsigned ns = 2 + pop_below(&s, 2);
			for (unsigned i = 0; i < ns; i++)
				strcat(label, pop_syll[pop_below(&s, POP_NSYLL)]);
			/* The index makes the label unique within its TLD. */
			snprintf(z->name, sizeof z->name, "%s%u.%s.", label, zi, lab_tld_names[t]);
			z->tld = (uint8_t)t;
			z->server = p->auth[t][pop_below(&s, p->nauth[t])];
			z->first = (uint32_t)pop->nnames;
			z->count = k;
			/* k distinct host labels: a partial Fisher-Yates shuffle. */
			unsigned idx[POP_NHOSTS];
			for (unsigned i = 0; i < POP_NHOSTS; i++)
				idx[i] = i;
			for (unsigned i = 0; i < k; i++) {
				unsigned j = i + pop_below(&s, (uint32_t)(POP_NHOSTS - i));
				unsigned tmp = idx[i];
				idx[i] = idx[j];
				idx[j] = tmp;
				struct lab_pop_name *n = &pop->names[pop->nnames++];
				const char *h = pop_hosts[idx[i]];
				if (strcmp(h, "@") == 0)
					snprintf(n->name, sizeof n->name, "%.62s", z->name);
				else
					snprintf(n->name, sizeof n->name, "%.10s.%.52s", h, z->name);
				n->zone = (uint32_t)pop->nzones;
				pop_fill_name(n, &s, t);
			}
			pop->nzones++;
			left -= k;
		}
	}
	return 0;
}

void lab_pop_free(struct lab_pop *pop)
{
	free(pop->names);
	free(pop->zones);
	memset(pop, 0, sizeof *pop);
}

static void pop_ip4(uint32_t a, char *buf, size_t cap)
{
	snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

int lab_pop_write_key(const struct lab_pop *pop, FILE *f)
{
	if (key_write_header(f, pop->seed, pop->nnames, pop->nzones))
		return -1;
	for (size_t i = 0; i < pop->nnames; i++) {
		const struct lab_pop_name *n = &pop->names[i];
		const struct lab_pop_zone *z = &pop->zones[n->zone];
		char srv[16], a[16];
		/* the addresses of one type, comma-separated */
		char answer[(LAB_POP_A_MAX + LAB_POP_AAAA_MAX) * (INET6_ADDRSTRLEN + 1) + 1];
		size_t at = 0;
		pop_ip4(z->server, srv, sizeof srv);
		for (unsigned j = 0; j < n->na; j++) {
			pop_ip4(n->a[j], a, sizeof a);
			at = text_cat(answer, sizeof answer, at, "%s%s", j ? "," : "", a);
		}
		if (key_write_row(f, n->name, "A", answer, z->name, srv, (long)n->ttl))
			return -1;
		if (!n->n6)
			continue;
		at = 0;
		for (unsigned j = 0; j < n->n6; j++) {
			char b[INET6_ADDRSTRLEN];
			inet_ntop(AF_INET6, n->aaaa[j], b, sizeof b);
			at = text_cat(answer, sizeof answer, at, "%s%s", j ? "," : "", b);
		}
		if (key_write_row(f, n->name, "AAAA", answer, z->name, srv, (long)n->ttl))
			return -1;
	}
	return 0;
}

int lab_pop_write_zone(const struct lab_pop *pop, size_t zi, FILE *f)
{
	const struct lab_pop_zone *z = &pop->zones[zi];
	char srv[16];
	pop_ip4(z->server, srv, sizeof srv);
	/* RFC 1035 5.1 master file; SOA timers are conventional, serial fixed
	 * so that the same seed gives the same bytes. */
	fprintf(f, "$ORIGIN %s\n$TTL 3600\n", z->name);
	fprintf(f, "@\t86400\tIN\tSOA\tns.%s hostmaster.%s 1 7200 3600 1209600 300\n",
		z->name, z->name);
	fprintf(f, "@\t86400\tIN\tNS\tns.%s\n", z->name);
	fprintf(f, "ns\t86400\tIN\tA\t%s\n", srv);
	for (uint32_t i = z->first; i < z->first + z->count; i++) {
		const struct lab_pop_name *n = &pop->names[i];
		for (unsigned j = 0; j < n->na; j++) {
			char a[16];
			pop_ip4(n->a[j], a, sizeof a);
			fprintf(f, "%s\t%u\tIN\tA\t%s\n", n->name, n->ttl, a);
		}
		for (unsigned j = 0; j < n->n6; j++) {
			char b[INET6_ADDRSTRLEN];
			inet_ntop(AF_INET6, n->aaaa[j], b, sizeof b);
			fprintf(f, "%s\t%u\tIN\tAAAA\t%s\n", n->name, n->ttl, b);
		}
	}
	return ferror(f) ? -1 : 0;
}

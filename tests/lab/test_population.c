/* The population generator: determinism, counts, spread, answer-key format. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lab/population.h"
#include "lab/servers.h"

static void params(struct lab_pop_params *p, uint64_t seed)
{
	memset(p, 0, sizeof *p);
	p->seed = seed;
	p->count[LAB_TLD_COM] = 3000;
	p->count[LAB_TLD_NET] = 1000;
	p->count[LAB_TLD_ORG] = 1000;
	p->count[LAB_TLD_CN] = 2000;
	lab_servers_pop_params(p);
}

/* The whole answer key as one string (caller frees). */
static char *key_text(const struct lab_pop *pop, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	CHECK_EQ(lab_pop_write_key(pop, f), 0);
	fclose(f);
	return buf;
}

static void test_same_seed_same_bytes(void)
{
	struct lab_pop_params p;
	struct lab_pop a, b;
	params(&p, 7);
	CHECK_EQ(lab_pop_generate(&a, &p), 0);
	CHECK_EQ(lab_pop_generate(&b, &p), 0);
	size_t la, lb;
	char *ka = key_text(&a, &la), *kb = key_text(&b, &lb);
	CHECK_EQ(la, lb);
	CHECK(la == lb && memcmp(ka, kb, la) == 0);
	free(ka);
	free(kb);
	lab_pop_free(&a);
	lab_pop_free(&b);
}

static void test_other_seed_other_names(void)
{
	struct lab_pop_params p;
	struct lab_pop a, b;
	params(&p, 1);
	CHECK_EQ(lab_pop_generate(&a, &p), 0);
	params(&p, 2);
	CHECK_EQ(lab_pop_generate(&b, &p), 0);
	CHECK(strcmp(a.names[0].name, b.names[0].name) != 0 || a.names[0].a[0] != b.names[0].a[0]);
	lab_pop_free(&a);
	lab_pop_free(&b);
}

static void test_counts_zones_servers_ttls(void)
{
	struct lab_pop_params p;
	struct lab_pop pop;
	params(&p, 1);
	CHECK_EQ(lab_pop_generate(&pop, &p), 0);
	CHECK_EQ(pop.nnames, 7000);
	unsigned per_tld[LAB_TLD_COUNT] = {0}, multi = 0, v6 = 0, ttl_min = 1u << 31, ttl_max = 0;
	for (size_t i = 0; i < pop.nnames; i++) {
		const struct lab_pop_name *n = &pop.names[i];
		const struct lab_pop_zone *z = &pop.zones[n->zone];
		per_tld[z->tld]++;
		/* the name is the zone or below it */
		size_t ln = strlen(n->name), lz = strlen(z->name);
		CHECK(ln >= lz && strcmp(n->name + ln - lz, z->name) == 0);
		CHECK(n->na >= 1 && n->na <= LAB_POP_A_MAX);
		multi += n->na > 1;
		v6 += n->n6;
		ttl_min = n->ttl < ttl_min ? n->ttl : ttl_min;
		ttl_max = n->ttl > ttl_max ? n->ttl : ttl_max;
		for (unsigned j = 1; j < n->na; j++)
			CHECK(n->a[j - 1] < n->a[j]); /* ascending, distinct */
	}
	CHECK_EQ(per_tld[LAB_TLD_COM], 3000);
	CHECK_EQ(per_tld[LAB_TLD_CN], 2000);
	CHECK(pop.nzones > 1000);            /* many zones, several names each */
	CHECK(pop.nzones < 7000 / 2);
	CHECK(v6 > 7000 / 5 && v6 < 7000 / 2); /* AAAA for about a third */
	CHECK(multi > 0);
	CHECK_EQ(ttl_min, 60);
	CHECK_EQ(ttl_max, 86400);
	/* every outside authoritative address holds zones; cn zones stay inside */
	for (unsigned s = 0; s < p.nauth[LAB_TLD_COM]; s++) {
		unsigned held = 0;
		for (size_t z = 0; z < pop.nzones; z++)
			held += pop.zones[z].server == p.auth[LAB_TLD_COM][s];
		CHECK(held > 50);
	}
	for (size_t z = 0; z < pop.nzones; z++)
		if (pop.zones[z].tld == LAB_TLD_CN)
			CHECK((pop.zones[z].server >> 16) == 0xC612); /* 198.18/16: inside */
	lab_pop_free(&pop);
}

static void test_key_format(void)
{
	struct lab_pop_params p;
	struct lab_pop pop;
	params(&p, 3);
	p.count[LAB_TLD_COM] = 50;
	p.count[LAB_TLD_NET] = p.count[LAB_TLD_ORG] = 0;
	p.count[LAB_TLD_CN] = 10;
	CHECK_EQ(lab_pop_generate(&pop, &p), 0);
	size_t len;
	char *text = key_text(&pop, &len);
	char *save = NULL;
	int line = 0, rows = 0, a_rows = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save), line++) {
		if (line == 0) {
			CHECK(strncmp(l, "# dnswatch lab answer key v1 seed=3", 35) == 0);
			continue;
		}
		if (line == 1) {
			CHECK_STR(l, "name\ttype\taddresses\tzone\tserver\tttl");
			continue;
		}
		/* six TAB-separated fields */
		int tabs = 0;
		for (char *c = l; *c; c++)
			tabs += *c == '\t';
		CHECK_EQ(tabs, 5);
		char name[128], type[8], addrs[256], zone[128], server[32];
		unsigned ttl;
		CHECK_EQ(sscanf(l, "%127[^\t]\t%7[^\t]\t%255[^\t]\t%127[^\t]\t%31[^\t]\t%u", name, type,
				addrs, zone, server, &ttl), 6);
		CHECK(name[strlen(name) - 1] == '.');
		CHECK(strcmp(type, "A") == 0 || strcmp(type, "AAAA") == 0);
		a_rows += strcmp(type, "A") == 0;
		CHECK(strncmp(server, "198.1", 5) == 0);
		CHECK(ttl >= 60 && ttl <= 86400);
		rows++;
	}
	CHECK_EQ(a_rows, 60);
	CHECK(rows > 60);
	free(text);
	lab_pop_free(&pop);
}

static void test_zone_file(void)
{
	struct lab_pop_params p;
	struct lab_pop pop;
	params(&p, 1);
	p.count[LAB_TLD_COM] = 5;
	p.count[LAB_TLD_NET] = p.count[LAB_TLD_ORG] = p.count[LAB_TLD_CN] = 0;
	CHECK_EQ(lab_pop_generate(&pop, &p), 0);
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	CHECK_EQ(lab_pop_write_zone(&pop, 0, f), 0);
	fclose(f);
	CHECK(strstr(buf, "IN\tSOA\tns.") != NULL);
	CHECK(strstr(buf, "@\t86400\tIN\tNS\tns.") != NULL);
	CHECK(strstr(buf, pop.names[0].name) != NULL);
	free(buf);
	lab_pop_free(&pop);
}

static void test_bad_params(void)
{
	struct lab_pop_params p;
	struct lab_pop pop;
	params(&p, 1);
	p.nauth[LAB_TLD_NET] = 0; /* names but nowhere to serve them */
	CHECK_EQ(lab_pop_generate(&pop, &p), -1);
	params(&p, 1);
	p.count[LAB_TLD_COM] = LAB_POP_NAMES_MAX + 1;
	CHECK_EQ(lab_pop_generate(&pop, &p), -1);
	memset(&p, 0, sizeof p); /* an empty population is fine */
	CHECK_EQ(lab_pop_generate(&pop, &p), 0);
	CHECK_EQ(pop.nnames, 0);
	lab_pop_free(&pop);
}

int main(void)
{
	RUN(test_same_seed_same_bytes);
	RUN(test_other_seed_other_names);
	RUN(test_counts_zones_servers_ttls);
	RUN(test_key_format);
	RUN(test_zone_file);
	RUN(test_bad_params);
	return harness_done();
}

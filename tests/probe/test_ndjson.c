/* NDJSON output: an exact line, every key of a rich result (checked by
 * string matching and parsed back by jq), the raw flag, write errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "store/results.h"
#include "probe/ndjson.h"

static char *render(const struct probe_result *r, unsigned flags, int *rc)
{
	struct probe_target tg[3];
	t_targets(tg);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	*rc = ndjson_write_result(f, r, tg, 3, flags);
	fclose(f);
	return buf;
}

static int count_char(const char *s, char c)
{
	int n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

static void test_exact_line(void)
{
	static struct probe_result r;
	t_result(&r, 5, 0, 1);
	int rc;
	char *s = render(&r, 0, &rc);
	CHECK_EQ(rc, 0);
	CHECK_STR(s, "{\"seq\":5,\"line\":11,\"name\":\"nx.example.org.\",\"qtype\":\"A\","
		     "\"target\":{\"index\":0,\"label\":\"isp\",\"kind\":\"resolver\","
		     "\"addr\":\"10.53.0.2\",\"port\":53},\"id\":4665,\"sport\":40000,"
		     "\"attempts\":3,\"sent_us\":1390288500005000,\"verdict\":\"timeout\","
		     "\"evidence\":\"no reply in 3 tries\",\"forged_reply\":null,\"group\":null,"
		     "\"replies_seen\":0,\"replies\":[]}\n");
	free(s);
}

static void test_injected_keys(void)
{
	static struct probe_result r;
	t_result(&r, 7, 2, 0);
	int rc;
	char *s = render(&r, 0, &rc);
	CHECK_EQ(rc, 0);
	CHECK_EQ(count_char(s, '\n'), 1);
	CHECK(s[strlen(s) - 1] == '\n');
	const char *want[] = {
		"\"name\":\"www.Twitter.com.\"",
		"\"target\":{\"index\":2,\"label\":\"nodns\",\"kind\":\"nodns\",\"addr\":\"10.99.0.7\"",
		"\"verdict\":\"injected\"",
		"\"evidence\":\"reply 0 from 2 arrived first with \\\"65.49.2.178\\\"\"",
		"\"forged_reply\":0,\"group\":2",
		"\"replies\":[{\"index\":0,\"time_us\":1390288500027002,\"rtt_us\":20000,"
		"\"src\":\"10.53.0.2\",\"sport\":53,\"ip_ttl\":47,\"ip_id\":48879,\"df\":true,"
		"\"parsed\":true,\"len\":45,\"flags\":\"0x8180\",\"flag_names\":[\"qr\",\"rd\",\"ra\"],"
		"\"rcode\":\"NOERROR\",\"ancount\":1,\"nscount\":0,\"arcount\":0,"
		"\"question_match\":true,\"answer_ptr\":true,\"answer_ttl\":299,\"cnames\":0,"
		"\"answers\":[{\"addr\":\"65.49.2.178\",\"ttl\":299}]}",
		"\"flags\":\"0x8580\",\"flag_names\":[\"qr\",\"aa\",\"rd\",\"ra\"]",
		"\"answers\":[{\"addr\":\"104.244.42.1\",\"ttl\":1800},"
		"{\"addr\":\"104.244.42.129\",\"ttl\":1799}]",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(s, want[i])) {
			CHECK(!"key missing");
			printf("#   want %s\n#   in   %s", want[i], s);
		}
	CHECK(strstr(s, "\"raw\"") == NULL);
	free(s);
}

static void test_v6_and_escapes(void)
{
	static struct probe_result r;
	int rc;
	t_result(&r, 1, 1, 2);
	char *s = render(&r, 0, &rc);
	CHECK_EQ(rc, 0);
	CHECK(strstr(s, "\"name\":\"wWw.YouTube.com.\",\"qtype\":\"AAAA\"") != NULL);
	CHECK(strstr(s, "\"kind\":\"auth\",\"addr\":\"fd00:53::8\",\"port\":5353") != NULL);
	/* IPv6: TTL (hop limit) known, no ID, no DF */
	CHECK(strstr(s, "\"src\":\"fd00:53::8\",\"sport\":5353,\"ip_ttl\":63,\"ip_id\":null,"
			"\"df\":null") != NULL);
	CHECK(strstr(s, "\"answers\":[{\"addr\":\"2001::1234:5678\",\"ttl\":60}]") != NULL);
	CHECK(strstr(s, "\"cnames\":1") != NULL);
	CHECK(strstr(s, "\"flag_names\":[\"qr\",\"aa\"]") != NULL);
	free(s);

	t_result(&r, 2, 0, 3);
	s = render(&r, 0, &rc);
	CHECK_EQ(rc, 0);
	/* a name with a dot and a space inside labels, escaped per RFC 1035 5.1 */
	CHECK(strstr(s, "\"name\":\"a\\\\.b.c\\\\032d.net.\"") != NULL);
	CHECK(strstr(s, "\"evidence\":\"8 replies disagree; tab\\there\"") != NULL);
	/* IP fields not captured are null; an unparsed reply has no DNS keys */
	CHECK(strstr(s, "\"index\":1,\"time_us\":1390288500004000,\"rtt_us\":2000,"
			"\"src\":\"192.0.2.2\",\"sport\":53,\"ip_ttl\":null,\"ip_id\":null,"
			"\"df\":null,\"parsed\":true") != NULL);
	CHECK(strstr(s, "\"index\":7,\"time_us\":1390288500010000,\"rtt_us\":8000,"
			"\"src\":\"192.0.2.8\",\"sport\":53,\"ip_ttl\":null,\"ip_id\":null,"
			"\"df\":null,\"parsed\":false,\"len\":600}") != NULL);
	CHECK(strstr(s, "\"rcode\":\"NXDOMAIN\"") != NULL);
	CHECK(strstr(s, "\"rcode\":\"BADVERS\"") != NULL);
	CHECK(strstr(s, "\"replies_seen\":11") != NULL);
	free(s);
}

static void test_raw_flag(void)
{
	static struct probe_result r;
	int rc;
	t_result(&r, 0, 0, 0);
	r.reply[0].rawlen = 4;
	r.reply[0].len = 4;
	memcpy(r.reply[0].raw, "\x12\x34\xab\xff", 4);
	char *s = render(&r, NDJSON_RAW, &rc);
	CHECK_EQ(rc, 0);
	CHECK(strstr(s, "\"raw\":\"1234abff\",\"raw_cut\":false}") != NULL);
	free(s);
	t_result(&r, 2, 0, 3);
	s = render(&r, NDJSON_RAW, &rc);
	CHECK(strstr(s, "\"raw_cut\":true") != NULL);
	char *raw = strstr(s, "\"raw\":\"");
	CHECK(raw != NULL);
	if (raw) {
		raw += 7;
		CHECK_EQ(strcspn(raw, "\""), 2 * PROBE_RAW_MAX);
	}
	free(s);
}

/* Parse the lines back with jq and check values, types and the key set. */
static void test_jq_parse(void)
{
	if (system("command -v jq >/dev/null 2>&1") != 0)
		SKIP("jq is not installed (make deps)");
	char path[] = "/tmp/dw-ndjson-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct probe_target tg[3];
	t_targets(tg);
	static struct probe_result r;
	for (int i = 0; i < 12; i++) {
		t_result(&r, (uint64_t)(i / 3), (uint16_t)(i % 3), i % 4);
		CHECK_EQ(ndjson_write_result(f, &r, tg, 3, NDJSON_RAW), 0);
	}
	fclose(f);
	static const char *const checks[] = {
		/* 12 objects, one a line */
		"-s 'length == 12'",
		"-s '[.[].seq] == [0,0,0,1,1,1,2,2,2,3,3,3]'",
		"-s '[.[].target.label] | unique == [\"isp\",\"nodns\",\"public6\"]'",
		"-s '[.[].verdict] | unique == [\"inconsistent\",\"injected\",\"ok\",\"timeout\"]'",
		"-s 'map(select(.verdict == \"injected\")) | all(.forged_reply == 0 and .group == 2"
		" and .replies[0].answers[0].addr == \"65.49.2.178\" and .replies[0].ip_ttl == 47"
		" and .replies[0].df == true and .replies[1].ip_ttl == 57)'",
		"-s 'map(select(.verdict == \"timeout\")) | all(.replies == [] and .attempts == 3)'",
		"-s 'map(select(.verdict == \"inconsistent\")) | all((.replies | length) == 8"
		" and .replies[5].answers[7].addr == \"198.51.100.7\")'",
		/* the documented key set of a query, exactly */
		"-s 'all(keys == ([\"attempts\",\"evidence\",\"forged_reply\",\"group\",\"id\","
		"\"line\",\"name\",\"qtype\",\"replies\",\"replies_seen\",\"sent_us\",\"seq\","
		"\"sport\",\"target\",\"verdict\"] | sort))'",
		"-s '[.[].replies[] | select(.parsed) | keys] | unique == [[\"ancount\",\"answer_ptr\","
		"\"answer_ttl\",\"answers\",\"arcount\",\"cnames\",\"df\",\"flag_names\",\"flags\","
		"\"index\",\"ip_id\",\"ip_ttl\",\"len\",\"nscount\",\"parsed\",\"question_match\","
		"\"raw\",\"raw_cut\",\"rcode\",\"rtt_us\",\"sport\",\"src\",\"time_us\"]]'",
	};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		char cmd[2048];
		snprintf(cmd, sizeof cmd, "jq -e %s %s >/dev/null", checks[i], path);
		if (system(cmd) != 0) {
			CHECK(!"jq check failed");
			printf("#   %s\n", cmd);
		}
	}
	/* a negative control: the harness sees jq fail */
	char cmd[256];
	snprintf(cmd, sizeof cmd, "jq -e -s 'length == 13' %s >/dev/null", path);
	CHECK(system(cmd) != 0);
	unlink(path);
}

static void test_edges(void)
{
	static struct probe_result r;
	int rc;
	/* a target index outside the run's targets: only the index */
	t_result(&r, 0, 9, 1);
	char *s = render(&r, 0, &rc);
	CHECK(strstr(s, "\"target\":{\"index\":9},") != NULL);
	free(s);
	/* an unknown qtype and verdict still write */
	t_result(&r, 0, 0, 1);
	r.qtype = 65280;
	r.verdict = VERDICT_NONE;
	s = render(&r, 0, &rc);
	CHECK(strstr(s, "\"qtype\":\"TYPE65280\"") != NULL);
	CHECK(strstr(s, "\"verdict\":\"none\"") != NULL);
	free(s);
	/* a full device: the writer says so */
	FILE *f = fopen("/dev/full", "w");
	CHECK(f != NULL);
	if (f) {
		setvbuf(f, NULL, _IONBF, 0);
		struct probe_target tg[3];
		t_targets(tg);
		CHECK_EQ(ndjson_write_result(f, &r, tg, 3, 0), -1);
		fclose(f);
	}
}

/* The longest line the writer can be asked for: every reply kept, each with
 * every address (IPv6, the longest text), an unknown rcode, all raw bytes;
 * a name of 255 octets that escapes to the most text, a label and evidence
 * of control characters (6 characters each). The writer has no room checks
 * on its way (ndjson.c, LINE_TEXT_MAX): under ASan, a bound too small shows here. */
static void test_longest_line(void)
{
	static struct probe_result r;
	struct probe_target tg[3];
	t_targets(tg);
	t_result(&r, UINT64_MAX, 0, 3);
	memset(tg[0].label, 1, sizeof tg[0].label);
	memset(r.evidence, 1, sizeof r.evidence);
	/* 3 labels of 63 octets and one of 61 = 255 with the root; each octet
	 * '"', which the name's text escapes and JSON escapes again */
	size_t n = 0;
	for (int l = 0; l < 4; l++) {
		uint8_t len = l < 3 ? 63 : 61;
		r.qname[n++] = len;
		memset(r.qname + n, '"', len);
		n += len;
	}
	r.qname[n] = 0;
	r.seq = UINT64_MAX;
	r.line = UINT32_MAX;
	r.sent_us = UINT64_MAX;
	r.nreplies = PROBE_REPLIES_MAX;
	for (int i = 0; i < PROBE_REPLIES_MAX; i++) {
		struct probe_reply *p = &r.reply[i];
		p->family = AF_INET6;
		memset(p->src, 0xfe, sizeof p->src);
		p->time_us = UINT64_MAX;
		p->rtt_us = UINT32_MAX;
		p->parsed = true;
		p->ip_known = true;
		p->flags = 0xffff;
		p->rcode = 4095;
		p->answer_ttl = UINT32_MAX;
		p->naddrs = PROBE_ADDRS_MAX;
		for (int k = 0; k < PROBE_ADDRS_MAX; k++) {
			p->addrs[k].family = AF_INET6;
			memset(p->addrs[k].addr, 0xfe, 16);
			p->addrs[k].addr[15] = (uint8_t)k;
			p->addrs[k].ttl = UINT32_MAX;
		}
		p->rawlen = PROBE_RAW_MAX;
		p->len = 65535;
		memset(p->raw, 0xab, PROBE_RAW_MAX);
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK_EQ(ndjson_write_result(f, &r, tg, 3, NDJSON_RAW), 0);
	fclose(f);
	printf("# the longest line: %zu bytes\n", len);
	CHECK(len > 15000);
	CHECK_EQ(count_char(buf, '\n'), 1);
	CHECK(strstr(buf, "\"label\":\"\\u0001") != NULL);
	CHECK(strstr(buf, "\"rcode\":\"RCODE4095\"") != NULL);
	free(buf);
}

int main(void)
{
	RUN(test_exact_line);
	RUN(test_injected_keys);
	RUN(test_v6_and_escapes);
	RUN(test_raw_flag);
	RUN(test_jq_parse);
	RUN(test_edges);
	RUN(test_longest_line);
	return harness_done();
}

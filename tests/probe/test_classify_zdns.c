/* probe/classify_load: zdns's NDJSON output as a control run
 * (`dnswatch probe --control-run`), in zdns 2's shape ("results" per
 * module) and 1.x's (status and data at the top), mixed in one file with
 * dnswatch's own lines; statuses that say nothing about the name skipped. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "probe/classify.h"
#include "wire/msg.h"
#include "wire/name.h"

static char path[64];

static const char *write_tmp(const char *text)
{
	snprintf(path, sizeof path, "/tmp/dw-zdns-XXXXXX");
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return path;
	size_t len = strlen(text);
	CHECK_EQ(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void control(struct classify *c, const char *name, uint16_t qtype, struct classify_control *ctl)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t l;
	CHECK_EQ(wire_name_from_text(name, w, &l), DW_OK);
	classify_control_get(c, w, qtype, ctl);
}

static bool has_v4(const struct classify_control *ctl, const char *a)
{
	uint8_t b[4];
	if (inet_pton(AF_INET, a, b) != 1)
		return false;
	for (unsigned i = 0; i < ctl->naddrs; i++)
		if (ctl->addrs[i].family == AF_INET && !memcmp(ctl->addrs[i].addr, b, 4))
			return true;
	return false;
}

static void test_zdns(void)
{
	const char *text =
		/* zdns 2: the A module, two addresses after a CNAME */
		"{\"name\":\"www.example.com\",\"results\":{\"A\":{\"data\":{\"additionals\":[{\"flags\":\"\",\"type\":\"EDNS0\",\"udpsize\":512,\"version\":0}],"
		"\"answers\":[{\"answer\":\"cdn.example.net.\",\"class\":\"IN\",\"name\":\"www.example.com\",\"ttl\":300,\"type\":\"CNAME\"},"
		"{\"answer\":\"192.0.2.10\",\"class\":\"IN\",\"name\":\"cdn.example.net\",\"ttl\":300,\"type\":\"A\"},"
		"{\"answer\":\"192.0.2.11\",\"class\":\"IN\",\"name\":\"cdn.example.net\",\"ttl\":300,\"type\":\"A\"}],"
		"\"protocol\":\"udp\",\"resolver\":\"1.1.1.1:53\"},\"duration\":0.03,\"status\":\"NOERROR\",\"timestamp\":\"2024-09-13T09:51:34-04:00\"}}}\n"
		/* zdns 2: NXDOMAIN, and NOERROR with no AAAA (NODATA) */
		"{\"name\":\"gone.example\",\"results\":{\"A\":{\"data\":{\"protocol\":\"udp\",\"resolver\":\"1.1.1.1:53\"},\"status\":\"NXDOMAIN\"}}}\n"
		"{\"name\":\"v4only.example\",\"results\":{\"AAAA\":{\"data\":{\"answers\":[]},\"status\":\"NOERROR\"}}}\n"
		/* a timeout says nothing */
		"{\"name\":\"slow.example\",\"results\":{\"A\":{\"data\":{},\"status\":\"TIMEOUT\"}}}\n"
		/* zdns 1.x: status and data at the top; AAAA answers */
		"{\"name\":\"old.example\",\"class\":\"IN\",\"status\":\"NOERROR\",\"timestamp\":\"2019-01-01T00:00:00Z\","
		"\"data\":{\"answers\":[{\"ttl\":60,\"type\":\"AAAA\",\"class\":\"IN\",\"name\":\"old.example\",\"answer\":\"2001:db8::1\"}],"
		"\"additionals\":[],\"authorities\":[],\"protocol\":\"udp\",\"resolver\":\"8.8.8.8:53\"}}\n"
		/* zdns 2 alookup */
		"{\"name\":\"al.example\",\"results\":{\"ALOOKUP\":{\"data\":{\"ipv4_addresses\":[\"198.51.100.7\"]},\"status\":\"NOERROR\"}}}\n"
		/* a bad address and a bad name are passed over */
		"{\"name\":\"bad..name\",\"results\":{\"A\":{\"data\":{\"answers\":[{\"type\":\"A\",\"answer\":\"192.0.2.1\"}]},\"status\":\"NOERROR\"}}}\n"
		"{\"name\":\"badaddr.example\",\"results\":{\"A\":{\"data\":{\"answers\":[{\"type\":\"A\",\"answer\":\"999.0.2.1\"}]},\"status\":\"NOERROR\"}}}\n"
		/* one of our own lines in the same file */
		"{\"seq\":0,\"line\":1,\"name\":\"ours.example.\",\"qtype\":\"A\",\"verdict\":\"ok\",\"forged_reply\":null,"
		"\"replies\":[{\"parsed\":true,\"question_match\":true,\"rcode\":\"NOERROR\",\"answers\":[{\"addr\":\"203.0.113.5\"}]}]}\n";
	const char *p = write_tmp(text);
	struct classify *c = classify_new(NULL);
	CHECK(c != NULL);
	if (!c)
		return;
	struct dw_error err;
	dw_error_clear(&err);
	/* www A, gone A, v4only AAAA, old AAAA, al A, badaddr A (NODATA), ours */
	CHECK_EQ(classify_load_ndjson(c, p, CLASSIFY_LOAD_CONTROL | CLASSIFY_LOAD_FORGED, &err), 7);
	CHECK_STR(err.text, "");
	struct classify_control ctl;
	control(c, "www.example.com", WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_ADDRS);
	CHECK_EQ(ctl.source, CLASSIFY_SRC_RUN);
	CHECK_EQ(ctl.naddrs, 2);
	CHECK(has_v4(&ctl, "192.0.2.10") && has_v4(&ctl, "192.0.2.11"));
	control(c, "gone.example", WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_RCODE);
	CHECK_EQ(ctl.rcode, WIRE_RCODE_NXDOMAIN);
	control(c, "v4only.example", WIRE_T_AAAA, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_NODATA);
	control(c, "slow.example", WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_UNKNOWN);
	control(c, "old.example", WIRE_T_AAAA, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_ADDRS);
	CHECK_EQ(ctl.naddrs, 1);
	control(c, "old.example", WIRE_T_A, &ctl); /* 1.x: no A asked that we know of */
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_UNKNOWN);
	control(c, "al.example", WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_ADDRS);
	CHECK(has_v4(&ctl, "198.51.100.7"));
	control(c, "al.example", WIRE_T_AAAA, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_UNKNOWN);
	control(c, "badaddr.example", WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_NODATA);
	control(c, "ours.example", WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_ADDRS);
	CHECK(has_v4(&ctl, "203.0.113.5"));
	/* The forged set only: zdns lines give nothing to it. */
	classify_free(c);
	c = classify_new(NULL);
	CHECK_EQ(classify_load_ndjson(c, p, CLASSIFY_LOAD_FORGED, &err), 0);
	CHECK_EQ(classify_control_count(c), 0);
	classify_free(c);
	unlink(p);

	/* A broken zdns line is told by its line, as ours are. */
	p = write_tmp("{\"name\":\"a.example\",\"results\":{\"A\":{\"status\":\"NOERROR\"}}}\n{\"name\":\"b\",\"results\":{\n");
	c = classify_new(NULL);
	CHECK_EQ(classify_load_ndjson(c, p, CLASSIFY_LOAD_CONTROL, &err), -1);
	CHECK(strstr(err.text, ":2: ") != NULL);
	classify_free(c);
	unlink(p);
}

/* An answer key's rcodes by name (classify_load's rcode_from_name, which
 * every key line with addresses asks first): names, RCODEn as
 * wire_rcode_name writes it, nothing else. */
static void test_key_rcodes(void)
{
	const char *p = write_tmp("# dnswatch lab answer key v1 seed=1\n"
				  "name\ttype\taddresses\tzone\tserver\tttl\n"
				  "a.example.\tA\tNXDOMAIN\texample.\t198.19.54.6\t300\n"
				  "b.example.\tA\tBADVERS\texample.\t198.19.54.6\t300\n"
				  "c.example.\tA\tRCODE4095\texample.\t198.19.54.6\t300\n"
				  "d.example.\tA\tRCODE12\texample.\t198.19.54.6\t300\n"
				  "e.example.\tA\t192.0.2.1\texample.\t198.19.54.6\t300\n");
	struct classify *c = classify_new(NULL);
	struct dw_error err;
	CHECK_EQ(classify_control_load_key(c, p, &err), 5);
	struct classify_control ctl;
	control(c, "a.example", WIRE_T_A, &ctl);
	CHECK_EQ(ctl.rcode, WIRE_RCODE_NXDOMAIN);
	control(c, "b.example", WIRE_T_A, &ctl);
	CHECK_EQ(ctl.rcode, 16);
	control(c, "c.example", WIRE_T_A, &ctl);
	CHECK_EQ(ctl.rcode, 4095);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_RCODE);
	control(c, "d.example", WIRE_T_A, &ctl);
	CHECK_EQ(ctl.rcode, 12);
	control(c, "e.example", WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_ADDRS);
	classify_free(c);
	unlink(p);
	/* not rcodes: a leading zero, the number of a named one, too large */
	static const char *const bad[] = {"RCODE03", "RCODE3", "RCODE4096", "RCODE", "rcode5"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char key[512];
		snprintf(key, sizeof key, "# dnswatch lab answer key v1 seed=1\n"
					  "name\ttype\taddresses\tzone\tserver\tttl\n"
					  "a.example.\tA\t%s\texample.\t198.19.54.6\t300\n", bad[i]);
		p = write_tmp(key);
		c = classify_new(NULL);
		if (classify_control_load_key(c, p, &err) != -1)
			FAIL("%s taken as an rcode", bad[i]);
		classify_free(c);
		unlink(p);
	}
}

int main(void)
{
	RUN(test_zdns);
	RUN(test_key_rcodes);
	return harness_done();
}

/* probe/names: the lists `dnswatch probe` reads, in each format (plain,
 * csv-rank, citizenlab, zone) and detected from the content: comments and
 * blank lines skipped, invalid lines told by FILE:LINE and counted,
 * repeats counted and skipped, the valid names in wire form with the line
 * their record starts on, read errors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "probe/names.h"

static char told[8][DW_ERROR_TEXT];
static int ntold;

static void on_invalid(void *ctx, const struct dw_error *why)
{
	(void)ctx;
	if (ntold < 8)
		snprintf(told[ntold], sizeof told[ntold], "%s", why->text);
	ntold++;
}

static void test_read(void)
{
	static char text[8192];
	char a64[65], longline[PROBE_NAMES_LINE_MAX + 100];
	memset(a64, 'a', 64);
	a64[64] = '\0';
	memset(longline, 'x', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	snprintf(text, sizeof text,
		 "www.example.com\nbad..name\n# a comment\n\n  ok.example.org  # trailing\n"
		 "with space.com\n%s.com\n%s\nlast.example\r\n",
		 a64, longline);
	FILE *f = fmemopen(text, strlen(text), "r");
	CHECK(f != NULL);
	if (!f)
		return;
	struct probe_names n;
	probe_names_init(&n, f, "names.txt");
	n.on_invalid = on_invalid;
	ntold = 0;
	uint8_t name[WIRE_NAME_MAX], want[WIRE_NAME_MAX];
	uint64_t line = 0;
	struct dw_error err;
	dw_error_clear(&err);
	size_t wl;

	CHECK_EQ(probe_names_next(&n, name, &line, &err), 1);
	CHECK_EQ(line, 1);
	CHECK_EQ(wire_name_from_text("www.example.com", want, &wl), DW_OK);
	CHECK_MEM(name, want, wl);

	CHECK_EQ(probe_names_next(&n, name, &line, &err), 1);
	CHECK_EQ(line, 5);
	CHECK_EQ(wire_name_from_text("ok.example.org", want, &wl), DW_OK);
	CHECK_MEM(name, want, wl);
	CHECK_EQ(ntold, 1);
	CHECK_STR(told[0], "names.txt:2: invalid name 'bad..name': empty label, skipped");

	CHECK_EQ(probe_names_next(&n, name, &line, &err), 1);
	CHECK_EQ(line, 9);
	CHECK_EQ(wire_name_from_text("last.example", want, &wl), DW_OK);
	CHECK_MEM(name, want, wl);
	CHECK_EQ(ntold, 4);
	CHECK_STR(told[1], "names.txt:6: invalid name 'with space.com': bad character (letters, "
			   "digits, '-', '_' and '.' only), skipped");
	CHECK(strncmp(told[2], "names.txt:7: invalid name 'aaaa", 31) == 0);
	CHECK(strstr(told[2], "': label over 63 octets, skipped") != NULL);
	CHECK_STR(told[3], "names.txt:8: line too long for a domain name, skipped");

	CHECK_EQ(probe_names_next(&n, name, &line, &err), 0);
	CHECK_EQ(n.invalid, 4);
	CHECK_STR(n.first_invalid.text, told[0]);
	CHECK_EQ(n.first_invalid.status, DW_E_SYNTAX);
	CHECK_STR(err.text, "");
	fclose(f);
}

/* Without a callback the lines are only counted, the first kept. */
static void test_counted(void)
{
	static char text[] = "a..b\n*.x.com\nfine.example\n";
	FILE *f = fmemopen(text, strlen(text), "r");
	CHECK(f != NULL);
	if (!f)
		return;
	struct probe_names n;
	probe_names_init(&n, f, "<stdin>");
	uint8_t name[WIRE_NAME_MAX];
	uint64_t line = 0;
	struct dw_error err;
	CHECK_EQ(probe_names_next(&n, name, &line, &err), 1);
	CHECK_EQ(line, 3);
	CHECK_EQ(n.invalid, 2);
	CHECK_STR(n.first_invalid.text, "<stdin>:1: invalid name 'a..b': empty label, skipped");
	probe_names_free(&n); /* stopped before the end: the set released */
	fclose(f);
}

static void test_read_error(void)
{
	FILE *f = fopen("/dev/null", "w"); /* reading it fails */
	CHECK(f != NULL);
	if (!f)
		return;
	struct probe_names n;
	probe_names_init(&n, f, "out.txt");
	uint8_t name[WIRE_NAME_MAX];
	uint64_t line = 0;
	struct dw_error err;
	dw_error_clear(&err);
	CHECK_EQ(probe_names_next(&n, name, &line, &err), -1);
	CHECK_STR(err.text, "out.txt: read error");
	CHECK_EQ(err.status, DW_E_IO);
	fclose(f);
}

static void test_check(void)
{
	uint8_t w[WIRE_NAME_MAX];
	CHECK(probe_name_check("www.example.com.", w) == NULL);
	CHECK(probe_name_check("_dmarc.example-1.com", w) == NULL);
	CHECK_STR(probe_name_check("*.wild.com", w), "bad character (letters, digits, '-', '_' and '.' only)");
	CHECK_STR(probe_name_check("a..b", w), "empty label");
}

/* ---- every format: read TEXT whole, the names as "name.:LINE" joined by
 * spaces into got, what was told into told[] ---------------------------- */

static char got[4096];

static int read_all(const char *text, enum probe_names_format asked, struct probe_names *n,
		    struct dw_error *err)
{
	FILE *f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	CHECK(f != NULL);
	if (!f)
		return -2;
	probe_names_init(n, f, "list");
	probe_names_set_format(n, asked);
	n->on_invalid = on_invalid;
	ntold = 0;
	got[0] = '\0';
	dw_error_clear(err);
	uint8_t name[WIRE_NAME_MAX];
	uint64_t line;
	int r;
	while ((r = probe_names_next(n, name, &line, err)) == 1) {
		char t[WIRE_NAME_TEXT_MAX];
		wire_name_to_text(name, t, sizeof t);
		size_t l = strlen(got);
		snprintf(got + l, sizeof got - l, "%s%s:%llu", l ? " " : "", t, (unsigned long long)line);
	}
	probe_names_free(n);
	fclose(f);
	return r;
}

static void test_plain_dups(void)
{
	struct probe_names n;
	struct dw_error err;
	CHECK_EQ(read_all("# top\nA.example\nb.example\na.EXAMPLE\nb.example.\n", PROBE_NAMES_AUTO, &n,
			  &err), 0);
	CHECK_STR(got, "A.example.:2 b.example.:3");
	CHECK_EQ(n.format, PROBE_NAMES_PLAIN);
	CHECK_EQ(n.duplicates, 2);
	CHECK_EQ(n.invalid, 0);
}

/* Tranco: rank,name, no header; bad ranks and names told. */
static void test_csv_rank(void)
{
	struct probe_names n;
	struct dw_error err;
	CHECK_EQ(read_all("1,google.com\n2,bad..name\nx,foo.com\n3,\n4,GOOGLE.com\n\n# c\n"
			  "5,\"quoted.example\"\n6\n7,with space.com\n8,last.example,extra\n",
			  PROBE_NAMES_AUTO, &n, &err), 0);
	CHECK_EQ(n.format, PROBE_NAMES_CSV_RANK);
	CHECK_EQ(n.header, false);
	CHECK_STR(got, "google.com.:1 quoted.example.:8 last.example.:11");
	CHECK_EQ(n.duplicates, 1);
	CHECK_EQ(ntold, 5);
	CHECK_STR(told[0], "list:2: invalid name 'bad..name': empty label, skipped");
	CHECK_STR(told[1], "list:3: bad rank 'x' (a rank,name line), skipped");
	CHECK_STR(told[2], "list:4: empty name, skipped");
	CHECK_STR(told[3], "list:9: no name (column 2), skipped");
	CHECK(strncmp(told[4], "list:10: invalid name 'with space.com': bad character", 53) == 0);
}

/* Umbrella-style with a BOM, a header and CRLF; a header naming its
 * domain column (Majestic's shape) picks that column. */
static void test_csv_header(void)
{
	struct probe_names n;
	struct dw_error err;
	CHECK_EQ(read_all("\xef\xbb\xbfrank,domain\r\n1,one.example\r\n2,two.example\r\n",
			  PROBE_NAMES_AUTO, &n, &err), 0);
	CHECK_EQ(n.format, PROBE_NAMES_CSV_RANK);
	CHECK_EQ(n.header, true);
	CHECK_STR(got, "one.example.:2 two.example.:3");
	CHECK_EQ(ntold, 0);

	CHECK_EQ(read_all("GlobalRank,TldRank,Domain,TLD\n1,1,google.com,com\n2,2,bad!.com,com\n",
			  PROBE_NAMES_AUTO, &n, &err), 0);
	CHECK_STR(got, "google.com.:2");
	CHECK_EQ(n.invalid, 1);

	/* Asked for: a BOM'd Tranco list read as csv-rank. */
	CHECK_EQ(read_all("\xef\xbb\xbf" "1,a.example\n", PROBE_NAMES_CSV_RANK, &n, &err), 0);
	CHECK_STR(got, "a.example.:1");
}

/* Citizen Lab: the url column's host; quoted fields with commas and line
 * ends; IP hosts counted, not told; bad URLs told. */
static void test_citizenlab(void)
{
	struct probe_names n;
	struct dw_error err;
	const char *list =
		"url,category_code,category_description,date_added,source,notes\n"
		"http://www.example.com/,NEWS,News Media,2014-04-15,citizenlab,\n"
		"\"https://user:pw@Foo.example.org:8443/a,b?x=1\",POLR,\"Political, Criticism\",2014,cl,\"a note,\n"
		"on two lines\"\n"
		"http://1.2.3.4/,HOST,Hosting,2014,cl,\n"
		"https://[2001:db8::1]:443/x,HOST,Hosting,2014,cl,\n"
		"https://bad_host..com/,X,x,2014,cl,\n"
		",X,x,2014,cl,\n"
		"http://:80/,X,x,2014,cl,\n"
		"http://x.example:8a/,X,x,2014,cl,\n"
		"ht tp://y.example/,X,x,2014,cl,\n"
		"www.noscheme.example/path,X,x,2014,cl,\n"
		"https://www.example.com./other,NEWS,News Media,2015,cl,\n";
	CHECK_EQ(read_all(list, PROBE_NAMES_AUTO, &n, &err), 0);
	CHECK_EQ(n.format, PROBE_NAMES_CITIZENLAB);
	CHECK_STR(got, "www.example.com.:2 Foo.example.org.:3 www.noscheme.example.:12");
	CHECK_EQ(n.addresses, 2);
	CHECK_EQ(n.duplicates, 1);
	CHECK_EQ(ntold, 5);
	CHECK_STR(told[0], "list:7: invalid name 'bad_host..com' (the url's host): empty label, skipped");
	CHECK_STR(told[1], "list:8: empty url, skipped");
	CHECK_STR(told[2], "list:9: invalid url 'http://:80/': no host, skipped");
	CHECK_STR(told[3], "list:10: invalid url 'http://x.example:8a/': bad port, skipped");
	CHECK_STR(told[4], "list:11: invalid url 'ht tp://y.example/': bad scheme, skipped");

	/* Asked for, without a url column: the reader says so and stops. */
	CHECK_EQ(read_all("1,google.com\n", PROBE_NAMES_CITIZENLAB, &n, &err), -1);
	CHECK_STR(err.text, "list:1: no 'url' column in the header (a Citizen Lab test list)");

	/* A stray quote ends after PROBE_NAMES_QUOTE_LINES_MAX lines, and one
	 * still open at the end is told. */
	char big[2048] = "url\n\"http://a.example/\n";
	for (int i = 0; i < PROBE_NAMES_QUOTE_LINES_MAX; i++)
		strcat(big, "x\n");
	strcat(big, "http://b.example/\n\"http://c.example/\n");
	CHECK_EQ(read_all(big, PROBE_NAMES_AUTO, &n, &err), 0);
	CHECK_STR(got, "b.example.:19");
	CHECK_EQ(ntold, 2);
	CHECK_STR(told[0], "list:2: quoted field not closed within 16 lines, skipped");
	CHECK_STR(told[1], "list:20: quoted field not closed at the end of the file, skipped");
}

/* Zone files: the owners of NS records. */
static void test_zone(void)
{
	struct probe_names n;
	struct dw_error err;
	const char *zone =
		"; example.com\n"                                  /* 1 */
		"$ORIGIN example.com.\n"                           /* 2 */
		"$TTL 3600\n"                                      /* 3 */
		"@ IN SOA ns1 hostmaster (\n"                      /* 4 */
		"      1 7200 3600 1209600 300 ) ; serial...\n"    /* 5 */
		"@ NS ns1\n"                                       /* 6 */
		"  NS ns2.example.net.\n"                          /* 7: same owner, a repeat */
		"sub 300 IN NS ns.sub\n"                           /* 8 */
		"sub IN 300 NS ns2.sub\n"                          /* 9: repeat */
		"www A 192.0.2.1\n"                                /* 10 */
		"    1h IN ns x.example.\n"                        /* 11: www's */
		"txt TXT \"a ; ( b\" ( \"c\"\n"                    /* 12 */
		"  )\n"                                            /* 13 */
		"abs.example.org. NS x.\n"                         /* 14 */
		"$INCLUDE other.zone\n"                            /* 15 */
		"$GENERATE 1-2 x$ A 1.2.3.4\n"                     /* 16 */
		"bad..x NS y\n"                                    /* 17 */
		"lonely\n"                                         /* 18 */
		"rec (\n"                                          /* 19 */
		"  IN\n"                                           /* 20 */
		"  NS x. )\n"                                      /* 21 */
		"$ORIGIN sub\n"                                    /* 22: relative */
		"deep TYPE2 x.\n"                                  /* 23 */
		"open ( NS x.\n";                                  /* 24 */
	CHECK_EQ(read_all(zone, PROBE_NAMES_AUTO, &n, &err), 0);
	CHECK_EQ(n.format, PROBE_NAMES_ZONE);
	CHECK_STR(got, "example.com.:6 sub.example.com.:8 www.example.com.:11 abs.example.org.:14 "
		       "rec.example.com.:19 deep.sub.example.com.:23");
	CHECK_EQ(n.duplicates, 2);
	CHECK_EQ(ntold, 5);
	CHECK_STR(told[0], "list:15: $INCLUDE not followed (give the included file itself), skipped");
	CHECK_STR(told[1], "list:16: unknown directive '$GENERATE', skipped");
	CHECK_STR(told[2], "list:17: invalid name 'bad..x.example.com.' (an NS record's owner): empty label, skipped");
	CHECK_STR(told[3], "list:18: no record type, skipped");
	CHECK_STR(told[4], "list:24: '(' not closed at the end of the file, skipped");

	/* No $ORIGIN: relative owners cannot be placed; ')' alone is told. */
	CHECK_EQ(read_all("com. 172800 IN NS a.gtld-servers.net.\nrel NS x.\n@ NS x.\n  NS y. )\n"
			  "net.\t172800\tIN\tNS\ta.gtld-servers.net.\n",
			  PROBE_NAMES_ZONE, &n, &err), 0);
	CHECK_STR(got, "com.:1 net.:5");
	CHECK_EQ(ntold, 3);
	CHECK_STR(told[0], "list:2: invalid owner 'rel': a relative name and no $ORIGIN, skipped");
	CHECK_STR(told[1], "list:3: invalid owner '@': '@' and no $ORIGIN, skipped");
	CHECK_STR(told[2], "list:4: ')' with no '(' before it, skipped");
}

/* Detection from the first line that is not blank or a '#' comment, and
 * the format names. */
static void test_detect(void)
{
	struct probe_names n;
	struct dw_error err;
	CHECK_EQ(read_all("\n# names\nexample.com\n", PROBE_NAMES_AUTO, &n, &err), 0);
	CHECK_EQ(n.format, PROBE_NAMES_PLAIN);
	CHECK_EQ(read_all("example.com. 3600 IN NS ns.example.com.\n", PROBE_NAMES_AUTO, &n, &err), 0);
	CHECK_EQ(n.format, PROBE_NAMES_ZONE);
	CHECK_STR(got, "example.com.:1");
	CHECK_EQ(read_all("$TTL 60\n", PROBE_NAMES_AUTO, &n, &err), 0);
	CHECK_EQ(n.format, PROBE_NAMES_ZONE);
	CHECK_EQ(read_all("\xef\xbb\xbfurl,category_code\r\nhttps://a.example/\r\n", PROBE_NAMES_AUTO,
			  &n, &err), 0);
	CHECK_EQ(n.format, PROBE_NAMES_CITIZENLAB);
	CHECK_STR(got, "a.example.:2");
	/* Asked for plain, a Tranco line is one bad name. */
	CHECK_EQ(read_all("1,google.com\n", PROBE_NAMES_PLAIN, &n, &err), 0);
	CHECK_EQ(n.invalid, 1);

	enum probe_names_format f;
	const char *names[] = {"auto", "plain", "csv-rank", "citizenlab", "zone"};
	for (int i = 0; i < 5; i++) {
		CHECK(probe_names_format_parse(names[i], &f));
		CHECK_EQ(f, (enum probe_names_format)i);
		CHECK_STR(probe_names_format_name(f), names[i]);
	}
	CHECK(!probe_names_format_parse("csv", &f));
}

/* A list longer than one table: the set grows, every repeat caught. */
static void test_many(void)
{
	size_t cap = 20000 * 24;
	char *text = malloc(cap);
	CHECK(text != NULL);
	if (!text)
		return;
	size_t l = 0;
	for (int i = 0; i < 20000; i++)
		l += (size_t)snprintf(text + l, cap - l, "%d,n%d.example\n", i + 1, i % 15000);
	FILE *f = fmemopen(text, l, "r");
	struct probe_names n;
	probe_names_init(&n, f, "big");
	uint8_t name[WIRE_NAME_MAX];
	uint64_t line;
	struct dw_error err;
	unsigned long count = 0;
	int r;
	while ((r = probe_names_next(&n, name, &line, &err)) == 1)
		count++;
	CHECK_EQ(r, 0);
	CHECK_EQ(count, 15000);
	CHECK_EQ(n.duplicates, 5000);
	CHECK(n.seen == NULL); /* released at the end */
	fclose(f);
	free(text);
}

int main(void)
{
	RUN(test_read);
	RUN(test_counted);
	RUN(test_read_error);
	RUN(test_check);
	RUN(test_plain_dups);
	RUN(test_csv_rank);
	RUN(test_csv_header);
	RUN(test_citizenlab);
	RUN(test_zone);
	RUN(test_detect);
	RUN(test_many);
	return harness_done();
}

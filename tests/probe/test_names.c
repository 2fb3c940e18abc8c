/* probe/names: the text file of names `dnswatch probe` reads: comments and
 * blank lines skipped, invalid lines told by FILE:LINE and counted, the
 * valid names in wire form with their line numbers, read errors. */
#include <stdio.h>
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
	static char text[4096];
	char a64[65], longline[1300];
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

int main(void)
{
	RUN(test_read);
	RUN(test_counted);
	RUN(test_read_error);
	RUN(test_check);
	return harness_done();
}

/* key/key: the answer key written with key_write_header/key_write_row and
 * read back with key_open/key_next; what the reader refuses, with the file
 * and line; a name with no wire form is a row with its name_status. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "key/key.h"
#include "wire/msg.h"

static char tmpdir[] = "/tmp/dw-test-key-XXXXXX";
static char path[300];

/* Write TEXT to the test's key file; its path. */
static const char *key_file(const char *text)
{
	snprintf(path, sizeof path, "%s/answers.tsv", tmpdir);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return path;
	fputs(text, f);
	CHECK_EQ(fclose(f), 0);
	return path;
}

static bool name_is(const struct key_row *row, const char *text)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t n;
	return row->name_status == DW_OK && wire_name_from_text(text, w, &n) == DW_OK &&
	       memcmp(row->wire, w, n) == 0;
}

static void test_roundtrip(void)
{
	snprintf(path, sizeof path, "%s/written.tsv", tmpdir);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(key_write_header(f, 42, 4, 2), 0);
	CHECK_EQ(key_write_row(f, "www.example.com.", "A", "198.18.1.2,198.18.1.3", "example.com.",
			       "198.19.54.1", 300), 0);
	CHECK_EQ(key_write_row(f, "www.example.com.", "AAAA", "fd53::1", "example.com.",
			       "198.19.54.1", 0), 0);
	CHECK_EQ(key_write_row(f, "gone.example.com.", "A", "NXDOMAIN", NULL, NULL, 2147483647L),
		 0);
	CHECK_EQ(key_write_row(f, "mail.example.net.", "A", "-", "ignored.", "ignored", -1), 0);
	CHECK_EQ(fclose(f), 0);

	/* the bytes: the version line, the column line, one line per row */
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char all[1024];
	size_t n = fread(all, 1, sizeof all - 1, f);
	all[n] = '\0';
	fclose(f);
	CHECK_STR(all, "# dnswatch lab answer key v1 seed=42 names=4 zones=2\n"
		       "name\ttype\taddresses\tzone\tserver\tttl\n"
		       "www.example.com.\tA\t198.18.1.2,198.18.1.3\texample.com.\t198.19.54.1\t300\n"
		       "www.example.com.\tAAAA\tfd53::1\texample.com.\t198.19.54.1\t0\n"
		       "gone.example.com.\tA\tNXDOMAIN\t-\t-\t2147483647\n"
		       "mail.example.net.\tA\t-\n");

	struct key_reader r;
	struct key_row row;
	struct dw_error e = {0};
	CHECK_EQ(key_open(&r, path, &e), 0);
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK_STR(row.name, "www.example.com.");
	CHECK(name_is(&row, "www.example.com."));
	CHECK_EQ(row.type, WIRE_T_A);
	CHECK_STR(row.type_text, "A");
	CHECK_STR(row.answer, "198.18.1.2,198.18.1.3");
	CHECK_STR(row.zone, "example.com.");
	CHECK_STR(row.server, "198.19.54.1");
	CHECK_EQ(row.ttl, 300);
	CHECK_EQ(row.columns, 6);
	CHECK_EQ(row.line, 3);
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK_EQ(row.type, WIRE_T_AAAA);
	CHECK_STR(row.answer, "fd53::1");
	CHECK_EQ(row.ttl, 0);
	CHECK_EQ(row.line, 4);
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK_STR(row.name, "gone.example.com.");
	CHECK_STR(row.answer, "NXDOMAIN");
	CHECK_STR(row.zone, "-");
	CHECK_STR(row.server, "-");
	CHECK_EQ(row.ttl, 2147483647L);
	CHECK_EQ(row.line, 5);
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK_STR(row.name, "mail.example.net.");
	CHECK_STR(row.answer, "-");
	CHECK(row.zone == NULL);
	CHECK(row.server == NULL);
	CHECK_EQ(row.ttl, -1);
	CHECK_EQ(row.columns, 3);
	CHECK_EQ(row.line, 6);
	/* the end, and it stays the end */
	CHECK_EQ(key_next(&r, &row, &e), 0);
	CHECK_EQ(key_next(&r, &row, &e), 0);
	CHECK_EQ(e.status, DW_OK);
	key_close(&r);
	CHECK(r.f == NULL && r.buf == NULL);
}

/* A key written by hand: no header, 4 and 5 columns, comments, blank
 * lines, CRLF, a lower-case type; line numbers count every line. */
static void test_hand_written(void)
{
	const char *p = key_file("# my own key\n"
				 "\n"
				 "a.example.\tA\t192.0.2.1\r\n"
				 "b.example.\taaaa\t2001:db8::1\tb.example.\n"
				 "\r\n"
				 "c.example.\tA\t192.0.2.3\texample.\t192.0.2.53\n"
				 "d.example.\tA\t\n");
	struct key_reader r;
	struct key_row row;
	struct dw_error e = {0};
	CHECK_EQ(key_open(&r, p, &e), 0);
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK_STR(row.name, "a.example.");
	CHECK_STR(row.answer, "192.0.2.1"); /* no \r */
	CHECK_EQ(row.columns, 3);
	CHECK_EQ(row.line, 3);
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK_EQ(row.type, WIRE_T_AAAA);
	CHECK_STR(row.type_text, "aaaa");
	CHECK_STR(row.zone, "b.example.");
	CHECK(row.server == NULL);
	CHECK_EQ(row.ttl, -1);
	CHECK_EQ(row.columns, 4);
	CHECK_EQ(row.line, 4);
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK_STR(row.server, "192.0.2.53");
	CHECK_EQ(row.ttl, -1);
	CHECK_EQ(row.columns, 5);
	CHECK_EQ(row.line, 6);
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK_STR(row.answer, ""); /* an empty third column is still three */
	CHECK_EQ(row.columns, 3);
	CHECK_EQ(row.line, 7);
	CHECK_EQ(key_next(&r, &row, &e), 0);
	key_close(&r);
}

/* Read the key TEXT to its first failure: the status, with the error's
 * text in E; rows before it are counted into *ROWS. */
static int read_until_error(const char *text, struct dw_error *e, int *rows)
{
	const char *p = key_file(text);
	struct key_reader r;
	struct key_row row;
	*rows = 0;
	dw_error_clear(e);
	CHECK_EQ(key_open(&r, p, e), 0);
	if (!r.f)
		return -2;
	int rc;
	while ((rc = key_next(&r, &row, e)) == 1)
		(*rows)++;
	key_close(&r);
	return rc;
}

/* "PATH:LINE: REASON" */
static void check_error(const struct dw_error *e, enum dw_status st, int line, const char *reason)
{
	char want[600];
	snprintf(want, sizeof want, "%s:%d: %s", path, line, reason);
	CHECK_EQ(e->status, st);
	CHECK_STR(e->text, want);
}

static void test_version(void)
{
	struct dw_error e;
	int rows;
	CHECK_EQ(read_until_error("# dnswatch lab answer key v2 seed=1 names=1 zones=1\n"
				  "a.example.\tA\t192.0.2.1\n", &e, &rows), -1);
	CHECK_EQ(rows, 0);
	check_error(&e, DW_E_VERSION, 1, "answer key version 2 (this reads 1)");
	CHECK_EQ(read_until_error("# dnswatch lab answer key v0\n", &e, &rows), -1);
	check_error(&e, DW_E_VERSION, 1, "answer key version 0 (this reads 1)");
	CHECK_EQ(read_until_error("# dnswatch lab answer key vX\n", &e, &rows), -1);
	CHECK_EQ(e.status, DW_E_VERSION);
	/* a version line further down is read too, with its own line number */
	CHECK_EQ(read_until_error("a.example.\tA\t192.0.2.1\n# comment\n"
				  "# dnswatch lab answer key v10\n", &e, &rows), -1);
	CHECK_EQ(rows, 1);
	check_error(&e, DW_E_VERSION, 3, "answer key version 10 (this reads 1)");
	/* version 1 and comments without a version are fine */
	CHECK_EQ(read_until_error("# dnswatch lab answer key v1 seed=9\n# just a comment\n"
				  "a.example.\tA\t192.0.2.1\n", &e, &rows), 0);
	CHECK_EQ(rows, 1);
}

static void test_columns(void)
{
	struct dw_error e;
	int rows;
	const char *reason = "fewer than 3 TAB-separated fields (name type addresses ...)";
	CHECK_EQ(read_until_error("name\ttype\taddresses\na.example.\tA\t192.0.2.1\n"
				  "b.example.\tA\n", &e, &rows), -1);
	CHECK_EQ(rows, 1);
	check_error(&e, DW_E_SYNTAX, 3, reason);
	CHECK_EQ(read_until_error("b.example.\n", &e, &rows), -1);
	check_error(&e, DW_E_SYNTAX, 1, reason);
	/* spaces are not TABs */
	CHECK_EQ(read_until_error("\n\nb.example. A 192.0.2.1\n", &e, &rows), -1);
	check_error(&e, DW_E_SYNTAX, 3, reason);
	/* a seventh column is not ignored */
	CHECK_EQ(read_until_error("a.example.\tA\t192.0.2.1\texample.\t192.0.2.53\t300\n"
				  "b.example.\tA\t192.0.2.2\texample.\t192.0.2.53\t300\textra\n",
				  &e, &rows), -1);
	CHECK_EQ(rows, 1);
	check_error(&e, DW_E_SYNTAX, 2,
		    "more than 6 TAB-separated fields (name type addresses zone server ttl)");
}

static void test_bad_type(void)
{
	struct dw_error e;
	int rows;
	CHECK_EQ(read_until_error("a.example.\tBOGUS\t192.0.2.1\n", &e, &rows), -1);
	check_error(&e, DW_E_SYNTAX, 1, "bad type 'BOGUS'");
	CHECK_EQ(read_until_error("a.example.\t\t192.0.2.1\n", &e, &rows), -1);
	check_error(&e, DW_E_SYNTAX, 1, "bad type ''");
	CHECK_EQ(read_until_error("a.example.\tTYPE0\t192.0.2.1\n", &e, &rows), -1);
	check_error(&e, DW_E_SYNTAX, 1, "bad type 'TYPE0'");
	/* a long type is cut to 20 characters in the message */
	CHECK_EQ(read_until_error("a.example.\tABCDEFGHIJKLMNOPQRSTUVWXYZ\tx\n", &e, &rows), -1);
	check_error(&e, DW_E_SYNTAX, 1, "bad type 'ABCDEFGHIJKLMNOPQRST'");
	/* a type by number is a type */
	CHECK_EQ(read_until_error("a.example.\tTYPE65\t-\n", &e, &rows), 0);
	CHECK_EQ(rows, 1);
}

static void test_bad_ttl(void)
{
	static const char *const bad[] = {"-1", "abc", "", "300x", "2147483648", "1e3",
					  "99999999999999999999"};
	struct dw_error e;
	int rows;
	char text[200], reason[64];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text,
			 "a.example.\tA\t192.0.2.1\tz.\t192.0.2.53\t300\n"
			 "b.example.\tA\t192.0.2.1\tz.\t192.0.2.53\t%s\n", bad[i]);
		CHECK_EQ(read_until_error(text, &e, &rows), -1);
		CHECK_EQ(rows, 1);
		snprintf(reason, sizeof reason, "bad ttl '%.20s'", bad[i]);
		check_error(&e, DW_E_SYNTAX, 2, reason);
	}
	CHECK_EQ(read_until_error("a.example.\tA\t1.2.3.4\tz.\ts\t0\n"
				  "b.example.\tA\t1.2.3.4\tz.\ts\t2147483647\n", &e, &rows), 0);
	CHECK_EQ(rows, 2);
}

/* A name with no wire form is still a row: name_status says why, and the
 * caller decides; the next row reads normally. */
static void test_bad_names(void)
{
	char label64[65];
	memset(label64, 'x', 64);
	label64[64] = '\0';
	char text[600];
	snprintf(text, sizeof text,
		 "a..example.\tA\t192.0.2.1\n"
		 "%s.example.\tA\t192.0.2.1\n"
		 "\tA\t192.0.2.1\n"
		 "good.example.\tA\t192.0.2.1\n", label64);
	const char *p = key_file(text);
	struct key_reader r;
	struct key_row row;
	struct dw_error e = {0};
	CHECK_EQ(key_open(&r, p, &e), 0);
	if (!r.f)
		return;
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK_STR(row.name, "a..example.");
	CHECK_EQ(row.name_status, DW_E_BAD_TEXT);
	CHECK_EQ(row.line, 1);
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK_EQ(row.name_status, DW_E_LABEL_TOO_LONG);
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK_STR(row.name, "");
	CHECK(row.name_status != DW_OK);
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK(name_is(&row, "good.example."));
	CHECK_EQ(row.line, 4);
	CHECK_EQ(key_next(&r, &row, &e), 0);
	key_close(&r);

	/* a name over 255 octets */
	char longname[400] = "";
	size_t n = 0;
	for (int i = 0; i < 5; i++)
		n += (size_t)snprintf(longname + n, sizeof longname - n, "%.60s.", label64);
	snprintf(text, sizeof text, "%s\tA\t192.0.2.1\n", longname);
	p = key_file(text);
	CHECK_EQ(key_open(&r, p, &e), 0);
	if (!r.f)
		return;
	CHECK_EQ(key_next(&r, &row, &e), 1);
	CHECK_EQ(row.name_status, DW_E_NAME_TOO_LONG);
	key_close(&r);
}

static void test_long_line(void)
{
	size_t len = 70000;
	char *text = malloc(len + 64);
	CHECK(text != NULL);
	if (!text)
		return;
	int at = snprintf(text, len + 64, "a.example.\tA\t192.0.2.1\nb.example.\tA\t");
	memset(text + at, '1', len);
	strcpy(text + at + len, "\n");
	struct dw_error e;
	int rows;
	CHECK_EQ(read_until_error(text, &e, &rows), -1);
	CHECK_EQ(rows, 1);
	check_error(&e, DW_E_TOO_LARGE, 2, "line too long");
	free(text);
}

static void test_open_missing(void)
{
	struct key_reader r;
	struct dw_error e = {0};
	char missing[320];
	snprintf(missing, sizeof missing, "%s/no-such-key.tsv", tmpdir);
	CHECK_EQ(key_open(&r, missing, &e), -1);
	CHECK_EQ(e.status, DW_E_NOT_FOUND);
	char want[400];
	snprintf(want, sizeof want, "%s: %s", missing, strerror(ENOENT));
	CHECK_STR(e.text, want);
	key_close(&r); /* harmless after a failed open */
	/* a directory opens, and reading it is an I/O error with its line */
	CHECK_EQ(key_open(&r, tmpdir, &e), 0);
	if (!r.f)
		return;
	struct key_row row;
	CHECK_EQ(key_next(&r, &row, &e), -1);
	CHECK_EQ(e.status, DW_E_IO);
	snprintf(want, sizeof want, "%s:1: ", tmpdir);
	CHECK(strncmp(e.text, want, strlen(want)) == 0);
	key_close(&r);
}

/* A stream that cannot be written: -1, from the header and from a row. */
static void test_write_errors(void)
{
	FILE *f = fopen("/dev/null", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(key_write_header(f, 1, 1, 1), -1);
	CHECK_EQ(key_write_row(f, "a.", "A", "-", NULL, NULL, -1), -1);
	fclose(f);
	/* a full disk, seen at once on an unbuffered stream */
	f = fopen("/dev/full", "w");
	if (!f)
		return; /* no /dev/full here: the read-only case above stands */
	setvbuf(f, NULL, _IONBF, 0);
	CHECK_EQ(key_write_header(f, 1, 1, 1), -1);
	clearerr(f);
	CHECK_EQ(key_write_row(f, "a.", "A", "-", "z.", "s", 1), -1);
	fclose(f);
}

static void remove_tmp(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		printf("not ok - mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	RUN(test_roundtrip);
	RUN(test_hand_written);
	RUN(test_version);
	RUN(test_columns);
	RUN(test_bad_type);
	RUN(test_bad_ttl);
	RUN(test_bad_names);
	RUN(test_long_line);
	RUN(test_open_missing);
	RUN(test_write_errors);
	remove_tmp();
	return harness_done();
}

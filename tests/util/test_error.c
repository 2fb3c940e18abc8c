/* util/error: the status table and the error record's three shapes
 * (dw_error_set, dw_error_at, dw_error_errno), the prefix, the bounds. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "util/error.h"

/* Every status has its own line of English; none is the fallback. */
static void test_every_status_has_a_message(void)
{
	int missing = 0, dup = 0;
	for (int s = 0; s < DW_STATUS_COUNT; s++) {
		const char *m = dw_strerror((enum dw_status)s);
		if (!m || !m[0] || !strcmp(m, "unknown error")) {
			FAIL("status %d has no message", s);
			missing++;
			continue;
		}
		for (int t = 0; t < s; t++)
			if (!strcmp(m, dw_strerror((enum dw_status)t))) {
				FAIL("statuses %d and %d share the message \"%s\"", t, s, m);
				dup++;
			}
	}
	CHECK_EQ(missing, 0);
	CHECK_EQ(dup, 0);
	CHECK_STR(dw_strerror(DW_OK), "ok");
	CHECK_STR(dw_strerror(DW_E_TRUNCATED), "truncated");
	CHECK_STR(dw_strerror(DW_E_DUP), "result already stored");
}

static void test_out_of_range(void)
{
	CHECK_STR(dw_strerror(DW_STATUS_COUNT), "unknown error");
	CHECK_STR(dw_strerror((enum dw_status)(DW_STATUS_COUNT + 100)), "unknown error");
	CHECK_STR(dw_strerror((enum dw_status)-1), "unknown error");
}

static void test_set(void)
{
	struct dw_error e = {0};
	CHECK_EQ(dw_error_set(&e, DW_E_SYNTAX, "bad %s at %d", "thing", 7), -1);
	CHECK_EQ(e.status, DW_E_SYNTAX);
	CHECK_STR(e.text, "bad thing at 7");
	/* a second set replaces the first */
	CHECK_EQ(dw_error_set(&e, DW_E_IO, "x"), -1);
	CHECK_EQ(e.status, DW_E_IO);
	CHECK_STR(e.text, "x");
	/* no record: still -1, no crash */
	CHECK_EQ(dw_error_set(NULL, DW_E_IO, "x"), -1);
	CHECK_EQ(dw_error_at(NULL, DW_E_IO, "f", 1, "x"), -1);
	CHECK_EQ(dw_error_prefix(NULL, "p"), -1);
	errno = ENOENT;
	CHECK_EQ(dw_error_errno(NULL, "x"), -1);
	CHECK_EQ(errno, ENOENT);
	dw_error_clear(NULL);
}

static void test_at(void)
{
	struct dw_error e = {0};
	CHECK_EQ(dw_error_at(&e, DW_E_SYNTAX, "rules.txt", 12, "unknown word '%s'", "bogus"), -1);
	CHECK_EQ(e.status, DW_E_SYNTAX);
	CHECK_STR(e.text, "rules.txt:12: unknown word 'bogus'");
	CHECK_EQ(dw_error_at(&e, DW_E_VERSION, "k.tsv", 0, "v%d", 2), -1);
	CHECK_STR(e.text, "k.tsv:0: v2");
	/* a file name that fills the record: cut, terminated, nothing past it */
	char longname[DW_ERROR_TEXT + 50];
	memset(longname, 'f', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	CHECK_EQ(dw_error_at(&e, DW_E_IO, longname, 99, "reason"), -1);
	CHECK_EQ(strlen(e.text), DW_ERROR_TEXT - 1);
	CHECK(strncmp(e.text, longname, DW_ERROR_TEXT - 1) == 0);
	CHECK(strstr(e.text, "reason") == NULL);
	/* a file name that leaves a little room: the reason is cut, not lost */
	char name[DW_ERROR_TEXT];
	size_t nl = DW_ERROR_TEXT - 12;
	memset(name, 'g', nl);
	name[nl] = '\0';
	CHECK_EQ(dw_error_at(&e, DW_E_IO, name, 5, "abcdefghijkl"), -1);
	CHECK_EQ(strlen(e.text), DW_ERROR_TEXT - 1);
	CHECK(strstr(e.text, ":5: abcdefg") != NULL);
}

static void test_errno(void)
{
	struct dw_error e = {0};
	errno = ENOENT;
	CHECK_EQ(dw_error_errno(&e, "%s", "/no/such/file"), -1);
	CHECK_EQ(e.status, DW_E_NOT_FOUND);
	char want[200];
	snprintf(want, sizeof want, "/no/such/file: %s", strerror(ENOENT));
	CHECK_STR(e.text, want);
	CHECK_EQ(errno, ENOENT); /* kept for the caller */

	errno = ENOMEM;
	CHECK_EQ(dw_error_errno(&e, "malloc"), -1);
	CHECK_EQ(e.status, DW_E_NOMEM);
	CHECK_EQ(errno, ENOMEM);

	errno = EACCES;
	CHECK_EQ(dw_error_errno(&e, "open %s", "x"), -1);
	CHECK_EQ(e.status, DW_E_SYSTEM);
	snprintf(want, sizeof want, "open x: %s", strerror(EACCES));
	CHECK_STR(e.text, want);
	CHECK_EQ(errno, EACCES);

	/* a long "what": the text stays within the record, terminated */
	char what[DW_ERROR_TEXT + 20];
	memset(what, 'w', sizeof what - 1);
	what[sizeof what - 1] = '\0';
	errno = EPERM;
	CHECK_EQ(dw_error_errno(&e, "%s", what), -1);
	CHECK_EQ(strlen(e.text), DW_ERROR_TEXT - 1);
	CHECK_EQ(e.status, DW_E_SYSTEM);
}

static void test_prefix(void)
{
	struct dw_error e = {0};
	dw_error_set(&e, DW_E_NOT_FOUND, "no such host");
	CHECK_EQ(dw_error_prefix(&e, "lab %s", "dw"), -1);
	CHECK_STR(e.text, "lab dw: no such host");
	CHECK_EQ(e.status, DW_E_NOT_FOUND); /* the status is kept */
	CHECK_EQ(dw_error_prefix(&e, "watch"), -1);
	CHECK_STR(e.text, "watch: lab dw: no such host");

	/* a long tail is cut to fit, the prefix kept whole */
	char tail[DW_ERROR_TEXT];
	memset(tail, 't', sizeof tail - 1);
	tail[sizeof tail - 1] = '\0';
	dw_error_set(&e, DW_E_IO, "%s", tail);
	CHECK_EQ(strlen(e.text), DW_ERROR_TEXT - 1);
	CHECK_EQ(dw_error_prefix(&e, "pre"), -1);
	CHECK_EQ(strlen(e.text), DW_ERROR_TEXT - 1);
	CHECK(strncmp(e.text, "pre: ttt", 8) == 0);

	/* a prefix that fills the record: cut and terminated */
	char pre[DW_ERROR_TEXT + 10];
	memset(pre, 'p', sizeof pre - 1);
	pre[sizeof pre - 1] = '\0';
	dw_error_set(&e, DW_E_IO, "tail");
	CHECK_EQ(dw_error_prefix(&e, "%s", pre), -1);
	CHECK_EQ(strlen(e.text), DW_ERROR_TEXT - 1);
	CHECK(strchr(e.text, ':') == NULL);

	/* a prefix two short of filling it: no room for ": " and a tail */
	char pre2[DW_ERROR_TEXT];
	memset(pre2, 'q', DW_ERROR_TEXT - 3);
	pre2[DW_ERROR_TEXT - 3] = '\0';
	dw_error_set(&e, DW_E_IO, "tail");
	CHECK_EQ(dw_error_prefix(&e, "%s", pre2), -1);
	CHECK(strlen(e.text) < DW_ERROR_TEXT);
	CHECK(strncmp(e.text, pre2, DW_ERROR_TEXT - 3) == 0);
}

static void test_clear(void)
{
	struct dw_error e;
	dw_error_set(&e, DW_E_DB, "broken");
	dw_error_clear(&e);
	CHECK_EQ(e.status, DW_OK);
	CHECK_STR(e.text, "");
}

int main(void)
{
	RUN(test_every_status_has_a_message);
	RUN(test_out_of_range);
	RUN(test_set);
	RUN(test_at);
	RUN(test_errno);
	RUN(test_prefix);
	RUN(test_clear);
	return harness_done();
}

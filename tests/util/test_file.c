/* util/file: reading a whole stream into memory, with its size limit, and
 * a line at a time (util_line_read). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "util/file.h"

/* A temporary stream holding SIZE bytes of a known pattern, at its start. */
static FILE *stream_of(size_t size)
{
	FILE *f = tmpfile();
	CHECK(f != NULL);
	if (!f)
		return NULL;
	for (size_t i = 0; i < size; i++)
		putc((int)(i * 7 % 251), f);
	CHECK_EQ(fflush(f), 0);
	rewind(f);
	return f;
}

static bool pattern_ok(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != (uint8_t)(i * 7 % 251))
			return false;
	return true;
}

/* Read a stream of SIZE bytes with limit MAX: the status, and on success
 * the bytes, the length and the terminator. */
static enum dw_status read_sized(size_t size, size_t max)
{
	FILE *f = stream_of(size);
	if (!f)
		return DW_E_IO;
	uint8_t *buf = (uint8_t *)1;
	size_t len = 12345;
	enum dw_status st = util_read_all(f, max, &buf, &len);
	fclose(f);
	if (st == DW_OK) {
		CHECK(buf != NULL);
		CHECK_EQ(len, size);
		if (buf && len == size) {
			CHECK(pattern_ok(buf, len));
			CHECK_EQ(buf[len], '\0');
		}
	} else {
		CHECK(buf == NULL);
		CHECK_EQ(len, 0);
	}
	free(st == DW_OK ? buf : NULL);
	return st;
}

static void test_small(void)
{
	CHECK_EQ(read_sized(0, 1 << 20), DW_OK);
	CHECK_EQ(read_sized(1, 1 << 20), DW_OK);
	CHECK_EQ(read_sized(1000, 1 << 20), DW_OK);
}

/* Past the first buffer (64 KiB) and its doublings, the bytes stay right. */
static void test_growth(void)
{
	CHECK_EQ(read_sized(65535, 1 << 22), DW_OK);
	CHECK_EQ(read_sized(65536, 1 << 22), DW_OK);
	CHECK_EQ(read_sized(65537, 1 << 22), DW_OK);
	CHECK_EQ(read_sized(300001, 1 << 22), DW_OK);
}

/* Over the limit is DW_E_TOO_LARGE, never a buffer cut at the limit. */
static void test_limit(void)
{
	CHECK_EQ(read_sized(65537, 65536), DW_E_TOO_LARGE);
	CHECK_EQ(read_sized(200000, 100000), DW_E_TOO_LARGE);
	CHECK_EQ(read_sized(300000, 131072), DW_E_TOO_LARGE);
	CHECK_EQ(read_sized(65535, 100000), DW_OK);
	CHECK_EQ(read_sized(99999, 100000), DW_OK);
}

/*
 * Exactly MAX bytes is accepted, one more is refused, whatever MAX is (the
 * first buffer was once 64 KiB whatever MAX, so a small MAX was not
 * enforced and a MAX of 64 KiB or more refused a stream of exactly MAX).
 */
static void test_limit_exact(void)
{
	CHECK_EQ(read_sized(65536, 65536), DW_OK);
	CHECK_EQ(read_sized(100000, 100000), DW_OK);
	CHECK_EQ(read_sized(131072, 131072), DW_OK);
	CHECK_EQ(read_sized(10, 10), DW_OK);
	CHECK_EQ(read_sized(11, 10), DW_E_TOO_LARGE);
	CHECK_EQ(read_sized(1000, 10), DW_E_TOO_LARGE);
	CHECK_EQ(read_sized(1, 0), DW_E_TOO_LARGE);
	CHECK_EQ(read_sized(0, 0), DW_OK);
}

/* A pipe: the stream's size is not known in advance. */
static void test_pipe(void)
{
	int fds[2];
	CHECK_EQ(pipe(fds), 0);
	if (fds[0] < 0)
		return;
	const char msg[] = "line one\nline two\n";
	CHECK_EQ(write(fds[1], msg, sizeof msg - 1), (ssize_t)(sizeof msg - 1));
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	CHECK(f != NULL);
	if (!f) {
		close(fds[0]);
		return;
	}
	uint8_t *buf;
	size_t len;
	CHECK_EQ(util_read_all(f, 1 << 20, &buf, &len), DW_OK);
	CHECK_EQ(len, sizeof msg - 1);
	if (buf)
		CHECK_STR((const char *)buf, msg);
	free(buf);
	fclose(f);
}

/* A stream that cannot be read is DW_E_IO, not an empty file. */
static void test_read_error(void)
{
	FILE *f = fopen("/dev/null", "w");
	CHECK(f != NULL);
	if (!f)
		return;
	uint8_t *buf = (uint8_t *)1;
	size_t len = 1;
	CHECK_EQ(util_read_all(f, 1 << 20, &buf, &len), DW_E_IO);
	CHECK(buf == NULL);
	CHECK_EQ(len, 0);
	fclose(f);
}

/* ---- util_line_read ---- */

static FILE *text_stream(const char *text)
{
	FILE *f = tmpfile();
	CHECK(f != NULL);
	if (!f)
		return NULL;
	fputs(text, f);
	CHECK_EQ(fflush(f), 0);
	rewind(f);
	return f;
}

/* LF, CRLF, empty lines, a last line without LF; the buffer grows. */
static void test_lines(void)
{
	FILE *f = text_stream("one\r\ntwo\n\nthree\r\r\nlast");
	if (!f)
		return;
	char *buf = NULL;
	size_t cap = 0, len = 99;
	struct dw_error e;
	dw_error_clear(&e);
	const char *want[] = {"one", "two", "", "three", "last"};
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(util_line_read(f, &buf, &cap, &len, 100, &e), 1);
		if (buf)
			CHECK_STR(buf, want[i]);
		CHECK_EQ(len, strlen(want[i]));
	}
	CHECK_EQ(util_line_read(f, &buf, &cap, &len, 100, &e), 0);
	CHECK_EQ(len, 0);
	CHECK_EQ(util_line_read(f, &buf, &cap, &len, 100, &e), 0);
	CHECK(cap <= 101);
	free(buf);
	fclose(f);
}

/* A line over MAX: DW_E_TOO_LARGE, never held past MAX, and the next line
 * is read as usual; exactly MAX bytes is a line. A buffer of MAX + 1 bytes
 * (the caller's own array) is never grown. */
static void test_line_too_long(void)
{
	static char text[3000];
	memset(text, 'x', 2000);
	strcpy(text + 2000, "\nnext\n0123456789\n01234567890\n");
	FILE *f = text_stream(text);
	if (!f)
		return;
	char own[11], *buf = own;
	size_t cap = sizeof own, len;
	struct dw_error e;
	dw_error_clear(&e);
	CHECK_EQ(util_line_read(f, &buf, &cap, &len, 10, &e), -1);
	CHECK_EQ(e.status, DW_E_TOO_LARGE);
	CHECK_STR(e.text, "line too long");
	CHECK_EQ(len, 10);
	CHECK(buf == own);
	CHECK_EQ(util_line_read(f, &buf, &cap, &len, 10, &e), 1);
	CHECK_STR(buf, "next");
	CHECK_EQ(util_line_read(f, &buf, &cap, &len, 10, &e), 1);
	CHECK_STR(buf, "0123456789");
	CHECK_EQ(util_line_read(f, &buf, &cap, &len, 10, &e), -1);
	CHECK_EQ(e.status, DW_E_TOO_LARGE);
	CHECK_EQ(util_line_read(f, &buf, &cap, &len, 10, &e), 0);
	CHECK(buf == own);
	CHECK_EQ(cap, sizeof own);
	fclose(f);

	/* a growing buffer stops at MAX + 1 bytes */
	f = text_stream(text);
	if (!f)
		return;
	buf = NULL;
	cap = 0;
	CHECK_EQ(util_line_read(f, &buf, &cap, &len, 1000, &e), -1);
	CHECK_EQ(e.status, DW_E_TOO_LARGE);
	CHECK(cap <= 1001);
	CHECK_EQ(util_line_read(f, &buf, &cap, &len, 1000, &e), 1);
	CHECK_STR(buf, "next");
	free(buf);
	fclose(f);
}

/* A stream that cannot be read: DW_E_IO with errno's words, not the end. */
static void test_line_read_error(void)
{
	FILE *f = fopen("/dev/null", "w");
	CHECK(f != NULL);
	if (!f)
		return;
	char *buf = NULL;
	size_t cap = 0, len;
	struct dw_error e;
	dw_error_clear(&e);
	CHECK_EQ(util_line_read(f, &buf, &cap, &len, 100, &e), -1);
	CHECK_EQ(e.status, DW_E_IO);
	CHECK_STR(e.text, strerror(EBADF));
	free(buf);
	fclose(f);
}

int main(void)
{
	RUN(test_small);
	RUN(test_growth);
	RUN(test_limit);
	RUN(test_limit_exact);
	RUN(test_pipe);
	RUN(test_read_error);
	RUN(test_lines);
	RUN(test_line_too_long);
	RUN(test_line_read_error);
	return harness_done();
}

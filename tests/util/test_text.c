/* util/text: appending to a fixed buffer (text_cat), a command line as one
 * line (text_command_line) and command-line numbers (text_number). */
#include <string.h>

#include "harness.h"
#include "util/text.h"

static void test_cat_chain(void)
{
	char buf[64];
	size_t n = 0;
	buf[0] = '\0';
	n = text_cat(buf, sizeof buf, n, "%s", "hello");
	CHECK_EQ(n, 5);
	n = text_cat(buf, sizeof buf, n, " %d", 42);
	CHECK_EQ(n, 8);
	n = text_cat(buf, sizeof buf, n, "%s", "");
	CHECK_EQ(n, 8);
	CHECK_STR(buf, "hello 42");
	CHECK_EQ(strlen(buf), n);
}

/* Text that does not fit is cut at CAP - 1, the buffer stays terminated,
 * and every later piece is dropped. */
static void test_cat_truncates(void)
{
	char buf[8];
	memset(buf, 'Z', sizeof buf);
	size_t n = text_cat(buf, sizeof buf, 0, "%s", "abcdefghijkl");
	CHECK_EQ(n, sizeof buf - 1);
	CHECK_STR(buf, "abcdefg");
	n = text_cat(buf, sizeof buf, n, "%s", "more");
	CHECK_EQ(n, sizeof buf - 1);
	CHECK_STR(buf, "abcdefg");

	/* exactly CAP - 1 characters fit */
	char b2[6];
	n = text_cat(b2, sizeof b2, 0, "%s", "12345");
	CHECK_EQ(n, 5);
	CHECK_STR(b2, "12345");
	/* one more is cut */
	n = text_cat(b2, sizeof b2, 0, "%s", "123456");
	CHECK_EQ(n, 5);
	CHECK_STR(b2, "12345");

	/* a cut in the middle of a chain */
	char b3[10];
	n = text_cat(b3, sizeof b3, 0, "%s", "abc");
	n = text_cat(b3, sizeof b3, n, "%s", "defghijk");
	CHECK_EQ(n, 9);
	CHECK_STR(b3, "abcdefghi");
	n = text_cat(b3, sizeof b3, n, "%c", 'x');
	CHECK_EQ(n, 9);
	CHECK_STR(b3, "abcdefghi");
}

/* LEN >= CAP is returned as is and nothing is written; CAP 0 writes nothing. */
static void test_cat_bounds(void)
{
	char buf[4] = {'a', 'b', 'c', '\0'};
	CHECK_EQ(text_cat(buf, sizeof buf, 4, "%s", "x"), 4);
	CHECK_EQ(text_cat(buf, sizeof buf, 100, "%s", "x"), 100);
	CHECK_STR(buf, "abc");
	char guard[2] = {'q', 'q'};
	CHECK_EQ(text_cat(guard, 0, 0, "%s", "x"), 0);
	CHECK_EQ(guard[0], 'q');
	/* CAP 1: room for the terminator only */
	char one[1] = {'q'};
	CHECK_EQ(text_cat(one, 1, 0, "%s", "xyz"), 0);
	CHECK_EQ(one[0], '\0');
}

static void test_number_accepts(void)
{
	double v = -1;
	CHECK(text_number("5", 0, 10, &v));
	CHECK(v == 5);
	CHECK(text_number("0", 0, 10, &v));
	CHECK(v == 0);
	CHECK(text_number("10", 0, 10, &v)); /* both bounds are inclusive */
	CHECK(v == 10);
	CHECK(text_number("0.25", 0, 1, &v));
	CHECK(v == 0.25);
	CHECK(text_number("-3", -5, 5, &v));
	CHECK(v == -3);
	CHECK(text_number("1e3", 0, 5000, &v));
	CHECK(v == 1000);
	CHECK(text_number("1.8e19", 0, 1.8e19, &v));
	CHECK(v == 1.8e19);
}

static void test_number_refuses(void)
{
	double v;
	CHECK(!text_number("", 0, 10, &v));
	CHECK(!text_number("abc", 0, 10, &v));
	CHECK(!text_number("5x", 0, 10, &v));
	CHECK(!text_number("5 ", 0, 10, &v));
	CHECK(!text_number("5.5.5", 0, 10, &v));
	CHECK(!text_number("11", 0, 10, &v));
	CHECK(!text_number("-1", 0, 10, &v));
	CHECK(!text_number("10.0001", 0, 10, &v));
	CHECK(!text_number("0.09", 0.1, 1, &v));
	CHECK(!text_number("nan", 0, 10, &v));
	CHECK(!text_number("inf", 0, 1e300, &v));
	CHECK(!text_number(" 5", 0, 10, &v)); /* no leading space */
	CHECK(!text_number("+5", 0, 10, &v)); /* no sign but minus */
	CHECK(!text_number("-nan", -10, 10, &v));
	CHECK(!text_number("-inf", -1e300, 0, &v));
	CHECK(!text_number("1e400", 0, 1e300, &v)); /* HUGE_VAL */
}

/* A command line: the prefix and every word after one space, cut like
 * text_cat. */
static void test_command_line(void)
{
	char *argv[] = {"probe", "--target", "isp", "names.txt"};
	char buf[64];
	CHECK_EQ(text_command_line(buf, sizeof buf, "dnswatch", 4, argv), 37);
	CHECK_STR(buf, "dnswatch probe --target isp names.txt");
	CHECK_EQ(text_command_line(buf, sizeof buf, "dnswatch", 0, argv), 8);
	CHECK_STR(buf, "dnswatch");
	char small[12];
	CHECK_EQ(text_command_line(small, sizeof small, "dnswatch", 4, argv), 11);
	CHECK_STR(small, "dnswatch pr");
}

int main(void)
{
	RUN(test_cat_chain);
	RUN(test_cat_truncates);
	RUN(test_cat_bounds);
	RUN(test_command_line);
	RUN(test_number_accepts);
	RUN(test_number_refuses);
	return harness_done();
}

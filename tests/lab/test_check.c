/* The live check's query encoder and the lab name rule. */
#include "harness.h"
#include "lab/check.h"

static void test_query_bytes(void)
{
	uint8_t q[512];
	int n = lab_check_query(q, sizeof q, 0x1234, "www.example.com.", 1, 1);
	static const uint8_t want[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
				       3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				       3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
	CHECK_EQ(n, (int)sizeof want);
	CHECK_MEM(q, want, sizeof want);
}

static void test_root_and_no_rd(void)
{
	uint8_t q[512];
	int n = lab_check_query(q, sizeof q, 1, ".", 6, 0);
	CHECK_EQ(n, 12 + 1 + 4);
	CHECK_EQ(q[2], 0);  /* RD clear */
	CHECK_EQ(q[12], 0); /* root name */
	CHECK_EQ(q[14], 6); /* SOA */
}

static void test_bad_names(void)
{
	uint8_t q[512];
	char longlabel[80];
	memset(longlabel, 'a', 70);
	strcpy(longlabel + 70, ".com.");
	CHECK_EQ(lab_check_query(q, sizeof q, 1, longlabel, 1, 1), 0); /* label over 63 */
	CHECK_EQ(lab_check_query(q, sizeof q, 1, "a..b.", 1, 1), 0);   /* empty label */
	CHECK_EQ(lab_check_query(q, 10, 1, "a.", 1, 1), 0);           /* no room */
}

int main(void)
{
	RUN(test_query_bytes);
	RUN(test_root_and_no_rd);
	RUN(test_bad_names);
	return harness_done();
}

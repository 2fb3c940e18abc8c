/* Tests of src/wire/cursor.c (bounds and sticky errors) and of the status
 * table in src/util/error.c (dw_strerror). */
#include "harness.h"

#include <stdint.h>
#include <string.h>

#include "wire/cursor.h"
#include "util/error.h"

static void test_read_values(void)
{
	static const uint8_t buf[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				      0x08, 0x09, 0x0a, 0x0b};
	struct wire_cursor c;
	wire_cursor_init_ro(&c, buf, sizeof buf);
	CHECK_EQ(wire_cursor_left(&c), 11);
	CHECK_EQ(wire_read_u8(&c), 0x01);
	CHECK_EQ(wire_read_u16(&c), 0x0203);
	CHECK_EQ(wire_read_u32(&c), 0x04050607u);
	uint8_t two[2];
	wire_read_bytes(&c, two, 2);
	CHECK_EQ(two[0], 0x08);
	CHECK_EQ(two[1], 0x09);
	const uint8_t *p = wire_read_ptr(&c, 1);
	CHECK(p == buf + 9);
	wire_skip(&c, 1);
	CHECK_EQ(c.pos, 11);
	CHECK_EQ(wire_cursor_left(&c), 0);
	CHECK_EQ(c.err, DW_OK);
	wire_seek(&c, 3);
	CHECK_EQ(c.pos, 3);
	CHECK_EQ(wire_read_u8(&c), 0x04);
	wire_seek(&c, 11); /* seeking to the very end is allowed */
	CHECK_EQ(c.err, DW_OK);
	/* High bit values come out unsigned. */
	static const uint8_t hi[] = {0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa};
	wire_cursor_init_ro(&c, hi, sizeof hi);
	CHECK_EQ(wire_read_u16(&c), 0xfffe);
	CHECK_EQ(wire_read_u32(&c), 0xfdfcfbfau);
}

/* After the first failure every read yields zero and the offset stays. */
static void test_sticky_read_error(void)
{
	static const uint8_t buf[] = {0xaa, 0xbb, 0xcc};
	struct wire_cursor c;
	wire_cursor_init_ro(&c, buf, sizeof buf);
	CHECK_EQ(wire_read_u16(&c), 0xaabb);
	CHECK_EQ(wire_read_u16(&c), 0); /* one byte left: fails */
	CHECK_EQ(c.err, DW_E_TRUNCATED);
	CHECK_EQ(c.err_off, 2);
	CHECK_EQ(c.pos, 2); /* a failed read does not move */
	CHECK_EQ(wire_cursor_left(&c), 0);
	/* A read that would fit on its own still fails now. */
	CHECK_EQ(wire_read_u8(&c), 0);
	CHECK_EQ(wire_read_u32(&c), 0);
	uint8_t out[3] = {1, 2, 3};
	wire_read_bytes(&c, out, 3);
	CHECK_EQ(out[0] | out[1] | out[2], 0);
	CHECK(wire_read_ptr(&c, 0) == NULL);
	wire_skip(&c, 0);
	wire_seek(&c, 0);
	CHECK_EQ(c.pos, 2);
	CHECK_EQ(c.err, DW_E_TRUNCATED);
	CHECK_EQ(c.err_off, 2);
	/* A later explicit failure does not replace the first one. */
	wire_cursor_fail_at(&c, DW_E_INVALID, 0);
	wire_cursor_fail(&c, DW_E_NOSPACE);
	CHECK_EQ(c.err, DW_E_TRUNCATED);
	CHECK_EQ(c.err_off, 2);
}

static void test_each_read_fails_at_end(void)
{
	static const uint8_t buf[] = {1, 2, 3};
	struct wire_cursor c;
	/* u32 on 3 bytes */
	wire_cursor_init_ro(&c, buf, 3);
	CHECK_EQ(wire_read_u32(&c), 0);
	CHECK_EQ(c.err, DW_E_TRUNCATED);
	CHECK_EQ(c.err_off, 0);
	/* u8 on nothing */
	wire_cursor_init_ro(&c, buf, 0);
	CHECK_EQ(wire_read_u8(&c), 0);
	CHECK_EQ(c.err, DW_E_TRUNCATED);
	/* bytes: zeroed on failure */
	uint8_t out[4] = {9, 9, 9, 9};
	wire_cursor_init_ro(&c, buf, 3);
	wire_read_u8(&c);
	wire_read_bytes(&c, out, 4);
	CHECK_EQ(out[0] | out[1] | out[2] | out[3], 0);
	CHECK_EQ(c.err_off, 1);
	/* ptr, skip, seek */
	wire_cursor_init_ro(&c, buf, 3);
	CHECK(wire_read_ptr(&c, 4) == NULL);
	CHECK_EQ(c.err, DW_E_TRUNCATED);
	wire_cursor_init_ro(&c, buf, 3);
	wire_skip(&c, 2);
	wire_skip(&c, 2);
	CHECK_EQ(c.err, DW_E_TRUNCATED);
	CHECK_EQ(c.err_off, 2);
	wire_cursor_init_ro(&c, buf, 3);
	wire_seek(&c, 4);
	CHECK_EQ(c.err, DW_E_TRUNCATED);
	/* A huge N must not wrap around the bounds check. */
	wire_cursor_init_ro(&c, buf, 3);
	wire_read_u8(&c);
	CHECK(wire_read_ptr(&c, SIZE_MAX) == NULL);
	CHECK_EQ(c.err, DW_E_TRUNCATED);
	CHECK_EQ(c.err_off, 1);
}

static void test_write(void)
{
	uint8_t buf[9];
	memset(buf, 0xee, sizeof buf);
	struct wire_cursor c;
	wire_cursor_init_rw(&c, buf, 8);
	wire_write_u8(&c, 0x12);
	wire_write_u16(&c, 0x3456);
	wire_write_u32(&c, 0x789abcdeu);
	CHECK_EQ(c.pos, 7);
	wire_write_u16_at(&c, 1, 0xbeef);
	CHECK_EQ(c.err, DW_OK);
	static const uint8_t want[] = {0x12, 0xbe, 0xef, 0x78, 0x9a, 0xbc, 0xde};
	CHECK_MEM(buf, want, sizeof want);
	wire_write_bytes(&c, NULL, 0); /* nothing to write is fine */
	CHECK_EQ(c.err, DW_OK);
	wire_write_u16(&c, 0xffff); /* one byte of room left */
	CHECK_EQ(c.err, DW_E_NOSPACE);
	CHECK_EQ(c.err_off, 7);
	CHECK_EQ(buf[7], 0xee);
	wire_write_u8(&c, 1); /* would fit, but the error is sticky */
	CHECK_EQ(buf[7], 0xee);
	CHECK_EQ(c.pos, 7);
	CHECK_EQ(c.err_off, 7);
	CHECK_EQ(buf[8], 0xee); /* never past the capacity */
}

static void test_write_errors(void)
{
	uint8_t buf[8] = {0};
	struct wire_cursor c;
	/* Writing through a read-only cursor is a caller error. */
	wire_cursor_init_ro(&c, buf, sizeof buf);
	wire_write_u8(&c, 1);
	CHECK_EQ(c.err, DW_E_INVALID);
	CHECK_EQ(c.pos, 0);
	/* u16_at must lie in what was written. */
	wire_cursor_init_rw(&c, buf, sizeof buf);
	wire_write_u16(&c, 1);
	wire_write_u16_at(&c, 1, 7); /* would cover byte 2, not written yet */
	CHECK_EQ(c.err, DW_E_INVALID);
	CHECK_EQ(c.err_off, 2);
	wire_cursor_init_rw(&c, buf, sizeof buf);
	wire_write_u16_at(&c, 0, 7);
	CHECK_EQ(c.err, DW_E_INVALID);
	wire_cursor_init_rw(&c, buf, sizeof buf);
	wire_write_u32(&c, 0);
	wire_write_u16_at(&c, 5, 7);
	CHECK_EQ(c.err, DW_E_INVALID);
	/* bytes and u32 that do not fit */
	wire_cursor_init_rw(&c, buf, 3);
	wire_write_u32(&c, 0);
	CHECK_EQ(c.err, DW_E_NOSPACE);
	CHECK_EQ(c.err_off, 0);
	wire_cursor_init_rw(&c, buf, 3);
	wire_write_bytes(&c, "abcd", 4);
	CHECK_EQ(c.err, DW_E_NOSPACE);
	wire_cursor_init_rw(&c, buf, 0);
	wire_write_u8(&c, 0);
	CHECK_EQ(c.err, DW_E_NOSPACE);
}

static void test_fail_explicit(void)
{
	static const uint8_t buf[4] = {0};
	struct wire_cursor c;
	wire_cursor_init_ro(&c, buf, 4);
	wire_read_u8(&c);
	wire_cursor_fail(&c, DW_E_RDATA_FORMAT);
	CHECK_EQ(c.err, DW_E_RDATA_FORMAT);
	CHECK_EQ(c.err_off, 1);
	CHECK_EQ(wire_cursor_left(&c), 0);
	wire_cursor_init_ro(&c, buf, 4);
	wire_cursor_fail_at(&c, DW_E_PTR_FORWARD, 3);
	CHECK_EQ(c.err_off, 3);
	CHECK_EQ(wire_read_u8(&c), 0);
	CHECK_EQ(c.err, DW_E_PTR_FORWARD);
}

static void test_strerror(void)
{
	CHECK_STR(dw_strerror(DW_OK), "ok");
	CHECK_STR(dw_strerror(DW_E_TRUNCATED), "truncated");
	CHECK_STR(dw_strerror(DW_E_PTR_FORWARD),
		  "compression pointer does not point backwards (loop)");
	/* Every status has its own non-empty message. */
	for (int s = 0; s < DW_STATUS_COUNT; s++) {
		const char *m = dw_strerror((enum dw_status)s);
		CHECK(m != NULL && m[0] != '\0');
		CHECK(strcmp(m, "unknown error") != 0);
		for (int t = 0; t < s; t++)
			CHECK(strcmp(m, dw_strerror((enum dw_status)t)) != 0);
	}
	CHECK_STR(dw_strerror(DW_STATUS_COUNT), "unknown error");
	CHECK_STR(dw_strerror((enum dw_status)-1), "unknown error");
}

int main(void)
{
	RUN(test_read_values);
	RUN(test_sticky_read_error);
	RUN(test_each_read_fails_at_end);
	RUN(test_write);
	RUN(test_write_errors);
	RUN(test_fail_explicit);
	RUN(test_strerror);
	return harness_done();
}

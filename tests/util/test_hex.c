/* util/hex: one hex digit's value, and bytes to lower-case hex text. */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "util/hex.h"

/* Every one of the 256 byte values (and EOF): only 0-9, a-f and A-F are
 * digits. */
static void test_digit_every_value(void)
{
	int wrong = 0;
	for (int c = -1; c < 256; c++) {
		int want = -1;
		if (c >= '0' && c <= '9')
			want = c - '0';
		else if (c >= 'a' && c <= 'f')
			want = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			want = c - 'A' + 10;
		if (hex_digit(c) != want) {
			FAIL("hex_digit(%d) = %d, want %d", c, hex_digit(c), want);
			wrong++;
		}
	}
	CHECK_EQ(wrong, 0);
	CHECK_EQ(hex_digit('0'), 0);
	CHECK_EQ(hex_digit('9'), 9);
	CHECK_EQ(hex_digit('a'), 10);
	CHECK_EQ(hex_digit('F'), 15);
	CHECK_EQ(hex_digit('g'), -1);
	CHECK_EQ(hex_digit('G'), -1);
	CHECK_EQ(hex_digit('/'), -1); /* just below '0' */
	CHECK_EQ(hex_digit(':'), -1); /* just above '9' */
	CHECK_EQ(hex_digit('`'), -1); /* just below 'a' */
	CHECK_EQ(hex_digit('@'), -1); /* just below 'A' */
	CHECK_EQ(hex_digit(0), -1);
	CHECK_EQ(hex_digit(0x100 + '5'), -1); /* not a char */
}

static void test_encode(void)
{
	const uint8_t b[] = {0x00, 0x01, 0x0f, 0x10, 0x7f, 0x80, 0xab, 0xff};
	char text[2 * sizeof b + 1];
	memset(text, 'Z', sizeof text);
	hex_encode(b, sizeof b, text);
	CHECK_STR(text, "00010f107f80abff");

	/* nothing: an empty string, the terminator written */
	char empty[1] = {'Z'};
	hex_encode(b, 0, empty);
	CHECK_EQ(empty[0], '\0');

	/* exactly 2*LEN+1 bytes are written: the byte after stays */
	char exact[2 * 2 + 2];
	memset(exact, 'Z', sizeof exact);
	hex_encode(b + 6, 2, exact);
	CHECK_STR(exact, "abff");
	CHECK_EQ(exact[5], 'Z');
}

/* Every byte value round trips through hex_encode and hex_digit. */
static void test_roundtrip(void)
{
	uint8_t all[256], back[256];
	char text[2 * 256 + 1];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	hex_encode(all, sizeof all, text);
	CHECK_EQ(strlen(text), 512);
	int bad = 0;
	for (int i = 0; i < 256; i++) {
		int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
		if (hi < 0 || lo < 0 || text[2 * i] != (char)"0123456789abcdef"[i >> 4])
			bad++;
		back[i] = (uint8_t)(hi << 4 | lo);
	}
	CHECK_EQ(bad, 0);
	CHECK_MEM(all, back, sizeof all);
}

int main(void)
{
	RUN(test_digit_every_value);
	RUN(test_encode);
	RUN(test_roundtrip);
	return harness_done();
}

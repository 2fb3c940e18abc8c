/* util/json_read: jansson's errors as one line of ours, "REASON at offset
 * N"; a message the table does not know keeps jansson's own words. */
#include <string.h>

#include "harness.h"
#include "util/json_read.h"

static void read_err(const char *text, struct dw_error *err)
{
	json_t *v = dw_json_read(text, strlen(text), 16, err);
	CHECK(v == NULL);
	json_decref(v);
}

/* Each message of the table, as jansson 2.14 words it, in ours. */
static void test_known_messages(void)
{
	struct dw_error e;
	read_err("[1, 2", &e);
	CHECK_STR(e.text, "expected ',' or ']' at offset 5");
	CHECK_EQ(e.status, DW_E_SYNTAX);
	read_err("{\"a\" 1}", &e);
	CHECK_STR(e.text, "expected ':' at offset 6");
	read_err("{1: 2}", &e);
	CHECK_STR(e.text, "expected a member name at offset 2");
	read_err("\"abc", &e);
	CHECK_STR(e.text, "unterminated string at offset 4");
	read_err("\"a\\q\"", &e);
	CHECK(strncmp(e.text, "bad escape at offset ", 21) == 0);
	read_err("1 2", &e);
	CHECK(strncmp(e.text, "text after the value at offset ", 31) == 0);
	read_err("nul", &e);
	CHECK(strncmp(e.text, "not a JSON value at offset ", 27) == 0);
	read_err("1e999", &e);
	CHECK(strncmp(e.text, "number out of range at offset ", 30) == 0);
	read_err("\"\xff\"", &e);
	CHECK(strncmp(e.text, "not UTF-8 at offset ", 20) == 0);
}

/* A message the table does not know (jansson's "wrong arguments", for no
 * text at all): its own words, the offset, a syntax error; never an empty
 * reason. */
static void test_unknown_message(void)
{
	struct dw_error e = {0};
	json_t *v = dw_json_read(NULL, 0, 16, &e);
	CHECK(v == NULL);
	CHECK_STR(e.text, "wrong arguments at offset 0");
	CHECK_EQ(e.status, DW_E_SYNTAX);
}

int main(void)
{
	RUN(test_known_messages);
	RUN(test_unknown_message);
	return harness_done();
}

/*
 * libFuzzer: report's JSON reader (src/report/jread), which reads files
 * other tools wrote (`dnswatch locate --json`). Input: any bytes, parsed as
 * one value. A tree that parses is walked whole (every string must be
 * NUL-terminated within what was allocated, which ASan checks), and looked
 * up the way report does; a failure must set the error line.
 * Seeds (tests/fuzz/corpus/fuzz_jread/seed-*, by hand): a real locate line,
 * escapes, surrogates, deep nesting, truncations; the other files are a
 * 30-second run's corpus, merged (-merge=1).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/jread.h"

static size_t walk(const struct jread_val *v)
{
	size_t n = 1;
	if (v->type == JREAD_STRING)
		n += strlen(v->str);
	if (v->type == JREAD_OBJECT)
		for (size_t i = 0; i < v->n; i++)
			n += strlen(v->keys[i]);
	if (v->type == JREAD_ARRAY || v->type == JREAD_OBJECT)
		for (size_t i = 0; i < v->n; i++)
			n += walk(&v->items[i]);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jread_val *v;
	char err[160];
	if (jread_parse((const char *)data, size, &v, err, sizeof err) != 0) {
		if (v != NULL || strncmp(err, "offset ", 7) != 0)
			abort();
		return 0;
	}
	if (walk(v) == 0)
		abort();
	(void)jread_str(jread_get(v, "name"), NULL);
	(void)jread_num(jread_get(v, "hop"), -1);
	jread_free(v);
	return 0;
}

/*
 * libFuzzer: report's reading of `dnswatch locate --json` lines
 * (src/report/locate_json over util/json_read, jansson underneath), which
 * reads files other tools wrote. Input: any bytes, parsed as one line. What
 * parses is walked whole (every string NUL-terminated within what was
 * allocated, which ASan checks) and its numbers checked against the ranges
 * the page relies on; a failure must say why in one of the two forms, and
 * leave nothing to free.
 * Seeds (tests/fuzz/corpus/fuzz_locate_json/seed-*, tests/fuzz/make_seeds.py):
 * real locate lines, escapes, surrogates, deep nesting, truncations; the
 * other files are fuzzing runs' corpora, merged (-merge=1).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/locate_json.h"

static size_t len(const char *s)
{
	return s ? strlen(s) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_locate l;
	struct dw_error e;
	if (report_locate_parse((const char *)data, size, &l, &e) != 0) {
		if ((strncmp(e.text, "not JSON: ", 10) != 0 || !strstr(e.text, " at offset ")) &&
		    strcmp(e.text, "not a `dnswatch locate --json` object") != 0)
			abort();
		if (l.hops || l.injectors || l.name || l.target || l.nhops || l.ninjectors)
			abort();
		return 0;
	}
	size_t n = len(l.name) + len(l.target);
	if (l.hop != -1 && (l.hop < 1 || l.hop > 255))
		abort();
	if ((l.nhops && !l.hops) || (l.ninjectors && !l.injectors))
		abort();
	for (size_t i = 0; i < l.nhops; i++) {
		if (l.hops[i].ttl < 0 || l.hops[i].ttl > 255)
			abort();
		n += len(l.hops[i].router);
	}
	for (size_t i = 0; i < l.ninjectors; i++) {
		if (l.injectors[i].flags > 0xffff)
			abort();
		n += len(l.injectors[i].answer);
	}
	if (n > size)
		abort();
	report_locate_free(&l);
	return 0;
}

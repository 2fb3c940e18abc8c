/* libFuzzer: the names reader (probe/names.c) over any list text. The
 * first byte picks the format asked (auto, plain, csv-rank, citizenlab,
 * zone); the rest is the file. Every name handed on must be a valid wire
 * name the prober would ask, on a line that was read, in the order read;
 * the reader never reports more invalid lines than it read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	FILE *f = fmemopen((void *)(uintptr_t)(data + 1), size - 1, "r");
	if (!f)
		return 0;
	struct probe_names *n = malloc(sizeof *n);
	if (!n)
		abort();
	probe_names_init(n, f, "fuzz");
	probe_names_set_format(n, (enum probe_names_format)(data[0] % 5));
	uint8_t name[WIRE_NAME_MAX];
	uint64_t line, last = 0;
	struct dw_error err;
	int r;
	unsigned long names = 0;
	while ((r = probe_names_next(n, name, &line, &err)) == 1) {
		char text[WIRE_NAME_TEXT_MAX];
		uint8_t again[WIRE_NAME_MAX];
		if (!wire_name_len(name, WIRE_NAME_MAX) || line < last || line > n->line || !line)
			abort();
		wire_name_to_text(name, text, sizeof text);
		if (probe_name_check(text, again) != NULL)
			abort(); /* every name handed on is one the prober asks */
		last = line;
		names++;
	}
	if (r == 0 && (n->seen || names > n->line || n->invalid > n->line + 1))
		abort();
	if (r < 0 && !err.text[0])
		abort();
	probe_names_free(n);
	free(n);
	fclose(f);
	return 0;
}

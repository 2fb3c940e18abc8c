/*
 * libFuzzer: what the ClickHouse store reads (src/store/clickhouse.c): a
 * server's TabSeparated answer (rows, fields, escapes), and a spool file
 * left on disk (a record header, then its bytes). Input: any bytes, read
 * both ways. Every field handed out must be NUL-terminated within the
 * buffer (ASan checks), and every spool record must lie inside the input
 * and move forward.
 * Seeds (tests/fuzz/corpus/fuzz_clickhouse/seed-*): answers of the report's
 * queries, of a resume's (the run, its targets, its stored queries) and of
 * the census's names, escaped strings, a spool with two records, a cut
 * one, spools of the census's and the guard's tables, one with RowBinary
 * and TabSeparated records (both heads' versions), one of an unknown
 * format.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/clickhouse.h"

static int walk(void *ctx, char **f, size_t n)
{
	size_t *total = ctx;
	if (n == 0 || n > CH_TSV_FIELDS_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		*total += strlen(f[i]);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	size_t total = 0;
	(void)ch_tsv_rows(text, walk, &total);
	if (total > size)
		abort(); /* unescaping never makes text longer */
	free(text);

	struct ch_spool_rec rec;
	for (size_t off = 0; off < size;) {
		if (ch_spool_record((const char *)data, size, off, &rec) != 0)
			break;
		if (rec.body_off + rec.body_len > size || rec.next <= off || rec.next > size ||
		    rec.body_off < off || !rec.table[0])
			abort();
		off = rec.next;
	}
	return 0;
}

/*
 * NDJSON output of probe results: one JSON object per line, one line per
 * query of one name to one target, with every reply kept and the verdict.
 * It is the result record's text form, written to any stream (probe writes
 * it to standard output); classify_load_ndjson reads it back.
 * Key names are stable and documented in docs/store.md; a consumer may rely
 * on them (new keys may be added, none renamed or removed within version 1).
 */
#ifndef DW_PROBE_NDJSON_H
#define DW_PROBE_NDJSON_H

#include <stddef.h>
#include <stdio.h>

#include "probe/result.h"
#include "util/error.h"

#define NDJSON_VERSION 1

/* Flags for ndjson_write_result. */
#define NDJSON_RAW 0x1u  /* add each reply's raw bytes as hex ("raw") */

/*
 * Write R as one line to OUT. TARGETS[0..NTARGETS) are the run's targets,
 * used for the target's label, kind and address (a result whose target index
 * is out of range gets only its index). Returns 0, or -1 if OUT reports an
 * error (ferror: a full disk, a closed pipe), with errno as the stream left it.
 */
DW_MUST_CHECK
int ndjson_write_result(FILE *out, const struct probe_result *r,
			const struct probe_target *targets, size_t ntargets,
			unsigned flags);


#endif

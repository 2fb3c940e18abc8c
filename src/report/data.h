/*
 * What the report shows, gathered from a store (store/sqlite.h): every run's
 * results bucketed over time, the forged share (injected + poisoned over all
 * judged) per path (target label) and per TLD, the injection window and the
 * cache tail found in the data, the forged addresses, the injector groups of
 * all runs merged by fingerprint, the runs, and the incidents table if the
 * store has one. No HTML here (report/html.h writes it).
 *
 * A ClickHouse store (store_clickhouse(db) != NULL) gives the same figures
 * counted in the server: every query GROUPs BY there over FINAL tables,
 * none pulls the results; runs are numbered 1..n in start order, and a
 * path is "vantage/label" when several vantage points wrote the database
 * (docs/store.md, "Reading: the report over ClickHouse").
 */
#ifndef DW_REPORT_DATA_H
#define DW_REPORT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/result.h"
#include "store/sqlite.h"

#define REPORT_SERIES_MAX 64     /* paths or TLDs charted; more are merged into "other" */
#define REPORT_BUCKETS_TARGET 100 /* about this many time buckets */
#define REPORT_ADDRS_MAX 4096    /* distinct forged addresses tracked */
#define REPORT_GROUPS_MAX 256    /* distinct fingerprints */

struct report_run {
	struct store_run_info info;
	size_t ntargets;
	struct probe_target *targets;   /* ntargets */
	uint64_t verdicts[VERDICT_COUNT];
	int64_t first_us, last_us;      /* first and last query sent (0 if none) */
};

/* One line of a chart: a path or a TLD, per bucket. */
struct report_series {
	char name[64];
	uint64_t *judged, *forged;      /* nbuckets each */
	uint64_t judged_total, injected_total, poisoned_total;
};

struct report_addr {
	char addr[46];
	uint64_t injected, poisoned;
	int64_t first_us, last_us;
	uint64_t path_mask;             /* bit i: paths[i] (first 64) */
};

struct report_group {
	char key[256];                  /* the fingerprint without its ranges and counts */
	uint64_t count;                 /* forged replies, over all runs */
	int ip_ttl_lo, ip_ttl_hi;       /* -1 if unknown */
	int answer_ttl_lo, answer_ttl_hi;
	char runs[96];                  /* "1 2 3" */
	char addrs[512];                /* forged addresses, space-separated */
};

struct report_data {
	const char *db_path;
	size_t nruns;
	struct report_run *runs;
	uint64_t nresults, njudged, ninjected, npoisoned;

	int64_t first_us, t1_us;        /* first and last query sent */
	int64_t t0_us;                  /* start of the first bucket (first_us rounded down) */
	int64_t bucket_us;
	size_t nbuckets;
	size_t npaths, ntlds;
	struct report_series paths[REPORT_SERIES_MAX], tlds[REPORT_SERIES_MAX];

	/* From the verdicts: the injection window (first to last `injected`)
	 * and the cache tail (after it, while `poisoned` remain). 0: none. */
	int64_t inj_first_us, inj_last_us;
	int64_t tail_end_us;            /* last `poisoned` after inj_last_us */
	bool tail_open;                 /* still poisoned in the last sample of its path */
	int64_t poi_first_us, poi_last_us;
	uint64_t tail_poisoned;         /* poisoned answers in the tail */
	double peak_share;              /* highest forged share of a path in one bucket */
	char peak_series[64];
	int64_t peak_us;

	size_t naddrs;
	struct report_addr *addrs;      /* sorted by forged count, descending */
	bool addrs_cut;                 /* more than REPORT_ADDRS_MAX distinct */

	size_t ngroups;
	struct report_group *groups;

	bool incidents_present;         /* the store has an incidents table */
	size_t nincidents;
	struct store_incident *incidents;
};

/*
 * Read everything of DB into D (zeroed first). Returns 0, or -1 with one line
 * in ERR ("WHAT: the store's line", its status); returns 1 if the store holds
 * no results at all (ERR says so: DW_E_NORUN for no runs, DW_E_NOT_FOUND for
 * runs without judged results). D must be report_data_free()'d in every case.
 */
DW_MUST_CHECK
int report_gather(struct store_db *db, struct report_data *d, struct dw_error *err);
void report_data_free(struct report_data *d);

/* Index of bucket that holds time US. */
size_t report_bucket_of(const struct report_data *d, int64_t us);
/* A bucket size in microseconds for a span, from a list of round sizes
 * (1 s ... 1 day), so that the span has at most about TARGET buckets. */
int64_t report_bucket_size(int64_t span_us, unsigned target);

#endif

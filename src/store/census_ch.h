/*
 * The census's tables in ClickHouse (docs/store.md, "census tables,
 * ClickHouse"): what store/census.c does with a clickhouse://HOST[:PORT]/DB
 * path, behind the same calls (census.h says what each does). Rows are
 * tagged with the vantage point (the host name) and batched through the
 * ClickHouse store's sender and spool (store/clickhouse.h); every table is
 * a ReplacingMergeTree keyed by the row's identity, read with FINAL.
 *
 * A name's row is posted after its replies, so a name stored is a name
 * whole; a resume deletes replies left without their name. Failures: -1
 * with ERR, "census store: ..." (ClickHouse's own words included).
 */
#ifndef DW_STORE_CENSUS_CH_H
#define DW_STORE_CENSUS_CH_H

#include "store/census.h"

struct census_ch;

int census_ch_open(struct census_ch **out, const char *url, bool readonly, struct dw_error *err);
int census_ch_close(struct census_ch *s, struct dw_error *err);
int census_ch_run_begin(struct census_ch *s, const char *cmdline, const char *targets, const char *qtypes,
			int64_t *run, struct dw_error *err);
int census_ch_run_unfinished(struct census_ch *s, int64_t *run, char *targets, size_t tcap, char *qtypes,
			     size_t qcap, struct dw_error *err);
int census_ch_run_use(struct census_ch *s, int64_t run, struct dw_error *err);
int census_ch_run_finish(struct census_ch *s, const char *status, struct dw_error *err);
int census_ch_run_last(struct census_ch *s, int64_t *run, struct dw_error *err);
int census_ch_name_put(struct census_ch *s, const struct census_store_name *n, struct dw_error *err);
int census_ch_reply_put(struct census_ch *s, const struct census_store_reply *r, struct dw_error *err);
int census_ch_group(struct census_ch *s, const char *fingerprint, int *id, struct dw_error *err);
int census_ch_group_totals(struct census_ch *s, int id, uint64_t replies, const char *addrs,
			   struct dw_error *err);
int census_ch_tick(struct census_ch *s, struct dw_error *err);
int census_ch_flush(struct census_ch *s, struct dw_error *err);
int census_ch_names(struct census_ch *s, int64_t run, bool censored_only,
		    int (*fn)(void *ctx, const struct census_store_name *n), void *ctx, struct dw_error *err);
int census_ch_rule_put(struct census_ch *s, const struct census_store_rule *r, struct dw_error *err);
int census_ch_overblocked_put(struct census_ch *s, const char *name, const char *pattern,
			      struct dw_error *err);
int census_ch_pool_put(struct census_ch *s, const struct census_store_pool *p, struct dw_error *err);
/* OLD_URL: a database on the same server as S's (another, or S's own). */
int census_ch_diff(struct census_ch *s, const char *old_url, int64_t old_run,
		   int (*fn)(void *ctx, enum census_change c, const char *a, const char *b), void *ctx,
		   struct dw_error *err);
int census_ch_summary(struct census_ch *s, struct census_store_summary *sum, struct dw_error *err);
int census_ch_rows(struct census_ch *s, int64_t run, const char *what, unsigned limit,
		   int (*fn)(void *ctx, int ncols, const char *const *cols), void *ctx, struct dw_error *err);

#endif

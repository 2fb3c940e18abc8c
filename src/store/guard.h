/*
 * The guard's tables in a dnswatch store (docs/store.md, "guard_drops",
 * "guard_purges"): one row per upstream reply `dnswatch guard --db`
 * dropped, with its evidence, and one per cached answer purged because an
 * address it holds proved forged, so that `dnswatch report` can show them.
 * The file is made a store by store_open first; the tables are created
 * when first written.
 *
 * A PATH of clickhouse://HOST[:PORT]/DATABASE writes the same rows into
 * ClickHouse (store/clickhouse.h): tagged with the vantage point (the host
 * name) and an identity of their own (the writer, a sequence number), so a
 * batch posted twice is read once; batches go through the ClickHouse
 * store's sender and spool.
 *
 * Rows go into an open transaction committed every GUARD_STORE_BATCH rows
 * or 200 ms (guard_store_tick) and at close: a guard killed loses at most
 * that last batch, and never leaves half a row. One struct guard_store is
 * used by one thread. Failures: -1 with ERR, "guard store: PATH: why while
 * what".
 */
#ifndef DW_STORE_GUARD_H
#define DW_STORE_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define GUARD_STORE_BATCH 500

struct guard_store;

struct guard_store_drop {
	int64_t time_us;
	const char *upstream, *qname, *qtype;
	const char *failed;    /* the failed checks, space-separated ("rtt layout") */
	int group;             /* the guard's injector group, 0 none */
	const char *evidence;
	int64_t rtt_us;
	int ip_ttl;            /* -1: not read */
	const char *addrs;     /* answer addresses, space-separated */
};

/* One cached answer purged: QNAME/QTYPE held ADDR, proved forged. */
struct guard_store_purge {
	int64_t time_us;
	const char *qname, *qtype;
	const char *addr;      /* the forged address, as text */
	const char *why;       /* "learned" or "dropped" (guard/server.h) */
};

DW_MUST_CHECK int guard_store_open(struct guard_store **out, const char *path, struct dw_error *err);
DW_MUST_CHECK int guard_store_put(struct guard_store *s, const struct guard_store_drop *d,
				  struct dw_error *err);
DW_MUST_CHECK int guard_store_purge_put(struct guard_store *s, const struct guard_store_purge *p,
					struct dw_error *err);
/* Commit the batch if it is old enough. */
DW_MUST_CHECK int guard_store_tick(struct guard_store *s, struct dw_error *err);
/* Commit and close (NULL: nothing). */
DW_MUST_CHECK int guard_store_close(struct guard_store *s, struct dw_error *err);

/* What report shows: the drops of a store, summed. */
#define GUARD_SUMMARY_TOP 10
struct guard_store_summary {
	bool present;          /* the store has the table */
	uint64_t drops;
	int64_t first_us, last_us;
	size_t nchecks;
	struct { char check[16]; uint64_t count; } checks[8];
	size_t naddrs;         /* forged addresses, most dropped first */
	struct { char addr[64]; uint64_t count; } addrs[GUARD_SUMMARY_TOP];
	size_t nnames;         /* names, most dropped first */
	struct { char name[256]; uint64_t count; } names[GUARD_SUMMARY_TOP];
	size_t nupstreams;
	struct { char upstream[128]; uint64_t count; } upstreams[GUARD_SUMMARY_TOP];
	/* the purges (a store without the guard_purges table: 0 and none) */
	uint64_t purges;
	int64_t purge_first_us, purge_last_us;
	size_t npurge_names;   /* names purged, most purged first */
	struct { char name[256]; uint64_t count; } purge_names[GUARD_SUMMARY_TOP];
	size_t npurge_addrs;   /* the forged addresses that purged them */
	struct { char addr[64]; uint64_t count; } purge_addrs[GUARD_SUMMARY_TOP];
};
/* Read the summary of the store at PATH (read-only; a clickhouse:// URL:
 * the database's rows of every vantage point, counted there). A store
 * without the drops table gives present false and 0. */
DW_MUST_CHECK int guard_store_summary(const char *path, struct guard_store_summary *sum,
				      struct dw_error *err);

#endif

/*
 * The names watch samples: a panel drawn from the lab's answer key (each
 * name with its zone and authoritative server, which the detector needs to
 * tell "many unrelated names" from one zone misbehaving), probed round and
 * round so that what a resolver cached is asked again (its cache tail shows),
 * with a share of the panel swapped for fresh names after each round so that
 * the whole population is covered over time. The panel is stratified by TLD:
 * each TLD holds its share of the names' places in every round (the rare
 * TLDs together one stratum), so that a misfire on one small TLD meets the
 * number of sampled names its share promises, not a random draw's. Deterministic for a seed: two
 * vantage points with the same seed ask the same name at the same position
 * of their streams (seq), which lets the store key every result by (seq,
 * path) and the detector compare vantage points name by name.
 */
#ifndef DW_WATCH_PANEL_H
#define DW_WATCH_PANEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"
#include "wire/name.h"

struct panel_name {
	char text[256];                /* "www.example.com." (the key has no escapes) */
	char tld[16];                  /* "com" (longer TLDs are cut) */
	uint64_t name, zone, server;   /* hashes, for counting distinct ones */
	uint32_t stratum;              /* index into panel.strata */
};

/* One TLD's names (or the rare TLDs' together), contiguous in panel.all. */
struct panel_stratum {
	size_t start, count;           /* its names: all[start .. start + count) */
	size_t alloc;                  /* its places in the panel */
	size_t fresh;                  /* the next of its names to swap in (relative) */
};

struct panel {
	struct panel_name *all;        /* every A name of the key, shuffled, grouped by stratum */
	size_t nall;
	struct panel_stratum *strata;
	size_t nstrata;
	size_t *cur;                   /* the panel: indexes into all */
	size_t size;                   /* panel size */
	uint64_t rounds_done;          /* rounds whose churn has been applied */
	size_t skipped;                /* key names the prober does not ask (probe_name_check) */
	char skipped_first[160];       /* the first of them: "PATH:LINE: 'name': why" */
	double churn;                  /* share swapped after each round */
	uint64_t rng;
};

/*
 * Read the key at PATH (docs/lab.md, "the answer key"; lines of A records)
 * and draw a panel of SIZE names (all of them if fewer), swapping CHURN
 * (0..1) of it after each round. Names the prober would not ask (not a
 * hostname: probe_name_check) are skipped and counted, the first kept in
 * skipped_first. Returns 0, or -1 with ERR set ("PATH:LINE: reason").
 */
int panel_load(struct panel *p, const char *path, size_t size, double churn, uint64_t seed,
	       struct dw_error *err) DW_MUST_CHECK;
/*
 * The same from a list of names instead of the key (`watch --names FILE`,
 * with no key): any format probe_names_* reads (probe/names.h), invalid
 * lines skipped and counted (the first kept in skipped_first). Without a
 * key a name's zone and authoritative server are not known: its last two
 * labels stand for both. Returns 0, or -1 with ERR set.
 */
int panel_load_names(struct panel *p, const char *path, size_t size, double churn, uint64_t seed,
		     struct dw_error *err) DW_MUST_CHECK;
void panel_free(struct panel *p);

/* The name at stream position SEQ: the stream is a function of (key, size,
 * churn, seed) alone. Positions must be asked in increasing order per
 * struct panel (the churn is applied as rounds go by). */
const struct panel_name *panel_at(struct panel *p, uint64_t seq);

/* PN's name in wire form, for the probe engine (its text is kept, the wire
 * form made when asked: the panel holds every name of the key). DW_OK, or
 * why the text has none (panel_load checked every name it took, so only a
 * panel_name changed since fails): WIRE is then not a name to ask (its
 * first byte is not even a root label: 0xff), and the caller skips it. */
DW_MUST_CHECK enum dw_status panel_name_wire(const struct panel_name *pn,
					     uint8_t wire[WIRE_NAME_MAX]);

/* FNV-1a of a string, case folded (names and zones compare that way). */
uint64_t panel_hash(const char *s);

#endif

/*
 * Scenario files (docs/scenarios.md): a timeline of lab actions at times of
 * a scenario clock, replayed faster than real time by a scale. The whole
 * file is read and checked before anything runs; the first error is
 * reported as "FILE:LINE: reason".
 *
 *   scenario 2014 the Great Firewall's misfire of 21 January 2014
 *   clock 15:10 China
 *   scale 1s=1min
 *   wall gfw
 *   15:15 inject load 2014-misfire.rules
 *   15:15 mark misfire on
 *   15:39 inject off
 *   16:00 flush isp public
 *   16:05 end
 *
 * The parser is pure (no I/O but reading the file and, for `inject load`,
 * checking the rule file with the injector's own parser), so it is unit
 * tested line by line; running a parsed scenario is lab_replay (replay.h).
 */
#ifndef DW_LAB_SCENARIO_H
#define DW_LAB_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define SCN_STEPS_MAX 256       /* timed lines per file */
#define SCN_LINE_MAX 512        /* bytes per line, newline included */
#define SCN_FILE_MAX (256 * 1024)
#define SCN_SPAN_MAX (24 * 3600)   /* scenario seconds from clock to end */
#define SCN_REAL_MAX (6 * 3600)    /* real seconds a replay may take */
#define SCN_ARG_MAX 256

enum scn_action {
	SCN_INJECT_LOAD,   /* arg: the rule file, resolved against the scenario's directory */
	SCN_INJECT_OFF,
	SCN_FLUSH,         /* arg: resolver ids, space-separated ("isp public") */
	SCN_ROGUE_UP,      /* addr: the rogue server's address; answer: what it answers */
	SCN_ROGUE_DOWN,
	SCN_ZONE_HIJACK,   /* arg: the TLD ("com"); addr: the rogue address */
	SCN_ZONE_RESTORE,  /* arg: the TLD */
	SCN_MARK,          /* arg: the label */
	SCN_END,
	SCN_NACTIONS
};

struct scn_step {
	int line;             /* in the file */
	int action;           /* enum scn_action */
	long clock_s;         /* scenario clock, seconds since midnight */
	long offset_s;        /* scenario seconds after the clock start */
	char arg[SCN_ARG_MAX];
	uint32_t addr;        /* host order */
	uint32_t answer;      /* host order */
};

struct scn {
	char file[SCN_ARG_MAX];  /* as given */
	char name[33];
	char title[128];
	long clock_s;            /* the clock at the start of the replay */
	char zone[16];           /* the clock's time zone label, free text ("China"), or "" */
	double scale;            /* scenario seconds per real second */
	char scale_text[32];     /* as written ("1s=1min") */
	char wall[8];            /* "gfw", "simple" or "none" (the default) */
	struct scn_step step[SCN_STEPS_MAX];
	size_t nsteps;           /* the last one is SCN_END */
	int uses_inject;         /* has inject actions (needs a wall) */
};

/* The action's name as written in files and events ("inject load", ...). */
const char *scn_action_name(int action);

/*
 * Parse TEXT (LEN bytes) as the scenario file PATH (PATH names it in
 * messages and anchors relative rule file names). Fills S. Returns 0, or -1
 * with "PATH:LINE: reason" (or "PATH: reason") in ERR, status DW_E_SYNTAX
 * (DW_E_TOO_LARGE for a file or line over the bounds). CHECK_FILES: also
 * read every rule file an `inject load` names and check it with the
 * injector's parser (errors then read "PATH:LINE: rules FILE:N: reason",
 * with the rule parser's status).
 */
DW_MUST_CHECK int scn_parse(struct scn *s, const char *path, const char *text, size_t len,
			    int check_files, struct dw_error *err);

/* Read PATH and scn_parse it, checking the rule files. */
DW_MUST_CHECK int scn_load(struct scn *s, const char *path, struct dw_error *err);

/* "1s=1min", "2s=1min", "1s=30s", "500ms=1s", "1s=1h": scenario seconds per
 * real second into *OUT. Returns 0 or -1 with the reason in ERR
 * (DW_E_SYNTAX, or DW_E_INVALID out of range). */
DW_MUST_CHECK int scn_parse_scale(const char *spec, double *out, struct dw_error *err);

/* "15:15" or "15:15:30" as seconds since midnight into *OUT; 0 or -1. */
DW_MUST_CHECK int scn_parse_clock(const char *s, long *out);

/* 0, 1, 2 for com, net, org (the TLDs a scenario may hijack), -1 otherwise. */
DW_MUST_CHECK int scn_tld_index(const char *tld);

/* Seconds since midnight as "HH:MM:SS" into BUF. */
void scn_format_clock(long clock_s, char *buf, size_t cap);

#endif

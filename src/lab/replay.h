/*
 * `dnswatch lab replay`: runs a parsed scenario (scenario.h) against a
 * running lab. Each action happens at its scenario time divided by the
 * scale; each prints one line and writes one NDJSON event. Everything the
 * replay changed is undone at the end, on an error and on SIGINT/SIGTERM:
 * rules off, the wall it started stopped, hijacked zones restored, the
 * rogue server stopped and its address removed (docs/scenarios.md).
 */
#ifndef DW_LAB_REPLAY_H
#define DW_LAB_REPLAY_H

#include <signal.h>

#include "lab/scenario.h"

struct lab_replay_opts {
	const char *lab;        /* the lab's name */
	const char *dir;        /* its state directory */
	const char *control;    /* a running wall's control socket, or NULL: start our own */
	const char *events;     /* NDJSON events file (truncated), or NULL */
	double scale;           /* scenario seconds per real second; 0: the file's */
	const char *scale_text; /* as given, for messages */
	volatile sig_atomic_t *stop; /* set by a signal handler: clean up and return */
};

/* Run S. Returns 0 when the timeline ran to its end, 1 on a failure (the
 * reason printed), 130 when stopped by *STOP. Cleans up in every case. */
DW_MUST_CHECK int lab_replay(const struct scn *s, const struct lab_replay_opts *o);

#endif

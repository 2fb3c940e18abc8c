/* `dnswatch probe` (usage in probe_cmd.h): the engine's results are judged
 * by the classifier, name by name, and written as NDJSON and/or SQLite. */
#include "cli/probe_cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lab/host.h"
#include "lab/servers.h"
#include "probe/classify.h"
#include "probe/engine.h"
#include "probe/gather.h"
#include "probe/dot_control.h"
#include "probe/names.h"
#include "cli/target.h"
#include "probe/ndjson.h"
#include "store/sqlite.h"
#include "util/clock.h"
#include "util/text.h"
#include "wire/msg.h"

struct run {
	struct probe_config cfg;
	struct classify *cls;
	struct store_db *db;
	bool ndjson, raw, resume;
	int control_target;          /* index, or -1 */
	struct probe_gather *gather; /* each name's results, judged when all are in */
	struct probe_names names;
	uint64_t written;
	struct probe_stats *st;      /* the engine's, for the progress line */
	bool failed;
	/* --control-target naming a tls: target: each name asked over DoT
	 * before the engine sends it, the answer the control (docs/verdicts.md) */
	struct dot_control *dot;
	struct dot_control_config dotc;
	char dot_name[256], ca_path[4096];
	struct probe_result *dot_r;
	uint8_t dot_origin;
};

/* SIGINT and SIGTERM: the engine stops at its next turn (cfg.stop). */
static volatile sig_atomic_t interrupted;
static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* One judged result (the gather's callback): to NDJSON and the store. */
static void write_result(void *ctx, struct probe_result *r)
{
	struct run *x = ctx;
	if (x->ndjson && ndjson_write_result(stdout, r, x->cfg.target, (size_t)x->cfg.ntargets,
					     x->raw ? NDJSON_RAW : 0)) {
		fprintf(stderr, "dnswatch probe: writing to standard output: %s\n", strerror(errno));
		x->failed = true;
	}
	if (x->db) {
		enum dw_status st = store_put(x->db, r);
		if ((st != DW_OK && st != DW_E_DUP) || store_tick(x->db) != DW_OK)
			x->failed = true; /* the store has said why, in one line */
	}
	x->written++;
	if (r->verdict < VERDICT_COUNT)
		x->st->verdicts[r->verdict]++;
}

/* The DoT control's answer for every type of NAME, before the engine asks
 * it: so the control is there when the name is judged. Returns 0, or -1
 * (ERR) when the control cannot be reached at all. */
static int dot_ask(struct run *x, const uint8_t *name, struct dw_error *err)
{
	for (int k = 0; k < x->cfg.nqtypes; k++) {
		if (dot_control_ask(x->dot, name, x->cfg.qtype[k], x->dot_r, err))
			return dw_error_prefix(err, "the control target %s", x->dotc.target.label);
		if (classify_control_observe_from(x->cls, x->dot_r, x->dot_origin) < 0) {
			/* the control table is full: this name is judged without it */
		}
	}
	return 0;
}

/* The engine's names: the input file's, each with its line (which every
 * result of it carries). Invalid lines are told as they are met
 * (on_invalid); a read error ends the input (probe_run returns it). */
static int on_next(void *ctx, uint8_t name[WIRE_NAME_MAX], uint32_t *line, uint64_t *tag,
		   struct dw_error *err)
{
	struct run *x = ctx;
	uint64_t at;
	(void)tag;
	int r = probe_names_next(&x->names, name, &at, err);
	if (r == 1)
		*line = (uint32_t)at;
	if (r == 1 && x->dot && dot_ask(x, name, err))
		return -1;
	return r;
}

static void on_invalid(void *ctx, const struct dw_error *why)
{
	(void)ctx;
	fprintf(stderr, "%s\n", why->text);
}

/* The engine asks, for every (name, target), whether to probe it: what a
 * resumed store already has is skipped, the rest the gather waits for. */
static bool on_skip(void *ctx, uint64_t seq, unsigned target)
{
	struct run *x = ctx;
	bool skip = x->resume && store_done_has(x->db, seq, (uint16_t)target);
	if (!skip)
		probe_gather_expect(x->gather, seq);
	return skip;
}

/* A finished query to the gather, which judges each name when all its
 * results are in and hands them to write_result. */
static int on_result(void *ctx, struct probe_result *r)
{
	struct run *x = ctx;
	struct dw_error e;
	if (probe_gather_result(x->gather, r, util_mono_us(), &e)) {
		fprintf(stderr, "dnswatch probe: %s\n", e.text);
		x->failed = true;
	}
	return x->failed ? 1 : 0;
}

/* Once a second on a terminal: how far, how fast, the verdicts so far. */
static void on_progress(void *ctx, const struct probe_stats *st, uint64_t elapsed_us, bool last)
{
	(void)ctx;
	double el = (double)elapsed_us / 1e6;
	fprintf(stderr, "\r%llu done, %.0f/s, %llu in flight; ok %llu injected %llu poisoned %llu inconsistent %llu timeout %llu",
		(unsigned long long)st->done, el > 0 ? (double)st->done / el : 0.0,
		(unsigned long long)st->in_flight,
		(unsigned long long)st->verdicts[VERDICT_OK], (unsigned long long)st->verdicts[VERDICT_INJECTED],
		(unsigned long long)st->verdicts[VERDICT_POISONED],
		(unsigned long long)st->verdicts[VERDICT_INCONSISTENT],
		(unsigned long long)st->verdicts[VERDICT_TIMEOUT]);
	fputs(last ? "\n" : "   ", stderr);
	fflush(stderr);
}

/*
 * The store's memory of forgeries: every address that earlier runs in the
 * same database judged forged (an injected reply) goes into the forged set,
 * so a resolver still serving it now is recognised as poisoned. Returns the
 * number of addresses added, or -1 (said: the store says its own
 * failures).
 */
static long preload_forged(struct run *x)
{
	struct store_run_info last;
	enum dw_status st = store_run_info(x->db, 0, &last);
	if (st == DW_E_NORUN)
		return 0; /* an empty store */
	if (st != DW_OK)
		return -1; /* the store said why (errlog) */
	struct probe_result *r = malloc(sizeof *r);
	long added = 0;
	if (!r) {
		fprintf(stderr, "dnswatch probe: out of memory reading the store's forgeries\n");
		return -1;
	}
	for (int64_t run = 1; run <= last.id; run++) {
		struct store_run_info info;
		if (store_run_info(x->db, run, &info) != DW_OK)
			continue;
		struct store_filter f = {.run = run, .verdict = VERDICT_INJECTED, .target = -1};
		struct store_iter *it;
		bool got;
		if (store_iter_open(x->db, &f, &it) != DW_OK) {
			free(r);
			return -1;
		}
		while ((st = store_iter_next(it, r, &got)) == DW_OK && got) {
			if (r->forged_reply < 0 || r->forged_reply >= (int)r->nreplies)
				continue;
			const struct probe_reply *rep = &r->reply[r->forged_reply];
			for (unsigned k = 0; k < rep->naddrs; k++)
				if (classify_forged_add(x->cls, rep->addrs[k].family, rep->addrs[k].addr, -1) == 1)
					added++;
		}
		store_iter_close(it);
		if (st != DW_OK) {
			free(r);
			return -1; /* the store said why (errlog) */
		}
	}
	free(r);
	return added;
}

static int usage(const char *what, const char *arg)
{
	fprintf(stderr, "dnswatch probe: %s '%s' (see `dnswatch help probe`)\n", what, arg);
	return 2;
}

static void summary(const struct run *x, const struct probe_stats *st, double secs)
{
	const struct probe_names *nm = &x->names;
	char list[64] = "";
	if (nm->format != PROBE_NAMES_PLAIN && nm->format != PROBE_NAMES_AUTO)
		snprintf(list, sizeof list, " of a %s list", probe_names_format_name(nm->format));
	fprintf(stderr, "probe: %.2f s, %.0f queries/s: %llu names%s (%lu invalid lines skipped",
		secs, secs > 0 ? (double)st->done / secs : 0.0, (unsigned long long)st->names, list,
		nm->invalid);
	if (nm->duplicates)
		fprintf(stderr, ", %lu repeated names skipped", nm->duplicates);
	if (nm->addresses)
		fprintf(stderr, ", %lu URLs with an IP address for a host skipped", nm->addresses);
	if (nm->unchecked)
		fprintf(stderr, ", %lu names past the repeat check's bound", nm->unchecked);
	fprintf(stderr, "), %llu queries, %llu sent (%llu retransmitted), %llu replies",
		(unsigned long long)st->queries,
		(unsigned long long)st->sent, (unsigned long long)st->retransmits,
		(unsigned long long)st->replies);
	if (st->skipped)
		fprintf(stderr, ", %llu already stored (resumed)", (unsigned long long)st->skipped);
	if (st->send_errors)
		/* "sent" counts the datagrams handed to the socket; these the
		 * kernel refused (no route, a full buffer). */
		fprintf(stderr, ", %llu refused by the kernel (no route to a target, or a full send buffer)",
			(unsigned long long)st->send_errors);
	if (st->bad_names)
		fprintf(stderr, ", %llu names refused (no wire form)", (unsigned long long)st->bad_names);
	/* Always said: a retransmission the prober's own buffers caused would
	 * show here (the replies are read from the ring, not the sockets). */
	fprintf(stderr, ", %llu packets dropped by the capture ring", (unsigned long long)st->ring_drops);
	if (x->cfg.threads > 1)
		fprintf(stderr, ", %u threads", x->cfg.threads);
	if (st->frag_replies)
		fprintf(stderr, ", %llu fragmented replies reassembled", (unsigned long long)st->frag_replies);
	if (st->frag_expired || st->frag_rejected)
		fprintf(stderr, ", IP fragments: %llu datagrams expired, %llu fragments rejected",
			(unsigned long long)st->frag_expired, (unsigned long long)st->frag_rejected);
	if (classify_unkept(x->cls))
		fprintf(stderr, ", %llu observations not kept (a classifier table was full)",
			(unsigned long long)classify_unkept(x->cls));
	fputs("\nverdicts:", stderr);
	for (int v = VERDICT_OK; v < VERDICT_COUNT; v++)
		if (st->verdicts[v])
			fprintf(stderr, " %s %llu", probe_verdict_name((enum probe_verdict)v),
				(unsigned long long)st->verdicts[v]);
	fputc('\n', stderr);
	for (size_t i = 0; i < classify_group_count(x->cls); i++) {
		char d[512];
		classify_group_describe(classify_group_get(x->cls, i), d, sizeof d);
		fprintf(stderr, "injector group %s\n", d);
	}
}

/* What the command line asks, besides the engine's configuration. */
struct probe_opts {
	const char *lab, *from, *input, *db, *ctl_label, *ca;
	const char *keys[8], *runs[8], *dbs[8];
	int nkeys, nruns, ndbs;
	char *specs[PROBE_TARGETS_MAX];
	int nspecs;
	bool ndjson, rate_given, allow_fast;
	enum probe_names_format names_format;
	const char *vantage;  /* --vantage: the run's vantage point in a ClickHouse store */
};

/* The options into X's configuration and O. Returns 0, or 2 (usage, said). */
static int parse_args(struct run *x, struct probe_opts *o, int argc, char **argv)
{
	struct probe_config *c = &x->cfg;
	int ntypes = 0;
	double v;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--resume")) { x->resume = true; continue; }
		if (!strcmp(a, "--ndjson")) { o->ndjson = true; continue; }
		if (!strcmp(a, "--raw")) { x->raw = true; continue; }
		if (!strcmp(a, "--no-edns")) { c->edns = false; continue; }
		if (!strcmp(a, "--allow-fast-public")) { o->allow_fast = true; continue; }
		if (a[0] != '-' || !strcmp(a, "-")) { o->input = a; continue; }
		if (!val)
			return usage("a value is missing after", a);
		i++;
		if (!strcmp(a, "--lab")) o->lab = val;
		else if (!strcmp(a, "--from")) o->from = val;
		else if (!strcmp(a, "--target")) {
			if (o->nspecs == PROBE_TARGETS_MAX)
				return usage("too many targets at", val);
			o->specs[o->nspecs++] = argv[i];
		} else if (!strcmp(a, "-t")) {
			if (ntypes == PROBE_QTYPES_MAX || !wire_type_from_name(val, &c->qtype[ntypes]))
				return usage("bad query type", val);
			c->nqtypes = ++ntypes;
		} else if ((!strcmp(a, "--max-rate") || !strcmp(a, "--rate")) && text_number(val, 1, 5e6, &v)) {
			c->rate = v;
			o->rate_given = true;
		}
		else if (!strcmp(a, "--inflight") && text_number(val, 1, 1e6, &v)) c->inflight = (unsigned)v;
		else if (!strcmp(a, "--retries") && text_number(val, 0, 10, &v)) c->retries = (unsigned)v;
		else if (!strcmp(a, "--timeout") && text_number(val, 10, 60000, &v)) c->timeout_ms = (uint32_t)v;
		else if (!strcmp(a, "--hold") && text_number(val, 0, 60000, &v)) c->hold_ms = (uint32_t)v;
		else if (!strcmp(a, "--sockets") && text_number(val, 1, 64, &v)) c->sockets = (unsigned)v;
		else if (!strcmp(a, "--threads") && text_number(val, 1, PROBE_THREADS_MAX, &v)) c->threads = (unsigned)v;
		else if (!strcmp(a, "--seed") && text_number(val, 0, 1.8e19, &v)) c->seed = (uint64_t)v;
		else if (!strcmp(a, "--control-key") && o->nkeys < 8) o->keys[o->nkeys++] = val;
		else if (!strcmp(a, "--control-run") && o->nruns < 8) o->runs[o->nruns++] = val;
		else if (!strcmp(a, "--control-db") && o->ndbs < 8) o->dbs[o->ndbs++] = val;
		else if (!strcmp(a, "--control-target")) o->ctl_label = val;
		else if (!strcmp(a, "--ca")) o->ca = val;
		else if (!strcmp(a, "--db")) o->db = val;
		else if (!strcmp(a, "--names-format")) {
			if (!probe_names_format_parse(val, &o->names_format))
				return usage("bad --names-format (auto, plain, csv-rank, citizenlab or zone)", val);
		}
		else if (!strcmp(a, "--vantage")) o->vantage = val;
		else if (!strcmp(a, "--pcap")) c->pcap_path = val;
		else return usage("bad option or value", a);
	}
	return 0;
}

/* The rate: the one asked, or the default for where the targets are
 * (target.h); over PROBE_FAST_RATE to a target outside loopback and the
 * lab only with --allow-fast-public. Returns 0, or 2 (said). */
static int rate_rule(struct run *x, const struct probe_opts *o)
{
	struct probe_config *c = &x->cfg;
	/* The engine's targets and the DoT control, asked once a name too. */
	struct probe_target all[PROBE_TARGETS_MAX + 1];
	int n = c->ntargets;
	memcpy(all, c->target, (size_t)n * sizeof *all);
	if (x->dot_r)
		all[n++] = x->dotc.target;
	int pub = probe_targets_public(all, n);
	if (!o->rate_given) {
		c->rate = pub >= 0 ? PROBE_PUBLIC_RATE : PROBE_LOCAL_RATE;
		if (pub >= 0)
			fprintf(stderr, "dnswatch probe: %g queries/s: the default with a target outside loopback and the lab (%s); --max-rate N to change it\n",
				c->rate, all[pub].label);
	}
	char msg[512];
	if (probe_rate_allowed(all, n, c->rate, o->allow_fast, "--max-rate", msg, sizeof msg)) {
		fprintf(stderr, "dnswatch probe: %s\n", msg);
		return 2;
	}
	return 0;
}

/* The targets, the control target, what --resume needs. Returns 0, or 2
 * (usage, said). */
static int check_targets(struct run *x, const struct probe_opts *o)
{
	struct probe_config *c = &x->cfg;
	if (!o->nspecs && !x->resume) {
		fprintf(stderr, "dnswatch probe: at least one --target (see `dnswatch help probe`)\n");
		return 2;
	}
	int n = 0;
	for (int i = 0; i < o->nspecs; i++) {
		struct probe_target *t = &c->target[n];
		int tls = probe_target_parse_tls(o->specs[i], t, x->dot_name, sizeof x->dot_name);
		if (tls < 0)
			return usage("bad target (LABEL=tls:ADDR[:PORT][#NAME])", o->specs[i]);
		if (tls) {
			/* DoT serves as the control: asked name by name, not
			 * by the engine. */
			if (!o->ctl_label || strcmp(o->ctl_label, t->label) || x->dot_r)
				return usage("a tls: target is the control only (one, named by --control-target)",
					     o->specs[i]);
			x->dotc.target = *t;
			if (!(x->dot_r = calloc(1, sizeof *x->dot_r))) {
				fprintf(stderr, "dnswatch probe: out of memory\n");
				return 1;
			}
			continue;
		}
		if (probe_target_parse(o->specs[i], o->lab != NULL, t))
			return usage(o->lab ? "bad target (LABEL=KIND:ADDR[:PORT] or a lab server)"
					    : "bad target (LABEL=KIND:ADDR[:PORT])", o->specs[i]);
		if (o->ctl_label && !strcmp(o->ctl_label, t->label))
			x->control_target = n;
		n++;
	}
	c->ntargets = n;
	if (!n && !x->resume)
		return usage("no target to probe besides the control", o->specs[0]);
	if (o->ctl_label && x->control_target < 0 && !x->dot_r)
		return usage("--control-target names no target", o->ctl_label);
	if (x->resume && !o->db)
		return usage("--resume needs", "--db FILE");
	x->ndjson = !o->db || o->ndjson;
	return o->nspecs ? rate_rule(x, o) : 0; /* --resume alone: once the run's targets are read */
}

/*
 * --control-db: the answers judged ok in every run of the store at PATH
 * (another dnswatch's, e.g. at an uncensored vantage point, or this one's
 * earlier runs) are the control, as an earlier run's (docs/verdicts.md).
 * Returns the number of results taken, or -1 (said).
 */
static long load_control_db(struct run *x, const char *path)
{
	struct store_opts so = {.readonly = true, .errlog = stderr};
	struct store_db *db;
	if (store_open(&db, path, &so, NULL) != DW_OK)
		return -1; /* the store said why */
	struct store_run_info last;
	enum dw_status st = store_run_info(db, 0, &last);
	struct probe_result *r = malloc(sizeof *r);
	long taken = 0;
	if (st == DW_E_NORUN)
		st = DW_OK, last.id = 0;
	if (!r)
		st = DW_E_NOMEM;
	for (int64_t run = 1; st == DW_OK && run <= last.id; run++) {
		struct store_filter f = {.run = run, .verdict = VERDICT_OK, .target = -1};
		struct store_iter *it;
		bool got;
		struct store_run_info info;
		if (store_run_info(db, run, &info) != DW_OK)
			continue;
		if ((st = store_iter_open(db, &f, &it)) != DW_OK)
			break;
		while ((st = store_iter_next(it, r, &got)) == DW_OK && got)
			taken += classify_control_from_result(x->cls, r, CLASSIFY_SRC_RUN, 0) == 1;
		store_iter_close(it);
	}
	free(r);
	if (st == DW_E_NOMEM)
		fprintf(stderr, "dnswatch probe: out of memory reading %s\n", path);
	if (store_close(db) != DW_OK && st == DW_OK)
		st = DW_E_DB;
	return st == DW_OK ? taken : -1;
}

/* The controls: answer keys and earlier runs. Returns 0 or -1 (said). */
static int load_controls(struct run *x, const struct probe_opts *o)
{
	struct dw_error err;
	for (int i = 0; i < o->nkeys; i++)
		if (classify_control_load_key(x->cls, o->keys[i], &err) < 0) {
			fprintf(stderr, "dnswatch probe: %s\n", err.text);
			return -1;
		}
	for (int i = 0; i < o->ndbs; i++)
		if (load_control_db(x, o->dbs[i]) < 0)
			return -1;
	for (int i = 0; i < o->nruns; i++)
		if (classify_load_ndjson(x->cls, o->runs[i], CLASSIFY_LOAD_CONTROL | CLASSIFY_LOAD_FORGED,
					 &err) < 0) {
			fprintf(stderr, "dnswatch probe: %s\n", err.text);
			return -1;
		}
	return 0;
}

/* --resume: the unfinished run's targets and types (the same targets if
 * any were given). Returns 0 or -1 (said). */
static int resume_run(struct run *x, const struct probe_opts *o)
{
	struct probe_config *c = &x->cfg;
	int64_t run;
	if (store_run_resume(x->db, 0, &run) != DW_OK) {
		const struct dw_error *e = store_error(x->db);
		if (e->status == DW_E_NORUN)
			fprintf(stderr, "dnswatch probe: %s: no unfinished run to resume\n", o->db);
		else if (e->status == DW_E_STATE || e->status == DW_E_INVALID)
			fprintf(stderr, "dnswatch probe: %s\n", e->text); /* a refusal: not said yet */
		return -1;
	}
	size_t n;
	const struct probe_target *t = store_run_targets(x->db, &n);
	if (o->nspecs && (n != (size_t)o->nspecs || memcmp(t, c->target, n * sizeof *t) != 0)) {
		fprintf(stderr, "dnswatch probe: --resume: the targets differ from run %lld's\n", (long long)run);
		return -1;
	}
	memcpy(c->target, t, n * sizeof *t);
	c->ntargets = (int)n;
	if (!o->nspecs && rate_rule(x, o))
		return -1;
	size_t nq;
	const uint16_t *qt = store_run_qtypes(x->db, &nq);
	memcpy(c->qtype, qt, nq * sizeof *qt);
	c->nqtypes = (int)nq;
	fprintf(stderr, "dnswatch probe: resuming run %lld: %llu results stored\n",
		(long long)run, (unsigned long long)store_done_count(x->db));
	return 0;
}

/* --db: the store, its memory of forgeries, and a run begun or resumed.
 * Returns 0 or -1 (said). */
static int open_store(struct run *x, const struct probe_opts *o, int argc, char **argv)
{
	struct probe_config *c = &x->cfg;
	/* The store's failures are said as they happen, on stderr. */
	struct store_opts so = {.errlog = stderr, .keep_raw = x->raw, .vantage = o->vantage};
	if (store_open(&x->db, o->db, &so, NULL) != DW_OK)
		return -1; /* the store said why */
	if (preload_forged(x) < 0)
		return -1;
	if (x->resume)
		return resume_run(x, o);
	char cmdline[2048];
	text_command_line(cmdline, sizeof cmdline, "dnswatch", argc, argv);
	int64_t run;
	if (store_run_begin(x->db, cmdline, NULL, c->target, (size_t)c->ntargets, c->qtype,
			    (size_t)c->nqtypes, &run) != DW_OK)
		return -1;
	return 0;
}

/* The engine over x->names, with SIGINT and SIGTERM stopping it (the run
 * stays open); what is still held judged and written. Returns 0, or -1
 * (said): the engine could not start, was interrupted, or the input could
 * not be read to its end (each leaves the run open). */
static int probe_names_file(struct run *x, struct probe_stats *st, double *secs)
{
	struct probe_config *c = &x->cfg;
	struct probe_hooks hooks = {.next = on_next, .skip = on_skip, .result = on_result, .ctx = x};
	if (isatty(STDOUT_FILENO) && isatty(STDERR_FILENO))
		hooks.progress = on_progress;
	x->st = st;
	struct dw_error err;
	struct timespec t0, t1;
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	c->stop = &interrupted;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = probe_run(c, &hooks, st, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	*secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* Whatever is still held (a run stopped early): judged and written as
	 * it stands. */
	probe_gather_flush(x->gather);
	if (!rc && interrupted) {
		/* Queries in flight were dropped, not stored: the run stays open. */
		rc = -1;
		snprintf(err.text, sizeof err.text,
			 "interrupted; %u queries in flight were not stored (--resume repeats them)",
			 (unsigned)st->in_flight);
	}
	if (rc && st->input_failed)
		/* What was read was probed and stored; the rest never was. */
		fprintf(stderr, "dnswatch probe: %s; stopping the input here%s\n", err.text,
			x->db ? ": the run stays open (--resume probes the rest)" : "");
	else if (rc)
		fprintf(stderr, "dnswatch probe: %s\n", err.text);
	return rc;
}

/* The end of the run in the store: the injector groups, the commit, and
 * the run finished unless it stopped early (RC) or failed. */
static void close_store_run(struct run *x, int rc)
{
	for (size_t i = 0; i < classify_group_count(x->cls); i++) {
		const struct classify_group *g = classify_group_get(x->cls, i);
		char fp[256];
		classify_fp_format(&g->fp, fp, sizeof fp);
		if (store_group_put(x->db, g->id, fp, g->count, g->addrs, g->naddrs) != DW_OK)
			x->failed = true;
	}
	if (store_flush(x->db) != DW_OK)
		x->failed = true;
	/* A run that stopped early stays open for --resume. */
	if (!rc && !x->failed && store_run_finish(x->db, false) != DW_OK)
		x->failed = true;
}

/* Everything after the options: controls, store, namespace, the run.
 * Returns the exit status. */
static int probe_main(struct run *x, const struct probe_opts *o, int argc, char **argv)
{
	struct dw_error err;
	if (!(x->cls = classify_new(NULL))) {
		fprintf(stderr, "dnswatch probe: out of memory\n");
		return 1;
	}
	if (load_controls(x, o))
		return 1;
	if (x->dot_r) {
		/* The lab's CA by default in a lab (docs/lab.md), the system's
		 * store elsewhere. */
		if (!o->ca && o->lab)
			snprintf(x->ca_path, sizeof x->ca_path, LAB_STATE_BASE "/%s/" LAB_DOT_CA, o->lab);
		else if (o->ca)
			snprintf(x->ca_path, sizeof x->ca_path, "%s", o->ca);
		x->dotc.name = x->dot_name[0] ? x->dot_name : NULL;
		x->dotc.ca_file = x->ca_path[0] ? x->ca_path : NULL;
		/* a TLS handshake is two round trips and a lookup one more: not
		 * less than 3 s, whatever the UDP timeout */
		x->dotc.timeout_ms = (int)(x->cfg.timeout_ms * (x->cfg.retries + 1u));
		if (x->dotc.timeout_ms < 3000)
			x->dotc.timeout_ms = 3000;
		x->dotc.seed = x->cfg.seed ^ 0x2545f4914f6cdd1dull;
		char label[48];
		snprintf(label, sizeof label, "%s", x->dotc.target.label);
		int id = classify_origin_add(x->cls, label);
		if (id < 0 || !(x->dot = dot_control_new(&x->dotc))) {
			fprintf(stderr, "dnswatch probe: out of memory\n");
			return 1;
		}
		x->dot_origin = (uint8_t)id;
	}
	if (o->db && open_store(x, o, argc, argv))
		return 1;
	/* Every name waits for all its results (a probe run has no deadline
	 * to keep): judged in the classifier's order, then written. */
	struct probe_gather_opts go = {.cfg = &x->cfg, .cls = x->cls,
				       .control_target = x->control_target,
				       .wait_us = PROBE_GATHER_NO_BOUND, .judged = write_result, .ctx = x};
	if (!(x->gather = probe_gather_new(&go))) {
		fprintf(stderr, "dnswatch probe: out of memory\n");
		return 1;
	}
	if ((o->lab || o->from) &&
	    lab_host_enter(o->lab ? o->lab : "dw", o->from ? o->from : "client", &err)) {
		fprintf(stderr, "dnswatch probe: %s\n", err.text);
		return 1;
	}
	/* NDJSON to a file or a pipe goes out 64 KiB a write: stdio's default
	 * is the file's block size (4 KiB), and the kernel time of a
	 * million lines (708 MB) was twice as much at 173,000 writes as at
	 * 11,000. A terminal keeps its line buffering. Before any output. */
	static char out_buf[64 * 1024];
	if (x->ndjson && !isatty(STDOUT_FILENO))
		setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
	bool std_in = !strcmp(o->input, "-");
	FILE *in = std_in ? stdin : fopen(o->input, "r");
	if (!in) {
		fprintf(stderr, "dnswatch probe: %s: %s\n", o->input, strerror(errno));
		return 1;
	}
	probe_names_init(&x->names, in, std_in ? "<stdin>" : o->input);
	probe_names_set_format(&x->names, o->names_format);
	x->names.on_invalid = on_invalid;
	struct probe_stats st;
	double secs;
	int rc = probe_names_file(x, &st, &secs);
	probe_names_free(&x->names);
	if (!std_in)
		fclose(in);
	summary(x, &st, secs);
	if (x->db)
		close_store_run(x, rc);
	return rc || x->failed ? 1 : 0;
}

int probe_cmd(int argc, char **argv)
{
	struct run *x = calloc(1, sizeof *x);
	struct probe_opts o = {.input = "-"};
	if (!x) {
		fprintf(stderr, "dnswatch probe: out of memory\n");
		return 1;
	}
	x->control_target = -1;
	x->ndjson = true;
	probe_config_default(&x->cfg);
	/* Every core by default: a thread per core, each with its sockets. */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	x->cfg.threads = cores < 1 ? 1 : cores > PROBE_THREADS_MAX ? PROBE_THREADS_MAX : (unsigned)cores;
	int rc = parse_args(x, &o, argc, argv);
	if (!rc)
		rc = check_targets(x, &o);
	if (!rc)
		rc = probe_main(x, &o, argc, argv);
	if (x->db && store_close(x->db) != DW_OK && !rc) /* the store said why */
		rc = 1;
	classify_free(x->cls);
	probe_gather_free(x->gather);
	dot_control_free(x->dot);
	free(x->dot_r);
	free(x);
	return rc;
}

/* `dnswatch guard` (usage in guard_cmd.h). */
#include "cli/guard_cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guard/server.h"
#include "lab/host.h"
#include "store/guard.h"
#include "store/sqlite.h"
#include "util/clock.h"
#include "util/json.h"
#include "wire/msg.h"
#include "wire/name.h"

static volatile sig_atomic_t stop_flag, dump_flag;
static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}
static void on_usr1(int sig)
{
	(void)sig;
	dump_flag = 1;
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "dnswatch guard: %s '%s' (see `dnswatch help guard`)\n", what, arg);
	return 2;
}

static bool number(const char *s, long lo, long hi, long *v)
{
	char *end;
	*v = strtol(s, &end, 10);
	return *s && !*end && *v >= lo && *v <= hi;
}

struct logctx {
	FILE *log;
	const char *path;
	struct guard_store *store;
	const char *db_path;
	bool failed;
};

/* One drop into the store's guard_drops table. */
static void store_drop(struct logctx *x, const struct guard_drop_info *d)
{
	char failed[64] = "", addrs[GUARD_OBS_ADDRS * 48] = "", tbuf[16], abuf[64];
	for (unsigned i = 0; i < GUARD_CHECK_COUNT; i++)
		if (d->failed & (1u << i))
			snprintf(failed + strlen(failed), sizeof failed - strlen(failed), "%s%s",
				 failed[0] ? " " : "", guard_check_name(i));
	for (unsigned i = 0; i < d->obs->naddrs; i++) {
		inet_ntop(d->obs->addrs[i].family, d->obs->addrs[i].addr, abuf, sizeof abuf);
		snprintf(addrs + strlen(addrs), sizeof addrs - strlen(addrs), "%s%s", addrs[0] ? " " : "", abuf);
	}
	struct guard_store_drop row = {
		.time_us = (int64_t)d->time_us, .upstream = d->upstream, .qname = d->qname,
		.qtype = wire_type_name(d->qtype, tbuf, sizeof tbuf), .failed = failed, .group = d->group,
		.evidence = d->evidence, .rtt_us = d->obs->rtt_us,
		.ip_ttl = d->obs->ttl_known ? d->obs->ip_ttl : -1, .addrs = addrs};
	struct dw_error err;
	if (guard_store_put(x->store, &row, &err) && !x->failed) {
		fprintf(stderr, "dnswatch guard: --db: %s\n", err.text);
		x->failed = true;
	}
}

/* The start of a log line: time and event. */
static void log_begin(struct jw *j, FILE *f, uint64_t time_us, const char *event)
{
	jw_init(j, f);
	jw_object_begin(j);
	jw_key(j, "time_us");
	jw_uint(j, time_us);
	jw_key(j, "event");
	jw_string(j, event);
}

static void log_end(struct logctx *x, struct jw *j)
{
	jw_object_end(j);
	jw_newline(j);
	if (fflush(x->log) && !x->failed) {
		fprintf(stderr, "dnswatch guard: writing %s: %s\n", x->path, strerror(errno));
		x->failed = true;
	}
}

/* One NDJSON line per drop: what was dropped and the evidence. */
static void log_drop(void *ctx, const struct guard_drop_info *d)
{
	struct logctx *x = ctx;
	if (x->store)
		store_drop(x, d);
	if (!x->log)
		return;
	struct jw j;
	char tbuf[16], abuf[64];
	log_begin(&j, x->log, d->time_us, "drop");
	jw_key(&j, "upstream");
	jw_string(&j, d->upstream);
	jw_key(&j, "qname");
	jw_string(&j, d->qname);
	jw_key(&j, "qtype");
	jw_string(&j, wire_type_name(d->qtype, tbuf, sizeof tbuf));
	jw_key(&j, "failed");
	jw_array_begin(&j);
	for (unsigned i = 0; i < GUARD_CHECK_COUNT; i++)
		if (d->failed & (1u << i))
			jw_string(&j, guard_check_name(i));
	jw_array_end(&j);
	jw_key(&j, "group");
	jw_uint(&j, (unsigned)d->group);
	jw_key(&j, "evidence");
	jw_string(&j, d->evidence);
	jw_key(&j, "rtt_us");
	jw_uint(&j, d->obs->rtt_us);
	jw_key(&j, "ip_ttl");
	if (d->obs->ttl_known)
		jw_uint(&j, d->obs->ip_ttl);
	else
		jw_null(&j);
	jw_key(&j, "flags");
	jw_uint(&j, d->obs->flags);
	jw_key(&j, "opt");
	jw_bool(&j, d->obs->has_opt);
	jw_key(&j, "answer_ptr");
	jw_bool(&j, d->obs->answer_ptr);
	jw_key(&j, "addrs");
	jw_array_begin(&j);
	for (unsigned i = 0; i < d->obs->naddrs; i++) {
		inet_ntop(d->obs->addrs[i].family, d->obs->addrs[i].addr, abuf, sizeof abuf);
		jw_string(&j, abuf);
	}
	jw_array_end(&j);
	log_end(x, &j);
}

/* One cached answer purged into the store's guard_purges table. */
static void store_purge(struct logctx *x, const struct guard_purge_info *pi)
{
	char tbuf[16], abuf[64];
	inet_ntop(pi->family, pi->addr, abuf, sizeof abuf);
	struct guard_store_purge row = {.time_us = (int64_t)pi->time_us, .qname = pi->qname,
					.qtype = wire_type_name(pi->qtype, tbuf, sizeof tbuf), .addr = abuf,
					.why = pi->why};
	struct dw_error err;
	if (guard_store_purge_put(x->store, &row, &err) && !x->failed) {
		fprintf(stderr, "dnswatch guard: --db: %s\n", err.text);
		x->failed = true;
	}
}

/* One NDJSON line per cached answer purged: the name and the forged address
 * (and a row in the store). */
static void log_purge(void *ctx, const struct guard_purge_info *pi)
{
	struct logctx *x = ctx;
	if (x->store)
		store_purge(x, pi);
	if (!x->log)
		return;
	struct jw j;
	char tbuf[16], abuf[64];
	log_begin(&j, x->log, pi->time_us, "purge");
	jw_key(&j, "qname");
	jw_string(&j, pi->qname);
	jw_key(&j, "qtype");
	jw_string(&j, wire_type_name(pi->qtype, tbuf, sizeof tbuf));
	jw_key(&j, "addr");
	inet_ntop(pi->family, pi->addr, abuf, sizeof abuf);
	jw_string(&j, abuf);
	jw_key(&j, "why");
	jw_string(&j, pi->why);
	log_end(x, &j);
}

/* One NDJSON line per forged name answered: the real reply's round trip
 * and the client's wait. */
static void log_answer(void *ctx, const struct guard_answer_info *ai)
{
	struct logctx *x = ctx;
	if (!x->log)
		return;
	struct jw j;
	char tbuf[16];
	log_begin(&j, x->log, ai->time_us, "answer");
	jw_key(&j, "upstream");
	jw_string(&j, ai->upstream);
	jw_key(&j, "qname");
	jw_string(&j, ai->qname);
	jw_key(&j, "qtype");
	jw_string(&j, wire_type_name(ai->qtype, tbuf, sizeof tbuf));
	jw_key(&j, "drops");
	jw_uint(&j, ai->drops);
	jw_key(&j, "unverified");
	jw_bool(&j, ai->unverified);
	jw_key(&j, "rtt_us");
	jw_uint(&j, ai->real_rtt_us);
	jw_key(&j, "answer_us");
	jw_uint(&j, ai->answer_us);
	log_end(x, &j);
}

struct learnctx {
	struct guard *g;
	size_t added;
};

static int learn_group(void *ctx, const struct store_group *grp)
{
	struct learnctx *x = ctx;
	for (size_t i = 0; i < grp->naddrs && i < 32; i++)
		x->added += guard_learn_addr(x->g, grp->addrs[i].family, grp->addrs[i].addr);
	return 0;
}

struct runs {
	int64_t id[256];
	size_t n;
};
static int collect_run(void *ctx, int64_t run)
{
	struct runs *r = ctx;
	if (r->n < 256)
		r->id[r->n++] = run;
	return 0;
}

/* The forged addresses of every injector group of every run in PATH. */
static int learn_from(struct guard *g, const char *path, size_t *added)
{
	struct store_db *db;
	struct dw_error err;
	struct store_opts so = {.readonly = true};
	if (store_open(&db, path, &so, &err) != DW_OK) {
		fprintf(stderr, "dnswatch guard: --learn-from: %s\n", err.text);
		return -1;
	}
	struct runs runs = {.n = 0};
	struct learnctx x = {.g = g};
	enum dw_status st = store_runs(db, collect_run, &runs);
	for (size_t i = 0; st == DW_OK && i < runs.n; i++)
		st = store_groups(db, runs.id[i], learn_group, &x);
	if (st != DW_OK) {
		fprintf(stderr, "dnswatch guard: --learn-from: %s\n", store_error(db)->text);
		/* read-only: nothing to commit, so its close cannot lose anything */
		if (store_close(db) != DW_OK)
			return -1;
		return -1;
	}
	if (store_close(db) != DW_OK) {
		fprintf(stderr, "dnswatch guard: --learn-from: closing %s failed\n", path);
		return -1;
	}
	*added = x.added;
	return 0;
}

int guard_cmd(int argc, char **argv)
{
	struct guard_config cfg;
	guard_config_default(&cfg);
	const char *lab = NULL, *on = NULL, *logpath = NULL, *learn = NULL, *dbpath = NULL, *anchor = NULL;
	long duration = 0, v;
	struct dw_error err;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--no-holdon")) {
			cfg.holdon = false;
			continue;
		}
		if (!strcmp(a, "--no-fallback")) {
			cfg.fallback = false;
			continue;
		}
		static const struct {
			const char *opt;
			unsigned check;
		} offs[] = {{"--no-ttl", GUARD_CHECK_TTL}, {"--no-rtt", GUARD_CHECK_RTT},
			    {"--no-layout", GUARD_CHECK_LAYOUT}, {"--no-groups", GUARD_CHECK_GROUP},
			    {"--no-addrs", GUARD_CHECK_ADDR}};
		bool matched = false;
		for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++)
			if (!strcmp(a, offs[k].opt)) {
				cfg.checks &= ~offs[k].check;
				matched = true;
			}
		if (matched)
			continue;
		if (a[0] != '-' || !strcmp(a, "-"))
			return bad("unexpected argument", a);
		if (!val)
			return bad("a value is missing after", a);
		i++;
		if (!strcmp(a, "--listen")) {
			if (cfg.nlisten == GUARD_LISTEN_MAX)
				return bad("too many --listen at", val);
			if (guard_addr_parse(val, 53, &cfg.listen[cfg.nlisten], &cfg.listen_len[cfg.nlisten], &err))
				return bad(err.text, "--listen");
			cfg.nlisten++;
		} else if (!strcmp(a, "--upstream")) {
			if (cfg.nup == GUARD_UPSTREAM_MAX)
				return bad("too many --upstream at", val);
			if (guard_upstream_parse(val, &cfg.up[cfg.nup], &err))
				return bad(err.text, "--upstream");
			cfg.nup++;
		} else if (!strcmp(a, "--lab")) {
			lab = val;
		} else if (!strcmp(a, "--on")) {
			on = val;
		} else if (!strcmp(a, "--calibrate")) {
			size_t n;
			if (wire_name_from_text(val, cfg.calibrate, &n) != DW_OK)
				return bad("not a domain name:", val);
			cfg.have_calibrate = true;
		} else if (!strcmp(a, "--calibrate-every") && number(val, 100, 3600000, &v)) {
			cfg.calibrate_every_ms = (uint32_t)v;
		} else if (!strcmp(a, "--timeout") && number(val, 10, 60000, &v)) {
			cfg.timeout_ms = (uint32_t)v;
		} else if (!strcmp(a, "--window") && number(val, 0, 60000, &v)) {
			cfg.window_ms = (uint32_t)v;
		} else if (!strcmp(a, "--min-ttl") && number(val, 0, 604800, &v)) {
			cfg.min_ttl = (uint32_t)v;
		} else if (!strcmp(a, "--max-ttl") && number(val, 0, 604800, &v)) {
			cfg.max_ttl = (uint32_t)v;
		} else if (!strcmp(a, "--inflight") && number(val, 1, 4096, &v)) {
			cfg.inflight_max = (unsigned)v;
		} else if (!strcmp(a, "--cache") && number(val, 0, 10000000, &v)) {
			cfg.cache_max = (size_t)v;
		} else if (!strcmp(a, "--ca")) {
			cfg.ca_file = val;
		} else if (!strcmp(a, "--prefer")) {
			if (strcmp(val, "tls"))
				return bad("--prefer takes 'tls', not", val);
			cfg.prefer_tls = true;
		} else if (!strcmp(a, "--fallback-hold") && number(val, 0, 3600000, &v)) {
			cfg.fallback_hold_ms = (uint32_t)v;
		} else if (!strcmp(a, "--log")) {
			logpath = val;
		} else if (!strcmp(a, "--db")) {
			dbpath = val;
		} else if (!strcmp(a, "--learn-from")) {
			learn = val;
		} else if (!strcmp(a, "--trust-anchor")) {
			anchor = val;
		} else if (!strcmp(a, "--duration") && number(val, 1, 10000000, &v)) {
			duration = v;
		} else {
			return bad("unknown option or bad value:", a);
		}
	}
	if (!cfg.nlisten)
		return bad("--listen is required, e.g.", "--listen 127.0.0.1:5353");
	if (!cfg.nup)
		return bad("--upstream is required, e.g.", "--upstream udp:198.51.100.53");
	if (cfg.min_ttl > cfg.max_ttl && cfg.max_ttl)
		return bad("--min-ttl above --max-ttl:", "--min-ttl");
	bool have_tls = false;
	for (unsigned u = 0; u < cfg.nup; u++)
		have_tls |= cfg.up[u].kind == GUARD_UP_TLS;
	if (cfg.prefer_tls && !have_tls)
		return bad("--prefer tls needs a tls: upstream, e.g.", "--upstream tls:198.19.8.8#resolver.lab");
	if (cfg.ca_file && access(cfg.ca_file, R_OK)) {
		fprintf(stderr, "dnswatch guard: --ca %s: %s\n", cfg.ca_file, strerror(errno));
		return 1;
	}
	if (!!lab != !!on)
		return bad("--lab and --on go together:", lab ? "--lab" : "--on");
	/* read before entering a lab host: the file is the caller's. A file
	 * that is not a trust anchor is a usage error: one line, exit 2 */
	if (anchor) {
		if (guard_dnssec_new(&cfg.dnssec, anchor, &err)) {
			fprintf(stderr, "dnswatch guard: %s\n", err.text);
			return err.status == DW_E_SYNTAX ? 2 : 1;
		}
		cfg.checks |= GUARD_CHECK_DNSSEC;
	}
	/* The store first, from the host's namespace: a ClickHouse store's
	 * sender thread stays there, so a server on the host's loopback is
	 * reached from a lab host too (as probe and census do). */
	struct logctx lx = {.path = logpath};
	if (dbpath && guard_store_open(&lx.store, dbpath, &err)) {
		fprintf(stderr, "dnswatch guard: --db: %s\n", err.text);
		guard_dnssec_free(cfg.dnssec);
		return 1;
	}
	if (lab && lab_host_enter(lab, on, &err)) {
		fprintf(stderr, "dnswatch guard: %s\n", err.text);
		guard_dnssec_free(cfg.dnssec);
		struct dw_error e2;
		if (lx.store && guard_store_close(lx.store, &e2))
			fprintf(stderr, "dnswatch guard: --db: %s\n", e2.text);
		return 1;
	}
	/* every in-flight query holds a socket per upstream */
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (logpath && !(lx.log = fopen(logpath, "a"))) {
		fprintf(stderr, "dnswatch guard: --log %s: %s\n", logpath, strerror(errno));
		guard_dnssec_free(cfg.dnssec);
		struct dw_error e2;
		if (lx.store && guard_store_close(lx.store, &e2))
			fprintf(stderr, "dnswatch guard: --db: %s\n", e2.text);
		return 1;
	}

	cfg.on_drop = log_drop;
	cfg.on_purge = log_purge;
	cfg.on_answer = log_answer;
	cfg.ctx = &lx;
	struct guard *g;
	if (guard_open(&g, &cfg, &err)) {
		fprintf(stderr, "dnswatch guard: %s\n", err.text);
		if (lx.log)
			fclose(lx.log);
		return 1;
	}
	if (learn) {
		size_t added;
		if (learn_from(g, learn, &added)) {
			guard_close(g);
			if (lx.log)
				fclose(lx.log);
			return 1;
		}
		fprintf(stderr, "dnswatch guard: %zu forged addresses learned from %s\n", added, learn);
	}
	struct sigaction sa = {.sa_handler = on_stop}, su = {.sa_handler = on_usr1};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &su, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "dnswatch guard: serving (%u listen address%s, %u upstream%s%s)\n", cfg.nlisten,
		cfg.nlisten == 1 ? "" : "es", cfg.nup, cfg.nup == 1 ? "" : "s",
		anchor ? ", validating DNSSEC" : "");
	const uint64_t end = duration ? util_mono_ms() + (uint64_t)duration * 1000u : 0;
	int rc = 0;
	while (!stop_flag && (!end || util_mono_ms() < end)) {
		if (guard_poll(g, 200, &err)) {
			fprintf(stderr, "dnswatch guard: %s\n", err.text);
			rc = 1;
			break;
		}
		if (lx.store && !lx.failed && guard_store_tick(lx.store, &err)) {
			fprintf(stderr, "dnswatch guard: --db: %s\n", err.text);
			lx.failed = true;
		}
		if (dump_flag) {
			dump_flag = 0;
			guard_write_json(g, stdout);
			fflush(stdout);
		}
	}
	guard_write_json(g, stdout);
	fflush(stdout);
	guard_close(g);
	if (lx.store && guard_store_close(lx.store, &err)) {
		fprintf(stderr, "dnswatch guard: --db: %s\n", err.text);
		rc = 1;
	}
	if (lx.log && fclose(lx.log)) {
		fprintf(stderr, "dnswatch guard: closing %s: %s\n", logpath, strerror(errno));
		rc = 1;
	}
	return rc || lx.failed ? 1 : 0;
}

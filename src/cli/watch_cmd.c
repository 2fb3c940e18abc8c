/*
 * `dnswatch watch` (usage in watch_cmd.h; docs/watch.md). One thread per
 * vantage point runs a probe engine inside that lab host's network namespace
 * (setns is per thread) over an endless stream of panel names; one thread
 * per walk path walks names down from the root; the main thread ticks the
 * detector ten times a second and alerts. Everything shared (classifier,
 * detector, store, event stream) is behind one mutex: the work under it is
 * small next to a query's round trip.
 */
#include "cli/watch_cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab/host.h"
#include "lab/servers.h"
#include "locate/locate.h"
#include "net/packet.h"
#include "probe/classify.h"
#include "probe/dot_control.h"
#include "probe/engine.h"
#include "probe/gather.h"
#include "cli/target.h"
#include "store/sqlite.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/text.h"
#include "watch/detect.h"
#include "watch/panel.h"
#include "watch/walk.h"
#include "wire/msg.h"

#define VANTAGES_MAX 8
#define HOOK_QUEUE_MAX 64   /* incident events waiting for --on-incident */
#define CONTROLS_MAX 4      /* --control-target */
#define DOT_WORKERS 8       /* connections per DoT control: a lookup is a round
			     * trip (160 ms across the lab's long-haul link)
			     * and the control must keep the engines' pace */
#define DOT_LEAD_S 2.0      /* how far ahead of the engines a DoT control asks */

struct watch;

/* Names of a panel that were not asked: no wire form (panel_name_wire). */
struct unasked {
	uint64_t n;
	char first[300];                  /* the first: "NAME: reason" */
};

struct vantage {
	struct watch *w;
	char host[16];
	bool outside;
	struct probe_config cfg;          /* its resolver and no-DNS paths */
	unsigned path_of[PROBE_TARGETS_MAX];
	int walk_path;                    /* global path index of its walk, or -1 */
	uint8_t walk_root[4];
	struct panel panel, wpanel;
	uint64_t gen_seq;                 /* the panel stream's next position */
	struct probe_gather *gather;      /* each name's results, judged together */
	pthread_t th, wth;
	bool started, wstarted;
	struct unasked unasked, wunasked; /* the engine's names, the walker's */
	int rc, wrc;                      /* 0, or -1: the engine / the walker failed */
	struct dw_error err, werr;        /* why (each thread fills its own) */
	int control;                      /* index in cfg.target of its control path, -1 */
};

/* A control over DoT (--control-target HOST/LABEL=tls:ADDR[#NAME]): worker
 * threads in vantage point HOST's namespace ask the panel's names, in the
 * panel's own order, DOT_LEAD_S ahead of the engines, so that a name's
 * control is known when its results are judged (docs/verdicts.md). */
struct dot_ctl {
	struct watch *w;
	char host[16], label[48];
	struct dot_control_config cfg;
	char name[256];
	uint8_t origin;
	struct panel panel;
	pthread_mutex_t mu;               /* the panel stream below */
	uint64_t pos, count;
	struct unasked unasked;
	pthread_t th[DOT_WORKERS];
	bool started[DOT_WORKERS];
	uint64_t asked, answered, failed; /* under mu */
	int rc;                           /* -1: failed (err) */
	struct dw_error err;
};

struct watch {
	pthread_mutex_t mu;
	const char *lab;
	struct vantage *v[VANTAGES_MAX];
	size_t nv;
	struct watch_path path[WATCH_PATHS_MAX];
	struct probe_target target[WATCH_PATHS_MAX]; /* the store's view of the paths */
	size_t npaths;
	struct classify *cls;
	struct watch_detect *det;
	struct store_db *db;
	int64_t run;
	int64_t *store_id;                /* store id per detector incident id */
	size_t nstore_id;
	FILE *ev;
	const char *on_incident;
	pid_t hook_pid;                   /* the --on-incident command running, 0 none */
	char *hq[HOOK_QUEUE_MAX];         /* events waiting for it, a ring */
	size_t hq_len[HOOK_QUEUE_MAX], hq_head, hq_n;
	uint64_t hook_dropped;
	double walk_rate;
	uint32_t timeout_ms;
	bool locate, failed;
	int status_s;
	size_t psize;                     /* panel size (the key may have fewer names) */
	uint64_t seed;
	double rate;                      /* names per second per vantage point */
	bool no_key;                      /* no answer key: live controls only */
	struct dot_ctl *dot[CONTROLS_MAX];
	size_t ndot;
	char controls[256];               /* the controls in words, for the start line */
	/* per path, since the last status line */
	struct watch_count iv[WATCH_PATHS_MAX];
	char last_wrong_name[WATCH_PATHS_MAX][256];
	/* locate, once per incident */
	pthread_t lth;
	bool lstarted;
	int locate_for;                   /* incident id being located */
	bool locate_done;                 /* its thread has finished (join it) */
	int locate_path;
	char locate_name[256];
	int located;                      /* incident id located, its event not yet out */
};

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* Real time as the detector counts it (signed: differences). */
static int64_t real_us(void)
{
	return (int64_t)util_real_us();
}

/* A seed for query IDs, source ports and 0x20 case, which an off-path
 * forger must not guess (the panel's --seed is written into the store). */
static uint64_t unpredictable(void)
{
	uint64_t x;
	if (getrandom(&x, sizeof x, 0) != (ssize_t)sizeof x)
		x = (uint64_t)real_us() ^ ((uint64_t)getpid() << 32);
	return x;
}

/* Enter vantage point HOST in the calling thread: a lab host's network
 * namespace, or, for "local", stay where watch was started. */
static int enter(const struct watch *w, const char *host, struct dw_error *err)
{
	if (!strcmp(host, "local"))
		return 0;
	return lab_host_enter(w->lab, host, err);
}

/* ---- the names: the panel's endless stream ----------------------------- */

/* PN has no wire form (ST): counted, the first kept, never asked. */
static void unasked_note(struct unasked *u, const struct panel_name *pn, enum dw_status st)
{
	if (!u->n++)
		snprintf(u->first, sizeof u->first, "%.200s: %s", pn->text, dw_strerror(st));
}

/* The next name of panel P's stream (position *SEQ, moved on) in wire
 * form; one with no wire form is skipped and counted in U. NULL if a whole
 * round of the panel had none. */
static const struct panel_name *panel_next(struct panel *p, uint64_t *seq, struct unasked *u,
					   uint8_t name[WIRE_NAME_MAX])
{
	for (size_t tries = 0; tries < p->size; tries++) {
		const struct panel_name *pn = panel_at(p, (*seq)++);
		enum dw_status st = panel_name_wire(pn, name);
		if (st == DW_OK)
			return pn;
		unasked_note(u, pn, st);
	}
	return NULL;
}

/* The engine's names: the panel's stream in wire form, each tagged with its
 * entry in the panel, by which its results find it again; its position in
 * the stream, 1-based, stands where a file's line would. */
static int names_next(void *ctx, uint8_t name[WIRE_NAME_MAX], uint32_t *line, uint64_t *tag,
		      struct dw_error *err)
{
	struct vantage *v = ctx;
	const struct panel_name *pn = panel_next(&v->panel, &v->gen_seq, &v->unasked, name);
	if (!pn)
		return dw_error_set(err, DW_E_INVALID,
				    "no name of the panel has a wire form (the first: %s)",
				    v->unasked.first);
	*line = (uint32_t)v->gen_seq; /* moved past PN: its position + 1 */
	*tag = (uint64_t)(pn - v->panel.all);
	return 1;
}

/* ---- observations --------------------------------------------------------- */

/* Under the lock: R judged, from path P, for panel name PN. */
static void observe(struct watch *w, unsigned p, const struct panel_name *pn,
		    struct probe_result *r)
{
	struct watch_obs o = {
		.time_us = (int64_t)r->sent_us, .path = p, .tld = pn->tld, .name = pn->name,
		.zone = pn->zone, .server = pn->server, .verdict = r->verdict,
		.replied = r->nreplies > 0, .group = r->group,
	};
	bool wrong, judged = watch_obs_judged(w->det, &o, &wrong);
	if (wrong) {
		int k = r->forged_reply;
		if (k < 0 || k >= r->nreplies)
			k = r->nreplies - 1;
		if (k >= 0 && r->reply[k].time_us)
			o.time_us = (int64_t)r->reply[k].time_us; /* the forgery's arrival */
		for (unsigned i = 0; k >= 0 && i < r->reply[k].naddrs && o.naddrs < WATCH_OBS_ADDRS; i++)
			if (r->reply[k].addrs[i].family == AF_INET)
				memcpy(o.addrs[o.naddrs++], r->reply[k].addrs[i].addr, 4);
		snprintf(w->last_wrong_name[p], sizeof w->last_wrong_name[p], "%s", pn->text);
		/* every forged reply's group: a query can draw several injectors */
		for (unsigned i = 0; i < r->nreplies && i < PROBE_REPLIES_MAX; i++)
			if (r->reply_group[i] > 0 && o.ngroups < WATCH_OBS_GROUPS)
				o.groups[o.ngroups++] = r->reply_group[i];
	}
	if (watch_detect_add(w->det, &o) != 0)
		return; /* a path the detector was not given: nothing to count or keep */
	w->iv[p].judged += judged;
	w->iv[p].wrong += wrong;
	if (w->db) {
		r->target = (uint16_t)p;
		enum dw_status st = store_put(w->db, r);
		if (st != DW_OK && st != DW_E_DUP && !w->failed) {
			w->failed = true; /* the store has said why, in one line */
			stop_flag = 1;
		}
	}
}

/* Every path of the vantage point asks every name: the engine's skip hook
 * tells the gather, name by name, what will come back. */
static bool on_skip(void *ctx, uint64_t seq, unsigned target)
{
	struct vantage *v = ctx;
	(void)target;
	probe_gather_expect(v->gather, seq);
	return false;
}

/* Under the lock, from the gather: one result of vantage V, judged with
 * its name's other paths in the classifier's order (as `dnswatch probe`
 * judges), observed. */
static void on_judged(void *ctx, struct probe_result *r)
{
	struct vantage *v = ctx;
	if (r->tag >= v->panel.nall)
		return; /* not a tag names_next gave */
	observe(v->w, v->path_of[r->target], &v->panel.all[r->tag], r);
}

/* A finished query to the gather. The lock is taken around it: the gather
 * judges with the shared classifier and observes into the detector. */
static int on_result(void *ctx, struct probe_result *r)
{
	struct vantage *v = ctx;
	struct dw_error e;
	pthread_mutex_lock(&v->w->mu);
	int rc = probe_gather_result(v->gather, r, util_mono_us(), &e);
	pthread_mutex_unlock(&v->w->mu);
	if (rc) {
		v->err = e;
		dw_error_prefix(&v->err, "%s", v->host);
		v->rc = -1;
		stop_flag = 1;
		return 1;
	}
	return stop_flag ? 1 : 0;
}

/* Once a second: names whose wait ran out with no result of theirs to
 * judge them. */
static void on_progress(void *ctx, const struct probe_stats *st, uint64_t elapsed_us, bool last)
{
	struct vantage *v = ctx;
	(void)st;
	(void)elapsed_us;
	(void)last;
	pthread_mutex_lock(&v->w->mu);
	probe_gather_tick(v->gather, util_mono_us());
	pthread_mutex_unlock(&v->w->mu);
}

static void *vantage_main(void *arg)
{
	struct vantage *v = arg;
	if (enter(v->w, v->host, &v->err)) {
		v->rc = -1;
		stop_flag = 1;
		return NULL;
	}
	struct probe_hooks hooks = {.next = names_next, .skip = on_skip, .result = on_result,
				    .progress = on_progress, .ctx = v};
	struct probe_stats st;
	struct dw_error err;
	if (probe_run(&v->cfg, &hooks, &st, &err) && !stop_flag) {
		v->err = err;
		dw_error_prefix(&v->err, "%s", v->host);
		v->rc = -1;
		stop_flag = 1;
	} else if (!stop_flag) {
		dw_error_set(&v->err, DW_E_STATE, "%s: the name stream ended", v->host);
		v->rc = -1;
		stop_flag = 1;
	}
	/* Names some of whose paths had answered when watch stopped: what came
	 * back is judged and kept. */
	pthread_mutex_lock(&v->w->mu);
	probe_gather_flush(v->gather);
	pthread_mutex_unlock(&v->w->mu);
	return NULL;
}

/* Sleep until DUE (real time) in steps, so a stop is seen within 0.1 s.
 * Returns false if watch is stopping. */
static bool sleep_until(int64_t due)
{
	while (!stop_flag && real_us() < due) {
		int64_t left = due - real_us();
		struct timespec ts = {0, (long)(left > 100000 ? 100000 : left > 0 ? left : 0) * 1000};
		nanosleep(&ts, NULL);
	}
	return !stop_flag;
}

/* The walker's failure (in v->werr): said by the main thread, which stops
 * everything. */
static void *walk_failed(struct vantage *v)
{
	v->wrc = -1;
	stop_flag = 1;
	return NULL;
}

/* The walker: one name at a time down from the root, at walk_rate. */
static void *walk_main(void *arg)
{
	struct vantage *v = arg;
	struct watch *w = v->w;
	if (enter(w, v->host, &v->werr))
		return walk_failed(v);
	struct walk_config wc = {.port = 53, .timeout_ms = w->timeout_ms, .seed = unpredictable()};
	memcpy(wc.root, v->walk_root, 4);
	struct probe_target t = w->target[v->walk_path];
	struct probe_result *r = malloc(sizeof *r);
	if (!r) {
		dw_error_set(&v->werr, DW_E_NOMEM, "%s: out of memory for the walker", v->host);
		return walk_failed(v);
	}
	int64_t start = real_us();
	uint64_t pos = 0; /* the panel stream's position (names with no wire form skipped) */
	for (uint64_t seq = 0; sleep_until(start + (int64_t)((double)seq * 1e6 / w->walk_rate)); seq++) {
		uint8_t qname[WIRE_NAME_MAX];
		const struct panel_name *pn = panel_next(&v->wpanel, &pos, &v->wunasked, qname);
		if (!pn) {
			dw_error_set(&v->werr, DW_E_INVALID, "%s: no name of the walker's panel has a wire form (the first: %s)",
				     v->host, v->wunasked.first);
			walk_failed(v);
			break;
		}
		memset(r, 0, sizeof *r);
		r->seq = seq;
		wc.seed += 1;
		if (walk_run(&wc, qname, WIRE_T_A, r, NULL, &v->werr) < 0) {
			dw_error_prefix(&v->werr, "%s", v->host);
			walk_failed(v);
			break;
		}
		if (!r->nreplies)
			r->verdict = VERDICT_TIMEOUT;
		pthread_mutex_lock(&w->mu);
		if (r->nreplies) {
			/* The reply is the last server's, not the root's: judged as
			 * from that server, by the rule every name is judged by. */
			memcpy(t.addr, r->reply[0].src, 4);
			r->target = 0;
			struct probe_result *one[1] = {r};
			classify_judge_name(w->cls, one, 1, &t, -1);
		}
		observe(w, (unsigned)v->walk_path, pn, r);
		pthread_mutex_unlock(&w->mu);
	}
	free(r);
	return NULL;
}

/* ---- controls over DoT -------------------------------------------------------- */

/* One worker of DoT control D: the panel's names, DOT_LEAD_S ahead of the
 * engines, each answer observed as the control under the watch's lock. A
 * control that never connected (a refused certificate, a wrong name, no
 * server) stops watch; later failures are counted and retried. */
static void *dot_main(void *arg)
{
	struct dot_ctl *d = arg;
	struct watch *w = d->w;
	struct dw_error err;
	if (enter(w, d->host, &err)) {
		pthread_mutex_lock(&d->mu);
		d->err = err;
		d->rc = -1;
		pthread_mutex_unlock(&d->mu);
		stop_flag = 1;
		return NULL;
	}
	struct dot_control_config cfg = d->cfg;
	cfg.seed = unpredictable();
	struct dot_control *dc = dot_control_new(&cfg);
	struct probe_result *r = malloc(sizeof *r);
	int64_t start = real_us();
	while (dc && r && !stop_flag) {
		uint8_t qname[WIRE_NAME_MAX];
		pthread_mutex_lock(&d->mu);
		const struct panel_name *pn = panel_next(&d->panel, &d->pos, &d->unasked, qname);
		uint64_t k = d->count++;
		pthread_mutex_unlock(&d->mu);
		if (!pn)
			break;
		double lead = DOT_LEAD_S * w->rate;
		if (!sleep_until(start + (int64_t)(((double)k - lead) * 1e6 / w->rate)))
			break;
		memset(r, 0, sizeof *r);
		int rc = dot_control_ask(dc, qname, WIRE_T_A, r, &err);
		pthread_mutex_lock(&d->mu);
		d->asked++;
		if (rc) {
			d->failed++;
			if (!d->answered) {
				/* never reached: the control cannot be trusted or used */
				d->err = err;
				d->rc = -1;
				stop_flag = 1;
			}
		} else if (r->nreplies) {
			d->answered++;
		}
		pthread_mutex_unlock(&d->mu);
		if (rc && !stop_flag)
			sleep_until(real_us() + 1000000);
		if (!rc && r->nreplies) {
			pthread_mutex_lock(&w->mu);
			if (classify_control_observe_from(w->cls, r, d->origin) < 0) {
				/* the control table is full: judged without it */
			}
			pthread_mutex_unlock(&w->mu);
		}
	}
	if (!dc || !r) {
		pthread_mutex_lock(&d->mu);
		dw_error_set(&d->err, DW_E_NOMEM, "out of memory");
		d->rc = -1;
		pthread_mutex_unlock(&d->mu);
		stop_flag = 1;
	}
	free(r);
	dot_control_free(dc);
	return NULL;
}

/* ---- events ---------------------------------------------------------------- */

static const char *event_state(enum watch_event_kind k)
{
	switch (k) {
	case WATCH_EV_RAISED: return "raised";
	case WATCH_EV_INJECTION_OVER: return "injection-over";
	case WATCH_EV_INJECTION_AGAIN: return "injection-again";
	case WATCH_EV_PATH_CLEAN: return "path-clean";
	case WATCH_EV_ENDED: return "ended";
	case WATCH_EV_PATH_DOWN: return "down";
	case WATCH_EV_PATH_UP: return "up";
	}
	return "?";
}

static void json_us(struct jw *j, const char *key, int64_t us)
{
	jw_key(j, key);
	if (us)
		jw_int(j, us);
	else
		jw_null(j);
}

/* Every event line starts alike: {"event":EVENT,"state":STATE,"time_us":T
 * (STATE NULL: none); the caller adds its keys and ends it (event_end). */
static void event_begin(struct jw *j, FILE *out, const char *event, const char *state,
			int64_t time_us)
{
	jw_init(j, out);
	jw_object_begin(j);
	jw_key(j, "event");
	jw_string(j, event);
	if (state) {
		jw_key(j, "state");
		jw_string(j, state);
	}
	jw_key(j, "time_us");
	jw_int(j, time_us);
}

static void event_end(struct jw *j)
{
	jw_object_end(j);
	jw_newline(j);
}

/* The incident's TLDs: judged and wrong answers each. */
static void incident_json_tlds(struct jw *j, const struct watch_incident *inc)
{
	jw_key(j, "tlds");
	jw_array_begin(j);
	for (size_t i = 0; i < inc->ntlds; i++) {
		jw_object_begin(j);
		jw_key(j, "tld");
		jw_string(j, inc->tld[i]);
		jw_key(j, "judged");
		jw_uint(j, inc->tld_count[i].judged);
		jw_key(j, "wrong");
		jw_uint(j, inc->tld_count[i].wrong);
		jw_object_end(j);
	}
	jw_array_end(j);
}

/* Every path's part in the incident. */
static void incident_json_paths(struct jw *j, const struct watch *w,
				const struct watch_incident *inc)
{
	jw_key(j, "paths");
	jw_array_begin(j);
	for (size_t p = 0; p < w->npaths; p++) {
		jw_object_begin(j);
		jw_key(j, "path");
		jw_string(j, w->path[p].label);
		jw_key(j, "judged");
		jw_uint(j, inc->path_count[p].judged);
		jw_key(j, "wrong");
		jw_uint(j, inc->path_count[p].wrong);
		jw_key(j, "injected");
		jw_uint(j, inc->path_injected[p]);
		json_us(j, "last_wrong_us", inc->path_last_wrong_us[p]);
		json_us(j, "clean_us", inc->path_clean_us[p]);
		jw_object_end(j);
	}
	jw_array_end(j);
}

/* The forged addresses and the injector groups, with counts. */
static void incident_json_forgers(struct jw *j, const struct watch *w,
				  const struct watch_incident *inc)
{
	char a[INET_ADDRSTRLEN], text[4096];
	jw_key(j, "addresses");
	jw_array_begin(j);
	for (size_t i = 0; i < inc->naddrs; i++) {
		jw_object_begin(j);
		jw_key(j, "addr");
		net_packet_addr_text(AF_INET, inc->addr[i], a, sizeof a);
		jw_string(j, a);
		jw_key(j, "count");
		jw_uint(j, inc->addr_count[i]);
		jw_object_end(j);
	}
	jw_array_end(j);
	jw_key(j, "groups");
	jw_array_begin(j);
	for (size_t i = 0; i < inc->ngroups; i++) {
		const struct classify_group *g = classify_group_find(w->cls, inc->group[i]);
		jw_object_begin(j);
		jw_key(j, "id");
		jw_int(j, inc->group[i]);
		jw_key(j, "count");
		jw_uint(j, inc->group_count[i]);
		if (g) {
			classify_group_describe(g, text, sizeof text);
			jw_key(j, "fingerprint");
			jw_string(j, text);
		}
		jw_object_end(j);
	}
	jw_array_end(j);
}

/* The incident as one NDJSON line into OUT. */
static void incident_json(struct watch *w, FILE *out, const char *state, int64_t now,
			  int path, const struct watch_incident *inc)
{
	struct jw j;
	char text[4096];
	event_begin(&j, out, "incident", state, now);
	if (path >= 0) {
		jw_key(&j, "path");
		jw_string(&j, w->path[path].label);
	}
	jw_key(&j, "id");
	jw_int(&j, inc->id);
	json_us(&j, "started_us", inc->started_us);
	json_us(&j, "raised_us", inc->raised_us);
	json_us(&j, "injection_end_us", inc->injection_end_us);
	json_us(&j, "ended_us", inc->ended_us);
	jw_key(&j, "trigger");
	jw_string(&j, inc->trigger);
	jw_key(&j, "cause");
	jw_string(&j, watch_cause_name(inc->cause));
	jw_key(&j, "hop");
	if (inc->hop)
		jw_int(&j, inc->hop);
	else
		jw_null(&j);
	jw_key(&j, "for");
	jw_string(&j, inc->cause_for);
	jw_key(&j, "against");
	jw_string(&j, inc->cause_against);
	incident_json_tlds(&j, inc);
	incident_json_paths(&j, w, inc);
	incident_json_forgers(&j, w, inc);
	jw_key(&j, "peak_share");
	jw_int(&j, (long long)(inc->peak_share * 1000 + 0.5));
	jw_key(&j, "forged_seen");
	jw_uint(&j, inc->wrong_total);
	jw_key(&j, "summary");
	watch_incident_summary(w->det, inc, text, sizeof text);
	jw_string(&j, text);
	event_end(&j);
}

/* --on-incident: one command at a time, in event order (a hook must never
 * see `ended` before `path-clean`); events wait in a bounded queue. */
static void hook_queue(struct watch *w, const char *event, size_t len)
{
	if (w->hq_n == HOOK_QUEUE_MAX) {
		w->hook_dropped++;
		return;
	}
	char *copy = malloc(len);
	if (!copy) {
		w->hook_dropped++;
		return;
	}
	memcpy(copy, event, len);
	size_t k = (w->hq_head + w->hq_n++) % HOOK_QUEUE_MAX;
	w->hq[k] = copy;
	w->hq_len[k] = len;
}

/* Start the next queued command, if none is running. */
static void hook_start(struct watch *w)
{
	if (w->hook_pid || !w->hq_n)
		return;
	char *event = w->hq[w->hq_head];
	size_t len = w->hq_len[w->hq_head];
	w->hq_head = (w->hq_head + 1) % HOOK_QUEUE_MAX;
	w->hq_n--;
	int fd[2];
	if (pipe2(fd, O_CLOEXEC)) {
		fprintf(stderr, "dnswatch watch: --on-incident: pipe: %s\n", strerror(errno));
		free(event);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls from here to exec. Its own
		 * process group (so it can be ended whole), the event on stdin,
		 * stdout to stderr (the event stream may be stdout), SIGPIPE as
		 * a shell expects it. */
		setpgid(0, 0);
		if (fd[0] == STDIN_FILENO)
			fcntl(STDIN_FILENO, F_SETFD, 0);
		else
			dup2(fd[0], STDIN_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		sigaction(SIGPIPE, &dfl, NULL);
		sigaction(SIGINT, &dfl, NULL);
		sigaction(SIGTERM, &dfl, NULL);
		execl("/bin/sh", "sh", "-c", w->on_incident, (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	if (pid < 0) {
		fprintf(stderr, "dnswatch watch: --on-incident: fork: %s\n", strerror(errno));
		close(fd[1]);
		free(event);
		return;
	}
	w->hook_pid = pid;
	/* An event is a few KiB: it fits the pipe, so this does not block. */
	if (write(fd[1], event, len) != (ssize_t)len)
		fprintf(stderr, "dnswatch watch: --on-incident: the command (pid %d) did not take the event\n", (int)pid);
	close(fd[1]);
	free(event);
}

/* Reap the running command if it ended (or wait for it: BLOCK), then start
 * the next. */
static void hook_poll(struct watch *w, bool block)
{
	if (w->hook_pid) {
		int status;
		pid_t r = waitpid(w->hook_pid, &status, block ? 0 : WNOHANG);
		if (r == 0)
			return;
		if (r == w->hook_pid && (!WIFEXITED(status) || WEXITSTATUS(status)))
			fprintf(stderr, "dnswatch watch: --on-incident command (pid %d) failed: %s %d\n",
				(int)r, WIFEXITED(status) ? "exit status" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		w->hook_pid = 0;
	}
	hook_start(w);
}

/* At exit: the queue gets 5 s in all; then the running command's process
 * group is ended (it is ours, by id) and what is still queued is dropped. */
static void hook_finish(struct watch *w)
{
	int64_t deadline = real_us() + 5000000;
	while ((w->hook_pid || w->hq_n) && real_us() < deadline) {
		hook_poll(w, false);
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
	if (w->hook_pid) {
		fprintf(stderr, "dnswatch watch: --on-incident command (pid %d) still running after 5 s; ended\n",
			(int)w->hook_pid);
		kill(-w->hook_pid, SIGTERM);
		for (int i = 0; i < 50 && waitpid(w->hook_pid, NULL, WNOHANG) == 0; i++) {
			struct timespec ts = {0, 20000000};
			nanosleep(&ts, NULL);
		}
		kill(-w->hook_pid, SIGKILL);
		waitpid(w->hook_pid, NULL, 0);
		w->hook_pid = 0;
	}
	w->hook_dropped += w->hq_n;
	while (w->hq_n) {
		free(w->hq[w->hq_head]);
		w->hq_head = (w->hq_head + 1) % HOOK_QUEUE_MAX;
		w->hq_n--;
	}
	if (w->hook_dropped)
		fprintf(stderr, "dnswatch watch: --on-incident: %llu events not passed on (the commands were too slow)\n",
			(unsigned long long)w->hook_dropped);
}

static void store_incident(struct watch *w, const struct watch_incident *inc)
{
	if (!w->db || w->failed || inc->id <= 0)
		return;
	if ((size_t)inc->id >= w->nstore_id) {
		size_t n = (size_t)inc->id * 2;
		int64_t *ns = realloc(w->store_id, n * sizeof *ns);
		if (!ns) {
			fprintf(stderr, "dnswatch watch: out of memory recording incident %d\n", inc->id);
			return;
		}
		memset(ns + w->nstore_id, 0, (n - w->nstore_id) * sizeof *ns);
		w->store_id = ns;
		w->nstore_id = n;
	}
	struct store_incident *si = calloc(1, sizeof *si);
	if (!si)
		return;
	si->id = w->store_id[inc->id];
	si->run = w->run;
	si->started_us = inc->started_us;
	si->raised_us = inc->raised_us;
	si->injection_end_us = inc->injection_end_us;
	si->ended_us = inc->ended_us;
	si->peak_share = inc->peak_share;
	size_t n = 0;
	for (size_t i = 0; i < inc->ntlds; i++)
		if (inc->tld_count[i].wrong)
			n = text_cat(si->scope, sizeof si->scope, n, "%s%s", n ? " " : "", inc->tld[i]);
	n = text_cat(si->scope, sizeof si->scope, n, " via");
	for (size_t p = 0; p < w->npaths; p++)
		if (inc->path_count[p].wrong)
			n = text_cat(si->scope, sizeof si->scope, n, " %s", w->path[p].label);
	n = 0;
	for (size_t i = 0; i < inc->naddrs; i++) {
		char a[INET_ADDRSTRLEN];
		net_packet_addr_text(AF_INET, inc->addr[i], a, sizeof a);
		n = text_cat(si->addresses, sizeof si->addresses, n, "%s%s", i ? " " : "", a);
	}
	watch_incident_summary(w->det, inc, si->summary, sizeof si->summary);
	snprintf(si->cause, sizeof si->cause, "%s", watch_cause_name(inc->cause));
	snprintf(si->evidence, sizeof si->evidence, "for: %.480s. against: %.480s.", inc->cause_for,
		 inc->cause_against);
	si->hop = inc->hop;
	snprintf(si->hop_router, sizeof si->hop_router, "%s", inc->hop_router);
	snprintf(si->locate, sizeof si->locate, "%s", inc->hop_note);
	n = 0;
	for (size_t i = 0; i < inc->ngroups; i++)
		n = text_cat(si->groups, sizeof si->groups, n, "%s%d", i ? " " : "", (int)inc->group[i]);
	if (store_incident_put(w->db, si) != DW_OK) {
		w->failed = true;
		stop_flag = 1;
	} else {
		w->store_id[inc->id] = si->id;
	}
	free(si);
}

static void *locate_main(void *arg);

/* Under the lock: an incident's state to the event stream, --on-incident
 * and the store. */
static void emit_incident(struct watch *w, const char *state, int64_t now, int path,
			  const struct watch_incident *inc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (m) {
		incident_json(w, m, state, now, path, inc);
		fclose(m);
		fwrite(buf, 1, len, w->ev);
		fflush(w->ev);
		if (w->on_incident)
			hook_queue(w, buf, len);
		free(buf);
	}
	store_incident(w, inc);
}

/* Under the lock: locate the injector of a raised incident from the first
 * inside path that saw a no-DNS reply; one locate at a time (the last one
 * has ended long before another incident can be raised). */
static void locate_start(struct watch *w, const struct watch_incident *inc)
{
	if (w->lstarted && w->locate_done) {
		pthread_join(w->lth, NULL);
		w->lstarted = false;
	}
	if (!w->locate || w->lstarted)
		return;
	for (size_t p = 0; p < w->npaths; p++)
		if (w->path[p].kind == WATCH_PATH_NODNS && !w->path[p].outside &&
		    inc->path_count[p].wrong && w->last_wrong_name[p][0]) {
			w->locate_for = inc->id;
			w->locate_done = false;
			w->locate_path = (int)p;
			snprintf(w->locate_name, sizeof w->locate_name, "%s", w->last_wrong_name[p]);
			w->lstarted = pthread_create(&w->lth, NULL, locate_main, w) == 0;
			return;
		}
}

/* Under the lock, from the detector's tick. */
static void on_event(void *ctx, const struct watch_event *e)
{
	struct watch *w = ctx;
	char t[32], a[INET_ADDRSTRLEN];
	watch_time_text(e->time_us, t, sizeof t);
	const char *state = event_state(e->kind);
	if (e->kind == WATCH_EV_PATH_DOWN || e->kind == WATCH_EV_PATH_UP) {
		fprintf(stderr, "%s  path %s: %s\n", t, w->path[e->path].label,
			e->kind == WATCH_EV_PATH_DOWN ? "no reply for 3 s: the server or the path is down (not counted as forgery)"
						      : "answering again");
		struct jw j;
		event_begin(&j, w->ev, "path", state, e->time_us);
		jw_key(&j, "path");
		jw_string(&j, w->path[e->path].label);
		event_end(&j);
		fflush(w->ev);
		return;
	}
	const struct watch_incident *inc = e->inc;
	switch (e->kind) {
	case WATCH_EV_RAISED: {
		fprintf(stderr, "%s  INCIDENT %d raised %.1f s after the first forged answer: %s; cause %s\n",
			t, inc->id, (double)(inc->raised_us - inc->started_us) / 1e6, inc->trigger,
			watch_cause_name(inc->cause));
		locate_start(w, inc);
		break;
	}
	case WATCH_EV_INJECTION_OVER:
		watch_time_text(inc->injection_end_us, a, sizeof a);
		fprintf(stderr, "%s  incident %d: no forgery on the wire since %s: the injection is over; following the caches\n",
			t, inc->id, a);
		break;
	case WATCH_EV_INJECTION_AGAIN:
		fprintf(stderr, "%s  incident %d: forgery on the wire again\n", t, inc->id);
		break;
	case WATCH_EV_PATH_CLEAN:
		if (w->path[e->path].kind == WATCH_PATH_RESOLVER && inc->injection_end_us &&
		    inc->path_last_wrong_us[e->path] > inc->injection_end_us + 1000000)
			fprintf(stderr, "%s  incident %d: %s clean again: its cache served forged answers %.1f s after the injection ended\n",
				t, inc->id, w->path[e->path].label,
				(double)(inc->path_last_wrong_us[e->path] - inc->injection_end_us) / 1e6);
		else
			fprintf(stderr, "%s  incident %d: %s clean again\n", t, inc->id, w->path[e->path].label);
		break;
	case WATCH_EV_ENDED: {
		char s[4096];
		watch_incident_summary(w->det, inc, s, sizeof s);
		fprintf(stderr, "%s  incident %d ended. %s\n", t, inc->id, s);
		break;
	}
	default:
		break;
	}
	emit_incident(w, state, e->time_us, e->kind == WATCH_EV_PATH_CLEAN ? (int)e->path : -1, inc);
}

static void on_bucket(void *ctx, const struct watch_bucket *b)
{
	struct watch *w = ctx;
	struct jw j;
	char a[INET_ADDRSTRLEN];
	event_begin(&j, w->ev, "series", NULL, b->start_us);
	jw_key(&j, "path");
	jw_string(&j, w->path[b->path].label);
	jw_key(&j, "judged");
	jw_uint(&j, b->all.judged);
	jw_key(&j, "wrong");
	jw_uint(&j, b->all.wrong);
	jw_key(&j, "injected");
	jw_uint(&j, b->injected);
	jw_key(&j, "timeouts");
	jw_uint(&j, b->timeouts);
	jw_key(&j, "tlds");
	jw_object_begin(&j);
	for (size_t i = 0; i < b->ntlds; i++) {
		jw_key(&j, b->tld[i]);
		jw_array_begin(&j);
		jw_uint(&j, b->tld_count[i].judged);
		jw_uint(&j, b->tld_count[i].wrong);
		jw_array_end(&j);
	}
	jw_object_end(&j);
	jw_key(&j, "addresses");
	jw_object_begin(&j);
	for (size_t i = 0; i < b->naddrs; i++) {
		net_packet_addr_text(AF_INET, b->addr[i], a, sizeof a);
		jw_key(&j, a);
		jw_uint(&j, b->addr_count[i]);
	}
	jw_object_end(&j);
	event_end(&j);
}

/* ---- locate --------------------------------------------------------------- */

static void *locate_main(void *arg)
{
	struct watch *w = arg;
	char note[160] = "";
	struct dw_error le;
	struct locate_config lc = {.family = AF_INET, .port = 53, .qtype = WIRE_T_A, .max_ttl = 8,
				   .probes = 2, .wait_ms = 250, .seed = unpredictable()};
	struct locate_report *rep = calloc(1, sizeof *rep);
	const char *host = NULL;
	pthread_mutex_lock(&w->mu);
	int p = w->locate_path, id = w->locate_for;
	memcpy(lc.target, w->path[p].addr, 4);
	size_t ql;
	bool ok = wire_name_from_text(w->locate_name, lc.qname, &ql) == DW_OK;
	host = w->path[p].vantage;
	pthread_mutex_unlock(&w->mu);
	int hop = 0;
	char r[INET_ADDRSTRLEN] = "";
	if (!rep || !ok)
		snprintf(note, sizeof note, "not located (out of memory or a bad name)");
	else if (enter(w, host, &le) || locate_run(&lc, rep, &le))
		snprintf(note, sizeof note, "not located: %.140s", le.text);
	else if (rep->hop_found > 0) {
		hop = rep->hop_found;
		if (rep->hop[hop].router_seen)
			net_packet_addr_text(AF_INET, rep->hop[hop].router, r, sizeof r);
		snprintf(note, sizeof note, "%s%s%s%sfrom %s towards %s%s", r[0] ? "the router " : "",
			 r, r[0] ? " " : "", rep->hop_tentative ? "(tentative) " : "", host, w->path[p].target,
			 rep->untrusted ? "; a TTL-mirroring injector seen and not trusted" : "");
	} else {
		snprintf(note, sizeof note, "locate found no hop%s", rep->untrusted ? " (only TTL-mirroring replies)" : "");
	}
	free(rep);
	pthread_mutex_lock(&w->mu);
	w->locate_done = true;
	const struct watch_incident *inc = watch_detect_last(w->det);
	if (inc && inc->id == id) {
		watch_detect_set_hop(w->det, hop, note);
		watch_detect_set_hop_router(w->det, r);
		char t[32];
		watch_time_text(real_us(), t, sizeof t);
		if (hop)
			fprintf(stderr, "%s  incident %d: locate: the injector is at hop %d, %s\n", t, id, hop, note);
		else
			fprintf(stderr, "%s  incident %d: locate: %s\n", t, id, note);
		/* The event goes out from the main thread: an --on-incident
		 * command forked here would run in the lab host's namespace. */
		w->located = id;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* ---- set-up ---------------------------------------------------------------- */

static int usage(const char *what, const char *arg)
{
	fprintf(stderr, "dnswatch watch: %s '%s' (see `dnswatch help watch`)\n", what, arg);
	return 2;
}

static struct vantage *vantage_get(struct watch *w, const char *host)
{
	for (size_t i = 0; i < w->nv; i++)
		if (!strcmp(w->v[i]->host, host))
			return w->v[i];
	if (w->nv == VANTAGES_MAX || strlen(host) >= sizeof w->v[0]->host)
		return NULL;
	struct vantage *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->w = w;
	v->walk_path = -1;
	v->control = -1;
	snprintf(v->host, sizeof v->host, "%s", host);
	w->v[w->nv++] = v;
	return v;
}

/* HOST/TARGET: add a path. Returns 0 or 2 (usage, said). */
static int add_path(struct watch *w, const char *spec)
{
	const char *slash = strchr(spec, '/');
	if (!slash || slash == spec || (size_t)(slash - spec) >= 16)
		return usage("bad path (HOST/TARGET)", spec);
	char host[16];
	memcpy(host, spec, (size_t)(slash - spec));
	host[slash - spec] = '\0';
	const char *tspec = slash + 1;
	struct vantage *v = vantage_get(w, host);
	if (!v || w->npaths == WATCH_PATHS_MAX)
		return usage("too many vantage points or paths at", spec);
	struct watch_path *P = &w->path[w->npaths];
	struct probe_target t;
	const char *eq = strchr(tspec, '=');
	if (eq && !strncmp(eq + 1, "walk:", 5)) {
		if (v->walk_path >= 0)
			return usage("one walk path per vantage point", spec);
		memset(&t, 0, sizeof t);
		size_t ll = (size_t)(eq - tspec);
		if (ll == 0 || ll >= sizeof t.label || inet_pton(AF_INET, eq + 6, v->walk_root) != 1)
			return usage("bad walk path (HOST/LABEL=walk:ROOT-IPv4)", spec);
		memcpy(t.label, tspec, ll);
		t.kind = TARGET_AUTH;
		t.family = AF_INET;
		memcpy(t.addr, v->walk_root, 4);
		t.port = 53;
		P->kind = WATCH_PATH_WALK;
		v->walk_path = (int)w->npaths;
	} else {
		if (probe_target_parse(tspec, w->lab != NULL, &t) || t.family != AF_INET ||
		    t.kind == TARGET_AUTH)
			return usage("bad target (a lab server, LABEL=resolver:ADDR, LABEL=nodns:ADDR, LABEL=walk:ROOT; IPv4)", spec);
		if (v->cfg.ntargets == PROBE_TARGETS_MAX)
			return usage("too many paths from one vantage point at", spec);
		P->kind = t.kind == TARGET_NODNS ? WATCH_PATH_NODNS : WATCH_PATH_RESOLVER;
		v->path_of[v->cfg.ntargets] = (unsigned)w->npaths;
		v->cfg.target[v->cfg.ntargets++] = t;
	}
	snprintf(P->label, sizeof P->label, "%s/%s", host, t.label);
	snprintf(P->vantage, sizeof P->vantage, "%s", host);
	snprintf(P->target, sizeof P->target, "%s", t.label);
	memcpy(P->addr, t.addr, 4);
	if (strlen(P->label) >= sizeof t.label)
		return usage("a path's HOST/LABEL is 31 bytes at most:", spec);
	memcpy(t.label, P->label, strlen(P->label) + 1);
	/* The engine's target is named as the path too: a live control's
	 * answers are recorded as "live HOST/LABEL" (classify_judge_name). */
	if (P->kind != WATCH_PATH_WALK)
		memcpy(v->cfg.target[v->cfg.ntargets - 1].label, P->label, strlen(P->label) + 1);
	w->target[w->npaths] = t;
	w->npaths++;
	return 0;
}

static void status_line(struct watch *w, int64_t now)
{
	char t[32], line[1024] = "";
	size_t n = 0;
	watch_time_text(now, t, sizeof t);
	for (size_t p = 0; p < w->npaths; p++) {
		n = text_cat(line, sizeof line, n, "  %s %llu/%llu", w->path[p].label,
			     (unsigned long long)w->iv[p].wrong, (unsigned long long)w->iv[p].judged);
		w->iv[p] = (struct watch_count){0};
	}
	fprintf(stderr, "%s  wrong/judged:%s\n", t, line);
}

/* ---- the command ------------------------------------------------------------ */

/* What the command line asks, besides what goes straight into struct watch. */
struct watch_opts {
	const char *key, *db, *events, *names, *ca;
	const char *ctls[CONTROLS_MAX];
	size_t nctls;
	char cabuf[256];
	const char *vantages[VANTAGES_MAX], *outside[VANTAGES_MAX], *paths[WATCH_PATHS_MAX];
	size_t nvant, nout, npaths;
	double rate, churn, duration;
	bool allow_fast; /* --allow-fast-public (cli/target.h's rate rule) */
	unsigned panel_size, hold;
	char keybuf[256];
};

static struct watch *watch_new(struct watch_opts *o)
{
	struct watch *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	memset(o, 0, sizeof *o);
	o->rate = 20;
	o->churn = 0.1;
	o->panel_size = 120;
	o->hold = 500;
	w->walk_rate = 5;
	w->timeout_ms = 800;
	w->locate = true;
	w->status_s = 5;
	w->seed = (uint64_t)time(NULL);
	pthread_mutex_init(&w->mu, NULL);
	if (!(w->cls = classify_new(NULL))) {
		free(w);
		return NULL;
	}
	return w;
}

/* Returns non-zero if the store could not be closed cleanly (it said why). */
static int watch_free(struct watch *w)
{
	int rc = w->db && store_close(w->db) != DW_OK;
	if (w->ev && w->ev != stdout)
		fclose(w->ev);
	free(w->store_id);
	for (size_t i = 0; i < w->nv; i++) {
		panel_free(&w->v[i]->panel);
		panel_free(&w->v[i]->wpanel);
		probe_gather_free(w->v[i]->gather);
		free(w->v[i]);
	}
	for (size_t i = 0; i < w->ndot; i++) {
		panel_free(&w->dot[i]->panel);
		pthread_mutex_destroy(&w->dot[i]->mu);
		free(w->dot[i]);
	}
	watch_detect_free(w->det);
	classify_free(w->cls);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return rc;
}

/* The command line into W and O. Returns 0, or 2 (usage, said). */
static int parse_args(struct watch *w, struct watch_opts *o, int argc, char **argv)
{
	double v;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--no-locate")) { w->locate = false; continue; }
		if (!strcmp(a, "--no-key")) { w->no_key = true; continue; }
		if (!strcmp(a, "--allow-fast-public")) { o->allow_fast = true; continue; }
		if (!val)
			return usage("a value is missing after", a);
		i++;
		if (!strcmp(a, "--lab")) w->lab = val;
		else if (!strcmp(a, "--vantage") && o->nvant < VANTAGES_MAX) o->vantages[o->nvant++] = val;
		else if (!strcmp(a, "--outside") && o->nout < VANTAGES_MAX) o->outside[o->nout++] = val;
		else if (!strcmp(a, "--path") && o->npaths < WATCH_PATHS_MAX) o->paths[o->npaths++] = val;
		else if (!strcmp(a, "--key")) o->key = val;
		else if (!strcmp(a, "--names")) o->names = val;
		else if (!strcmp(a, "--ca")) o->ca = val;
		else if (!strcmp(a, "--control-target") && o->nctls < CONTROLS_MAX) o->ctls[o->nctls++] = val;
		else if (!strcmp(a, "--db")) o->db = val;
		else if (!strcmp(a, "--events")) o->events = val;
		else if (!strcmp(a, "--on-incident")) w->on_incident = val;
		else if (!strcmp(a, "--rate") && text_number(val, 0.1, 10000, &v)) o->rate = v;
		else if (!strcmp(a, "--panel") && text_number(val, 1, 1e6, &v)) o->panel_size = (unsigned)v;
		else if (!strcmp(a, "--churn") && text_number(val, 0, 1, &v)) o->churn = v;
		else if (!strcmp(a, "--walk-rate") && text_number(val, 0.1, 1000, &v)) w->walk_rate = v;
		else if (!strcmp(a, "--duration") && text_number(val, 0, 1e7, &v)) o->duration = v;
		else if (!strcmp(a, "--status") && text_number(val, 0, 3600, &v)) w->status_s = (int)v;
		else if (!strcmp(a, "--timeout") && text_number(val, 50, 10000, &v)) w->timeout_ms = (uint32_t)v;
		else if (!strcmp(a, "--hold") && text_number(val, 0, 10000, &v)) o->hold = (unsigned)v;
		else if (!strcmp(a, "--seed") && text_number(val, 0, 1.8e19, &v)) w->seed = (uint64_t)v;
		else return usage("bad option or value", a);
	}
	/* A list of names and no key: the controls are live (--no-key). */
	if (o->names && !o->key)
		w->no_key = true;
	if (w->no_key && o->key)
		return usage("--no-key reads no key: drop", "--key");
	if (!w->lab && (!o->npaths || (!o->key && !o->names))) {
		fprintf(stderr, "dnswatch watch: without --lab NAME, give the paths (--path local/...) and the names (--names FILE, judged by live controls) or an answer key (--key FILE) (see `dnswatch help watch`)\n");
		return 2;
	}
	if (w->lab && !lab_name_valid(w->lab))
		return usage("bad lab name", w->lab);
	return 0;
}

/* The default paths: inside (client), tunnelled (vpnclient), outside
 * (remote); those of the vantage points asked for, or all of them. */
static void default_paths(struct watch_opts *o)
{
	static const char *const defaults[] = {
		"client/isp", "client/public", "client/nodns=nodns:198.19.55.55",
		"vpnclient/public",
		"remote/public", "remote/nodns=nodns:198.18.55.55", "remote/walk=walk:198.19.53.1",
	};
	for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++) {
		size_t hl = strcspn(defaults[i], "/");
		bool want = o->nvant == 0;
		for (size_t k = 0; k < o->nvant; k++)
			want |= strlen(o->vantages[k]) == hl && !strncmp(o->vantages[k], defaults[i], hl);
		if (want)
			o->paths[o->npaths++] = defaults[i];
	}
}

/* Every path, and which vantage points are outside. Returns 0 or 2 (usage,
 * said). */
static int setup_paths(struct watch *w, struct watch_opts *o)
{
	int rc;
	if (!o->npaths)
		default_paths(o);
	if (!o->npaths)
		return usage("no default paths for vantage", o->nvant ? o->vantages[0] : "");
	for (size_t i = 0; i < o->npaths; i++)
		if ((rc = add_path(w, o->paths[i])))
			return rc;
	for (size_t i = 0; i < w->nv; i++)
		if (!w->lab && strcmp(w->v[i]->host, "local"))
			return usage("without --lab, the only vantage point is 'local', not", w->v[i]->host);
	if (!o->nout && w->lab)
		o->outside[o->nout++] = "remote";
	for (size_t i = 0; i < w->nv; i++)
		for (size_t k = 0; k < o->nout; k++)
			if (!strcmp(w->v[i]->host, o->outside[k]))
				w->v[i]->outside = true;
	for (size_t p = 0; p < w->npaths; p++)
		for (size_t i = 0; i < w->nv; i++)
			if (!strcmp(w->v[i]->host, w->path[p].vantage))
				w->path[p].outside = w->v[i]->outside;
	return 0;
}

/* A control over DoT from vantage point HOST: SPEC is LABEL=tls:... */
static int add_dot_control(struct watch *w, const struct watch_opts *o, const char *host,
			   const char *spec, const char *full)
{
	if (w->ndot == CONTROLS_MAX)
		return usage("too many controls at", full);
	struct dot_ctl *d = calloc(1, sizeof *d);
	if (!d)
		return usage("out of memory at", full);
	w->dot[w->ndot++] = d;
	d->w = w;
	pthread_mutex_init(&d->mu, NULL);
	if (probe_target_parse_tls(spec, &d->cfg.target, d->name, sizeof d->name) != 1)
		return usage("bad control (HOST/LABEL=tls:ADDR[:PORT][#NAME])", full);
	if (!w->lab && strcmp(host, "local"))
		return usage("without --lab, the only vantage point is 'local', not", host);
	snprintf(d->host, sizeof d->host, "%s", host);
	snprintf(d->label, sizeof d->label, "%s/%s", host, d->cfg.target.label);
	d->cfg.name = d->name[0] ? d->name : NULL;
	d->cfg.ca_file = o->ca;
	d->cfg.timeout_ms = 2000;
	int id = classify_origin_add(w->cls, d->label);
	d->origin = id > 0 ? (uint8_t)id : 0;
	return 0;
}

/* The controls (--control-target): a path whose live answers are the
 * control (its vantage point's engine then judges its other paths against
 * them, and every other vantage point's too), or a DoT control. With
 * --lab and no key, by default the remote vantage point's public resolver
 * and the public resolver over DoT from client. Returns 0 or 2 (said). */
static int setup_controls(struct watch *w, struct watch_opts *o)
{
	static const char *const lab_defaults[] = {"remote/public", "client/dot=tls:198.19.8.8#" LAB_DOT_NAME};
	if (!o->nctls && w->no_key && w->lab)
		for (size_t i = 0; i < 2; i++) {
			size_t hl = strcspn(lab_defaults[i], "/");
			for (size_t k = 0; k < w->nv; k++)
				if (strlen(w->v[k]->host) == hl && !strncmp(w->v[k]->host, lab_defaults[i], hl) &&
				    (i == 1 || w->v[k]->cfg.ntargets))
					o->ctls[o->nctls++] = lab_defaults[i];
		}
	if (w->lab && !o->ca) {
		snprintf(o->cabuf, sizeof o->cabuf, LAB_STATE_BASE "/%s/" LAB_DOT_CA, w->lab);
		o->ca = o->cabuf;
	}
	size_t n = 0;
	for (size_t i = 0; i < o->nctls; i++) {
		const char *spec = o->ctls[i], *slash = strchr(spec, '/');
		if (!slash || slash == spec || (size_t)(slash - spec) >= 16)
			return usage("bad control (HOST/LABEL, or HOST/LABEL=tls:ADDR[#NAME])", spec);
		char host[16];
		memcpy(host, spec, (size_t)(slash - spec));
		host[slash - spec] = '\0';
		int rc;
		if (strchr(slash, '=')) {
			if ((rc = add_dot_control(w, o, host, slash + 1, spec)))
				return rc;
		} else {
			struct vantage *v = NULL;
			for (size_t k = 0; k < w->nv; k++)
				if (!strcmp(w->v[k]->host, host))
					v = w->v[k];
			int idx = -1;
			for (int t = 0; v && t < v->cfg.ntargets; t++)
				if (!strcmp(v->cfg.target[t].label, spec) && v->cfg.target[t].kind == TARGET_RESOLVER)
					idx = t;
			if (idx < 0)
				return usage("--control-target names no resolver path", spec);
			if (v->control >= 0)
				return usage("one control path per vantage point at", spec);
			v->control = idx;
		}
		n = text_cat(w->controls, sizeof w->controls, n, "%s%s", i ? ", " : "", spec);
	}
	if (!o->nctls)
		snprintf(w->controls, sizeof w->controls, "none (the signals that need no control only)");
	return 0;
}

/* Vantage point V's engine: its paths as targets, at the watch's pace. */
static void vantage_configure(struct watch *w, struct vantage *v, const struct watch_opts *o)
{
	struct probe_config *c = &v->cfg;
	int nt = c->ntargets;
	struct probe_target tg[PROBE_TARGETS_MAX];
	memcpy(tg, c->target, sizeof tg);
	probe_config_default(c);
	memcpy(c->target, tg, sizeof tg);
	c->ntargets = nt;
	/* The engine's rate counts datagrams; a no-DNS address, silent when
	 * all is well, costs a retransmission per name too. */
	int sends = 0;
	for (int t = 0; t < nt; t++)
		sends += c->target[t].kind == TARGET_NODNS ? 2 : 1;
	c->rate = o->rate * (sends ? sends : 1);
	c->retries = 1;
	c->timeout_ms = w->timeout_ms;
	c->hold_ms = o->hold;
	c->inflight = 256;
	c->sockets = 2;
	c->seed = unpredictable(); /* IDs, ports, 0x20: the panel's seed is in the store */
	c->stop = &stop_flag;
}

/* The rate rule for real networks (cli/target.h, docs/ethics.md): each
 * vantage point's queries/s as vantage_configure will set it. Returns 0,
 * or 2 (said). */
static int rate_check(const struct watch *w, const struct watch_opts *o)
{
	for (size_t i = 0; i < w->nv; i++) {
		const struct probe_config *c = &w->v[i]->cfg;
		int sends = 0;
		for (int t = 0; t < c->ntargets; t++)
			sends += c->target[t].kind == TARGET_NODNS ? 2 : 1;
		char opt[64], msg[512];
		snprintf(opt, sizeof opt, "--rate %g (x%d sends a name)", o->rate, sends ? sends : 1);
		if (probe_rate_allowed(c->target, c->ntargets, o->rate * (sends ? sends : 1), o->allow_fast,
				       opt, msg, sizeof msg)) {
			fprintf(stderr, "dnswatch watch: %s\n", msg);
			return 2;
		}
	}
	return 0;
}

/* A panel from the key, or (no key) from the list of names. */
static int panel_open(const struct watch *w, const struct watch_opts *o, struct panel *p,
		      struct dw_error *err)
{
	if (w->no_key)
		return panel_load_names(p, o->names, o->panel_size, o->churn, w->seed, err);
	return panel_load(p, o->key, o->panel_size, o->churn, w->seed, err);
}

/* The control (the answer key, unless --no-key) and each vantage point's
 * panels and engine. Returns 0 or -1 (said). */
static int load_key(struct watch *w, struct watch_opts *o)
{
	if (w->no_key && !o->names) {
		/* the lab's names without their answers (docs/lab.md) */
		snprintf(o->keybuf, sizeof o->keybuf, LAB_STATE_BASE "/%s/" LAB_NAMES_FILE, w->lab);
		o->names = o->keybuf;
	} else if (!o->key && !w->no_key) {
		snprintf(o->keybuf, sizeof o->keybuf, LAB_STATE_BASE "/%s/answers.tsv", w->lab);
		o->key = o->keybuf;
	}
	struct dw_error kerr;
	if (!w->no_key && classify_control_load_key(w->cls, o->key, &kerr) < 0) {
		fprintf(stderr, "dnswatch watch: %s%s\n", kerr.text,
			access(o->key, F_OK) ? " (is the lab up? `dnswatch lab up`)" : "");
		return -1;
	}
	const char *src = w->no_key ? o->names : o->key;
	for (size_t i = 0; i < w->nv + w->ndot; i++) {
		struct dw_error perr;
		if (i >= w->nv) {
			if (panel_open(w, o, &w->dot[i - w->nv]->panel, &perr)) {
				fprintf(stderr, "dnswatch watch: %s\n", perr.text);
				return -1;
			}
			continue;
		}
		struct vantage *vv = w->v[i];
		if (panel_open(w, o, &vv->panel, &perr) || panel_open(w, o, &vv->wpanel, &perr)) {
			fprintf(stderr, "dnswatch watch: %s%s\n", perr.text,
				w->lab && access(src, F_OK) ? " (is the lab up? `dnswatch lab up`)" : "");
			return -1;
		}
		if (i == 0 && vv->panel.skipped)
			fprintf(stderr, "dnswatch watch: %zu names of the %s skipped, not names the prober asks; the first: %s\n",
				vv->panel.skipped, w->no_key ? "list" : "key", vv->panel.skipped_first);
		vantage_configure(w, vv, o);
		/* A name's paths are judged together, but not later than the
		 * detector can still count them (docs/watch.md). */
		struct probe_gather_opts go = {.cfg = &vv->cfg, .cls = w->cls, .control_target = vv->control,
					       .wait_us = watch_gather_wait_us(vv->cfg.hold_ms),
					       .judged = on_judged, .ctx = vv};
		if (!(vv->gather = probe_gather_new(&go))) {
			fprintf(stderr, "dnswatch watch: out of memory\n");
			return -1;
		}
	}
	w->psize = w->v[0]->panel.size;
	w->rate = o->rate;
	return 0;
}

/* The detector, tuned to the panel's round. Returns 0 or -1. */
static int detector_new(struct watch *w, const struct watch_opts *o)
{
	struct watch_tuning tune;
	watch_tuning_default(&tune);
	/* A path is clean once a whole round of the panel has come back
	 * without a forgery: names cached forged come up once a round. */
	int64_t round_us = (int64_t)(1e6 * (double)w->psize / o->rate);
	if (round_us + round_us / 2 > tune.clean_us)
		tune.clean_us = round_us + round_us / 2;
	w->det = watch_detect_new(w->path, w->npaths, &tune);
	return w->det ? 0 : -1;
}

/* The event stream, and the store with a run begun. Returns 0 or -1 (said). */
static int open_outputs(struct watch *w, const struct watch_opts *o, int argc, char **argv)
{
	w->ev = stdout;
	if (o->events && !(w->ev = fopen(o->events, "we"))) {
		fprintf(stderr, "dnswatch watch: %s: %s\n", o->events, strerror(errno));
		return -1;
	}
	if (!o->db)
		return 0;
	/* The store's failures are said as they happen, on stderr. */
	/* In ClickHouse a run is tagged with its vantage point: the one
	 * --vantage watched, else (several, or none) the host's name. */
	struct store_opts so = {.append_only = true, .errlog = stderr,
				.vantage = o->nvant == 1 ? o->vantages[0] : NULL};
	if (store_open(&w->db, o->db, &so, NULL) != DW_OK)
		return -1; /* the store said why */
	char cmdline[2048], opts[256];
	text_command_line(cmdline, sizeof cmdline, "dnswatch", argc, argv);
	snprintf(opts, sizeof opts, "{\"watch\":true,\"rate\":%g,\"panel\":%zu,\"churn\":%g,\"walk_rate\":%g,\"seed\":%llu,\"no_key\":%s}",
		 o->rate, w->psize, o->churn, w->walk_rate, (unsigned long long)w->seed,
		 w->no_key ? "true" : "false");
	uint16_t qa = WIRE_T_A;
	if (store_run_begin(w->db, cmdline, opts, w->target, w->npaths, &qa, 1, &w->run) != DW_OK)
		return -1;
	return 0;
}

/* SIGINT and SIGTERM stop every thread (stop_flag); a closed event pipe
 * is an error to see, not a death. */
static void signals_install(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	stop_flag = 0;
}

/* The start: one line on stderr, one event. */
static void announce_start(struct watch *w, const struct watch_opts *o, int64_t t0)
{
	char t[32];
	watch_time_text(t0, t, sizeof t);
	fprintf(stderr, "%s  watching %zu paths from %zu vantage points, %g names/s each, a panel of %zu names from %s:",
		t, w->npaths, w->nv, o->rate, w->psize, w->no_key ? o->names : o->key);
	for (size_t p = 0; p < w->npaths; p++)
		fprintf(stderr, " %s%s", w->path[p].label, w->path[p].outside ? "(outside)" : "");
	fputc('\n', stderr);
	if (w->no_key)
		fprintf(stderr, "%s  no answer key; controls: %s\n", t, w->controls);
	struct jw j;
	event_begin(&j, w->ev, "watch", "start", t0);
	jw_key(&j, "run");
	jw_int(&j, w->run);
	jw_key(&j, "paths");
	jw_array_begin(&j);
	for (size_t p = 0; p < w->npaths; p++)
		jw_string(&j, w->path[p].label);
	jw_array_end(&j);
	event_end(&j);
	fflush(w->ev);
}

/* An engine thread per vantage point that has probe paths, a walker per
 * walk path. */
static void threads_start(struct watch *w)
{
	for (size_t i = 0; i < w->nv; i++) {
		struct vantage *vv = w->v[i];
		if (vv->cfg.ntargets)
			vv->started = pthread_create(&vv->th, NULL, vantage_main, vv) == 0;
		if (vv->walk_path >= 0)
			vv->wstarted = pthread_create(&vv->wth, NULL, walk_main, vv) == 0;
		if ((vv->cfg.ntargets && !vv->started) || (vv->walk_path >= 0 && !vv->wstarted)) {
			fprintf(stderr, "dnswatch watch: cannot start a thread for %s\n", vv->host);
			w->failed = true;
			stop_flag = 1;
		}
	}
	for (size_t i = 0; i < w->ndot; i++)
		for (int k = 0; k < DOT_WORKERS; k++)
			if (!(w->dot[i]->started[k] = pthread_create(&w->dot[i]->th[k], NULL, dot_main, w->dot[i]) == 0)) {
				fprintf(stderr, "dnswatch watch: cannot start a thread for the control %s\n",
					w->dot[i]->label);
				w->failed = true;
				stop_flag = 1;
			}
}

/* Under the lock, ten times a second: the detector's tick, a located
 * incident's event, the store's commit, the status line. */
static void tick(struct watch *w, int64_t now, int64_t *next_status)
{
	watch_detect_tick(w->det, now, on_bucket, on_event, w);
	const struct watch_incident *li = watch_detect_last(w->det);
	if (w->located && li && li->id == w->located)
		emit_incident(w, "located", now, -1, li);
	w->located = 0;
	if (w->db && !w->failed && store_tick(w->db) != DW_OK) {
		w->failed = true;
		stop_flag = 1;
	}
	if (w->status_s && now >= *next_status) {
		status_line(w, now);
		*next_status += (int64_t)w->status_s * 1000000;
	}
	fflush(w->ev);
}

/* The main thread until a signal, a failure or --duration (then true). */
static bool main_loop(struct watch *w, const struct watch_opts *o, int64_t t0)
{
	int64_t next_status = t0 + (int64_t)w->status_s * 1000000;
	bool timed_out = false;
	while (!stop_flag) {
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
		int64_t now = real_us();
		pthread_mutex_lock(&w->mu);
		tick(w, now, &next_status);
		pthread_mutex_unlock(&w->mu);
		hook_poll(w, false);
		if (o->duration > 0 && now - t0 >= (int64_t)(o->duration * 1e6)) {
			timed_out = true;
			stop_flag = 1;
		}
	}
	return timed_out;
}

/* Every thread ended; what each that failed said. */
static void threads_join(struct watch *w)
{
	for (size_t i = 0; i < w->nv; i++) {
		if (w->v[i]->started)
			pthread_join(w->v[i]->th, NULL);
		if (w->v[i]->wstarted)
			pthread_join(w->v[i]->wth, NULL);
		if (w->v[i]->rc) {
			fprintf(stderr, "dnswatch watch: %s\n", w->v[i]->err.text);
			w->failed = true;
		}
		if (w->v[i]->wrc) {
			fprintf(stderr, "dnswatch watch: %s\n", w->v[i]->werr.text);
			w->failed = true;
		}
		const struct unasked *u[2] = {&w->v[i]->unasked, &w->v[i]->wunasked};
		for (int k = 0; k < 2; k++)
			if (u[k]->n)
				fprintf(stderr, "dnswatch watch: %s: %llu names of the %s panel not asked, no wire form (the first: %s)\n",
					w->v[i]->host, (unsigned long long)u[k]->n, k ? "walker's" : "engine's",
					u[k]->first);
	}
	if (w->lstarted)
		pthread_join(w->lth, NULL);
	for (size_t i = 0; i < w->ndot; i++) {
		struct dot_ctl *d = w->dot[i];
		for (int k = 0; k < DOT_WORKERS; k++)
			if (d->started[k])
				pthread_join(d->th[k], NULL);
		if (d->rc) {
			fprintf(stderr, "dnswatch watch: the control %s: %s\n", d->label, d->err.text);
			w->failed = true;
		} else if (d->failed) {
			fprintf(stderr, "dnswatch watch: the control %s: %llu of %llu lookups failed (retried on a new connection)\n",
				d->label, (unsigned long long)d->failed, (unsigned long long)d->asked);
		}
	}
}

/* What is left at END: the time series closed, an open incident as it
 * stands, the injector groups and the run's end in the store, the last
 * event. Returns the number of incidents. */
static size_t finish_run(struct watch *w, int64_t end)
{
	watch_detect_flush_series(w->det, on_bucket, w);
	size_t ninc = watch_detect_count(w->det);
	const struct watch_incident *open = watch_detect_open(w->det);
	if (open) {
		char t[32];
		watch_time_text(end, t, sizeof t);
		fprintf(stderr, "%s  incident %d still open when watch stopped; recorded as it stands\n", t, open->id);
		emit_incident(w, "open-at-exit", end, -1, open);
	}
	if (w->db && !w->failed) {
		for (size_t i = 0; i < classify_group_count(w->cls); i++) {
			const struct classify_group *g = classify_group_get(w->cls, i);
			char fp[256];
			classify_fp_format(&g->fp, fp, sizeof fp);
			if (store_group_put(w->db, g->id, fp, g->count, g->addrs, g->naddrs) != DW_OK)
				w->failed = true;
		}
		if (!w->failed && store_run_finish(w->db, false) != DW_OK)
			w->failed = true;
	}
	struct jw j;
	event_begin(&j, w->ev, "watch", w->failed ? "failed" : "stopped", end);
	jw_key(&j, "incidents");
	jw_uint(&j, ninc);
	event_end(&j);
	fflush(w->ev);
	return ninc;
}

/* The closing line on stderr. */
static void summary(struct watch *w, const struct watch_opts *o, bool timed_out, double secs,
		    size_t ninc)
{
	uint64_t stored = 0;
	if (w->db) {
		struct store_stats ss;
		store_get_stats(w->db, &ss);
		stored = ss.results;
	}
	fprintf(stderr, "watch: %s after %.1f s: %zu incident%s%s",
		w->failed ? "failed" : timed_out ? "done" : "stopped", secs, ninc,
		ninc == 1 ? "" : "s", w->db ? "" : "\n");
	if (w->db)
		fprintf(stderr, "; %llu results kept in %s%s\n", (unsigned long long)stored, o->db,
			w->failed ? " (everything committed before the failure)" : "");
}

/* Set up, run until stopped, and close. Returns the exit status. */
static int run(struct watch *w, const struct watch_opts *o)
{
	signals_install();
	int64_t t0 = real_us();
	announce_start(w, o, t0);
	threads_start(w);
	bool timed_out = main_loop(w, o, t0);
	threads_join(w);
	int64_t end = real_us();
	size_t ninc = finish_run(w, end);
	hook_finish(w);
	summary(w, o, timed_out, (double)(end - t0) / 1e6, ninc);
	return w->failed ? 1 : 0;
}

int watch_cmd(int argc, char **argv)
{
	struct watch_opts o;
	struct watch *w = watch_new(&o);
	if (!w)
		return 1;
	int rc = parse_args(w, &o, argc, argv);
	if (!rc)
		rc = setup_paths(w, &o);
	if (!rc)
		rc = setup_controls(w, &o);
	if (!rc)
		rc = rate_check(w, &o);
	if (!rc) {
		rc = 1;
		if (!load_key(w, &o) && !detector_new(w, &o) && !open_outputs(w, &o, argc, argv))
			rc = run(w, &o);
	}
	if (watch_free(w) && !rc)
		rc = 1;
	return rc;
}

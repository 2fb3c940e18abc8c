/* `dnswatch inject` (usage in inject_cmd.h). */
#include "cli/inject_cmd.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "inject/engine.h"
#include "lab/host.h"
#include "util/text.h"

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("dnswatch inject: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see `dnswatch help inject`)\n", stderr);
	return 2;
}

static int parse_seconds(const char *s, uint64_t *us)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 1e7)
		return -1;
	*us = (uint64_t)(v * 1e6);
	return 0;
}

/* `dnswatch inject ctl SOCKET COMMAND...`: one command, one line back. */
static int control_client(int argc, char **argv)
{
	if (argc < 4)
		return usage_error("%s", "ctl needs a socket path and a command");
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(argv[2]) >= sizeof a.sun_path)
		return usage_error("socket path too long: %s", argv[2]);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", argv[2]);
	char line[1024], abs[PATH_MAX];
	size_t n = 0;
	/* The wall runs elsewhere (another directory, maybe another host's
	 * view): a rule file is sent as an absolute path, resolved here where
	 * the user named it. */
	if (argc == 5 && strcmp(argv[3], "load") == 0 && argv[4][0] != '/' && realpath(argv[4], abs))
		argv[4] = abs;
	for (int i = 3; i < argc; i++)
		n = text_cat(line, sizeof line, n, "%s%s", i > 3 ? " " : "", argv[i]);
	if (n >= sizeof line - 1) /* full, maybe cut: no room for the newline */
		return usage_error("%s", "command too long");
	line[n++] = '\n';
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		fprintf(stderr, "dnswatch inject ctl: %s: %s\n", argv[2], strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	int rc = write(fd, line, n) == (ssize_t)n ? 0 : 1;
	char reply[4096];
	ssize_t r;
	bool error = false, first = true;
	while ((r = read(fd, reply, sizeof reply)) > 0) {
		if (first && r >= 5 && memcmp(reply, "error", 5) == 0)
			error = true;
		first = false;
		fwrite(reply, 1, (size_t)r, stdout);
	}
	close(fd);
	return rc || error || first ? 1 : 0;
}

/* What the hooks need: the command's own options. */
struct inject_run {
	const char *rules_file;
	bool stats_json;
	int sigfd;
};

static void on_rules_loaded(void *ctx, const char *file, size_t nrules)
{
	(void)ctx;
	fprintf(stderr, "dnswatch inject: rules %s: %zu rules\n", file ? file : "off", nrules);
}

static void on_schedule_failed(void *ctx, const struct dw_error *err)
{
	(void)ctx;
	fprintf(stderr, "dnswatch inject: schedule: %s (the running rules stay)\n", err->text);
}

/* Once a second: --stats-json's line on stdout. */
static void on_tick(void *ctx, struct inject_engine *e)
{
	struct inject_run *x = ctx;
	if (!x->stats_json)
		return;
	struct inject_stats st;
	inject_engine_stats(e, &st);
	inject_stats_json(stdout, &st, "tick");
}

/* The signals, read from the signalfd the engine watches: SIGHUP re-reads
 * --rules, SIGUSR1 prints the counters, SIGINT and SIGTERM stop. */
static void on_wake(void *ctx, struct inject_engine *e)
{
	struct inject_run *x = ctx;
	struct signalfd_siginfo si;
	while (read(x->sigfd, &si, sizeof si) == sizeof si) {
		struct dw_error err;
		if (si.ssi_signo == SIGHUP) {
			if (x->rules_file && inject_engine_load(e, x->rules_file, &err))
				fprintf(stderr, "dnswatch inject: %s (the running rules stay)\n", err.text);
		} else if (si.ssi_signo == SIGUSR1) {
			struct inject_stats st;
			inject_engine_stats(e, &st);
			inject_stats_json(stderr, &st, "stats");
		} else {
			inject_engine_stop(e);
		}
	}
}

/* The signals become readable on a descriptor the engine watches, between
 * two frames; a closed stdout is an error to see, not a death. Returns the
 * signalfd, or -1 with ERR set. */
static int signals_open(struct dw_error *err)
{
	signal(SIGPIPE, SIG_IGN);
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	int fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return dw_error_errno(err, "signalfd");
	return fd;
}

/* Open the engine, run it until a signal or --duration, close it. Returns
 * the exit status. */
static int run(struct inject_config *cfg, bool stats_json)
{
	struct inject_run x = {.rules_file = cfg->rules_file, .stats_json = stats_json};
	struct inject_hooks hooks = {.rules_loaded = on_rules_loaded,
				     .schedule_failed = on_schedule_failed, .tick = on_tick,
				     .wake = on_wake, .ctx = &x};
	struct inject_engine *e = NULL;
	struct dw_error err;
	int status = 1;
	x.sigfd = signals_open(&err);
	cfg->wake_fd = x.sigfd;
	if (x.sigfd < 0 || inject_engine_open(&e, cfg, &hooks, &err)) {
		fprintf(stderr, "dnswatch inject: %s\n", err.text);
		goto out;
	}
	fprintf(stderr, "dnswatch inject: capturing on");
	for (int i = 0; inject_engine_iface(e, i); i++)
		fprintf(stderr, " %s", inject_engine_iface(e, i));
	fprintf(stderr, " with %d injector%s\n", cfg->nprofiles, cfg->nprofiles == 1 ? "" : "s");
	if (inject_engine_run(e, &err)) {
		fprintf(stderr, "dnswatch inject: %s\n", err.text);
		goto out;
	}
	struct inject_stats st;
	inject_engine_stats(e, &st);
	inject_stats_json(stdout, &st, "exit");
	status = 0;
out:
	inject_engine_close(e);
	if (x.sigfd >= 0)
		close(x.sigfd);
	return status;
}

/* The command line, parsed. */
struct inject_opts {
	struct inject_config cfg;
	char *ifaces[17];
	int nifaces, nspecs;
	struct inject_sched sched[64];
	const char *preset, *lab;
	bool not_a_lab, stats_json;
};

/* One option A with its value V (NULL for a flag). Returns 0, or 2 (said). */
static int parse_option(struct inject_opts *o, const char *a, char *v)
{
	struct inject_config *cfg = &o->cfg;
	struct dw_error err;
	if (!strcmp(a, "--lab"))
		o->lab = v;
	else if (!strcmp(a, "-i")) {
		if (o->nifaces == 16)
			return usage_error("%s", "at most 16 interfaces");
		o->ifaces[o->nifaces++] = v;
	} else if (!strcmp(a, "--rules"))
		cfg->rules_file = v;
	else if (!strcmp(a, "--preset"))
		o->preset = v;
	else if (!strcmp(a, "--injector")) {
		if (o->nspecs == PROFILE_MAX)
			return usage_error("%s", "at most 8 injectors");
		struct inject_profile *p = &cfg->profile[o->nspecs];
		char name[16];
		snprintf(name, sizeof name, "i%d", o->nspecs + 1);
		inject_profile_default(p, name);
		if (inject_profile_parse(v, p, &err))
			return usage_error("%s", err.text);
		o->nspecs++;
	} else if (!strcmp(a, "--schedule")) {
		char *colon = strchr(v, ':');
		struct inject_sched *sc = &o->sched[cfg->nsched];
		if (!colon || cfg->nsched == 64)
			return usage_error("bad --schedule '%s' (SECONDS:FILE or SECONDS:off)", v);
		*colon = '\0';
		if (parse_seconds(v, &sc->at_us))
			return usage_error("bad --schedule time '%s'", v);
		sc->file = strcmp(colon + 1, "off") ? colon + 1 : NULL;
		if (cfg->nsched && sc->at_us < sc[-1].at_us)
			return usage_error("%s", "--schedule times must not go backwards");
		cfg->nsched++;
	} else if (!strcmp(a, "--control"))
		cfg->control = v;
	else if (!strcmp(a, "--log"))
		cfg->log = v;
	else if (!strcmp(a, "--seed")) {
		char *end;
		cfg->seed = strtoull(v, &end, 0);
		if (*end)
			return usage_error("bad --seed '%s'", v);
	} else if (!strcmp(a, "--duration")) {
		if (parse_seconds(v, &cfg->duration_us))
			return usage_error("bad --duration '%s'", v);
	} else if (!strcmp(a, "--stats-json"))
		o->stats_json = true;
	else if (!strcmp(a, "--not-a-lab"))
		o->not_a_lab = true;
	else if (!strcmp(a, "--busy-poll"))
		cfg->busy_poll = true;
	else if (!strcmp(a, "--keep-caps"))
		cfg->drop_caps = false;
	else
		return usage_error("unknown option '%s'", a);
	return 0;
}

/* Every option into O. Returns 0, or 2 (said). */
static int parse_args(int argc, char **argv, struct inject_opts *o)
{
	o->cfg = (struct inject_config){.seed = (uint64_t)time(NULL), .drop_caps = true,
					.wake_fd = -1, .sched = o->sched, .ifaces = o->ifaces};
	o->preset = "simple";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = strcmp(a, "--stats-json") && strcmp(a, "--not-a-lab") &&
			     strcmp(a, "--keep-caps") && strcmp(a, "--busy-poll");
		if (takes && !v)
			return usage_error("%s needs a value", a);
		int rc = parse_option(o, a, takes ? v : NULL);
		if (rc)
			return rc;
		if (takes)
			i++;
	}
	return 0;
}

/* The injectors: those of --injector, else the preset's; no two alike
 * named. Returns 0, or 2 (said). */
static int pick_profiles(struct inject_opts *o)
{
	struct inject_config *cfg = &o->cfg;
	if (o->nspecs) {
		cfg->nprofiles = o->nspecs;
	} else {
		cfg->nprofiles = inject_profile_preset(o->preset, cfg->profile, PROFILE_MAX);
		if (cfg->nprofiles < 0)
			return usage_error("unknown preset '%s' (gfw, simple)", o->preset);
	}
	for (int i = 0; i < cfg->nprofiles; i++)
		for (int k = 0; k < i; k++)
			if (!strcmp(cfg->profile[i].name, cfg->profile[k].name))
				return usage_error("two injectors named '%s'", cfg->profile[i].name);
	return 0;
}

/* A lab instrument: it runs where the lab put its border, or in some other
 * lab host, and nowhere else unless told so in as many words. Returns 0,
 * or 1 (said). */
static int take_place(const struct inject_opts *o)
{
	struct dw_error err;
	if (o->lab) {
		if (lab_host_enter(o->lab, "border", &err)) {
			fprintf(stderr, "dnswatch inject: %s\n", err.text);
			return 1;
		}
	} else if (!o->not_a_lab && !lab_host_current()) {
		fprintf(stderr, "dnswatch inject: this network namespace is not a dnswatch lab host; "
				"use --lab NAME, run it with `dnswatch lab exec`, or say --not-a-lab\n");
		return 1;
	}
	return 0;
}

int inject_cmd(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return control_client(argc, argv);
	struct inject_opts o = {0};
	int rc = parse_args(argc, argv, &o);
	if (!rc)
		rc = pick_profiles(&o);
	if (!rc)
		rc = take_place(&o);
	if (rc)
		return rc;
	for (int i = 0; i < o.cfg.nprofiles; i++) {
		char spec[256];
		inject_profile_format(&o.cfg.profile[i], spec, sizeof spec);
		fprintf(stderr, "dnswatch inject: injector %s\n", spec);
	}
	return run(&o.cfg, o.stats_json);
}

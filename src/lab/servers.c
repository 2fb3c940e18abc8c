/* Lab DNS servers: configs, zones, start and readiness (see servers.h). */
#include "lab/servers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab/check.h"
#include "lab/proc.h"
#include "lab/sign.h"
#include "lab/topology.h"
#include "util/clock.h"

const struct lab_server_def lab_servers[] = {
	{"root", LAB_SRV_NSD, LAB_OUTSIDE, "198.19.53.1", "root server a.root-servers.net", -1, -1},
	{"com", LAB_SRV_NSD, LAB_OUTSIDE, "198.19.53.2", "com TLD a.nic.com", LAB_TLD_COM, -1},
	{"net", LAB_SRV_NSD, LAB_OUTSIDE, "198.19.53.3", "net TLD a.nic.net", LAB_TLD_NET, -1},
	{"org", LAB_SRV_NSD, LAB_OUTSIDE, "198.19.53.4", "org TLD a.nic.org", LAB_TLD_ORG, -1},
	{"auth1", LAB_SRV_NSD, LAB_OUTSIDE, "198.19.54.1", "authoritative, com/net/org zones", -1, LAB_TLD_COM},
	{"auth2", LAB_SRV_NSD, LAB_OUTSIDE, "198.19.54.2", "authoritative, com/net/org zones", -1, LAB_TLD_COM},
	{"auth3", LAB_SRV_NSD, LAB_OUTSIDE, "198.19.54.3", "authoritative, com/net/org zones", -1, LAB_TLD_COM},
	{"auth4", LAB_SRV_NSD, LAB_OUTSIDE, "198.19.54.4", "authoritative, com/net/org zones", -1, LAB_TLD_COM},
	{"auth5", LAB_SRV_NSD, LAB_OUTSIDE, "198.19.54.5", "authoritative, com/net/org zones", -1, LAB_TLD_COM},
	{"auth6", LAB_SRV_NSD, LAB_OUTSIDE, "198.19.54.6", "authoritative, com/net/org zones", -1, LAB_TLD_COM},
	{"public", LAB_SRV_UNBOUND, LAB_OUTSIDE, "198.19.8.8", "public resolver (the 8.8.8.8 of the story)", -1, -1},
	{"cn", LAB_SRV_NSD, LAB_CN, "198.18.53.1", "cn TLD a.nic.cn", LAB_TLD_CN, -1},
	{"cnauth1", LAB_SRV_NSD, LAB_CN, "198.18.54.1", "authoritative, cn zones", -1, LAB_TLD_CN},
	{"cnauth2", LAB_SRV_NSD, LAB_CN, "198.18.54.2", "authoritative, cn zones", -1, LAB_TLD_CN},
	{"cnauth3", LAB_SRV_NSD, LAB_CN, "198.18.54.3", "authoritative, cn zones", -1, LAB_TLD_CN},
	{"nodns", LAB_SRV_NONE, LAB_CN, "198.18.55.55", "runs no DNS server: only an injector answers", -1, -1},
	/* The same outside the border: from the client, a query to it crosses
	 * the border and can only be answered there. */
	{"nodnsout", LAB_SRV_NONE, LAB_OUTSIDE, "198.19.55.55", "runs no DNS server, outside the border", -1, -1},
	{"isp", LAB_SRV_UNBOUND, LAB_ISP, "198.18.1.1", "ISP caching resolver", -1, -1},
};
const size_t lab_nservers = sizeof lab_servers / sizeof lab_servers[0];

/* The ISP resolver sends its queries from its border-facing address. */
#define SRV_ISP_OUTGOING "198.18.2.2"
/* An address no lab interface has: binding to it must fail (--fault). */
#define SRV_FAULT_ADDR "198.19.254.254"

int lab_server_find(const char *id)
{
	for (size_t i = 0; i < lab_nservers; i++)
		if (strcmp(lab_servers[i].id, id) == 0)
			return (int)i;
	return -1;
}

static uint32_t srv_addr(const char *dotted)
{
	struct in_addr a;
	if (inet_pton(AF_INET, dotted, &a) != 1)
		return 0;
	return ntohl(a.s_addr);
}

void lab_servers_pop_params(struct lab_pop_params *p)
{
	memset(p->nauth, 0, sizeof p->nauth);
	for (size_t i = 0; i < lab_nservers; i++) {
		const struct lab_server_def *s = &lab_servers[i];
		if (s->auth_for < 0)
			continue;
		int groups[3] = {LAB_TLD_COM, LAB_TLD_NET, LAB_TLD_ORG};
		int ng = s->auth_for == LAB_TLD_CN ? 1 : 3;
		if (s->auth_for == LAB_TLD_CN)
			groups[0] = LAB_TLD_CN;
		for (int g = 0; g < ng; g++) {
			int t = groups[g];
			if (p->nauth[t] < LAB_POP_AUTH_MAX)
				p->auth[t][p->nauth[t]++] = srv_addr(s->addr);
		}
	}
}

const char *lab_server_check_name(const char *dir, int i, char *buf, size_t cap)
{
	const struct lab_server_def *s = &lab_servers[i];
	if (s->tld >= 0) {
		static const char *const apex[LAB_TLD_COUNT] = {"com.", "net.", "org.", "cn."};
		return apex[s->tld];
	}
	if (s->auth_for >= 0 && dir) {
		/* An authoritative: the first zone in its nsd.conf, so the check
		 * shows an authoritative answer (AA), not just signs of life. */
		char path[1024], line[256];
		snprintf(path, sizeof path, "%s/srv/%s/nsd.conf", dir, s->id);
		FILE *f = fopen(path, "re");
		const char *found = NULL;
		for (int k = 0; f && k < 100 && fgets(line, sizeof line, f); k++) {
			char name[200];
			if (sscanf(line, " name: \"%199[^\"]\"", name) == 1) {
				snprintf(buf, cap, "%s", name);
				found = buf;
				break;
			}
		}
		if (f)
			fclose(f);
		if (found)
			return found;
	}
	/* The root for everything else: a resolver resolves it, an
	 * authoritative without zones answers REFUSED, which still proves it
	 * is alive. */
	return ".";
}

/* ---- writing files ------------------------------------------------------- */

struct srv_out {
	FILE *f;
	char path[4096];
	char tmp[4096];
};

static int srv_open(struct srv_out *o, const char *path, struct dw_error *err)
{
	snprintf(o->path, sizeof o->path, "%s", path);
	snprintf(o->tmp, sizeof o->tmp, "%s.tmp", path);
	o->f = fopen(o->tmp, "we");
	if (!o->f)
		return dw_error_errno(err, "write %s", o->tmp);
	return 0;
}

/* Close and rename into place: a reader sees the whole file or none.
 * FAILED: the writer already saw a write fail. */
static int srv_close(struct srv_out *o, int failed, struct dw_error *err)
{
	int bad = failed || ferror(o->f);
	if (fclose(o->f) != 0 || bad || rename(o->tmp, o->path) != 0) {
		dw_error_set(err, DW_E_IO, "write %s: %s", o->path, strerror(errno ? errno : EIO));
		unlink(o->tmp);
		return -1;
	}
	return 0;
}

static int srv_mkdir(const char *path, struct dw_error *err)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return dw_error_errno(err, "mkdir %s", path);
	return 0;
}

static const char *srv_tld_server(int tld)
{
	for (size_t i = 0; i < lab_nservers; i++)
		if (lab_servers[i].tld == tld)
			return lab_servers[i].addr;
	return "0.0.0.0";
}

/* The root server's address (the table has one; "0.0.0.0" were it gone,
 * as for a TLD above). */
static const char *srv_root_addr(void)
{
	int i = lab_server_find("root");
	return i >= 0 ? lab_servers[i].addr : "0.0.0.0";
}

static void srv_soa(FILE *f, const char *origin, const char *mname)
{
	fprintf(f, "$ORIGIN %s\n$TTL 86400\n", origin);
	fprintf(f, "@\tIN\tSOA\t%s hostmaster.nic.%s 1 1800 900 604800 86400\n", mname,
		strcmp(origin, ".") == 0 ? "" : origin);
}

static int srv_write_root(const char *dir, struct dw_error *err)
{
	char path[4096];
	struct srv_out o;
	snprintf(path, sizeof path, "%s/zones/root.zone", dir);
	if (srv_open(&o, path, err) != 0)
		return -1;
	srv_soa(o.f, ".", "a.root-servers.net.");
	fprintf(o.f, "@\tIN\tNS\ta.root-servers.net.\n");
	fprintf(o.f, "a.root-servers.net.\t3600000\tIN\tA\t%s\n", srv_root_addr());
	for (int t = 0; t < LAB_TLD_COUNT; t++) {
		/* RFC 1034 4.2.1: a delegation is NS records at the cut plus glue. */
		fprintf(o.f, "%s.\t172800\tIN\tNS\ta.nic.%s.\n", lab_tld_names[t], lab_tld_names[t]);
		fprintf(o.f, "a.nic.%s.\t172800\tIN\tA\t%s\n", lab_tld_names[t], srv_tld_server(t));
	}
	return srv_close(&o, 0, err);
}

static int srv_write_tld(const char *dir, const struct lab_pop *pop, int t, struct dw_error *err)
{
	char path[4096], origin[16], mname[32];
	struct srv_out o;
	snprintf(path, sizeof path, "%s/zones/%s.zone", dir, lab_tld_names[t]);
	snprintf(origin, sizeof origin, "%s.", lab_tld_names[t]);
	snprintf(mname, sizeof mname, "a.nic.%s.", lab_tld_names[t]);
	if (srv_open(&o, path, err) != 0)
		return -1;
	srv_soa(o.f, origin, mname);
	fprintf(o.f, "@\tIN\tNS\t%s\n", mname);
	fprintf(o.f, "a.nic\t172800\tIN\tA\t%s\n", srv_tld_server(t));
	if (t == LAB_TLD_NET) /* the root server's own name lives under net */
		fprintf(o.f, "a.root-servers\t3600000\tIN\tA\t%s\n",
			srv_root_addr());
	for (size_t z = 0; z < pop->nzones; z++) {
		const struct lab_pop_zone *pz = &pop->zones[z];
		if (pz->tld != t)
			continue;
		uint32_t a = pz->server;
		fprintf(o.f, "%s\t172800\tIN\tNS\tns.%s\n", pz->name, pz->name);
		fprintf(o.f, "ns.%s\t172800\tIN\tA\t%u.%u.%u.%u\n", pz->name, a >> 24,
			(a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	}
	return srv_close(&o, 0, err);
}

static int srv_write_nsd(const char *dir, size_t i, const struct lab_pop *pop, const char *fault,
			 struct dw_error *err)
{
	const struct lab_server_def *s = &lab_servers[i];
	char sd[1024], path[4096];
	snprintf(sd, sizeof sd, "%s/srv/%s", dir, s->id);
	if (srv_mkdir(sd, err) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/nsd.conf", sd);
	struct srv_out o;
	if (srv_open(&o, path, err) != 0)
		return -1;
	int faulty = fault && strcmp(fault, s->id) == 0;
	/* nsd.conf(5). One process per address; every file it writes stays in
	 * its directory; no privilege drop and no chroot, since the lab owns
	 * these files and runs as root in a namespace of its own. */
	fprintf(o.f,
		"# written by dnswatch lab; one nsd per server address\n"
		"server:\n"
		"  ip-address: %s\n  port: 53\n  do-ip4: yes\n  do-ip6: no\n"
		"  username: \"\"\n  chroot: \"\"\n  database: \"\"\n"
		"  zonesdir: \"%s/zones\"\n"
		"  zonelistfile: \"%s/zone.list\"\n  xfrdfile: \"%s/xfrd.state\"\n"
		"  xfrdir: \"%s\"\n  pidfile: \"%s/nsd.pid\"\n  logfile: \"%s/log\"\n"
		"  server-count: 1\n  verbosity: 1\n  hide-version: no\n"
		"  reuseport: no\n"
		/* Zone transfers are unused; the defaults (128 x 128) cost 16384
		 * getrandom calls at start, 80 ms per nsd, and the lab starts 14. */
		"  xfrd-tcp-max: 2\n  xfrd-tcp-pipeline: 2\n"
		/* No response rate limiting: load tests must see the servers, not RRL. */
		"  rrl-ratelimit: 0\n  rrl-size: 1024\n"
		"remote-control:\n  control-enable: no\n",
		faulty ? SRV_FAULT_ADDR : s->addr, dir, sd, sd, sd, sd, sd);
	if (strcmp(s->id, "root") == 0)
		fprintf(o.f, "zone:\n  name: \".\"\n  zonefile: \"root.zone\"\n");
	else if (s->tld >= 0)
		fprintf(o.f, "zone:\n  name: \"%s.\"\n  zonefile: \"%s.zone\"\n",
			lab_tld_names[s->tld], lab_tld_names[s->tld]);
	else {
		uint32_t me = srv_addr(s->addr);
		for (size_t z = 0; z < pop->nzones; z++)
			if (pop->zones[z].server == me)
				fprintf(o.f, "zone:\n  name: \"%s\"\n  zonefile: \"%szone\"\n",
					pop->zones[z].name, pop->zones[z].name);
	}
	return srv_close(&o, 0, err);
}

/* The lab's TLS for DoT: a CA of its own (DIR/ca.pem, what clients trust)
 * and the public resolver's key and certificate for LAB_DOT_NAME signed by
 * it, made with the openssl command line (P-256 keys: about 10 ms each).
 * Valid for 30 days, like the lab's DNSSEC signatures; made afresh at every
 * `lab up`. The keys never leave the lab's state directory. */
static int srv_write_tls(const char *dir, struct dw_error *err)
{
	char cakey[4096], ca[4096], key[4096], crt[4096], out[256];
	snprintf(cakey, sizeof cakey, "%s/srv/ca.key", dir);
	snprintf(ca, sizeof ca, "%s/" LAB_DOT_CA, dir);
	snprintf(key, sizeof key, "%s/srv/public/tls.key", dir);
	snprintf(crt, sizeof crt, "%s/srv/public/tls.pem", dir);
	const char *mkca[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
			      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", cakey, "-out", ca,
			      "-days", "30", "-subj", "/CN=dnswatch lab CA", NULL};
	const char *mkcrt[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
			       "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", crt,
			       "-days", "30", "-subj", "/CN=" LAB_DOT_NAME, "-CA", ca, "-CAkey", cakey,
			       "-addext", "subjectAltName=DNS:" LAB_DOT_NAME,
			       "-addext", "basicConstraints=critical,CA:FALSE", NULL};
	const char *const *steps[] = {mkca, mkcrt};
	for (int k = 0; k < 2; k++) {
		int st = lab_proc_run(NULL, steps[k], out, sizeof out, err);
		if (st != 0)
			return dw_error_prefix(err, "openssl (the lab's DoT %s)",
					       k ? "certificate" : "CA");
	}
	return 0;
}

static int srv_write_unbound(const char *dir, size_t i, int validate, struct dw_error *err)
{
	const struct lab_server_def *s = &lab_servers[i];
	char sd[1024], path[4096];
	snprintf(sd, sizeof sd, "%s/srv/%s", dir, s->id);
	if (srv_mkdir(sd, err) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/unbound.conf", sd);
	struct srv_out o;
	if (srv_open(&o, path, err) != 0)
		return -1;
	const char *out = s->host == LAB_ISP ? SRV_ISP_OUTGOING : s->addr;
	/* unbound.conf(5). A plain iterator (no validator) with the lab's root
	 * hints: it walks the lab's own delegation chain and caches, as the
	 * poisoned resolvers of 2014 did. Remote control on a unix socket so
	 * the lab can dump and flush the cache (unbound-control(8)). */
	fprintf(o.f,
		"# written by dnswatch lab\n"
		"server:\n"
		"  interface: %s\n  outgoing-interface: %s\n  port: 53\n"
		"  do-ip4: yes\n  do-ip6: no\n  do-udp: yes\n  do-tcp: yes\n"
		"  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n"
		"  directory: \"%s\"\n  pidfile: \"%s/unbound.pid\"\n"
		"  use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n  log-time-ascii: yes\n"
		"  access-control: 198.18.0.0/15 allow\n"
		"  root-hints: \"%s/root.hints\"\n"
		"  module-config: \"iterator\"\n  qname-minimisation: yes\n"
		"  num-threads: 1\n  so-reuseport: no\n  outgoing-range: 256\n"
		"  harden-glue: yes\n  prefetch: no\n"
		"remote-control:\n  control-enable: yes\n"
		"  control-interface: \"%s/ctl.sock\"\n  control-use-cert: no\n",
		s->addr, out, sd, sd, dir, sd);
	if (!strcmp(s->id, "public"))
		/* DNS over TLS (RFC 7858) on port 853 with the lab CA's
		 * certificate for LAB_DOT_NAME: the encrypted control an
		 * on-path injector cannot answer for (docs/lab.md). */
		fprintf(o.f, "server:\n  interface: %s@" "853\n  tls-port: 853\n"
			     "  tls-service-key: \"%s/tls.key\"\n  tls-service-pem: \"%s/tls.pem\"\n"
			     "  incoming-num-tcp: 64\n",
			s->addr, sd, sd);
	if (validate)
		/* A signed lab: validate from the lab's own trust anchor; a forged
		 * answer then fails (SERVFAIL with EDE 10, RRSIGs missing). */
		fprintf(o.f, "server:\n  module-config: \"validator iterator\"\n"
			     "  trust-anchor-file: \"%s/" LAB_TRUST_ANCHOR "\"\n"
			     "  val-log-level: 2\n  ede: yes\n", dir);
	return srv_close(&o, 0, err);
}

int lab_servers_write(const char *dir, const struct lab_pop *pop, const char *fault_nsd,
		      int validate, struct dw_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/zones", dir);
	if (srv_mkdir(path, err) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/srv", dir);
	if (srv_mkdir(path, err) != 0)
		return -1;
	if (srv_write_root(dir, err) != 0)
		return -1;
	for (int t = 0; t < LAB_TLD_COUNT; t++)
		if (srv_write_tld(dir, pop, t, err) != 0)
			return -1;
	for (size_t z = 0; z < pop->nzones; z++) {
		struct srv_out o;
		snprintf(path, sizeof path, "%s/zones/%szone", dir, pop->zones[z].name);
		if (srv_open(&o, path, err) != 0)
			return -1;
		int bad = lab_pop_write_zone(pop, z, o.f) != 0;
		if (srv_close(&o, bad, err) != 0)
			return -1;
	}
	snprintf(path, sizeof path, "%s/srv/public", dir);
	if (srv_mkdir(path, err) != 0 || srv_write_tls(dir, err) != 0)
		return -1;
	for (size_t i = 0; i < lab_nservers; i++) {
		int r = 0;
		if (lab_servers[i].kind == LAB_SRV_NSD)
			r = srv_write_nsd(dir, i, pop, fault_nsd, err);
		else if (lab_servers[i].kind == LAB_SRV_UNBOUND)
			r = srv_write_unbound(dir, i, validate, err);
		if (r != 0)
			return -1;
	}
	struct srv_out o;
	snprintf(path, sizeof path, "%s/root.hints", dir);
	if (srv_open(&o, path, err) != 0)
		return -1;
	fprintf(o.f, ".\t3600000\tIN\tNS\ta.root-servers.net.\n"
		     "a.root-servers.net.\t3600000\tIN\tA\t%s\n",
		srv_root_addr());
	if (srv_close(&o, 0, err) != 0)
		return -1;
	/* The names alone, without their answers: what a researcher has (a
	 * list) when there is no answer key (`watch --no-key`). */
	snprintf(path, sizeof path, "%s/" LAB_NAMES_FILE, dir);
	if (srv_open(&o, path, err) != 0)
		return -1;
	fprintf(o.f, "# the lab's %zu names, one a line, without their answers\n", pop->nnames);
	for (size_t i = 0; i < pop->nnames; i++)
		fprintf(o.f, "%s\n", pop->names[i].name);
	if (srv_close(&o, 0, err) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/answers.tsv", dir);
	if (srv_open(&o, path, err) != 0)
		return -1;
	int bad = lab_pop_write_key(pop, o.f) != 0;
	return srv_close(&o, bad, err);
}

/* ---- starting and readiness ------------------------------------------------ */

/* The readiness checks of the servers started: one per server, asked from
 * the server's own host (readiness of the daemon, not of routes). */
struct srv_checks {
	struct lab_check pr[64];
	char qname[64][128], ns[64][64];
	int idx[64];   /* the server of pr[k] */
	int n;
};

/* Start every server of the lab (a daemon, our child) and set up its
 * check in C. PIDS[i] is lab_servers[i]'s pid, 0 for none. */
static int srv_spawn(const char *lab, const char *dir, pid_t *pids, struct srv_checks *c,
		     struct dw_error *err)
{
	for (size_t i = 0; i < lab_nservers; i++) {
		const struct lab_server_def *s = &lab_servers[i];
		pids[i] = 0;
		if (s->kind == LAB_SRV_NONE)
			continue;
		char sd[1024], conf[4096], log[4096], ns[64];
		snprintf(sd, sizeof sd, "%s/srv/%s", dir, s->id);
		snprintf(log, sizeof log, "%s/log", sd);
		lab_host_ns(lab, s->host, ns, sizeof ns);
		/* -d: stay in the foreground, so the pid we hold is the daemon's
		 * own and an early exit is visible to waitpid. */
		const char *name = s->kind == LAB_SRV_NSD ? "nsd" : "unbound";
		snprintf(conf, sizeof conf, "%s/%s.conf", sd, name);
		const char *argv[] = {name, "-d", "-c", conf, NULL};
		pid_t pid = lab_proc_spawn(ns, argv, log, err);
		if (pid < 0)
			return dw_error_prefix(err, "%s server %s", argv[0], s->id);
		pids[i] = pid;
		int k = c->n++;
		lab_host_ns(lab, s->host, c->ns[k], sizeof c->ns[k]);
		c->pr[k] = (struct lab_check){.ns = c->ns[k], .addr = srv_addr(s->addr),
					      .qname = lab_server_check_name(dir, (int)i, c->qname[k],
									     sizeof c->qname[k]),
					      .qtype = 6, .rd = 0, .fd = -1};
		c->idx[k] = (int)i;
	}
	return 0;
}

/* WHAT happened to server I ("nsd com (ADDR) WHAT", JOIN between the
 * software and the id), with the line of its log that explains. */
static void srv_fail(const char *dir, int i, const char *join, const char *what,
		     struct dw_error *err)
{
	const struct lab_server_def *s = &lab_servers[i];
	char sd[4096], line[400];
	snprintf(sd, sizeof sd, "%s/srv/%s/log", dir, s->id);
	lab_proc_log_reason(sd, line, sizeof line);
	dw_error_set(err, DW_E_TOOL, "%s%s%s (%s) %s: %s", s->kind == LAB_SRV_NSD ? "nsd" : "unbound",
		     join, s->id, s->addr, what, line[0] ? line : "(empty log)");
}

/* An exited daemon will never answer: 1 with its reason in ERR if one of
 * C's has exited (reaped, its pid cleared). */
static int srv_exited(const char *dir, pid_t *pids, const struct srv_checks *c,
		      struct dw_error *err)
{
	for (int k = 0; k < c->n; k++) {
		int i = c->idx[k], st;
		if (pids[i] > 0 && waitpid(pids[i], &st, WNOHANG) == pids[i]) {
			char what[64];
			snprintf(what, sizeof what, "exited with status %d",
				 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			srv_fail(dir, i, " for ", what, err);
			pids[i] = 0;
			return 1;
		}
	}
	return 0;
}

int lab_servers_start(const char *lab, const char *dir, pid_t *pids, int timeout_ms,
		      volatile sig_atomic_t *stop, struct dw_error *err)
{
	static struct srv_checks c;
	memset(&c, 0, sizeof c);
	int rc = srv_spawn(lab, dir, pids, &c, err);
	if (rc != 0)
		return rc;
	long long deadline = (long long)util_mono_ms() + timeout_ms;
	rc = -1;
	for (int round = 0; round < 100000 && !srv_exited(dir, pids, &c, err); round++) {
		if (lab_check_run(c.pr, c.n, 40) == c.n) {
			rc = 0;
			break;
		}
		if (stop && *stop) {
			dw_error_set(err, DW_E_INTERRUPTED, "interrupted while waiting for the servers");
			break;
		}
		if ((long long)util_mono_ms() > deadline) {
			char what[64];
			snprintf(what, sizeof what, "did not answer within %d ms", timeout_ms);
			for (int k = 0; k < c.n; k++)
				if (!c.pr[k].answered) {
					srv_fail(dir, c.idx[k], " ", what, err);
					break;
				}
			break;
		}
	}
	lab_check_close(c.pr, c.n);
	return rc;
}

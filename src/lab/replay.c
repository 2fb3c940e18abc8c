/* Replaying a scenario against a running lab (see replay.h, docs/scenarios.md). */
#include "lab/replay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab/check.h"
#include "lab/netns.h"
#include "lab/proc.h"
#include "lab/servers.h"
#include "lab/topology.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/text.h"
#include "wire/msg.h"
#include "wire/name.h"

#define RP_ZONE_MAX (64u << 20) /* a TLD zone file read into memory */
#define RP_WALL_WAIT_MS 10000
#define RP_STOP_WAIT_MS 3000

struct rp {
	const struct scn *s;
	const struct lab_replay_opts *o;
	char self[1024];
	char work[512];      /* DIR/scenario: our files */
	char sock[600];      /* the wall's control socket */
	pid_t wall;          /* the wall we started, or 0 */
	int rules_on;
	pid_t rogue;
	uint32_t rogue_addr;
	int rogue_addr_added;
	int hijacked[3];     /* com, net, org */
	char probe_name[3][128]; /* "ns.ZONE." of the first delegation, to check a reload */
	uint32_t probe_orig[3]; /* its real glue address */
	double scale;
	long long t0_us;     /* CLOCK_MONOTONIC at the start of the timeline */
	FILE *ev;
};

static const char *const rp_tlds[3] = {"com", "net", "org"};

static void rp_addr_text(uint32_t a, char *buf, size_t cap)
{
	snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/* One printed line and one event. CLOCK_S < 0: no scenario time (cleanup). */
static void rp_report(struct rp *r, long clock_s, int line, const char *action, const char *detail,
		      const char *result, int ok)
{
	long long real = (long long)util_real_us();
	long long el = r->t0_us ? (long long)util_mono_us() - r->t0_us : 0;
	char cb[16] = "--:--:--", wb[32];
	if (clock_s >= 0)
		scn_format_clock(clock_s, cb, sizeof cb);
	time_t sec = (time_t)(real / 1000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	snprintf(wb, sizeof wb, "%02d:%02d:%02d.%03dZ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(real / 1000 % 1000));
	printf("%s%s%s  %s  +%6.2f s  %s%s%s%s%s\n", cb, clock_s >= 0 && r->s->zone[0] ? " " : "",
	       clock_s >= 0 ? r->s->zone : "", wb,
	       (double)el / 1e6, action, detail && detail[0] ? " " : "", detail ? detail : "",
	       result && result[0] ? ": " : "", result ? result : "");
	fflush(stdout);
	if (!r->ev)
		return;
	struct jw j;
	jw_init(&j, r->ev);
	jw_object_begin(&j);
	jw_key(&j, "time_us");
	jw_int(&j, real);
	jw_key(&j, "elapsed_us");
	jw_int(&j, el);
	jw_key(&j, "lab");
	jw_string(&j, r->o->lab);
	jw_key(&j, "scenario");
	jw_string(&j, r->s->name);
	jw_key(&j, "clock");
	if (clock_s >= 0)
		jw_string(&j, cb);
	else
		jw_null(&j);
	jw_key(&j, "offset_s");
	if (clock_s >= 0)
		jw_int(&j, clock_s - r->s->clock_s);
	else
		jw_null(&j);
	jw_key(&j, "action");
	jw_string(&j, action);
	jw_key(&j, "detail");
	jw_string(&j, detail ? detail : "");
	jw_key(&j, "result");
	jw_string(&j, result ? result : "");
	jw_key(&j, "ok");
	jw_bool(&j, ok != 0);
	jw_key(&j, "line");
	if (line > 0)
		jw_int(&j, line);
	else
		jw_null(&j);
	jw_object_end(&j);
	jw_newline(&j);
	fflush(r->ev);
}

/* The first line of OUT, trimmed, into OUT itself. */
static void rp_first_line(char *out)
{
	out[strcspn(out, "\n")] = '\0';
}

/* ---- the wall ----------------------------------------------------------------- */

static int rp_ctl(struct rp *r, const char *verb, const char *file, char *res, size_t cap)
{
	const char *argv[] = {r->self, "inject", "ctl", r->sock, verb, file, NULL};
	struct dw_error e = {.status = DW_OK, .text = ""};
	int st = lab_proc_run(NULL, argv, res, cap, &e);
	rp_first_line(res);
	if (st != 0 && !res[0])
		snprintf(res, cap, "%s", e.text[0] ? e.text : "inject ctl failed");
	return st == 0 ? 0 : -1;
}

static int rp_file_has(const char *path, const char *needle)
{
	static char buf[65536];
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* Wait (bounded) for a child to exit; SIGKILL after MS. */
static void rp_stop_child(pid_t pid, int ms)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int t = 0; t < ms / 10; t++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Remember a process we started (PID and one word) in WORK/NAME, so that a
 * replay killed with SIGKILL can be cleaned up after by the next one. */
static void rp_mark(struct rp *r, const char *name, pid_t pid, const char *word)
{
	char path[700];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", r->work, name);
	if (pid <= 0) {
		unlink(path);
		return;
	}
	f = fopen(path, "we");
	if (f) {
		fprintf(f, "%ld %s\n", (long)pid, word ? word : "-");
		fclose(f);
	}
}

/* End a process that is not our child (left by a killed replay). */
static void rp_end_orphan(long pid, const char *needle)
{
	if (!lab_proc_alive(pid, needle))
		return;
	kill((pid_t)pid, SIGTERM);
	for (int t = 0; t < RP_STOP_WAIT_MS / 10 && lab_proc_alive(pid, needle); t++)
		usleep(10000);
	if (lab_proc_alive(pid, needle))
		kill((pid_t)pid, SIGKILL);
}

static int rp_wall_start(struct rp *r, struct dw_error *err)
{
	char log[700], elog[700];
	snprintf(r->sock, sizeof r->sock, "%s/wall.sock", r->work);
	snprintf(log, sizeof log, "%s/wall.out", r->work);
	snprintf(elog, sizeof elog, "%s/wall.log", r->work);
	unlink(r->sock);
	unlink(log);
	/* --busy-poll: replies tens of microseconds sooner, as in the demo; the
	 * replay is bounded, so is the core it spins. */
	const char *argv[] = {r->self, "inject", "--lab", r->o->lab, "--preset", r->s->wall,
			      "--busy-poll", "--control", r->sock, "--log", elog, NULL};
	pid_t pid = lab_proc_spawn(NULL, argv, log, err);
	if (pid < 0)
		return dw_error_prefix(err, "cannot start the wall");
	r->wall = pid;
	rp_mark(r, "wall.pid", pid, r->sock);
	for (int t = 0; t < RP_WALL_WAIT_MS / 20; t++) {
		if (rp_file_has(log, "capturing on") && access(r->sock, F_OK) == 0)
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			r->wall = 0;
			char line[400];
			lab_proc_last_line(log, line, sizeof line);
			return dw_error_set(err, DW_E_TOOL, "the wall exited at start: %s",
					    line[0] ? line : "(no output)");
		}
		if (r->o->stop && *r->o->stop)
			break;
		usleep(20000);
	}
	if (r->o->stop && *r->o->stop)
		return dw_error_set(err, DW_E_INTERRUPTED, "interrupted while the wall was starting");
	return dw_error_set(err, DW_E_TOOL, "the wall did not start within %d ms (log %s)",
			    RP_WALL_WAIT_MS, log);
}

/* ---- resolvers ---------------------------------------------------------------- */

static int rp_flush(struct rp *r, const char *ids, char *res, size_t cap)
{
	char list[SCN_ARG_MAX];
	snprintf(list, sizeof list, "%s", ids);
	res[0] = '\0';
	size_t len = 0;
	char *save = NULL;
	int rc = 0;
	for (char *id = strtok_r(list, " ", &save); id; id = strtok_r(NULL, " ", &save)) {
		char conf[700], out[512] = "";
		struct dw_error e = {.status = DW_OK, .text = ""};
		snprintf(conf, sizeof conf, "%s/srv/%s/unbound.conf", r->o->dir, id);
		/* unbound-control(8): flush_zone . drops every cached RRset and
		 * message; the infrastructure cache (server RTTs) stays. */
		const char *argv[] = {"unbound-control", "-c", conf, "flush_zone", ".", NULL};
		int st = lab_proc_run(NULL, argv, out, sizeof out, &e);
		rp_first_line(out);
		len = text_cat(res, cap, len, "%s%s: %s", len ? "; " : "", id,
			       st == 0 ? out : e.text[0] ? e.text : "unbound-control failed");
		if (st != 0)
			rc = -1;
	}
	return rc;
}

/* ---- the rogue authoritative server ------------------------------------------- */

static int rp_write(const char *path, const char *text)
{
	char tmp[800];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -1;
	int bad = fputs(text, f) < 0;
	if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The rogue nsd's zones and config in RD: it claims com, net and org and
 * answers every name under them with ANS (a wildcard, RFC 4592), whatever
 * a hijacked TLD sends it; it listens on A. Its config path into PATH. */
static int rp_rogue_files(const char *rd, const char *a, const char *ans, char *path,
			  size_t pcap, char *res, size_t cap)
{
	char text[8192];
	for (int t = 0; t < 3; t++) {
		snprintf(path, pcap, "%s/%s.zone", rd, rp_tlds[t]);
		snprintf(text, sizeof text,
			 "; written by dnswatch lab replay: the rogue server of a TLD compromise\n"
			 "$ORIGIN %s.\n$TTL 300\n"
			 "@\tIN\tSOA\trogue.%s. hostmaster.rogue.%s. 1 1800 900 604800 300\n"
			 "@\tIN\tNS\trogue.%s.\n"
			 "@\tIN\tA\t%s\n"
			 "*\tIN\tA\t%s\n",
			 rp_tlds[t], rp_tlds[t], rp_tlds[t], rp_tlds[t], ans, ans);
		if (rp_write(path, text) != 0) {
			snprintf(res, cap, "write %s: %s", path, strerror(errno));
			return -1;
		}
	}
	snprintf(path, pcap, "%s/nsd.conf", rd);
	int tl = snprintf(text, sizeof text,
		 "# written by dnswatch lab replay: the rogue server\n"
		 "server:\n"
		 "  ip-address: %s\n  port: 53\n  do-ip4: yes\n  do-ip6: no\n"
		 "  username: \"\"\n  chroot: \"\"\n  database: \"\"\n"
		 "  zonesdir: \"%s\"\n  zonelistfile: \"%s/zone.list\"\n  xfrdfile: \"%s/xfrd.state\"\n"
		 "  xfrdir: \"%s\"\n  pidfile: \"%s/nsd.pid\"\n  logfile: \"%s/log\"\n"
		 "  server-count: 1\n  verbosity: 1\n  reuseport: no\n"
		 "  xfrd-tcp-max: 2\n  xfrd-tcp-pipeline: 2\n  rrl-ratelimit: 0\n  rrl-size: 1024\n"
		 "remote-control:\n  control-enable: no\n"
		 "zone:\n  name: \"com.\"\n  zonefile: \"com.zone\"\n"
		 "zone:\n  name: \"net.\"\n  zonefile: \"net.zone\"\n"
		 "zone:\n  name: \"org.\"\n  zonefile: \"org.zone\"\n",
		 a, rd, rd, rd, rd, rd, rd);
	if (tl < 0 || (size_t)tl >= sizeof text || rp_write(path, text) != 0) {
		snprintf(res, cap, "write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Wait (5 s at most) until the rogue nsd PID, started in NS with log LOG,
 * answers at ADDR (text A). Returns 0, or -1 with why in RES. */
static int rp_rogue_wait(struct rp *r, pid_t pid, const char *ns, uint32_t addr, const char *a,
			 const char *log, char *res, size_t cap)
{
	struct lab_check p = {.ns = ns, .addr = addr, .qname = "com.", .qtype = 6, .rd = 0, .fd = -1};
	long long end = (long long)util_mono_us() + 5000000;
	int answered = 0;
	for (int k = 0; k < 200 && (long long)util_mono_us() < end && !answered; k++) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			r->rogue = 0;
			char line[400];
			lab_proc_log_reason(log, line, sizeof line);
			snprintf(res, cap, "the rogue nsd exited: %s", line);
			lab_check_close(&p, 1);
			return -1;
		}
		answered = lab_check_run(&p, 1, 50) == 1;
	}
	lab_check_close(&p, 1);
	if (!answered) {
		snprintf(res, cap, "the rogue nsd at %s did not answer within 5 s", a);
		return -1;
	}
	return 0;
}

static int rp_rogue_up(struct rp *r, uint32_t addr, uint32_t answer, char *res, size_t cap)
{
	char rd[600], path[800], a[32], ans[32], ns[64];
	struct dw_error e;
	rp_addr_text(addr, a, sizeof a);
	rp_addr_text(answer, ans, sizeof ans);
	snprintf(rd, sizeof rd, "%s/rogue", r->work);
	if (mkdir(rd, 0755) != 0 && errno != EEXIST) {
		snprintf(res, cap, "mkdir %s: %s", rd, strerror(errno));
		return -1;
	}
	if (rp_rogue_files(rd, a, ans, path, sizeof path, res, cap) != 0)
		return -1;
	lab_host_ns(r->o->lab, LAB_OUTSIDE, ns, sizeof ns);
	char cidr[40];
	snprintf(cidr, sizeof cidr, "%s/32", a);
	/* Marked before it exists, so that a replay killed right after adding
	 * the address still has it removed by the next one (pid 0: no nsd yet). */
	rp_mark(r, "rogue.pid", 0, a);
	const char *ip[] = {"ip", "addr", "add", cidr, "dev", "lo", NULL};
	if (lab_proc_run(ns, ip, NULL, 0, &e) != 0) {
		snprintf(res, cap, "ip addr add %s in outside: %s", cidr, e.text);
		return -1;
	}
	r->rogue_addr = addr;
	r->rogue_addr_added = 1;
	char log[800];
	snprintf(log, sizeof log, "%s/log", rd);
	const char *argv[] = {"nsd", "-d", "-c", path, NULL};
	pid_t pid = lab_proc_spawn(ns, argv, log, &e);
	if (pid < 0) {
		snprintf(res, cap, "nsd: %s", e.text);
		return -1;
	}
	r->rogue = pid;
	rp_mark(r, "rogue.pid", pid, a);
	if (rp_rogue_wait(r, pid, ns, addr, a, log, res, cap) != 0)
		return -1;
	snprintf(res, cap, "nsd pid %ld at %s in outside answers every com/net/org name with %s",
		 (long)pid, a, ans);
	return 0;
}

/* Stop the rogue nsd and remove its address; -1 (and why in RES) when the
 * address could not be removed. */
static int rp_rogue_down(struct rp *r, char *res, size_t cap)
{
	char a[32], ns[64];
	rp_addr_text(r->rogue_addr, a, sizeof a);
	if (r->rogue > 0)
		rp_stop_child(r->rogue, RP_STOP_WAIT_MS);
	r->rogue = 0;
	rp_mark(r, "rogue.pid", 0, NULL);
	if (r->rogue_addr_added) {
		char cidr[40];
		snprintf(cidr, sizeof cidr, "%s/32", a);
		lab_host_ns(r->o->lab, LAB_OUTSIDE, ns, sizeof ns);
		const char *ip[] = {"ip", "addr", "del", cidr, "dev", "lo", NULL};
		struct dw_error e;
		int st = lab_proc_run(ns, ip, NULL, 0, &e);
		r->rogue_addr_added = 0;
		if (st != 0) {
			snprintf(res, cap, "nsd at %s stopped; ip addr del %s in outside: %s", a, cidr,
				 e.text);
			return -1;
		}
	}
	snprintf(res, cap, "nsd at %s stopped, address removed", a);
	return 0;
}

/* ---- TLD zone data ------------------------------------------------------------ */

/* The glue address for NAME (wire form) in the reply A[0..N) to query ID:
 * the A record of that owner in the additional section. 0 when there is
 * none, with why in WHY (a reply that does not parse says where it broke,
 * through the codec's own words). */
static uint32_t rp_glue_of(const uint8_t *a, size_t n, uint16_t id, const uint8_t *name,
			   const char *from, struct dw_error *why)
{
	struct wire_rr rr[64];
	struct wire_msg m;
	if (wire_msg_parse(&m, a, n, rr, sizeof rr / sizeof rr[0]) != DW_OK) {
		wire_error_record(why, &m.err, from);
		return 0;
	}
	if (m.hdr.id != id || !(m.hdr.flags & WIRE_FLAG_QR)) {
		dw_error_set(why, DW_E_NOT_FOUND, "%s: not the reply to our query", from);
		return 0;
	}
	size_t k = wire_msg_section_start(&m, WIRE_SEC_ADDITIONAL);
	for (size_t end = k + wire_msg_section_count(&m, WIRE_SEC_ADDITIONAL); k < end; k++) {
		const struct wire_rr *x = &m.rr[k];
		uint8_t owner[WIRE_NAME_MAX];
		if (x->type != WIRE_T_A || x->class != WIRE_C_IN || x->rdlen != 4 ||
		    !wire_msg_name(&m, x->owner_off, owner) || !wire_name_equal(owner, name))
			continue;
		const uint8_t *d = a + x->rdata_off;
		dw_error_clear(why);
		return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	}
	dw_error_set(why, DW_E_NOT_FOUND, "%s: no glue A record for the name", from);
	return 0;
}

/* Ask the TLD server for NAME (an "ns.ZONE." with glue) from outside, no
 * EDNS asked. Returns the glue address, or 0 with why in WHY. */
static uint32_t rp_glue(struct rp *r, const char *tld, const char *name, struct dw_error *why)
{
	char ns[64], from[64];
	uint8_t wname[WIRE_NAME_MAX];
	size_t wlen;
	lab_host_ns(r->o->lab, LAB_OUTSIDE, ns, sizeof ns);
	int i = lab_server_find(tld);
	if (i < 0 || wire_name_from_text(name, wname, &wlen) != DW_OK) {
		dw_error_set(why, DW_E_INVALID, "no %s server, or a bad name %s", tld, name);
		return 0;
	}
	snprintf(from, sizeof from, "the reply from %s", lab_servers[i].addr);
	int fd = lab_netns_socket(ns, AF_INET, SOCK_DGRAM);
	if (fd < 0) {
		dw_error_errno(why, "a socket in %s", ns);
		return 0;
	}
	uint8_t q[512], a[4096];
	uint16_t id = (uint16_t)(util_mono_us() & 0xffff);
	int ql = lab_check_query(q, sizeof q, id, name, WIRE_T_A, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	inet_pton(AF_INET, lab_servers[i].addr, &sa.sin_addr);
	uint32_t got = 0;
	dw_error_set(why, DW_E_NOT_FOUND, "no reply from %s", lab_servers[i].addr);
	if (ql > 0 && sendto(fd, q, (size_t)ql, 0, (struct sockaddr *)&sa, sizeof sa) == ql) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		for (int k = 0; k < 4 && !got && poll(&pf, 1, 100) == 1; k++) {
			ssize_t n = recv(fd, a, sizeof a, 0);
			if (n > 0)
				got = rp_glue_of(a, (size_t)n, id, wname, from, why);
		}
	}
	close(fd);
	return got;
}

/* nsd(8): SIGHUP re-reads the zone files whose mtime changed. Signal it,
 * then watch the served glue for NAME until it is WANT (bounded), touching
 * the file and signalling again now and then (a reload within the file
 * system's time granularity could be missed). */
static int rp_nsd_reload(struct rp *r, const char *tld, const char *zonefile, const char *name,
			 uint32_t want, char *res, size_t cap)
{
	char key[32];
	snprintf(key, sizeof key, "pid.%s", tld);
	long pid = lab_proc_state_pid(r->o->dir, key);
	/* The pid file may be stale and the number reused: signal it only if
	 * it is still this TLD's nsd, run with the lab's config for it. */
	char conf[1024];
	snprintf(conf, sizeof conf, "%s/srv/%s/nsd.conf", r->o->dir, tld);
	if (!lab_proc_alive(pid, conf)) {
		snprintf(res, cap, "the %s nsd (pid %ld) is not running", tld, pid);
		return -1;
	}
	size_t len = strlen(res); /* what the zone's rewrite said: appended to */
	struct dw_error why = {.status = DW_OK, .text = ""};
	long long start = (long long)util_mono_us();
	for (int k = 0; k < 50; k++) {
		if (k % 10 == 0) {
			utimensat(AT_FDCWD, zonefile, NULL, 0);
			kill((pid_t)pid, SIGHUP);
		}
		usleep(k == 0 ? 20000 : 100000);
		if (rp_glue(r, tld, name, &why) == want) {
			text_cat(res, cap, len, "; nsd pid %ld reloaded (SIGHUP) in %lld ms", pid,
				 ((long long)util_mono_us() - start) / 1000);
			return 0;
		}
	}
	text_cat(res, cap, len, "; nsd pid %ld did not serve the new data within 5 s (last: %s)", pid,
		 why.status == DW_OK ? "the old glue" : why.text);
	return -1;
}

static int rp_zone_hijack(struct rp *r, int t, uint32_t rogue, char *res, size_t cap)
{
	const char *tld = rp_tlds[t];
	char zf[700], orig[700], origtmp[800], tmp[800], a[32];
	snprintf(zf, sizeof zf, "%s/zones/%s.zone", r->o->dir, tld);
	snprintf(orig, sizeof orig, "%s/%s.zone.orig", r->work, tld);
	/* The kept copy is written under a temporary name and renamed only
	 * once complete: recovery after a kill trusts any .orig it finds. */
	snprintf(origtmp, sizeof origtmp, "%s.tmp", orig);
	snprintf(tmp, sizeof tmp, "%s.replay.tmp", zf);
	rp_addr_text(rogue, a, sizeof a);
	FILE *in = fopen(zf, "re");
	if (!in) {
		snprintf(res, cap, "%s: %s", zf, strerror(errno));
		return -1;
	}
	FILE *keep = fopen(origtmp, "we"), *out = fopen(tmp, "we");
	if (!keep || !out) {
		snprintf(res, cap, "write %s: %s", keep ? tmp : origtmp, strerror(errno));
		fclose(in);
		if (keep)
			fclose(keep);
		if (out)
			fclose(out);
		return -1;
	}
	/* Every delegation's glue ("ns.ZONE. TTL IN A ADDR", as lab up writes
	 * it, signed or not) now names the rogue address; the rest stays. */
	char line[1024];
	unsigned changed = 0;
	size_t total = 0;
	r->probe_name[t][0] = '\0';
	for (int k = 0; k < 10000000 && fgets(line, sizeof line, in); k++) {
		total += strlen(line);
		if (total > RP_ZONE_MAX)
			break;
		fputs(line, keep);
		char owner[128], ttl[32], cls[8], type[8], addr[32];
		if (strncmp(line, "ns.", 3) == 0 &&
		    sscanf(line, "%127s %31s %7s %7s %31s", owner, ttl, cls, type, addr) == 5 &&
		    strcmp(cls, "IN") == 0 && strcmp(type, "A") == 0) {
			fprintf(out, "%s\t%s\tIN\tA\t%s\n", owner, ttl, a);
			if (!r->probe_name[t][0]) {
				snprintf(r->probe_name[t], sizeof r->probe_name[t], "%s", owner);
				struct in_addr ia;
				r->probe_orig[t] = inet_pton(AF_INET, addr, &ia) == 1 ? ntohl(ia.s_addr) : 0;
			}
			changed++;
		} else {
			fputs(line, out);
		}
	}
	int read_bad = ferror(in), too_big = total > RP_ZONE_MAX;
	fclose(in);
	int write_bad = fclose(keep) != 0;
	write_bad |= fclose(out) != 0;
	if (read_bad || too_big || write_bad || changed == 0 || rename(origtmp, orig) != 0 ||
	    rename(tmp, zf) != 0) {
		int e = errno;
		unlink(tmp);
		unlink(origtmp);
		unlink(orig);
		if (read_bad)
			snprintf(res, cap, "%s: read error", zf);
		else if (too_big)
			snprintf(res, cap, "%s: over %u MiB", zf, (unsigned)(RP_ZONE_MAX >> 20));
		else if (write_bad)
			snprintf(res, cap, "writing %.300s (and its copy): %s", tmp, strerror(e));
		else if (changed == 0)
			snprintf(res, cap, "%s: no delegation found", zf);
		else
			snprintf(res, cap, "renaming into %s: %s", zf, strerror(e));
		return -1;
	}
	r->hijacked[t] = 1;
	snprintf(res, cap, "%s: %u delegations now point to %s", zf, changed, a);
	return rp_nsd_reload(r, tld, zf, r->probe_name[t], rogue, res, cap);
}

/* The first delegation's glue in zone file PATH: its owner into NAME and
 * its address into *ADDR (what a reload of PATH must then serve). */
static int rp_first_glue(const char *path, char *name, size_t cap, uint32_t *addr)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	int found = -1;
	for (int k = 0; f && k < 10000000 && found < 0 && fgets(line, sizeof line, f); k++) {
		char owner[128], ttl[32], cls[8], type[8], a[32];
		struct in_addr ia;
		if (strncmp(line, "ns.", 3) == 0 &&
		    sscanf(line, "%127s %31s %7s %7s %31s", owner, ttl, cls, type, a) == 5 &&
		    strcmp(cls, "IN") == 0 && strcmp(type, "A") == 0 && inet_pton(AF_INET, a, &ia) == 1) {
			snprintf(name, cap, "%s", owner);
			*addr = ntohl(ia.s_addr);
			found = 0;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static int rp_zone_restore(struct rp *r, int t, char *res, size_t cap)
{
	const char *tld = rp_tlds[t];
	char zf[700], orig[700];
	snprintf(zf, sizeof zf, "%s/zones/%s.zone", r->o->dir, tld);
	snprintf(orig, sizeof orig, "%s/%s.zone.orig", r->work, tld);
	if (rename(orig, zf) != 0) {
		if (snprintf(res, cap, "restore %s from %s: %s", zf, orig, strerror(errno)) < 0)
			res[0] = '\0';
		return -1;
	}
	r->hijacked[t] = 0;
	snprintf(res, cap, "%s restored", zf);
	/* After a replay that was killed, we do not know what to check: read
	 * it from the restored file. */
	if (!r->probe_name[t][0] &&
	    rp_first_glue(zf, r->probe_name[t], sizeof r->probe_name[t], &r->probe_orig[t]) != 0)
		return 0;
	return rp_nsd_reload(r, tld, zf, r->probe_name[t], r->probe_orig[t], res, cap);
}

/* ---- the timeline -------------------------------------------------------------- */

static int rp_run_step(struct rp *r, const struct scn_step *st)
{
	char res[1024] = "", detail[SCN_ARG_MAX + 64] = "";
	const char *name = scn_action_name(st->action);
	int rc = 0;
	switch (st->action) {
	case SCN_INJECT_LOAD:
		snprintf(detail, sizeof detail, "%s", st->arg);
		rc = rp_ctl(r, "load", st->arg, res, sizeof res);
		if (rc == 0)
			r->rules_on = 1;
		break;
	case SCN_INJECT_OFF:
		rc = rp_ctl(r, "off", NULL, res, sizeof res);
		if (rc == 0)
			r->rules_on = 0;
		break;
	case SCN_FLUSH:
		snprintf(detail, sizeof detail, "%s", st->arg);
		rc = rp_flush(r, st->arg, res, sizeof res);
		break;
	case SCN_ROGUE_UP: {
		char a[32], b[32];
		rp_addr_text(st->addr, a, sizeof a);
		rp_addr_text(st->answer, b, sizeof b);
		snprintf(detail, sizeof detail, "%s %s", a, b);
		rc = rp_rogue_up(r, st->addr, st->answer, res, sizeof res);
		break;
	}
	case SCN_ROGUE_DOWN:
		rc = rp_rogue_down(r, res, sizeof res);
		break;
	case SCN_ZONE_HIJACK: {
		char a[32];
		rp_addr_text(st->addr, a, sizeof a);
		snprintf(detail, sizeof detail, "%s %s", st->arg, a);
		int t = scn_tld_index(st->arg); /* checked by the parser */
		rc = rp_zone_hijack(r, t, st->addr, res, sizeof res);
		break;
	}
	case SCN_ZONE_RESTORE: {
		snprintf(detail, sizeof detail, "%s", st->arg);
		int t = scn_tld_index(st->arg); /* checked by the parser */
		rc = rp_zone_restore(r, t, res, sizeof res);
		break;
	}
	case SCN_MARK:
		snprintf(detail, sizeof detail, "%s", st->arg);
		break;
	case SCN_END:
		break;
	}
	rp_report(r, st->clock_s, st->line, name, detail, res, rc == 0);
	return rc;
}

/* Undo what the replay changed, in reverse order of dependence. */
static void rp_cleanup(struct rp *r)
{
	char res[1024];
	if (r->rules_on && !r->wall) {
		res[0] = '\0';
		int rc = rp_ctl(r, "off", NULL, res, sizeof res);
		rp_report(r, -1, 0, "inject off", "(cleanup)", res, rc == 0);
		r->rules_on = 0;
	}
	for (int t = 0; t < 3; t++)
		if (r->hijacked[t]) {
			res[0] = '\0';
			int rc = rp_zone_restore(r, t, res, sizeof res);
			rp_report(r, -1, 0, "zone restore", rp_tlds[t], res, rc == 0);
		}
	if (r->rogue > 0 || r->rogue_addr_added) {
		int rc = rp_rogue_down(r, res, sizeof res);
		rp_report(r, -1, 0, "rogue down", "(cleanup)", res, rc == 0);
	}
	if (r->wall > 0) {
		rp_stop_child(r->wall, RP_STOP_WAIT_MS);
		rp_mark(r, "wall.pid", 0, NULL);
		r->wall = 0;
		r->rules_on = 0;
		rp_report(r, -1, 0, "wall stop", "(cleanup)", "the wall replay started is stopped", 1);
	}
}

/* A replay that died (kill -9) may have left its wall running, a rogue
 * server up and a zone hijacked (its original under work/): end and put
 * back all that before anything else. */
static void rp_recover(struct rp *r)
{
	char path[700], word[64], res[256];
	long pid;
	snprintf(path, sizeof path, "%s/wall.pid", r->work);
	FILE *f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &pid) == 1) {
			char sock[700];
			snprintf(sock, sizeof sock, "%s/wall.sock", r->work);
			rp_end_orphan(pid, sock);
			snprintf(res, sizeof res, "pid %ld, left by an earlier replay, stopped", pid);
			rp_report(r, -1, 0, "wall stop", "(recovery)", res, 1);
		}
		fclose(f);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/rogue.pid", r->work);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld %63s", &pid, word) == 2) {
			char conf[700], ns[64], cidr[80];
			snprintf(conf, sizeof conf, "%s/rogue/nsd.conf", r->work);
			rp_end_orphan(pid, conf);
			snprintf(cidr, sizeof cidr, "%s/32", word);
			lab_host_ns(r->o->lab, LAB_OUTSIDE, ns, sizeof ns);
			const char *ip[] = {"ip", "addr", "del", cidr, "dev", "lo", NULL};
			/* The mark is written before the address is added, so a
			 * failure here may only mean it never was: say which. */
			struct dw_error e;
			int st = lab_proc_run(ns, ip, NULL, 0, &e);
			snprintf(res, sizeof res, "nsd pid %ld at %s, left by an earlier replay, stopped, %s%.80s%s",
				 pid, word, st == 0 ? "address removed" : "address not removed (",
				 st == 0 ? "" : e.text, st == 0 ? "" : ")");
			rp_report(r, -1, 0, "rogue down", "(recovery)", res, 1);
		}
		fclose(f);
		unlink(path);
	}
	for (int t = 0; t < 3; t++) {
		char orig[700], origtmp[800];
		snprintf(orig, sizeof orig, "%s/%s.zone.orig", r->work, rp_tlds[t]);
		/* A copy cut short by the kill: the zone itself was never
		 * replaced (that happens only after the copy is renamed). */
		snprintf(origtmp, sizeof origtmp, "%s.tmp", orig);
		unlink(origtmp);
		if (access(orig, F_OK) != 0)
			continue;
		char zres[1024] = "left by an earlier replay: ";
		size_t zl = strlen(zres);
		int rc = rp_zone_restore(r, t, zres + zl, sizeof zres - zl);
		rp_report(r, -1, 0, "zone restore", rp_tlds[t], zres, rc == 0);
	}
}

/* The work directory, the lock (one replay per lab at a time, *LOCK), the
 * event stream. Returns 0, or 1 (said). */
static int rp_open(struct rp *r, int *lock)
{
	const struct lab_replay_opts *o = r->o;
	if (lab_proc_self_exe(r->self, sizeof r->self) != 0) {
		fprintf(stderr, "dnswatch lab replay: cannot find our own executable\n");
		return 1;
	}
	snprintf(r->work, sizeof r->work, "%s/scenario", o->dir);
	if (mkdir(r->work, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "dnswatch lab replay: mkdir %s: %s\n", r->work, strerror(errno));
		return 1;
	}
	char lockp[700];
	snprintf(lockp, sizeof lockp, "%s/replay.lock", r->work);
	*lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	if (*lock < 0 || fcntl(*lock, F_SETLK, &fl) != 0) {
		fprintf(stderr, "dnswatch lab replay: another replay runs on lab '%s'\n", o->lab);
		if (*lock >= 0)
			close(*lock);
		return 1;
	}
	if (o->events && !(r->ev = fopen(o->events, "we"))) {
		fprintf(stderr, "dnswatch lab replay: %s: %s\n", o->events, strerror(errno));
		close(*lock);
		return 1;
	}
	return 0;
}

/* The wall the scenario's inject actions talk to: the caller's (--control,
 * which must answer) or our own child. Returns 0, or the exit status (said). */
static int rp_wall_ready(struct rp *r)
{
	const struct scn *s = r->s;
	const struct lab_replay_opts *o = r->o;
	struct dw_error err;
	if (s->uses_inject && !o->control && strcmp(s->wall, "none") == 0) {
		fprintf(stderr, "dnswatch lab replay: %s has inject actions but no wall: add `wall gfw` "
				"(or simple) or give --control SOCK of a running wall\n", s->file);
		return 1;
	}
	if (o->control) {
		snprintf(r->sock, sizeof r->sock, "%s", o->control);
		char res[512];
		if (s->uses_inject && rp_ctl(r, "stats", NULL, res, sizeof res) != 0) {
			fprintf(stderr, "dnswatch lab replay: the wall at %s does not answer: %s\n", o->control, res);
			return 1;
		}
	} else if (s->uses_inject && rp_wall_start(r, &err) != 0) {
		if (o->stop && *o->stop) {
			rp_report(r, -1, 0, "interrupted", "", "while the wall was starting", 1);
			return 130;
		}
		fprintf(stderr, "dnswatch lab replay: %s\n", err.text);
		return 1;
	}
	return 0;
}

/* The "start" event; the timeline's clock starts here. */
static void rp_start(struct rp *r)
{
	const struct scn *s = r->s;
	const struct lab_replay_opts *o = r->o;
	double span = (double)s->step[s->nsteps - 1].offset_s;
	char cb[16], detail[400], res[400];
	scn_format_clock(s->clock_s, cb, sizeof cb);
	snprintf(detail, sizeof detail, "%s%s%s", s->name, s->title[0] ? ": " : "", s->title);
	snprintf(res, sizeof res, "lab %s, clock %s%s%s, scale %s (%.4g scenario s per s), %ld scenario s "
				  "in %.1f s, wall %s", o->lab, cb, s->zone[0] ? " " : "", s->zone,
		 o->scale > 0 ? o->scale_text : s->scale_text, r->scale, (long)span, span / r->scale,
		 o->control ? o->control : r->wall ? s->wall : "none");
	r->t0_us = (long long)util_mono_us();
	rp_report(r, s->clock_s, 0, "start", detail, res, 1);
}

/* Sleep until DUE (monotonic us), watching the stop flag and our wall.
 * Returns 0 at DUE, 130 when stopped, 1 when the wall died (said). */
static int rp_wait_until(struct rp *r, long long due)
{
	const struct lab_replay_opts *o = r->o;
	for (long k = 0; k < 100000000L; k++) {
		if (o->stop && *o->stop)
			break;
		long long now = (long long)util_mono_us();
		if (now >= due)
			break;
		if (r->wall > 0 && waitpid(r->wall, NULL, WNOHANG) == r->wall) {
			r->wall = 0;
			char line[400], log[700];
			snprintf(log, sizeof log, "%s/wall.out", r->work);
			lab_proc_last_line(log, line, sizeof line);
			fprintf(stderr, "dnswatch lab replay: the wall exited: %s\n", line);
			return 1;
		}
		long long wait = due - now;
		usleep((useconds_t)(wait > 50000 ? 50000 : wait));
	}
	if (o->stop && *o->stop) {
		rp_report(r, -1, 0, "interrupted", "", "stopping and cleaning up", 1);
		return 130;
	}
	return 0;
}

/* Every step at its time. Returns 0, or the exit status (said). */
static int rp_timeline(struct rp *r)
{
	const struct scn *s = r->s;
	rp_start(r);
	for (size_t i = 0; i < s->nsteps; i++) {
		const struct scn_step *st = &s->step[i];
		long long due = r->t0_us + (long long)((double)st->offset_s / r->scale * 1e6);
		int rc = rp_wait_until(r, due);
		if (rc)
			return rc;
		if (rp_run_step(r, st) != 0) {
			fprintf(stderr, "dnswatch lab replay: %s:%d: %s failed; stopping and cleaning up\n",
				s->file, st->line, scn_action_name(st->action));
			return 1;
		}
	}
	return 0;
}

int lab_replay(const struct scn *s, const struct lab_replay_opts *o)
{
	static struct rp r;
	memset(&r, 0, sizeof r);
	r.s = s;
	r.o = o;
	r.scale = o->scale > 0 ? o->scale : s->scale;
	int lock;
	if (rp_open(&r, &lock) != 0)
		return 1;
	rp_recover(&r);
	int rc = rp_wall_ready(&r);
	if (!rc)
		rc = rp_timeline(&r);
	rp_cleanup(&r);
	if (r.ev)
		fclose(r.ev);
	close(lock);
	return rc;
}

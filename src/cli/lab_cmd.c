/* `dnswatch lab`: up, down, status, exec and the delay helper (see lab.h). */
#include "cli/lab_cmd.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab/check.h"
#include "lab/delay.h"
#include "lab/host.h"
#include "lab/netns.h"
#include "lab/population.h"
#include "lab/proc.h"
#include "lab/replay.h"
#include "lab/scenario.h"
#include "lab/servers.h"
#include "lab/sign.h"
#include "lab/topology.h"
#include "util/clock.h"
#include "util/text.h"

const char lab_usage[] =
	"usage: dnswatch lab [--name NAME] up [OPTIONS]\n"
	"       dnswatch lab [--name NAME] down\n"
	"       dnswatch lab [--name NAME] status\n"
	"       dnswatch lab [--name NAME] exec HOST CMD [ARGS...]\n"
	"       dnswatch lab [--name NAME] replay SCENARIO [--control SOCK] [--events FILE]\n"
	"                                        [--scale REAL=SCENARIO] [--check]\n"
	"\n"
	"  A mini-Internet in network namespaces: client -> isp (unbound) -> border ->\n"
	"  long-haul link -> transit -> outside (root, com/net/org TLDs, authoritatives\n"
	"  on nsd, a public resolver on unbound) and remote, with the .cn servers and a\n"
	"  no-DNS address inside the border. docs/lab.md has the map and the files.\n"
	"\n"
	"  --name NAME     the lab's name, 1-8 of [a-z0-9] (default " LAB_NAME_DEFAULT "); namespaces\n"
	"                  are dw-NAME-HOST, state is in " LAB_STATE_BASE "/NAME\n"
	"\n"
	"  up              build the lab and start its servers; on any failure roll\n"
	"                  back everything and print one line saying what failed.\n"
	"                  A lab already up and healthy: one line, exit 3, the lab\n"
	"                  untouched. A half-up lab (left by a crash or a kill): one\n"
	"                  line, taken down completely, exit 1; run `up` again.\n"
	"    --seed N             population seed (default 1)\n"
	"    --names com=N,net=N,org=N,cn=N   names per TLD (default 3000,1000,1000,2000)\n"
	"    --delay-ms MS        one-way long-haul delay (default 80)\n"
	"    --jitter-ms MS       uniform jitter, +- (default 3)\n"
	"    --loss-pct P         random loss on the long-haul link, P%% of the packets\n"
	"                         each way, 0 to 50 (default 0; not with --delay none)\n"
	"    --delay MODE         auto (netem if the kernel has it, else nfqueue),\n"
	"                         netem, nfqueue or none (default auto)\n"
	"    --queue-max N        packets the nfqueue delay element holds at most (default 65536)\n"
	"    --timeout MS         wait at most this long for the servers (default 15000)\n"
	"    --sign               sign every zone (libldns, ECDSA P-256, NSEC)\n"
	"                         and make both resolvers validate from the lab's trust\n"
	"                         anchor " LAB_STATE_BASE "/NAME/trust-anchor.ds (+3 s)\n"
	"    --fault SERVER       for tests: give SERVER's nsd an address it cannot bind\n"
	"  down            stop every process, delete every namespace, remove the state\n"
	"                  (also of a half-up lab); a lab that is not there: exit 0\n"
	"  status          hosts, addresses, roles, a live DNS check of every server,\n"
	"                  the delay element; exit 0 if up and healthy, 1 otherwise\n"
	"  exec HOST CMD   run CMD inside host HOST (client isp cn border transit outside\n"
	"                  remote vpnclient); exit status passed through\n"
	"  replay SCENARIO run a scenario's timeline (docs/scenarios.md) against the lab:\n"
	"                  rule sets in the wall, cache flushes, a TLD's data hijacked\n"
	"                  to a rogue server, marks; one line per action as it happens.\n"
	"                  The whole file is checked first (errors as FILE:LINE: reason).\n"
	"                  Starts the wall itself (`wall PRESET` in the file) in the\n"
	"                  border and stops it at the end; Ctrl-C undoes everything.\n"
	"    --control SOCK   use a running wall's control socket instead (rules are\n"
	"                     turned off at the end; the wall is left running)\n"
	"    --events FILE    one NDJSON event per action (time_us, clock, action, ...)\n"
	"    --scale R=S      override the file's scale (e.g. 1s=4min)\n"
	"    --check          check the file and print its timeline; run nothing\n"
	"\n"
	"  Helper run by `up` inside the transit namespace (not for direct use):\n"
	"  delay --queue N --delay-us US --jitter-us US --capacity N --seed N [--loss-ppm N] --stats FILE\n"
	"                  the NFQUEUE delay element\n"
	"\n"
	"  Exit status: 0 done, 1 failed, 2 usage error or a bad scenario file,\n"
	"  3 `up` on a lab already up, 130 replay interrupted (cleaned up).\n"
	"  Needs root.\n";

#define LAB_DEFAULT_DELAY_MS 80
#define LAB_DEFAULT_JITTER_MS 3
#define LAB_QUEUE_NUM 0

struct lab_opts {
	char name[LAB_NAME_MAX + 1];
	char dir[256];
	uint64_t seed;
	unsigned count[LAB_TLD_COUNT];
	unsigned delay_ms, jitter_ms, queue_max, timeout_ms, loss_pct;
	char delay_mode[16];
	const char *fault;
	int sign;
};

static volatile sig_atomic_t lab_interrupted;

static void lab_on_signal(int sig)
{
	(void)sig;
	lab_interrupted = 1;
}

/* Ctrl-C, a kill or a hang-up during up or replay: lab_interrupted, the
 * step in progress finished, then rolled back or undone. */
static void lab_catch_signals(void)
{
	lab_proc_catch(lab_on_signal, (const int[]){SIGINT, SIGTERM, SIGHUP, 0});
}

__attribute__((format(printf, 1, 2)))
static int lab_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("dnswatch lab: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (see `dnswatch help lab`)\n", stderr);
	va_end(ap);
	return 2;
}

static int lab_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* --names com=3000,net=1000,... */
static int lab_parse_names(const char *s, unsigned count[LAB_TLD_COUNT])
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", s);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq)
			return -1;
		*eq = '\0';
		int t = -1;
		for (int i = 0; i < LAB_TLD_COUNT; i++)
			if (strcmp(tok, lab_tld_names[i]) == 0)
				t = i;
		unsigned long v;
		if (t < 0 || lab_parse_uint(eq + 1, LAB_POP_NAMES_MAX, &v) != 0)
			return -1;
		count[t] = (unsigned)v;
	}
	return 0;
}

/* ---- preconditions ------------------------------------------------------------ */

static int lab_need_root(const char *verb)
{
	if (geteuid() != 0) {
		fprintf(stderr, "dnswatch lab %s: must run as root (network namespaces need "
				"CAP_SYS_ADMIN and CAP_NET_ADMIN)\n", verb);
		return -1;
	}
	return 0;
}

/* Every program `up` runs, with the Debian package that provides it. */
static const struct {
	const char *prog, *pkg;
} lab_tools[] = {
	{"ip", "iproute2"}, {"tc", "iproute2"}, {"iptables-restore", "iptables"},
	{"iptables-save", "iptables"}, {"nsd", "nsd"}, {"unbound", "unbound"},
	{"unbound-control", "unbound"},
};

static int lab_need_tools(void)
{
	char missing[512] = "";
	size_t len = 0;
	for (size_t i = 0; i < sizeof lab_tools / sizeof lab_tools[0]; i++)
		if (!lab_proc_in_path(lab_tools[i].prog))
			len = text_cat(missing, sizeof missing, len, "%s%s (Debian package %s)",
				       len ? ", " : "", lab_tools[i].prog, lab_tools[i].pkg);
	if (missing[0]) {
		fprintf(stderr, "dnswatch lab up: missing program: %s; install it "
				"(apt-get install, or `make deps`)\n", missing);
		return -1;
	}
	return 0;
}

/* One lock for all labs' state: two `lab up` of one name cannot interleave.
 * The lock is the state base directory itself; since the last `down` removes
 * that directory, a waiter that wins the lock on a directory no longer
 * linked starts again with a fresh one (bounded). */
static int lab_lock(void)
{
	for (int attempt = 0; attempt < 20; attempt++) {
		if (mkdir(LAB_STATE_BASE, 0755) != 0 && errno != EEXIST) {
			fprintf(stderr, "dnswatch lab: mkdir %s: %s\n", LAB_STATE_BASE, strerror(errno));
			return -1;
		}
		int fd = open(LAB_STATE_BASE, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0 || flock(fd, LOCK_EX) != 0) {
			fprintf(stderr, "dnswatch lab: lock %s: %s\n", LAB_STATE_BASE, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		struct stat held, now;
		if (fstat(fd, &held) == 0 && stat(LAB_STATE_BASE, &now) == 0 &&
		    held.st_ino == now.st_ino && held.st_dev == now.st_dev)
			return fd;
		close(fd); /* removed while we waited: take the new one */
	}
	fprintf(stderr, "dnswatch lab: cannot lock %s\n", LAB_STATE_BASE);
	return -1;
}

static void lab_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
	rmdir(LAB_STATE_BASE); /* only when no lab is left; harmless otherwise */
}

/* ---- state files ------------------------------------------------------------- */

/* ---- teardown ------------------------------------------------------------------ */

static int lab_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) != 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* Processes inside any of the lab's namespaces (they are the lab's: its
 * servers, its delay element, commands run with `lab exec`). */
static int lab_find_procs(const unsigned long *inodes, int ninodes, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	int n = 0;
	pid_t self = getpid();
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 1 || pid == self)
			continue;
		char path[64], link[64];
		snprintf(path, sizeof path, "/proc/%ld/ns/net", pid);
		ssize_t k = readlink(path, link, sizeof link - 1);
		if (k <= 0)
			continue;
		link[k] = '\0';
		unsigned long ino = 0;
		if (sscanf(link, "net:[%lu]", &ino) != 1)
			continue;
		for (int i = 0; i < ninodes; i++)
			if (inodes[i] == ino && lab_proc_alive(pid, NULL)) {
				out[n++] = (pid_t)pid;
				break;
			}
	}
	closedir(d);
	return n;
}

/*
 * Take lab NAME down completely, whatever state it is in: processes in its
 * namespaces (TERM, then KILL after a bounded wait), namespaces, state
 * directory, and /run/netns if a lab made it and it is now empty. Returns
 * 1 if there was anything to remove, 0 if nothing, -1 on an error (printed).
 */
static int lab_teardown(const struct lab_opts *o)
{
	unsigned long inodes[LAB_NHOSTS];
	int ninodes = 0;
	for (int h = 0; h < LAB_NHOSTS; h++) {
		char ns[64];
		lab_host_ns(o->name, h, ns, sizeof ns);
		unsigned long ino = lab_netns_inode(ns);
		if (ino)
			inodes[ninodes++] = ino;
	}
	int had = ninodes > 0 || access(o->dir, F_OK) == 0 || lab_topology_count(o->name) > 0;
	pid_t victims[512];
	for (int pass = 0; pass < 2 && ninodes > 0; pass++) {
		int n = lab_find_procs(inodes, ninodes, victims, 512);
		if (n == 0)
			break;
		for (int i = 0; i < n; i++)
			kill(victims[i], pass == 0 ? SIGTERM : SIGKILL);
		/* Wait (bounded) until they are gone; reap those that are our
		 * own children (a rollback inside `up`). */
		for (int t = 0; t < 300; t++) {
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			if (lab_find_procs(inodes, ninodes, victims, 512) == 0)
				break;
			usleep(10000);
		}
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	struct dw_error err;
	if (lab_topology_teardown(o->name, &err) < 0) {
		fprintf(stderr, "dnswatch lab: down: %s\n", err.text);
		return -1;
	}
	if (access(o->dir, F_OK) == 0 &&
	    nftw(o->dir, lab_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		fprintf(stderr, "dnswatch lab: down: cannot remove %s: %s\n", o->dir, strerror(errno));
		return -1;
	}
	/* /run/netns (directory, mount point): made by a lab, removed once the
	 * last namespace in it is gone; the marker says what a lab made. */
	char marker[256], v[16];
	snprintf(marker, sizeof marker, "%s/made-run-netns", LAB_STATE_BASE);
	if (lab_state_get(LAB_STATE_BASE, "made-run-netns", "made", v, sizeof v) == 0) {
		int made = atoi(v);
		if (lab_netns_release_dir(made & 1, (made >> 1) & 1) == 0)
			unlink(marker);
	}
	return had;
}

/* ---- health ------------------------------------------------------------------- */

enum lab_health { LAB_ABSENT, LAB_PARTIAL, LAB_UP };

static enum lab_health lab_health(const struct lab_opts *o, char *why, size_t cap)
{
	int nns = lab_topology_count(o->name);
	int has_dir = access(o->dir, F_OK) == 0;
	if (!nns && !has_dir)
		return LAB_ABSENT;
	char v[64];
	if (lab_state_get(o->dir, "state", "up", v, sizeof v) != 0) {
		snprintf(why, cap, "no complete state in %s", o->dir);
		return LAB_PARTIAL;
	}
	if (nns != LAB_NHOSTS) {
		snprintf(why, cap, "%d of %d namespaces present", nns, LAB_NHOSTS);
		return LAB_PARTIAL;
	}
	for (size_t i = 0; i < lab_nservers; i++) {
		if (lab_servers[i].kind == LAB_SRV_NONE)
			continue;
		char key[64];
		snprintf(key, sizeof key, "pid.%s", lab_servers[i].id);
		long pid = lab_proc_state_pid(o->dir, key);
		if (!lab_proc_alive(pid, o->dir)) {
			snprintf(why, cap, "%s server %s (pid %ld) is not running",
				 lab_servers[i].kind == LAB_SRV_NSD ? "nsd" : "unbound",
				 lab_servers[i].id, pid);
			return LAB_PARTIAL;
		}
	}
	if (lab_state_get(o->dir, "state", "delay_mode", v, sizeof v) == 0 &&
	    strcmp(v, "nfqueue") == 0 && !lab_proc_alive(lab_proc_state_pid(o->dir, "pid.delay"), o->dir)) {
		snprintf(why, cap, "the delay element is not running");
		return LAB_PARTIAL;
	}
	return LAB_UP;
}

/* ---- up -------------------------------------------------------------------------- */

static int lab_write_file(const char *path, const char *text, struct dw_error *err)
{
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	int bad = !f || fputs(text, f) < 0;
	if (f && fclose(f) != 0)
		bad = 1;
	if (bad || rename(tmp, path) != 0) {
		dw_error_errno(err, "write %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Wait (bounded) for FILE to appear, or for child PID to die. */
static int lab_wait_file(const char *file, pid_t pid, int timeout_ms)
{
	long long end = (long long)util_mono_ms() + timeout_ms;
	while ((long long)util_mono_ms() < end) {
		if (access(file, F_OK) == 0)
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(5000);
	}
	return -1;
}

/* The long-haul delay. Returns 0 and sets MODE_OUT/PID_OUT, or -1 with ERR. */
static int lab_delay_setup(const struct lab_opts *o, char *mode_out, size_t mcap, pid_t *pid_out,
			   struct dw_error *err)
{
	char ns_tr[64], ns_bo[64], if_tr[32], if_bo[32];
	struct dw_error e;
	lab_host_ns(o->name, LAB_TRANSIT, ns_tr, sizeof ns_tr);
	lab_host_ns(o->name, LAB_BORDER, ns_bo, sizeof ns_bo);
	lab_ifname(o->name, lab_links[LAB_LONGHAUL_LINK].b_if, if_tr, sizeof if_tr);
	lab_ifname(o->name, lab_links[LAB_LONGHAUL_LINK].a_if, if_bo, sizeof if_bo);
	*pid_out = 0;
	if (strcmp(o->delay_mode, "none") == 0 || o->delay_ms == 0) {
		snprintf(mode_out, mcap, "none");
		return 0;
	}
	char d[32], j[32];
	snprintf(d, sizeof d, "%ums", o->delay_ms);
	snprintf(j, sizeof j, "%ums", o->jitter_ms);
	if (strcmp(o->delay_mode, "auto") == 0 || strcmp(o->delay_mode, "netem") == 0) {
		/* netem is an egress qdisc: one on each end of the link delays
		 * both directions (tc-netem(8)). */
		char l[16];
		snprintf(l, sizeof l, "%u%%", o->loss_pct);
		const char *a1[] = {"tc", "qdisc", "add", "dev", if_tr, "root", "netem", "delay", d, j,
				    o->loss_pct ? "loss" : NULL, l, NULL};
		int st = lab_proc_run(ns_tr, a1, NULL, 0, &e);
		if (st == 0) {
			const char *a2[] = {"tc", "qdisc", "add", "dev", if_bo, "root", "netem", "delay", d, j,
					    o->loss_pct ? "loss" : NULL, l, NULL};
			st = lab_proc_run(ns_bo, a2, NULL, 0, &e);
			if (st != 0)
				return dw_error_set(err, e.status, "tc netem on %s: %s", if_bo, e.text);
			snprintf(mode_out, mcap, "netem");
			return 0;
		}
		if (strcmp(o->delay_mode, "netem") == 0)
			return dw_error_set(err, e.status, "netem not available (tc: %s); try --delay nfqueue",
					    e.text);
	}
	/* The NFQUEUE delay element, ourselves re-executed in the transit namespace. */
	char self[1024], stats[512], log[512], q[16], dus[16], jus[16], cap[16], seed[32], loss[16];
	if (lab_proc_self_exe(self, sizeof self) != 0)
		return dw_error_errno(err, "cannot find our own executable");
	snprintf(stats, sizeof stats, "%s/delay.stats", o->dir);
	snprintf(log, sizeof log, "%s/delay.log", o->dir);
	snprintf(q, sizeof q, "%d", LAB_QUEUE_NUM);
	snprintf(dus, sizeof dus, "%u", o->delay_ms * 1000);
	snprintf(jus, sizeof jus, "%u", o->jitter_ms * 1000);
	snprintf(cap, sizeof cap, "%u", o->queue_max);
	snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
	snprintf(loss, sizeof loss, "%u", o->loss_pct * 10000);
	const char *argv[] = {self, "lab", "--name", o->name, "delay", "--queue", q,
			      "--delay-us", dus, "--jitter-us", jus, "--capacity", cap,
			      "--seed", seed, "--loss-ppm", loss, "--stats", stats, NULL};
	pid_t pid = lab_proc_spawn(ns_tr, argv, log, err);
	if (pid < 0)
		return dw_error_prefix(err, "delay element");
	*pid_out = pid;
	/* It writes its stats file once the queue is bound. */
	if (lab_wait_file(stats, pid, 5000) != 0) {
		char line[400];
		lab_proc_last_line(log, line, sizeof line);
		return dw_error_set(err, DW_E_TOOL, "delay element did not start: %s",
				    line[0] ? line : "(no log)");
	}
	char rules[512], rpath[512];
	/* Both directions at transit's end of the long-haul link: packets from
	 * the border as they arrive (PREROUTING), packets to the border as they
	 * leave (POSTROUTING). The border itself sees every packet at its true
	 * time, which is what an injector there needs (docs/lab.md). */
	snprintf(rules, sizeof rules,
		 "*mangle\n"
		 "-A PREROUTING -i %s -j NFQUEUE --queue-num %d --queue-bypass\n"
		 "-A POSTROUTING -o %s -j NFQUEUE --queue-num %d --queue-bypass\n"
		 "COMMIT\n", if_tr, LAB_QUEUE_NUM, if_tr, LAB_QUEUE_NUM);
	snprintf(rpath, sizeof rpath, "%s/delay.rules", o->dir);
	if (lab_write_file(rpath, rules, err) != 0)
		return -1;
	const char *ra[] = {"iptables-restore", "--noflush", rpath, NULL};
	int st = lab_proc_run(ns_tr, ra, NULL, 0, &e);
	if (st != 0)
		return dw_error_set(err, e.status, "iptables-restore in %s (status %d): %s", ns_tr, st,
				    e.text);
	snprintf(mode_out, mcap, "nfqueue");
	return 0;
}

/* The addresses that run no DNS (one inside the border, one outside): their
 * hosts drop DNS to them silently, so a query that crosses the border on its
 * way there can only be answered by an injector on the path. */
static int lab_nodns_setup(const struct lab_opts *o, struct dw_error *err)
{
	for (size_t i = 0; i < lab_nservers; i++) {
		const struct lab_server_def *s = &lab_servers[i];
		if (s->kind != LAB_SRV_NONE)
			continue;
		char rules[512], path[512], ns[64];
		snprintf(rules, sizeof rules,
			 "*filter\n"
			 "-A INPUT -d %s/32 -p udp -m udp --dport 53 -j DROP\n"
			 "-A INPUT -d %s/32 -p tcp -m tcp --dport 53 -j DROP\n"
			 "COMMIT\n", s->addr, s->addr);
		snprintf(path, sizeof path, "%s/%s.rules", o->dir, s->id);
		if (lab_write_file(path, rules, err) != 0)
			return -1;
		lab_host_ns(o->name, s->host, ns, sizeof ns);
		const char *argv[] = {"iptables-restore", "--noflush", path, NULL};
		struct dw_error e;
		int st = lab_proc_run(ns, argv, NULL, 0, &e);
		if (st != 0)
			return dw_error_set(err, e.status, "iptables-restore in %s (status %d): %s", ns, st,
					    e.text);
	}
	return 0;
}

/* Step 1 of up: the population, zones, configs and answer key (signed if
 * asked); how many names and zones into *NNAMES, *NZONES. */
static int lab_build_zones(const struct lab_opts *o, size_t *nnames, size_t *nzones,
			   struct dw_error *err)
{
	struct lab_pop_params pp = {.seed = o->seed};
	memcpy(pp.count, o->count, sizeof pp.count);
	lab_servers_pop_params(&pp);
	struct lab_pop pop;
	if (lab_pop_generate(&pop, &pp) != 0)
		return dw_error_set(err, DW_E_NOMEM, "cannot generate the population (out of memory?)");
	int r = lab_servers_write(o->dir, &pop, o->fault, o->sign, err);
	if (r == 0 && o->sign)
		r = lab_sign_zones(o->dir, &pop, err);
	*nnames = pop.nnames;
	*nzones = pop.nzones;
	lab_pop_free(&pop);
	return r != 0 ? -1 : 0;
}

/* Step 2 of up: namespaces, links, addresses, routes, the servers'
 * addresses on each host's lo, and the no-DNS address's rules. */
static int lab_build_net(const struct lab_opts *o, struct dw_error *err)
{
	static char lo[LAB_NHOSTS][1024];
	const char *lo_ptr[LAB_NHOSTS];
	size_t lo_len[LAB_NHOSTS] = {0};
	for (int h = 0; h < LAB_NHOSTS; h++) {
		lo[h][0] = '\0';
		lo_ptr[h] = lo[h];
	}
	for (size_t i = 0; i < lab_nservers; i++) {
		const struct lab_server_def *s = &lab_servers[i];
		if (s->host == LAB_ISP) /* the ISP resolver uses its client-link address */
			continue;
		size_t *len = &lo_len[s->host];
		*len = text_cat(lo[s->host], sizeof lo[0], *len, "%s%s", *len ? " " : "", s->addr);
	}
	/* Remember (across labs) what of /run/netns a lab is about to make, so
	 * that the last `down` removes exactly that, even if this `up` is
	 * killed half way. Written before, not after: a marker for something not
	 * made yet costs nothing (release checks), a missing one leaks a mount. */
	int will_make = lab_netns_dir_missing();
	char v[16];
	if (will_make && lab_state_get(LAB_STATE_BASE, "made-run-netns", "made", v, sizeof v) != 0) {
		char marker[256], text[128];
		snprintf(marker, sizeof marker, "%s/made-run-netns", LAB_STATE_BASE);
		snprintf(text, sizeof text, "# what of /run/netns dnswatch lab made (1 dir, 2 mount)\nmade=%d\n",
			 will_make);
		if (lab_write_file(marker, text, err) != 0)
			return -1;
	}
	int made_dir = 0;
	if (lab_topology_build(o->name, o->dir, lo_ptr, &made_dir, err) != 0)
		return -1;
	if (lab_interrupted)
		return 0;
	return lab_nodns_setup(o, err);
}

/* Step 5 of up, the last: the state file, whose presence means "up". */
static int lab_write_state(const struct lab_opts *o, const char *mode, pid_t dpid,
			   const pid_t *pids, long long ms, size_t nnames, size_t nzones,
			   struct dw_error *err)
{
	char state[4096];
	size_t len = text_cat(state, sizeof state, 0,
			   "name=%s\nseed=%llu\nnames=com=%u,net=%u,org=%u,cn=%u\nnnames=%zu\nnzones=%zu\n"
			   "signed=%d\ndelay_mode=%s\ndelay_ms=%u\njitter_ms=%u\nqueue_max=%u\n"
			   "built_ms=%lld\nstarted=%lld\npid.delay=%ld\n",
			   o->name, (unsigned long long)o->seed, o->count[0], o->count[1], o->count[2],
			   o->count[3], nnames, nzones, o->sign, mode, o->delay_ms, o->jitter_ms, o->queue_max,
			   ms, (long long)time(NULL), (long)dpid);
	for (size_t i = 0; i < lab_nservers; i++)
		if (pids[i] > 0)
			len = text_cat(state, sizeof state, len, "pid.%s=%ld\n", lab_servers[i].id,
				       (long)pids[i]);
	text_cat(state, sizeof state, len, "up=1\n");
	char path[512];
	snprintf(path, sizeof path, "%s/state", o->dir);
	return lab_write_file(path, state, err);
}

static int lab_build(const struct lab_opts *o, struct dw_error *err, char *summary, size_t scap)
{
	long long t0 = (long long)util_mono_ms();
	if (mkdir(o->dir, 0755) != 0)
		return dw_error_errno(err, "mkdir %s", o->dir);
	/* 1. population, zones, configs, answer key */
	size_t nnames = 0, nzones = 0;
	if (lab_build_zones(o, &nnames, &nzones, err) != 0)
		return -1;
	if (lab_interrupted)
		goto interrupted;
	/* 2. namespaces, links, addresses, routes; servers' addresses on lo */
	if (lab_build_net(o, err) != 0)
		return -1;
	if (lab_interrupted)
		goto interrupted;
	/* 3. the long-haul delay */
	char mode[16];
	pid_t dpid = 0;
	if (lab_delay_setup(o, mode, sizeof mode, &dpid, err) != 0)
		return -1;
	if (lab_interrupted)
		goto interrupted;
	/* 4. servers, all at once, then readiness */
	pid_t pids[64];
	if (lab_servers_start(o->name, o->dir, pids, (int)o->timeout_ms, &lab_interrupted, err) != 0)
		return -1;
	if (lab_interrupted)
		goto interrupted;
	long long ms = (long long)util_mono_ms() - t0;
	/* 5. the state file, last: its presence means "up" */
	if (lab_write_state(o, mode, dpid, pids, ms, nnames, nzones, err) != 0)
		return -1;
	char lossw[48] = "";
	if (o->loss_pct && strcmp(mode, "none"))
		snprintf(lossw, sizeof lossw, ", %u%% random loss each way", o->loss_pct);
	snprintf(summary, scap,
		 "lab '%s' up in %.2f s: %d hosts, %zu names in %zu %szones, delay %s %u ms +- %u ms one way%s",
		 o->name, (double)ms / 1000.0, LAB_NHOSTS, nnames, nzones, o->sign ? "signed " : "", mode,
		 strcmp(mode, "none") ? o->delay_ms : 0, strcmp(mode, "none") ? o->jitter_ms : 0,
		 lossw);
	return 0;
interrupted:
	return dw_error_set(err, DW_E_INTERRUPTED, "interrupted");
}

static int lab_up(struct lab_opts *o)
{
	if (lab_need_root("up") != 0 || lab_need_tools() != 0)
		return 1;
	int lock = lab_lock();
	if (lock < 0)
		return 1;
	char why[512];
	enum lab_health h = lab_health(o, why, sizeof why);
	/* Both are faults in the sense: one line, non-zero exit, and
	 * nothing half-built left (an up lab stays as it is; a half-up one is
	 * taken down). Exit 3 lets a script tell "already up" from a failure. */
	if (h == LAB_UP) {
		fprintf(stderr, "dnswatch lab up: lab '%s' is already up (`dnswatch lab --name %s down` "
				"first to rebuild it)\n", o->name, o->name);
		lab_unlock(lock);
		return 3;
	}
	if (h == LAB_PARTIAL) {
		int r = lab_teardown(o);
		lab_unlock(lock);
		if (r >= 0)
			fprintf(stderr, "dnswatch lab up: lab '%s' was half up (%s); took it down, "
					"run `dnswatch lab --name %s up` again\n", o->name, why, o->name);
		return 1;
	}
	/* Ctrl-C or a kill during up: finish the step, then roll back. */
	lab_catch_signals();
	struct dw_error err = {.status = DW_OK, .text = ""};
	char summary[512];
	int rc = 0;
	if (lab_build(o, &err, summary, sizeof summary) != 0) {
		lab_teardown(o);
		fprintf(stderr, "dnswatch lab up: %s; rolled back\n", err.text[0] ? err.text : "failed");
		rc = 1;
	} else {
		printf("%s\n", summary);
	}
	lab_unlock(lock);
	return rc;
}

/* ---- down ------------------------------------------------------------------- */

static int lab_down(struct lab_opts *o)
{
	if (lab_need_root("down") != 0)
		return 1;
	int lock = lab_lock();
	if (lock < 0)
		return 1;
	int r = lab_teardown(o);
	lab_unlock(lock);
	if (r < 0)
		return 1;
	if (r == 0)
		printf("lab '%s' is not up; nothing to do\n", o->name);
	else
		printf("lab '%s' is down\n", o->name);
	return 0;
}

/* ---- status ---------------------------------------------------------------------- */

/* Back in our own namespace after a look inside a host. Status cannot go
 * on without it: every later line would describe that host, not the lab. */
static void lab_status_leave(void)
{
	if (lab_netns_leave() != 0) {
		fprintf(stderr, "dnswatch lab status: cannot return to the host namespace: %s\n",
			strerror(errno));
		exit(1);
	}
}

/* The addresses of the host's interfaces, read live from inside it ("" if
 * it cannot be entered). */
static void lab_host_addrs(const char *ns, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (lab_netns_enter(ns, NULL) != 0)
		return;
	size_t len = 0;
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
				continue;
			char a[INET_ADDRSTRLEN];
			const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)i->ifa_addr;
			const struct sockaddr_in *mask = (const struct sockaddr_in *)(const void *)i->ifa_netmask;
			if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127)
				continue;
			inet_ntop(AF_INET, &sin->sin_addr, a, sizeof a);
			int plen = mask ? __builtin_popcount(mask->sin_addr.s_addr) : 32;
			len = text_cat(buf, cap, len, "%s%s/%d(%s)", len ? " " : "", a, plen, i->ifa_name);
		}
		freeifaddrs(ifa);
	}
	lab_status_leave();
}

/* The kernel's view of NFQUEUE queue Q inside namespace NS. */
static int lab_queue_info(const char *ns, int q, long *portid, long *total, long *qdrop, long *udrop)
{
	int found = 0;
	if (lab_netns_enter(ns, NULL) != 0)
		return 0;
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	if (f) {
		char line[256];
		for (int i = 0; i < 1000 && fgets(line, sizeof line, f); i++) {
			long num, pid, tot, cm, cr, qd, ud;
			if (sscanf(line, "%ld %ld %ld %ld %ld %ld %ld", &num, &pid, &tot, &cm, &cr, &qd, &ud) == 7 &&
			    num == q) {
				*portid = pid;
				*total = tot;
				*qdrop = qd;
				*udrop = ud;
				found = 1;
			}
		}
		fclose(f);
	}
	lab_status_leave();
	return found;
}

/* Prints the delay line(s); returns 1 if the configured delay is really in force. */
static int lab_status_delay(const struct lab_opts *o)
{
	char mode[16] = "?", dms[16] = "?", jms[16] = "?";
	lab_state_get(o->dir, "state", "delay_mode", mode, sizeof mode);
	lab_state_get(o->dir, "state", "delay_ms", dms, sizeof dms);
	lab_state_get(o->dir, "state", "jitter_ms", jms, sizeof jms);
	char ns_tr[64], if_tr[32];
	lab_host_ns(o->name, LAB_TRANSIT, ns_tr, sizeof ns_tr);
	lab_ifname(o->name, lab_links[LAB_LONGHAUL_LINK].b_if, if_tr, sizeof if_tr);
	if (strcmp(mode, "none") == 0) {
		printf("delay:  none (long-haul link not slowed)\n");
		return 1;
	}
	if (strcmp(mode, "netem") == 0) {
		static char out[LAB_PROC_OUT_MAX];
		const char *argv[] = {"tc", "qdisc", "show", "dev", if_tr, NULL};
		int st = lab_proc_run(ns_tr, argv, out, sizeof out, NULL);
		int on = st == 0 && strstr(out, "netem") != NULL;
		printf("delay:  netem on both ends of the long-haul link, %s ms +- %s ms one way: %s\n",
		       dms, jms, on ? "active" : "NOT ACTIVE (qdisc missing)");
		return on;
	}
	long pid = lab_proc_state_pid(o->dir, "pid.delay");
	int alive = lab_proc_alive(pid, o->dir);
	static char out[LAB_PROC_OUT_MAX];
	const char *argv[] = {"iptables-save", "-t", "mangle", NULL};
	int rules = 0;
	if (lab_proc_run(ns_tr, argv, out, sizeof out, NULL) == 0)
		for (char *s = out; (s = strstr(s, "-j NFQUEUE")); s++)
			rules++;
	long portid = 0, total = 0, qdrop = 0, udrop = 0;
	int bound = lab_queue_info(ns_tr, LAB_QUEUE_NUM, &portid, &total, &qdrop, &udrop);
	int active = alive && rules == 2 && bound;
	char held[32] = "?", passed[32] = "?", dropped[32] = "?", maxh[32] = "?";
	char stats[512];
	snprintf(stats, sizeof stats, "%s/delay.stats", o->dir);
	lab_state_get(o->dir, "delay.stats", "held", held, sizeof held);
	lab_state_get(o->dir, "delay.stats", "passed", passed, sizeof passed);
	lab_state_get(o->dir, "delay.stats", "dropped", dropped, sizeof dropped);
	lab_state_get(o->dir, "delay.stats", "max_held", maxh, sizeof maxh);
	printf("delay:  nfqueue element at transit (%s, both directions), %s ms +- %s ms one way: %s\n",
	       if_tr, dms, jms,
	       active ? "active"
		      : !alive ? "NOT ACTIVE (element not running; --queue-bypass lets packets through undelayed)"
		      : rules != 2 ? "NOT ACTIVE (NFQUEUE rules missing)"
				   : "NOT ACTIVE (queue not bound)");
	printf("        pid %ld, %d NFQUEUE rules, queue %d %s; held %s (max %s), passed %s, "
	       "dropped %s, kernel dropped %ld\n",
	       pid, rules, LAB_QUEUE_NUM, bound ? "bound" : "unbound", held, maxh, passed, dropped,
	       qdrop + udrop);
	(void)total;
	(void)portid;
	return active;
}

/* The first lines of status: up or half up, what was built, where. */
static void lab_status_head(const struct lab_opts *o, enum lab_health h, const char *why)
{
	char v[64] = "?", built[32] = "?", nn[32] = "?", nz[32] = "?", names[128] = "?", sg[8] = "0";
	lab_state_get(o->dir, "state", "seed", v, sizeof v);
	lab_state_get(o->dir, "state", "built_ms", built, sizeof built);
	lab_state_get(o->dir, "state", "nnames", nn, sizeof nn);
	lab_state_get(o->dir, "state", "nzones", nz, sizeof nz);
	lab_state_get(o->dir, "state", "names", names, sizeof names);
	lab_state_get(o->dir, "state", "signed", sg, sizeof sg);
	if (h == LAB_PARTIAL)
		printf("lab '%s': HALF UP (%s); `dnswatch lab --name %s down` cleans it up\n", o->name,
		       why, o->name);
	else
		printf("lab '%s': up (built in %.2f s), seed %s, %s names (%s) in %s %szones\n", o->name,
		       atof(built) / 1000.0, v, nn, names, nz,
		       strcmp(sg, "1") == 0 ? "signed (resolvers validate) " : "");
	printf("state:  %s (answer key: %s/answers.tsv)\n", o->dir, o->dir);
}

/* The hosts and their addresses, read live, long lists wrapped (the
 * outside host has a dozen). */
static void lab_status_hosts(const struct lab_opts *o)
{
	printf("\n%-9s %-52s %s\n", "HOST", "ADDRESSES", "ROLE");
	for (int i = 0; i < LAB_NHOSTS; i++) {
		char ns[64], addrs[1024];
		lab_host_ns(o->name, i, ns, sizeof ns);
		if (!lab_netns_exists(ns)) {
			printf("%-9s %-52s %s\n", lab_hosts[i].name, "(namespace missing)", lab_hosts[i].role);
			continue;
		}
		lab_host_addrs(ns, addrs, sizeof addrs);
		const char *s = addrs;
		int first = 1;
		for (int k = 0; k < 32; k++) {
			char chunk[64] = "";
			size_t used = 0;
			while (*s && used < 52) {
				size_t n = strcspn(s, " ");
				if (used && used + 1 + n > 52)
					break;
				used = text_cat(chunk, sizeof chunk, used, "%s%.*s", used ? " " : "", (int)n, s);
				s += n;
				while (*s == ' ')
					s++;
			}
			printf("%-9s %-52s %s\n", first ? lab_hosts[i].name : "", chunk,
			       first ? lab_hosts[i].role : "");
			first = 0;
			if (!*s)
				break;
		}
	}
}

/* Live check: one query to every server (and to the no-DNS address), all
 * in flight at once, each from its own host; a line per server. Returns 1
 * if every one behaved. */
static int lab_status_servers(const struct lab_opts *o)
{
	struct lab_check pr[64];
	char nsn[64][64];
	static char qn[64][128];
	int n = 0;
	memset(pr, 0, sizeof pr);
	for (size_t i = 0; i < lab_nservers && n < 64; i++) {
		const struct lab_server_def *s = &lab_servers[i];
		lab_host_ns(o->name, s->host, nsn[n], sizeof nsn[n]);
		struct in_addr a;
		inet_pton(AF_INET, s->addr, &a);
		pr[n] = (struct lab_check){.ns = nsn[n], .addr = ntohl(a.s_addr),
					   .qname = lab_server_check_name(o->dir, (int)i, qn[n], sizeof qn[n]),
					   .qtype = 6, .fd = -1,
					   /* a resolver really resolves (RD=1): ". SOA" through the
					    * lab's root, across the long haul for the ISP */
					   .rd = s->kind == LAB_SRV_UNBOUND};
		n++;
	}
	lab_check_run(pr, n, 1000);
	lab_check_close(pr, n);
	int all_ok = 1;
	printf("\n%-8s %-8s %-13s %-8s %-8s %-22s %s\n", "SERVER", "HOST", "ADDRESS", "SOFTWARE", "PID",
	       "CHECK", "ROLE");
	for (int k = 0; k < n; k++) {
		const struct lab_server_def *s = &lab_servers[k];
		char key[64], pidtxt[16] = "-", check[64];
		snprintf(key, sizeof key, "pid.%s", s->id);
		long pid = lab_proc_state_pid(o->dir, key);
		if (s->kind != LAB_SRV_NONE) {
			if (lab_proc_alive(pid, o->dir))
				snprintf(pidtxt, sizeof pidtxt, "%ld", pid);
			else
				snprintf(pidtxt, sizeof pidtxt, "dead");
		}
		if (s->kind == LAB_SRV_NONE) {
			snprintf(check, sizeof check, "%s", pr[k].answered ? "ANSWERED (unexpected)" : "silent, as it should");
			if (pr[k].answered)
				all_ok = 0;
		} else if (pr[k].answered) {
			snprintf(check, sizeof check, "ok %s%s %.1f ms", lab_check_rcode(pr[k].rcode),
				 pr[k].aa ? " aa" : "", pr[k].ms);
		} else {
			snprintf(check, sizeof check, "NO ANSWER");
			all_ok = 0;
		}
		printf("%-8s %-8s %-13s %-8s %-8s %-22s %s\n", s->id, lab_hosts[s->host].name, s->addr,
		       s->kind == LAB_SRV_NSD ? "nsd" : s->kind == LAB_SRV_UNBOUND ? "unbound" : "-",
		       pidtxt, check, s->role);
	}
	return all_ok;
}

static int lab_status(struct lab_opts *o)
{
	if (lab_need_root("status") != 0)
		return 1;
	char why[512];
	enum lab_health h = lab_health(o, why, sizeof why);
	if (h == LAB_ABSENT) {
		printf("lab '%s' is down\n", o->name);
		return 1;
	}
	lab_status_head(o, h, why);
	int delay_ok = lab_status_delay(o);
	lab_status_hosts(o);
	int all_ok = lab_status_servers(o);
	return h == LAB_UP && all_ok && delay_ok ? 0 : 1;
}

/* ---- exec ---------------------------------------------------------------------- */

static int lab_exec(struct lab_opts *o, int argc, char **argv)
{
	if (argc < 2)
		return lab_usage_error("exec needs HOST and a command");
	int h = lab_host_find(argv[0]);
	if (h < 0)
		return lab_usage_error("no host '%s' in the lab (hosts: client isp cn border transit "
				       "outside remote vpnclient)", argv[0]);
	if (lab_need_root("exec") != 0)
		return 1;
	char ns[64];
	lab_host_ns(o->name, h, ns, sizeof ns);
	struct dw_error err;
	if (lab_netns_enter(ns, &err) != 0) {
		if (err.status == DW_E_NOT_FOUND)
			fprintf(stderr, "dnswatch lab exec: lab '%s' has no host %s (is it up?)\n", o->name,
				argv[0]);
		else
			fprintf(stderr, "dnswatch lab exec: cannot enter %s: %s\n", ns, err.text);
		return 1;
	}
	fflush(NULL);
	/* Replace ourselves: the command's exit status is ours. */
	execvp(argv[1], argv + 1);
	fprintf(stderr, "dnswatch lab exec: %s: %s\n", argv[1], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

/* ---- replay ------------------------------------------------------------------------ */

static void lab_replay_print(const struct scn *s)
{
	char cb[16];
	scn_format_clock(s->clock_s, cb, sizeof cb);
	double span = (double)s->step[s->nsteps - 1].offset_s;
	printf("%s: scenario %s%s%s, clock %s%s%s, scale %s, wall %s, %zu actions, %.0f scenario s "
	       "in %.1f s\n", s->file, s->name, s->title[0] ? ": " : "", s->title, cb,
	       s->zone[0] ? " " : "", s->zone, s->scale_text, s->wall, s->nsteps, span, span / s->scale);
	for (size_t k = 0; k < s->nsteps; k++) {
		const struct scn_step *st = &s->step[k];
		scn_format_clock(st->clock_s, cb, sizeof cb);
		char extra[64] = "";
		size_t el = 0;
		if (st->action == SCN_ROGUE_UP || st->action == SCN_ZONE_HIJACK)
			el = text_cat(extra, sizeof extra, el, " %u.%u.%u.%u", st->addr >> 24,
				      (st->addr >> 16) & 0xff, (st->addr >> 8) & 0xff, st->addr & 0xff);
		if (st->action == SCN_ROGUE_UP)
			text_cat(extra, sizeof extra, el, " %u.%u.%u.%u", st->answer >> 24,
				 (st->answer >> 16) & 0xff, (st->answer >> 8) & 0xff, st->answer & 0xff);
		printf("  %s  +%7.2f s  %s%s%s%s\n", cb, (double)st->offset_s / s->scale,
		       scn_action_name(st->action), st->arg[0] ? " " : "", st->arg, extra);
	}
}

static int lab_replay_cmd(struct lab_opts *o, int argc, char **argv)
{
	const char *file = NULL, *control = NULL, *events = NULL, *scale = NULL;
	int check = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--control") == 0 || strcmp(a, "--events") == 0 || strcmp(a, "--scale") == 0 ||
		    strcmp(a, "--name") == 0 || strcmp(a, "-n") == 0) {
			if (!val)
				return lab_usage_error("replay: %s needs a value", a);
			if (strcmp(a, "--control") == 0)
				control = val;
			else if (strcmp(a, "--events") == 0)
				events = val;
			else if (strcmp(a, "--scale") == 0)
				scale = val;
			else if (!lab_name_valid(val))
				return lab_usage_error("bad lab name '%s': 1 to %d of a-z and 0-9", val, LAB_NAME_MAX);
			else {
				snprintf(o->name, sizeof o->name, "%s", val);
				snprintf(o->dir, sizeof o->dir, "%s/%s", LAB_STATE_BASE, o->name);
			}
			i++;
		} else if (strcmp(a, "--check") == 0) {
			check = 1;
		} else if (a[0] == '-' && a[1]) {
			return lab_usage_error("unknown option '%s' for 'replay'", a);
		} else if (!file) {
			file = a;
		} else {
			return lab_usage_error("replay takes one scenario file ('%s' is a second)", a);
		}
	}
	if (!file)
		return lab_usage_error("replay needs a scenario file (lab/scenarios/2014.scenario)");
	double f = 0;
	struct dw_error err;
	if (scale && scn_parse_scale(scale, &f, &err) != 0)
		return lab_usage_error("--scale: %s", err.text);
	static struct scn s;
	if (scn_load(&s, file, &err) != 0) {
		fprintf(stderr, "dnswatch lab replay: %s\n", err.text);
		return 2;
	}
	if (f > 0) {
		s.scale = f;
		snprintf(s.scale_text, sizeof s.scale_text, "%.31s", scale);
		if ((double)s.step[s.nsteps - 1].offset_s / f > SCN_REAL_MAX)
			return lab_usage_error("--scale %s: the replay would take over %d s", scale, SCN_REAL_MAX);
	}
	if (check) {
		lab_replay_print(&s);
		return 0;
	}
	if (lab_need_root("replay") != 0)
		return 1;
	char why[512];
	enum lab_health h = lab_health(o, why, sizeof why);
	if (h != LAB_UP) {
		fprintf(stderr, "dnswatch lab replay: lab '%s' is %s\n", o->name,
			h == LAB_ABSENT ? "not up (dnswatch lab up first)" : "half up");
		return 1;
	}
	lab_catch_signals();
	struct lab_replay_opts ro = {.lab = o->name, .dir = o->dir, .control = control, .events = events,
				     .scale = f, .scale_text = scale, .stop = &lab_interrupted};
	return lab_replay(&s, &ro);
}

/* ---- delay helper --------------------------------------------------------------- */

static int lab_delay_cmd(int argc, char **argv)
{
	struct lab_delay_opts d = {.queue = 0, .delay_us = LAB_DEFAULT_DELAY_MS * 1000,
				   .jitter_us = LAB_DEFAULT_JITTER_MS * 1000, .capacity = 65536,
				   .seed = 1, .stats = NULL};
	for (int i = 0; i < argc; i++) {
		unsigned long v = 0;
		const char *a = argv[i];
		if (strcmp(a, "--stats") == 0 && i + 1 < argc) {
			d.stats = argv[++i];
			continue;
		}
		if (i + 1 >= argc || lab_parse_uint(argv[i + 1], 4000000000UL, &v) != 0)
			return lab_usage_error("delay: bad or missing value for '%s'", a);
		i++;
		if (strcmp(a, "--queue") == 0 && v <= 65535)
			d.queue = (unsigned)v;
		else if (strcmp(a, "--delay-us") == 0 && v <= 10000000)
			d.delay_us = (unsigned)v;
		else if (strcmp(a, "--jitter-us") == 0 && v <= 10000000)
			d.jitter_us = (unsigned)v;
		else if (strcmp(a, "--capacity") == 0 && v >= 1 && v <= 4000000)
			d.capacity = (unsigned)v;
		else if (strcmp(a, "--seed") == 0)
			d.seed = v;
		else if (strcmp(a, "--loss-ppm") == 0 && v <= 500000)
			d.loss_ppm = (unsigned)v;
		else
			return lab_usage_error("delay: unknown option or value out of range '%s'", a);
	}
	if (d.jitter_us > d.delay_us)
		d.jitter_us = d.delay_us;
	return lab_delay_run(&d);
}

/* ---- dispatch -------------------------------------------------------------------- */

int lab_main(int argc, char **argv)
{
	struct lab_opts o = {.seed = 1, .count = {3000, 1000, 1000, 2000},
			     .delay_ms = LAB_DEFAULT_DELAY_MS, .jitter_ms = LAB_DEFAULT_JITTER_MS,
			     .queue_max = 65536, .timeout_ms = 15000};
	snprintf(o.name, sizeof o.name, "%s", LAB_NAME_DEFAULT);
	snprintf(o.delay_mode, sizeof o.delay_mode, "auto");
	const char *verb = NULL;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--name") == 0 || strcmp(a, "-n") == 0) {
			if (i + 1 >= argc)
				return lab_usage_error("--name needs a value");
			if (!lab_name_valid(argv[i + 1]))
				return lab_usage_error("bad lab name '%s': 1 to %d of a-z and 0-9",
						       argv[i + 1], LAB_NAME_MAX);
			snprintf(o.name, sizeof o.name, "%s", argv[++i]);
			continue;
		}
		if (!verb && a[0] != '-') {
			verb = a;
			/* exec: options only up to HOST; the rest is the command's. */
			if (strcmp(verb, "replay") == 0) {
				i++;
				break;
			}
			if (strcmp(verb, "exec") == 0 || strcmp(verb, "delay") == 0) {
				i++;
				while (i + 1 < argc && (strcmp(argv[i], "--name") == 0 || strcmp(argv[i], "-n") == 0)) {
					if (!lab_name_valid(argv[i + 1]))
						return lab_usage_error("bad lab name '%s': 1 to %d of a-z and 0-9",
								       argv[i + 1], LAB_NAME_MAX);
					snprintf(o.name, sizeof o.name, "%s", argv[i + 1]);
					i += 2;
				}
				break;
			}
			continue;
		}
		if (!verb)
			return lab_usage_error("unknown option '%s' before the command", a);
		if (strcmp(verb, "up") != 0)
			return lab_usage_error("unknown option '%s' for '%s'", a, verb);
		/* options of up */
		unsigned long v;
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--seed") == 0) {
			if (lab_parse_uint(val, 0xffffffffUL, &v) != 0)
				return lab_usage_error("--seed needs a number");
			o.seed = v;
		} else if (strcmp(a, "--names") == 0) {
			if (!val || lab_parse_names(val, o.count) != 0)
				return lab_usage_error("--names wants com=N,net=N,org=N,cn=N");
		} else if (strcmp(a, "--delay-ms") == 0) {
			if (lab_parse_uint(val, 10000, &v) != 0)
				return lab_usage_error("--delay-ms needs 0..10000");
			o.delay_ms = (unsigned)v;
		} else if (strcmp(a, "--jitter-ms") == 0) {
			if (lab_parse_uint(val, 10000, &v) != 0)
				return lab_usage_error("--jitter-ms needs 0..10000");
			o.jitter_ms = (unsigned)v;
		} else if (strcmp(a, "--loss-pct") == 0) {
			if (lab_parse_uint(val, 50, &v) != 0)
				return lab_usage_error("--loss-pct needs 0..50");
			o.loss_pct = (unsigned)v;
		} else if (strcmp(a, "--queue-max") == 0) {
			if (lab_parse_uint(val, 4000000, &v) != 0 || v == 0)
				return lab_usage_error("--queue-max needs 1..4000000");
			o.queue_max = (unsigned)v;
		} else if (strcmp(a, "--timeout") == 0) {
			if (lab_parse_uint(val, 600000, &v) != 0 || v == 0)
				return lab_usage_error("--timeout needs 1..600000 (ms)");
			o.timeout_ms = (unsigned)v;
		} else if (strcmp(a, "--delay") == 0) {
			if (!val || (strcmp(val, "auto") && strcmp(val, "netem") && strcmp(val, "nfqueue") &&
				     strcmp(val, "none")))
				return lab_usage_error("--delay wants auto, netem, nfqueue or none");
			snprintf(o.delay_mode, sizeof o.delay_mode, "%s", val);
		} else if (strcmp(a, "--sign") == 0) {
			o.sign = 1;
			continue; /* takes no value */
		} else if (strcmp(a, "--fault") == 0) {
			if (!val || lab_server_find(val) < 0 ||
			    lab_servers[lab_server_find(val)].kind != LAB_SRV_NSD)
				return lab_usage_error("--fault wants the id of an nsd server (e.g. auth6)");
			o.fault = val;
		} else {
			return lab_usage_error("unknown option '%s' for 'up'", a);
		}
		i++;
	}
	if (o.jitter_ms > o.delay_ms)
		o.jitter_ms = o.delay_ms;
	snprintf(o.dir, sizeof o.dir, "%s/%s", LAB_STATE_BASE, o.name);
	if (!verb)
		return lab_usage_error("which command? up, down, status or exec");
	if (strcmp(verb, "up") == 0)
		return lab_up(&o);
	if (strcmp(verb, "down") == 0)
		return lab_down(&o);
	if (strcmp(verb, "status") == 0)
		return lab_status(&o);
	if (strcmp(verb, "exec") == 0)
		return lab_exec(&o, argc - i, argv + i);
	if (strcmp(verb, "delay") == 0)
		return lab_delay_cmd(argc - i, argv + i);
	if (strcmp(verb, "replay") == 0)
		return lab_replay_cmd(&o, argc - i, argv + i);
	return lab_usage_error("unknown command '%s'", verb);
}

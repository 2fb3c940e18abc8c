/* The injector's capture-match-forge-send loop (see engine.h). */
#include "inject/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "net/filter.h"
#include "util/json.h"
#include "wire/msg.h"

/* Ring geometry: 8 blocks of 4 MiB in 2 KiB frames = 16,384 frames per
 * interface, 80 ms of a 200,000 packets/s stream if the loop stalls. */
#define RING_BLOCK (4u << 20)
#define RING_BLOCKS 8
#define RING_FRAME 2048u
#define RINGS_MAX 16
#define BATCH 256          /* replies per sendmmsg */
#define DELAYED_MAX 16384  /* replies held for a profile's delay */
#define SNAPLEN 1600

struct ring {
	int fd;
	int ifindex;
	char name[IFNAMSIZ];
	uint8_t *map;
	size_t map_len;
	unsigned frames, cur;
};

struct reply {
	uint64_t due_us;
	int ring;
	uint16_t len;
	uint8_t buf[FORGE_FRAME_MAX];
};

struct engine {
	const struct inject_config *cfg;
	struct ring ring[RINGS_MAX];
	int nrings;
	struct inject_rules *rules;
	int map[RULES_INJECTORS_MAX]; /* rules->injector[i] -> profile index, -1 none */
	struct forge_state *forge;    /* one per profile */
	struct inject_stats st;
	struct reply *batch;          /* BATCH replies ready to send */
	int nbatch;
	struct reply *delayed;        /* a min-heap on due_us */
	int ndelayed;
	int sigfd, ctlfd;
	FILE *log;
	uint64_t start_us;
	int next_sched;
	bool stop;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void inject_stats_json(FILE *out, const struct inject_stats *s, const char *event)
{
	struct json j;
	json_init(&j, out);
	json_object_begin(&j);
	json_key(&j, "event");
	json_string(&j, event);
	const struct { const char *k; uint64_t v; } f[] = {
		{"seen", s->seen}, {"queries", s->queries}, {"matched", s->matched},
		{"passed", s->passed}, {"forged", s->forged}, {"sent", s->sent},
		{"send_errors", s->send_errors}, {"ring_drops", s->ring_drops},
		{"delay_drops", s->delay_drops}, {"responses", s->responses},
		{"malformed", s->malformed}, {"not_query", s->not_query},
		{"fragments", s->fragments}, {"other", s->other}, {"rule_loads", s->rule_loads}};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		json_key(&j, f[i].k);
		json_uint(&j, f[i].v);
	}
	json_object_end(&j);
	json_newline(&j);
	fflush(out);
}

/* ---- rule sets --------------------------------------------------------- */

/* Swap in R (taking ownership); map its injector names to profiles. */
static int install_rules(struct engine *e, struct inject_rules *r, char *err, size_t errcap)
{
	int map[RULES_INJECTORS_MAX];
	for (unsigned i = 0; i < r->ninjectors; i++) {
		map[i] = -1;
		for (int p = 0; p < e->cfg->nprofiles; p++)
			if (strcmp(r->injector[i], e->cfg->profile[p].name) == 0)
				map[i] = p;
		if (map[i] < 0) {
			snprintf(err, errcap, "%s: injectors= names '%s', which is not running",
				 r->source, r->injector[i]);
			inject_rules_free(r);
			return -1;
		}
	}
	inject_rules_free(e->rules);
	e->rules = r;
	memcpy(e->map, map, sizeof map);
	e->st.rule_loads++;
	return 0;
}

static int load_rules(struct engine *e, const char *file, char *err, size_t errcap)
{
	struct dw_error de = {DW_E_NOMEM, "out of memory"};
	struct inject_rules *r = file ? inject_rules_load(file, &de) : inject_rules_empty();
	if (!r)
		return dw_error_copy(&de, err, errcap);
	if (install_rules(e, r, err, errcap))
		return -1;
	fprintf(stderr, "dnswatch inject: rules %s: %zu rules\n", file ? file : "off", r->nrules);
	return 0;
}

/* ---- capture ------------------------------------------------------------ */

static int open_ring(struct ring *r, const char *ifname, char *err, size_t errcap)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
	snprintf(r->name, sizeof r->name, "%s", ifname);
	r->ifindex = (int)if_nametoindex(ifname);
	if (!r->ifindex) {
		snprintf(err, errcap, "interface %s: %s", ifname, strerror(errno));
		return -1;
	}
	/* Protocol 0: nothing is queued until bind, after the filter is on. */
	r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (r->fd < 0) {
		snprintf(err, errcap, "AF_PACKET socket: %s%s", strerror(errno),
			 errno == EPERM ? " (needs root or CAP_NET_RAW)" : "");
		return -1;
	}
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
	if (ioctl(r->fd, SIOCGIFHWADDR, &ifr) == 0 && ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		snprintf(err, errcap, "interface %s: not Ethernet (link type %u)", ifname,
			 ifr.ifr_hwaddr.sa_family);
		return -1;
	}
	int v = TPACKET_V2, one = 1;
	struct tpacket_req req = {.tp_block_size = RING_BLOCK, .tp_block_nr = RING_BLOCKS,
				  .tp_frame_size = RING_FRAME,
				  .tp_frame_nr = RING_BLOCK / RING_FRAME * RING_BLOCKS};
	struct dw_error fe;
	if (net_filter_attach(r->fd, DLT_EN10MB, "udp dst port 53", &fe))
		return dw_error_copy(&fe, err, errcap);
	/* Our own replies and the egress copy of forwarded packets are not
	 * queries to answer: the kernel leaves them out (Linux 4.20). */
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one)) {
		snprintf(err, errcap, "interface %s: packet ring: %s", ifname, strerror(errno));
		return -1;
	}
	r->map_len = (size_t)RING_BLOCK * RING_BLOCKS;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		snprintf(err, errcap, "interface %s: mmap: %s", ifname, strerror(errno));
		return -1;
	}
	r->frames = req.tp_frame_nr;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = r->ifindex};
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof sll)) {
		snprintf(err, errcap, "interface %s: bind: %s", ifname, strerror(errno));
		return -1;
	}
	return 0;
}

static void close_ring(struct ring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
}

/* ---- sending ---------------------------------------------------------------- */

static void flush(struct engine *e)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll to[BATCH];
	int i = 0;
	while (i < e->nbatch) {
		/* One sendmmsg per run of replies on the same interface. */
		int ring = e->batch[i].ring, n = 0;
		while (i + n < e->nbatch && e->batch[i + n].ring == ring) {
			struct reply *rp = &e->batch[i + n];
			iov[n] = (struct iovec){rp->buf, rp->len};
			to[n] = (struct sockaddr_ll){.sll_family = AF_PACKET,
						     .sll_ifindex = e->ring[ring].ifindex,
						     .sll_halen = 6};
			memcpy(to[n].sll_addr, rp->buf, 6);
			msg[n] = (struct mmsghdr){.msg_hdr = {.msg_name = &to[n],
							       .msg_namelen = sizeof to[n],
							       .msg_iov = &iov[n], .msg_iovlen = 1}};
			n++;
		}
		int done = 0;
		while (done < n) {
			int r = sendmmsg(e->ring[ring].fd, msg + done, (unsigned)(n - done), 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == ENOBUFS) {
					/* Socket buffer full: wait for room, bounded. */
					struct pollfd p = {e->ring[ring].fd, POLLOUT, 0};
					if (poll(&p, 1, 10) > 0)
						continue;
				}
				e->st.send_errors += (uint64_t)(n - done);
				break;
			}
			e->st.sent += (uint64_t)r;
			done += r;
		}
		i += n;
	}
	e->nbatch = 0;
}

static void queue_now(struct engine *e, int ring, const uint8_t *buf, size_t len)
{
	if (e->nbatch == BATCH)
		flush(e);
	struct reply *rp = &e->batch[e->nbatch++];
	rp->ring = ring;
	rp->len = (uint16_t)len;
	memcpy(rp->buf, buf, len);
}

static void heap_push(struct engine *e, const struct reply *rp)
{
	if (e->ndelayed == DELAYED_MAX) {
		e->st.delay_drops++;
		return;
	}
	int i = e->ndelayed++;
	while (i > 0) {
		int parent = (i - 1) / 2;
		if (e->delayed[parent].due_us <= rp->due_us)
			break;
		e->delayed[i] = e->delayed[parent];
		i = parent;
	}
	e->delayed[i] = *rp;
}

static void heap_pop(struct engine *e)
{
	struct reply last = e->delayed[--e->ndelayed];
	int i = 0;
	for (;;) {
		int c = 2 * i + 1;
		if (c >= e->ndelayed)
			break;
		if (c + 1 < e->ndelayed && e->delayed[c + 1].due_us < e->delayed[c].due_us)
			c++;
		if (last.due_us <= e->delayed[c].due_us)
			break;
		e->delayed[i] = e->delayed[c];
		i = c;
	}
	if (e->ndelayed)
		e->delayed[i] = last;
}

static void release_due(struct engine *e, uint64_t now)
{
	while (e->ndelayed && e->delayed[0].due_us <= now) {
		queue_now(e, e->delayed[0].ring, e->delayed[0].buf, e->delayed[0].len);
		heap_pop(e);
	}
}

/* ---- one frame ---------------------------------------------------------- */

static void log_reply(struct engine *e, const struct inject_profile *p,
		      const struct inject_query *q, const struct rule *rule, const uint8_t *frame,
		      size_t len)
{
	char a[64], qn[WIRE_NAME_TEXT_MAX];
	struct json j;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	json_init(&j, e->log);
	json_object_begin(&j);
	json_key(&j, "time");
	json_uint(&j, (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	json_key(&j, "injector");
	json_string(&j, p->name);
	json_key(&j, "client");
	json_string(&j, net_packet_addr_text(q->pkt.family, q->pkt.src, a, sizeof a));
	json_key(&j, "client_port");
	json_uint(&j, q->pkt.sport);
	json_key(&j, "server");
	json_string(&j, net_packet_addr_text(q->pkt.family, q->pkt.dst, a, sizeof a));
	json_key(&j, "id");
	json_uint(&j, q->msg.hdr.id);
	wire_name_to_text(q->qname, qn, sizeof qn);
	json_key(&j, "qname");
	json_string(&j, qn);
	json_key(&j, "qtype");
	json_uint(&j, q->qtype);
	json_key(&j, "rule_line");
	json_uint(&j, rule->line);
	json_key(&j, "reply");
	json_hex(&j, frame + q->l2_len, len - q->l2_len);
	json_object_end(&j);
	json_newline(&j);
}

static void handle_frame(struct engine *e, int ring, const uint8_t *frame, size_t len,
			 uint64_t now)
{
	struct inject_query q;
	e->st.seen++;
	switch (inject_classify(NET_LINK_ETHERNET, frame, len, &q)) {
	case INJ_QUERY: break;
	case INJ_RESPONSE: e->st.responses++; return;
	case INJ_MALFORMED: e->st.malformed++; return;
	case INJ_NOT_QUERY: e->st.not_query++; return;
	case INJ_FRAGMENT: e->st.fragments++; return;
	default: e->st.other++; return;
	}
	e->st.queries++;
	const struct rule *rule = inject_rules_lookup(e->rules, q.qname, q.qtype);
	if (!rule)
		return;
	if (rule->action == RULE_PASS) {
		e->st.passed++;
		return;
	}
	e->st.matched++;
	if (rule->action == RULE_NOREPLY)
		return;
	for (int p = 0; p < e->cfg->nprofiles; p++) {
		const struct inject_profile *prof = &e->cfg->profile[p];
		if (rule->injectors) {
			bool mine = false;
			for (unsigned i = 0; i < e->rules->ninjectors; i++)
				mine |= (rule->injectors >> i & 1) && e->map[i] == p;
			if (!mine)
				continue;
		}
		if (!inject_profile_answers(prof, &q))
			continue;
		struct reply rp;
		size_t n = inject_forge(prof, &e->forge[p], e->rules, rule, &q, rp.buf);
		if (!n)
			continue;
		rp.len = (uint16_t)n;
		rp.ring = ring;
		rp.due_us = now + prof->delay_us;
		for (unsigned c = 0; c < prof->copies; c++) {
			e->st.forged++;
			if (prof->delay_us)
				heap_push(e, &rp);
			else
				queue_now(e, ring, rp.buf, n);
		}
		if (e->log)
			log_reply(e, prof, &q, rule, rp.buf, n);
	}
}

/* Read every ready frame of ring R. */
static void drain(struct engine *e, int r, uint64_t now)
{
	struct ring *rg = &e->ring[r];
	for (unsigned budget = rg->frames; budget; budget--) {
		struct tpacket2_hdr *h = (struct tpacket2_hdr *)(rg->map + (size_t)rg->cur * RING_FRAME);
		if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		/* tp_mac and tp_snaplen come from the kernel; still, never trust
		 * an offset to stay inside the frame. */
		if (h->tp_mac < RING_FRAME && h->tp_snaplen <= RING_FRAME - h->tp_mac)
			handle_frame(e, r, (const uint8_t *)h + h->tp_mac, h->tp_snaplen, now);
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		rg->cur = (rg->cur + 1) % rg->frames;
	}
}

/* Tell the core we are spinning (frees the sibling hyperthread, saves power). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Is a frame waiting in ring R? (a memory read, no system call) */
static bool ring_ready(const struct ring *rg)
{
	const struct tpacket2_hdr *h =
		(const struct tpacket2_hdr *)(rg->map + (size_t)rg->cur * RING_FRAME);
	return (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) != 0;
}

/*
 * Busy polling: watch the rings' next frames for up to SPIN_US, handling
 * frames as they come, before going back to the main loop (timers, signals,
 * the control socket). Waking a sleeping thread costs tens of microseconds
 * on a virtual machine, more than the whole race an injector must win.
 */
#define SPIN_US 1000
static void spin(struct engine *e)
{
	uint64_t until = now_us() + SPIN_US;
	for (unsigned i = 0;; i++) {
		bool any = false;
		for (int r = 0; r < e->nrings; r++)
			if (ring_ready(&e->ring[r])) {
				drain(e, r, now_us());
				any = true;
			}
		if (any)
			flush(e);
		else
			cpu_relax();
		if ((i & 63) == 0) {
			uint64_t now = now_us();
			if (now >= until || (e->ndelayed && e->delayed[0].due_us <= now))
				return;
		}
	}
}

static void collect_drops(struct engine *e)
{
	for (int i = 0; i < e->nrings; i++) {
		struct tpacket_stats s;
		socklen_t l = sizeof s;
		/* Reading the statistics resets them: add them up. */
		if (getsockopt(e->ring[i].fd, SOL_PACKET, PACKET_STATISTICS, &s, &l) == 0)
			e->st.ring_drops += s.tp_drops;
	}
}

/* ---- control ---------------------------------------------------------------- */

static int open_control(const char *path, char *err, size_t errcap)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof a.sun_path) {
		snprintf(err, errcap, "control socket path too long: %s", path);
		return -1;
	}
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 8)) {
		snprintf(err, errcap, "control socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One command per connection: "load FILE", "off", "stats"; one line back. */
static void serve_control(struct engine *e)
{
	int c = accept4(e->ctlfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	char line[1024];
	size_t n = 0;
	struct pollfd p = {c, POLLIN, 0};
	/* Bounded: a client gets one second in all to say its line, however
	 * slowly it trickles (the rings wait meanwhile). */
	uint64_t deadline = now_us() + 1000000;
	for (uint64_t t = now_us(); n < sizeof line - 1 && t < deadline; t = now_us()) {
		if (poll(&p, 1, (int)((deadline - t + 999) / 1000)) <= 0)
			break;
		ssize_t r = read(c, line + n, sizeof line - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	char err[512] = "";
	FILE *out = fdopen(c, "w");
	if (!out) {
		close(c);
		return;
	}
	if (strncmp(line, "load ", 5) == 0) {
		if (load_rules(e, line + 5, err, sizeof err))
			fprintf(out, "error %s\n", err);
		else
			fprintf(out, "ok %zu rules\n", e->rules->nrules);
	} else if (strcmp(line, "off") == 0) {
		if (load_rules(e, NULL, err, sizeof err))
			fprintf(out, "error %s\n", err);
		else
			fprintf(out, "ok rules off\n");
	} else if (strcmp(line, "stats") == 0) {
		collect_drops(e);
		inject_stats_json(out, &e->st, "stats");
	} else {
		fprintf(out, "error unknown command '%s' (load FILE, off, stats)\n", line);
	}
	fclose(out);
}

static void handle_signal(struct engine *e)
{
	struct signalfd_siginfo si;
	while (read(e->sigfd, &si, sizeof si) == sizeof si) {
		char err[512];
		if (si.ssi_signo == SIGHUP) {
			const char *f = e->cfg->rules_file;
			if (f && load_rules(e, f, err, sizeof err))
				fprintf(stderr, "dnswatch inject: %s (the running rules stay)\n", err);
		} else if (si.ssi_signo == SIGUSR1) {
			collect_drops(e);
			inject_stats_json(stderr, &e->st, "stats");
		} else {
			e->stop = true;
		}
	}
}

static void run_schedule(struct engine *e, uint64_t now)
{
	while (e->next_sched < e->cfg->nsched &&
	       e->start_us + e->cfg->sched[e->next_sched].at_us <= now) {
		char err[512];
		const char *f = e->cfg->sched[e->next_sched++].file;
		if (load_rules(e, f, err, sizeof err))
			fprintf(stderr, "dnswatch inject: schedule: %s (the running rules stay)\n", err);
	}
}

/* Drop every capability: the sockets are open, nothing more is needed.
 * The process stays uid 0 so it can still read root's rule files. */
static int drop_capabilities(char *err, size_t errcap)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_capset, &h, d)) {
		snprintf(err, errcap, "dropping capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Every up, non-loopback interface. */
static int default_ifaces(struct engine *e, char *err, size_t errcap)
{
	struct if_nameindex *all = if_nameindex();
	if (!all) {
		snprintf(err, errcap, "listing interfaces: %s", strerror(errno));
		return -1;
	}
	int rc = 0;
	for (struct if_nameindex *i = all; i->if_index && !rc; i++) {
		if (strcmp(i->if_name, "lo") == 0)
			continue;
		if (e->nrings == RINGS_MAX) {
			snprintf(err, errcap, "more than %d interfaces", RINGS_MAX);
			rc = -1;
			break;
		}
		rc = open_ring(&e->ring[e->nrings], i->if_name, err, errcap);
		e->nrings++;
	}
	if_freenameindex(all);
	if (!rc && !e->nrings) {
		snprintf(err, errcap, "no interface to capture on");
		rc = -1;
	}
	return rc;
}

int inject_engine_run(const struct inject_config *cfg)
{
	struct engine *e = calloc(1, sizeof *e);
	char err[512] = "";
	int status = 1;
	if (!e)
		return 1;
	e->cfg = cfg;
	e->sigfd = e->ctlfd = -1;
	for (int i = 0; i < RINGS_MAX; i++)
		e->ring[i].fd = -1;
	e->batch = calloc(BATCH, sizeof *e->batch);
	e->delayed = calloc(DELAYED_MAX, sizeof *e->delayed);
	e->forge = calloc((size_t)cfg->nprofiles, sizeof *e->forge);
	if (!e->batch || !e->delayed || !e->forge) {
		snprintf(err, sizeof err, "out of memory");
		goto out;
	}
	for (int p = 0; p < cfg->nprofiles; p++)
		forge_state_init(&e->forge[p], cfg->seed + (uint64_t)p * 0x1000193u);
	if (load_rules(e, cfg->rules_file, err, sizeof err))
		goto out;
	e->st.rule_loads = 0;

	if (cfg->ifaces && cfg->ifaces[0]) {
		for (char **i = cfg->ifaces; *i; i++) {
			if (e->nrings == RINGS_MAX) {
				snprintf(err, sizeof err, "more than %d interfaces", RINGS_MAX);
				goto out;
			}
			if (open_ring(&e->ring[e->nrings++], *i, err, sizeof err))
				goto out;
		}
	} else if (default_ifaces(e, err, sizeof err)) {
		goto out;
	}
	if (cfg->control && (e->ctlfd = open_control(cfg->control, err, sizeof err)) < 0)
		goto out;
	if (cfg->log && !(e->log = fopen(cfg->log, "a"))) {
		snprintf(err, sizeof err, "log %s: %s", cfg->log, strerror(errno));
		goto out;
	}
	/* A control client that hangs up before reading its answer must not
	 * kill the wall: the write fails with EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	e->sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (e->sigfd < 0) {
		snprintf(err, sizeof err, "signalfd: %s", strerror(errno));
		goto out;
	}
	if (cfg->drop_caps && drop_capabilities(err, sizeof err))
		goto out;

	fprintf(stderr, "dnswatch inject: capturing on");
	for (int i = 0; i < e->nrings; i++)
		fprintf(stderr, " %s", e->ring[i].name);
	fprintf(stderr, " with %d injector%s\n", cfg->nprofiles, cfg->nprofiles == 1 ? "" : "s");

	struct pollfd pfd[RINGS_MAX + 2];
	int nfd = 0;
	for (int i = 0; i < e->nrings; i++)
		pfd[nfd++] = (struct pollfd){e->ring[i].fd, POLLIN, 0};
	int sig_i = nfd;
	pfd[nfd++] = (struct pollfd){e->sigfd, POLLIN, 0};
	int ctl_i = -1;
	if (e->ctlfd >= 0) {
		ctl_i = nfd;
		pfd[nfd++] = (struct pollfd){e->ctlfd, POLLIN, 0};
	}
	e->start_us = now_us();
	uint64_t next_tick = e->start_us + 1000000;
	while (!e->stop) {
		uint64_t now = now_us();
		run_schedule(e, now);
		release_due(e, now);
		flush(e);
		if (cfg->duration_us && now - e->start_us >= cfg->duration_us)
			break;
		if (now >= next_tick) {
			next_tick = now + 1000000;
			if (e->log)
				fflush(e->log);
			if (cfg->stats_json) {
				collect_drops(e);
				inject_stats_json(stdout, &e->st, "tick");
			}
		}
		/* Sleep until a packet, a signal, a command, or the next timer. */
		uint64_t wake = next_tick;
		if (e->ndelayed && e->delayed[0].due_us < wake)
			wake = e->delayed[0].due_us;
		if (e->next_sched < cfg->nsched &&
		    e->start_us + cfg->sched[e->next_sched].at_us < wake)
			wake = e->start_us + cfg->sched[e->next_sched].at_us;
		if (cfg->duration_us && e->start_us + cfg->duration_us < wake)
			wake = e->start_us + cfg->duration_us;
		int timeout = wake > now ? (int)((wake - now + 999) / 1000) : 0;
		if (cfg->busy_poll) {
			spin(e);
			timeout = 0;
		}
		int n = poll(pfd, (nfds_t)nfd, timeout);
		if (n < 0 && errno != EINTR) {
			snprintf(err, sizeof err, "poll: %s", strerror(errno));
			goto out;
		}
		now = now_us();
		for (int i = 0; i < e->nrings; i++)
			if (pfd[i].revents)
				drain(e, i, now);
		flush(e);
		if (pfd[sig_i].revents)
			handle_signal(e);
		if (ctl_i >= 0 && pfd[ctl_i].revents)
			serve_control(e);
	}
	/* Send what is still held for a delay: the queries were seen. */
	while (e->ndelayed) {
		queue_now(e, e->delayed[0].ring, e->delayed[0].buf, e->delayed[0].len);
		heap_pop(e);
	}
	flush(e);
	status = 0;
out:
	if (err[0])
		fprintf(stderr, "dnswatch inject: %s\n", err);
	else {
		collect_drops(e);
		inject_stats_json(stdout, &e->st, "exit");
	}
	for (int i = 0; i < RINGS_MAX; i++)
		close_ring(&e->ring[i]);
	if (e->sigfd >= 0)
		close(e->sigfd);
	if (e->ctlfd >= 0) {
		close(e->ctlfd);
		unlink(cfg->control);
	}
	if (e->log)
		fclose(e->log);
	inject_rules_free(e->rules);
	free(e->batch);
	free(e->delayed);
	free(e->forge);
	free(e);
	return status;
}

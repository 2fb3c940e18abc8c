/* The injector's capture and send loop around the decision core (see
 * engine.h and core.h). */
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
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "net/filter.h"
#include "util/clock.h"
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

struct inject_engine {
	const struct inject_config *cfg;
	const struct inject_hooks *hooks;
	struct ring ring[RINGS_MAX];
	int nrings;
	struct inject_core *core;
	struct inject_stats *st;      /* the core's */
	struct reply *batch;          /* BATCH replies ready to send */
	int nbatch;
	struct reply *delayed;        /* a min-heap on due_us */
	int ndelayed;
	int ctlfd;
	FILE *log;
	uint64_t start_us;
	int next_sched;
	bool stop;
};

void inject_stats_json(FILE *out, const struct inject_stats *s, const char *event)
{
	struct jw j;
	jw_init(&j, out);
	jw_object_begin(&j);
	jw_key(&j, "event");
	jw_string(&j, event);
	const struct { const char *k; uint64_t v; } f[] = {
		{"seen", s->seen}, {"queries", s->queries}, {"matched", s->matched},
		{"passed", s->passed}, {"forged", s->forged}, {"sent", s->sent},
		{"send_errors", s->send_errors}, {"ring_drops", s->ring_drops},
		{"delay_drops", s->delay_drops}, {"responses", s->responses},
		{"malformed", s->malformed}, {"not_query", s->not_query},
		{"fragments", s->fragments}, {"other", s->other}, {"rule_loads", s->rule_loads}};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		jw_key(&j, f[i].k);
		jw_uint(&j, f[i].v);
	}
	jw_object_end(&j);
	jw_newline(&j);
	fflush(out);
}

/* ---- rule sets --------------------------------------------------------- */

/* The rules of FILE (NULL: none) in force: a swap (counted in the core's
 * rule_loads), or the rules the engine starts with. */
static int load_rules(struct inject_engine *e, const char *file, bool swap, struct dw_error *err)
{
	struct inject_rules *r = file ? inject_rules_load(file, err) : inject_rules_empty();
	if (!r)
		return file ? -1 : dw_error_set(err, DW_E_NOMEM, "out of memory");
	if (swap ? inject_core_rules_set(e->core, r, err) : inject_core_rules_start(e->core, r, err))
		return -1;
	if (e->hooks->rules_loaded)
		e->hooks->rules_loaded(e->hooks->ctx, file, inject_core_rules(e->core)->nrules);
	return 0;
}

int inject_engine_load(struct inject_engine *e, const char *file, struct dw_error *err)
{
	return load_rules(e, file, true, err);
}

/* ---- capture ------------------------------------------------------------ */

static int open_ring(struct ring *r, const char *ifname, struct dw_error *err)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
	snprintf(r->name, sizeof r->name, "%s", ifname);
	r->ifindex = (int)if_nametoindex(ifname);
	if (!r->ifindex)
		return dw_error_errno(err, "interface %s", ifname);
	/* Protocol 0: nothing is queued until bind, after the filter is on. */
	r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (r->fd < 0 && errno == EPERM)
		return dw_error_set(err, DW_E_SYSTEM, "AF_PACKET socket: %s (needs root or CAP_NET_RAW)",
				    strerror(EPERM));
	if (r->fd < 0)
		return dw_error_errno(err, "AF_PACKET socket");
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
	if (ioctl(r->fd, SIOCGIFHWADDR, &ifr) == 0 && ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return dw_error_set(err, DW_E_INVALID, "interface %s: not Ethernet (link type %u)", ifname,
				    ifr.ifr_hwaddr.sa_family);
	int v = TPACKET_V2, one = 1;
	struct tpacket_req req = {.tp_block_size = RING_BLOCK, .tp_block_nr = RING_BLOCKS,
				  .tp_frame_size = RING_FRAME,
				  .tp_frame_nr = RING_BLOCK / RING_FRAME * RING_BLOCKS};
	if (net_filter_attach(r->fd, DLT_EN10MB, "udp dst port 53", err))
		return -1;
	/* Our own replies and the egress copy of forwarded packets are not
	 * queries to answer: the kernel leaves them out (Linux 4.20). */
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one))
		return dw_error_errno(err, "interface %s: packet ring", ifname);
	r->map_len = (size_t)RING_BLOCK * RING_BLOCKS;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return dw_error_errno(err, "interface %s: mmap", ifname);
	}
	r->frames = req.tp_frame_nr;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = r->ifindex};
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof sll))
		return dw_error_errno(err, "interface %s: bind", ifname);
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

static void flush(struct inject_engine *e)
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
				e->st->send_errors += (uint64_t)(n - done);
				break;
			}
			e->st->sent += (uint64_t)r;
			done += r;
		}
		i += n;
	}
	e->nbatch = 0;
}

static void queue_now(struct inject_engine *e, int ring, const uint8_t *buf, size_t len)
{
	if (e->nbatch == BATCH)
		flush(e);
	struct reply *rp = &e->batch[e->nbatch++];
	rp->ring = ring;
	rp->len = (uint16_t)len;
	memcpy(rp->buf, buf, len);
}

static void heap_push(struct inject_engine *e, const struct reply *rp)
{
	if (e->ndelayed == DELAYED_MAX) {
		e->st->delay_drops++;
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

static void heap_pop(struct inject_engine *e)
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

static void release_due(struct inject_engine *e, uint64_t now)
{
	while (e->ndelayed && e->delayed[0].due_us <= now) {
		queue_now(e, e->delayed[0].ring, e->delayed[0].buf, e->delayed[0].len);
		heap_pop(e);
	}
}

/* ---- the core's replies ------------------------------------------------------- */

static void log_reply(struct inject_engine *e, const struct inject_reply *r)
{
	const struct inject_query *q = r->query;
	char a[64], qn[WIRE_NAME_TEXT_MAX];
	struct jw j;
	jw_init(&j, e->log);
	jw_object_begin(&j);
	jw_key(&j, "time");
	jw_uint(&j, util_real_us());
	jw_key(&j, "injector");
	jw_string(&j, r->profile->name);
	jw_key(&j, "client");
	jw_string(&j, net_packet_addr_text(q->pkt.family, q->pkt.src, a, sizeof a));
	jw_key(&j, "client_port");
	jw_uint(&j, q->pkt.sport);
	jw_key(&j, "server");
	jw_string(&j, net_packet_addr_text(q->pkt.family, q->pkt.dst, a, sizeof a));
	jw_key(&j, "id");
	jw_uint(&j, q->msg.hdr.id);
	wire_name_to_text(q->qname, qn, sizeof qn);
	jw_key(&j, "qname");
	jw_string(&j, qn);
	jw_key(&j, "qtype");
	jw_uint(&j, q->qtype);
	jw_key(&j, "rule_line");
	jw_uint(&j, r->rule->line);
	jw_key(&j, "reply");
	jw_hex(&j, r->frame + q->l2_len, r->len - q->l2_len);
	jw_object_end(&j);
	jw_newline(&j);
}

/* A reply the core forged: sent now, or held until it is due; logged once
 * per injector and query. */
static void on_reply(void *ctx, const struct inject_reply *r)
{
	struct inject_engine *e = ctx;
	if (r->profile->delay_us) {
		struct reply rp = {.due_us = r->due_us, .ring = r->iface, .len = (uint16_t)r->len};
		memcpy(rp.buf, r->frame, r->len);
		heap_push(e, &rp);
	} else {
		queue_now(e, r->iface, r->frame, r->len);
	}
	if (e->log && r->copy == 0)
		log_reply(e, r);
}

/* ---- capture ------------------------------------------------------------------- */

/* Read every ready frame of ring R. */
static void drain(struct inject_engine *e, int r, uint64_t now)
{
	struct ring *rg = &e->ring[r];
	for (unsigned budget = rg->frames; budget; budget--) {
		struct tpacket2_hdr *h = (struct tpacket2_hdr *)(rg->map + (size_t)rg->cur * RING_FRAME);
		if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		/* tp_mac and tp_snaplen come from the kernel; still, never trust
		 * an offset to stay inside the frame. */
		if (h->tp_mac < RING_FRAME && h->tp_snaplen <= RING_FRAME - h->tp_mac)
			inject_core_frame(e->core, r, (const uint8_t *)h + h->tp_mac, h->tp_snaplen, now);
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
 * frames as they come, before going back to the main loop (timers, the
 * caller's descriptor, the control socket). Waking a sleeping thread costs
 * tens of microseconds on a virtual machine, more than the whole race an
 * injector must win.
 */
#define SPIN_US 1000
static void spin(struct inject_engine *e)
{
	uint64_t until = util_mono_us() + SPIN_US;
	for (unsigned i = 0;; i++) {
		bool any = false;
		for (int r = 0; r < e->nrings; r++)
			if (ring_ready(&e->ring[r])) {
				drain(e, r, util_mono_us());
				any = true;
			}
		if (any)
			flush(e);
		else
			cpu_relax();
		if ((i & 63) == 0) {
			uint64_t now = util_mono_us();
			if (now >= until || (e->ndelayed && e->delayed[0].due_us <= now))
				return;
		}
	}
}

static void collect_drops(struct inject_engine *e)
{
	for (int i = 0; i < e->nrings; i++) {
		struct tpacket_stats s;
		socklen_t l = sizeof s;
		/* Reading the statistics resets them: add them up. */
		if (getsockopt(e->ring[i].fd, SOL_PACKET, PACKET_STATISTICS, &s, &l) == 0)
			e->st->ring_drops += s.tp_drops;
	}
}

void inject_engine_stats(struct inject_engine *e, struct inject_stats *out)
{
	collect_drops(e);
	*out = *e->st;
}

/* ---- control ---------------------------------------------------------------- */

static int open_control(const char *path, struct dw_error *err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof a.sun_path)
		return dw_error_set(err, DW_E_INVALID, "control socket path too long: %s", path);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 8)) {
		dw_error_errno(err, "control socket %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* A client's one line, read within a second in all however slowly it
 * trickles (the rings wait meanwhile). */
static void control_read(int c, char *line, size_t cap)
{
	size_t n = 0;
	struct pollfd p = {c, POLLIN, 0};
	uint64_t deadline = util_mono_us() + 1000000;
	for (uint64_t t = util_mono_us(); n < cap - 1 && t < deadline; t = util_mono_us()) {
		if (poll(&p, 1, (int)((deadline - t + 999) / 1000)) <= 0)
			break;
		ssize_t r = read(c, line + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
}

/* The answer to command LINE into OUT. */
static void control_answer(struct inject_engine *e, const char *line, FILE *out)
{
	struct dw_error err;
	if (strncmp(line, "load ", 5) == 0) {
		if (inject_engine_load(e, line + 5, &err))
			fprintf(out, "error %s\n", err.text);
		else
			fprintf(out, "ok %zu rules\n", inject_core_rules(e->core)->nrules);
	} else if (strcmp(line, "off") == 0) {
		if (inject_engine_load(e, NULL, &err))
			fprintf(out, "error %s\n", err.text);
		else
			fprintf(out, "ok rules off\n");
	} else if (strcmp(line, "stats") == 0) {
		collect_drops(e);
		inject_stats_json(out, e->st, "stats");
	} else {
		fprintf(out, "error unknown command '%s' (load FILE, off, stats)\n", line);
	}
}

/* One command per connection: "load FILE", "off", "stats"; one line back.
 * Sent with MSG_NOSIGNAL: a client that hangs up before reading its answer
 * must not kill the wall. */
static void serve_control(struct inject_engine *e)
{
	int c = accept4(e->ctlfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	char line[1024];
	control_read(c, line, sizeof line);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (out) {
		control_answer(e, line, out);
		if (fclose(out) == 0 && len)
			(void)!send(c, buf, len, MSG_NOSIGNAL);
	}
	free(buf);
	close(c);
}

static void run_schedule(struct inject_engine *e, uint64_t now)
{
	while (e->next_sched < e->cfg->nsched &&
	       e->start_us + e->cfg->sched[e->next_sched].at_us <= now) {
		struct dw_error err;
		const char *f = e->cfg->sched[e->next_sched++].file;
		if (inject_engine_load(e, f, &err) && e->hooks->schedule_failed)
			e->hooks->schedule_failed(e->hooks->ctx, &err);
	}
}

/* ---- set-up ------------------------------------------------------------------ */

/* Drop every capability: the sockets are open, nothing more is needed.
 * The process stays uid 0 so it can still read root's rule files. */
static int drop_capabilities(struct dw_error *err)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_capset, &h, d))
		return dw_error_errno(err, "dropping capabilities");
	return 0;
}

/* Every up, non-loopback interface. */
static int default_ifaces(struct inject_engine *e, struct dw_error *err)
{
	struct if_nameindex *all = if_nameindex();
	if (!all)
		return dw_error_errno(err, "listing interfaces");
	int rc = 0;
	for (struct if_nameindex *i = all; i->if_index && !rc; i++) {
		if (strcmp(i->if_name, "lo") == 0)
			continue;
		if (e->nrings == RINGS_MAX) {
			rc = dw_error_set(err, DW_E_TOO_LARGE, "more than %d interfaces", RINGS_MAX);
			break;
		}
		rc = open_ring(&e->ring[e->nrings], i->if_name, err);
		e->nrings++;
	}
	if_freenameindex(all);
	if (!rc && !e->nrings)
		rc = dw_error_set(err, DW_E_NOT_FOUND, "no interface to capture on");
	return rc;
}

/* The rings on the interfaces asked for, or on every one. */
static int open_rings(struct inject_engine *e, struct dw_error *err)
{
	char **ifaces = e->cfg->ifaces;
	if (!ifaces || !ifaces[0])
		return default_ifaces(e, err);
	for (char **i = ifaces; *i; i++) {
		if (e->nrings == RINGS_MAX)
			return dw_error_set(err, DW_E_TOO_LARGE, "more than %d interfaces", RINGS_MAX);
		if (open_ring(&e->ring[e->nrings++], *i, err))
			return -1;
	}
	return 0;
}

int inject_engine_open(struct inject_engine **out, const struct inject_config *cfg,
		       const struct inject_hooks *hooks, struct dw_error *err)
{
	*out = NULL;
	struct inject_engine *e = calloc(1, sizeof *e);
	if (!e)
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	e->cfg = cfg;
	e->hooks = hooks;
	e->ctlfd = -1;
	for (int i = 0; i < RINGS_MAX; i++)
		e->ring[i].fd = -1;
	e->batch = calloc(BATCH, sizeof *e->batch);
	e->delayed = calloc(DELAYED_MAX, sizeof *e->delayed);
	if (!e->batch || !e->delayed) {
		dw_error_set(err, DW_E_NOMEM, "out of memory");
		goto fail;
	}
	e->core = inject_core_new(cfg->profile, cfg->nprofiles, cfg->seed, on_reply, e, err);
	if (!e->core)
		goto fail;
	e->st = inject_core_stats(e->core);
	if (load_rules(e, cfg->rules_file, false, err))
		goto fail;
	if (open_rings(e, err))
		goto fail;
	if (cfg->control && (e->ctlfd = open_control(cfg->control, err)) < 0)
		goto fail;
	if (cfg->log && !(e->log = fopen(cfg->log, "a"))) {
		dw_error_errno(err, "log %s", cfg->log);
		goto fail;
	}
	if (cfg->drop_caps && drop_capabilities(err))
		goto fail;
	*out = e;
	return 0;
fail:
	inject_engine_close(e);
	return -1;
}

const char *inject_engine_iface(const struct inject_engine *e, int i)
{
	return i >= 0 && i < e->nrings ? e->ring[i].name : NULL;
}

void inject_engine_stop(struct inject_engine *e)
{
	e->stop = true;
}

void inject_engine_close(struct inject_engine *e)
{
	if (!e)
		return;
	for (int i = 0; i < RINGS_MAX; i++)
		close_ring(&e->ring[i]);
	if (e->ctlfd >= 0) {
		close(e->ctlfd);
		unlink(e->cfg->control);
	}
	if (e->log)
		fclose(e->log);
	inject_core_free(e->core);
	free(e->batch);
	free(e->delayed);
	free(e);
}

/* ---- the run -------------------------------------------------------------------- */

/* When the loop must wake at the latest: the next tick, delayed reply,
 * scheduled load or the end of the duration. */
static uint64_t next_wake(const struct inject_engine *e, uint64_t next_tick)
{
	const struct inject_config *cfg = e->cfg;
	uint64_t wake = next_tick;
	if (e->ndelayed && e->delayed[0].due_us < wake)
		wake = e->delayed[0].due_us;
	if (e->next_sched < cfg->nsched && e->start_us + cfg->sched[e->next_sched].at_us < wake)
		wake = e->start_us + cfg->sched[e->next_sched].at_us;
	if (cfg->duration_us && e->start_us + cfg->duration_us < wake)
		wake = e->start_us + cfg->duration_us;
	return wake;
}

int inject_engine_run(struct inject_engine *e, struct dw_error *err)
{
	const struct inject_config *cfg = e->cfg;
	const struct inject_hooks *h = e->hooks;
	struct pollfd pfd[RINGS_MAX + 2];
	int nfd = 0;
	for (int i = 0; i < e->nrings; i++)
		pfd[nfd++] = (struct pollfd){e->ring[i].fd, POLLIN, 0};
	int wake_i = -1, ctl_i = -1;
	if (cfg->wake_fd >= 0) {
		wake_i = nfd;
		pfd[nfd++] = (struct pollfd){cfg->wake_fd, POLLIN, 0};
	}
	if (e->ctlfd >= 0) {
		ctl_i = nfd;
		pfd[nfd++] = (struct pollfd){e->ctlfd, POLLIN, 0};
	}
	e->start_us = util_mono_us();
	uint64_t next_tick = e->start_us + 1000000;
	while (!e->stop) {
		uint64_t now = util_mono_us();
		run_schedule(e, now);
		release_due(e, now);
		flush(e);
		if (cfg->duration_us && now - e->start_us >= cfg->duration_us)
			break;
		if (now >= next_tick) {
			next_tick = now + 1000000;
			if (e->log)
				fflush(e->log);
			if (h->tick)
				h->tick(h->ctx, e);
		}
		/* Sleep until a packet, the caller's descriptor, a command, or
		 * the next timer. */
		uint64_t wake = next_wake(e, next_tick);
		int timeout = wake > now ? (int)((wake - now + 999) / 1000) : 0;
		if (cfg->busy_poll) {
			spin(e);
			timeout = 0;
		}
		int n = poll(pfd, (nfds_t)nfd, timeout);
		if (n < 0 && errno != EINTR)
			return dw_error_errno(err, "poll");
		now = util_mono_us();
		for (int i = 0; i < e->nrings; i++)
			if (pfd[i].revents)
				drain(e, i, now);
		flush(e);
		if (wake_i >= 0 && pfd[wake_i].revents && h->wake)
			h->wake(h->ctx, e);
		if (ctl_i >= 0 && pfd[ctl_i].revents)
			serve_control(e);
	}
	/* Send what is still held for a delay: the queries were seen. */
	while (e->ndelayed) {
		queue_now(e, e->delayed[0].ring, e->delayed[0].buf, e->delayed[0].len);
		heap_pop(e);
	}
	flush(e);
	return 0;
}

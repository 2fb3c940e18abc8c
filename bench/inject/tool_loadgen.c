/*
 * Load generator for the injector benchmark: sends A queries at a fixed rate
 * with distinct (source port, ID) pairs for a bounded time and measures, for
 * each, the time from sending it to the first reply, using the kernel's
 * receive timestamp (SO_TIMESTAMPNS), so the generator's own reading delay is
 * not counted. Prints one JSON line: sent, answered, missed, duplicates and
 * latency percentiles in microseconds.
 *
 *   tool_loadgen --server 198.18.0.9 --rate 50000 --duration 5 [--sockets 16]
 *                [--suffix com] [--wait 500] [--batch 8]
 *
 * Only ever sends to the --server address (a lab host); bounded in count
 * (rate x duration) and in time (duration + wait).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wire/build.h"
#include "wire/name.h"

#define SOCKETS_MAX 64
#define BATCH_MAX 64

struct slot {
	uint64_t sent_ns; /* 0: nothing outstanding */
	uint8_t answered;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *server = NULL, *suffix = "com";
	double rate = 1000, duration = 2;
	int nsock = 16, wait_ms = 500, batch = 8;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--server")) server = argv[i + 1];
		else if (!strcmp(argv[i], "--rate")) rate = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--duration")) duration = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--sockets")) nsock = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--suffix")) suffix = argv[i + 1];
		else if (!strcmp(argv[i], "--wait")) wait_ms = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
		else {
			fprintf(stderr, "tool_loadgen: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(53)};
	if (!server || inet_pton(AF_INET, server, &to.sin_addr) != 1 || rate <= 0 ||
	    rate > 2e6 || duration <= 0 || duration > 600 || nsock < 1 || nsock > SOCKETS_MAX ||
	    batch < 1 || batch > BATCH_MAX || wait_ms < 0 || wait_ms > 60000) {
		fprintf(stderr, "usage: tool_loadgen --server ADDR --rate QPS --duration S [--sockets N] [--suffix TLD] [--wait MS] [--batch N]\n");
		return 2;
	}
	uint64_t total = (uint64_t)(rate * duration);
	{
		/* The longest name sent (the last seq has the most digits). */
		char name[64];
		uint8_t wire[WIRE_NAME_MAX];
		size_t wl;
		if (snprintf(name, sizeof name, "q%llu.bench.%s", (unsigned long long)total, suffix) >=
			    (int)sizeof name ||
		    wire_name_from_text(name, wire, &wl) != DW_OK) {
			fprintf(stderr, "tool_loadgen: --suffix '%s' makes no valid query name\n", suffix);
			return 2;
		}
	}
	struct slot *slots = calloc((size_t)nsock * 65536, sizeof *slots);
	uint32_t *lat = calloc(total + 1, sizeof *lat); /* latencies in units of 100 ns */
	uint16_t next_id[SOCKETS_MAX] = {0};
	int fd[SOCKETS_MAX];
	if (!slots || !lat)
		return 1;
	for (int s = 0; s < nsock; s++) {
		fd[s] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		int one = 1, big = 8 << 20;
		if (fd[s] < 0 || connect(fd[s], (struct sockaddr *)&to, sizeof to)) {
			perror("tool_loadgen: socket");
			return 1;
		}
		setsockopt(fd[s], SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
		setsockopt(fd[s], SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
		setsockopt(fd[s], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
	}

	static uint8_t qbuf[BATCH_MAX][128], rbuf[BATCH_MAX][512];
	static char cbuf[BATCH_MAX][64];
	struct mmsghdr msgs[BATCH_MAX], rmsg[BATCH_MAX];
	struct iovec iov[BATCH_MAX], riov[BATCH_MAX];

	uint64_t sent = 0, answered = 0, dup = 0, unmatched = 0, send_err = 0, nlat = 0;
	uint64_t start = now_ns(), end_send = start + (uint64_t)(duration * 1e9);
	uint64_t hard_end = end_send + (uint64_t)wait_ms * 1000000u;
	int s = 0;
	for (;;) {
		uint64_t now = now_ns();
		if (now >= hard_end || (now >= end_send && sent == total && answered == sent))
			break;
		/* Send what is due by now: batches of up to BATCH queries, each
		 * batch on the next socket. */
		uint64_t due = now >= end_send ? total
					       : (uint64_t)((double)(now - start) * rate / 1e9);
		if (due > total)
			due = total;
		while (sent < due) {
			int n = (int)(due - sent < (uint64_t)batch ? due - sent : (uint64_t)batch);
			uint64_t t = now_ns();
			for (int k = 0; k < n; k++) {
				uint64_t seq = sent + (uint64_t)k;
				uint16_t id = next_id[s]++;
				char name[64];
				uint8_t wire[WIRE_NAME_MAX];
				size_t wl;
				snprintf(name, sizeof name, "q%llu.bench.%s", (unsigned long long)seq, suffix);
				if (wire_name_from_text(name, wire, &wl) != DW_OK)
					abort(); /* every name fits: checked above */
				size_t ql = wire_build_query(qbuf[k], sizeof qbuf[k], id, wire, 1, 1, 0);
				iov[k] = (struct iovec){qbuf[k], ql};
				msgs[k] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[k], .msg_iovlen = 1}};
				slots[(size_t)s * 65536 + id] = (struct slot){t, 0};
			}
			int r = sendmmsg(fd[s], msgs, (unsigned)n, 0);
			if (r < 0) {
				if (errno != EAGAIN && errno != ENOBUFS)
					send_err++;
				next_id[s] = (uint16_t)(next_id[s] - n);
				break;
			}
			next_id[s] = (uint16_t)(next_id[s] - (n - r));
			sent += (uint64_t)r;
			s = (s + 1) % nsock;
			if (r < n)
				break;
		}
		/* Sleep until a reply or the next query is due: a busy loop
		 * would starve the softirq work of this core, which is where the
		 * kernel forwards our own queries and delivers the replies. */
		{
			uint64_t t = now_ns(), next;
			if (sent < total)
				next = start + (uint64_t)((double)(sent + 1) * 1e9 / rate);
			else
				next = hard_end;
			if (next > t) {
				struct pollfd pf[SOCKETS_MAX];
				for (int k = 0; k < nsock; k++)
					pf[k] = (struct pollfd){fd[k], POLLIN, 0};
				uint64_t d = next - t;
				struct timespec ts = {(time_t)(d / 1000000000u), (long)(d % 1000000000u)};
				ppoll(pf, (nfds_t)nsock, &ts, NULL);
			}
		}
		/* Read every reply that is there. */
		for (int k2 = 0; k2 < nsock; k2++) {
			for (int k = 0; k < BATCH_MAX; k++) {
				riov[k] = (struct iovec){rbuf[k], sizeof rbuf[k]};
				rmsg[k] = (struct mmsghdr){.msg_hdr = {.msg_iov = &riov[k], .msg_iovlen = 1,
								      .msg_control = cbuf[k],
								      .msg_controllen = sizeof cbuf[k]}};
			}
			int r = recvmmsg(fd[k2], rmsg, BATCH_MAX, MSG_DONTWAIT, NULL);
			for (int k = 0; k < r; k++) {
				if (rmsg[k].msg_len < 12)
					continue;
				uint16_t id = (uint16_t)(rbuf[k][0] << 8 | rbuf[k][1]);
				struct slot *sl = &slots[(size_t)k2 * 65536 + id];
				if (!sl->sent_ns) {
					unmatched++;
					continue;
				}
				if (sl->answered) {
					dup++;
					continue;
				}
				uint64_t rx = 0;
				for (struct cmsghdr *c = CMSG_FIRSTHDR(&rmsg[k].msg_hdr); c;
				     c = CMSG_NXTHDR(&rmsg[k].msg_hdr, c))
					if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
						struct timespec ts;
						memcpy(&ts, CMSG_DATA(c), sizeof ts);
						rx = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
					}
				if (!rx)
					rx = now_ns();
				sl->answered = 1;
				answered++;
				uint64_t d = rx > sl->sent_ns ? rx - sl->sent_ns : 0;
				if (nlat < total)
					lat[nlat++] = d / 100 > UINT32_MAX ? UINT32_MAX : (uint32_t)(d / 100);
			}
		}
	}
	qsort(lat, nlat, sizeof *lat, cmp_u32);
#define PCT(p) (nlat ? lat[(size_t)((double)(nlat - 1) * (p))] / 10.0 : 0.0)
	printf("{\"rate\":%.0f,\"duration\":%.1f,\"sent\":%llu,\"answered\":%llu,\"missed\":%llu,"
	       "\"duplicates\":%llu,\"unmatched\":%llu,\"send_errors\":%llu,"
	       "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}\n",
	       rate, duration, (unsigned long long)sent, (unsigned long long)answered,
	       (unsigned long long)(total - answered), (unsigned long long)dup,
	       (unsigned long long)unmatched, (unsigned long long)send_err, PCT(0.5), PCT(0.9),
	       PCT(0.99), PCT(0.999), PCT(1.0));
	for (int k = 0; k < nsock; k++)
		close(fd[k]);
	free(slots);
	free(lat);
	return 0;
}

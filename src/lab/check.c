/* Live DNS checks of lab servers (see probe.h). */
#include "lab/check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lab/netns.h"
#include "util/clock.h"
#include "wire/build.h"
#include "wire/name.h"

#define PROBE_MAX 64

int lab_check_query(uint8_t *buf, int cap, uint16_t id, const char *qname,
		    uint16_t qtype, int rd)
{
	uint8_t name[WIRE_NAME_MAX];
	size_t nl;
	if (cap <= 0 || wire_name_from_text(qname, name, &nl) != DW_OK)
		return 0;
	return (int)wire_build_query(buf, (size_t)cap, id, name, qtype, rd, 0);
}

const char *lab_check_rcode(int rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP", "REFUSED"};
	return rcode >= 0 && rcode < 6 ? names[rcode] : "RCODE?";
}

static void probe_send(struct lab_check *p, uint16_t id)
{
	if (p->fd < 0) {
		p->fd = lab_netns_socket(p->ns, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
		if (p->fd < 0)
			return;
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53),
					 .sin_addr.s_addr = htonl(p->addr)};
		/* connect: the kernel then drops datagrams from anyone else, and an
		 * ICMP port unreachable shows up as ECONNREFUSED. */
		if (connect(p->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
			close(p->fd);
			p->fd = -1;
			return;
		}
	}
	uint8_t q[512];
	p->id = id;
	int len = lab_check_query(q, sizeof q, id, p->qname, p->qtype, p->rd);
	p->sent_us = (long long)util_mono_us();
	if (len > 0 && send(p->fd, q, (size_t)len, 0) < 0) {
		/* a refused earlier send leaves an error pending; the next try clears it */
	}
}

int lab_check_run(struct lab_check *p, int n, int timeout_ms)
{
	if (n > PROBE_MAX)
		n = PROBE_MAX;
	static uint16_t next_id = 0x5a00;
	for (int i = 0; i < n; i++) {
		if (p[i].answered)
			continue;
		if (p[i].sent_us == 0)
			p[i].fd = -1;
		probe_send(&p[i], next_id++);
	}
	long long deadline = (long long)util_mono_us() + (long long)timeout_ms * 1000;
	for (int rounds = 0; rounds < 100000; rounds++) {
		struct pollfd pf[PROBE_MAX];
		int map[PROBE_MAX], m = 0;
		for (int i = 0; i < n; i++)
			if (!p[i].answered && p[i].fd >= 0) {
				pf[m] = (struct pollfd){.fd = p[i].fd, .events = POLLIN};
				map[m++] = i;
			}
		long long left = deadline - (long long)util_mono_us();
		if (m == 0 || left <= 0)
			break;
		int r = poll(pf, (nfds_t)m, (int)((left + 999) / 1000));
		if (r < 0 && errno != EINTR)
			break;
		for (int j = 0; j < m; j++) {
			if (!pf[j].revents)
				continue;
			struct lab_check *q = &p[map[j]];
			uint8_t buf[4096];
			ssize_t got = recv(q->fd, buf, sizeof buf, 0);
			if (got < 12)
				continue; /* ECONNREFUSED or runt: not an answer */
			uint16_t id = (uint16_t)(buf[0] << 8 | buf[1]);
			if (id != q->id || !(buf[2] & 0x80))
				continue;
			q->answered = 1;
			q->aa = (buf[2] & 0x04) != 0;
			q->rcode = buf[3] & 0x0f;
			q->ms = (double)((long long)util_mono_us() - q->sent_us) / 1000.0;
		}
	}
	int total = 0;
	for (int i = 0; i < n; i++)
		total += p[i].answered;
	return total;
}

void lab_check_close(struct lab_check *p, int n)
{
	for (int i = 0; i < n; i++) {
		if (p[i].fd >= 0)
			close(p[i].fd);
		p[i].fd = -1;
	}
}

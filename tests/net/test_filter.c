/* net/filter: "drop everything" on a socket that only holds a port, and
 * libpcap expressions compiled and attached. The drop test needs no root:
 * a UDP socket on loopback with the filter receives nothing sent to it,
 * while an unfiltered one beside it does. The expression's meaning is
 * checked on a packet socket on loopback, which needs CAP_NET_RAW. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "net/filter.h"

/* A UDP socket bound to 127.0.0.1 on a port of the kernel's choosing. */
static int udp_local(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	CHECK_EQ(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*addr = a;
	return fd;
}

/* Wait up to MS for a datagram on FD: its length, or -1 if none came. */
static ssize_t recv_wait(int fd, void *buf, size_t cap, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, ms) != 1)
		return -1;
	return recv(fd, buf, cap, MSG_DONTWAIT);
}

static void send_to(int fd, const struct sockaddr_in *to, const char *msg)
{
	CHECK_EQ(sendto(fd, msg, strlen(msg), 0, (const struct sockaddr *)to, sizeof *to),
		 (ssize_t)strlen(msg));
}

static void test_drop_all_udp(void)
{
	struct sockaddr_in a_addr, b_addr, s_addr;
	int a = udp_local(&a_addr), b = udp_local(&b_addr), s = udp_local(&s_addr);
	if (a < 0 || b < 0 || s < 0)
		goto out;
	struct dw_error err = {0};
	CHECK_EQ(net_filter_drop_all(a, &err), 0);
	CHECK_STR(err.text, "");
	char buf[64];
	for (int i = 0; i < 3; i++) {
		send_to(s, &a_addr, "to the filtered socket");
		send_to(s, &b_addr, "to the open socket");
		/* the control: the unfiltered socket gets each one */
		ssize_t n = recv_wait(b, buf, sizeof buf, 2000);
		CHECK_EQ(n, (ssize_t)strlen("to the open socket"));
	}
	/* the filtered one, even sending to itself, gets nothing */
	send_to(a, &a_addr, "to itself");
	CHECK_EQ(recv_wait(a, buf, sizeof buf, 300), -1);
	/* and it still sends: the filter is on the way in only */
	send_to(a, &b_addr, "from the filtered socket");
	CHECK_EQ(recv_wait(b, buf, sizeof buf, 2000), (ssize_t)strlen("from the filtered socket"));
	/* attaching it twice is fine */
	CHECK_EQ(net_filter_drop_all(a, &err), 0);
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	if (s >= 0)
		close(s);
}

static void test_errors(void)
{
	struct dw_error err = {0};
	CHECK_EQ(net_filter_drop_all(-1, &err), -1);
	char want[256];
	snprintf(want, sizeof want, "SO_ATTACH_FILTER: %s", strerror(EBADF));
	CHECK_STR(err.text, want);

	int p[2];
	CHECK_EQ(pipe(p), 0);
	dw_error_clear(&err);
	CHECK_EQ(net_filter_drop_all(p[0], &err), -1);
	snprintf(want, sizeof want, "SO_ATTACH_FILTER: %s", strerror(ENOTSOCK));
	CHECK_STR(err.text, want);
	dw_error_clear(&err);
	CHECK_EQ(net_filter_attach(p[0], DLT_RAW, "udp", &err), -1);
	CHECK_STR(err.text, want);
	close(p[0]);
	close(p[1]);

	/* an expression libpcap cannot compile: the expression and pcap's words */
	struct sockaddr_in sa;
	int fd = udp_local(&sa);
	if (fd < 0)
		return;
	dw_error_clear(&err);
	CHECK_EQ(net_filter_attach(fd, DLT_RAW, "udp port banana", &err), -1);
	CHECK(strncmp(err.text, "cannot compile the capture filter 'udp port banana': ", 53) == 0);
	CHECK(strlen(err.text) > 53);
	CHECK_EQ(net_filter_attach(fd, DLT_RAW, "udp and (", &err), -1);
	CHECK(strstr(err.text, "'udp and ('") != NULL);
	/* the status says what kind of failure it was */
	CHECK_EQ(net_filter_attach(fd, DLT_RAW, "nonsense words", &err), -1);
	CHECK_EQ(err.status, DW_E_SYNTAX);
	/* a good expression attaches to any socket */
	CHECK_EQ(net_filter_attach(fd, DLT_RAW, "udp dst port 53", &err), 0);
	CHECK_EQ(net_filter_attach(fd, DLT_EN10MB, "ip6 and udp", &err), 0);
	close(fd);
}

/* Count what a packet socket on loopback with EXPR reads while datagrams go
 * to PORT_IN and PORT_OUT: how many in all, how many to PORT_IN. */
static int packet_counts(const char *expr, uint16_t port_in, uint16_t port_out, int s,
			 int *total, int *to_in)
{
	*total = *to_in = 0;
	int pk = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (pk < 0)
		return -1;
	struct dw_error err = {0};
	CHECK_EQ(net_filter_attach(pk, DLT_RAW, expr, &err), 0);
	CHECK_STR(err.text, "");
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				 .sll_ifindex = (int)if_nametoindex("lo")};
	CHECK(ll.sll_ifindex > 0);
	CHECK_EQ(bind(pk, (struct sockaddr *)&ll, sizeof ll), 0);
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port_in)};
	struct sockaddr_in out = in;
	out.sin_port = htons(port_out);
	for (int i = 0; i < 4; i++) {
		send_to(s, &out, "not for the filter");
		send_to(s, &in, "for the filter");
	}
	uint8_t buf[2048];
	ssize_t n;
	while ((n = recv_wait(pk, buf, sizeof buf, 300)) > 0) {
		(*total)++;
		const struct iphdr *ip = (const void *)buf;
		if ((size_t)n >= sizeof *ip && ip->version == 4 && ip->protocol == IPPROTO_UDP &&
		    (size_t)n >= ip->ihl * 4u + sizeof(struct udphdr)) {
			const struct udphdr *u = (const void *)(buf + ip->ihl * 4);
			*to_in += ntohs(u->uh_dport) == port_in;
		}
	}
	close(pk);
	return 0;
}

/* The compiled expression decides what a packet socket sees. */
static void test_expression_on_packet_socket(void)
{
	int probe = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		SKIP("a packet socket needs CAP_NET_RAW (%s)", strerror(errno));
	close(probe);
	struct sockaddr_in in_addr, out_addr, s_addr;
	/* two bound sockets reserve the ports, so no one else's traffic uses them */
	int rin = udp_local(&in_addr), rout = udp_local(&out_addr), s = udp_local(&s_addr);
	if (rin >= 0 && rout >= 0 && s >= 0) {
		uint16_t pin = ntohs(in_addr.sin_port), pout = ntohs(out_addr.sin_port);
		char expr[64];
		snprintf(expr, sizeof expr, "udp dst port %u", pin);
		int total, to_in;
		CHECK_EQ(packet_counts(expr, pin, pout, s, &total, &to_in), 0);
		/* loopback shows each datagram going out and coming in */
		CHECK(to_in >= 4);
		CHECK_EQ(total, to_in);
		/* the opposite expression sees the other port only */
		snprintf(expr, sizeof expr, "udp dst port %u", pout);
		CHECK_EQ(packet_counts(expr, pin, pout, s, &total, &to_in), 0);
		CHECK(total >= 4);
		CHECK_EQ(to_in, 0);
	}
	if (rin >= 0)
		close(rin);
	if (rout >= 0)
		close(rout);
	if (s >= 0)
		close(s);
}

int main(void)
{
	RUN(test_drop_all_udp);
	RUN(test_errors);
	RUN(test_expression_on_packet_socket);
	return harness_done();
}

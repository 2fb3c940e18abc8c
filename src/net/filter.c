/* Capture filters for packet sockets (see filter.h). */
#include "net/filter.h"

#include <errno.h>
#include <linux/filter.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int net_filter_attach(int fd, int dlt, const char *expr, char *err, size_t errcap)
{
	struct bpf_program prog;
	pcap_t *dead = pcap_open_dead(dlt, 65535);
	if (!dead || pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errcap, "cannot compile the capture filter '%s': %s", expr,
			 dead ? pcap_geterr(dead) : "out of memory");
		if (dead)
			pcap_close(dead);
		return -1;
	}
	pcap_close(dead);
	struct sock_fprog fp = {.len = (unsigned short)prog.bf_len,
				.filter = (struct sock_filter *)prog.bf_insns};
	int rc = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
	int e = errno;
	pcap_freecode(&prog);
	if (rc) {
		snprintf(err, errcap, "SO_ATTACH_FILTER: %s", strerror(e));
		return -1;
	}
	return 0;
}

int net_filter_drop_all(int fd, char *err, size_t errcap)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog fp = {1, &drop};
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp)) {
		snprintf(err, errcap, "SO_ATTACH_FILTER: %s", strerror(errno));
		return -1;
	}
	return 0;
}

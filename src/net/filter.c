/* Capture filters for packet sockets (see filter.h). */
#include "net/filter.h"

#include <errno.h>
#include <linux/filter.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int net_filter_attach(int fd, int dlt, const char *expr, struct dw_error *err)
{
	struct bpf_program prog;
	pcap_t *dead = pcap_open_dead(dlt, 65535);
	if (!dead || pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		dw_error_set(err, dead ? DW_E_SYNTAX : DW_E_NOMEM,
			     "cannot compile the capture filter '%s': %s", expr,
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
		errno = e;
		return dw_error_errno(err, "SO_ATTACH_FILTER");
	}
	return 0;
}

int net_filter_drop_all(int fd, struct dw_error *err)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog fp = {1, &drop};
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp))
		return dw_error_errno(err, "SO_ATTACH_FILTER");
	return 0;
}

/*
 * Attaching a capture filter to a packet socket: the expression is compiled
 * by libpcap (so its IPv6, VLAN and fragment handling is libpcap's, not ours)
 * and attached with SO_ATTACH_FILTER, before the socket is bound, so no
 * packet that does not match is ever queued.
 */
#ifndef DW_NET_FILTER_H
#define DW_NET_FILTER_H

#include <stddef.h>

#include "util/error.h"

/* Compile EXPR for link type DLT (pcap's DLT_EN10MB for SOCK_RAW on
 * Ethernet, DLT_RAW for SOCK_DGRAM) and attach it to FD. 0, or -1 with ERR:
 * DW_E_SYNTAX "cannot compile the capture filter 'EXPR': why", or
 * "SO_ATTACH_FILTER: reason" (dw_error_errno). */
DW_MUST_CHECK int net_filter_attach(int fd, int dlt, const char *expr, struct dw_error *err);

/* Attach "drop everything": for sockets that only hold a port while the
 * packets are read elsewhere. 0 or -1 with ERR. */
DW_MUST_CHECK int net_filter_drop_all(int fd, struct dw_error *err);

#endif

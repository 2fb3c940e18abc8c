/*
 * DNS over TLS (RFC 7858), the client: one TCP connection to a resolver's
 * port 853, TLS from Debian's OpenSSL with the server's certificate checked
 * against a CA file or the system's store, the name checked against the
 * certificate and sent as SNI, and each message framed by its two-byte
 * length (RFC 1035 4.2.2). Every wait is bounded by the caller's timeout.
 * The one DoT client of the project: probe and watch use it for a control
 * over an encrypted path (a trusted resolver abroad that an on-path
 * injector cannot answer for), the guard for its fallback.
 *
 * One struct dot_conn is used by one thread at a time. A write on a
 * connection the server closed raises no SIGPIPE (it is blocked and
 * consumed around the write), so no caller needs a handler for it.
 */
#ifndef DW_NET_DOT_H
#define DW_NET_DOT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/error.h"

#define DOT_PORT 853

struct dot_conn;

/*
 * Connect to ADDR (sockaddr_in or sockaddr_in6 with its port; 853 is
 * DoT's), complete the TLS handshake (TLS 1.2 or later) and check the
 * server's certificate: its chain against CA_FILE (PEM; NULL: the system's
 * store) and its name against NAME (a host name, also sent as SNI; NULL:
 * the certificate must hold ADDR's IP address). All within TIMEOUT_MS.
 * Returns 0 with *OUT set (dot_close it), or -1 with one line in ERR
 * ("dot 198.19.8.8:853 (resolver.lab): certificate verify failed: ...").
 */
DW_MUST_CHECK int dot_connect(struct dot_conn **out, const struct sockaddr *addr, socklen_t addrlen,
			      const char *name, const char *ca_file, int timeout_ms,
			      struct dw_error *err);

/*
 * Send QUERY (QLEN bytes, a whole DNS message) and read the reply whose ID
 * is QUERY's (replies to other IDs, left from an earlier exchange that
 * timed out, are read and passed over) into REPLY (CAP bytes), its length
 * in *RLEN, within TIMEOUT_MS. Returns 0, or -1 with ERR: a timeout
 * (DW_E_IO, "... timed out waiting for the reply"), the server closing the
 * connection, a reply longer than CAP (DW_E_NOSPACE; the connection stays
 * usable). After a timeout the connection stays usable too (the late reply
 * is passed over by the next exchange); after any other failure close it
 * and connect again.
 */
DW_MUST_CHECK int dot_exchange(struct dot_conn *c, const uint8_t *query, size_t qlen, uint8_t *reply,
			       size_t cap, size_t *rlen, int timeout_ms, struct dw_error *err);

/* The connection's socket, for poll (readable: a reply may be waiting). */
int dot_fd(const struct dot_conn *c);

/* The server as the errors name it: "198.19.8.8:853 (resolver.lab)". */
const char *dot_peer(const struct dot_conn *c);

/* Close (a TLS close_notify is sent, not waited for) and free; NULL is fine. */
void dot_close(struct dot_conn *c);

#endif

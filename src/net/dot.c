/* DNS over TLS, the client (dot.h). */
#include "net/dot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct dot_conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char peer[INET6_ADDRSTRLEN + 300];
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* OpenSSL's reason for the last failure, its queue emptied: the reason
 * string of the oldest error (the root cause), or WHAT if none. */
static const char *ssl_reason(char *buf, size_t cap, const char *what)
{
	unsigned long e = ERR_get_error(), first = e;
	while (e)
		e = ERR_get_error();
	if (!first)
		return what;
	const char *r = ERR_reason_error_string(first);
	snprintf(buf, cap, "%s", r ? r : what);
	return buf;
}

/* Wait until FD is ready for WHAT (POLLIN or POLLOUT) or DEADLINE passes.
 * 0 ready, -1 with ERR (timed out, or poll failed). */
static int wait_fd(struct dot_conn *c, short what, long long deadline, const char *doing,
		   struct dw_error *err)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return dw_error_set(err, DW_E_IO, "dot %s: timed out %s", c->peer, doing);
		struct pollfd p = {.fd = c->fd, .events = what};
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return dw_error_errno(err, "dot %s: poll", c->peer);
	}
}

/* One TLS call's outcome R: 1 done, 0 wait and retry, -1 failed (ERR). */
static int ssl_step(struct dot_conn *c, int r, long long deadline, const char *doing,
		    struct dw_error *err)
{
	if (r > 0)
		return 1;
	int e = SSL_get_error(c->ssl, r);
	char why[256];
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, doing, err) ? -1 : 0;
	if (e == SSL_ERROR_ZERO_RETURN)
		return dw_error_set(err, DW_E_IO, "dot %s: the server closed the connection %s", c->peer,
				    doing);
	if (e == SSL_ERROR_SYSCALL) {
		ERR_clear_error();
		if (errno)
			return dw_error_errno(err, "dot %s: %s", c->peer, doing);
		return dw_error_set(err, DW_E_IO, "dot %s: the server closed the connection %s", c->peer,
				    doing);
	}
	long v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK) {
		ERR_clear_error();
		return dw_error_set(err, DW_E_IO, "dot %s: certificate refused: %s", c->peer,
				    X509_verify_cert_error_string(v));
	}
	return dw_error_set(err, DW_E_IO, "dot %s: TLS failed %s: %s", c->peer, doing,
			    ssl_reason(why, sizeof why, "unknown TLS error"));
}

/* Write all of BUF (N bytes) by DEADLINE. SIGPIPE (the server gone) is
 * blocked for the write and a pending one consumed, so the process lives. */
static int write_all(struct dot_conn *c, const uint8_t *buf, size_t n, long long deadline,
		     struct dw_error *err)
{
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	bool pending_before = false;
	sigset_t pend;
	if (!sigpending(&pend))
		pending_before = sigismember(&pend, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	int rc = 0;
	size_t done = 0;
	while (done < n) {
		size_t w = 0;
		int r = SSL_write_ex(c->ssl, buf + done, n - done, &w);
		int s = ssl_step(c, r, deadline, "sending the query", err);
		if (s < 0) {
			rc = -1;
			break;
		}
		if (s > 0)
			done += w;
	}
	if (!pending_before && !sigpending(&pend) && sigismember(&pend, SIGPIPE)) {
		struct timespec zero = {0, 0};
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Read exactly N bytes into BUF (NULL: read and drop them) by DEADLINE. */
static int read_all(struct dot_conn *c, uint8_t *buf, size_t n, long long deadline,
		    struct dw_error *err)
{
	uint8_t sink[512];
	size_t done = 0;
	while (done < n) {
		size_t want = n - done, got = 0;
		uint8_t *to = buf ? buf + done : sink;
		if (!buf && want > sizeof sink)
			want = sizeof sink;
		int r = SSL_read_ex(c->ssl, to, want, &got);
		int s = ssl_step(c, r, deadline, "waiting for the reply", err);
		if (s < 0)
			return -1;
		if (s > 0)
			done += got;
	}
	return 0;
}

/* Connect the TCP socket by DEADLINE. */
static int tcp_connect(struct dot_conn *c, const struct sockaddr *addr, socklen_t addrlen,
		       long long deadline, struct dw_error *err)
{
	c->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return dw_error_errno(err, "dot %s: socket", c->peer);
	if (connect(c->fd, addr, addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return dw_error_errno(err, "dot %s: connect", c->peer);
	if (wait_fd(c, POLLOUT, deadline, "connecting", err))
		return -1;
	int e = 0;
	socklen_t el = sizeof e;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) || e) {
		errno = e ? e : errno;
		return dw_error_errno(err, "dot %s: connect", c->peer);
	}
	return 0;
}

/* The TLS context: TLS 1.2 at least, the peer verified against CA_FILE or
 * the system store, NAME (or the address IP_TEXT) checked. */
static int tls_setup(struct dot_conn *c, const char *name, const char *ip_text,
		     const char *ca_file, struct dw_error *err)
{
	char why[256];
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		return dw_error_set(err, DW_E_NOMEM, "dot %s: no TLS context: %s", c->peer,
				    ssl_reason(why, sizeof why, "out of memory"));
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (ca_file) {
		if (SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1)
			return dw_error_set(err, DW_E_NOT_FOUND, "dot %s: CA file %s: %s", c->peer, ca_file,
					    ssl_reason(why, sizeof why, "cannot be read"));
	} else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		return dw_error_set(err, DW_E_NOT_FOUND, "dot %s: the system's CA store: %s", c->peer,
				    ssl_reason(why, sizeof why, "cannot be read"));
	}
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
		return dw_error_set(err, DW_E_NOMEM, "dot %s: no TLS session: %s", c->peer,
				    ssl_reason(why, sizeof why, "out of memory"));
	SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (name) {
		/* SNI (RFC 6066 3) carries a host name, never an address.
		 * OpenSSL's SNI macro casts its argument to void *: give it a
		 * copy it may hold non-const (clang's -Wcast-qual). */
		char host[256];
		if (strlen(name) >= sizeof host)
			return dw_error_set(err, DW_E_INVALID, "dot %s: name for the certificate check too long",
					    c->peer);
		strcpy(host, name);
		if (SSL_set_tlsext_host_name(c->ssl, host) != 1 || SSL_set1_host(c->ssl, name) != 1)
			return dw_error_set(err, DW_E_INVALID, "dot %s: bad name for the certificate check",
					    c->peer);
	} else {
		X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, ip_text) != 1)
			return dw_error_set(err, DW_E_INVALID, "dot %s: bad address for the certificate check",
					    c->peer);
	}
	return 0;
}

int dot_connect(struct dot_conn **out, const struct sockaddr *addr, socklen_t addrlen,
		const char *name, const char *ca_file, int timeout_ms, struct dw_error *err)
{
	*out = NULL;
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (addr->sa_family == AF_INET && addrlen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)addr;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
		port = ntohs(a->sin_port);
	} else if (addr->sa_family == AF_INET6 && addrlen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)addr;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
		port = ntohs(a->sin6_port);
	} else {
		return dw_error_set(err, DW_E_INVALID, "dot: not an IPv4 or IPv6 socket address");
	}
	if (name && (!name[0] || strlen(name) > 253))
		return dw_error_set(err, DW_E_INVALID, "dot %s: bad server name", ip);
	struct dot_conn *c = calloc(1, sizeof *c);
	if (!c)
		return dw_error_set(err, DW_E_NOMEM, "dot %s: out of memory", ip);
	c->fd = -1;
	snprintf(c->peer, sizeof c->peer, addr->sa_family == AF_INET6 ? "[%s]:%u%s%s%s" : "%s:%u%s%s%s",
		 ip, port, name ? " (" : "", name ? name : "", name ? ")" : "");
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1);
	ERR_clear_error();
	if (tcp_connect(c, addr, addrlen, deadline, err) || tls_setup(c, name, ip, ca_file, err))
		goto fail;
	for (;;) {
		int s = ssl_step(c, SSL_connect(c->ssl), deadline, "in the TLS handshake", err);
		if (s < 0)
			goto fail;
		if (s > 0)
			break;
	}
	/* SSL_VERIFY_PEER fails the handshake on a bad chain or name; say so
	 * again here should a future default ever let one through. */
	if (SSL_get_verify_result(c->ssl) != X509_V_OK) {
		dw_error_set(err, DW_E_IO, "dot %s: certificate refused: %s", c->peer,
			     X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	dot_close(c);
	return -1;
}

int dot_exchange(struct dot_conn *c, const uint8_t *query, size_t qlen, uint8_t *reply, size_t cap,
		 size_t *rlen, int timeout_ms, struct dw_error *err)
{
	*rlen = 0;
	if (qlen < 12 || qlen > 65535)
		return dw_error_set(err, DW_E_INVALID, "dot %s: a query of %zu bytes (12 to 65535)",
				    c->peer, qlen);
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1);
	/* The length and the message in one record: one TLS record, one
	 * segment (some servers read the length prefix as a message start). */
	uint8_t *frame = malloc(qlen + 2);
	if (!frame)
		return dw_error_set(err, DW_E_NOMEM, "dot %s: out of memory", c->peer);
	frame[0] = (uint8_t)(qlen >> 8);
	frame[1] = (uint8_t)qlen;
	memcpy(frame + 2, query, qlen);
	int rc = write_all(c, frame, qlen + 2, deadline, err);
	free(frame);
	if (rc)
		return -1;
	for (;;) {
		uint8_t len[2];
		if (read_all(c, len, 2, deadline, err))
			return -1;
		size_t n = (size_t)len[0] << 8 | len[1];
		if (n > cap) {
			if (read_all(c, NULL, n, deadline, err))
				return -1;
			return dw_error_set(err, DW_E_NOSPACE, "dot %s: a reply of %zu bytes, over the %zu kept",
					    c->peer, n, cap);
		}
		if (read_all(c, reply, n, deadline, err))
			return -1;
		/* A reply to another ID is a late one to an exchange that
		 * timed out: passed over. */
		if (n >= 2 && reply[0] == query[0] && reply[1] == query[1]) {
			*rlen = n;
			return 0;
		}
	}
}

int dot_fd(const struct dot_conn *c)
{
	return c->fd;
}

const char *dot_peer(const struct dot_conn *c)
{
	return c->peer;
}

void dot_close(struct dot_conn *c)
{
	if (!c)
		return;
	if (c->ssl) {
		/* close_notify, best effort: never wait for the server's. */
		if (SSL_is_init_finished(c->ssl)) {
			sigset_t pipe_set, old;
			sigemptyset(&pipe_set);
			sigaddset(&pipe_set, SIGPIPE);
			pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
			SSL_shutdown(c->ssl);
			sigset_t pend;
			if (!sigpending(&pend) && sigismember(&pend, SIGPIPE)) {
				struct timespec zero = {0, 0};
				sigtimedwait(&pipe_set, NULL, &zero);
			}
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	ERR_clear_error();
	free(c);
}

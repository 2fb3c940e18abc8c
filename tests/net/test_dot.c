/*
 * The DoT client (net/dot.h) against a real OpenSSL server in a thread on
 * loopback, with a CA and certificates made by the openssl command line:
 * the exchange and its framing, a late reply to another ID passed over, a
 * reply over the buffer, a wrong name and a wrong CA refused, a server
 * that never speaks TLS timed out.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "harness.h"
#include "net/dot.h"

static char dir[] = "/tmp/dw-test-dot-XXXXXX";
static char ca[300], ca2[300], key[300], crt[300];

static int sh(const char *cmd)
{
	char line[2048];
	snprintf(line, sizeof line, "cd %s && %s >/dev/null 2>&1", dir, cmd);
	return system(line);
}

static int make_certs(void)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(ca, sizeof ca, "%s/ca.pem", dir);
	snprintf(ca2, sizeof ca2, "%s/ca2.pem", dir);
	snprintf(key, sizeof key, "%s/srv.key", dir);
	snprintf(crt, sizeof crt, "%s/srv.pem", dir);
	const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2";
	char c[1024];
	snprintf(c, sizeof c, "openssl req -x509 %s -keyout ca.key -out ca.pem -subj /CN=test-ca", ec);
	if (sh(c))
		return -1;
	snprintf(c, sizeof c, "openssl req -x509 %s -keyout ca2.key -out ca2.pem -subj /CN=other-ca", ec);
	if (sh(c))
		return -1;
	snprintf(c, sizeof c,
		 "openssl req -x509 %s -keyout srv.key -out srv.pem -subj /CN=resolver.test -CA ca.pem "
		 "-CAkey ca.key -addext subjectAltName=DNS:resolver.test", ec);
	return sh(c) ? -1 : 0;
}

enum mode { SRV_ECHO, SRV_SILENT_TCP };

struct server {
	int lfd;
	uint16_t port;
	enum mode mode;
	int conns;           /* connections to serve */
	pthread_t th;
};

static int read_n(SSL *s, uint8_t *b, size_t n)
{
	size_t done = 0;
	while (done < n) {
		size_t got;
		if (SSL_read_ex(s, b + done, n - done, &got) != 1)
			return -1;
		done += got;
	}
	return 0;
}

/* Each query answered: first a framed reply to another ID, then, for a
 * query whose 3rd byte is 0xEE a 3000-byte reply, else the query echoed
 * back with QR set. */
static void serve(SSL *s)
{
	uint8_t len[2], q[4096], out[3100];
	while (read_n(s, len, 2) == 0) {
		size_t n = (size_t)len[0] << 8 | len[1];
		if (n > sizeof q || read_n(s, q, n))
			return;
		uint8_t other[14] = {0, 12, (uint8_t)(q[0] ^ 0xff), q[1], 0x81, 0x80};
		SSL_write(s, other, sizeof other);
		size_t m = n;
		memcpy(out + 2, q, n);
		out[4] |= 0x80;
		if (q[2] == 0xEE) {
			m = 3000;
			memset(out + 2 + n, 0, m - n);
		}
		out[0] = (uint8_t)(m >> 8);
		out[1] = (uint8_t)m;
		SSL_write(s, out, (int)m + 2);
	}
}

static void *server_main(void *arg)
{
	struct server *sv = arg;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate_chain_file(ctx, crt);
	SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM);
	for (int i = 0; i < sv->conns; i++) {
		int fd = accept(sv->lfd, NULL, NULL);
		if (fd < 0)
			break;
		if (sv->mode == SRV_SILENT_TCP) {
			uint8_t b[512];
			while (read(fd, b, sizeof b) > 0) /* never answers the handshake */
				;
			close(fd);
			continue;
		}
		SSL *s = SSL_new(ctx);
		SSL_set_fd(s, fd);
		if (SSL_accept(s) == 1)
			serve(s);
		SSL_free(s);
		close(fd);
	}
	SSL_CTX_free(ctx);
	return NULL;
}

static void server_start(struct server *sv, enum mode mode, int conns)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
	bind(sv->lfd, (struct sockaddr *)&a, sizeof a);
	listen(sv->lfd, 4);
	getsockname(sv->lfd, (struct sockaddr *)&a, &al);
	sv->port = ntohs(a.sin_port);
	sv->mode = mode;
	sv->conns = conns;
	pthread_create(&sv->th, NULL, server_main, sv);
}

static void server_stop(struct server *sv)
{
	shutdown(sv->lfd, SHUT_RDWR);
	pthread_join(sv->th, NULL);
	close(sv->lfd);
}

static struct sockaddr_in addr_of(const struct server *sv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(sv->port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	return a;
}

static const uint8_t query[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
				3, 'w', 'w', 'w', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1};

static void test_exchange_and_framing(void)
{
	struct server sv;
	server_start(&sv, SRV_ECHO, 1);
	struct sockaddr_in a = addr_of(&sv);
	struct dot_conn *c = NULL;
	struct dw_error err;
	int rc = dot_connect(&c, (struct sockaddr *)&a, sizeof a, "resolver.test", ca, 3000, &err);
	CHECK_EQ(rc, 0);
	if (rc) {
		printf("#   %s\n", err.text);
		server_stop(&sv);
		return;
	}
	CHECK(dot_fd(c) >= 0);
	uint8_t reply[512];
	size_t rl = 0;
	/* two exchanges on one connection; the reply to another ID before
	 * each is passed over */
	for (int k = 0; k < 2; k++) {
		CHECK_EQ(dot_exchange(c, query, sizeof query, reply, sizeof reply, &rl, 3000, &err), 0);
		CHECK_EQ(rl, sizeof query);
		CHECK_EQ(reply[0], 0x12);
		CHECK_EQ(reply[1], 0x34);
		CHECK(reply[2] & 0x80);
		CHECK(!memcmp(reply + 12, query + 12, sizeof query - 12));
	}
	/* over the buffer: said, and the connection still works */
	uint8_t big[sizeof query];
	memcpy(big, query, sizeof query);
	big[2] = 0xEE;
	CHECK_EQ(dot_exchange(c, big, sizeof big, reply, sizeof reply, &rl, 3000, &err), -1);
	CHECK_EQ(err.status, DW_E_NOSPACE);
	CHECK(strstr(err.text, "3000 bytes") != NULL);
	CHECK_EQ(dot_exchange(c, query, sizeof query, reply, sizeof reply, &rl, 3000, &err), 0);
	CHECK_EQ(rl, sizeof query);
	dot_close(c);
	server_stop(&sv);
}

static void test_wrong_name_refused(void)
{
	struct server sv;
	server_start(&sv, SRV_ECHO, 1);
	struct sockaddr_in a = addr_of(&sv);
	struct dot_conn *c = NULL;
	struct dw_error err;
	CHECK_EQ(dot_connect(&c, (struct sockaddr *)&a, sizeof a, "other.test", ca, 3000, &err), -1);
	CHECK(c == NULL);
	CHECK(strstr(err.text, "certificate refused") != NULL);
	CHECK(strstr(err.text, "mismatch") != NULL);
	CHECK(strstr(err.text, "(other.test)") != NULL);
	server_stop(&sv);
}

static void test_wrong_ca_refused(void)
{
	struct server sv;
	server_start(&sv, SRV_ECHO, 2);
	struct sockaddr_in a = addr_of(&sv);
	struct dot_conn *c = NULL;
	struct dw_error err;
	CHECK_EQ(dot_connect(&c, (struct sockaddr *)&a, sizeof a, "resolver.test", ca2, 3000, &err), -1);
	CHECK(strstr(err.text, "certificate refused") != NULL);
	CHECK(strstr(err.text, "local issuer") != NULL);
	/* no name: the certificate must hold the address, which it does not */
	CHECK_EQ(dot_connect(&c, (struct sockaddr *)&a, sizeof a, NULL, ca, 3000, &err), -1);
	CHECK(strstr(err.text, "certificate refused") != NULL);
	server_stop(&sv);
}

static void test_timeout(void)
{
	struct server sv;
	server_start(&sv, SRV_SILENT_TCP, 1);
	struct sockaddr_in a = addr_of(&sv);
	struct dot_conn *c = NULL;
	struct dw_error err;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(dot_connect(&c, (struct sockaddr *)&a, sizeof a, "resolver.test", ca, 300, &err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(s >= 0.25 && s < 2.0);
	CHECK(strstr(err.text, "timed out in the TLS handshake") != NULL);
	server_stop(&sv);
	/* nobody listening: connect refused, said */
	CHECK_EQ(dot_connect(&c, (struct sockaddr *)&a, sizeof a, "resolver.test", ca, 300, &err), -1);
	CHECK(strstr(err.text, "connect") != NULL);
}

int main(void)
{
	if (make_certs()) {
		printf("not ok - openssl could not make the test certificates\n");
		return 1;
	}
	RUN(test_exchange_and_framing);
	RUN(test_wrong_name_refused);
	RUN(test_wrong_ca_refused);
	RUN(test_timeout);
	char c[400];
	snprintf(c, sizeof c, "rm -rf %s", dir);
	if (system(c)) {
	}
	return harness_done();
}

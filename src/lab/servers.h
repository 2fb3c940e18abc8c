/*
 * The lab's DNS servers: which daemon runs where and on which address
 * (one nsd process per authoritative address, because a single nsd holding
 * ".", "com." and a child zone answers from the closest zone and skips the
 * delegation chain), their zone files and configs (written under the lab's
 * state directory), starting them all at once and waiting, with a bounded
 * deadline, until each answers a query.
 */
#ifndef DW_LAB_SERVERS_H
#define DW_LAB_SERVERS_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "lab/population.h"
#include "util/error.h"

/* The public resolver's DNS over TLS (port 853): the name its certificate
 * holds, and the lab CA that signed it, under the lab's state directory. */
#define LAB_DOT_NAME "resolver.lab"
#define LAB_DOT_CA "ca.pem"
/* The lab's names without their answers, one a line (under the state dir). */
#define LAB_NAMES_FILE "names.txt"

enum lab_srv_kind { LAB_SRV_NSD, LAB_SRV_UNBOUND, LAB_SRV_NONE };

struct lab_server_def {
	const char *id;       /* "root", "com", "auth1", "isp", ... (also its directory) */
	int kind;             /* enum lab_srv_kind */
	int host;             /* enum lab_host_id */
	const char *addr;     /* its service address */
	const char *role;
	int tld;              /* for a TLD server its enum lab_tld, else -1 */
	int auth_for;         /* for an authoritative, the TLD group: -1 none,
			         LAB_TLD_COM for com/net/org, LAB_TLD_CN for cn */
};

extern const struct lab_server_def lab_servers[];
extern const size_t lab_nservers;

/* Index of server ID, or -1. */
DW_MUST_CHECK int lab_server_find(const char *id);

/* Population parameters with every TLD's authoritative addresses filled in
 * from the server table. */
void lab_servers_pop_params(struct lab_pop_params *p);

/*
 * Write under DIR: zones/ (root, TLDs, every population zone), srv/ID/ with
 * each server's config, root.hints, and answers.tsv (atomically). FAULT_NSD
 * names a server whose nsd is given an address it cannot bind (testing the
 * rollback), or NULL. VALIDATE makes both unbounds validate with the lab's
 * trust anchor (lab_sign_zones writes it). Returns 0 or -1 with "mkdir PATH:
 * reason" or "write PATH: reason" in ERR.
 */
DW_MUST_CHECK int lab_servers_write(const char *dir, const struct lab_pop *pop,
				    const char *fault_nsd, int validate, struct dw_error *err);

/*
 * Start every server of lab LAB at once (daemons in their hosts'
 * namespaces), then poll until each answers or TIMEOUT_MS passes. PIDS gets
 * one pid per server table entry (0 for none) and is filled as servers
 * start, so a caller can kill what started even after a failure. Stops
 * early when *STOP becomes non-zero (a signal handler's flag). Returns 0,
 * or -1 with a line in ERR naming the server and its log line (DW_E_TOOL),
 * DW_E_INTERRUPTED when stopped.
 */
DW_MUST_CHECK int lab_servers_start(const char *lab, const char *dir, pid_t *pids, int timeout_ms,
				    volatile sig_atomic_t *stop, struct dw_error *err);

/* The name (SOA) a live check of server I asks for: a zone it serves (read
 * from its config under DIR), or "." for a resolver. BUF holds the result
 * when it is not a constant. */
const char *lab_server_check_name(const char *dir, int i, char *buf, size_t cap);

#endif

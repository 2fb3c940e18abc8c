/* DNSSEC signing of the lab's zones with libldns, in worker processes (see sign.h). */
#include "lab/sign.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ldns/ldns.h>

/* Worker processes: the machine's two cores both sign. The work is done in
 * children, which also keeps libldns's and OpenSSL's global state (and
 * whatever they allocate for good) out of the long-lived parent. */
#define SIGN_WORKERS 2

struct sign_zone {
	char origin[LAB_POP_NAME_MAX]; /* "lune0.com.", "com.", "." */
	char file[512];                /* its zone file, signed in place */
};

/* Path of the DS file of ORIGIN: keys/lune0.com.ds, keys/root.ds. */
static void sign_ds_path(const char *dir, const char *origin, char *buf, size_t cap)
{
	size_t n = strlen(origin);
	if (strcmp(origin, ".") == 0)
		snprintf(buf, cap, "%s/keys/root.ds", dir);
	else
		snprintf(buf, cap, "%s/keys/%.*s.ds", dir, (int)(n - 1), origin);
}

/*
 * Sign one zone: a fresh ECDSA P-256 key (flags 257: zone key and SEP, used
 * for every RRset), its DNSKEY added, NSEC chain and RRSIGs made (default
 * validity: four weeks from now), the signed zone written over the file, the
 * DS (SHA-256, RFC 4509) written to keys/ORIGIN.ds. Returns 0, or -1 with a
 * message on stderr.
 */
static int sign_one(const char *dir, const struct sign_zone *z)
{
	int rc = -1;
	ldns_rdf *origin = ldns_dname_new_frm_str(z->origin);
	ldns_key *key = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
	ldns_key_list *keys = ldns_key_list_new();
	ldns_dnssec_zone *zone = NULL;
	ldns_rr_list *added = ldns_rr_list_new();
	ldns_rr *dnskey = NULL, *ds = NULL;
	FILE *in = NULL, *out = NULL;
	char tmp[600], dspath[600];
	snprintf(tmp, sizeof tmp, "%s.signed", z->file);
	if (!origin || !key || !keys || !added) {
		fprintf(stderr, "%s: cannot make a key\n", z->origin);
		goto done;
	}
	ldns_key_set_pubkey_owner(key, ldns_rdf_clone(origin));
	ldns_key_set_flags(key, LDNS_KEY_ZONE_KEY | LDNS_KEY_SEP_KEY);
	dnskey = ldns_key2rr(key);
	if (!dnskey) {
		fprintf(stderr, "%s: no DNSKEY\n", z->origin);
		goto done;
	}
	ldns_key_set_keytag(key, ldns_calc_keytag(dnskey));
	ldns_key_list_push_key(keys, key);
	in = fopen(z->file, "re");
	if (!in) {
		fprintf(stderr, "%s: %s\n", z->file, strerror(errno));
		goto done;
	}
	ldns_status st = ldns_dnssec_zone_new_frm_fp(&zone, in, origin, 3600, LDNS_RR_CLASS_IN);
	if (st != LDNS_STATUS_OK) {
		fprintf(stderr, "%s: %s\n", z->file, ldns_get_errorstr_by_id(st));
		goto done;
	}
	ldns_dnssec_zone_add_rr(zone, ldns_rr_clone(dnskey));
	st = ldns_dnssec_zone_sign(zone, added, keys, ldns_dnssec_default_replace_signatures, NULL);
	if (st != LDNS_STATUS_OK) {
		fprintf(stderr, "%s: signing: %s\n", z->origin, ldns_get_errorstr_by_id(st));
		goto done;
	}
	out = fopen(tmp, "we");
	if (!out) {
		fprintf(stderr, "%s: %s\n", tmp, strerror(errno));
		goto done;
	}
	ldns_dnssec_zone_print(out, zone);
	int bad = ferror(out);
	if (fclose(out) != 0 || bad || rename(tmp, z->file) != 0) {
		out = NULL;
		fprintf(stderr, "%s: write failed\n", z->file);
		goto done;
	}
	out = NULL;
	ds = ldns_key_rr2ds(dnskey, LDNS_SHA256);
	sign_ds_path(dir, z->origin, dspath, sizeof dspath);
	out = fopen(dspath, "we");
	if (!ds || !out) {
		fprintf(stderr, "%s: cannot write its DS\n", z->origin);
		goto done;
	}
	ldns_rr_print(out, ds);
	rc = fclose(out) == 0 ? 0 : -1;
	out = NULL;
done:
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	if (ds)
		ldns_rr_free(ds);
	if (dnskey)
		ldns_rr_free(dnskey);
	if (zone)
		ldns_dnssec_zone_deep_free(zone);
	if (added)
		ldns_rr_list_free(added); /* shallow: the zone owned what was added */
	if (keys)
		ldns_key_list_free(keys); /* frees the key too */
	else if (key)
		ldns_key_deep_free(key);
	if (origin)
		ldns_rdf_deep_free(origin);
	return rc;
}

/* Sign Z[0..N) in SIGN_WORKERS children, worker w taking every w-th zone. */
static int sign_batch(const char *dir, const struct sign_zone *z, size_t n, struct dw_error *err)
{
	pid_t pid[SIGN_WORKERS];
	int nw = n < SIGN_WORKERS ? (int)n : SIGN_WORKERS;
	fflush(NULL);
	for (int w = 0; w < nw; w++) {
		pid[w] = fork();
		if (pid[w] < 0) {
			dw_error_errno(err, "fork");
			for (int k = 0; k < w; k++)
				while (waitpid(pid[k], NULL, 0) < 0 && errno == EINTR)
					;
			return -1;
		}
		if (pid[w] == 0) {
			int bad = 0;
			for (size_t i = (size_t)w; i < n && !bad; i += SIGN_WORKERS)
				bad = sign_one(dir, &z[i]) != 0;
			fflush(NULL);
			_exit(bad ? 1 : 0); /* no atexit work: the parent owns the process's state */
		}
	}
	int failed = 0;
	for (int w = 0; w < nw; w++) {
		int st = 0;
		while (waitpid(pid[w], &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	}
	if (failed)
		return dw_error_set(err, DW_E_TOOL, "signing zones failed (see the message above)");
	return 0;
}

/* Append the DS of every zone in CHILDREN whose parent is PARENT to the zone
 * file PARENT_FILE (RFC 4035 5: the DS sits in the parent, at the cut). */
static int sign_add_ds(const char *dir, const struct sign_zone *children, size_t n,
		       const char *parent, const char *parent_file, struct dw_error *err)
{
	FILE *out = fopen(parent_file, "ae");
	if (!out)
		return dw_error_errno(err, "open %s", parent_file);
	for (size_t i = 0; i < n; i++) {
		const char *dot = strchr(children[i].origin, '.');
		const char *p = dot && dot[1] ? dot + 1 : ".";
		if (strcmp(children[i].origin, ".") == 0 || strcmp(p, parent) != 0)
			continue;
		char path[600], line[512];
		sign_ds_path(dir, children[i].origin, path, sizeof path);
		FILE *in = fopen(path, "re");
		if (!in) {
			dw_error_errno(err, "open %s", path);
			fclose(out);
			return -1;
		}
		for (int k = 0; k < 16 && fgets(line, sizeof line, in); k++)
			fputs(line, out);
		fclose(in);
	}
	int bad = ferror(out);
	if (fclose(out) != 0 || bad)
		return dw_error_set(err, DW_E_IO, "write %s: %s", parent_file,
				    strerror(errno ? errno : EIO));
	return 0;
}

int lab_sign_zones(const char *dir, const struct lab_pop *pop, struct dw_error *err)
{
	char keys[512];
	snprintf(keys, sizeof keys, "%s/keys", dir);
	if (mkdir(keys, 0700) != 0 && errno != EEXIST)
		return dw_error_errno(err, "mkdir %s", keys);
	struct sign_zone *z = calloc(pop->nzones + 1, sizeof *z);
	struct sign_zone tld[LAB_TLD_COUNT], root;
	if (!z)
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	int rc = -1;
	/* 1. the generated zones, bottom of the tree */
	for (size_t i = 0; i < pop->nzones; i++) {
		snprintf(z[i].origin, sizeof z[i].origin, "%s", pop->zones[i].name);
		snprintf(z[i].file, sizeof z[i].file, "%s/zones/%.62szone", dir, pop->zones[i].name);
	}
	if (sign_batch(dir, z, pop->nzones, err) != 0)
		goto out;
	/* 2. the TLDs, each with its children's DS */
	for (int t = 0; t < LAB_TLD_COUNT; t++) {
		snprintf(tld[t].origin, sizeof tld[t].origin, "%s.", lab_tld_names[t]);
		snprintf(tld[t].file, sizeof tld[t].file, "%s/zones/%s.zone", dir, lab_tld_names[t]);
		if (sign_add_ds(dir, z, pop->nzones, tld[t].origin, tld[t].file, err) != 0)
			goto out;
	}
	if (sign_batch(dir, tld, LAB_TLD_COUNT, err) != 0)
		goto out;
	/* 3. the root, with the TLDs' DS */
	snprintf(root.origin, sizeof root.origin, ".");
	snprintf(root.file, sizeof root.file, "%s/zones/root.zone", dir);
	if (sign_add_ds(dir, tld, LAB_TLD_COUNT, ".", root.file, err) != 0 ||
	    sign_batch(dir, &root, 1, err) != 0)
		goto out;
	/* 4. the trust anchor: the root's DS, as unbound's trust-anchor-file
	 * reads it (unbound.conf(5)) */
	char from[600], to[600];
	sign_ds_path(dir, ".", from, sizeof from);
	snprintf(to, sizeof to, "%s/%s", dir, LAB_TRUST_ANCHOR);
	if (rename(from, to) != 0) {
		dw_error_errno(err, "rename %s", from);
		goto out;
	}
	rc = 0;
out:
	free(z);
	return rc;
}

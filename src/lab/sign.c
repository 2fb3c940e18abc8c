/* DNSSEC signing of the lab's zones with ldns-keygen and ldns-signzone (see sign.h). */
#include "lab/sign.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/proc.h"

#define SIGN_JOBS 4
#define SIGN_BASE_MAX 128

/* One zone to sign: its origin and zone file; its key's base name once made. */
struct sign_zone {
	char origin[LAB_POP_NAME_MAX];
	char file[512];
	char base[SIGN_BASE_MAX];
};

/* Run STEP (0 keygen, 1 signzone) for every zone in Z, SIGN_JOBS at a time. */
static int sign_run(const char *dir, struct sign_zone *z, size_t n, int step, char *err, size_t errcap)
{
	struct lab_proc p[SIGN_JOBS];
	size_t slot_zone[SIGN_JOBS];
	char keys[512];
	snprintf(keys, sizeof keys, "%s/keys", dir);
	size_t next = 0, done = 0;
	int used = 0, head = 0, failed = 0;
	while (done < n) {
		/* fill the pool */
		while (!failed && used < SIGN_JOBS && next < n) {
			int s = (head + used) % SIGN_JOBS;
			char e[512], out[SIGN_BASE_MAX + 512], keypath[700];
			(void)out;
			int r;
			if (step == 0) {
				const char *argv[] = {"ldns-keygen", "-a", "ECDSAP256SHA256", "-k",
						      z[next].origin, NULL};
				r = lab_proc_start_in(&p[s], NULL, keys, argv, 1, e, sizeof e);
			} else {
				snprintf(keypath, sizeof keypath, "%s/%s", keys, z[next].base);
				char signed_file[600];
				snprintf(signed_file, sizeof signed_file, "%s.signed", z[next].file);
				const char *argv[] = {"ldns-signzone", "-f", signed_file, z[next].file,
						      keypath, NULL};
				r = lab_proc_start_in(&p[s], NULL, NULL, argv, 1, e, sizeof e);
			}
			if (r != 0) {
				snprintf(err, errcap, "%s: %s", step ? "ldns-signzone" : "ldns-keygen", e);
				failed = 1;
				break;
			}
			slot_zone[s] = next++;
			used++;
		}
		if (used == 0)
			break;
		/* wait for the oldest: the jobs are alike, first in is about first out */
		char out[SIGN_BASE_MAX + 512], e[512];
		size_t zi = slot_zone[head];
		int st = lab_proc_wait(&p[head], 30000, out, sizeof out, e, sizeof e);
		head = (head + 1) % SIGN_JOBS;
		used--;
		done++;
		if (failed)
			continue;
		if (st != 0) {
			snprintf(err, errcap, "%s for %s failed (status %d): %s",
				 step ? "ldns-signzone" : "ldns-keygen", z[zi].origin, st, e);
			failed = 1;
			continue;
		}
		if (step == 0) {
			out[strcspn(out, "\n")] = '\0';
			if (!out[0] || strlen(out) >= SIGN_BASE_MAX || strchr(out, '/')) {
				snprintf(err, errcap, "ldns-keygen for %s printed no key name", z[zi].origin);
				failed = 1;
				continue;
			}
			memcpy(z[zi].base, out, strlen(out) + 1); /* length checked above */
		} else {
			char signed_file[600];
			snprintf(signed_file, sizeof signed_file, "%s.signed", z[zi].file);
			if (rename(signed_file, z[zi].file) != 0) {
				snprintf(err, errcap, "rename %s: %s", signed_file, strerror(errno));
				failed = 1;
			}
		}
	}
	return failed ? -1 : 0;
}

/* Append the DS file of every zone in CHILDREN whose parent is PARENT ("com."
 * or "." for the root) to the zone file PARENT_FILE. */
static int sign_add_ds(const char *dir, const struct sign_zone *children, size_t n, const char *parent,
		       const char *parent_file, char *err, size_t errcap)
{
	FILE *out = fopen(parent_file, "ae");
	if (!out) {
		snprintf(err, errcap, "open %s: %s", parent_file, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *dot = strchr(children[i].origin, '.');
		const char *p = dot && dot[1] ? dot + 1 : ".";
		if (strcmp(p, parent) != 0)
			continue;
		char path[700], line[512];
		snprintf(path, sizeof path, "%s/keys/%s.ds", dir, children[i].base);
		FILE *in = fopen(path, "re");
		if (!in) {
			snprintf(err, errcap, "open %s: %s", path, strerror(errno));
			fclose(out);
			return -1;
		}
		for (int k = 0; k < 16 && fgets(line, sizeof line, in); k++)
			fputs(line, out);
		fclose(in);
	}
	int bad = ferror(out);
	if (fclose(out) != 0 || bad) {
		snprintf(err, errcap, "write %s: %s", parent_file, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

int lab_sign_zones(const char *dir, const struct lab_pop *pop, char *err, size_t errcap)
{
	char keys[512];
	snprintf(keys, sizeof keys, "%s/keys", dir);
	if (mkdir(keys, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errcap, "mkdir %s: %s", keys, strerror(errno));
		return -1;
	}
	struct sign_zone *z = calloc(pop->nzones + 1, sizeof *z);
	struct sign_zone tld[LAB_TLD_COUNT + 1];
	if (!z) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	memset(tld, 0, sizeof tld);
	int rc = -1;
	/* 1. the generated zones */
	for (size_t i = 0; i < pop->nzones; i++) {
		snprintf(z[i].origin, sizeof z[i].origin, "%s", pop->zones[i].name);
		snprintf(z[i].file, sizeof z[i].file, "%s/zones/%.62szone", dir, pop->zones[i].name);
	}
	if (sign_run(dir, z, pop->nzones, 0, err, errcap) != 0 ||
	    sign_run(dir, z, pop->nzones, 1, err, errcap) != 0)
		goto out;
	/* 2. the TLDs, each with its children's DS */
	for (int t = 0; t < LAB_TLD_COUNT; t++) {
		snprintf(tld[t].origin, sizeof tld[t].origin, "%s.", lab_tld_names[t]);
		snprintf(tld[t].file, sizeof tld[t].file, "%s/zones/%s.zone", dir, lab_tld_names[t]);
		if (sign_add_ds(dir, z, pop->nzones, tld[t].origin, tld[t].file, err, errcap) != 0)
			goto out;
	}
	if (sign_run(dir, tld, LAB_TLD_COUNT, 0, err, errcap) != 0)
		goto out;
	/* the root zone itself: key first, TLD DS in, then sign both batches */
	struct sign_zone *root = &tld[LAB_TLD_COUNT];
	snprintf(root->origin, sizeof root->origin, ".");
	snprintf(root->file, sizeof root->file, "%s/zones/root.zone", dir);
	if (sign_run(dir, root, 1, 0, err, errcap) != 0 ||
	    sign_run(dir, tld, LAB_TLD_COUNT, 1, err, errcap) != 0 ||
	    sign_add_ds(dir, tld, LAB_TLD_COUNT, ".", root->file, err, errcap) != 0 ||
	    sign_run(dir, root, 1, 1, err, errcap) != 0)
		goto out;
	/* 3. the trust anchor: the root's DS, in the form unbound's
	 * trust-anchor-file reads (unbound.conf(5)) */
	char from[700], to[600], line[512];
	snprintf(from, sizeof from, "%s/keys/%s.ds", dir, root->base);
	snprintf(to, sizeof to, "%s/%s", dir, LAB_TRUST_ANCHOR);
	FILE *in = fopen(from, "re"), *out = fopen(to, "we");
	if (!in || !out) {
		snprintf(err, errcap, "write %s: %s", to, strerror(errno));
		if (in)
			fclose(in);
		if (out)
			fclose(out);
		goto out;
	}
	while (fgets(line, sizeof line, in))
		fputs(line, out);
	fclose(in);
	if (fclose(out) != 0) {
		snprintf(err, errcap, "write %s: %s", to, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(z);
	return rc;
}

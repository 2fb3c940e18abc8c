/* The panel of names watch samples (panel.h). */
#include "watch/panel.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "key/key.h"
#include "probe/names.h"
#include "util/hash.h"
#include "util/rand.h"
#include "wire/msg.h"

uint64_t panel_hash(const char *s)
{
	uint64_t h = HASH_FNV_OFFSET;
	for (; *s; s++) {
		h ^= (uint8_t)tolower((unsigned char)*s);
		h *= HASH_FNV_PRIME;
	}
	return h;
}

void panel_free(struct panel *p)
{
	free(p->all);
	free(p->cur);
	free(p->strata);
	memset(p, 0, sizeof *p);
}

/* Append TEXT (its zone ZONE and server SERVER, hashed) to P->all. 0, or
 * -1 out of memory. */
static int panel_append(struct panel *p, size_t *nall, size_t *allcap, const char *text,
			const char *zone, const char *server)
{
	size_t nl = strlen(text);
	if (*nall == *allcap) {
		size_t nc = *allcap ? *allcap * 2 : 1024;
		struct panel_name *na = realloc(p->all, nc * sizeof *na);
		if (!na)
			return -1;
		p->all = na;
		*allcap = nc;
	}
	struct panel_name *pn = &p->all[(*nall)++];
	memcpy(pn->text, text, nl + 1);
	/* The TLD: the last label before the root's dot. */
	char *end = pn->text + nl - (nl && pn->text[nl - 1] == '.' ? 1 : 0), *dot = end;
	while (dot > pn->text && dot[-1] != '.')
		dot--;
	size_t tl = (size_t)(end - dot);
	if (tl >= sizeof pn->tld)
		tl = sizeof pn->tld - 1;
	for (size_t i = 0; i < tl; i++)
		pn->tld[i] = (char)tolower((unsigned char)dot[i]);
	pn->tld[tl] = '\0';
	pn->name = panel_hash(text);
	pn->zone = panel_hash(zone);
	pn->server = panel_hash(server);
	return 0;
}

/* Order of a name while the names are grouped by TLD: its TLD, then its
 * place in the shuffled order. */
struct placed {
	const char *tld;
	size_t pos;
};

static int by_tld_then_pos(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;
	int c = strcmp(x->tld, y->tld);
	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

static int by_pos(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/*
 * Group P->all (shuffled) into strata and give each its share of the panel.
 * A TLD whose share of the names would give it at least one place in the
 * panel is a stratum of its own; the rarer TLDs together make one more.
 * Each stratum's names stay in their shuffled order, contiguous in
 * P->all. Places: the stratum's share of SIZE rounded by largest remainder
 * (a stratum of 4.8% of the names holds 6 of 120 places in every panel,
 * where a plain random draw gives it anything from 1 to 12), the rare
 * TLDs' stratum at least one. 0, or -1 out of memory.
 */
static int panel_stratify(struct panel *p, size_t size)
{
	size_t n = p->nall;
	struct placed *o = malloc(n * sizeof *o);
	struct panel_name *grouped = malloc(n * sizeof *grouped);
	struct panel_stratum *st = calloc(n + 1, sizeof *st);
	if (!o || !grouped || !st) {
		free(o);
		free(grouped);
		free(st);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		o[i] = (struct placed){p->all[i].tld, i};
	qsort(o, n, sizeof *o, by_tld_then_pos);
	/* TLDs with a place of their own first, in TLD order; the rest kept
	 * aside (moved to the front of o, in o's order), then in shuffled
	 * order as one stratum. */
	size_t ns = 0, out = 0, nrare = 0;
	for (size_t a = 0, b; a < n; a = b) {
		for (b = a + 1; b < n && !strcmp(o[b].tld, o[a].tld); b++)
			;
		size_t c = b - a;
		if (c * size >= n) {
			st[ns++] = (struct panel_stratum){.start = out, .count = c};
			for (size_t k = a; k < b; k++)
				grouped[out++] = p->all[o[k].pos];
		} else {
			for (size_t k = a; k < b; k++)
				o[nrare++] = o[k];
		}
	}
	if (nrare) {
		qsort(o, nrare, sizeof *o, by_pos);
		st[ns++] = (struct panel_stratum){.start = out, .count = nrare};
		for (size_t k = 0; k < nrare; k++)
			grouped[out++] = p->all[o[k].pos];
	}
	free(o);
	/* Largest remainder: floors first, then one more place for the
	 * largest fractions (the earlier stratum on a tie). */
	size_t given = 0;
	for (size_t i = 0; i < ns; i++) {
		st[i].alloc = st[i].count * size / n;
		given += st[i].alloc;
	}
	while (given < size) {
		size_t best = ns;
		for (size_t i = 0; i < ns; i++)
			if (st[i].alloc < st[i].count &&
			    (best == ns || (st[i].count * size) % n > (st[best].count * size) % n))
				best = i;
		if (best == ns)
			break;
		st[best].alloc++;
		given++;
	}
	if (nrare && st[ns - 1].alloc == 0 && size > ns) {
		size_t big = 0;
		for (size_t i = 1; i < ns; i++)
			if (st[i].alloc > st[big].alloc)
				big = i;
		st[big].alloc--;
		st[ns - 1].alloc = 1;
	}
	for (size_t i = 0; i < ns; i++) {
		st[i].fresh = st[i].alloc < st[i].count ? st[i].alloc : 0;
		for (size_t k = 0; k < st[i].count; k++)
			grouped[st[i].start + k].stratum = (uint32_t)i;
	}
	free(p->all);
	p->all = grouped;
	p->strata = st;
	p->nstrata = ns;
	return 0;
}

/* Shuffle P->all (NALL names) with SEED, group it into strata and draw the
 * first panel: each stratum's first places, in an order shuffled again. */
static int panel_draw(struct panel *p, size_t nall, size_t size, double churn, uint64_t seed,
		      const char *path, struct dw_error *err)
{
	p->nall = nall;
	p->rng = seed;
	/* Fisher-Yates with the seed: the same panel for every vantage point. */
	for (size_t i = nall - 1; i > 0; i--) {
		size_t k = (size_t)(splitmix64(&p->rng) % (i + 1));
		struct panel_name t = p->all[i];
		p->all[i] = p->all[k];
		p->all[k] = t;
	}
	p->size = size && size < nall ? size : nall;
	p->cur = malloc(p->size * sizeof *p->cur);
	if (!p->cur || panel_stratify(p, p->size))
		return dw_error_set(err, DW_E_NOMEM, "%s: out of memory", path);
	size_t k = 0;
	for (size_t i = 0; i < p->nstrata; i++)
		for (size_t j = 0; j < p->strata[i].alloc && k < p->size; j++)
			p->cur[k++] = p->strata[i].start + j;
	p->size = k; /* == size: the places add up */
	for (size_t i = p->size - 1; i > 0; i--) {
		size_t r = (size_t)(splitmix64(&p->rng) % (i + 1));
		size_t t = p->cur[i];
		p->cur[i] = p->cur[r];
		p->cur[r] = t;
	}
	p->churn = churn < 0 ? 0 : churn > 1 ? 1 : churn;
	return 0;
}

int panel_load_names(struct panel *p, const char *path, size_t size, double churn, uint64_t seed,
		     struct dw_error *err)
{
	memset(p, 0, sizeof *p);
	FILE *in = fopen(path, "re");
	if (!in)
		return dw_error_errno(err, "%s", path);
	struct probe_names *rd = calloc(1, sizeof *rd);
	if (!rd) {
		fclose(in);
		return dw_error_set(err, DW_E_NOMEM, "%s: out of memory", path);
	}
	probe_names_init(rd, in, path);
	size_t nall = 0, allcap = 0;
	int rc = -1, more;
	uint8_t wire[WIRE_NAME_MAX];
	uint64_t line;
	while ((more = probe_names_next(rd, wire, &line, err)) == 1) {
		char text[WIRE_NAME_TEXT_MAX];
		wire_name_to_text(wire, text, sizeof text);
		if (strlen(text) >= sizeof p->all[0].text)
			continue; /* cannot be: probe_name_check bounds it */
		/* Without a key the zone and the server are not known: the
		 * last two labels stand for the zone (a registered domain, as
		 * most lists hold), and for its server too, so that unrelated
		 * names count as many zones on many servers. */
		const char *zone = text;
		int dots = 0;
		for (size_t i = strlen(text); i-- > 0;)
			if (text[i] == '.' && ++dots == 3) {
				zone = text + i + 1;
				break;
			}
		if (panel_append(p, &nall, &allcap, text, zone, zone)) {
			dw_error_set(err, DW_E_NOMEM, "%s: out of memory at line %llu", path,
				     (unsigned long long)line);
			goto out;
		}
	}
	if (more < 0)
		goto out; /* the reader said why */
	p->skipped = rd->invalid;
	if (rd->invalid)
		snprintf(p->skipped_first, sizeof p->skipped_first, "%.158s", rd->first_invalid.text);
	if (nall == 0) {
		dw_error_set(err, DW_E_NOT_FOUND, "%s: no names in the list", path);
		goto out;
	}
	rc = panel_draw(p, nall, size, churn, seed, path, err);
out:
	probe_names_free(rd);
	free(rd);
	fclose(in);
	if (rc)
		panel_free(p);
	return rc;
}

int panel_load(struct panel *p, const char *path, size_t size, double churn, uint64_t seed,
	       struct dw_error *err)
{
	memset(p, 0, sizeof *p);
	struct key_reader kr;
	struct key_row row;
	if (key_open(&kr, path, err))
		return -1;
	size_t nall = 0, allcap = 0;
	int rc = -1, more;
	while ((more = key_next(&kr, &row, err)) == 1) {
		if (row.columns < 6) {
			dw_error_at(err, DW_E_SYNTAX, path, row.line,
				    "%d fields, the key has 6 (name type addresses zone server ttl)", row.columns);
			goto out;
		}
		if (row.type != WIRE_T_A)
			continue;
		/* Only names the prober asks (the rule `dnswatch probe` applies
		 * to its input); the wire form is made again when the name is
		 * asked (panel_name_wire), so it must exist. */
		uint8_t wire[WIRE_NAME_MAX];
		const char *bad = probe_name_check(row.name, wire);
		if (bad) {
			if (!p->skipped++)
				snprintf(p->skipped_first, sizeof p->skipped_first, "%s:%lu: '%.60s': %s",
					 path, row.line, row.name, bad);
			continue;
		}
		size_t nl = strlen(row.name);
		if (nl >= sizeof p->all[0].text) {
			dw_error_at(err, DW_E_TOO_LARGE, path, row.line, "a name of %zu bytes", nl);
			goto out;
		}
		if (panel_append(p, &nall, &allcap, row.name, row.zone, row.server)) {
			dw_error_set(err, DW_E_NOMEM, "%s: out of memory at line %lu", path, row.line);
			goto out;
		}
	}
	if (more < 0)
		goto out; /* key_next said why */
	if (nall == 0) {
		dw_error_set(err, DW_E_NOT_FOUND, "%s: no A names in the key", path);
		goto out;
	}
	rc = panel_draw(p, nall, size, churn, seed, path, err);
out:
	key_close(&kr);
	if (rc)
		panel_free(p);
	return rc;
}

const struct panel_name *panel_at(struct panel *p, uint64_t seq)
{
	uint64_t round = seq / p->size;
	/* Rounds gone by since the last call: swap in fresh names for each. */
	while (p->rounds_done < round) {
		p->rounds_done++;
		size_t k = p->size < p->nall ? (size_t)(p->churn * (double)p->size + 0.5) : 0;
		for (size_t i = 0; i < k; i++) {
			/* A place keeps its stratum: the fresh name is the next
			 * of the same TLD (or of the rare TLDs). */
			size_t pos = (size_t)(splitmix64(&p->rng) % p->size);
			struct panel_stratum *st = &p->strata[p->all[p->cur[pos]].stratum];
			if (st->count <= st->alloc)
				continue; /* all of it is in the panel */
			p->cur[pos] = st->start + st->fresh;
			st->fresh = (st->fresh + 1) % st->count;
		}
	}
	return &p->all[p->cur[seq % p->size]];
}

enum dw_status panel_name_wire(const struct panel_name *pn, uint8_t wire[WIRE_NAME_MAX])
{
	size_t len;
	enum dw_status st = wire_name_from_text(pn->text, wire, &len);
	if (st != DW_OK)
		wire[0] = 0xff; /* never the root's empty label: "." is a valid name */
	return st;
}

/* A `dnswatch locate --json` line into struct report_locate (see locate_json.h). */
#include "report/locate_json.h"

#include <stdlib.h>
#include <string.h>

#include "util/json_read.h"

/* A copy of V's text, or NULL if V is not a string; *OOM set if the copy failed. */
static char *text_of(const json_t *v, bool *oom)
{
	const char *s = json_string_value(v);
	if (!s)
		return NULL;
	char *c = strdup(s);
	*oom |= !c;
	return c;
}

/* Zeroed room for the items of array A into *N (none if A is not one). */
static void *items(const json_t *a, size_t size, size_t *n, bool *oom)
{
	*n = json_array_size(a);
	void *p = *n ? calloc(*n, size) : NULL;
	if (*n && !p) {
		*n = 0;
		*oom = true;
	}
	return p;
}

int report_locate_parse(const char *text, size_t len, struct report_locate *loc,
			struct dw_error *err)
{
	memset(loc, 0, sizeof *loc);
	loc->hop = -1;
	json_t *v = dw_json_read(text, len, REPORT_LOCATE_DEPTH, err);
	if (!v)
		return dw_error_prefix(err, "not JSON");
	if (!json_object_get(v, "hops")) {
		json_decref(v);
		return dw_error_set(err, DW_E_SYNTAX, "not a `dnswatch locate --json` object");
	}
	bool oom = false;
	loc->name = text_of(json_object_get(v, "name"), &oom);
	loc->target = text_of(json_object_get(v, "target"), &oom);
	loc->hop = (int)dw_json_int(json_object_get(v, "hop"), 1, 255, -1);
	loc->hop_tentative = json_is_true(json_object_get(v, "hop_tentative"));
	loc->untrusted_mirroring = json_is_true(json_object_get(v, "untrusted_mirroring"));

	const json_t *hops = json_object_get(v, "hops");
	loc->hops = items(hops, sizeof *loc->hops, &loc->nhops, &oom);
	for (size_t i = 0; i < loc->nhops; i++) {
		const json_t *x = json_array_get(hops, i);
		struct report_hop *h = &loc->hops[i];
		h->ttl = (int)dw_json_int(json_object_get(x, "ttl"), 0, 255, 0);
		h->router = text_of(json_object_get(x, "router"), &oom);
		h->target_reached = json_is_true(json_object_get(x, "target_reached"));
		h->replies = json_number_value(json_object_get(x, "replies"));
	}
	const json_t *inj = json_object_get(v, "injectors");
	loc->injectors = items(inj, sizeof *loc->injectors, &loc->ninjectors, &oom);
	for (size_t i = 0; i < loc->ninjectors; i++) {
		const json_t *x = json_array_get(inj, i);
		struct report_injector *g = &loc->injectors[i];
		g->flags = (unsigned)dw_json_int(json_object_get(x, "flags"), 0, 0xffff, 0);
		g->df = json_is_true(json_object_get(x, "df"));
		g->ipid_zero = json_is_true(json_object_get(x, "ipid_zero"));
		g->mirrors_ttl = json_is_true(json_object_get(x, "mirrors_ttl"));
		g->answer = text_of(json_object_get(x, "answer"), &oom);
		g->replies = json_number_value(json_object_get(x, "replies"));
		g->first_ttl = json_number_value(json_object_get(x, "first_ttl"));
	}
	json_decref(v);
	if (oom) {
		report_locate_free(loc);
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	}
	return 0;
}

void report_locate_free(struct report_locate *loc)
{
	for (size_t i = 0; i < loc->nhops; i++)
		free(loc->hops[i].router);
	for (size_t i = 0; i < loc->ninjectors; i++)
		free(loc->injectors[i].answer);
	free(loc->hops);
	free(loc->injectors);
	free(loc->name);
	free(loc->target);
	memset(loc, 0, sizeof *loc);
	loc->hop = -1;
}

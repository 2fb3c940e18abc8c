/*
 * Filling the classifier's control and forged set from outside: the lab's
 * answer key, an earlier run's NDJSON (ours, or zdns's output), and live
 * control results (see classify.h). Only public classify_* calls are used here.
 */
#include "probe/classify.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "key/key.h"
#include "util/file.h"
#include "util/json_read.h"
#include "wire/msg.h"
#include "wire/name.h"

/* A longer line is refused: read past, never held whole (util_line_read). */
#define LINE_MAX_LEN (1u << 20)

/* The rcode S names, as wire_rcode_name writes it: a name (all below 17)
 * or RCODEn (n < 4096). Every line of an answer key with addresses asks
 * this first: no formatting of 4096 names per line (that was seconds of
 * watch's start-up for the lab's key under ASan). */
static bool rcode_from_name(const char *s, uint16_t *rcode)
{
	char b[16];
	for (unsigned i = 0; i <= 16; i++)
		if (!strcmp(wire_rcode_name(i, b, sizeof b), s)) {
			*rcode = (uint16_t)i;
			return true;
		}
	if (strncmp(s, "RCODE", 5))
		return false;
	size_t nd = strspn(s + 5, "0123456789");
	if (!nd || nd > 4 || s[5 + nd])
		return false;
	unsigned long v = strtoul(s + 5, NULL, 10);
	/* exactly as written for it: no leading zero, not a named one */
	if (v >= 4096 || strcmp(wire_rcode_name((unsigned)v, b, sizeof b), s))
		return false;
	*rcode = (uint16_t)v;
	return true;
}

/* Parse an address of FAMILY (0: either) into A. */
static bool addr_parse(const char *s, int family, struct probe_addr *a)
{
	memset(a, 0, sizeof *a);
	if ((family == 0 || family == AF_INET) && inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = AF_INET;
		return true;
	}
	if ((family == 0 || family == AF_INET6) && inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

/* ---- live control ------------------------------------------------------------ */

int classify_control_observe(struct classify *c, const struct probe_result *r)
{
	return classify_control_observe_from(c, r, 0);
}

int classify_control_observe_from(struct classify *c, const struct probe_result *r, uint8_t origin)
{
	return classify_control_from_result(c, r, CLASSIFY_SRC_LIVE, origin);
}

/* ---- the answer key ---------------------------------------------------------- */

long classify_control_load_key(struct classify *c, const char *path, struct dw_error *err)
{
	struct key_reader kr;
	struct key_row row;
	struct dw_error e;
	dw_error_clear(&e);
	if (key_open(&kr, path, err))
		return -1;
	long loaded = 0;
	int rc;
	while ((rc = key_next(&kr, &row, &e)) == 1) {
		if (row.name_status != DW_OK) {
			rc = dw_error_at(&e, DW_E_SYNTAX, path, row.line, "bad name '%.40s'", row.name);
			break;
		}
		struct classify_control ctl;
		memset(&ctl, 0, sizeof ctl);
		ctl.source = CLASSIFY_SRC_KEY;
		if (!row.answer[0] || !strcmp(row.answer, "-")) {
			ctl.expect = CLASSIFY_EXPECT_NODATA;
		} else if (rcode_from_name(row.answer, &ctl.rcode)) {
			ctl.expect = ctl.rcode == WIRE_RCODE_NOERROR ? CLASSIFY_EXPECT_NODATA
								     : CLASSIFY_EXPECT_RCODE;
		} else {
			ctl.expect = CLASSIFY_EXPECT_ADDRS;
			int fam = row.type == WIRE_T_A ? AF_INET : row.type == WIRE_T_AAAA ? AF_INET6 : 0;
			char *s2 = NULL;
			for (char *a = strtok_r(row.answer, ",", &s2); a;
			     a = strtok_r(NULL, ",", &s2)) {
				struct probe_addr pa;
				if (!addr_parse(a, fam, &pa)) {
					rc = dw_error_at(&e, DW_E_SYNTAX, path, row.line, "bad %s address '%.46s'",
							 row.type_text, a);
					break;
				}
				if (ctl.naddrs < CLASSIFY_CONTROL_ADDRS_MAX)
					ctl.addrs[ctl.naddrs++] = pa;
				else
					ctl.overflow = true;
			}
			if (rc < 0)
				break;
			if (!ctl.naddrs) {
				rc = dw_error_at(&e, DW_E_SYNTAX, path, row.line, "no address");
				break;
			}
		}
		if (classify_control_add(c, row.wire, row.type, &ctl) ||
		    classify_control_complete(c, row.wire, CLASSIFY_SRC_KEY)) {
			rc = dw_error_at(&e, DW_E_TOO_LARGE, path, row.line, "control table full");
			break;
		}
		loaded++;
	}
	key_close(&kr);
	if (rc < 0) {
		if (err)
			*err = e;
		return -1;
	}
	return loaded;
}

/* ---- an earlier run's NDJSON ------------------------------------------------ */

#define NDJSON_DEPTH_MAX 16 /* the store writes 4 levels; deeper is not ours */

/* A stored reply that is usable: parsed, a response to our question. */
static bool reply_usable(const json_t *rep)
{
	return json_is_true(json_object_get(rep, "parsed")) &&
	       json_is_true(json_object_get(rep, "question_match"));
}

/* The stored reply's rcode and addresses. */
static bool reply_answer(const json_t *rep, uint16_t *rcode, struct classify_control *ctl)
{
	const char *rc = json_string_value(json_object_get(rep, "rcode"));
	if (!rc || !rcode_from_name(rc, rcode))
		return false;
	const json_t *ans = json_object_get(rep, "answers");
	for (size_t k = 0; k < json_array_size(ans); k++) {
		const char *a = json_string_value(json_object_get(json_array_get(ans, k), "addr"));
		struct probe_addr pa;
		if (!a || !addr_parse(a, 0, &pa))
			continue;
		if (ctl->naddrs < CLASSIFY_CONTROL_ADDRS_MAX)
			ctl->addrs[ctl->naddrs++] = pa;
		else
			ctl->overflow = true;
	}
	return true;
}

/* Use one result line; 1 if something was taken, 0 if not, -1 if full. */
static int ndjson_result(struct classify *c, const json_t *root, unsigned what)
{
	const char *nm = json_string_value(json_object_get(root, "name")),
		   *qt = json_string_value(json_object_get(root, "qtype")),
		   *vd = json_string_value(json_object_get(root, "verdict"));
	const json_t *reps = json_object_get(root, "replies");
	uint8_t name[WIRE_NAME_MAX];
	size_t nl;
	uint16_t qtype;
	enum probe_verdict v;
	if (!nm || !qt || !vd || !json_is_array(reps) || wire_name_from_text(nm, name, &nl) != DW_OK ||
	    !wire_type_from_name(qt, &qtype) || !probe_verdict_from_name(vd, &v))
		return 0;

	if ((what & CLASSIFY_LOAD_CONTROL) && v == VERDICT_OK) {
		const json_t *last = NULL;
		for (size_t k = 0; k < json_array_size(reps); k++)
			if (reply_usable(json_array_get(reps, k)))
				last = json_array_get(reps, k);
		struct classify_control ctl;
		memset(&ctl, 0, sizeof ctl);
		ctl.source = CLASSIFY_SRC_RUN;
		uint16_t rcode;
		if (!last || !reply_answer(last, &rcode, &ctl))
			return 0;
		if (rcode != WIRE_RCODE_NOERROR) {
			ctl.expect = CLASSIFY_EXPECT_RCODE;
			ctl.rcode = rcode;
			ctl.naddrs = 0;
		} else {
			ctl.expect = ctl.naddrs ? CLASSIFY_EXPECT_ADDRS : CLASSIFY_EXPECT_NODATA;
		}
		return classify_control_add(c, name, qtype, &ctl) ? -1 : 1;
	}
	if ((what & CLASSIFY_LOAD_FORGED) && (v == VERDICT_INJECTED || v == VERDICT_POISONED)) {
		long fr = dw_json_int(json_object_get(root, "forged_reply"), 0, PROBE_REPLIES_MAX - 1, -1);
		const json_t *rep = fr >= 0 ? json_array_get(reps, (size_t)fr) : NULL;
		struct classify_control ctl;
		memset(&ctl, 0, sizeof ctl);
		uint16_t rcode;
		if (!rep || !reply_answer(rep, &rcode, &ctl))
			return 0;
		int taken = 0;
		for (unsigned i = 0; i < ctl.naddrs; i++) {
			if (classify_forged_add(c, ctl.addrs[i].family, ctl.addrs[i].addr, -1) < 0)
				return -1;
			taken = 1;
		}
		if (rcode == WIRE_RCODE_NXDOMAIN && !ctl.naddrs) {
			if (classify_forged_name_add(c, name, -1) < 0)
				return -1;
			taken = 1;
		}
		return taken;
	}
	return 0;
}

/* ---- zdns's NDJSON ------------------------------------------------------------ */

/*
 * zdns (github.com/zmap/zdns) writes one JSON object a name: "name" (as
 * given), and either, since its 2.0, "results" with one member per module
 * ("A", "AAAA", "ALOOKUP", ...) each holding "status" and "data", or, in
 * 1.x, "status" and "data" at the top. "data.answers" lists records with
 * "type" and "answer" (an address for A and AAAA); ALOOKUP's data has
 * "ipv4_addresses" and "ipv6_addresses" instead. A status of NOERROR gives
 * the addresses (none: NODATA), NXDOMAIN the rcode; any other (TIMEOUT,
 * SERVFAIL, ...) says nothing about the name and is skipped.
 */

/* Whether ROOT is a zdns result line rather than one of ours. */
static bool zdns_line(const json_t *root)
{
	return json_is_string(json_object_get(root, "name")) && !json_object_get(root, "verdict") &&
	       (json_is_object(json_object_get(root, "results")) ||
		json_is_string(json_object_get(root, "status")));
}

/* The addresses of FAMILY in DATA (answers of TYPE, or an ALOOKUP list)
 * into CTL. */
static void zdns_addrs(const json_t *data, const char *type, int family, struct classify_control *ctl)
{
	const json_t *ans = json_object_get(data, "answers");
	for (size_t k = 0; k < json_array_size(ans); k++) {
		const json_t *a = json_array_get(ans, k);
		const char *t = json_string_value(json_object_get(a, "type")),
			   *v = json_string_value(json_object_get(a, "answer"));
		struct probe_addr pa;
		if (!t || !v || strcmp(t, type) || !addr_parse(v, family, &pa))
			continue;
		if (ctl->naddrs < CLASSIFY_CONTROL_ADDRS_MAX)
			ctl->addrs[ctl->naddrs++] = pa;
		else
			ctl->overflow = true;
	}
	const json_t *list = json_object_get(data, family == AF_INET ? "ipv4_addresses" : "ipv6_addresses");
	for (size_t k = 0; k < json_array_size(list); k++) {
		const char *v = json_string_value(json_array_get(list, k));
		struct probe_addr pa;
		if (!v || !addr_parse(v, family, &pa))
			continue;
		if (ctl->naddrs < CLASSIFY_CONTROL_ADDRS_MAX)
			ctl->addrs[ctl->naddrs++] = pa;
		else
			ctl->overflow = true;
	}
}

/* One lookup's STATUS and DATA as the control for (NAME, QTYPE). With
 * TYPED false (zdns 1.x, no module named), a NOERROR without addresses
 * says nothing: the type asked is not known. 1 if taken, 0 if not, -1 if
 * the table is full. */
static int zdns_control(struct classify *c, const uint8_t *name, uint16_t qtype, const char *status,
			const json_t *data, bool typed)
{
	struct classify_control ctl;
	memset(&ctl, 0, sizeof ctl);
	ctl.source = CLASSIFY_SRC_RUN;
	if (!strcmp(status, "NXDOMAIN")) {
		ctl.expect = CLASSIFY_EXPECT_RCODE;
		ctl.rcode = WIRE_RCODE_NXDOMAIN;
	} else if (!strcmp(status, "NOERROR")) {
		zdns_addrs(data, qtype == WIRE_T_A ? "A" : "AAAA", qtype == WIRE_T_A ? AF_INET : AF_INET6,
			   &ctl);
		if (!ctl.naddrs && !typed)
			return 0;
		ctl.expect = ctl.naddrs ? CLASSIFY_EXPECT_ADDRS : CLASSIFY_EXPECT_NODATA;
	} else {
		return 0;
	}
	return classify_control_add(c, name, qtype, &ctl) ? -1 : 1;
}

/* One zdns line: the number of controls taken, or -1 if the table is full. */
static int zdns_result(struct classify *c, const json_t *root)
{
	uint8_t name[WIRE_NAME_MAX];
	size_t nl;
	const char *nm = json_string_value(json_object_get(root, "name"));
	if (!nm || wire_name_from_text(nm, name, &nl) != DW_OK)
		return 0;
	static const uint16_t both[] = {WIRE_T_A, WIRE_T_AAAA};
	int taken = 0, k;
	const json_t *results = json_object_get(root, "results");
	if (json_is_object(results)) {
		const char *module;
		const json_t *r;
		json_object_foreach((json_t *)(uintptr_t)results, module, r) {
			const char *st = json_string_value(json_object_get(r, "status"));
			const json_t *data = json_object_get(r, "data");
			uint16_t qt;
			if (!st)
				continue;
			if (!strcmp(module, "A") || !strcmp(module, "AAAA")) {
				qt = module[1] ? WIRE_T_AAAA : WIRE_T_A;
				if ((k = zdns_control(c, name, qt, st, data, true)) < 0)
					return -1;
				taken += k;
			} else if (!strcmp(module, "ALOOKUP")) {
				for (int i = 0; i < 2; i++) {
					if ((k = zdns_control(c, name, both[i], st, data, false)) < 0)
						return -1;
					taken += k;
				}
			}
		}
		return taken;
	}
	const char *st = json_string_value(json_object_get(root, "status"));
	for (int i = 0; st && i < 2; i++) {
		if ((k = zdns_control(c, name, both[i], st, json_object_get(root, "data"), false)) < 0)
			return -1;
		taken += k;
	}
	return taken;
}

long classify_load_ndjson(struct classify *c, const char *path, unsigned what,
			  struct dw_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return dw_error_errno(err, "%s", path);
	char *line = NULL;
	size_t cap = 0, len;
	unsigned long lineno = 0;
	long used = 0;
	struct dw_error e;
	dw_error_clear(&e);
	int rc;
	/* Every failure below fills E with its own status and reason; the
	 * line's place goes in front. */
	while ((rc = util_line_read(f, &line, &cap, &len, LINE_MAX_LEN, &e)) != 0) {
		lineno++;
		if (rc < 0)
			break;
		if (strspn(line, " \t\r\n") == len)
			continue;
		json_t *root = dw_json_read(line, len, NDJSON_DEPTH_MAX, &e);
		if (!root) {
			rc = -1;
			break;
		}
		/* Each line is ours or zdns's, told by its members. */
		int k = zdns_line(root) ? ((what & CLASSIFY_LOAD_CONTROL) ? zdns_result(c, root) : 0)
					: ndjson_result(c, root, what);
		json_decref(root);
		if (k < 0) {
			rc = dw_error_set(&e, DW_E_TOO_LARGE, "table full");
			break;
		}
		used += k;
	}
	free(line);
	fclose(f);
	if (rc < 0) {
		dw_error_prefix(&e, "%s:%lu", path, lineno);
		if (err)
			*err = e;
		return -1;
	}
	return used;
}

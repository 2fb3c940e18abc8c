/*
 * Filling the classifier's control and forged set from outside: the lab's
 * answer key, an earlier run's NDJSON, and live control results (see
 * classify.h). Only public classify_* calls are used here.
 */
#include "probe/classify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "key/key.h"
#include "wire/msg.h"
#include "wire/name.h"

#define LINE_MAX_LEN (1u << 20) /* a longer line is refused, not read whole */

static bool rcode_from_name(const char *s, uint16_t *rcode)
{
	char b[16];
	for (unsigned i = 0; i < 4096; i++)
		if (!strcmp(wire_rcode_name(i, b, sizeof b), s)) {
			*rcode = (uint16_t)i;
			return true;
		}
	return false;
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
	unsigned n = r->nreplies <= PROBE_REPLIES_MAX ? r->nreplies : PROBE_REPLIES_MAX;
	const struct probe_reply *p = NULL;
	/* The last usable reply: a control vantage point sees no injection,
	 * and if it did, the real answer is the later one. */
	for (unsigned i = 0; i < n; i++) {
		const struct probe_reply *q = &r->reply[i];
		if (!q->parsed || !q->question_match || !(q->flags & WIRE_FLAG_QR) ||
		    WIRE_OPCODE(q->flags) != 0 || ((q->flags & WIRE_FLAG_TC) && !q->ancount))
			continue;
		bool forged = classify_fp_group(c, q) >= 0;
		unsigned k = q->naddrs <= PROBE_ADDRS_MAX ? q->naddrs : PROBE_ADDRS_MAX;
		for (unsigned a = 0; a < k && !forged; a++)
			forged = classify_forged_has(c, q->addrs[a].family, q->addrs[a].addr, NULL);
		if (!forged)
			p = q;
	}
	if (!p)
		return 0;
	struct classify_control ctl;
	memset(&ctl, 0, sizeof ctl);
	ctl.source = CLASSIFY_SRC_LIVE;
	if (p->rcode != WIRE_RCODE_NOERROR) {
		ctl.expect = CLASSIFY_EXPECT_RCODE;
		ctl.rcode = p->rcode;
	} else if (!p->naddrs) {
		ctl.expect = CLASSIFY_EXPECT_NODATA;
	} else {
		ctl.expect = CLASSIFY_EXPECT_ADDRS;
		unsigned k = p->naddrs <= PROBE_ADDRS_MAX ? p->naddrs : PROBE_ADDRS_MAX;
		for (unsigned i = 0; i < k && i < CLASSIFY_CONTROL_ADDRS_MAX; i++)
			ctl.addrs[ctl.naddrs++] = p->addrs[i];
		ctl.overflow = p->ancount > PROBE_ADDRS_MAX + p->ncnames;
	}
	return classify_control_add(c, r->qname, r->qtype, &ctl) ? -1 : 1;
}

/* ---- line reading ------------------------------------------------------------ */

/* Next line of F into *BUF (NUL-terminated, newline stripped); 1, 0 at the
 * end, -1 on a read error or a line longer than LINE_MAX_LEN. */
static int next_line(FILE *f, char **buf, size_t *cap, const char **why)
{
	errno = 0;
	ssize_t n = getline(buf, cap, f);
	if (n < 0) {
		if (ferror(f)) {
			*why = strerror(errno ? errno : EIO);
			return -1;
		}
		return 0;
	}
	if ((size_t)n > LINE_MAX_LEN) {
		*why = "line too long";
		return -1;
	}
	while (n > 0 && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
		(*buf)[--n] = '\0';
	return 1;
}

/* ---- the answer key ---------------------------------------------------------- */

long classify_control_load_key(struct classify *c, const char *path, char *err, size_t errcap)
{
	struct key_reader kr;
	struct key_row row;
	struct dw_error e;
	dw_error_clear(&e);
	if (key_open(&kr, path, &e)) {
		snprintf(err, errcap, "%s", e.text);
		return -1;
	}
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
		snprintf(err, errcap, "%s", e.text);
		return -1;
	}
	return loaded;
}

/* ---- a small JSON reader for NDJSON lines ------------------------------------ */

/*
 * One line is parsed into a bounded node pool (no allocation); strings are
 * unescaped in place. Enough of RFC 8259 for what the store writes, and it
 * refuses what it does not understand rather than guessing.
 */
enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

#define JNODES_MAX 2048
#define JDEPTH_MAX 16

struct jnode {
	enum jtype type;
	const char *key; /* member name inside an object */
	const char *str; /* J_STR */
	double num;      /* J_NUM, J_BOOL */
	int child, next; /* first child, next sibling; -1 */
};

struct jparse {
	char *p;
	struct jnode node[JNODES_MAX];
	int n;
	const char *err;
};

static void jws(struct jparse *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n')
		j->p++;
}

/* Unescape the string at j->p (after the quote) in place. */
static const char *jstring(struct jparse *j)
{
	char *out = j->p, *s = j->p, *start = j->p;
	for (;;) {
		unsigned char ch = (unsigned char)*s;
		if (!ch || ch < 0x20) {
			j->err = "unterminated string";
			return NULL;
		}
		if (ch == '"')
			break;
		if (ch != '\\') {
			*out++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case '"': case '\\': case '/': *out++ = *s; break;
		case 'b': *out++ = '\b'; break;
		case 'f': *out++ = '\f'; break;
		case 'n': *out++ = '\n'; break;
		case 'r': *out++ = '\r'; break;
		case 't': *out++ = '\t'; break;
		case 'u': {
			unsigned v = 0;
			for (int k = 1; k <= 4; k++) {
				char h = s[k];
				v <<= 4;
				if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
				else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
				else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
				else {
					j->err = "bad \\u escape";
					return NULL;
				}
			}
			/* The store escapes only bytes (\u00XX); others become '?'. */
			*out++ = v < 0x100 ? (char)v : '?';
			s += 4;
			break;
		}
		default:
			j->err = "bad escape";
			return NULL;
		}
		s++;
	}
	*out = '\0';
	j->p = s + 1;
	return start;
}

static int jvalue(struct jparse *j, int depth);

static int jnew(struct jparse *j, enum jtype t)
{
	if (j->n >= JNODES_MAX) {
		j->err = "too many JSON values";
		return -1;
	}
	struct jnode *nd = &j->node[j->n];
	memset(nd, 0, sizeof *nd);
	nd->type = t;
	nd->child = nd->next = -1;
	return j->n++;
}

static int jcontainer(struct jparse *j, int depth, bool obj)
{
	int me = jnew(j, obj ? J_OBJ : J_ARR);
	if (me < 0)
		return -1;
	j->p++;
	jws(j);
	char close = obj ? '}' : ']';
	if (*j->p == close) {
		j->p++;
		return me;
	}
	int last = -1;
	for (;;) {
		const char *key = NULL;
		jws(j);
		if (obj) {
			if (*j->p != '"') {
				j->err = "expected a member name";
				return -1;
			}
			j->p++;
			if (!(key = jstring(j)))
				return -1;
			jws(j);
			if (*j->p != ':') {
				j->err = "expected ':'";
				return -1;
			}
			j->p++;
		}
		int v = jvalue(j, depth + 1);
		if (v < 0)
			return -1;
		j->node[v].key = key;
		if (last < 0)
			j->node[me].child = v;
		else
			j->node[last].next = v;
		last = v;
		jws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == close) {
			j->p++;
			return me;
		}
		j->err = obj ? "expected ',' or '}'" : "expected ',' or ']'";
		return -1;
	}
}

static int jvalue(struct jparse *j, int depth)
{
	if (depth > JDEPTH_MAX) {
		j->err = "nested too deep";
		return -1;
	}
	jws(j);
	char ch = *j->p;
	if (ch == '{' || ch == '[')
		return jcontainer(j, depth, ch == '{');
	if (ch == '"') {
		int me = jnew(j, J_STR);
		if (me < 0)
			return -1;
		j->p++;
		const char *s = jstring(j);
		if (!s)
			return -1;
		j->node[me].str = s;
		return me;
	}
	static const struct { const char *w; enum jtype t; double v; } words[] = {
		{"null", J_NULL, 0}, {"true", J_BOOL, 1}, {"false", J_BOOL, 0}};
	for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
		if (!strncmp(j->p, words[k].w, strlen(words[k].w))) {
			int me = jnew(j, words[k].t);
			if (me < 0)
				return -1;
			j->node[me].num = words[k].v;
			j->p += strlen(words[k].w);
			return me;
		}
	if (ch == '-' || (ch >= '0' && ch <= '9')) {
		char *end;
		double v = strtod(j->p, &end);
		if (end == j->p) {
			j->err = "bad number";
			return -1;
		}
		int me = jnew(j, J_NUM);
		if (me < 0)
			return -1;
		j->node[me].num = v;
		j->p = end;
		return me;
	}
	j->err = "unexpected character";
	return -1;
}

static const struct jnode *jget(const struct jparse *j, const struct jnode *obj, const char *key)
{
	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (int k = obj->child; k >= 0; k = j->node[k].next)
		if (j->node[k].key && !strcmp(j->node[k].key, key))
			return &j->node[k];
	return NULL;
}

static const struct jnode *jat(const struct jparse *j, const struct jnode *arr, long idx)
{
	if (!arr || arr->type != J_ARR || idx < 0)
		return NULL;
	long i = 0;
	for (int k = arr->child; k >= 0; k = j->node[k].next, i++)
		if (i == idx)
			return &j->node[k];
	return NULL;
}

static bool jtrue(const struct jparse *j, const struct jnode *obj, const char *key)
{
	const struct jnode *n = jget(j, obj, key);
	return n && n->type == J_BOOL && n->num != 0;
}

/* A stored reply that is usable: parsed, a response to our question. */
static bool jreply_usable(const struct jparse *j, const struct jnode *rep)
{
	return rep && rep->type == J_OBJ && jtrue(j, rep, "parsed") && jtrue(j, rep, "question_match");
}

/* The stored reply's rcode and addresses. */
static bool jreply_answer(const struct jparse *j, const struct jnode *rep, uint16_t *rcode,
			  struct classify_control *ctl)
{
	const struct jnode *rc = jget(j, rep, "rcode");
	if (!rc || rc->type != J_STR || !rcode_from_name(rc->str, rcode))
		return false;
	const struct jnode *ans = jget(j, rep, "answers");
	if (ans && ans->type == J_ARR)
		for (int k = ans->child; k >= 0; k = j->node[k].next) {
			const struct jnode *a = jget(j, &j->node[k], "addr");
			struct probe_addr pa;
			if (!a || a->type != J_STR || !addr_parse(a->str, 0, &pa))
				continue;
			if (ctl->naddrs < CLASSIFY_CONTROL_ADDRS_MAX)
				ctl->addrs[ctl->naddrs++] = pa;
			else
				ctl->overflow = true;
		}
	return true;
}

/* Use one result line; 1 if something was taken, 0 if not, -1 if full. */
static int ndjson_result(struct classify *c, const struct jparse *j, const struct jnode *root,
			 unsigned what)
{
	const struct jnode *nm = jget(j, root, "name"), *qt = jget(j, root, "qtype"),
			   *vd = jget(j, root, "verdict"), *reps = jget(j, root, "replies");
	uint8_t name[WIRE_NAME_MAX];
	size_t nl;
	uint16_t qtype;
	enum probe_verdict v;
	if (!nm || nm->type != J_STR || !qt || qt->type != J_STR || !vd || vd->type != J_STR ||
	    !reps || reps->type != J_ARR || wire_name_from_text(nm->str, name, &nl) != DW_OK ||
	    !wire_type_from_name(qt->str, &qtype) || !probe_verdict_from_name(vd->str, &v))
		return 0;

	if ((what & CLASSIFY_LOAD_CONTROL) && v == VERDICT_OK) {
		const struct jnode *last = NULL;
		for (int k = reps->child; k >= 0; k = j->node[k].next)
			if (jreply_usable(j, &j->node[k]))
				last = &j->node[k];
		struct classify_control ctl;
		memset(&ctl, 0, sizeof ctl);
		ctl.source = CLASSIFY_SRC_RUN;
		uint16_t rcode;
		if (!last || !jreply_answer(j, last, &rcode, &ctl))
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
		const struct jnode *fr = jget(j, root, "forged_reply");
		/* range first: converting an out-of-range double is undefined */
		if (!fr || fr->type != J_NUM || !(fr->num >= 0 && fr->num < PROBE_REPLIES_MAX))
			return 0;
		const struct jnode *rep = jat(j, reps, (long)fr->num);
		struct classify_control ctl;
		memset(&ctl, 0, sizeof ctl);
		uint16_t rcode;
		if (!rep || !jreply_answer(j, rep, &rcode, &ctl))
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

long classify_load_ndjson(struct classify *c, const char *path, unsigned what, char *err,
			  size_t errcap)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct jparse *j = malloc(sizeof *j);
	if (!j) {
		fclose(f);
		snprintf(err, errcap, "%s: out of memory", path);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	long used = 0;
	const char *why = NULL;
	int rc;
	while ((rc = next_line(f, &line, &cap, &why)) == 1) {
		lineno++;
		j->p = line;
		j->n = 0;
		j->err = NULL;
		jws(j);
		if (!*j->p)
			continue;
		int root = jvalue(j, 0);
		if (root >= 0) {
			jws(j);
			if (*j->p)
				j->err = "text after the JSON value";
		}
		if (root < 0 || j->err) {
			why = j->err ? j->err : "bad JSON";
			break;
		}
		int k = ndjson_result(c, j, &j->node[root], what);
		if (k < 0) {
			why = "table full";
			break;
		}
		used += k;
	}
	free(line);
	free(j);
	fclose(f);
	if (why) {
		snprintf(err, errcap, "%s:%lu: %s", path, rc < 0 ? lineno + 1 : lineno, why);
		return -1;
	}
	return used;
}

/*
 * Differential test: every packet of tests/wire/corpus/ (written by
 * gen_corpus.py) is parsed by our codec and by libldns (ldns_wire2pkt), and
 * the two must agree.
 *
 *   ok_*      both accept; same id, every flag, opcode, rcode (extended too),
 *             counts, and for every record its owner (uncompressed wire form,
 *             byte for byte: case included), type, class, TTL and rdata
 *             (uncompressed wire form, and text for the types whose text
 *             forms coincide), and EDNS payload, version, flags (DO), ext
 *             rcode and each option.
 *   bad_*     both reject.
 *   strict_*  we reject and ldns accepts: a known difference, asserted so
 *             that it cannot change silently (see gen_corpus.py for each).
 *
 * Not compared, because ldns does not keep it: the header Z bit.
 */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "wire/build.h"
#include "wire/edns.h"
#include "wire/msg.h"
#include "wire/name.h"
#include "wire/rdata.h"

static struct wire_rr rrs[WIRE_RR_MAX];
static const char *cur_path;  /* the packet the current test reads */
static int n_ok, n_bad, n_strict, n_diff;

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("#   cannot open %s\n", path);
		CHECK(f != NULL);
		return 0;
	}
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* Our rdata in uncompressed wire form (names expanded). */
static size_t our_rdata_wire(const struct wire_msg *m, const struct wire_rr *rr, uint8_t *out)
{
	struct wire_rdata rd;
	size_t n = 0, l;
	wire_rdata_get(m, rr, &rd);
	if (rd.empty) /* RDLENGTH 0 (RFC 2136 2.4, 2.5): no rdata, whatever the type */
		return 0;
	switch (rr->type) {
	case WIRE_T_A:
		memcpy(out, rd.u.a, 4);
		return 4;
	case WIRE_T_AAAA:
		memcpy(out, rd.u.aaaa, 16);
		return 16;
	case WIRE_T_NS: case WIRE_T_CNAME: case WIRE_T_PTR:
		l = wire_name_len(rd.u.name, WIRE_NAME_MAX);
		memcpy(out, rd.u.name, l);
		return l;
	case WIRE_T_MX:
		out[n++] = (uint8_t)(rd.u.mx.pref >> 8);
		out[n++] = (uint8_t)rd.u.mx.pref;
		l = wire_name_len(rd.u.mx.exchange, WIRE_NAME_MAX);
		memcpy(out + n, rd.u.mx.exchange, l);
		return n + l;
	case WIRE_T_SOA: {
		l = wire_name_len(rd.u.soa.mname, WIRE_NAME_MAX);
		memcpy(out + n, rd.u.soa.mname, l);
		n += l;
		l = wire_name_len(rd.u.soa.rname, WIRE_NAME_MAX);
		memcpy(out + n, rd.u.soa.rname, l);
		n += l;
		const uint32_t v[5] = {rd.u.soa.serial, rd.u.soa.refresh, rd.u.soa.retry,
				       rd.u.soa.expire, rd.u.soa.minimum};
		for (int i = 0; i < 5; i++) {
			out[n++] = (uint8_t)(v[i] >> 24);
			out[n++] = (uint8_t)(v[i] >> 16);
			out[n++] = (uint8_t)(v[i] >> 8);
			out[n++] = (uint8_t)v[i];
		}
		return n;
	}
	default:
		memcpy(out, rd.raw, rd.rawlen);
		return rd.rawlen;
	}
}

/*
 * ldns's text of the rdata: its rdata fields joined by spaces, normalised
 * for the two differences in escaping (RFC 1035 5.1 allows both forms):
 * ldns writes a TAB inside a character-string as it is, we write \009 (no
 * raw control characters in a zone line); ldns writes a '"' inside a name
 * as it is, we write \" (as in a character-string).
 */
static void ldns_rdata_text(const ldns_rr *rr, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		const int dname = ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME;
		char *s = ldns_rdf2str(f);
		if (!s)
			continue;
		if (i && n + 1 < cap)
			out[n++] = ' ';
		for (const char *c = s; *c; c++) {
			char one[2] = {*c, 0};
			const char *piece = one;
			if (*c == '\t')
				piece = "\\009";
			else if (dname && *c == '"')
				piece = "\\\"";
			for (; *piece && n + 1 < cap; piece++)
				out[n++] = *piece;
		}
		out[n] = '\0';
		free(s);
	}
}

/* Types whose presentation forms are the same in ldns and here. */
static int same_text_form(uint16_t type)
{
	switch (type) {
	case WIRE_T_A: case WIRE_T_AAAA: case WIRE_T_NS: case WIRE_T_CNAME:
	case WIRE_T_PTR: case WIRE_T_MX: case WIRE_T_SOA: case WIRE_T_TXT:
		return 1;
	}
	return 0;
}

static void compare_rr(const struct wire_msg *m, const struct wire_rr *ours, const ldns_rr *theirs,
		       const char *where)
{
	int before = harness_failed_checks;
	uint8_t owner[WIRE_NAME_MAX];
	size_t ol = wire_msg_name(m, ours->owner_off, owner);
	const ldns_rdf *lo = ldns_rr_owner(theirs);
	CHECK(ol > 0);
	CHECK_EQ(ol, ldns_rdf_size(lo));
	if (ol == ldns_rdf_size(lo))
		CHECK_MEM(owner, ldns_rdf_data(lo), ol); /* case included */
	CHECK_EQ(ours->type, ldns_rr_get_type(theirs));
	CHECK_EQ(ours->class, ldns_rr_get_class(theirs));
	if (ours->section != WIRE_SEC_QUESTION) {
		CHECK_EQ(ours->ttl, ldns_rr_ttl(theirs));
		static uint8_t mine[WIRE_MSG_MAX];
		size_t ml = our_rdata_wire(m, ours, mine);
		ldns_buffer *b = ldns_buffer_new(WIRE_MSG_MAX);
		CHECK_EQ(ldns_rr_rdata2buffer_wire(b, theirs), LDNS_STATUS_OK);
		CHECK_EQ(ml, ldns_buffer_position(b));
		if (ml == ldns_buffer_position(b))
			CHECK_MEM(mine, ldns_buffer_begin(b), ml);
		ldns_buffer_free(b);
		if (same_text_form(ours->type)) {
			static char t1[WIRE_RDATA_TEXT_MAX], t2[WIRE_RDATA_TEXT_MAX];
			wire_rdata_to_text(m, ours, t1, sizeof t1);
			ldns_rdata_text(theirs, t2, sizeof t2);
			CHECK_STR(t1, t2);
		}
	}
	if (harness_failed_checks != before)
		printf("#     at %s\n", where);
}

static void compare(const struct wire_msg *m, const ldns_pkt *p)
{
	const uint16_t f = m->hdr.flags;
	CHECK_EQ(m->hdr.id, ldns_pkt_id(p));
	CHECK_EQ(!!(f & WIRE_FLAG_QR), ldns_pkt_qr(p));
	CHECK_EQ(!!(f & WIRE_FLAG_AA), ldns_pkt_aa(p));
	CHECK_EQ(!!(f & WIRE_FLAG_TC), ldns_pkt_tc(p));
	CHECK_EQ(!!(f & WIRE_FLAG_RD), ldns_pkt_rd(p));
	CHECK_EQ(!!(f & WIRE_FLAG_RA), ldns_pkt_ra(p));
	CHECK_EQ(!!(f & WIRE_FLAG_AD), ldns_pkt_ad(p));
	CHECK_EQ(!!(f & WIRE_FLAG_CD), ldns_pkt_cd(p));
	CHECK_EQ(WIRE_OPCODE(f), ldns_pkt_get_opcode(p));
	CHECK_EQ(WIRE_RCODE(f), ldns_pkt_get_rcode(p));

	/* EDNS: ldns takes the OPT record out of the additional section. */
	CHECK_EQ(m->edns.present, ldns_pkt_edns(p));
	if (m->edns.present) {
		CHECK_EQ(m->edns.payload, ldns_pkt_edns_udp_size(p));
		CHECK_EQ(m->edns.ext_rcode, ldns_pkt_edns_extended_rcode(p));
		CHECK_EQ(m->edns.version, ldns_pkt_edns_version(p));
		CHECK_EQ(m->edns.flags, ldns_pkt_edns_z(p));
		CHECK_EQ(!!(m->edns.flags & WIRE_EDNS_DO), ldns_pkt_edns_do(p));
		CHECK_EQ(wire_msg_rcode(m),
			 (unsigned)ldns_pkt_edns_extended_rcode(p) << 4 | ldns_pkt_get_rcode(p));
		const ldns_rdf *data = ldns_pkt_edns_data(p);
		CHECK_EQ(m->edns.options_len, data ? ldns_rdf_size(data) : 0);
		if (data && m->edns.options_len == ldns_rdf_size(data))
			CHECK_MEM(m->raw + m->edns.options_off, ldns_rdf_data(data),
				  m->edns.options_len);
		/* option by option */
		ldns_edns_option_list *ol = ldns_pkt_edns_get_option_list((ldns_pkt *)(uintptr_t)p);
		size_t pos = 0, k = 0;
		uint16_t code, len;
		const uint8_t *od;
		while (wire_edns_next_option(m, &pos, &code, &od, &len)) {
			CHECK(ol != NULL && k < ldns_edns_option_list_get_count(ol));
			if (!ol || k >= ldns_edns_option_list_get_count(ol))
				break;
			ldns_edns_option *o = ldns_edns_option_list_get_option(ol, k);
			CHECK_EQ(code, ldns_edns_get_code(o));
			CHECK_EQ(len, ldns_edns_get_size(o));
			if (len == ldns_edns_get_size(o) && len)
				CHECK_MEM(od, ldns_edns_get_data(o), len);
			k++;
		}
		CHECK_EQ(k, ol ? ldns_edns_option_list_get_count(ol) : 0);
	} else {
		CHECK_EQ(wire_msg_rcode(m), ldns_pkt_get_rcode(p));
	}

	const unsigned opt = m->edns.present ? 1 : 0;
	CHECK_EQ(m->hdr.count[WIRE_SEC_QUESTION], ldns_pkt_qdcount(p));
	CHECK_EQ(m->hdr.count[WIRE_SEC_ANSWER], ldns_pkt_ancount(p));
	CHECK_EQ(m->hdr.count[WIRE_SEC_AUTHORITY], ldns_pkt_nscount(p));
	CHECK_EQ(m->hdr.count[WIRE_SEC_ADDITIONAL] - opt, ldns_pkt_arcount(p));

	const ldns_rr_list *lists[WIRE_SEC_COUNT] = {
		ldns_pkt_question(p), ldns_pkt_answer(p), ldns_pkt_authority(p),
		ldns_pkt_additional(p)};
	for (int s = 0; s < WIRE_SEC_COUNT; s++) {
		size_t start = wire_msg_section_start(m, (enum wire_section)s);
		size_t cnt = wire_msg_section_count(m, (enum wire_section)s);
		size_t lc = lists[s] ? ldns_rr_list_rr_count(lists[s]) : 0;
		CHECK_EQ(cnt - (s == WIRE_SEC_ADDITIONAL ? opt : 0), lc);
		size_t k = 0;
		for (size_t i = start; i < start + cnt && k < lc; i++) {
			if (opt && i == m->edns.rr_index)
				continue;
			char where[64];
			snprintf(where, sizeof where, "%s[%zu]", wire_section_name((enum wire_section)s),
				 i - start);
			compare_rr(m, &m->rr[i], ldns_rr_list_rr(lists[s], k), where);
			k++;
		}
	}
}

/* diff_ packets: the difference, exactly as gen_corpus.py describes it. */
static void known_difference(const char *base, const struct wire_msg *m, const ldns_pkt *p)
{
	if (strcmp(base, "diff_two_opt.bin") == 0) {
		/* We: the first OPT, both counted, both kept as records. */
		CHECK(m->edns.present);
		CHECK_EQ(m->edns.count, 2);
		CHECK_EQ(m->edns.payload, 1232);
		CHECK_EQ(m->edns.flags, WIRE_EDNS_DO);
		CHECK_EQ(m->edns.ext_rcode, 0);
		CHECK_EQ(wire_msg_section_count(m, WIRE_SEC_ADDITIONAL), 2);
		/* ldns: the last OPT, and neither left in the additional section. */
		CHECK(ldns_pkt_edns(p));
		CHECK_EQ(ldns_pkt_edns_udp_size(p), 512);
		CHECK_EQ(ldns_pkt_edns_extended_rcode(p), 1);
		CHECK(!ldns_pkt_edns_do(p));
		CHECK_EQ(ldns_pkt_arcount(p), 0);
		return;
	}
	printf("#   %s: no known difference written down for it\n", base);
	CHECK(!"diff_ packet without an expectation");
}

static void check_packet(void)
{
	static uint8_t buf[WIRE_MSG_MAX + 1];
	size_t n = read_file(cur_path, buf, sizeof buf);
	const char *base = strrchr(cur_path, '/');
	base = base ? base + 1 : cur_path;
	/* A copy of exactly N bytes, so that ASan sees any read past the end. */
	uint8_t *copy = malloc(n ? n : 1);
	CHECK(copy != NULL);
	if (!copy)
		return;
	memcpy(copy, buf, n);

	struct wire_msg m;
	enum dw_status st = wire_msg_parse(&m, copy, n, rrs, WIRE_RR_MAX);
	ldns_pkt *p = NULL;
	ldns_status ls = ldns_wire2pkt(&p, copy, n);
	char desc[160];
	if (st != DW_OK)
		wire_error_describe(&m.err, desc, sizeof desc);

	if (strncmp(base, "ok_", 3) == 0) {
		n_ok++;
		CHECK_EQ(st, DW_OK);
		CHECK_EQ(ls, LDNS_STATUS_OK);
		if (st != DW_OK)
			printf("#     ours: %s\n", desc);
		if (ls != LDNS_STATUS_OK)
			printf("#     ldns: %s\n", ldns_get_errorstr_by_id(ls));
		if (st == DW_OK && ls == LDNS_STATUS_OK)
			compare(&m, p);
	} else if (strncmp(base, "bad_", 4) == 0) {
		n_bad++;
		CHECK(st != DW_OK);
		CHECK(ls != LDNS_STATUS_OK);
		if (st != DW_OK)
			printf("#     ours: %s\n", desc);
		if (ls != LDNS_STATUS_OK)
			printf("#     ldns: %s\n", ldns_get_errorstr_by_id(ls));
	} else if (strncmp(base, "strict_", 7) == 0) {
		n_strict++;
		CHECK(st != DW_OK);
		CHECK_EQ(ls, LDNS_STATUS_OK);
		if (st != DW_OK)
			printf("#     ours: %s; ldns accepts\n", desc);
	} else if (strncmp(base, "diff_", 5) == 0) {
		n_diff++;
		CHECK_EQ(st, DW_OK);
		CHECK_EQ(ls, LDNS_STATUS_OK);
		if (st == DW_OK && ls == LDNS_STATUS_OK)
			known_difference(base, &m, p);
	} else {
		printf("#   %s: unknown prefix\n", base);
		CHECK(!"corpus file without ok_/bad_/strict_ prefix");
	}
	if (p)
		ldns_pkt_free(p);
	free(copy);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_corpus_size(void)
{
	/* The corpus must be there and hold every kind (a missing directory
	 * would otherwise pass silently). */
	CHECK(n_ok >= 20);
	CHECK(n_bad >= 10);
	CHECK(n_strict >= 3);
	CHECK(n_diff >= 1);
}

/* Our view of ok_ packets also survives parse -> copy -> parse, and ldns
 * agrees with the copy. */
static void check_copy(void)
{
	static uint8_t buf[WIRE_MSG_MAX + 1], out[WIRE_MSG_MAX];
	size_t n = read_file(cur_path, buf, sizeof buf);
	struct wire_msg m, m2;
	static struct wire_rr rr2[WIRE_RR_MAX];
	size_t olen;
	CHECK_EQ(wire_msg_parse(&m, buf, n, rr2, WIRE_RR_MAX), DW_OK);
	CHECK_EQ(wire_build_copy_msg(&m, out, sizeof out, &olen), DW_OK);
	CHECK_EQ(wire_msg_parse(&m2, out, olen, rrs, WIRE_RR_MAX), DW_OK);
	ldns_pkt *p = NULL;
	CHECK_EQ(ldns_wire2pkt(&p, out, olen), LDNS_STATUS_OK);
	if (p) {
		compare(&m2, p);
		ldns_pkt_free(p);
	}
}

/*
 * The differ itself can fail: ldns gets a copy of a packet with one field
 * changed, and compare() must notice each change. (Its complaints go to
 * /dev/null; only the count of failed checks matters here.)
 */
static void test_differ_detects(void)
{
	static uint8_t orig[WIRE_MSG_MAX + 1], mut[WIRE_MSG_MAX + 1];
	char path[4096];
	const char *root = getenv("DW_ROOT");
	snprintf(path, sizeof path, "%s/tests/wire/corpus/ok_nxdomain_soa_nsid_cookie_padding.bin",
		 root ? root : ".");
	size_t n = read_file(path, orig, sizeof orig);
	struct wire_msg m;
	CHECK_EQ(wire_msg_parse(&m, orig, n, rrs, WIRE_RR_MAX), DW_OK);
	CHECK(m.rr_count >= 3 && m.edns.present); /* the fixture this test needs */
	if (m.rr_count < 3 || !m.edns.present)
		return;
	const struct wire_rr *soa = &m.rr[1];
	const size_t at[] = {
		1,                       /* id */
		3,                       /* AD / rcode nibble */
		2,                       /* RD */
		soa->owner_off + 1,      /* case of one letter of the owner */
		soa->rdata_off - 3,      /* TTL */
		soa->rdata_off + 1,      /* a letter of the mname */
		soa->rdata_off + soa->rdlen - 1, /* the minimum */
		m.edns.options_off + 5,  /* NSID data */
		m.edns.options_off - 6,  /* OPT TTL: DO bit */
		m.edns.options_off - 8,  /* OPT TTL: ext rcode */
		m.edns.options_off - 9,  /* OPT class: payload */
	};
	const uint8_t flip[] = {0x01, 0x20, 0x01, 0x20, 0x01, 0x20, 0x01, 0x01, 0x80, 0x01, 0x01};
	fflush(stdout);
	int saved = dup(1);
	int null = open("/dev/null", O_WRONLY);
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		memcpy(mut, orig, n);
		mut[at[i]] ^= flip[i];
		ldns_pkt *p = NULL;
		int fails = 0;
		if (ldns_wire2pkt(&p, mut, n) == LDNS_STATUS_OK) {
			int before = harness_failed_checks;
			fflush(stdout);
			dup2(null, 1);
			compare(&m, p);
			fflush(stdout);
			dup2(saved, 1);
			fails = harness_failed_checks - before;
			harness_failed_checks = before;
			ldns_pkt_free(p);
		}
		if (!fails)
			printf("#   mutation %zu (offset %zu) not detected\n", i, at[i]);
		CHECK(fails > 0);
	}
	close(null);
	close(saved);
}

int main(void)
{
	const char *root = getenv("DW_ROOT");
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/tests/wire/corpus", root ? root : ".");
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	char *names[1024];
	size_t count = 0;
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) && count < 1024) {
			size_t l = strlen(e->d_name);
			if (l > 4 && strcmp(e->d_name + l - 4, ".bin") == 0)
				names[count++] = strdup(e->d_name);
		}
		closedir(d);
	} else {
		printf("#   no corpus at %s\n", dir);
	}
	qsort(names, count, sizeof names[0], cmp_str);
	for (size_t i = 0; i < count; i++) {
		char path[8192], label[512];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		cur_path = path;
		snprintf(label, sizeof label, "ldns_diff %s", names[i]);
		harness_run(check_packet, label);
		if (strncmp(names[i], "ok_", 3) == 0) {
			snprintf(label, sizeof label, "ldns_diff copy %s", names[i]);
			harness_run(check_copy, label);
		}
		free(names[i]);
	}
	RUN(test_corpus_size);
	RUN(test_differ_detects);
	return harness_done();
}

/* EDNS0 options (see edns.h). */
#include "wire/edns.h"

bool wire_edns_next_option(const struct wire_msg *m, size_t *pos, uint16_t *code,
			   const uint8_t **data, uint16_t *len)
{
	if (!m->edns.present)
		return false;
	const uint8_t *o = m->raw + m->edns.options_off;
	size_t end = m->edns.options_len;
	if (*pos + 4 > end)
		return false;
	uint16_t l = (uint16_t)(o[*pos + 2] << 8 | o[*pos + 3]);
	if (end - *pos - 4 < l)
		return false;
	*code = (uint16_t)(o[*pos] << 8 | o[*pos + 1]);
	*len = l;
	*data = o + *pos + 4;
	*pos += 4 + (size_t)l;
	return true;
}

const char *wire_edns_option_name(uint16_t code)
{
	switch (code) {
	case 3: return "NSID";
	case 5: return "DAU";
	case 6: return "DHU";
	case 7: return "N3U";
	case 8: return "CLIENT-SUBNET";
	case 9: return "EXPIRE";
	case 10: return "COOKIE";
	case 11: return "TCP-KEEPALIVE";
	case 12: return "PADDING";
	case 13: return "CHAIN";
	case 14: return "KEY-TAG";
	case 15: return "EDE";
	}
	return NULL;
}

const char *wire_ede_name(uint16_t info)
{
	static const char *const names[] = {
		"Other", "Unsupported DNSKEY Algorithm", "Unsupported DS Digest Type",
		"Stale Answer", "Forged Answer", "DNSSEC Indeterminate", "DNSSEC Bogus",
		"Signature Expired", "Signature Not Yet Valid", "DNSKEY Missing",
		"RRSIGs Missing", "No Zone Key Bit Set", "NSEC Missing", "Cached Error",
		"Not Ready", "Blocked", "Censored", "Filtered", "Prohibited",
		"Stale NXDOMAIN Answer", "Not Authoritative", "Not Supported",
		"No Reachable Authority", "Network Error", "Invalid Data"};
	return info < sizeof names / sizeof names[0] ? names[info] : NULL;
}

/* `dnswatch decode`: the wire codec's face for people. */
#ifndef DW_DECODE_DECODE_CMD_H
#define DW_DECODE_DECODE_CMD_H

#include "util/error.h"

#define DECODE_USAGE                                                                     \
	"usage: dnswatch decode [--json] [FILE...]\n"                                    \
	"  Print every DNS message in each FILE (standard input if none, or '-').\n"     \
	"  A file may hold one raw binary message, hex text (one message per block\n"   \
	"  of lines, blocks separated by blank lines, '#' starts a comment), or a\n"    \
	"  pcap/pcapng capture, of which every UDP port 53 payload is decoded; the\n"   \
	"  format is detected from the content.\n"                                      \
	"  --json   one JSON object per message (NDJSON): every header field, every\n"  \
	"           record with type, class, TTL and rdata, the OPT record, the raw\n"  \
	"           bytes in hex, and for captures the addresses, ports, IP TTL/ID/DF.\n"\
	"           A file that fails as a whole (unreadable, empty, too large, bad\n"  \
	"           hex, a broken capture) gets one object too, without \"index\":\n"  \
	"           \"file\", \"format\" when known, \"error\" with \"status\" (one of\n"\
	"           unreadable, empty, too_large, syntax, not_a_capture, cut_short,\n" \
	"           out_of_memory), \"reason\" and \"text\".\n"                        \
	"  An UPDATE (RFC 2136) is shown with its zone, prerequisite and update\n"    \
	"  sections, and a record of RDLENGTH 0 there (class NONE or ANY: RFC 2136\n"\
	"  2.4, 2.5) without rdata.\n"                                                 \
	"  A message that does not parse is shown as far as it was read, with the\n"   \
	"  reason and offset, and decoding goes on with the next one.\n"                \
	"  Exit status: 0 if every message parsed, 1 if any did not or a file could\n"  \
	"  not be read, 2 on a usage error.\n"

DW_MUST_CHECK int decode_cmd(int argc, char **argv);

#endif

#!/usr/bin/env python3
"""Write the DNS packet corpus of tests/wire/corpus/ (reproducibly).

    python3 tests/wire/gen_corpus.py [OUTDIR]     (default: tests/wire/corpus)

The packets are written here byte by byte, with this script's own name
compression, so that they do not depend on the codec under test. The prefix
of a file's name says what tests/wire/test_ldns_diff.c expects of it:

  ok_*      well-formed: our codec and libldns both accept it and must agree
            on every field;
  bad_*     malformed: both must reject it;
  strict_*  malformed, but libldns accepts it while we reject it (each one
            says why below); the test asserts exactly that, so a change on
            either side shows up;
  diff_*    both accept, and the views differ in a known way (below), which
            the test asserts.

The files are small on purpose: they are also the seed corpus of the fuzz
targets.
"""
import os
import struct
import sys

QR, AA, TC, RD, RA, Z, AD, CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0040, 0x0020, 0x0010
A, NS, CNAME, SOA, PTR, HINFO, MX, TXT, AAAA, SRV, OPT, CAA = 1, 2, 5, 6, 12, 13, 15, 16, 28, 33, 41, 257
IN, CH, NONE, ANY = 1, 3, 254, 255
UPDATE = 5 << 11  # opcode UPDATE in the flags word (RFC 2136 2.2)
QD, AN, NSEC, AR = 0, 1, 2, 3


def labels(name):
    """'www.example.com' -> [b'www', b'example', b'com']; '.' -> []."""
    if isinstance(name, (list, tuple)):
        return [bytes(l) for l in name]
    name = name.rstrip('.')
    return [l.encode('latin-1') for l in name.split('.')] if name else []


class Msg:
    def __init__(self, ident, flags, ci=False, compress=True):
        self.b = bytearray(struct.pack('!HH8x', ident, flags))
        self.counts = [0, 0, 0, 0]
        self.comp = {}
        self.ci = ci            # compress case-insensitively, as most servers do
        self.compress = compress

    def name(self, name, compress=None):
        compress = self.compress if compress is None else compress
        ls = labels(name)
        for i in range(len(ls)):
            key = tuple(l.lower() if self.ci else l for l in ls[i:])
            if compress and key in self.comp:
                self.b += struct.pack('!H', 0xC000 | self.comp[key])
                return
            if compress and len(self.b) < 0x4000:
                self.comp[key] = len(self.b)
            self.b += bytes([len(ls[i])]) + ls[i]
        self.b += b'\0'

    def q(self, name, qtype, qclass=IN):
        self.name(name)
        self.b += struct.pack('!HH', qtype, qclass)
        self.counts[QD] += 1

    def rr(self, sec, owner, rtype, rclass, ttl, *parts):
        """PARTS: bytes, or ('name', n) for a compressible name, or
        ('rawname', n) for a name never compressed (RFC 3597 types)."""
        self.name(owner)
        self.b += struct.pack('!HHI', rtype, rclass, ttl)
        at = len(self.b)
        self.b += b'\0\0'
        for p in parts:
            if isinstance(p, tuple) and p[0] == 'name':
                self.name(p[1])
            elif isinstance(p, tuple) and p[0] == 'rawname':
                self.name(p[1], compress=False)
            else:
                self.b += p
        struct.pack_into('!H', self.b, at, len(self.b) - at - 2)
        self.counts[sec] += 1

    def opt(self, payload=1232, ext_rcode=0, version=0, flags=0, options=()):
        rd = b''.join(struct.pack('!HH', c, len(d)) + d for c, d in options)
        self.b += b'\0' + struct.pack('!HHIH', OPT, payload,
                                      ext_rcode << 24 | version << 16 | flags, len(rd)) + rd
        self.counts[AR] += 1

    def bytes(self):
        struct.pack_into('!HHHH', self.b, 4, *self.counts)
        return bytes(self.b)


def u16(v):
    return struct.pack('!H', v)


def u32(v):
    return struct.pack('!I', v)


def ip4(s):
    return bytes(int(x) for x in s.split('.'))


def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def txt(*strings):
    out = b''
    for s in strings:
        s = s.encode('latin-1') if isinstance(s, str) else s
        out += bytes([len(s)]) + s
    return out


def soa(m, r, serial, refresh, retry, expire, minimum):
    return (('name', m), ('name', r), u32(serial) + u32(refresh) + u32(retry) + u32(expire) +
            u32(minimum))


COOKIE_C = bytes.fromhex('24a5ac1e7ba3e4c2')
COOKIE_S = bytes.fromhex('0100000065f1a2b3c4d5e6f708192a3b')


def corpus():
    out = {}

    # --- well-formed -----------------------------------------------------------
    m = Msg(0x1a2b, RD)
    m.q('www.example.com', A)
    out['ok_query_a'] = m.bytes()

    m = Msg(0x0001, RD | AD)
    m.q('example.org', AAAA)
    m.opt(1232, flags=0x8000, options=[(10, COOKIE_C)])
    out['ok_query_edns_cookie'] = m.bytes()

    m = Msg(0xbeef, QR | RD | RA)
    m.q('www.shop.example', A)
    m.rr(AN, 'www.shop.example', CNAME, IN, 300, ('name', 'shop.cdn.example.net'))
    m.rr(AN, 'shop.cdn.example.net', CNAME, IN, 60, ('name', 'edge.cdn.example.net'))
    m.rr(AN, 'edge.cdn.example.net', CNAME, IN, 60, ('name', 'e7.edge.cdn.example.net'))
    m.rr(AN, 'e7.edge.cdn.example.net', A, IN, 20, ip4('203.0.113.7'))
    m.rr(AN, 'e7.edge.cdn.example.net', A, IN, 20, ip4('203.0.113.8'))
    m.opt(1232)
    out['ok_cname_chain'] = m.bytes()

    m = Msg(0x5353, QR | RD | RA | 3)
    m.q('nope.example.org', AAAA)
    m.rr(NSEC, 'example.org', SOA, IN, 3600,
         *soa('ns.icann.org', 'noc.dns.icann.org', 2026112201, 7200, 3600, 1209600, 3600))
    m.opt(1232, flags=0x8000, options=[(3, b'fra1.ns'), (10, COOKIE_C + COOKIE_S),
                                        (12, bytes(17))])
    out['ok_nxdomain_soa_nsid_cookie_padding'] = m.bytes()

    m = Msg(0x0bad, QR | RD | RA)
    m.q('example.net', A)
    m.rr(NSEC, 'example.net', SOA, IN, 300,
         *soa('ns1.example.net', 'hostmaster.example.net', 1, 2, 3, 4, 5))
    out['ok_nodata_soa'] = m.bytes()

    # a referral, with a query in 0x20 case the server kept in its answer
    m = Msg(0x7001, QR, ci=True)
    m.q('wWw.ExaMple.cOM', A)
    for ns in ('a.gtld-servers.net', 'b.gtld-servers.net', 'c.GTLD-servers.net'):
        m.rr(NSEC, 'example.com', NS, IN, 172800, ('name', ns))
    m.rr(AR, 'a.gtld-servers.net', A, IN, 172800, ip4('192.5.6.30'))
    m.rr(AR, 'a.gtld-servers.net', AAAA, IN, 172800, ip6('2001:503:a83e::2:30'))
    m.rr(AR, 'b.gtld-servers.net', A, IN, 172800, ip4('192.33.14.30'))
    m.opt(4096)
    out['ok_referral_ns_glue'] = m.bytes()

    m = Msg(0x4d58, QR | AA | RD)
    m.q('example.io', MX)
    m.rr(AN, 'example.io', MX, IN, 3600, u16(10), ('name', 'mx1.example.io'))
    m.rr(AN, 'example.io', MX, IN, 3600, u16(20), ('name', 'mx2.example.io'))
    m.rr(AN, 'example.io', MX, IN, 3600, u16(0), ('name', '.'))
    m.rr(AN, 'example.io', MX, IN, 3600, u16(65535), ('name', 'backup.mail.example'))
    m.rr(AR, 'mx1.example.io', A, IN, 3600, ip4('198.51.100.25'))
    out['ok_mx'] = m.bytes()

    m = Msg(0x7478, QR | AA)
    m.q('example.com', TXT)
    m.rr(AN, 'example.com', TXT, IN, 300, txt('v=spf1 include:_spf.example.net ~all'))
    m.rr(AN, 'example.com', TXT, IN, 300,
         txt('a', '', 'quote " and backslash \\', 'semi;colon', 'tab\tnl\n',
             b'\x00\xff\x7f\x80', 'x' * 255, *['s%d' % i for i in range(12)]))
    m.rr(AN, '_dmarc.example.com', TXT, IN, 300, txt('v=DMARC1; p=reject'))
    out['ok_txt_many_strings'] = m.bytes()

    m = Msg(0x6666, QR | RD | RA)
    m.q('ipv6.example', AAAA)
    for a in ('2001:db8::1', '2001:db8:0:1::53', '::ffff:192.0.2.1', 'fe80::', '::'):
        m.rr(AN, 'ipv6.example', AAAA, IN, 600, ip6(a))
    out['ok_aaaa'] = m.bytes()

    m = Msg(0x7072, QR | RD | RA)
    m.q('4.3.2.1.in-addr.arpa', PTR)
    m.rr(AN, '4.3.2.1.in-addr.arpa', PTR, IN, 86400, ('name', 'host-1-2-3-4.isp.example'))
    m.rr(AN, '4.3.2.1.in-addr.arpa', PTR, IN, 86400, ('name', 'alias.in-addr.arpa'))
    out['ok_ptr'] = m.bytes()

    m = Msg(0x3597, QR | RD | RA)
    m.q('svc.example', 65280)
    m.rr(AN, 'svc.example', 65280, IN, 60, bytes(range(0, 40, 3)))
    m.rr(AN, 'svc.example', 65534, IN, 60)  # empty rdata
    m.rr(AN, '_sip._udp.svc.example', SRV, IN, 60, u16(10) + u16(5) + u16(5060),
         ('rawname', 'sip.svc.example'))
    m.rr(AN, 'svc.example', CAA, IN, 60, b'\x00\x05issue' + b'ca.example.net')
    m.rr(AN, 'svc.example', HINFO, IN, 60, txt('PDP-11', 'UNIX'))
    m.rr(AR, 'svc.example', 4660, 4660, 0xdeadbeef, b'\x01\x02')  # unknown class too
    out['ok_unknown_types'] = m.bytes()

    # RFC 2136: records of class NONE and ANY with RDLENGTH 0 (prerequisites
    # 2.4.1 "RRset exists (value independent)" and 2.4.3 "RRset does not
    # exist", deletes 2.5.2 and 2.5.3), a delete of one RR (2.5.4, class NONE
    # with data) and an add (2.5.1); zone section SOA IN (2.3).
    m = Msg(0x2136, UPDATE)
    m.q('example.com', SOA)
    for t in (A, AAAA, TXT, MX):
        m.rr(AN, 'new.example.com', t, NONE, 0)
        m.rr(AN, 'www.example.com', t, ANY, 0)
    for t in (A, AAAA, TXT, MX):
        m.rr(NSEC, 'old.example.com', t, ANY, 0)
    m.rr(NSEC, 'gone.example.com', ANY, ANY, 0)
    m.rr(NSEC, 'www.example.com', MX, NONE, 0, u16(10), ('name', 'mail.example.com'))
    m.rr(NSEC, 'new.example.com', A, IN, 300, ip4('192.0.2.1'))
    out['ok_update_rfc2136'] = m.bytes()
    # The same empty records by their class alone, in a reply (opcode QUERY).
    m = Msg(0x2137, QR)
    m.q('example.com', A)
    for t in (A, AAAA, TXT, MX):
        m.rr(AN, 'example.com', t, NONE, 0)
        m.rr(AN, 'example.com', t, ANY, 0)
    out['ok_class_none_any_empty'] = m.bytes()

    m = Msg(0x0202, RD)
    m.q('one.example', A)
    m.q('two.example', AAAA)
    m.q('ONE.example', MX)
    out['ok_multiple_questions'] = m.bytes()

    # compression everywhere: owners, NS/CNAME/MX/SOA/PTR names, pointers
    # to pointers, a pointer to a suffix in the middle of a name
    m = Msg(0xc0c0, QR | AA)
    m.q('a.b.c.d.example', 255)  # ANY
    m.rr(AN, 'a.b.c.d.example', CNAME, IN, 1, ('name', 'x.c.d.example'))
    m.rr(AN, 'x.c.d.example', MX, IN, 1, u16(1), ('name', 'y.x.c.d.example'))
    m.rr(AN, 'y.x.c.d.example', PTR, IN, 1, ('name', 'd.example'))
    m.rr(NSEC, 'example', SOA, IN, 1, *soa('b.c.d.example', 'y.x.c.d.example', 9, 8, 7, 6, 5))
    m.rr(NSEC, 'c.d.example', NS, IN, 1, ('name', 'ns.a.b.c.d.example'))
    out['ok_compression_everywhere'] = m.bytes()

    m = Msg(0x2020, QR | RD | RA)
    m.q('MiXeD.CaSe.ExAmPlE', A)
    m.rr(AN, 'mixed.case.example', A, IN, 5, ip4('192.0.2.20'))
    m.rr(AN, 'MIXED.CASE.EXAMPLE', A, IN, 5, ip4('192.0.2.21'))
    m.rr(AN, 'MiXeD.CaSe.ExAmPlE', CNAME, IN, 5, ('name', 'Target.CASE.example'))
    out['ok_mixed_case'] = m.bytes()

    m = Msg(0xeeee, QR | RD | RA | 0)
    m.q('example.com', A)
    m.opt(512, ext_rcode=1, version=1, flags=0x8000 | 0x0123)  # BADVERS
    out['ok_badvers'] = m.bytes()

    m = Msg(0xffff, QR | (4 << 11) | AA | TC | RD | RA | AD | CD | 5)
    m.q('example.com', SOA)
    out['ok_all_flags_notify_refused'] = m.bytes()

    m = Msg(0x0c0c, QR | AA)
    m.q('version.bind', TXT, CH)
    m.rr(AN, 'version.bind', TXT, CH, 0, txt('9.18.24-1-Debian'))
    out['ok_chaos_version'] = m.bytes()

    m = Msg(0xecec, QR | RD | RA)
    m.q('www.example', A)
    m.rr(AN, 'www.example', A, IN, 30, ip4('192.0.2.80'))
    m.opt(1232, options=[(8, u16(1) + bytes([24, 0]) + ip4('198.51.100.0')[:3]),
                         (15, u16(16) + b'blocked by policy'), (65001, b'')])
    out['ok_ecs_ede_local_option'] = m.bytes()

    m = Msg(0x7a7a, QR | RD | RA)
    m.q('forged.example', A)
    m.rr(AN, 'forged.example', A, IN, 86400, ip4('10.10.34.35'))
    m.b += b'\x00\x00\x00\x00injected'  # trailing bytes after the last record
    out['ok_trailing_bytes'] = m.bytes()

    m = Msg(0x0000, QR)
    out['ok_header_only'] = m.bytes()

    # label bytes that need escapes in presentation form
    odd = [b'sp ace', b'dot.ted', b'back\\slash', b'\xff\x00\x7f', b'q"uote', b'semi;(paren)',
           b'@at$dollar', b'example']
    m = Msg(0x0dd0, QR | AA)
    m.q(odd[4:], TXT)
    m.rr(AN, odd[4:], CNAME, IN, 1, ('name', odd))
    m.rr(AN, odd, PTR, IN, 1, ('name', odd[2:]))
    out['ok_odd_label_bytes'] = m.bytes()

    # an OPT whose owner is not the root (RFC 6891 6.1.2 says it must be):
    # both codecs still take it as EDNS
    m = Msg(0x0e0f, QR)
    m.q('example.com', A)
    m.name('example.com')
    m.b += struct.pack('!HHIH', OPT, 1232, 0, 0)
    m.counts[AR] += 1
    out['ok_opt_owner_not_root'] = m.bytes()
    # an OPT in the answer section is an ordinary (odd) record, not EDNS
    m = Msg(0x0e10, QR)
    m.q('example.com', A)
    m.rr(AN, '.', OPT, 1232, 0)
    out['ok_opt_in_answer'] = m.bytes()

    # --- malformed, both must reject -----------------------------------------
    def q_then(ident, tail, counts):
        b = bytearray(struct.pack('!HHHHHH', ident, QR, *counts))
        b += tail
        return bytes(b)

    q = b'\x01a\x00\x00\x01\x00\x01'  # question: a. A IN
    out['bad_truncated_header'] = q_then(1, b'', (0, 0, 0, 0))[:11]
    out['bad_ptr_self'] = q_then(2, b'\xc0\x0c\x00\x01\x00\x01', (1, 0, 0, 0))
    out['bad_ptr_past_end'] = q_then(3, b'\xc0\xff\x00\x01\x00\x01', (1, 0, 0, 0))
    out['bad_ptr_pair'] = q_then(4, b'\xc0\x0e\xc0\x0c\x00\x01\x00\x01', (1, 0, 0, 0))
    # a label, then a pointer back to that label
    out['bad_ptr_label_loop'] = q_then(14, b'\x03foo\xc0\x0c\x00\x01\x00\x01', (1, 0, 0, 0))
    # two pointers at each other, entered backwards: the answer owner at 19
    # points at the ID, whose bytes point back at 19
    out['bad_ptr_loop_via_header'] = q_then(
        0xC013, q + b'\xc0\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04' + ip4('192.0.2.1'),
        (1, 1, 0, 0))
    out['bad_label_64'] = q_then(5, b'\x40' + b'a' * 64 + b'\x00\x00\x01\x00\x01', (1, 0, 0, 0))
    out['bad_label_0x80'] = q_then(6, b'\x01a\x81x\x00\x00\x01\x00\x01', (1, 0, 0, 0))
    long = b''.join(bytes([n]) + b'n' * n for n in (63, 63, 63, 62)) + b'\x00'
    out['bad_name_256'] = q_then(7, long + b'\x00\x01\x00\x01', (1, 0, 0, 0))
    out['bad_count_65535_questions'] = q_then(8, b'\x01a\x00\x00\x01\x00\x01', (65535, 0, 0, 0))
    out['bad_truncated_question'] = q_then(9, q[:-1], (1, 0, 0, 0))
    ans = b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01'
    out['bad_truncated_rdata'] = q_then(10, q + ans[:-2], (1, 1, 0, 0))
    out['bad_rdlength_past_end'] = q_then(
        11, q + b'\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x3c\x01\x00\x05hello', (1, 1, 0, 0))
    out['bad_answer_count_too_big'] = q_then(12, q + ans, (1, 2, 0, 0))
    out['bad_cname_ptr_past_end'] = q_then(
        13, q + b'\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x02\xc0\xf0', (1, 1, 0, 0))

    # --- malformed: we reject, libldns accepts ---------------------------------
    # A pointer to a later offset: legal to follow, but never produced by a
    # real encoder and the easy way to build loops; we require backwards.
    out['strict_ptr_forward'] = q_then(20, b'\xc0\x12\x00\x01\x00\x01\x00', (1, 0, 0, 0))
    # A with rdlength 5: ldns reads the 4-byte address and ignores the rest.
    out['strict_a_rdlength_5'] = q_then(
        21, q + b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x05\xc0\x00\x02\x01\x09',
        (1, 1, 0, 0))
    # SOA without its last two numbers: ldns stops at the end of the rdata.
    out['strict_soa_short'] = q_then(
        22, q + b'\xc0\x0c\x00\x06\x00\x01\x00\x00\x00\x3c\x00\x10\xc0\x0c\xc0\x0c' +
        u32(1) + u32(2) + u32(3), (1, 0, 1, 0))
    # A TXT string longer than its rdata (ldns is strict here too).
    out['bad_txt_overrun'] = q_then(
        23, q + b'\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x3c\x00\x04\x02ok\x09' + b'trailing!',
        (1, 1, 0, 0))
    # An EDNS option running past the OPT rdata: ldns keeps options as one
    # opaque blob at parse time.
    out['strict_opt_option_overrun'] = q_then(
        24, q + b'\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x08\x00\x0a\x00\x10\xde\xad\xbe\xef',
        (1, 0, 0, 1))
    # Empty TXT rdata (RFC 1035 3.3.14: one or more strings).
    out['strict_txt_empty'] = q_then(
        25, q + b'\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x3c\x00\x00', (1, 1, 0, 0))
    # --- well-formed, but the two codecs see it differently -------------------
    # Two OPT records (a FORMERR, RFC 6891 6.1.1): we keep the first and count
    # both (edns.count == 2, so the caller can tell); ldns keeps the last and
    # drops both from the additional section. test_ldns_diff.c asserts this.
    m = Msg(0x0e0e, QR)
    m.q('example.com', A)
    m.opt(1232, flags=0x8000)
    m.opt(512, ext_rcode=1)
    out['diff_two_opt'] = m.bytes()
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, 'corpus')
    os.makedirs(outdir, exist_ok=True)
    for name, data in sorted(corpus().items()):
        with open(os.path.join(outdir, name + '.bin'), 'wb') as f:
            f.write(data)
    print('%d packets in %s' % (len(corpus()), outdir))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Writes the hand-made part of the fuzz seed corpora (stdlib only).

  tests/fuzz/make_seeds.py [OUTDIR]     (default: tests/fuzz/corpus)

fuzz_parse and fuzz_roundtrip get the same small DNS messages: every type the
codec knows (A, AAAA, NS, CNAME, SOA, PTR, MX, TXT, OPT with NSID, cookie and
EDE options), unknown types (RFC 3597), compression, several questions,
NXDOMAIN with an SOA. fuzz_pcap gets captures of those messages on every link
type net/packet.c decodes (Ethernet, 802.1Q and QinQ, Linux cooked v1 and v2,
raw IP, DLT_IPV4/IPV6, BSD loopback), IPv6 with extension headers, IPv4 and
IPv6 fragments, padded and snap-cut frames, nanosecond and big-endian pcap,
and a pcapng file, a DNS reply in IPv4 and IPv6 fragments. fuzz_reasm gets
sequences of fragments (see reasm_seeds). fuzz_walk gets replies an iterative walk meets (referrals
from the root and a TLD with glue, answer, NXDOMAIN, NODATA, referral without
glue, sideways and upward referrals, TC); its harness takes the zone asked
from the first byte, so each ID is chosen for the zone the reply is from. fuzz_locate_json gets
`dnswatch locate --json` lines (placed, not placed, tentative) and JSON at
the edges of what report reads: escapes, surrogates (a lone one is refused),
\u0000 in a value and in a member name, a member twice, numbers out of a
double's and the page's ranges, nesting at and past the limit (32),
truncations, members of the wrong type.
Files are named seed-*; inputs merged from fuzzing runs
(named by their SHA-1) live beside them.
"""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def name(n):
    if n in (".", ""):
        return b"\0"
    return b"".join(bytes([len(l)]) + l.encode() for l in n.rstrip(".").split(".")) + b"\0"


def ptr(off):
    return struct.pack(">H", 0xC000 | off)


def hdr(id_, flags, qd, an, ns, ar):
    return struct.pack(">HHHHHH", id_, flags, qd, an, ns, ar)


def q(owner, t, c=1):
    return owner + struct.pack(">HH", t, c)


def rr(owner, t, rdata, ttl=300, c=1):
    return owner + struct.pack(">HHIH", t, c, ttl, len(rdata)) + rdata


def txt(*strings):
    return b"".join(bytes([len(t)]) + t for t in strings)


def opt(payload=1232, options=b"", ext=0, ver=0, flags=0x8000):
    return b"\0" + struct.pack(">HHBBHH", 41, payload, ext, ver, flags, len(options)) + options


def option(code, data):
    return struct.pack(">HH", code, len(data)) + data


QNAME = name("www.example.com")  # at offset 12 in every message below
P = ptr(12)
SOA = name("ns1.example.com") + name("hostmaster.example.com") + struct.pack(
    ">IIIII", 2024010101, 7200, 3600, 1209600, 300)


def soa_c(zone_off):
    """SOA rdata whose names point at the zone name at ZONE_OFF."""
    return (b"\x03ns1" + ptr(zone_off) + b"\x0ahostmaster" + ptr(zone_off)
            + struct.pack(">IIIII", 2024010101, 7200, 3600, 1209600, 300))

MSGS = {
    "query-a": hdr(0x1a2b, 0x0100, 1, 0, 0, 0) + q(QNAME, 1),
    "query-edns-cookie": hdr(0x1a2c, 0x0120, 1, 0, 0, 1) + q(QNAME, 28)
    + opt(1232, option(10, bytes.fromhex("0123456789abcdef"))),
    "resp-a-compressed": hdr(0x1a2b, 0x8180, 1, 2, 0, 0) + q(QNAME, 1)
    + rr(P, 1, bytes([93, 184, 216, 34])) + rr(P, 1, bytes([198, 18, 0, 1]), ttl=60),
    "resp-aaaa": hdr(2, 0x8180, 1, 1, 0, 0) + q(QNAME, 28)
    + rr(P, 28, bytes.fromhex("2606280002200001024818931a2c1947")),
    "resp-cname-chain": hdr(3, 0x8180, 1, 2, 0, 0) + q(QNAME, 1)
    + rr(P, 5, b"\x03cdn" + ptr(16)) + rr(ptr(45), 1, bytes([10, 0, 0, 1])),
    "resp-ns-glue": hdr(4, 0x8400, 1, 0, 2, 2) + q(name("example.com"), 2)
    + rr(ptr(12), 2, name("a.iana-servers.net")) + rr(ptr(12), 2, b"\x01b" + ptr(43))
    + rr(ptr(41), 1, bytes([199, 43, 135, 53])) + rr(ptr(73), 28, bytes(15) + b"\x53"),
    "resp-soa": hdr(5, 0x8580, 1, 1, 0, 0) + q(name("example.com"), 6)
    + rr(ptr(12), 6, soa_c(12), ttl=3600),
    "resp-soa-uncompressed": hdr(5, 0x8580, 1, 1, 0, 0) + q(name("example.com"), 6)
    + rr(name("example.com"), 6, SOA, ttl=3600),
    "resp-nxdomain-soa": hdr(6, 0x8183, 1, 0, 1, 1) + q(name("nosuch.example.com"), 1)
    + rr(ptr(19), 6, soa_c(19), ttl=900) + opt(1232),
    "resp-ptr": hdr(7, 0x8180, 1, 1, 0, 0) + q(name("34.216.184.93.in-addr.arpa"), 12)
    + rr(ptr(12), 12, name("www.example.com")),
    "resp-mx": hdr(8, 0x8180, 1, 2, 0, 0) + q(name("example.com"), 15)
    + rr(ptr(12), 15, b"\x00\x0a\x04mail" + ptr(12))
    + rr(ptr(12), 15, b"\x00\x14" + name("mx.other.net")),
    "resp-txt": hdr(9, 0x8180, 1, 1, 0, 0) + q(name("example.com"), 16)
    + rr(ptr(12), 16, txt(b"v=spf1 -all", b"", b"quote\" back\\slash \x01\x7f\xff end")),
    "resp-unknown-types": hdr(10, 0x8180, 1, 3, 0, 0) + q(QNAME, 65)
    + rr(P, 65, bytes.fromhex("000100000100030268330568332d3239"))
    + rr(P, 64999, b"") + rr(P, 99, b"\x0a\x0b\x0c", c=3),
    "resp-multi-question": hdr(11, 0x8180, 3, 1, 0, 0) + q(QNAME, 1) + q(P, 28)
    + q(name("example.org"), 1, 3) + rr(P, 1, bytes([127, 0, 0, 1])),
    "resp-edns-nsid-ede": hdr(12, 0x8182, 1, 0, 0, 1) + q(QNAME, 1)
    + opt(4096, option(3, b"gfw-node-7") + option(15, b"\x00\x10censored")
          + option(15, b"\x00\x63") + option(12, bytes(8)) + option(65001, b"\x01"),
          ext=1, flags=0x8000),
    "resp-edns-cookie-ecs": hdr(13, 0x8180, 1, 1, 0, 1) + q(QNAME, 1)
    + rr(P, 1, bytes([1, 2, 3, 4]))
    + opt(1232, option(10, bytes(8) + bytes(range(16))) + option(8, b"\x00\x01\x18\x00\xc6\x12\x00")),
    "resp-forged-trailing": hdr(14, 0x8180, 1, 1, 0, 0) + q(QNAME, 1)
    + rr(P, 1, bytes([8, 7, 6, 5]), ttl=0x7fffffff) + b"\xde\xad",
    "resp-root-any-ch": hdr(15, 0x8100, 1, 1, 0, 0) + q(name("version.bind"), 16, 3)
    + rr(ptr(12), 16, b"\x05bind9", c=3, ttl=0),
    "resp-deep-ptr-chain": hdr(16, 0x8180, 1, 1, 0, 0) + q(QNAME, 5)
    + rr(P, 5, b"\x01a\x01b\x01c" + ptr(16)),
    "resp-txt-empty-strings": hdr(17, 0x8180, 1, 1, 0, 0) + q(QNAME, 16)
    + rr(P, 16, b"\x00\x00\x03abc"),
    "bad-pointer-loop": hdr(18, 0x8180, 1, 1, 0, 0) + q(QNAME, 1) + rr(ptr(33), 1, bytes(4)),
    "bad-truncated-rdata": (hdr(19, 0x8180, 1, 1, 0, 0) + q(QNAME, 1)
                            + rr(P, 28, bytes(16)))[:-5],
    "bad-two-opt": hdr(20, 0x0100, 1, 0, 0, 2) + q(QNAME, 1) + opt() + opt(512),
    "header-only-counts": hdr(21, 0x8180, 0, 0, 0, 0),
}


# Replies to www.example.com/A as the walk meets them. fuzz_walk asks as the
# zone that drops (ID >> 8) % 4 labels from the question's name: the high
# ID byte 0x03 is ".", 0x02 "com.", 0x01 "example.com.", 0x00 the name.
def walk_reply(zone_k, flags, an=(), ns=(), ar=(), qname=QNAME, low=0x11):
    return (hdr(zone_k << 8 | low, flags, 1, len(an), len(ns), len(ar)) + q(qname, 1)
            + b"".join(an) + b"".join(ns) + b"".join(ar))


GTLD = [name(c + ".gtld-servers.net") for c in "abc"]
WALK = {
    "root-referral-glue": walk_reply(
        3, 0x8000, ns=[rr(name("com"), 2, g, ttl=172800) for g in GTLD],
        ar=[rr(GTLD[0], 1, bytes([198, 19, 0, 1])), rr(GTLD[0], 28, bytes(15) + b"\1"),
            rr(GTLD[1], 1, bytes([198, 19, 0, 2])), opt(1232)]),
    # 0x20 case echoed; the first NS has no glue, the second has.
    "tld-referral-second-ns-glue": walk_reply(
        2, 0x8000, qname=name("wWw.ExAmple.cOm"),
        ns=[rr(ptr(16), 2, name("ns.elsewhere.net")), rr(ptr(16), 2, b"\x03ns2" + ptr(16))],
        ar=[rr(ptr(75), 1, bytes([198, 19, 66, 66])), opt(1232)]),
    "answer": walk_reply(1, 0x8400, an=[rr(P, 1, bytes([93, 184, 216, 34]))],
                         ns=[rr(ptr(16), 2, b"\x02ns" + ptr(16))]),
    "answer-cname-only": walk_reply(1, 0x8400, an=[rr(P, 5, name("cdn.example.net"))]),
    "nxdomain-soa": walk_reply(1, 0x8403, ns=[rr(ptr(16), 6, soa_c(16), ttl=900)]),
    "servfail-edns": walk_reply(2, 0x8002, ar=[opt(1232, ext=0)]),
    "badvers-ext-rcode": walk_reply(2, 0x8000, ar=[opt(1232, ext=1)]),
    "nodata-soa": walk_reply(0, 0x8400, ns=[rr(ptr(16), 6, soa_c(16))]),
    "nodata-empty": walk_reply(1, 0x8400),
    "referral-no-glue": walk_reply(
        2, 0x8000, ns=[rr(ptr(16), 2, name("ns1.other.net")), rr(ptr(16), 2, name("ns2.other.net"))]),
    "referral-glue-wrong-class": walk_reply(
        2, 0x8000, ns=[rr(ptr(16), 2, b"\x02ns" + ptr(16))],
        ar=[rr(ptr(45), 1, bytes([1, 2, 3, 4]), c=3), rr(ptr(45), 28, bytes(16))]),
    # More records than the walk reads (WALK_RR_MAX, 64): the only A glue
    # for the first NS comes after the cut, the second's before it.
    "root-referral-beyond-rr-max": walk_reply(
        3, 0x8000, ns=[rr(name("com"), 2, name(c + ".gtld-servers.net")) for c in "ab"],
        ar=[rr(name("x%d.gtld-servers.net" % i), 1, bytes([198, 19, 1, i])) for i in range(60)]
        + [rr(GTLD[1], 1, bytes([198, 19, 0, 2]))]
        + [rr(name("y%d.gtld-servers.net" % i), 1, bytes([198, 19, 2, i])) for i in range(4)]
        + [rr(GTLD[0], 1, bytes([198, 19, 0, 1]))]),
    "sideways-referral": walk_reply(
        1, 0x8000, ns=[rr(name("other.org"), 2, name("ns.other.org"))],
        ar=[rr(name("ns.other.org"), 1, bytes([198, 19, 7, 7]))]),
    "upward-referral": walk_reply(
        1, 0x8000, ns=[rr(ptr(24), 2, name("a.gtld-servers.net"))],
        ar=[rr(name("a.gtld-servers.net"), 1, bytes([198, 19, 0, 1]))]),
    "same-zone-referral": walk_reply(
        1, 0x8000, ns=[rr(ptr(16), 2, b"\x02ns" + ptr(16))],
        ar=[rr(ptr(45), 1, bytes([198, 19, 66, 66]))]),
    "referral-to-name-itself": walk_reply(
        1, 0x8000, ns=[rr(P, 2, b"\x02ns" + P)], ar=[rr(ptr(45), 1, bytes([10, 0, 0, 5]))]),
    "truncated": walk_reply(3, 0x8200, ns=[rr(name("com"), 2, GTLD[0])]),
}


# --- frames ---------------------------------------------------------------

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp(payload, sport=53, dport=33333):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def ipv4(l4, proto=17, src=b"\xc6\x12\x00\x01", dst=b"\xc0\x00\x02\x07", ident=0x1234,
         frag=0x4000, ttl=57, opts=b""):
    ihl = (20 + len(opts)) // 4
    h = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(l4), ident, frag,
                    ttl, proto, 0, src, dst) + opts
    h = h[:10] + struct.pack(">H", csum(h)) + h[12:]
    return h + l4


V6S = bytes.fromhex("fd530000000000000000000000000001")
V6D = bytes.fromhex("20010db8000000000000000000000007")


def ipv6(l4, nxt=17, ext=b""):
    return struct.pack(">IHBB", 0x60000000, len(ext) + len(l4), nxt, 64) + V6S + V6D + ext + l4


ETH = bytes.fromhex("020000000001020000000002")


def eth(ip, etype=0x0800, tags=()):
    b = ETH
    for tpid, vid in tags:
        b += struct.pack(">HH", tpid, vid)
    return b + struct.pack(">H", etype) + ip


def sll(ip, proto=0x0800):
    return struct.pack(">HHH8sH", 0, 1, 6, ETH[:6] + b"\0\0", proto) + ip


def sll2(ip, proto=0x0800):
    return struct.pack(">HHIHBB8s", proto, 0, 2, 1, 0, 6, ETH[:6] + b"\0\0") + ip


def pcap(link, frames, nsec=False, big=False, snap=65535):
    e = ">" if big else "<"
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snap, link)
    for i, f in enumerate(frames):
        orig = len(f)
        if isinstance(f, tuple):  # (bytes captured, original length)
            f, orig = f
        out += struct.pack(e + "IIII", 1700000000 + i, 1000 * i, len(f), orig) + f
    return out


def pcapng(link, frames, tsresol=None, stamps=None):
    def block(t, body):
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", t, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = struct.pack("<HHI", link, 0, 65535)
    if tsresol is not None:  # if_tsresol option, then opt_endofopt
        idb += struct.pack("<HHB3x", 9, 1, tsresol) + struct.pack("<HH", 0, 0)
    out += block(1, idb)
    for i, f in enumerate(frames):
        ts = stamps[i] if stamps else (1700000000 + i) * 1000000
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(f), len(f)) + f)
    return out


def ipv6_frag_header(nxt, off_mf, ident):
    return struct.pack(">BBHI", nxt, 0, off_mf, ident)


LOCATE_LINE = (b'{"name":"www.example.com.","target":"198.18.55.55","hops":[{"ttl":1,"router":'
               b'"198.19.1.1","target_reached":false,"replies":0},{"ttl":3,"router":null,'
               b'"target_reached":false,"replies":4}],"injectors":[{"flags":33792,"df":false,'
               b'"ipid_zero":false,"answer":"65.49.2.178","replies":8,"first_ttl":3,'
               b'"judged":true,"mirrors_ttl":false}],"hop":3,"hop_tentative":false,'
               b'"untrusted_mirroring":true}')

LOCATE = {
    "locate": LOCATE_LINE,
    "locate-unplaced": b'{"name":"a.cn.","target":"198.18.1.1","hops":[{"ttl":1,"router":"198.18.0.1",'
    b'"target_reached":false,"replies":0},{"ttl":2,"router":"198.18.1.1","target_reached":true,'
    b'"replies":1}],"injectors":[],"hop":null,"hop_tentative":false,"untrusted_mirroring":false}\n',
    "locate-tentative-two": b'{"name":"x.org.","target":"2001:db8::1","hops":[],"injectors":[{"flags":'
    b'33152,"df":true,"ipid_zero":true,"answer":"NXDOMAIN","replies":2,"first_ttl":255,"mirrors_ttl":'
    b'true},{"flags":34176,"answer":"::1"}],"hop":255,"hop_tentative":true}',
    "wrong-types": b'{"hops":{"ttl":1},"injectors":"x","name":1,"target":[],"hop":"3",'
    b'"hop_tentative":1}',
    "out-of-range": b'{"hops":[{"ttl":256,"replies":1e308},{"ttl":-1}],"injectors":[{"flags":65536,'
    b'"first_ttl":-1e308}],"hop":0}',
    "number-overflow": b'{"hops":[],"hop":1e400}',
    "key-twice": b'{"hops":[],"hop":3,"hop":4}',
    "nul": b'{"hops":[],"name":"a\\u0000b","a\\u0000":1}',
    "escapes": b'["a\\u00e9\\ud83d\\ude00", "\\ud800x", "c\\u0000d", "\\"\\\\\\/\\b\\f\\n\\r\\t"]',
    "badu": b'"\\u12',
    "numbers": b'{"a": -0.5e+10, "b": 0, "c": [true, false, null], "d": {}}',
    "cut": b'{"name":"x","hops":[{"ttl":1,',
    "deep": b"[" * 38 + b"]" * 38,
    "deep-32": b'{"hops":' + b"[" * 31 + b"]" * 31 + b"}",
    "not-utf8": b'{"hops":[],"name":"\xff\xfe"}',
    "trailing": LOCATE_LINE + b" x",
}


def main():
    for target in ("fuzz_parse", "fuzz_roundtrip"):
        d = os.path.join(OUT, target)
        os.makedirs(d, exist_ok=True)
        for k, v in MSGS.items():
            with open(os.path.join(d, "seed-" + k), "wb") as f:
                f.write(v)

    d = os.path.join(OUT, "fuzz_locate_json")
    os.makedirs(d, exist_ok=True)
    for k, v in LOCATE.items():
        with open(os.path.join(d, "seed-" + k), "wb") as f:
            f.write(v)

    d = os.path.join(OUT, "fuzz_walk")
    os.makedirs(d, exist_ok=True)
    for k, v in WALK.items():
        with open(os.path.join(d, "seed-" + k), "wb") as f:
            f.write(v)

    A = MSGS["resp-a-compressed"]
    Q = MSGS["query-edns-cookie"]
    NX = MSGS["resp-nxdomain-soa"]
    E = MSGS["resp-edns-nsid-ede"]
    v4a, v4q = ipv4(udp(A)), ipv4(udp(Q, 40000, 53))
    v6a = ipv6(udp(MSGS["resp-aaaa"]))
    hbh = struct.pack(">BB", 60, 0) + b"\x01\x04\0\0\0\0"        # hop-by-hop, PadN
    dst = struct.pack(">BB", 43, 0) + b"\x01\x04\0\0\0\0"        # destination options
    rt = struct.pack(">BBBB", 17, 2, 0, 0) + bytes(4) + V6D      # routing type 0, 1 addr
    v6ext = ipv6(udp(NX), nxt=0, ext=hbh + dst + rt)
    big = udp(MSGS["resp-txt"])
    v4frag1 = ipv4(big[:24], ident=7, frag=0x2000)
    v4frag2 = ipv4(big[24:], ident=7, frag=3)
    v6frag = ipv6(big[:24], nxt=44, ext=ipv6_frag_header(17, 1, 0xabcd))
    tcp = ipv4(struct.pack(">HHIIBBHHH", 53, 40000, 1, 1, 0x50, 0x18, 1024, 0, 0)
               + struct.pack(">H", len(A)) + A, proto=6)
    arp = ETH + b"\x08\x06" + bytes(28)
    padded = eth(ipv4(udp(MSGS["query-a"], 40001, 53)) + bytes(6))
    caps = {
        "eth-v4-query-resp": pcap(1, [eth(v4q), eth(v4a)]),
        "eth-v6-ext-headers": pcap(1, [eth(v6ext, 0x86DD), eth(v6a, 0x86DD)]),
        "eth-vlan-qinq": pcap(1, [eth(v4a, tags=[(0x8100, 100)]),
                                  eth(ipv6(udp(E)), 0x86DD, tags=[(0x88A8, 10), (0x8100, 20)])]),
        "eth-fragments-tcp-arp": pcap(1, [eth(v4frag1), eth(v4frag2), eth(v6frag, 0x86DD),
                                          eth(tcp), arp, padded]),
        "eth-snapcut-nsec-be": pcap(1, [(eth(v4a)[:60], len(eth(v4a))), eth(v4q)[:30]],
                                    nsec=True, big=True, snap=60),
        "sll-v4-v6": pcap(113, [sll(v4a), sll(v6a, 0x86DD), sll(b"", 0x0806)]),
        "sll2-v4-v6": pcap(276, [sll2(v4q), sll2(v6ext, 0x86DD)]),
        "raw-ip": pcap(101, [v4a, v6a, ipv4(udp(b"\0" * 3))]),
        "raw-ipv4-ipv6-dlt": pcap(228, [v4q, v4a]) ,
        "dlt-ipv6": pcap(229, [v6a, v6ext]),
        "loopback-null": pcap(0, [struct.pack("<I", 2) + v4a, struct.pack("<I", 30) + v6a]),
        "loop-openbsd": pcap(108, [struct.pack(">I", 2) + v4q]),
        "unknown-link": pcap(147, [v4a]),
        "bad-ip-headers": pcap(101, [ipv4(udp(A))[:19], b"\x4f" + v4a[1:],
                                     v4a[:2] + b"\x00\x05" + v4a[4:],
                                     ipv4(struct.pack(">HHHH", 53, 1, 4, 0)),
                                     ipv6(udp(A))[:40] , b"\x20" + bytes(30)]),
        "pcapng-eth": pcapng(1, [eth(v4q), eth(v4a), eth(v6ext, 0x86DD)]),
        # Timestamps in whole seconds (if_tsresol 10^0) beyond what struct
        # tm holds: present.c printed an unset struct tm for them.
        "pcapng-huge-timestamps": pcapng(1, [eth(v4a), eth(v4a)], tsresol=0,
                                         stamps=[1 << 62, (1 << 64) - 1]),
        "truncated-file": pcap(1, [eth(v4a)])[:-20],
        "eth-v4-v6-fragmented-dns": pcap(1, [eth(f) for f in v4frags(big, 8, 11, 40)]
                                          + [eth(f, 0x86DD) for f in v6frags(big, 8, 11, 40)]),
    }
    d = os.path.join(OUT, "fuzz_pcap")
    os.makedirs(d, exist_ok=True)
    for k, v in caps.items():
        with open(os.path.join(d, "seed-" + k + (".pcapng" if "pcapng" in k else ".pcap")), "wb") as f:
            f.write(v)

    d = os.path.join(OUT, "fuzz_reasm")
    os.makedirs(d, exist_ok=True)
    for k, v in reasm_seeds(big).items():
        with open(os.path.join(d, "seed-" + k), "wb") as f:
            f.write(v)


def v4frags(l4, step, ident, ttl):
    """L4 in IPv4 fragments of STEP bytes (a multiple of 8), in order."""
    out = []
    for off in range(0, len(l4), step):
        more = 0x2000 if off + step < len(l4) else 0
        out.append(ipv4(l4[off:off + step], ident=ident, frag=more | off // 8, ttl=ttl))
    return out


def v6frags(l4, step, ident, ttl):
    out = []
    for off in range(0, len(l4), step):
        more = 1 if off + step < len(l4) else 0
        out.append(ipv6(l4[off:off + step], nxt=44, ext=ipv6_frag_header(17, off | more, ident)))
    return out


def records(pkts):
    """fuzz_reasm's input: [seconds since the last: 1][length: 2][packet]."""
    return b"".join(struct.pack(">BH", dt, len(p)) + p for dt, p in pkts)


def reasm_seeds(l4):
    """fuzz_reasm: in order, out of order, a duplicate, an overlap, a gap
    past the 10 s timeout, IPv6 with a destination-options header, too many
    datagrams (9 of 8) and too many fragments (17 of 16), and a whole packet."""
    f4 = v4frags(l4, 16, 21, 50)
    f6 = v6frags(l4, 24, 0x1234, 50)
    dst = struct.pack(">BB", 44, 0) + b"\x01\x04\0\0\0\0"
    f6ext = [ipv6(p[48:], nxt=60, ext=dst + p[40:48]) for p in f6]
    overlap = ipv4(l4[8:40], ident=21, frag=0x2000 | 1, ttl=50)
    many = [ipv4(l4[:8], ident=100 + i, frag=0x2000) for i in range(9)]
    tiny = v4frags(l4[:8 * 18], 8, 22, 50)
    return {
        "v4-in-order": records((0, p) for p in f4),
        "v4-reversed-duplicate": records((0, p) for p in [f4[1]] + f4[::-1]),
        "v4-overlap": records((0, p) for p in [f4[0], overlap] + f4[1:]),
        "v4-timeout": records([(0, f4[0]), (11, f4[1])] + [(0, p) for p in f4[2:]]),
        "v6-in-order": records((0, p) for p in f6),
        "v6-ext-out-of-order": records((1, p) for p in f6ext[::-1]),
        "limits": records([(0, p) for p in many] + [(0, p) for p in tiny]),
        "whole": records([(0, ipv4(udp(b"\0" * 12))), (0, ipv6(udp(b"\0" * 12)))]),
    }


if __name__ == "__main__":
    main()

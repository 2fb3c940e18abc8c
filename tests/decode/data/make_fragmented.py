#!/usr/bin/env python3
"""Regenerate fragmented.pcap: a query for big.example.com, a forged reply
150 us later (IP TTL 47, ID 0), and the real reply 160 ms later, 1325 bytes
of DNS (TXT) that crossed a link of MTU 576: three IPv4 fragments of 552, 552 and
the rest, the last one before the middle one (IP TTL 56, ID 4242, no DF).
Then two fragments of another datagram that overlap (ID 5000: dropped
whole), the first fragment of a datagram whose rest never comes (ID
6000), and a datagram whose second fragment comes 30.6 s after its first
(ID 7000): at that moment 6000 and 7000 expire (the 30 s timeout), and
the late fragment is left incomplete at the end. Kept with its output; the .pcap is what
tests/decode/test_decode.sh reads."""
import struct


def name(n):
    return b''.join(bytes([len(l)]) + l.encode() for l in n.split('.')) + b'\0'


def query(qid, n, qtype):
    return struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0) + name(n) + struct.pack('>HH', qtype, 1)


def reply(qid, n, qtype, rdata, ttl):
    return (struct.pack('>HHHHHH', qid, 0x8180, 1, 1, 0, 0) + name(n) + struct.pack('>HH', qtype, 1)
            + b'\xc0\x0c' + struct.pack('>HHIH', qtype, 1, ttl, len(rdata)) + rdata)


def checksum(b):
    s = sum(struct.unpack('>%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def ip(src, dst, l4, ttl, ipid, frag):
    h = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), ipid, frag, ttl, 17, 0,
                    bytes(src), bytes(dst))
    return h[:10] + struct.pack('>H', checksum(h)) + h[12:] + l4


def eth(p):
    return b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00' + p


def udp(sport, dport, payload):
    return struct.pack('>HHHH', sport, dport, 8 + len(payload), 0) + payload


def frag(src, dst, l4, off, size, ttl, ipid):
    more = 0x2000 if off + size < len(l4) else 0
    return eth(ip(src, dst, l4[off:off + size], ttl, ipid, more | off // 8))


client, server = [198, 18, 1, 10], [198, 18, 8, 8]
txt = b''.join(bytes([255]) + bytes([0x61 + i]) * 255 for i in range(5))
real = udp(53, 40000, reply(0x2016, 'big.example.com', 16, txt, 3600))
forged = udp(53, 40000, reply(0x2016, 'big.example.com', 16, b'\x06forged', 300))
other = udp(53, 40001, bytes(1200))
packets = [
    (0, eth(ip(client, server, udp(40000, 53, query(0x2016, 'big.example.com', 16)), 64, 1, 0x4000))),
    (150, eth(ip(server, client, forged, 47, 0, 0))),
    (160161, frag(server, client, real, 0, 552, 56, 4242)),
    (160162, frag(server, client, real, 1104, 552, 57, 4242)),
    (160170, frag(server, client, real, 552, 552, 58, 4242)),
    (200000, frag(server, client, other, 0, 552, 56, 5000)),
    (200001, frag(server, client, other, 544, 552, 56, 5000)),
    (300000, frag(server, client, other, 0, 552, 56, 6000)),
    (400000, frag(server, client, other, 0, 552, 56, 7000)),
    (31000000, frag(server, client, other, 552, 1000, 56, 7000)),
]
out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
t0 = 1451606400  # 2016-01-01 00:00:00 UTC
for us, f in packets:
    out += struct.pack('<IIII', t0 + us // 1000000, us % 1000000, len(f), len(f)) + f
open('fragmented.pcap', 'wb').write(out)

#!/usr/bin/env python3
"""Regenerate sample.pcap: a query for www.example.com from a lab client,
a forged reply 150 us later (65.49.2.178, IP TTL 47, IP ID 0, no DF: an
injector's fingerprint) and the real reply 160 ms later, on 21 January 2014
at 15:15 China time. Kept for the record; the .pcap is what tests read."""
import struct


def name(n):
    return b''.join(bytes([len(l)]) + l.encode() for l in n.split('.')) + b'\0'


def query(qid, n):
    return struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0) + name(n) + struct.pack('>HH', 1, 1)


def reply(qid, n, ip, ttl, flags):
    return (struct.pack('>HHHHHH', qid, flags, 1, 1, 0, 0) + name(n) + struct.pack('>HH', 1, 1)
            + b'\xc0\x0c' + struct.pack('>HHIH', 1, 1, ttl, 4) + bytes(ip))


def checksum(b):
    s = sum(struct.unpack('>%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def frame(src, dst, sport, dport, payload, ttl, ipid, df):
    udp = struct.pack('>HHHH', sport, dport, 8 + len(payload), 0) + payload
    h = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), ipid, 0x4000 if df else 0, ttl, 17, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack('>H', checksum(h)) + h[12:]
    return b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00' + h + udp


client, server = [198, 18, 1, 10], [198, 18, 8, 8]
packets = [
    (0, frame(client, server, 40000, 53, query(0x2014, 'www.example.com'), 64, 1, True)),
    (150, frame(server, client, 53, 40000,
                reply(0x2014, 'www.example.com', [65, 49, 2, 178], 300, 0x8180), 47, 0, False)),
    (160161, frame(server, client, 53, 40000,
                   reply(0x2014, 'www.example.com', [93, 184, 216, 34], 3600, 0x8180), 56, 7777, True)),
]
out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
t0 = 1390288500  # 2014-01-21 07:15:00 UTC, 15:15 in China
for us, f in packets:
    out += struct.pack('<IIII', t0 + us // 1000000, us % 1000000, len(f), len(f)) + f
open('sample.pcap', 'wb').write(out)

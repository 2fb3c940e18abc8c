#!/usr/bin/env python3
"""A DNS responder for tests/probe/test_probe_frag.sh: answers every query
on ADDR port 53 with one TXT record of 1050 bytes (5 strings of 209 'f's:
a reply of 1095 bytes to big.example.com), so that over a link of MTU 576 the
kernel sends the reply in two IPv4 fragments (DF off). With a second
argument "forge", every query first gets a small forged reply (one short TXT
string, "forged", sent with IP TTL 200, as an on-path injector's reply would
come first and whole), then the real one; with "small", one short TXT
reply, in one packet. A third argument is the port (53 by default). Prints
"ready" once bound."""
import socket
import struct
import sys

IP_MTU_DISCOVER, IP_PMTUDISC_DONT = 10, 0
mode = sys.argv[2] if len(sys.argv) > 2 else ""
forge = mode == "forge"
port = int(sys.argv[3]) if len(sys.argv) > 3 else 53

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
s.bind((sys.argv[1], port))
print("ready", flush=True)
txt = b"".join(bytes([209]) + b"f" * 209 for _ in range(5))
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 12:
        continue
    end = 12
    while end < len(q) and q[end]:
        end += 1 + q[end]
    question = q[12:end + 5]
    head = q[:2] + struct.pack(">HHHHH", 0x8400, 1, 1, 0, 0) + question
    if forge:
        fake = b"\x06forged"
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 200)
        s.sendto(head + b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 60, len(fake)) + fake, peer)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 64)
    rdata = b"\x05small" if mode == "small" else txt
    reply = head + b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 300, len(rdata)) + rdata
    s.sendto(reply, peer)
    print("answered %d bytes" % len(reply), flush=True)

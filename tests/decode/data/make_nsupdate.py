#!/usr/bin/env python3
"""Regenerate nsupdate.bin: the UPDATE message nsupdate (bind9-dnsutils)
sends, caught by a UDP listener on 127.0.0.1 that answers NOERROR. Kept for
the record; the .bin is what tests read (nsupdate picks a new message ID on
every run, so a new capture differs in its first two bytes).

    python3 tests/decode/data/make_nsupdate.py [OUT]
"""
import os
import socket
import subprocess
import sys

SCRIPT = """server 127.0.0.1 {port}
zone example.com.
prereq nxrrset new.example.com. A
prereq yxrrset www.example.com. AAAA
update delete old.example.com. A
update delete gone.example.com.
update delete www.example.com. MX 10 mail.example.com.
update add new.example.com. 300 A 192.0.2.1
update add new.example.com. 300 TXT "hello"
send
"""


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                             'nsupdate.bin')
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    s.settimeout(10)
    p = subprocess.Popen(['nsupdate', '-t', '3'], stdin=subprocess.PIPE)
    p.stdin.write(SCRIPT.format(port=s.getsockname()[1]).encode())
    p.stdin.close()
    msg, peer = s.recvfrom(65535)
    # The reply: same ID, QR, opcode UPDATE, NOERROR, no records.
    s.sendto(msg[:2] + b'\xa8\x00' + bytes(8), peer)
    p.wait(10)
    with open(out, 'wb') as f:
        f.write(msg)
    print('%d bytes in %s' % (len(msg), out))


if __name__ == '__main__':
    main()

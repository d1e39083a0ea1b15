#!/usr/bin/env python3
"""A tiny scripted DNS server for the real-MTA tests (Python standard library only).

Usage: dnsstub.py ZONEFILE [ADDR [PORT]]      (default 127.0.0.1 53, UDP and TCP)
Prints "ready" on stdout once it listens.

ZONEFILE lines (blank lines and '#' comments ignored), whitespace separated:
    NAME  A         127.0.1.10
    NAME  MX        10 mx.example.test
    NAME  PTR       mx.example.test
    NAME  NXDOMAIN                      every query for NAME (and names below it) -> NXDOMAIN
    NAME  SERVFAIL                      every query for NAME (and names below it) -> SERVFAIL
    NAME  DROP                          no answer at all (the resolver times out)
Names are case-insensitive; a leading "*." matches any name below the suffix.
A name that exists with no record of the asked type gets an empty NOERROR answer;
a name that is not in the file gets NXDOMAIN.  It only ever listens on loopback.
"""
import socket
import struct
import sys
import threading

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}


def load_zone(path):
    records = {}   # name -> list of (type, value)
    special = {}   # name -> NXDOMAIN | SERVFAIL | DROP
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split(None, 2)
            name = parts[0].lower().rstrip(".")
            kind = parts[1].upper()
            if kind in ("NXDOMAIN", "SERVFAIL", "DROP"):
                special[name] = kind
            else:
                records.setdefault(name, []).append((kind, parts[2] if len(parts) > 2 else ""))
    return records, special


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii")
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def parse_question(msg):
    labels = []
    pos = 12
    while True:
        if pos >= len(msg):
            raise ValueError("short question")
        ln = msg[pos]
        pos += 1
        if ln == 0:
            break
        if ln & 0xC0:
            raise ValueError("compressed question")
        labels.append(msg[pos:pos + ln].decode("ascii", "replace"))
        pos += ln
    if pos + 4 > len(msg):
        raise ValueError("short question")
    qtype, qclass = struct.unpack("!HH", msg[pos:pos + 4])
    return ".".join(labels), qtype, qclass, pos + 4


def lookup(zone, name):
    """Returns (special, records) for NAME using exact names, then wildcards and parents."""
    records, special = zone
    name = name.lower().rstrip(".")
    parts = name.split(".")
    for i in range(len(parts)):
        suffix = ".".join(parts[i:])
        if suffix in special:
            return special[suffix], []
    if name in records:
        return None, records[name]
    for i in range(1, len(parts)):
        wild = "*." + ".".join(parts[i:])
        if wild in records:
            return None, records[wild]
    return "NXDOMAIN", []


def rdata(kind, value):
    if kind == "A":
        return socket.inet_aton(value)
    if kind == "AAAA":
        return socket.inet_pton(socket.AF_INET6, value)
    if kind == "MX":
        pref, host = value.split()
        return struct.pack("!H", int(pref)) + encode_name(host)
    if kind in ("PTR", "CNAME", "NS"):
        return encode_name(value)
    if kind == "TXT":
        raw = value.encode("utf-8")[:255]
        return bytes([len(raw)]) + raw
    raise ValueError(kind)


def answer(zone, msg):
    if len(msg) < 12:
        return None
    qid, flags = struct.unpack("!HH", msg[:4])
    try:
        qname, qtype, qclass, qend = parse_question(msg)
    except ValueError:
        return struct.pack("!HHHHHH", qid, 0x8001, 0, 0, 0, 0)  # FORMERR
    question = msg[12:qend]
    rd = flags & 0x0100
    special, recs = lookup(zone, qname)
    if special == "DROP":
        return None
    rcode = {"NXDOMAIN": 3, "SERVFAIL": 2}.get(special, 0)
    answers = b""
    count = 0
    if rcode == 0:
        for kind, value in recs:
            if TYPES.get(kind) == qtype:
                data = rdata(kind, value)
                answers += b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 5, len(data)) + data
                count += 1
    # QR, AA (not for SERVFAIL), RD copied, RA
    rflags = 0x8000 | (0x0400 if rcode != 2 else 0) | rd | 0x0080 | rcode
    return struct.pack("!HHHHHH", qid, rflags, 1, count, 0, 0) + question + answers


def serve_udp(zone, sock):
    while True:
        msg, peer = sock.recvfrom(4096)
        try:
            out = answer(zone, msg)
        except Exception as exc:  # never die on a bad query
            sys.stderr.write("dnsstub: %s\n" % exc)
            out = None
        if out is not None:
            sock.sendto(out, peer)


def serve_tcp_conn(zone, conn):
    with conn:
        conn.settimeout(5)
        try:
            while True:
                head = conn.recv(2)
                if len(head) < 2:
                    return
                (ln,) = struct.unpack("!H", head)
                msg = b""
                while len(msg) < ln:
                    chunk = conn.recv(ln - len(msg))
                    if not chunk:
                        return
                    msg += chunk
                out = answer(zone, msg)
                if out is None:
                    return
                conn.sendall(struct.pack("!H", len(out)) + out)
        except OSError:
            return


def serve_tcp(zone, sock):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_tcp_conn, args=(zone, conn), daemon=True).start()


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    zone = load_zone(sys.argv[1])
    addr = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 53
    if not addr.startswith("127."):
        sys.stderr.write("dnsstub: refusing to listen outside loopback\n")
        return 2
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind((addr, port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, port))
    tcp.listen(16)
    threading.Thread(target=serve_tcp, args=(zone, tcp), daemon=True).start()
    sys.stdout.write("ready\n")   # both sockets are bound: the harness may start the MTA
    sys.stdout.flush()
    serve_udp(zone, udp)
    return 0


if __name__ == "__main__":
    sys.exit(main())

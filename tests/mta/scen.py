#!/usr/bin/env python3
"""Reads tests/mta/scenarios.tsv and writes what one run needs.

Usage: scen.py gen OUTDIR      writes OUTDIR/zone (dnsstub.py), OUTDIR/peer.script (peer.py),
                               OUTDIR/rcpts (one "recipient<TAB>behaviour" a line) and
                               OUTDIR/msg/N.eml (the message for row N)
Also imported by check.py (load()).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SENDER = "sender@bounce.test"
FIELDS = ["recipient", "behaviour", "reply", "pf", "ex", "code", "dsn", "reason", "cause"]


def load(path=None):
    path = path or os.path.join(HERE, "scenarios.tsv")
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            f = line.split("\t")
            if len(f) != len(FIELDS):
                raise SystemExit("%s:%d: %d fields, want %d" % (path, lineno, len(f), len(FIELDS)))
            row = dict(zip(FIELDS, f))
            row["line"] = lineno
            row["index"] = len(rows)
            row["domain"] = row["recipient"].rsplit("@", 1)[1].lower()
            row["ip"] = "127.0.1.%d" % (10 + len(rows))
            rows.append(row)
    if len(rows) > 200:
        raise SystemExit("too many scenarios for 127.0.1.10-210")
    return rows


def gen(outdir):
    rows = load()
    os.makedirs(os.path.join(outdir, "msg"), exist_ok=True)
    zone = ["# generated from scenarios.tsv",
            "bounce.test A 127.0.0.1",
            "mta.bounce.test A 127.0.0.1",
            "1.0.0.127.in-addr.arpa PTR mta.bounce.test"]
    peer = ["# generated from scenarios.tsv"]
    rcpts = []
    for r in rows:
        d, ip, b, reply = r["domain"], r["ip"], r["behaviour"], r["reply"]
        if b == "nxdomain":
            zone.append("%s NXDOMAIN" % d)
        elif b == "servfail":
            zone.append("%s SERVFAIL" % d)
        elif b == "loop":
            zone.append("%s MX 10 mx.%s" % (d, d))
            zone.append("mx.%s A 127.0.0.1" % d)
        else:
            zone.append("%s MX 10 mx.%s" % (d, d))
            zone.append("mx.%s A %s" % (d, ip))
            zone.append("%s PTR mx.%s" % (".".join(reversed(ip.split("."))) + ".in-addr.arpa", d))
        if b in ("ok", "filter"):
            peer.append("listen\t%s\t-" % ip)
        elif b in ("rcpt", "data", "dot"):
            peer.append("listen\t%s\t-" % ip)
            peer.append("rcpt\t%s\t%s\t%s" % (r["recipient"], b, reply))
        elif b in ("greet", "mail"):
            peer.append("listen\t%s\t%s\t%s" % (ip, b, reply))
        elif b == "size":
            peer.append("listen\t%s\tsize\t%s" % (ip, reply))
        elif b == "blackhole":
            peer.append("listen\t%s\tblackhole\t-" % ip)
        elif b in ("refused", "nxdomain", "servfail", "loop"):
            pass
        else:
            raise SystemExit("scenarios.tsv:%d: unknown behaviour %s" % (r["line"], b))
        rcpts.append("%s\t%s" % (r["recipient"], b))
        headers = [
            "From: Libbounce Test <%s>" % SENDER,
            "To: <%s>" % r["recipient"],
            "Subject: libbounce real-MTA scenario %d (%s)" % (r["index"], b),
            "Message-ID: <scenario-%d.%s@bounce.test>" % (r["index"], d),
            "Date: Tue, 25 Nov 2025 12:00:00 +0000",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=us-ascii",
        ]
        if b == "filter":
            headers.append("X-Libbounce-Filter: amavis")
        body = ["This is a test message of the libbounce test suite, sent on loopback only.",
                "Scenario: %s %s" % (r["recipient"], b), ""]
        body += ["Padding line %02d so that the message is larger than small SIZE limits." % i
                 for i in range(8)]
        with open(os.path.join(outdir, "msg", "%d.eml" % r["index"]), "w", encoding="ascii") as fh:
            fh.write("\n".join(headers) + "\n\n" + "\n".join(body) + "\n")
    for name, lines in (("zone", zone), ("peer.script", peer), ("rcpts", rcpts)):
        with open(os.path.join(outdir, name), "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)

#!/usr/bin/env python3
"""Checks the records the freshly built CLI makes of what real MTAs wrote.

Usage: check.py --cli PATH --out DIR [--mta postfix,exim] [--scenarios FILE]

DIR holds what run-postfix.sh and run-exim.sh captured.  For each MTA it runs
  bounce log --json    on the MTA's log:  per scenario, the first record of the recipient is
                       the deciding one for status/reply_code/enhanced_status/reason/cause,
                       the last record has the final status (scenarios.tsv, PHASE1>FINAL);
  bounce queue --json  on postqueue -p, postqueue -j and exim -bp taken while the deferred
                       mail was queued: exactly the PHASE1-deferred recipients, status
                       "queued"; for Postfix the listing's delay reason classifies like the log;
  bounce dsn --json    on the sender's mailbox: a DSN record for every recipient that
                       finally bounced or expired, with that status.
Prints every mismatch as "MTA recipient: field: expected ..., got ... (file:line)" and exits 1
when there is any; 0 when everything matches.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scen  # noqa: E402

MTAS = {
    "postfix": {"col": "pf", "log": "postfix.log", "source": "postfix",
                "queues": [("postqueue-p.txt", "postqueue", True), ("postqueue-j.json", "postqueue", True)],
                "mbox": "postfix-mailbox.mbox"},
    "exim": {"col": "ex", "log": "exim-mainlog", "source": "exim",
             "queues": [("exim-bp.txt", "exim-queue", False)],
             "mbox": "exim-mailbox.mbox"},
}
SENDER = scen.SENDER


class Checker:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def fail(self, mta, who, field, expected, got, rec=None):
        where = ""
        if rec:
            where = " (%s:%s)" % (os.path.basename(str(rec.get("file", "?"))), rec.get("line", "?"))
        self.failures.append("%-7s %-26s %-15s expected %-34s got %s%s" % (
            mta, who, field + ":", expected, json.dumps(got) if got is not None else "(absent)", where))

    def ok(self):
        self.passed += 1


def pick(value, col):
    """'pf value|ex value' -> the value for this MTA; a single value applies to both."""
    if "|" in value:
        pf, ex = value.split("|", 1)
        return pf if col == "pf" else ex
    return value


def matches(expected, got):
    """* = anything; - = absent; a/b = one of; compared as strings."""
    if expected == "*":
        return True
    if expected == "-":
        return got is None or got == ""
    if got is None:
        return False
    return str(got) in expected.split("/")


def run_cli(cli, args):
    proc = subprocess.run([cli] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    records = []
    bad = 0
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(obj, dict) and "recipient" in obj or isinstance(obj, dict) and "status" in obj:
            records.append(obj)
    return proc.returncode, records, bad, proc.stderr.decode("utf-8", "replace")


def check_log(ck, cli, out, mta, rows):
    conf = MTAS[mta]
    col = conf["col"]
    path = os.path.join(out, conf["log"])
    rc, recs, bad, err = run_cli(cli, ["log", "--json", path])
    if rc not in (0, 1) or not recs:
        ck.fail(mta, "(bounce log)", "run", "exit 0 and records", "exit %d, %d records: %s" % (rc, len(recs), err.strip()[:200]))
        return
    if bad:
        ck.fail(mta, "(bounce log)", "json", "JSON Lines", "%d unparsable lines" % bad)
    for r in recs:
        if r.get("source") != conf["source"]:
            ck.fail(mta, r.get("recipient", "?"), "source", conf["source"], r.get("source"), r)
            break
    by_rcpt = {}
    for r in recs:
        by_rcpt.setdefault(str(r.get("recipient", "")).lower(), []).append(r)
    for row in rows:
        who = row["recipient"]
        mine = by_rcpt.get(who.lower(), [])
        status = row[col]
        phase1, _, final = status.partition(">")
        final = final or phase1
        if not mine:
            ck.fail(mta, who, "records", "at least one record", None)
            continue
        first, last = mine[0], mine[-1]
        fields = [("status", phase1, first.get("status"), first),
                  ("final status", final, last.get("status"), last),
                  ("reply_code", pick(row["code"], col), first.get("reply_code"), first),
                  ("enhanced", pick(row["dsn"], col), first.get("enhanced_status"), first),
                  ("reason", pick(row["reason"], col), first.get("reason"), first),
                  ("cause", pick(row["cause"], col), first.get("cause"), first)]
        for name, exp, got, rec in fields:
            if matches(exp, got):
                ck.ok()
            else:
                ck.fail(mta, who, name, exp, got, rec)
        for r in mine:
            if str(r.get("sender", "")).lower() != SENDER:
                ck.fail(mta, who, "sender", SENDER, r.get("sender"), r)
                break
        if set(final.split("/")) & {"expired", "bounced"} and last.get("severity") != "permanent":
            ck.fail(mta, who, "severity", "permanent", last.get("severity"), last)
    # Every bounce notification Postfix/Exim delivered to the sender was logged too.
    notes = [r for r in by_rcpt.get(SENDER, []) if r.get("status") == "delivered"]
    want = sum(1 for row in rows if set(row[col].split(">")[-1].split("/")) & {"bounced", "expired"})
    if len(notes) < want:
        ck.fail(mta, SENDER, "notifications", ">= %d delivered" % want, len(notes))
    else:
        ck.ok()


def check_queue(ck, cli, out, mta, rows):
    conf = MTAS[mta]
    col = conf["col"]
    queued = {}
    for row in rows:
        phase1 = row[col].split(">")[0].split("/")
        if "deferred" in phase1 or "frozen" in phase1:
            queued[row["recipient"].lower()] = (row, "frozen" if "frozen" in phase1 else "queued")
    for fname, source, has_reason in conf["queues"]:
        path = os.path.join(out, fname)
        rc, recs, bad, err = run_cli(cli, ["queue", "--json", path])
        label = "(%s)" % fname
        if rc not in (0, 1) or not recs:
            ck.fail(mta, label, "run", "exit 0 and records", "exit %d, %d records: %s" % (rc, len(recs), err.strip()[:200]))
            continue
        seen = {}
        for r in recs:
            seen.setdefault(str(r.get("recipient", "")).lower(), []).append(r)
        for who, (row, qstatus) in queued.items():
            mine = seen.get(who)
            if not mine:
                ck.fail(mta, row["recipient"], fname, "queued", None)
                continue
            r = mine[0]
            checks = [("source", source, r.get("source")), ("status", qstatus, r.get("status")),
                      ("sender", SENDER, str(r.get("sender", "")).lower())]
            if has_reason:
                checks.append(("cause", pick(row["cause"], col), r.get("cause")))
                checks.append(("diagnostic", "non-empty", "non-empty" if r.get("diagnostic") else None))
            for name, exp, got in checks:
                if matches(exp, got):
                    ck.ok()
                else:
                    ck.fail(mta, row["recipient"], fname + " " + name, exp, got, r)
        for who in seen:
            if who not in queued:
                ck.fail(mta, who, fname, "not queued", "queued", seen[who][0])


def check_dsn(ck, cli, out, mta, rows):
    conf = MTAS[mta]
    col = conf["col"]
    path = os.path.join(out, conf["mbox"])
    rc, recs, bad, err = run_cli(cli, ["dsn", "--json", path])
    if rc not in (0, 1) or not recs:
        ck.fail(mta, "(bounce dsn)", "run", "exit 0 and records", "exit %d, %d records: %s" % (rc, len(recs), err.strip()[:200]))
        return
    seen = {}
    for r in recs:
        seen.setdefault(str(r.get("recipient", "")).lower(), []).append(r)
    for row in rows:
        final = row[col].split(">")[-1]
        if not set(final.split("/")) & {"bounced", "expired"}:
            continue
        mine = seen.get(row["recipient"].lower(), [])
        failed = [r for r in mine if r.get("status") in ("bounced", "expired")]
        if failed:
            ck.ok()
        else:
            ck.fail(mta, row["recipient"], "dsn status", "bounced/expired",
                    [r.get("status") for r in mine] or None, mine[0] if mine else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mta", default="postfix,exim")
    ap.add_argument("--scenarios")
    args = ap.parse_args()
    rows = scen.load(args.scenarios)
    ck = Checker()
    for mta in args.mta.split(","):
        if mta not in MTAS:
            ap.error("unknown MTA " + mta)
        if not os.path.exists(os.path.join(args.out, MTAS[mta]["log"])):
            ck.fail(mta, "(capture)", "log", "a captured log", None)
            continue
        check_log(ck, args.cli, args.out, mta, rows)
        check_queue(ck, args.cli, args.out, mta, rows)
        check_dsn(ck, args.cli, args.out, mta, rows)
    if ck.failures:
        print("real-MTA check: %d mismatches (%d checks passed):" % (len(ck.failures), ck.passed))
        for line in ck.failures:
            print("  " + line)
        return 1
    print("real-MTA check: all %d checks passed" % ck.passed)
    return 0


if __name__ == "__main__":
    sys.exit(main())

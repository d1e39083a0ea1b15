#!/usr/bin/env python3
"""Turns a kept real-MTA run (mta-test.sh --keep DIR) into test fixtures.

Usage: fixtures.py DIR FIXTURES        (FIXTURES = tests/fixtures)

Writes
  log/real-postfix-scenarios.log      Postfix's maillog_file of the run
  log/real-exim-scenarios.log         Exim's main log of the run
  queue/real-postqueue-p.txt          `postqueue -p` with the deferred mail queued
  queue/real-postqueue-j.json         `postqueue -j` at the same moment
  queue/real-exim-bp.txt              `exim -bp` with the deferred mail queued
  dsn/real-postfix-SCENARIO-KIND.eml  each notification Postfix delivered to the sender
  dsn/real-exim-SCENARIO-KIND.eml     each notification Exim delivered to the sender
KIND is bounce, expired (returned after the queue lifetime) or delay (a delay warning);
SCENARIO is the scenario's domain label in scenarios.tsv.  Only the first delay warning
per MTA and scenario is kept.
"""
import os
import re
import shutil
import sys

SCEN = re.compile(rb"scenario-(\d+)\.([a-z0-9-]+)\.test@bounce\.test")


def split_mbox(path):
    msgs = []
    cur = None
    with open(path, "rb") as fh:
        for line in fh:
            if line.startswith(b"From "):
                if cur is not None:
                    msgs.append(b"".join(cur))
                cur = []
                continue
            if cur is not None:
                cur.append(line)
    if cur:
        msgs.append(b"".join(cur))
    # the mbox format's separator blank line belongs to the file, not to the message
    return [m[:-1] if m.endswith(b"\n\n") else m for m in msgs]


def header(msg, name):
    head = msg.split(b"\n\n", 1)[0]
    m = re.search(rb"(?im)^" + name.encode() + rb":[ \t]*(.*)$", head)
    return m.group(1).decode("utf-8", "replace") if m else ""


def kind_of(mta, msg):
    subject = header(msg, "Subject").lower()
    if "delayed" in subject or subject.startswith("warning:"):
        return "delay"
    if mta == "exim":
        return "expired" if b"retry timeout exceeded" in msg else "bounce"
    status = re.search(rb"(?m)^Status: (\d)\.", msg)
    if status and status.group(1) == b"4":
        return "expired"
    return "bounce"


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    run, fix = sys.argv[1], sys.argv[2]
    copies = [("postfix.log", "log/real-postfix-scenarios.log"),
              ("exim-mainlog", "log/real-exim-scenarios.log"),
              ("postqueue-p.txt", "queue/real-postqueue-p.txt"),
              ("postqueue-j.json", "queue/real-postqueue-j.json"),
              ("exim-bp.txt", "queue/real-exim-bp.txt")]
    for src, dst in copies:
        if os.path.exists(os.path.join(run, src)):
            os.makedirs(os.path.dirname(os.path.join(fix, dst)), exist_ok=True)
            shutil.copyfile(os.path.join(run, src), os.path.join(fix, dst))
            print("wrote", dst)
    os.makedirs(os.path.join(fix, "dsn"), exist_ok=True)
    for mta in ("postfix", "exim"):
        path = os.path.join(run, "%s-mailbox.mbox" % mta)
        if not os.path.exists(path):
            continue
        for name in os.listdir(os.path.join(fix, "dsn")):
            if name.startswith("real-%s-" % mta) and name.endswith(".eml"):
                os.unlink(os.path.join(fix, "dsn", name))
        written = 0
        for msg in split_mbox(path):
            m = SCEN.search(msg)
            if not m:
                continue
            name = "real-%s-%s-%s.eml" % (mta, m.group(2).decode(), kind_of(mta, msg))
            dst = os.path.join(fix, "dsn", name)
            if os.path.exists(dst):
                continue
            with open(dst, "wb") as fh:
                fh.write(msg)
            written += 1
        print("wrote %d dsn/real-%s-*.eml" % (written, mta))
    return 0


if __name__ == "__main__":
    sys.exit(main())

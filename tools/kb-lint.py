#!/usr/bin/env python3
"""Check libbounce knowledge-base files (doc/kb-format.md) without building the library.

usage: tools/kb-lint.py [--iana FILE] [--require ID,ID,...] [--markdown OUT] [PATH...]

PATH is a .tsv file or a directory searched recursively for *.tsv (default: data/kb next to
this script). Files are read in sorted path order, like the built-in KB. The checks:
field counts, id syntax, the 34 reason names, severity/who/action/mta values, that every
referenced cause exists, that every cause has remediation steps, balanced backquotes in
steps, esc code syntax, sig priority/constraints/pattern fragments, and with --iana that
every row of the IANA table is present as an X.S.D esc entry with the identical title.
--markdown writes a readable list of the causes and their remediation.
Exit status: 0 clean, 1 errors found, 2 usage error.
"""
import os
import re
import sys

REASONS = set("""authfailure badreputation blocked contenterror delivered emailtoolarge expired
failedstarttls feedback filtered hasmoved hostunknown mailboxfull mailererror networkerror
norelaying notaccept notcompliantrfc onhold policyviolation ratelimited rejected requireptr
securityerror spamdetected suppressed suspend syntaxerror systemerror systemfull undefined
userunknown vacation virusdetected""".split())
SEVERITIES = {"permanent", "transient", "none", "success"}
WHO = {"sender", "recipient", "local_admin", "remote_admin", "none"}
ACTIONS = {"suppress", "retry", "fix_local_config", "fix_dns", "request_delisting",
           "contact_recipient", "none"}
MTAS = ["any", "postfix", "exim", "plesk", "cpanel"]
STAGES = {"connect", "helo", "starttls", "auth", "mail", "rcpt", "data", "eod"}
NFIELDS = {"cause": 7, "remedy": 4, "code": 4, "esc": 6, "sig": 8}
CAUSE_ID = re.compile(r"^[a-z0-9_.]{1,63}$")
SIG_ID = re.compile(r"^[a-z0-9_.-]{1,63}$")
ESC = re.compile(r"^[X245]\.[0-9]{1,3}\.[0-9]{1,3}$")


class Linter:
    def __init__(self):
        self.errors = []
        self.causes = {}      # id -> (fields, where)
        self.order = []       # cause ids in order of first definition
        self.remedies = {}    # id -> [(mta, step)]
        self.refs = []        # (cause id, where)
        self.esc = {}         # code -> fields
        self.codes = {}
        self.sigs = {}
        self.counts = {}

    def err(self, where, msg):
        self.errors.append("%s: %s" % (where, msg))

    def ref(self, cid, where):
        if cid != "-":
            self.refs.append((cid, where))

    def load(self, path):
        with open(path, "rb") as fh:
            data = fh.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            self.err(path, "not UTF-8 (%s)" % e)
            return
        remedies_here = {}
        for n, line in enumerate(text.split("\n"), 1):
            where = "%s:%d" % (path, n)
            if line.endswith("\r"):
                self.err(where, "CR at end of line")
                line = line[:-1]
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            f = line.split("\t")
            kind = f[0]
            if kind not in NFIELDS:
                self.err(where, "unknown entry type %r" % kind)
                continue
            if len(f) != NFIELDS[kind]:
                self.err(where, "%s needs %d fields, has %d" % (kind, NFIELDS[kind], len(f)))
                continue
            for i, v in enumerate(f):
                if v.strip() == "":
                    self.err(where, "field %d is empty (write - for none)" % (i + 1))
            self.counts[kind] = self.counts.get(kind, 0) + 1
            getattr(self, "do_" + kind)(f, where, remedies_here)
        # remedies of a file replace earlier ones for that cause
        for cid, steps in remedies_here.items():
            self.remedies[cid] = steps

    def do_cause(self, f, where, _):
        _, cid, reason, sev, who, action, expl = f
        if not CAUSE_ID.match(cid):
            self.err(where, "bad cause id %r" % cid)
        if reason not in REASONS:
            self.err(where, "unknown reason %r" % reason)
        if sev not in SEVERITIES:
            self.err(where, "bad severity %r" % sev)
        if who not in WHO:
            self.err(where, "bad who %r" % who)
        if action not in ACTIONS:
            self.err(where, "bad action %r" % action)
        if expl == "-":
            self.err(where, "cause without explanation")
        if cid in self.causes and self.causes[cid][1].split(":")[0] == where.split(":")[0]:
            self.err(where, "cause %s defined twice in one file" % cid)
        if cid not in self.causes:
            self.order.append(cid)
        self.causes[cid] = (f, where)

    def do_remedy(self, f, where, here):
        _, cid, mta, step = f
        self.ref(cid, where)
        if mta not in MTAS:
            self.err(where, "bad MTA %r" % mta)
        if step.count("`") % 2:
            self.err(where, "unbalanced backquotes in step")
        here.setdefault(cid, []).append((mta, step))

    def do_code(self, f, where, _):
        _, code, cid, desc = f
        if not re.match(r"^[2-5][0-9][0-9]$", code):
            self.err(where, "bad reply code %r" % code)
        if code in self.codes and self.codes[code][1].split(":")[0] == where.split(":")[0]:
            self.err(where, "code %s twice in one file" % code)
        self.ref(cid, where)
        self.codes[code] = (f, where)

    def do_esc(self, f, where, _):
        _, code, title, desc, perm, trans = f
        if not ESC.match(code):
            self.err(where, "bad enhanced status code %r" % code)
        if code in self.esc and self.esc[code][1].split(":")[0] == where.split(":")[0]:
            self.err(where, "esc %s twice in one file" % code)
        if code[0] == "2" and (perm != "-" or trans != "-"):
            self.err(where, "class 2 code with a failure cause")
        if code[0] == "5" and trans != "-":
            self.err(where, "explicit class 5 row with a transient cause")
        if code[0] == "4" and perm != "-":
            self.err(where, "explicit class 4 row with a permanent cause")
        self.ref(perm, where)
        self.ref(trans, where)
        self.esc[code] = (f, where)

    def do_sig(self, f, where, _):
        _, sid, cid, prio, cons, pattern, example, url = f
        if not SIG_ID.match(sid):
            self.err(where, "bad signature id %r" % sid)
        if sid in self.sigs and self.sigs[sid][1].split(":")[0] == where.split(":")[0]:
            self.err(where, "signature %s twice in one file" % sid)
        self.sigs[sid] = (f, where)
        self.ref(cid, where)
        if not re.match(r"^[0-9]{1,3}$", prio) or int(prio) > 100:
            self.err(where, "priority must be 0..100")
        if cons != "-":
            for c in cons.split(","):
                k, _, v = c.partition("=")
                ok = False
                if k == "code":
                    ok = bool(re.match(r"^([2-5][0-9][0-9]|[2-5]xx)$", v))
                elif k == "esc":
                    ok = bool(re.match(r"^[245]\.([0-9]{1,3}\.([0-9]{1,3}|\*)|\*)$", v))
                elif k == "stage":
                    ok = v in STAGES
                elif k == "provider":
                    ok = bool(v)
                if not ok:
                    self.err(where, "bad constraint %r" % c)
        frags, cur, i = [], "", 0
        while i < len(pattern):
            ch = pattern[i]
            if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
                cur += pattern[i + 1]
                i += 2
                continue
            if ch == "\\":
                self.err(where, "backslash must escape * or \\ in the pattern")
            if ch == "*":
                frags.append(cur)
                cur = ""
            else:
                cur += ch
            i += 1
        frags.append(cur)
        for fr in frags:
            if len(re.sub(r"\s", "", fr).encode("utf-8")) < 3:
                self.err(where, "pattern fragment %r has fewer than 3 non-space bytes" % fr)
        if url != "-" and not re.match(r"^https?://\S+$", url):
            self.err(where, "URL must be http(s) or -")

    def finish(self, iana=None, require=()):
        for cid, where in self.refs:
            if cid not in self.causes:
                self.err(where, "unknown cause %r" % cid)
        for cid in self.order:
            steps = self.remedies.get(cid, [])
            if not any(m == "any" for m, _ in steps) and not steps:
                self.err(self.causes[cid][1], "cause %s has no remedy steps" % cid)
        for cid in require:
            if cid not in self.causes:
                self.err("--require", "required cause %s is not defined" % cid)
        if iana:
            with open(iana, encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    if line.startswith("#") or line.startswith("code\t") or not line.strip():
                        continue
                    code, title = line.rstrip("\n").split("\t")[:2]
                    if code not in self.esc:
                        self.err("%s:%d" % (iana, n), "%s missing from the KB" % code)
                    elif self.esc[code][0][2] != title:
                        self.err(self.esc[code][1], "title of %s differs from IANA: %r != %r"
                                 % (code, self.esc[code][0][2], title))

    def markdown(self):
        out = ["# Causes and remediation", "",
               "Generated from `data/kb/*.tsv` by `tools/kb-lint.py --markdown`; edit the data, not "
               "this page. Each cause has a Sisimai reason, a usual severity, who must act and the "
               "action; the steps are generic (`any`) first, then per MTA or panel.", ""]
        sections = []
        for cid in self.order:
            sec = cid.split(".")[0]
            if sec not in sections:
                sections.append(sec)
        out.append("| cause | reason | severity | who | action |")
        out.append("|---|---|---|---|---|")
        for cid in self.order:
            f = self.causes[cid][0]
            out.append("| [`%s`](#%s) | %s | %s | %s | %s |"
                       % (cid, cid.replace(".", ""), f[2], f[3], f[4], f[5]))
        out.append("")
        for cid in self.order:
            f = self.causes[cid][0]
            out.append("## %s" % cid)
            out.append("")
            out.append("%s" % f[6])
            out.append("")
            out.append("Reason `%s`, usually %s; who: %s; action: %s."
                       % (f[2], f[3], f[4].replace("_", " "), f[5].replace("_", " ")))
            out.append("")
            steps = self.remedies.get(cid, [])
            for mta in MTAS:
                mine = [s for m, s in steps if m == mta]
                if not mine:
                    continue
                label = {"any": "All", "postfix": "Postfix", "exim": "Exim",
                         "plesk": "Plesk", "cpanel": "cPanel"}[mta]
                out.append("%s:" % label)
                out.append("")
                for i, s in enumerate(mine, 1):
                    out.append("%d. %s" % (i, s))
                out.append("")
        return "\n".join(out)


def tsv_files(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            for d, _, names in os.walk(p):
                files += [os.path.join(d, n) for n in names if n.endswith(".tsv")]
        else:
            files.append(p)
    return sorted(files)


def main(argv):
    iana, require, md, paths = None, [], None, []
    it = iter(argv)
    for a in it:
        if a == "--iana":
            iana = next(it, None)
        elif a == "--require":
            require = [x for x in next(it, "").replace("\n", ",").split(",") if x.strip()]
            require = [x.strip() for x in require]
        elif a == "--markdown":
            md = next(it, None)
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        elif a.startswith("-"):
            sys.stderr.write("unknown option %s\n" % a)
            return 2
        else:
            paths.append(a)
    if not paths:
        paths = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "kb")]
    lint = Linter()
    for f in tsv_files(paths):
        lint.load(f)
    lint.finish(iana, require)
    for e in lint.errors:
        print(e)
    print("%d causes, %d remedy steps, %d codes, %d esc, %d signatures: %d errors"
          % (len(lint.causes), sum(len(v) for v in lint.remedies.values()), len(lint.codes),
             len(lint.esc), len(lint.sigs), len(lint.errors)), file=sys.stderr)
    if md and not lint.errors:
        with open(md, "w", encoding="utf-8") as fh:
            fh.write(lint.markdown() + "\n")
    return 1 if lint.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Tests of the Python binding, against the freshly built library and the C suite's fixtures.

Run: BOUNCE_LIBRARY=lib/.libs/libbounce.so SRCDIR=. python3 bindings/python/test_bounce.py
"""
import glob
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bounce  # noqa: E402

SRCDIR = os.environ.get("SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(SRCDIR, "tests", "fixtures")


def _strip(obj):
    obj = dict(obj)
    obj.pop("file", None)
    return obj


def _expected(path):
    with open(path, "rb") as f:
        return [_strip(json.loads(line)) for line in f.read().decode("utf-8").splitlines() if line.strip()]


def _epoch(rfc3339):
    import calendar
    import time
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


def _project(actual, expected):
    """The actual record reduced to the keys the expected one names (expected files of some
    suites hold a subset of the record, some with the time as epoch seconds)."""
    out = {}
    for k, v in expected.items():
        a = actual.get(k)
        if k == "time" and isinstance(v, int) and isinstance(a, str):
            a = _epoch(a)
        out[k] = a
    return out


def _compare(testcase, actual, expected, what):
    testcase.assertEqual(len(actual), len(expected), what)
    for a, e in zip(actual, expected):
        testcase.assertEqual(_project(a, e), e, what)


class CoreTest(unittest.TestCase):
    def test_version(self):
        lib = bounce.load_library()
        self.assertTrue(lib.bounce_check_version(lib.bounce_version_number()))
        self.assertEqual(bounce._s(lib.bounce_version()).count("."), 2)

    def test_enums(self):
        self.assertEqual(bounce.enum_name(bounce.ENUM_REASON, 0), "undefined")
        self.assertEqual(load_count(bounce.ENUM_REASON), 34)

    def test_errors_are_named_classes(self):
        with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
            f.write("# comment\nsig\tonly-two-fields\n")
            path = f.name
        try:
            with self.assertRaises(bounce.BounceError) as cm:
                bounce.KB.builtin().load(path)
            self.assertEqual(type(cm.exception).__name__, "BOUNCE_E_SYNTAX")
            self.assertIn(":2:", str(cm.exception))
        finally:
            os.unlink(path)


def load_count(family):
    return bounce.load_library().bounce_enum_count(family)


class ClassifyTest(unittest.TestCase):
    def setUp(self):
        self.kb = bounce.KB.builtin()

    def test_unknown_user(self):
        r = self.kb.classify("550 5.1.1 <bob@example.org>: Recipient address rejected: "
                             "User unknown in local recipient table")
        self.assertEqual(r.reason, "userunknown")
        self.assertEqual(r.reply_code, 550)
        self.assertEqual(r.enhanced, "5.1.1")
        self.assertTrue(r.hard_bounce)
        self.assertEqual(r.to_json()["reason"], "userunknown")

    def test_mailbox_full_has_remediation(self):
        r = self.kb.classify("552 5.2.2 <bob@example.org>: Mailbox is full")
        self.assertEqual(r.reason, "mailboxfull")
        self.assertFalse(r.hard_bounce)
        self.assertTrue(r.remediation("postfix"))

    def test_garbage_is_not_an_error(self):
        r = self.kb.classify(b"\x00\xff\xfe garbage")
        self.assertEqual(r.reason, "undefined")
        self.assertEqual(r.cause, "unknown")

    def test_kb_walk_examples(self):
        lib = bounce.load_library()
        n = self.kb.signature_count
        self.assertGreater(n, 0)
        bad = []
        for i in range(n):
            ex = bounce._s(lib.bounce_kb_signature_field(self.kb._h, i, b"example"))
            cause = bounce._s(lib.bounce_kb_signature_field(self.kb._h, i, b"cause"))
            if self.kb.classify(ex).cause != cause:
                bad.append(bounce._s(lib.bounce_kb_signature_field(self.kb._h, i, b"id")))
        self.assertEqual(bad, [])


class ReportTest(unittest.TestCase):
    def test_real_postfix_log_diagnosis(self):
        kb = bounce.KB.builtin()
        report = bounce.Report()
        with kb.stream("log") as s, open(os.path.join(FIX, "log", "real-postfix-scenarios.log"), "rb") as f:
            recs = s.feed(f.read(), report=report) + s.finish(report=report)
        self.assertTrue(any(r["status"] == "delivered" for r in recs))
        ids = [fid for fid, _ in report.findings()]
        self.assertIn("local.content_filter_down", ids)
        self.assertIn("Diagnosis", report.to_text("postfix"))
        self.assertEqual(report.to_json()["schema"], 1)


class FixtureTest(unittest.TestCase):
    """The same fixtures and expected JSON as the C suites."""

    def setUp(self):
        self.kb = bounce.KB.builtin()

    def test_dsn_fixtures(self):
        cases = sorted(glob.glob(os.path.join(FIX, "dsn", "*.eml")))
        checked = 0
        for path in cases:
            exp = path[:-4] + ".expected.json"
            if not os.path.exists(exp):
                continue
            with open(path, "rb") as f:
                d = self.kb.parse_dsn(f.read(), os.path.basename(path))
            _compare(self, [_strip(r) for r in d.records()], _expected(exp), path)
            checked += 1
        return checked

    def _stream_fixtures(self, kind, pattern):
        checked = 0
        for path in sorted(glob.glob(os.path.join(FIX, pattern))):
            exp = os.path.splitext(path)[0] + ".expected.json"
            if not os.path.exists(exp):
                continue
            s = self.kb.stream(kind)
            # the reference time the C suites use for this folder (BSD syslog years, queue ages)
            ref = os.path.join(os.path.dirname(path), "reftime")
            if os.path.exists(ref):
                with open(ref) as f:
                    s.set_reference_time(int(f.read().strip()))
            with open(path, "rb") as f:
                recs = s.feed(f.read()) + s.finish()
            _compare(self, [_strip(r) for r in recs], _expected(exp), path)
            checked += 1
        return checked

    def test_log_fixtures(self):
        self._stream_fixtures("log", os.path.join("log", "*.log"))

    def test_queue_fixtures(self):
        self._stream_fixtures("queue", os.path.join("queue", "*.txt"))


if __name__ == "__main__":
    unittest.main(verbosity=1)

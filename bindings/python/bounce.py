"""Python binding of libbounce (ctypes).

Loads the library named by the BOUNCE_LIBRARY environment variable, else the one
ctypes.util.find_library("bounce") finds.

    import bounce
    kb = bounce.KB.builtin()
    r = kb.classify("550 5.1.1 <bob@example.org>: User unknown")
    print(r.reason, r.cause, r.hard_bounce, r.remediation("postfix"))
    for rec in kb.parse_dsn(open("bounce.eml", "rb").read()).records():
        print(rec["recipient"], rec["reason"])
"""
import ctypes
import ctypes.util
import json
import os

__all__ = ["BounceError", "KB", "Result", "Dsn", "Stream", "Report", "load_library"]

_lib = None

c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
c_size_t = ctypes.c_size_t
c_int = ctypes.c_int
c_uint32 = ctypes.c_uint32
c_int64 = ctypes.c_int64
c_uint64 = ctypes.c_uint64
c_double = ctypes.c_double
P = ctypes.POINTER

# name: (restype, argtypes). Functions returning owned char* use out-pointers (c_void_p).
_PROTOTYPES = {
    "bounce_strerror": (c_char_p, [c_int]),
    "bounce_status_name": (c_char_p, [c_int]),
    "bounce_free": (None, [c_void_p]),
    "bounce_version": (c_char_p, []),
    "bounce_version_number": (c_uint32, []),
    "bounce_check_version": (c_int, [c_uint32]),
    "bounce_enum_name": (c_char_p, [c_int, c_int]),
    "bounce_enum_from_name": (c_int, [c_int, c_char_p]),
    "bounce_enum_count": (c_int, [c_int]),
    "bounce_diag_file": (c_char_p, [c_void_p]),
    "bounce_diag_line": (c_size_t, [c_void_p]),
    "bounce_diag_column": (c_size_t, [c_void_p]),
    "bounce_diag_message": (c_char_p, [c_void_p]),
    "bounce_diag_free": (None, [c_void_p]),
    "bounce_kb_builtin": (c_void_p, []),
    "bounce_kb_load_buffer": (c_int, [c_void_p, c_char_p, c_size_t, c_char_p, P(c_void_p), P(c_void_p)]),
    "bounce_kb_load_file": (c_int, [c_void_p, c_char_p, P(c_void_p), P(c_void_p)]),
    "bounce_kb_free": (None, [c_void_p]),
    "bounce_kb_format_version": (c_int, []),
    "bounce_kb_checksum": (c_char_p, [c_void_p]),
    "bounce_kb_signature_count": (c_size_t, [c_void_p]),
    "bounce_kb_signature_field": (c_char_p, [c_void_p, c_size_t, c_char_p]),
    "bounce_kb_cause_count": (c_size_t, [c_void_p]),
    "bounce_kb_cause_id": (c_char_p, [c_void_p, c_size_t]),
    "bounce_kb_esc_title": (c_char_p, [c_void_p, c_char_p]),
    "bounce_kb_esc_description": (c_char_p, [c_void_p, c_char_p]),
    "bounce_kb_esc_count": (c_size_t, [c_void_p]),
    "bounce_reply_extract": (c_int, [c_char_p, c_size_t, P(c_int), c_char_p]),
    "bounce_classify": (c_int, [c_void_p, c_char_p, c_size_t, c_int, c_char_p, c_int, P(c_void_p)]),
    "bounce_result_free": (None, [c_void_p]),
    "bounce_result_reason": (c_int, [c_void_p]),
    "bounce_result_cause": (c_char_p, [c_void_p]),
    "bounce_result_severity": (c_int, [c_void_p]),
    "bounce_result_hard_bounce": (c_int, [c_void_p]),
    "bounce_result_action": (c_int, [c_void_p]),
    "bounce_result_who": (c_int, [c_void_p]),
    "bounce_result_confidence": (c_double, [c_void_p]),
    "bounce_result_evidence": (c_char_p, [c_void_p]),
    "bounce_result_span": (c_int, [c_void_p, P(c_size_t), P(c_size_t)]),
    "bounce_result_reply_code": (c_int, [c_void_p]),
    "bounce_result_enhanced": (c_char_p, [c_void_p]),
    "bounce_result_explanation": (c_char_p, [c_void_p]),
    "bounce_result_remediation_count": (c_size_t, [c_void_p, c_int]),
    "bounce_result_remediation": (c_char_p, [c_void_p, c_int, c_size_t]),
    "bounce_result_to_json": (c_int, [c_void_p, c_uint32, P(c_void_p)]),
    "bounce_record_get": (c_char_p, [c_void_p, c_int]),
    "bounce_record_source": (c_int, [c_void_p]),
    "bounce_record_status": (c_int, [c_void_p]),
    "bounce_record_line": (c_int64, [c_void_p]),
    "bounce_record_time": (c_int64, [c_void_p]),
    "bounce_record_reply_code": (c_int, [c_void_p]),
    "bounce_record_result": (c_void_p, [c_void_p]),
    "bounce_record_to_json": (c_int, [c_void_p, c_uint32, P(c_void_p)]),
    "bounce_dsn_parse": (c_int, [c_void_p, c_char_p, c_size_t, c_char_p, c_uint32, P(c_void_p)]),
    "bounce_dsn_free": (None, [c_void_p]),
    "bounce_dsn_kind": (c_int, [c_void_p]),
    "bounce_dsn_get": (c_char_p, [c_void_p, c_int]),
    "bounce_dsn_record_count": (c_size_t, [c_void_p]),
    "bounce_dsn_record": (c_void_p, [c_void_p, c_size_t]),
    "bounce_dsn_warning_count": (c_size_t, [c_void_p]),
    "bounce_dsn_warning": (c_char_p, [c_void_p, c_size_t]),
    "bounce_dsn_to_json": (c_int, [c_void_p, c_uint32, P(c_void_p)]),
    "bounce_stream_new": (c_int, [c_void_p, c_uint32, c_int, P(c_void_p)]),
    "bounce_stream_free": (None, [c_void_p]),
    "bounce_stream_set_file": (c_int, [c_void_p, c_char_p]),
    "bounce_stream_set_reference_time": (c_int, [c_void_p, c_int64]),
    "bounce_stream_set_option": (c_int, [c_void_p, c_int, c_int64]),
    "bounce_stream_feed": (c_int, [c_void_p, c_char_p, c_size_t]),
    "bounce_stream_finish": (c_int, [c_void_p]),
    "bounce_stream_next": (c_void_p, [c_void_p]),
    "bounce_stream_format": (c_int, [c_void_p]),
    "bounce_stream_stat": (c_uint64, [c_void_p, c_int]),
    "bounce_report_new": (c_int, [c_uint32, P(c_void_p)]),
    "bounce_report_free": (None, [c_void_p]),
    "bounce_report_add": (c_int, [c_void_p, c_void_p]),
    "bounce_report_set_reference_time": (c_int, [c_void_p, c_int64]),
    "bounce_report_finding_count": (c_size_t, [c_void_p]),
    "bounce_report_finding_id": (c_char_p, [c_void_p, c_size_t]),
    "bounce_report_finding_text": (c_char_p, [c_void_p, c_size_t]),
    "bounce_report_to_json": (c_int, [c_void_p, c_uint32, P(c_void_p)]),
    "bounce_report_to_text": (c_int, [c_void_p, c_int, P(c_void_p)]),
}

# enum families (bounce_enum_t)
ENUM_REASON, ENUM_SEVERITY, ENUM_WHO, ENUM_ACTION, ENUM_STAGE, ENUM_EVENT, ENUM_SOURCE, ENUM_MTA, ENUM_STATUS = range(9)
JSON_CANONICAL, JSON_PRETTY, JSON_NO_REMEDIATION = 1, 2, 4
STREAM_LOG, STREAM_QUEUE = 1, 2
FIELDS = ["file", "queue_id", "message_id", "sender", "recipient", "original_recipient",
          "diagnostic", "remote_mta", "relay", "smtp_command", "enhanced_status", "subject",
          "reporting_mta", "notification_for", "helo"]


def load_library(path=None):
    """Load (once) and return the ctypes library, checking the major version."""
    global _lib
    if _lib is not None and path is None:
        return _lib
    path = path or os.environ.get("BOUNCE_LIBRARY") or ctypes.util.find_library("bounce")
    if not path:
        raise OSError("libbounce not found: set BOUNCE_LIBRARY to the path of libbounce.so")
    lib = ctypes.CDLL(path)
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    if lib.bounce_version_number() >> 16 != 0:
        raise OSError("libbounce major version %d is not supported by this binding"
                      % (lib.bounce_version_number() >> 16))
    _lib = lib
    return lib


def _s(b):
    return None if b is None else b.decode("utf-8", "replace")


def _b(s):
    if s is None:
        return None
    return s if isinstance(s, bytes) else s.encode("utf-8")


class BounceError(Exception):
    """A non-OK bounce_status_t; subclasses are named after bounce_status_name()."""
    status = None
    _classes = {}

    @classmethod
    def for_status(cls, st, detail=None):
        lib = load_library()
        name = _s(lib.bounce_status_name(st))
        sub = cls._classes.get(name)
        if sub is None:
            sub = type(name, (cls,), {"status": st})
            cls._classes[name] = sub
        msg = _s(lib.bounce_strerror(st))
        return sub("%s: %s%s" % (name, msg, (" (%s)" % detail) if detail else ""))


def _check(st, detail=None):
    if st != 0:
        raise BounceError.for_status(st, detail)


def _owned_string(fn, *args):
    lib = load_library()
    out = c_void_p()
    _check(fn(*args, ctypes.byref(out)))
    try:
        return ctypes.string_at(out.value).decode("utf-8", "replace")
    finally:
        lib.bounce_free(out)


def enum_name(family, value):
    return _s(load_library().bounce_enum_name(family, value))


class _Handle(object):
    """An owned C handle: close() frees it with _FREE; context manager; freed on __del__."""
    _FREE = None

    def __init__(self, handle, owned=True):
        self._lib = load_library()
        self._h = handle
        self._owned = owned

    def close(self):
        if self._owned and self._h:
            getattr(self._lib, self._FREE)(self._h)
        self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class KB(_Handle):
    """An immutable knowledge base; the built-in one or a loaded extension."""
    _FREE = "bounce_kb_free"

    @classmethod
    def builtin(cls):
        return cls(load_library().bounce_kb_builtin(), False)

    def load(self, path):
        """A new KB: this one plus the KB file (or folder) at path."""
        lib = self._lib
        out, diag = c_void_p(), c_void_p()
        st = lib.bounce_kb_load_file(self._h, _b(path), ctypes.byref(out), ctypes.byref(diag))
        if st != 0:
            detail = None
            if diag.value:
                detail = "%s:%d:%d: %s" % (_s(lib.bounce_diag_file(diag)) or path,
                                           lib.bounce_diag_line(diag), lib.bounce_diag_column(diag),
                                           _s(lib.bounce_diag_message(diag)))
                lib.bounce_diag_free(diag)
            _check(st, detail)
        return KB(out.value, True)

    @property
    def signature_count(self):
        return self._lib.bounce_kb_signature_count(self._h)

    @property
    def cause_count(self):
        return self._lib.bounce_kb_cause_count(self._h)

    @property
    def checksum(self):
        return _s(self._lib.bounce_kb_checksum(self._h))

    def classify(self, text, reply_code=0, enhanced=None, stage=0):
        data = _b(text)
        out = c_void_p()
        _check(self._lib.bounce_classify(self._h, data, len(data), reply_code, _b(enhanced), stage,
                                         ctypes.byref(out)))
        return Result(out.value, self, owned=True)

    def parse_dsn(self, data, name=None):
        data = _b(data)
        out = c_void_p()
        _check(self._lib.bounce_dsn_parse(self._h, data, len(data), _b(name), 0, ctypes.byref(out)))
        return Dsn(out.value, self)

    def stream(self, kind="log", fmt=0):
        return Stream(self, STREAM_LOG if kind == "log" else STREAM_QUEUE, fmt)


class Result(_Handle):
    """A classification. Borrowed results keep their parent alive."""
    _FREE = "bounce_result_free"

    def __init__(self, handle, parent, owned):
        _Handle.__init__(self, handle, owned)
        self._parent = parent

    reason = property(lambda self: enum_name(ENUM_REASON, self._lib.bounce_result_reason(self._h)))
    cause = property(lambda self: _s(self._lib.bounce_result_cause(self._h)))
    severity = property(lambda self: enum_name(ENUM_SEVERITY, self._lib.bounce_result_severity(self._h)))
    hard_bounce = property(lambda self: bool(self._lib.bounce_result_hard_bounce(self._h)))
    action = property(lambda self: enum_name(ENUM_ACTION, self._lib.bounce_result_action(self._h)))
    who = property(lambda self: enum_name(ENUM_WHO, self._lib.bounce_result_who(self._h)))
    confidence = property(lambda self: self._lib.bounce_result_confidence(self._h))
    evidence = property(lambda self: _s(self._lib.bounce_result_evidence(self._h)))
    reply_code = property(lambda self: self._lib.bounce_result_reply_code(self._h))
    enhanced = property(lambda self: _s(self._lib.bounce_result_enhanced(self._h)))
    explanation = property(lambda self: _s(self._lib.bounce_result_explanation(self._h)))

    def remediation(self, mta="any"):
        m = self._lib.bounce_enum_from_name(ENUM_MTA, _b(mta))
        if m < 0:
            raise ValueError("unknown MTA flavour %r" % mta)
        n = self._lib.bounce_result_remediation_count(self._h, m)
        return [_s(self._lib.bounce_result_remediation(self._h, m, i)) for i in range(n)]

    def to_json(self, flags=0):
        return json.loads(_owned_string(self._lib.bounce_result_to_json, self._h, flags))


def _record_json(lib, handle, flags=JSON_CANONICAL):
    return json.loads(_owned_string(lib.bounce_record_to_json, handle, flags))


class Dsn(_Handle):
    """A parsed bounce message; keeps its KB alive."""
    _FREE = "bounce_dsn_free"
    KINDS = ["none", "bounce", "delay", "delivered", "feedback", "autoreply"]

    def __init__(self, handle, kb):
        _Handle.__init__(self, handle)
        self._kb = kb

    @property
    def kind(self):
        return self.KINDS[self._lib.bounce_dsn_kind(self._h)]

    def get(self, field):
        return _s(self._lib.bounce_dsn_get(self._h, field))

    def records(self, flags=JSON_CANONICAL):
        n = self._lib.bounce_dsn_record_count(self._h)
        return [_record_json(self._lib, self._lib.bounce_dsn_record(self._h, i), flags) for i in range(n)]

    @property
    def warnings(self):
        n = self._lib.bounce_dsn_warning_count(self._h)
        return [_s(self._lib.bounce_dsn_warning(self._h, i)) for i in range(n)]

    def to_json(self, flags=JSON_CANONICAL):
        text = _owned_string(self._lib.bounce_dsn_to_json, self._h, flags)
        return [json.loads(line) for line in text.splitlines() if line]


class Stream(_Handle):
    """Streaming parser for MTA logs (kind STREAM_LOG) and queue listings (STREAM_QUEUE)."""
    _FREE = "bounce_stream_free"

    def __init__(self, kb, kind, fmt=0):
        out = c_void_p()
        _check(load_library().bounce_stream_new(kb._h, kind, fmt, ctypes.byref(out)))
        _Handle.__init__(self, out.value)
        self._kb = kb

    def set_file(self, name):
        _check(self._lib.bounce_stream_set_file(self._h, _b(name)))

    def set_reference_time(self, epoch):
        _check(self._lib.bounce_stream_set_reference_time(self._h, int(epoch)))

    def _drain(self, flags, report):
        out = []
        while True:
            rec = self._lib.bounce_stream_next(self._h)
            if not rec:
                return out
            if report is not None:
                _check(self._lib.bounce_report_add(report._h, rec))
            out.append(_record_json(self._lib, rec, flags))

    def feed(self, data, flags=JSON_CANONICAL, report=None):
        data = _b(data)
        _check(self._lib.bounce_stream_feed(self._h, data, len(data)))
        return self._drain(flags, report)

    def finish(self, flags=JSON_CANONICAL, report=None):
        _check(self._lib.bounce_stream_finish(self._h))
        return self._drain(flags, report)

    def stat(self, which):
        return self._lib.bounce_stream_stat(self._h, which)


class Report(_Handle):
    """Aggregate over records with incident diagnosis."""
    _FREE = "bounce_report_free"

    def __init__(self):
        out = c_void_p()
        _check(load_library().bounce_report_new(0, ctypes.byref(out)))
        _Handle.__init__(self, out.value)

    def set_reference_time(self, epoch):
        _check(self._lib.bounce_report_set_reference_time(self._h, int(epoch)))

    def findings(self):
        n = self._lib.bounce_report_finding_count(self._h)
        return [(_s(self._lib.bounce_report_finding_id(self._h, i)),
                 _s(self._lib.bounce_report_finding_text(self._h, i))) for i in range(n)]

    def to_json(self, flags=JSON_CANONICAL):
        return json.loads(_owned_string(self._lib.bounce_report_to_json, self._h, flags))

    def to_text(self, mta="any"):
        m = self._lib.bounce_enum_from_name(ENUM_MTA, _b(mta))
        return _owned_string(self._lib.bounce_report_to_text, self._h, m)

/* Internal declarations shared between library files. Never installed. */
#ifndef BOUNCE_INTERNAL_H
#define BOUNCE_INTERNAL_H

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "bounce.h"

/* Every bounce__ symbol is hidden by -fvisibility=hidden; this makes it explicit. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define BOUNCE__HIDDEN __attribute__((visibility("hidden")))
#else
#define BOUNCE__HIDDEN
#endif

#define BOUNCE__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- allocation (one hook point so tests can inject failures) ---- */
void *bounce__malloc(size_t n) BOUNCE__HIDDEN;
void *bounce__calloc(size_t n, size_t m) BOUNCE__HIDDEN;
void *bounce__realloc(void *p, size_t n) BOUNCE__HIDDEN;
void bounce__free(void *p) BOUNCE__HIDDEN;
char *bounce__strndup(const char *s, size_t n) BOUNCE__HIDDEN;
char *bounce__strdup(const char *s) BOUNCE__HIDDEN;
#ifdef BOUNCE_TESTING
/* Fail the n-th allocation from now (0 = the next one); -1 disables. Per thread. */
BOUNCE_API void bounce__test_fail_alloc_after(long n);
#endif

/* ---- growable byte buffer ---- */
typedef struct bounce__buf {
    char *p;
    size_t len;
    size_t cap;
} bounce__buf;

/* All return 0 on success, -1 when out of memory (the buffer is then unchanged). */
int bounce__buf_reserve(bounce__buf *b, size_t extra) BOUNCE__HIDDEN;
int bounce__buf_append(bounce__buf *b, const void *data, size_t n) BOUNCE__HIDDEN;
int bounce__buf_puts(bounce__buf *b, const char *s) BOUNCE__HIDDEN;
int bounce__buf_putc(bounce__buf *b, char c) BOUNCE__HIDDEN;
int bounce__buf_printf(bounce__buf *b, const char *fmt, ...) BOUNCE__HIDDEN
    __attribute__((format(printf, 2, 3)));
/* NUL-terminate (not counted in len); -1 on out of memory. */
int bounce__buf_terminate(bounce__buf *b) BOUNCE__HIDDEN;
/* Hand over the NUL-terminated contents (bounce__malloc'ed) and reset the buffer. */
char *bounce__buf_take(bounce__buf *b) BOUNCE__HIDDEN;
void bounce__buf_free(bounce__buf *b) BOUNCE__HIDDEN;

/* ---- small text helpers (byte-counted, never need NUL) ---- */
int bounce__ascii_lower(int c) BOUNCE__HIDDEN;
/* case-insensitive search of needle (NUL-terminated, lower-case) in hay[0..len) */
const char *bounce__memcasestr(const char *hay, size_t len, const char *needle) BOUNCE__HIDDEN;
int bounce__strncaseeq(const char *a, size_t alen, const char *b) BOUNCE__HIDDEN;

/* ---- JSON writing ---- */
/* Append s[0..len) as a JSON string literal. Invalid UTF-8 becomes U+FFFD.
 * Returns -1 on out of memory, 1 if the output was lossy, 0 otherwise. */
int bounce__json_string(bounce__buf *b, const char *s, size_t len) BOUNCE__HIDDEN;

/* ---- diagnostics ---- */
/* New diagnostic (message formatted printf-style); NULL when out of memory. */
bounce_diag_t *bounce__diag_new(const char *file, size_t line, size_t column, const char *fmt, ...)
    BOUNCE__HIDDEN __attribute__((format(printf, 4, 5)));

/* ---- JSON objects: key/value pairs emitted in insertion order, or sorted by key
 * with BOUNCE_JSON_CANONICAL. Values are appended as JSON text. ---- */
#define BOUNCE__JOBJ_MAX 48
typedef struct bounce__jobj {
    uint32_t flags;
    int n, failed, lossy;
    bounce__buf vals;
    struct { const char *key; size_t off, len; } kv[BOUNCE__JOBJ_MAX];
} bounce__jobj;
void bounce__jobj_init(bounce__jobj *j, uint32_t flags) BOUNCE__HIDDEN;
void bounce__jobj_str(bounce__jobj *j, const char *key, const char *s, size_t len) BOUNCE__HIDDEN;
void bounce__jobj_cstr(bounce__jobj *j, const char *key, const char *s) BOUNCE__HIDDEN; /* NULL: skipped */
void bounce__jobj_int(bounce__jobj *j, const char *key, int64_t v) BOUNCE__HIDDEN;
void bounce__jobj_num(bounce__jobj *j, const char *key, double v) BOUNCE__HIDDEN;
void bounce__jobj_bool(bounce__jobj *j, const char *key, int v) BOUNCE__HIDDEN;
void bounce__jobj_raw(bounce__jobj *j, const char *key, const char *json, size_t len) BOUNCE__HIDDEN;
/* The classification keys: reason, cause, severity, hard_bounce, action, who, confidence,
 * evidence, evidence_text (when span and text given), explanation, remediation. */
void bounce__jobj_result(bounce__jobj *j, const struct bounce_result *r, const char *text,
                         size_t text_len) BOUNCE__HIDDEN;
/* Write the object to out and release j. 0 ok, -1 nomem (also if any add failed). */
int bounce__jobj_finish(bounce__jobj *j, bounce__buf *out) BOUNCE__HIDDEN;

/* ---- classification ---- */
#define BOUNCE__ESC_MAX 16
#define BOUNCE__EVIDENCE_MAX 96
struct bounce_result {
    const bounce_kb_t *kb;
    int reason;          /* bounce_reason_t */
    int severity;        /* bounce_severity_t */
    int who;             /* bounce_who_t */
    int action;          /* bounce_action_t */
    int hard_bounce;
    double confidence;
    int32_t cause;       /* index of the cause in kb, -1 = none ("unknown") */
    int32_t sig;         /* index of the deciding signature, -1 = none */
    int reply_code;
    int has_span;
    size_t span_off, span_len;
    char enhanced[BOUNCE__ESC_MAX];
    char evidence[BOUNCE__EVIDENCE_MAX];
};

/* Classify text with optional code/enhanced/stage into *out (no allocation). */
void bounce__classify(const bounce_kb_t *kb, const char *text, size_t len, int reply_code,
                      const char *enhanced, int stage, struct bounce_result *out) BOUNCE__HIDDEN;

/* Reply-code extraction used by bounce_reply_extract() and the parsers.
 * enhanced must hold BOUNCE__ESC_MAX bytes. */
void bounce__reply_extract(const char *text, size_t len, int *reply_code, char *enhanced)
    BOUNCE__HIDDEN;

/* Cause lookups for results (implemented by the KB). */
const char *bounce__kb_cause_id(const bounce_kb_t *kb, int32_t cause) BOUNCE__HIDDEN;
const char *bounce__kb_cause_explanation(const bounce_kb_t *kb, int32_t cause) BOUNCE__HIDDEN;
size_t bounce__kb_remedy_count(const bounce_kb_t *kb, int32_t cause, int mta) BOUNCE__HIDDEN;
const char *bounce__kb_remedy(const bounce_kb_t *kb, int32_t cause, int mta, size_t i)
    BOUNCE__HIDDEN;
const char *bounce__kb_sig_id(const bounce_kb_t *kb, int32_t sig) BOUNCE__HIDDEN;

/* ---- records ---- */
#define BOUNCE__ABSENT UINT32_MAX
struct bounce_record {
    uint8_t source;      /* bounce_source_t */
    uint8_t status;      /* bounce_event_t */
    uint8_t stage;       /* bounce_stage_t */
    uint8_t diag_notice; /* the diagnostic is a whole notice, not the recipient's own text */
    int reply_code;
    int64_t line;        /* 0 = none */
    int64_t time;        /* INT64_MIN = unknown */
    uint32_t off[BOUNCE_FIELD_COUNT_]; /* offsets into mem.p, BOUNCE__ABSENT if absent */
    uint32_t flen[BOUNCE_FIELD_COUNT_];
    bounce__buf mem;     /* NUL-terminated field strings, reused across resets */
    struct bounce_result result;
};

void bounce__record_init(bounce_record_t *r) BOUNCE__HIDDEN;
/* Forget all fields but keep the memory for reuse. */
void bounce__record_reset(bounce_record_t *r) BOUNCE__HIDDEN;
/* Free the record's memory (not the struct itself). */
void bounce__record_release(bounce_record_t *r) BOUNCE__HIDDEN;
/* Copy s[0..len) into field (NUL added; embedded NULs kept in flen). 0 ok, -1 nomem. */
int bounce__record_set(bounce_record_t *r, int field, const char *s, size_t len) BOUNCE__HIDDEN;
int bounce__record_set_str(bounce_record_t *r, int field, const char *s) BOUNCE__HIDDEN;
const char *bounce__record_field(const bounce_record_t *r, int field, size_t *len) BOUNCE__HIDDEN;
/* Deep copy (dst initialised or reset first). 0 ok, -1 nomem. */
int bounce__record_copy(bounce_record_t *dst, const bounce_record_t *src) BOUNCE__HIDDEN;
/* Classify from the record's diagnostic, reply code, enhanced code, stage and status.
 * Contract relied on by the per-stream result cache (stream.c, classify_cached): for
 * delivered records everything but the reply and enhanced codes is fixed by the status,
 * so the cache keys delivered records on those codes alone; change both together.
 * The status decides delivered/feedback/autoreply/expired and the severity
 * (bounced/rejected -> permanent, deferred/queued/... -> transient). */
void bounce__record_classify(bounce_record_t *r, const bounce_kb_t *kb) BOUNCE__HIDDEN;
/* Append the record as one JSON object (no newline). 0 ok, -1 nomem. */
int bounce__record_json(const bounce_record_t *r, uint32_t flags, bounce__buf *out)
    BOUNCE__HIDDEN;
/* Format seconds since the epoch as RFC 3339 UTC into buf (at least 48 bytes). */
void bounce__format_time(int64_t t, char *buf) BOUNCE__HIDDEN;
/* Civil (UTC) year of epoch seconds. */
int64_t bounce__year_of(int64_t t) BOUNCE__HIDDEN;
/* Days-from-civil: UTC epoch seconds of a broken-down UTC time (no libc timezone use). */
int64_t bounce__timegm(int year, int mon /*1-12*/, int day, int hour, int min, int sec)
    BOUNCE__HIDDEN;

/* ---- streams (logs, queues) ---- */
/* A format module plugs into the stream with this table. */
typedef struct bounce__stream_ops {
    int format;          /* bounce_format_t */
    uint32_t kind;       /* BOUNCE_STREAM_LOG or BOUNCE_STREAM_QUEUE */
    /* Detection score for one line: 0 = not this format, 1 = maybe, 2 = surely. */
    int (*probe)(const char *line, size_t len);
    /* Per-stream state. NULL return = out of memory. */
    void *(*create)(bounce_stream_t *s);
    /* One line, without its line ending (not NUL-terminated).
     * Return 1 if understood, 0 if skipped, -1 on out of memory. */
    int (*line)(void *state, bounce_stream_t *s, const char *line, size_t len);
    /* The input file changed (bounce_stream_set_file); may be NULL. */
    void (*new_file)(void *state, bounce_stream_t *s);
    /* End of input: emit everything still in flight. 0 ok, -1 nomem. */
    int (*finish)(void *state, bounce_stream_t *s);
    void (*destroy)(void *state);
} bounce__stream_ops;

extern const bounce__stream_ops bounce__postfix_ops BOUNCE__HIDDEN;
extern const bounce__stream_ops bounce__exim_ops BOUNCE__HIDDEN;
extern const bounce__stream_ops bounce__postqueue_ops BOUNCE__HIDDEN;
extern const bounce__stream_ops bounce__postqueue_json_ops BOUNCE__HIDDEN;
extern const bounce__stream_ops bounce__eximq_ops BOUNCE__HIDDEN;

/* For format modules: a fresh (reset) record to fill; NULL on out of memory.
 * Fill it, then call bounce__stream_commit() which sets source/file defaults,
 * classifies it and queues it for bounce_stream_next(). */
bounce_record_t *bounce__stream_record(bounce_stream_t *s) BOUNCE__HIDDEN;
void bounce__stream_commit(bounce_stream_t *s, bounce_record_t *r) BOUNCE__HIDDEN;
/* Context for format modules. */
const char *bounce__stream_file(const bounce_stream_t *s) BOUNCE__HIDDEN;
int64_t bounce__stream_lineno(const bounce_stream_t *s) BOUNCE__HIDDEN;
int64_t bounce__stream_reference_time(const bounce_stream_t *s) BOUNCE__HIDDEN;
int64_t bounce__stream_max_in_flight(const bounce_stream_t *s) BOUNCE__HIDDEN;
const bounce_kb_t *bounce__stream_kb(const bounce_stream_t *s) BOUNCE__HIDDEN;
/* Counters the modules maintain. */
void bounce__stream_count(bounce_stream_t *s, int which, int64_t delta) BOUNCE__HIDDEN;
void bounce__stream_set_stat(bounce_stream_t *s, int which, uint64_t value) BOUNCE__HIDDEN;

/* ---- syslog prefix (lib/syslog.c) ---- */
typedef struct bounce__syslog {
    int64_t time;        /* INT64_MIN if none */
    const char *host;    size_t host_len;
    const char *prog;    size_t prog_len;   /* "postfix/smtp", "postfix-out/smtp", "exim" */
    const char *msg;     size_t msg_len;    /* text after "prog[pid]: " */
} bounce__syslog;
/* Parse the prefix of one log line. ref_time infers the year of RFC 3164 stamps.
 * Returns 1 if a prefix was recognised, 0 if not (then msg = the whole line). */
int bounce__syslog_parse(const char *line, size_t len, int64_t ref_time, bounce__syslog *out)
    BOUNCE__HIDDEN;

#endif /* BOUNCE_INTERNAL_H */

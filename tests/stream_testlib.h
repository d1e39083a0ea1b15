/* Helpers shared by the log, queue and report Check suites: run a fixture or a buffer
 * through the public stream API and collect the records as JSON Lines text and as parsed
 * JSON objects, with the stream's statistics. Header-only (static inline) because only the
 * programs that link jansson include it.
 *
 * Two descriptions of a record:
 * - ST_JSON_LIBRARY: bounce_record_to_json(BOUNCE_JSON_NO_REMEDIATION), as a caller sees it;
 * - ST_JSON_QUEUE_FIELDS: only the fields the queue parsers set, written by jansson with
 *   sorted keys, so the queue expected files do not depend on the knowledge base. */
#ifndef BOUNCE_STREAM_TESTLIB_H
#define BOUNCE_STREAM_TESTLIB_H

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "testutil.h"

/* 2026-11-25T12:00:00Z, a Wednesday: the queue suites' "now" */
#define ST_QUEUE_REF_TIME INT64_C(1795608000)
/* 2026-11-26T00:00:00Z: BSD stamps of Nov 25 in the log fixtures are in 2026 */
#define ST_LOG_REF_TIME INT64_C(1795651200)
#define ST_NSTATS (BOUNCE_STAT_MESSAGES + 1)

enum { ST_JSON_LIBRARY, ST_JSON_QUEUE_FIELDS };

struct st_opts {
    int kind;               /* BOUNCE_STREAM_LOG or BOUNCE_STREAM_QUEUE */
    int format;             /* BOUNCE_FORMAT_* (AUTO: detect) */
    int64_t ref_time;
    const char *file;       /* bounce_stream_set_file (NULL: not set) */
    size_t chunk;           /* feed in chunks of this many bytes (0: all at once) */
    int64_t max_in_flight;  /* 0: the library's default */
    int describe;           /* ST_JSON_* */
    bounce_report_t *report; /* every record is also added here (NULL: none) */
};

struct st_run {
    char *jsonl;            /* malloc'ed JSON Lines of every record, NUL-terminated */
    size_t len, cap;
    json_t *recs;           /* the same records, parsed */
    size_t records;
    int format;             /* bounce_stream_format after finish */
    uint64_t stat[ST_NSTATS];
};

/* The presets: a log as check_postfix/check_exim run it, a queue listing as the queue and
 * report suites run it. Callers adjust fields afterwards. */
static inline struct st_opts st_log_opts(size_t chunk, int64_t max_in_flight)
{
    struct st_opts o = {BOUNCE_STREAM_LOG, BOUNCE_FORMAT_AUTO, ST_LOG_REF_TIME, "test.log",
                        chunk, max_in_flight, ST_JSON_LIBRARY, NULL};
    return o;
}

static inline struct st_opts st_queue_opts(size_t chunk, int format, const char *file,
                                           bounce_report_t *rep)
{
    struct st_opts o = {BOUNCE_STREAM_QUEUE, format, ST_QUEUE_REF_TIME, file,
                        chunk, 0, ST_JSON_QUEUE_FIELDS, rep};
    return o;
}

/* The built-in knowledge base, or an empty one (*own, to free) when it is not built in. */
static inline const bounce_kb_t *st_kb(bounce_kb_t **own)
{
    const bounce_kb_t *kb = bounce_kb_builtin();
    *own = NULL;
    if (!kb) {
        ck_assert_int_eq(bounce_kb_load_buffer(NULL, "", 0, "empty", own, NULL), BOUNCE_OK);
        kb = *own;
    }
    return kb;
}

static inline void st_append_line(struct st_run *r, const char *s)
{
    size_t n = strlen(s);
    if (r->len + n + 2 > r->cap) {
        r->cap = (r->len + n + 2) * 2;
        r->jsonl = realloc(r->jsonl, r->cap);
        ck_assert_ptr_nonnull(r->jsonl);
    }
    memcpy(r->jsonl + r->len, s, n);
    r->len += n;
    r->jsonl[r->len++] = '\n';
    r->jsonl[r->len] = '\0';
}

static inline void st_set_field(json_t *o, const char *key, const bounce_record_t *rec, int field)
{
    const char *v = bounce_record_get(rec, field);
    if (v)
        json_object_set_new(o, key, json_string(v));
}

/* ST_JSON_QUEUE_FIELDS */
static inline json_t *st_queue_fields(const bounce_record_t *rec)
{
    json_t *o = json_object();
    json_object_set_new(o, "source",
                        json_string(bounce_enum_name(BOUNCE_ENUM_SOURCE, bounce_record_source(rec))));
    json_object_set_new(o, "status",
                        json_string(bounce_enum_name(BOUNCE_ENUM_EVENT, bounce_record_status(rec))));
    json_object_set_new(o, "line", json_integer(bounce_record_line(rec)));
    if (bounce_record_time(rec) != INT64_MIN)
        json_object_set_new(o, "time", json_integer(bounce_record_time(rec)));
    if (bounce_record_reply_code(rec))
        json_object_set_new(o, "reply_code", json_integer(bounce_record_reply_code(rec)));
    st_set_field(o, "file", rec, BOUNCE_FIELD_FILE);
    st_set_field(o, "queue_id", rec, BOUNCE_FIELD_QUEUE_ID);
    st_set_field(o, "sender", rec, BOUNCE_FIELD_SENDER);
    st_set_field(o, "recipient", rec, BOUNCE_FIELD_RECIPIENT);
    st_set_field(o, "diagnostic", rec, BOUNCE_FIELD_DIAGNOSTIC);
    st_set_field(o, "remote_mta", rec, BOUNCE_FIELD_REMOTE_MTA);
    st_set_field(o, "relay", rec, BOUNCE_FIELD_RELAY);
    st_set_field(o, "smtp_command", rec, BOUNCE_FIELD_SMTP_COMMAND);
    st_set_field(o, "enhanced_status", rec, BOUNCE_FIELD_ENHANCED);
    return o;
}

static inline void st_record(const struct st_opts *o, struct st_run *r, const bounce_record_t *rec)
{
    json_t *obj;
    if (o->describe == ST_JSON_QUEUE_FIELDS) {
        char *s;
        obj = st_queue_fields(rec);
        s = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
        ck_assert_ptr_nonnull(s);
        st_append_line(r, s);
        free(s);
    } else {
        char *js = NULL;
        json_error_t err;
        ck_assert_int_eq(bounce_record_to_json(rec, BOUNCE_JSON_NO_REMEDIATION, &js), BOUNCE_OK);
        st_append_line(r, js);
        obj = json_loads(js, JSON_ALLOW_NUL, &err);
        ck_assert_msg(obj != NULL, "record is not valid JSON: %s (%s)", js, err.text);
        bounce_free(js);
    }
    json_array_append_new(r->recs, obj);
    r->records++;
    if (o->report)
        ck_assert_int_eq(bounce_report_add(o->report, rec), BOUNCE_OK);
}

static inline void st_drain(const struct st_opts *o, struct st_run *r, bounce_stream_t *s)
{
    const bounce_record_t *rec;
    while ((rec = bounce_stream_next(s)) != NULL)
        st_record(o, r, rec);
}

/* Run buf through a stream as *o says; free the result with st_run_free. */
static inline void st_run_buf(const struct st_opts *o, const char *buf, size_t len, struct st_run *r)
{
    bounce_kb_t *own;
    const bounce_kb_t *kb = st_kb(&own);
    bounce_stream_t *s = NULL;
    size_t off = 0;
    int k;

    memset(r, 0, sizeof *r);
    r->recs = json_array();
    r->jsonl = calloc(1, 1);
    ck_assert_ptr_nonnull(r->recs);
    ck_assert_ptr_nonnull(r->jsonl);
    r->cap = 1;
    ck_assert_int_eq(bounce_stream_new(kb, o->kind, o->format, &s), BOUNCE_OK);
    ck_assert_int_eq(bounce_stream_set_reference_time(s, o->ref_time), BOUNCE_OK);
    if (o->max_in_flight)
        ck_assert_int_eq(bounce_stream_set_option(s, BOUNCE_OPT_MAX_IN_FLIGHT, o->max_in_flight),
                         BOUNCE_OK);
    if (o->file)
        ck_assert_int_eq(bounce_stream_set_file(s, o->file), BOUNCE_OK);
    while (off < len) {
        size_t n = o->chunk && len - off > o->chunk ? o->chunk : len - off;
        ck_assert_int_eq(bounce_stream_feed(s, buf + off, n), BOUNCE_OK);
        off += n;
        st_drain(o, r, s);
    }
    ck_assert_int_eq(bounce_stream_finish(s), BOUNCE_OK);
    st_drain(o, r, s);
    for (k = 0; k < ST_NSTATS; k++)
        r->stat[k] = bounce_stream_stat(s, k);
    r->format = bounce_stream_format(s);
    bounce_stream_free(s);
    bounce_kb_free(own);
}

/* Run the fixture tests/fixtures/<rel>. */
static inline void st_run_fixture(const struct st_opts *o, const char *rel, struct st_run *r)
{
    size_t len = 0;
    char *buf = bounce_test_read_fixture(rel, &len);
    st_run_buf(o, buf, len, r);
    free(buf);
}

static inline void st_run_free(struct st_run *r)
{
    free(r->jsonl);
    json_decref(r->recs);
    r->jsonl = NULL;
    r->recs = NULL;
}

/* A log (check_postfix, check_exim): file "test.log", max_in_flight 0 = the default. */
static inline void st_log_buf(const char *buf, size_t len, size_t chunk, int64_t max_in_flight,
                              struct st_run *r)
{
    struct st_opts o = st_log_opts(chunk, max_in_flight);
    st_run_buf(&o, buf, len, r);
}

static inline void st_log_fixture(const char *rel, size_t chunk, struct st_run *r)
{
    struct st_opts o = st_log_opts(chunk, 0);
    st_run_fixture(&o, rel, r);
}

/* A queue listing (check_postqueue, check_eximq, check_report_json): records described by
 * the queue parsers' fields, added to rep unless it is NULL. */
static inline void st_queue_buf(const char *buf, size_t len, size_t chunk, int format,
                                const char *file, struct st_run *r, bounce_report_t *rep)
{
    struct st_opts o = st_queue_opts(chunk, format, file, rep);
    st_run_buf(&o, buf, len, r);
}

/* The fixture's name is the records' file. */
static inline void st_queue_fixture(const char *rel, size_t chunk, struct st_run *r,
                                    bounce_report_t *rep)
{
    struct st_opts o = st_queue_opts(chunk, BOUNCE_FORMAT_AUTO, rel, rep);
    st_run_fixture(&o, rel, r);
}

/* Every chunk size 1..max_chunk gives what the whole-buffer run of the fixture gives: the
 * same records, the same detected format and the same count of skipped lines. */
static inline void st_check_chunks(const struct st_opts *o, const char *rel, size_t max_chunk)
{
    struct st_opts part_o = *o;
    struct st_run whole, part;
    size_t c;
    part_o.chunk = 0;
    part_o.report = NULL;
    st_run_fixture(&part_o, rel, &whole);
    ck_assert_uint_gt(whole.records, 0);
    for (c = 1; c <= max_chunk; c++) {
        part_o.chunk = c;
        st_run_fixture(&part_o, rel, &part);
        ck_assert_msg(strcmp(whole.jsonl, part.jsonl) == 0, "%s: chunk size %zu differs", rel, c);
        ck_assert_int_eq(whole.format, part.format);
        ck_assert_uint_eq(whole.stat[BOUNCE_STAT_SKIPPED], part.stat[BOUNCE_STAT_SKIPPED]);
        st_run_free(&part);
    }
    st_run_free(&whole);
}

/* Compare the records of a fixture with <fixture-without-.txt/.log>.expected.json. */
static inline void st_check_expected(const char *rel, const struct st_run *r)
{
    char exp[512], *path, *diff;
    size_t n = strlen(rel);
    ck_assert(n > 4 && n < 400);
    memcpy(exp, rel, n - 4);
    strcpy(exp + n - 4, ".expected.json");
    path = bounce_test_fixture_path(exp);
    diff = bounce_test_compare_jsonl(r->jsonl, path);
    ck_assert_msg(diff == NULL, "%s: %s", exp, diff ? diff : "");
    free(path);
}

/* ---- reading the collected records ---- */

static inline json_t *st_rec(const struct st_run *r, size_t i)
{
    ck_assert_msg(i < json_array_size(r->recs), "record %zu missing (have %zu)", i,
                  json_array_size(r->recs));
    return json_array_get(r->recs, i);
}

/* string member of an object: "(absent)" or "(not a string)" when it is not one */
static inline const char *st_str(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return v ? (json_is_string(v) ? json_string_value(v) : "(not a string)") : "(absent)";
}

/* string field of record i */
static inline const char *fs(const struct st_run *r, size_t i, const char *key)
{
    return st_str(st_rec(r, i), key);
}

/* integer field of record i, -1 when absent */
static inline long long fi(const struct st_run *r, size_t i, const char *key)
{
    json_t *v = json_object_get(st_rec(r, i), key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* index of the first record whose `key` is `value` and, unless status is NULL, whose status
 * is `status` (-1: none) */
static inline long st_find(const struct st_run *r, const char *key, const char *value,
                           const char *status)
{
    size_t i;
    for (i = 0; i < json_array_size(r->recs); i++)
        if (strcmp(fs(r, i, key), value) == 0 && (!status || strcmp(fs(r, i, "status"), status) == 0))
            return (long)i;
    return -1;
}

#define find_rec(r, rcpt, status) st_find((r), "recipient", (rcpt), (status))
#define find_qid(r, qid) st_find((r), "queue_id", (qid), NULL)

/* One record of the real-MTA runs of tests/mta/scenarios.tsv (tests/mta/fixtures.py): the
 * first record of this recipient and status has the scenarios' sender, these codes and
 * this cause. */
static inline void st_expect_scenario(const struct st_run *r, const char *rcpt, const char *status,
                                      long long code, const char *esc, const char *cause)
{
    long i = find_rec(r, rcpt, status);
    ck_assert_msg(i >= 0, "no %s record for %s", status, rcpt);
    ck_assert_str_eq(fs(r, (size_t)i, "sender"), "sender@bounce.test");
    ck_assert_int_eq(fi(r, (size_t)i, "reply_code"), code);
    ck_assert_str_eq(fs(r, (size_t)i, "enhanced_status"), esc);
    ck_assert_str_eq(fs(r, (size_t)i, "cause"), cause);
}

#endif

/* Helpers shared by the queue and report Check suites: run a queue listing through the
 * public stream API and describe the records as canonical JSON Lines (only the fields the
 * queue parsers set, so the expected files do not depend on the knowledge base). */
#ifndef BOUNCE_QUEUE_TESTLIB_H
#define BOUNCE_QUEUE_TESTLIB_H

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "testutil.h"

/* 2026-11-25T12:00:00Z, a Wednesday */
#define QT_REF_TIME INT64_C(1795608000)

struct qt_run {
    char *jsonl;           /* malloc'ed JSON Lines of the records */
    size_t len, cap;
    size_t records;
    int format;
    uint64_t messages, parsed, skipped, lines;
};

static inline void qt_append(struct qt_run *q, const char *s)
{
    size_t n = strlen(s);
    if (q->len + n + 2 > q->cap) {
        q->cap = (q->len + n + 2) * 2;
        q->jsonl = realloc(q->jsonl, q->cap);
        ck_assert_ptr_nonnull(q->jsonl);
    }
    memcpy(q->jsonl + q->len, s, n);
    q->len += n;
    q->jsonl[q->len++] = '\n';
    q->jsonl[q->len] = '\0';
}

static inline void qt_set(json_t *o, const char *key, const bounce_record_t *rec, int field)
{
    const char *v = bounce_record_get(rec, field);
    if (v)
        json_object_set_new(o, key, json_string(v));
}

static inline void qt_record(struct qt_run *q, const bounce_record_t *rec, bounce_report_t *rep)
{
    json_t *o = json_object();
    char *s;
    json_object_set_new(o, "source",
                        json_string(bounce_enum_name(BOUNCE_ENUM_SOURCE, bounce_record_source(rec))));
    json_object_set_new(o, "status",
                        json_string(bounce_enum_name(BOUNCE_ENUM_EVENT, bounce_record_status(rec))));
    json_object_set_new(o, "line", json_integer(bounce_record_line(rec)));
    if (bounce_record_time(rec) != INT64_MIN)
        json_object_set_new(o, "time", json_integer(bounce_record_time(rec)));
    if (bounce_record_reply_code(rec))
        json_object_set_new(o, "reply_code", json_integer(bounce_record_reply_code(rec)));
    qt_set(o, "file", rec, BOUNCE_FIELD_FILE);
    qt_set(o, "queue_id", rec, BOUNCE_FIELD_QUEUE_ID);
    qt_set(o, "sender", rec, BOUNCE_FIELD_SENDER);
    qt_set(o, "recipient", rec, BOUNCE_FIELD_RECIPIENT);
    qt_set(o, "diagnostic", rec, BOUNCE_FIELD_DIAGNOSTIC);
    qt_set(o, "remote_mta", rec, BOUNCE_FIELD_REMOTE_MTA);
    qt_set(o, "relay", rec, BOUNCE_FIELD_RELAY);
    qt_set(o, "smtp_command", rec, BOUNCE_FIELD_SMTP_COMMAND);
    qt_set(o, "enhanced_status", rec, BOUNCE_FIELD_ENHANCED);
    s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
    ck_assert_ptr_nonnull(s);
    qt_append(q, s);
    free(s);
    json_decref(o);
    q->records++;
    if (rep)
        ck_assert_int_eq(bounce_report_add(rep, rec), BOUNCE_OK);
}

/* Feed buf in chunks of `chunk` bytes (0 = all at once); records go to q and rep. */
static inline void qt_run_buf(const char *buf, size_t len, size_t chunk, int format, const char *name,
                       struct qt_run *q, bounce_report_t *rep)
{
    bounce_stream_t *s = NULL;
    const bounce_record_t *rec;
    size_t off = 0;

    memset(q, 0, sizeof *q);
    qt_append(q, "");
    q->len = 0;
    q->jsonl[0] = '\0';
    ck_assert_int_eq(bounce_stream_new(bounce_kb_builtin(), BOUNCE_STREAM_QUEUE, format, &s),
                     BOUNCE_OK);
    ck_assert_int_eq(bounce_stream_set_reference_time(s, QT_REF_TIME), BOUNCE_OK);
    if (name)
        ck_assert_int_eq(bounce_stream_set_file(s, name), BOUNCE_OK);
    while (off < len) {
        size_t n = chunk && len - off > chunk ? chunk : len - off;
        ck_assert_int_eq(bounce_stream_feed(s, buf + off, n), BOUNCE_OK);
        off += n;
        while ((rec = bounce_stream_next(s)) != NULL)
            qt_record(q, rec, rep);
    }
    ck_assert_int_eq(bounce_stream_finish(s), BOUNCE_OK);
    while ((rec = bounce_stream_next(s)) != NULL)
        qt_record(q, rec, rep);
    q->format = bounce_stream_format(s);
    q->messages = bounce_stream_stat(s, BOUNCE_STAT_MESSAGES);
    q->parsed = bounce_stream_stat(s, BOUNCE_STAT_PARSED);
    q->skipped = bounce_stream_stat(s, BOUNCE_STAT_SKIPPED);
    q->lines = bounce_stream_stat(s, BOUNCE_STAT_LINES);
    bounce_stream_free(s);
}

/* Run the fixture tests/fixtures/<rel>. */
static inline void qt_run_fixture(const char *rel, size_t chunk, struct qt_run *q, bounce_report_t *rep)
{
    char *path = bounce_test_fixture_path(rel);
    size_t len = 0;
    char *buf = bounce_test_read_file(path, &len);
    ck_assert_msg(buf != NULL, "cannot read %s", path);
    qt_run_buf(buf, len, chunk, BOUNCE_FORMAT_AUTO, rel, q, rep);
    free(buf);
    free(path);
}

/* Compare the records of a fixture with <fixture-without-.txt>.expected.json. */
static inline void qt_check_expected(const char *rel, struct qt_run *q)
{
    char exp[512], *path, *diff;
    size_t n = strlen(rel);
    ck_assert(n > 4 && n < 400);
    memcpy(exp, rel, n - 4);
    strcpy(exp + n - 4, ".expected.json");
    path = bounce_test_fixture_path(exp);
    diff = bounce_test_compare_jsonl(q->jsonl, path);
    ck_assert_msg(diff == NULL, "%s: %s", exp, diff ? diff : "");
    free(path);
}

#endif

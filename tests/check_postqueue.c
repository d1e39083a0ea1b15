/* Postfix queue listings: postqueue -p / mailq and postqueue -j. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_testlib.h"

static size_t count_lines_with(const char *jsonl, const char *needle)
{
    /* lengths measured once: ASan's strstr measures the whole rest of jsonl on every call,
     * which made pq_thousands quadratic (8 s) under --enable-asan */
    size_t n = 0, k = strlen(needle), left = strlen(jsonl);
    const char *p = jsonl, *q;
    while (k && left >= k && (q = memchr(p, needle[0], left - k + 1)) != NULL) {
        left -= (size_t)(q - p);
        p = q;
        if (memcmp(p, needle, k) == 0) {
            n++;
            p += k;
            left -= k;
        } else {
            p++;
            left--;
        }
    }
    return n;
}

START_TEST(pq_basic)
{
    struct st_run q;
    st_queue_fixture("queue/postqueue-basic.txt", 0, &q, NULL);
    ck_assert_int_eq(q.format, BOUNCE_FORMAT_POSTQUEUE);
    ck_assert_uint_eq(q.records, 6);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_MESSAGES], 4);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_SKIPPED], 0);
    /* active message: no reason; held one ('!'); MAILER-DAEMON is the null sender */
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"queue_id\":\"3F2A61C0A12\",\"recipient\":\"bob@example.net\""));
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"sender\":\"\",\"smtp_command\":\"RCPT TO\",\"source\":\"postqueue\",\"status\":\"held\""));
    /* folded reason joined with single spaces, outer parentheses removed */
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"diagnostic\":\"host mx.example.info[203.0.113.9] said: 450 4.7.1 "
                                          "<frank@example.info>: Recipient address rejected: Greylisted, see "
                                          "http://postgrey.example/help (in reply to RCPT TO command)\""));
    /* long queue id, year inferred backwards across new year: 2025-12-31T23:59:59Z */
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"queue_id\":\"4Rk3Zp5Qv1z9abcd\""));
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"time\":1767225599"));
    /* each reason applies to the recipients under it */
    ck_assert_uint_eq(count_lines_with(q.jsonl, "Connection timed out"), 2);
    st_check_expected("queue/postqueue-basic.txt", &q);
    st_run_free(&q);
}
END_TEST

/* The same bytes in chunks of 1..7 bytes give the same records. */
static const char *const chunked_files[] = {
    "queue/postqueue-basic.txt", "queue/postqueue-json.txt", "queue/exim-bp.txt",
    "queue/postqueue-truncated.txt", "queue/real-postqueue-p.txt", "queue/real-postqueue-j.json",
    "queue/real-exim-bp.txt"};

START_TEST(pq_chunks)
{
    struct st_opts o = st_queue_opts(0, BOUNCE_FORMAT_AUTO, chunked_files[_i], NULL);
    st_check_chunks(&o, chunked_files[_i], 7);
}
END_TEST

START_TEST(pq_truncated)
{
    struct st_run q;
    st_queue_fixture("queue/postqueue-truncated.txt", 0, &q, NULL);
    ck_assert_int_eq(q.format, BOUNCE_FORMAT_POSTQUEUE);
    /* bob, carol, dave: the cut happened before erin's reason group */
    ck_assert_uint_eq(q.records, 3);
    st_check_expected("queue/postqueue-truncated.txt", &q);
    st_run_free(&q);
}
END_TEST

START_TEST(pq_empty)
{
    struct st_run q;
    st_queue_fixture("queue/postqueue-empty.txt", 0, &q, NULL);
    ck_assert_int_eq(q.format, BOUNCE_FORMAT_POSTQUEUE);
    ck_assert_uint_eq(q.records, 0);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_PARSED], 1);
    st_run_free(&q);
}
END_TEST

/* A reason with unbalanced parentheses must not swallow the recipients. */
START_TEST(pq_unbalanced_reason)
{
    static const char txt[] =
        "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
        "A1B2C3D4E5      1234 Tue Nov 24 10:01:02  a@example.com\n"
        "(host mx.example.net[192.0.2.1] said: 550 5.7.1 go away :( (in reply to end of DATA command))\n"
        "                                         b@example.net\n"
        "                                         c@example.net\n"
        "\n"
        "F6A7B8C9D0      4321 Tue Nov 24 10:01:03  a@example.com\n"
        "                                         d@example.net\n";
    struct st_run q;
    st_queue_buf(txt, sizeof txt - 1, 0, BOUNCE_FORMAT_AUTO, NULL, &q, NULL);
    ck_assert_uint_eq(q.records, 3);
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"recipient\":\"b@example.net\""));
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"recipient\":\"c@example.net\""));
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"smtp_command\":\"end of DATA\""));
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"reply_code\":550"));
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"relay\":\"mx.example.net[192.0.2.1]\""));
    /* the second message has no reason */
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"line\":8,\"queue_id\":\"F6A7B8C9D0\",\"recipient\":\"d@example.net\""));
    st_run_free(&q);
}
END_TEST

/* Short ids padded to the column: the marker may stand apart. */
START_TEST(pq_detached_marker)
{
    static const char txt[] =
        "A1B2C3D4E !      999 Tue Nov 24 10:01:02  a@example.com\n"
        "                                         b@example.net\n"
        "\n"
        "A1B2C3D4F *      999 Tue Nov 24 10:01:02  a@example.com\n"
        "                                         c@example.net\n";
    struct st_run q;
    st_queue_buf(txt, sizeof txt - 1, 0, BOUNCE_FORMAT_AUTO, NULL, &q, NULL);
    ck_assert_int_eq(q.format, BOUNCE_FORMAT_POSTQUEUE);
    ck_assert_uint_eq(q.records, 2);
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"queue_id\":\"A1B2C3D4E\",\"recipient\":\"b@example.net\","
                                          "\"sender\":\"a@example.com\",\"source\":\"postqueue\",\"status\":\"held\""));
    st_run_free(&q);
}
END_TEST

/* Thousands of messages generated here: every recipient becomes a record. */
START_TEST(pq_thousands)
{
    size_t n = 5000, i, cap = n * 300, len = 0;
    char *buf = malloc(cap);
    struct st_run q;
    ck_assert_ptr_nonnull(buf);
    len += (size_t)sprintf(buf + len, "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n");
    for (i = 0; i < n; i++) {
        len += (size_t)sprintf(buf + len,
                               "%06zX%04zX%c %8zu Tue Nov 24 %02zu:%02zu:%02zu  s%zu@example.com\n"
                               "(connect to mx.d%zu.example[192.0.2.%zu]:25: Connection timed out)\n"
                               "                                         r%zu@d%zu.example\n"
                               "                                         q%zu@d%zu.example\n\n",
                               i, i % 65536, i % 3 ? ' ' : '*', 1000 + i, i % 24, i % 60, i % 60,
                               i % 7, i % 50, i % 250 + 1, i, i % 50, i, i % 50);
        ck_assert(len < cap - 400);
    }
    len += (size_t)sprintf(buf + len, "-- %zu Kbytes in %zu Requests.\n", n * 3, n);
    st_queue_buf(buf, len, 4096, BOUNCE_FORMAT_AUTO, NULL, &q, NULL);
    ck_assert_int_eq(q.format, BOUNCE_FORMAT_POSTQUEUE);
    ck_assert_uint_eq(q.records, 2 * n);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_MESSAGES], n);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_SKIPPED], 0);
    ck_assert_uint_eq(count_lines_with(q.jsonl, "Connection timed out"), 2 * n);
    st_run_free(&q);
    free(buf);
}
END_TEST

START_TEST(pj_basic)
{
    struct st_run q;
    st_queue_fixture("queue/postqueue-json.txt", 0, &q, NULL);
    ck_assert_int_eq(q.format, BOUNCE_FORMAT_POSTQUEUE_JSON);
    ck_assert_uint_eq(q.records, 6);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_MESSAGES], 4);
    /* the two broken lines are counted and skipped */
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_SKIPPED], 2);
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"status\":\"held\""));
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"enhanced_status\":\"5.1.1\""));
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"time\":1795514707"));
    st_check_expected("queue/postqueue-json.txt", &q);
    st_run_free(&q);
}
END_TEST

START_TEST(detect_formats)
{
    static const struct {
        const char *text;
        int format;
    } cases[] = {
        {"-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n", BOUNCE_FORMAT_POSTQUEUE},
        {"Mail queue is empty\n", BOUNCE_FORMAT_POSTQUEUE},
        {"{\"queue_name\": \"deferred\", \"queue_id\": \"ABC\", \"recipients\": []}\n",
         BOUNCE_FORMAT_POSTQUEUE_JSON},
        {" 0m   320 1rXYZa-000123-AB <a@example.com>\n          b@example.net\n", BOUNCE_FORMAT_EXIM_QUEUE},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct st_run q;
        st_queue_buf(cases[i].text, strlen(cases[i].text), 0, BOUNCE_FORMAT_AUTO, NULL, &q, NULL);
        ck_assert_int_eq(q.format, cases[i].format);
        st_run_free(&q);
    }
}
END_TEST

/* Garbage, NUL bytes and over-long lines: no crash, nothing invented. */
START_TEST(pq_garbage)
{
    static const char txt[] = "-Queue ID-\n\0\0\0(((((\n   \n))))\nA1B2C3D4E5 x Tue\n"
                              "A1B2C3D4E5      1 Xyz Nov 24 10:01:02  a@b\n      r@x\n";
    struct st_run q;
    st_queue_buf(txt, sizeof txt - 1, 3, BOUNCE_FORMAT_POSTQUEUE, NULL, &q, NULL);
    ck_assert_uint_eq(q.records, 0);
    st_run_free(&q);
}
END_TEST

/* ---- the listings of a real Postfix 3.7 run of tests/mta/scenarios.tsv ---- */

static json_t *by_rcpt(const struct st_run *r, const char *rcpt)
{
    long i = find_rec(r, rcpt, NULL);
    ck_assert_msg(i >= 0, "no record for %s", rcpt);
    return st_rec(r, (size_t)i);
}

/* The deferred recipients of the run, their queue ids and how their delay reasons
 * classify; rob, ivan, frank and erin have reasons indented by 19, 4, 11 and 15 columns. */
static const struct {
    const char *rcpt, *qid, *cause;
} real_queued[] = {
    {"olga@greet554.test", "3CFC3A7C028", "reputation.blocked_by_receiver"},
    {"rob@filter.test", "52460A7C55D", "local.content_filter_unreachable"},
    {"ivan@closercpt.test", "2664EA7C547", "network.lost_connection"},
    {"hank@hangmail.test", "25BAEA7C551", "network.connection_timeout"},
    {"kim@servfail.test", "27AFDA7C542", "dns.lookup_failed"},
    {"carol@toomany.test", "DE608A7C540", "rate.too_many_connections"},
    {"grey@greylisted.test", "DF7D2A7C54B", "greylisting"},
    {"erin@refused.test", "0E996A7C555", "network.connection_refused"},
    {"quota@tempfull.test", "4BBCBA7C55C", "quota.mailbox_full"},
    {"pat@ratelimit.test", "4505CA7C541", "rate.limit_exceeded"},
    {"gina@hanggreet.test", "12AECA7C027", "network.connection_timeout"},
    {"frank@blackhole.test", "111DCA7C54E", "network.connection_timeout"},
};

/* Both listings of the run: postqueue -p and postqueue -j. Records as full JSON objects
 * (classified with the built-in KB). */
static const char *const real_listings[] = {"queue/real-postqueue-p.txt",
                                            "queue/real-postqueue-j.json"};

START_TEST(real_postfix_queue)
{
    const char *rel = real_listings[_i];
    struct st_opts opts = st_queue_opts(0, BOUNCE_FORMAT_AUTO, NULL, NULL);
    struct st_run r;
    size_t i, n = sizeof real_queued / sizeof real_queued[0];
    opts.describe = ST_JSON_LIBRARY;
    st_run_fixture(&opts, rel, &r);
    ck_assert_uint_eq(json_array_size(r.recs), n);
    for (i = 0; i < json_array_size(r.recs); i++) {
        json_t *o = st_rec(&r, i);
        /* no reason line taken as a recipient */
        ck_assert_msg(strchr(st_str(o, "recipient"), '(') == NULL, "%s: recipient %s", rel,
                      st_str(o, "recipient"));
        ck_assert_str_eq(st_str(o, "source"), "postqueue");
        ck_assert_str_eq(st_str(o, "status"), "queued");
        ck_assert_str_eq(st_str(o, "sender"), "sender@bounce.test");
    }
    for (i = 0; i < n; i++) {
        json_t *o = by_rcpt(&r, real_queued[i].rcpt);
        ck_assert_str_eq(st_str(o, "queue_id"), real_queued[i].qid);
        ck_assert_msg(strcmp(st_str(o, "cause"), real_queued[i].cause) == 0, "%s %s: cause %s",
                      rel, real_queued[i].rcpt, st_str(o, "cause"));
        ck_assert(json_is_string(json_object_get(o, "diagnostic")));
    }
    /* the reason keeps its text without the outer parentheses */
    ck_assert_str_eq(st_str(by_rcpt(&r, "erin@refused.test"), "diagnostic"),
                     "connect to mx.refused.test[127.0.1.20]:25: Connection refused");
    ck_assert_str_eq(st_str(by_rcpt(&r, "pat@ratelimit.test"), "enhanced_status"), "4.7.1");
    st_run_free(&r);
}
END_TEST

/* A postqueue -j message is one JSON line: 3000 recipients (~150 KB) must not be cut at the
 * log line limit. */
START_TEST(pj_many_recipients)
{
    struct st_run q;
    size_t i;
    char *line = malloc(3000 * 160 + 512), *p = line;
    ck_assert_ptr_nonnull(line);
    p += sprintf(p, "{\"queue_name\": \"deferred\", \"queue_id\": \"4AbCdE1234\", "
                    "\"arrival_time\": 1795600000, \"message_size\": 900, \"sender\": \"a@example.com\", "
                    "\"recipients\": [");
    for (i = 0; i < 3000; i++)
        p += sprintf(p, "%s{\"address\": \"u%zu@example.net\", \"delay_reason\": \"connect to "
                        "mx.example.net[192.0.2.1]:25: Connection timed out\"}", i ? ", " : "", i);
    p += sprintf(p, "]}\n");
    st_queue_buf(line, (size_t)(p - line), 0, BOUNCE_FORMAT_AUTO, NULL, &q, NULL);
    ck_assert_int_eq(q.format, BOUNCE_FORMAT_POSTQUEUE_JSON);
    ck_assert_uint_eq(q.records, 3000);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_TRUNCATED], 0);
    st_run_free(&q);
    free(line);
}
END_TEST

Suite *bounce_test_postqueue_suite(void)
{
    Suite *s = suite_create("postqueue");
    TCase *tc = tcase_create("postqueue-p");
    tcase_add_test(tc, pq_basic);
    tcase_add_loop_test(tc, pq_chunks, 0, (int)(sizeof chunked_files / sizeof chunked_files[0]));
    tcase_add_test(tc, pq_truncated);
    tcase_add_test(tc, pq_empty);
    tcase_add_test(tc, pq_unbalanced_reason);
    tcase_add_test(tc, pq_detached_marker);
    tcase_add_test(tc, pq_thousands);
    tcase_add_test(tc, pq_garbage);
    tcase_add_loop_test(tc, real_postfix_queue, 0, 1); /* postqueue -p */
    suite_add_tcase(s, tc);
    tc = tcase_create("postqueue-j");
    tcase_add_test(tc, pj_basic);
    tcase_add_test(tc, detect_formats);
    tcase_add_loop_test(tc, real_postfix_queue, 1, 2); /* postqueue -j */
    tcase_add_test(tc, pj_many_recipients);
    suite_add_tcase(s, tc);
    return s;
}

/* Syslog prefixes: RFC 3164 with year inference, RFC 3339, RFC 5424, journald. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tracker.h"

/* Parse from an exact-size heap copy so that reading past the end is caught by
 * valgrind/ASan. */
static int parse(const char *line, int64_t ref, bounce__syslog *out, bounce__syslog_ctx *scratch,
                 char **copy)
{
    size_t n = strlen(line);
    *copy = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(*copy);
    memcpy(*copy, line, n);
    return bounce__syslog_parse_ex(*copy, n, ref, out, scratch);
}

static void eq(const char *p, size_t n, const char *want)
{
    ck_assert_msg(p != NULL, "absent, want %s", want);
    ck_assert_msg(n == strlen(want) && memcmp(p, want, n) == 0, "got '%.*s', want '%s'",
                  (int)n, p, want);
}

#define REF_2026_11_26 1795651200 /* 2026-11-26T00:00:00Z */

START_TEST(test_rfc3164)
{
    bounce__syslog s;
    char *c;
    ck_assert_int_eq(parse("Nov 25 14:36:23 mx1 postfix/smtp[1234]: ABC: to=<a@b>", REF_2026_11_26,
                           &s, NULL, &c), 1);
    eq(s.host, s.host_len, "mx1");
    eq(s.prog, s.prog_len, "postfix/smtp");
    eq(s.msg, s.msg_len, "ABC: to=<a@b>");
    ck_assert_int_eq(s.time, bounce__timegm(2026, 11, 25, 14, 36, 23));
    free(c);
    /* single-digit day, no pid, no host */
    ck_assert_int_eq(parse("Nov  5 01:02:03 postfix/qmgr: x", REF_2026_11_26, &s, NULL, &c), 1);
    ck_assert_ptr_null(s.host);
    eq(s.prog, s.prog_len, "postfix/qmgr");
    eq(s.msg, s.msg_len, "x");
    ck_assert_int_eq(s.time, bounce__timegm(2026, 11, 5, 1, 2, 3));
    free(c);
    /* the per-stream date cache gives the same times as the plain parser, also on the day
     * whose end is more than one day after the reference time (Dec 31 -> year before) */
    {
        bounce__syslog_ctx ctx;
        static const char *const stamps[] = {
            "Jan  1 00:00:00 h p: x", "Jan  1 23:59:59 h p: x", "Jan  3 00:00:00 h p: x",
            "Jan  3 00:00:01 h p: x", "Jan  3 00:00:00 h p: x", "Dec 31 10:00:00 h p: x"};
        int64_t ref = bounce__timegm(2026, 1, 2, 0, 0, 0);
        memset(&ctx, 0, sizeof ctx);
        for (size_t k = 0; k < sizeof stamps / sizeof stamps[0]; k++) {
            bounce__syslog a, b;
            ck_assert_int_eq(bounce__syslog_parse_ex(stamps[k], strlen(stamps[k]), ref, &a, &ctx), 1);
            ck_assert_int_eq(bounce__syslog_parse(stamps[k], strlen(stamps[k]), ref, &b), 1);
            ck_assert_int_eq(a.time, b.time);
        }
        ck_assert_int_eq(bounce__syslog_parse_ex(stamps[3], strlen(stamps[3]), ref,
                                                 &(bounce__syslog){0}, &ctx), 1);
        bounce__syslog_ctx_free(&ctx);
    }
    /* not a prefix */
    ck_assert_int_eq(parse("Nov 25 14:36:23", REF_2026_11_26, &s, NULL, &c), 0);
    free(c);
    ck_assert_int_eq(parse("Foo 25 14:36:23 h p: x", REF_2026_11_26, &s, NULL, &c), 0);
    free(c);
    ck_assert_int_eq(parse("Nov 25 14:36:23 h p[12 x", REF_2026_11_26, &s, NULL, &c), 0);
    eq(s.msg, s.msg_len, "Nov 25 14:36:23 h p[12 x");
    free(c);
}
END_TEST

START_TEST(test_year_inference)
{
    int64_t ref = bounce__timegm(2026, 1, 2, 0, 0, 0);
    /* the latest year that is not more than one day after the reference time */
    ck_assert_int_eq(bounce__syslog_infer_year(12, 31, 23, 59, 59, ref),
                     bounce__timegm(2025, 12, 31, 23, 59, 59));
    ck_assert_int_eq(bounce__syslog_infer_year(1, 3, 0, 0, 0, ref),
                     bounce__timegm(2026, 1, 3, 0, 0, 0));
    ck_assert_int_eq(bounce__syslog_infer_year(1, 3, 0, 0, 1, ref),
                     bounce__timegm(2025, 1, 3, 0, 0, 1));
    ck_assert_int_eq(bounce__syslog_infer_year(1, 1, 0, 0, 0, ref),
                     bounce__timegm(2026, 1, 1, 0, 0, 0));
    /* Feb 29 goes back to the latest leap year */
    ck_assert_int_eq(bounce__syslog_infer_year(2, 29, 12, 0, 0, bounce__timegm(2026, 3, 1, 0, 0, 0)),
                     bounce__timegm(2024, 2, 29, 12, 0, 0));
}
END_TEST

START_TEST(test_rfc3339_and_short_iso)
{
    bounce__syslog s;
    char *c;
    ck_assert_int_eq(parse("2026-11-25T14:36:23.123456+01:00 mx2 postfix-out/smtp[1]: hi", 0, &s,
                           NULL, &c), 1);
    eq(s.prog, s.prog_len, "postfix-out/smtp");
    eq(s.host, s.host_len, "mx2");
    ck_assert_int_eq(s.time, bounce__timegm(2026, 11, 25, 13, 36, 23));
    free(c);
    ck_assert_int_eq(parse("2026-11-25T14:36:23+0100 mx4 postfix/submission/smtpd[2]: x", 0, &s,
                           NULL, &c), 1);
    eq(s.prog, s.prog_len, "postfix/submission/smtpd");
    ck_assert_int_eq(s.time, bounce__timegm(2026, 11, 25, 13, 36, 23));
    free(c);
    ck_assert_int_eq(parse("2026-11-25T14:36:23Z h p[1]: ", 0, &s, NULL, &c), 1);
    ck_assert_uint_eq(s.msg_len, 0);
    ck_assert_int_eq(s.time, bounce__timegm(2026, 11, 25, 14, 36, 23));
    free(c);
    ck_assert_int_eq(parse("2026-13-25T14:36:23Z h p[1]: x", 0, &s, NULL, &c), 0);
    free(c);
    int64_t t;
    ck_assert_uint_eq(bounce__parse_iso_time("2026-11-25 14:36:23 +0100 x", 27, &t), 25);
    ck_assert_int_eq(t, bounce__timegm(2026, 11, 25, 13, 36, 23));
    ck_assert_uint_eq(bounce__parse_iso_time("2026-11-25 14:36", 16, &t), 0);
}
END_TEST

START_TEST(test_rfc5424)
{
    bounce__syslog s;
    char *c;
    ck_assert_int_eq(parse("<22>1 2026-11-25T13:36:23.003Z mx3 postfix/smtp 3401 - - QID: to=<a>",
                           0, &s, NULL, &c), 1);
    eq(s.host, s.host_len, "mx3");
    eq(s.prog, s.prog_len, "postfix/smtp");
    eq(s.msg, s.msg_len, "QID: to=<a>");
    ck_assert_int_eq(s.time, bounce__timegm(2026, 11, 25, 13, 36, 23));
    free(c);
    ck_assert_int_eq(parse("<22>1 2026-11-25T13:36:23Z mx3 postfix/qmgr 1 ID47 "
                           "[ex@32473 a=\"x\\]y\"][b c=\"d\"] \xef\xbb\xbfQID: removed",
                           0, &s, NULL, &c), 1);
    eq(s.msg, s.msg_len, "QID: removed");
    free(c);
    /* <PRI> before an RFC 3164 line */
    ck_assert_int_eq(parse("<13>Nov 25 14:36:23 h postfix/smtp[1]: m", REF_2026_11_26, &s, NULL, &c), 1);
    eq(s.msg, s.msg_len, "m");
    free(c);
    ck_assert_int_eq(parse("<22>1 2026-11-25T13:36:23Z mx3 p 1 - [unterminated", 0, &s, NULL, &c), 0);
    free(c);
}
END_TEST

START_TEST(test_journal_json)
{
    bounce__syslog s;
    bounce__syslog_ctx scratch;
    memset(&scratch, 0, sizeof scratch);
    char *c;
    const char *line = "{\"__REALTIME_TIMESTAMP\":\"1795613783000000\",\"_HOSTNAME\":\"mx5\","
                       "\"SYSLOG_IDENTIFIER\":\"postfix/qmgr\",\"_PID\":\"5601\","
                       "\"MESSAGE\":\"Q1: from=<k\\u00e9@e>, size=1\"}";
    ck_assert_int_eq(parse(line, 0, &s, &scratch, &c), 1);
    eq(s.prog, s.prog_len, "postfix/qmgr");
    eq(s.host, s.host_len, "mx5");
    eq(s.msg, s.msg_len, "Q1: from=<k\xc3\xa9@e>, size=1");
    ck_assert_int_eq(s.time, 1795613783);
    free(c);
    /* MESSAGE as a byte array (journald's form for non-UTF-8 text) */
    ck_assert_int_eq(parse("{\"MESSAGE\":[104,105,255],\"SYSLOG_IDENTIFIER\":\"postfix/smtp\"}", 0,
                           &s, &scratch, &c), 1);
    eq(s.msg, s.msg_len, "hi\xff");
    ck_assert_int_eq(s.time, INT64_MIN);
    free(c);
    /* without scratch, or broken JSON: not a prefix */
    ck_assert_int_eq(parse(line, 0, &s, NULL, &c), 0);
    free(c);
    ck_assert_int_eq(parse("{\"MESSAGE\":\"x\"", 0, &s, &scratch, &c), 0);
    free(c);
    ck_assert_int_eq(parse("{\"OTHER\":1}", 0, &s, &scratch, &c), 0);
    free(c);
    bounce__syslog_ctx_free(&scratch);
}
END_TEST

/* every prefix of a valid line parses without reading past its end */
START_TEST(test_truncations)
{
    static const char *const lines[] = {
        "Nov 25 14:36:23 mx1 postfix/smtp[1234]: ABC: to=<a@b>",
        "2026-11-25T14:36:23.123456+01:00 mx2 postfix-out/smtp[1]: hi",
        "<22>1 2026-11-25T13:36:23Z mx3 postfix/qmgr 1 ID47 [ex@32473 a=\"x\\]y\"] QID: removed",
        "{\"MESSAGE\":\"x\",\"SYSLOG_IDENTIFIER\":\"postfix/smtp\"}"};
    bounce__syslog_ctx scratch;
    memset(&scratch, 0, sizeof scratch);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t n = strlen(lines[i]);
        for (size_t k = 0; k <= n; k++) {
            char *c = malloc(k ? k : 1);
            bounce__syslog s;
            memcpy(c, lines[i], k);
            int r = bounce__syslog_parse_ex(c, k, REF_2026_11_26, &s, &scratch);
            ck_assert_int_ge(r, 0);
            ck_assert_uint_le(s.msg_len, k);
            free(c);
        }
    }
    bounce__syslog_ctx_free(&scratch);
}
END_TEST

Suite *bounce_test_syslog_suite(void)
{
    Suite *s = suite_create("syslog");
    TCase *tc = tcase_create("syslog");
    tcase_add_test(tc, test_rfc3164);
    tcase_add_test(tc, test_year_inference);
    tcase_add_test(tc, test_rfc3339_and_short_iso);
    tcase_add_test(tc, test_rfc5424);
    tcase_add_test(tc, test_journal_json);
    tcase_add_test(tc, test_truncations);
    suite_add_tcase(s, tc);
    return s;
}

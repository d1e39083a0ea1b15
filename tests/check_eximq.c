/* Exim queue listings: exim -bp / mailq. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_testlib.h"

START_TEST(ex_basic)
{
    struct st_run q;
    st_queue_fixture("queue/exim-bp.txt", 0, &q, NULL);
    ck_assert_int_eq(q.format, BOUNCE_FORMAT_EXIM_QUEUE);
    /* 8 recipients, 2 of them already delivered (D, +D): 6 records */
    ck_assert_uint_eq(q.records, 6);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_MESSAGES], 4);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_SKIPPED], 0);
    ck_assert_ptr_null(strstr(q.jsonl, "delivered@example.net"));
    ck_assert_ptr_null(strstr(q.jsonl, "forwarded@example.com"));
    /* frozen bounce with the null sender */
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"queue_id\":\"1rXYZb-000456-CD\",\"recipient\":\"postmaster@example.org\","
                                          "\"sender\":\"\",\"source\":\"exim-queue\",\"status\":\"frozen\""));
    /* Exim 4.97 ids; arrival = reference time - age */
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"queue_id\":\"1vQJ2b-00000000Xyz-1A2B\""));
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"time\":1795435200")); /* 2d before */
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"time\":1795607955")); /* 45s before */
    st_check_expected("queue/exim-bp.txt", &q);
    st_run_free(&q);
}
END_TEST

START_TEST(ex_ids)
{
    static const struct {
        const char *line;
        int ok;
    } cases[] = {
        {"25m  2.9K 1rXYZa-000123-AB <a@example.com>", 1},
        {"25m  2.9K 1vQJ2b-00000000Xyz-1A2B <a@example.com>", 1},
        {"25m  2.9K 1rXYZa-000123-ABC <a@example.com>", 0},
        {"25m  2.9K 1rXYZa_000123-AB <a@example.com>", 0},
        {"25x  2.9K 1rXYZa-000123-AB <a@example.com>", 0},
        {"25m  2.9Q 1rXYZa-000123-AB <a@example.com>", 0},
        {"25m  2.9K 1rXYZa-000123-AB a@example.com", 0},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[256];
        struct st_run q;
        int n = snprintf(buf, sizeof buf, "%s\n          r@example.net\n", cases[i].line);
        st_queue_buf(buf, (size_t)n, 0, BOUNCE_FORMAT_EXIM_QUEUE, NULL, &q, NULL);
        ck_assert_msg(q.records == (size_t)cases[i].ok, "case %zu: %s", i, cases[i].line);
        st_run_free(&q);
    }
}
END_TEST

START_TEST(ex_thousands)
{
    size_t n = 4000, i, cap = n * 200, len = 0;
    char *buf = malloc(cap);
    struct st_run q;
    ck_assert_ptr_nonnull(buf);
    for (i = 0; i < n; i++) {
        len += (size_t)sprintf(buf + len,
                               "%3zuh  1.%zuK 1vQJ2b-%011zu-%04zu <%s>%s\n"
                               "          r%zu@d%zu.example\n"
                               "        D done%zu@d%zu.example\n\n",
                               i % 100, i % 10, i, i % 10000, i % 10 ? "s@example.com" : "",
                               i % 17 ? "" : " *** frozen ***", i, i % 40, i, i % 40);
        ck_assert(len < cap - 300);
    }
    st_queue_buf(buf, len, 1000, BOUNCE_FORMAT_AUTO, NULL, &q, NULL);
    ck_assert_int_eq(q.format, BOUNCE_FORMAT_EXIM_QUEUE);
    ck_assert_uint_eq(q.records, n);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_MESSAGES], n);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_SKIPPED], 0);
    st_run_free(&q);
    free(buf);
}
END_TEST

/* exim -bp of a real Exim 4.96 run of tests/mta/scenarios.tsv while the deferred mail was
 * queued: ten deferred messages and the frozen one whose MX points at Exim itself. */
START_TEST(ex_real)
{
    static const char *const queued[] = {
        "grey@greylisted.test", "carol@toomany.test", "erin@refused.test",
        "frank@blackhole.test", "gina@hanggreet.test", "hank@hangmail.test",
        "ivan@closercpt.test", "kim@servfail.test", "pat@ratelimit.test", "quota@tempfull.test"};
    struct st_run q;
    size_t i;
    char want[256];
    st_queue_fixture("queue/real-exim-bp.txt", 0, &q, NULL);
    ck_assert_int_eq(q.format, BOUNCE_FORMAT_EXIM_QUEUE);
    ck_assert_uint_eq(q.records, 11);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_MESSAGES], 11);
    ck_assert_uint_eq(q.stat[BOUNCE_STAT_SKIPPED], 0);
    for (i = 0; i < sizeof queued / sizeof queued[0]; i++) {
        snprintf(want, sizeof want,
                 "\"recipient\":\"%s\",\"sender\":\"sender@bounce.test\",\"source\":\"exim-queue\","
                 "\"status\":\"queued\"",
                 queued[i]);
        ck_assert_msg(strstr(q.jsonl, want) != NULL, "missing %s", want);
    }
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"queue_id\":\"1xWFVJ-00005i-0C\",\"recipient\":"
                                          "\"sam@loop.test\",\"sender\":\"sender@bounce.test\","
                                          "\"source\":\"exim-queue\",\"status\":\"frozen\""));
    ck_assert_ptr_nonnull(strstr(q.jsonl, "\"queue_id\":\"1xWFVI-00005D-2v\",\"recipient\":"
                                          "\"pat@ratelimit.test\""));
    st_run_free(&q);
}
END_TEST

Suite *bounce_test_eximq_suite(void)
{
    Suite *s = suite_create("eximq");
    TCase *tc = tcase_create("exim-bp");
    tcase_add_test(tc, ex_basic);
    tcase_add_test(tc, ex_ids);
    tcase_add_test(tc, ex_thousands);
    tcase_add_test(tc, ex_real);
    suite_add_tcase(s, tc);
    return s;
}

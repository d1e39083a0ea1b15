/* Reports and incident diagnosis: records built through the public stream API from queue
 * listings, then the findings (and their absence on healthy input) and the JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_testlib.h"

void bounce__test_fail_alloc_after(long n); /* libbounce-test (BOUNCE_TESTING) */

static int has_finding(const bounce_report_t *r, const char *id)
{
    size_t i, n = bounce_report_finding_count(r);
    for (i = 0; i < n; i++)
        if (strcmp(bounce_report_finding_id(r, i), id) == 0)
            return 1;
    return 0;
}

static bounce_report_t *report_of(const char *rel)
{
    bounce_report_t *r = NULL;
    struct st_run q;
    ck_assert_int_eq(bounce_report_new(0, &r), BOUNCE_OK);
    st_queue_fixture(rel, 0, &q, r);
    ck_assert_uint_gt(q.records, 0);
    st_run_free(&q);
    return r;
}

static json_t *report_json(const bounce_report_t *r)
{
    char *js = NULL;
    json_error_t err;
    json_t *o;
    ck_assert_int_eq(bounce_report_to_json(r, BOUNCE_JSON_CANONICAL, &js), BOUNCE_OK);
    o = json_loads(js, 0, &err);
    ck_assert_msg(o != NULL, "report JSON does not parse: %s: %s", err.text, js);
    bounce_free(js);
    return o;
}

static void dump_findings(const bounce_report_t *r, const char *what)
{
    size_t i, n = bounce_report_finding_count(r);
    if (getenv("VERBOSE"))
        for (i = 0; i < n; i++)
            fprintf(stderr, "%s: %s: %s\n", what, bounce_report_finding_id(r, i),
                    bounce_report_finding_text(r, i));
}

static const struct {
    const char *fixture;
    const char *finding;
} fires[] = {
    {"report/port25.txt", "network.port25_blocked"},
    {"report/filter.txt", "local.content_filter_down"},
    {"report/dns.txt", "dns.resolver_broken"},
    {"report/backscatter.txt", "security.compromised_account"},
    {"report/compromised.txt", "security.compromised_account"},
    {"report/remote.txt", "reputation.listed"},
    {"report/remote.txt", "rate.limited_by_receiver"},
    {"report/remote.txt", "recipient.domain_migrated"},
    {"report/remote.txt", "quota.concentrated"},
};

START_TEST(finding_fires)
{
    bounce_report_t *r = report_of(fires[_i].fixture);
    dump_findings(r, fires[_i].fixture);
    ck_assert_msg(has_finding(r, fires[_i].finding), "%s: %s did not fire", fires[_i].fixture,
                  fires[_i].finding);
    /* every finding has text that cites numbers */
    ck_assert_ptr_nonnull(bounce_report_finding_text(r, 0));
    ck_assert_ptr_nonnull(strpbrk(bounce_report_finding_text(r, 0), "0123456789"));
    ck_assert_ptr_null(bounce_report_finding_id(r, bounce_report_finding_count(r)));
    bounce_report_free(r);
}
END_TEST

/* Each fixture fires only what it is about. */
START_TEST(findings_specific)
{
    bounce_report_t *r = report_of("report/port25.txt");
    ck_assert_str_eq(bounce_report_finding_id(r, 0), "network.port25_blocked");
    ck_assert(!has_finding(r, "dns.resolver_broken"));
    ck_assert(!has_finding(r, "security.compromised_account"));
    bounce_report_free(r);
    r = report_of("report/filter.txt");
    ck_assert(!has_finding(r, "network.port25_blocked"));
    bounce_report_free(r);
    r = report_of("report/remote.txt");
    ck_assert_str_eq(bounce_report_finding_id(r, 0), "reputation.listed");
    ck_assert_ptr_nonnull(strstr(bounce_report_finding_text(r, 0), "zen.spamhaus.org (4)"));
    ck_assert_ptr_nonnull(strstr(bounce_report_finding_text(r, 0), "bl.spamcop.net (2)"));
    ck_assert(!has_finding(r, "network.port25_blocked"));
    ck_assert(!has_finding(r, "security.compromised_account"));
    bounce_report_free(r);
}
END_TEST

START_TEST(healthy_no_findings)
{
    static const char *const healthy[] = {"report/healthy.txt", "queue/exim-bp.txt",
                                          "queue/postqueue-json.txt"};
    size_t i;
    for (i = 0; i < sizeof healthy / sizeof healthy[0]; i++) {
        bounce_report_t *r = report_of(healthy[i]);
        dump_findings(r, healthy[i]);
        ck_assert_msg(bounce_report_finding_count(r) == 0, "%s: unexpected finding %s", healthy[i],
                      bounce_report_finding_id(r, 0));
        bounce_report_free(r);
    }
}
END_TEST

START_TEST(json_shape)
{
    bounce_report_t *r = report_of("report/healthy.txt");
    json_t *o = report_json(r), *q, *v;
    size_t i;
    json_int_t sum = 0;
    ck_assert_int_eq(json_integer_value(json_object_get(o, "schema")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "records")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "failures")), 2);
    v = json_object_get(o, "status");
    ck_assert_int_eq(json_integer_value(json_object_get(v, "queued")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "held")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "sources"), "postqueue")), 4);
    ck_assert(json_is_array(json_object_get(o, "findings")));
    ck_assert_uint_eq(json_array_size(json_object_get(o, "findings")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(o, "senders")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "domains_distinct")), 3);
    /* qshape: newest message at 10:59; ages 0, 89, 399 and 799 minutes */
    q = json_object_get(o, "queue");
    ck_assert_ptr_nonnull(q);
    ck_assert_str_eq(json_string_value(json_object_get(q, "now")), "2026-11-25T10:59:00Z");
    v = json_object_get(q, "total");
    ck_assert_uint_eq(json_array_size(v), 9);
    for (i = 0; i < 9; i++)
        sum += json_integer_value(json_array_get(v, i));
    ck_assert_int_eq(sum, 4);
    ck_assert_int_eq(json_integer_value(json_array_get(v, 0)), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(v, 5)), 1); /* 80-160m */
    ck_assert_int_eq(json_integer_value(json_array_get(v, 7)), 1); /* 320-640m */
    ck_assert_int_eq(json_integer_value(json_array_get(v, 8)), 1); /* 640m+ */
    json_decref(o);
    bounce_report_free(r);
}
END_TEST

/* A set reference time moves every message's age: one day later, all four are 640m+. */
START_TEST(reference_time)
{
    bounce_report_t *r = report_of("report/healthy.txt");
    json_t *o, *q, *v;
    ck_assert_int_eq(bounce_report_set_reference_time(NULL, 0), BOUNCE_E_INVAL);
    ck_assert_int_eq(bounce_report_set_reference_time(r, INT64_C(1795690740) /* 2026-11-26T10:59:00Z */),
                     BOUNCE_OK);
    o = report_json(r);
    q = json_object_get(o, "queue");
    ck_assert_str_eq(json_string_value(json_object_get(q, "now")), "2026-11-26T10:59:00Z");
    v = json_object_get(q, "total");
    ck_assert_int_eq(json_integer_value(json_array_get(v, 0)), 0);
    ck_assert_int_eq(json_integer_value(json_array_get(v, 8)), 4); /* 640m+ */
    json_decref(o);
    bounce_report_free(r);
}
END_TEST

START_TEST(json_findings_and_causes)
{
    bounce_report_t *r = report_of("report/port25.txt");
    json_t *o = report_json(r), *f, *c;
    f = json_array_get(json_object_get(o, "findings"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(f, "id")), "network.port25_blocked");
    ck_assert(json_real_value(json_object_get(f, "confidence")) > 0.5);
    ck_assert_int_eq(json_integer_value(json_object_get(f, "evidence")), 24);
    c = json_array_get(json_object_get(o, "causes"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "count")), 24);
    ck_assert_uint_eq(json_array_size(json_object_get(o, "domains")), 8);
    json_decref(o);
    bounce_report_free(r);
}
END_TEST

START_TEST(text_report)
{
    bounce_report_t *r = report_of("report/port25.txt");
    char *t = NULL, *diag, *totals;
    ck_assert_int_eq(bounce_report_to_text(r, BOUNCE_MTA_POSTFIX, &t), BOUNCE_OK);
    diag = strstr(t, "Diagnosis");
    totals = strstr(t, "Totals");
    ck_assert_ptr_nonnull(diag);
    ck_assert_ptr_nonnull(totals);
    ck_assert(diag < totals); /* findings first */
    ck_assert_ptr_nonnull(strstr(t, "network.port25_blocked"));
    ck_assert_ptr_nonnull(strstr(t, "Queue age by destination domain"));
    ck_assert_ptr_nonnull(strstr(t, "shop@example.com"));
    bounce_free(t);
    ck_assert_int_eq(bounce_report_to_text(r, 99, &t), BOUNCE_E_INVAL);
    bounce_report_free(r);
}
END_TEST

START_TEST(empty_and_invalid)
{
    bounce_report_t *r = NULL;
    char *s = NULL;
    ck_assert_int_eq(bounce_report_new(0, NULL), BOUNCE_E_INVAL);
    ck_assert_int_eq(bounce_report_new(0, &r), BOUNCE_OK);
    ck_assert_uint_eq(bounce_report_finding_count(r), 0);
    ck_assert_ptr_null(bounce_report_finding_text(r, 0));
    ck_assert_int_eq(bounce_report_add(r, NULL), BOUNCE_E_INVAL);
    ck_assert_int_eq(bounce_report_to_json(r, 0, &s), BOUNCE_OK);
    ck_assert_ptr_nonnull(strstr(s, "\"schema\":1"));
    bounce_free(s);
    ck_assert_int_eq(bounce_report_to_text(r, BOUNCE_MTA_ANY, &s), BOUNCE_OK);
    bounce_free(s);
    bounce_report_free(r);
    bounce_report_free(NULL);
    ck_assert_uint_eq(bounce_report_finding_count(NULL), 0);
}
END_TEST

/* Allocation failure at every step of building and printing a report: no crash, no leak. */
START_TEST(alloc_failure)
{
    size_t len = 0, n;
    char *buf = bounce_test_read_fixture("report/remote.txt", &len);
    for (n = 0; n < 400; n++) {
        bounce_stream_t *s = NULL;
        bounce_report_t *r = NULL;
        const bounce_record_t *rec;
        char *out = NULL;
        int ok = 1;
        bounce__test_fail_alloc_after((long)n);
        if (bounce_stream_new(bounce_kb_builtin(), BOUNCE_STREAM_QUEUE, BOUNCE_FORMAT_AUTO, &s) != BOUNCE_OK ||
            bounce_report_new(0, &r) != BOUNCE_OK)
            ok = 0;
        if (ok && bounce_stream_feed(s, buf, len) != BOUNCE_OK)
            ok = 0;
        if (ok && bounce_stream_finish(s) != BOUNCE_OK)
            ok = 0;
        while (ok && (rec = bounce_stream_next(s)) != NULL)
            if (bounce_report_add(r, rec) != BOUNCE_OK)
                ok = 0;
        if (ok && bounce_report_to_json(r, 0, &out) == BOUNCE_OK)
            bounce_free(out);
        out = NULL;
        if (ok && bounce_report_to_text(r, 0, &out) == BOUNCE_OK)
            bounce_free(out);
        if (r)
            (void)bounce_report_finding_count(r);
        bounce__test_fail_alloc_after(-1);
        bounce_report_free(r);
        bounce_stream_free(s);
    }
    free(buf);
}
END_TEST

Suite *bounce_test_report_json_suite(void)
{
    Suite *s = suite_create("report_json");
    TCase *tc = tcase_create("diagnosis");
    tcase_add_loop_test(tc, finding_fires, 0, (int)(sizeof fires / sizeof fires[0]));
    tcase_add_test(tc, findings_specific);
    tcase_add_test(tc, healthy_no_findings);
    suite_add_tcase(s, tc);
    tc = tcase_create("output");
    tcase_add_test(tc, json_shape);
    tcase_add_test(tc, reference_time);
    tcase_add_test(tc, json_findings_and_causes);
    tcase_add_test(tc, text_report);
    tcase_add_test(tc, empty_and_invalid);
    tcase_add_test(tc, alloc_failure);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

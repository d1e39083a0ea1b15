/* Core API: status names, enums, versions, records, JSON escaping, streams. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

START_TEST(test_status_names)
{
    ck_assert_str_eq(bounce_status_name(BOUNCE_OK), "BOUNCE_OK");
    ck_assert_str_eq(bounce_status_name(BOUNCE_E_SYNTAX), "BOUNCE_E_SYNTAX");
    ck_assert_str_eq(bounce_status_name((bounce_status_t)999), "BOUNCE_E_UNKNOWN");
    ck_assert_str_eq(bounce_strerror(BOUNCE_E_NOMEM), "out of memory");
    ck_assert_str_eq(bounce_strerror((bounce_status_t)-1), "unknown status");
}
END_TEST

START_TEST(test_version)
{
    char buf[32];
    uint32_t n = bounce_version_number();
    ck_assert_uint_eq(n, BOUNCE_VERSION_NUMBER);
    snprintf(buf, sizeof buf, "%u.%u.%u", (unsigned)(n >> 16), (unsigned)((n >> 8) & 255),
             (unsigned)(n & 255));
    ck_assert_str_eq(buf, bounce_version());
    ck_assert_int_eq(bounce_check_version(n), 1);
    ck_assert_int_eq(bounce_check_version(n + 1), 0);
    ck_assert_int_eq(bounce_check_version(0), 1);
}
END_TEST

/* Every enum family: names round-trip through from_name, out-of-range values give NULL. */
START_TEST(test_enum_roundtrip)
{
    int family = _i, v, count = bounce_enum_count((bounce_enum_t)family);
    ck_assert_int_gt(count, 1);
    for (v = 0; v < count; v++) {
        const char *name = bounce_enum_name((bounce_enum_t)family, v);
        ck_assert_ptr_nonnull(name);
        ck_assert_int_eq(bounce_enum_from_name((bounce_enum_t)family, name), v);
    }
    ck_assert_ptr_null(bounce_enum_name((bounce_enum_t)family, count));
    ck_assert_ptr_null(bounce_enum_name((bounce_enum_t)family, -1));
    ck_assert_int_eq(bounce_enum_from_name((bounce_enum_t)family, "no-such-name"), -1);
}
END_TEST

START_TEST(test_reason_vocabulary)
{
    /* exactly the 34 Sisimai reasons */
    ck_assert_int_eq(bounce_enum_count(BOUNCE_ENUM_REASON), 34);
    ck_assert_int_eq(bounce_enum_from_name(BOUNCE_ENUM_REASON, "UserUnknown"), BOUNCE_REASON_USERUNKNOWN);
    ck_assert_str_eq(bounce_enum_name(BOUNCE_ENUM_REASON, BOUNCE_REASON_VIRUSDETECTED), "virusdetected");
    ck_assert_str_eq(bounce_enum_name(BOUNCE_ENUM_SOURCE, BOUNCE_SOURCE_EXIM_QUEUE), "exim-queue");
}
END_TEST

START_TEST(test_json_string_escaping)
{
    bounce__buf b = {0};
    int rc = bounce__json_string(&b, "a\"b\\c\n\x01\xc3\xa9\xff", 10);
    ck_assert_int_eq(rc, 1); /* lossy: \xff is not UTF-8 */
    ck_assert_int_eq(bounce__buf_terminate(&b), 0);
    ck_assert_str_eq(b.p, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\xef\xbf\xbd\"");
    b.len = 0;
    /* overlong encoding and a surrogate are replaced too; NUL is escaped */
    rc = bounce__json_string(&b, "\xc0\xaf\xed\xa0\x80x\0y", 8);
    ck_assert_int_eq(rc, 1);
    bounce__buf_terminate(&b);
    ck_assert_str_eq(b.p, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx\\u0000y\"");
    bounce__buf_free(&b);
}
END_TEST

START_TEST(test_record_fields_and_json)
{
    bounce_record_t r;
    char *json = NULL;
    bounce__record_init(&r);
    r.source = BOUNCE_SOURCE_POSTFIX;
    r.status = BOUNCE_EVENT_BOUNCED;
    r.line = 7;
    r.time = bounce__timegm(2026, 11, 25, 14, 36, 23);
    r.reply_code = 550;
    ck_assert_int_eq(bounce__record_set_str(&r, BOUNCE_FIELD_RECIPIENT, "bob@example.org"), 0);
    ck_assert_int_eq(bounce__record_set_str(&r, BOUNCE_FIELD_QUEUE_ID, "4ABC123"), 0);
    ck_assert_int_eq(bounce__record_set(&r, BOUNCE_FIELD_DIAGNOSTIC, "550 5.1.1 <bob>: nope", 21), 0);
    ck_assert_int_eq(bounce__record_set_str(&r, BOUNCE_FIELD_ENHANCED, "5.1.1"), 0);
    ck_assert_str_eq(bounce_record_get(&r, BOUNCE_FIELD_RECIPIENT), "bob@example.org");
    ck_assert_ptr_null(bounce_record_get(&r, BOUNCE_FIELD_SENDER));
    ck_assert_ptr_null(bounce_record_get(&r, BOUNCE_FIELD_COUNT_));
    ck_assert_int_eq(bounce_record_to_json(&r, BOUNCE_JSON_NO_REMEDIATION, &json), BOUNCE_OK);
    /* DESIGN section 6 key order */
    ck_assert_ptr_nonnull(strstr(json, "{\"schema\":1,\"source\":\"postfix\",\"line\":7,"
                                       "\"time\":\"2026-11-25T14:36:23Z\",\"queue_id\":\"4ABC123\","
                                       "\"recipient\":\"bob@example.org\",\"status\":\"bounced\","
                                       "\"reply_code\":550,\"enhanced_status\":\"5.1.1\","
                                       "\"diagnostic\":\"550 5.1.1 <bob>: nope\""));
    bounce_free(json);
    ck_assert_int_eq(bounce_record_to_json(&r, BOUNCE_JSON_CANONICAL | BOUNCE_JSON_NO_REMEDIATION, &json), BOUNCE_OK);
    ck_assert_ptr_nonnull(strstr(json, "{\"action\":"));
    bounce_free(json);
    /* reset keeps memory and clears fields */
    bounce__record_reset(&r);
    ck_assert_ptr_null(bounce_record_get(&r, BOUNCE_FIELD_RECIPIENT));
    ck_assert_int_eq(bounce_record_time(&r), INT64_MIN);
    bounce__record_release(&r);
}
END_TEST

START_TEST(test_time_roundtrip)
{
    char buf[48];
    bounce__format_time(0, buf);
    ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
    bounce__format_time(bounce__timegm(2024, 2, 29, 23, 59, 59), buf);
    ck_assert_str_eq(buf, "2024-02-29T23:59:59Z");
    ck_assert_int_eq(bounce__timegm(2000, 3, 1, 0, 0, 0), 951868800);
    bounce__format_time(bounce__timegm(1969, 12, 31, 23, 0, 0), buf);
    ck_assert_str_eq(buf, "1969-12-31T23:00:00Z");
}
END_TEST

START_TEST(test_diag)
{
    bounce_diag_t *d = bounce__diag_new("x.tsv", 3, 9, "bad %s", "field");
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(bounce_diag_file(d), "x.tsv");
    ck_assert_uint_eq(bounce_diag_line(d), 3);
    ck_assert_uint_eq(bounce_diag_column(d), 9);
    ck_assert_str_eq(bounce_diag_message(d), "bad field");
    bounce_diag_free(d);
    bounce_diag_free(NULL);
}
END_TEST

START_TEST(test_stream_misuse)
{
    bounce_stream_t *s = NULL;
    ck_assert_int_eq(bounce_stream_new(NULL, BOUNCE_STREAM_LOG, 0, NULL), BOUNCE_E_INVAL);
    /* a NULL KB means the built-in one */
    ck_assert_int_eq(bounce_stream_new(NULL, BOUNCE_STREAM_LOG, 0, &s), BOUNCE_OK);
    bounce_stream_free(s);
    s = NULL;
    ck_assert_int_eq(bounce_stream_new(bounce_kb_builtin(), 99, 0, &s), BOUNCE_E_INVAL);
    ck_assert_int_eq(bounce_stream_feed(NULL, "x", 1), BOUNCE_E_INVAL);
    ck_assert_ptr_null(bounce_stream_next(NULL));
    /* a NULL buffer with a length: no pointer arithmetic on NULL (UBSan) before the check */
    ck_assert_int_eq(bounce_stream_new(bounce_kb_builtin(), BOUNCE_STREAM_LOG, 0, &s), BOUNCE_OK);
    ck_assert_int_eq(bounce_stream_feed(s, NULL, 1), BOUNCE_E_INVAL);
    ck_assert_int_eq(bounce_stream_feed(s, NULL, 0), BOUNCE_OK);
    bounce_stream_free(s);
    bounce_stream_free(NULL);
}
END_TEST

START_TEST(test_alloc_failure_record)
{
    /* every allocation point of record JSON fails cleanly */
    long n;
    for (n = 0; n < 20; n++) {
        bounce_record_t r;
        char *json = NULL;
        bounce_status_t st;
        bounce__record_init(&r);
        bounce__test_fail_alloc_after(n);
        if (bounce__record_set_str(&r, BOUNCE_FIELD_RECIPIENT, "a@b.c") == 0) {
            st = bounce_record_to_json(&r, 0, &json);
            ck_assert(st == BOUNCE_OK || st == BOUNCE_E_NOMEM);
            bounce_free(json);
        }
        bounce__test_fail_alloc_after(-1);
        bounce__record_release(&r);
    }
}
END_TEST

Suite *bounce_test_api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_status_names);
    tcase_add_test(tc, test_version);
    tcase_add_loop_test(tc, test_enum_roundtrip, 0, BOUNCE_ENUM_STATUS + 1);
    tcase_add_test(tc, test_reason_vocabulary);
    tcase_add_test(tc, test_json_string_escaping);
    tcase_add_test(tc, test_record_fields_and_json);
    tcase_add_test(tc, test_time_roundtrip);
    tcase_add_test(tc, test_diag);
    tcase_add_test(tc, test_stream_misuse);
    tcase_add_test(tc, test_alloc_failure_record);
    suite_add_tcase(s, tc);
    return s;
}

/* Exim main log parsing: records, joins by message id, rejects, id formats, chunking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_testlib.h"

START_TEST(test_basic_records)
{
    struct st_run lr;
    st_log_fixture("log/exim-basic.log", 0, &lr);
    ck_assert_int_eq(lr.format, BOUNCE_FORMAT_EXIM_LOG);
    ck_assert_uint_eq(json_array_size(lr.recs), 9);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_LINES], 15);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_SKIPPED], 1); /* the line without a stamp */
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_IN_FLIGHT], 0); /* both messages Completed */

    /* => joined with the <= line: sender and id= */
    ck_assert_str_eq(fs(&lr, 0, "source"), "exim");
    ck_assert_int_eq(fi(&lr, 0, "line"), 2);
    ck_assert_str_eq(fs(&lr, 0, "time"), "2026-11-25T14:36:21Z");
    ck_assert_str_eq(fs(&lr, 0, "queue_id"), "1rXYZa-000123-AB");
    ck_assert_str_eq(fs(&lr, 0, "message_id"), "20261125143620.1@example.org");
    ck_assert_str_eq(fs(&lr, 0, "sender"), "alice@example.org");
    ck_assert_str_eq(fs(&lr, 0, "recipient"), "bob@example.net");
    ck_assert_str_eq(fs(&lr, 0, "status"), "delivered");
    ck_assert_str_eq(fs(&lr, 0, "relay"), "mx.example.net[198.51.100.5]");
    ck_assert_str_eq(fs(&lr, 0, "diagnostic"), "250 2.0.0 Ok: queued as 4ABCDEF");

    /* ** with the SMTP error: whole text, command, code, enhanced code */
    ck_assert_str_eq(fs(&lr, 1, "status"), "bounced");
    ck_assert_str_eq(fs(&lr, 1, "recipient"), "nobody@example.com");
    ck_assert_str_eq(fs(&lr, 1, "diagnostic"),
                     "SMTP error from remote mail server after RCPT TO:<nobody@example.com>: 550 "
                     "5.1.1 <nobody@example.com>: Recipient address rejected: User unknown");
    ck_assert_int_eq(fi(&lr, 1, "reply_code"), 550);
    ck_assert_str_eq(fs(&lr, 1, "enhanced_status"), "5.1.1");
    ck_assert_str_eq(fs(&lr, 1, "smtp_command"), "RCPT TO");
    ck_assert_str_eq(fs(&lr, 1, "remote_mta"), "mx.example.com");

    /* == deferral without a host */
    ck_assert_str_eq(fs(&lr, 2, "status"), "deferred");
    ck_assert_str_eq(fs(&lr, 2, "diagnostic"), "Connection timed out");

    /* the bounce message: null sender; local delivery "alice <alice@example.org>" */
    ck_assert_str_eq(fs(&lr, 3, "queue_id"), "1rXYZb-000124-CD");
    ck_assert_str_eq(fs(&lr, 3, "sender"), "");
    ck_assert_str_eq(fs(&lr, 3, "recipient"), "alice@example.org");
    ck_assert_str_eq(fs(&lr, 3, "notification_for"), "1rXYZa-000123-AB"); /* <= <> R=... */
    ck_assert_str_eq(fs(&lr, 0, "notification_for"), "(absent)");

    /* ACL rejects */
    ck_assert_str_eq(fs(&lr, 4, "status"), "rejected");
    ck_assert_str_eq(fs(&lr, 4, "sender"), "spammer@bad.example");
    ck_assert_str_eq(fs(&lr, 4, "recipient"), "victim@example.org");
    ck_assert_str_eq(fs(&lr, 4, "diagnostic"), "relay not permitted");
    ck_assert_str_eq(fs(&lr, 4, "remote_mta"), "[198.51.100.66]");
    ck_assert_str_eq(fs(&lr, 4, "helo"), "bad.example"); /* H=(bad.example) [ip]:port */
    ck_assert_str_eq(fs(&lr, 5, "status"), "deferred"); /* temporarily rejected */
    ck_assert_str_eq(fs(&lr, 5, "diagnostic"), "greylisted, try again later");
    ck_assert_str_eq(fs(&lr, 5, "remote_mta"), "mail.grey.example[198.51.100.67]");
    /* no parenthesised name: the HELO was the verified host name or none; not guessed */
    ck_assert_str_eq(fs(&lr, 5, "helo"), "(absent)");
    ck_assert_str_eq(fs(&lr, 6, "status"), "rejected");
    ck_assert_str_eq(fs(&lr, 6, "queue_id"), "1rXYZc-000125-EF");
    ck_assert_str_eq(fs(&lr, 6, "diagnostic"), "This message contains a virus (Eicar-Test-Signature)");
    ck_assert_str_eq(fs(&lr, 6, "sender"), "alice@example.org");

    /* a second attempt of the same recipient: another record */
    ck_assert_str_eq(fs(&lr, 7, "recipient"), "carol@slow.example");
    ck_assert_int_eq(fi(&lr, 7, "reply_code"), 451);
    ck_assert_str_eq(fs(&lr, 7, "enhanced_status"), "4.7.1");
    ck_assert_str_eq(fs(&lr, 7, "relay"), "mx.slow.example[203.0.113.9]");

    ck_assert_str_eq(fs(&lr, 8, "recipient"), "dave@gone.example");
    ck_assert_str_eq(fs(&lr, 8, "diagnostic"), "Unrouteable address");
    st_run_free(&lr);
}
END_TEST

START_TEST(test_exim_497_ids_and_zone)
{
    struct st_run lr;
    st_log_fixture("log/exim-497.log", 0, &lr);
    ck_assert_int_eq(lr.format, BOUNCE_FORMAT_EXIM_LOG);
    ck_assert_uint_eq(json_array_size(lr.recs), 4);
    ck_assert_str_eq(fs(&lr, 0, "queue_id"), "1vJ8ZZ-00000003vYq-2mnr");
    ck_assert_str_eq(fs(&lr, 0, "message_id"), "x.y@example.org");
    ck_assert_str_eq(fs(&lr, 0, "time"), "2026-11-25T13:36:21Z"); /* +0100 */
    ck_assert_str_eq(fs(&lr, 0, "original_recipient"), "g@alias.example.com");
    ck_assert_str_eq(fs(&lr, 0, "relay"), "mx.example.com[203.0.113.7]");
    ck_assert_int_eq(fi(&lr, 0, "reply_code"), 552);
    ck_assert_str_eq(fs(&lr, 0, "enhanced_status"), "5.2.2");
    ck_assert_str_eq(fs(&lr, 0, "smtp_command"), "end of data");
    ck_assert_str_eq(fs(&lr, 0, "diagnostic"),
                     "SMTP error from remote mail server after end of data: 552-5.2.2 The email "
                     "account that you tried to reach is over quota (see: https://support.example.com/q=1)");
    ck_assert_str_eq(fs(&lr, 1, "status"), "deferred");
    ck_assert_str_eq(fs(&lr, 1, "diagnostic"), "retry time not reached for any host for 'example.net'");
    ck_assert_str_eq(fs(&lr, 2, "status"), "expired");
    ck_assert_str_eq(fs(&lr, 3, "status"), "frozen");
    ck_assert_str_eq(fs(&lr, 3, "diagnostic"), "delivery error message");
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_IN_FLIGHT], 0);
    st_run_free(&lr);
}
END_TEST

START_TEST(test_chunking)
{
    static const char *const files[] = {"log/exim-basic.log", "log/exim-497.log",
                                        "log/real-exim-scenarios.log"};
    struct st_opts o = st_log_opts(0, 0);
    st_check_chunks(&o, files[_i], 7);
}
END_TEST

static const char syslog_exim[] =
    "Nov 25 10:00:00 mx exim[100]: 1rAAAA-000001-AA <= s@example.org H=localhost [127.0.0.1] P=esmtp S=10 id=m1@example.org\n"
    "Nov 25 10:00:01 mx exim[101]: 1rAAAA-000001-AA ** r@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.5]: SMTP error from remote mail server after pipelined MAIL FROM:<s@example.org> SIZE=10: 550 5.7.1 sender rejected\n"
    "Nov 25 10:00:01 mx exim[101]: 1rAAAA-000001-AA Completed\n";

START_TEST(test_via_syslog)
{
    struct st_run lr;
    st_log_buf(syslog_exim, sizeof syslog_exim - 1, 0, 0, &lr);
    ck_assert_int_eq(lr.format, BOUNCE_FORMAT_EXIM_LOG);
    ck_assert_uint_eq(json_array_size(lr.recs), 1);
    ck_assert_str_eq(fs(&lr, 0, "sender"), "s@example.org");
    ck_assert_str_eq(fs(&lr, 0, "message_id"), "m1@example.org");
    ck_assert_str_eq(fs(&lr, 0, "time"), "2026-11-25T10:00:01Z");
    ck_assert_int_eq(fi(&lr, 0, "reply_code"), 550);
    ck_assert_str_eq(fs(&lr, 0, "smtp_command"), "pipelined MAIL FROM");
    st_run_free(&lr);
}
END_TEST

START_TEST(test_eviction_and_garbage)
{
    char buf[8192];
    size_t n = 0;
    for (int i = 0; i < 6; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              "2026-11-25 10:00:0%d 1rAAAA-00000%d-AA <= s%d@example.org P=local S=1\n", i, i, i);
    n += (size_t)snprintf(buf + n, sizeof buf - n,
                          "2026-11-25 10:00:09 1rAAAA-000005-AA == r@example.net R=x T=y defer (111): Connection refused\n"
                          "2026-11-25 10:00:09 1rAAAA-000000-AA == r@example.net R=x T=y defer (111): Connection refused\n"
                          "\xff\xfe\x01 not a log line\n"
                          "2026-11-25 10:00:09 1rAAAA-000000-AA ** \n"
                          "2026-11-25 10:00:09 1rAAAA-000000-AA ** x\n"
                          "2026-11-25 10:00:09 H=\n"
                          "2026-11-25 10:00:09 H=[ rejected \n");
    struct st_run lr;
    st_log_buf(buf, n, 0, 3, &lr);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_EVICTED], 3);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_SKIPPED], 1);
    ck_assert_str_eq(fs(&lr, 0, "sender"), "s5@example.org");
    ck_assert_str_eq(fs(&lr, 0, "diagnostic"), "Connection refused");
    ck_assert_str_eq(fs(&lr, 1, "sender"), "(absent)"); /* evicted */
    st_run_free(&lr);
}
END_TEST

static const char frozen_log[] =
    "2026-11-25 16:05:53 1xWFVJ-00005i-0C <= sender@bounce.test U=root P=local S=1096 id=m@bounce.test\n"
    "2026-11-25 16:05:53 1xWFVJ-00005i-0C == sam@loop.test R=dnslookup defer (-1): lowest numbered MX record points to local host\n"
    "2026-11-25 16:05:53 1xWFVJ-00005i-0C Frozen\n"
    "2026-11-25 16:06:01 1xWFVJ-00005i-0C cancelled by timeout_frozen_after\n"
    "2026-11-25 16:06:01 1xWFVJ-00005i-0C Completed\n";

/* a frozen message names its deferred recipients; timeout_frozen_after expires them */
START_TEST(test_frozen_then_expired)
{
    struct st_run lr;
    st_log_buf(frozen_log, sizeof frozen_log - 1, 0, 0, &lr);
    ck_assert_uint_eq(json_array_size(lr.recs), 3);
    ck_assert_str_eq(fs(&lr, 1, "status"), "frozen");
    ck_assert_str_eq(fs(&lr, 1, "recipient"), "sam@loop.test");
    ck_assert_str_eq(fs(&lr, 2, "status"), "expired");
    ck_assert_str_eq(fs(&lr, 2, "recipient"), "sam@loop.test");
    ck_assert_str_eq(fs(&lr, 2, "sender"), "sender@bounce.test");
    ck_assert_str_eq(fs(&lr, 2, "diagnostic"), "lowest numbered MX record points to local host");
    ck_assert_str_eq(fs(&lr, 2, "severity"), "permanent");
    st_run_free(&lr);
}
END_TEST

/* The main log of a real Exim 4.96 run of tests/mta/scenarios.tsv (tests/mta/fixtures.py). */
START_TEST(test_real_exim_scenarios)
{
    struct st_run lr;
    st_log_fixture("log/real-exim-scenarios.log", 0, &lr);
    ck_assert_int_eq(lr.format, BOUNCE_FORMAT_EXIM_LOG);
    ck_assert_uint_eq(json_array_size(lr.recs), 73);

    st_expect_scenario(&lr, "alice@delivered.test", "delivered", 250, "2.0.0", "delivered.ok");
    st_expect_scenario(&lr, "nosuch@unknown.test", "bounced", 550, "5.1.1", "recipient.unknown_user");
    st_expect_scenario(&lr, "dave@dmarc.test", "bounced", 550, "5.7.26", "auth.dmarc_fail");
    st_expect_scenario(&lr, "mia@virus.test", "bounced", 554, "5.6.0", "content.virus");
    st_expect_scenario(&lr, "big@sizeehlo.test", "bounced", 552, "5.3.4", "size.message_too_large");
    st_expect_scenario(&lr, "pat@ratelimit.test", "deferred", 450, "4.7.1", "rate.limit_exceeded");
    st_expect_scenario(&lr, "erin@refused.test", "deferred", -1, "(absent)", "network.connection_refused");
    st_expect_scenario(&lr, "rob@filter.test", "delivered", 250, "2.0.0", "delivered.ok");
    /* "lowest numbered MX record points to local host": deferred, frozen, then cancelled by
     * timeout_frozen_after, all with the MX diagnostic */
    st_expect_scenario(&lr, "sam@loop.test", "deferred", -1, "(absent)", "recipient.domain_not_local");
    st_expect_scenario(&lr, "sam@loop.test", "frozen", -1, "(absent)", "recipient.domain_not_local");
    st_expect_scenario(&lr, "sam@loop.test", "expired", -1, "(absent)", "recipient.domain_not_local");
    long i = find_rec(&lr, "sam@loop.test", "expired");
    ck_assert_str_eq(fs(&lr, (size_t)i, "severity"), "permanent");
    /* "** grey@greylisted.test: retry timeout exceeded": the last deferral reason is the
     * record's diagnostic, so the cause stays the root cause (as with Postfix) */
    i = find_rec(&lr, "grey@greylisted.test", "expired");
    ck_assert_int_ge(i, 0);
    ck_assert_str_eq(fs(&lr, (size_t)i, "queue_id"), "1xWFVI-00003L-0d");
    ck_assert_str_eq(fs(&lr, (size_t)i, "severity"), "permanent");
    ck_assert_str_eq(fs(&lr, (size_t)i, "cause"), "greylisting");
    ck_assert_int_eq(fi(&lr, (size_t)i, "line"), 139);
    st_expect_scenario(&lr, "pat@ratelimit.test", "expired", 450, "4.7.1", "rate.limit_exceeded");
    st_expect_scenario(&lr, "erin@refused.test", "expired", -1, "(absent)", "network.connection_refused");

    /* every notification delivered to the sender names the message it reports on */
    size_t notes = 0;
    for (size_t k = 0; k < json_array_size(lr.recs); k++) {
        if (strcmp(fs(&lr, k, "recipient"), "sender@bounce.test") != 0)
            continue;
        notes++;
        ck_assert_str_eq(fs(&lr, k, "sender"), "");
        ck_assert_int_ge(find_qid(&lr, fs(&lr, k, "notification_for")), 0);
    }
    ck_assert_uint_eq(notes, 26); /* as many as '<= <>' lines */
    /* "1xWFVI-000035-04 <= <> R=1xWFVH-00002w-2w" reports on nosuch@unknown.test */
    i = find_qid(&lr, "1xWFVI-000035-04");
    ck_assert_int_ge(i, 0);
    ck_assert_str_eq(fs(&lr, (size_t)i, "notification_for"), "1xWFVH-00002w-2w");
    ck_assert_str_eq(fs(&lr, (size_t)find_qid(&lr, "1xWFVH-00002w-2w"), "recipient"),
                     "nosuch@unknown.test");
    st_run_free(&lr);
}
END_TEST

Suite *bounce_test_exim_suite(void)
{
    Suite *s = suite_create("exim");
    TCase *tc = tcase_create("exim");
    tcase_add_test(tc, test_basic_records);
    tcase_add_test(tc, test_exim_497_ids_and_zone);
    tcase_add_loop_test(tc, test_chunking, 0, 3);
    tcase_add_test(tc, test_via_syslog);
    tcase_add_test(tc, test_frozen_then_expired);
    tcase_add_test(tc, test_eviction_and_garbage);
    tcase_add_test(tc, test_real_exim_scenarios);
    suite_add_tcase(s, tc);
    return s;
}

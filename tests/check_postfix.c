/* Postfix log parsing: records, joins by queue id, rejects, prefixes, chunking, limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_testlib.h"

START_TEST(test_basic_records)
{
    struct st_run lr;
    st_log_fixture("log/postfix-basic.log", 0, &lr);
    ck_assert_int_eq(lr.format, BOUNCE_FORMAT_POSTFIX_LOG);
    ck_assert_uint_eq(json_array_size(lr.recs), 9);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_LINES], 23);
    /* the dovecot line and the garbage line */
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_SKIPPED], 2);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_PARSED], 21);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_RECORDS], 9);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_IN_FLIGHT], 0);

    /* delivered, joined with cleanup's message-id and qmgr's sender */
    ck_assert_str_eq(fs(&lr, 0, "source"), "postfix");
    ck_assert_str_eq(fs(&lr, 0, "file"), "test.log");
    ck_assert_int_eq(fi(&lr, 0, "line"), 6);
    ck_assert_str_eq(fs(&lr, 0, "time"), "2026-11-25T14:36:22Z");
    ck_assert_str_eq(fs(&lr, 0, "queue_id"), "3F2A81C0A4");
    ck_assert_str_eq(fs(&lr, 0, "message_id"), "20261125143620.1@example.org");
    ck_assert_str_eq(fs(&lr, 0, "sender"), "alice@example.org");
    ck_assert_str_eq(fs(&lr, 0, "recipient"), "bob@example.net");
    ck_assert_str_eq(fs(&lr, 0, "status"), "delivered");
    ck_assert_str_eq(fs(&lr, 0, "relay"), "mx.example.net[198.51.100.5]:25");

    /* bounced: orig_to, dsn, reply code, whole diagnostic, command */
    ck_assert_int_eq(fi(&lr, 1, "line"), 7);
    ck_assert_str_eq(fs(&lr, 1, "time"), "2026-11-25T14:36:23Z");
    ck_assert_str_eq(fs(&lr, 1, "recipient"), "nobody@example.com");
    ck_assert_str_eq(fs(&lr, 1, "original_recipient"), "alias@example.org");
    ck_assert_str_eq(fs(&lr, 1, "status"), "bounced");
    ck_assert_str_eq(fs(&lr, 1, "enhanced_status"), "5.1.1");
    ck_assert_int_eq(fi(&lr, 1, "reply_code"), 550);
    ck_assert_str_eq(fs(&lr, 1, "diagnostic"),
                     "host mx.example.com[203.0.113.7] said: 550 5.1.1 <nobody@example.com>: "
                     "Recipient address rejected: User unknown (in reply to RCPT TO command)");
    ck_assert_str_eq(fs(&lr, 1, "smtp_command"), "RCPT TO");
    ck_assert_str_eq(fs(&lr, 1, "remote_mta"), "mx.example.com");
    ck_assert_str_eq(fs(&lr, 1, "message_id"), "20261125143620.1@example.org");

    /* deferred with relay=none: no relay */
    ck_assert_str_eq(fs(&lr, 2, "status"), "deferred");
    ck_assert_str_eq(fs(&lr, 2, "relay"), "(absent)");
    ck_assert_str_eq(fs(&lr, 2, "diagnostic"),
                     "connect to mx.slow.example[203.0.113.9]:25: Connection timed out");

    /* the bounce notification: null sender, its own message-id */
    ck_assert_str_eq(fs(&lr, 3, "queue_id"), "5B7C11D0E2");
    ck_assert_str_eq(fs(&lr, 3, "sender"), "");
    ck_assert_str_eq(fs(&lr, 3, "message_id"), "20261125143655.5B7C11D0E2@mx1.example.org");
    /* bounce: "3F2A81C0A4: sender non-delivery notification: 5B7C11D0E2", logged before
     * the notification's own cleanup line */
    ck_assert_str_eq(fs(&lr, 3, "notification_for"), "3F2A81C0A4");
    ck_assert_str_eq(fs(&lr, 0, "notification_for"), "(absent)");
    ck_assert_str_eq(fs(&lr, 0, "helo"), "(absent)");

    /* NOQUEUE reject from smtpd */
    ck_assert_str_eq(fs(&lr, 4, "status"), "rejected");
    ck_assert_str_eq(fs(&lr, 4, "queue_id"), "(absent)");
    ck_assert_str_eq(fs(&lr, 4, "sender"), "spammer@bad.example");
    ck_assert_str_eq(fs(&lr, 4, "recipient"), "victim@example.org");
    ck_assert_int_eq(fi(&lr, 4, "reply_code"), 554);
    ck_assert_str_eq(fs(&lr, 4, "enhanced_status"), "5.7.1");
    ck_assert_str_eq(fs(&lr, 4, "diagnostic"), "554 5.7.1 <victim@example.org>: Relay access denied");
    ck_assert_str_eq(fs(&lr, 4, "remote_mta"), "unknown[198.51.100.66]");
    ck_assert_str_eq(fs(&lr, 4, "helo"), "bad.example");
    ck_assert_str_eq(fs(&lr, 4, "notification_for"), "(absent)");

    /* postscreen: comma-separated key list, DNSBL text kept */
    ck_assert_str_eq(fs(&lr, 5, "recipient"), "user@example.org");
    ck_assert_str_eq(fs(&lr, 5, "sender"), "x@spam.example");
    ck_assert_str_eq(fs(&lr, 5, "diagnostic"),
                     "550 5.7.1 Service unavailable; client [198.51.100.77] blocked using zen.spamhaus.org");
    ck_assert_str_eq(fs(&lr, 5, "remote_mta"), "[198.51.100.77]");
    ck_assert_str_eq(fs(&lr, 5, "helo"), "spam.example"); /* last key, comma list */

    /* milter-reject: nested parentheses, ';' and '=' stay in the diagnostic */
    ck_assert_str_eq(fs(&lr, 6, "status"), "rejected");
    ck_assert_str_eq(fs(&lr, 6, "queue_id"), "6C8D22E1F3");
    ck_assert_str_eq(fs(&lr, 6, "diagnostic"),
                     "5.7.1 Message rejected (policy=strict; score=9.5 (too high))");
    ck_assert_str_eq(fs(&lr, 6, "recipient"), "dave@example.net");
    ck_assert_str_eq(fs(&lr, 6, "helo"), "client.example.org");

    /* the status text with '=', ';', '<>' and nested parentheses is kept whole */
    ck_assert_str_eq(fs(&lr, 7, "diagnostic"),
                     "host mx.full.example[192.0.2.99] said: 452 4.2.2 Mailbox full (quota=100%; "
                     "see <https://help.full.example/q?a=b>) (in reply to end of DATA command)");
    ck_assert_int_eq(fi(&lr, 7, "reply_code"), 452);
    ck_assert_str_eq(fs(&lr, 7, "smtp_command"), "end of DATA");

    /* qmgr expired */
    ck_assert_str_eq(fs(&lr, 8, "status"), "expired");
    ck_assert_str_eq(fs(&lr, 8, "sender"), "old@example.org");
    ck_assert_str_eq(fs(&lr, 8, "recipient"), "(absent)");
    st_run_free(&lr);
}
END_TEST

START_TEST(test_chunking)
{
    static const char *const files[] = {"log/postfix-basic.log", "log/postfix-multi.log",
                                        "log/postfix-rfc5424.log", "log/postfix-journal.log",
                                        "log/postfix-journal.json",
                                        "log/real-postfix-scenarios.log"};
    struct st_opts o = st_log_opts(0, 0);
    st_check_chunks(&o, files[_i], 7);
}
END_TEST

START_TEST(test_multi_instance_long_ids)
{
    struct st_run lr;
    st_log_fixture("log/postfix-multi.log", 0, &lr);
    ck_assert_uint_eq(json_array_size(lr.recs), 2);
    ck_assert_str_eq(fs(&lr, 0, "queue_id"), "4Nc3Jv1Yqz9xKpB");
    /* RFC 3339 with microseconds and +01:00 */
    ck_assert_str_eq(fs(&lr, 0, "time"), "2026-11-25T13:36:23Z");
    ck_assert_str_eq(fs(&lr, 1, "queue_id"), "4Nc3Jw2Zr0zBcdF");
    ck_assert_str_eq(fs(&lr, 1, "sender"), "frank@example.org");
    ck_assert_str_eq(fs(&lr, 1, "message_id"), "abc(def)=ghi@example.org");
    ck_assert_str_eq(fs(&lr, 1, "enhanced_status"), "5.7.26");
    ck_assert_int_eq(fi(&lr, 1, "reply_code"), 550);
    ck_assert_str_eq(fs(&lr, 1, "smtp_command"), "end of DATA");
    st_run_free(&lr);
}
END_TEST

START_TEST(test_rfc5424_and_journal)
{
    struct st_run lr;
    st_log_fixture("log/postfix-rfc5424.log", 0, &lr);
    ck_assert_int_eq(lr.format, BOUNCE_FORMAT_POSTFIX_LOG);
    ck_assert_uint_eq(json_array_size(lr.recs), 1);
    ck_assert_str_eq(fs(&lr, 0, "time"), "2026-11-25T13:36:23Z");
    ck_assert_int_eq(fi(&lr, 0, "reply_code"), 421);
    ck_assert_str_eq(fs(&lr, 0, "smtp_command"), "MAIL FROM");
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_SKIPPED], 0);
    st_run_free(&lr);

    st_log_fixture("log/postfix-journal.log", 0, &lr);
    ck_assert_uint_eq(json_array_size(lr.recs), 2);
    ck_assert_str_eq(fs(&lr, 0, "time"), "2026-11-25T13:36:23Z");
    ck_assert_str_eq(fs(&lr, 0, "diagnostic"),
                     "Host or domain name not found. Name service error for name=example.net "
                     "type=MX: Host not found, try again");
    ck_assert_str_eq(fs(&lr, 1, "relay"), "mail.example.org[private/dovecot-lmtp]");
    ck_assert_int_eq(fi(&lr, 1, "reply_code"), 552);
    st_run_free(&lr);

    st_log_fixture("log/postfix-journal.json", 0, &lr);
    ck_assert_int_eq(lr.format, BOUNCE_FORMAT_POSTFIX_LOG);
    ck_assert_uint_eq(json_array_size(lr.recs), 2);
    ck_assert_str_eq(fs(&lr, 0, "sender"), "kim@example.org");
    ck_assert_str_eq(fs(&lr, 0, "time"), "2026-11-25T13:36:24Z");
    ck_assert_str_eq(fs(&lr, 0, "relay"), "127.0.0.1[127.0.0.1]:10024");
    ck_assert_str_eq(fs(&lr, 1, "recipient"), "mo\xc3\xabl@example.net");
    ck_assert_str_eq(fs(&lr, 1, "diagnostic"), "250 ok \"quoted\"");
    st_run_free(&lr);
}
END_TEST

static const char reuse_log[] =
    "Nov 25 10:00:00 h postfix/smtpd[1]: ABCDE12345: client=a.example[192.0.2.1]\n"
    "Nov 25 10:00:00 h postfix/cleanup[2]: ABCDE12345: message-id=<first@example>\n"
    "Nov 25 10:00:00 h postfix/qmgr[3]: ABCDE12345: from=<one@example>, size=1, nrcpt=1 (queue active)\n"
    "Nov 25 10:00:01 h postfix/smtp[4]: ABCDE12345: to=<x@example.net>, relay=mx[192.0.2.2]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\n"
    /* no `removed` line (lost); the id comes back for another message */
    "Nov 25 11:00:00 h postfix/pickup[5]: ABCDE12345: uid=0 from=<root>\n"
    "Nov 25 11:00:00 h postfix/cleanup[2]: ABCDE12345: message-id=<second@example>\n"
    "Nov 25 11:00:01 h postfix/smtp[4]: ABCDE12345: to=<y@example.net>, relay=mx[192.0.2.2]:25, delay=1, dsn=5.0.0, status=bounced (host mx[192.0.2.2] said: 550 no (in reply to RCPT TO command))\n";

START_TEST(test_queue_id_reuse)
{
    struct st_run lr;
    st_log_buf(reuse_log, sizeof reuse_log - 1, 0, 0, &lr);
    ck_assert_uint_eq(json_array_size(lr.recs), 2);
    ck_assert_str_eq(fs(&lr, 0, "message_id"), "first@example");
    ck_assert_str_eq(fs(&lr, 0, "sender"), "one@example");
    ck_assert_str_eq(fs(&lr, 1, "message_id"), "second@example");
    ck_assert_str_eq(fs(&lr, 1, "sender"), "root"); /* pickup's from=, not the old one */
    ck_assert_int_eq(fi(&lr, 1, "line"), 7);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_MESSAGES], 2);
    st_run_free(&lr);
}
END_TEST

START_TEST(test_eviction)
{
    char buf[4096];
    size_t n = 0;
    for (int i = 0; i < 5; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              "Nov 25 10:00:0%d h postfix/qmgr[3]: AAAAA0000%d: from=<s%d@example>, size=1, nrcpt=1 (queue active)\n",
                              i, i, i);
    /* message 0 was evicted: its delivery has no sender; message 4 is still known */
    n += (size_t)snprintf(buf + n, sizeof buf - n,
                          "Nov 25 10:00:09 h postfix/smtp[4]: AAAAA00000: to=<a@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to x[192.0.2.9]:25: Connection refused)\n"
                          "Nov 25 10:00:09 h postfix/smtp[4]: AAAAA00004: to=<b@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to x[192.0.2.9]:25: Connection refused)\n");
    struct st_run lr;
    st_log_buf(buf, n, 0, 2, &lr);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_EVICTED], 3);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_MESSAGES], 5);
    ck_assert_uint_eq(json_array_size(lr.recs), 2);
    ck_assert_str_eq(fs(&lr, 0, "sender"), "(absent)");
    ck_assert_str_eq(fs(&lr, 1, "sender"), "s4@example");
    st_run_free(&lr);
}
END_TEST

START_TEST(test_garbage_nul_utf8_long_line)
{
    static const char head[] =
        "Nov 25 10:00:00 h postfix/qmgr[3]: BBBBB11111: from=<s@example>, size=1, nrcpt=1 (queue active)\r\n"
        "\x01\x02\xff garbage \xc3\r\n"
        "Nov 25 10:00:01 h postfix/smtp[4]: BBBBB11111: to=<bad\xff\xfe@example.net>, relay=none, dsn=5.1.2, status=bounced (Host or domain name not found \xc3\x28 bad utf-8)\r\n"
        "Nov 25 10:00:02 h postfix/smtp[4]: BBBBB11111: to=<nul@example.net>, relay=none, dsn=5.0.0, status=bounced (text with a NUL \0 inside)\n";
    size_t big = 1u << 20;
    size_t n = sizeof head - 1;
    char *buf = malloc(n + big + 200);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, head, n);
    /* a 1 MB line (over the 64 KiB line limit): cut and counted, not fatal */
    memcpy(buf + n, "Nov 25 10:00:03 h postfix/smtp[4]: ", 35);
    memset(buf + n + 35, 'x', big);
    n += 35 + big;
    buf[n++] = '\n';
    static const char tail[] =
        "Nov 25 10:00:04 h postfix/smtp[4]: BBBBB11111: to=<last@example.net>, relay=none, dsn=2.0.0, status=sent (ok)";
    memcpy(buf + n, tail, sizeof tail - 1); /* no final newline: flushed by finish */
    n += sizeof tail - 1;
    struct st_run lr;
    st_log_buf(buf, n, 0, 0, &lr);
    ck_assert_uint_eq(json_array_size(lr.recs), 3);
    /* invalid UTF-8 becomes U+FFFD in the JSON, which stays valid */
    ck_assert_ptr_nonnull(strstr(fs(&lr, 0, "recipient"), "\xef\xbf\xbd"));
    ck_assert_str_eq(fs(&lr, 0, "sender"), "s@example");
    ck_assert_ptr_nonnull(strstr(fs(&lr, 1, "diagnostic"), "text with a NUL"));
    ck_assert_str_eq(fs(&lr, 2, "recipient"), "last@example.net");
    ck_assert_str_eq(fs(&lr, 2, "status"), "delivered");
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_LINES], 6);
    ck_assert_uint_ge(lr.stat[BOUNCE_STAT_SKIPPED], 1);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_TRUNCATED], 1);
    st_run_free(&lr);
    free(buf);
}
END_TEST

static const char expire_log[] =
    "Nov 25 10:00:00 h postfix/qmgr[3]: CCCCC22222: from=<s@example.org>, size=1, nrcpt=3 (queue active)\n"
    "Nov 25 10:00:01 h postfix/smtp[4]: CCCCC22222: to=<a@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.1]:25: Connection timed out)\n"
    "Nov 25 10:00:01 h postfix/smtp[4]: CCCCC22222: to=<b@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, dsn=4.2.0, status=deferred (host mx.example.net[192.0.2.1] said: 450 4.2.0 Greylisted (in reply to RCPT TO command))\n"
    "Nov 25 10:00:01 h postfix/smtp[4]: CCCCC22222: to=<c@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.1]:25: Connection timed out)\n"
    "Nov 25 11:00:01 h postfix/smtp[4]: CCCCC22222: to=<c@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n"
    "Nov 25 11:00:02 h postfix/smtp[4]: CCCCC22222: to=<b@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, dsn=4.2.0, status=deferred (host mx.example.net[192.0.2.1] said: 450 4.2.0 Still greylisted (in reply to RCPT TO command))\n"
    "Nov 30 10:00:00 h postfix/qmgr[3]: CCCCC22222: from=<s@example.org>, status=expired, returned to sender\n"
    "Nov 30 10:00:00 h postfix/qmgr[3]: CCCCC22222: removed\n";

/* status=expired names every recipient still deferred, with its last diagnostic */
START_TEST(test_expired_recipients)
{
    struct st_run lr;
    st_log_buf(expire_log, sizeof expire_log - 1, 0, 0, &lr);
    ck_assert_uint_eq(json_array_size(lr.recs), 7);
    ck_assert_int_eq(fi(&lr, 3, "reply_code"), 250);
    ck_assert_str_eq(fs(&lr, 5, "status"), "expired");
    ck_assert_str_eq(fs(&lr, 5, "recipient"), "a@example.net");
    ck_assert_str_eq(fs(&lr, 5, "sender"), "s@example.org");
    ck_assert_str_eq(fs(&lr, 5, "diagnostic"),
                     "connect to mx.example.net[192.0.2.1]:25: Connection timed out");
    ck_assert_str_eq(fs(&lr, 6, "status"), "expired");
    ck_assert_str_eq(fs(&lr, 6, "recipient"), "b@example.net");
    ck_assert_str_eq(fs(&lr, 6, "diagnostic"),
                     "host mx.example.net[192.0.2.1] said: 450 4.2.0 Still greylisted (in reply to RCPT TO command)");
    ck_assert_int_eq(fi(&lr, 6, "line"), 7);
    ck_assert_str_eq(fs(&lr, 6, "severity"), "permanent");
    st_run_free(&lr);
}
END_TEST

/* The log of a real Postfix 3.7 run of tests/mta/scenarios.tsv (tests/mta/fixtures.py). */
START_TEST(test_real_postfix_scenarios)
{
    struct st_run lr;
    st_log_fixture("log/real-postfix-scenarios.log", 0, &lr);
    ck_assert_int_eq(lr.format, BOUNCE_FORMAT_POSTFIX_LOG);
    ck_assert_uint_eq(json_array_size(lr.recs), 85);
    ck_assert_uint_eq(lr.stat[BOUNCE_STAT_SKIPPED], 0);

    st_expect_scenario(&lr, "alice@delivered.test", "delivered", 250, "2.0.0", "delivered.ok");
    st_expect_scenario(&lr, "jdoe@gmail-unknown.test", "bounced", 550, "5.1.1", "recipient.unknown_user");
    st_expect_scenario(&lr, "bob@blocklisted.test", "bounced", 554, "5.7.1", "reputation.dnsbl.spamhaus");
    st_expect_scenario(&lr, "dave@dmarc.test", "bounced", 550, "5.7.26", "auth.dmarc_fail");
    st_expect_scenario(&lr, "mia@virus.test", "bounced", 554, "5.6.0", "content.virus");
    st_expect_scenario(&lr, "big@sizeehlo.test", "bounced", -1, "5.3.4", "size.message_too_large");
    /* MX of loop.test is this host, which does not take the domain */
    st_expect_scenario(&lr, "sam@loop.test", "bounced", -1, "5.4.6", "recipient.domain_not_local");
    st_expect_scenario(&lr, "pat@ratelimit.test", "deferred", 450, "4.7.1", "rate.limit_exceeded");
    st_expect_scenario(&lr, "erin@refused.test", "deferred", -1, "4.4.1", "network.connection_refused");
    st_expect_scenario(&lr, "kim@servfail.test", "deferred", -1, "4.4.3", "dns.lookup_failed");
    st_expect_scenario(&lr, "rob@filter.test", "deferred", -1, "4.4.1", "local.content_filter_unreachable");

    /* forced expiry: status=expired names the deferred recipient with its last reason */
    long i = find_rec(&lr, "pat@ratelimit.test", "expired");
    ck_assert_int_ge(i, 0);
    ck_assert_str_eq(fs(&lr, (size_t)i, "cause"), "rate.limit_exceeded");
    ck_assert_str_eq(fs(&lr, (size_t)i, "severity"), "permanent");
    ck_assert_str_eq(fs(&lr, (size_t)i, "queue_id"), "4505CA7C541");

    /* every notification delivered to the sender names the message it reports on */
    size_t notes = 0;
    for (size_t k = 0; k < json_array_size(lr.recs); k++) {
        if (strcmp(fs(&lr, k, "recipient"), "sender@bounce.test") != 0)
            continue;
        notes++;
        ck_assert_str_eq(fs(&lr, k, "status"), "delivered");
        ck_assert_str_eq(fs(&lr, k, "sender"), "");
        ck_assert_str_ne(fs(&lr, k, "notification_for"), "(absent)");
        ck_assert_int_ge(find_qid(&lr, fs(&lr, k, "notification_for")), 0);
    }
    ck_assert_uint_eq(notes, 36);
    /* "C4CC4A7C51D: sender non-delivery notification: 10C7AA7C557" (jdoe@gmail-unknown) */
    i = find_qid(&lr, "10C7AA7C557");
    ck_assert_int_ge(i, 0);
    ck_assert_str_eq(fs(&lr, (size_t)i, "notification_for"), "C4CC4A7C51D");
    ck_assert_str_eq(fs(&lr, (size_t)find_qid(&lr, "C4CC4A7C51D"), "recipient"),
                     "jdoe@gmail-unknown.test");
    st_run_free(&lr);
}
END_TEST

Suite *bounce_test_postfix_suite(void)
{
    Suite *s = suite_create("postfix");
    TCase *tc = tcase_create("postfix");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_basic_records);
    tcase_add_loop_test(tc, test_chunking, 0, 6);
    tcase_add_test(tc, test_multi_instance_long_ids);
    tcase_add_test(tc, test_rfc5424_and_journal);
    tcase_add_test(tc, test_queue_id_reuse);
    tcase_add_test(tc, test_eviction);
    tcase_add_test(tc, test_expired_recipients);
    tcase_add_test(tc, test_garbage_nul_utf8_long_line);
    tcase_add_test(tc, test_real_postfix_scenarios);
    suite_add_tcase(s, tc);
    return s;
}

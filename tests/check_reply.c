/* Reply-code and enhanced-status-code extraction (lib/reply.c), table driven. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const struct reply_case {
    const char *text;
    int code;
    const char *esc;
} cases[] = {
    {"550 5.1.1 <a@example.com>: Recipient address rejected: User unknown", 550, "5.1.1"},
    {"550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
     "550-5.1.1 double-checking the recipient's email address for typos or\n"
     "550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser", 550, "5.1.1"},
    {"smtp; 550 5.7.1 Service unavailable; client host blocked", 550, "5.7.1"},
    {"smtp;550 5.7.1 no", 550, "5.7.1"},
    {"host mx.example.com[192.0.2.1] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)", 452, "4.2.2"},
    {"SMTP error from remote mail server after RCPT TO:<a@example.com>: 550 5.1.1 No such user", 550, "5.1.1"},
    {"Remote server returned '554 5.4.14 Hop count exceeded - possible mail loop ATTR34'", 554, "5.4.14"},
    {"Remote host said: 554 Message rejected (#5.7.1)", 554, "5.7.1"},
    {"Sorry, no mailbox here by that name. (#5.1.1)", 0, "5.1.1"},
    {"#5.1.1", 0, "5.1.1"},
    {"5.1.1", 0, "5.1.1"},
    {"550 5.1.10 Recipient address has null MX", 550, "5.1.10"},
    {"550 5.7.26 Unauthenticated email from example.com is not accepted", 550, "5.7.26"},
    {"550 5.7.515 Access denied, sending domain does not meet the required authentication level", 550, "5.7.515"},
    {"421-4.7.0 [192.0.2.1] Our system has detected an unusual rate of\n"
     "421-4.7.0 unsolicited mail originating from your IP address.", 421, "4.7.0"},
    {"Status: 5.0.0 (permanent failure) reason: 550 5.1.1 user unknown", 550, "5.1.1"},
    {"  550 5.2.2 mailbox full", 550, "5.2.2"},
    {"said: 550 Mailbox unavailable", 550, ""},
    {"250 2.0.0 Ok: queued as 4Bc1", 250, "2.0.0"},
    /* a session transcript: the failure after the positive replies is the answer */
    {" Out: 250 2.1.0 Ok\n In:  RCPT TO:<a@example.com>\n Out: 250 2.1.5 Ok\n In:  DATA\n"
     " Out: 354 End data with <CR><LF>.<CR><LF>\n Out: 451 4.3.0 Error: queue file write error\n"
     " In:  QUIT\n Out: 221 2.0.0 Bye", 451, "4.3.0"},
    {"250 2.1.5 Ok\n550 5.7.1 Rejected after DATA\n250 2.0.0 Ok", 550, "5.7.1"},
    {"While talking to mx.example.org:\n>>> MAIL From:<a@example.com>\n<<< 553 Relaying denied\n"
     "554 <b@example.org>... Remote protocol error", 553, ""},
    /* not codes: IP addresses, versions, ports, other numbers */
    {"delivery to 10.5.1.1 failed", 0, ""},
    {"connect to 192.0.2.1[192.0.2.1]:25: Connection refused", 0, ""},
    {"lost connection with 1.2.3.4 while sending", 0, ""},
    {"version 5.1.1.4 is old", 0, ""},
    {"code 5.1.1a is no code", 0, ""},
    {"Dovecot 2.3.19 quota exceeded", 0, ""},
    {"Exim 4.96 retry timeout exceeded", 0, ""},
    {"after 450 seconds", 0, ""},
    {"port 5500 closed", 0, ""},
    {"5.1234.1 too long", 0, ""},
    {"5.1.1234 too long", 0, ""},
    {"", 0, ""},
    {"6.1.1 no such class", 0, ""},
    {"650 no such reply class", 0, ""},
    {"570 no such second digit", 0, ""},
    /* the scan skips blocks of bytes: codes after digits, at block edges, after letters */
    {"host 203.0.113.254[203.0.113.254] said: 452 4.2.2 over quota", 452, "4.2.2"},
    {"relay 192.168.250.25 port 25255 said: 554 5.7.1 no", 554, "5.7.1"},
    {"abcdefghijklmno5.1.1 x", 0, ""},
    {"abcdefghijklmn 5.1.1", 0, "5.1.1"},
    {"0123456789abcd; 550", 550, ""},
    {"0123456789abcde 550 x", 0, ""},
    {"said:\t\t 421 busy", 421, ""},
    /* "NNN: reply" at a line start; a reply after a rule; after the word "code" */
    {"501: 5.1.8 Sender address rejected", 501, "5.1.8"},
    {"Sorry:\n550: : User unknown", 550, ""},
    {"at 10:30 550: x", 0, ""},
    {"----- Transcript of session follows ----- 550 sorry, no mailbox here by that name", 550, ""},
    {"x --- 550 y", 550, ""},
    {"a-550 b", 0, ""},
    {"[Status: Error, ResponseCode 421, , Host not reachable.]", 421, ""},
    {"error code 550 mailbox unavailable", 550, ""},
    {"decode550 x", 0, ""},
    {"<b@example.com>: [192.0.2.5], 550 No such user", 550, ""},
    {"1,550 x", 0, ""},
    {"a, 550 b 450 4.2.2 c", 450, "4.2.2"},
    {"x=250 y=451 z=550 2.0.0", 250, "2.0.0"},
    /* at most eight enhanced-code candidates: the ninth is not seen */
    {"550 4.1.1 4.1.2 4.1.3 4.1.4 4.1.5 4.1.6 4.1.7 4.1.8 5.1.1", 550, "4.1.1"},
    {"a 5.0.0 5.0.0 5.0.0 5.0.0 5.0.0 5.0.0 5.0.0 5.0.0 b: 550 5.1.1", 550, "5.0.0"},
    {"250 2.1.0 a 2.1.1 b 2.1.2 c 2.1.3 d 2.1.4 e 2.1.5 f 2.1.6 g 2.1.7\n550 5.7.1 denied", 550,
     "5.7.1"},
};

START_TEST(test_extract)
{
    const struct reply_case *c = &cases[_i];
    int code = -1;
    char esc[BOUNCE__ESC_MAX];
    memset(esc, 'x', sizeof esc);
    ck_assert_int_eq(bounce_reply_extract(c->text, strlen(c->text), &code, esc), BOUNCE_OK);
    ck_assert_msg(code == c->code, "'%s': code %d, want %d", c->text, code, c->code);
    ck_assert_msg(strcmp(esc, c->esc) == 0, "'%s': esc '%s', want '%s'", c->text, esc, c->esc);
}
END_TEST

/* Never reads past len: the same cases cut short, in a buffer without a NUL. */
START_TEST(test_bounds)
{
    const struct reply_case *c = &cases[_i];
    size_t n = strlen(c->text), k;
    for (k = 0; k <= n; k++) {
        char *copy = malloc(k ? k : 1);
        int code;
        char esc[BOUNCE__ESC_MAX];
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, c->text, k);
        bounce__reply_extract(copy, k, &code, esc);
        ck_assert(code == 0 || (code >= 200 && code <= 559));
        ck_assert(strlen(esc) < BOUNCE__ESC_MAX);
        free(copy);
    }
}
END_TEST

START_TEST(test_cut)
{
    int code;
    char esc[BOUNCE__ESC_MAX];
    /* "550 5.1.1" cut after "550 5.1" is a bare code, no enhanced code */
    bounce__reply_extract("550 5.1.1", 7, &code, esc);
    ck_assert_int_eq(code, 550);
    ck_assert_str_eq(esc, "");
    ck_assert_int_eq(bounce_reply_extract(NULL, 0, &code, esc), BOUNCE_OK);
    ck_assert_int_eq(code, 0);
    ck_assert_int_eq(bounce_reply_extract(NULL, 3, &code, esc), BOUNCE_E_INVAL);
    ck_assert_int_eq(bounce_reply_extract("550", 3, NULL, esc), BOUNCE_E_INVAL);
    ck_assert_int_eq(bounce_reply_extract("550", 3, &code, NULL), BOUNCE_E_INVAL);
}
END_TEST

Suite *bounce_test_reply_suite(void)
{
    Suite *s = suite_create("reply");
    TCase *tc = tcase_create("extract");
    int n = (int)(sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(tc, test_extract, 0, n);
    tcase_add_loop_test(tc, test_bounds, 0, n);
    tcase_add_test(tc, test_cut);
    suite_add_tcase(s, tc);
    return s;
}

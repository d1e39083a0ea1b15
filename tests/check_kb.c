/* Knowledge base and classifier: the whole built-in KB walked entry by entry, loader errors
 * with file/line/column, override and atomicity semantics, precedence, robustness. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kb.h"

/* The cause ids the code and the data rely on (the binding list). */
static const char *const required_causes[] = {
    "recipient.unknown_user", "recipient.domain_not_found", "recipient.null_mx",
    "recipient.mailbox_disabled", "recipient.mailbox_moved", "recipient.domain_not_local",
    "recipient.not_accepting", "recipient.on_hold", "recipient.suppressed",
    "quota.mailbox_full", "quota.stale_dovecot_quota", "quota.remote_storage_full",
    "content.spam_detected", "content.spamassassin_score", "content.amavis_rejected",
    "content.filtered", "content.virus", "content.not_rfc_compliant", "content.error",
    "rate.limit_exceeded", "rate.outbound_limit_local", "rate.too_many_connections",
    "greylisting", "reputation.dnsbl.spamhaus", "reputation.dnsbl.spamhaus_pbl",
    "reputation.dnsbl.spamcop", "reputation.dnsbl.barracuda", "reputation.dnsbl.uceprotect",
    "reputation.dnsbl.microsoft", "reputation.dnsbl.other", "reputation.poor",
    "reputation.blocked_by_receiver", "dns.missing_ptr", "dns.fcrdns_mismatch",
    "dns.lookup_failed", "auth.spf_fail", "auth.dkim_fail", "auth.dmarc_fail",
    "auth.sender_requirements", "auth.smtp_auth_failed", "relay.denied_no_auth",
    "size.message_too_large", "network.connection_refused", "network.connection_timeout",
    "network.port25_blocked", "network.lost_connection", "network.no_route",
    "local.content_filter_unreachable", "local.config_error", "local.delivery_failed",
    "local.disk_full", "routing.mail_loop", "routing.no_route", "tls.required",
    "tls.starttls_failed", "queue.expired", "sender.rejected", "sender.domain_not_found",
    "sender.blocked", "syntax.address", "syntax.protocol", "policy.violation",
    "policy.not_accepted", "system.remote_error", "autoreply.vacation", "feedback.complaint",
    "delivered.ok"};

static bounce_kb_t *load_fixture(const bounce_kb_t *base, const char *rel)
{
    bounce_kb_t *kb = NULL;
    bounce_diag_t *d = NULL;
    char *path = bounce_test_fixture_path(rel);
    bounce_status_t st = bounce_kb_load_file(base, path, &kb, &d);
    ck_assert_msg(st == BOUNCE_OK, "%s: %s:%zu:%zu: %s", rel, bounce_diag_file(d),
                  bounce_diag_line(d), bounce_diag_column(d), bounce_diag_message(d));
    free(path);
    return kb;
}

static int stage_of(const char *constraints)
{
    const char *p = strstr(constraints, "stage=");
    char name[16];
    size_t n = 0;
    if (!p)
        return 0;
    for (p += 6; *p && *p != ',' && n + 1 < sizeof name; p++)
        name[n++] = *p;
    name[n] = '\0';
    return bounce_enum_from_name(BOUNCE_ENUM_STAGE, name);
}

/* ---- the built-in KB ---- */

START_TEST(test_builtin_meta)
{
    const bounce_kb_t *kb = bounce_kb_builtin();
    const char *sum;
    size_t i;
    ck_assert_ptr_nonnull(kb);
    ck_assert_ptr_eq(kb, bounce_kb_builtin());
    bounce_kb_free(kb); /* ignored */
    bounce_kb_free(NULL);
    ck_assert_int_eq(bounce_kb_format_version(), 1);
    sum = bounce_kb_checksum(kb);
    ck_assert_uint_eq(strlen(sum), 64);
    for (i = 0; i < 64; i++)
        ck_assert(strchr("0123456789abcdef", sum[i]) != NULL);
    ck_assert_uint_gt(bounce_kb_signature_count(kb), 0);
    ck_assert_uint_gt(bounce_kb_cause_count(kb), 0);
    ck_assert_uint_ge(bounce_kb_esc_count(kb), 83);
    ck_assert_ptr_null(bounce_kb_signature_field(kb, bounce_kb_signature_count(kb), "id"));
    ck_assert_ptr_null(bounce_kb_signature_field(kb, 0, "nosuchfield"));
    ck_assert_ptr_null(bounce_kb_cause_id(kb, bounce_kb_cause_count(kb)));
    /* the built-in patterns' distinct bytes fit a 64-wide DFA row: 65 byte classes double
     * the row and the table (bench_classify: 2.0M -> 1.8M lines per CPU second, with 18
     * bytes of one Japanese pattern); see doc/kb-format.md, "Byte classes" */
    ck_assert_msg(kb->nclasses <= 64, "built-in KB: %u byte classes (at most 64)", kb->nclasses);
}
END_TEST

/* libpsl's "walk the whole list": every signature's example classifies to its own cause. */
START_TEST(test_builtin_examples)
{
    const bounce_kb_t *kb = bounce_kb_builtin();
    size_t i, n = bounce_kb_signature_count(kb), bad = 0;
    for (i = 0; i < n; i++) {
        const char *id = bounce_kb_signature_field(kb, i, "id");
        const char *cause = bounce_kb_signature_field(kb, i, "cause");
        const char *ex = bounce_kb_signature_field(kb, i, "example");
        const char *cons = bounce_kb_signature_field(kb, i, "constraints");
        struct bounce_result r;
        ck_assert_ptr_nonnull(id);
        ck_assert_ptr_nonnull(cause);
        ck_assert_ptr_nonnull(ex);
        ck_assert_ptr_nonnull(cons);
        ck_assert_ptr_nonnull(bounce_kb_signature_field(kb, i, "pattern"));
        ck_assert_ptr_nonnull(bounce_kb_signature_field(kb, i, "url"));
        bounce__classify(kb, ex, strlen(ex), 0, NULL, stage_of(cons), &r);
        if (strcmp(bounce_result_cause(&r), cause) != 0) {
            fprintf(stderr, "example of %s gives %s (%s), want %s: %s\n", id,
                    bounce_result_cause(&r), bounce_result_evidence(&r), cause, ex);
            bad++;
        }
    }
    ck_assert_msg(bad == 0, "%zu of %zu signature examples classify to another cause", bad, n);
}
END_TEST

/* The same examples inside whitespace (read like the virtual spaces around a text), at
 * offsets and lengths that put them across the segments of the 2- and 4-stream walks:
 * the same signature must decide, with the span moved by the offset. */
START_TEST(test_builtin_examples_embedded)
{
    const bounce_kb_t *kb = bounce_kb_builtin();
    static const size_t lens[] = {40, 100, 130, 300, 1000};
    static const size_t offs[] = {0, 1, 17, 31, 63, 64, 127, 130, 200, 255, 500};
    size_t i, a, b, n = bounce_kb_signature_count(kb), bad = 0;
    char buf[1000];
    for (i = 0; i < n; i++) {
        const char *ex = bounce_kb_signature_field(kb, i, "example");
        const char *cons = bounce_kb_signature_field(kb, i, "constraints");
        size_t el = strlen(ex);
        struct bounce_result r0, r;
        bounce__classify(kb, ex, el, 0, NULL, stage_of(cons), &r0);
        for (a = 0; a < BOUNCE__ARRAY_LEN(lens); a++) {
            for (b = 0; b < BOUNCE__ARRAY_LEN(offs); b++) {
                size_t len = lens[a], off = offs[b], k;
                if (off + el > len)
                    continue;
                for (k = 0; k < len; k++)
                    buf[k] = " \t\n \r"[k % 5];
                memcpy(buf + off, ex, el);
                bounce__classify(kb, buf, len, 0, NULL, stage_of(cons), &r);
                if (r.sig != r0.sig || r.cause != r0.cause || r.has_span != r0.has_span ||
                    (r.has_span && (r.span_off != r0.span_off + off || r.span_len != r0.span_len))) {
                    if (bad++ < 10)
                        fprintf(stderr, "%s at %zu in %zu bytes: %s, alone %s\n",
                                bounce_kb_signature_field(kb, i, "id"), off, len,
                                bounce_result_evidence(&r), bounce_result_evidence(&r0));
                }
            }
        }
    }
    ck_assert_msg(bad == 0, "%zu embedded examples classify differently", bad);
}
END_TEST

START_TEST(test_builtin_causes)
{
    const bounce_kb_t *kb = bounce_kb_builtin();
    size_t i, missing = 0;
    for (i = 0; i < BOUNCE__ARRAY_LEN(required_causes); i++) {
        if (bounce__kb_find_cause(kb, required_causes[i]) < 0) {
            fprintf(stderr, "built-in KB lacks cause %s\n", required_causes[i]);
            missing++;
        }
    }
    ck_assert_msg(missing == 0, "%zu required causes missing", missing);
    /* every signature's cause is a cause of the KB, and every cause id is found again */
    for (i = 0; i < bounce_kb_signature_count(kb); i++)
        ck_assert_int_ge(bounce__kb_find_cause(kb, bounce_kb_signature_field(kb, i, "cause")), 0);
    for (i = 0; i < bounce_kb_cause_count(kb); i++) {
        const char *id = bounce_kb_cause_id(kb, i);
        ck_assert_int_eq(bounce__kb_find_cause(kb, id), (int)i);
        ck_assert_ptr_nonnull(bounce__kb_cause_explanation(kb, (int32_t)i));
    }
}
END_TEST

/* Every row of the IANA registry is in the KB with the registry's title. */
START_TEST(test_builtin_iana)
{
    const bounce_kb_t *kb = bounce_kb_builtin();
    size_t len, rows = 0, bad = 0;
    char *buf = bounce_test_read_fixture("reference/enhanced-status-codes.tsv", &len);
    char *line, *save = NULL;
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tab1, *tab2;
        const char *title;
        if (line[0] == '#' || strncmp(line, "code\t", 5) == 0)
            continue;
        if (!(tab1 = strchr(line, '\t')) || !(tab2 = strchr(tab1 + 1, '\t')))
            continue;
        *tab1 = *tab2 = '\0';
        rows++;
        title = bounce_kb_esc_title(kb, line);
        if (!title || strcmp(title, tab1 + 1) != 0) {
            fprintf(stderr, "esc %s: KB title '%s', registry '%s'\n", line,
                    title ? title : "(missing)", tab1 + 1);
            bad++;
        }
        /* an explicit class finds the class-independent row */
        line[0] = '5';
        ck_assert_ptr_nonnull(bounce_kb_esc_title(kb, line));
    }
    free(buf);
    ck_assert_uint_ge(rows, 80);
    ck_assert_msg(bad == 0, "%zu of %zu IANA rows missing or with another title", bad, rows);
    ck_assert_ptr_null(bounce_kb_esc_title(kb, "5.99.99"));
    ck_assert_ptr_null(bounce_kb_esc_title(kb, "junk"));
    ck_assert_ptr_nonnull(bounce_kb_esc_description(kb, "X.1.1"));
}
END_TEST

/* ---- the loader ---- */

static const struct bad_case {
    const char *file;
    size_t line, column;
    const char *message;
} bad_cases[] = {
    {"bad-code.tsv", 3, 6, "bad reply code"},
    {"bad-constraint.tsv", 3, 38, "code constraint"},
    {"bad-empty-field.tsv", 3, 10, "empty field"},
    {"bad-esc.tsv", 3, 5, "bad enhanced status code"},
    {"bad-escape.tsv", 3, 44, "bad escape"},
    {"bad-example.tsv", 3, 53, "needs an example"},
    {"bad-fields.tsv", 2, 1, "expected 7 fields"},
    {"bad-id.tsv", 2, 7, "bad cause id"},
    {"bad-mta.tsv", 3, 31, "unknown MTA"},
    {"bad-nul.tsv", 2, 70, "NUL byte"},
    {"bad-pattern.tsv", 3, 46, "at least 3 bytes"},
    {"bad-priority.tsv", 3, 35, "bad priority"},
    {"bad-reason.tsv", 2, 30, "unknown reason"},
    {"bad-ref.tsv", 4, 11, "unknown cause"},
    {"bad-remedy.tsv", 3, 8, "remedy for unknown cause"},
    {"bad-severity.tsv", 2, 42, "unknown severity"},
    {"bad-stage.tsv", 3, 48, "unknown stage"},
    {"bad-type.tsv", 3, 1, "unknown entry type"},
};

START_TEST(test_loader_errors)
{
    const struct bad_case *c = &bad_cases[_i];
    char rel[128];
    char *path;
    bounce_kb_t *kb = (bounce_kb_t *)(uintptr_t)0x1; /* must stay untouched */
    bounce_diag_t *d = NULL;
    bounce_status_t st;
    snprintf(rel, sizeof rel, "kb/%s", c->file);
    path = bounce_test_fixture_path(rel);
    st = bounce_kb_load_file(bounce_kb_builtin(), path, &kb, &d);
    ck_assert_int_eq(st, BOUNCE_E_SYNTAX);
    ck_assert_ptr_eq(kb, (bounce_kb_t *)(uintptr_t)0x1);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(bounce_diag_file(d), path);
    ck_assert_uint_eq(bounce_diag_line(d), c->line);
    ck_assert_uint_eq(bounce_diag_column(d), c->column);
    ck_assert_msg(strstr(bounce_diag_message(d), c->message) != NULL, "%s: message '%s'",
                  c->file, bounce_diag_message(d));
    bounce_diag_free(d);
    /* the same through the buffer API, with a NULL diag */
    {
        size_t len;
        char *buf = bounce_test_read_fixture(rel, &len);
        ck_assert_int_eq(bounce_kb_load_buffer(NULL, buf, len, c->file, &kb, NULL),
                         BOUNCE_E_SYNTAX);
        ck_assert_ptr_eq(kb, (bounce_kb_t *)(uintptr_t)0x1);
        free(buf);
    }
    free(path);
}
END_TEST

START_TEST(test_loader_misc)
{
    bounce_kb_t *kb = NULL;
    bounce_diag_t *d = NULL;
    const char *comments = "# only a comment\n\n   \n\t# indented comment\r\n";
    ck_assert_int_eq(bounce_kb_load_buffer(NULL, comments, strlen(comments), "c", &kb, &d),
                     BOUNCE_OK);
    ck_assert_ptr_null(d);
    ck_assert_uint_eq(bounce_kb_signature_count(kb), 0);
    ck_assert_str_eq(bounce_kb_checksum(kb), "");
    bounce_kb_free(kb);
    /* empty buffer, NULL buffer with len 0 */
    ck_assert_int_eq(bounce_kb_load_buffer(NULL, NULL, 0, NULL, &kb, NULL), BOUNCE_OK);
    bounce_kb_free(kb);
    ck_assert_int_eq(bounce_kb_load_buffer(NULL, NULL, 5, NULL, &kb, NULL), BOUNCE_E_INVAL);
    ck_assert_int_eq(bounce_kb_load_buffer(NULL, "", 0, NULL, NULL, NULL), BOUNCE_E_INVAL);
    ck_assert_int_eq(bounce_kb_load_file(NULL, NULL, &kb, NULL), BOUNCE_E_INVAL);
    ck_assert_int_eq(bounce_kb_load_file(NULL, "/nonexistent/kb.tsv", &kb, &d), BOUNCE_E_IO);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(bounce_diag_file(d), "/nonexistent/kb.tsv");
    bounce_diag_free(d);
    /* CRLF line endings, BOM and no final newline are fine; the buffer needs no NUL */
    {
        const char text[] = "\xEF\xBB\xBF"
                            "cause\ta.b\tblocked\tpermanent\tremote_admin\tnone\tx\r\n"
                            "sig\ts.one\ta.b\t50\t-\tfoo bar baz\tfoo bar baz\t-XXXX";
        ck_assert_int_eq(bounce_kb_load_buffer(NULL, text, sizeof text - 1 - 4, "t", &kb, &d),
                         BOUNCE_OK);
        ck_assert_uint_eq(bounce_kb_signature_count(kb), 1);
        ck_assert_str_eq(bounce_kb_signature_field(kb, 0, "url"), "");
        ck_assert_str_eq(bounce_kb_signature_field(kb, 0, "constraints"), "");
        bounce_kb_free(kb);
    }
}
END_TEST

/* Entries of a loaded file override the base by id; remedies of a cause are replaced. */
START_TEST(test_override)
{
    bounce_kb_t *base = load_fixture(NULL, "kb/small.tsv");
    bounce_kb_t *kb = load_fixture(base, "kb/override.tsv");
    struct bounce_result r;
    int32_t quota = bounce__kb_find_cause(kb, "quota.mailbox_full");
    int32_t user = bounce__kb_find_cause(kb, "recipient.unknown_user");
    const char *full = "452 4.2.2 Mailbox is full";

    ck_assert_uint_eq(bounce_kb_cause_count(kb), bounce_kb_cause_count(base));
    ck_assert_uint_eq(bounce_kb_signature_count(kb), bounce_kb_signature_count(base) + 1);
    ck_assert_str_eq(bounce__kb_cause_explanation(kb, user), "Overridden explanation.");
    /* base: 1 any + 1 postfix + 1 plesk remedy; override: only the new one */
    ck_assert_uint_eq(bounce__kb_remedy_count(base, quota, BOUNCE_MTA_POSTFIX), 2);
    ck_assert_str_eq(bounce__kb_remedy(base, quota, BOUNCE_MTA_POSTFIX, 1), "postqueue -f");
    ck_assert_str_eq(bounce__kb_remedy(base, quota, BOUNCE_MTA_PLESK, 1),
                     "plesk bin mail --update USER -mbox_quota 2G");
    ck_assert_uint_eq(bounce__kb_remedy_count(kb, quota, BOUNCE_MTA_POSTFIX), 1);
    ck_assert_uint_eq(bounce__kb_remedy_count(kb, quota, BOUNCE_MTA_ANY), 1);
    ck_assert_str_eq(bounce__kb_remedy(kb, quota, BOUNCE_MTA_ANY, 0),
                     "Run doveadm quota recalc -u USER.");
    ck_assert_ptr_null(bounce__kb_remedy(kb, quota, BOUNCE_MTA_ANY, 1));
    /* a cause without new remedies keeps the base's */
    ck_assert_uint_eq(bounce__kb_remedy_count(kb, user, BOUNCE_MTA_EXIM), 1);
    /* the signature with the same id now proves another cause */
    bounce__classify(base, full, strlen(full), 0, NULL, 0, &r);
    ck_assert_str_eq(bounce_result_cause(&r), "quota.mailbox_full");
    bounce__classify(kb, full, strlen(full), 0, NULL, 0, &r);
    ck_assert_str_eq(bounce_result_cause(&r), "recipient.unknown_user");
    ck_assert_str_eq(bounce_result_evidence(&r), "sig:generic.mailbox-full");
    /* the added signature */
    bounce__classify(kb, "552 5.2.2 User is over quota", 28, 0, NULL, 0, &r);
    ck_assert_str_eq(bounce_result_evidence(&r), "sig:extra.over-quota");
    /* the code override */
    bounce__classify(kb, "421 try later", 13, 0, NULL, 0, &r);
    ck_assert_str_eq(bounce_result_cause(&r), "network.connection_timeout");
    bounce__classify(base, "421 try later", 13, 0, NULL, 0, &r);
    ck_assert_str_eq(bounce_result_cause(&r), "unknown");
    bounce_kb_free(kb);
    bounce_kb_free(base);
}
END_TEST

/* A directory: every *.tsv below it in sorted path order, other files ignored. */
START_TEST(test_load_directory)
{
    bounce_kb_t *kb = load_fixture(NULL, "kb/dir");
    struct bounce_result r;
    bounce__classify(kb, "550 user unknown", 16, 0, NULL, 0, &r);
    ck_assert_str_eq(bounce_result_cause(&r), "quota.mailbox_full"); /* sub/b.tsv won */
    ck_assert_uint_eq(bounce_kb_signature_count(kb), 5);
    bounce_kb_free(kb);
}
END_TEST

/* On error nothing changes: the base still works and *out is untouched. */
START_TEST(test_atomic)
{
    bounce_kb_t *base = load_fixture(NULL, "kb/small.tsv");
    bounce_kb_t *kb = NULL;
    struct bounce_result r1, r2;
    const char *text = "cause\trecipient.unknown_user\tuserunknown\tpermanent\tsender\tsuppress\tNew.\n"
                       "sig\tgeneric.user-unknown\tquota.mailbox_full\t90\t-\tuser unknown\tuser unknown\t-\n"
                       "sig\tbroken\tno.such.cause\t50\t-\tabc def\tabc def\t-\n";
    const char *line = "550 5.1.1 User unknown";
    bounce__classify(base, line, strlen(line), 0, NULL, 0, &r1);
    ck_assert_int_eq(bounce_kb_load_buffer(base, text, strlen(text), "x", &kb, NULL),
                     BOUNCE_E_SYNTAX);
    ck_assert_ptr_null(kb);
    bounce__classify(base, line, strlen(line), 0, NULL, 0, &r2);
    ck_assert_int_eq(r1.cause, r2.cause);
    ck_assert_int_eq(r1.sig, r2.sig);
    ck_assert_str_eq(bounce__kb_cause_explanation(base, r2.cause),
                     "The mailbox does not exist at the receiving domain.");
    bounce_kb_free(base);
}
END_TEST

/* Allocation failure at every point of a load: NOMEM or OK, never a crash or a leak. */
START_TEST(test_load_alloc_failure)
{
    size_t len;
    char *buf = bounce_test_read_fixture("kb/override.tsv", &len);
    bounce_kb_t *base = load_fixture(NULL, "kb/small.tsv");
    long n;
    int ok = 0;
    for (n = 0; n < 2000 && !ok; n++) {
        bounce_kb_t *kb = NULL;
        bounce_status_t st;
        bounce__test_fail_alloc_after(n);
        st = bounce_kb_load_buffer(base, buf, len, "override", &kb, NULL);
        bounce__test_fail_alloc_after(-1);
        ck_assert_msg(st == BOUNCE_OK || st == BOUNCE_E_NOMEM, "n=%ld: %d", n, st);
        if (st == BOUNCE_OK) {
            ok = 1;
            bounce_kb_free(kb);
        } else {
            ck_assert_ptr_null(kb);
        }
    }
    ck_assert(ok);
    bounce_kb_free(base);
    free(buf);
}
END_TEST

/* ---- classification ---- */

/* Precedence: strong signature > enhanced code > weak signature > reply code > nothing. */
START_TEST(test_precedence)
{
    const char *kbtext =
        "cause\ta.sig\tblocked\tpermanent\tremote_admin\tnone\tfrom a signature\n"
        "cause\ta.weak\tfiltered\tpermanent\tremote_admin\tnone\tfrom a weak signature\n"
        "cause\ta.esc\tuserunknown\tpermanent\tsender\tsuppress\tfrom the enhanced code\n"
        "cause\ta.esc26\tauthfailure\tpermanent\tlocal_admin\tfix_dns\tfrom 5.7.26\n"
        "cause\ta.code\tsystemerror\ttransient\tremote_admin\tretry\tfrom the reply code\n"
        "esc\tX.1.1\tBad destination mailbox address\t-\ta.esc\ta.esc\n"
        "esc\tX.7.26\tMultiple authentication checks failed\t-\ta.esc\t-\n"
        "esc\t5.7.26\tMultiple authentication checks failed\t-\ta.esc26\t-\n"
        "code\t550\ta.code\tmailbox unavailable\n"
        "code\t451\ta.code\tlocal error\n"
        "sig\tstrong\ta.sig\t60\t-\tstrong words\tstrong words\t-\n"
        "sig\tweak\ta.weak\t20\t-\tweak words\tweak words\t-\n"
        "sig\tconstrained\ta.sig\t90\tcode=4xx,esc=4.7.*,stage=rcpt\tgreylisted\t450 4.7.1 greylisted\t-\n";
    bounce_kb_t *kb = NULL;
    struct bounce_result r;
    ck_assert_int_eq(bounce_kb_load_buffer(NULL, kbtext, strlen(kbtext), "p", &kb, NULL),
                     BOUNCE_OK);
#define CLS(text, code, esc, stage)                                                          \
    bounce__classify(kb, text, strlen(text), code, esc, stage, &r)
    CLS("550 5.1.1 strong words", 0, NULL, 0);
    ck_assert_str_eq(bounce_result_cause(&r), "a.sig");
    ck_assert_int_eq(r.has_span, 1);
    ck_assert_uint_eq(r.span_off, 10);
    ck_assert_uint_eq(r.span_len, 12);
    CLS("550 5.1.1 weak words", 0, NULL, 0);
    ck_assert_str_eq(bounce_result_cause(&r), "a.esc");
    ck_assert_str_eq(bounce_result_evidence(&r), "esc:5.1.1");
    ck_assert_int_eq(r.hard_bounce, 1);
    CLS("550 weak words", 0, NULL, 0);
    ck_assert_str_eq(bounce_result_cause(&r), "a.weak");
    CLS("550 nothing known", 0, NULL, 0);
    ck_assert_str_eq(bounce_result_cause(&r), "a.code");
    ck_assert_str_eq(bounce_result_evidence(&r), "code:550");
    /* the reply class decides the severity of a cause usually transient */
    ck_assert_int_eq(r.severity, BOUNCE_SEVERITY_PERMANENT);
    CLS("nothing known", 451, NULL, 0);
    ck_assert_str_eq(bounce_result_cause(&r), "a.code");
    ck_assert_int_eq(r.severity, BOUNCE_SEVERITY_TRANSIENT);
    CLS("nothing known at all", 0, NULL, 0);
    ck_assert_str_eq(bounce_result_cause(&r), "unknown");
    ck_assert_int_eq(r.reason, BOUNCE_REASON_UNDEFINED);
    ck_assert_int_eq(r.severity, BOUNCE_SEVERITY_NONE);
    ck_assert_str_eq(bounce_result_evidence(&r), "none");
    CLS("554 nothing known", 0, NULL, 0);
    ck_assert_int_eq(r.severity, BOUNCE_SEVERITY_PERMANENT);
    /* explicit class beats the X row */
    CLS("550 5.7.26 unauthenticated", 0, NULL, 0);
    ck_assert_str_eq(bounce_result_cause(&r), "a.esc26");
    /* an unregistered detail falls back to nothing registered here: the reply code */
    CLS("550 5.1.99 odd", 0, NULL, 0);
    ck_assert_str_eq(bounce_result_cause(&r), "a.code");
    /* a given generic enhanced code yields to a more specific one in the text */
    CLS("said: 550 5.1.1 no such user", 0, "5.0.0", 0);
    ck_assert_str_eq(bounce_result_enhanced(&r), "5.1.1");
    ck_assert_str_eq(bounce_result_cause(&r), "a.esc");
    /* constraints: all must hold, and unknown values do not satisfy them */
    CLS("450 4.7.1 greylisted", 0, NULL, BOUNCE_STAGE_RCPT);
    ck_assert_str_eq(bounce_result_evidence(&r), "sig:constrained");
    CLS("450 4.7.1 greylisted", 0, NULL, 0);
    ck_assert_str_ne(bounce_result_evidence(&r), "sig:constrained");
    CLS("550 5.7.1 greylisted", 0, NULL, BOUNCE_STAGE_RCPT);
    ck_assert_str_ne(bounce_result_evidence(&r), "sig:constrained");
    CLS("greylisted", 450, "4.7.1", BOUNCE_STAGE_RCPT);
    ck_assert_str_eq(bounce_result_evidence(&r), "sig:constrained");
    CLS("greylisted", 450, "4.2.1", BOUNCE_STAGE_RCPT);
    ck_assert_str_ne(bounce_result_evidence(&r), "sig:constrained");
#undef CLS
    bounce_kb_free(kb);
}
END_TEST

/* Fragment semantics: order, no overlap, case and whitespace folding, virtual spaces. */
START_TEST(test_matching)
{
    const char *kbtext =
        "cause\tc.one\tblocked\tpermanent\tremote_admin\tnone\tx\n"
        "cause\tc.two\tfiltered\tpermanent\tremote_admin\tnone\tx\n"
        "sig\tordered\tc.one\t50\t-\tmailbox*full\tmailbox is full\t-\n"
        "sig\tword\tc.two\t40\t-\t full \tdisk full\t-\n"
        "sig\trepeat\tc.one\t60\t-\taaa*aaa\taaa aaa\t-\n"
        "sig\tstar\tc.two\t70\t-\tcost \\* 2\tcost * 2\t-\n"
        "sig\tadjacent\tc.one\t45\t-\t user * unknown \tuser unknown\t-\n";
    bounce_kb_t *kb = NULL;
    struct bounce_result r;
    ck_assert_int_eq(bounce_kb_load_buffer(NULL, kbtext, strlen(kbtext), "m", &kb, NULL),
                     BOUNCE_OK);
#define EV(text) (bounce__classify(kb, text, strlen(text), 0, NULL, 0, &r), bounce_result_evidence(&r))
    ck_assert_str_eq(EV("MAILBOX\t\t is\r\n FULL"), "sig:ordered");
    ck_assert_str_eq(EV("full mailbox"), "sig:word");          /* order matters */
    ck_assert_str_eq(EV("mailboxfull"), "sig:ordered");        /* no spaces needed */
    ck_assert_str_eq(EV("mailbox"), "none");
    ck_assert_str_eq(EV("the disk is full"), "sig:word");      /* virtual trailing space */
    ck_assert_str_eq(EV("full"), "sig:word");                  /* both virtual spaces */
    ck_assert_str_eq(EV("fullness"), "none");
    ck_assert_str_eq(EV("aaaa"), "none");                      /* overlapping: no */
    ck_assert_str_eq(EV("aaaaaa"), "sig:repeat");
    ck_assert_str_eq(EV("cost * 2"), "sig:star");
    ck_assert_str_eq(EV("cost x 2"), "none");
    ck_assert_str_eq(EV("user unknown"), "sig:adjacent");     /* a shared space is fine */
    ck_assert_str_eq(EV("nouser unknown"), "none");
    ck_assert_str_eq(EV(""), "none");
    /* span of an ordered match, in original offsets */
    bounce__classify(kb, "xx  Mailbox  is   FULL  yy", 26, 0, NULL, 0, &r);
    ck_assert_int_eq(r.has_span, 1);
    ck_assert_uint_eq(r.span_off, 4);
    ck_assert_uint_eq(r.span_len, 18);
#undef EV
    bounce_kb_free(kb);
}
END_TEST

/* A KB large enough for the uint32 automaton (> 65535 states) and for the heap scratch of
 * ordered signatures (> 1024 of them). */
START_TEST(test_big_kb)
{
    bounce__buf b = {0};
    bounce_kb_t *kb = NULL;
    bounce_diag_t *d = NULL;
    uint32_t x = 777;
    size_t i, k, nsig = 1300, bad = 0;
    char (*frag)[2][48] = malloc(nsig * sizeof *frag);
    ck_assert_ptr_nonnull(frag);
    ck_assert_int_eq(bounce__buf_puts(&b, "cause\tbig.one\tblocked\tpermanent\tremote_admin\tnone\tx\n"), 0);
    for (i = 0; i < nsig; i++) {
        for (k = 0; k < 2; k++) {
            size_t j;
            for (j = 0; j < 47; j++) {
                x = x * 1103515245u + 12345u;
                frag[i][k][j] = (char)('a' + (x >> 16) % 26);
            }
            frag[i][k][47] = '\0';
        }
        ck_assert_int_eq(bounce__buf_printf(&b, "sig\tbig.%zu\tbig.one\t50\t-\t%s*%s\t%s and %s\t-\n", i,
                                            frag[i][0], frag[i][1], frag[i][0], frag[i][1]), 0);
    }
    ck_assert_int_eq(bounce_kb_load_buffer(NULL, b.p, b.len, "big", &kb, &d), BOUNCE_OK);
    ck_assert_uint_gt(kb->nstates, 65535);
    ck_assert_ptr_nonnull(kb->delta32);
    ck_assert_uint_gt(kb->nmulti, 1024);
    for (i = 0; i < nsig; i++) {
        const char *ex = bounce_kb_signature_field(kb, i, "example");
        struct bounce_result r;
        char want[32];
        bounce__classify(kb, ex, strlen(ex), 0, NULL, 0, &r);
        snprintf(want, sizeof want, "sig:big.%zu", i);
        if (strcmp(bounce_result_evidence(&r), want) != 0)
            bad++;
        /* second fragment alone, or in the wrong order: no match */
        bounce__classify(kb, frag[i][1], 47, 0, NULL, 0, &r);
        if (r.sig >= 0)
            bad++;
    }
    ck_assert_uint_eq(bad, 0);
    bounce_kb_free(kb);
    bounce__buf_free(&b);
    free(frag);
}
END_TEST

START_TEST(test_robustness)
{
    const bounce_kb_t *kb = bounce_kb_builtin();
    size_t n = 10u << 20, i, off, sig = 0, ns = bounce_kb_signature_count(kb);
    char *big = malloc(n);
    struct bounce_result r;
    uint32_t x = 12345;
    ck_assert_ptr_nonnull(big);
    /* 10 MB: all examples, again and again, with junk between */
    for (off = 0; off < n;) {
        const char *ex = ns ? bounce_kb_signature_field(kb, sig++ % ns, "example") : "x";
        size_t l = strlen(ex);
        if (off + l + 8 > n)
            break;
        memcpy(big + off, ex, l);
        off += l;
        for (i = 0; i < 8; i++) {
            x = x * 1103515245u + 12345u;
            big[off++] = (char)(x >> 16);
        }
    }
    for (; off < n; off++)
        big[off] = ' ';
    bounce__classify(kb, big, n, 0, NULL, 0, &r);
    ck_assert(r.reason >= 0 && r.reason < bounce_enum_count(BOUNCE_ENUM_REASON));
    ck_assert(r.has_span == 0 || (r.span_off < n && r.span_len <= n - r.span_off));
    ck_assert_ptr_nonnull(bounce_result_cause(&r));
    /* binary junk */
    for (i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        big[i] = (char)(x >> 16);
    }
    for (i = 0; i < 64; i++) {
        size_t len = (size_t)(x = x * 1103515245u + 12345u) % 4096;
        bounce__classify(kb, big + i * 4096, len, 0, NULL, 0, &r);
        ck_assert(r.severity >= 0 && r.severity <= 3);
        ck_assert(r.has_span == 0 || r.span_off + r.span_len <= len);
    }
    bounce__classify(kb, big, n, 0, NULL, 0, &r);
    ck_assert(r.confidence >= 0 && r.confidence <= 1);
    /* empty and NULL */
    bounce__classify(kb, "", 0, 0, NULL, 0, &r);
    ck_assert_str_eq(bounce_result_cause(&r), "unknown");
    bounce__classify(kb, NULL, 0, 0, NULL, 0, &r);
    ck_assert_str_eq(bounce_result_cause(&r), "unknown");
    bounce__classify(NULL, "550 5.1.1 x", 11, 0, NULL, 0, &r);
    ck_assert_str_eq(bounce_result_cause(&r), "unknown");
    ck_assert_int_eq(r.reply_code, 550);
    free(big);
}
END_TEST

START_TEST(test_public_api)
{
    const bounce_kb_t *kb = load_fixture(NULL, "kb/small.tsv");
    bounce_result_t *r = NULL;
    const char *t = "host mx.example.com[192.0.2.1] said: 550 5.1.1 <a@example.com>: "
                    "Recipient address rejected: User unknown (in reply to RCPT TO command)";
    char *json = NULL;
    size_t off, len;
    ck_assert_int_eq(bounce_classify(kb, t, strlen(t), 0, NULL, BOUNCE_STAGE_RCPT, &r),
                     BOUNCE_OK);
    ck_assert_int_eq(bounce_result_reason(r), BOUNCE_REASON_USERUNKNOWN);
    ck_assert_str_eq(bounce_result_cause(r), "recipient.unknown_user");
    ck_assert_int_eq(bounce_result_severity(r), BOUNCE_SEVERITY_PERMANENT);
    ck_assert_int_eq(bounce_result_hard_bounce(r), 1);
    ck_assert_int_eq(bounce_result_action(r), BOUNCE_ACTION_SUPPRESS);
    ck_assert_int_eq(bounce_result_who(r), BOUNCE_WHO_SENDER);
    ck_assert(bounce_result_confidence(r) > 0.5 && bounce_result_confidence(r) <= 1.0);
    ck_assert_str_eq(bounce_result_evidence(r), "sig:generic.user-unknown");
    ck_assert_int_eq(bounce_result_span(r, &off, &len), 1);
    ck_assert(strncmp(t + off, "User unknown", len) == 0 && len == 12);
    ck_assert_int_eq(bounce_result_reply_code(r), 550);
    ck_assert_str_eq(bounce_result_enhanced(r), "5.1.1");
    ck_assert_str_eq(bounce_result_explanation(r),
                     "The mailbox does not exist at the receiving domain.");
    ck_assert_uint_eq(bounce_result_remediation_count(r, BOUNCE_MTA_POSTFIX), 1);
    ck_assert_ptr_nonnull(bounce_result_remediation(r, BOUNCE_MTA_POSTFIX, 0));
    ck_assert_ptr_null(bounce_result_remediation(r, BOUNCE_MTA_POSTFIX, 1));
    ck_assert_int_eq(bounce_result_to_json(r, BOUNCE_JSON_CANONICAL, &json), BOUNCE_OK);
    ck_assert_msg(strstr(json, "\"cause\":\"recipient.unknown_user\"") != NULL, "%s", json);
    ck_assert_msg(strstr(json, "\"reply_code\":550") != NULL, "%s", json);
    bounce_free(json);
    bounce_result_free(r);
    bounce_result_free(NULL);
    /* a NULL KB means the built-in one */
    ck_assert_int_eq(bounce_classify(NULL, "550 5.1.1 user unknown", 22, 0, NULL, 0, &r), BOUNCE_OK);
    ck_assert_int_eq(bounce_result_reason(r), BOUNCE_REASON_USERUNKNOWN);
    bounce_result_free(r);
    ck_assert_int_eq(bounce_classify(NULL, "x", 1, 0, NULL, 0, NULL), BOUNCE_E_INVAL);
    ck_assert_int_eq(bounce_classify(kb, NULL, 1, 0, NULL, 0, &r), BOUNCE_E_INVAL);
    ck_assert_int_eq(bounce_result_to_json(NULL, 0, &json), BOUNCE_E_INVAL);
    ck_assert_str_eq(bounce_result_cause(NULL), "unknown");
    bounce_kb_free(kb);
}
END_TEST

/* Record status logic on top of the text. */
START_TEST(test_record_classify)
{
    const bounce_kb_t *kb = bounce_kb_builtin();
    static const struct {
        int status;
        const char *diag;
        const char *cause;
        int severity;
    } cases[] = {
        {BOUNCE_EVENT_DELIVERED, "250 2.0.0 Ok: queued as 4Bc1", "delivered.ok", BOUNCE_SEVERITY_SUCCESS},
        {BOUNCE_EVENT_FEEDBACK, "", "feedback.complaint", BOUNCE_SEVERITY_NONE},
        {BOUNCE_EVENT_AUTOREPLY, "I am out of the office", "autoreply.vacation", BOUNCE_SEVERITY_NONE},
        {BOUNCE_EVENT_EXPIRED, "", "queue.expired", BOUNCE_SEVERITY_PERMANENT},
        {BOUNCE_EVENT_EXPIRED, "retry timeout exceeded", NULL, BOUNCE_SEVERITY_PERMANENT},
        {BOUNCE_EVENT_DEFERRED, "550 5.1.1 whatever", NULL, BOUNCE_SEVERITY_TRANSIENT},
        {BOUNCE_EVENT_BOUNCED, "451 4.3.0 whatever", NULL, BOUNCE_SEVERITY_PERMANENT},
        {BOUNCE_EVENT_REJECTED, "450 4.1.8 Sender address rejected: Domain not found", NULL, BOUNCE_SEVERITY_TRANSIENT},
        {BOUNCE_EVENT_REJECTED, "554 5.7.1 Relay access denied", NULL, BOUNCE_SEVERITY_PERMANENT},
        {BOUNCE_EVENT_FROZEN, "", NULL, BOUNCE_SEVERITY_TRANSIENT},
    };
    size_t i;
    for (i = 0; i < BOUNCE__ARRAY_LEN(cases); i++) {
        bounce_record_t rec;
        bounce__record_init(&rec);
        rec.status = (uint8_t)cases[i].status;
        ck_assert_int_eq(bounce__record_set_str(&rec, BOUNCE_FIELD_DIAGNOSTIC, cases[i].diag), 0);
        bounce__record_classify(&rec, kb);
        if (cases[i].cause)
            ck_assert_str_eq(bounce_result_cause(&rec.result), cases[i].cause);
        ck_assert_msg(rec.result.severity == cases[i].severity, "case %zu: severity %d", i,
                      rec.result.severity);
        ck_assert_int_eq(rec.result.hard_bounce,
                         rec.result.severity == BOUNCE_SEVERITY_PERMANENT &&
                             rec.result.action == BOUNCE_ACTION_SUPPRESS);
        bounce__record_release(&rec);
    }
}
END_TEST

Suite *bounce_test_kb_suite(void)
{
    Suite *s = suite_create("kb");
    TCase *tc = tcase_create("builtin");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_builtin_meta);
    tcase_add_test(tc, test_builtin_examples);
    tcase_add_test(tc, test_builtin_examples_embedded);
    tcase_add_test(tc, test_builtin_causes);
    tcase_add_test(tc, test_builtin_iana);
    suite_add_tcase(s, tc);

    tc = tcase_create("loader");
    tcase_add_loop_test(tc, test_loader_errors, 0, (int)BOUNCE__ARRAY_LEN(bad_cases));
    tcase_add_test(tc, test_loader_misc);
    tcase_add_test(tc, test_override);
    tcase_add_test(tc, test_load_directory);
    tcase_add_test(tc, test_atomic);
    tcase_add_test(tc, test_load_alloc_failure);
    suite_add_tcase(s, tc);

    tc = tcase_create("classify");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_precedence);
    tcase_add_test(tc, test_matching);
    tcase_add_test(tc, test_robustness);
    tcase_add_test(tc, test_big_kb);
    tcase_add_test(tc, test_public_api);
    tcase_add_test(tc, test_record_classify);
    suite_add_tcase(s, tc);
    return s;
}

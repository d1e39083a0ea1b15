/* Core: allocation, buffers, text helpers, JSON strings, status and enum names,
 * versions, diagnostics. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- allocation ---- */

#ifdef BOUNCE_TESTING
/* Test-only fault injection; per thread, so tests in threads stay independent. */
static _Thread_local long fail_after = -1;

void bounce__test_fail_alloc_after(long n) { fail_after = n; }

static int should_fail(void)
{
    if (fail_after < 0)
        return 0;
    if (fail_after == 0)
        return 1;
    fail_after--;
    return 0;
}
#else
#define should_fail() 0
#endif

void *bounce__malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *bounce__calloc(size_t n, size_t m)
{
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, m ? m : 1);
}

void *bounce__realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void bounce__free(void *p) { free(p); }

char *bounce__strndup(const char *s, size_t n)
{
    char *d = bounce__malloc(n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *bounce__strdup(const char *s) { return bounce__strndup(s, strlen(s)); }

void bounce_free(void *p) { free(p); }

/* ---- buffers ---- */

int bounce__buf_reserve(bounce__buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > SIZE_MAX - b->len - 1)
        return -1;
    need = b->len + extra + 1; /* room for a terminating NUL */
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = bounce__realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int bounce__buf_append(bounce__buf *b, const void *data, size_t n)
{
    if (bounce__buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

int bounce__buf_puts(bounce__buf *b, const char *s) { return bounce__buf_append(b, s, strlen(s)); }

int bounce__buf_putc(bounce__buf *b, char c)
{
    if (b->len + 1 >= b->cap && bounce__buf_reserve(b, 1) < 0)
        return -1;
    b->p[b->len++] = c;
    return 0;
}

int bounce__buf_printf(bounce__buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    size_t room = b->cap > b->len ? b->cap - b->len : 0;

    va_start(ap, fmt);
    n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n >= room) {
        if (bounce__buf_reserve(b, (size_t)n) < 0)
            return -1;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
    return 0;
}

int bounce__buf_terminate(bounce__buf *b)
{
    if (bounce__buf_reserve(b, 0) < 0)
        return -1;
    b->p[b->len] = '\0';
    return 0;
}

char *bounce__buf_take(bounce__buf *b)
{
    char *p;
    if (bounce__buf_terminate(b) < 0)
        return NULL;
    p = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void bounce__buf_free(bounce__buf *b)
{
    bounce__free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- text helpers ---- */

int bounce__ascii_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

const char *bounce__memcasestr(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle), i;
    if (n == 0)
        return hay;
    if (n > len)
        return NULL;
    for (i = 0; i + n <= len; i++) {
        size_t j = 0;
        while (j < n && bounce__ascii_lower((unsigned char)hay[i + j]) == (unsigned char)needle[j])
            j++;
        if (j == n)
            return hay + i;
    }
    return NULL;
}

int bounce__strncaseeq(const char *a, size_t alen, const char *b)
{
    size_t i;
    for (i = 0; i < alen; i++) {
        if (!b[i] || bounce__ascii_lower((unsigned char)a[i]) != bounce__ascii_lower((unsigned char)b[i]))
            return 0;
    }
    return b[alen] == '\0';
}

/* ---- JSON strings ---- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_valid(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n, i;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (n > len)
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

int bounce__json_string(bounce__buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    int lossy = 0;

    /* worst case 6 bytes per input byte, plus quotes */
    if (len > (SIZE_MAX - 2) / 6 || bounce__buf_reserve(b, len * 6 + 2) < 0)
        return -1;
    b->p[b->len++] = '"';
    while (i < len) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            run++;
            continue;
        }
        if (run) {
            memcpy(b->p + b->len, p + i - run, run);
            b->len += run;
            run = 0;
        }
        if (c >= 0x80) {
            size_t n = utf8_valid(p + i, len - i);
            if (n) {
                memcpy(b->p + b->len, p + i, n);
                b->len += n;
                i += n;
            } else {
                memcpy(b->p + b->len, "\xef\xbf\xbd", 3); /* U+FFFD */
                b->len += 3;
                lossy = 1;
                i++;
            }
            continue;
        }
        b->p[b->len++] = '\\';
        switch (c) {
        case '"': b->p[b->len++] = '"'; break;
        case '\\': b->p[b->len++] = '\\'; break;
        case '\n': b->p[b->len++] = 'n'; break;
        case '\r': b->p[b->len++] = 'r'; break;
        case '\t': b->p[b->len++] = 't'; break;
        case '\b': b->p[b->len++] = 'b'; break;
        case '\f': b->p[b->len++] = 'f'; break;
        default:
            b->p[b->len++] = 'u';
            b->p[b->len++] = '0';
            b->p[b->len++] = '0';
            b->p[b->len++] = hex[c >> 4];
            b->p[b->len++] = hex[c & 15];
        }
        i++;
    }
    if (run) {
        memcpy(b->p + b->len, p + i - run, run);
        b->len += run;
    }
    b->p[b->len++] = '"';
    return lossy;
}

/* ---- status ---- */

static const char *const status_names[] = {
    "BOUNCE_OK", "BOUNCE_E_NOMEM", "BOUNCE_E_INVAL", "BOUNCE_E_SYNTAX",
    "BOUNCE_E_IO", "BOUNCE_E_RANGE", "BOUNCE_E_LIMIT", "BOUNCE_E_STATE",
};
static const char *const status_texts[] = {
    "success",
    "out of memory",
    "invalid argument",
    "syntax error in knowledge-base file",
    "input/output error",
    "index or value out of range",
    "limit exceeded",
    "call not valid in the current state",
};

const char *bounce_strerror(bounce_status_t st)
{
    if ((unsigned)st < BOUNCE__ARRAY_LEN(status_texts))
        return status_texts[st];
    return "unknown status";
}

const char *bounce_status_name(bounce_status_t st)
{
    if ((unsigned)st < BOUNCE__ARRAY_LEN(status_names))
        return status_names[st];
    return "BOUNCE_E_UNKNOWN";
}

/* ---- versions ---- */

const char *bounce_version(void) { return BOUNCE_VERSION_STRING; }

uint32_t bounce_version_number(void) { return BOUNCE_VERSION_NUMBER; }

int bounce_check_version(uint32_t min) { return BOUNCE_VERSION_NUMBER >= min; }

/* ---- enum names ---- */

static const char *const reason_names[] = {
    "undefined", "authfailure", "badreputation", "blocked", "contenterror", "delivered",
    "emailtoolarge", "expired", "failedstarttls", "feedback", "filtered", "hasmoved",
    "hostunknown", "mailboxfull", "mailererror", "networkerror", "norelaying", "notaccept",
    "notcompliantrfc", "onhold", "policyviolation", "ratelimited", "rejected", "requireptr",
    "securityerror", "spamdetected", "suppressed", "suspend", "syntaxerror", "systemerror",
    "systemfull", "userunknown", "vacation", "virusdetected",
};
static const char *const severity_names[] = {"none", "permanent", "transient", "success"};
static const char *const who_names[] = {"none", "sender", "recipient", "local_admin",
                                        "remote_admin"};
static const char *const action_names[] = {"none", "suppress", "retry", "fix_local_config",
                                           "fix_dns", "request_delisting", "contact_recipient"};
static const char *const stage_names[] = {"unknown", "connect", "helo", "starttls", "auth",
                                          "mail", "rcpt", "data", "eod"};
static const char *const event_names[] = {"unknown", "delivered", "deferred", "bounced",
                                          "expired", "rejected", "queued", "held",
                                          "frozen", "feedback", "autoreply", "delayed"};
static const char *const source_names[] = {"none", "dsn", "postfix", "exim", "postqueue",
                                           "exim-queue"};
static const char *const mta_names[] = {"any", "postfix", "exim", "plesk", "cpanel"};

struct enum_table {
    const char *const *names;
    int count;
};

static struct enum_table enum_table(bounce_enum_t family)
{
    struct enum_table t = {NULL, 0};
#define ENUM_CASE(f, arr)                                                                      \
    case f:                                                                                    \
        t.names = arr;                                                                         \
        t.count = (int)BOUNCE__ARRAY_LEN(arr);                                                 \
        break
    switch (family) {
        ENUM_CASE(BOUNCE_ENUM_REASON, reason_names);
        ENUM_CASE(BOUNCE_ENUM_SEVERITY, severity_names);
        ENUM_CASE(BOUNCE_ENUM_WHO, who_names);
        ENUM_CASE(BOUNCE_ENUM_ACTION, action_names);
        ENUM_CASE(BOUNCE_ENUM_STAGE, stage_names);
        ENUM_CASE(BOUNCE_ENUM_EVENT, event_names);
        ENUM_CASE(BOUNCE_ENUM_SOURCE, source_names);
        ENUM_CASE(BOUNCE_ENUM_MTA, mta_names);
        ENUM_CASE(BOUNCE_ENUM_STATUS, status_names);
    }
#undef ENUM_CASE
    return t;
}

const char *bounce_enum_name(bounce_enum_t family, int value)
{
    struct enum_table t = enum_table(family);
    if (value < 0 || value >= t.count)
        return NULL;
    return t.names[value];
}

int bounce_enum_from_name(bounce_enum_t family, const char *name)
{
    struct enum_table t = enum_table(family);
    int i;
    if (!name)
        return -1;
    for (i = 0; i < t.count; i++)
        if (bounce__strncaseeq(name, strlen(name), t.names[i]))
            return i;
    return -1;
}

int bounce_enum_count(bounce_enum_t family) { return enum_table(family).count; }

/* ---- diagnostics ---- */

struct bounce_diag {
    char *file;
    size_t line, column;
    char *message;
};

bounce_diag_t *bounce__diag_new(const char *file, size_t line, size_t column, const char *fmt, ...)
{
    bounce_diag_t *d = bounce__calloc(1, sizeof *d);
    bounce__buf b = {0};
    va_list ap;
    char tmp[512];

    if (!d)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (bounce__buf_puts(&b, tmp) < 0 || !(d->message = bounce__buf_take(&b)) ||
        (file && !(d->file = bounce__strdup(file)))) {
        bounce__buf_free(&b);
        bounce_diag_free(d);
        return NULL;
    }
    d->line = line;
    d->column = column;
    return d;
}

const char *bounce_diag_file(const bounce_diag_t *d) { return d ? d->file : NULL; }
size_t bounce_diag_line(const bounce_diag_t *d) { return d ? d->line : 0; }
size_t bounce_diag_column(const bounce_diag_t *d) { return d ? d->column : 0; }
const char *bounce_diag_message(const bounce_diag_t *d) { return d && d->message ? d->message : ""; }

void bounce_diag_free(bounce_diag_t *d)
{
    if (!d)
        return;
    bounce__free(d->file);
    bounce__free(d->message);
    bounce__free(d);
}

/* The prefix of one log line: RFC 3164, RFC 3339 (rsyslog high precision), RFC 5424,
 * `journalctl -o short-iso` / `short-iso-precise`, `journalctl -o json` and Postfix's own
 * maillog_file (postlogd) lines.
 *
 * Times are returned as UTC epoch seconds. A stamp with a zone offset (RFC 3339, 5424,
 * short-iso) is converted exactly. A stamp without a zone (RFC 3164, postlogd) is taken as
 * UTC, because the log does not say which zone wrote it.
 *
 * RFC 3164 stamps have no year. The year is inferred from the stream's reference time
 * (bounce_stream_set_reference_time(), default: now): it is the latest year such that the
 * stamp is not more than one day after the reference time. So with a reference time of
 * 2026-01-02, "Dec 31 23:59:59" is 2025-12-31 and "Jan  3 00:00:00" is 2026-01-03; a stamp
 * of Feb 29 goes back to the latest leap year that satisfies the rule.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "tracker.h"

#define DAY 86400

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* n digits at p (n <= 9), -1 if not all digits */
static int digits(const char *p, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const unsigned char d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}


int64_t bounce__syslog_infer_year(int mon, int day, int hour, int min, int sec, int64_t ref_time)
{
    int64_t y = bounce__year_of(ref_time);
    /* try the reference year, then earlier ones (Feb 29 may need up to 8 years back) */
    for (int i = 0; i < 9; i++, y--) {
        if (day > month_days(y, mon))
            continue;
        int64_t t = bounce__timegm((int)y, mon, day, hour, min, sec);
        if (t <= ref_time + DAY)
            return t;
    }
    return bounce__timegm((int)bounce__year_of(ref_time) - 1, mon, day > 28 ? 28 : day, hour, min, sec);
}

size_t bounce__parse_iso_time(const char *p, size_t len, int64_t *t)
{
    if (len < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != ' ') ||
        p[13] != ':' || p[16] != ':')
        return 0;
    int y = digits(p, 4), mo = digits(p + 5, 2), d = digits(p + 8, 2);
    int h = digits(p + 11, 2), mi = digits(p + 14, 2), s = digits(p + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || s < 0 || s > 60)
        return 0;
    size_t i = 19;
    if (i < len && (p[i] == '.' || p[i] == ',')) {
        size_t j = i + 1;
        while (j < len && j - i <= 9 && is_digit((unsigned char)p[j]))
            j++;
        if (j > i + 1)
            i = j;
    }
    int64_t off = 0;
    if (i < len && (p[i] == 'Z' || p[i] == 'z')) {
        i++;
    } else {
        /* "+01:00", "+0100", or (Exim's log_timezone) " +0100" */
        size_t k = i;
        if (k + 1 < len && p[k] == ' ' && (p[k + 1] == '+' || p[k + 1] == '-'))
            k++;
        if (k < len && (p[k] == '+' || p[k] == '-')) {
            int sign = p[k] == '-' ? -1 : 1;
            int oh = -1, om = -1;
            size_t used = 0;
            if (k + 6 <= len && p[k + 3] == ':') {
                oh = digits(p + k + 1, 2);
                om = digits(p + k + 4, 2);
                used = 6;
            } else if (k + 5 <= len) {
                oh = digits(p + k + 1, 2);
                om = digits(p + k + 3, 2);
                used = 5;
            }
            if (oh >= 0 && oh <= 23 && om >= 0 && om <= 59 &&
                (k + used == len || !is_digit((unsigned char)p[k + used]))) {
                off = sign * (int64_t)(oh * 3600 + om * 60);
                i = k + used;
            }
        }
    }
    *t = bounce__timegm(y, mo, d, h, mi, s == 60 ? 59 : s) - off;
    return i;
}

/* two digits at p, -1 if not both digits (digits(p, 2) without the loop) */
static int two_digits(const char *p)
{
    unsigned a = (unsigned)(unsigned char)p[0] - '0', b = (unsigned)(unsigned char)p[1] - '0';
    return a <= 9 && b <= 9 ? (int)(a * 10 + b) : -1;
}

/* "Jan".."Dec" (case-sensitive) -> 1..12, else 0 */
static int month_of(const char *p)
{
    char a = p[1], b = p[2];
    switch (p[0]) {
    case 'J':
        if (a == 'a')
            return b == 'n' ? 1 : 0;
        if (a == 'u')
            return b == 'n' ? 6 : b == 'l' ? 7 : 0;
        return 0;
    case 'F':
        return a == 'e' && b == 'b' ? 2 : 0;
    case 'M':
        if (a != 'a')
            return 0;
        return b == 'r' ? 3 : b == 'y' ? 5 : 0;
    case 'A':
        if (a == 'p')
            return b == 'r' ? 4 : 0;
        if (a == 'u')
            return b == 'g' ? 8 : 0;
        return 0;
    case 'S':
        return a == 'e' && b == 'p' ? 9 : 0;
    case 'O':
        return a == 'c' && b == 't' ? 10 : 0;
    case 'N':
        return a == 'o' && b == 'v' ? 11 : 0;
    case 'D':
        return a == 'e' && b == 'c' ? 12 : 0;
    default:
        return 0;
    }
}

/* "Nov 25 14:36:23" or "Nov  5 14:36:23" (15 bytes) */
static size_t parse_3164_time(const char *p, size_t len, int64_t ref, int64_t *t,
                              bounce__syslog_ctx *ctx)
{
    if (len < 16 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' || p[12] != ':')
        return 0;
    int mon = month_of(p);
    int d = p[4] == ' ' ? digits(p + 5, 1) : two_digits(p + 4);
    int h = two_digits(p + 7), mi = two_digits(p + 10), s = two_digits(p + 13);
    if (!mon || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return 0;
    size_t i = 15;
    /* some rsyslog templates add fractional seconds; accept ".frac" */
    if (i < len && p[i] == '.') {
        size_t j = i + 1;
        while (j < len && j - i <= 9 && is_digit((unsigned char)p[j]))
            j++;
        i = j;
    }
    if (s == 60)
        s = 59;
    int64_t tod = (int64_t)h * 3600 + mi * 60 + s;
    if (ctx && ctx->mon == mon && ctx->day == d && ctx->ref == ref) {
        *t = ctx->day_start + tod;
        if (*t > ctx->limit)
            *t = ctx->day_start_lo + tod;
        return i;
    }
    *t = bounce__syslog_infer_year(mon, d, h, mi, s, ref);
    if (ctx) {
        /* cache the date: its start in the inferred year, and in the year before for the
         * part of the day that would be more than one day after the reference time */
        int64_t a = bounce__syslog_infer_year(mon, d, 0, 0, 0, ref);
        int64_t b = bounce__syslog_infer_year(mon, d, 23, 59, 59, ref) - 86399;
        ctx->mon = mon;
        ctx->day = d;
        ctx->ref = ref;
        ctx->day_start = a;
        ctx->day_start_lo = b;
        ctx->limit = ref + DAY;
    }
    return i;
}

void bounce__syslog_ctx_free(bounce__syslog_ctx *c)
{
    if (c)
        bounce__buf_free(&c->scratch);
}

/* Byte scans of the prefix, 8 bytes a step where that is simple and portable (GCC or
 * clang on a little-endian machine): the first matching byte is the lowest flagged one,
 * since the zero-byte test below only errs on bytes above a true zero byte. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SCAN_WORDS 1
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#define SCAN_INLINE inline __attribute__((always_inline))

static SCAN_INLINE uint64_t bytes_equal(uint64_t x, unsigned char c)
{
    uint64_t y = x ^ (ONES * c);
    return (y - ONES) & ~y & HIGHS;
}
#else
#define SCAN_INLINE
#endif

/* index of the first byte of p[i..len) that is a, b or c; len if none (i <= len). Inlined,
 * so that the byte masks are constants. */
static SCAN_INLINE size_t scan3(const char *p, size_t i, size_t len, char a, char b, char c)
{
#ifdef SCAN_WORDS
    while (i + 8 <= len) {
        uint64_t x, m;
        memcpy(&x, p + i, 8);
        m = bytes_equal(x, (unsigned char)a) | bytes_equal(x, (unsigned char)b) |
            bytes_equal(x, (unsigned char)c);
        if (m)
            return i + (size_t)(__builtin_ctzll(m) >> 3);
        i += 8;
    }
#endif
    while (i < len && p[i] != a && p[i] != b && p[i] != c)
        i++;
    return i;
}

static size_t token_end(const char *p, size_t i, size_t len)
{
    return scan3(p, i, len, ' ', ' ', ' ');
}

/* "prog[pid]: msg" or "prog: msg" starting at p[i]; fills prog/msg. 1 if found. */
static int parse_tag(const char *p, size_t i, size_t len, bounce__syslog *out)
{
    size_t st = i;
    i = scan3(p, i, len, '[', ':', ' ');
    if (i == st || i >= len)
        return 0;
    size_t pe = i;
    if (p[i] == '[') {
        i = scan3(p, i, len, ']', ' ', ' ');
        if (i >= len || p[i] != ']')
            return 0;
        i++;
    }
    if (i >= len || p[i] != ':')
        return 0;
    i++;
    if (i < len && p[i] == ' ')
        i++;
    out->prog = p + st;
    out->prog_len = pe - st;
    out->msg = p + i;
    out->msg_len = len - i;
    return 1;
}

/* after the time: " host prog[pid]: msg" (host may be missing) */
static int parse_host_tag(const char *p, size_t i, size_t len, bounce__syslog *out)
{
    if (i >= len || p[i] != ' ')
        return 0;
    while (i < len && p[i] == ' ')
        i++;
    /* the first token, and whether it has a '[' */
    size_t he = scan3(p, i, len, ' ', '[', '[');
    int bracket = he < len && p[he] == '[';
    if (bracket)
        he = token_end(p, he, len);
    /* no host: the first token is already the tag */
    if (he > i && (p[he - 1] == ':' || bracket) && parse_tag(p, i, len, out))
        return 1;
    if (he >= len)
        return 0;
    out->host = p + i;
    out->host_len = he - i;
    return parse_tag(p, he + 1, len, out);
}

static int parse_5424(const char *p, size_t i, size_t len, bounce__syslog *out)
{
    /* VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG] */
    if (i + 2 > len || !is_digit((unsigned char)p[i]))
        return 0;
    while (i < len && is_digit((unsigned char)p[i]))
        i++;
    if (i >= len || p[i] != ' ')
        return 0;
    i++;
    if (i < len && p[i] == '-') {
        i++;
    } else {
        size_t n = bounce__parse_iso_time(p + i, len - i, &out->time);
        if (!n)
            return 0;
        i += n;
    }
    const char *tok[4];
    size_t tlen[4];
    for (int k = 0; k < 4; k++) {
        if (i >= len || p[i] != ' ')
            return 0;
        i++;
        size_t e = token_end(p, i, len);
        tok[k] = p + i;
        tlen[k] = e - i;
        i = e;
    }
    if (i >= len || p[i] != ' ')
        return 0;
    i++;
    /* structured data: "-" or one or more [id param="v\]"...] */
    if (i < len && p[i] == '-') {
        i++;
    } else {
        while (i < len && p[i] == '[') {
            int inq = 0;
            i++;
            while (i < len) {
                if (inq && p[i] == '\\' && i + 1 < len) {
                    i += 2;
                    continue;
                }
                if (p[i] == '"')
                    inq = !inq;
                else if (!inq && p[i] == ']')
                    break;
                i++;
            }
            if (i >= len)
                return 0;
            i++;
        }
    }
    if (i < len && p[i] == ' ')
        i++;
    if (i + 3 <= len && (unsigned char)p[i] == 0xEF && (unsigned char)p[i + 1] == 0xBB &&
        (unsigned char)p[i + 2] == 0xBF)
        i += 3;
    if (!(tlen[0] == 1 && tok[0][0] == '-')) {
        out->host = tok[0];
        out->host_len = tlen[0];
    }
    if (!(tlen[1] == 1 && tok[1][0] == '-')) {
        out->prog = tok[1];
        out->prog_len = tlen[1];
    }
    out->msg = p + i;
    out->msg_len = len - i;
    return 1;
}

static int append_json_str(bounce__buf *b, json_t *v, size_t *off, size_t *n)
{
    const char *s = NULL;
    size_t l = 0;
    char num[32];
    if (json_is_string(v)) {
        s = json_string_value(v);
        l = json_string_length(v);
    } else if (json_is_array(v)) {
        /* journald gives non-UTF-8 or binary messages as an array of bytes */
        *off = b->len;
        size_t k;
        json_t *e;
        json_array_foreach(v, k, e) {
            char c = (char)(json_is_integer(e) ? json_integer_value(e) : '?');
            if (bounce__buf_putc(b, c) < 0)
                return -1;
        }
        *n = b->len - *off;
        return 1;
    } else if (json_is_integer(v)) {
        int k = snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        s = num;
        l = k > 0 ? (size_t)k : 0;
    } else {
        return 0;
    }
    *off = b->len;
    *n = l;
    return bounce__buf_append(b, s, l) < 0 ? -1 : 1;
}

static int parse_json(const char *p, size_t len, bounce__syslog *out, bounce__buf *scratch)
{
    json_error_t err;
    json_t *root = json_loadb(p, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (!root)
        return 0;
    int ok = 0;
    if (json_is_object(root)) {
        json_t *msg = json_object_get(root, "MESSAGE");
        json_t *ident = json_object_get(root, "SYSLOG_IDENTIFIER");
        json_t *host = json_object_get(root, "_HOSTNAME");
        json_t *ts = json_object_get(root, "__REALTIME_TIMESTAMP");
        size_t mo = 0, ml = 0, io = 0, il = 0, ho = 0, hl = 0;
        scratch->len = 0;
        int rm = msg ? append_json_str(scratch, msg, &mo, &ml) : 0;
        int ri = ident ? append_json_str(scratch, ident, &io, &il) : 0;
        int rh = host ? append_json_str(scratch, host, &ho, &hl) : 0;
        if (rm > 0 && ri >= 0 && rh >= 0) {
            ok = 1;
            out->msg = scratch->p + mo;
            out->msg_len = ml;
            if (ri > 0) {
                out->prog = scratch->p + io;
                out->prog_len = il;
            }
            if (rh > 0) {
                out->host = scratch->p + ho;
                out->host_len = hl;
            }
            if (json_is_string(ts)) {
                const char *t = json_string_value(ts);
                int64_t us = 0;
                size_t k = 0;
                while (t[k] && is_digit((unsigned char)t[k]) && k < 18)
                    us = us * 10 + (t[k++] - '0');
                if (k > 0 && t[k] == '\0')
                    out->time = us / 1000000;
            } else if (json_is_integer(ts)) {
                out->time = (int64_t)json_integer_value(ts) / 1000000;
            }
        }
    }
    json_decref(root);
    return ok;
}

int bounce__syslog_parse_ex(const char *line, size_t len, int64_t ref_time, bounce__syslog *out,
                            bounce__syslog_ctx *ctx)
{
    out->time = INT64_MIN;
    out->host = out->prog = NULL;
    out->host_len = out->prog_len = 0;
    out->msg = line;
    out->msg_len = len;
    if (len == 0)
        return 0;
    if (line[0] == '{') {
        if (ctx && parse_json(line, len, out, &ctx->scratch))
            return 1;
        out->time = INT64_MIN;
        out->msg = line;
        out->msg_len = len;
        return 0;
    }
    size_t i = 0;
    /* optional <PRI> */
    if (line[0] == '<') {
        size_t j = 1;
        while (j < len && j < 5 && is_digit((unsigned char)line[j]))
            j++;
        if (j > 1 && j < len && line[j] == '>') {
            i = j + 1;
            if (i < len && is_digit((unsigned char)line[i]) && i + 1 < len && line[i + 1] == ' ') {
                bounce__syslog o = *out;
                if (parse_5424(line, i, len, &o)) {
                    *out = o;
                    return 1;
                }
            }
        }
    }
    int ok = 0;
    int64_t t = INT64_MIN;
    size_t n;
    if (len - i >= 19 && is_digit((unsigned char)line[i]) &&
        (n = bounce__parse_iso_time(line + i, len - i, &t)) != 0 && line[i + 10] == 'T')
        ok = parse_host_tag(line, i + n, len, out);
    else if ((n = parse_3164_time(line + i, len - i, ref_time, &t, ctx)) != 0)
        ok = parse_host_tag(line, i + n, len, out);
    if (!ok) {
        out->host = out->prog = NULL;
        out->host_len = out->prog_len = 0;
        out->msg = line;
        out->msg_len = len;
        return 0;
    }
    out->time = t;
    return 1;
}

int bounce__syslog_parse(const char *line, size_t len, int64_t ref_time, bounce__syslog *out)
{
    return bounce__syslog_parse_ex(line, len, ref_time, out, NULL);
}

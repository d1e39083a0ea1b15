/* SMTP reply parsing: the basic reply code (RFC 5321) and the enhanced status code
 * (RFC 3463: class.subject.detail, subject and detail of 1 to 3 digits) found anywhere in
 * a diagnostic text: "550 5.1.1 ...", multi-line "550-5.1.1 ...", "smtp; 550 ...",
 * "host x[1.2.3.4] said: 550 ...", "#5.1.1", "(#5.1.1)". Numbers that are part of an IP
 * address or a version ("10.5.1.1", "1.2.3.4") are not codes. */
#include <string.h>

#include "internal.h"

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int is_alnum(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* An enhanced code starting at t[i]; returns its length (5..9) or 0. */
static size_t esc_at(const unsigned char *t, size_t n, size_t i, int *subject, int *detail)
{
    size_t j = i + 2, k;
    int s = 0, d = 0;
    if (i + 5 > n || (t[i] != '2' && t[i] != '4' && t[i] != '5') || t[i + 1] != '.')
        return 0;
    if (i > 0 && (is_alnum(t[i - 1]) || t[i - 1] == '.' || t[i - 1] == '_'))
        return 0;
    for (k = 0; j < n && is_digit(t[j]) && k < 4; j++, k++)
        s = s * 10 + (t[j] - '0');
    if (k < 1 || k > 3 || j >= n || t[j] != '.')
        return 0;
    j++;
    for (k = 0; j < n && is_digit(t[j]) && k < 4; j++, k++)
        d = d * 10 + (t[j] - '0');
    if (k < 1 || k > 3)
        return 0;
    if (j < n && (is_alnum(t[j]) || t[j] == '_' || (t[j] == '.' && j + 1 < n && is_digit(t[j + 1]))))
        return 0;
    *subject = s;
    *detail = d;
    return j - i;
}

/* A basic reply code at t[i]: 0 = none, 1 = plausible, 2 = sure (line start or followed by
 * an enhanced code of the same class). */
/* esc_at() result at pos, kept by code_at() for the main loop (which asks again there) */
struct esc_memo {
    size_t pos, len;
    int s, d;
};

static int code_at(const unsigned char *t, size_t n, size_t i, struct esc_memo *m)
{
    unsigned char p, a;
    size_t j;
    if (i + 3 > n || t[i] < '2' || t[i] > '5' || t[i + 1] > '5' || !is_digit(t[i + 1]) ||
        !is_digit(t[i + 2]))
        return 0;
    p = i > 0 ? t[i - 1] : '\n';
    if (!(is_space(p) || p == '(' || p == '[' || p == ';' || p == ':' || p == '"' || p == '\'' ||
          p == '<' || p == '=' || p == ',' || p == '#'))
        return 0;
    a = i + 3 < n ? t[i + 3] : ' ';
    if (!(is_space(a) || a == '-' || a == ')' || a == ',' || a == ';' || a == ']' || a == '"' ||
          a == '\''))
        return 0;
    if (i + 3 < n && (a == ' ' || a == '-')) {
        m->pos = i + 4;
        m->len = esc_at(t, n, i + 4, &m->s, &m->d);
        if (m->len && t[i + 4] == t[i])
            return 2;
    }
    if ((p == '\n' || p == '\r') && (a == ' ' || a == '-' || i + 3 == n))
        return 2;
    /* otherwise it must follow a separator: "said: 550", "smtp; 550", "(550" */
    j = i;
    while (j > 0 && (t[j - 1] == ' ' || t[j - 1] == '\t'))
        j--;
    if (j == 0)
        return 2;
    p = t[j - 1];
    /* Sendmail's transcript: "<<< 550 ..." is the server's reply */
    if (p == '<' && j >= 3 && t[j - 2] == '<' && t[j - 3] == '<')
        return 2;
    if (p == ':' || p == ';' || p == '(' || p == '[' || p == '#' || p == '=' || p == '\n' ||
        p == '\r')
        return 1;
    return 0;
}

#define ESC_CANDIDATES 8

void bounce__reply_extract(const char *text, size_t len, int *reply_code, char *enhanced)
{
    const unsigned char *t = (const unsigned char *)text;
    struct {
        size_t off, len;
        int cls, specific;
    } cand[ESC_CANDIDATES];
    size_t i, nc = 0, best_off = 0, best_len = 0;
    int code = 0, weak = 0, best_rank = -1;
    struct esc_memo memo = {(size_t)-1, 0, 0, 0};
    *reply_code = 0;
    enhanced[0] = '\0';
    if (!text)
        return;
    /* one pass: the first sure reply code (else the first plausible one) and the first
     * few enhanced-code candidates; stop early once a sure code and a specific enhanced
     * code of its class are known. A sure positive reply (2xx, 3xx) gives way to a later
     * sure failure (4xx, 5xx): in a session transcript ("Out: 250 2.1.5 Ok ... Out: 451
     * 4.3.0 Error") the failure is the answer, and the codes before it are dropped */
    for (i = 0; i < len; i++) {
        int k, s, d;
        size_t n;
        if ((unsigned)(t[i] - '2') > 3u)
            continue;
        if ((!code || (code < 400 && t[i] >= '4')) && i + 3 <= len &&
            (k = code_at(t, len, i, &memo)) != 0) {
            int v = (t[i] - '0') * 100 + (t[i + 1] - '0') * 10 + (t[i + 2] - '0');
            if (k == 2) {
                if (code)
                    nc = 0;
                code = v;
            } else if (!weak && !code) {
                weak = v;
            }
        }
        if (t[i] != '3' && i + 5 <= len && t[i + 1] == '.' && nc < ESC_CANDIDATES &&
            (n = i == memo.pos ? (s = memo.s, d = memo.d, memo.len)
                               : esc_at(t, len, i, &s, &d)) != 0) {
            cand[nc].off = i;
            cand[nc].len = n;
            cand[nc].cls = t[i] - '0';
            cand[nc].specific = d != 0 && s != 0;
            nc++;
            if (code >= 400 && cand[nc - 1].cls == code / 100 && cand[nc - 1].specific)
                break;
            i += n - 1;
        }
    }
    if (!code)
        code = weak;
    *reply_code = code;
    for (i = 0; i < nc; i++) {
        int rank;
        /* a success code only next to a 2xx reply ("Dovecot 2.3.19" is a version) */
        if (cand[i].cls == 2 && code / 100 != 2)
            continue;
        /* same class as the reply code first, then a non-zero subject and detail */
        rank = (!code || cand[i].cls == code / 100 ? 2 : 0) + cand[i].specific;
        if (rank > best_rank) {
            best_rank = rank;
            best_off = cand[i].off;
            best_len = cand[i].len;
        }
    }
    if (best_rank >= 0 && best_len < BOUNCE__ESC_MAX) {
        memcpy(enhanced, text + best_off, best_len);
        enhanced[best_len] = '\0';
    }
}

bounce_status_t bounce_reply_extract(const char *text, size_t len, int *reply_code,
                                     char *enhanced)
{
    if ((!text && len) || !reply_code || !enhanced)
        return BOUNCE_E_INVAL;
    bounce__reply_extract(text, len, reply_code, enhanced);
    return BOUNCE_OK;
}

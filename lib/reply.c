/* SMTP reply parsing: the basic reply code (RFC 5321) and the enhanced status code
 * (RFC 3463: class.subject.detail, subject and detail of 1 to 3 digits) found anywhere in
 * a diagnostic text: "550 5.1.1 ...", multi-line "550-5.1.1 ...", "smtp; 550 ...",
 * "host x[1.2.3.4] said: 550 ...", "#5.1.1", "(#5.1.1)". Numbers that are part of an IP
 * address or a version ("10.5.1.1", "1.2.3.4") are not codes. */
#include <string.h>

#include "internal.h"

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#endif

/* Character classes, one table lookup instead of comparison chains. */
enum {
    C_DIGIT = 0x01,  /* 0-9 */
    C_WORD = 0x02,   /* alnum or '_': may not follow an enhanced code */
    C_NOTESC = 0x04, /* alnum, '_' or '.': may not precede an enhanced code */
    C_BEFORE = 0x08, /* may precede a reply code: space ( [ ; : " ' < = , # */
    C_AFTER = 0x10,  /* may follow a reply code: space - ) , ; ] " ' */
    C_SEP = 0x20,    /* a separator before a plausible code: : ; ( [ # = \n \r */
    C_START = 0x40   /* 2-5: a reply code or an enhanced code can start here */
};

#define C_AL (C_WORD | C_NOTESC)
#define C_DG (C_DIGIT | C_AL)
#define C_SP (C_BEFORE | C_AFTER)
#define C_LETTERS(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z) \
    [a] = C_AL, [b] = C_AL, [c] = C_AL, [d] = C_AL, [e] = C_AL, [f] = C_AL, [g] = C_AL,      \
    [h] = C_AL, [i] = C_AL, [j] = C_AL, [k] = C_AL, [l] = C_AL, [m] = C_AL, [n] = C_AL,      \
    [o] = C_AL, [p] = C_AL, [q] = C_AL, [r] = C_AL, [s] = C_AL, [t] = C_AL, [u] = C_AL,      \
    [v] = C_AL, [w] = C_AL, [x] = C_AL, [y] = C_AL, [z] = C_AL

static const unsigned char cc[256] = {
    [' '] = C_SP, ['\t'] = C_SP, ['\v'] = C_SP, ['\f'] = C_SP,
    ['\r'] = C_SP | C_SEP, ['\n'] = C_SP | C_SEP,
    ['('] = C_BEFORE | C_SEP, ['['] = C_BEFORE | C_SEP, [';'] = C_BEFORE | C_AFTER | C_SEP,
    [':'] = C_BEFORE | C_SEP, ['#'] = C_BEFORE | C_SEP, ['='] = C_BEFORE | C_SEP,
    ['"'] = C_BEFORE | C_AFTER, ['\''] = C_BEFORE | C_AFTER, [','] = C_BEFORE | C_AFTER,
    ['<'] = C_BEFORE, ['-'] = C_AFTER, [')'] = C_AFTER, [']'] = C_AFTER,
    ['.'] = C_NOTESC, ['_'] = C_AL,
    ['0'] = C_DG, ['1'] = C_DG, ['2'] = C_DG | C_START, ['3'] = C_DG | C_START,
    ['4'] = C_DG | C_START, ['5'] = C_DG | C_START, ['6'] = C_DG, ['7'] = C_DG, ['8'] = C_DG,
    ['9'] = C_DG,
    C_LETTERS('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p',
              'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z'),
    C_LETTERS('A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P',
              'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z'),
};

#define IS(c, cls) ((cc[(unsigned char)(c)] & (cls)) != 0)

/* The first i' >= i where a reply code or an enhanced code can start, or n: t[i'] is '2'..'5'
 * and t[i' - 1] is no alnum, '_' or '.' (code_at() and esc_at() refuse those before looking
 * further). Sixteen bytes at a time with SSE2 (a mask of the bytes '2'..'5' that do not
 * follow a digit of the same block), else eight at a time: for a byte b the
 * top bit of m is set exactly when 0x31 < b < 0x36 (no carry crosses bytes). */
static size_t next_start(const unsigned char *t, size_t i, size_t n)
{
    for (;;) {
#if defined(__SSE2__) && defined(__GNUC__)
        const __m128i c2 = _mm_set1_epi8('2'), c3 = _mm_set1_epi8(3), c0 = _mm_set1_epi8('0'),
                      c9 = _mm_set1_epi8(9);
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
            __m128i s = _mm_sub_epi8(v, c2), d = _mm_sub_epi8(v, c0);
            unsigned st = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(s, c3), s));
            unsigned dg = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, c9), d));
            unsigned m = st & ~(dg << 1);
            if (m) {
                i += (size_t)__builtin_ctz(m);
                goto found;
            }
            i += 16;
        }
#else
        const uint64_t ones = 0x0101010101010101u, high = ones * 0x80, low7 = ones * 0x7f;
        while (i + 8 <= n) {
            uint64_t w, x, m;
            memcpy(&w, t + i, 8);
            x = w & low7;
            m = (ones * (0x7f + 0x36) - x) & ~w & (x + ones * (0x7f - 0x31)) & high;
            if (m) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                i += (size_t)(__builtin_ctzll(m) >> 3);
#else
                while (!IS(t[i], C_START))
                    i++;
#endif
                goto found;
            }
            i += 8;
        }
#endif
        while (i < n && !IS(t[i], C_START))
            i++;
        if (i >= n)
            return n;
    found:
        if (i == 0 || !IS(t[i - 1], C_NOTESC))
            return i;
        i++;
    }
}

/* An enhanced code starting at t[i]; returns its length (5..9) or 0. */
static size_t esc_at(const unsigned char *t, size_t n, size_t i, int *subject, int *detail)
{
    size_t j = i + 2, k;
    int s = 0, d = 0;
    if (i + 5 > n || (t[i] != '2' && t[i] != '4' && t[i] != '5') || t[i + 1] != '.')
        return 0;
    if (i > 0 && IS(t[i - 1], C_NOTESC))
        return 0;
    /* 1 to 3 digits each; a fourth digit is no '.' and is a word byte, so it fails below */
    for (k = 0; k < 3 && j < n && IS(t[j], C_DIGIT); j++, k++)
        s = s * 10 + (t[j] - '0');
    if (k == 0 || j >= n || t[j] != '.')
        return 0;
    j++;
    for (k = 0; k < 3 && j < n && IS(t[j], C_DIGIT); j++, k++)
        d = d * 10 + (t[j] - '0');
    if (k == 0)
        return 0;
    if (j < n && (IS(t[j], C_WORD) || (t[j] == '.' && j + 1 < n && IS(t[j + 1], C_DIGIT))))
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

/* the caller knows t[i] is '2'..'5' and i + 3 <= n */
static int code_at(const unsigned char *t, size_t n, size_t i, struct esc_memo *m)
{
    unsigned char p, a;
    size_t j;
    if ((unsigned)(t[i + 1] - '0') > 5u || !IS(t[i + 2], C_DIGIT))
        return 0;
    p = i > 0 ? t[i - 1] : '\n';
    if (!IS(p, C_BEFORE))
        return 0;
    a = i + 3 < n ? t[i + 3] : ' ';
    if (!IS(a, C_AFTER)) {
        /* "550: text" at the start of a line (Yahoo's and others' "NNN: reply") */
        if (a == ':' && (p == '\n' || p == '\r') && i + 4 < n && t[i + 4] == ' ')
            return 2;
        return 0;
    }
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
    /* after a rule ("----- Transcript of session follows ----- 550 ..."): a new line
     * whose line break the caller may have folded into a space */
    if (p == '-' && j >= 3 && t[j - 2] == '-' && t[j - 3] == '-' && j < i)
        return 2;
    /* after the word "code" ("error code 550", "ResponseCode 421") */
    if (j >= 4 && j < i && (t[j - 1] | 0x20) == 'e' && (t[j - 2] | 0x20) == 'd' &&
        (t[j - 3] | 0x20) == 'o' && (t[j - 4] | 0x20) == 'c')
        return 1;
    if (IS(p, C_SEP))
        return 1;
    /* after a comma and a space ("[192.0.2.5], 550 ..."): plausible, never sure */
    if (p == ',' && j < i)
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
    for (i = 0; (i = next_start(t, i, len)) < len; i++) {
        int k, s, d;
        size_t n;
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
            /* nothing later can change the answer: a failure code is sure (no code is looked
             * for any more) and either this candidate ranks best or no slot is left */
            if (code >= 400 &&
                ((cand[nc - 1].cls == code / 100 && cand[nc - 1].specific) || nc == ESC_CANDIDATES))
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

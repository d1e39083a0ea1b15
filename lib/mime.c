/* A small, forgiving MIME walker for bounce messages.
 *
 * The input is copied once into a normalised buffer (CRLF and CR become LF, NUL becomes
 * a space); every part then points into that copy. Nesting, part count and decoded sizes
 * are bounded; reaching a bound sets a warning bit instead of failing. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "mime.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>

static int is_wsp(int c) { return c == ' ' || c == '\t'; }

static size_t line_end(const char *p, size_t len, size_t pos)
{
    const char *e = memchr(p + pos, '\n', len - pos);
    return e ? (size_t)(e - p) : len;
}

/* ---------- normalisation ---------- */

static int normalise(bounce__mime *m, const char *buf, size_t len)
{
    size_t i, o = 0;
    char *t = bounce__malloc(len + 1);
    if (!t)
        return -1;
    if (!memchr(buf, '\r', len) && !memchr(buf, '\0', len)) {
        memcpy(t, buf, len);
        t[len] = '\0';
        m->text = t;
        m->len = len;
        return 0;
    }
    for (i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '\r') {
            t[o++] = '\n';
            if (i + 1 < len && buf[i + 1] == '\n')
                i++;
        } else if (c == '\0') {
            t[o++] = ' ';
            m->warnings |= BOUNCE__MIME_W_NUL;
        } else {
            t[o++] = c;
        }
    }
    t[o] = '\0';
    m->text = t;
    m->len = o;
    return 0;
}

/* ---------- headers ---------- */

/* Does the line look like "Name: value"? */
static int header_line(const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n && i < 80; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == ':')
            return i > 0;
        if (c <= ' ' || c >= 127) {
            /* allow "Name :" */
            if (c == ' ' && i > 0) {
                size_t j = i;
                while (j < n && p[j] == ' ')
                    j++;
                return j < n && p[j] == ':';
            }
            return 0;
        }
    }
    return 0;
}

/* Split an entity into header block and body. */
static void split_entity(const char *p, size_t len, size_t *hlen, size_t *body_off)
{
    size_t pos = 0;
    int any = 0;
    while (pos < len) {
        size_t e = line_end(p, len, pos);
        size_t n = e - pos;
        if (n == 0) { /* blank line ends the header block */
            *hlen = pos;
            *body_off = e < len ? e + 1 : len;
            return;
        }
        if (is_wsp(p[pos]) && any) {
            /* continuation line; a whitespace-only line also ends the block */
            size_t k = pos;
            while (k < e && is_wsp(p[k]))
                k++;
            if (k == e) {
                *hlen = pos;
                *body_off = e < len ? e + 1 : len;
                return;
            }
        } else if (!header_line(p + pos, n)) {
            if (!any && n >= 5 && memcmp(p + pos, "From ", 5) == 0) {
                /* mbox separator line before the headers */
            } else {
                *hlen = pos;
                *body_off = pos;
                return;
            }
        } else {
            any = 1;
        }
        pos = e < len ? e + 1 : len;
    }
    *hlen = len;
    *body_off = len;
}

const char *bounce__mime_header_raw(const char *hdr, size_t hlen, const char *name,
                                    size_t *vlen)
{
    size_t nlen = strlen(name), pos = 0;
    while (pos < hlen) {
        size_t e = line_end(hdr, hlen, pos);
        if (!is_wsp(hdr[pos]) && e - pos > nlen && bounce__strncaseeq(hdr + pos, nlen, name)) {
            size_t k = pos + nlen;
            while (k < e && hdr[k] == ' ')
                k++;
            if (k < e && hdr[k] == ':') {
                size_t v = k + 1, end = e;
                while (v < e && is_wsp(hdr[v]))
                    v++;
                /* continuation lines */
                while (end < hlen && end + 1 < hlen && is_wsp(hdr[end + 1]))
                    end = line_end(hdr, hlen, end + 1);
                while (end > v && (is_wsp(hdr[end - 1]) || hdr[end - 1] == '\n'))
                    end--;
                *vlen = end > v ? end - v : 0;
                return hdr + v;
            }
        }
        pos = e < hlen ? e + 1 : hlen;
    }
    *vlen = 0;
    return NULL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static const signed char b64tab[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,
    ['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
    ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
    ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
    ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
    ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
    ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
    ['/'] = 64, ['-'] = 63, ['_'] = 64};

/* base64 decode, appending at most cap bytes; returns 1 if cut, -1 nomem */
static int b64_decode(const char *s, size_t n, bounce__buf *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t i, start = out->len;
    if (bounce__buf_reserve(out, (n / 4) * 3 + 3 < cap ? (n / 4) * 3 + 3 : cap) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        int v = b64tab[(unsigned char)s[i]];
        if (s[i] == '=')
            break;
        if (!v)
            continue;
        acc = (acc << 6) | (uint32_t)(v - 1);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (out->len - start >= cap)
                return 1;
            if (bounce__buf_putc(out, (char)((acc >> bits) & 0xff)) < 0)
                return -1;
        }
    }
    return 0;
}

static int qp_decode(const char *s, size_t n, bounce__buf *out, size_t cap, int header)
{
    size_t i, start = out->len;
    if (bounce__buf_reserve(out, n < cap ? n : cap) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (out->len - start >= cap)
            return 1;
        if (c == '=' && i + 1 < n) {
            int h, l;
            if (s[i + 1] == '\n') {
                i++;
                continue;
            }
            /* "=  \n": soft break with trailing blanks */
            if (is_wsp(s[i + 1])) {
                size_t k = i + 1;
                while (k < n && is_wsp(s[k]))
                    k++;
                if (k == n || s[k] == '\n') {
                    i = k;
                    continue;
                }
            }
            if (i + 2 < n && (h = hexval(s[i + 1])) >= 0 && (l = hexval(s[i + 2])) >= 0) {
                c = (char)(h * 16 + l);
                i += 2;
            }
        } else if (c == '_' && header) {
            c = ' ';
        }
        if (bounce__buf_putc(out, c) < 0)
            return -1;
    }
    return 0;
}

static int is_utf8_name(const char *cs)
{
    return !cs[0] || !strcmp(cs, "utf-8") || !strcmp(cs, "utf8") || !strcmp(cs, "us-ascii") ||
           !strcmp(cs, "ascii") || !strcmp(cs, "ansi_x3.4-1968");
}

static const char *charset_alias(const char *cs)
{
    static const struct {
        const char *from, *to;
    } tab[] = {{"x-sjis", "SHIFT_JIS"},        {"shift-jis", "SHIFT_JIS"},
               {"sjis", "SHIFT_JIS"},          {"ks_c_5601-1987", "CP949"},
               {"gb2312", "GB18030"},          {"gbk", "GB18030"},
               {"iso-8859-1", "WINDOWS-1252"}, {"latin1", "WINDOWS-1252"},
               {"unicode-1-1-utf-7", "UTF-7"}, {"x-unknown", "WINDOWS-1252"},
               {"iso-2022-jp", "ISO-2022-JP-2"}, {"euc-jp", "EUC-JP-MS"}};
    size_t i;
    for (i = 0; i < BOUNCE__ARRAY_LEN(tab); i++)
        if (!strcmp(cs, tab[i].from))
            return tab[i].to;
    return cs;
}

int bounce__mime_to_utf8(const char *charset, const char *s, size_t n, bounce__buf *out)
{
    iconv_t cd;
    size_t i;
    char lc[40];
    int ascii = 1, eight = 0, jis = 0;

    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] >= 0x80)
            ascii = 0, eight = 1;
        else if (s[i] == 0x1b) {
            ascii = 0;
            if (i + 2 < n && (s[i + 1] == '$' || s[i + 1] == '('))
                jis = 1;
        }
    }
    for (i = 0; charset && charset[i] && i + 1 < sizeof(lc); i++)
        lc[i] = (char)bounce__ascii_lower((unsigned char)charset[i]);
    lc[i] = '\0';
    /* 7-bit text with ISO-2022 escapes (ESC $ B ... ESC ( B) under no charset, US-ASCII or
     * UTF-8: Japanese mailers (Domino, carriers) write ISO-2022-JP into fields and parts
     * that do not declare it, such as a delivery-status Diagnostic-Code */
    if (jis && !eight && strncmp(lc, "iso-2022", 8) != 0)
        strcpy(lc, "iso-2022-jp");
    else if (ascii || is_utf8_name(lc))
        return bounce__buf_append(out, s, n);
    cd = iconv_open("UTF-8", charset_alias(lc));
    if (cd == (iconv_t)-1) {
        if (bounce__buf_append(out, s, n) < 0)
            return -1;
        return 1;
    }
    {
        char *in = (char *)s;
        size_t inleft = n;
        while (inleft > 0) {
            char *op;
            size_t room, r;
            if (bounce__buf_reserve(out, inleft * 2 + 16) < 0) {
                iconv_close(cd);
                return -1;
            }
            op = out->p + out->len;
            room = out->cap - out->len - 1;
            r = iconv(cd, &in, &inleft, &op, &room);
            out->len = (size_t)(op - out->p);
            if (r == (size_t)-1) {
                if (errno == E2BIG)
                    continue;
                if (errno == EILSEQ) {
                    if (bounce__buf_append(out, "\xef\xbf\xbd", 3) < 0) {
                        iconv_close(cd);
                        return -1;
                    }
                    in++;
                    inleft--;
                    continue;
                }
                break; /* EINVAL: incomplete sequence at the end */
            }
        }
    }
    iconv_close(cd);
    return 0;
}

/* Decode one encoded word's text (charset, B/Q) and append as UTF-8. 0 if it was not a
 * valid encoded word. */
static int encoded_word(const char *s, size_t n, size_t *used, bounce__buf *out)
{
    /* =?charset?X?text?= */
    size_t i = 2, cs_end, t_start, t_end;
    char cs[40];
    char enc;
    bounce__buf tmp = {0};
    int r;
    if (n < 7 || s[0] != '=' || s[1] != '?')
        return 0;
    while (i < n && s[i] != '?' && !is_wsp(s[i]) && s[i] != '\n')
        i++;
    if (i >= n || s[i] != '?' || i - 2 >= sizeof(cs) || i == 2)
        return 0;
    cs_end = i;
    if (i + 2 >= n || s[i + 2] != '?')
        return 0;
    enc = (char)bounce__ascii_lower((unsigned char)s[i + 1]);
    if (enc != 'b' && enc != 'q')
        return 0;
    t_start = i + 3;
    for (t_end = t_start; t_end + 1 < n; t_end++) {
        if (s[t_end] == '?' && s[t_end + 1] == '=')
            break;
        if (s[t_end] == '\n')
            return 0;
        /* the next word's "=?" (not "=?=", the padding before "?="): this one never
         * ends, and stopping here keeps a header of endless words linear */
        if (s[t_end] == '=' && s[t_end + 1] == '?' && (t_end + 2 >= n || s[t_end + 2] != '='))
            return 0;
    }
    if (t_end + 1 >= n)
        return 0;
    memcpy(cs, s + 2, cs_end - 2);
    cs[cs_end - 2] = '\0';
    {
        char *star = strchr(cs, '*'); /* RFC 2231 language */
        if (star)
            *star = '\0';
    }
    if (enc == 'b')
        r = b64_decode(s + t_start, t_end - t_start, &tmp, BOUNCE__MIME_MAX_DECODED);
    else
        r = qp_decode(s + t_start, t_end - t_start, &tmp, BOUNCE__MIME_MAX_DECODED, 1);
    if (r >= 0 && tmp.len)
        r = bounce__mime_to_utf8(cs, tmp.p, tmp.len, out);
    bounce__buf_free(&tmp);
    if (r < 0)
        return -1;
    *used = t_end + 2;
    return 1;
}

int bounce__mime_decode_words(const char *s, size_t n, bounce__buf *out)
{
    size_t i = 0;
    int last_word = 0;
    size_t pending_ws = 0; /* whitespace seen but not yet written */
    while (i < n) {
        char c = s[i];
        if (c == '\n' || is_wsp(c)) {
            pending_ws++;
            i++;
            continue;
        }
        if (c == '=' && i + 1 < n && s[i + 1] == '?') {
            size_t used = 0;
            int r;
            if (pending_ws && !last_word && out->len > 0 && bounce__buf_putc(out, ' ') < 0)
                return -1;
            if (!last_word)
                pending_ws = 0;
            r = encoded_word(s + i, n - i, &used, out);
            if (r < 0)
                return -1;
            if (r > 0) {
                /* whitespace between two encoded words is dropped */
                i += used;
                last_word = 1;
                pending_ws = 0;
                continue;
            }
        }
        if (pending_ws && out->len > 0) {
            if (bounce__buf_putc(out, ' ') < 0)
                return -1;
        }
        pending_ws = 0;
        last_word = 0;
        if (bounce__buf_putc(out, c) < 0)
            return -1;
        i++;
    }
    return 0;
}

int bounce__mime_header(const char *hdr, size_t hlen, const char *name, bounce__buf *out)
{
    size_t vlen;
    const char *v = bounce__mime_header_raw(hdr, hlen, name, &vlen);
    if (!v)
        return 0;
    if (bounce__mime_decode_words(v, vlen, out) < 0)
        return -1;
    return 1;
}

int bounce__mime_param(const char *v, size_t vlen, const char *param, char *out, size_t outsz,
                       int lower)
{
    size_t plen = strlen(param), i = 0;
    int inq = 0;
    while (i < vlen) {
        /* find the next ';' outside quotes */
        if (v[i] == '"')
            inq = !inq;
        if (v[i] == ';' && !inq) {
            size_t k = i + 1, o = 0;
            while (k < vlen && (is_wsp(v[k]) || v[k] == '\n'))
                k++;
            if (k + plen < vlen && bounce__strncaseeq(v + k, plen, param)) {
                size_t j = k + plen;
                while (j < vlen && is_wsp(v[j]))
                    j++;
                if (j < vlen && v[j] == '*') /* RFC 2231 param*=charset''value: take it raw */
                    while (j < vlen && v[j] != '=')
                        j++;
                if (j < vlen && v[j] == '=') {
                    j++;
                    while (j < vlen && is_wsp(v[j]))
                        j++;
                    if (j < vlen && v[j] == '"') {
                        j++;
                        while (j < vlen && v[j] != '"' && v[j] != '\n') {
                            if (v[j] == '\\' && j + 1 < vlen)
                                j++;
                            if (o + 1 < outsz)
                                out[o++] = lower ? (char)bounce__ascii_lower((unsigned char)v[j])
                                                 : v[j];
                            j++;
                        }
                    } else {
                        while (j < vlen && v[j] != ';' && !is_wsp(v[j]) && v[j] != '\n') {
                            if (o + 1 < outsz)
                                out[o++] = lower ? (char)bounce__ascii_lower((unsigned char)v[j])
                                                 : v[j];
                            j++;
                        }
                    }
                    out[o] = '\0';
                    return (int)o;
                }
            }
        }
        i++;
    }
    if (outsz)
        out[0] = '\0';
    return -1;
}

int bounce__mime_decode(const bounce__mime_part *p, bounce__buf *out, size_t cap)
{
    bounce__buf tmp = {0};
    int r = 0, cut = 0;
    const char *src = p->body;
    size_t n = p->body_len;
    if (p->encoding == BOUNCE__MIME_ENC_BASE64)
        r = b64_decode(p->body, p->body_len, &tmp, cap);
    else if (p->encoding == BOUNCE__MIME_ENC_QP)
        r = qp_decode(p->body, p->body_len, &tmp, cap, 0);
    else if (n > cap) {
        n = cap;
        cut = 1;
    }
    if (r < 0) {
        bounce__buf_free(&tmp);
        return -1;
    }
    if (r > 0)
        cut = 1;
    if (p->encoding != BOUNCE__MIME_ENC_IDENTITY) {
        src = tmp.p ? tmp.p : "";
        n = tmp.len;
        /* decoded text may use CRLF again */
        {
            size_t i, o = 0;
            for (i = 0; i < n; i++) {
                char c = tmp.p[i];
                if (c == '\r') {
                    c = '\n';
                    if (i + 1 < n && tmp.p[i + 1] == '\n')
                        i++;
                } else if (c == '\0') {
                    c = ' ';
                }
                tmp.p[o++] = c;
            }
            n = o;
        }
    }
    r = bounce__mime_to_utf8(p->charset, src, n, out);
    bounce__buf_free(&tmp);
    if (r < 0)
        return -1;
    return cut;
}

/* ---------- the walk ---------- */

static void lower_copy(char *dst, size_t dsz, const char *s, size_t n)
{
    size_t i, o = 0;
    for (i = 0; i < n && o + 1 < dsz; i++) {
        char c = s[i];
        if (c == ';' || is_wsp(c) || c == '\n')
            break;
        dst[o++] = (char)bounce__ascii_lower((unsigned char)c);
    }
    dst[o] = '\0';
}

static int add_part(bounce__mime *m, bounce__mime_part **out)
{
    if (m->nparts >= BOUNCE__MIME_MAX_PARTS) {
        m->warnings |= BOUNCE__MIME_W_PARTS;
        *out = NULL;
        return 0;
    }
    if (m->nparts == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 8;
        bounce__mime_part *np = bounce__realloc(m->parts, nc * sizeof(*np));
        if (!np)
            return -1;
        m->parts = np;
        m->cap = nc;
    }
    *out = &m->parts[m->nparts++];
    memset(*out, 0, sizeof(**out));
    return 0;
}

static int walk(bounce__mime *m, const char *p, size_t len, int depth, int parent,
                int embedded);

static int walk_multipart(bounce__mime *m, const char *body, size_t blen, const char *bnd,
                          size_t bl, int depth, int self, int embedded)
{
    size_t pos = 0, part_start = 0;
    int in_part = 0, closed = 0, seen = 0;
    while (pos < blen) {
        size_t e = line_end(body, blen, pos);
        size_t n = e - pos;
        if (n >= bl + 2 && body[pos] == '-' && body[pos + 1] == '-' &&
            memcmp(body + pos + 2, bnd, bl) == 0) {
            int close = n >= bl + 4 && body[pos + 2 + bl] == '-' && body[pos + 3 + bl] == '-';
            seen = 1;
            if (in_part) {
                size_t end = pos > part_start ? pos - 1 : part_start; /* drop the LF */
                if (walk(m, body + part_start, end - part_start, depth + 1, self, embedded) < 0)
                    return -1;
            }
            if (close) {
                closed = 1;
                in_part = 0;
                break;
            }
            in_part = 1;
            part_start = e < blen ? e + 1 : blen;
        }
        pos = e < blen ? e + 1 : blen;
    }
    if (in_part && part_start < blen) {
        if (walk(m, body + part_start, blen - part_start, depth + 1, self, embedded) < 0)
            return -1;
    }
    if (!seen)
        m->warnings |= BOUNCE__MIME_W_NOBOUNDARY;
    else if (!closed)
        m->warnings |= BOUNCE__MIME_W_UNCLOSED;
    return 0;
}

static int walk(bounce__mime *m, const char *p, size_t len, int depth, int parent, int embedded)
{
    bounce__mime_part *part;
    size_t hlen, boff, vlen;
    const char *v;
    int self;
    char bnd[80];
    int bl = -1;

    if (depth > BOUNCE__MIME_MAX_DEPTH) {
        m->warnings |= BOUNCE__MIME_W_DEPTH;
        return 0;
    }
    if (add_part(m, &part) < 0)
        return -1;
    if (!part)
        return 0;
    self = (int)(part - m->parts);
    split_entity(p, len, &hlen, &boff);
    part->hdr = p;
    part->hdr_len = hlen;
    part->body = p + boff;
    part->body_len = len - boff;
    part->depth = depth;
    part->parent = parent;
    part->embedded = embedded;
    strcpy(part->type, "text/plain");
    if (depth == 0 && hlen == 0)
        m->warnings |= BOUNCE__MIME_W_NOHEADER;

    v = bounce__mime_header_raw(p, hlen, "content-type", &vlen);
    if (v && vlen) {
        char t[64];
        lower_copy(t, sizeof(t), v, vlen);
        if (strchr(t, '/'))
            strcpy(part->type, t);
        bounce__mime_param(v, vlen, "charset", part->charset, sizeof(part->charset), 1);
        if (!strncmp(part->type, "multipart/", 10))
            bl = bounce__mime_param(v, vlen, "boundary", bnd, sizeof(bnd), 0);
    }
    v = bounce__mime_header_raw(p, hlen, "content-transfer-encoding", &vlen);
    if (v && vlen) {
        char t[32];
        lower_copy(t, sizeof(t), v, vlen);
        if (!strcmp(t, "base64"))
            part->encoding = BOUNCE__MIME_ENC_BASE64;
        else if (!strcmp(t, "quoted-printable"))
            part->encoding = BOUNCE__MIME_ENC_QP;
    }
    v = bounce__mime_header_raw(p, hlen, "content-disposition", &vlen);
    if (v && vlen >= 10 && bounce__strncaseeq(v, 10, "attachment"))
        part->attachment = 1;

    /* part may move when the array grows: use indexes from here on */
    if (!strncmp(m->parts[self].type, "multipart/", 10)) {
        const char *body = m->parts[self].body;
        size_t blen = m->parts[self].body_len;
        if (bl <= 0) {
            m->warnings |= BOUNCE__MIME_W_NOBOUNDARY;
            strcpy(m->parts[self].type, "text/plain");
            return 0;
        }
        if (depth + 1 > BOUNCE__MIME_MAX_DEPTH) {
            m->warnings |= BOUNCE__MIME_W_DEPTH;
            return 0;
        }
        {
            size_t before = m->nparts;
            if (walk_multipart(m, body, blen, bnd, (size_t)bl, depth, self, embedded) < 0)
                return -1;
            if (m->nparts == before) /* no delimiter at all: read the body as text */
                strcpy(m->parts[self].type, "text/plain");
            return 0;
        }
    }
    if (!strcmp(m->parts[self].type, "message/rfc822") ||
        !strcmp(m->parts[self].type, "message/global") ||
        !strcmp(m->parts[self].type, "message/partial")) {
        if (m->parts[self].encoding != BOUNCE__MIME_ENC_IDENTITY)
            return 0;
        return walk(m, m->parts[self].body, m->parts[self].body_len, depth + 1, self, 1);
    }
    return 0;
}

int bounce__mime_parse(bounce__mime *m, const char *buf, size_t len)
{
    size_t start = 0;
    memset(m, 0, sizeof(*m));
    if (normalise(m, buf, len) < 0)
        return -1;
    while (start < m->len && (m->text[start] == '\n' || is_wsp(m->text[start])))
        start++;
    if (walk(m, m->text + start, m->len - start, 0, -1, 0) < 0) {
        bounce__mime_free(m);
        return -1;
    }
    return 0;
}

void bounce__mime_free(bounce__mime *m)
{
    if (!m)
        return;
    bounce__free(m->text);
    bounce__free(m->parts);
    m->text = NULL;
    m->parts = NULL;
    m->nparts = m->cap = 0;
}

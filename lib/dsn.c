/* Bounce messages: RFC 3464 / RFC 6533 delivery status notifications, the non-standard
 * NDR layouts real MTAs send, ARF feedback reports (RFC 5965) and auto-replies (RFC 3834).
 *
 * Flow: the MIME walker normalises the message once; then, in order of trust:
 *   1. message/delivery-status parts (or DSN fields found in the text),
 *   2. message/feedback-report parts,
 *   3. the human-readable text of an NDR: recipient addresses standing at the start of
 *      a line (or after a label) with the error text that follows them,
 *   4. auto-reply markers.
 * Every recipient becomes one record, classified with the KB. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "mime.h"

#define MAX_RCPTS 10000
#define TEXT_CAP (256u * 1024u) /* decoded human text kept per message */
#define DIAG_CAP 2048           /* diagnostic text kept per recipient */
#define DS_CAP (8u * 1024u * 1024u) /* delivery-status fields kept per message */
#define STAGE_SCAN_CAP (16u * 1024u * 1024u) /* text bytes searched for addresses per message */
#define MAX_WARNINGS 32
#define EXCL_HDRS 5 /* top-level headers whose address is not a recipient */

struct bounce_dsn {
    int kind;
    char *field[BOUNCE_DSN_FIELD_COUNT_];
    bounce_record_t *rec;
    size_t nrec, caprec;
    char *warn[MAX_WARNINGS];
    size_t nwarn;
};

typedef struct cand {
    const char *addr; /* into the text buffer */
    size_t alen;
    const char *diag;
    size_t dlen;
    size_t line_off;  /* offset of the line holding the address */
    int weak;         /* found inside a sentence, not standing at a line start */
} cand;

/* Open-addressing hash set of addresses (candidates or records, by index), compared as
 * addr_eq compares them: same length, ASCII case ignored. Built per parse, so that each
 * duplicate check is O(1) on average (comparing each address with every earlier one took
 * 1.2 s for 28000 addresses on one line of a 256 KB text). */
typedef struct aslot {
    size_t hash;
    size_t idx; /* index + 1; 0: empty */
} aslot;

typedef struct aset {
    aslot *s;
    size_t cap, n; /* cap: 0 or a power of two, at least twice n */
} aset;

typedef struct ctx {
    bounce_dsn_t *d;
    const bounce_kb_t *kb;
    const char *name;
    bounce__mime m;
    const char *top;      /* top-level header block */
    size_t top_len;
    bounce__buf text;     /* human-readable text, UTF-8 */
    size_t human_len;     /* length of the part before the returned message */
    const char *orig;     /* header block of the returned message */
    size_t orig_len;
    bounce__buf ds;       /* decoded delivery-status fields */
    bounce__buf fb;       /* decoded feedback-report fields */
    bounce__buf tmp;
    cand *c;
    size_t nc, capc;
    size_t *offs;         /* the candidates' line offsets, sorted (by cand_diags) */
    size_t noffs;
    aset cset;            /* the candidates c[0..nc) */
    aset rset;            /* the recipients of d->rec[0..rset_n) */
    size_t rset_n;
    int capped;
    int scan_weak;        /* candidates being added come from the loose scan */
    const char *excl[EXCL_HDRS]; /* excluded(): the top header's To, From, ... addresses */
    size_t excl_len[EXCL_HDRS];
    int excl_done;
    int64_t date;         /* Date of the bounce */
    int expiry;           /* queue-lifetime notice: 0 not checked, 1 no, 2 yes */
    size_t stage_scan;    /* text bytes stage_from_text / transcript_stage searched so far */
    size_t transcript;    /* the first "<<< " in the text, + 1; 0: not looked for; SIZE_MAX: none */
    int json_records;     /* records from a JSON notification: each has its own text */
    char lc[8192];        /* the start of the human text in lower case (head_lc) */
    size_t lc_n;          /* its length; SIZE_MAX: not made yet */
} ctx;

/* ------------------------------------------------------------------ small helpers */

static int is_wsp(int c) { return c == ' ' || c == '\t'; }
static int is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static size_t line_end(const char *p, size_t len, size_t pos)
{
    const char *e = memchr(p + pos, '\n', len - pos);
    return e ? (size_t)(e - p) : len;
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_space((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_space((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static int starts_ci(const char *s, size_t n, const char *pre)
{
    size_t k = strlen(pre);
    return n >= k && bounce__strncaseeq(s, k, pre);
}

/* Case-insensitive search of a lower-case needle; memchr finds the candidates. The next
 * lower- and upper-case candidates are kept until passed, so each byte is scanned once per
 * case (re-scanning the rest for each candidate was quadratic: "MMMM..." vs "mailer-daemon"). */
static const char *find_ci(const char *s, size_t n, const char *needle)
{
    size_t nl = strlen(needle), pos = 0;
    int lo = (unsigned char)needle[0], up = lo >= 'a' && lo <= 'z' ? lo - 32 : lo;
    const char *end, *a = NULL, *b = NULL; /* end: no candidate left */
    if (nl == 0)
        return s;
    if (nl > n)
        return NULL;
    end = s + n - nl + 1;
    while (pos + nl <= n) {
        const char *p;
        size_t i;
        if (!a || a < s + pos) {
            a = memchr(s + pos, lo, (size_t)(end - (s + pos)));
            a = a ? a : end;
        }
        if (up == lo)
            b = end;
        else if (!b || b < s + pos) {
            b = memchr(s + pos, up, (size_t)(end - (s + pos)));
            b = b ? b : end;
        }
        p = b < a ? b : a;
        if (p == end)
            return NULL;
        for (i = 1; i < nl; i++)
            if (bounce__ascii_lower((unsigned char)p[i]) != (unsigned char)needle[i])
                break;
        if (i == nl)
            return p;
        pos = (size_t)(p - s) + 1;
    }
    return NULL;
}

static int contains_ci(const char *s, size_t n, const char *needle)
{
    return find_ci(s, n, needle) != NULL;
}

/* Lower-case copy of at most cap bytes of s; returns its length. */
static size_t lower_into(char *dst, size_t cap, const char *s, size_t n)
{
    size_t i;
    if (n > cap)
        n = cap;
    for (i = 0; i < n; i++)
        dst[i] = (char)bounce__ascii_lower((unsigned char)s[i]);
    return n;
}

/* Search in an already lower-cased text: one memchr per candidate position. */
static int lc_has(const char *s, size_t n, const char *needle)
{
    size_t nl = strlen(needle), pos = 0;
    while (pos + nl <= n) {
        const char *p = memchr(s + pos, needle[0], n - pos - nl + 1);
        if (!p)
            return 0;
        if (memcmp(p, needle, nl) == 0)
            return 1;
        pos = (size_t)(p - s) + 1;
    }
    return 0;
}

/* Does the first `n` bytes (at most 8192) of the human text hold `needle` (lower case)? The
 * lower-case copy is made once per message for all the notices' word lists. */
static int head_has(ctx *c, size_t n, const char *needle)
{
    if (c->lc_n == SIZE_MAX)
        c->lc_n = lower_into(c->lc, sizeof c->lc, c->text.p ? c->text.p : "", c->human_len);
    return lc_has(c->lc, n < c->lc_n ? n : c->lc_n, needle);
}

static int add_warning(bounce_dsn_t *d, const char *msg)
{
    size_t i;
    for (i = 0; i < d->nwarn; i++)
        if (!strcmp(d->warn[i], msg))
            return 0;
    if (d->nwarn >= MAX_WARNINGS)
        return 0;
    d->warn[d->nwarn] = bounce__strdup(msg);
    if (!d->warn[d->nwarn])
        return -1;
    d->nwarn++;
    return 0;
}

static int set_field(bounce_dsn_t *d, int f, const char *s, size_t n)
{
    if (d->field[f] || !s)
        return 0;
    trim(&s, &n);
    if (!n)
        return 0;
    d->field[f] = bounce__strndup(s, n);
    return d->field[f] ? 0 : -1;
}

/* Header value (unfolded, RFC 2047-decoded) into d->field[f]. */
static int set_field_hdr(ctx *c, int f, const char *hdr, size_t hlen, const char *name)
{
    int r;
    c->tmp.len = 0;
    r = bounce__mime_header(hdr, hlen, name, &c->tmp);
    if (r <= 0)
        return r;
    return set_field(c->d, f, c->tmp.p, c->tmp.len);
}

/* s[0..n) into b with every whitespace run as one space (none at the ends), at most
 * about cap bytes; NUL-terminated. 0 ok, -1 out of memory. */
static int squeeze_into(bounce__buf *b, const char *s, size_t n, size_t cap)
{
    size_t i;
    int sp = 0;
    b->len = 0;
    for (i = 0; i < n && b->len < cap; i++) {
        char ch = s[i];
        if (is_space((unsigned char)ch)) {
            sp = 1;
            continue;
        }
        if (sp && b->len && bounce__buf_putc(b, ' ') < 0)
            return -1;
        sp = 0;
        if (bounce__buf_putc(b, ch) < 0)
            return -1;
    }
    return bounce__buf_terminate(b);
}

/* Unfolded raw header value into c->tmp (no RFC 2047 decoding); 1 found, 0 absent. */
static int hdr_value(ctx *c, const char *hdr, size_t hlen, const char *name)
{
    size_t vlen;
    const char *v = bounce__mime_header_raw(hdr, hlen, name, &vlen);
    c->tmp.len = 0;
    if (!v)
        return 0;
    return squeeze_into(&c->tmp, v, vlen, SIZE_MAX) < 0 ? -1 : 1;
}

/* ------------------------------------------------------------------ dates */

static int64_t parse_date(const char *s, size_t n)
{
    static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    size_t i = 0;
    int day = -1, mon = -1, year = -1, hh = 0, mm = 0, ss = 0, tz = 0;
    int64_t t;
    /* optional day name */
    while (i < n && is_space((unsigned char)s[i]))
        i++;
    if (i < n && !(s[i] >= '0' && s[i] <= '9')) {
        while (i < n && s[i] != ',' && !is_space((unsigned char)s[i]))
            i++;
        if (i < n && s[i] == ',')
            i++;
        while (i < n && is_space((unsigned char)s[i]))
            i++;
    }
    if (i < n && s[i] >= '0' && s[i] <= '9') {
        day = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && day < 100)
            day = day * 10 + (s[i++] - '0');
    }
    while (i < n && (is_space((unsigned char)s[i]) || s[i] == '-'))
        i++;
    if (i + 3 <= n) {
        int k;
        for (k = 0; k < 12; k++)
            if (bounce__ascii_lower((unsigned char)s[i]) == months[k * 3] &&
                bounce__ascii_lower((unsigned char)s[i + 1]) == months[k * 3 + 1] &&
                bounce__ascii_lower((unsigned char)s[i + 2]) == months[k * 3 + 2])
                mon = k + 1;
        while (i < n && !is_space((unsigned char)s[i]) && s[i] != '-')
            i++;
    }
    while (i < n && (is_space((unsigned char)s[i]) || s[i] == '-'))
        i++;
    if (i < n && s[i] >= '0' && s[i] <= '9') {
        int digits = 0;
        year = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 5) {
            year = year * 10 + (s[i++] - '0');
            digits++;
        }
        if (digits <= 2)
            year += year < 50 ? 2000 : 1900;
    }
    while (i < n && is_space((unsigned char)s[i]))
        i++;
    if (i + 5 <= n && s[i + 2] == ':') {
        hh = (s[i] - '0') * 10 + (s[i + 1] - '0');
        mm = (s[i + 3] - '0') * 10 + (s[i + 4] - '0');
        i += 5;
        if (i + 3 <= n && s[i] == ':') {
            ss = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
            i += 3;
        }
    }
    while (i < n && is_space((unsigned char)s[i]))
        i++;
    if (i + 5 <= n && (s[i] == '+' || s[i] == '-')) {
        int v = 0, k;
        for (k = 1; k <= 4; k++)
            v = v * 10 + (s[i + k] >= '0' && s[i + k] <= '9' ? s[i + k] - '0' : 0);
        tz = (v / 100) * 3600 + (v % 100) * 60;
        if (s[i] == '-')
            tz = -tz;
    }
    if (day < 1 || day > 31 || mon < 1 || year < 1970 || year > 9999 || hh > 23 || mm > 59 ||
        ss > 60 || hh < 0 || mm < 0 || ss < 0)
        return INT64_MIN;
    t = bounce__timegm(year, mon, day, hh, mm, ss);
    return t - tz;
}

/* ------------------------------------------------------------------ addresses */

static int local_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch >= 0x80 || (ch && strchr(".!#$%&'*+/=?^_`{|}~-", ch) != NULL);
}

static int domain_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch >= 0x80 || ch == '.' || ch == '-' || ch == '_';
}

/* Find the address around the '@' at s[at]; returns 1 and its span if valid. */
static int addr_at(const char *s, size_t n, size_t at, size_t *b, size_t *e)
{
    size_t i = at, j = at + 1;
    int dot = 0;
    while (i > 0 && local_char((unsigned char)s[i - 1]))
        i--;
    while (i < at && (s[i] == '.' || s[i] == '\'' || s[i] == '=')) /* leading junk */
        i++;
    if (i == at || at - i > 128)
        return 0;
    if (j < n && s[j] == '[') { /* address literal */
        while (j < n && s[j] != ']' && j - at < 64)
            j++;
        if (j >= n || s[j] != ']')
            return 0;
        *b = i;
        *e = j + 1;
        return 1;
    }
    while (j < n && domain_char((unsigned char)s[j])) {
        if (s[j] == '.')
            dot = 1;
        j++;
    }
    while (j > at + 1 && (s[j - 1] == '.' || s[j - 1] == '-'))
        j--;
    if (j == at + 1 || !dot || j - at > 255)
        return 0;
    if (memchr(s + at + 1, '.', j - at - 1) == NULL)
        return 0;
    *b = i;
    *e = j;
    return 1;
}

static int addr_eq(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i;
    if (an != bn)
        return 0;
    for (i = 0; i < an; i++)
        if (bounce__ascii_lower((unsigned char)a[i]) != bounce__ascii_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

#define ADDR_HASH_INIT UINT64_C(14695981039346656037)

/* FNV-1a of the lower-cased bytes, continued from h (ADDR_HASH_INIT to start). */
static uint64_t addr_hash_more(uint64_t h, const char *a, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (uint64_t)bounce__ascii_lower((unsigned char)a[i]);
        h *= 1099511628211u;
    }
    return h;
}

static size_t addr_hash_end(uint64_t h)
{
    return (size_t)(h ^ (h >> 32));
}

/* Equal under addr_eq, equal hash. */
static size_t addr_hash(const char *a, size_t n)
{
    return addr_hash_end(addr_hash_more(ADDR_HASH_INIT, a, n));
}

/* The address of entry idx; NULL: the entry is skipped. */
typedef const char *(*aset_key_fn)(const void *arg, size_t idx, size_t *n);

static const char *cand_key(const void *arg, size_t idx, size_t *n)
{
    const ctx *c = arg;
    *n = c->c[idx].alen;
    return c->c[idx].addr;
}

static const char *rec_key(const void *arg, size_t idx, size_t *n)
{
    const ctx *c = arg;
    return bounce__record_field(&c->d->rec[idx], BOUNCE_FIELD_RECIPIENT, n);
}

/* Whether the set holds an address equal to a[0..n) (h: its addr_hash): the index + 1 of
 * one such entry, 0 if none. */
static size_t aset_has(const aset *s, const void *arg, aset_key_fn key, size_t h, const char *a,
                       size_t n)
{
    size_t m, i;
    if (!s->cap)
        return 0;
    m = s->cap - 1;
    for (i = h & m; s->s[i].idx; i = (i + 1) & m)
        if (s->s[i].hash == h) {
            size_t kn;
            const char *k = key(arg, s->s[i].idx - 1, &kn);
            if (k && addr_eq(k, kn, a, n))
                return s->s[i].idx;
        }
    return 0;
}

static int aset_add(aset *s, size_t h, size_t idx)
{
    size_t m, i;
    if (2 * (s->n + 1) > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64, j;
        aslot *ns = bounce__calloc(nc, sizeof(*ns));
        if (!ns)
            return -1;
        for (j = 0; j < s->cap; j++)
            if (s->s[j].idx) {
                for (i = s->s[j].hash & (nc - 1); ns[i].idx; i = (i + 1) & (nc - 1))
                    ;
                ns[i] = s->s[j];
            }
        bounce__free(s->s);
        s->s = ns;
        s->cap = nc;
    }
    m = s->cap - 1;
    for (i = h & m; s->s[i].idx; i = (i + 1) & m)
        ;
    s->s[i].hash = h;
    s->s[i].idx = idx + 1;
    s->n++;
    return 0;
}

/* Clean an address field: "rfc822; <a@b>" -> "a@b". */
static void clean_addr(const char **s, size_t *n)
{
    const char *semi;
    trim(s, n);
    semi = memchr(*s, ';', *n);
    if (semi && semi - *s < 16) {
        *n -= (size_t)(semi + 1 - *s);
        *s = semi + 1;
        trim(s, n);
    }
    if (*n && **s == '<') {
        const char *gt = memchr(*s, '>', *n);
        (*s)++;
        *n = gt ? (size_t)(gt - *s) : *n - 1;
    }
    {
        /* "Name <a@b>" */
        const char *lt = memchr(*s, '<', *n);
        if (lt) {
            const char *gt = memchr(lt, '>', *n - (size_t)(lt - *s));
            if (gt && memchr(lt, '@', (size_t)(gt - lt))) {
                *n = (size_t)(gt - lt - 1);
                *s = lt + 1;
            }
        }
    }
    trim(s, n);
    while (*n && ((*s)[*n - 1] == '.' || (*s)[*n - 1] == '>' || (*s)[*n - 1] == ','))
        (*n)--;
    if (*n >= 2 && (**s == '"' || **s == '\'') && (*s)[*n - 1] == **s && memchr(*s, '@', *n)) {
        (*s)++;
        *n -= 2;
    }
}

static int is_system_local(const char *a, size_t n)
{
    static const char *const names[] = {"mailer-daemon", "postmaster", "mailer_daemon",
                                        "mail-daemon",   "maildaemon", "mailerdaemon"};
    const char *at = memchr(a, '@', n);
    size_t ln = at ? (size_t)(at - a) : n, i;
    for (i = 0; i < BOUNCE__ARRAY_LEN(names); i++)
        if (bounce__strncaseeq(a, ln, names[i]))
            return 1;
    return 0;
}

/* The address inside a header value (first one). */
static int header_addr(ctx *c, const char *hdr, size_t hlen, const char *name, const char **a,
                       size_t *an)
{
    size_t vlen, i;
    const char *v = bounce__mime_header_raw(hdr, hlen, name, &vlen);
    if (!v)
        return 0;
    (void)c;
    for (i = 0; i < vlen; i++)
        if (v[i] == '@') {
            size_t b, e;
            if (addr_at(v, vlen, i, &b, &e)) {
                *a = v + b;
                *an = e - b;
                return 1;
            }
        }
    return 0;
}

/* ------------------------------------------------------------------ records */

static bounce_record_t *new_record(ctx *c)
{
    bounce_dsn_t *d = c->d;
    bounce_record_t *r;
    if (d->nrec >= MAX_RCPTS) {
        c->capped = 1;
        return NULL;
    }
    if (d->nrec == d->caprec) {
        size_t nc = d->caprec ? d->caprec * 2 : 4;
        bounce_record_t *nr = bounce__realloc(d->rec, nc * sizeof(*nr));
        if (!nr)
            return NULL;
        d->rec = nr;
        d->caprec = nc;
    }
    r = &d->rec[d->nrec++];
    bounce__record_init(r);
    r->source = BOUNCE_SOURCE_DSN;
    return r;
}

/* Whether a record has the recipient a[0..n): 1 yes, 0 no, -1 out of memory. Records
 * added since the last look-up are indexed first (their recipient is set right after
 * new_record, before the next look-up); if records were dropped, all are indexed anew. */
static int find_record(ctx *c, const char *a, size_t n)
{
    const bounce_dsn_t *d = c->d;
    if (c->rset_n > d->nrec) {
        if (c->rset.cap)
            memset(c->rset.s, 0, c->rset.cap * sizeof(*c->rset.s));
        c->rset.n = 0;
        c->rset_n = 0;
    }
    for (; c->rset_n < d->nrec; c->rset_n++) {
        size_t rl;
        const char *ra = bounce__record_field(&d->rec[c->rset_n], BOUNCE_FIELD_RECIPIENT, &rl);
        if (ra && aset_add(&c->rset, addr_hash(ra, rl), c->rset_n) < 0)
            return -1;
    }
    return aset_has(&c->rset, c, rec_key, addr_hash(a, n), a, n) != 0;
}

/* The SMTP command a failure was the reply to, from the wording MTAs use around it.
 * Explicit mentions of the command come first (Postfix "(in reply to RCPT TO command)",
 * Exim "SMTP error from remote mail server after RCPT TO:<...>", "after pipelined MAIL
 * FROM", Sendmail's and Courier's transcripts ">>> RCPT To:<...>" (InterScan's "Sent <<<
 * RCPT TO:<...>"), DragonFly dma "did not
 * like our RCPT TO", qmail "does not like recipient", "failed on DATA command", "failed
 * after I sent the message", "Connected to HOST but sender was rejected"); then wordings
 * that are only ever given to a recipient (Postfix's "Recipient address rejected:", the
 * reply of its RCPT-time restrictions; Microsoft's "RESOLVER.ADR.*", the recipient
 * resolution that Exchange and Office 365 give at RCPT). The text is read lower-cased with
 * every whitespace run as one space, so a wording folded over two lines is found. */
#define STAGE_WINDOW 4096
static int detect_stage(const char *s, size_t n, const char **cmd)
{
    static const struct {
        const char *pat;
        int stage;
        const char *cmd;
    } tab[] = {
        {"after rcpt to", BOUNCE_STAGE_RCPT, "RCPT"},
        {"after pipelined rcpt to", BOUNCE_STAGE_RCPT, "RCPT"},
        {"in reply to rcpt to", BOUNCE_STAGE_RCPT, "RCPT"},
        {"rcpt to response", BOUNCE_STAGE_RCPT, "RCPT"},
        {"[rcpt_to]", BOUNCE_STAGE_RCPT, "RCPT"},
        {">>> rcpt to", BOUNCE_STAGE_RCPT, "RCPT"},
        /* InterScan MSS marks the commands it sent with "<<<" ("Sent <<< RCPT TO:<a@b>",
         * "Received >>> 550 ..."): a reply never starts with a command's name */
        {"<<< rcpt to", BOUNCE_STAGE_RCPT, "RCPT"},
        {"did not like our rcpt to", BOUNCE_STAGE_RCPT, "RCPT"},
        {"does not like recipient", BOUNCE_STAGE_RCPT, "RCPT"},
        {"smtp:rcpt ", BOUNCE_STAGE_RCPT, "RCPT"},
        {"after mail from", BOUNCE_STAGE_MAIL, "MAIL"},
        {"after pipelined mail from", BOUNCE_STAGE_MAIL, "MAIL"},
        {"in reply to mail from", BOUNCE_STAGE_MAIL, "MAIL"},
        {">>> mail from", BOUNCE_STAGE_MAIL, "MAIL"},
        {"<<< mail from", BOUNCE_STAGE_MAIL, "MAIL"},
        {"[mail_from]", BOUNCE_STAGE_MAIL, "MAIL"},
        {"did not like our mail from", BOUNCE_STAGE_MAIL, "MAIL"},
        {"but sender was rejected", BOUNCE_STAGE_MAIL, "MAIL"},
        {"does not like sender", BOUNCE_STAGE_MAIL, "MAIL"},
        {"smtp:mail ", BOUNCE_STAGE_MAIL, "MAIL"},
        {"after end of data", BOUNCE_STAGE_EOD, "DATA"},
        {"in reply to end of data", BOUNCE_STAGE_EOD, "DATA"},
        {"after sending message", BOUNCE_STAGE_EOD, "DATA"},
        {"did not like our final data", BOUNCE_STAGE_EOD, "DATA"},
        {"failed after i sent the message", BOUNCE_STAGE_EOD, "DATA"},
        {"after data", BOUNCE_STAGE_DATA, "DATA"},
        {"in reply to data", BOUNCE_STAGE_DATA, "DATA"},
        {">>> data", BOUNCE_STAGE_DATA, "DATA"},
        {"<<< data", BOUNCE_STAGE_DATA, "DATA"},
        {"did not like our data", BOUNCE_STAGE_DATA, "DATA"},
        {"failed on data command", BOUNCE_STAGE_DATA, "DATA"},
        {"smtp:data ", BOUNCE_STAGE_DATA, "DATA"},
        {"after initial connection", BOUNCE_STAGE_CONNECT, "CONN"},
        {"in reply to connect", BOUNCE_STAGE_CONNECT, "CONN"},
        {"but greeting failed", BOUNCE_STAGE_CONNECT, "CONN"},
        {"after ehlo", BOUNCE_STAGE_HELO, "EHLO"},
        {"after helo", BOUNCE_STAGE_HELO, "HELO"},
        {"in reply to ehlo", BOUNCE_STAGE_HELO, "EHLO"},
        {"in reply to helo", BOUNCE_STAGE_HELO, "HELO"},
        {"but my name was rejected", BOUNCE_STAGE_HELO, "HELO"},
        {"after starttls", BOUNCE_STAGE_STARTTLS, "STARTTLS"},
        {"after auth", BOUNCE_STAGE_AUTH, "AUTH"},
        /* m-FILTER: "-------SMTP command" then the command on the next line */
        {"smtp command rcpt", BOUNCE_STAGE_RCPT, "RCPT"},
        {"smtp command mail", BOUNCE_STAGE_MAIL, "MAIL"},
        {"smtp command data", BOUNCE_STAGE_DATA, "DATA"},
        /* wordings only given to a recipient (RCPT, or the resolution that stands for it) */
        {"recipient address rejected", BOUNCE_STAGE_RCPT, "RCPT"},
        {"resolver.adr.", BOUNCE_STAGE_RCPT, "RCPT"},
    };
    char w[STAGE_WINDOW];
    size_t i, wl = 0;
    int sp = 0;
    for (i = 0; i < n && wl < sizeof w; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (is_space(ch)) {
            sp = 1;
            continue;
        }
        if (sp && wl && wl < sizeof w - 1)
            w[wl++] = ' ';
        sp = 0;
        w[wl++] = (char)bounce__ascii_lower(ch);
    }
    /* one pass: the wording that starts first wins (the one nearest what the window is
     * about); no wording is a prefix of another, so none can tie. The wordings are
     * chained by their first byte. */
    {
        signed char head[256], next[BOUNCE__ARRAY_LEN(tab)];
        unsigned char len[BOUNCE__ARRAY_LEN(tab)];
        memset(head, -1, sizeof head);
        for (i = BOUNCE__ARRAY_LEN(tab); i-- > 0;) {
            unsigned char f = (unsigned char)tab[i].pat[0];
            len[i] = (unsigned char)strlen(tab[i].pat);
            next[i] = head[f];
            head[f] = (signed char)i;
        }
        for (i = 0; i < wl; i++) {
            int k;
            for (k = head[(unsigned char)w[i]]; k >= 0; k = next[k])
                if (len[k] <= wl - i && w[i + 1] == tab[k].pat[1] &&
                    memcmp(w + i, tab[k].pat, len[k]) == 0) {
                    *cmd = tab[k].cmd;
                    return tab[k].stage;
                }
        }
    }
    *cmd = NULL;
    return BOUNCE_STAGE_UNKNOWN;
}

/* Collapse whitespace runs of s into c->tmp, capped at DIAG_CAP bytes. */
static int squeeze(ctx *c, const char *s, size_t n)
{
    return squeeze_into(&c->tmp, s, n, DIAG_CAP);
}

/* The offset of the first line in t[from..to) after the one holding `from` that is a rule
 * ("----- Transcript of session follows -----", "=====", "_____"), else to. */
static size_t rule_line(const char *t, size_t from, size_t to)
{
    size_t p = from;
    while (p < to) {
        size_t e = line_end(t, to, p), k;
        if (p > from || (p > 0 && (t[p - 1] == '\n' || t[p - 1] == '\r'))) {
            k = p;
            while (k < e && is_wsp((unsigned char)t[k]))
                k++;
            if (e - k >= 5 && (t[k] == '-' || t[k] == '=' || t[k] == '_') && t[k + 1] == t[k] &&
                t[k + 2] == t[k] && t[k + 3] == t[k] && t[k + 4] == t[k])
                return p;
        }
        p = e + 1;
    }
    return to;
}

/* Sendmail's transcript shows each reply as "<<< REPLY" after the command that got it
 * (">>> DATA"): find the record's own reply there and read the command above it. The
 * "<<< " lines are found once per message; each record's look-up counts against the same
 * per-message budget as stage_from_text (STAGE_SCAN_CAP). */
static int transcript_stage(ctx *c, const char *diag, size_t dl, const char **cmd)
{
    const char *t = c->text.p, *key = NULL, *hit;
    size_t i, kl, from;
    if (!t || c->stage_scan >= STAGE_SCAN_CAP)
        return 0;
    if (!c->transcript) { /* where the first "<<< " stands, + 1; SIZE_MAX: none */
        const char *f = find_ci(t, c->human_len, "<<< ");
        c->transcript = f ? (size_t)(f - t) + 1 : SIZE_MAX;
    }
    if (c->transcript == SIZE_MAX)
        return 0;
    for (i = 0; i + 3 < dl && !key; i++) /* the reply: from its 3-digit code */
        if ((diag[i] == '4' || diag[i] == '5') && diag[i + 1] >= '0' && diag[i + 1] <= '9' &&
            diag[i + 2] >= '0' && diag[i + 2] <= '9' && (diag[i + 3] == ' ' || diag[i + 3] == '-') &&
            (i == 0 || !(diag[i - 1] >= '0' && diag[i - 1] <= '9')))
            key = diag + i;
    if (!key)
        return 0;
    kl = 0;
    while (key + kl < diag + dl && kl < 48 && key[kl] != '\n' && key[kl] != '\r' && key[kl] != ')')
        kl++;
    if (kl < 12)
        return 0;
    for (from = c->transcript - 1; from + 4 + kl <= c->human_len; from = (size_t)(hit - t) + 1) {
        size_t h, ls, lim;
        if (!(hit = memchr(t + from, '<', c->human_len - from - 4 - kl + 1)))
            break;
        h = (size_t)(hit - t);
        if (memcmp(hit, "<<< ", 4) != 0 || memcmp(hit + 4, key, kl) != 0)
            continue;
        c->stage_scan += h - (c->transcript - 1);
        /* up from the reply's line to the nearest ">>> " line (the text has LF endings) */
        lim = h > 1024 ? h - 1024 : 0;
        ls = h;
        while (ls > 0 && t[ls - 1] != '\n')
            ls--;
        while (ls > lim) {
            size_t e = ls - 1, p = e;
            while (p > 0 && t[p - 1] != '\n')
                p--;
            while (p < e && is_wsp((unsigned char)t[p]))
                p++;
            if (e - p > 4 && !memcmp(t + p, ">>> ", 4))
                return detect_stage(t + p, e - p, cmd);
            ls = p;
            while (ls > 0 && t[ls - 1] != '\n')
                ls--;
        }
        return 0;
    }
    c->stage_scan += c->human_len - (c->transcript - 1);
    return 0;
}

/* The SMTP stage from the human-readable text near the recipient's address (Postfix
 * writes "(in reply to end of DATA command)" there, not in the Diagnostic-Code). */
static int stage_from_text(ctx *c, const bounce_record_t *r, const char **cmd)
{
    size_t al, k;
    const char *a = bounce__record_field(r, BOUNCE_FIELD_RECIPIENT, &al);
    const char *t = c->text.p, *at = a ? memchr(a, '@', al) : NULL;
    *cmd = NULL;
    if (!t || !c->human_len)
        return 0;
    if (at && al >= 3 && c->stage_scan < STAGE_SCAN_CAP) {
        size_t ai = (size_t)(at - a); /* find the address by its '@' */
        for (k = 0; k + al <= c->human_len; k++) {
            const char *p = memchr(t + k + ai, '@', c->human_len - al - k + 1);
            if (!p) {
                k = c->human_len;
                break;
            }
            k = (size_t)(p - t) - ai;
            if (addr_eq(t + k, al, a, al)) {
                /* from the start of the address's line (a transcript's ">>> RCPT
                 * To:<addr>", Exim's "after RCPT TO:<addr>:") to 700 bytes after it, or to
                 * the line of the next recipient: what follows belongs to that one */
                size_t b = k, n = c->human_len - k < 700 ? c->human_len - k : 700;
                size_t lo = 0, hi = c->noffs;
                int st;
                while (b > 0 && k - b < 160 && t[b - 1] != '\n' && t[b - 1] != '\r')
                    b--;
                while (lo < hi) { /* the first candidate line after this one */
                    size_t mid = lo + (hi - lo) / 2;
                    if (c->offs[mid] > b)
                        hi = mid;
                    else
                        lo = mid + 1;
                }
                if (lo < c->noffs && c->offs[lo] > k && c->offs[lo] - k < n)
                    n = c->offs[lo] - k;
                n = rule_line(t, k, k + n) - k; /* nor into the next section */
                if (n < al)
                    n = al; /* an address on a rule line ("-----a@b"): still move on */
                st = detect_stage(t + b, n + (k - b), cmd);
                if (st) {
                    c->stage_scan += k;
                    return st;
                }
                k += n - 1; /* the next occurrence after this window: each byte read once */
            }
        }
        c->stage_scan += k;
    }
    if (c->d->nrec == 1)
        return detect_stage(t, c->human_len < 4096 ? c->human_len : 4096, cmd);
    return 0;
}

/* Does the bounce say the message was returned because its queue lifetime ran out
 * (Sendmail's "Cannot send message for 5 days", "could not be delivered for 8 hours")?
 * Checked once per message: the subject and the start of the human-readable text. */
static int expiry_notice(ctx *c)
{
    static const char *const words[] = {"cannot send message for ", "cannot send message within ",
                                        "could not be delivered for ",
                                        "could not be delivered within "};
    const char *subj = c->d->field[BOUNCE_DSN_BOUNCE_SUBJECT];
    size_t i, hl = c->human_len < 4096 ? c->human_len : 4096;
    if (c->expiry)
        return c->expiry == 2;
    c->expiry = 1;
    for (i = 0; i < BOUNCE__ARRAY_LEN(words); i++)
        if ((subj && contains_ci(subj, strlen(subj), words[i])) ||
            head_has(c, hl, words[i])) {
            c->expiry = 2;
            break;
        }
    return c->expiry == 2;
}

/* A text notice that only warns of a delay (the MTA keeps trying): Postfix's and Gmail's
 * "THIS IS A WARNING ... ONLY", Gmail's "has been delayed", Sendmail's "Warning: could not
 * send message for past", Exim's "has not yet been delivered". */
static int warning_notice(ctx *c)
{
    static const char *const words[] = {
        "this is a warning message only", "this is a warning only",
        "you do not need to resend your message", "has been delayed:",
        "warning: could not send message for past", "has not yet been delivered to one or more"};
    const char *subj = c->d->field[BOUNCE_DSN_BOUNCE_SUBJECT];
    size_t i, hl = c->human_len < 4096 ? c->human_len : 4096;
    if (subj && (contains_ci(subj, strlen(subj), "(delay)") ||
                 contains_ci(subj, strlen(subj), "delayed mail")))
        return 1;
    for (i = 0; i < BOUNCE__ARRAY_LEN(words); i++)
        if (head_has(c, hl, words[i]))
            return 1;
    return 0;
}

/* Fields shared by every record of the message, then classification. */
static int finish_record(ctx *c, bounce_record_t *r, int64_t when)
{
    bounce_dsn_t *d = c->d;
    size_t dl;
    const char *diag;
    static const struct {
        int dsn, rec;
    } share[] = {{BOUNCE_DSN_REPORTING_MTA, BOUNCE_FIELD_REPORTING_MTA},
                 {BOUNCE_DSN_ORIG_MESSAGE_ID, BOUNCE_FIELD_MESSAGE_ID},
                 {BOUNCE_DSN_ORIG_SUBJECT, BOUNCE_FIELD_SUBJECT}};
    size_t i;
    if (c->name && bounce__record_set_str(r, BOUNCE_FIELD_FILE, c->name) < 0)
        return -1;
    for (i = 0; i < BOUNCE__ARRAY_LEN(share); i++)
        if (d->field[share[i].dsn] && !bounce__record_field(r, share[i].rec, &dl) &&
            bounce__record_set_str(r, share[i].rec, d->field[share[i].dsn]) < 0)
            return -1;
    if (!bounce__record_field(r, BOUNCE_FIELD_SENDER, &dl)) {
        const char *s = d->field[BOUNCE_DSN_ENVELOPE_SENDER];
        size_t sn;
        if (!s)
            s = d->field[BOUNCE_DSN_ORIG_FROM];
        if (s) {
            sn = strlen(s);
            clean_addr(&s, &sn);
            if (sn && bounce__record_set(r, BOUNCE_FIELD_SENDER, s, sn) < 0)
                return -1;
        }
    }
    diag = bounce__record_field(r, BOUNCE_FIELD_DIAGNOSTIC, &dl);
    {
        /* everything read from diag first: setting a field may move the record's memory */
        int code = 0, st = 0;
        char esc[BOUNCE__ESC_MAX];
        const char *cmd = NULL, *have;
        size_t el;
        esc[0] = '\0';
        if (diag) {
            bounce__reply_extract(diag, dl, &code, esc);
            st = detect_stage(diag, dl, &cmd);
        }
        if (!st && diag && !c->json_records)
            st = transcript_stage(c, diag, dl, &cmd);
        if (!st && !c->json_records)
            st = stage_from_text(c, r, &cmd);
        if (code)
            r->reply_code = code;
        have = bounce__record_field(r, BOUNCE_FIELD_ENHANCED, &el);
        if (esc[0]) {
            /* a generic Status (5.0.0) gives way to the diagnostic's specific code */
            int generic = have && el == 5 && !strncmp(have + 1, ".0.0", 4) &&
                          esc[0] == have[0] && strcmp(esc + 1, ".0.0") != 0;
            if ((!have || generic) && bounce__record_set_str(r, BOUNCE_FIELD_ENHANCED, esc) < 0)
                return -1;
        }
        if (st) {
            r->stage = (uint8_t)st;
            if (!bounce__record_field(r, BOUNCE_FIELD_SMTP_COMMAND, &el) &&
                bounce__record_set_str(r, BOUNCE_FIELD_SMTP_COMMAND, cmd) < 0)
                return -1;
        }
        /* given up after temporary failures (Action: failed, Status: 4.x.x): it expired */
        have = bounce__record_field(r, BOUNCE_FIELD_ENHANCED, &el);
        if (r->status == BOUNCE_EVENT_BOUNCED && have && el && have[0] == '4')
            r->status = BOUNCE_EVENT_EXPIRED;
        /* returned at the end of the queue lifetime, with no permanent reply of its own */
        else if (r->status == BOUNCE_EVENT_BOUNCED && r->reply_code < 500 &&
                 !(have && el && have[0] == '5') && expiry_notice(c))
            r->status = BOUNCE_EVENT_EXPIRED;
    }
    if (r->time == INT64_MIN)
        r->time = when != INT64_MIN ? when : c->date;
    bounce__record_classify(r, c->kb);
    return 0;
}

/* ------------------------------------------------------------------ delivery-status */

static int status_from_action(const char *a, size_t n, const char *status, size_t sn)
{
    if (n) {
        if (starts_ci(a, n, "fail"))
            return BOUNCE_EVENT_BOUNCED;
        if (starts_ci(a, n, "delay"))
            return BOUNCE_EVENT_DELAYED;
        if (starts_ci(a, n, "deliver") || starts_ci(a, n, "relay") || starts_ci(a, n, "expand"))
            return BOUNCE_EVENT_DELIVERED;
    }
    if (sn && status[0] == '2')
        return BOUNCE_EVENT_DELIVERED;
    if (sn && status[0] == '4')
        return BOUNCE_EVENT_DELAYED;
    return BOUNCE_EVENT_BOUNCED;
}

/* Set record field f from header `name` of a block (unfolded; cleaned per kind). */
static int rec_from_hdr(ctx *c, bounce_record_t *r, int f, const char *blk, size_t blen,
                        const char *name, int kind /* 0 text, 1 address, 2 typed text */)
{
    const char *s;
    size_t n;
    int got = hdr_value(c, blk, blen, name);
    if (got <= 0)
        return got;
    s = c->tmp.p;
    n = c->tmp.len;
    if (kind == 1) {
        clean_addr(&s, &n);
    } else if (kind == 2) {
        const char *semi = memchr(s, ';', n);
        int unix_type;
        trim(&s, &n);
        unix_type = semi && starts_ci(s, n, "x-unix");
        if (semi && semi - s < 20 && !memchr(s, ' ', (size_t)(semi - s))) {
            n -= (size_t)(semi + 1 - s);
            s = semi + 1;
        }
        trim(&s, &n);
        if (unix_type && n && n <= 3 && (s[0] >= '0' && s[0] <= '9') &&
            (n < 2 || (s[1] >= '0' && s[1] <= '9')) && (n < 3 || (s[2] >= '0' && s[2] <= '9'))) {
            /* "X-Unix; 255": the exit status of a local delivery program (pipe, LDA),
             * not a reply code; say it in Sendmail's own words */
            char buf[40];
            int bl = snprintf(buf, sizeof buf, "unknown mailer error %.*s", (int)n, s);
            return bounce__record_set(r, f, buf, (size_t)bl) < 0 ? -1 : 1;
        }
        if (unix_type && n) {
            /* "X-Unix; temporary failure": the words of a local delivery program or of its
             * exit status (Postfix's sysexits table), not of an SMTP server: say so (the KB
             * signature ndr.delivery-program-error, priority 30: a text with a more specific
             * cause keeps it, one without reads as local.delivery_failed) */
            static const char pre[] = "delivery program error: ";
            bounce__buf t = {0};
            int rc;
            if (bounce__buf_append(&t, pre, sizeof pre - 1) < 0 ||
                bounce__buf_append(&t, s, n) < 0) {
                bounce__buf_free(&t);
                return -1;
            }
            rc = bounce__record_set(r, f, t.p, t.len) < 0 ? -1 : 1;
            bounce__buf_free(&t);
            return rc;
        }
    } else {
        trim(&s, &n);
    }
    if (!n)
        return 0;
    if (bounce__record_set(r, f, s, n) < 0)
        return -1;
    return 1;
}

/* Next block of delivery-status fields: blocks end at blank lines, or where a second
 * recipient starts without a blank line. Returns 0 at the end. */
static int next_block(const char *p, size_t len, size_t *pos, const char **blk, size_t *blen)
{
    size_t q = *pos, start;
    int has_final = 0, has_orig = 0, has_action = 0;
    /* skip blank lines */
    while (q < len) {
        size_t e = line_end(p, len, q), k = q;
        while (k < e && is_wsp(p[k]))
            k++;
        if (k < e)
            break;
        q = e < len ? e + 1 : len;
    }
    if (q >= len)
        return 0;
    start = q;
    while (q < len) {
        size_t e = line_end(p, len, q), k = q;
        while (k < e && is_wsp(p[k]))
            k++;
        if (k == e)
            break;
        if (!is_wsp(p[q])) {
            /* recipients glued without a blank line: a repeated field starts the next */
            if (starts_ci(p + q, e - q, "final-recipient")) {
                if (has_final)
                    break;
                has_final = 1;
            } else if (starts_ci(p + q, e - q, "original-recipient")) {
                if (has_orig)
                    break;
                has_orig = 1;
            } else if (starts_ci(p + q, e - q, "action:")) {
                if (has_action)
                    break;
                has_action = 1;
            }
        }
        q = e < len ? e + 1 : len;
    }
    *blk = p + start;
    *blen = q - start;
    *pos = q;
    return 1;
}

static int block_event(const char *b, size_t bl)
{
    const char *a, *s;
    size_t an = 0, sn = 0, vl;
    if (!bounce__mime_header_raw(b, bl, "final-recipient", &vl) &&
        !bounce__mime_header_raw(b, bl, "original-recipient", &vl))
        return 0;
    a = bounce__mime_header_raw(b, bl, "action", &an);
    s = bounce__mime_header_raw(b, bl, "status", &sn);
    return status_from_action(a ? a : "", a ? an : 0, s ? s : "", s ? sn : 0);
}

static int strip_type(ctx *c, int f)
{
    const char *s = c->tmp.p;
    size_t n = c->tmp.len;
    const char *semi = memchr(s, ';', n);
    if (semi) {
        n -= (size_t)(semi + 1 - s);
        s = semi + 1;
    }
    return set_field(c->d, f, s, n);
}

/* Parse delivery-status fields in c->ds. Returns number of recipient records, -1 nomem. */
static int parse_ds(ctx *c)
{
    const char *p = c->ds.p, *b;
    size_t len = c->ds.len, pos = 0, bl;
    int nr = 0, any_failed = 0, any_delay = 0;
    size_t first_rec = c->d->nrec;

    if (!p || !len)
        return 0;
    /* pass 1: per-message fields and which events occur */
    while (next_block(p, len, &pos, &b, &bl)) {
        int ev = block_event(b, bl);
        if (ev == BOUNCE_EVENT_BOUNCED)
            any_failed = 1;
        else if (ev == BOUNCE_EVENT_DELAYED)
            any_delay = 1;
        if (ev && c->d->field[BOUNCE_DSN_REPORTING_MTA])
            continue;
        if (hdr_value(c, b, bl, "reporting-mta") > 0 && strip_type(c, BOUNCE_DSN_REPORTING_MTA) < 0)
            return -1;
        if (hdr_value(c, b, bl, "received-from-mta") > 0 &&
            strip_type(c, BOUNCE_DSN_RECEIVED_FROM_MTA) < 0)
            return -1;
        if (hdr_value(c, b, bl, "arrival-date") > 0 &&
            set_field(c->d, BOUNCE_DSN_ARRIVAL_DATE, c->tmp.p, c->tmp.len) < 0)
            return -1;
        if (hdr_value(c, b, bl, "original-envelope-id") > 0 &&
            set_field(c->d, BOUNCE_DSN_ORIGINAL_ENVELOPE_ID, c->tmp.p, c->tmp.len) < 0)
            return -1;
    }
    /* pass 2: records */
    pos = 0;
    while (next_block(p, len, &pos, &b, &bl)) {
        bounce_record_t *r;
        int got, ev = block_event(b, bl);
        size_t fl;
        int64_t when = INT64_MIN;
        if (!ev)
            continue;
        /* a failure report lists the failed recipients; delayed/delivered rows of a
         * failure report are not failures and are left out */
        if (any_failed && ev != BOUNCE_EVENT_BOUNCED)
            continue;
        if (!any_failed && any_delay && ev != BOUNCE_EVENT_DELAYED)
            continue;
        r = new_record(c);
        if (!r) {
            if (c->capped)
                break;
            return -1;
        }
        r->status = (uint8_t)ev;
        got = rec_from_hdr(c, r, BOUNCE_FIELD_RECIPIENT, b, bl, "final-recipient", 1);
        if (got < 0)
            return -1;
        if (got == 0) {
            if (rec_from_hdr(c, r, BOUNCE_FIELD_RECIPIENT, b, bl, "x-actual-recipient", 1) < 0)
                return -1;
            if (!bounce__record_field(r, BOUNCE_FIELD_RECIPIENT, &fl) &&
                rec_from_hdr(c, r, BOUNCE_FIELD_RECIPIENT, b, bl, "original-recipient", 1) < 0)
                return -1;
        }
        if (!bounce__record_field(r, BOUNCE_FIELD_RECIPIENT, &fl) ||
            !memchr(bounce__record_field(r, BOUNCE_FIELD_RECIPIENT, &fl), '@', fl)) {
            bounce__record_release(r);
            c->d->nrec--;
            continue;
        }
        {
            /* the same recipient twice in one report: keep the first (bounded scan) */
            const char *ra = bounce__record_field(r, BOUNCE_FIELD_RECIPIENT, &fl);
            size_t j, lo = c->d->nrec > 65 ? c->d->nrec - 65 : 0;
            int dup = 0;
            if (lo < first_rec)
                lo = first_rec;
            for (j = lo; j + 1 < c->d->nrec; j++) {
                size_t ol;
                const char *oa = bounce__record_field(&c->d->rec[j], BOUNCE_FIELD_RECIPIENT, &ol);
                if (oa && addr_eq(oa, ol, ra, fl))
                    dup = 1;
            }
            if (dup) {
                bounce__record_release(r);
                c->d->nrec--;
                continue;
            }
        }
        if (rec_from_hdr(c, r, BOUNCE_FIELD_ORIGINAL_RECIPIENT, b, bl, "original-recipient", 1) < 0 ||
            rec_from_hdr(c, r, BOUNCE_FIELD_ENHANCED, b, bl, "status", 0) < 0 ||
            rec_from_hdr(c, r, BOUNCE_FIELD_REMOTE_MTA, b, bl, "remote-mta", 2) < 0 ||
            rec_from_hdr(c, r, BOUNCE_FIELD_DIAGNOSTIC, b, bl, "diagnostic-code", 2) < 0)
            return -1;
        {
            /* keep only a valid "d.d.d" enhanced code */
            const char *es = bounce__record_field(r, BOUNCE_FIELD_ENHANCED, &fl);
            if (es) {
                size_t k = 0;
                while (k < fl && (es[k] == '.' || (es[k] >= '0' && es[k] <= '9')))
                    k++;
                if (k < 5 || !(es[0] >= '2' && es[0] <= '5') || es[1] != '.') {
                    r->off[BOUNCE_FIELD_ENHANCED] = BOUNCE__ABSENT;
                } else {
                    r->flen[BOUNCE_FIELD_ENHANCED] = (uint32_t)k;
                    r->mem.p[r->off[BOUNCE_FIELD_ENHANCED] + k] = '\0';
                }
            }
        }
        if (hdr_value(c, b, bl, "last-attempt-date") > 0)
            when = parse_date(c->tmp.p, c->tmp.len);
        r->time = when;
        if (c->d->field[BOUNCE_DSN_REPORTING_MTA] &&
            bounce__record_set_str(r, BOUNCE_FIELD_REPORTING_MTA,
                                   c->d->field[BOUNCE_DSN_REPORTING_MTA]) < 0)
            return -1;
        nr++;
    }
    return nr;
}

/* ------------------------------------------------------------------ feedback (ARF) */

static int parse_feedback(ctx *c)
{
    const char *p = c->fb.p;
    size_t len = c->fb.len, pos = 0;
    int n = 0;
    static const char *const rcpt_fields[] = {"original-rcpt-to", "removal-recipient"};
    size_t f;
    if (hdr_value(c, p, len, "feedback-type") > 0 &&
        set_field(c->d, BOUNCE_DSN_FEEDBACK_TYPE, c->tmp.p, c->tmp.len) < 0)
        return -1;
    if (hdr_value(c, p, len, "source-ip") > 0 &&
        set_field(c->d, BOUNCE_DSN_SOURCE_IP, c->tmp.p, c->tmp.len) < 0)
        return -1;
    if (hdr_value(c, p, len, "reporting-mta") > 0) {
        const char *s = c->tmp.p, *semi = memchr(c->tmp.p, ';', c->tmp.len);
        size_t sn = c->tmp.len;
        if (semi) {
            sn -= (size_t)(semi + 1 - s);
            s = semi + 1;
        }
        if (set_field(c->d, BOUNCE_DSN_REPORTING_MTA, s, sn) < 0)
            return -1;
    }
    if (hdr_value(c, p, len, "original-mail-from") > 0 &&
        set_field(c->d, BOUNCE_DSN_ENVELOPE_SENDER, c->tmp.p, c->tmp.len) < 0)
        return -1;
    for (f = 0; f < BOUNCE__ARRAY_LEN(rcpt_fields) && n == 0; f++) {
        size_t fl = strlen(rcpt_fields[f]);
        pos = 0;
        while (pos < len) {
            size_t e = line_end(p, len, pos);
            if (e - pos > fl && bounce__strncaseeq(p + pos, fl, rcpt_fields[f]) &&
                p[pos + fl] == ':') {
                const char *a = p + pos + fl + 1;
                size_t an = e - pos - fl - 1;
                clean_addr(&a, &an);
                int seen = an ? find_record(c, a, an) : 1;
                if (seen < 0)
                    return -1;
                if (!seen) {
                    bounce_record_t *r = new_record(c);
                    if (!r) {
                        if (c->capped)
                            break;
                        return -1;
                    }
                    r->status = BOUNCE_EVENT_FEEDBACK;
                    if (bounce__record_set(r, BOUNCE_FIELD_RECIPIENT, a, an) < 0)
                        return -1;
                    n++;
                }
            }
            pos = e < len ? e + 1 : len;
        }
    }
    if (n == 0 && c->orig) {
        const char *a;
        size_t an;
        if (header_addr(c, c->orig, c->orig_len, "to", &a, &an)) {
            bounce_record_t *r = new_record(c);
            if (!r)
                return c->capped ? 0 : -1;
            r->status = BOUNCE_EVENT_FEEDBACK;
            if (bounce__record_set(r, BOUNCE_FIELD_RECIPIENT, a, an) < 0)
                return -1;
            n++;
        }
    }
    if (n == 0) {
        /* a report about a message whose recipient is not given */
        bounce_record_t *r = new_record(c);
        if (!r)
            return -1;
        r->status = BOUNCE_EVENT_FEEDBACK;
        n++;
    }
    {
        size_t i;
        const char *ft = c->d->field[BOUNCE_DSN_FEEDBACK_TYPE];
        for (i = 0; ft && i < c->d->nrec; i++) {
            size_t dl;
            if (!bounce__record_field(&c->d->rec[i], BOUNCE_FIELD_DIAGNOSTIC, &dl)) {
                c->tmp.len = 0;
                if (bounce__buf_printf(&c->tmp, "Feedback-Type: %s", ft) < 0 ||
                    bounce__record_set(&c->d->rec[i], BOUNCE_FIELD_DIAGNOSTIC, c->tmp.p,
                                       c->tmp.len) < 0)
                    return -1;
            }
        }
    }
    return n;
}

/* ------------------------------------------------------------------ human text */

/* Where the returned message starts inside the human text; len if nowhere. */
static size_t find_original_marker(const char *t, size_t len, size_t *hdr_start)
{
    static const char *const marks[] = {
        "copy of the message",      "original message",        "unsent message",
        "returned message",         "message follows",         "original headers",
        "header of the original",   "headers of the original", "copy of your message",
        "message header follows",   "rejected message",        "bounced e-mail",
        "original mail",            "headers follow",          "included below",
        "message headers follow",   "undelivered message",     "message text follows",
        "content-type: message/rfc822"};
    size_t pos = 0;
    while (pos < len) {
        size_t e = line_end(t, len, pos), k = pos, i;
        size_t n;
        while (k < e && is_wsp(t[k]))
            k++;
        n = e - k;
        if (n >= 8 && n < 120) {
            char lc[128];
            size_t ln = lower_into(lc, sizeof lc, t + k, n);
            int punct = !((t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z') ||
                          (unsigned char)t[k] >= 0x80);
            int ends = t[e - 1] == ':' || t[e - 1] == '-' || t[e - 1] == '=' ||
                       t[e - 1] == '*';
            /* every mark holds one of these words */
            if (!lc_has(lc, ln, "mess") && !lc_has(lc, ln, "orig") && !lc_has(lc, ln, "head") &&
                !lc_has(lc, ln, "mail") && !lc_has(lc, ln, "includ")) {
                pos = e < len ? e + 1 : len;
                continue;
            }
            for (i = 0; i < BOUNCE__ARRAY_LEN(marks); i++) {
                if (!lc_has(lc, ln, marks[i]))
                    continue;
                if (punct || ends || starts_ci(t + k, n, "content-type") ||
                    starts_ci(t + k, n, marks[i]) || starts_ci(t + k, n, "below this line") ||
                    starts_ci(t + k, n, "this is a copy")) {
                    /* headers start at the first header-looking line after it */
                    size_t q = e < len ? e + 1 : len;
                    while (q < len) {
                        size_t qe = line_end(t, len, q);
                        if (qe > q && !is_wsp(t[q]) && memchr(t + q, ':', qe - q))
                            break;
                        if (qe - q > 0 && !is_wsp(t[q]))
                            break;
                        q = qe < len ? qe + 1 : len;
                    }
                    *hdr_start = q;
                    return pos;
                }
            }
        }
        pos = e < len ? e + 1 : len;
    }
    *hdr_start = len;
    return len;
}

/* Length of a header block starting at t (up to the first blank line). */
static size_t header_block_len(const char *t, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        size_t e = line_end(t, len, pos);
        if (e == pos)
            return pos;
        pos = e < len ? e + 1 : len;
    }
    return len;
}

static int is_header_label(const char *s, size_t n)
{
    static const char *const hdrs[] = {"from:",    "to:",          "cc:",        "bcc:",
                                       "sender:",  "reply-to:",    "return-path:", "subject:",
                                       "date:",    "sent:",        "message-id:", "received:",
                                       "delivered-to:", "x-", "envelope-from", "in-reply-to:",
                                       "references:", "list-", "dkim-", "authentication-results:",
                                       "mail from:", "smtp.mailfrom", "sender address:",
                                       "from ", ">>> mail from"};
    size_t i;
    for (i = 0; i < BOUNCE__ARRAY_LEN(hdrs); i++)
        if (starts_ci(s, n, hdrs[i]))
            return 1;
    return 0;
}

/* Labels after which an address is a recipient. */
static size_t recipient_label(const char *s, size_t n)
{
    static const char *const labels[] = {
        "final-recipient:", "original-recipient:", "recipient address:", "recipient:",
        "recipients:", "failed recipient:", "failed recipients:", "invalid recipient:",
        "rcpt to:", ">>> rcpt to:", "rcpt:", "address:", "e-mail address:", "email address:",
        "to address:", "original recipient:", "unknown user:", "user:", "mailbox:",
        "addressee:", "destinataire :", "destinataire:", "empfänger:", "failed address:",
        "delivery to:", "to:", "target mail address:", "for:"};
    size_t i;
    for (i = 0; i < BOUNCE__ARRAY_LEN(labels); i++)
        if (starts_ci(s, n, labels[i]))
            return strlen(labels[i]);
    return 0;
}

static int add_cand(ctx *c, const char *a, size_t an, size_t line_off)
{
    size_t h;
    if (c->capped && c->nc >= MAX_RCPTS) /* full: no look-up per further address */
        return 0;
    h = addr_hash(a, an);
    if (aset_has(&c->cset, c, cand_key, h, a, an))
        return 0;
    if (c->nc >= MAX_RCPTS) {
        c->capped = 1;
        return 0;
    }
    if (c->nc == c->capc) {
        size_t nc = c->capc ? c->capc * 2 : 8;
        cand *n = bounce__realloc(c->c, nc * sizeof(*n));
        if (!n)
            return -1;
        c->c = n;
        c->capc = nc;
    }
    if (aset_add(&c->cset, h, c->nc) < 0)
        return -1;
    c->c[c->nc].addr = a;
    c->c[c->nc].alen = an;
    c->c[c->nc].diag = NULL;
    c->c[c->nc].dlen = 0;
    c->c[c->nc].line_off = line_off;
    c->c[c->nc].weak = c->scan_weak;
    c->nc++;
    return 0;
}

/* Whether an address found in the text is not a recipient: the bounce's sender (or, for
 * weak=1, a system address or the bounce's own To, the original sender). The header
 * addresses are looked up once per parse (a look-up per address found was quadratic with a
 * long header such as an X-Failed-Recipients list). */
static int excluded(ctx *c, const char *a, size_t an, int weak)
{
    static const char *const hdrs[EXCL_HDRS] = {"to", "from", "return-path", "sender",
                                                "reply-to"};
    size_t i;
    if (weak && is_system_local(a, an))
        return 1;
    if (!c->excl_done) {
        for (i = 0; i < EXCL_HDRS; i++)
            if (!header_addr(c, c->top, c->top_len, hdrs[i], &c->excl[i], &c->excl_len[i]))
                c->excl[i] = NULL;
        c->excl_done = 1;
    }
    for (i = weak ? 0 : 1; i < EXCL_HDRS; i++) /* "to" only for weak */
        if (c->excl[i] && addr_eq(c->excl[i], c->excl_len[i], a, an))
            return 1;
    return 0;
}

/* Scan the human text for recipient lines. strong=1: address first on its line (or after
 * a recipient label); strong=0: anywhere outside header-like lines. */
static int scan_text(ctx *c, int strong)
{
    const char *t = c->text.p;
    size_t len = c->human_len, pos = 0;
    c->scan_weak = !strong;
    while (pos < len) {
        size_t e = line_end(t, len, pos), k = pos, lab;
        const char *at;
        while (k < e && (is_wsp(t[k]) || t[k] == '*' || t[k] == '-' || t[k] == '>' ||
                         t[k] == '#' || t[k] == '.'))
            k++;
        if (k < e && !memchr(t + k, '@', e - k)) {
            pos = e < len ? e + 1 : len;
            continue;
        }
        if (is_header_label(t + k, e - k)) {
            pos = e < len ? e + 1 : len;
            continue;
        }
        lab = recipient_label(t + k, e - k);
        if (!lab && e - k > 5 && t[k] >= '2' && t[k] <= '5' && t[k + 1] >= '0' &&
            t[k + 1] <= '9' && t[k + 2] >= '0' && t[k + 2] <= '9' && t[k + 3] == ' ' &&
            t[k + 4] == '<')
            lab = 4; /* Sendmail transcript: "554 <addr>... reason" */
        if (strong) {
            size_t q = k + lab, b, ae;
            const char *ap;
            while (q < e && (is_wsp(t[q]) || t[q] == '<' || t[q] == '"' || t[q] == '\'' ||
                             t[q] == '(' || t[q] == '['))
                q++;
            if (starts_ci(t + q, e - q, "mailto:"))
                q += 7;
            ap = memchr(t + q, '@', e - q);
            if (!ap) {
                pos = e < len ? e + 1 : len;
                continue;
            }
            if (addr_at(t, e, (size_t)(ap - t), &b, &ae) && b == q) {
                /* what follows the address must not be running prose */
                size_t r = ae;
                int ok = 1;
                while (r < e && (t[r] == '>' || t[r] == '"' || t[r] == '\'' || t[r] == ')' ||
                                 t[r] == ']'))
                    r++;
                if (r < e && !(t[r] == ':' || is_wsp(t[r]) || t[r] == ',' || t[r] == ';' ||
                               t[r] == '.' || t[r] == '(' || t[r] == '<'))
                    ok = 0;
                if (lab == 3 && starts_ci(t + k, e - k, "to:"))
                    ok = 0; /* "To: addr": the quoted headers of an Exchange NDR */
                if (ok && !excluded(c, t + b, ae - b, 0) && add_cand(c, t + b, ae - b, pos) < 0)
                    return -1;
            }
        } else {
            size_t i;
            for (at = memchr(t + k, '@', e - k); at; at = memchr(at + 1, '@', (size_t)(t + e - at - 1))) {
                size_t b, ae;
                i = (size_t)(at - t);
                if (addr_at(t, e, i, &b, &ae) && !excluded(c, t + b, ae - b, 1)) {
                    /* not the sender in "MAIL FROM:<...>" or "from <...>" */
                    if (b >= 5 && (contains_ci(t + (b >= 12 ? b - 12 : 0), b >= 12 ? 12 : b, "from:") ||
                                   contains_ci(t + (b >= 6 ? b - 6 : 0), b >= 6 ? 6 : b, "from ")))
                        continue;
                    if (add_cand(c, t + b, ae - b, pos) < 0)
                        return -1;
                }
                if (at + 1 >= t + e)
                    break;
            }
        }
        pos = e < len ? e + 1 : len;
    }
    return 0;
}

/* A candidate's line offset and index, sorted by offset (then index). */
typedef struct offidx {
    size_t off, idx;
} offidx;

static int cmp_offidx(const void *a, const void *b)
{
    const offidx *x = a, *y = b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Where the text of the recipients on the line ending at `from` stops because a later
 * paragraph before `to` (the line of the next recipient, candidate `nx`) names that next
 * recipient: such a paragraph opens the next one's section (SurfControl repeats "Your
 * message could not be sent. ... Addressed To: b@c" above each recipient's reply line).
 * Returns the offset of that paragraph's first line, or `to`. Reads t[from..to) once. */
static size_t next_named(ctx *c, size_t from, size_t to, size_t nx)
{
    const char *t = c->text.p, *hit;
    char needle[400];
    size_t an = c->c[nx].alen, pos = from;
    if (an >= sizeof needle || from >= to)
        return to;
    lower_into(needle, sizeof needle, c->c[nx].addr, an);
    needle[an] = '\0';
    while (pos < to && (hit = find_ci(t + pos, to - pos, needle)) != NULL) {
        size_t h = (size_t)(hit - t), ls = h, e;
        pos = h + 1;
        if (h > 0 && local_char((unsigned char)t[h - 1]))
            continue; /* the end of a longer address */
        if (h + an < c->human_len && domain_char((unsigned char)t[h + an]) && t[h + an] != '.')
            continue;
        /* up to the blank line above the naming paragraph, not above `from` */
        while (ls > from && t[ls - 1] != '\n')
            ls--;
        while (ls > from) {
            size_t p = ls - 1, q; /* p: the '\n' ending the line above */
            e = p;
            if (e > from && t[e - 1] == '\r')
                e--;
            q = e;
            while (q > from && t[q - 1] != '\n')
                q--;
            {
                size_t k = q;
                while (k < e && is_space((unsigned char)t[k]))
                    k++;
                if (k >= e)
                    return ls; /* a blank line above the paragraph */
            }
            ls = q;
        }
        return to; /* in the same paragraph as the recipient's own line */
    }
    return to;
}

/* Whether t[0..n) holds an SMTP reply (a reply code or an enhanced status code). */
static int holds_reply(const char *t, size_t n)
{
    char esc[BOUNCE__ESC_MAX];
    int code = 0;
    bounce__reply_extract(t, n, &code, esc);
    return code >= 400 || (esc[0] == '4' || esc[0] == '5');
}

/* For recipients listed with nothing after them: when the text after the last address
 * (from `last`) holds no reply, the start of the paragraph above the first address (at
 * `first`) that holds one, within 1 KiB above the list; else first. Computed once per
 * message. */
static size_t reply_above(ctx *c, size_t first, size_t last)
{
    const char *t = c->text.p;
    size_t b = first, lim = first > 1024 ? first - 1024 : 0, found = SIZE_MAX;
    if (last < c->human_len &&
        holds_reply(t + last, c->human_len - last < 1024 ? c->human_len - last : 1024))
        return first;
    while (b > lim) {
        /* step back one line: a blank line above the paragraph with the reply ends it */
        size_t e = b, ls, q;
        if (t[e - 1] == '\n')
            e--;
        if (e > lim && t[e - 1] == '\r')
            e--;
        ls = e;
        while (ls > lim && t[ls - 1] != '\n' && t[ls - 1] != '\r')
            ls--;
        q = ls;
        while (q < e && is_space((unsigned char)t[q]))
            q++;
        if (q >= e && found != SIZE_MAX)
            return found;
        if (q < e && found != SIZE_MAX)
            found = ls;
        else if (q < e && holds_reply(t + q, e - q))
            found = ls;
        b = ls;
    }
    return found != SIZE_MAX ? found : first;
}

/* Give each candidate the text from its line to the next candidate's line. The next line
 * is found by binary search in the sorted line offsets (not a scan of all candidates per
 * candidate). -1: out of memory. */
static int cand_diags(ctx *c)
{
    size_t i, last = 0, first_all = 0, *offs, *cut, list_above = SIZE_MAX;
    const char *t = c->text.p;
    offidx *oi;
    if (c->nc == 0)
        return 0;
    bounce__free(c->offs);
    c->offs = NULL;
    c->noffs = 0;
    offs = bounce__malloc(c->nc * sizeof(*offs));
    oi = bounce__malloc(c->nc * sizeof(*oi));
    cut = bounce__malloc(c->nc * sizeof(*cut));
    if (!offs || !oi || !cut) {
        bounce__free(offs);
        bounce__free(oi);
        bounce__free(cut);
        return -1;
    }
    for (i = 0; i < c->nc; i++) {
        size_t s2 = (size_t)(c->c[i].addr - t) + c->c[i].alen;
        oi[i].off = c->c[i].line_off;
        oi[i].idx = i;
        cut[i] = SIZE_MAX; /* next_named() for the line group before oi[i]: not yet */
        if (s2 > last)
            last = s2; /* the end of the last address */
        if (i == 0 || c->c[i].line_off < first_all)
            first_all = c->c[i].line_off;
    }
    qsort(oi, c->nc, sizeof(*oi), cmp_offidx);
    for (i = 0; i < c->nc; i++)
        offs[i] = oi[i].off;
    for (i = 0; i < c->nc; i++) {
        /* an address inside a sentence: the sentence is part of the diagnostic */
        size_t start = c->c[i].weak ? c->c[i].line_off : (size_t)(c->c[i].addr - t) + c->c[i].alen;
        size_t end = c->human_len, lo = 0, hi = c->nc;
        while (lo < hi) { /* the first offset after this candidate's line */
            size_t mid = lo + (hi - lo) / 2;
            if (offs[mid] > c->c[i].line_off)
                hi = mid;
            else
                lo = mid + 1;
        }
        if (lo < c->nc && offs[lo] < end) {
            end = offs[lo];
            if (cut[lo] == SIZE_MAX) { /* once per line: the lines' texts are disjoint */
                size_t le = c->c[i].line_off;
                while (le < end && t[le] != '\n')
                    le++;
                cut[lo] = next_named(c, le, end, oi[lo].idx);
            }
            if (cut[lo] > start && cut[lo] < end)
                end = cut[lo];
        } else if (offs[0] != offs[c->nc - 1])
            /* the last of several recipients: its text ends where a new section begins
             * (a transcript of other recipients' sessions must not become its reason) */
            end = rule_line(t, start, end);
        if (end < start)
            end = start;
        c->c[i].diag = t + start;
        c->c[i].dlen = end - start;
        {
            /* only punctuation after the address: take the text after the last candidate */
            const char *s = c->c[i].diag;
            size_t n = c->c[i].dlen, k, alnum = 0;
            for (k = 0; k < n && alnum < 4; k++) /* not to the end of the text per candidate */
                if ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
                    (s[k] >= '0' && s[k] <= '9'))
                    alnum++;
            if (alnum >= 4 && !c->c[i].weak) {
                /* an address alone on its line whose text holds no reply: one of a list
                 * (the last one's text is the next section, "Additional Information") */
                const char *a_end = c->c[i].addr + c->c[i].alen;
                size_t j, rest = c->human_len - (size_t)(a_end - t);
                int alone = 1; /* bounded: many addresses may share one long line */
                for (j = 0; j < rest && a_end[j] != '\n' && a_end[j] != '\r' && alone; j++)
                    if (j >= 64 || (a_end[j] >= 'a' && a_end[j] <= 'z') ||
                        (a_end[j] >= 'A' && a_end[j] <= 'Z') || (a_end[j] >= '0' && a_end[j] <= '9'))
                        alone = 0;
                if (alone && !holds_reply(s, n < 1024 ? n : 1024)) {
                    if (list_above == SIZE_MAX)
                        list_above = reply_above(c, first_all, last);
                    if (list_above < first_all)
                        alnum = 0;
                }
            }
            if (alnum < 4 && list_above == SIZE_MAX)
                list_above = reply_above(c, first_all, last);
            if (alnum < 4 && list_above < first_all) {
                /* a list of recipients below the reply that refused them all (MailMarshal:
                 * "Could not be delivered because of", the reply, "The following
                 * recipients were affected:", the list), and no reply after the list */
                c->c[i].diag = t + list_above;
                c->c[i].dlen = first_all - list_above;
            } else if (alnum < 4) {
                if (last < c->human_len && c->human_len - last > n) {
                    c->c[i].diag = t + last;
                    c->c[i].dlen = c->human_len - last;
                } else {
                    /* nothing after any address (Lotus Notes' "Failure Reasons" block, au
                     * EZweb): the reason is the paragraph just above the first address */
                    size_t first = first_all, b, lim;
                    int seen = 0; /* a non-blank line was taken */
                    lim = first > 1024 ? first - 1024 : 0;
                    b = first;
                    while (b > lim) {
                        /* step back one line; stop at a blank line above the paragraph */
                        size_t e = b, ls;
                        if (t[e - 1] == '\n')
                            e--;
                        if (e > lim && t[e - 1] == '\r')
                            e--;
                        ls = e;
                        while (ls > lim && t[ls - 1] != '\n' && t[ls - 1] != '\r')
                            ls--;
                        {
                            size_t q = ls;
                            while (q < e && is_space((unsigned char)t[q]))
                                q++;
                            if (q >= e && seen)
                                break;
                            if (q < e)
                                seen = 1;
                        }
                        b = ls;
                    }
                    if (b < first) {
                        c->c[i].diag = t + b;
                        c->c[i].dlen = first - b;
                    }
                }
            }
        }
    }
    {
        /* Apache James (and Verizon's vtext gateway built on it): "Error message below:",
         * the reply, then "Message details:" with the recipient in an "RCPT TO:" line; the
         * diagnostic is the reply block before the details, not the text after the address */
        const char *em = find_ci(t, c->human_len, "error message below:");
        if (em) {
            size_t from = (size_t)(em - t) + 20, to;
            const char *md = find_ci(em, c->human_len - (size_t)(em - t), "message details:");
            to = md ? (size_t)(md - t) : c->human_len;
            for (i = 0; i < c->nc && to > from; i++)
                if (c->c[i].line_off >= to) {
                    c->c[i].diag = t + from;
                    c->c[i].dlen = to - from;
                }
        }
    }
    {
        /* Sendmail's session transcript ("While talking to HOST:", ">>> command", "<<<
         * reply", then one "NNN <rcpt>... text" line per recipient, several hosts and
         * recipients in one transcript): what concerns a recipient comes before its own
         * line, back to the section's "while talking to" line or to the line of the
         * recipient before it; what follows belongs to the next recipient */
        const char *wt = find_ci(t, c->human_len, "while talking to ");
        for (i = 0; wt && i < c->nc; i++) {
            size_t ae = (size_t)(c->c[i].addr - t) + c->c[i].alen, le = ae, b;
            size_t ls = c->c[i].line_off, lim = ls > 2048 ? ls - 2048 : 0;
            if (c->c[i].weak || ls <= (size_t)(wt - t) || ae + 4 > c->human_len ||
                memcmp(t + ae, ">...", 4) != 0)
                continue;
            while (le < c->human_len && t[le] != '\n' && t[le] != '\r')
                le++;
            b = ls;
            while (b > lim) {
                /* step back one line; stop above a recipient's line or a marker line,
                 * take a "while talking to" line and stop */
                size_t e = b, l0, k;
                int rcpt_line = 0;
                while (e > lim && (t[e - 1] == '\n' || t[e - 1] == '\r'))
                    e--;
                l0 = e;
                while (l0 > lim && t[l0 - 1] != '\n' && t[l0 - 1] != '\r')
                    l0--;
                if (l0 == e)
                    break; /* blank line or the limit */
                k = l0;
                while (k < e && is_space((unsigned char)t[k]))
                    k++;
                if (e - k >= 5 && t[k] == '-' && t[k + 1] == '-')
                    break; /* "----- Transcript of session follows -----" */
                if (!(e - k >= 3 && (!memcmp(t + k, "<<<", 3) || !memcmp(t + k, ">>>", 3))) &&
                    find_ci(t + k, e - k, ">..."))
                    rcpt_line = 1;
                if (rcpt_line)
                    break;
                b = l0;
                if (find_ci(t + k, e - k, "while talking to "))
                    break;
            }
            c->c[i].diag = t + b;
            c->c[i].dlen = le - b;
        }
    }
    bounce__free(oi);
    bounce__free(cut);
    c->offs = offs; /* kept: stage_from_text bounds a recipient's text by it */
    c->noffs = c->nc;
    return 0;
}

static int bounce_like(ctx *c)
{
    static const char *const subj[] = {
        "undeliver", "returned mail", "delivery status", "delivery failure", "delivery fail",
        "failure notice", "non-deliver", "nondeliver", "not delivered", "could not be delivered",
        "unzustellbar", "non remis", "mail system error", "delivery problem", "returned to sender",
        "bounce", "rejected", "failed delivery", "delivery notification", "undelivered",
        "error", "unable to deliver", "mail failure", "notice", "returning message",
        "delivery report"};
    static const char *const body[] = {
        "could not be delivered", "couldn't be delivered", "was not delivered", "undeliverable",
        "permanent error", "delivery failed", "failed permanently", "wasn't able to deliver",
        "unable to deliver", "not be delivered", "delivery has failed", "did not reach",
        "could not deliver", "fatal error", "was rejected", "delivery to the following",
        "delivery failure", "following address", "following recipient", "user unknown",
        "couldn't deliver", "mail delivery", "undelivered", "returned to you", "permanently",
        "not delivered", "rejected", "no such user", "delivery problem", "failed"};
    size_t i, vlen;
    const char *v;
    if (bounce__mime_header_raw(c->top, c->top_len, "x-failed-recipients", &vlen))
        return 1;
    v = bounce__mime_header_raw(c->top, c->top_len, "from", &vlen);
    if (v && (contains_ci(v, vlen, "mailer-daemon") || contains_ci(v, vlen, "postmaster") ||
              contains_ci(v, vlen, "mail delivery") || contains_ci(v, vlen, "maildelivery") ||
              contains_ci(v, vlen, "mail-daemon") || contains_ci(v, vlen, "mailer_daemon")))
        return 1;
    if (c->d->field[BOUNCE_DSN_BOUNCE_SUBJECT]) {
        const char *s = c->d->field[BOUNCE_DSN_BOUNCE_SUBJECT];
        for (i = 0; i < BOUNCE__ARRAY_LEN(subj); i++)
            if (contains_ci(s, strlen(s), subj[i]))
                return 1;
    }
    for (i = 0; i < BOUNCE__ARRAY_LEN(body); i++)
        if (head_has(c, SIZE_MAX, body[i]))
            return 1;
    return 0;
}

/* A mailing-list manager refusing a post (fml "You are not a member of this mailing
 * list", Mailman "Post by non-member to a members-only list"): the list address did not
 * take the message. One record: the first address the notice names that is not the
 * addressee of the notice (the refused poster), else the list's own From. */
static int list_refusal(ctx *c)
{
    static const char *const hdrs[] = {"x-mlserver", "x-ml-name", "x-ml-info",
                                       "x-mailman-version"};
    static const char *const words[] = {"not a member", "not member", "non-member",
                                        "members-only", "only members", "not allowed to post"};
    const char *subj = c->d->field[BOUNCE_DSN_BOUNCE_SUBJECT];
    const char *to = NULL, *list = NULL;
    char own[256];
    size_t i, tn = 0, ln = 0, vlen, hl = c->human_len < 1024 ? c->human_len : 1024;
    int is_list = 0, refused = 0;
    bounce_record_t *r;

    for (i = 0; i < BOUNCE__ARRAY_LEN(hdrs) && !is_list; i++)
        is_list = bounce__mime_header_raw(c->top, c->top_len, hdrs[i], &vlen) != NULL;
    for (i = 0; i < BOUNCE__ARRAY_LEN(words) && is_list && !refused; i++)
        refused = (subj && contains_ci(subj, strlen(subj), words[i])) ||
                  head_has(c, hl, words[i]);
    if (!refused)
        return 0;
    (void)header_addr(c, c->top, c->top_len, "to", &to, &tn);
    for (i = 0; i < hl && !list; i++) {
        size_t b, e;
        if (c->text.p[i] == '@' && addr_at(c->text.p, c->human_len, i, &b, &e)) {
            if (!(to && addr_eq(c->text.p + b, e - b, to, tn))) {
                list = c->text.p + b;
                ln = e - b;
            }
            i = e;
        }
    }
    if (!list) {
        /* the notice's From, less a list manager's suffix (team-owner@ is team@) */
        static const char *const sfx[] = {"-owner", "-admin", "-bounces", "-request"};
        const char *at;
        if (!header_addr(c, c->top, c->top_len, "from", &list, &ln))
            return 0;
        at = memchr(list, '@', ln);
        for (i = 0; at && i < BOUNCE__ARRAY_LEN(sfx); i++) {
            size_t sl = strlen(sfx[i]), ll = (size_t)(at - list);
            if (ll > sl && ll - sl + (ln - ll) < sizeof own && starts_ci(at - sl, sl, sfx[i])) {
                memcpy(own, list, ll - sl);
                memcpy(own + ll - sl, at, ln - ll);
                list = own;
                ln = ll - sl + (ln - ll);
                break;
            }
        }
    }
    if (!(r = new_record(c)))
        return -1;
    /* Mailman holds a non-member's post for the moderator: not refused yet */
    r->status = head_has(c, hl, "is being held") || head_has(c, hl, "awaits moderator") ||
                        head_has(c, hl, "held for moderat")
                    ? BOUNCE_EVENT_DELAYED
                    : BOUNCE_EVENT_BOUNCED;
    if (bounce__record_set(r, BOUNCE_FIELD_RECIPIENT, list, ln) < 0 ||
        squeeze(c, c->text.p, hl) < 0 ||
        (c->tmp.len && bounce__record_set(r, BOUNCE_FIELD_DIAGNOSTIC, c->tmp.p, c->tmp.len) < 0))
        return -1;
    return 1;
}

static int is_autoreply(ctx *c)
{
    static const char *const subj[] = {
        "auto:", "auto reply", "autoreply", "auto-reply", "automatic reply", "out of office",
        "out of the office", "vacation", "abwesenheit", "réponse automatique",
        "respuesta automática", "risposta automatica", "automatisch antwoord", "away from",
        "自動応答", "自動返信", "不在", "автоответ", "on leave", "away until", "auto response",
        "autoresponse", "abwesend"};
    size_t vlen, i;
    const char *v;
    v = bounce__mime_header_raw(c->top, c->top_len, "auto-submitted", &vlen);
    if (v && starts_ci(v, vlen, "auto-replied"))
        return 1;
    if (bounce__mime_header_raw(c->top, c->top_len, "x-autoreply", &vlen) ||
        bounce__mime_header_raw(c->top, c->top_len, "x-autorespond", &vlen) ||
        bounce__mime_header_raw(c->top, c->top_len, "x-autoresponder", &vlen))
        return 1;
    v = bounce__mime_header_raw(c->top, c->top_len, "precedence", &vlen);
    if (v && starts_ci(v, vlen, "auto_reply"))
        return 1;
    if (c->d->field[BOUNCE_DSN_BOUNCE_SUBJECT]) {
        const char *s = c->d->field[BOUNCE_DSN_BOUNCE_SUBJECT];
        for (i = 0; i < BOUNCE__ARRAY_LEN(subj); i++)
            if (contains_ci(s, strlen(s), subj[i]))
                return 1;
    }
    return 0;
}

/* Append text/html as plain text (tags dropped, a few entities decoded). */
static int html_to_text(bounce__buf *out, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '<') {
            size_t j = i + 1;
            int block = 0;
            if (j < n && (s[j] == '/' ))
                j++;
            if (j + 1 < n && ((bounce__ascii_lower((unsigned char)s[j]) == 'b' &&
                               bounce__ascii_lower((unsigned char)s[j + 1]) == 'r') ||
                              bounce__ascii_lower((unsigned char)s[j]) == 'p' ||
                              bounce__ascii_lower((unsigned char)s[j]) == 'd' ||
                              bounce__ascii_lower((unsigned char)s[j]) == 't' ||
                              bounce__ascii_lower((unsigned char)s[j]) == 'h' ||
                              bounce__ascii_lower((unsigned char)s[j]) == 'l'))
                block = 1;
            if (j + 5 < n && (starts_ci(s + j, n - j, "style") || starts_ci(s + j, n - j, "script")) &&
                s[i + 1] != '/') {
                const char *end = find_ci(s + j, n - j,
                                                     bounce__ascii_lower((unsigned char)s[j]) == 's' &&
                                                             bounce__ascii_lower((unsigned char)s[j + 1]) == 't'
                                                         ? "</style"
                                                         : "</script");
                if (end)
                    i = (size_t)(end - s);
            }
            while (i < n && s[i] != '>')
                i++;
            if (block && bounce__buf_putc(out, '\n') < 0)
                return -1;
            continue;
        }
        if (ch == '&') {
            static const struct {
                const char *e;
                char c;
            } ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&nbsp;", ' '},
                        {"&quot;", '"'}, {"&#39;", '\''}};
            size_t k;
            int done = 0;
            for (k = 0; k < BOUNCE__ARRAY_LEN(ents); k++)
                if (starts_ci(s + i, n - i, ents[k].e)) {
                    if (bounce__buf_putc(out, ents[k].c) < 0)
                        return -1;
                    i += strlen(ents[k].e) - 1;
                    done = 1;
                    break;
                }
            if (done)
                continue;
        }
        if (bounce__buf_putc(out, ch) < 0)
            return -1;
    }
    return 0;
}

/* A forwarded bounce quoted with "> ": strip one quoting level when most lines have it. */
static void unquote(bounce__buf *t)
{
    size_t pos = 0, lines = 0, quoted = 0, o = 0;
    while (pos < t->len) {
        size_t e = line_end(t->p, t->len, pos);
        if (e > pos) {
            lines++;
            if (t->p[pos] == '>')
                quoted++;
        }
        pos = e < t->len ? e + 1 : t->len;
    }
    if (quoted < 5 || quoted * 5 < lines * 2)
        return;
    pos = 0;
    while (pos < t->len) {
        size_t e = line_end(t->p, t->len, pos), k = pos;
        if (k < e && t->p[k] == '>') {
            k++;
            if (k < e && t->p[k] == ' ')
                k++;
        }
        memmove(t->p + o, t->p + k, e - k);
        o += e - k;
        if (e < t->len)
            t->p[o++] = '\n';
        pos = e < t->len ? e + 1 : t->len;
    }
    t->len = o;
    t->p[o] = '\0';
}

/* ------------------------------------------------------------------ Amazon SES JSON */

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int ses_record(ctx *c, int event, const char *addr, const char *status, const char *diag)
{
    bounce_record_t *r;
    if (!addr || !*addr)
        return 0;
    r = new_record(c);
    if (!r)
        return c->capped ? 0 : -1;
    r->status = (uint8_t)event;
    if (bounce__record_set_str(r, BOUNCE_FIELD_RECIPIENT, addr) < 0 ||
        (status && *status && bounce__record_set_str(r, BOUNCE_FIELD_ENHANCED, status) < 0))
        return -1;
    if (diag && *diag) {
        const char *s = diag, *semi = strchr(diag, ';');
        size_t n = strlen(diag);
        if (semi && semi - diag < 20 && !memchr(diag, ' ', (size_t)(semi - diag))) {
            n -= (size_t)(semi + 1 - diag);
            s = semi + 1;
        }
        trim(&s, &n);
        if (n && bounce__record_set(r, BOUNCE_FIELD_DIAGNOSTIC, s, n) < 0)
            return -1;
    }
    return 1;
}

/* Amazon SES notifications (SNS e-mail): a JSON body with notificationType/eventType
 * Bounce, Delivery or Complaint. Returns records made, -1 nomem. */
static int parse_ses_json(ctx *c)
{
    const char *t = c->text.p, *start, *end;
    bounce__buf js = {0};
    json_t *root, *mail, *o, *arr;
    const char *type;
    size_t i, idx;
    int n = 0, r = 0;
    {
        size_t k = 0;
        while (t && k < c->text.len && is_space((unsigned char)t[k]))
            k++;
        if (!t || k >= c->text.len || t[k] != '{')
            return 0;
    }
    if (!t || (!contains_ci(t, c->text.len, "\"notificationtype\"") &&
               !contains_ci(t, c->text.len, "\"eventtype\"")))
        return 0;
    start = memchr(t, '{', c->text.len);
    if (!start)
        return 0;
    end = t + c->text.len;
    /* the JSON may be wrapped over several lines: join them */
    for (; start < end; start++) {
        if (*start == '\n')
            continue;
        if (bounce__buf_putc(&js, *start) < 0) {
            bounce__buf_free(&js);
            return -1;
        }
        if (*start == '}' && start + 1 < end && start[1] == '\n' &&
            (start + 2 >= end || start[2] == '\n' || start[2] == '-'))
            break;
    }
    root = json_loadb(js.p ? js.p : "", js.len, JSON_DISABLE_EOF_CHECK, NULL);
    bounce__buf_free(&js);
    if (!root)
        return 0;
    type = jstr(root, "notificationType");
    if (!type)
        type = jstr(root, "eventType");
    mail = json_object_get(root, "mail");
    if (mail) {
        const char *src = jstr(mail, "source"), *mid = jstr(mail, "messageId");
        json_t *ch = json_object_get(mail, "commonHeaders");
        if ((src && set_field(c->d, BOUNCE_DSN_ENVELOPE_SENDER, src, strlen(src)) < 0) ||
            (mid && set_field(c->d, BOUNCE_DSN_ORIG_MESSAGE_ID, mid, strlen(mid)) < 0))
            r = -1;
        if (ch && r == 0) {
            const char *subj = jstr(ch, "subject");
            if (subj && set_field(c->d, BOUNCE_DSN_ORIG_SUBJECT, subj, strlen(subj)) < 0)
                r = -1;
        }
    }
    if (r == 0 && type && !strcmp(type, "Bounce")) {
        o = json_object_get(root, "bounce");
        arr = json_object_get(o, "bouncedRecipients");
        json_array_foreach(arr, idx, o) {
            const char *act = jstr(o, "action");
            int ev = act && !strcmp(act, "delayed") ? BOUNCE_EVENT_DELAYED : BOUNCE_EVENT_BOUNCED;
            int k = ses_record(c, ev, jstr(o, "emailAddress"), jstr(o, "status"),
                               jstr(o, "diagnosticCode"));
            if (k < 0) {
                r = -1;
                break;
            }
            n += k;
        }
    } else if (r == 0 && type && !strcmp(type, "Delivery")) {
        json_t *dl = json_object_get(root, "delivery");
        const char *resp = jstr(dl, "smtpResponse");
        char esc[BOUNCE__ESC_MAX];
        int code = 0;
        esc[0] = '\0';
        if (resp) /* one response for every recipient: extract its codes once */
            bounce__reply_extract(resp, strlen(resp), &code, esc);
        arr = json_object_get(dl, "recipients");
        json_array_foreach(arr, idx, o) {
            int k = ses_record(c, BOUNCE_EVENT_DELIVERED,
                           json_is_string(o) ? json_string_value(o) : NULL, esc, resp);
            if (k < 0) {
                r = -1;
                break;
            }
            n += k;
        }
    } else if (r == 0 && type && !strcmp(type, "Complaint")) {
        json_t *cp = json_object_get(root, "complaint");
        const char *ft = jstr(cp, "complaintFeedbackType");
        if (ft && set_field(c->d, BOUNCE_DSN_FEEDBACK_TYPE, ft, strlen(ft)) < 0)
            r = -1;
        arr = json_object_get(cp, "complainedRecipients");
        json_array_foreach(arr, idx, o) {
            int k = ses_record(c, BOUNCE_EVENT_FEEDBACK, jstr(o, "emailAddress"), NULL, ft);
            if (k < 0) {
                r = -1;
                break;
            }
            n += k;
        }
        if (n)
            c->d->kind = BOUNCE_DSN_FEEDBACK;
    }
    (void)i;
    json_decref(root);
    return r < 0 ? -1 : n;
}

/* ------------------------------------------------------------------ the parse */

static int collect_parts(ctx *c)
{
    size_t i;
    int have_text = 0, have_ds = 0, have_fb = 0, have_orig = 0, emb_ds = -1;
    bounce__buf html = {0};
    int r = 0;
    for (i = 0; i < c->m.nparts; i++) {
        const bounce__mime_part *p = &c->m.parts[i];
        const char *ty = p->type;
        if (p->embedded) {
            if (emb_ds < 0 && (!strcmp(ty, "message/delivery-status") ||
                               !strcmp(ty, "message/global-delivery-status")))
                emb_ds = (int)i;
            if (!have_orig && p->parent >= 0 && !c->m.parts[p->parent].embedded) {
                c->orig = p->hdr;
                c->orig_len = p->hdr_len;
                have_orig = 1;
            }
            continue;
        }
        if (!strcmp(ty, "message/delivery-status") ||
            !strcmp(ty, "message/global-delivery-status")) {
            if (!have_ds || c->ds.len < DS_CAP) {
                if (c->ds.len && bounce__buf_putc(&c->ds, '\n') < 0)
                    goto nomem;
                r = bounce__mime_decode(p, &c->ds, DS_CAP);
                if (r < 0)
                    goto nomem;
                if (r > 0 && add_warning(c->d, "delivery-status part cut at 8 MiB") < 0)
                    goto nomem;
                if (bounce__buf_putc(&c->ds, '\n') < 0)
                    goto nomem;
                have_ds = 1;
            }
        } else if (!strcmp(ty, "message/feedback-report")) {
            if (!have_fb) {
                if (bounce__mime_decode(p, &c->fb, TEXT_CAP) < 0)
                    goto nomem;
                have_fb = 1;
            }
        } else if (!strcmp(ty, "text/rfc822-headers") || !strcmp(ty, "message/global-headers") ||
                   !strcmp(ty, "message/rfc822-headers")) {
            if (!have_orig && p->encoding == BOUNCE__MIME_ENC_IDENTITY) {
                c->orig = p->body;
                c->orig_len = header_block_len(p->body, p->body_len);
                have_orig = 1;
            }
        } else if (!strcmp(ty, "text/plain") && !p->attachment &&
                   (i == 0 || strncmp(ty, "multipart/", 10))) {
            if (c->text.len < TEXT_CAP && (have_text == 0 || c->m.parts[i].depth <= 2)) {
                if (have_text && bounce__buf_putc(&c->text, '\n') < 0)
                    goto nomem;
                r = bounce__mime_decode(p, &c->text, TEXT_CAP - c->text.len);
                if (r < 0)
                    goto nomem;
                if (r > 0 && add_warning(c->d, "human-readable part cut at 256 KiB") < 0)
                    goto nomem;
                have_text = 1;
            }
        } else if (!strcmp(ty, "text/html") && !p->attachment && !html.len) {
            bounce__buf raw = {0};
            if (bounce__mime_decode(p, &raw, TEXT_CAP) < 0 ||
                html_to_text(&html, raw.p ? raw.p : "", raw.len) < 0) {
                bounce__buf_free(&raw);
                goto nomem;
            }
            bounce__buf_free(&raw);
        }
    }
    if (!have_text && html.len && bounce__buf_append(&c->text, html.p, html.len) < 0)
        goto nomem;
    bounce__buf_free(&html);
    if (!have_ds && emb_ds >= 0) {
        /* a forwarded bounce: the report is inside the attached message */
        if (bounce__mime_decode(&c->m.parts[emb_ds], &c->ds, TEXT_CAP) < 0)
            return -1;
    }
    unquote(&c->text);
    if (bounce__buf_terminate(&c->text) < 0)
        return -1;
    return 0;
nomem:
    bounce__buf_free(&html);
    return -1;
}

/* The addresses of an X-Failed-Recipients value, each with its first place in the human
 * text. */
typedef struct xaddr {
    size_t b, e;  /* the span in the list */
    size_t same;  /* a repeated address: the first entry's index + 1; 0: the first */
    size_t hit;   /* the offset + 1 of its first place in the text; 0: none (yet) */
    size_t line;  /* the offset of that place's line */
} xaddr;

typedef struct xlist {
    const char *p; /* the list */
    xaddr *x;     /* room for one per '@' of the list */
    size_t n;
    aset set; /* the first entries */
} xlist;

/* An entry's address; NULL once it has its place (later places change nothing). */
static const char *xaddr_key(const void *arg, size_t idx, size_t *n)
{
    const xlist *l = arg;
    if (l->x[idx].hit)
        return NULL;
    *n = l->x[idx].e - l->x[idx].b;
    return l->p + l->x[idx].b;
}

/* The addresses of the list p[0..len), in order. -1: out of memory. */
static int xlist_build(xlist *l, const char *p, size_t len)
{
    size_t i, ats = 0;
    l->p = p;
    for (i = 0; i < len; i++)
        ats += p[i] == '@';
    if (!ats)
        return 0;
    l->x = bounce__calloc(ats, sizeof(*l->x));
    if (!l->x)
        return -1;
    for (i = 0; i < len; i++) {
        size_t b, e, h;
        if (p[i] != '@' || !addr_at(p, len, i, &b, &e))
            continue;
        h = addr_hash(p + b, e - b);
        l->x[l->n].b = b;
        l->x[l->n].e = e;
        l->x[l->n].same = aset_has(&l->set, l, xaddr_key, h, p + b, e - b);
        if (!l->x[l->n].same && aset_add(&l->set, h, l->n) < 0)
            return -1;
        l->n++;
        i = e;
    }
    return 0;
}

/* The entry equal to t[k..end) (h: its hash so far, not ended) that has no place yet takes
 * offset k on the line at ls. 1: one did. */
static size_t xlist_hit(xlist *l, const char *t, size_t k, size_t end, uint64_t h, size_t ls)
{
    size_t x = aset_has(&l->set, l, xaddr_key, addr_hash_end(h), t + k, end - k);
    if (!x)
        return 0;
    l->x[x - 1].hit = k + 1;
    l->x[x - 1].line = ls;
    return 1;
}

/* Give each entry its first place in the human text not preceded by a local-part byte, in
 * one pass instead of a search of the text per address. Such a place starts the whole
 * run of local-part bytes before an '@' and ends inside the run of domain bytes after it
 * (or at the first ']' of an address literal): the runs around different '@'s do not
 * overlap, so each text byte is looked at a bounded number of times. */
static void xlist_place(xlist *l, const char *t, size_t len)
{
    size_t left = l->set.n, pos = 0, ls = 0; /* ls: start of the line at pos */
    const char *at = len ? memchr(t, '@', len) : NULL;
    while (at && left) {
        size_t p = (size_t)(at - t), k = p, j;
        uint64_t h;
        const char *nl;
        while (k > 0 && local_char((unsigned char)t[k - 1]))
            k--;
        while ((nl = memchr(t + pos, '\n', k - pos)) != NULL) {
            ls = (size_t)(nl - t) + 1;
            pos = ls;
        }
        pos = k;
        if (k < p) {
            h = addr_hash_more(ADDR_HASH_INIT, t + k, p + 1 - k);
            if (p + 1 < len && t[p + 1] == '[') {
                const char *rb = memchr(t + p + 1, ']', len - p - 1 < 64 ? len - p - 1 : 64);
                if (rb)
                    left -= xlist_hit(l, t, k, (size_t)(rb - t) + 1,
                                      addr_hash_more(h, t + p + 1, (size_t)(rb - t) - p), ls);
            } else {
                for (j = p + 1; j < len && left && domain_char((unsigned char)t[j]); j++) {
                    h = addr_hash_more(h, t + j, 1);
                    left -= xlist_hit(l, t, k, j + 1, h, ls);
                }
            }
        }
        at = p + 1 < len ? memchr(t + p + 1, '@', len - p - 1) : NULL;
    }
}

static void xlist_free(xlist *l)
{
    bounce__free(l->x);
    bounce__free(l->set.s);
}

/* Records or candidates for the addresses of X-Failed-Recipients (Exim), which names them
 * outright. An address found in the human text becomes a candidate there, so that it gets
 * a diagnostic; one that is not gets a record with the whole text. Adds the records made
 * to *n; -1: out of memory; 1: the recipient cap was reached. */
static int failed_recipients(ctx *c, int *n)
{
    bounce__buf list = {0};
    xlist l = {0};
    size_t i;
    int ret = 0;
    /* the list is copied: the diagnostics are made in tmp */
    if (bounce__buf_append(&list, c->tmp.p, c->tmp.len) < 0 ||
        xlist_build(&l, list.p, list.len) < 0) {
        ret = -1;
        goto out;
    }
    xlist_place(&l, c->text.p, c->human_len);
    for (i = 0; i < l.n; i++) {
        const xaddr *x = &l.x[l.x[i].same ? l.x[i].same - 1 : i];
        const char *a = list.p + l.x[i].b;
        size_t an = l.x[i].e - l.x[i].b;
        if (x->hit) {
            if (add_cand(c, c->text.p + x->hit - 1, an, x->line) < 0) {
                ret = -1;
                goto out;
            }
        } else {
            /* not in the text: the header names it, the text explains it */
            bounce_record_t *r;
            int seen = find_record(c, a, an);
            if (seen < 0) {
                ret = -1;
                goto out;
            }
            if (seen)
                continue;
            r = new_record(c);
            if (!r) {
                ret = c->capped ? 1 : -1;
                goto out;
            }
            r->status = BOUNCE_EVENT_BOUNCED;
            r->diag_notice = 1;
            if (bounce__record_set(r, BOUNCE_FIELD_RECIPIENT, a, an) < 0 ||
                squeeze(c, c->text.p, c->human_len) < 0 ||
                (c->tmp.len &&
                 bounce__record_set(r, BOUNCE_FIELD_DIAGNOSTIC, c->tmp.p, c->tmp.len) < 0)) {
                ret = -1;
                goto out;
            }
            (*n)++;
        }
    }
out:
    xlist_free(&l);
    bounce__buf_free(&list);
    return ret;
}

static int text_records(ctx *c)
{
    size_t i;
    int n = 0;

    if (hdr_value(c, c->top, c->top_len, "x-failed-recipients") > 0) {
        int r = failed_recipients(c, &n);
        if (r)
            return r < 0 ? -1 : 0;
    }
    if (scan_text(c, 1) < 0)
        return -1;
    if (c->nc == 0 && n == 0) {
        if (scan_text(c, 0) < 0)
            return -1;
    }
    if (cand_diags(c) < 0)
        return -1;
    if (c->nc == 0 && n == 0 && c->orig) {
        /* nothing in the text: the returned message's recipients are all there is */
        size_t vlen, k;
        const char *v = bounce__mime_header_raw(c->orig, c->orig_len, "to", &vlen);
        for (k = 0; v && k < vlen; k++)
            if (v[k] == '@') {
                size_t b, e;
                if (addr_at(v, vlen, k, &b, &e)) {
                    if (add_cand(c, v + b, e - b, 0) < 0)
                        return -1;
                    k = e;
                }
            }
        for (k = 0; k < c->nc; k++) {
            c->c[k].diag = c->text.p;
            c->c[k].dlen = c->human_len;
        }
    }
    for (i = 0; i < c->nc; i++) {
        bounce_record_t *r;
        int seen = find_record(c, c->c[i].addr, c->c[i].alen);
        if (seen < 0)
            return -1;
        if (seen)
            continue;
        r = new_record(c);
        if (!r)
            return c->capped ? n : -1;
        r->status = BOUNCE_EVENT_BOUNCED;
        r->diag_notice = c->c[i].diag == c->text.p && c->c[i].dlen == c->human_len;
        if (bounce__record_set(r, BOUNCE_FIELD_RECIPIENT, c->c[i].addr, c->c[i].alen) < 0)
            return -1;
        {
            /* drop what closes the address ("<a@b>:", "a@b...") */
            const char *ds = c->c[i].diag;
            size_t dn = c->c[i].dlen;
            while (dn && (is_space((unsigned char)*ds) || strchr(">:)\"'],;.", *ds))) {
                ds++;
                dn--;
            }
            if (squeeze(c, ds, dn) < 0)
                return -1;
        }
        if (c->tmp.len && bounce__record_set(r, BOUNCE_FIELD_DIAGNOSTIC, c->tmp.p, c->tmp.len) < 0)
            return -1;
        n++;
    }
    return n;
}

/* Whether a diagnostic is a bare reply code with nothing to say ("smtp; 550", "550
 * 5.0.0": Google Workspace's Diagnostic-Code, whose words stand in the human text). */
static int code_only(const char *s, size_t n)
{
    size_t i, digits = 0;
    trim(&s, &n);
    if (n == 0 || n > 24)
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] != '.' && s[i] != '#' && s[i] != '-' && !is_space((unsigned char)s[i]))
            return 0;
    }
    return digits >= 3;
}

/* Diagnostic for DSN records that lack one (or have a bare code), from the human text: the
 * candidate with the record's address, found through the candidates' hash set (they are
 * unique under addr_eq, so it is the one a scan of all candidates would stop at). For a
 * bare code, as in text_records, addresses inside sentences are looked for when none stands
 * at a line start ("Your message wasn't delivered to a@b because ..."); a record with no
 * diagnostic at all keeps the whole notice then (a sentence scan would find a DSN-like
 * text's "Final-Recipient:" line first). */
static int fill_missing_diags(ctx *c, size_t from)
{
    size_t i, j, strong_nc = 0;
    int scanned = 0, any_bare = 0;
    for (i = from; i < c->d->nrec && !any_bare; i++) {
        size_t dl;
        const char *diag = bounce__record_field(&c->d->rec[i], BOUNCE_FIELD_DIAGNOSTIC, &dl);
        any_bare = diag && dl && code_only(diag, dl);
    }
    for (i = from; i < c->d->nrec; i++) {
        bounce_record_t *r = &c->d->rec[i];
        size_t dl, al;
        const char *diag = bounce__record_field(r, BOUNCE_FIELD_DIAGNOSTIC, &dl);
        const char *a = bounce__record_field(r, BOUNCE_FIELD_RECIPIENT, &al);
        int bare = diag && dl && code_only(diag, dl);
        if (diag && dl && !bare)
            continue;
        if (!scanned) {
            if (scan_text(c, 1) < 0)
                return -1;
            strong_nc = c->nc;
            if (c->nc == 0 && any_bare && scan_text(c, 0) < 0)
                return -1;
            if (cand_diags(c) < 0)
                return -1;
            scanned = 1;
        }
        /* looked up once: setting a field may move the record's memory (a, diag) */
        j = a ? aset_has(&c->cset, c, cand_key, addr_hash(a, al), a, al) : 0;
        if (j) {
            if (bare) {
                /* the code stays when the text does not repeat it */
                char esc[BOUNCE__ESC_MAX];
                int code = 0;
                bounce__reply_extract(diag, dl, &code, esc);
                if (code)
                    r->reply_code = code;
            }
            if (squeeze(c, c->c[j - 1].diag, c->c[j - 1].dlen) < 0)
                return -1;
            if (c->tmp.len &&
                bounce__record_set(r, BOUNCE_FIELD_DIAGNOSTIC, c->tmp.p, c->tmp.len) < 0)
                return -1;
        }
        if (strong_nc == 0 && !bare && c->human_len && !j) {
            /* one recipient, no address in the text: the text is the diagnostic */
            if (c->d->nrec - from == 1) {
                r->diag_notice = 1;
                if (squeeze(c, c->text.p, c->human_len) < 0)
                    return -1;
                if (c->tmp.len &&
                    bounce__record_set(r, BOUNCE_FIELD_DIAGNOSTIC, c->tmp.p, c->tmp.len) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

static int parse_message(ctx *c, const char *buf, size_t len)
{
    bounce_dsn_t *d = c->d;
    size_t vlen, i;
    const char *v;
    int n;
    char rtype[40];
    unsigned w;

    if (bounce__mime_parse(&c->m, buf, len) < 0)
        return -1;
    w = c->m.warnings;
    if ((w & BOUNCE__MIME_W_DEPTH) && add_warning(d, "MIME nesting deeper than 16 levels: inner parts skipped") < 0)
        return -1;
    if ((w & BOUNCE__MIME_W_PARTS) && add_warning(d, "more than 256 MIME parts: the rest skipped") < 0)
        return -1;
    if ((w & BOUNCE__MIME_W_NOBOUNDARY) && add_warning(d, "multipart without its boundary: read as text") < 0)
        return -1;
    if ((w & BOUNCE__MIME_W_UNCLOSED) && add_warning(d, "multipart without its closing boundary (truncated message?)") < 0)
        return -1;
    if ((w & BOUNCE__MIME_W_NUL) && add_warning(d, "NUL bytes in the message (read as spaces)") < 0)
        return -1;
    if ((w & BOUNCE__MIME_W_NOHEADER) && add_warning(d, "no header block: read as text") < 0)
        return -1;
    if (!c->m.nparts)
        return 0;
    c->top = c->m.parts[0].hdr;
    c->top_len = c->m.parts[0].hdr_len;
    if (set_field_hdr(c, BOUNCE_DSN_BOUNCE_SUBJECT, c->top, c->top_len, "subject") < 0 ||
        set_field_hdr(c, BOUNCE_DSN_BOUNCE_FROM, c->top, c->top_len, "from") < 0)
        return -1;
    v = bounce__mime_header_raw(c->top, c->top_len, "date", &vlen);
    c->date = v ? parse_date(v, vlen) : INT64_MIN;
    rtype[0] = '\0';
    v = bounce__mime_header_raw(c->top, c->top_len, "content-type", &vlen);
    if (v)
        bounce__mime_param(v, vlen, "report-type", rtype, sizeof(rtype), 1);

    if (collect_parts(c) < 0)
        return -1;

    /* the returned message inside the text when no MIME part carries it */
    {
        size_t hs;
        size_t cut = find_original_marker(c->text.p, c->text.len, &hs);
        c->human_len = cut;
        if (!c->orig && hs < c->text.len) {
            c->orig = c->text.p + hs;
            c->orig_len = header_block_len(c->orig, c->text.len - hs);
        }
    }
    /* DSN fields written as plain text (no message/delivery-status part) */
    if (!c->ds.len) {
        const char *t = c->text.p;
        size_t pos = 0, tl = c->human_len;
        while (pos < tl) {
            size_t e = line_end(t, tl, pos);
            if (starts_ci(t + pos, e - pos, "final-recipient:") ||
                (starts_ci(t + pos, e - pos, "reporting-mta:") &&
                 find_ci(t + pos, tl - pos, "\nfinal-recipient:"))) {
                if (bounce__buf_append(&c->ds, t + pos, tl - pos) < 0)
                    return -1;
                break;
            }
            pos = e < tl ? e + 1 : tl;
        }
    }
    if (c->orig) {
        if (set_field_hdr(c, BOUNCE_DSN_ORIG_MESSAGE_ID, c->orig, c->orig_len, "message-id") < 0 ||
            set_field_hdr(c, BOUNCE_DSN_ORIG_SUBJECT, c->orig, c->orig_len, "subject") < 0 ||
            set_field_hdr(c, BOUNCE_DSN_ORIG_FROM, c->orig, c->orig_len, "from") < 0 ||
            set_field_hdr(c, BOUNCE_DSN_ORIG_TO, c->orig, c->orig_len, "to") < 0 ||
            set_field_hdr(c, BOUNCE_DSN_ORIG_DATE, c->orig, c->orig_len, "date") < 0 ||
            set_field_hdr(c, BOUNCE_DSN_ORIG_LIST_ID, c->orig, c->orig_len, "list-id") < 0 ||
            set_field_hdr(c, BOUNCE_DSN_ORIG_X_MAILER, c->orig, c->orig_len, "x-mailer") < 0)
            return -1;
        if (hdr_value(c, c->orig, c->orig_len, "return-path") > 0) {
            const char *s = c->tmp.p;
            size_t sn = c->tmp.len;
            clean_addr(&s, &sn);
            if (sn && set_field(d, BOUNCE_DSN_ENVELOPE_SENDER, s, sn) < 0)
                return -1;
        }
        {
            /* trim "<id>" brackets from the Message-ID */
            char *mid = d->field[BOUNCE_DSN_ORIG_MESSAGE_ID];
            if (mid) {
                size_t ml = strlen(mid);
                if (ml >= 2 && mid[0] == '<') {
                    char *gt = strchr(mid, '>');
                    size_t nl = gt ? (size_t)(gt - mid - 1) : ml - 1;
                    memmove(mid, mid + 1, nl);
                    mid[nl] = '\0';
                }
            }
        }
    }

    /* 1. delivery status */
    if (c->ds.len) {
        size_t first = d->nrec;
        n = parse_ds(c);
        if (n < 0)
            return -1;
        if (n > 0 && fill_missing_diags(c, first) < 0)
            return -1;
    }
    /* 1b. Amazon SES notifications in JSON */
    if (d->nrec == 0) {
        n = parse_ses_json(c);
        if (n < 0)
            return -1;
        c->json_records = n > 0;
    }
    /* 2. feedback report */
    if (d->nrec == 0 && (c->fb.len || !strcmp(rtype, "feedback-report"))) {
        n = parse_feedback(c);
        if (n < 0)
            return -1;
        if (n > 0 || c->fb.len) {
            d->kind = BOUNCE_DSN_FEEDBACK;
            goto done;
        }
    }
    /* 3. NDR text */
    if (d->nrec == 0 && bounce_like(c)) {
        n = text_records(c);
        if (n < 0)
            return -1;
        if (n > 0 && warning_notice(c))
            for (i = 0; i < d->nrec; i++)
                if (d->rec[i].status == BOUNCE_EVENT_BOUNCED)
                    d->rec[i].status = BOUNCE_EVENT_DELAYED;
    }
    /* 3b. a mailing list refusing a post */
    if (d->nrec == 0 && list_refusal(c) < 0)
        return -1;
    /* 4. auto-reply */
    if (d->nrec == 0 && is_autoreply(c)) {
        const char *a;
        size_t an;
        if (header_addr(c, c->top, c->top_len, "from", &a, &an)) {
            bounce_record_t *r = new_record(c);
            if (!r)
                return -1;
            r->status = BOUNCE_EVENT_AUTOREPLY;
            if (bounce__record_set(r, BOUNCE_FIELD_RECIPIENT, a, an) < 0)
                return -1;
            if (d->field[BOUNCE_DSN_BOUNCE_SUBJECT] &&
                bounce__record_set_str(r, BOUNCE_FIELD_DIAGNOSTIC, d->field[BOUNCE_DSN_BOUNCE_SUBJECT]) < 0)
                return -1;
            /* the message answered is the one the auto-reply refers to */
            d->kind = BOUNCE_DSN_AUTOREPLY;
        }
    }
done:
    if (!d->kind) {
        int failed = 0, delayed = 0, delivered = 0;
        for (i = 0; i < d->nrec; i++) {
            int st = d->rec[i].status;
            if (st == BOUNCE_EVENT_BOUNCED)
                failed = 1;
            else if (st == BOUNCE_EVENT_DELAYED)
                delayed = 1;
            else if (st == BOUNCE_EVENT_DELIVERED)
                delivered = 1;
        }
        d->kind = failed ? BOUNCE_DSN_BOUNCE
                         : delayed ? BOUNCE_DSN_DELAY : delivered ? BOUNCE_DSN_DELIVERED : BOUNCE_DSN_NONE;
    }
    if (c->capped && add_warning(d, "more than 10000 recipients: the rest skipped") < 0)
        return -1;
    for (i = 0; i < d->nrec; i++)
        if (finish_record(c, &d->rec[i], INT64_MIN) < 0)
            return -1;
    return 0;
}

/* ------------------------------------------------------------------ public API */

bounce_status_t bounce_dsn_parse(const bounce_kb_t *kb, const char *buf, size_t len,
                                 const char *name, uint32_t flags, bounce_dsn_t **out)
{
    ctx c;
    bounce_dsn_t *d;
    (void)flags;
    if (!out || (!buf && len))
        return BOUNCE_E_INVAL;
    if (!kb)
        kb = bounce_kb_builtin();
    d = bounce__calloc(1, sizeof(*d));
    if (!d)
        return BOUNCE_E_NOMEM;
    memset(&c, 0, sizeof(c));
    c.lc_n = SIZE_MAX;
    c.d = d;
    c.kb = kb;
    c.name = name;
    c.date = INT64_MIN;
    if (parse_message(&c, buf ? buf : "", len) < 0) {
        bounce__mime_free(&c.m);
        bounce__buf_free(&c.text);
        bounce__buf_free(&c.ds);
        bounce__buf_free(&c.fb);
        bounce__buf_free(&c.tmp);
        bounce__free(c.c);
        bounce__free(c.offs);
        bounce__free(c.cset.s);
        bounce__free(c.rset.s);
        bounce_dsn_free(d);
        return BOUNCE_E_NOMEM;
    }
    bounce__mime_free(&c.m);
    bounce__buf_free(&c.text);
    bounce__buf_free(&c.ds);
    bounce__buf_free(&c.fb);
    bounce__buf_free(&c.tmp);
    bounce__free(c.c);
    bounce__free(c.offs);
    bounce__free(c.cset.s);
    bounce__free(c.rset.s);
    *out = d;
    return BOUNCE_OK;
}

void bounce_dsn_free(bounce_dsn_t *d)
{
    size_t i;
    if (!d)
        return;
    for (i = 0; i < d->nrec; i++)
        bounce__record_release(&d->rec[i]);
    bounce__free(d->rec);
    for (i = 0; i < BOUNCE_DSN_FIELD_COUNT_; i++)
        bounce__free(d->field[i]);
    for (i = 0; i < d->nwarn; i++)
        bounce__free(d->warn[i]);
    bounce__free(d);
}

int bounce_dsn_kind(const bounce_dsn_t *d) { return d ? d->kind : BOUNCE_DSN_NONE; }

const char *bounce_dsn_get(const bounce_dsn_t *d, int field)
{
    if (!d || field < 0 || field >= BOUNCE_DSN_FIELD_COUNT_)
        return NULL;
    return d->field[field];
}

size_t bounce_dsn_record_count(const bounce_dsn_t *d) { return d ? d->nrec : 0; }

const bounce_record_t *bounce_dsn_record(const bounce_dsn_t *d, size_t i)
{
    return d && i < d->nrec ? &d->rec[i] : NULL;
}

size_t bounce_dsn_warning_count(const bounce_dsn_t *d) { return d ? d->nwarn : 0; }

const char *bounce_dsn_warning(const bounce_dsn_t *d, size_t i)
{
    return d && i < d->nwarn ? d->warn[i] : NULL;
}

bounce_status_t bounce_dsn_to_json(const bounce_dsn_t *d, uint32_t flags, char **out)
{
    bounce__buf b = {0};
    size_t i;
    if (!d || !out)
        return BOUNCE_E_INVAL;
    for (i = 0; i < d->nrec; i++) {
        if (bounce__record_json(&d->rec[i], flags, &b) < 0 || bounce__buf_putc(&b, '\n') < 0) {
            bounce__buf_free(&b);
            return BOUNCE_E_NOMEM;
        }
    }
    if (bounce__buf_terminate(&b) < 0) {
        bounce__buf_free(&b);
        return BOUNCE_E_NOMEM;
    }
    *out = b.p ? bounce__buf_take(&b) : NULL;
    if (!*out) {
        *out = bounce__strdup("");
        if (!*out)
            return BOUNCE_E_NOMEM;
    }
    return BOUNCE_OK;
}

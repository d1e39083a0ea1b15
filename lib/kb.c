/* The knowledge base: parser of the text format (doc/kb-format.md), merge over a base KB,
 * compilation into the flat representation of kb.h (including the Aho-Corasick DFA),
 * and the read-only accessors. tools/kbgen links this same file. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "kb.h"

/* ---- limits (exceeding them gives BOUNCE_E_LIMIT) ---- */
#define KB_MAX_INPUT ((size_t)64 << 20)   /* bytes per load */
#define MAX_ENTRIES 1000000u           /* entries of each type */
#define MAX_FRAG_LEN 255u              /* normalized bytes per fragment */
#define MAX_DFA_CELLS ((size_t)1 << 25) /* states * classes */
#define MAX_FIELDS 8
#define MAX_DIR_DEPTH 16

/* ---- vocabularies (text format names, in enum order) ---- */
static const char *const reason_names[] = {
    "undefined", "authfailure", "badreputation", "blocked", "contenterror", "delivered",
    "emailtoolarge", "expired", "failedstarttls", "feedback", "filtered", "hasmoved",
    "hostunknown", "mailboxfull", "mailererror", "networkerror", "norelaying", "notaccept",
    "notcompliantrfc", "onhold", "policyviolation", "ratelimited", "rejected", "requireptr",
    "securityerror", "spamdetected", "suppressed", "suspend", "syntaxerror", "systemerror",
    "systemfull", "userunknown", "vacation", "virusdetected"};
static const char *const severity_names[] = {"none", "permanent", "transient", "success"};
static const char *const who_names[] = {"none", "sender", "recipient", "local_admin",
                                        "remote_admin"};
static const char *const action_names[] = {"none", "suppress", "retry", "fix_local_config",
                                           "fix_dns", "request_delisting", "contact_recipient"};
static const char *const mta_names[] = {"any", "postfix", "exim", "plesk", "cpanel"};
static const char *const stage_names[] = {"unknown", "connect", "helo", "starttls", "auth",
                                          "mail", "rcpt", "data", "eod"};

static int name_index(const char *const *names, size_t n, const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return (int)i;
    return -1;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* ---- small open-addressing hash maps ---- */
typedef struct slot {
    uint32_t key; /* pool offset (string maps) or integer key; NONE = empty */
    uint32_t val;
} slot;

typedef struct hmap {
    slot *s;
    size_t cap, n;
} hmap;

static uint32_t hash_bytes(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t hash_u32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

static void hmap_free(hmap *m)
{
    bounce__free(m->s);
    m->s = NULL;
    m->cap = m->n = 0;
}

/* String map: keys are offsets into *pool (NUL-terminated strings). */
static int hmap_grow(hmap *m, const char *pool, int strings)
{
    size_t ncap = m->cap ? m->cap * 2 : 64, i;
    slot *ns = bounce__malloc(ncap * sizeof(slot));
    if (!ns)
        return -1;
    for (i = 0; i < ncap; i++)
        ns[i].key = ns[i].val = BOUNCE__KB_NONE;
    for (i = 0; i < m->cap; i++) {
        uint32_t k = m->s[i].key, h;
        size_t j;
        if (k == BOUNCE__KB_NONE)
            continue;
        h = strings ? hash_bytes(pool + k, strlen(pool + k)) : hash_u32(k);
        for (j = h & (ncap - 1); ns[j].key != BOUNCE__KB_NONE; j = (j + 1) & (ncap - 1))
            ;
        ns[j] = m->s[i];
    }
    bounce__free(m->s);
    m->s = ns;
    m->cap = ncap;
    return 0;
}

/* Find s[0..len) in a string map; returns the slot index (empty slot if absent). */
static size_t smap_slot(const hmap *m, const char *pool, const char *s, size_t len)
{
    size_t j = hash_bytes(s, len) & (m->cap - 1);
    for (;; j = (j + 1) & (m->cap - 1)) {
        uint32_t k = m->s[j].key;
        if (k == BOUNCE__KB_NONE)
            return j;
        if (strncmp(pool + k, s, len) == 0 && pool[k + len] == '\0')
            return j;
    }
}

static uint32_t smap_get(const hmap *m, const char *pool, const char *s, size_t len)
{
    if (!m->cap)
        return BOUNCE__KB_NONE;
    return m->s[smap_slot(m, pool, s, len)].val;
}

/* Insert key (pool offset of an existing string) -> val. -1 on nomem. */
static int smap_put(hmap *m, const char *pool, uint32_t key, uint32_t val)
{
    size_t j;
    const char *s = pool + key;
    if ((m->n + 1) * 2 > m->cap && hmap_grow(m, pool, 1) < 0)
        return -1;
    j = smap_slot(m, pool, s, strlen(s));
    if (m->s[j].key == BOUNCE__KB_NONE)
        m->n++;
    m->s[j].key = key;
    m->s[j].val = val;
    return 0;
}

static size_t imap_slot(const hmap *m, uint32_t key)
{
    size_t j = hash_u32(key) & (m->cap - 1);
    while (m->s[j].key != BOUNCE__KB_NONE && m->s[j].key != key)
        j = (j + 1) & (m->cap - 1);
    return j;
}

static uint32_t imap_get(const hmap *m, uint32_t key)
{
    if (!m->cap)
        return BOUNCE__KB_NONE;
    return m->s[imap_slot(m, key)].val;
}

static int imap_put(hmap *m, uint32_t key, uint32_t val)
{
    size_t j;
    if ((m->n + 1) * 2 > m->cap && hmap_grow(m, NULL, 0) < 0)
        return -1;
    j = imap_slot(m, key);
    if (m->s[j].key == BOUNCE__KB_NONE) {
        m->n++;
        m->s[j].val = BOUNCE__KB_NONE;
    }
    m->s[j].key = key;
    m->s[j].val = val;
    return 0;
}

/* ---- growable arrays ---- */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t ncap;
    void *np;
    if (need <= *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    np = bounce__realloc(*p, ncap * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

/* ---- the builder: editable entries, strings in one pool ---- */
typedef struct loc {
    uint32_t file, line, col; /* file = index into builder files, NONE for the base KB */
} loc;

typedef struct bcause {
    uint32_t id, expl;
    uint8_t reason, sev, who, action;
} bcause;

typedef struct bremedy {
    uint32_t cause; /* string */
    uint32_t text;
    uint8_t mta, fresh;
    loc at;
} bremedy;

typedef struct bcode {
    uint32_t code;
    uint32_t cause, desc; /* cause may be NONE */
    loc at;
} bcode;

typedef struct besc {
    uint8_t cls;
    uint16_t subject, detail;
    uint32_t code, title, desc, perm, trans; /* perm/trans may be NONE */
    loc at_perm, at_trans;
} besc;

typedef struct bsig {
    uint32_t id, cause, pattern, example, url, constraints;
    uint8_t prio;
    loc at_cause, at_pattern;
} bsig;

typedef struct builder {
    bounce__buf pool;
    bcause *causes;
    size_t ncauses, ccauses;
    bremedy *rems;
    size_t nrems, crems;
    bcode *codes;
    size_t ncodes, ccodes;
    besc *escs;
    size_t nescs, cescs;
    bsig *sigs;
    size_t nsigs, csigs;
    hmap cause_map, sig_map, esc_map, code_map;
    char **files;
    size_t nfiles, cfiles;
    bounce_diag_t **diag;
} builder;

static void builder_free(builder *b)
{
    size_t i;
    bounce__buf_free(&b->pool);
    bounce__free(b->causes);
    bounce__free(b->rems);
    bounce__free(b->codes);
    bounce__free(b->escs);
    bounce__free(b->sigs);
    hmap_free(&b->cause_map);
    hmap_free(&b->sig_map);
    hmap_free(&b->esc_map);
    hmap_free(&b->code_map);
    for (i = 0; i < b->nfiles; i++)
        bounce__free(b->files[i]);
    bounce__free(b->files);
}

/* Append a string to the builder pool; NONE on nomem. */
static uint32_t bstr(builder *b, const char *s, size_t len)
{
    uint32_t off = (uint32_t)b->pool.len;
    if (b->pool.len + len + 1 > UINT32_MAX - 1)
        return BOUNCE__KB_NONE;
    if (bounce__buf_append(&b->pool, s, len) < 0 || bounce__buf_putc(&b->pool, '\0') < 0)
        return BOUNCE__KB_NONE;
    return off;
}

#define BS(b, off) ((b)->pool.p + (off))

/* ---- diagnostics ---- */
static bounce_status_t fail(builder *b, loc at, bounce_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bounce_status_t fail(builder *b, loc at, bounce_status_t st, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (!b->diag || *b->diag)
        return st;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    *b->diag = bounce__diag_new(at.file != BOUNCE__KB_NONE && at.file < b->nfiles
                                    ? b->files[at.file]
                                    : "(base)",
                                at.line, at.col, "%s", msg);
    return st;
}

static bounce_status_t nomem(builder *b)
{
    (void)b;
    return BOUNCE_E_NOMEM;
}

/* ---- builder operations (add or override) ---- */
static bounce_status_t add_cause(builder *b, const bcause *c)
{
    uint32_t i = smap_get(&b->cause_map, b->pool.p, BS(b, c->id), strlen(BS(b, c->id)));
    if (i != BOUNCE__KB_NONE) {
        b->causes[i] = *c;
        return BOUNCE_OK;
    }
    if (b->ncauses >= MAX_ENTRIES)
        return BOUNCE_E_LIMIT;
    if (grow((void **)&b->causes, &b->ccauses, b->ncauses + 1, sizeof(bcause)) < 0 ||
        smap_put(&b->cause_map, b->pool.p, c->id, (uint32_t)b->ncauses) < 0)
        return BOUNCE_E_NOMEM;
    b->causes[b->ncauses++] = *c;
    return BOUNCE_OK;
}

static bounce_status_t add_remedy(builder *b, const bremedy *r)
{
    if (b->nrems >= MAX_ENTRIES)
        return BOUNCE_E_LIMIT;
    if (grow((void **)&b->rems, &b->crems, b->nrems + 1, sizeof(bremedy)) < 0)
        return BOUNCE_E_NOMEM;
    b->rems[b->nrems++] = *r;
    return BOUNCE_OK;
}

static bounce_status_t add_code(builder *b, const bcode *c)
{
    uint32_t i = imap_get(&b->code_map, c->code);
    if (i != BOUNCE__KB_NONE) {
        b->codes[i] = *c;
        return BOUNCE_OK;
    }
    if (grow((void **)&b->codes, &b->ccodes, b->ncodes + 1, sizeof(bcode)) < 0 ||
        imap_put(&b->code_map, c->code, (uint32_t)b->ncodes) < 0)
        return BOUNCE_E_NOMEM;
    b->codes[b->ncodes++] = *c;
    return BOUNCE_OK;
}

static uint32_t esc_key(int cls, int subject, int detail)
{
    return ((uint32_t)cls << 24) | ((uint32_t)subject << 12) | (uint32_t)detail;
}

static bounce_status_t add_esc(builder *b, const besc *e)
{
    uint32_t key = esc_key(e->cls, e->subject, e->detail);
    uint32_t i = imap_get(&b->esc_map, key);
    if (i != BOUNCE__KB_NONE) {
        b->escs[i] = *e;
        return BOUNCE_OK;
    }
    if (b->nescs >= MAX_ENTRIES)
        return BOUNCE_E_LIMIT;
    if (grow((void **)&b->escs, &b->cescs, b->nescs + 1, sizeof(besc)) < 0 ||
        imap_put(&b->esc_map, key, (uint32_t)b->nescs) < 0)
        return BOUNCE_E_NOMEM;
    b->escs[b->nescs++] = *e;
    return BOUNCE_OK;
}

static bounce_status_t add_sig(builder *b, const bsig *s)
{
    uint32_t i = smap_get(&b->sig_map, b->pool.p, BS(b, s->id), strlen(BS(b, s->id)));
    if (i != BOUNCE__KB_NONE) {
        b->sigs[i] = *s;
        return BOUNCE_OK;
    }
    if (b->nsigs >= MAX_ENTRIES)
        return BOUNCE_E_LIMIT;
    if (grow((void **)&b->sigs, &b->csigs, b->nsigs + 1, sizeof(bsig)) < 0 ||
        smap_put(&b->sig_map, b->pool.p, s->id, (uint32_t)b->nsigs) < 0)
        return BOUNCE_E_NOMEM;
    b->sigs[b->nsigs++] = *s;
    return BOUNCE_OK;
}

/* ---- value syntax ---- */
static int valid_id(const char *s, size_t n, int allow_dash)
{
    size_t i;
    if (n == 0 || n > 63)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              (allow_dash && c == '-')))
            return 0;
    }
    return 1;
}

static int parse_uint(const char *s, size_t n, unsigned max, unsigned *out)
{
    unsigned v = 0;
    size_t i;
    if (n == 0 || n > 9)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int bounce__esc_parse(const char *s, size_t len, int *cls, int *subject, int *detail)
{
    size_t i = 0, st;
    unsigned v;
    if (len < 5)
        return -1;
    if (s[0] == 'X' || s[0] == 'x')
        *cls = 0;
    else if (s[0] == '2' || s[0] == '4' || s[0] == '5')
        *cls = s[0] - '0';
    else
        return -1;
    if (s[1] != '.')
        return -1;
    i = 2;
    st = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i - st < 1 || i - st > 3 || parse_uint(s + st, i - st, 999, &v) < 0)
        return -1;
    *subject = (int)v;
    if (i >= len || s[i] != '.')
        return -1;
    st = ++i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i != len || i - st < 1 || i - st > 3 || parse_uint(s + st, i - st, 999, &v) < 0)
        return -1;
    *detail = (int)v;
    return 0;
}

/* Pattern: fragments separated by '*', with \* and \\ escapes. The normalized fragments
 * (ASCII lower case, whitespace runs as one space) are appended to out, their lengths to
 * lens. On error returns -1 with *errcol (0-based offset) and *msg. */
static int split_pattern(const char *p, size_t n, bounce__buf *out, uint16_t *lens, int *nfrag,
                         size_t *errcol, const char **msg)
{
    size_t i = 0, fstart = 0;
    int k = 0;
    *nfrag = 0;
    while (i <= n) {
        size_t start = out->len, nonspace = 0, flen;
        int last_space = 0;
        fstart = i;
        for (; i < n && p[i] != '*'; i++) {
            unsigned char c = (unsigned char)p[i];
            if (c == '\\') {
                if (i + 1 >= n || (p[i + 1] != '*' && p[i + 1] != '\\')) {
                    *errcol = i;
                    *msg = "bad escape in pattern (only \\* and \\\\ are allowed)";
                    return -1;
                }
                c = (unsigned char)p[++i];
            }
            if (is_ws(c)) {
                if (last_space)
                    continue;
                last_space = 1;
                c = ' ';
            } else {
                last_space = 0;
                nonspace++;
                c = (unsigned char)bounce__ascii_lower(c);
            }
            if (bounce__buf_putc(out, (char)c) < 0) {
                *errcol = i;
                *msg = NULL; /* nomem */
                return -1;
            }
        }
        flen = out->len - start;
        if (nonspace < 3) {
            *errcol = fstart;
            *msg = "pattern fragment must hold at least 3 bytes that are not spaces";
            return -1;
        }
        if (flen > MAX_FRAG_LEN) {
            *errcol = fstart;
            *msg = "pattern fragment longer than 255 bytes";
            return -1;
        }
        if (k >= BOUNCE__KB_MAX_FRAGS) {
            *errcol = fstart;
            *msg = "too many pattern fragments (at most 31)";
            return -1;
        }
        lens[k++] = (uint16_t)flen;
        i++; /* skip '*' (or step past the end) */
    }
    *nfrag = k;
    return 0;
}

typedef struct sigcons {
    uint8_t stage, code_class, esc_kind, esc_class;
    uint16_t code, esc_subject, esc_detail;
} sigcons;

static int parse_constraints(const char *p, size_t n, sigcons *c, size_t *errcol,
                             const char **msg)
{
    size_t i = 0;
    int seen_code = 0, seen_esc = 0, seen_stage = 0, seen_provider = 0;
    memset(c, 0, sizeof *c);
    if (n == 1 && p[0] == '-')
        return 0;
    while (i <= n) {
        size_t s = i, e, eq;
        const char *k, *v;
        size_t kl, vl;
        while (i < n && p[i] != ',')
            i++;
        e = i++;
        while (s < e && p[s] == ' ')
            s++;
        while (e > s && p[e - 1] == ' ')
            e--;
        *errcol = s;
        for (eq = s; eq < e && p[eq] != '='; eq++)
            ;
        if (eq >= e || eq == s || eq + 1 >= e) {
            *msg = "constraint must be key=value";
            return -1;
        }
        k = p + s;
        kl = eq - s;
        v = p + eq + 1;
        vl = e - eq - 1;
        if (kl == 4 && memcmp(k, "code", 4) == 0) {
            unsigned code;
            if (seen_code++) {
                *msg = "duplicate code constraint";
                return -1;
            }
            if (vl == 3 && v[0] >= '2' && v[0] <= '5' && v[1] == 'x' && v[2] == 'x') {
                c->code_class = (uint8_t)(v[0] - '0');
            } else if (vl == 3 && parse_uint(v, 3, 599, &code) == 0 && code >= 200) {
                c->code = (uint16_t)code;
            } else {
                *msg = "code constraint must be a reply code (550) or class (5xx)";
                return -1;
            }
        } else if (kl == 3 && memcmp(k, "esc", 3) == 0) {
            int cls, subj, det;
            if (seen_esc++) {
                *msg = "duplicate esc constraint";
                return -1;
            }
            if (vl == 3 && (v[0] == '2' || v[0] == '4' || v[0] == '5') && v[1] == '.' &&
                v[2] == '*') {
                c->esc_kind = BOUNCE__ESCK_CLASS;
                c->esc_class = (uint8_t)(v[0] - '0');
            } else if (vl >= 5 && v[vl - 1] == '*' && v[vl - 2] == '.' &&
                       (v[0] == '2' || v[0] == '4' || v[0] == '5') && v[1] == '.') {
                unsigned sv;
                if (parse_uint(v + 2, vl - 4, 999, &sv) < 0) {
                    *msg = "esc constraint must be C.S.D, C.S.* or C.*";
                    return -1;
                }
                c->esc_kind = BOUNCE__ESCK_SUBJECT;
                c->esc_class = (uint8_t)(v[0] - '0');
                c->esc_subject = (uint16_t)sv;
            } else if (bounce__esc_parse(v, vl, &cls, &subj, &det) == 0 && cls != 0) {
                c->esc_kind = BOUNCE__ESCK_EXACT;
                c->esc_class = (uint8_t)cls;
                c->esc_subject = (uint16_t)subj;
                c->esc_detail = (uint16_t)det;
            } else {
                *msg = "esc constraint must be C.S.D, C.S.* or C.* with class 2, 4 or 5";
                return -1;
            }
        } else if (kl == 5 && memcmp(k, "stage", 5) == 0) {
            int st = name_index(stage_names, BOUNCE__ARRAY_LEN(stage_names), v, vl);
            if (seen_stage++) {
                *msg = "duplicate stage constraint";
                return -1;
            }
            if (st <= 0) {
                *msg = "unknown stage (connect helo starttls auth mail rcpt data eod)";
                return -1;
            }
            c->stage = (uint8_t)st;
        } else if (kl == 8 && memcmp(k, "provider", 8) == 0) {
            if (seen_provider++) {
                *msg = "duplicate provider constraint";
                return -1;
            }
        } else {
            *msg = "unknown constraint (code, esc, stage, provider)";
            return -1;
        }
    }
    return 0;
}

/* ---- the line parser ---- */
typedef struct kfield {
    const char *p;
    size_t n;
    size_t col; /* 1-based */
} kfield;

static int is_dash(const kfield *f) { return f->n == 1 && f->p[0] == '-'; }

static uint32_t bfield(builder *b, const kfield *f) { return bstr(b, f->p, f->n); }

static bounce_status_t parse_line(builder *b, uint32_t file, size_t lineno, const char *line,
                                  size_t len)
{
    kfield f[MAX_FIELDS + 1];
    size_t nf = 0, i, start = 0;
    loc at;
    const char *type;
    int v;
    unsigned u;

    at.file = file;
    at.line = (uint32_t)lineno;
    at.col = 1;
    for (i = 0; i <= len; i++) {
        if (i == len || line[i] == '\t') {
            if (nf > MAX_FIELDS) {
                at.col = (uint32_t)start + 1;
                return fail(b, at, BOUNCE_E_SYNTAX, "too many fields");
            }
            f[nf].p = line + start;
            f[nf].n = i - start;
            f[nf].col = start + 1;
            nf++;
            start = i + 1;
        } else if (line[i] == '\0') {
            at.col = (uint32_t)i + 1;
            return fail(b, at, BOUNCE_E_SYNTAX, "NUL byte in line");
        }
    }
    for (i = 0; i < nf; i++) {
        if (f[i].n == 0) {
            at.col = (uint32_t)f[i].col;
            return fail(b, at, BOUNCE_E_SYNTAX, "empty field %u (write - for none)",
                        (unsigned)i + 1);
        }
    }
    type = f[0].p;
#define TYPE_IS(s) (f[0].n == sizeof(s) - 1 && memcmp(type, s, sizeof(s) - 1) == 0)
#define NEED(k)                                                                              \
    do {                                                                                     \
        if (nf != (k)) {                                                                     \
            at.col = 1;                                                                      \
            return fail(b, at, BOUNCE_E_SYNTAX, "%.*s: expected %d fields, got %u",          \
                        (int)f[0].n, type, (int)(k), (unsigned)nf);                          \
        }                                                                                    \
    } while (0)
#define AT(k) (at.col = (uint32_t)f[k].col, at)
#define CHECK_STR(x)                                                                         \
    do {                                                                                     \
        if ((x) == BOUNCE__KB_NONE)                                                          \
            return nomem(b);                                                                 \
    } while (0)

    if (TYPE_IS("cause")) {
        bcause c;
        NEED(7);
        if (!valid_id(f[1].p, f[1].n, 0))
            return fail(b, AT(1), BOUNCE_E_SYNTAX, "bad cause id (want [a-z0-9_.]{1,63})");
        if ((v = name_index(reason_names, BOUNCE__ARRAY_LEN(reason_names), f[2].p, f[2].n)) < 0)
            return fail(b, AT(2), BOUNCE_E_SYNTAX, "unknown reason '%.*s'", (int)f[2].n,
                        f[2].p);
        c.reason = (uint8_t)v;
        if ((v = name_index(severity_names, 4, f[3].p, f[3].n)) < 0)
            return fail(b, AT(3), BOUNCE_E_SYNTAX,
                        "unknown severity (permanent transient none success)");
        c.sev = (uint8_t)v;
        if ((v = name_index(who_names, BOUNCE__ARRAY_LEN(who_names), f[4].p, f[4].n)) < 0)
            return fail(b, AT(4), BOUNCE_E_SYNTAX,
                        "unknown who (sender recipient local_admin remote_admin none)");
        c.who = (uint8_t)v;
        if ((v = name_index(action_names, BOUNCE__ARRAY_LEN(action_names), f[5].p, f[5].n)) < 0)
            return fail(b, AT(5), BOUNCE_E_SYNTAX, "unknown action '%.*s'", (int)f[5].n,
                        f[5].p);
        c.action = (uint8_t)v;
        c.id = bfield(b, &f[1]);
        CHECK_STR(c.id);
        c.expl = is_dash(&f[6]) ? bstr(b, "", 0) : bfield(b, &f[6]);
        CHECK_STR(c.expl);
        return add_cause(b, &c);
    }
    if (TYPE_IS("remedy")) {
        bremedy r;
        NEED(4);
        if (!valid_id(f[1].p, f[1].n, 0))
            return fail(b, AT(1), BOUNCE_E_SYNTAX, "bad cause id");
        if ((v = name_index(mta_names, BOUNCE__ARRAY_LEN(mta_names), f[2].p, f[2].n)) < 0)
            return fail(b, AT(2), BOUNCE_E_SYNTAX,
                        "unknown MTA (any postfix exim plesk cpanel)");
        if (f[3].n > 65535)
            return fail(b, AT(3), BOUNCE_E_LIMIT, "remedy step too long");
        r.mta = (uint8_t)v;
        r.fresh = 1;
        r.at = AT(1);
        r.cause = bfield(b, &f[1]);
        CHECK_STR(r.cause);
        r.text = bfield(b, &f[3]);
        CHECK_STR(r.text);
        return add_remedy(b, &r);
    }
    if (TYPE_IS("code")) {
        bcode c;
        NEED(4);
        if (parse_uint(f[1].p, f[1].n, 599, &u) < 0 || f[1].n != 3 || u < 200 ||
            f[1].p[1] > '5')
            return fail(b, AT(1), BOUNCE_E_SYNTAX, "bad reply code (want 200..559)");
        c.code = u;
        c.at = AT(2);
        if (is_dash(&f[2])) {
            c.cause = BOUNCE__KB_NONE;
        } else {
            if (!valid_id(f[2].p, f[2].n, 0))
                return fail(b, AT(2), BOUNCE_E_SYNTAX, "bad cause id");
            c.cause = bfield(b, &f[2]);
            CHECK_STR(c.cause);
        }
        c.desc = bfield(b, &f[3]);
        CHECK_STR(c.desc);
        return add_code(b, &c);
    }
    if (TYPE_IS("esc")) {
        besc e;
        int cls, subj, det;
        NEED(6);
        if (bounce__esc_parse(f[1].p, f[1].n, &cls, &subj, &det) < 0 || f[1].p[0] == 'x')
            return fail(b, AT(1), BOUNCE_E_SYNTAX,
                        "bad enhanced status code (want X.S.D or C.S.D, C = 2, 4, 5)");
        e.cls = (uint8_t)cls;
        e.subject = (uint16_t)subj;
        e.detail = (uint16_t)det;
        e.code = bfield(b, &f[1]);
        CHECK_STR(e.code);
        e.title = bfield(b, &f[2]);
        CHECK_STR(e.title);
        e.desc = is_dash(&f[3]) ? bstr(b, "", 0) : bfield(b, &f[3]);
        CHECK_STR(e.desc);
        e.at_perm = AT(4);
        e.at_trans = AT(5);
        for (i = 4; i <= 5; i++) {
            uint32_t *dst = i == 4 ? &e.perm : &e.trans;
            if (is_dash(&f[i])) {
                *dst = BOUNCE__KB_NONE;
                continue;
            }
            if (!valid_id(f[i].p, f[i].n, 0))
                return fail(b, AT(i), BOUNCE_E_SYNTAX, "bad cause id");
            *dst = bfield(b, &f[i]);
            CHECK_STR(*dst);
        }
        return add_esc(b, &e);
    }
    if (TYPE_IS("sig")) {
        bsig s;
        sigcons cons;
        size_t ec = 0;
        const char *msg = NULL;
        bounce__buf tmp = {0};
        uint16_t lens[BOUNCE__KB_MAX_FRAGS];
        int nfrag, rc;
        NEED(8);
        if (!valid_id(f[1].p, f[1].n, 1))
            return fail(b, AT(1), BOUNCE_E_SYNTAX, "bad signature id (want [a-z0-9_.-]{1,63})");
        if (!valid_id(f[2].p, f[2].n, 0))
            return fail(b, AT(2), BOUNCE_E_SYNTAX, "bad cause id");
        if (parse_uint(f[3].p, f[3].n, 100, &u) < 0)
            return fail(b, AT(3), BOUNCE_E_SYNTAX, "bad priority (want 0..100)");
        s.prio = (uint8_t)u;
        if (parse_constraints(f[4].p, f[4].n, &cons, &ec, &msg) < 0) {
            at.col = (uint32_t)(f[4].col + ec);
            return fail(b, at, BOUNCE_E_SYNTAX, "%s", msg);
        }
        rc = split_pattern(f[5].p, f[5].n, &tmp, lens, &nfrag, &ec, &msg);
        bounce__buf_free(&tmp);
        if (rc < 0) {
            if (!msg)
                return nomem(b);
            at.col = (uint32_t)(f[5].col + ec);
            return fail(b, at, BOUNCE_E_SYNTAX, "%s", msg);
        }
        if (is_dash(&f[6]))
            return fail(b, AT(6), BOUNCE_E_SYNTAX, "a signature needs an example");
        s.at_cause = AT(2);
        s.at_pattern = AT(5);
        s.id = bfield(b, &f[1]);
        CHECK_STR(s.id);
        s.cause = bfield(b, &f[2]);
        CHECK_STR(s.cause);
        s.constraints = is_dash(&f[4]) ? bstr(b, "", 0) : bfield(b, &f[4]);
        CHECK_STR(s.constraints);
        s.pattern = bfield(b, &f[5]);
        CHECK_STR(s.pattern);
        s.example = bfield(b, &f[6]);
        CHECK_STR(s.example);
        s.url = is_dash(&f[7]) ? bstr(b, "", 0) : bfield(b, &f[7]);
        CHECK_STR(s.url);
        return add_sig(b, &s);
    }
    at.col = 1;
    return fail(b, at, BOUNCE_E_SYNTAX, "unknown entry type '%.*s'",
                (int)(f[0].n > 40 ? 40 : f[0].n), type);
#undef TYPE_IS
#undef NEED
#undef AT
#undef CHECK_STR
}

static bounce_status_t parse_buffer(builder *b, const char *buf, size_t len, const char *name)
{
    size_t pos = 0, lineno = 0;
    uint32_t file;
    loc at;
    if (grow((void **)&b->files, &b->cfiles, b->nfiles + 1, sizeof(char *)) < 0)
        return BOUNCE_E_NOMEM;
    if (!(b->files[b->nfiles] = bounce__strdup(name ? name : "(buffer)")))
        return BOUNCE_E_NOMEM;
    file = (uint32_t)b->nfiles++;
    at.file = file;
    at.line = 0;
    at.col = 0;
    if (len > KB_MAX_INPUT)
        return fail(b, at, BOUNCE_E_LIMIT, "KB input larger than 64 MiB");
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos, i;
        bounce_status_t st;
        pos += n + (nl ? 1 : 0);
        lineno++;
        if (n && line[n - 1] == '\r')
            n--;
        for (i = 0; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
            ;
        if (i == n || line[i] == '#')
            continue;
        st = parse_line(b, file, lineno, line, n);
        if (st != BOUNCE_OK) {
            if (st != BOUNCE_E_SYNTAX) {
                at.line = (uint32_t)lineno;
                at.col = 1;
                fail(b, at, st, "%s", bounce_strerror(st));
            }
            return st;
        }
    }
    return BOUNCE_OK;
}

/* ---- base KB -> builder ---- */
static bounce_status_t decompile(builder *b, const bounce_kb_t *kb)
{
    uint32_t i;
    loc none;
    none.file = BOUNCE__KB_NONE;
    none.line = none.col = 0;
#define KS(off) (kb->pool + (off))
#define COPY(dst, off)                                                                       \
    do {                                                                                     \
        if (((dst) = bstr(b, KS(off), strlen(KS(off)))) == BOUNCE__KB_NONE)                  \
            return BOUNCE_E_NOMEM;                                                           \
    } while (0)
    for (i = 0; i < kb->ncauses; i++) {
        const bounce__kb_cause *c = &kb->causes[i];
        bcause bc;
        int m;
        uint32_t r = c->rem_first;
        bounce_status_t st;
        COPY(bc.id, c->id);
        COPY(bc.expl, c->explanation);
        bc.reason = c->reason;
        bc.sev = c->severity;
        bc.who = c->who;
        bc.action = c->action;
        if ((st = add_cause(b, &bc)) != BOUNCE_OK)
            return st;
        for (m = 0; m < BOUNCE__KB_NMTA; m++) {
            uint16_t k;
            for (k = 0; k < c->rem_n[m]; k++, r++) {
                bremedy br;
                br.cause = bc.id;
                COPY(br.text, kb->remedies[r]);
                br.mta = (uint8_t)m;
                br.fresh = 0;
                br.at = none;
                if ((st = add_remedy(b, &br)) != BOUNCE_OK)
                    return st;
            }
        }
    }
    for (i = 0; i < kb->ncodes; i++) {
        bcode c;
        bounce_status_t st;
        c.code = kb->codes[i].code;
        c.cause = BOUNCE__KB_NONE;
        if (kb->codes[i].cause >= 0)
            COPY(c.cause, kb->causes[kb->codes[i].cause].id);
        COPY(c.desc, kb->codes[i].desc);
        c.at = none;
        if ((st = add_code(b, &c)) != BOUNCE_OK)
            return st;
    }
    for (i = 0; i < kb->nesc; i++) {
        const bounce__kb_esc *e = &kb->esc[i];
        besc be;
        bounce_status_t st;
        be.cls = e->cls;
        be.subject = e->subject;
        be.detail = e->detail;
        COPY(be.code, e->code);
        COPY(be.title, e->title);
        COPY(be.desc, e->desc);
        be.perm = be.trans = BOUNCE__KB_NONE;
        if (e->perm_cause >= 0)
            COPY(be.perm, kb->causes[e->perm_cause].id);
        if (e->trans_cause >= 0)
            COPY(be.trans, kb->causes[e->trans_cause].id);
        be.at_perm = be.at_trans = none;
        if ((st = add_esc(b, &be)) != BOUNCE_OK)
            return st;
    }
    for (i = 0; i < kb->nsigs; i++) {
        const bounce__kb_sig *s = &kb->sigs[i];
        bsig bs;
        bounce_status_t st;
        COPY(bs.id, s->id);
        COPY(bs.cause, kb->causes[s->cause].id);
        COPY(bs.pattern, s->pattern);
        COPY(bs.example, s->example);
        COPY(bs.url, s->url);
        COPY(bs.constraints, s->constraints);
        bs.prio = s->priority;
        bs.at_cause = bs.at_pattern = none;
        if ((st = add_sig(b, &bs)) != BOUNCE_OK)
            return st;
    }
#undef KS
#undef COPY
    return BOUNCE_OK;
}

/* ---- builder -> compiled KB ---- */
typedef struct kbmem {
    struct bounce_kb kb;
    /* owned arrays (same as kb's const pointers) */
    char *pool;
    bounce__kb_cause *causes;
    uint32_t *cause_sorted, *remedies, *sig_frag, *frag_text, *frag_use_start, *frag_use;
    uint32_t *delta32, *out_start, *out_frag;
    uint16_t *frag_len, *delta16;
    uint8_t *frag_edge, *depth;
    bounce__kb_code *codes;
    bounce__kb_esc *esc;
    bounce__kb_sig *sigs;
} kbmem;

static void kbmem_free(kbmem *m)
{
    if (!m)
        return;
    bounce__free(m->pool);
    bounce__free(m->causes);
    bounce__free(m->cause_sorted);
    bounce__free(m->remedies);
    bounce__free(m->sig_frag);
    bounce__free(m->frag_text);
    bounce__free(m->frag_use_start);
    bounce__free(m->frag_use);
    bounce__free(m->delta32);
    bounce__free(m->out_start);
    bounce__free(m->out_frag);
    bounce__free(m->frag_len);
    bounce__free(m->delta16);
    bounce__free(m->frag_edge);
    bounce__free(m->depth);
    bounce__free(m->codes);
    bounce__free(m->esc);
    bounce__free(m->sigs);
    bounce__free(m);
}

/* interned output pool */
typedef struct opool {
    bounce__buf buf;
    hmap map;
} opool;

static uint32_t oput(opool *o, const char *s, size_t len)
{
    uint32_t off;
    if (o->map.cap) {
        uint32_t v = smap_get(&o->map, o->buf.p, s, len);
        if (v != BOUNCE__KB_NONE)
            return v;
    }
    if (o->buf.len + len + 1 >= UINT32_MAX - 1)
        return BOUNCE__KB_NONE;
    off = (uint32_t)o->buf.len;
    if (bounce__buf_append(&o->buf, s, len) < 0 || bounce__buf_putc(&o->buf, '\0') < 0)
        return BOUNCE__KB_NONE;
    if (smap_put(&o->map, o->buf.p, off, off) < 0)
        return BOUNCE__KB_NONE;
    return off;
}

static uint32_t oputs(opool *o, const char *s) { return oput(o, s, strlen(s)); }

typedef struct sortitem {
    const char *s;
    uint32_t idx;
} sortitem;

static int cmp_item(const void *a, const void *b)
{
    const sortitem *x = a, *y = b;
    return strcmp(x->s, y->s);
}

static int cmp_esc(const void *a, const void *b)
{
    const bounce__kb_esc *x = a, *y = b;
    if (x->subject != y->subject)
        return x->subject < y->subject ? -1 : 1;
    if (x->detail != y->detail)
        return x->detail < y->detail ? -1 : 1;
    return x->cls < y->cls ? -1 : x->cls > y->cls;
}

static int32_t resolve(builder *b, uint32_t id)
{
    return (int32_t)smap_get(&b->cause_map, b->pool.p, BS(b, id), strlen(BS(b, id)));
}

/* Build the dense Aho-Corasick DFA over the fragments. */
static bounce_status_t build_dfa(builder *b, kbmem *m, const opool *o)
{
    struct bounce_kb *kb = &m->kb;
    uint8_t used[256];
    uint32_t ncls = 1, total = 1, f, s, c, nst = 1, *g = NULL, *fail_ = NULL, *queue = NULL;
    uint32_t *own = NULL, *dict = NULL, *map = NULL, *inv = NULL, head, tail, nout = 0;
    uint32_t shift = 0, sp;
    uint8_t *dep = NULL, *lab = NULL;
    size_t cells;
    bounce_status_t st = BOUNCE_E_NOMEM;
    int i;
    loc none;
    none.file = BOUNCE__KB_NONE;
    none.line = none.col = 0;

    memset(used, 0, sizeof used);
    used[' '] = 1;
    for (f = 0; f < kb->nfrags; f++) {
        const unsigned char *t = (const unsigned char *)o->buf.p + m->frag_text[f];
        uint16_t k;
        for (k = 0; k < m->frag_len[f]; k++)
            used[t[k]] = 1;
        total += m->frag_len[f];
    }
    memset(kb->byte_class, 0, sizeof kb->byte_class);
    for (i = 0; i < 256; i++)
        if (used[i])
            kb->byte_class[i] = (uint8_t)ncls++;
    for (i = 'A'; i <= 'Z'; i++)
        kb->byte_class[i] = kb->byte_class[i + 32];
    kb->space_class = kb->byte_class[' '];
    kb->byte_class['\t'] = kb->byte_class['\n'] = kb->byte_class['\r'] = kb->byte_class['\v'] =
        kb->byte_class['\f'] = (uint8_t)kb->space_class;
    kb->nclasses = ncls;
    while (((uint32_t)1 << shift) < ncls)
        shift++;
    kb->class_shift = shift;
    sp = kb->space_class;

    cells = (size_t)total * ncls;
    if (cells > MAX_DFA_CELLS)
        return fail(b, none, BOUNCE_E_LIMIT, "signature fragments too large for the matcher");
    g = bounce__malloc(cells * sizeof(uint32_t));
    own = bounce__malloc((size_t)total * sizeof(uint32_t));
    fail_ = bounce__malloc((size_t)total * sizeof(uint32_t));
    dict = bounce__malloc((size_t)total * sizeof(uint32_t));
    queue = bounce__malloc(((size_t)total + 1) * sizeof(uint32_t)); /* + root, see below */
    map = bounce__malloc((size_t)total * sizeof(uint32_t));
    inv = bounce__malloc((size_t)total * sizeof(uint32_t));
    dep = bounce__malloc((size_t)total);
    lab = bounce__malloc((size_t)total);
    if (!g || !own || !fail_ || !dict || !queue || !map || !inv || !dep || !lab)
        goto out;
    dep[0] = 0;
    lab[0] = 0;
    memset(g, 0xff, cells * sizeof(uint32_t));
    own[0] = BOUNCE__KB_NONE;
    /* trie */
    for (f = 0; f < kb->nfrags; f++) {
        const unsigned char *t = (const unsigned char *)o->buf.p + m->frag_text[f];
        uint16_t k;
        s = 0;
        for (k = 0; k < m->frag_len[f]; k++) {
            uint32_t *cell = &g[(size_t)s * ncls + kb->byte_class[t[k]]];
            if (*cell == BOUNCE__KB_NONE) {
                own[nst] = BOUNCE__KB_NONE;
                dep[nst] = (uint8_t)(k + 1); /* k < MAX_FRAG_LEN = 255 */
                lab[nst] = kb->byte_class[t[k]];
                *cell = nst++;
            }
            s = *cell;
        }
        own[s] = f; /* fragments are distinct */
    }
    /* BFS: failure links and the full transition function */
    head = tail = 0;
    fail_[0] = 0;
    dict[0] = BOUNCE__KB_NONE;
    for (c = 0; c < ncls; c++) {
        uint32_t t = g[c];
        if (t == BOUNCE__KB_NONE) {
            g[c] = 0;
        } else {
            fail_[t] = 0;
            dict[t] = BOUNCE__KB_NONE;
            queue[tail++] = t;
        }
    }
    while (head < tail) {
        s = queue[head++];
        for (c = 0; c < ncls; c++) {
            uint32_t *cell = &g[(size_t)s * ncls + c];
            uint32_t fs = g[(size_t)fail_[s] * ncls + c];
            if (*cell == BOUNCE__KB_NONE) {
                *cell = fs;
            } else {
                uint32_t t = *cell;
                fail_[t] = fs;
                dict[t] = own[fs] != BOUNCE__KB_NONE ? fs : dict[fs];
                queue[tail++] = t;
            }
        }
    }
    /* renumber: states without outputs first (root = 0), then states with outputs,
     * both in BFS order */
    {
        uint32_t next = 0, k, nouts = 0;
        uint32_t order_n = tail + 1;
        /* BFS order including root */
        for (k = order_n; k > 0; k--)
            queue[k] = queue[k - 1];
        queue[0] = 0;
        for (k = 0; k < order_n; k++) {
            s = queue[k];
            if (own[s] == BOUNCE__KB_NONE && dict[s] == BOUNCE__KB_NONE) {
                map[s] = next;
                inv[next++] = s;
            }
        }
        kb->first_out = next;
        for (k = 0; k < order_n; k++) {
            s = queue[k];
            if (!(own[s] == BOUNCE__KB_NONE && dict[s] == BOUNCE__KB_NONE)) {
                map[s] = next;
                inv[next++] = s;
                for (f = own[s] != BOUNCE__KB_NONE ? s : dict[s]; f != BOUNCE__KB_NONE;
                     f = dict[f])
                    nouts++;
                if (nouts > MAX_ENTRIES * 16u) {
                    st = fail(b, none, BOUNCE_E_LIMIT, "too many matcher outputs");
                    goto out;
                }
            }
        }
        kb->nstates = nst;
        nout = nouts;
    }
    /* tables: rows padded to 1 << shift cells (padding 0, never read); a state entered by
     * a space (every non-root state's incoming byte is its last one) keeps its state on a
     * further space, which folds a run of whitespace into one space */
    if (nst <= 65535) {
        if (!(m->delta16 = bounce__calloc((size_t)nst << shift, sizeof(uint16_t))))
            goto out;
    } else if (!(m->delta32 = bounce__calloc((size_t)nst << shift, sizeof(uint32_t)))) {
        goto out;
    }
    for (s = 0; s < nst; s++) {
        uint32_t old = inv[s];
        for (c = 0; c < ncls; c++) {
            uint32_t t = old != 0 && c == sp && lab[old] == sp ? s : map[g[(size_t)old * ncls + c]];
            if (m->delta16)
                m->delta16[((size_t)s << shift) + c] = (uint16_t)t;
            else
                m->delta32[((size_t)s << shift) + c] = t;
        }
    }
    if (!(m->depth = bounce__malloc(nst)))
        goto out;
    for (s = 0; s < nst; s++)
        m->depth[s] = dep[inv[s]];
    kb->depth = m->depth;
    m->out_start = bounce__malloc((size_t)(nst - kb->first_out + 1) * sizeof(uint32_t));
    m->out_frag = bounce__malloc((size_t)(nout ? nout : 1) * sizeof(uint32_t));
    if (!m->out_start || !m->out_frag)
        goto out;
    {
        uint32_t k = 0;
        for (s = kb->first_out; s < nst; s++) {
            uint32_t old = inv[s];
            m->out_start[s - kb->first_out] = k;
            for (f = own[old] != BOUNCE__KB_NONE ? old : dict[old]; f != BOUNCE__KB_NONE;
                 f = dict[f])
                m->out_frag[k++] = own[f];
        }
        m->out_start[nst - kb->first_out] = k;
    }
    kb->delta16 = m->delta16;
    kb->delta32 = m->delta32;
    kb->out_start = m->out_start;
    kb->out_frag = m->out_frag;
    st = BOUNCE_OK;
out:
    bounce__free(g);
    bounce__free(own);
    bounce__free(fail_);
    bounce__free(dict);
    bounce__free(queue);
    bounce__free(map);
    bounce__free(inv);
    bounce__free(dep);
    bounce__free(lab);
    return st;
}

static bounce_status_t compile(builder *b, bounce_kb_t **out)
{
    kbmem *m = bounce__calloc(1, sizeof *m);
    struct bounce_kb *kb;
    opool o;
    uint8_t *fresh_cause = NULL;
    uint32_t *count = NULL, i, nrem = 0;
    sortitem *items = NULL;
    hmap fragmap = {0};
    bounce__buf frags = {0};
    bounce_status_t st = BOUNCE_E_NOMEM;
    size_t nsf = 0;
    uint32_t empty;

    memset(&o, 0, sizeof o);
    if (!m)
        return BOUNCE_E_NOMEM;
    kb = &m->kb;
    kb->format = BOUNCE__KB_FORMAT;
    if ((empty = oput(&o, "", 0)) == BOUNCE__KB_NONE)
        goto out;

    /* causes */
    kb->ncauses = (uint32_t)b->ncauses;
    m->causes = bounce__calloc(b->ncauses + 1, sizeof(bounce__kb_cause));
    m->cause_sorted = bounce__calloc(b->ncauses + 1, sizeof(uint32_t));
    items = bounce__calloc(b->ncauses + 1, sizeof(sortitem));
    fresh_cause = bounce__calloc(b->ncauses + 1, 1);
    if (!m->causes || !m->cause_sorted || !items || !fresh_cause)
        goto out;
    for (i = 0; i < b->ncauses; i++) {
        const bcause *c = &b->causes[i];
        bounce__kb_cause *kc = &m->causes[i];
        kc->id = oputs(&o, BS(b, c->id));
        kc->explanation = oputs(&o, BS(b, c->expl));
        if (kc->id == BOUNCE__KB_NONE || kc->explanation == BOUNCE__KB_NONE)
            goto out;
        kc->reason = c->reason;
        kc->severity = c->sev;
        kc->who = c->who;
        kc->action = c->action;
        items[i].s = BS(b, c->id);
        items[i].idx = i;
    }
    qsort(items, b->ncauses, sizeof(sortitem), cmp_item);
    for (i = 0; i < b->ncauses; i++)
        m->cause_sorted[i] = items[i].idx;

    /* remedies: a cause with remedies from this load loses the base KB's remedies */
    for (i = 0; i < b->nrems; i++) {
        int32_t c = resolve(b, b->rems[i].cause);
        if (c < 0) {
            st = fail(b, b->rems[i].at, BOUNCE_E_SYNTAX, "remedy for unknown cause '%s'",
                      BS(b, b->rems[i].cause));
            goto out;
        }
        if (b->rems[i].fresh)
            fresh_cause[c] = 1;
    }
    count = bounce__calloc((size_t)b->ncauses * BOUNCE__KB_NMTA + 1, sizeof(uint32_t));
    if (!count)
        goto out;
    for (i = 0; i < b->nrems; i++) {
        int32_t c = resolve(b, b->rems[i].cause);
        if (fresh_cause[c] && !b->rems[i].fresh)
            continue;
        if (++m->causes[c].rem_n[b->rems[i].mta] == 0) {
            st = BOUNCE_E_LIMIT;
            goto out;
        }
        nrem++;
    }
    {
        uint32_t acc = 0, k;
        for (k = 0; k < b->ncauses; k++) {
            int mm;
            m->causes[k].rem_first = acc;
            for (mm = 0; mm < BOUNCE__KB_NMTA; mm++) {
                count[k * BOUNCE__KB_NMTA + mm] = acc;
                acc += m->causes[k].rem_n[mm];
            }
        }
    }
    m->remedies = bounce__calloc(nrem + 1, sizeof(uint32_t));
    if (!m->remedies)
        goto out;
    for (i = 0; i < b->nrems; i++) {
        int32_t c = resolve(b, b->rems[i].cause);
        uint32_t t;
        if (fresh_cause[c] && !b->rems[i].fresh)
            continue;
        if ((t = oputs(&o, BS(b, b->rems[i].text))) == BOUNCE__KB_NONE)
            goto out;
        m->remedies[count[(uint32_t)c * BOUNCE__KB_NMTA + b->rems[i].mta]++] = t;
    }
    kb->nremedies = nrem;

    /* reply codes, sorted */
    m->codes = bounce__calloc(b->ncodes + 1, sizeof(bounce__kb_code));
    if (!m->codes)
        goto out;
    {
        uint32_t k = 0, code;
        for (code = 200; code < 600; code++) {
            uint32_t j = imap_get(&b->code_map, code);
            const bcode *c;
            if (j == BOUNCE__KB_NONE)
                continue;
            c = &b->codes[j];
            m->codes[k].code = (uint16_t)code;
            m->codes[k].cause = -1;
            if (c->cause != BOUNCE__KB_NONE && (m->codes[k].cause = resolve(b, c->cause)) < 0) {
                st = fail(b, c->at, BOUNCE_E_SYNTAX, "unknown cause '%s'", BS(b, c->cause));
                goto out;
            }
            if ((m->codes[k].desc = oputs(&o, BS(b, c->desc))) == BOUNCE__KB_NONE)
                goto out;
            k++;
        }
        kb->ncodes = k;
    }

    /* enhanced status codes */
    m->esc = bounce__calloc(b->nescs + 1, sizeof(bounce__kb_esc));
    if (!m->esc)
        goto out;
    for (i = 0; i < b->nescs; i++) {
        const besc *e = &b->escs[i];
        bounce__kb_esc *ke = &m->esc[i];
        ke->cls = e->cls;
        ke->subject = e->subject;
        ke->detail = e->detail;
        ke->perm_cause = ke->trans_cause = -1;
        if (e->perm != BOUNCE__KB_NONE && (ke->perm_cause = resolve(b, e->perm)) < 0) {
            st = fail(b, e->at_perm, BOUNCE_E_SYNTAX, "unknown cause '%s'", BS(b, e->perm));
            goto out;
        }
        if (e->trans != BOUNCE__KB_NONE && (ke->trans_cause = resolve(b, e->trans)) < 0) {
            st = fail(b, e->at_trans, BOUNCE_E_SYNTAX, "unknown cause '%s'", BS(b, e->trans));
            goto out;
        }
        ke->code = oputs(&o, BS(b, e->code));
        ke->title = oputs(&o, BS(b, e->title));
        ke->desc = oputs(&o, BS(b, e->desc));
        if (ke->code == BOUNCE__KB_NONE || ke->title == BOUNCE__KB_NONE ||
            ke->desc == BOUNCE__KB_NONE)
            goto out;
    }
    kb->nesc = (uint32_t)b->nescs;
    qsort(m->esc, b->nescs, sizeof(bounce__kb_esc), cmp_esc);

    /* signatures and their fragments */
    m->sigs = bounce__calloc(b->nsigs + 1, sizeof(bounce__kb_sig));
    if (!m->sigs)
        goto out;
    {
        uint32_t nfr = 0, cfr = 0, nmulti = 0;
        size_t csf = 0;
        for (i = 0; i < b->nsigs; i++) {
            const bsig *s = &b->sigs[i];
            bounce__kb_sig *ks = &m->sigs[i];
            sigcons cons;
            uint16_t lens[BOUNCE__KB_MAX_FRAGS];
            int nfrag, k;
            size_t ec, off = 0;
            const char *msg = NULL;
            if ((ks->cause = resolve(b, s->cause)) < 0) {
                st = fail(b, s->at_cause, BOUNCE_E_SYNTAX, "unknown cause '%s'",
                          BS(b, s->cause));
                goto out;
            }
            ks->priority = s->prio;
            if (parse_constraints(BS(b, s->constraints), strlen(BS(b, s->constraints)), &cons,
                                  &ec, &msg) < 0 &&
                *BS(b, s->constraints)) {
                st = fail(b, s->at_cause, BOUNCE_E_SYNTAX, "%s", msg);
                goto out;
            }
            if (!*BS(b, s->constraints))
                memset(&cons, 0, sizeof cons);
            ks->stage = cons.stage;
            ks->code = cons.code;
            ks->code_class = cons.code_class;
            ks->esc_kind = cons.esc_kind;
            ks->esc_class = cons.esc_class;
            ks->esc_subject = cons.esc_subject;
            ks->esc_detail = cons.esc_detail;
            frags.len = 0;
            if (split_pattern(BS(b, s->pattern), strlen(BS(b, s->pattern)), &frags, lens,
                              &nfrag, &ec, &msg) < 0) {
                if (!msg)
                    goto out;
                st = fail(b, s->at_pattern, BOUNCE_E_SYNTAX, "%s", msg);
                goto out;
            }
            ks->nfrag = (uint8_t)nfrag;
            ks->frag_first = (uint32_t)nsf;
            ks->frag_bytes = 0;
            ks->multi = nfrag > 1 ? nmulti++ : BOUNCE__KB_NONE;
            if (grow((void **)&m->sig_frag, &csf, nsf + (size_t)nfrag, sizeof(uint32_t)) < 0)
                goto out;
            for (k = 0; k < nfrag; k++) {
                const char *t = frags.p + off;
                uint32_t fid, toff;
                /* fragment text is interned in the output pool; map pool offset -> id */
                if ((toff = oput(&o, t, lens[k])) == BOUNCE__KB_NONE)
                    goto out;
                fid = imap_get(&fragmap, toff);
                if (fid == BOUNCE__KB_NONE) {
                    if (nfr >= MAX_ENTRIES) {
                        st = BOUNCE_E_LIMIT;
                        goto out;
                    }
                    if (nfr == cfr) {
                        uint32_t ncap = cfr ? cfr * 2 : 64;
                        uint32_t *a = bounce__realloc(m->frag_text, ncap * sizeof(uint32_t));
                        uint16_t *l;
                        uint8_t *e;
                        if (!a)
                            goto out;
                        m->frag_text = a;
                        if (!(l = bounce__realloc(m->frag_len, ncap * sizeof(uint16_t))))
                            goto out;
                        m->frag_len = l;
                        if (!(e = bounce__realloc(m->frag_edge, ncap)))
                            goto out;
                        m->frag_edge = e;
                        cfr = ncap;
                    }
                    fid = nfr++;
                    if (lens[k] > kb->max_frag_len)
                        kb->max_frag_len = lens[k];
                    m->frag_text[fid] = toff;
                    m->frag_len[fid] = lens[k];
                    m->frag_edge[fid] = (uint8_t)((t[0] == ' ' ? 1 : 0) |
                                                  (t[lens[k] - 1] == ' ' ? 2 : 0));
                    if (imap_put(&fragmap, toff, fid) < 0)
                        goto out;
                }
                m->sig_frag[nsf++] = fid;
                ks->frag_bytes += lens[k];
                off += lens[k];
            }
            if ((ks->id = oputs(&o, BS(b, s->id))) == BOUNCE__KB_NONE ||
                (ks->pattern = oputs(&o, BS(b, s->pattern))) == BOUNCE__KB_NONE ||
                (ks->example = oputs(&o, BS(b, s->example))) == BOUNCE__KB_NONE ||
                (ks->url = oputs(&o, BS(b, s->url))) == BOUNCE__KB_NONE ||
                (ks->constraints = oputs(&o, BS(b, s->constraints))) == BOUNCE__KB_NONE)
                goto out;
        }
        kb->nsigs = (uint32_t)b->nsigs;
        kb->nsig_frag = (uint32_t)nsf;
        kb->nfrags = nfr;
        kb->nmulti = nmulti;
        if (!m->sig_frag && !(m->sig_frag = bounce__calloc(1, sizeof(uint32_t))))
            goto out;
        if (!m->frag_text) {
            m->frag_text = bounce__calloc(1, sizeof(uint32_t));
            m->frag_len = bounce__calloc(1, sizeof(uint16_t));
            m->frag_edge = bounce__calloc(1, 1);
            if (!m->frag_text || !m->frag_len || !m->frag_edge)
                goto out;
        }
        /* uses of each fragment: (sig << 5) | position, by sig then position */
        m->frag_use_start = bounce__calloc((size_t)nfr + 1, sizeof(uint32_t));
        m->frag_use = bounce__calloc(nsf + 1, sizeof(uint32_t));
        if (!m->frag_use_start || !m->frag_use)
            goto out;
        if (b->nsigs >= ((uint32_t)1 << 27)) {
            st = BOUNCE_E_LIMIT;
            goto out;
        }
        for (i = 0; i < nsf; i++)
            m->frag_use_start[m->sig_frag[i] + 1]++;
        for (i = 0; i < nfr; i++)
            m->frag_use_start[i + 1] += m->frag_use_start[i];
        {
            uint32_t *pos = bounce__calloc((size_t)nfr + 1, sizeof(uint32_t));
            if (!pos)
                goto out;
            memcpy(pos, m->frag_use_start, (size_t)nfr * sizeof(uint32_t));
            for (i = 0; i < b->nsigs; i++) {
                uint32_t k;
                for (k = 0; k < m->sigs[i].nfrag; k++) {
                    uint32_t fid = m->sig_frag[m->sigs[i].frag_first + k];
                    m->frag_use[pos[fid]++] = (i << 5) | k;
                }
            }
            bounce__free(pos);
        }
    }
    /* the fragments' texts must be final before the DFA is built from them */
    kb->frag_text = m->frag_text;
    kb->frag_len = m->frag_len;
    if ((st = build_dfa(b, m, &o)) != BOUNCE_OK)
        goto out;
    st = BOUNCE_E_NOMEM;
    if (bounce__buf_terminate(&o.buf) < 0)
        goto out;
    m->pool = o.buf.p;
    o.buf.p = NULL;
    kb->pool = m->pool;
    kb->pool_len = (uint32_t)o.buf.len;
    kb->checksum = m->pool + empty;
    kb->causes = m->causes;
    kb->cause_sorted = m->cause_sorted;
    kb->remedies = m->remedies;
    kb->codes = m->codes;
    kb->esc = m->esc;
    kb->sigs = m->sigs;
    kb->sig_frag = m->sig_frag;
    kb->frag_edge = m->frag_edge;
    kb->frag_use_start = m->frag_use_start;
    kb->frag_use = m->frag_use;
    *out = kb; /* kb is the first member of m */
    m = NULL;
    st = BOUNCE_OK;
out:
    kbmem_free(m);
    bounce__buf_free(&o.buf);
    hmap_free(&o.map);
    hmap_free(&fragmap);
    bounce__buf_free(&frags);
    bounce__free(fresh_cause);
    bounce__free(count);
    bounce__free(items);
    return st;
}

/* ---- files ---- */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with_tsv(const char *s)
{
    size_t n = strlen(s);
    return n > 4 && strcmp(s + n - 4, ".tsv") == 0;
}

static int walk(const char *path, int depth, char ***files, size_t *n, size_t *cap)
{
    struct stat sb;
    DIR *d;
    struct dirent *e;
    int rc = 0;
    if (stat(path, &sb) != 0)
        return -2;
    if (!S_ISDIR(sb.st_mode)) {
        char *copy;
        if (depth > 0 && !ends_with_tsv(path))
            return 0;
        if (grow((void **)files, cap, *n + 1, sizeof(char *)) < 0 || !(copy = bounce__strdup(path)))
            return -1;
        (*files)[(*n)++] = copy;
        return 0;
    }
    if (depth >= MAX_DIR_DEPTH)
        return 0;
    if (!(d = opendir(path)))
        return -2;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t pl = strlen(path), el = strlen(e->d_name);
        char *sub;
        if (e->d_name[0] == '.')
            continue;
        if (!(sub = bounce__malloc(pl + el + 2))) {
            rc = -1;
            break;
        }
        memcpy(sub, path, pl);
        sub[pl] = '/';
        memcpy(sub + pl + 1, e->d_name, el + 1);
        if (stat(sub, &sb) == 0 && (S_ISDIR(sb.st_mode) || ends_with_tsv(sub)))
            rc = walk(sub, depth + 1, files, n, cap);
        bounce__free(sub);
    }
    closedir(d);
    return rc;
}

int bounce__kb_list_files(const char *path, char ***files, size_t *n)
{
    size_t cap = 0, i;
    int rc;
    *files = NULL;
    *n = 0;
    rc = walk(path, 0, files, n, &cap);
    if (rc < 0) {
        for (i = 0; i < *n; i++)
            bounce__free((*files)[i]);
        bounce__free(*files);
        *files = NULL;
        *n = 0;
        return rc;
    }
    if (*n > 1)
        qsort(*files, *n, sizeof(char *), cmp_str);
    return 0;
}

static bounce_status_t read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    bounce__buf b = {0};
    char tmp[65536];
    size_t k;
    if (!f)
        return BOUNCE_E_IO;
    while ((k = fread(tmp, 1, sizeof tmp, f)) > 0) {
        if (b.len + k > KB_MAX_INPUT) {
            fclose(f);
            bounce__buf_free(&b);
            return BOUNCE_E_LIMIT;
        }
        if (bounce__buf_append(&b, tmp, k) < 0) {
            fclose(f);
            bounce__buf_free(&b);
            return BOUNCE_E_NOMEM;
        }
    }
    if (ferror(f)) {
        fclose(f);
        bounce__buf_free(&b);
        return BOUNCE_E_IO;
    }
    fclose(f);
    *len = b.len;
    if (bounce__buf_terminate(&b) < 0)
        return BOUNCE_E_NOMEM;
    *buf = b.p;
    return BOUNCE_OK;
}

static bounce_status_t load_paths(const bounce_kb_t *base, const char *const *paths, size_t np,
                                  bounce_kb_t **out, bounce_diag_t **diag)
{
    builder b;
    bounce_status_t st = BOUNCE_OK;
    size_t p;
    memset(&b, 0, sizeof b);
    b.diag = diag;
    if (base && (st = decompile(&b, base)) != BOUNCE_OK)
        goto done;
    for (p = 0; p < np && st == BOUNCE_OK; p++) {
        char **files = NULL;
        size_t nfiles = 0, i;
        int rc = bounce__kb_list_files(paths[p], &files, &nfiles);
        if (rc == -1) {
            st = BOUNCE_E_NOMEM;
            break;
        }
        if (rc == -2) {
            if (diag && !*diag)
                *diag = bounce__diag_new(paths[p], 0, 0, "cannot read: %s", strerror(errno));
            st = BOUNCE_E_IO;
            break;
        }
        for (i = 0; i < nfiles; i++) {
            char *buf = NULL;
            size_t len = 0;
            if (st == BOUNCE_OK) {
                st = read_file(files[i], &buf, &len);
                if (st != BOUNCE_OK) {
                    if (diag && !*diag)
                        *diag = bounce__diag_new(files[i], 0, 0, "cannot read: %s",
                                                 bounce_strerror(st));
                } else {
                    st = parse_buffer(&b, buf, len, files[i]);
                }
                bounce__free(buf);
            }
            bounce__free(files[i]);
        }
        bounce__free(files);
    }
    if (st == BOUNCE_OK)
        st = compile(&b, out);
done:
    builder_free(&b);
    return st;
}

/* ---- public API ---- */
bounce_status_t bounce_kb_load_buffer(const bounce_kb_t *base, const char *buf, size_t len,
                                      const char *name, bounce_kb_t **out,
                                      bounce_diag_t **diag)
{
    builder b;
    bounce_status_t st = BOUNCE_OK;
    bounce_kb_t *kb = NULL;
    if (!out || (!buf && len))
        return BOUNCE_E_INVAL;
    if (diag)
        *diag = NULL;
    memset(&b, 0, sizeof b);
    b.diag = diag;
    if (base)
        st = decompile(&b, base);
    if (st == BOUNCE_OK)
        st = parse_buffer(&b, buf ? buf : "", len, name);
    if (st == BOUNCE_OK)
        st = compile(&b, &kb);
    builder_free(&b);
    if (st == BOUNCE_OK)
        *out = kb;
    return st;
}

bounce_status_t bounce_kb_load_file(const bounce_kb_t *base, const char *path,
                                    bounce_kb_t **out, bounce_diag_t **diag)
{
    bounce_kb_t *kb = NULL;
    bounce_status_t st;
    if (!out || !path)
        return BOUNCE_E_INVAL;
    if (diag)
        *diag = NULL;
    st = load_paths(base, &path, 1, &kb, diag);
    if (st == BOUNCE_OK)
        *out = kb;
    return st;
}

bounce_status_t bounce__kb_load_paths(const char *const *paths, size_t n, bounce_kb_t **out,
                                      bounce_diag_t **diag)
{
    if (diag)
        *diag = NULL;
    return load_paths(NULL, paths, n, out, diag);
}

void bounce_kb_free(const bounce_kb_t *kb)
{
    if (!kb || (kb->flags & BOUNCE__KB_BUILTIN))
        return;
    kbmem_free((kbmem *)(void *)(uintptr_t)kb);
}

int bounce_kb_format_version(void) { return BOUNCE__KB_FORMAT; }

const char *bounce_kb_checksum(const bounce_kb_t *kb)
{
    return kb && kb->checksum ? kb->checksum : "";
}

size_t bounce_kb_signature_count(const bounce_kb_t *kb) { return kb ? kb->nsigs : 0; }

const char *bounce_kb_signature_field(const bounce_kb_t *kb, size_t i, const char *field)
{
    const bounce__kb_sig *s;
    if (!kb || !field || i >= kb->nsigs)
        return NULL;
    s = &kb->sigs[i];
    if (strcmp(field, "id") == 0)
        return kb->pool + s->id;
    if (strcmp(field, "cause") == 0)
        return kb->pool + kb->causes[s->cause].id;
    if (strcmp(field, "pattern") == 0)
        return kb->pool + s->pattern;
    if (strcmp(field, "example") == 0)
        return kb->pool + s->example;
    if (strcmp(field, "url") == 0)
        return kb->pool + s->url;
    if (strcmp(field, "constraints") == 0)
        return kb->pool + s->constraints;
    return NULL;
}

size_t bounce_kb_cause_count(const bounce_kb_t *kb) { return kb ? kb->ncauses : 0; }

const char *bounce_kb_cause_id(const bounce_kb_t *kb, size_t i)
{
    if (!kb || i >= kb->ncauses)
        return NULL;
    return kb->pool + kb->causes[i].id;
}

const bounce__kb_esc *bounce__kb_esc_find(const bounce_kb_t *kb, int cls, int subject,
                                          int detail)
{
    size_t lo = 0, hi;
    if (!kb)
        return NULL;
    hi = kb->nesc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const bounce__kb_esc *e = &kb->esc[mid];
        int c = e->subject != subject ? (e->subject < subject ? -1 : 1)
                : e->detail != detail ? (e->detail < detail ? -1 : 1)
                : e->cls != cls       ? (e->cls < cls ? -1 : 1)
                                      : 0;
        if (c == 0)
            return e;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static const bounce__kb_esc *esc_lookup_str(const bounce_kb_t *kb, const char *code)
{
    int cls, subj, det;
    const bounce__kb_esc *e = NULL;
    if (!kb || !code || bounce__esc_parse(code, strlen(code), &cls, &subj, &det) < 0)
        return NULL;
    if (cls)
        e = bounce__kb_esc_find(kb, cls, subj, det);
    return e ? e : bounce__kb_esc_find(kb, 0, subj, det);
}

const char *bounce_kb_esc_title(const bounce_kb_t *kb, const char *code)
{
    const bounce__kb_esc *e = esc_lookup_str(kb, code);
    return e ? kb->pool + e->title : NULL;
}

const char *bounce_kb_esc_description(const bounce_kb_t *kb, const char *code)
{
    const bounce__kb_esc *e = esc_lookup_str(kb, code);
    return e ? kb->pool + e->desc : NULL;
}

size_t bounce_kb_esc_count(const bounce_kb_t *kb) { return kb ? kb->nesc : 0; }

/* ---- internal lookups ---- */
int32_t bounce__kb_find_cause(const bounce_kb_t *kb, const char *id)
{
    size_t lo = 0, hi;
    if (!kb || !id)
        return -1;
    hi = kb->ncauses;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t idx = kb->cause_sorted[mid];
        int c = strcmp(kb->pool + kb->causes[idx].id, id);
        if (c == 0)
            return (int32_t)idx;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const bounce__kb_code *bounce__kb_code_lookup(const bounce_kb_t *kb, int code)
{
    size_t lo = 0, hi;
    if (!kb)
        return NULL;
    hi = kb->ncodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (kb->codes[mid].code == code)
            return &kb->codes[mid];
        if (kb->codes[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *bounce__kb_cause_id(const bounce_kb_t *kb, int32_t cause)
{
    if (!kb || cause < 0 || (uint32_t)cause >= kb->ncauses)
        return NULL;
    return kb->pool + kb->causes[cause].id;
}

const char *bounce__kb_cause_explanation(const bounce_kb_t *kb, int32_t cause)
{
    if (!kb || cause < 0 || (uint32_t)cause >= kb->ncauses)
        return NULL;
    return kb->pool + kb->causes[cause].explanation;
}

size_t bounce__kb_remedy_count(const bounce_kb_t *kb, int32_t cause, int mta)
{
    const bounce__kb_cause *c;
    if (!kb || cause < 0 || (uint32_t)cause >= kb->ncauses || mta < 0 || mta >= BOUNCE__KB_NMTA)
        return 0;
    c = &kb->causes[cause];
    return (size_t)c->rem_n[0] + (mta ? c->rem_n[mta] : 0);
}

const char *bounce__kb_remedy(const bounce_kb_t *kb, int32_t cause, int mta, size_t i)
{
    const bounce__kb_cause *c;
    size_t k;
    int j;
    if (i >= bounce__kb_remedy_count(kb, cause, mta))
        return NULL;
    c = &kb->causes[cause];
    if (i < c->rem_n[0])
        return kb->pool + kb->remedies[c->rem_first + i];
    k = c->rem_first;
    for (j = 0; j < mta; j++)
        k += c->rem_n[j];
    return kb->pool + kb->remedies[k + (i - c->rem_n[0])];
}

const char *bounce__kb_sig_id(const bounce_kb_t *kb, int32_t sig)
{
    if (!kb || sig < 0 || (uint32_t)sig >= kb->nsigs)
        return NULL;
    return kb->pool + kb->sigs[sig].id;
}

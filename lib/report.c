/*
 * Reports: aggregation over classified records and incident diagnosis.
 *
 * bounce_report_add() keeps counts only, never the record. Every table that grows with the
 * input (domains, senders, relays, ...) is a hash map capped at REPORT_MAX_KEYS keys; what
 * does not fit is counted as "other". Memory is therefore bounded whatever the input size.
 *
 * Lifetime contract: for each cause the report keeps the record's const KB pointer and
 * cause index, to print the cause's explanation and remediation later. The KB must
 * outlive the report (it outlives the records by the same contract).
 *
 * Ages (queue records): the reference "now" is bounce_report_set_reference_time()'s, or
 * else the latest arrival time among the queue records; ages are counted per destination domain in qshape's buckets. The diagnosis
 * thresholds are named constants below and documented in doc/diagnosis.md.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_MAX_KEYS 100000u  /* cap per counting table */
#define REPORT_TOP_TEXT 10       /* rows per table in the text report */
#define REPORT_TOP_JSON 25       /* rows per table in the JSON report */
#define REPORT_KEY_MAX 255       /* longest name kept (longer names are cut) */
#define REPORT_TABKEY_MAX (2 * REPORT_KEY_MAX + 16) /* longest composite table key */

/* ---- diagnosis thresholds (doc/diagnosis.md) ---- */
#define PORT25_MIN_DOMAINS 5         /* unrelated domains with connection failures */
#define PORT25_MIN_SHARE 0.80        /* connection failures / all failures */
#define PORT25_MAX_DELIVERED_SHARE 0.05 /* remote deliveries / (those + connection failures) */
#define DNSBL_MIN_DOMAINS 2          /* receivers citing a blocklist */
#define FILTER_MIN_RECORDS 1         /* content filter unreachable */
#define DNS_MIN_WELLKNOWN 2          /* well-known domains failing to resolve */
#define DNS_MIN_DOMAINS 5            /* or this many domains ... */
#define DNS_MIN_DOMAIN_SHARE 0.50    /* ... being this share of the failing domains */
#define RATE_MIN_RECORDS 5           /* rate-limit / greylisting failures at one domain */
#define RATE_MIN_SHARE 0.50          /* that domain's share of all such failures */
#define COMPROMISED_MIN_SHARE 0.50   /* one sender's share of all records */
#define COMPROMISED_MEDIAN_FACTOR 10 /* and its volume over the median sender's */
#define COMPROMISED_MIN_FAILURES 10  /* with at least this many failures */
#define BACKSCATTER_MIN_RECORDS 20   /* failed or queued records with the null sender */
#define BACKSCATTER_MIN_SHARE 0.30   /* their share of all failed or queued records */
#define MIGRATED_MIN_USERS 5         /* distinct unknown users at one domain */
#define QUOTA_MIN_FAILURES 3         /* mailbox-full failures */
#define QUOTA_TOP 5                  /* mailboxes that ... */
#define QUOTA_MIN_SHARE 0.80         /* ... hold this share of them */

#define AGE_BUCKETS 9
static const int64_t age_limit_min[AGE_BUCKETS - 1] = {5, 10, 20, 40, 80, 160, 320, 640};
static const char *const age_names[AGE_BUCKETS] = {"0-5m",     "5-10m",    "10-20m",
                                                   "20-40m",   "40-80m",   "80-160m",
                                                   "160-320m", "320-640m", "640m+"};

/* ------------------------------------------------------------------ */
/* bounded counting tables                                             */

struct tent {
    uint64_t n;     /* records (or failures, per table) */
    uint64_t fail;  /* failures */
    uint64_t aux;   /* table-specific: queue records (domains), ... */
    const bounce_kb_t *kb; /* causes: where the cause lives */
    int32_t cause;
    int reason;
    uint32_t hash;
    uint32_t klen;
    char key[];     /* klen bytes + NUL */
};

/* Open addressing; a slot holds the entry's hash next to its pointer, so a probe reads
 * one cache line of the slot array and touches the entry only when the hash matches. */
struct tslot {
    struct tent *e; /* NULL = empty */
    uint32_t hash;
};

struct table {
    struct tslot *slots;
    size_t cap;     /* power of two, 0 = empty */
    size_t n;
    uint64_t other_n, other_fail; /* counts of keys that did not fit */
};

/* Eight bytes a step (keys are short: domains, addresses); seeded per report. */
static uint32_t hash_bytes(const char *p, size_t len, uint32_t seed)
{
    uint64_t h = (0x9e3779b97f4a7c15ull ^ seed) + len, w;
    while (len >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        p += 8;
        len -= 8;
    }
    w = 0;
    memcpy(&w, p, len);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdull;
    return (uint32_t)(h >> 32);
}

static void tab_free(struct table *t)
{
    size_t i;
    for (i = 0; i < t->cap; i++)
        bounce__free(t->slots[i].e);
    bounce__free(t->slots);
    memset(t, 0, sizeof *t);
}

static int tab_grow(struct table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64, i;
    struct tslot *s = bounce__calloc(cap, sizeof *s);
    if (!s)
        return -1;
    for (i = 0; i < t->cap; i++) {
        struct tent *e = t->slots[i].e;
        size_t j;
        if (!e)
            continue;
        for (j = e->hash & (cap - 1); s[j].e; j = (j + 1) & (cap - 1))
            ;
        s[j].e = e;
        s[j].hash = e->hash;
    }
    bounce__free(t->slots);
    t->slots = s;
    t->cap = cap;
    return 0;
}

/* Start loading the slot of hash h (big tables miss the caches; the caller has other
 * work to do meanwhile). */
static void tab_prefetch(const struct table *t, uint32_t h)
{
#if defined(__GNUC__)
    if (t->cap)
        __builtin_prefetch(&t->slots[h & (t->cap - 1)]);
#else
    (void)t;
    (void)h;
#endif
}

/* Find or insert k (klen <= REPORT_TABKEY_MAX) of hash h = hash_bytes(k, klen, seed).
 * *st: 1 inserted, 0 found, -1 out of memory, -2 table full (NULL return). */
static struct tent *tab_get_h(struct table *t, const char *k, size_t klen, uint32_t h, int *st)
{
    size_t j;
    struct tent *e;

    if (t->cap) {
        for (j = h & (t->cap - 1); (e = t->slots[j].e) != NULL; j = (j + 1) & (t->cap - 1)) {
            if (t->slots[j].hash == h && e->klen == klen && memcmp(e->key, k, klen) == 0) {
                *st = 0;
                return e;
            }
        }
    }
    if (t->n >= REPORT_MAX_KEYS) {
        *st = -2;
        return NULL;
    }
    if ((t->n + 1) * 2 > t->cap && tab_grow(t) < 0) {
        *st = -1;
        return NULL;
    }
    e = bounce__calloc(1, sizeof *e + klen + 1);
    if (!e) {
        *st = -1;
        return NULL;
    }
    memcpy(e->key, k, klen);
    e->key[klen] = '\0';
    e->klen = (uint32_t)klen;
    e->hash = h;
    e->cause = -1;
    for (j = h & (t->cap - 1); t->slots[j].e; j = (j + 1) & (t->cap - 1))
        ;
    t->slots[j].e = e;
    t->slots[j].hash = h;
    t->n++;
    *st = 1;
    return e;
}

/* Entries as an array (caller frees), sorted with cmp (unsorted if cmp is NULL). */
static struct tent **tab_list(const struct table *t, int (*cmp)(const void *, const void *))
{
    struct tent **v = bounce__malloc((t->n ? t->n : 1) * sizeof *v);
    size_t i, k = 0;
    if (!v)
        return NULL;
    for (i = 0; i < t->cap; i++)
        if (t->slots[i].e)
            v[k++] = t->slots[i].e;
    if (cmp && k > 1)
        qsort(v, k, sizeof *v, cmp);
    return v;
}

/* Like tab_list(), but only the first min(n, max) entries are in cmp order (the same as
 * after a full sort: cmp is a total order); the rest follow in no order. Big tables
 * (senders, domains) are not sorted whole for a top-10 list. */
static struct tent **tab_top(const struct table *t, int (*cmp)(const void *, const void *),
                             size_t max)
{
    struct tent **v;
    size_t i, k;
    if (max == 0 || t->n <= 4 * max + 16)
        return tab_list(t, cmp);
    if (!(v = tab_list(t, NULL)))
        return NULL;
    qsort(v, max, sizeof *v, cmp);
    for (i = max; i < t->n; i++) {
        struct tent *e = v[i], *last = v[max - 1];
        if (cmp(&e, &last) >= 0)
            continue;
        for (k = max - 1; k > 0 && cmp(&e, &v[k - 1]) < 0; k--)
            v[k] = v[k - 1];
        v[k] = e;
        v[i] = last;
    }
    return v;
}

static int cmp_key(const struct tent *a, const struct tent *b)
{
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    return c ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

#define DESC(x, y) (((x) < (y)) - ((x) > (y)))

static int by_n(const void *pa, const void *pb)
{
    const struct tent *a = *(const struct tent *const *)pa, *b = *(const struct tent *const *)pb;
    int c = DESC(a->n, b->n);
    return c ? c : cmp_key(a, b);
}

static int by_fail(const void *pa, const void *pb)
{
    const struct tent *a = *(const struct tent *const *)pa, *b = *(const struct tent *const *)pb;
    int c = DESC(a->fail, b->fail);
    if (!c)
        c = DESC(a->n, b->n);
    return c ? c : cmp_key(a, b);
}

static int by_aux(const void *pa, const void *pb)
{
    const struct tent *a = *(const struct tent *const *)pa, *b = *(const struct tent *const *)pb;
    int c = DESC(a->aux, b->aux);
    return c ? c : cmp_key(a, b);
}

/* ------------------------------------------------------------------ */
/* the report                                                          */

struct finding {
    const char *id;
    double confidence;
    uint64_t evidence;   /* number of records behind it */
    char *text;
};

#define N_STATUS 16
#define N_REASON 64
#define N_SOURCE 8

struct bounce_report {
    uint32_t flags;
    uint32_t seed;
    uint64_t records, failures, delivered, delivered_remote, queue_records;
    uint64_t stuck;                 /* failures plus queued records */
    uint64_t null_sender_stuck;     /* of which with the null sender */
    uint64_t by_status[N_STATUS];
    uint64_t by_reason[N_REASON];   /* failures */
    uint64_t by_source[N_SOURCE];
    int64_t first, last;            /* INT64_MIN: none */
    int64_t queue_now;              /* latest arrival of a queue record */
    int64_t ref_now;                /* bounce_report_set_reference_time(), INT64_MIN = unset */
    struct table causes;     /* cause id -> failures (n), kb/cause/reason */
    struct table domains;    /* recipient domain -> records (n), failures, queue records (aux) */
    struct table relays;     /* relay / remote MTA -> failures (n) */
    struct table senders;    /* sender ("" = null sender) -> records (n), failures */
    struct table cause_dom;  /* "cause\tdomain" -> failures */
    struct table cause_rcpt; /* "cause\trecipient" (unknown users, quota) -> failures */
    struct table qage;       /* "domain\n" + 8-byte arrival minute -> queue records */
    struct table lists;      /* DNS blocklists named in rejections -> failures */
    /* findings: computed on demand, cached until the next add */
    int findings_valid;
    struct finding *find;
    size_t nfind;
};

bounce_status_t bounce_report_new(uint32_t flags, bounce_report_t **out)
{
    bounce_report_t *r;
    if (!out)
        return BOUNCE_E_INVAL;
    r = bounce__calloc(1, sizeof *r);
    if (!r)
        return BOUNCE_E_NOMEM;
    r->flags = flags;
    /* per-report hash seed: keeps crafted keys from colliding across reports */
    r->seed = (uint32_t)(((uintptr_t)r >> 4) * 2654435761u);
    r->first = r->last = r->queue_now = r->ref_now = INT64_MIN;
    *out = r;
    return BOUNCE_OK;
}

static void findings_clear(bounce_report_t *r)
{
    size_t i;
    for (i = 0; i < r->nfind; i++)
        bounce__free(r->find[i].text);
    bounce__free(r->find);
    r->find = NULL;
    r->nfind = 0;
    r->findings_valid = 0;
}

void bounce_report_free(bounce_report_t *r)
{
    if (!r)
        return;
    findings_clear(r);
    tab_free(&r->causes);
    tab_free(&r->domains);
    tab_free(&r->relays);
    tab_free(&r->senders);
    tab_free(&r->cause_dom);
    tab_free(&r->cause_rcpt);
    tab_free(&r->qage);
    tab_free(&r->lists);
    bounce__free(r);
}

static int is_failure(const bounce_record_t *rec)
{
    size_t dl = 0;
    switch (rec->status) {
    case BOUNCE_EVENT_DEFERRED:
    case BOUNCE_EVENT_BOUNCED:
    case BOUNCE_EVENT_EXPIRED:
    case BOUNCE_EVENT_REJECTED:
    case BOUNCE_EVENT_FROZEN:
    case BOUNCE_EVENT_DELAYED:
        return 1;
    case BOUNCE_EVENT_QUEUED:
    case BOUNCE_EVENT_HELD:
        return bounce__record_field(rec, BOUNCE_FIELD_DIAGNOSTIC, &dl) != NULL && dl > 0;
    case BOUNCE_EVENT_UNKNOWN:
        return rec->result.severity == BOUNCE_SEVERITY_PERMANENT ||
               rec->result.severity == BOUNCE_SEVERITY_TRANSIENT;
    default:
        return 0;
    }
}

static int is_queue_source(int src)
{
    return src == BOUNCE_SOURCE_POSTQUEUE || src == BOUNCE_SOURCE_EXIM_QUEUE;
}

/* Lower-cased copy into buf (at most REPORT_KEY_MAX bytes); returns the length. */
static size_t lower_copy(char *buf, const char *s, size_t len)
{
    size_t i;
    if (len > REPORT_KEY_MAX)
        len = REPORT_KEY_MAX;
    /* eight bytes at a time: bytes 'A'..'Z' (high bit clear) get 0x20 added */
    for (i = 0; i + 8 <= len; i += 8) {
        uint64_t w, h, up;
        memcpy(&w, s + i, 8);
        h = w & 0x7f7f7f7f7f7f7f7full;
        up = ((h + 0x3f3f3f3f3f3f3f3full) ^ (h + 0x2525252525252525ull)) & ~w &
             0x8080808080808080ull; /* >= 'A' and not > 'Z', ASCII only */
        w |= up >> 2;
        memcpy(buf + i, &w, 8);
    }
    if (i < len && len >= 8) {
        /* the last 0..7 bytes: redo the final eight (lower-casing twice is harmless) */
        uint64_t w, h, up;
        memcpy(&w, s + len - 8, 8);
        h = w & 0x7f7f7f7f7f7f7f7full;
        up = ((h + 0x3f3f3f3f3f3f3f3full) ^ (h + 0x2525252525252525ull)) & ~w &
             0x8080808080808080ull;
        w |= up >> 2;
        memcpy(buf + len - 8, &w, 8);
        return len;
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c); /* inline: runs per key byte */
    }
    return len;
}

/* Domain of an address: after the last '@', without a trailing '>'; "" if none. */
static size_t domain_of(const char *a, size_t len, char *buf)
{
    size_t i = len, n;
    while (i > 0 && a[i - 1] != '@')
        i--;
    if (i == 0)
        return 0;
    n = len - i;
    while (n > 0 && (a[i + n - 1] == '>' || a[i + n - 1] == ' ' || a[i + n - 1] == '.'))
        n--;
    return lower_copy(buf, a + i, n);
}

/* A relay that is this machine or a local transport (not a remote SMTP server). */
/* s[i..len) starts with the lower-case word w, ignoring case */
static int word_at(const char *s, size_t len, size_t i, const char *w, size_t wn)
{
    size_t j;
    if (len - i < wn)
        return 0;
    for (j = 0; j < wn; j++) {
        unsigned char c = (unsigned char)s[i + j];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (unsigned char)w[j])
            return 0;
    }
    return 1;
}

/* Contains "127.", "[::1]", "localhost", "private/" or "none" (any case); else has no dot
 * and no bracket ("local", "virtual", "dovecot", "lmtp" transports). One pass: it runs for
 * every delivered record. */
static int is_local_relay(const char *s, size_t len)
{
    size_t i;
    int dot_or_bracket = 0;
    /* the bytes the switch below looks at; the others are skipped by one table lookup. A
     * word is compared only if its second byte fits ((c | 0x20) == 'o' only for 'o', 'O') */
    static const unsigned char special[256] = {['.'] = 1, ['1'] = 1, ['['] = 1, ['l'] = 1,
                                               ['L'] = 1, ['p'] = 1, ['P'] = 1, ['n'] = 1,
                                               ['N'] = 1};
    if (len == 0)
        return 1;
    for (i = 0; i < len; i++) {
        if (!special[(unsigned char)s[i]])
            continue;
        switch (s[i]) {
        case '.':
            dot_or_bracket = 1;
            break;
        case '1':
            if (i + 1 < len && s[i + 1] == '2' && word_at(s, len, i, "127.", 4))
                return 1;
            break;
        case '[':
            dot_or_bracket = 1;
            if (i + 1 < len && s[i + 1] == ':' && word_at(s, len, i, "[::1]", 5))
                return 1;
            break;
        case 'l': case 'L':
            if (i + 1 < len && (s[i + 1] | 0x20) == 'o' && word_at(s, len, i, "localhost", 9))
                return 1;
            break;
        case 'p': case 'P':
            if (i + 1 < len && (s[i + 1] | 0x20) == 'r' && word_at(s, len, i, "private/", 8))
                return 1;
            break;
        case 'n': case 'N':
            if (i + 1 < len && (s[i + 1] | 0x20) == 'o' && word_at(s, len, i, "none", 4))
                return 1;
            break;
        default:
            break;
        }
    }
    return !dot_or_bracket;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Cause families used by the diagnosis. */
enum { FAM_NONE, FAM_NET, FAM_DNSBL, FAM_FILTER, FAM_DNS, FAM_RATE, FAM_UNKNOWN_USER, FAM_QUOTA };

static int cause_family(const char *id)
{
    if (starts_with(id, "network.conn") || starts_with(id, "network.port25") ||
        starts_with(id, "network.timeout") || starts_with(id, "network.no_route") ||
        starts_with(id, "network.unreachable"))
        return FAM_NET;
    if (starts_with(id, "reputation.dnsbl") || starts_with(id, "reputation.blocklist"))
        return FAM_DNSBL;
    if (starts_with(id, "local.content_filter"))
        return FAM_FILTER;
    if (starts_with(id, "dns.lookup_failed") || starts_with(id, "dns.resolver") ||
        starts_with(id, "dns.servfail") || starts_with(id, "dns.temporary"))
        return FAM_DNS;
    if (starts_with(id, "rate.") || starts_with(id, "greylist"))
        return FAM_RATE;
    if (starts_with(id, "recipient.unknown"))
        return FAM_UNKNOWN_USER;
    if (starts_with(id, "quota."))
        return FAM_QUOTA;
    return FAM_NONE;
}

static const char *record_cause_id(const bounce_record_t *rec)
{
    const char *id = NULL;
    if (rec->result.kb && rec->result.cause >= 0)
        id = bounce__kb_cause_id(rec->result.kb, rec->result.cause);
    return id ? id : "unknown";
}

/* Count into a table; out-of-memory -> -1; a full table counts as "other".
 * count_h: with the key's hash already computed (klen <= REPORT_TABKEY_MAX). */
static int count_h(struct table *t, const char *k, size_t klen, uint32_t h, uint64_t n,
                   uint64_t fail, uint64_t aux, struct tent **out)
{
    int st;
    struct tent *e = tab_get_h(t, k, klen, h, &st);
    if (out)
        *out = e;
    if (st == -1)
        return -1;
    if (!e) {
        t->other_n += n;
        t->other_fail += fail;
        return 0;
    }
    e->n += n;
    e->fail += fail;
    e->aux += aux;
    return st;
}

static int count(bounce_report_t *r, struct table *t, const char *k, size_t klen, uint64_t n,
                 uint64_t fail, uint64_t aux, struct tent **out)
{
    if (klen > REPORT_TABKEY_MAX)
        klen = REPORT_TABKEY_MAX;
    return count_h(t, k, klen, hash_bytes(k, klen, r->seed), n, fail, aux, out);
}

/* The blocklist a rejection names ("blocked using zen.spamhaus.org", "listed in
 * bl.spamcop.net"): a host name after one of the markers; 0 if none. */
static size_t blocklist_name(const char *t, size_t len, char *out)
{
    static const char *const markers[] = {"blocked using ", "listed in ", "listed on ",
                                          "listed at ", "listed by ", "found in ", "rbl: "};
    size_t i;
    for (i = 0; i < BOUNCE__ARRAY_LEN(markers); i++) {
        const char *m = bounce__memcasestr(t, len, markers[i]);
        size_t off, n = 0, dots = 0;
        if (!m)
            continue;
        off = (size_t)(m - t) + strlen(markers[i]);
        while (off + n < len && n < REPORT_KEY_MAX) {
            int c = (unsigned char)t[off + n];
            if (!(c == '.' || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                  (c >= 'A' && c <= 'Z')))
                break;
            dots += c == '.';
            n++;
        }
        while (n > 0 && t[off + n - 1] == '.') {
            n--;
            dots--;
        }
        if (n > 3 && dots > 0)
            return lower_copy(out, t + off, n);
    }
    return 0;
}

bounce_status_t bounce_report_add(bounce_report_t *r, const bounce_record_t *rec)
{
    char dom[REPORT_KEY_MAX + 1], key[REPORT_TABKEY_MAX], skey[REPORT_KEY_MAX + 1];
    const char *rcpt, *snd, *relay, *cause;
    size_t rlen = 0, slen = 0, relen = 0, dlen = 0, clen, k, sk = 0;
    uint32_t sh = 0;
    int fail, queue, fam;
    struct tent *e;

    if (!r || !rec)
        return BOUNCE_E_INVAL;
    r->findings_valid = 0;
    fail = is_failure(rec);
    queue = is_queue_source(rec->source);
    r->records++;
    if (rec->status < N_STATUS)
        r->by_status[rec->status]++;
    if (rec->source < N_SOURCE)
        r->by_source[rec->source]++;
    if (rec->time != INT64_MIN) {
        if (r->first == INT64_MIN || rec->time < r->first)
            r->first = rec->time;
        if (r->last == INT64_MIN || rec->time > r->last)
            r->last = rec->time;
    }
    rcpt = bounce__record_field(rec, BOUNCE_FIELD_RECIPIENT, &rlen);
    snd = bounce__record_field(rec, BOUNCE_FIELD_SENDER, &slen);
    if (snd) {
        /* the senders table is the big one: start loading its slot now */
        sk = lower_copy(skey, snd, slen);
        sh = hash_bytes(skey, sk, r->seed);
        tab_prefetch(&r->senders, sh);
    }
    relay = bounce__record_field(rec, BOUNCE_FIELD_RELAY, &relen);
    if (!relay || !relen)
        relay = bounce__record_field(rec, BOUNCE_FIELD_REMOTE_MTA, &relen);
    if (rcpt)
        dlen = domain_of(rcpt, rlen, dom);
    if (fail || queue)
        r->stuck++;
    if (rec->status == BOUNCE_EVENT_DELIVERED) {
        r->delivered++;
        if (relay && !is_local_relay(relay, relen))
            r->delivered_remote++;
    }
    if (fail) {
        r->failures++;
        if (rec->result.reason >= 0 && rec->result.reason < N_REASON)
            r->by_reason[rec->result.reason]++;
    }

    /* senders (records and failures) */
    if (snd) {
        if (sk == 0 && (fail || queue))
            r->null_sender_stuck++;
        if (count_h(&r->senders, skey, sk, sh, 1, (uint64_t)fail, 0, NULL) < 0)
            return BOUNCE_E_NOMEM;
    }
    /* destination domains */
    if (rcpt) {
        if (count(r, &r->domains, dom, dlen, 1, (uint64_t)fail, (uint64_t)queue, NULL) < 0)
            return BOUNCE_E_NOMEM;
    }
    /* queue ages */
    if (queue && rcpt && rec->time != INT64_MIN) {
        int64_t minute = rec->time >= 0 ? rec->time / 60 : -((-rec->time + 59) / 60);
        r->queue_records++;
        if (r->queue_now == INT64_MIN || rec->time > r->queue_now)
            r->queue_now = rec->time;
        memcpy(key, dom, dlen);
        key[dlen] = '\n';
        memcpy(key + dlen + 1, &minute, sizeof minute);
        if (count(r, &r->qage, key, dlen + 1 + sizeof minute, 1, 0, 0, NULL) < 0)
            return BOUNCE_E_NOMEM;
    }
    if (!fail)
        return BOUNCE_OK;

    /* failures: relays, causes, cause x domain, cause x recipient */
    if (relay && relen) {
        k = lower_copy(key, relay, relen);
        if (count(r, &r->relays, key, k, 1, 1, 0, NULL) < 0)
            return BOUNCE_E_NOMEM;
    }
    cause = record_cause_id(rec);
    clen = strlen(cause);
    if (clen > REPORT_KEY_MAX)
        clen = REPORT_KEY_MAX;
    if (count(r, &r->causes, cause, clen, 1, 1, 0, &e) < 0)
        return BOUNCE_E_NOMEM;
    if (e && e->n == 1) {
        e->kb = rec->result.kb;
        e->cause = rec->result.cause;
        e->reason = rec->result.reason;
    }
    if (e && rec->result.severity == BOUNCE_SEVERITY_TRANSIENT)
        e->aux++;
    if (!rcpt)
        return BOUNCE_OK;
    memcpy(key, cause, clen);
    key[clen] = '\t';
    memcpy(key + clen + 1, dom, dlen);
    if (count(r, &r->cause_dom, key, clen + 1 + dlen, 1,
              rec->result.severity == BOUNCE_SEVERITY_TRANSIENT, 0, NULL) < 0)
        return BOUNCE_E_NOMEM;
    fam = cause_family(cause);
    if (fam == FAM_DNSBL) {
        size_t tl = 0;
        const char *txt = bounce__record_field(rec, BOUNCE_FIELD_DIAGNOSTIC, &tl);
        char name[REPORT_KEY_MAX + 1];
        const char *sfx = strrchr(cause, '.');
        k = txt ? blocklist_name(txt, tl, name) : 0;
        if (k == 0 && sfx && strcmp(sfx + 1, "other") != 0)
            k = lower_copy(name, sfx + 1, strlen(sfx + 1));
        if (k && count(r, &r->lists, name, k, 1, 1, 0, NULL) < 0)
            return BOUNCE_E_NOMEM;
    }
    if (fam == FAM_UNKNOWN_USER || fam == FAM_QUOTA) {
        k = lower_copy(key + clen + 1, rcpt, rlen);
        if (count(r, &r->cause_rcpt, key, clen + 1 + k, 1, 1, 0, NULL) < 0)
            return BOUNCE_E_NOMEM;
    }
    return BOUNCE_OK;
}

/* ------------------------------------------------------------------ */
/* incident diagnosis                                                  */

static const char *const well_known_domains[] = {
    "gmail.com",   "googlemail.com", "outlook.com", "hotmail.com", "live.com",
    "msn.com",     "yahoo.com",      "ymail.com",   "aol.com",     "icloud.com",
    "me.com",      "gmx.de",         "gmx.net",     "web.de",      "mail.ru",
    "yandex.ru",   "proton.me",      "protonmail.com", "comcast.net", "orange.fr",
};

static int is_well_known(const char *d, size_t len)
{
    size_t i;
    for (i = 0; i < BOUNCE__ARRAY_LEN(well_known_domains); i++)
        if (strlen(well_known_domains[i]) == len && memcmp(well_known_domains[i], d, len) == 0)
            return 1;
    return 0;
}

static double share(uint64_t part, uint64_t whole)
{
    return whole ? (double)part / (double)whole : 0.0;
}

static int add_finding(bounce_report_t *r, const char *id, double conf, uint64_t evidence,
                       bounce__buf *text)
{
    struct finding *f;
    char *s;
    /* the text buffer is always consumed */
    if (bounce__buf_terminate(text) < 0) {
        bounce__buf_free(text);
        return -1;
    }
    f = bounce__realloc(r->find, (r->nfind + 1) * sizeof *f);
    if (!f) {
        bounce__buf_free(text);
        return -1;
    }
    r->find = f;
    s = bounce__buf_take(text);
    if (!s)
        return -1;
    f[r->nfind].id = id;
    f[r->nfind].confidence = conf;
    f[r->nfind].evidence = evidence;
    f[r->nfind].text = s;
    r->nfind++;
    return 0;
}

/* "a (3), b (2), c (1)" from the top entries of a table. */
static int list_top(bounce__buf *b, const struct table *t, size_t max,
                    int (*cmp)(const void *, const void *), int use_fail)
{
    struct tent **v;
    size_t i;
    int rc = 0;
    if (!t->n)
        return 0;
    v = tab_top(t, cmp, max);
    if (!v)
        return -1;
    for (i = 0; i < t->n && i < max && rc == 0; i++) {
        const char *k = v[i]->klen ? v[i]->key : "<>";
        rc = bounce__buf_printf(b, "%s%s (%llu)", i ? ", " : "", k,
                                (unsigned long long)(use_fail ? v[i]->fail : v[i]->n));
    }
    if (rc == 0 && t->n > max)
        rc = bounce__buf_printf(b, " and %zu more", t->n - max);
    bounce__free(v);
    return rc;
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return (a > b) - (a < b);
}

static int finding_cmp(const void *pa, const void *pb)
{
    const struct finding *a = pa, *b = pb;
    if (a->confidence != b->confidence)
        return a->confidence < b->confidence ? 1 : -1;
    if (a->evidence != b->evidence)
        return a->evidence < b->evidence ? 1 : -1;
    return strcmp(a->id, b->id);
}

struct diag_ctx {
    struct table net, dnsbl, dns, rate, unk, quota;
    uint64_t net_n, dnsbl_n, dns_n, filter_n, rate_n, quota_n, unk_n;
    uint64_t dns_wellknown, failing_domains;
};

static void diag_free(struct diag_ctx *c)
{
    tab_free(&c->net);
    tab_free(&c->dnsbl);
    tab_free(&c->dns);
    tab_free(&c->rate);
    tab_free(&c->unk);
    tab_free(&c->quota);
}

static int diag_collect(bounce_report_t *r, struct diag_ctx *c)
{
    size_t i;
    struct tent *e;
    for (i = 0; i < r->causes.cap; i++) {
        if (!(e = r->causes.slots[i].e))
            continue;
        switch (cause_family(e->key)) {
        case FAM_NET: c->net_n += e->n; break;
        case FAM_DNSBL: c->dnsbl_n += e->n; break;
        case FAM_FILTER: c->filter_n += e->n; break;
        case FAM_DNS: c->dns_n += e->aux; break; /* transient only */
        case FAM_RATE: c->rate_n += e->n; break;
        case FAM_QUOTA: c->quota_n += e->n; break;
        case FAM_UNKNOWN_USER: c->unk_n += e->n; break;
        default: break;
        }
    }
    for (i = 0; i < r->domains.cap; i++)
        if ((e = r->domains.slots[i].e) && e->fail)
            c->failing_domains++;
    for (i = 0; i < r->cause_dom.cap; i++) {
        const char *tab, *d;
        size_t dl;
        struct table *t = NULL;
        uint64_t n;
        int fam;
        if (!(e = r->cause_dom.slots[i].e))
            continue;
        tab = memchr(e->key, '\t', e->klen);
        if (!tab)
            continue;
        d = tab + 1;
        dl = e->klen - (size_t)(d - e->key);
        fam = cause_family(e->key);
        n = e->n;
        switch (fam) {
        case FAM_NET: t = &c->net; break;
        case FAM_DNSBL: t = &c->dnsbl; break;
        case FAM_DNS: t = &c->dns; n = e->fail; break;
        case FAM_RATE: t = &c->rate; break;
        default: break;
        }
        if (!t || !n)
            continue;
        if (count(r, t, d, dl, n, 0, 0, &e) < 0)
            return -1;
        if (fam == FAM_DNS && e && e->n == n && is_well_known(d, dl))
            c->dns_wellknown++;
    }
    for (i = 0; i < r->cause_rcpt.cap; i++) {
        const char *tab, *a;
        size_t al;
        char dom[REPORT_KEY_MAX + 1];
        if (!(e = r->cause_rcpt.slots[i].e))
            continue;
        tab = memchr(e->key, '\t', e->klen);
        if (!tab)
            continue;
        a = tab + 1;
        al = e->klen - (size_t)(a - e->key);
        if (cause_family(e->key) == FAM_UNKNOWN_USER) {
            size_t dl = domain_of(a, al, dom);
            if (count(r, &c->unk, dom, dl, 1, 0, 0, NULL) < 0) /* distinct users */
                return -1;
        } else if (count(r, &c->quota, a, al, e->n, 0, 0, NULL) < 0) {
            return -1;
        }
    }
    return 0;
}

static int rule_port25(bounce_report_t *r, struct diag_ctx *c)
{
    bounce__buf b = {0};
    double conf;
    if (c->net.n < PORT25_MIN_DOMAINS || share(c->net_n, r->failures) < PORT25_MIN_SHARE ||
        share(r->delivered_remote, r->delivered_remote + c->net_n) > PORT25_MAX_DELIVERED_SHARE)
        return 0;
    conf = r->delivered_remote == 0 ? 0.9 : 0.75;
    if (bounce__buf_printf(&b,
                           "%llu of %llu failures (%.0f%%) are connection timeouts or refusals "
                           "to %zu unrelated destination domains (",
                           (unsigned long long)c->net_n, (unsigned long long)r->failures,
                           100.0 * share(c->net_n, r->failures), c->net.n) < 0 ||
        list_top(&b, &c->net, 5, by_n, 0) < 0 ||
        bounce__buf_printf(&b,
                           "), and %llu messages were delivered to a remote SMTP server. "
                           "Outbound connections to port 25 are probably blocked by your "
                           "hosting provider or a firewall. Check from this server: "
                           "`nc -vz -w 10 gmail-smtp-in.l.google.com 25`; then ask the provider "
                           "to open port 25, or relay through a smarthost on port 587 with "
                           "authentication (Postfix: relayhost = [smtp.example.net]:587 with "
                           "smtp_sasl_auth_enable; Exim: a smarthost router). After the fix, "
                           "flush the queue (postqueue -f, exim -qff).",
                           (unsigned long long)r->delivered_remote) < 0) {
        bounce__buf_free(&b);
        return -1;
    }
    return add_finding(r, "network.port25_blocked", conf, c->net_n, &b);
}

static int rule_dnsbl(bounce_report_t *r, struct diag_ctx *c)
{
    bounce__buf b = {0};
    int rc = 0;
    (void)r;
    if (c->dnsbl.n < DNSBL_MIN_DOMAINS)
        return 0;
    rc |= bounce__buf_printf(&b,
                             "%llu rejections cite a DNS blocklist, from %zu receiving domains (",
                             (unsigned long long)c->dnsbl_n, c->dnsbl.n);
    rc |= list_top(&b, &c->dnsbl, 5, by_n, 0);
    rc |= bounce__buf_puts(&b, "). Our sending IP is probably listed");
    if (r->lists.n) {
        rc |= bounce__buf_puts(&b, "; lists named: ");
        rc |= list_top(&b, &r->lists, 8, by_n, 0);
    }
    rc |= bounce__buf_puts(&b,
                           ". Look the IP up on each list's site (e.g. https://check.spamhaus.org/), "
                           "find and stop what got it listed (a compromised account, an open "
                           "relay, a missing PTR record, a spam run), then request delisting "
                           "through the list's removal form; queued mail can be flushed "
                           "afterwards (postqueue -f, exim -qff).");
    if (rc) {
        bounce__buf_free(&b);
        return -1;
    }
    return add_finding(r, "reputation.listed", c->dnsbl.n >= 3 ? 0.95 : 0.85, c->dnsbl_n, &b);
}

static int rule_filter(bounce_report_t *r, struct diag_ctx *c)
{
    bounce__buf b = {0};
    if (c->filter_n < FILTER_MIN_RECORDS)
        return 0;
    if (bounce__buf_printf(&b,
                           "%llu messages wait because the local content filter cannot be "
                           "reached (e.g. Amavis on 127.0.0.1:10024 or the smtp-amavis "
                           "transport refuses connections). Restart it (systemctl restart "
                           "amavis; check its log and `ss -ltnp | grep 10024`), or take it out "
                           "of the mail path (Postfix: remove content_filter from main.cf and "
                           "the -o content_filter lines from master.cf, then postfix reload). "
                           "Then flush the queue: postqueue -f.",
                           (unsigned long long)c->filter_n) < 0) {
        bounce__buf_free(&b);
        return -1;
    }
    return add_finding(r, "local.content_filter_down", 0.95, c->filter_n, &b);
}

static int rule_dns(bounce_report_t *r, struct diag_ctx *c)
{
    bounce__buf b = {0};
    int wk = c->dns_wellknown >= DNS_MIN_WELLKNOWN;
    if (!wk && !(c->dns.n >= DNS_MIN_DOMAINS &&
                 share(c->dns.n, c->failing_domains) >= DNS_MIN_DOMAIN_SHARE))
        return 0;
    if (bounce__buf_printf(&b,
                           "%llu temporary DNS lookup failures for %zu domains (",
                           (unsigned long long)c->dns_n, c->dns.n) < 0 ||
        list_top(&b, &c->dns, 6, by_n, 0) < 0 ||
        bounce__buf_printf(&b,
                           ")%s. Domains that always resolve fail here, so this server's own "
                           "resolver is broken. Test it: `dig mx gmail.com` and `dig mx gmail.com "
                           "@1.1.1.1`; check /etc/resolv.conf (and the copy in Postfix's chroot, "
                           "/var/spool/postfix/etc/resolv.conf), the local resolver service "
                           "(systemd-resolved, unbound, bind) and the firewall for port 53. "
                           "Then flush the queue (postqueue -f, exim -qff).",
                           wk ? ", including well-known domains" : "") < 0) {
        bounce__buf_free(&b);
        return -1;
    }
    return add_finding(r, "dns.resolver_broken", wk ? 0.9 : 0.7, c->dns_n, &b);
}

static int rule_rate(bounce_report_t *r, struct diag_ctx *c)
{
    bounce__buf b = {0};
    struct tent **v;
    if (!c->rate.n)
        return 0;
    v = tab_top(&c->rate, by_n, 1);
    if (!v)
        return -1;
    if (v[0]->n < RATE_MIN_RECORDS || share(v[0]->n, c->rate_n) < RATE_MIN_SHARE) {
        bounce__free(v);
        return 0;
    }
    if (bounce__buf_printf(&b,
                           "%llu of %llu rate-limit or greylisting deferrals come from %s. "
                           "That receiver throttles us: the mail will go through on retry. "
                           "Lower the concurrency and rate for it (Postfix: a transport_maps "
                           "entry with smtp_destination_concurrency_limit = 2 and "
                           "smtp_destination_rate_delay = 1s; Exim: serialize_hosts or a "
                           "smaller connection_max_messages), check the reputation of our IP "
                           "with that provider, and do not flush the queue repeatedly.",
                           (unsigned long long)v[0]->n, (unsigned long long)c->rate_n,
                           v[0]->klen ? v[0]->key : "(no domain)") < 0) {
        bounce__free(v);
        bounce__buf_free(&b);
        return -1;
    }
    bounce__free(v);
    return add_finding(r, "rate.limited_by_receiver", 0.8, c->rate_n, &b);
}

static int rule_compromised(bounce_report_t *r)
{
    bounce__buf b = {0};
    struct tent **v, *top = NULL;
    uint64_t *vol, median = 0;
    size_t i, k = 0;
    int rc = 0;
    if (r->senders.n) {
        v = tab_list(&r->senders, NULL); /* only the top sender and the median are needed */
        vol = bounce__malloc(r->senders.n * sizeof *vol);
        if (!v || !vol) {
            bounce__free(v);
            bounce__free(vol);
            return -1;
        }
        for (i = 0; i < r->senders.n; i++)
            if (v[i]->klen) {
                vol[k++] = v[i]->n;
                if (!top || by_n(&v[i], &top) < 0)
                    top = v[i];
            }
        if (k) {
            qsort(vol, k, sizeof *vol, cmp_u64);
            median = vol[k / 2];
        }
        if (top && share(top->n, r->records) > COMPROMISED_MIN_SHARE &&
            top->n > COMPROMISED_MEDIAN_FACTOR * median && top->fail >= COMPROMISED_MIN_FAILURES) {
            rc = bounce__buf_printf(
                &b,
                "One sender, %s, accounts for %llu of %llu records (%.0f%%; the median sender "
                "has %llu) with %llu failures. This looks like a compromised account or script "
                "sending spam. Stop it first: change the account's password and end its "
                "sessions (Postfix: check `grep 'sasl_username=' /var/log/mail.log | sort | "
                "uniq -c`; Plesk/cPanel: suspend the mailbox), look for a rogue PHP script if "
                "the mail comes from the web server, then delete only this sender's queued "
                "mail: postqueue -j | jq -r 'select(.sender == \"%s\") | .queue_id' | "
                "postsuper -d - (Exim: exiqgrep -i -f '%s' | xargs exim -Mrm). Do not delete "
                "the whole queue.",
                top->key, (unsigned long long)top->n, (unsigned long long)r->records,
                100.0 * share(top->n, r->records), (unsigned long long)median,
                (unsigned long long)top->fail, top->key, top->key);
            if (rc == 0)
                rc = add_finding(r, "security.compromised_account", 0.8, top->n, &b);
        }
        bounce__free(v);
        bounce__free(vol);
        if (rc)
            return -1;
    }
    if (r->null_sender_stuck >= BACKSCATTER_MIN_RECORDS &&
        share(r->null_sender_stuck, r->stuck) >= BACKSCATTER_MIN_SHARE) {
        bounce__buf_free(&b);
        if (bounce__buf_printf(
                &b,
                "%llu of %llu failed or waiting records (%.0f%%) are bounces (null sender <>). "
                "Bounces piling up usually mean backscatter: we accept mail for users that "
                "do not exist (or spam with forged senders) and then bounce it. Reject unknown "
                "recipients at SMTP time (Postfix: smtpd_reject_unlisted_recipient = yes and "
                "complete virtual/local recipient maps; Exim: require verify = recipient in "
                "the RCPT ACL), check for a compromised account, then delete only the queued "
                "bounces: postqueue -j | jq -r 'select(.sender == \"\") | .queue_id' | "
                "postsuper -d - (Exim: exiqgrep -i -f '^<>$' | xargs exim -Mrm).",
                (unsigned long long)r->null_sender_stuck, (unsigned long long)r->stuck,
                100.0 * share(r->null_sender_stuck, r->stuck)) < 0 ||
            add_finding(r, "security.compromised_account", 0.7, r->null_sender_stuck, &b) < 0) {
            bounce__buf_free(&b);
            return -1;
        }
    }
    bounce__buf_free(&b);
    return 0;
}

static int rule_migrated(bounce_report_t *r, struct diag_ctx *c)
{
    bounce__buf b = {0};
    struct tent **v;
    size_t i, k = 0;
    uint64_t users = 0;
    int rc = 0;
    if (!c->unk.n)
        return 0;
    v = tab_list(&c->unk, by_n);
    if (!v)
        return -1;
    for (i = 0; i < c->unk.n && v[i]->n >= MIGRATED_MIN_USERS; i++) {
        users += v[i]->n;
        k++;
    }
    if (k) {
        rc |= bounce__buf_puts(&b, "Many distinct recipients are unknown at ");
        for (i = 0; i < k && i < 5; i++)
            rc |= bounce__buf_printf(&b, "%s%s (%llu users)", i ? ", " : "",
                                     v[i]->klen ? v[i]->key : "(no domain)",
                                     (unsigned long long)v[i]->n);
        rc |= bounce__buf_puts(
            &b, ". Whole domains of unknown users usually mean the domain moved (or was removed) "
                "while mail for it still comes here: if it now lives elsewhere, remove it from "
                "this server's local domains (Postfix: mydestination / virtual_mailbox_domains; "
                "Plesk: switch off the mail service for the domain; cPanel: Email Routing = "
                "Remote Mail Exchanger) and check its MX records (`dig mx DOMAIN`); if the "
                "addresses are simply stale, clean the mailing list.");
        if (rc == 0)
            rc = add_finding(r, "recipient.domain_migrated", 0.7, users, &b);
    }
    bounce__free(v);
    bounce__buf_free(&b);
    return rc ? -1 : 0;
}

static int rule_quota(bounce_report_t *r, struct diag_ctx *c)
{
    bounce__buf b = {0};
    struct tent **v;
    size_t i;
    uint64_t top = 0;
    int rc = 0;
    if (c->quota_n < QUOTA_MIN_FAILURES || !c->quota.n)
        return 0;
    v = tab_list(&c->quota, by_n);
    if (!v)
        return -1;
    for (i = 0; i < c->quota.n && i < QUOTA_TOP; i++)
        top += v[i]->n;
    if (share(top, c->quota_n) >= QUOTA_MIN_SHARE) {
        rc |= bounce__buf_printf(&b, "%llu mailbox-full failures, %.0f%% of them on %zu "
                                     "mailbox%s: ",
                                 (unsigned long long)c->quota_n, 100.0 * share(top, c->quota_n),
                                 i, i == 1 ? "" : "es");
        rc |= list_top(&b, &c->quota, QUOTA_TOP, by_n, 0);
        rc |= bounce__buf_puts(
            &b, ". If these mailboxes are on this server, check the real usage (doveadm quota "
                "get -u USER) and recount it (doveadm quota recalc -u USER); then raise the "
                "quota or ask the users to clean up (Plesk: mailbox size in the mail settings; "
                "cPanel: Email Accounts > Manage). If they are remote, tell the recipients.");
        if (rc == 0)
            rc = add_finding(r, "quota.concentrated", 0.75, c->quota_n, &b);
    }
    bounce__free(v);
    bounce__buf_free(&b);
    return rc ? -1 : 0;
}

/* Compute the findings if the report changed since the last time. */
static int findings_update(bounce_report_t *r)
{
    struct diag_ctx c;
    int rc;
    if (r->findings_valid)
        return 0;
    findings_clear(r);
    memset(&c, 0, sizeof c);
    rc = diag_collect(r, &c);
    if (rc == 0)
        rc = rule_port25(r, &c);
    if (rc == 0)
        rc = rule_dnsbl(r, &c);
    if (rc == 0)
        rc = rule_filter(r, &c);
    if (rc == 0)
        rc = rule_dns(r, &c);
    if (rc == 0)
        rc = rule_rate(r, &c);
    if (rc == 0)
        rc = rule_compromised(r);
    if (rc == 0)
        rc = rule_migrated(r, &c);
    if (rc == 0)
        rc = rule_quota(r, &c);
    diag_free(&c);
    if (rc < 0) {
        findings_clear(r);
        return -1;
    }
    if (r->nfind > 1)
        qsort(r->find, r->nfind, sizeof *r->find, finding_cmp);
    r->findings_valid = 1;
    return 0;
}

/* The report is logically const: the findings are a cache. */
static bounce_report_t *mut(const bounce_report_t *r)
{
    return (bounce_report_t *)(uintptr_t)r;
}

size_t bounce_report_finding_count(const bounce_report_t *r)
{
    if (!r || findings_update(mut(r)) < 0)
        return 0;
    return r->nfind;
}

const char *bounce_report_finding_id(const bounce_report_t *r, size_t i)
{
    if (!r || findings_update(mut(r)) < 0 || i >= r->nfind)
        return NULL;
    return r->find[i].id;
}

const char *bounce_report_finding_text(const bounce_report_t *r, size_t i)
{
    if (!r || findings_update(mut(r)) < 0 || i >= r->nfind)
        return NULL;
    return r->find[i].text;
}

/* ------------------------------------------------------------------ */
/* output helpers                                                      */

/* The remediation flavour to show: the given one, or (ANY) the one of the dominant source. */
static int pick_mta(const bounce_report_t *r, int mta)
{
    uint64_t pf, ex;
    if (mta != BOUNCE_MTA_ANY)
        return mta;
    pf = r->by_source[BOUNCE_SOURCE_POSTFIX] + r->by_source[BOUNCE_SOURCE_POSTQUEUE];
    ex = r->by_source[BOUNCE_SOURCE_EXIM] + r->by_source[BOUNCE_SOURCE_EXIM_QUEUE];
    if (pf == 0 && ex == 0)
        return BOUNCE_MTA_ANY;
    return pf >= ex ? BOUNCE_MTA_POSTFIX : BOUNCE_MTA_EXIM;
}

static size_t age_bucket(int64_t now_min, int64_t minute)
{
    int64_t age = now_min - minute;
    size_t i;
    for (i = 0; i < AGE_BUCKETS - 1; i++)
        if (age < age_limit_min[i])
            return i;
    return AGE_BUCKETS - 1;
}

/* "now" for queue ages */
static int64_t report_now(const bounce_report_t *r)
{
    return r->ref_now != INT64_MIN ? r->ref_now : r->queue_now;
}

bounce_status_t bounce_report_set_reference_time(bounce_report_t *r, int64_t now)
{
    if (!r)
        return BOUNCE_E_INVAL;
    r->ref_now = now;
    return BOUNCE_OK;
}

/* Age histograms of the k domains in doms (by queue records) plus the total. */
static void age_hist(const bounce_report_t *r, struct tent **doms, size_t k,
                     uint64_t (*hist)[AGE_BUCKETS], uint64_t *total)
{
    int64_t now = report_now(r);
    int64_t now_min = now >= 0 ? now / 60 : -((-now + 59) / 60);
    size_t i, j;
    for (i = 0; i < r->qage.cap; i++) {
        const struct tent *e = r->qage.slots[i].e;
        int64_t minute;
        size_t dl, b;
        if (!e || e->klen < 1 + sizeof minute)
            continue;
        dl = e->klen - 1 - sizeof minute;
        memcpy(&minute, e->key + dl + 1, sizeof minute);
        b = age_bucket(now_min, minute);
        total[b] += e->n;
        for (j = 0; j < k; j++)
            if (doms[j]->klen == dl && memcmp(doms[j]->key, e->key, dl) == 0) {
                hist[j][b] += e->n;
                break;
            }
    }
    /* keys that did not fit the table: unknown age, counted as the oldest bucket */
    total[AGE_BUCKETS - 1] += r->qage.other_n;
}

static const char *dom_name(const struct tent *e)
{
    return e->klen ? e->key : "(no domain)";
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

static int json_remediation(bounce__buf *b, const struct tent *e)
{
    int m, any = 0, rc = 0;
    rc |= bounce__buf_putc(b, '{');
    for (m = BOUNCE_MTA_ANY; m <= BOUNCE_MTA_CPANEL && rc == 0; m++) {
        size_t n = bounce__kb_remedy_count(e->kb, e->cause, m), i;
        size_t base = m == BOUNCE_MTA_ANY ? 0 : bounce__kb_remedy_count(e->kb, e->cause, BOUNCE_MTA_ANY);
        const char *name = bounce_enum_name(BOUNCE_ENUM_MTA, m);
        if (n <= base)
            continue;
        rc |= bounce__buf_printf(b, "%s\"%s\":[", any ? "," : "", name);
        any = 1;
        for (i = base; i < n && rc == 0; i++) {
            const char *s = bounce__kb_remedy(e->kb, e->cause, m, i);
            if (!s)
                s = "";
            if (i > base)
                rc |= bounce__buf_putc(b, ',');
            rc |= bounce__json_string(b, s, strlen(s)) < 0 ? -1 : 0;
        }
        rc |= bounce__buf_putc(b, ']');
    }
    rc |= bounce__buf_putc(b, '}');
    return rc ? -1 : any;
}

/* Finish a sub-object into an array buffer. */
static int jarr_add(bounce__buf *arr, bounce__jobj *j, int *lossy)
{
    if (arr->len > 1 && bounce__buf_putc(arr, ',') < 0)
        return -1;
    if (j->lossy)
        *lossy = 1;
    return bounce__jobj_finish(j, arr);
}

static int json_counts(bounce__jobj *top, const char *key, const uint64_t *v, size_t n,
                       bounce_enum_t fam, uint32_t flags, int *lossy)
{
    bounce__jobj j;
    bounce__buf b = {0};
    size_t i;
    int rc;
    bounce__jobj_init(&j, flags & ~BOUNCE_JSON_PRETTY);
    for (i = 0; i < n; i++) {
        const char *name = bounce_enum_name(fam, (int)i);
        if (v[i] && name)
            bounce__jobj_int(&j, name, (int64_t)v[i]);
    }
    if (j.lossy)
        *lossy = 1;
    rc = bounce__jobj_finish(&j, &b);
    if (rc == 0)
        bounce__jobj_raw(top, key, b.p, b.len);
    bounce__buf_free(&b);
    return rc;
}

bounce_status_t bounce_report_to_json(const bounce_report_t *rc_, uint32_t flags, char **out)
{
    bounce_report_t *r = mut(rc_);
    uint32_t sub = flags & ~BOUNCE_JSON_PRETTY;
    bounce__jobj top, j;
    bounce__buf arr = {0}, tmp = {0}, res = {0};
    struct tent **v = NULL;
    uint64_t(*hist)[AGE_BUCKETS] = NULL;
    uint64_t total[AGE_BUCKETS];
    char tbuf[40];
    size_t i, k, b;
    int lossy = 0, rc = 0;
    int mta;

    if (!r || !out)
        return BOUNCE_E_INVAL;
    if (findings_update(r) < 0)
        return BOUNCE_E_NOMEM;
    mta = pick_mta(r, BOUNCE_MTA_ANY);
    bounce__jobj_init(&top, flags);
    bounce__jobj_int(&top, "schema", 1);
    bounce__jobj_int(&top, "records", (int64_t)r->records);
    bounce__jobj_int(&top, "failures", (int64_t)r->failures);
    bounce__jobj_int(&top, "delivered", (int64_t)r->delivered);
    bounce__jobj_int(&top, "delivered_remote", (int64_t)r->delivered_remote);
    if (r->first != INT64_MIN) {
        bounce__format_time(r->first, tbuf);
        bounce__jobj_cstr(&top, "time_first", tbuf);
        bounce__format_time(r->last, tbuf);
        bounce__jobj_cstr(&top, "time_last", tbuf);
    }
    rc |= json_counts(&top, "status", r->by_status, N_STATUS, BOUNCE_ENUM_EVENT, sub, &lossy);
    rc |= json_counts(&top, "sources", r->by_source, N_SOURCE, BOUNCE_ENUM_SOURCE, sub, &lossy);
    rc |= json_counts(&top, "reasons", r->by_reason, N_REASON, BOUNCE_ENUM_REASON, sub, &lossy);

    /* findings, strongest first */
    rc |= bounce__buf_putc(&arr, '[');
    for (i = 0; i < r->nfind && rc == 0; i++) {
        bounce__jobj_init(&j, sub);
        bounce__jobj_cstr(&j, "id", r->find[i].id);
        bounce__jobj_num(&j, "confidence", r->find[i].confidence);
        bounce__jobj_int(&j, "evidence", (int64_t)r->find[i].evidence);
        bounce__jobj_cstr(&j, "text", r->find[i].text);
        rc |= jarr_add(&arr, &j, &lossy);
    }
    rc |= bounce__buf_putc(&arr, ']');
    if (rc == 0)
        bounce__jobj_raw(&top, "findings", arr.p, arr.len);
    arr.len = 0;

    /* causes (all: bounded by the KB) */
    if (rc == 0 && !(v = tab_list(&r->causes, by_n)))
        rc = -1;
    rc |= bounce__buf_putc(&arr, '[');
    for (i = 0; i < r->causes.n && rc == 0; i++) {
        const struct tent *e = v[i];
        bounce__jobj_init(&j, sub);
        bounce__jobj_cstr(&j, "cause", e->key);
        bounce__jobj_cstr(&j, "reason", bounce_enum_name(BOUNCE_ENUM_REASON, e->reason));
        bounce__jobj_int(&j, "count", (int64_t)e->n);
        bounce__jobj_int(&j, "transient", (int64_t)e->aux);
        bounce__jobj_num(&j, "share", share(e->n, r->failures));
        if (e->kb && e->cause >= 0 && !(flags & BOUNCE_JSON_NO_REMEDIATION)) {
            const char *ex = bounce__kb_cause_explanation(e->kb, e->cause);
            int any;
            if (ex && *ex)
                bounce__jobj_cstr(&j, "explanation", ex);
            res.len = 0;
            any = json_remediation(&res, e);
            if (any < 0)
                rc = -1;
            else if (any)
                bounce__jobj_raw(&j, "remediation", res.p, res.len);
        }
        rc |= jarr_add(&arr, &j, &lossy);
    }
    rc |= bounce__buf_putc(&arr, ']');
    if (rc == 0)
        bounce__jobj_raw(&top, "causes", arr.p, arr.len);
    arr.len = 0;
    bounce__free(v);
    v = NULL;
    (void)mta;

    /* domains by failures */
    if (rc == 0 && !(v = tab_top(&r->domains, by_fail, REPORT_TOP_JSON)))
        rc = -1;
    rc |= bounce__buf_putc(&arr, '[');
    for (i = 0; i < r->domains.n && i < REPORT_TOP_JSON && rc == 0; i++) {
        bounce__jobj_init(&j, sub);
        bounce__jobj_str(&j, "domain", v[i]->key, v[i]->klen);
        bounce__jobj_int(&j, "records", (int64_t)v[i]->n);
        bounce__jobj_int(&j, "failures", (int64_t)v[i]->fail);
        bounce__jobj_int(&j, "queued", (int64_t)v[i]->aux);
        rc |= jarr_add(&arr, &j, &lossy);
    }
    rc |= bounce__buf_putc(&arr, ']');
    if (rc == 0)
        bounce__jobj_raw(&top, "domains", arr.p, arr.len);
    arr.len = 0;
    bounce__free(v);
    v = NULL;
    bounce__jobj_int(&top, "domains_distinct", (int64_t)r->domains.n);
    bounce__jobj_int(&top, "domains_other_records", (int64_t)r->domains.other_n);

    /* relays by failures */
    if (rc == 0 && !(v = tab_top(&r->relays, by_n, REPORT_TOP_JSON)))
        rc = -1;
    rc |= bounce__buf_putc(&arr, '[');
    for (i = 0; i < r->relays.n && i < REPORT_TOP_JSON && rc == 0; i++) {
        bounce__jobj_init(&j, sub);
        bounce__jobj_str(&j, "relay", v[i]->key, v[i]->klen);
        bounce__jobj_int(&j, "failures", (int64_t)v[i]->n);
        rc |= jarr_add(&arr, &j, &lossy);
    }
    rc |= bounce__buf_putc(&arr, ']');
    if (rc == 0)
        bounce__jobj_raw(&top, "relays", arr.p, arr.len);
    arr.len = 0;
    bounce__free(v);
    v = NULL;

    /* senders by volume */
    if (rc == 0 && !(v = tab_top(&r->senders, by_n, REPORT_TOP_JSON)))
        rc = -1;
    rc |= bounce__buf_putc(&arr, '[');
    for (i = 0; i < r->senders.n && i < REPORT_TOP_JSON && rc == 0; i++) {
        bounce__jobj_init(&j, sub);
        bounce__jobj_str(&j, "sender", v[i]->key, v[i]->klen);
        bounce__jobj_int(&j, "records", (int64_t)v[i]->n);
        bounce__jobj_int(&j, "failures", (int64_t)v[i]->fail);
        rc |= jarr_add(&arr, &j, &lossy);
    }
    rc |= bounce__buf_putc(&arr, ']');
    if (rc == 0)
        bounce__jobj_raw(&top, "senders", arr.p, arr.len);
    arr.len = 0;
    bounce__free(v);
    v = NULL;
    bounce__jobj_int(&top, "senders_distinct", (int64_t)r->senders.n);

    /* queue ages (qshape) */
    if (r->queue_records && rc == 0) {
        bounce__jobj q;
        k = r->domains.n < REPORT_TOP_JSON ? r->domains.n : REPORT_TOP_JSON;
        v = tab_top(&r->domains, by_aux, k);
        hist = bounce__calloc(k ? k : 1, sizeof *hist);
        if (!v || !hist)
            rc = -1;
        if (rc == 0) {
            memset(total, 0, sizeof total);
            age_hist(r, v, k, hist, total);
            bounce__jobj_init(&q, sub);
            bounce__format_time(report_now(r), tbuf);
            bounce__jobj_cstr(&q, "now", tbuf);
            bounce__jobj_int(&q, "records", (int64_t)r->queue_records);
            rc |= bounce__buf_putc(&tmp, '[');
            for (b = 0; b < AGE_BUCKETS; b++)
                rc |= bounce__buf_printf(&tmp, "%s\"%s\"", b ? "," : "", age_names[b]);
            rc |= bounce__buf_putc(&tmp, ']');
            bounce__jobj_raw(&q, "buckets", tmp.p, tmp.len);
            tmp.len = 0;
            rc |= bounce__buf_putc(&tmp, '[');
            for (b = 0; b < AGE_BUCKETS; b++)
                rc |= bounce__buf_printf(&tmp, "%s%llu", b ? "," : "", (unsigned long long)total[b]);
            rc |= bounce__buf_putc(&tmp, ']');
            bounce__jobj_raw(&q, "total", tmp.p, tmp.len);
            rc |= bounce__buf_putc(&arr, '[');
            for (i = 0; i < k && rc == 0 && v[i]->aux; i++) {
                tmp.len = 0;
                rc |= bounce__buf_putc(&tmp, '[');
                for (b = 0; b < AGE_BUCKETS; b++)
                    rc |= bounce__buf_printf(&tmp, "%s%llu", b ? "," : "",
                                             (unsigned long long)hist[i][b]);
                rc |= bounce__buf_putc(&tmp, ']');
                bounce__jobj_init(&j, sub);
                bounce__jobj_str(&j, "domain", v[i]->key, v[i]->klen);
                bounce__jobj_int(&j, "records", (int64_t)v[i]->aux);
                bounce__jobj_raw(&j, "ages", tmp.p, tmp.len);
                rc |= jarr_add(&arr, &j, &lossy);
            }
            rc |= bounce__buf_putc(&arr, ']');
            bounce__jobj_raw(&q, "domains", arr.p, arr.len);
            arr.len = 0;
            tmp.len = 0;
            if (bounce__jobj_finish(&q, &tmp) == 0 && rc == 0)
                bounce__jobj_raw(&top, "queue", tmp.p, tmp.len);
            else
                rc = -1;
        }
        bounce__free(v);
        bounce__free(hist);
        v = NULL;
    }
    bounce__jobj_bool(&top, "lossy", lossy);
    bounce__buf_free(&arr);
    bounce__buf_free(&tmp);
    bounce__buf_free(&res);
    arr.len = 0;
    if (rc == 0 && bounce__jobj_finish(&top, &arr) == 0 && bounce__buf_terminate(&arr) == 0) {
        *out = bounce__buf_take(&arr);
        return *out ? BOUNCE_OK : BOUNCE_E_NOMEM;
    }
    if (rc)
        bounce__jobj_finish(&top, &tmp); /* releases top */
    bounce__buf_free(&tmp);
    bounce__buf_free(&arr);
    return BOUNCE_E_NOMEM;
}

/* ------------------------------------------------------------------ */
/* text                                                                */

#define TEXT_WIDTH 78

/* Append text word-wrapped at TEXT_WIDTH, every line indented by indent spaces
 * (the first line too, unless first_done). */
static int wrap(bounce__buf *b, const char *s, size_t indent, int first_done)
{
    size_t col = 0, n = strlen(s);
    int rc = 0;
    if (!first_done) {
        rc |= bounce__buf_printf(b, "%*s", (int)indent, "");
    }
    col = indent;
    while (n > 0 && rc == 0) {
        size_t w = 0;
        while (n > 0 && *s == ' ') {
            s++;
            n--;
        }
        while (w < n && s[w] != ' ')
            w++;
        if (w == 0)
            break;
        if (col > indent && col + 1 + w > TEXT_WIDTH) {
            rc |= bounce__buf_printf(b, "\n%*s", (int)indent, "");
            col = indent;
        } else if (col > indent) {
            rc |= bounce__buf_putc(b, ' ');
            col++;
        }
        rc |= bounce__buf_append(b, s, w);
        col += w;
        s += w;
        n -= w;
    }
    rc |= bounce__buf_putc(b, '\n');
    return rc ? -1 : 0;
}

static int heading(bounce__buf *b, const char *title)
{
    size_t i, n = strlen(title);
    int rc = bounce__buf_printf(b, "\n%s\n", title);
    for (i = 0; i < n && rc == 0; i++)
        rc = bounce__buf_putc(b, '-');
    return rc || bounce__buf_putc(b, '\n') ? -1 : 0;
}

static const char *mta_label(int mta)
{
    switch (mta) {
    case BOUNCE_MTA_POSTFIX: return "Postfix";
    case BOUNCE_MTA_EXIM: return "Exim";
    case BOUNCE_MTA_PLESK: return "Plesk";
    case BOUNCE_MTA_CPANEL: return "cPanel";
    default: return "any MTA";
    }
}

bounce_status_t bounce_report_to_text(const bounce_report_t *rc_, int mta, char **out)
{
    bounce_report_t *r = mut(rc_);
    bounce__buf b = {0};
    struct tent **v = NULL;
    uint64_t(*hist)[AGE_BUCKETS] = NULL;
    uint64_t total[AGE_BUCKETS];
    char t1[40], t2[40];
    size_t i, k, n, s;
    int rc = 0, first;

    if (!r || !out || mta < BOUNCE_MTA_ANY || mta > BOUNCE_MTA_CPANEL)
        return BOUNCE_E_INVAL;
    if (findings_update(r) < 0)
        return BOUNCE_E_NOMEM;
    mta = pick_mta(r, mta);

    rc |= bounce__buf_printf(&b, "%llu records, %llu failures",
                             (unsigned long long)r->records, (unsigned long long)r->failures);
    first = 1;
    for (i = 0; i < N_SOURCE; i++)
        if (r->by_source[i] && bounce_enum_name(BOUNCE_ENUM_SOURCE, (int)i)) {
            rc |= bounce__buf_printf(&b, "%s%s %llu", first ? " (from " : ", ",
                                     bounce_enum_name(BOUNCE_ENUM_SOURCE, (int)i),
                                     (unsigned long long)r->by_source[i]);
            first = 0;
        }
    rc |= bounce__buf_puts(&b, first ? "\n" : ")\n");
    if (r->first != INT64_MIN) {
        bounce__format_time(r->first, t1);
        bounce__format_time(r->last, t2);
        rc |= bounce__buf_printf(&b, "Time span: %s .. %s\n", t1, t2);
    }

    /* the diagnosis comes first */
    rc |= heading(&b, "Diagnosis");
    if (r->nfind == 0)
        rc |= bounce__buf_puts(&b, "No incident pattern found: see the causes below.\n");
    for (i = 0; i < r->nfind && rc == 0; i++) {
        rc |= bounce__buf_printf(&b, "%zu. %s (confidence %.2f, %llu records)\n", i + 1,
                                 r->find[i].id, r->find[i].confidence,
                                 (unsigned long long)r->find[i].evidence);
        rc |= wrap(&b, r->find[i].text, 3, 0);
    }

    rc |= heading(&b, "Totals");
    for (i = 0; i < N_STATUS && rc == 0; i++)
        if (r->by_status[i] && bounce_enum_name(BOUNCE_ENUM_EVENT, (int)i))
            rc |= bounce__buf_printf(&b, "  %-10s %10llu\n", bounce_enum_name(BOUNCE_ENUM_EVENT, (int)i),
                                     (unsigned long long)r->by_status[i]);
    rc |= bounce__buf_printf(&b, "  distinct senders: %zu%s, destination domains: %zu%s\n",
                             r->senders.n, r->senders.other_n ? "+" : "", r->domains.n,
                             r->domains.other_n ? "+" : "");

    if (r->failures && rc == 0) {
        rc |= heading(&b, "Failures by reason");
        for (i = 0; i < N_REASON && rc == 0; i++)
            if (r->by_reason[i])
                rc |= bounce__buf_printf(&b, "  %8llu %5.1f%%  %s\n",
                                         (unsigned long long)r->by_reason[i],
                                         100.0 * share(r->by_reason[i], r->failures),
                                         bounce_enum_name(BOUNCE_ENUM_REASON, (int)i));
        rc |= bounce__buf_printf(&b, "\n");
        rc |= bounce__buf_printf(&b, "Failures by cause (remediation for %s)\n", mta_label(mta));
        rc |= bounce__buf_puts(&b, "--------------------------------------------\n");
        if (rc == 0 && !(v = tab_list(&r->causes, by_n)))
            rc = -1;
        for (i = 0; i < r->causes.n && rc == 0; i++) {
            const struct tent *e = v[i];
            rc |= bounce__buf_printf(&b, "  %8llu %5.1f%%  %s (%s)\n", (unsigned long long)e->n,
                                     100.0 * share(e->n, r->failures), e->key,
                                     bounce_enum_name(BOUNCE_ENUM_REASON, e->reason));
            if (e->kb && e->cause >= 0) {
                const char *ex = bounce__kb_cause_explanation(e->kb, e->cause);
                if (ex && *ex)
                    rc |= wrap(&b, ex, 18, 0);
                n = bounce__kb_remedy_count(e->kb, e->cause, mta);
                for (s = 0; s < n && rc == 0; s++) {
                    const char *step = bounce__kb_remedy(e->kb, e->cause, mta, s);
                    if (!step)
                        continue;
                    rc |= bounce__buf_printf(&b, "%16s- ", "");
                    rc |= wrap(&b, step, 18, 1);
                }
            }
        }
        bounce__free(v);
        v = NULL;

        rc |= heading(&b, "Top failing destination domains");
        if (rc == 0 && !(v = tab_top(&r->domains, by_fail, REPORT_TOP_TEXT)))
            rc = -1;
        rc |= bounce__buf_printf(&b, "  %8s %8s  %s\n", "failures", "records", "domain");
        for (i = 0; i < r->domains.n && i < REPORT_TOP_TEXT && rc == 0 && v[i]->fail; i++)
            rc |= bounce__buf_printf(&b, "  %8llu %8llu  %s\n", (unsigned long long)v[i]->fail,
                                     (unsigned long long)v[i]->n, dom_name(v[i]));
        bounce__free(v);
        v = NULL;

        if (r->relays.n) {
            rc |= heading(&b, "Top relays / remote MTAs for failures");
            if (rc == 0 && !(v = tab_top(&r->relays, by_n, REPORT_TOP_TEXT)))
                rc = -1;
            for (i = 0; i < r->relays.n && i < REPORT_TOP_TEXT && rc == 0; i++)
                rc |= bounce__buf_printf(&b, "  %8llu  %s\n", (unsigned long long)v[i]->n,
                                         v[i]->key);
            bounce__free(v);
            v = NULL;
        }
    }

    if (r->senders.n && rc == 0) {
        rc |= heading(&b, "Top senders");
        if (!(v = tab_top(&r->senders, by_n, REPORT_TOP_TEXT)))
            rc = -1;
        else
            rc |= bounce__buf_printf(&b, "  %8s %8s  %s\n", "records", "failures", "sender");
        for (i = 0; i < r->senders.n && i < REPORT_TOP_TEXT && rc == 0; i++)
            rc |= bounce__buf_printf(&b, "  %8llu %8llu  %s\n", (unsigned long long)v[i]->n,
                                     (unsigned long long)v[i]->fail,
                                     v[i]->klen ? v[i]->key : "<> (bounces)");
        bounce__free(v);
        v = NULL;
    }

    if (r->queue_records && rc == 0) {
        bounce__format_time(report_now(r), t1);
        rc |= heading(&b, "Queue age by destination domain (minutes, like qshape)");
        rc |= bounce__buf_printf(&b, "  ages relative to the newest message, %s\n", t1);
        k = r->domains.n < REPORT_TOP_TEXT ? r->domains.n : REPORT_TOP_TEXT;
        v = tab_top(&r->domains, by_aux, k);
        hist = bounce__calloc(k ? k : 1, sizeof *hist);
        if (!v || !hist)
            rc = -1;
        if (rc == 0) {
            static const char *const cols[AGE_BUCKETS] = {"5", "10", "20", "40", "80",
                                                          "160", "320", "640", "640+"};
            memset(total, 0, sizeof total);
            age_hist(r, v, k, hist, total);
            rc |= bounce__buf_printf(&b, "  %-28s %7s", "domain", "T");
            for (s = 0; s < AGE_BUCKETS; s++)
                rc |= bounce__buf_printf(&b, " %5s", cols[s]);
            rc |= bounce__buf_printf(&b, "\n  %-28s %7llu", "TOTAL",
                                     (unsigned long long)r->queue_records);
            for (s = 0; s < AGE_BUCKETS; s++)
                rc |= bounce__buf_printf(&b, " %5llu", (unsigned long long)total[s]);
            rc |= bounce__buf_putc(&b, '\n');
            for (i = 0; i < k && rc == 0 && v[i]->aux; i++) {
                rc |= bounce__buf_printf(&b, "  %-28.28s %7llu", dom_name(v[i]),
                                         (unsigned long long)v[i]->aux);
                for (s = 0; s < AGE_BUCKETS; s++)
                    rc |= bounce__buf_printf(&b, " %5llu", (unsigned long long)hist[i][s]);
                rc |= bounce__buf_putc(&b, '\n');
            }
        }
        bounce__free(v);
        bounce__free(hist);
        v = NULL;
    }

    if (rc == 0 && bounce__buf_terminate(&b) == 0) {
        *out = bounce__buf_take(&b);
        return *out ? BOUNCE_OK : BOUNCE_E_NOMEM;
    }
    bounce__buf_free(&b);
    return BOUNCE_E_NOMEM;
}

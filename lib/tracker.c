/* In-flight message table shared by the Postfix and Exim modules.
 *
 * A chained hash table keyed by queue id (or Exim message id), plus a doubly linked list in
 * creation order, so the oldest entry can be evicted in O(1) when the in-flight cap
 * (BOUNCE_OPT_MAX_IN_FLIGHT) is reached. Memory is bounded by the cap, never by the input
 * size: every string kept per message is cut at BOUNCE__TF_MAXLEN bytes. Removed entries
 * are recycled with their buffers, so steady-state traffic allocates nothing.
 */
#include <string.h>

#include "tracker.h"

#define INITIAL_BUCKETS 1024u
#define MAX_SPARE 4096u

/* Eight bytes per step (ids are short: the bucket order is all the hash decides). */
static uint32_t hash_id(const char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
    while (n >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    w = 0;
    while (n > 0)
        w = (w << 8) | (unsigned char)p[--n];
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return (uint32_t)h;
}

void bounce__tracker_init(bounce__tracker *t)
{
    memset(t, 0, sizeof *t);
}

static void free_entry(bounce__tmsg *m)
{
    for (int i = 0; i < BOUNCE__TF_COUNT; i++)
        bounce__free(m->f[i]);
    bounce__free(m);
}

void bounce__tracker_release(bounce__tracker *t)
{
    bounce__tmsg *m = t->oldest;
    while (m) {
        bounce__tmsg *n = m->newer;
        free_entry(m);
        m = n;
    }
    m = t->spare;
    while (m) {
        bounce__tmsg *n = m->hnext;
        free_entry(m);
        m = n;
    }
    bounce__free(t->buckets);
    memset(t, 0, sizeof *t);
}

static bounce__tmsg *find_h(bounce__tracker *t, const char *id, size_t len, uint32_t h)
{
    for (bounce__tmsg *m = t->buckets[h & (t->nbuckets - 1)]; m; m = m->hnext)
        if (m->hash == h && m->idlen == len && memcmp(m->id, id, len) == 0)
            return m;
    return NULL;
}

bounce__tmsg *bounce__tracker_find(bounce__tracker *t, const char *id, size_t len)
{
    if (!t->buckets || len >= BOUNCE__TRK_ID_MAX)
        return NULL;
    uint32_t h = hash_id(id, len);
    for (bounce__tmsg *m = t->buckets[h & (t->nbuckets - 1)]; m; m = m->hnext)
        if (m->hash == h && m->idlen == len && memcmp(m->id, id, len) == 0)
            return m;
    return NULL;
}

void bounce__tmsg_reset(bounce__tmsg *m)
{
    for (int i = 0; i < BOUNCE__TF_COUNT; i++)
        m->flen[i] = 0;
    for (int i = 0; i < BOUNCE__TF_COUNT; i++)
        if (m->f[i])
            m->f[i][0] = '\0';
    m->size = -1;
    m->nrcpt = -1;
    m->flags = 0;
    m->time = INT64_MIN;
}

static void unlink_entry(bounce__tracker *t, bounce__tmsg *m)
{
    bounce__tmsg **pp = &t->buckets[m->hash & (t->nbuckets - 1)];
    while (*pp && *pp != m)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = m->hnext;
    if (m->older)
        m->older->newer = m->newer;
    else
        t->oldest = m->newer;
    if (m->newer)
        m->newer->older = m->older;
    else
        t->newest = m->older;
    t->count--;
    if (t->nspare < MAX_SPARE) {
        m->hnext = t->spare;
        t->spare = m;
        t->nspare++;
    } else {
        free_entry(m);
    }
}

void bounce__tracker_remove(bounce__tracker *t, bounce_stream_t *s, bounce__tmsg *m)
{
    unlink_entry(t, m);
    if (s)
        bounce__stream_set_stat(s, BOUNCE_STAT_IN_FLIGHT, t->count);
}

static void grow(bounce__tracker *t)
{
    size_t n = t->nbuckets * 2;
    bounce__tmsg **nb = bounce__calloc(n, sizeof *nb);
    if (!nb)
        return; /* keep the smaller table: slower, still correct */
    for (bounce__tmsg *m = t->oldest; m; m = m->newer) {
        size_t b = m->hash & (n - 1);
        m->hnext = nb[b];
        nb[b] = m;
    }
    bounce__free(t->buckets);
    t->buckets = nb;
    t->nbuckets = n;
}

bounce__tmsg *bounce__tracker_get(bounce__tracker *t, bounce_stream_t *s, const char *id,
                                  size_t len, int *created)
{
    *created = 0;
    if (len == 0 || len >= BOUNCE__TRK_ID_MAX)
        return NULL;
    if (!t->buckets) {
        t->buckets = bounce__calloc(INITIAL_BUCKETS, sizeof *t->buckets);
        if (!t->buckets)
            return NULL;
        t->nbuckets = INITIAL_BUCKETS;
    }
    uint32_t h = hash_id(id, len); /* once: for the lookup and the new entry */
    bounce__tmsg *m = find_h(t, id, len, h);
    if (m)
        return m;
    int64_t cap = s ? bounce__stream_max_in_flight(s) : 100000;
    if (cap < 1)
        cap = 1;
    while (t->count >= (size_t)cap && t->oldest) {
        unlink_entry(t, t->oldest);
        if (s)
            bounce__stream_count(s, BOUNCE_STAT_EVICTED, 1);
    }
    if (t->spare) {
        m = t->spare;
        t->spare = m->hnext;
        t->nspare--;
    } else {
        m = bounce__calloc(1, sizeof *m);
        if (!m)
            return NULL;
    }
    bounce__tmsg_reset(m);
    memcpy(m->id, id, len);
    m->id[len] = '\0';
    m->idlen = (uint32_t)len;
    m->hash = h;
    if (t->count >= t->nbuckets)
        grow(t);
    size_t b = m->hash & (t->nbuckets - 1);
    m->hnext = t->buckets[b];
    t->buckets[b] = m;
    m->newer = NULL;
    m->older = t->newest;
    if (t->newest)
        t->newest->newer = m;
    else
        t->oldest = m;
    t->newest = m;
    t->count++;
    *created = 1;
    if (s) {
        bounce__stream_count(s, BOUNCE_STAT_MESSAGES, 1);
        bounce__stream_set_stat(s, BOUNCE_STAT_IN_FLIGHT, t->count);
    }
    return m;
}

int bounce__tmsg_set(bounce__tmsg *m, int field, const char *v, size_t len)
{
    if (len > BOUNCE__TF_MAXLEN)
        len = BOUNCE__TF_MAXLEN;
    if (m->fcap[field] < len + 1) {
        uint32_t cap = 32;
        while (cap < len + 1)
            cap *= 2;
        char *p = bounce__realloc(m->f[field], cap);
        if (!p)
            return -1;
        m->f[field] = p;
        m->fcap[field] = cap;
    }
    memcpy(m->f[field], v, len);
    m->f[field][len] = '\0';
    m->flen[field] = (uint32_t)len;
    /* an empty value ("from=<>") is present: mark it with a flag bit in flags' high bits */
    m->flags |= 0x100u << field;
    return 0;
}

void bounce__tracker_clear(bounce__tracker *t, bounce_stream_t *s)
{
    while (t->oldest)
        unlink_entry(t, t->oldest);
    if (s)
        bounce__stream_set_stat(s, BOUNCE_STAT_IN_FLIGHT, 0);
}

int bounce__tmsg_to_record(const bounce__tmsg *m, bounce_record_t *r)
{
    /* the parent of a bounce notification is the message it reports on */
    static const int map[BOUNCE__TF_COUNT] = {BOUNCE_FIELD_SENDER, BOUNCE_FIELD_MESSAGE_ID, -1,
                                              BOUNCE_FIELD_NOTIFICATION_FOR, -1};
    if (bounce__record_set(r, BOUNCE_FIELD_QUEUE_ID, m->id, m->idlen) < 0)
        return -1;
    for (int i = 0; i < BOUNCE__TF_COUNT; i++)
        if (map[i] >= 0 && (m->flags & (0x100u << i)) &&
            bounce__record_set(r, map[i], m->f[i], m->flen[i]) < 0)
            return -1;
    return 0;
}

/* pending list: entries [u16 rn][rcpt][u16 dn][diag], in f[BOUNCE__TF_PENDING] / flen */
static size_t get16(const char *p)
{
    return (size_t)(unsigned char)p[0] | ((size_t)(unsigned char)p[1] << 8);
}

static void put16(char *p, size_t v)
{
    p[0] = (char)(v & 255);
    p[1] = (char)(v >> 8);
}

int bounce__tmsg_pending_next(const bounce__tmsg *m, size_t *pos, const char **rcpt, size_t *rn,
                              const char **diag, size_t *dn)
{
    const char *b = m->f[BOUNCE__TF_PENDING];
    size_t len = b ? m->flen[BOUNCE__TF_PENDING] : 0, i = *pos;
    if (i + 2 > len)
        return 0;
    *rn = get16(b + i);
    *rcpt = b + i + 2;
    i += 2 + *rn;
    *dn = get16(b + i);
    *diag = b + i + 2;
    *pos = i + 2 + *dn;
    return 1;
}

void bounce__tmsg_pending_drop(bounce__tmsg *m, const char *rcpt, size_t rn)
{
    size_t pos = 0, at;
    const char *r, *d;
    size_t l, dl;
    if (!m->f[BOUNCE__TF_PENDING])
        return;
    for (at = 0; bounce__tmsg_pending_next(m, &pos, &r, &l, &d, &dl); at = pos) {
        if (l == rn && memcmp(r, rcpt, rn) == 0) {
            char *b = m->f[BOUNCE__TF_PENDING];
            memmove(b + at, b + pos, m->flen[BOUNCE__TF_PENDING] - pos);
            m->flen[BOUNCE__TF_PENDING] -= (uint32_t)(pos - at);
            return;
        }
    }
}

int bounce__tmsg_pending_put(bounce__tmsg *m, const char *rcpt, size_t rn, const char *diag,
                             size_t dn)
{
    if (rn > 998)
        rn = 998;
    if (dn > 1024)
        dn = 1024;
    if (!(m->flags & (0x100u << BOUNCE__TF_PENDING)))
        m->flen[BOUNCE__TF_PENDING] = 0;
    bounce__tmsg_pending_drop(m, rcpt, rn);
    size_t len = m->flen[BOUNCE__TF_PENDING], need = len + 4 + rn + dn;
    if (need > BOUNCE__PENDING_MAX)
        return 0; /* not remembered: bounded per message */
    if (m->fcap[BOUNCE__TF_PENDING] < need) {
        uint32_t cap = m->fcap[BOUNCE__TF_PENDING] ? m->fcap[BOUNCE__TF_PENDING] : 64;
        while (cap < need)
            cap *= 2;
        char *p = bounce__realloc(m->f[BOUNCE__TF_PENDING], cap);
        if (!p)
            return -1;
        m->f[BOUNCE__TF_PENDING] = p;
        m->fcap[BOUNCE__TF_PENDING] = cap;
    }
    char *b = m->f[BOUNCE__TF_PENDING] + len;
    put16(b, rn);
    memcpy(b + 2, rcpt, rn);
    put16(b + 2 + rn, dn);
    memcpy(b + 4 + rn, diag, dn);
    m->flen[BOUNCE__TF_PENDING] = (uint32_t)need;
    m->flags |= 0x100u << BOUNCE__TF_PENDING;
    return 0;
}

/* ---- log module state ---- */

void *bounce__logmod_create(bounce_stream_t *s)
{
    struct bounce__logmod *st = bounce__calloc(1, sizeof *st);
    (void)s;
    if (!st)
        return NULL;
    bounce__tracker_init(&st->trk);
    return st;
}

int bounce__logmod_finish(void *state, bounce_stream_t *s)
{
    struct bounce__logmod *st = state;
    bounce__tracker_clear(&st->trk, s);
    return 0;
}

void bounce__logmod_destroy(void *state)
{
    struct bounce__logmod *st = state;
    if (!st)
        return;
    bounce__tracker_release(&st->trk);
    bounce__syslog_ctx_free(&st->sys);
    bounce__free(st);
}

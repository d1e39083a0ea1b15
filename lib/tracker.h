/* Shared helpers of the log modules (syslog.c, tracker.c, postfix.c, exim.c). Never installed. */
#ifndef BOUNCE_TRACKER_H
#define BOUNCE_TRACKER_H

#include "internal.h"

#include <string.h>

/* Per-stream context of the prefix parser: scratch space for decoded journald JSON and a
 * one-day cache of the RFC 3164 year inference. Zero-initialise; free with
 * bounce__syslog_ctx_free(). */
typedef struct bounce__syslog_ctx {
    bounce__buf scratch;
    int64_t ref;       /* reference time the cache was computed for */
    int mon, day;      /* cached date (0 = none) */
    int64_t day_start; /* UTC epoch of that date's 00:00:00 in the inferred year */
    int64_t day_start_lo; /* same in the year before, for times after `limit` */
    int64_t limit;        /* ref + 1 day */
} bounce__syslog_ctx;
void bounce__syslog_ctx_free(bounce__syslog_ctx *c) BOUNCE__HIDDEN;

/* Like bounce__syslog_parse(), plus `journalctl -o json` lines: their decoded strings
 * (MESSAGE, SYSLOG_IDENTIFIER, _HOSTNAME) are copied into ctx->scratch, and the pointers of
 * *out point there (valid until the next call with the same ctx). With ctx NULL, JSON
 * lines are not recognised (and nothing is cached). */
int bounce__syslog_parse_ex(const char *line, size_t len, int64_t ref_time, bounce__syslog *out,
                            bounce__syslog_ctx *ctx) BOUNCE__HIDDEN;

/* Year inference for timestamps without a year (RFC 3164): the latest year such that the
 * stamp is not more than one day after ref_time. Returns epoch seconds (UTC). */
int64_t bounce__syslog_infer_year(int mon, int day, int hour, int min, int sec, int64_t ref_time)
    BOUNCE__HIDDEN;

/* Parse "YYYY-MM-DD?HH:MM:SS[.frac][Z|+HH:MM|+HHMM| +HHMM]" (sep is 'T' or ' ').
 * Returns the number of bytes used (0 if not a timestamp) and the UTC time in *t. */
size_t bounce__parse_iso_time(const char *p, size_t len, int64_t *t) BOUNCE__HIDDEN;

/* ---- tracker: in-flight messages keyed by queue id (Postfix) or message id (Exim) ---- */
#define BOUNCE__TRK_ID_MAX 40   /* longest id kept (Postfix long ids are <= 20 bytes) */
#define BOUNCE__TF_MAXLEN 998   /* longest per-message string kept (RFC 5322 line limit) */

enum {
    BOUNCE__TF_SENDER = 0,
    BOUNCE__TF_MSGID,
    BOUNCE__TF_CLIENT,
    BOUNCE__TF_PARENT,  /* queue/message id of the message this one is a notification for */
    BOUNCE__TF_PENDING, /* deferred recipients with their last diagnostic (packed) */
    BOUNCE__TF_COUNT
};

typedef struct bounce__tmsg {
    struct bounce__tmsg *hnext;          /* hash chain */
    struct bounce__tmsg *older, *newer;  /* age list */
    uint32_t hash;
    uint32_t idlen;
    char id[BOUNCE__TRK_ID_MAX];
    int64_t time;                        /* first seen */
    int64_t size;                        /* -1 unknown */
    int32_t nrcpt;                       /* -1 unknown */
    uint32_t flags;
    char *f[BOUNCE__TF_COUNT];           /* NUL-terminated values, NULL = absent */
    uint32_t flen[BOUNCE__TF_COUNT];
    uint32_t fcap[BOUNCE__TF_COUNT];
} bounce__tmsg;

#define BOUNCE__TMSG_DELIVERED 0x1u      /* some delivery attempt was logged */
#define BOUNCE__TMSG_QUEUED 0x2u         /* qmgr / <= line seen */
/* bits 0x100 << field: the field was set (an empty value such as from=<> is present) */
#define BOUNCE__TMSG_HAS(m, fld) (((m)->flags & (0x100u << (fld))) != 0)

typedef struct bounce__tracker {
    bounce__tmsg **buckets;
    size_t nbuckets;                     /* power of two */
    size_t count;
    bounce__tmsg *oldest, *newest;
    bounce__tmsg *spare;                 /* recycled entries (they keep their buffers) */
    size_t nspare;
} bounce__tracker;

void bounce__tracker_init(bounce__tracker *t) BOUNCE__HIDDEN;
void bounce__tracker_release(bounce__tracker *t) BOUNCE__HIDDEN;
bounce__tmsg *bounce__tracker_find(bounce__tracker *t, const char *id, size_t len) BOUNCE__HIDDEN;
/* Find or create; NULL on out of memory (or an id longer than BOUNCE__TRK_ID_MAX - 1).
 * Creating beyond bounce__stream_max_in_flight(s) evicts the oldest entry and counts
 * BOUNCE_STAT_EVICTED; creation counts BOUNCE_STAT_MESSAGES; IN_FLIGHT is kept current. */
bounce__tmsg *bounce__tracker_get(bounce__tracker *t, bounce_stream_t *s, const char *id,
                                  size_t len, int *created) BOUNCE__HIDDEN;
void bounce__tracker_remove(bounce__tracker *t, bounce_stream_t *s, bounce__tmsg *m)
    BOUNCE__HIDDEN;
/* Forget the fields of an entry (queue id reuse) but keep it in place. */
void bounce__tmsg_reset(bounce__tmsg *m) BOUNCE__HIDDEN;
/* Set a field (cut at BOUNCE__TF_MAXLEN). 0 ok, -1 out of memory. */
int bounce__tmsg_set(bounce__tmsg *m, int field, const char *v, size_t len) BOUNCE__HIDDEN;
/* Drop every entry (end of input). */
void bounce__tracker_clear(bounce__tracker *t, bounce_stream_t *s) BOUNCE__HIDDEN;

/* Recipients whose last attempt was deferred, each with that attempt's diagnostic, so a
 * later "expired" can name them. At most BOUNCE__PENDING_MAX bytes per message (further
 * recipients are not remembered). put replaces an entry of the same recipient; drop
 * removes it. -1 on out of memory. */
#define BOUNCE__PENDING_MAX 4096
int bounce__tmsg_pending_put(bounce__tmsg *m, const char *rcpt, size_t rn, const char *diag,
                             size_t dn) BOUNCE__HIDDEN;
void bounce__tmsg_pending_drop(bounce__tmsg *m, const char *rcpt, size_t rn) BOUNCE__HIDDEN;
/* Iterate: *pos starts at 0; returns 1 and the next entry, 0 at the end. */
int bounce__tmsg_pending_next(const bounce__tmsg *m, size_t *pos, const char **rcpt, size_t *rn,
                              const char **diag, size_t *dn) BOUNCE__HIDDEN;

/* Copy the joined fields of m (sender, message id, queue id, and for a bounce notification
 * the queue id it reports on) into the record. -1 nomem. */
int bounce__tmsg_to_record(const bounce__tmsg *m, bounce_record_t *r) BOUNCE__HIDDEN;


/* ---- per-stream state of a log module (postfix.c, exim.c) and its stream hooks ---- */
struct bounce__logmod {
    bounce__tracker trk;
    bounce__syslog_ctx sys;
};
void *bounce__logmod_create(bounce_stream_t *s) BOUNCE__HIDDEN;
/* End of input: every delivery attempt was emitted when read; drop what is left. */
int bounce__logmod_finish(void *state, bounce_stream_t *s) BOUNCE__HIDDEN;
void bounce__logmod_destroy(void *state) BOUNCE__HIDDEN;

/* ---- small scanning helpers shared by the log modules (postfix.c, exim.c) ---- */
typedef struct span {
    const char *p;
    size_t n;
} span;

#define LIT(s) (s), (sizeof(s) - 1)

static inline int has_prefix(const char *p, size_t n, const char *lit, size_t ln)
{
    return n >= ln && memcmp(p, lit, ln) == 0;
}

/* First occurrence of nd[0..nn) in h[0..hn), or NULL. */
static inline const char *find(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (nn == 0)
        return h;
    while (hn >= nn) {
        const char *c = memchr(h, nd[0], hn - nn + 1);
        if (!c)
            return NULL;
        if (memcmp(c, nd, nn) == 0)
            return c;
        hn -= (size_t)(c - h) + 1;
        h = c + 1;
    }
    return NULL;
}

#endif /* BOUNCE_TRACKER_H */

/* Streaming parsers: line splitting, format detection and the record queue shared by the
 * log modules (postfix.c, exim.c) and the queue modules (queue.c). */
#include "internal.h"

#include <string.h>
#include <time.h>

#define STAT_MAX 16
#define PROBE_MAX_LINES 64         /* decide the format after this many non-empty lines */
#define PROBE_MAX_BYTES (1u << 20) /* or after this many buffered bytes */

/* Per-stream classification cache: a log repeats the same diagnostics over and over
 * ("Connection timed out", "Greylisted", "Mailbox full"), and bounce__record_classify()
 * is a pure function of (KB, status, stage, reply code, enhanced code, diagnostic). Its
 * result is kept in a direct-mapped table of CC_SLOTS entries keyed by those inputs (the
 * whole key is compared, never only its hash), so memory is bounded and results are
 * byte-identical to classifying every record. The KB is immutable for the stream's life.
 * Delivered records: the classifier overrides everything that depends on the text except
 * the reply code and enhanced code it extracts, so their key is those two extracted
 * codes, not the text (which holds a unique "queued as ID"). */
#define CC_SLOTS 4096u             /* power of two */
#define CC_TEXT_MAX 1024u          /* longer diagnostics are classified every time */
#define CC_HEAD (4 + 4 + BOUNCE__ESC_MAX) /* status, stage, mode, pad; code; enhanced */
#define CC_KEY_MAX (CC_HEAD + 4 + BOUNCE__ESC_MAX + CC_TEXT_MAX)

struct cc_slot {
    uint64_t hash;                 /* 0 = empty */
    uint32_t klen, kcap;
    char *key;
    struct bounce_result res;
};

static const bounce__stream_ops *const all_ops[] = {
    &bounce__postfix_ops, &bounce__exim_ops, &bounce__postqueue_ops,
    &bounce__postqueue_json_ops, &bounce__eximq_ops,
};

struct bounce_stream {
    const bounce_kb_t *kb;
    uint32_t kind;
    const bounce__stream_ops *ops; /* NULL while detecting */
    void *state;
    int finished;
    char *file;
    int64_t lineno;
    int64_t ref_time;
    int64_t max_in_flight;
    size_t max_line;
    uint64_t stat[STAT_MAX];

    bounce__buf carry;      /* partial line from the previous feed */
    int dropping;           /* inside an over-long line: skip to its end */

    /* detection: buffered lines (len-prefixed) and per-module scores */
    bounce__buf probe_buf;
    int probe_lines;
    int probe_score[BOUNCE__ARRAY_LEN(all_ops)];

    /* classification cache (allocated on first use; NULL if that failed) */
    struct cc_slot *cc;
    int cc_failed;
    size_t file_len;

    /* pending records */
    bounce_record_t **recs;
    size_t nrecs, cap_recs; /* allocated record structs */
    size_t npending, nread;
};

bounce_status_t bounce_stream_new(const bounce_kb_t *kb, uint32_t kind, int format,
                                  bounce_stream_t **out)
{
    bounce_stream_t *s;
    size_t i;

    if (!out || (kind != BOUNCE_STREAM_LOG && kind != BOUNCE_STREAM_QUEUE))
        return BOUNCE_E_INVAL;
    if (!kb)
        kb = bounce_kb_builtin();
    s = bounce__calloc(1, sizeof *s);
    if (!s)
        return BOUNCE_E_NOMEM;
    s->kb = kb;
    s->kind = kind;
    s->ref_time = (int64_t)time(NULL);
    s->max_in_flight = 100000;
    /* a postqueue -j message is one JSON line holding all its recipients */
    s->max_line = kind == BOUNCE_STREAM_QUEUE ? (size_t)16 << 20 : 65536;
    if (format != BOUNCE_FORMAT_AUTO) {
        for (i = 0; i < BOUNCE__ARRAY_LEN(all_ops); i++)
            if (all_ops[i]->format == format && all_ops[i]->kind == kind)
                s->ops = all_ops[i];
        if (!s->ops) {
            bounce__free(s);
            return BOUNCE_E_INVAL;
        }
        s->state = s->ops->create(s);
        if (!s->state) {
            bounce__free(s);
            return BOUNCE_E_NOMEM;
        }
    }
    *out = s;
    return BOUNCE_OK;
}

void bounce_stream_free(bounce_stream_t *s)
{
    size_t i;
    if (!s)
        return;
    if (s->ops && s->state)
        s->ops->destroy(s->state);
    for (i = 0; i < s->nrecs; i++) {
        bounce__record_release(s->recs[i]);
        bounce__free(s->recs[i]);
    }
    bounce__free(s->recs);
    if (s->cc) {
        for (i = 0; i < CC_SLOTS; i++)
            bounce__free(s->cc[i].key);
        bounce__free(s->cc);
    }
    bounce__buf_free(&s->carry);
    bounce__buf_free(&s->probe_buf);
    bounce__free(s->file);
    bounce__free(s);
}

bounce_status_t bounce_stream_set_file(bounce_stream_t *s, const char *name)
{
    char *copy = NULL;
    if (!s)
        return BOUNCE_E_INVAL;
    if (name && !(copy = bounce__strdup(name)))
        return BOUNCE_E_NOMEM;
    bounce__free(s->file);
    s->file = copy;
    s->file_len = copy ? strlen(copy) : 0;
    s->lineno = 0;
    if (s->ops && s->ops->new_file)
        s->ops->new_file(s->state, s);
    return BOUNCE_OK;
}

bounce_status_t bounce_stream_set_reference_time(bounce_stream_t *s, int64_t now)
{
    if (!s)
        return BOUNCE_E_INVAL;
    s->ref_time = now;
    return BOUNCE_OK;
}

bounce_status_t bounce_stream_set_option(bounce_stream_t *s, int opt, int64_t value)
{
    if (!s)
        return BOUNCE_E_INVAL;
    switch (opt) {
    case BOUNCE_OPT_MAX_IN_FLIGHT:
        if (value < 1 || value > 100000000)
            return BOUNCE_E_RANGE;
        s->max_in_flight = value;
        return BOUNCE_OK;
    case BOUNCE_OPT_MAX_LINE:
        if (value < 256 || value > (int64_t)1 << 30)
            return BOUNCE_E_RANGE;
        s->max_line = (size_t)value;
        return BOUNCE_OK;
    default:
        return BOUNCE_E_INVAL;
    }
}

int bounce_stream_format(const bounce_stream_t *s)
{
    return s && s->ops ? s->ops->format : BOUNCE_FORMAT_AUTO;
}

uint64_t bounce_stream_stat(const bounce_stream_t *s, int which)
{
    if (!s || which < 0 || which >= STAT_MAX)
        return 0;
    return s->stat[which];
}

/* ---- for the format modules ---- */

const char *bounce__stream_file(const bounce_stream_t *s) { return s->file; }
int64_t bounce__stream_lineno(const bounce_stream_t *s) { return s->lineno; }
int64_t bounce__stream_reference_time(const bounce_stream_t *s) { return s->ref_time; }
int64_t bounce__stream_max_in_flight(const bounce_stream_t *s) { return s->max_in_flight; }
const bounce_kb_t *bounce__stream_kb(const bounce_stream_t *s) { return s->kb; }

void bounce__stream_count(bounce_stream_t *s, int which, int64_t delta)
{
    if (which >= 0 && which < STAT_MAX)
        s->stat[which] += (uint64_t)delta;
}

void bounce__stream_set_stat(bounce_stream_t *s, int which, uint64_t value)
{
    if (which >= 0 && which < STAT_MAX)
        s->stat[which] = value;
}

bounce_record_t *bounce__stream_record(bounce_stream_t *s)
{
    bounce_record_t *r;
    if (s->nread == s->npending)
        s->nread = s->npending = 0; /* everything handed out: reuse the slots */
    if (s->npending == s->nrecs) {
        if (s->nrecs == s->cap_recs) {
            size_t cap = s->cap_recs ? s->cap_recs * 2 : 16;
            bounce_record_t **p = bounce__realloc(s->recs, cap * sizeof *p);
            if (!p)
                return NULL;
            s->recs = p;
            s->cap_recs = cap;
        }
        r = bounce__malloc(sizeof *r);
        if (!r)
            return NULL;
        bounce__record_init(r);
        s->recs[s->nrecs++] = r;
    }
    r = s->recs[s->npending];
    bounce__record_reset(r);
    return r;
}

static uint64_t cc_hash(const char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)n, w;
    while (n >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h ? h : 1;
}

static void classify_cached(bounce_stream_t *s, bounce_record_t *r)
{
    char key[CC_KEY_MAX];
    size_t dlen = 0, elen = 0, klen;
    const char *d = bounce__record_field(r, BOUNCE_FIELD_DIAGNOSTIC, &dlen);
    const char *e = bounce__record_field(r, BOUNCE_FIELD_ENHANCED, &elen);
    struct cc_slot *slot;
    uint64_t h;

    if (!d)
        dlen = 0;
    if (dlen > CC_TEXT_MAX || s->cc_failed) {
        bounce__record_classify(r, s->kb);
        return;
    }
    if (!s->cc && !(s->cc = bounce__calloc(CC_SLOTS, sizeof *s->cc))) {
        s->cc_failed = 1;
        bounce__record_classify(r, s->kb);
        return;
    }
    /* the key: the classifier's inputs (the enhanced code as it reads it: only if short) */
    memset(key, 0, CC_HEAD);
    key[0] = (char)r->status;
    key[1] = (char)r->stage;
    memcpy(key + 4, &r->reply_code, sizeof r->reply_code);
    if (e && elen < BOUNCE__ESC_MAX)
        memcpy(key + 8, e, elen);
    klen = CC_HEAD;
    if (r->status == BOUNCE_EVENT_DELIVERED) {
        int tcode = 0;
        char tesc[BOUNCE__ESC_MAX];
        memset(tesc, 0, sizeof tesc);
        bounce__reply_extract(d, dlen, &tcode, tesc);
        tesc[BOUNCE__ESC_MAX - 1] = '\0';
        elen = strlen(tesc); /* the bytes after the NUL are not part of the key */
        memset(tesc + elen, 0, sizeof tesc - elen);
        key[2] = 'D';
        memcpy(key + klen, &tcode, sizeof tcode);
        memcpy(key + klen + 4, tesc, sizeof tesc);
        klen += 4 + sizeof tesc;
    } else {
        key[2] = 'T';
        if (dlen)
            memcpy(key + klen, d, dlen);
        klen += dlen;
    }
    h = cc_hash(key, klen);
    slot = &s->cc[h & (CC_SLOTS - 1)];
    if (slot->hash == h && slot->klen == klen && memcmp(slot->key, key, klen) == 0) {
        r->result = slot->res;
        return;
    }
    bounce__record_classify(r, s->kb);
    if (slot->kcap < klen) {
        char *p = bounce__realloc(slot->key, klen);
        if (!p) {
            slot->hash = 0; /* keep the old buffer, forget the entry */
            return;
        }
        slot->key = p;
        slot->kcap = (uint32_t)klen;
    }
    memcpy(slot->key, key, klen);
    slot->klen = (uint32_t)klen;
    slot->hash = h;
    slot->res = r->result;
}

void bounce__stream_commit(bounce_stream_t *s, bounce_record_t *r)
{
    if (s->npending >= s->nrecs || r != s->recs[s->npending])
        return; /* not the slot handed out last: ignore */
    if (s->file && r->off[BOUNCE_FIELD_FILE] == BOUNCE__ABSENT &&
        bounce__record_set(r, BOUNCE_FIELD_FILE, s->file, s->file_len) < 0)
        return; /* out of memory: the record is dropped */
    if (!r->line)
        r->line = s->lineno;
    classify_cached(s, r);
    s->npending++;
    s->stat[BOUNCE_STAT_RECORDS]++;
}

const bounce_record_t *bounce_stream_next(bounce_stream_t *s)
{
    if (!s || s->nread >= s->npending)
        return NULL;
    return s->recs[s->nread++];
}

/* ---- lines ---- */

static int run_line(bounce_stream_t *s, const char *line, size_t len)
{
    int rc;
    s->lineno++;
    s->stat[BOUNCE_STAT_LINES]++;
    rc = s->ops->line(s->state, s, line, len);
    if (rc < 0)
        return -1;
    s->stat[rc ? BOUNCE_STAT_PARSED : BOUNCE_STAT_SKIPPED]++;
    return 0;
}

static int choose_ops(bounce_stream_t *s, int force)
{
    size_t i, best = 0;
    int best_score = 0, sure = -1;
    const char *p, *end;

    for (i = 0; i < BOUNCE__ARRAY_LEN(all_ops); i++) {
        if (all_ops[i]->kind != s->kind)
            continue;
        if (s->probe_score[i] >= 1000)
            sure = (int)i;
        if (s->probe_score[i] > best_score) {
            best_score = s->probe_score[i];
            best = i;
        }
    }
    if (sure >= 0)
        best = (size_t)sure;
    else if (!force)
        return 0;
    else if (best_score == 0) {
        /* nothing recognisable: default module of the kind, which counts lines as skipped */
        for (best = 0; all_ops[best]->kind != s->kind; best++)
            ;
    }
    s->ops = all_ops[best];
    s->state = s->ops->create(s);
    if (!s->state)
        return -1;
    /* replay the buffered lines */
    p = s->probe_buf.p;
    end = p ? p + s->probe_buf.len : NULL;
    while (p && p < end) {
        size_t len;
        memcpy(&len, p, sizeof len);
        p += sizeof len;
        if (run_line(s, p, len) < 0)
            return -1;
        p += len;
    }
    bounce__buf_free(&s->probe_buf);
    return 1;
}

static int probe_line(bounce_stream_t *s, const char *line, size_t len)
{
    size_t i;
    int blank = 1;

    for (i = 0; i < len && blank; i++)
        if (line[i] != ' ' && line[i] != '\t')
            blank = 0;
    if (!blank) {
        s->probe_lines++;
        for (i = 0; i < BOUNCE__ARRAY_LEN(all_ops); i++) {
            int sc;
            if (all_ops[i]->kind != s->kind)
                continue;
            sc = all_ops[i]->probe(line, len);
            s->probe_score[i] += sc >= 2 ? 1000 : sc;
        }
    }
    if (bounce__buf_append(&s->probe_buf, &len, sizeof len) < 0 ||
        bounce__buf_append(&s->probe_buf, line, len) < 0)
        return -1;
    return choose_ops(s, s->probe_lines >= PROBE_MAX_LINES || s->probe_buf.len >= PROBE_MAX_BYTES) < 0
               ? -1
               : 0;
}

static int one_line(bounce_stream_t *s, const char *line, size_t len)
{
    if (len && line[len - 1] == '\r')
        len--;
    if (!s->ops) {
        /* detection: buffer the line (without counting it yet) */
        return probe_line(s, line, len);
    }
    return run_line(s, line, len);
}

bounce_status_t bounce_stream_feed(bounce_stream_t *s, const char *buf, size_t len)
{
    const char *p = buf, *end;

    if (!s || (!buf && len))
        return BOUNCE_E_INVAL;
    end = len ? buf + len : buf; /* after the check: no arithmetic on a NULL buf */
    if (s->finished)
        return BOUNCE_E_STATE;
    s->stat[BOUNCE_STAT_BYTES] += len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);

        if (s->dropping) {
            if (nl)
                s->dropping = 0;
        } else if (s->carry.len || !nl) {
            /* partial line: keep at most max_line bytes */
            size_t room = s->max_line > s->carry.len ? s->max_line - s->carry.len : 0;
            size_t take = n < room ? n : room;
            if (bounce__buf_append(&s->carry, p, take) < 0)
                return BOUNCE_E_NOMEM;
            if (take < n) {
                s->stat[BOUNCE_STAT_TRUNCATED]++;
                if (one_line(s, s->carry.p, s->carry.len) < 0)
                    return BOUNCE_E_NOMEM;
                s->carry.len = 0;
                s->dropping = nl == NULL;
            } else if (nl) {
                if (one_line(s, s->carry.p, s->carry.len) < 0)
                    return BOUNCE_E_NOMEM;
                s->carry.len = 0;
            }
        } else {
            size_t use = n;
            if (use > s->max_line) {
                use = s->max_line;
                s->stat[BOUNCE_STAT_TRUNCATED]++;
            }
            if (one_line(s, p, use) < 0)
                return BOUNCE_E_NOMEM;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return BOUNCE_OK;
}

bounce_status_t bounce_stream_finish(bounce_stream_t *s)
{
    if (!s)
        return BOUNCE_E_INVAL;
    if (s->finished)
        return BOUNCE_OK;
    if (s->carry.len) {
        if (one_line(s, s->carry.p, s->carry.len) < 0)
            return BOUNCE_E_NOMEM;
        s->carry.len = 0;
    }
    if (!s->ops && choose_ops(s, 1) < 0)
        return BOUNCE_E_NOMEM;
    s->finished = 1;
    if (s->ops->finish && s->ops->finish(s->state, s) < 0)
        return BOUNCE_E_NOMEM;
    return BOUNCE_OK;
}

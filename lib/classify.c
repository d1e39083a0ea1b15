/* Classification: diagnostic text + codes + stage -> cause, reason, severity, action.
 *
 * One pass of the KB's dense Aho-Corasick DFA over the text (one table lookup per byte,
 * ASCII case folded by the byte classes, whitespace runs read as one space by the table
 * itself, a virtual space before and after the text). Every fragment occurrence advances
 * the signatures that wait for it; a signature with several fragments is matched greedily
 * (earliest end first), which finds the fragments in order without overlap whenever such a
 * placement exists. The per-call progress of those signatures lives in a stack buffer (heap
 * only for a KB with more than STACK_MULTI of them). Precedence: doc/kb-format.md. */
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#endif

#include "internal.h"
#include "kb.h"

#define STACK_MULTI 1024
#define MAX_SCAN ((size_t)1 << 31) /* bytes of text the matcher reads */
#define WEAK_PRIORITY 30
#define SPLIT_MIN 32   /* shorter texts are walked as one stream */
#define SPLIT4_MIN 128 /* texts from this length on are walked as four streams */
#define EVBUF 64       /* buffered events per stream */

typedef struct ev {
    uint32_t state, i;
} ev;

typedef struct prog {
    uint32_t last_end;  /* text offset of the last byte of the last matched fragment core */
    uint32_t first_end; /* text offset of the last byte of the first fragment */
    uint16_t first_len; /* normalized length of the first fragment */
    uint8_t next;       /* fragment awaited; 0xff = done */
} prog;

typedef struct cctx {
    int code;
    int esc_cls, esc_subject, esc_detail; /* esc_cls 0 = none */
    int stage;
} cctx;

typedef struct mstate {
    const bounce_kb_t *kb;
    const cctx *cx;
    const char *text;
    uint32_t n;
    prog *pg;
    uint64_t *touched;
    int32_t best;
    uint32_t best_bytes;
    int best_prio;
    uint32_t b_first_end, b_last_end;
    uint16_t b_first_len;
} mstate;

static int sig_ok(const bounce__kb_sig *s, const cctx *c)
{
    if (s->stage && s->stage != c->stage)
        return 0;
    if (s->code && s->code != c->code)
        return 0;
    if (s->code_class && c->code / 100 != s->code_class)
        return 0;
    switch (s->esc_kind) {
    case BOUNCE__ESCK_EXACT:
        if (c->esc_detail != s->esc_detail)
            return 0;
        /* fall through */
    case BOUNCE__ESCK_SUBJECT:
        if (c->esc_subject != s->esc_subject)
            return 0;
        /* fall through */
    case BOUNCE__ESCK_CLASS:
        if (!c->esc_cls || c->esc_cls != s->esc_class)
            return 0;
        break;
    default:
        break;
    }
    return 1;
}

static void candidate(mstate *ms, uint32_t sid, uint32_t first_end, uint16_t first_len,
                      uint32_t last_end)
{
    const bounce__kb_sig *s = &ms->kb->sigs[sid];
    if (ms->best >= 0 && (s->priority < ms->best_prio ||
                          (s->priority == ms->best_prio && s->frag_bytes <= ms->best_bytes)))
        return;
    if (!sig_ok(s, ms->cx))
        return;
    ms->best = (int32_t)sid;
    ms->best_prio = s->priority;
    ms->best_bytes = s->frag_bytes;
    ms->b_first_end = first_end;
    ms->b_first_len = first_len;
    ms->b_last_end = last_end;
}

/* Start offset of a fragment of normalized length L whose last byte is text[end]
 * (end == n: the virtual trailing space). */
static size_t walk_back(const bounce_kb_t *kb, const char *text, size_t n, size_t end,
                        uint32_t L)
{
    const uint8_t *cls = kb->byte_class;
    uint8_t sp = (uint8_t)kb->space_class;
    size_t p = end + 1; /* one past the byte about to be stepped over */
    if (L > 0 && p > n) { /* the virtual trailing space */
        p--;
        L--;
    }
    while (L > 0 && p > 0) {
        if (cls[(unsigned char)text[--p]] == sp)
            while (p > 0 && cls[(unsigned char)text[p - 1]] == sp)
                p--;
        L--;
    }
    return p;
}

#if defined(__SSE2__) && defined(__GNUC__)
/* Bit k set: t[k] is whitespace (the KB builder gives ' ' and \t \n \v \f \r, and only
 * them, the space class). */
static unsigned space_mask16(const char *t)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)t);
    __m128i d = _mm_sub_epi8(x, _mm_set1_epi8(9)); /* '\t'..'\r' -> 0..4 */
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(4)), d);
    __m128i spc = _mm_cmpeq_epi8(x, _mm_set1_epi8(' '));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, spc));
}
#endif

/* walk_back() without the walk when no whitespace byte in the L bytes ending at text[end]
 * follows another one (nothing is folded: each normalized character is one byte). Sixteen
 * bytes at a time with SSE2; otherwise, and for the virtual trailing space, walk_back(). */
static size_t start_of(const bounce_kb_t *kb, const char *text, size_t n, size_t end,
                       uint32_t L)
{
#if defined(__SSE2__) && defined(__GNUC__)
    if (n >= 16 && end < n && L > 0 && L <= end + 1) {
        size_t a = end + 1 - L, lo = a ? a - 1 : 0, c;
        /* pairs (q, q + 1), lo <= q < end: a whitespace byte after a whitespace byte */
        if (end + 1 - lo < 16) {
            size_t s = lo + 16 <= n ? lo : n - 16;
            unsigned m = space_mask16(text + s), pm = m & (m >> 1);
            pm >>= lo - s;
            if (!(pm & ((1u << (end - lo)) - 1u)))
                return a;
        } else {
            for (c = lo;; c += 15) {
                unsigned m;
                if (c + 16 > end + 1)
                    c = end + 1 - 16;
                m = space_mask16(text + c);
                if (m & (m >> 1))
                    break;
                if (c + 16 == end + 1)
                    return a;
            }
        }
    }
#endif
    return walk_back(kb, text, n, end, L);
}

/* The fragments ending at text[i] (i == n: the virtual trailing space), i not a folded
 * space. Overlap of a signature's fragments is decided on their cores (the fragment
 * without its edge spaces): both ends of a core are non-space bytes, so comparing their
 * text offsets is comparing their normalized positions. */
static void on_output(mstate *ms, uint32_t state, uint32_t i)
{
    const bounce_kb_t *kb = ms->kb;
    uint32_t k = kb->out_start[state - kb->first_out];
    uint32_t e = kb->out_start[state - kb->first_out + 1];
    for (; k < e; k++) {
        uint32_t f = kb->out_frag[k], u, ue;
        uint16_t L = kb->frag_len[f];
        uint8_t edge = kb->frag_edge[f];
        uint32_t core_end = i - ((edge >> 1) & 1u); /* a trailing space is text[i] or virtual */
        uint32_t core_start = UINT32_MAX;          /* computed when needed */
        for (u = kb->frag_use_start[f], ue = kb->frag_use_start[f + 1]; u < ue; u++) {
            uint32_t sid = kb->frag_use[u] >> 5, j = kb->frag_use[u] & 31u, m;
            const bounce__kb_sig *s = &kb->sigs[sid];
            prog *p;
            if (s->multi == BOUNCE__KB_NONE) {
                candidate(ms, sid, i, L, i);
                continue;
            }
            if (!ms->pg)
                continue;
            m = s->multi;
            p = &ms->pg[m];
            if (!(ms->touched[m >> 6] & ((uint64_t)1 << (m & 63)))) {
                if (j != 0)
                    continue;
                ms->touched[m >> 6] |= (uint64_t)1 << (m & 63);
                p->next = 0;
            }
            if (p->next != j)
                continue;
            if (j > 0) {
                if (core_start == UINT32_MAX)
                    core_start = (uint32_t)start_of(kb, ms->text, ms->n, core_end,
                                                     L - (edge & 1u) - ((edge >> 1) & 1u));
                if (core_start <= p->last_end)
                    continue;
            }
            if (j == 0) {
                p->first_end = i;
                p->first_len = L;
            }
            p->last_end = core_end;
            if (++p->next == s->nfrag) {
                candidate(ms, sid, p->first_end, p->first_len, i);
                p->next = 0xff;
            }
        }
    }
}

/* A space that follows a space (or the virtual leading one) is folded: the table keeps the
 * state, and the outputs, already reported for the first space of the run, are not. */
#define FOLDED(idx)                                                                          \
    (cls[(unsigned char)text[idx]] == sp && ((idx) == 0 || cls[(unsigned char)text[(idx)-1]] == sp))

/* One byte of one stream (the byte tp[j], text offset idx); EMIT runs when the new state
 * has outputs. */
#define STEPP(DELTA, st, tp, j, idx, EMIT)                                                   \
    do {                                                                                     \
        st = DELTA[((size_t)st << sh) + cls[(unsigned char)(tp)[j]]];                        \
        if (st >= first_out && !FOLDED(idx)) {                                               \
            EMIT;                                                                            \
        }                                                                                    \
    } while (0)
#define STEP(DELTA, st, idx, EMIT) STEPP(DELTA, st, text, idx, idx, EMIT)

/* The DFA walk is bound by the latency of one table lookup per byte, so a longer text is
 * cut into K = 2 or 4 segments walked together (K independent chains of lookups). Stream k
 * starts at its segment from the root; its events are buffered. Then, segment by segment,
 * the exact state coming from the left goes on into the segment until it is no deeper than
 * the (normalized) characters read since the segment start: from there on it equals stream
 * k's state (the longest suffix that is a trie node lies inside the segment), so stream k's
 * later events are exact and are replayed in text order, and its end state is the exact
 * state. If a segment's buffer overflowed, the exact state walks that whole segment itself. */
#define BUF(k, st_, idx_)                                                                    \
    do {                                                                                     \
        if (nev[k] < EVBUF) {                                                                \
            evb[k][nev[k]].state = st_;                                                      \
            evb[k][nev[k]].i = idx_;                                                         \
            nev[k]++;                                                                        \
        } else {                                                                             \
            over[k] = 1;                                                                     \
        }                                                                                    \
    } while (0)

#define RUN_DFA(DELTA, SHIFT)                                                                \
    do {                                                                                     \
        const uint32_t sh = SHIFT; /* a constant for the usual table */                     \
        uint32_t s0 = DELTA[sp], i, start = 0;                                               \
        uint32_t K = n >= SPLIT4_MIN ? 4 : n >= SPLIT_MIN ? 2 : 1;                           \
        if (K > 1) {                                                                         \
            uint32_t seg = n / K, fs[4], nev[4] = {0, 0, 0, 0}, k, e;                        \
            int over[4] = {0, 0, 0, 0};                                                      \
            if (K == 4) {                                                                    \
                uint32_t s1 = 0, s2 = 0, s3 = 0;                                             \
                const char *t1 = text + seg, *t2 = t1 + seg, *t3 = t2 + seg;                 \
                for (i = 0; i < seg; i++) {                                                  \
                    STEP(DELTA, s0, i, on_output(&ms, s0, i));                               \
                    STEPP(DELTA, s1, t1, i, seg + i, BUF(1, s1, seg + i));                   \
                    STEPP(DELTA, s2, t2, i, 2 * seg + i, BUF(2, s2, 2 * seg + i));           \
                    STEPP(DELTA, s3, t3, i, 3 * seg + i, BUF(3, s3, 3 * seg + i));           \
                }                                                                            \
                fs[1] = s1, fs[2] = s2, fs[3] = s3;                                          \
            } else {                                                                         \
                uint32_t s1 = 0, b1 = seg;                                                   \
                for (i = 0; i < seg; i++) {                                                  \
                    STEP(DELTA, s0, i, on_output(&ms, s0, i));                               \
                    STEP(DELTA, s1, b1 + i, BUF(1, s1, b1 + i));                             \
                }                                                                            \
                fs[1] = s1;                                                                  \
            }                                                                                \
            for (k = 1; k < K; k++) {                                                        \
                uint32_t end = (k + 1) * seg, nc = 0; /* normalized characters read */       \
                i = k * seg;                                                                 \
                if (!over[k])                                                                \
                    for (; i < end && kb->depth[s0] > nc; i++) {                             \
                        nc += !FOLDED(i);                                                    \
                        STEP(DELTA, s0, i, on_output(&ms, s0, i));                           \
                    }                                                                        \
                if (!over[k] && kb->depth[s0] <= nc) {                                       \
                    for (e = 0; e < nev[k]; e++)                                             \
                        if (evb[k][e].i >= i)                                                \
                            on_output(&ms, evb[k][e].state, evb[k][e].i);                    \
                    s0 = fs[k];                                                              \
                } else {                                                                     \
                    for (; i < end; i++)                                                     \
                        STEP(DELTA, s0, i, on_output(&ms, s0, i));                           \
                }                                                                            \
            }                                                                                \
            start = K * seg;                                                                 \
        }                                                                                    \
        for (i = start; i < n; i++)                                                          \
            STEP(DELTA, s0, i, on_output(&ms, s0, i));                                       \
        if (n > 0 && cls[(unsigned char)text[n - 1]] != sp) {                                \
            s0 = DELTA[((size_t)s0 << sh) + sp];                                             \
            if (s0 >= first_out)                                                             \
                on_output(&ms, s0, n);                                                       \
        }                                                                                    \
    } while (0)

static void run_matcher(const bounce_kb_t *kb, const char *text, size_t len, const cctx *cx,
                        mstate *out)
{
    prog stack_pg[STACK_MULTI];
    uint64_t stack_touched[STACK_MULTI / 64];
    ev evb[4][EVBUF];
    mstate ms;
    void *heap = NULL;
    const uint8_t *cls = kb->byte_class;
    uint32_t sp = kb->space_class, shift = kb->class_shift, first_out = kb->first_out;
    uint32_t n = (uint32_t)(len > MAX_SCAN ? MAX_SCAN : len);

    memset(&ms, 0, sizeof ms);
    ms.kb = kb;
    ms.cx = cx;
    ms.text = text;
    ms.n = n;
    ms.best = -1;
    if (kb->nmulti <= STACK_MULTI) {
        ms.pg = stack_pg;
        ms.touched = stack_touched;
    } else {
        size_t words = ((size_t)kb->nmulti + 63) / 64;
        heap = bounce__malloc((size_t)kb->nmulti * sizeof(prog) + words * sizeof(uint64_t));
        if (heap) {
            ms.touched = heap;
            ms.pg = (prog *)(void *)((uint64_t *)heap + words);
        }
        /* without memory only single-fragment signatures can match */
    }
    if (ms.touched)
        memset(ms.touched, 0, ((size_t)kb->nmulti + 63) / 64 * sizeof(uint64_t));
    if (kb->delta16 && shift == 6) /* 33..64 byte classes */
        RUN_DFA(kb->delta16, 6);
    else if (kb->delta16 && shift == 7) /* 65..128 byte classes (UTF-8 wordings) */
        RUN_DFA(kb->delta16, 7);
    else if (kb->delta16)
        RUN_DFA(kb->delta16, shift);
    else if (kb->delta32)
        RUN_DFA(kb->delta32, shift);
    bounce__free(heap);
    *out = ms;
}

/* The rows (cls, subject, detail) and (0, subject, detail) in one binary search: the rows
 * are sorted by (subject, detail, cls) and no two have the same three (the KB builder keeps
 * the last of a repeated row), so this finds what two bounce__kb_esc_find() calls find. */
static void esc_rows(const bounce_kb_t *kb, int cls, int subject, int detail,
                     const bounce__kb_esc **ec, const bounce__kb_esc **e0)
{
    size_t lo = 0, hi = kb->nesc;
    *ec = *e0 = NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const bounce__kb_esc *e = &kb->esc[mid];
        if (e->subject < subject || (e->subject == subject && e->detail < detail))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < kb->nesc && kb->esc[lo].subject == subject && kb->esc[lo].detail == detail;
         lo++) {
        if (kb->esc[lo].cls == cls)
            *ec = &kb->esc[lo];
        if (kb->esc[lo].cls == 0)
            *e0 = &kb->esc[lo];
    }
}

static int esc_cause(const bounce_kb_t *kb, const cctx *cx, int *spec, char *code_used,
                     size_t cap)
{
    const bounce__kb_esc *e, *e0;
    int32_t cause;
    if (!cx->esc_cls)
        return -1;
    *spec = 3;
    esc_rows(kb, cx->esc_cls, cx->esc_subject, cx->esc_detail, &e, &e0);
    if (!e) {
        *spec = cx->esc_detail ? 2 : 1;
        e = e0;
    }
    if (!e && cx->esc_detail) {
        *spec = 1;
        esc_rows(kb, cx->esc_cls, cx->esc_subject, 0, &e, &e0);
        if (!e)
            e = e0;
    }
    if (!e)
        return -1;
    cause = cx->esc_cls == 5 ? e->perm_cause : cx->esc_cls == 4 ? e->trans_cause : -1;
    if (cause >= 0 && code_used) {
        size_t l = strlen(kb->pool + e->code);
        if (l >= cap)
            l = cap - 1;
        memcpy(code_used, kb->pool + e->code, l);
        code_used[l] = '\0';
    }
    return cause;
}

/* dst = prefix + s, cut to fit (the hot path avoids snprintf) */
static void put2(char *dst, size_t cap, const char *prefix, const char *s)
{
    size_t a = strlen(prefix), b = strlen(s);
    if (a >= cap)
        a = cap - 1;
    memcpy(dst, prefix, a);
    if (b > cap - 1 - a)
        b = cap - 1 - a;
    memcpy(dst + a, s, b);
    dst[a + b] = '\0';
}

static char *put_uint(char *p, unsigned v)
{
    char tmp[12];
    int n = 0;
    if (v < 10) { /* the usual one to three digits without the loop */
        *p = (char)('0' + v);
        return p + 1;
    }
    if (v < 100) {
        p[0] = (char)('0' + v / 10);
        p[1] = (char)('0' + v % 10);
        return p + 2;
    }
    if (v < 1000) {
        p[0] = (char)('0' + v / 100);
        p[1] = (char)('0' + v / 10 % 10);
        p[2] = (char)('0' + v % 10);
        return p + 3;
    }
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static void set_cause(struct bounce_result *r, const bounce_kb_t *kb, int32_t cause)
{
    const bounce__kb_cause *c = &kb->causes[cause];
    r->cause = cause;
    r->reason = c->reason;
    r->severity = c->severity;
    r->who = c->who;
    r->action = c->action;
}

void bounce__classify(const bounce_kb_t *kb, const char *text, size_t len, int reply_code,
                      const char *enhanced, int stage, struct bounce_result *out)
{
    int tcode = 0, cls = 0, subj = 0, det = 0, tcls = 0, tsubj = 0, tdet = 0, spec = 0;
    char tesc[BOUNCE__ESC_MAX];
    cctx cx;
    mstate ms;
    int32_t ecause = -1, ccause = -1;
    int code_class;

    memset(out, 0, sizeof *out);
    out->kb = kb;
    out->cause = -1;
    out->sig = -1;
    if (!text)
        len = 0;
    bounce__reply_extract(text, len, &tcode, tesc);
    /* reply code: given, else found in the text */
    out->reply_code = reply_code >= 200 && reply_code <= 599 ? reply_code : tcode;
    /* enhanced code: given, unless the text has a more specific one of the same class */
    if (enhanced && *enhanced &&
        bounce__esc_parse(enhanced, strlen(enhanced), &cls, &subj, &det) == 0 && cls != 0) {
        if (tesc[0] && bounce__esc_parse(tesc, strlen(tesc), &tcls, &tsubj, &tdet) == 0 &&
            tcls == cls && (subj == 0 || det == 0) && tsubj != 0 && tdet != 0) {
            subj = tsubj;
            det = tdet;
        }
    } else if (tesc[0] && bounce__esc_parse(tesc, strlen(tesc), &cls, &subj, &det) == 0) {
        /* from the text */
    } else {
        cls = 0;
    }
    if (cls) { /* subject and detail have at most 3 digits: "5.999.999" fits */
        char *p = put_uint(out->enhanced, (unsigned)cls);
        *p++ = '.';
        p = put_uint(p, (unsigned)subj);
        *p++ = '.';
        p = put_uint(p, (unsigned)det);
        *p = '\0';
    }
    memset(&cx, 0, sizeof cx);
    cx.code = out->reply_code;
    cx.esc_cls = cls;
    cx.esc_subject = subj;
    cx.esc_detail = det;
    cx.stage = stage;
    code_class = cls ? cls : out->reply_code / 100;

    if (!kb)
        goto severity;
    ms.best = -1;
    if (kb->nsigs && kb->nstates)
        run_matcher(kb, text, len, &cx, &ms);
    {
        ecause = esc_cause(kb, &cx, &spec, NULL, 0); /* the row's code is not needed here */
        if (out->reply_code) {
            const bounce__kb_code *c = bounce__kb_code_lookup(kb, out->reply_code);
            if (c)
                ccause = c->cause;
        }
        if (ms.best >= 0 && (ms.best_prio >= WEAK_PRIORITY || ecause < 0)) {
            const bounce__kb_sig *s = &kb->sigs[ms.best];
            size_t start, end;
            set_cause(out, kb, s->cause);
            out->sig = ms.best;
            if (ms.best_prio >= WEAK_PRIORITY)
                out->confidence = 0.55 + 0.4 * ms.best_prio / 100.0 +
                                  (ecause == s->cause ? 0.04 : 0.0);
            else
                out->confidence = 0.35 + ms.best_prio / 200.0;
            put2(out->evidence, sizeof out->evidence, "sig:", kb->pool + s->id);
            start = start_of(kb, text, len, ms.b_first_end, ms.b_first_len);
            end = (size_t)ms.b_last_end + 1;
            if (end > len)
                end = len;
            while (start < end && kb->byte_class[(unsigned char)text[start]] == kb->space_class)
                start++;
            while (end > start && kb->byte_class[(unsigned char)text[end - 1]] == kb->space_class)
                end--;
            if (end > start) {
                out->has_span = 1;
                out->span_off = start;
                out->span_len = end - start;
            }
        } else if (ecause >= 0) {
            set_cause(out, kb, ecause);
            out->confidence = spec == 3 ? 0.7 : spec == 2 ? 0.65 : 0.4;
            put2(out->evidence, sizeof out->evidence, "esc:", out->enhanced);
        } else if (ccause >= 0) {
            set_cause(out, kb, ccause);
            out->confidence = 0.3;
            char *p;
            memcpy(out->evidence, "code:", 5);
            p = put_uint(out->evidence + 5, (unsigned)out->reply_code);
            *p = '\0';
        }
    }
severity:
    if (out->cause < 0) {
        out->reason = BOUNCE_REASON_UNDEFINED;
        out->severity = code_class == 5   ? BOUNCE_SEVERITY_PERMANENT
                        : code_class == 4 ? BOUNCE_SEVERITY_TRANSIENT
                        : code_class == 2 ? BOUNCE_SEVERITY_SUCCESS
                                          : BOUNCE_SEVERITY_NONE;
        out->who = BOUNCE_WHO_NONE;
        out->action = BOUNCE_ACTION_NONE;
        if (!out->evidence[0])
            memcpy(out->evidence, "none", 5);
    } else if (out->severity == BOUNCE_SEVERITY_PERMANENT ||
               out->severity == BOUNCE_SEVERITY_TRANSIENT) {
        /* the reply itself says whether it is permanent */
        if (code_class == 5)
            out->severity = BOUNCE_SEVERITY_PERMANENT;
        else if (code_class == 4)
            out->severity = BOUNCE_SEVERITY_TRANSIENT;
    }
    if (out->confidence > 0.99)
        out->confidence = 0.99;
    out->hard_bounce =
        out->severity == BOUNCE_SEVERITY_PERMANENT && out->action == BOUNCE_ACTION_SUPPRESS;
}

/* ---- records ---- */
static void force_cause(struct bounce_result *r, const bounce_kb_t *kb, const char *id,
                        int reason, int severity, const char *evidence)
{
    int32_t c = bounce__kb_find_cause(kb, id);
    if (c >= 0) {
        set_cause(r, kb, c);
    } else {
        r->cause = -1;
        r->who = BOUNCE_WHO_NONE;
        r->action = BOUNCE_ACTION_NONE;
    }
    r->reason = reason;
    r->severity = severity;
    r->sig = -1;
    r->has_span = 0;
    r->span_off = r->span_len = 0;
    r->confidence = 0.95;
    snprintf(r->evidence, sizeof r->evidence, "%s", evidence);
}

/* Context rules on top of the cause (documented in doc/kb-format.md, "Record context"):
 * the cause stays the root cause, the reason says what happened to this delivery.
 * 1. An unknown-user answer given at DATA or after the final dot (and not coded X.1.1)
 *    means the receiver's filter refused the message: reason filtered.
 * 2. A final failure whose cause is a connection timeout means the MTA retried until the
 *    message expired: reason expired.
 * 3. A failure at the greeting or HELO whose text proves no cause: reason blocked. */
static int cause_is(const bounce_kb_t *kb, int32_t cause, const char *id)
{
    const char *c = cause >= 0 ? bounce__kb_cause_id(kb, cause) : NULL;
    return c && strcmp(c, id) == 0;
}

/* The deciding signature is a provider's own wording (a `provider=` constraint): that
 * provider states what it means, whatever the stage. */
static int provider_sig(const struct bounce_result *r, const bounce_kb_t *kb)
{
    return r->sig >= 0 && (uint32_t)r->sig < kb->nsigs &&
           strstr(BOUNCE__KB_STR(kb, kb->sigs[r->sig].constraints), "provider=") != NULL;
}

/* Record context (doc/kb-format.md): the record's stage, status and codes re-read the
 * reason; the cause stays the root cause. */
static void refine_reason(const bounce_record_t *rec, const bounce_kb_t *kb)
{
    struct bounce_result *r = (struct bounce_result *)&rec->result;
    const char *e = r->enhanced;
    int addr_code = e[0] && e[1] == '.' && e[2] == '1' && e[3] == '.'; /* X.1.*: address */

    /* 1. an unknown-user answer that is not tied to the address: given at DATA or after
     *    the final dot, or a remote reply whose stage the bounce does not tell, in a
     *    wording many filters also use; not coded X.1.*, not a provider's own statement */
    if (r->reason == BOUNCE_REASON_USERUNKNOWN && !addr_code && !provider_sig(r, kb) &&
        (rec->stage == BOUNCE_STAGE_DATA || rec->stage == BOUNCE_STAGE_EOD ||
         (rec->stage == BOUNCE_STAGE_UNKNOWN && r->reply_code >= 500)))
        r->reason = BOUNCE_REASON_FILTERED;
    /* 2. a final failure or a delay warning that only timed out: the MTA retried until the
     *    lifetime ran out, or keeps retrying while the message ages in its queue */
    if ((rec->status == BOUNCE_EVENT_BOUNCED || rec->status == BOUNCE_EVENT_EXPIRED ||
         rec->status == BOUNCE_EVENT_DELAYED) &&
        cause_is(kb, r->cause, "network.connection_timeout"))
        r->reason = BOUNCE_REASON_EXPIRED;
    /* 3. a failure refused at the greeting or HELO without any cause in its text: the
     *    receiver refused the sending host itself (reason blocked, cause stays unknown) */
    if (r->cause < 0 && r->reason == BOUNCE_REASON_UNDEFINED &&
        (rec->stage == BOUNCE_STAGE_CONNECT || rec->stage == BOUNCE_STAGE_HELO) &&
        (rec->status == BOUNCE_EVENT_BOUNCED || rec->status == BOUNCE_EVENT_EXPIRED ||
         rec->status == BOUNCE_EVENT_REJECTED || rec->status == BOUNCE_EVENT_DEFERRED))
        r->reason = BOUNCE_REASON_BLOCKED;
    /* 4. a bounce whose own diagnostic no rule explains: the reason is on hold (Sisimai's
     *    onhold), not undefined (nothing said at all, or only the whole notice) */
    if (r->cause < 0 && r->reason == BOUNCE_REASON_UNDEFINED && rec->source == BOUNCE_SOURCE_DSN &&
        rec->status == BOUNCE_EVENT_BOUNCED && !rec->diag_notice &&
        bounce__record_field(rec, BOUNCE_FIELD_DIAGNOSTIC, NULL))
        r->reason = BOUNCE_REASON_ONHOLD;
    /* 5. a domain that did not resolve, retried until the message expired (a 4.x.x / 4xx
     *    answer): the reporting MTA took it for a DNS failure, not a final answer */
    if (rec->status == BOUNCE_EVENT_EXPIRED && r->reason == BOUNCE_REASON_HOSTUNKNOWN &&
        (e[0] == '4' || (!e[0] && r->reply_code / 100 == 4)))
        r->reason = BOUNCE_REASON_NETWORKERROR;
}

void bounce__record_classify(bounce_record_t *rec, const bounce_kb_t *kb)
{
    size_t dlen = 0, elen = 0;
    const char *d = bounce__record_field(rec, BOUNCE_FIELD_DIAGNOSTIC, &dlen);
    const char *e = bounce__record_field(rec, BOUNCE_FIELD_ENHANCED, &elen);
    char esc[BOUNCE__ESC_MAX];
    struct bounce_result *r = &rec->result;
    int code_class;

    esc[0] = '\0';
    if (e && elen < sizeof esc) {
        memcpy(esc, e, elen);
        esc[elen] = '\0';
    }
    bounce__classify(kb, d, d ? dlen : 0, rec->reply_code, esc, rec->stage, r);
    code_class = r->enhanced[0] ? r->enhanced[0] - '0' : r->reply_code / 100;
    switch (rec->status) {
    case BOUNCE_EVENT_DELIVERED:
        force_cause(r, kb, "delivered.ok", BOUNCE_REASON_DELIVERED, BOUNCE_SEVERITY_SUCCESS,
                    "status:delivered");
        break;
    case BOUNCE_EVENT_FEEDBACK:
        force_cause(r, kb, "feedback.complaint", BOUNCE_REASON_FEEDBACK, BOUNCE_SEVERITY_NONE,
                    "status:feedback");
        break;
    case BOUNCE_EVENT_AUTOREPLY:
        force_cause(r, kb, "autoreply.vacation", BOUNCE_REASON_VACATION, BOUNCE_SEVERITY_NONE,
                    "status:autoreply");
        break;
    case BOUNCE_EVENT_EXPIRED:
        /* a cause proved by text or an enhanced code stays; otherwise: it expired */
        if (r->cause < 0 || strncmp(r->evidence, "code:", 5) == 0)
            force_cause(r, kb, "queue.expired", BOUNCE_REASON_EXPIRED,
                        BOUNCE_SEVERITY_PERMANENT, "status:expired");
        r->severity = BOUNCE_SEVERITY_PERMANENT;
        break;
    case BOUNCE_EVENT_BOUNCED:
        r->severity = BOUNCE_SEVERITY_PERMANENT;
        break;
    case BOUNCE_EVENT_REJECTED:
        /* an SMTP-time reject with a 4xx reply is temporary */
        r->severity = code_class == 4 ? BOUNCE_SEVERITY_TRANSIENT : BOUNCE_SEVERITY_PERMANENT;
        break;
    case BOUNCE_EVENT_FROZEN:
        /* frozen with no reason given (exim -bp shows none): the freeze is the cause */
        if (r->cause < 0)
            force_cause(r, kb, "local.message_frozen", BOUNCE_REASON_ONHOLD,
                        BOUNCE_SEVERITY_TRANSIENT, "status:frozen");
        r->severity = BOUNCE_SEVERITY_TRANSIENT;
        break;
    case BOUNCE_EVENT_DELAYED:
        /* a delay warning whose text proves no cause: the delay is all there is */
        if (r->cause < 0 || strncmp(r->evidence, "code:", 5) == 0)
            force_cause(r, kb, "queue.delayed", BOUNCE_REASON_EXPIRED,
                        BOUNCE_SEVERITY_TRANSIENT, "status:delayed");
        r->severity = BOUNCE_SEVERITY_TRANSIENT;
        break;
    case BOUNCE_EVENT_DEFERRED:
    case BOUNCE_EVENT_QUEUED:
    case BOUNCE_EVENT_HELD:
        r->severity = BOUNCE_SEVERITY_TRANSIENT;
        break;
    default:
        break;
    }
    refine_reason(rec, kb);
    /* hard bounce (doc/kb-format.md, "Record context"): a permanent failure of a cause whose
     * action is suppress, still reported with the cause's own reason (not re-read by the
     * record's context, e.g. an unknown user at DATA is filtered), and not ended by a
     * temporary (4xx / 4.x.x) answer: retries that expired say nothing final about the
     * address */
    r->hard_bounce = r->severity == BOUNCE_SEVERITY_PERMANENT &&
                     r->action == BOUNCE_ACTION_SUPPRESS && r->cause >= 0 &&
                     r->reason == kb->causes[r->cause].reason && code_class != 4;
}

/* ---- public API ---- */
bounce_status_t bounce_classify(const bounce_kb_t *kb, const char *text, size_t len,
                                int reply_code, const char *enhanced, int stage,
                                bounce_result_t **out)
{
    struct bounce_result *r;
    if (!out || (!text && len))
        return BOUNCE_E_INVAL;
    if (!kb)
        kb = bounce_kb_builtin();
    if (!(r = bounce__malloc(sizeof *r)))
        return BOUNCE_E_NOMEM;
    bounce__classify(kb, text, len, reply_code, enhanced, stage, r);
    *out = r;
    return BOUNCE_OK;
}

void bounce_result_free(bounce_result_t *r) { bounce__free(r); }

int bounce_result_reason(const bounce_result_t *r) { return r ? r->reason : 0; }

const char *bounce_result_cause(const bounce_result_t *r)
{
    const char *id = r ? bounce__kb_cause_id(r->kb, r->cause) : NULL;
    return id ? id : "unknown";
}

int bounce_result_severity(const bounce_result_t *r) { return r ? r->severity : 0; }
int bounce_result_hard_bounce(const bounce_result_t *r) { return r ? r->hard_bounce : 0; }
int bounce_result_action(const bounce_result_t *r) { return r ? r->action : 0; }
int bounce_result_who(const bounce_result_t *r) { return r ? r->who : 0; }
double bounce_result_confidence(const bounce_result_t *r) { return r ? r->confidence : 0.0; }

const char *bounce_result_evidence(const bounce_result_t *r)
{
    return r && r->evidence[0] ? r->evidence : "none";
}

int bounce_result_span(const bounce_result_t *r, size_t *offset, size_t *length)
{
    if (!r || !r->has_span)
        return 0;
    if (offset)
        *offset = r->span_off;
    if (length)
        *length = r->span_len;
    return 1;
}

int bounce_result_reply_code(const bounce_result_t *r) { return r ? r->reply_code : 0; }

const char *bounce_result_enhanced(const bounce_result_t *r) { return r ? r->enhanced : ""; }

const char *bounce_result_explanation(const bounce_result_t *r)
{
    const char *s = r ? bounce__kb_cause_explanation(r->kb, r->cause) : NULL;
    return s ? s : "";
}

size_t bounce_result_remediation_count(const bounce_result_t *r, int mta)
{
    return r ? bounce__kb_remedy_count(r->kb, r->cause, mta) : 0;
}

const char *bounce_result_remediation(const bounce_result_t *r, int mta, size_t i)
{
    return r ? bounce__kb_remedy(r->kb, r->cause, mta, i) : NULL;
}

bounce_status_t bounce_result_to_json(const bounce_result_t *r, uint32_t flags, char **out)
{
    bounce__jobj j;
    bounce__buf b = {0};
    if (!r || !out)
        return BOUNCE_E_INVAL;
    bounce__jobj_init(&j, flags);
    bounce__jobj_int(&j, "schema", 1);
    if (r->reply_code)
        bounce__jobj_int(&j, "reply_code", r->reply_code);
    if (r->enhanced[0])
        bounce__jobj_cstr(&j, "enhanced_status", r->enhanced);
    bounce__jobj_result(&j, r, NULL, 0);
    if (bounce__jobj_finish(&j, &b) < 0 || bounce__buf_terminate(&b) < 0) {
        bounce__buf_free(&b);
        return BOUNCE_E_NOMEM;
    }
    *out = bounce__buf_take(&b);
    return *out ? BOUNCE_OK : BOUNCE_E_NOMEM;
}

/* Records (one recipient event from any source), their JSON form, and time helpers. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- records ---- */

static void clear_fields(bounce_record_t *r)
{
    int i;
    for (i = 0; i < BOUNCE_FIELD_COUNT_; i++) {
        r->off[i] = BOUNCE__ABSENT;
        r->flen[i] = 0;
    }
}

static void clear_result(struct bounce_result *res)
{
    memset(res, 0, sizeof *res);
    res->cause = -1;
    res->sig = -1;
}

void bounce__record_init(bounce_record_t *r)
{
    memset(r, 0, sizeof *r);
    r->time = INT64_MIN;
    clear_fields(r);
    clear_result(&r->result);
}

void bounce__record_reset(bounce_record_t *r)
{
    bounce__buf mem = r->mem;
    bounce__record_init(r);
    mem.len = 0;
    r->mem = mem;
}

void bounce__record_release(bounce_record_t *r) { bounce__buf_free(&r->mem); }

int bounce__record_set(bounce_record_t *r, int field, const char *s, size_t len)
{
    if (field < 0 || field >= BOUNCE_FIELD_COUNT_ || !s)
        return 0;
    if (len >= UINT32_MAX / 2 || r->mem.len + len + 1 >= UINT32_MAX)
        len = 0; /* absurd sizes are cut rather than overflowing the offsets */
    if (bounce__buf_reserve(&r->mem, len + 1) < 0)
        return -1;
    r->off[field] = (uint32_t)r->mem.len;
    r->flen[field] = (uint32_t)len;
    if (len)
        memcpy(r->mem.p + r->mem.len, s, len);
    r->mem.len += len;
    r->mem.p[r->mem.len++] = '\0';
    return 0;
}

int bounce__record_set_str(bounce_record_t *r, int field, const char *s)
{
    return s ? bounce__record_set(r, field, s, strlen(s)) : 0;
}

const char *bounce__record_field(const bounce_record_t *r, int field, size_t *len)
{
    if (!r || field < 0 || field >= BOUNCE_FIELD_COUNT_ || r->off[field] == BOUNCE__ABSENT) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = r->flen[field];
    return r->mem.p + r->off[field];
}

int bounce__record_copy(bounce_record_t *dst, const bounce_record_t *src)
{
    bounce__buf mem = dst->mem;
    mem.len = 0;
    if (bounce__buf_reserve(&mem, src->mem.len) < 0) {
        dst->mem = mem;
        return -1;
    }
    if (src->mem.len)
        memcpy(mem.p, src->mem.p, src->mem.len);
    mem.len = src->mem.len;
    *dst = *src;
    dst->mem = mem;
    return 0;
}

/* ---- public accessors ---- */

const char *bounce_record_get(const bounce_record_t *rec, int field)
{
    return bounce__record_field(rec, field, NULL);
}

int bounce_record_source(const bounce_record_t *rec) { return rec ? rec->source : 0; }
int bounce_record_status(const bounce_record_t *rec) { return rec ? rec->status : 0; }
int64_t bounce_record_line(const bounce_record_t *rec) { return rec ? rec->line : 0; }
int64_t bounce_record_time(const bounce_record_t *rec) { return rec ? rec->time : INT64_MIN; }
int bounce_record_reply_code(const bounce_record_t *rec) { return rec ? rec->reply_code : 0; }

const bounce_result_t *bounce_record_result(const bounce_record_t *rec)
{
    return rec ? &rec->result : NULL;
}

/* ---- time ---- */

int64_t bounce__timegm(int year, int mon, int day, int hour, int min, int sec)
{
    /* days from civil (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar */
    int64_t y = (int64_t)year - (mon <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (mon + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + (int64_t)hour * 3600 + (int64_t)min * 60 + sec;
}

/* civil date of a day count since the epoch (Howard Hinnant's algorithm) */
static void civil_from_days(int64_t days, int64_t *y, int64_t *m, int64_t *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t days_of(int64_t t) { return t >= 0 ? t / 86400 : -((-t + 86399) / 86400); }

int64_t bounce__year_of(int64_t t)
{
    int64_t y, m, d;
    civil_from_days(days_of(t), &y, &m, &d);
    return y;
}

void bounce__format_time(int64_t t, char *buf)
{
    int64_t days = days_of(t), secs = t - days * 86400, y, m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) { /* outside RFC 3339's range: clamp */
        memcpy(buf, y < 0 ? "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z", 21);
        return;
    }
    /* "%04d-%02d-%02dT%02d:%02d:%02dZ" without snprintf (it runs for every JSON record) */
    {
        int v[6] = {(int)y, (int)m, (int)d, (int)(secs / 3600), (int)(secs / 60 % 60),
                    (int)(secs % 60)};
        static const char sep[6] = {'-', '-', 'T', ':', ':', 'Z'};
        char *p = buf;
        int i;
        p[0] = (char)('0' + v[0] / 1000);
        p[1] = (char)('0' + v[0] / 100 % 10);
        p[2] = (char)('0' + v[0] / 10 % 10);
        p[3] = (char)('0' + v[0] % 10);
        p[4] = sep[0];
        p += 5;
        for (i = 1; i < 6; i++) {
            p[0] = (char)('0' + v[i] / 10);
            p[1] = (char)('0' + v[i] % 10);
            p[2] = sep[i];
            p += 3;
        }
        *p = '\0';
    }
}

/* ---- JSON objects ---- */

/* a byte bounce__json_string() copies unchanged */
static int json_plain(unsigned char c)
{
    return c - 0x20u < 0x60u && c != '"' && c != '\\';
}

/* bounce__json_string() with a fast path: printable ASCII without '"' and '\\' (keys, most
 * values, remediation texts) is copied as is after a check of 8 bytes a step; anything
 * else goes to bounce__json_string(), so the output is the same. */
static int json_str(bounce__buf *b, const char *s, size_t len)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w, q, bs;
        memcpy(&w, s + i, 8);
        q = w ^ (ones * '"');
        bs = w ^ (ones * '\\');
        if (((w - ones * 0x20) & ~w & highs) | (w & highs) | ((q - ones) & ~q & highs) |
            ((bs - ones) & ~bs & highs))
            return bounce__json_string(b, s, len);
    }
    for (; i < len; i++)
        if (!json_plain((unsigned char)s[i]))
            return bounce__json_string(b, s, len);
    if (bounce__buf_reserve(b, len + 2) < 0)
        return -1;
    b->p[b->len++] = '"';
    if (len)
        memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len++] = '"';
    return 0;
}

/* "%lld" */
static int put_int(bounce__buf *b, int64_t v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return bounce__buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* "%.2f" of a finite v; by hand when v is non-negative, not huge and not within 1e-6 of a
 * rounding tie (then printf's exact rounding cannot differ), else by printf. */
static int put_num2(bounce__buf *b, double v)
{
    double x = v * 100.0, f;
    uint64_t r;
    char tmp[32], *p = tmp + sizeof tmp;
    if (!(v >= 0.0 && v < 1e12) || signbit(v))
        return bounce__buf_printf(b, "%.2f", v);
    f = floor(x);
    if (fabs(x - f - 0.5) < 1e-6)
        return bounce__buf_printf(b, "%.2f", v);
    r = (uint64_t)f + (x - f > 0.5);
    *--p = (char)('0' + r % 10);
    *--p = (char)('0' + r / 10 % 10);
    *--p = '.';
    r /= 100;
    do {
        *--p = (char)('0' + r % 10);
        r /= 10;
    } while (r);
    return bounce__buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

void bounce__jobj_init(bounce__jobj *j, uint32_t flags)
{
    memset(j, 0, sizeof *j);
    j->flags = flags;
}

static int jobj_begin(bounce__jobj *j, const char *key)
{
    if (j->failed)
        return -1;
    if (j->n >= BOUNCE__JOBJ_MAX) {
        j->failed = 1;
        return -1;
    }
    j->kv[j->n].key = key;
    j->kv[j->n].off = j->vals.len;
    return 0;
}

static void jobj_end(bounce__jobj *j, int rc)
{
    if (rc < 0) {
        j->failed = 1;
        return;
    }
    j->kv[j->n].len = j->vals.len - j->kv[j->n].off;
    j->n++;
}

void bounce__jobj_str(bounce__jobj *j, const char *key, const char *s, size_t len)
{
    int rc;
    if (jobj_begin(j, key) < 0)
        return;
    rc = json_str(&j->vals, s, len);
    if (rc > 0)
        j->lossy = 1;
    jobj_end(j, rc);
}

void bounce__jobj_cstr(bounce__jobj *j, const char *key, const char *s)
{
    if (s)
        bounce__jobj_str(j, key, s, strlen(s));
}

void bounce__jobj_int(bounce__jobj *j, const char *key, int64_t v)
{
    if (jobj_begin(j, key) < 0)
        return;
    jobj_end(j, put_int(&j->vals, v));
}

void bounce__jobj_num(bounce__jobj *j, const char *key, double v)
{
    if (jobj_begin(j, key) < 0)
        return;
    if (!isfinite(v))
        v = 0;
    jobj_end(j, put_num2(&j->vals, v));
}

void bounce__jobj_bool(bounce__jobj *j, const char *key, int v)
{
    if (jobj_begin(j, key) < 0)
        return;
    jobj_end(j, bounce__buf_puts(&j->vals, v ? "true" : "false"));
}

void bounce__jobj_raw(bounce__jobj *j, const char *key, const char *json, size_t len)
{
    if (jobj_begin(j, key) < 0)
        return;
    jobj_end(j, bounce__buf_append(&j->vals, json, len));
}

static int kv_cmp(const void *a, const void *b)
{
    const char *ka = *(const char *const *)a, *kb = *(const char *const *)b;
    return strcmp(ka, kb);
}

int bounce__jobj_finish(bounce__jobj *j, bounce__buf *out)
{
    int i, rc = 0;
    int pretty = (j->flags & BOUNCE_JSON_PRETTY) != 0;

    if (j->failed) {
        rc = -1;
        goto done;
    }
    if (j->flags & BOUNCE_JSON_CANONICAL)
        qsort(j->kv, (size_t)j->n, sizeof j->kv[0], kv_cmp);
    if (!pretty) {
        /* compact: one reservation, keys of plain bytes copied (the usual case) */
        size_t need = 2, kl[BOUNCE__JOBJ_MAX];
        int spilled = 0; /* an escaped key went beyond the reservation */
        for (i = 0; i < j->n; i++) {
            kl[i] = strlen(j->kv[i].key);
            need += kl[i] + 4 + j->kv[i].len;
        }
        if (bounce__buf_reserve(out, need) < 0) {
            rc = -1;
            goto done;
        }
        out->p[out->len++] = '{';
        for (i = 0; i < j->n; i++) {
            const char *k = j->kv[i].key;
            size_t x;
            for (x = 0; x < kl[i] && json_plain((unsigned char)k[x]); x++)
                ;
            if (x == kl[i] &&
                (!spilled || bounce__buf_reserve(out, kl[i] + 4 + j->kv[i].len) == 0)) {
                /* fits the reservation: ',' '"' key '"' ':' value */
                char *o = out->p + out->len;
                if (i)
                    *o++ = ',';
                *o++ = '"';
                memcpy(o, k, kl[i]);
                o += kl[i];
                *o++ = '"';
                *o++ = ':';
                memcpy(o, j->vals.p + j->kv[i].off, j->kv[i].len);
                o += j->kv[i].len;
                out->len = (size_t)(o - out->p);
            } else if ((spilled = 1, i && bounce__buf_putc(out, ',') < 0) ||
                       json_str(out, k, kl[i]) < 0 ||
                       bounce__buf_putc(out, ':') < 0 ||
                       bounce__buf_append(out, j->vals.p + j->kv[i].off, j->kv[i].len) < 0) {
                rc = -1;
                goto done;
            }
        }
        if (bounce__buf_putc(out, '}') < 0)
            rc = -1;
        goto done;
    }
    if (bounce__buf_putc(out, '{') < 0) {
        rc = -1;
        goto done;
    }
    for (i = 0; i < j->n; i++) {
        if ((i && bounce__buf_putc(out, ',') < 0) ||
            (pretty && bounce__buf_puts(out, "\n  ") < 0) ||
            json_str(out, j->kv[i].key, strlen(j->kv[i].key)) < 0 ||
            bounce__buf_puts(out, pretty ? ": " : ":") < 0 ||
            bounce__buf_append(out, j->vals.p + j->kv[i].off, j->kv[i].len) < 0) {
            rc = -1;
            goto done;
        }
    }
    if ((pretty && j->n && bounce__buf_putc(out, '\n') < 0) || bounce__buf_putc(out, '}') < 0)
        rc = -1;
done:
    bounce__buf_free(&j->vals);
    j->n = 0;
    return rc;
}

static int remedy_array(bounce__buf *b, const struct bounce_result *r, int mta)
{
    size_t i, n = bounce__kb_remedy_count(r->kb, r->cause, mta);
    size_t start = mta == BOUNCE_MTA_ANY ? 0 : bounce__kb_remedy_count(r->kb, r->cause, BOUNCE_MTA_ANY);
    int first = 1;
    if (bounce__buf_putc(b, '[') < 0)
        return -1;
    for (i = start; i < n; i++) {
        const char *s = bounce__kb_remedy(r->kb, r->cause, mta, i);
        if (!s)
            continue;
        if ((!first && bounce__buf_putc(b, ',') < 0) || json_str(b, s, strlen(s)) < 0)
            return -1;
        first = 0;
    }
    return bounce__buf_putc(b, ']');
}

void bounce__jobj_result(bounce__jobj *j, const struct bounce_result *r, const char *text,
                         size_t text_len)
{
    const char *cause = r->kb && r->cause >= 0 ? bounce__kb_cause_id(r->kb, r->cause) : NULL;

    bounce__jobj_cstr(j, "reason", bounce_enum_name(BOUNCE_ENUM_REASON, r->reason));
    bounce__jobj_cstr(j, "cause", cause ? cause : "unknown");
    bounce__jobj_cstr(j, "severity", bounce_enum_name(BOUNCE_ENUM_SEVERITY, r->severity));
    bounce__jobj_bool(j, "hard_bounce", r->hard_bounce);
    bounce__jobj_cstr(j, "action", bounce_enum_name(BOUNCE_ENUM_ACTION, r->action));
    bounce__jobj_cstr(j, "who", bounce_enum_name(BOUNCE_ENUM_WHO, r->who));
    bounce__jobj_num(j, "confidence", r->confidence);
    bounce__jobj_cstr(j, "evidence", r->evidence[0] ? r->evidence : "none");
    if (r->has_span && text && r->span_off <= text_len && r->span_len <= text_len - r->span_off)
        bounce__jobj_str(j, "evidence_text", text + r->span_off, r->span_len);
    if (cause && !(j->flags & BOUNCE_JSON_NO_REMEDIATION)) {
        bounce__buf b = {0};
        int m, rc = 0, any = 0;
        const char *expl = bounce__kb_cause_explanation(r->kb, r->cause);
        if (expl && *expl)
            bounce__jobj_cstr(j, "explanation", expl);
        rc |= bounce__buf_putc(&b, '{');
        for (m = BOUNCE_MTA_ANY; m <= BOUNCE_MTA_CPANEL; m++) {
            size_t n = bounce__kb_remedy_count(r->kb, r->cause, m);
            size_t base = m == BOUNCE_MTA_ANY ? 0 : bounce__kb_remedy_count(r->kb, r->cause, BOUNCE_MTA_ANY);
            const char *name = bounce_enum_name(BOUNCE_ENUM_MTA, m);
            if (n <= base)
                continue;
            if (any)
                rc |= bounce__buf_putc(&b, ',');
            any = 1;
            rc |= json_str(&b, name, strlen(name)) < 0 ? -1 : 0;
            rc |= bounce__buf_putc(&b, ':');
            rc |= remedy_array(&b, r, m);
        }
        rc |= bounce__buf_putc(&b, '}');
        if (rc < 0)
            j->failed = 1;
        else if (any)
            bounce__jobj_raw(j, "remediation", b.p, b.len);
        bounce__buf_free(&b);
    }
}

/* ---- record JSON ---- */

int bounce__record_json(const bounce_record_t *r, uint32_t flags, bounce__buf *out)
{
    static const struct {
        const char *key;
        int field;
    } head[] = {
        {"queue_id", BOUNCE_FIELD_QUEUE_ID},
        {"message_id", BOUNCE_FIELD_MESSAGE_ID},
        {"sender", BOUNCE_FIELD_SENDER},
        {"recipient", BOUNCE_FIELD_RECIPIENT},
        {"original_recipient", BOUNCE_FIELD_ORIGINAL_RECIPIENT},
    };
    static const struct {
        const char *key;
        int field;
    } mid[] = {
        {"diagnostic", BOUNCE_FIELD_DIAGNOSTIC},
        {"remote_mta", BOUNCE_FIELD_REMOTE_MTA},
        {"relay", BOUNCE_FIELD_RELAY},
        {"smtp_command", BOUNCE_FIELD_SMTP_COMMAND},
    };
    bounce__jobj j;
    size_t i, len;
    const char *s;
    char tbuf[48];

    bounce__jobj_init(&j, flags);
    /* one allocation of a typical record's size instead of growing step by step (if it
     * fails, the first value reports it) */
    (void)bounce__buf_reserve(&j.vals, 2048);
    bounce__jobj_int(&j, "schema", 1);
    bounce__jobj_cstr(&j, "source", bounce_enum_name(BOUNCE_ENUM_SOURCE, r->source));
    if ((s = bounce__record_field(r, BOUNCE_FIELD_FILE, &len)))
        bounce__jobj_str(&j, "file", s, len);
    if (r->line > 0)
        bounce__jobj_int(&j, "line", r->line);
    if (r->time != INT64_MIN) {
        bounce__format_time(r->time, tbuf);
        bounce__jobj_cstr(&j, "time", tbuf);
    }
    for (i = 0; i < BOUNCE__ARRAY_LEN(head); i++)
        if ((s = bounce__record_field(r, head[i].field, &len)))
            bounce__jobj_str(&j, head[i].key, s, len);
    bounce__jobj_cstr(&j, "status", bounce_enum_name(BOUNCE_ENUM_EVENT, r->status));
    if (r->reply_code > 0)
        bounce__jobj_int(&j, "reply_code", r->reply_code);
    if ((s = bounce__record_field(r, BOUNCE_FIELD_ENHANCED, &len)) && len)
        bounce__jobj_str(&j, "enhanced_status", s, len);
    for (i = 0; i < BOUNCE__ARRAY_LEN(mid); i++)
        if ((s = bounce__record_field(r, mid[i].field, &len)))
            bounce__jobj_str(&j, mid[i].key, s, len);
    if (r->stage != BOUNCE_STAGE_UNKNOWN && !bounce__record_field(r, BOUNCE_FIELD_SMTP_COMMAND, NULL))
        bounce__jobj_cstr(&j, "smtp_command", bounce_enum_name(BOUNCE_ENUM_STAGE, r->stage));
    s = bounce__record_field(r, BOUNCE_FIELD_DIAGNOSTIC, &len);
    bounce__jobj_result(&j, &r->result, s, len);
    if ((s = bounce__record_field(r, BOUNCE_FIELD_SUBJECT, &len)))
        bounce__jobj_str(&j, "subject", s, len);
    if ((s = bounce__record_field(r, BOUNCE_FIELD_REPORTING_MTA, &len)))
        bounce__jobj_str(&j, "reporting_mta", s, len);
    if ((s = bounce__record_field(r, BOUNCE_FIELD_NOTIFICATION_FOR, &len)))
        bounce__jobj_str(&j, "notification_for", s, len);
    if ((s = bounce__record_field(r, BOUNCE_FIELD_HELO, &len)))
        bounce__jobj_str(&j, "helo", s, len);
    if (j.lossy)
        bounce__jobj_bool(&j, "lossy", 1);
    return bounce__jobj_finish(&j, out);
}

bounce_status_t bounce_record_to_json(const bounce_record_t *rec, uint32_t flags, char **out)
{
    bounce__buf b = {0};
    if (!rec || !out)
        return BOUNCE_E_INVAL;
    (void)bounce__buf_reserve(&b, 4096); /* a typical record, remediation included */
    if (bounce__record_json(rec, flags, &b) < 0 || !(*out = bounce__buf_take(&b))) {
        bounce__buf_free(&b);
        return BOUNCE_E_NOMEM;
    }
    return BOUNCE_OK;
}

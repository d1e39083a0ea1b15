/*
 * Mail queue listings: Postfix `postqueue -p` / `mailq`, Postfix `postqueue -j`, and
 * Exim `exim -bp` / `mailq`. Each module turns one queued recipient into one record.
 *
 * Memory is bounded by the current message: a listing is read line by line and every
 * recipient line is committed as soon as it is seen (the message header and the current
 * delay reason are the only state kept).
 *
 * Times: `postqueue -p` prints the arrival time in the server's local time without a year
 * (`Tue Nov 24 10:01:02`). It is read as UTC, like BSD syslog stamps, and the year is the
 * latest one that does not put the time more than one day after the stream's reference
 * time. `exim -bp` prints an age (`25m`, `4h`, `2d`): the arrival time is the reference
 * time minus that age. `postqueue -j` carries epoch seconds.
 */
#include "internal.h"

#include <string.h>

#include <jansson.h>

/* Longest delay reason kept (folded reasons are joined); the rest is dropped. */
#define QUEUE_REASON_MAX 8192
/* Longest queue id / sender kept. */
#define QUEUE_FIELD_MAX 1024

/* ------------------------------------------------------------------ */
/* small text helpers                                                  */

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void trim(const char **p, size_t *len)
{
    while (*len > 0 && is_space((unsigned char)**p)) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && is_space((unsigned char)(*p)[*len - 1]))
        (*len)--;
}

static int is_blank(const char *p, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (!is_space((unsigned char)p[i]))
            return 0;
    return 1;
}

/* Next whitespace-separated token from p/len; 0 if none. */
static int next_token(const char **p, size_t *len, const char **tok, size_t *tlen)
{
    size_t i = 0;
    while (i < *len && is_space((unsigned char)(*p)[i]))
        i++;
    if (i == *len) {
        *p += i;
        *len = 0;
        return 0;
    }
    *tok = *p + i;
    while (i < *len && !is_space((unsigned char)(*p)[i]))
        i++;
    *tlen = (size_t)(*p + i - *tok);
    *len -= i;
    *p += i;
    return 1;
}

static int starts_with(const char *p, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return len >= n && memcmp(p, lit, n) == 0;
}

static int all_digits(const char *p, size_t len)
{
    size_t i;
    if (len == 0)
        return 0;
    for (i = 0; i < len; i++)
        if (!is_digit((unsigned char)p[i]))
            return 0;
    return 1;
}

static int64_t parse_uint(const char *p, size_t len)
{
    int64_t v = 0;
    size_t i;
    for (i = 0; i < len && is_digit((unsigned char)p[i]); i++) {
        if (v > (INT64_MAX - 9) / 10)
            return INT64_MAX;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* ------------------------------------------------------------------ */
/* dates                                                               */

static int month_index(const char *p, size_t len)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    int i;
    if (len != 3)
        return 0;
    for (i = 0; i < 12; i++)
        if (bounce__ascii_lower((unsigned char)p[0]) == names[3 * i] &&
            bounce__ascii_lower((unsigned char)p[1]) == names[3 * i + 1] &&
            bounce__ascii_lower((unsigned char)p[2]) == names[3 * i + 2])
            return i + 1;
    return 0;
}

static int is_weekday(const char *p, size_t len)
{
    static const char names[] = "sunmontuewedthufrisat";
    int i;
    if (len != 3)
        return 0;
    for (i = 0; i < 7; i++)
        if (bounce__ascii_lower((unsigned char)p[0]) == names[3 * i] &&
            bounce__ascii_lower((unsigned char)p[1]) == names[3 * i + 1] &&
            bounce__ascii_lower((unsigned char)p[2]) == names[3 * i + 2])
            return 1;
    return 0;
}


/* Month/day/time without a year: the latest year not more than a day after ref. */
static int64_t infer_year_time(int64_t ref, int mon, int day, int hh, int mm, int ss)
{
    int y = (int)bounce__year_of(ref + 86400);
    int64_t t = bounce__timegm(y, mon, day, hh, mm, ss);
    if (t > ref + 86400)
        t = bounce__timegm(y - 1, mon, day, hh, mm, ss);
    return t;
}

/* "HH:MM:SS" */
static int parse_hms(const char *p, size_t len, int *h, int *m, int *s)
{
    if (len != 8 || p[2] != ':' || p[5] != ':' || !all_digits(p, 2) || !all_digits(p + 3, 2) ||
        !all_digits(p + 6, 2))
        return 0;
    *h = (p[0] - '0') * 10 + (p[1] - '0');
    *m = (p[3] - '0') * 10 + (p[4] - '0');
    *s = (p[6] - '0') * 10 + (p[7] - '0');
    return *h < 24 && *m < 60 && *s < 61;
}

/* ------------------------------------------------------------------ */
/* delay reasons: relay, SMTP command, codes                           */

static int is_host_char(int c)
{
    return is_alnum(c) || c == '.' || c == '-' || c == '_';
}

static int is_ip_char(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
           c == ':' || c == '_';
}

/* Find the first "host[ip]" in the text: the host is [a-z0-9.-_]+, the ip [0-9a-f.:]+. */
static int find_relay(const char *p, size_t len, size_t *hoff, size_t *hlen, size_t *rlen)
{
    size_t i;
    for (i = 1; i < len; i++) {
        size_t b, e;
        if (p[i] != '[' || !is_host_char((unsigned char)p[i - 1]))
            continue;
        e = i + 1;
        while (e < len && is_ip_char((unsigned char)p[e]))
            e++;
        if (e == i + 1 || e >= len || p[e] != ']')
            continue;
        b = i;
        while (b > 0 && is_host_char((unsigned char)p[b - 1]))
            b--;
        *hoff = b;
        *hlen = i - b;
        *rlen = e + 1 - b;
        return 1;
    }
    return 0;
}

static const struct {
    const char *text;
    int stage;
} smtp_commands[] = {
    {"end of data", BOUNCE_STAGE_EOD}, {"rcpt to", BOUNCE_STAGE_RCPT},
    {"mail from", BOUNCE_STAGE_MAIL},  {"data", BOUNCE_STAGE_DATA},
    {"ehlo", BOUNCE_STAGE_HELO},       {"helo", BOUNCE_STAGE_HELO},
    {"lhlo", BOUNCE_STAGE_HELO},       {"starttls", BOUNCE_STAGE_STARTTLS},
    {"auth", BOUNCE_STAGE_AUTH},       {"initial greeting", BOUNCE_STAGE_CONNECT},
};

/* Fill DIAGNOSTIC, REMOTE_MTA, RELAY, SMTP_COMMAND, ENHANCED, reply code, stage. */
static int set_reason(bounce_record_t *r, const char *p, size_t len)
{
    size_t hoff, hlen, rlen;
    const char *in;
    char esc[BOUNCE__ESC_MAX];
    int code = 0;

    if (len == 0)
        return 0;
    if (bounce__record_set(r, BOUNCE_FIELD_DIAGNOSTIC, p, len) < 0)
        return -1;
    if (find_relay(p, len, &hoff, &hlen, &rlen)) {
        if (bounce__record_set(r, BOUNCE_FIELD_REMOTE_MTA, p + hoff, hlen) < 0 ||
            bounce__record_set(r, BOUNCE_FIELD_RELAY, p + hoff, rlen) < 0)
            return -1;
    }
    in = bounce__memcasestr(p, len, "(in reply to ");
    if (in) {
        const char *c = in + 13;
        size_t rest = len - (size_t)(c - p), i, clen;
        for (clen = 0; clen < rest && c[clen] != ')'; clen++)
            ;
        if (clen > 8 && bounce__strncaseeq(c + clen - 8, 8, " command"))
            clen -= 8;
        for (i = 0; i < BOUNCE__ARRAY_LEN(smtp_commands); i++) {
            if (bounce__strncaseeq(c, clen, smtp_commands[i].text)) {
                r->stage = (uint8_t)smtp_commands[i].stage;
                if (bounce__record_set(r, BOUNCE_FIELD_SMTP_COMMAND, c, clen) < 0)
                    return -1;
                break;
            }
        }
    }
    esc[0] = '\0';
    bounce__reply_extract(p, len, &code, esc);
    r->reply_code = code;
    if (esc[0] && bounce__record_set_str(r, BOUNCE_FIELD_ENHANCED, esc) < 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* postqueue -p / mailq                                                */

struct pq_state {
    int in_msg;          /* a message header was seen and no blank line since */
    int status;          /* bounce_event_t of the current message */
    int64_t time;
    bounce__buf qid;
    bounce__buf sender;
    bounce__buf reason;  /* current delay reason (without the outer parentheses) */
    int reason_open;     /* a folded reason is being read */
    int may_close;       /* the last reason line ended with ')' */
    long depth;          /* parenthesis depth of the open reason */
};

/* Queue id with its optional status marker: [0-9A-Za-z]{5,} followed by * or !. */
static int pq_parse_qid(const char *p, size_t len, size_t *idlen, int *status)
{
    size_t i;
    *status = BOUNCE_EVENT_QUEUED;
    if (len > 0 && (p[len - 1] == '*' || p[len - 1] == '!')) {
        if (p[len - 1] == '!')
            *status = BOUNCE_EVENT_HELD;
        len--;
    }
    if (len < 5 || len > 64)
        return 0;
    for (i = 0; i < len; i++)
        if (!is_alnum((unsigned char)p[i]))
            return 0;
    *idlen = len;
    return 1;
}

/* "QID[*!] SIZE Day Mon DD HH:MM:SS sender". Returns 1 and fills the fields if it is one. */
static int pq_entry(const char *line, size_t len, const char **qid, size_t *qlen, int *status,
                    int64_t *size, int *mon, int *day, int *hh, int *mm, int *ss,
                    const char **snd, size_t *slen)
{
    const char *p = line, *t;
    size_t n = len, tl;

    if (!next_token(&p, &n, &t, &tl) || !pq_parse_qid(t, tl, qlen, status))
        return 0;
    *qid = t;
    if (!next_token(&p, &n, &t, &tl))
        return 0;
    if (tl == 1 && (t[0] == '*' || t[0] == '!')) {
        /* a marker separated from a short id by the column padding */
        *status = t[0] == '!' ? BOUNCE_EVENT_HELD : BOUNCE_EVENT_QUEUED;
        if (!next_token(&p, &n, &t, &tl))
            return 0;
    }
    if (!all_digits(t, tl))
        return 0;
    *size = parse_uint(t, tl);
    if (!next_token(&p, &n, &t, &tl) || !is_weekday(t, tl))
        return 0;
    if (!next_token(&p, &n, &t, &tl) || !(*mon = month_index(t, tl)))
        return 0;
    if (!next_token(&p, &n, &t, &tl) || !all_digits(t, tl) || tl > 2)
        return 0;
    *day = (int)parse_uint(t, tl);
    if (*day < 1 || *day > 31)
        return 0;
    if (!next_token(&p, &n, &t, &tl) || !parse_hms(t, tl, hh, mm, ss))
        return 0;
    trim(&p, &n);
    *snd = p;
    *slen = n;
    return 1;
}

static int pq_probe(const char *line, size_t len)
{
    const char *q, *s;
    size_t ql, sl;
    int st, mon, day, hh, mm, ss;
    int64_t size;

    if (starts_with(line, len, "-Queue ID-"))
        return 2;
    if (starts_with(line, len, "Mail queue is empty"))
        return 2;
    if (pq_entry(line, len, &q, &ql, &st, &size, &mon, &day, &hh, &mm, &ss, &s, &sl))
        return 2;
    return 0;
}

static void *pq_create(bounce_stream_t *s)
{
    struct pq_state *st = bounce__calloc(1, sizeof *st);
    (void)s;
    return st;
}

static void pq_destroy(void *state)
{
    struct pq_state *st = state;
    if (!st)
        return;
    bounce__buf_free(&st->qid);
    bounce__buf_free(&st->sender);
    bounce__buf_free(&st->reason);
    bounce__free(st);
}

static void pq_end_message(struct pq_state *st)
{
    st->in_msg = 0;
    st->reason_open = 0;
    st->may_close = 0;
    st->depth = 0;
    st->reason.len = 0;
}

/* Append reason text (capped), joining folded lines with one space. */
static int pq_reason_append(struct pq_state *st, const char *p, size_t len)
{
    size_t room;
    if (st->reason.len > 0 && len > 0 && st->reason.len < QUEUE_REASON_MAX) {
        if (bounce__buf_putc(&st->reason, ' ') < 0)
            return -1;
    }
    room = st->reason.len < QUEUE_REASON_MAX ? QUEUE_REASON_MAX - st->reason.len : 0;
    if (len > room)
        len = room;
    return len ? bounce__buf_append(&st->reason, p, len) : 0;
}

/* Close the open reason: drop the outer parentheses. */
static void pq_reason_close(struct pq_state *st)
{
    st->reason_open = 0;
    st->may_close = 0;
    st->depth = 0;
    if (st->reason.len > 0 && st->reason.p[st->reason.len - 1] == ')')
        st->reason.len--;
    while (st->reason.len > 0 && is_space((unsigned char)st->reason.p[st->reason.len - 1]))
        st->reason.len--;
}

static int pq_reason_line(struct pq_state *st, const char *p, size_t len)
{
    size_t i;
    trim(&p, &len);
    for (i = 0; i < len; i++) {
        if (p[i] == '(')
            st->depth++;
        else if (p[i] == ')')
            st->depth--;
    }
    if (!st->reason_open) {
        /* first line: skip the opening parenthesis */
        p++;
        len--;
        trim(&p, &len);
        st->reason.len = 0;
        st->reason_open = 1;
    }
    if (pq_reason_append(st, p, len) < 0)
        return -1;
    st->may_close = len > 0 && p[len - 1] == ')';
    if (st->may_close && st->depth <= 0)
        pq_reason_close(st);
    return 1;
}

/* A delay reason starts with '(' after any indentation: real postqueue -p indents the
 * parenthesised reason by an amount that depends on its length (none for long ones, up to
 * about 20 columns for short ones), so it must not be mistaken for a recipient line. */
static int pq_is_reason_start(const char *p, size_t len)
{
    size_t i = 0;
    while (i < len && is_space((unsigned char)p[i]))
        i++;
    return i < len && p[i] == '(';
}

/* A recipient line: indented, one token. */
static int pq_looks_like_recipient(const char *p, size_t len)
{
    const char *t;
    size_t tl;
    if (len == 0 || !is_space((unsigned char)p[0]))
        return 0;
    if (!next_token(&p, &len, &t, &tl))
        return 0;
    return !next_token(&p, &len, &t, &tl);
}

static int pq_emit(struct pq_state *st, bounce_stream_t *s, const char *rcpt, size_t rlen)
{
    bounce_record_t *r = bounce__stream_record(s);
    if (!r)
        return -1;
    r->source = BOUNCE_SOURCE_POSTQUEUE;
    r->status = (uint8_t)st->status;
    r->time = st->time;
    r->line = bounce__stream_lineno(s);
    if (bounce__record_set(r, BOUNCE_FIELD_QUEUE_ID, st->qid.p ? st->qid.p : "", st->qid.len) <
            0 ||
        bounce__record_set(r, BOUNCE_FIELD_SENDER, st->sender.p ? st->sender.p : "",
                           st->sender.len) < 0 ||
        bounce__record_set(r, BOUNCE_FIELD_RECIPIENT, rcpt, rlen) < 0)
        return -1;
    if (!st->reason_open && st->reason.len > 0 && set_reason(r, st->reason.p, st->reason.len) < 0)
        return -1;
    bounce__stream_commit(s, r);
    return 1;
}

static int pq_line(void *state, bounce_stream_t *s, const char *line, size_t len)
{
    struct pq_state *st = state;
    const char *q, *snd;
    size_t ql, sl;
    int status, mon, day, hh, mm, ss;
    int64_t size;

    if (is_blank(line, len)) {
        pq_end_message(st);
        return 1;
    }
    if (st->reason_open) {
        /* A folded reason goes on until a line ends with ')' at depth 0. If the parentheses
         * in the text are unbalanced, an indented one-token line after a line that ended
         * with ')' is taken as the first recipient. */
        if (!(st->may_close && pq_looks_like_recipient(line, len)))
            return pq_reason_line(st, line, len);
        pq_reason_close(st);
    }
    if (starts_with(line, len, "-Queue ID-") || starts_with(line, len, "Mail queue is empty")) {
        pq_end_message(st);
        return 1;
    }
    if (starts_with(line, len, "-- ") && bounce__memcasestr(line, len, " in ") &&
        bounce__memcasestr(line, len, "request")) {
        pq_end_message(st);
        return 1;
    }
    if (st->in_msg && pq_is_reason_start(line, len)) {
        st->reason.len = 0;
        return pq_reason_line(st, line, len);
    }
    if (!is_space((unsigned char)line[0]) &&
        pq_entry(line, len, &q, &ql, &status, &size, &mon, &day, &hh, &mm, &ss, &snd, &sl)) {
        pq_end_message(st);
        st->in_msg = 1;
        st->status = status;
        st->time = infer_year_time(bounce__stream_reference_time(s), mon, day, hh, mm, ss);
        st->qid.len = 0;
        st->sender.len = 0;
        if (ql > QUEUE_FIELD_MAX)
            ql = QUEUE_FIELD_MAX;
        if (sl > QUEUE_FIELD_MAX)
            sl = QUEUE_FIELD_MAX;
        /* Postfix shows the null sender as MAILER-DAEMON. */
        if (sl == 13 && memcmp(snd, "MAILER-DAEMON", 13) == 0)
            sl = 0;
        if (bounce__buf_append(&st->qid, q, ql) < 0 || bounce__buf_append(&st->sender, snd, sl) < 0)
            return -1;
        bounce__stream_count(s, BOUNCE_STAT_MESSAGES, 1);
        return 1;
    }
    if (st->in_msg && is_space((unsigned char)line[0])) {
        const char *p = line;
        size_t n = len;
        trim(&p, &n);
        return pq_emit(st, s, p, n);
    }
    return 0;
}

static int pq_finish(void *state, bounce_stream_t *s)
{
    (void)s;
    pq_end_message(state);
    return 0;
}

const bounce__stream_ops bounce__postqueue_ops = {
    BOUNCE_FORMAT_POSTQUEUE, BOUNCE_STREAM_QUEUE, pq_probe, pq_create, pq_line, NULL, pq_finish,
    pq_destroy,
};

/* ------------------------------------------------------------------ */
/* postqueue -j                                                        */

static int pj_probe(const char *line, size_t len)
{
    const char *p = line;
    size_t n = len;
    trim(&p, &n);
    if (n < 2 || p[0] != '{')
        return 0;
    if (bounce__memcasestr(p, n, "\"queue_id\"") && bounce__memcasestr(p, n, "\"queue_name\""))
        return 2;
    if (bounce__memcasestr(p, n, "\"queue_id\""))
        return 1;
    return 0;
}

static void *pj_create(bounce_stream_t *s)
{
    (void)s;
    /* stateless: every line is a whole message; return a non-NULL token */
    return bounce__calloc(1, 1);
}

static void pj_destroy(void *state)
{
    bounce__free(state);
}

static const char *js(json_t *o, const char *key, size_t *len)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return NULL;
    *len = json_string_length(v);
    return json_string_value(v);
}

static int pj_line(void *state, bounce_stream_t *s, const char *line, size_t len)
{
    json_t *o, *rcpts, *v;
    json_error_t err;
    const char *qid, *snd, *qname;
    size_t qlen = 0, slen = 0, nlen = 0, i;
    int status = BOUNCE_EVENT_QUEUED;
    int64_t time = INT64_MIN;
    int rc = 1;

    (void)state;
    if (is_blank(line, len))
        return 1;
    o = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (!o)
        return 0;
    if (!json_is_object(o)) {
        json_decref(o);
        return 0;
    }
    qid = js(o, "queue_id", &qlen);
    snd = js(o, "sender", &slen);
    qname = js(o, "queue_name", &nlen);
    rcpts = json_object_get(o, "recipients");
    if (!qid || !json_is_array(rcpts)) {
        json_decref(o);
        return 0;
    }
    if (qname && nlen == 4 && memcmp(qname, "hold", 4) == 0)
        status = BOUNCE_EVENT_HELD;
    v = json_object_get(o, "arrival_time");
    if (json_is_integer(v))
        time = (int64_t)json_integer_value(v);
    else if (json_is_real(v))
        time = (int64_t)json_real_value(v);
    bounce__stream_count(s, BOUNCE_STAT_MESSAGES, 1);
    for (i = 0; i < json_array_size(rcpts); i++) {
        json_t *ro = json_array_get(rcpts, i);
        const char *addr, *why;
        size_t alen = 0, wlen = 0;
        bounce_record_t *r;
        if (!json_is_object(ro))
            continue;
        addr = js(ro, "address", &alen);
        why = js(ro, "delay_reason", &wlen);
        if (!addr)
            continue;
        r = bounce__stream_record(s);
        if (!r) {
            rc = -1;
            break;
        }
        r->source = BOUNCE_SOURCE_POSTQUEUE;
        r->status = (uint8_t)status;
        r->time = time;
        r->line = bounce__stream_lineno(s);
        if (bounce__record_set(r, BOUNCE_FIELD_QUEUE_ID, qid, qlen) < 0 ||
            bounce__record_set(r, BOUNCE_FIELD_SENDER, snd ? snd : "", snd ? slen : 0) < 0 ||
            bounce__record_set(r, BOUNCE_FIELD_RECIPIENT, addr, alen) < 0 ||
            (why && set_reason(r, why, wlen) < 0)) {
            rc = -1;
            break;
        }
        bounce__stream_commit(s, r);
    }
    json_decref(o);
    return rc;
}

const bounce__stream_ops bounce__postqueue_json_ops = {
    BOUNCE_FORMAT_POSTQUEUE_JSON, BOUNCE_STREAM_QUEUE, pj_probe, pj_create, pj_line, NULL, NULL,
    pj_destroy,
};

/* ------------------------------------------------------------------ */
/* exim -bp                                                            */

struct ex_state {
    int in_msg;
    int status;
    int64_t time;
    uint64_t delivered;  /* recipients marked D (already delivered; not records) */
    bounce__buf qid;
    bounce__buf sender;
};

/* Exim message ids: 6-6-2 (before 4.97) or 6-11-4 (4.97+), base 62. */
static int ex_is_id(const char *p, size_t len)
{
    size_t i, mid;
    if (len == 16)
        mid = 6;
    else if (len == 23)
        mid = 11;
    else
        return 0;
    for (i = 0; i < len; i++) {
        int dash = i == 6 || i == 7 + mid;
        if (dash ? p[i] != '-' : !is_alnum((unsigned char)p[i]))
            return 0;
    }
    return 1;
}

/* "25m", "4h", "2d", "3w", "45s" -> seconds; -1 if not an age. */
static int64_t ex_age(const char *p, size_t len)
{
    int64_t n, mult;
    if (len < 2 || !all_digits(p, len - 1) || len > 12)
        return -1;
    switch (p[len - 1]) {
    case 's': mult = 1; break;
    case 'm': mult = 60; break;
    case 'h': mult = 3600; break;
    case 'd': mult = 86400; break;
    case 'w': mult = 7 * 86400; break;
    default: return -1;
    }
    n = parse_uint(p, len - 1);
    return n * mult;
}

/* "532", "2.9K", "15M" */
static int ex_is_size(const char *p, size_t len)
{
    size_t i;
    if (len == 0)
        return 0;
    if (p[len - 1] == 'K' || p[len - 1] == 'M' || p[len - 1] == 'G')
        len--;
    if (len == 0)
        return 0;
    for (i = 0; i < len; i++)
        if (!is_digit((unsigned char)p[i]) && p[i] != '.')
            return 0;
    return 1;
}

/* "AGE SIZE ID <sender> [*** frozen ***]" */
static int ex_entry(const char *line, size_t len, int64_t *age, const char **id, const char **snd,
                    size_t *slen, int *frozen)
{
    const char *p = line, *t, *e;
    size_t n = len, tl;
    if (!next_token(&p, &n, &t, &tl) || (*age = ex_age(t, tl)) < 0)
        return 0;
    if (!next_token(&p, &n, &t, &tl) || !ex_is_size(t, tl))
        return 0;
    if (!next_token(&p, &n, &t, &tl) || !ex_is_id(t, tl))
        return 0;
    *id = t;
    trim(&p, &n);
    if (n == 0 || p[0] != '<')
        return 0;
    e = memchr(p, '>', n);
    if (!e)
        return 0;
    *snd = p + 1;
    *slen = (size_t)(e - p - 1);
    *frozen = bounce__memcasestr(e, n - (size_t)(e - p), "*** frozen ***") != NULL;
    return 1;
}

static int ex_probe(const char *line, size_t len)
{
    int64_t age;
    const char *id, *snd;
    size_t sl;
    int fr;
    return ex_entry(line, len, &age, &id, &snd, &sl, &fr) ? 2 : 0;
}

static void *ex_create(bounce_stream_t *s)
{
    (void)s;
    return bounce__calloc(1, sizeof(struct ex_state));
}

static void ex_destroy(void *state)
{
    struct ex_state *st = state;
    if (!st)
        return;
    bounce__buf_free(&st->qid);
    bounce__buf_free(&st->sender);
    bounce__free(st);
}

static int ex_line(void *state, bounce_stream_t *s, const char *line, size_t len)
{
    struct ex_state *st = state;
    int64_t age;
    const char *id, *snd, *p = line;
    size_t sl, n = len;
    int frozen;
    bounce_record_t *r;

    if (is_blank(line, len)) {
        st->in_msg = 0;
        return 1;
    }
    if (ex_entry(line, len, &age, &id, &snd, &sl, &frozen)) {
        st->in_msg = 1;
        st->status = frozen ? BOUNCE_EVENT_FROZEN : BOUNCE_EVENT_QUEUED;
        st->time = bounce__stream_reference_time(s) - age;
        st->qid.len = 0;
        st->sender.len = 0;
        if (sl > QUEUE_FIELD_MAX)
            sl = QUEUE_FIELD_MAX;
        if (bounce__buf_append(&st->qid, id, ex_is_id(id, 16) ? 16 : 23) < 0 ||
            bounce__buf_append(&st->sender, snd, sl) < 0)
            return -1;
        bounce__stream_count(s, BOUNCE_STAT_MESSAGES, 1);
        return 1;
    }
    if (!st->in_msg || !is_space((unsigned char)line[0]))
        return 0;
    trim(&p, &n);
    if (starts_with(p, n, "*** ")) /* e.g. "*** spool read error ***" */
        return 1;
    if ((n > 2 && p[0] == 'D' && is_space((unsigned char)p[1])) ||
        (n > 3 && p[0] == '+' && p[1] == 'D' && is_space((unsigned char)p[2]))) {
        st->delivered++;
        return 1;
    }
    r = bounce__stream_record(s);
    if (!r)
        return -1;
    r->source = BOUNCE_SOURCE_EXIM_QUEUE;
    r->status = (uint8_t)st->status;
    r->time = st->time;
    r->line = bounce__stream_lineno(s);
    if (bounce__record_set(r, BOUNCE_FIELD_QUEUE_ID, st->qid.p, st->qid.len) < 0 ||
        bounce__record_set(r, BOUNCE_FIELD_SENDER, st->sender.p ? st->sender.p : "",
                           st->sender.len) < 0 ||
        bounce__record_set(r, BOUNCE_FIELD_RECIPIENT, p, n) < 0)
        return -1;
    bounce__stream_commit(s, r);
    return 1;
}

static int ex_finish(void *state, bounce_stream_t *s)
{
    struct ex_state *st = state;
    (void)s;
    st->in_msg = 0;
    return 0;
}

const bounce__stream_ops bounce__eximq_ops = {
    BOUNCE_FORMAT_EXIM_QUEUE, BOUNCE_STREAM_QUEUE, ex_probe, ex_create, ex_line, NULL, ex_finish,
    ex_destroy,
};

/* Exim main log lines -> recipient records.
 *
 * Prefix: "2026-11-25 14:36:23 " with optional ".123" (log_selector +subsecond), optional
 * " +0100" (log_timezone) and optional "[pid] " (+pid). A stamp without a zone is taken as
 * UTC. Exim lines relayed through syslog (tag "exim"/"exim4", no own stamp) are read too.
 *
 * Message ids: "1rXYZa-000123-AB" (before 4.97) and "1rXYZa-00000003vY-2mnr" (4.97+).
 * Lines are joined by message id: "<=" gives the sender, message-id (id=) and, for a
 * bounce, the message it reports on (R=); "=>", "->", "*>" (delivered), "**" (failed;
 * "retry timeout exceeded" = expired) and "==" (deferred) give one record per recipient
 * attempt; "Completed" ends the message; "Frozen" gives a `frozen` record. ACL rejects
 * ("H=... F=<s> rejected RCPT <r>: text", "rejected after DATA", "temporarily rejected")
 * give `rejected` (or, when temporary, `deferred`) records.
 */
#include <stdio.h>
#include <string.h>

#include "tracker.h"


static int is_alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* "YYYY-MM-DD HH:MM:SS[.fff][ +zzzz] [[pid]] ": bytes used, 0 if not an Exim stamp */
static size_t exim_prefix(const char *p, size_t n, int64_t *t)
{
    if (n < 20 || p[10] != ' ' || !is_digit((unsigned char)p[0]))
        return 0;
    size_t i = bounce__parse_iso_time(p, n, t);
    if (!i || i >= n || p[i] != ' ')
        return 0;
    i++;
    if (i < n && p[i] == '[') {
        size_t j = i + 1;
        while (j < n && (is_digit((unsigned char)p[j]) || p[j] == ':'))
            j++;
        if (j < n && p[j] == ']' && j + 1 < n && p[j + 1] == ' ')
            i = j + 2;
    }
    return i;
}

/* message id: 6-6-2 (old) or 6-11-4 (4.97+) base-62 characters, then ' ' or the end */
static size_t message_id(const char *p, size_t n)
{
    size_t i = 0, k;
    for (k = 0; i < n && is_alnum((unsigned char)p[i]); i++, k++)
        ;
    if (k != 6 || i >= n || p[i] != '-')
        return 0;
    i++;
    for (k = 0; i < n && is_alnum((unsigned char)p[i]); i++, k++)
        ;
    size_t mid = k;
    if ((mid != 6 && mid != 11) || i >= n || p[i] != '-')
        return 0;
    i++;
    for (k = 0; i < n && is_alnum((unsigned char)p[i]); i++, k++)
        ;
    if ((mid == 6 && k != 2) || (mid == 11 && k != 4))
        return 0;
    if (i < n && p[i] != ' ')
        return 0;
    return i;
}

static int probe(const char *line, size_t len)
{
    int64_t t;
    size_t i = exim_prefix(line, len, &t);
    if (i) {
        if (message_id(line + i, len - i) || has_prefix(line + i, len - i, LIT("H=")) ||
            find(line + i, len - i, LIT(" rejected ")) ||
            has_prefix(line + i, len - i, LIT("exim ")) ||
            has_prefix(line + i, len - i, LIT("Start queue run")) ||
            has_prefix(line + i, len - i, LIT("End queue run")))
            return 2;
        return 1;
    }
    bounce__syslog sl;
    if (bounce__syslog_parse(line, len, 0, &sl) && sl.prog && has_prefix(sl.prog, sl.prog_len, LIT("exim")))
        return 2;
    return 0;
}

static size_t skip_spaces(const char *p, size_t i, size_t n)
{
    while (i < n && p[i] == ' ')
        i++;
    return i;
}

/* end of a value starting at p[i]: a quoted string (with \ escapes) or up to a space */
static size_t value_end(const char *p, size_t i, size_t n)
{
    if (i < n && p[i] == '"') {
        i++;
        while (i < n && p[i] != '"') {
            if (p[i] == '\\' && i + 1 < n)
                i++;
            i++;
        }
        return i < n ? i + 1 : n;
    }
    while (i < n && p[i] != ' ')
        i++;
    return i;
}

/* H= value: "name (helo) [ip]:port", "(helo) [ip]", "[ip]"; returns the index after it.
 * helo (may be NULL) gets the parenthesised HELO name: Exim shows it only when it differs
 * from the verified host name (or there is none), so it is absent otherwise. */
static size_t host_value_helo(const char *p, size_t i, size_t n, span *host, span *ip,
                              span *helo)
{
    host->p = ip->p = NULL;
    host->n = ip->n = 0;
    if (helo) {
        helo->p = NULL;
        helo->n = 0;
    }
    for (int tok = 0; tok < 3 && i < n; tok++) {
        if (tok)
            i++; /* the space */
        if (i >= n)
            break;
        if (p[i] == '[') {
            const char *e = memchr(p + i, ']', n - i);
            if (!e)
                return n;
            ip->p = p + i + 1;
            ip->n = (size_t)(e - p) - i - 1;
            i = (size_t)(e - p) + 1;
            while (i < n && (p[i] == ':' || is_digit((unsigned char)p[i])) &&
                   !(p[i] == ':' && (i + 1 >= n || p[i + 1] == ' ')))
                i++;
            return i;
        }
        if (p[i] == '(') {
            const char *e = memchr(p + i, ')', n - i);
            if (e && helo && !helo->p) {
                helo->p = p + i + 1;
                helo->n = (size_t)(e - p) - i - 1;
            }
            i = e ? (size_t)(e - p) + 1 : n;
        } else if (tok == 0) {
            size_t e = i;
            while (e < n && p[e] != ' ' && p[e] != ':')
                e++;
            host->p = p + i;
            host->n = e - i;
            i = e;
        } else {
            return i - 1;
        }
        if (i >= n || p[i] != ' ')
            return i;
    }
    return i;
}

static size_t host_value(const char *p, size_t i, size_t n, span *host, span *ip)
{
    return host_value_helo(p, i, n, host, ip, NULL);
}

/* "host[ip]" (or the one that is known) into buf */
static span host_ip(char *buf, size_t cap, span host, span ip)
{
    span r = {buf, 0};
    int k;
    if (host.n && ip.n)
        k = snprintf(buf, cap, "%.*s[%.*s]", (int)(host.n > 255 ? 255 : host.n), host.p,
                     (int)(ip.n > 64 ? 64 : ip.n), ip.p);
    else if (ip.n)
        k = snprintf(buf, cap, "[%.*s]", (int)(ip.n > 64 ? 64 : ip.n), ip.p);
    else if (host.n)
        k = snprintf(buf, cap, "%.*s", (int)(host.n > 255 ? 255 : host.n), host.p);
    else
        k = 0;
    r.n = k > 0 ? ((size_t)k < cap ? (size_t)k : cap - 1) : 0;
    return r;
}

static int set(bounce_record_t *r, int field, span v)
{
    return v.p ? bounce__record_set(r, field, v.p, v.n) : 0;
}

static int stage_of(const char *c, size_t n)
{
    if (has_prefix(c, n, LIT("RCPT")))
        return BOUNCE_STAGE_RCPT;
    if (has_prefix(c, n, LIT("MAIL")) || has_prefix(c, n, LIT("pipelined MAIL")))
        return BOUNCE_STAGE_MAIL;
    if (has_prefix(c, n, LIT("end of data")) || has_prefix(c, n, LIT("after DATA")))
        return BOUNCE_STAGE_EOD;
    if (has_prefix(c, n, LIT("DATA")) || has_prefix(c, n, LIT("pipelined DATA")) ||
        has_prefix(c, n, LIT("BDAT")))
        return BOUNCE_STAGE_DATA;
    if (has_prefix(c, n, LIT("EHLO")) || has_prefix(c, n, LIT("HELO")) ||
        has_prefix(c, n, LIT("LHLO")))
        return BOUNCE_STAGE_HELO;
    if (has_prefix(c, n, LIT("STARTTLS")))
        return BOUNCE_STAGE_STARTTLS;
    if (has_prefix(c, n, LIT("AUTH")))
        return BOUNCE_STAGE_AUTH;
    if (has_prefix(c, n, LIT("initial connection")) || has_prefix(c, n, LIT("connection")))
        return BOUNCE_STAGE_CONNECT;
    return BOUNCE_STAGE_UNKNOWN;
}

/* "550 5.1.1 text" / "550-5.1.1 text": code and enhanced code */
static int code_and_esc(bounce_record_t *r, const char *p, size_t n)
{
    if (n >= 3 && p[0] >= '2' && p[0] <= '5' && is_digit((unsigned char)p[1]) &&
        is_digit((unsigned char)p[2]) && (n == 3 || p[3] == ' ' || p[3] == '-')) {
        r->reply_code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
        if (n > 9 && (p[4] == '2' || p[4] == '4' || p[4] == '5') && p[5] == '.') {
            size_t e = 4;
            while (e < n && (is_digit((unsigned char)p[e]) || p[e] == '.'))
                e++;
            if (e - 4 >= 5 && e - 4 < BOUNCE__ESC_MAX)
                return bounce__record_set(r, BOUNCE_FIELD_ENHANCED, p + 4, e - 4);
        }
    }
    return 0;
}

/* "SMTP error from remote mail server after RCPT TO:<x>: 550 5.1.1 ..." and friends */
static int failure_details(bounce_record_t *r, span d)
{
    static const char pre[] = "SMTP error from remote mail server after ";
    const char *a = find(d.p, d.n, pre, sizeof pre - 1);
    if (!a) {
        a = find(d.p, d.n, LIT("error from remote mail server after "));
        if (a)
            a += 36;
    } else {
        a += sizeof pre - 1;
    }
    if (a) {
        size_t an = d.n - (size_t)(a - d.p);
        /* the command ends at the ": " followed by a reply code or "host " */
        const char *c = a;
        size_t cn = an;
        const char *sep = NULL;
        while ((sep = find(c, cn, LIT(": "))) != NULL) {
            const char *v = sep + 2;
            size_t vn = an - (size_t)(v - a);
            if ((vn >= 3 && is_digit((unsigned char)v[0])) || has_prefix(v, vn, LIT("host ")))
                break;
            cn -= (size_t)(v - c);
            c = v;
        }
        size_t cmdn = sep ? (size_t)(sep - a) : an;
        const char *lt = memchr(a, ':', cmdn); /* "RCPT TO:<x>" -> "RCPT TO" */
        size_t shown = lt ? (size_t)(lt - a) : cmdn;
        if (shown > 64)
            shown = 64;
        r->stage = (uint8_t)stage_of(a, cmdn);
        if (bounce__record_set(r, BOUNCE_FIELD_SMTP_COMMAND, a, shown) < 0)
            return -1;
        if (sep) {
            const char *v = sep + 2;
            size_t vn = an - (size_t)(v - a);
            if (has_prefix(v, vn, LIT("host "))) { /* older Exim: "host mx [ip]: 550 ..." */
                const char *e = find(v, vn, LIT("]: "));
                if (e) {
                    vn -= (size_t)(e + 3 - v);
                    v = e + 3;
                }
            }
            return code_and_esc(r, v, vn);
        }
        return 0;
    }
    if (find(d.p, d.n, LIT("Connection refused")) || find(d.p, d.n, LIT("Connection timed out")) ||
        find(d.p, d.n, LIT("Network is unreachable")) ||
        find(d.p, d.n, LIT("No route to host")))
        r->stage = BOUNCE_STAGE_CONNECT;
    return code_and_esc(r, d.p, d.n);
}

static int commit_with_msg(struct bounce__logmod *st, bounce_record_t *r, span id)
{
    bounce__tmsg *m = id.p ? bounce__tracker_find(&st->trk, id.p, id.n) : NULL;
    if (m)
        return bounce__tmsg_to_record(m, r);
    return set(r, BOUNCE_FIELD_QUEUE_ID, id);
}

/* "=> addr <orig> R=.. T=.. H=host [ip] X=.. C="250 ..."", "** addr ...: text", "== ..." */
static int delivery(struct bounce__logmod *st, bounce_stream_t *s, int64_t t, span id, char kind,
                    const char *p, size_t n)
{
    size_t i = skip_spaces(p, 0, n);
    size_t ae = i;
    while (ae < n && p[ae] != ' ')
        ae++;
    span rcpt = {p + i, ae - i}, orig = {NULL, 0}, diag = {NULL, 0}, host = {NULL, 0},
         ip = {NULL, 0}, conf = {NULL, 0};
    int colon_after_addr = 0;
    if (rcpt.n > 1 && rcpt.p[rcpt.n - 1] == ':' && rcpt.p[0] != ':') {
        rcpt.n--;
        colon_after_addr = 1;
    }
    i = ae;
    if (colon_after_addr) {
        diag.p = p + skip_spaces(p, i, n);
        diag.n = n - (size_t)(diag.p - p);
    }
    while (!colon_after_addr && i < n) {
        i = skip_spaces(p, i, n);
        if (i >= n)
            break;
        size_t ks = i;
        if (p[i] == '<') { /* original address */
            const char *e = memchr(p + i, '>', n - i);
            size_t end = e ? (size_t)(e - p) + 1 : n;
            orig.p = p + i + 1;
            orig.n = end - i - (e ? 2 : 1);
            i = end;
            if (i < n && p[i] == ':') {
                diag.p = p + skip_spaces(p, i + 1, n);
                diag.n = n - (size_t)(diag.p - p);
                break;
            }
            continue;
        }
        if (p[i] == '(') { /* "(parent@dom)" for pipe/file deliveries */
            const char *e = memchr(p + i, ')', n - i);
            size_t end = e ? (size_t)(e - p) + 1 : n;
            if ((rcpt.n && (rcpt.p[0] == '/' || rcpt.p[0] == '|')) && e) {
                if (!orig.p) {
                    orig.p = p + i + 1;
                    orig.n = end - i - 2;
                }
            }
            i = end;
        } else {
        while (i < n && p[i] != '=' && p[i] != ' ' && p[i] != ':')
            i++;
        if (i < n && p[i] == '=') {
            span key = {p + ks, i - ks};
            i++;
            if (key.n == 1 && key.p[0] == 'H') {
                i = host_value(p, i, n, &host, &ip);
            } else {
                size_t ve = value_end(p, i, n);
                int quoted = i < n && p[i] == '"';
                if (key.n == 1 && key.p[0] == 'C' && ve > i + 1 && quoted) {
                    conf.p = p + i + 1;
                    conf.n = ve - i - 2;
                }
                /* "T=remote_smtp:" */
                if (!quoted && ve > i && p[ve - 1] == ':') {
                    diag.p = p + skip_spaces(p, ve, n);
                    diag.n = n - (size_t)(diag.p - p);
                    break;
                }
                i = ve;
            }
        } else {
            /* a plain word ("defer", "routing") */
            while (i < n && p[i] != ' ' && p[i] != ':')
                i++;
            if (i == ks && i < n && p[i] == ':' && i + 1 < n && p[i + 1] != ' ')
                i++; /* a ':' inside a word: always make progress */
        }
        }
        if (i < n && p[i] == ':' && (i + 1 == n || p[i + 1] == ' ')) {
            diag.p = p + skip_spaces(p, i + 1, n);
            diag.n = n - (size_t)(diag.p - p);
            break;
        }
    }
    int ev;
    switch (kind) {
    case '*':
        ev = BOUNCE_EVENT_BOUNCED;
        if (diag.p && find(diag.p, diag.n, LIT("retry timeout exceeded")))
            ev = BOUNCE_EVENT_EXPIRED;
        break;
    case '=':
        ev = BOUNCE_EVENT_DEFERRED;
        break;
    default:
        ev = BOUNCE_EVENT_DELIVERED;
        diag = conf;
        break;
    }
    if (orig.p && orig.n && !memchr(rcpt.p, '@', rcpt.n) && memchr(orig.p, '@', orig.n)) {
        /* local delivery "=> alice <alice@example.org>": the full address is the recipient */
        rcpt = orig;
        orig.p = NULL;
        orig.n = 0;
    }
    bounce__tmsg *m = bounce__tracker_find(&st->trk, id.p, id.n);
    char last[1024]; /* pending diagnostics are at most 1024 bytes */
    if (m && ev == BOUNCE_EVENT_EXPIRED && BOUNCE__TMSG_HAS(m, BOUNCE__TF_PENDING)) {
        /* "** r: retry timeout exceeded" says only that the retries ran out: like Postfix's
         * status=expired, the record carries the recipient's last deferral reason, the
         * root cause */
        size_t pos = 0, rn, dn;
        const char *rc, *dg;
        while (bounce__tmsg_pending_next(m, &pos, &rc, &rn, &dg, &dn)) {
            if (rn == rcpt.n && memcmp(rc, rcpt.p, rn) == 0) {
                if (dn && dn <= sizeof last) {
                    memcpy(last, dg, dn);
                    diag.p = last;
                    diag.n = dn;
                }
                break;
            }
        }
    }
    if (m) {
        m->flags |= BOUNCE__TMSG_DELIVERED;
        /* remember deferred recipients: a later freeze / timeout names them */
        if (ev == BOUNCE_EVENT_DEFERRED) {
            if (bounce__tmsg_pending_put(m, rcpt.p, rcpt.n, diag.p ? diag.p : "", diag.n) < 0)
                return -1;
        } else {
            bounce__tmsg_pending_drop(m, rcpt.p, rcpt.n);
        }
    }
    bounce_record_t *r = bounce__stream_record(s);
    if (!r)
        return -1;
    r->source = BOUNCE_SOURCE_EXIM;
    r->status = (uint8_t)ev;
    r->time = t;
    r->line = bounce__stream_lineno(s);
    char hb[340];
    span relay = host_ip(hb, sizeof hb, host, ip);
    if (commit_with_msg(st, r, id) < 0 || set(r, BOUNCE_FIELD_RECIPIENT, rcpt) < 0 ||
        set(r, BOUNCE_FIELD_ORIGINAL_RECIPIENT, orig) < 0 ||
        set(r, BOUNCE_FIELD_DIAGNOSTIC, diag) < 0 ||
        (relay.n && set(r, BOUNCE_FIELD_RELAY, relay) < 0) ||
        (host.n && set(r, BOUNCE_FIELD_REMOTE_MTA, host) < 0))
        return -1;
    if (ev == BOUNCE_EVENT_DELIVERED) {
        if (diag.p && code_and_esc(r, diag.p, diag.n) < 0)
            return -1;
    } else if (diag.p && failure_details(r, diag) < 0) {
        return -1;
    }
    bounce__stream_commit(s, r);
    return 1;
}

/* "<= sender H=... P=esmtp S=1234 id=msgid R=parent T="subject" for a@b" */
static int arrival(struct bounce__logmod *st, bounce_stream_t *s, int64_t t, span id, const char *p,
                   size_t n)
{
    int created;
    bounce__tmsg *m = bounce__tracker_get(&st->trk, s, id.p, id.n, &created);
    if (!m)
        return -1;
    if (!created)
        bounce__tmsg_reset(m);
    m->time = t;
    m->flags |= BOUNCE__TMSG_QUEUED;
    size_t i = skip_spaces(p, 0, n);
    size_t e = i;
    while (e < n && p[e] != ' ')
        e++;
    span snd = {p + i, e - i};
    if (snd.n == 2 && snd.p[0] == '<' && snd.p[1] == '>')
        snd.n = 0;
    if (bounce__tmsg_set(m, BOUNCE__TF_SENDER, snd.p, snd.n) < 0)
        return -1;
    i = e;
    while (i < n) {
        i = skip_spaces(p, i, n);
        size_t ks = i;
        while (i < n && p[i] != '=' && p[i] != ' ')
            i++;
        if (i >= n || p[i] != '=') {
            if (i - ks == 3 && memcmp(p + ks, "for", 3) == 0)
                break; /* the recipients follow */
            continue;
        }
        span key = {p + ks, i - ks};
        i++;
        size_t vs = i, ve;
        if (key.n == 1 && key.p[0] == 'H') {
            span h, a;
            ve = host_value(p, i, n, &h, &a);
            if (bounce__tmsg_set(m, BOUNCE__TF_CLIENT, p + vs, ve - vs) < 0)
                return -1;
            i = ve;
            continue;
        }
        ve = value_end(p, i, n);
        if (key.n == 2 && memcmp(key.p, "id", 2) == 0) {
            span v = {p + vs, ve - vs};
            if (v.n >= 2 && v.p[0] == '<' && v.p[v.n - 1] == '>') {
                v.p++;
                v.n -= 2;
            }
            if (bounce__tmsg_set(m, BOUNCE__TF_MSGID, v.p, v.n) < 0)
                return -1;
        } else if (key.n == 1 && key.p[0] == 'S') {
            int64_t x = 0;
            for (size_t k = vs; k < ve && k - vs < 18 && is_digit((unsigned char)p[k]); k++)
                x = x * 10 + (p[k] - '0');
            m->size = x;
        } else if (key.n == 1 && key.p[0] == 'R' && message_id(p + vs, ve - vs) == ve - vs) {
            if (bounce__tmsg_set(m, BOUNCE__TF_PARENT, p + vs, ve - vs) < 0)
                return -1;
        }
        i = ve;
    }
    return 1;
}

/* "H=host [ip] F=<s> rejected RCPT <r>: text", "temporarily rejected", "rejected after DATA" */
static int reject(struct bounce__logmod *st, bounce_stream_t *s, int64_t t, span id, const char *p,
                  size_t n, const char *rej)
{
    span host = {NULL, 0}, ip = {NULL, 0}, from = {NULL, 0}, rcpt = {NULL, 0}, diag = {NULL, 0};
    span helo = {NULL, 0};
    int temp = 0;
    size_t hend = (size_t)(rej - p);
    if (hend >= 11 && memcmp(rej - 11, "temporarily", 11) == 0) {
        temp = 1;
        hend -= 11;
    }
    size_t i = 0;
    while (i < hend) {
        i = skip_spaces(p, i, hend);
        size_t ks = i;
        while (i < hend && p[i] != '=' && p[i] != ' ')
            i++;
        if (i >= hend || p[i] != '=')
            continue;
        span key = {p + ks, i - ks};
        i++;
        if (key.n == 1 && key.p[0] == 'H') {
            i = host_value_helo(p, i, hend, &host, &ip, &helo);
        } else {
            size_t ve = value_end(p, i, hend);
            if (key.n == 1 && key.p[0] == 'F') {
                from.p = p + i;
                from.n = ve - i;
                if (from.n >= 2 && from.p[0] == '<' && from.p[from.n - 1] == '>') {
                    from.p++;
                    from.n -= 2;
                }
            }
            i = ve;
        }
    }
    const char *v = rej + 10; /* after " rejected " */
    size_t vn = n - (size_t)(v - p);
    int stage = stage_of(v, vn);
    size_t we = 0;
    while (we < vn && v[we] != ' ' && v[we] != ':')
        we++;
    span verb = {v, we};
    if (has_prefix(v, vn, LIT("after DATA")))
        verb.n = 10;
    size_t j = we;
    if ((stage == BOUNCE_STAGE_RCPT || stage == BOUNCE_STAGE_MAIL) && j + 1 < vn &&
        v[j] == ' ' && v[j + 1] == '<') {
        const char *e = memchr(v + j + 1, '>', vn - j - 1);
        if (e) {
            if (stage == BOUNCE_STAGE_RCPT) {
                rcpt.p = v + j + 2;
                rcpt.n = (size_t)(e - rcpt.p);
            } else if (!from.p) {
                from.p = v + j + 2;
                from.n = (size_t)(e - from.p);
            }
            j = (size_t)(e - v) + 1;
        }
    }
    const char *c = find(v + j, vn - j, LIT(": "));
    if (c) {
        diag.p = c + 2;
        diag.n = vn - (size_t)(diag.p - v);
    } else if (j < vn) {
        diag.p = v + j;
        diag.n = vn - j;
        while (diag.n && (*diag.p == ' ' || *diag.p == ':')) {
            diag.p++;
            diag.n--;
        }
    }
    bounce_record_t *r = bounce__stream_record(s);
    if (!r)
        return -1;
    r->source = BOUNCE_SOURCE_EXIM;
    r->status = temp ? BOUNCE_EVENT_DEFERRED : BOUNCE_EVENT_REJECTED;
    r->time = t;
    r->line = bounce__stream_lineno(s);
    r->stage = (uint8_t)stage;
    char hb[340];
    span client = host_ip(hb, sizeof hb, host, ip);
    if ((id.p && commit_with_msg(st, r, id) < 0) ||
        (from.p && set(r, BOUNCE_FIELD_SENDER, from) < 0) ||
        set(r, BOUNCE_FIELD_RECIPIENT, rcpt) < 0 || set(r, BOUNCE_FIELD_DIAGNOSTIC, diag) < 0 ||
        (client.n && set(r, BOUNCE_FIELD_REMOTE_MTA, client) < 0) ||
        (verb.n && set(r, BOUNCE_FIELD_SMTP_COMMAND, verb) < 0) ||
        (helo.n && set(r, BOUNCE_FIELD_HELO, helo) < 0))
        return -1;
    if (diag.p && code_and_esc(r, diag.p, diag.n) < 0)
        return -1;
    bounce__stream_commit(s, r);
    return 1;
}

/* One record per recipient still deferred (with its last diagnostic), or one without a
 * recipient when none is known. `expire` forgets them afterwards. */
static int per_pending(struct bounce__logmod *st, bounce_stream_t *s, int64_t t, span id, int ev,
                       span text, int expire)
{
    bounce__tmsg *m = bounce__tracker_find(&st->trk, id.p, id.n);
    size_t pos = 0, rn = 0, dn = 0;
    const char *rc = NULL, *dg = NULL;
    int any = m && BOUNCE__TMSG_HAS(m, BOUNCE__TF_PENDING) &&
              bounce__tmsg_pending_next(m, &pos, &rc, &rn, &dg, &dn);
    do {
        bounce_record_t *r = bounce__stream_record(s);
        if (!r)
            return -1;
        r->source = BOUNCE_SOURCE_EXIM;
        r->status = (uint8_t)ev;
        r->time = t;
        r->line = bounce__stream_lineno(s);
        /* Frozen: its own text if it has one ("delivery error message"); expired: why the
         * recipient was deferred */
        span d = any && dn && !(ev == BOUNCE_EVENT_FROZEN && text.n) ? (span){dg, dn} : text;
        if (commit_with_msg(st, r, id) < 0 ||
            (any && bounce__record_set(r, BOUNCE_FIELD_RECIPIENT, rc, rn) < 0) ||
            (d.n && set(r, BOUNCE_FIELD_DIAGNOSTIC, d) < 0))
            return -1;
        if (any && d.p == dg && dn && failure_details(r, d) < 0)
            return -1;
        bounce__stream_commit(s, r);
    } while (any && bounce__tmsg_pending_next(m, &pos, &rc, &rn, &dg, &dn));
    if (expire && m)
        m->flen[BOUNCE__TF_PENDING] = 0;
    return 1;
}

static int body(struct bounce__logmod *st, bounce_stream_t *s, int64_t t, const char *p, size_t n)
{
    span id = {NULL, 0};
    size_t k = message_id(p, n);
    if (k) {
        id.p = p;
        id.n = k;
        p += k;
        n -= k;
        if (n && *p == ' ') {
            p++;
            n--;
        }
        if (n >= 3 && p[2] == ' ') {
            if (p[0] == '<' && p[1] == '=')
                return arrival(st, s, t, id, p + 3, n - 3);
            if ((p[0] == '=' || p[0] == '-' || p[0] == '*') && p[1] == '>')
                return delivery(st, s, t, id, '>', p + 3, n - 3);
            if (p[0] == '*' && p[1] == '*')
                return delivery(st, s, t, id, '*', p + 3, n - 3);
            if (p[0] == '=' && p[1] == '=')
                return delivery(st, s, t, id, '=', p + 3, n - 3);
        }
        if (has_prefix(p, n, LIT("Completed")) || has_prefix(p, n, LIT("removed by "))) {
            bounce__tmsg *m = bounce__tracker_find(&st->trk, id.p, id.n);
            if (m)
                bounce__tracker_remove(&st->trk, s, m);
            return 1;
        }
        if (has_prefix(p, n, LIT("Frozen"))) {
            span d = {p + 6, n - 6};
            while (d.n && *d.p == ' ') {
                d.p++;
                d.n--;
            }
            if (d.n >= 2 && d.p[0] == '(' && d.p[d.n - 1] == ')') {
                d.p++;
                d.n -= 2;
            }
            return per_pending(st, s, t, id, BOUNCE_EVENT_FROZEN, d, 0);
        }
        /* timeout_frozen_after / ignore_bounce_errors_after gave up: the deferred
         * recipients expired */
        if (has_prefix(p, n, LIT("cancelled by timeout_frozen_after")) ||
            has_prefix(p, n, LIT("cancelled by ignore_bounce_errors_after")))
            return per_pending(st, s, t, id, BOUNCE_EVENT_EXPIRED, (span){p, n}, 1);
    }
    const char *rej = find(p, n, LIT(" rejected "));
    if (rej && (has_prefix(p, n, LIT("H=")) || find(p, (size_t)(rej - p), LIT(" H="))))
        return reject(st, s, t, id, p, n, rej);
    return 1;
}

static int line(void *state, bounce_stream_t *s, const char *l, size_t n)
{
    struct bounce__logmod *st = state;
    int64_t t;
    size_t i = exim_prefix(l, n, &t);
    if (i)
        return body(st, s, t, l + i, n - i);
    bounce__syslog sl;
    if (bounce__syslog_parse_ex(l, n, bounce__stream_reference_time(s), &sl, &st->sys) &&
        sl.prog && has_prefix(sl.prog, sl.prog_len, LIT("exim"))) {
        /* syslog copy: the message may still start with Exim's own stamp */
        size_t j = exim_prefix(sl.msg, sl.msg_len, &t);
        if (!j)
            t = sl.time;
        return body(st, s, t, sl.msg + j, sl.msg_len - j);
    }
    return 0;
}

const bounce__stream_ops bounce__exim_ops = {BOUNCE_FORMAT_EXIM_LOG, BOUNCE_STREAM_LOG, probe,
                                             bounce__logmod_create, line, NULL, bounce__logmod_finish, bounce__logmod_destroy};

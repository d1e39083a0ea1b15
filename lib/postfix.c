/* Postfix log lines -> recipient records.
 *
 * Every daemon's lines are read after the syslog prefix (syslog.c). Lines are joined by
 * queue id in the tracker (tracker.c): cleanup gives the message-id, qmgr the sender,
 * size and nrcpt, smtpd/pickup start a message (a queue id seen again there is a reused
 * id: its old state is forgotten), `removed` ends it. Every `to=<...>, ..., status=...`
 * line (smtp, lmtp, local, virtual, pipe, error, retry, discard) is one delivery attempt
 * and is emitted at once with what is known of the message so far. NOQUEUE rejects
 * (smtpd, postscreen, milter) and cleanup header/body rejects are `rejected` records.
 * `sender non-delivery notification: NEWID` links the notification to its original in
 * the tracker (BOUNCE__TF_PARENT).
 *
 * Nothing is copied to parse a line: fields are spans into the line, copied once into
 * the record. Only failures need the SMTP stage and reply code worked out.
 */
#include <string.h>

#include "tracker.h"


/* last occurrence */
static const char *rfind(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (hn < nn)
        return NULL;
    for (size_t i = hn - nn + 1; i-- > 0;)
        if (h[i] == nd[0] && memcmp(h + i, nd, nn) == 0)
            return h + i;
    return NULL;
}

/* byte classes for the hot scanning loops (one table lookup per byte) */
enum { C_ALNUM = 1, C_SEP = 2 /* ' ' ',' */, C_KEYEND = 4 /* '=' ' ' ',' */ };
#define D C_ALNUM
#define U C_ALNUM
static const unsigned char byte_class[256] = {
    [' '] = C_SEP | C_KEYEND, [','] = C_SEP | C_KEYEND, ['='] = C_KEYEND,
    ['0'] = D, ['1'] = D, ['2'] = D, ['3'] = D, ['4'] = D, ['5'] = D, ['6'] = D, ['7'] = D,
    ['8'] = D, ['9'] = D,
    ['A'] = U, ['B'] = U, ['C'] = U, ['D'] = U, ['E'] = U, ['F'] = U, ['G'] = U, ['H'] = U,
    ['I'] = U, ['J'] = U, ['K'] = U, ['L'] = U, ['M'] = U, ['N'] = U, ['O'] = U, ['P'] = U,
    ['Q'] = U, ['R'] = U, ['S'] = U, ['T'] = U, ['U'] = U, ['V'] = U, ['W'] = U, ['X'] = U,
    ['Y'] = U, ['Z'] = U,
    ['a'] = U, ['b'] = U, ['c'] = U, ['d'] = U, ['e'] = U, ['f'] = U, ['g'] = U, ['h'] = U,
    ['i'] = U, ['j'] = U, ['k'] = U, ['l'] = U, ['m'] = U, ['n'] = U, ['o'] = U, ['p'] = U,
    ['q'] = U, ['r'] = U, ['s'] = U, ['t'] = U, ['u'] = U, ['v'] = U, ['w'] = U, ['x'] = U,
    ['y'] = U, ['z'] = U,
};
#undef D
#undef U
#define CLASS(c) byte_class[(unsigned char)(c)]

static int is_alnum(int c)
{
    return (CLASS(c) & C_ALNUM) != 0;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static const char *const daemons[] = {
    "smtp", "lmtp", "local", "virtual", "pipe", "error", "retry", "discard", "qmgr",
    "cleanup", "pickup", "smtpd", "postscreen", "bounce", "defer", "trace", "postsuper",
    "master", "anvil", "scache", "tlsmgr", "tlsproxy", "dnsblog", "verify", "proxymap",
    "sendmail", "postdrop", "postqueue", "postlogd", "oqmgr", "showq", "flush", "qmqpd",
    "spawn", "postmulti", "postfix-script", "postmap", "nqmgr"};

static int is_daemon(const char *d, size_t dn)
{
    for (size_t i = 0; i < BOUNCE__ARRAY_LEN(daemons); i++)
        if (strlen(daemons[i]) == dn && memcmp(daemons[i], d, dn) == 0)
            return 1;
    return 0;
}

/* Is this syslog tag a Postfix one? "postfix/smtp", "postfix-out/smtp",
 * "postfix/submission/smtpd", or a custom syslog_name ending in a daemon name. */
static int postfix_prog(const char *p, size_t n)
{
    if (has_prefix(p, n, LIT("postfix")))
        return 1;
    const char *sl = NULL;
    for (size_t i = n; i-- > 0;)
        if (p[i] == '/') {
            sl = p + i + 1;
            break;
        }
    if (!sl)
        return 0;
    return is_daemon(sl, n - (size_t)(sl - p));
}

static int probe(const char *line, size_t len)
{
    bounce__syslog sl;
    bounce__syslog_ctx ctx;
    int r = 0;
    memset(&ctx, 0, sizeof ctx);
    if (bounce__syslog_parse_ex(line, len, 0, &sl, &ctx) && sl.prog &&
        postfix_prog(sl.prog, sl.prog_len))
        r = 2;
    bounce__syslog_ctx_free(&ctx);
    return r;
}

/* queue id: 5..39 alphanumerics followed by ": " */
static size_t queue_id(const char *p, size_t n)
{
    size_t i = 0, lim = n < BOUNCE__TRK_ID_MAX ? n : BOUNCE__TRK_ID_MAX;
    while (i + 4 <= lim && (CLASS(p[i]) & CLASS(p[i + 1]) & CLASS(p[i + 2]) & CLASS(p[i + 3]) &
                            C_ALNUM))
        i += 4;
    while (i < lim && (CLASS(p[i]) & C_ALNUM))
        i++;
    if (i >= 5 && i < BOUNCE__TRK_ID_MAX && i + 1 < n && p[i] == ':' && p[i + 1] == ' ')
        return i;
    return 0;
}

/* A "key=value" list: values end at ", " (or at sep_space, at ' ');
 * `<...>` values end at the '>' followed by a separator or the end. */
struct kv {
    span to, orig_to, relay, dsn, status, from, size, nrcpt, msgid, client, helo, rest;
};

/* First ' ' or ',' at or after i (n if none): eight bytes at a time. */
static inline size_t skip_to_sep(const char *p, size_t i, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (n - i >= 8) {
        uint64_t w, a, b;
        memcpy(&w, p + i, 8);
        a = w ^ (ones * ' ');
        b = w ^ (ones * ',');
        a = (a - ones) & ~a & highs;
        b = (b - ones) & ~b & highs;
        if (a | b)
            break; /* the byte-wise loop below finds which */
        i += 8;
    }
    while (i < n && !(CLASS(p[i]) & C_SEP))
        i++;
    return i;
}

enum { K_NONE, K_OTHER /* a key we skip */, K_TO, K_ORIG_TO, K_RELAY, K_DSN, K_STATUS, K_FROM, K_SIZE, K_NRCPT, K_MSGID,
       K_CLIENT, K_HELO };

/* The key starting at p[ks] if it is one of ours followed by '=' (the generic key scan
 * would stop at that '=': none of these names holds ' ', ',' or '='), else K_NONE. */
static int known_key(const char *p, size_t ks, size_t n, size_t *klen)
{
    size_t r = n - ks;
    const char *k = p + ks;
#define IS(lit) (r >= sizeof(lit) - 1 && memcmp(k, lit, sizeof(lit) - 1) == 0 && \
                 (*klen = sizeof(lit) - 2, 1))
    switch (k[0]) {
    case 't':
        return IS("to=") ? K_TO : K_NONE;
    case 'o':
        return IS("orig_to=") ? K_ORIG_TO : K_NONE;
    case 'r':
        return IS("relay=") ? K_RELAY : K_NONE;
    case 'd':
        return IS("dsn=") ? K_DSN : IS("delay=") || IS("delays=") ? K_OTHER : K_NONE;
    case 's':
        return IS("status=") ? K_STATUS
               : IS("size=") ? K_SIZE
               : IS("sasl_method=") || IS("sasl_username=") ? K_OTHER
                                                             : K_NONE;
    case 'f':
        return IS("from=") ? K_FROM : K_NONE;
    case 'n':
        return IS("nrcpt=") ? K_NRCPT : K_NONE;
    case 'm':
        return IS("message-id=") ? K_MSGID : K_NONE;
    case 'c':
        return IS("client=") ? K_CLIENT : IS("conn_use=") ? K_OTHER : K_NONE;
    case 'h':
        return IS("helo=") ? K_HELO : K_NONE;
    case 'p':
        return IS("proto=") ? K_OTHER : K_NONE;
    default:
        return K_NONE;
    }
#undef IS
}

static void kv_parse(const char *p, size_t n, int sep_space, struct kv *kv)
{
    memset(kv, 0, sizeof *kv);
    size_t i = 0;
    while (i < n) {
        if (n - i > 2 && p[i] == ',' && p[i + 1] == ' ' && !(CLASS(p[i + 2]) & C_SEP))
            i += 2; /* the usual ", " */
        else
            while (i < n && (CLASS(p[i]) & C_SEP))
                i++;
        if (i >= n)
            break;
        size_t ks = i, kn = 0;
        int id = known_key(p, ks, n, &kn);
        if (id != K_NONE) {
            i = ks + kn;
        } else {
            while (i < n && !(CLASS(p[i]) & C_KEYEND))
                i++;
            if (i >= n || p[i] != '=') {
                /* not a key: skip the word */
                i = skip_to_sep(p, i, n);
                continue;
            }
        }
        i++;
        span v = {p + i, 0};
        if (i < n && p[i] == '<') {
            size_t j = i + 1;
            size_t end = 0;
            while (j < n) {
                const char *g = memchr(p + j, '>', n - j);
                if (!g)
                    break;
                j = (size_t)(g - p) + 1;
                if (j == n || p[j] == ',' || p[j] == ' ' || p[j] == ';' || p[j] == ':') {
                    end = j;
                    break;
                }
            }
            if (!end)
                end = n;
            v.n = end - i;
            i = end;
        } else if (id == K_STATUS) {
            i = skip_to_sep(p, i, n);
            v.n = (size_t)(p + i - v.p);
            kv->status = v;
            kv->rest.p = p + i;
            kv->rest.n = n - i;
            return;
        } else if (!sep_space) {
            const char *c = memchr(p + i, ',', n - i);
            i = c ? (size_t)(c - p) : n;
            v.n = (size_t)(p + i - v.p);
        } else {
            i = skip_to_sep(p, i, n);
            v.n = (size_t)(p + i - v.p);
        }
        switch (id) {
        case K_TO: kv->to = v; break;
        case K_ORIG_TO: kv->orig_to = v; break;
        case K_RELAY: kv->relay = v; break;
        case K_DSN: kv->dsn = v; break;
        case K_FROM: kv->from = v; break;
        case K_SIZE: kv->size = v; break;
        case K_NRCPT: kv->nrcpt = v; break;
        case K_MSGID: kv->msgid = v; break;
        case K_CLIENT: kv->client = v; break;
        case K_HELO: kv->helo = v; break;
        default: break;
        }
    }
}

/* strip one pair of angle brackets */
static span addr(span v)
{
    if (v.n >= 2 && v.p[0] == '<' && v.p[v.n - 1] == '>') {
        v.p++;
        v.n -= 2;
    }
    return v;
}

static int64_t num(span v)
{
    int64_t x = 0;
    size_t i = 0;
    for (; i < v.n && i < 18 && is_digit((unsigned char)v.p[i]); i++)
        x = x * 10 + (v.p[i] - '0');
    return i ? x : -1;
}

static int status_of(span w)
{
    static const struct {
        const char *name;
        int ev;
    } map[] = {{"sent", BOUNCE_EVENT_DELIVERED},       {"deferred", BOUNCE_EVENT_DEFERRED},
               {"bounced", BOUNCE_EVENT_BOUNCED},      {"expired", BOUNCE_EVENT_EXPIRED},
               {"undeliverable", BOUNCE_EVENT_BOUNCED}, {"deliverable", BOUNCE_EVENT_DELIVERED},
               {"SOFTBOUNCE", BOUNCE_EVENT_DEFERRED}};
    if (w.n == 4 && memcmp(w.p, "sent", 4) == 0) /* most lines */
        return BOUNCE_EVENT_DELIVERED;
    for (size_t i = 0; i < BOUNCE__ARRAY_LEN(map); i++)
        if (strlen(map[i].name) == w.n && memcmp(map[i].name, w.p, w.n) == 0)
            return map[i].ev;
    return BOUNCE_EVENT_UNKNOWN;
}

/* SMTP command of "(in reply to RCPT TO command)" and friends */
static int stage_of_command(const char *c, size_t n)
{
    if (has_prefix(c, n, LIT("RCPT")))
        return BOUNCE_STAGE_RCPT;
    if (has_prefix(c, n, LIT("MAIL")))
        return BOUNCE_STAGE_MAIL;
    if (has_prefix(c, n, LIT("end of DATA")) || has_prefix(c, n, LIT("END-OF-MESSAGE")) ||
        has_prefix(c, n, LIT("end of data")) || has_prefix(c, n, LIT("header")) ||
        has_prefix(c, n, LIT("body")))
        return BOUNCE_STAGE_EOD;
    if (has_prefix(c, n, LIT("DATA")) || has_prefix(c, n, LIT("BDAT")))
        return BOUNCE_STAGE_DATA;
    if (has_prefix(c, n, LIT("EHLO")) || has_prefix(c, n, LIT("HELO")) ||
        has_prefix(c, n, LIT("LHLO")))
        return BOUNCE_STAGE_HELO;
    if (has_prefix(c, n, LIT("STARTTLS")))
        return BOUNCE_STAGE_STARTTLS;
    if (has_prefix(c, n, LIT("AUTH")))
        return BOUNCE_STAGE_AUTH;
    if (has_prefix(c, n, LIT("CONNECT")))
        return BOUNCE_STAGE_CONNECT;
    return BOUNCE_STAGE_UNKNOWN;
}

static int reply_code_at(const char *p, size_t n)
{
    if (n >= 3 && p[0] >= '2' && p[0] <= '5' && is_digit((unsigned char)p[1]) &&
        is_digit((unsigned char)p[2]) && (n == 3 || p[3] == ' ' || p[3] == '-'))
        return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    return 0;
}

/* stage, command and reply code of a delivery failure text */
static int failure_details(bounce_record_t *r, span d)
{
    const char *c = rfind(d.p, d.n, LIT("(in reply to "));
    if (c) {
        const char *cs = c + 13;
        size_t rem = d.n - (size_t)(cs - d.p);
        const char *ce = find(cs, rem, LIT(" command"));
        if (ce) {
            r->stage = (uint8_t)stage_of_command(cs, (size_t)(ce - cs));
            if (bounce__record_set(r, BOUNCE_FIELD_SMTP_COMMAND, cs, (size_t)(ce - cs)) < 0)
                return -1;
        }
    } else if (has_prefix(d.p, d.n, LIT("connect to ")) ||
               find(d.p, d.n, LIT("while receiving the initial server greeting")) ||
               find(d.p, d.n, LIT(": connect to "))) {
        r->stage = BOUNCE_STAGE_CONNECT;
    } else if (find(d.p, d.n, LIT("while performing the EHLO handshake")) ||
               find(d.p, d.n, LIT("while sending EHLO"))) {
        r->stage = BOUNCE_STAGE_HELO;
    } else if (find(d.p, d.n, LIT("while sending RCPT TO"))) {
        r->stage = BOUNCE_STAGE_RCPT;
    } else if (find(d.p, d.n, LIT("while sending end of data")) ||
               find(d.p, d.n, LIT("while sending message body"))) {
        r->stage = BOUNCE_STAGE_EOD;
    } else if (find(d.p, d.n, LIT("while sending MAIL FROM"))) {
        r->stage = BOUNCE_STAGE_MAIL;
    }
    const char *said = find(d.p, d.n, LIT(" said: "));
    size_t skip = 7;
    if (!said) {
        /* "host mx[ip] refused to talk to me: 421 4.7.0 ..." (the greeting) */
        said = find(d.p, d.n, LIT(" refused to talk to me: "));
        skip = 24;
        if (said && r->stage == BOUNCE_STAGE_UNKNOWN)
            r->stage = BOUNCE_STAGE_CONNECT;
    }
    if (said) {
        said += skip;
        r->reply_code = reply_code_at(said, d.n - (size_t)(said - d.p));
    } else {
        r->reply_code = reply_code_at(d.p, d.n);
    }
    return 0;
}

/* host part of "host[ip]:port" */
static span relay_host(span v)
{
    const char *b = memchr(v.p, '[', v.n);
    if (b)
        v.n = (size_t)(b - v.p);
    return v;
}

static int set(bounce_record_t *r, int field, span v)
{
    return v.p ? bounce__record_set(r, field, v.p, v.n) : 0;
}

static int emit_delivery(struct bounce__logmod *st, bounce_stream_t *s, const bounce__syslog *sl,
                         span qid, const struct kv *kv, const char *daemon, size_t daemon_len)
{
    int ev = status_of(kv->status);
    if (ev == BOUNCE_EVENT_UNKNOWN)
        return 1;
    bounce__tmsg *m = bounce__tracker_find(&st->trk, qid.p, qid.n);
    bounce_record_t *r = bounce__stream_record(s);
    if (!r)
        return -1;
    r->source = BOUNCE_SOURCE_POSTFIX;
    r->status = (uint8_t)ev;
    r->time = sl->time;
    r->line = bounce__stream_lineno(s);
    if (m) {
        m->flags |= BOUNCE__TMSG_DELIVERED;
        if (bounce__tmsg_to_record(m, r) < 0)
            return -1;
    } else if (bounce__record_set(r, BOUNCE_FIELD_QUEUE_ID, qid.p, qid.n) < 0) {
        return -1;
    }
    span d = {NULL, 0};
    if (kv->rest.p) {
        const char *p = kv->rest.p;
        size_t n = kv->rest.n;
        while (n && (*p == ' ' || *p == ',')) {
            p++;
            n--;
        }
        if (n && *p == '(') {
            const char *e = rfind(p, n, LIT(")"));
            d.p = p + 1;
            d.n = e ? (size_t)(e - p) - 1 : n - 1;
        } else if (n) {
            d.p = p;
            d.n = n;
        }
    }
    span relay = kv->relay;
    if (set(r, BOUNCE_FIELD_RECIPIENT, addr(kv->to)) < 0 ||
        (kv->orig_to.p && set(r, BOUNCE_FIELD_ORIGINAL_RECIPIENT, addr(kv->orig_to)) < 0) ||
        set(r, BOUNCE_FIELD_ENHANCED, kv->dsn) < 0 || set(r, BOUNCE_FIELD_DIAGNOSTIC, d) < 0)
        return -1;
    if (relay.p && !(relay.n == 4 && memcmp(relay.p, "none", 4) == 0)) {
        if (set(r, BOUNCE_FIELD_RELAY, relay) < 0)
            return -1;
        if (((daemon_len == 4 && (memcmp(daemon, "smtp", 4) == 0 ||
                                   memcmp(daemon, "lmtp", 4) == 0))) &&
            set(r, BOUNCE_FIELD_REMOTE_MTA, relay_host(relay)) < 0)
            return -1;
    }
    if (ev != BOUNCE_EVENT_DELIVERED) {
        if (d.p && failure_details(r, d) < 0)
            return -1;
    } else if (d.p) {
        r->reply_code = reply_code_at(d.p, d.n); /* "250 2.0.0 Ok: queued as ..." */
    }
    if (m) {
        /* remember deferred recipients: a later "status=expired" names them */
        span to = addr(kv->to);
        if (ev == BOUNCE_EVENT_DEFERRED) {
            if (to.p && bounce__tmsg_pending_put(m, to.p, to.n, d.p ? d.p : "", d.n) < 0)
                return -1;
        } else if (to.p) {
            bounce__tmsg_pending_drop(m, to.p, to.n);
        }
    }
    bounce__stream_commit(s, r);
    return 1;
}

/* "reject: RCPT from host[ip]: 554 5.7.1 text; from=<a> to=<b> proto=ESMTP helo=<h>"
 * (smtpd, postscreen, milter-reject) and cleanup's
 * "reject: header Subject: x from host[ip]; from=<a> to=<b> proto=ESMTP helo=<h>: 5.7.1 text" */
static int emit_reject(struct bounce__logmod *st, bounce_stream_t *s, const bounce__syslog *sl,
                       span qid, const char *p, size_t n)
{
    const char *semi = rfind(p, n, LIT("; from=<"));
    span head = {p, semi ? (size_t)(semi - p) : n};
    struct kv kv;
    memset(&kv, 0, sizeof kv);
    span tail_diag = {NULL, 0};
    if (semi) {
        const char *t = semi + 2;
        size_t tn = n - (size_t)(t - p);
        kv_parse(t, tn, 1, &kv);
        /* cleanup: the text follows "helo=<...>: " */
        const char *h = find(t, tn, LIT("helo=<"));
        if (h) {
            const char *hc = find(h, tn - (size_t)(h - t), LIT(">: "));
            if (hc) {
                tail_diag.p = hc + 3;
                tail_diag.n = tn - (size_t)(tail_diag.p - t);
            }
        }
    }
    /* head: "VERB from CLIENT: TEXT" */
    int stage = BOUNCE_STAGE_UNKNOWN;
    span verb = {NULL, 0}, client = {NULL, 0}, diag = tail_diag;
    const char *fr = find(head.p, head.n, LIT(" from "));
    if (fr) {
        verb.p = head.p;
        verb.n = (size_t)(fr - head.p);
        const char *cs = fr + 6;
        size_t cn = head.n - (size_t)(cs - head.p);
        const char *ce = find(cs, cn, LIT(": "));
        if (ce) {
            client.p = cs;
            client.n = (size_t)(ce - cs);
            if (!diag.p) {
                diag.p = ce + 2;
                diag.n = head.n - (size_t)(diag.p - head.p);
            }
        } else {
            client.p = cs;
            client.n = cn;
        }
        /* postscreen "[ip]:port": drop the port */
        const char *rb = client.n ? memchr(client.p, ']', client.n) : NULL;
        if (rb)
            client.n = (size_t)(rb - client.p) + 1;
        /* "header Subject: x" / "body ...": the verb is the first word */
        const char *sp = memchr(verb.p, ' ', verb.n);
        if (sp)
            verb.n = (size_t)(sp - verb.p);
        stage = stage_of_command(verb.p, verb.n);
    } else if (!diag.p) {
        diag = head;
    }
    bounce__tmsg *m = qid.p ? bounce__tracker_find(&st->trk, qid.p, qid.n) : NULL;
    bounce_record_t *r = bounce__stream_record(s);
    if (!r)
        return -1;
    r->source = BOUNCE_SOURCE_POSTFIX;
    r->status = BOUNCE_EVENT_REJECTED;
    r->time = sl->time;
    r->line = bounce__stream_lineno(s);
    r->stage = (uint8_t)stage;
    if (m) {
        if (bounce__tmsg_to_record(m, r) < 0)
            return -1;
    } else if (qid.p && bounce__record_set(r, BOUNCE_FIELD_QUEUE_ID, qid.p, qid.n) < 0) {
        return -1;
    }
    if ((kv.from.p && set(r, BOUNCE_FIELD_SENDER, addr(kv.from)) < 0) ||
        set(r, BOUNCE_FIELD_RECIPIENT, addr(kv.to)) < 0 ||
        set(r, BOUNCE_FIELD_DIAGNOSTIC, diag) < 0 ||
        set(r, BOUNCE_FIELD_REMOTE_MTA, client) < 0 ||
        set(r, BOUNCE_FIELD_SMTP_COMMAND, verb) < 0)
        return -1;
    span helo = addr(kv.helo);
    if (helo.n && set(r, BOUNCE_FIELD_HELO, helo) < 0)
        return -1;
    if (diag.p) {
        r->reply_code = reply_code_at(diag.p, diag.n);
        if (r->reply_code && diag.n > 4) {
            /* "554 5.7.1 text": the enhanced code */
            const char *e = diag.p + 4;
            size_t en = 0;
            while (en < diag.n - 4 && (is_digit((unsigned char)e[en]) || e[en] == '.'))
                en++;
            if (en >= 5 && (e[0] == '2' || e[0] == '4' || e[0] == '5') && e[1] == '.' &&
                bounce__record_set(r, BOUNCE_FIELD_ENHANCED, e, en) < 0)
                return -1;
        } else if (diag.n >= 5 && (diag.p[0] == '4' || diag.p[0] == '5') && diag.p[1] == '.') {
            size_t en = 0;
            while (en < diag.n && (is_digit((unsigned char)diag.p[en]) || diag.p[en] == '.'))
                en++;
            if (en >= 5 && bounce__record_set(r, BOUNCE_FIELD_ENHANCED, diag.p, en) < 0)
                return -1;
        }
    }
    bounce__stream_commit(s, r);
    return 1;
}

/* the tag after its last '/' (all of it if none) */
static void daemon_of(const bounce__syslog *sl, const char **d, size_t *dn)
{
    *d = sl->prog;
    *dn = sl->prog_len;
    for (size_t i = sl->prog_len; i-- > 0;)
        if (sl->prog[i] == '/') {
            *d = sl->prog + i + 1;
            *dn = sl->prog_len - i - 1;
            break;
        }
}

static int line(void *state, bounce_stream_t *s, const char *l, size_t n)
{
    struct bounce__logmod *st = state;
    bounce__syslog sl;
    if (!bounce__syslog_parse_ex(l, n, bounce__stream_reference_time(s), &sl, &st->sys) ||
        !sl.prog)
        return 0;
    /* postfix_prog(); the daemon name (after the last '/') is looked for only when needed */
    const char *daemon = NULL;
    size_t dlen = 0;
    if (!has_prefix(sl.prog, sl.prog_len, LIT("postfix"))) {
        daemon_of(&sl, &daemon, &dlen);
        if (daemon == sl.prog || !is_daemon(daemon, dlen))
            return 0;
    }
    const char *m = sl.msg;
    size_t mn = sl.msg_len;
    if (mn && (m[0] == 'w' || m[0] == 'f' || m[0] == 'p' || m[0] == 'e') &&
        (has_prefix(m, mn, LIT("warning: ")) || has_prefix(m, mn, LIT("fatal: ")) ||
         has_prefix(m, mn, LIT("panic: ")) || has_prefix(m, mn, LIT("error: "))))
        return 1;
    span qid = {NULL, 0};
    if (has_prefix(m, mn, LIT("NOQUEUE: "))) {
        m += 9;
        mn -= 9;
    } else {
        size_t q = queue_id(m, mn);
        if (!q)
            return 1; /* connect/disconnect, statistics, TLS, ...: understood, no record */
        qid.p = m;
        qid.n = q;
        m += q + 2;
        mn -= q + 2;
    }
    if (has_prefix(m, mn, LIT("reject: ")))
        return emit_reject(st, s, &sl, qid, m + 8, mn - 8);
    if (has_prefix(m, mn, LIT("milter-reject: ")))
        return emit_reject(st, s, &sl, qid, m + 15, mn - 15);
    if (!qid.p)
        return 1;

    struct kv kv;
    int created;
    bounce__tmsg *t;
    if (has_prefix(m, mn, LIT("to=<"))) {
        kv_parse(m, mn, 0, &kv);
        if (!daemon)
            daemon_of(&sl, &daemon, &dlen);
        return emit_delivery(st, s, &sl, qid, &kv, daemon, dlen);
    }
    if (has_prefix(m, mn, LIT("from=<"))) {
        kv_parse(m, mn, 0, &kv);
        if (kv.status.p) { /* "from=<x>, status=expired, returned to sender" */
            bounce_record_t *r;
            t = bounce__tracker_find(&st->trk, qid.p, qid.n);
            if (status_of(kv.status) != BOUNCE_EVENT_EXPIRED)
                return 1;
            if (t && BOUNCE__TMSG_HAS(t, BOUNCE__TF_PENDING) && t->flen[BOUNCE__TF_PENDING]) {
                /* one record per recipient still deferred, with its last diagnostic */
                size_t pos = 0, rn, dn;
                const char *rc, *dg;
                while (bounce__tmsg_pending_next(t, &pos, &rc, &rn, &dg, &dn)) {
                    if (!(r = bounce__stream_record(s)))
                        return -1;
                    r->source = BOUNCE_SOURCE_POSTFIX;
                    r->status = BOUNCE_EVENT_EXPIRED;
                    r->time = sl.time;
                    r->line = bounce__stream_lineno(s);
                    if (bounce__tmsg_to_record(t, r) < 0 ||
                        set(r, BOUNCE_FIELD_SENDER, addr(kv.from)) < 0 ||
                        bounce__record_set(r, BOUNCE_FIELD_RECIPIENT, rc, rn) < 0 ||
                        (dn && bounce__record_set(r, BOUNCE_FIELD_DIAGNOSTIC, dg, dn) < 0))
                        return -1;
                    if (dn && failure_details(r, (span){dg, dn}) < 0)
                        return -1;
                    bounce__stream_commit(s, r);
                }
                t->flen[BOUNCE__TF_PENDING] = 0;
                return 1;
            }
            if (!(r = bounce__stream_record(s)))
                return -1;
            r->source = BOUNCE_SOURCE_POSTFIX;
            r->status = BOUNCE_EVENT_EXPIRED;
            r->time = sl.time;
            r->line = bounce__stream_lineno(s);
            span d = kv.rest;
            while (d.n && (*d.p == ',' || *d.p == ' ')) {
                d.p++;
                d.n--;
            }
            if ((t ? bounce__tmsg_to_record(t, r)
                   : bounce__record_set(r, BOUNCE_FIELD_QUEUE_ID, qid.p, qid.n)) < 0 ||
                set(r, BOUNCE_FIELD_SENDER, addr(kv.from)) < 0 ||
                (d.n && set(r, BOUNCE_FIELD_DIAGNOSTIC, d) < 0))
                return -1;
            bounce__stream_commit(s, r);
            return 1;
        }
        if (!(t = bounce__tracker_get(&st->trk, s, qid.p, qid.n, &created)))
            return qid.n >= BOUNCE__TRK_ID_MAX ? 1 : -1;
        span f = addr(kv.from);
        if (bounce__tmsg_set(t, BOUNCE__TF_SENDER, f.p, f.n) < 0)
            return -1;
        if (kv.size.p)
            t->size = num(kv.size);
        if (kv.nrcpt.p)
            t->nrcpt = (int32_t)num(kv.nrcpt);
        t->flags |= BOUNCE__TMSG_QUEUED;
        if (t->time == INT64_MIN)
            t->time = sl.time;
        return 1;
    }
    if (has_prefix(m, mn, LIT("message-id=")) || has_prefix(m, mn, LIT("client=")) ||
        has_prefix(m, mn, LIT("uid="))) {
        int start = m[0] != 'm'; /* smtpd client= / pickup uid=: a message starts here */
        if (!(t = bounce__tracker_get(&st->trk, s, qid.p, qid.n, &created)))
            return -1;
        if (!created && (start || (t->flags & BOUNCE__TMSG_DELIVERED))) {
            bounce__tmsg_reset(t); /* queue id reused: a new message */
            bounce__stream_count(s, BOUNCE_STAT_MESSAGES, 1);
        }
        if (t->time == INT64_MIN)
            t->time = sl.time;
        if (m[0] == 'm') {
            span v = {m + 11, mn - 11};
            const char *sp = memchr(v.p, ' ', v.n);
            if (sp)
                v.n = (size_t)(sp - v.p);
            v = addr(v);
            if (bounce__tmsg_set(t, BOUNCE__TF_MSGID, v.p, v.n) < 0)
                return -1;
        } else {
            kv_parse(m, mn, 1, &kv);
            if (kv.client.p && bounce__tmsg_set(t, BOUNCE__TF_CLIENT, kv.client.p,
                                                kv.client.n) < 0)
                return -1;
            if (kv.from.p) {
                span f = addr(kv.from);
                if (bounce__tmsg_set(t, BOUNCE__TF_SENDER, f.p, f.n) < 0)
                    return -1;
            }
        }
        return 1;
    }
    if (mn == 7 && memcmp(m, "removed", 7) == 0) {
        if ((t = bounce__tracker_find(&st->trk, qid.p, qid.n)) != NULL)
            bounce__tracker_remove(&st->trk, s, t);
        return 1;
    }
    /* bounce: "sender non-delivery notification: NEWID" (also delivery status / delay /
     * postmaster notifications) */
    const char *nt = find(m, mn, LIT(" notification: "));
    if (nt) {
        const char *nid = nt + 15;
        size_t nn = mn - (size_t)(nid - m);
        size_t k = 0;
        while (k < nn && is_alnum((unsigned char)nid[k]))
            k++;
        if (k >= 5 && k < BOUNCE__TRK_ID_MAX) {
            if (!(t = bounce__tracker_get(&st->trk, s, nid, k, &created)))
                return -1;
            if (bounce__tmsg_set(t, BOUNCE__TF_PARENT, qid.p, qid.n) < 0)
                return -1;
            if (t->time == INT64_MIN)
                t->time = sl.time;
        }
        return 1;
    }
    return 1;
}

const bounce__stream_ops bounce__postfix_ops = {
    BOUNCE_FORMAT_POSTFIX_LOG, BOUNCE_STREAM_LOG, probe, bounce__logmod_create, line, NULL,
    bounce__logmod_finish, bounce__logmod_destroy};

/* Generator of a large, realistic, mixed Postfix log (RFC 3164 syslog lines).
 *
 * Deterministic (seeded xorshift). About 64 messages are in flight at once and their
 * lines interleave as on a busy relay. Per message: smtpd connect/client, cleanup
 * message-id, qmgr from/size/nrcpt, 1-3 recipients each with one delivery attempt or
 * more, smtpd disconnect, qmgr removed. Outcomes per attempt: about 85% sent, 7% deferred
 * (timeouts, greylisting, rate limits, full mailboxes, DNS), 4% bounced (unknown users,
 * DNSBL, DMARC, size, quota), the rest local deliveries; bounces cause a notification
 * message (bounce[]: sender non-delivery notification). About 5% of connections are
 * NOQUEUE rejects (smtpd relay/hostname checks, postscreen DNSBL). 400 domains.
 * Stamps start at Nov 21 00:00:00 and advance about 44 ms a line (1 GB: about 4 days).
 *
 * Standalone: genlog SIZE_BYTES [SEED] > file.log
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genlog.h"

#define NDOM 400
#define ACTIVE 64

struct rng {
    uint64_t s;
};

static uint32_t rnd(struct rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s >> 11);
}

static uint32_t below(struct rng *r, uint32_t n)
{
    return rnd(r) % n;
}

struct msg {
    int step;          /* next line to write */
    int nrcpt, done;   /* recipients, attempts finished */
    int notify;        /* this message is a bounce notification */
    int bounced;       /* a recipient bounced: a notification follows */
    uint32_t qid;
    uint32_t sender, sdom, pid_smtpd, pid_cleanup;
    uint32_t rcpt[3], rdom[3];
    int tries[3];
    uint32_t size;
};

struct gen {
    struct rng r;
    uint64_t t;       /* milliseconds since Nov 21 00:00:00 */
    uint32_t qseq;
    uint32_t msgseq;
    struct msg m[ACTIVE];
    char pending_notify[ACTIVE]; /* slots that must become notifications */
    uint32_t notify_qid[ACTIVE];
    uint32_t notify_to[ACTIVE], notify_dom[ACTIVE];
};

static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int stamp(struct gen *g, char *b)
{
    /* start at Nov 21; roll over days (30 days in November, 31 in December) */
    uint64_t day = g->t / 86400000, s = g->t / 1000 % 86400;
    int m = 10, d = 21 + (int)day;
    while (1) {
        int len = (m == 10) ? 30 : (m == 1 ? 28 : 31);
        if (d <= len)
            break;
        d -= len;
        m = (m + 1) % 12;
    }
    return sprintf(b, "%s %2d %02d:%02d:%02d mx1 ", mon[m], d, (int)(s / 3600),
                   (int)(s / 60 % 60), (int)(s % 60));
}

static void user(char *b, uint32_t u)
{
    static const char *const first[] = {"alice", "bob",  "carol", "dave",  "erin",  "frank",
                                        "grace", "heidi", "ivan", "judy",  "mallory", "oscar",
                                        "peggy", "trent", "victor", "walter", "info", "sales",
                                        "support", "billing"};
    sprintf(b, "%s%u", first[u % 20], u / 20 % 500);
}

static void new_message(struct gen *g, int k)
{
    struct msg *m = &g->m[k];
    memset(m, 0, sizeof *m);
    m->qid = 0x10000000u + (g->qseq++ * 2654435761u) % 0xE0000000u;
    m->sender = below(&g->r, 20 * 500);
    /* a few senders send much more than the rest */
    if (below(&g->r, 10) == 0)
        m->sender = below(&g->r, 5);
    m->sdom = below(&g->r, 8); /* our own domains d000..d007 */
    m->pid_smtpd = 1000 + below(&g->r, 30000);
    m->pid_cleanup = 1000 + below(&g->r, 30000);
    m->nrcpt = 1 + (below(&g->r, 10) == 0) + (below(&g->r, 20) == 0);
    for (int i = 0; i < m->nrcpt; i++) {
        m->rcpt[i] = below(&g->r, 20 * 500);
        m->rdom[i] = 8 + below(&g->r, NDOM - 8);
    }
    m->size = 800 + below(&g->r, 60000);
    if (g->pending_notify[k]) {
        m->notify = 1;
        m->qid = g->notify_qid[k];
        m->nrcpt = 1;
        m->rcpt[0] = g->notify_to[k];
        m->rdom[0] = g->notify_dom[k];
        m->step = 2; /* notifications start at cleanup */
        g->pending_notify[k] = 0;
    }
}

static uint64_t put(FILE *f, const char *b, int n)
{
    fwrite(b, 1, (size_t)n, f);
    return (uint64_t)n;
}

/* one line of a NOQUEUE reject connection */
static uint64_t reject_line(struct gen *g, FILE *f)
{
    char b[1024], u[64], v[64];
    int n = stamp(g, b);
    uint32_t ip = below(&g->r, 250) + 1, ip2 = below(&g->r, 250) + 1;
    user(u, below(&g->r, 10000));
    user(v, below(&g->r, 10000));
    uint32_t dom = 8 + below(&g->r, NDOM - 8);
    switch (below(&g->r, 3)) {
    case 0:
        n += sprintf(b + n,
                     "postfix/smtpd[%u]: NOQUEUE: reject: RCPT from unknown[198.51.100.%u]: 554 "
                     "5.7.1 <%s@d%03u.example>: Relay access denied; from=<%s@d%03u.example> "
                     "to=<%s@d%03u.example> proto=ESMTP helo=<spam%u.example>\n",
                     1000 + ip, ip, v, dom, u, dom, v, dom, ip2);
        break;
    case 1:
        n += sprintf(b + n,
                     "postfix/postscreen[%u]: NOQUEUE: reject: RCPT from [203.0.113.%u]:%u: 550 "
                     "5.7.1 Service unavailable; client [203.0.113.%u] blocked using "
                     "zen.spamhaus.org; from=<%s@d%03u.example>, to=<%s@d%03u.example>, "
                     "proto=ESMTP, helo=<bot%u.example>\n",
                     900, ip, 30000 + ip2 * 100, ip, u, dom, v, (unsigned)below(&g->r, 8), ip2);
        break;
    default:
        n += sprintf(b + n,
                     "postfix/smtpd[%u]: NOQUEUE: reject: RCPT from unknown[192.0.2.%u]: 450 "
                     "4.7.1 Client host rejected: cannot find your hostname, [192.0.2.%u]; "
                     "from=<%s@d%03u.example> to=<%s@d%03u.example> proto=ESMTP "
                     "helo=<[192.0.2.%u]>\n",
                     1000 + ip, ip, ip, u, dom, v, (unsigned)below(&g->r, 8), ip);
        break;
    }
    return put(f, b, n);
}

static uint64_t delivery(struct gen *g, FILE *f, struct msg *m, int i, char *b, int n, int *final,
                         int k)
{
    char u[64];
    user(u, m->rcpt[i]);
    uint32_t d = m->rdom[i], ipo = d % 250 + 1;
    uint32_t x = below(&g->r, 1000);
    *final = 1;
    if (m->notify) {
        n += sprintf(b + n,
                     "postfix/local[%u]: %X: to=<%s@d%03u.example>, relay=local, delay=0.01, "
                     "delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)\n",
                     m->pid_cleanup, m->qid, u, d);
        return put(f, b, n);
    }
    if (x < 850 || m->tries[i] >= 3) {
        n += sprintf(b + n,
                     "postfix/smtp[%u]: %X: to=<%s@d%03u.example>, relay=mx%u.d%03u.example"
                     "[203.0.113.%u]:25, delay=%u.%u, delays=0.%u/0.01/0.%u/0.%u, dsn=2.0.0, "
                     "status=sent (250 2.0.0 Ok: queued as %X)\n",
                     m->pid_smtpd + 1, m->qid, u, d, d % 3, d, ipo, x % 5, x % 10, x % 9,
                     x % 7, x % 8, m->qid ^ 0x5A5A5u);
        return put(f, b, n);
    }
    if (x < 920) {
        static const char *const why[] = {
            "", "450 4.2.0 <rcpt>: Recipient address rejected: Greylisted, see "
                "https://postgrey.example/help (in reply to RCPT TO command)",
            "421 4.7.0 Too many connections from your IP, try again later (in reply to MAIL "
            "FROM command)",
            "452 4.2.2 Mailbox full (in reply to end of DATA command)", ""};
        char t[400], host[64];
        uint32_t w = below(&g->r, 5);
        snprintf(host, sizeof host, "mx%u.d%03u.example[203.0.113.%u]", d % 3, d, ipo);
        char relay[80];
        snprintf(relay, sizeof relay, "%s:25", host);
        if (w == 0)
            snprintf(t, sizeof t, "connect to %s:25: Connection timed out", host);
        else if (w == 4)
            snprintf(t, sizeof t, "lost connection with %s while receiving the initial server "
                     "greeting", host);
        else
            snprintf(t, sizeof t, "host %s said: %s", host, why[w]);
        n += sprintf(b + n,
                     "postfix/smtp[%u]: %X: to=<%s@d%03u.example>, relay=%s, delay=%u, "
                     "delays=0.1/0/%u/0, dsn=%s, status=deferred (%s)\n",
                     m->pid_smtpd + 2, m->qid, u, d, w == 0 ? "none" : relay,
                     30 + x % 300, 30, w == 3 ? "4.2.2" : w == 2 ? "4.7.0" : "4.4.1", t);
        m->tries[i]++;
        *final = 0;
        return put(f, b, n);
    }
    if (x < 960) {
        static const char *const why[] = {
            "550 5.1.1 <rcpt>: Recipient address rejected: User unknown in virtual mailbox "
            "table (in reply to RCPT TO command)",
            "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
            "zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1 (in reply to RCPT TO "
            "command)",
            "550-5.7.26 Unauthenticated email from d000.example is not accepted due to domain's "
            "DMARC policy (in reply to end of DATA command)",
            "552 5.3.4 Message size exceeds fixed limit (in reply to end of DATA command)",
            "552 5.2.2 <rcpt>: Mailbox quota exceeded (in reply to RCPT TO command)"};
        static const char *const dsn[] = {"5.1.1", "5.7.1", "5.7.26", "5.3.4", "5.2.2"};
        char t[400];
        uint32_t w = below(&g->r, 5);
        snprintf(t, sizeof t, "host mx%u.d%03u.example[203.0.113.%u] said: %s", d % 3, d, ipo,
                 why[w]);
        n += sprintf(b + n,
                     "postfix/smtp[%u]: %X: to=<%s@d%03u.example>, relay=mx%u.d%03u.example"
                     "[203.0.113.%u]:25, delay=1.%u, delays=0.1/0/0.5/0.%u, dsn=%s, "
                     "status=bounced (%s)\n",
                     m->pid_smtpd + 3, m->qid, u, d, d % 3, d, ipo, x % 10, x % 10, dsn[w], t);
        m->bounced = 1;
        (void)k;
        return put(f, b, n);
    }
    if (x < 975) {
        n += sprintf(b + n,
                     "postfix/smtp[%u]: %X: to=<%s@d%03u.example>, relay=none, delay=0.2, "
                     "delays=0.1/0/0.1/0, dsn=5.4.4, status=bounced (Host or domain name not "
                     "found. Name service error for name=d%03u.example type=A: Host not found)\n",
                     m->pid_smtpd + 4, m->qid, u, d, d);
        m->bounced = 1;
        return put(f, b, n);
    }
    n += sprintf(b + n,
                 "postfix/virtual[%u]: %X: to=<%s@d%03u.example>, relay=virtual, delay=0.05, "
                 "delays=0.01/0/0/0.04, dsn=2.0.0, status=sent (delivered to maildir)\n",
                 m->pid_cleanup + 5, m->qid, u, m->sdom);
    return put(f, b, n);
}

/* Write the next line of message slot k; returns bytes written. */
static uint64_t step(struct gen *g, FILE *f, int k)
{
    struct msg *m = &g->m[k];
    char b[2048], u[64];
    int n = stamp(g, b);
    switch (m->step) {
    case 0:
        m->step = 1;
        n += sprintf(b + n, "postfix/smtpd[%u]: connect from client%u.d%03u.example[192.0.2.%u]\n",
                     m->pid_smtpd, m->sender % 200, m->sdom, m->sender % 250 + 1);
        return put(f, b, n);
    case 1:
        m->step = 2;
        user(u, m->sender);
        n += sprintf(b + n,
                     "postfix/smtpd[%u]: %X: client=client%u.d%03u.example[192.0.2.%u], "
                     "sasl_method=PLAIN, sasl_username=%s\n",
                     m->pid_smtpd, m->qid, m->sender % 200, m->sdom, m->sender % 250 + 1, u);
        return put(f, b, n);
    case 2:
        m->step = 3;
        n += sprintf(b + n, "postfix/cleanup[%u]: %X: message-id=<%u.%X@d%03u.example>\n",
                     m->pid_cleanup, m->qid, g->msgseq++, m->qid, m->sdom);
        return put(f, b, n);
    case 3:
        m->step = 4;
        if (m->notify)
            n += sprintf(b + n, "postfix/qmgr[900]: %X: from=<>, size=%u, nrcpt=1 (queue active)\n",
                         m->qid, m->size + 2000);
        else {
            user(u, m->sender);
            n += sprintf(b + n,
                         "postfix/qmgr[900]: %X: from=<%s@d%03u.example>, size=%u, nrcpt=%d "
                         "(queue active)\n",
                         m->qid, u, m->sdom, m->size, m->nrcpt);
        }
        return put(f, b, n);
    case 4:
        if (m->done < m->nrcpt) {
            int i = m->done, fin;
            uint64_t w = delivery(g, f, m, i, b, n, &fin, k);
            if (fin)
                m->done++;
            return w;
        }
        m->step = 5;
        if (m->bounced) {
            /* the notification goes back to the sender */
            uint32_t nq = 0x10000000u + (g->qseq++ * 2654435761u) % 0xE0000000u;
            n += sprintf(b + n, "postfix/bounce[%u]: %X: sender non-delivery notification: %X\n",
                         m->pid_cleanup + 7, m->qid, nq);
            g->pending_notify[k] = 1;
            g->notify_qid[k] = nq;
            g->notify_to[k] = m->sender;
            g->notify_dom[k] = m->sdom;
            return put(f, b, n);
        }
        /* fall through */
    case 5:
        m->step = 6;
        if (!m->notify) {
            n += sprintf(b + n,
                         "postfix/smtpd[%u]: disconnect from client%u.d%03u.example[192.0.2.%u] "
                         "ehlo=1 auth=1 mail=1 rcpt=%d data=1 quit=1 commands=%d\n",
                         m->pid_smtpd, m->sender % 200, m->sdom, m->sender % 250 + 1, m->nrcpt,
                         5 + m->nrcpt);
            return put(f, b, n);
        }
        /* fall through */
    default:
        n += sprintf(b + n, "postfix/qmgr[900]: %X: removed\n", m->qid);
        new_message(g, k);
        return put(f, b, n);
    }
}

uint64_t bounce_bench_genlog(FILE *f, uint64_t bytes, uint64_t seed)
{
    struct gen *g = calloc(1, sizeof *g);
    uint64_t w = 0;
    if (!g)
        return 0;
    g->r.s = seed ? seed : 0x9E3779B97F4A7C15ull;
    for (int k = 0; k < ACTIVE; k++)
        new_message(g, k);
    while (w < bytes) {
        g->t += below(&g->r, 88); /* ~44 ms a line: 1 GB spans about 4 days */
        if (below(&g->r, 40) == 0)
            w += reject_line(g, f);
        else
            w += step(g, f, (int)below(&g->r, ACTIVE));
    }
    free(g);
    return w;
}

#ifndef GENLOG_NO_MAIN
int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: genlog SIZE_BYTES [SEED] > file.log\n");
        return 2;
    }
    uint64_t size = strtoull(argv[1], NULL, 10);
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
    static char buf[1 << 20];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    bounce_bench_genlog(stdout, size, seed);
    return fflush(stdout) == 0 ? 0 : 1;
}
#endif

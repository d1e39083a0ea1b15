/* eval_dsn: score libbounce's bounce-message parser against a labelled corpus.
 *
 *   eval_dsn [-v] [-p PASSES] [--kb PATH] CORPUS_DIR
 *
 * CORPUS_DIR holds labels.tsv (path, index, status, replycode, reason, hardbounce; one row
 * per expected recipient, in order) and maildir/{bsd,dos,mac,not}/ (LF, CRLF and CR-only
 * copies, and messages that are not bounces). Prints: messages read, recipients found vs
 * expected (recall, extra), reason / enhanced-status / hard-bounce accuracy, a per-reason
 * confusion table, the LF/CRLF/CR identity check, recipients found in not/ (must be 0),
 * and messages per second (parse + classify, files preloaded, several passes).
 * -v lists every miss (-vv every recipient) (file, recipient index, expected and got reason, cause, evidence,
 * record status, SMTP command, enhanced code, diagnostic). Misses in a class libbounce
 * disagrees with on purpose are marked and counted (debatable[] below). Only the public
 * API is used. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <bounce.h>

typedef struct label {
    char *path;
    int index;
    char status[16];
    int code;
    char reason[32];
    int hard;
} label;

typedef struct msg {
    char *path; /* relative to the corpus dir: maildir/bsd/x.eml */
    char *buf;
    size_t len;
} msg;

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f)
        return NULL;
    for (;;) {
        size_t r;
        if (n == cap) {
            char *nb;
            cap = cap ? cap * 2 : 65536;
            nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        r = fread(buf + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    *len = n;
    return buf ? buf : calloc(1, 1);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t load_dir(const char *root, const char *sub, msg **msgs, size_t *n, size_t *cap)
{
    char dir[4096];
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t nn = 0, cn = 0, i, added = 0;
    snprintf(dir, sizeof(dir), "%s/maildir/%s", root, sub);
    d = opendir(dir);
    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (nn == cn) {
            cn = cn ? cn * 2 : 256;
            names = realloc(names, cn * sizeof(*names));
            if (!names)
                exit(3);
        }
        names[nn++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, nn, sizeof(*names), cmp_str);
    for (i = 0; i < nn; i++) {
        char full[8192], rel[4096];
        size_t len;
        char *buf;
        snprintf(full, sizeof(full), "%s/%s", dir, names[i]);
        snprintf(rel, sizeof(rel), "maildir/%s/%s", sub, names[i]);
        free(names[i]);
        buf = read_file(full, &len);
        if (!buf)
            continue;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 512;
            *msgs = realloc(*msgs, *cap * sizeof(**msgs));
            if (!*msgs)
                exit(3);
        }
        (*msgs)[*n].path = strdup(rel);
        (*msgs)[*n].buf = buf;
        (*msgs)[*n].len = len;
        (*n)++;
        added++;
    }
    free(names);
    return added;
}

static label *load_labels(const char *root, size_t *n)
{
    char path[4096], line[4096];
    FILE *f;
    label *l = NULL;
    size_t cap = 0;
    *n = 0;
    snprintf(path, sizeof(path), "%s/labels.tsv", root);
    f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "eval_dsn: cannot read %s\n", path);
        return NULL;
    }
    while (fgets(line, sizeof(line), f)) {
        char *fld[6] = {0}, *p = line;
        int k;
        line[strcspn(line, "\r\n")] = '\0';
        for (k = 0; k < 6; k++) {
            fld[k] = p;
            p = strchr(p, '\t');
            if (!p) {
                k++;
                break;
            }
            *p++ = '\0';
        }
        if (k < 6 || !strcmp(fld[0], "path"))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 512;
            l = realloc(l, cap * sizeof(*l));
            if (!l)
                exit(3);
        }
        l[*n].path = strdup(fld[0]);
        l[*n].index = atoi(fld[1]);
        snprintf(l[*n].status, sizeof(l[*n].status), "%s", fld[2]);
        l[*n].code = atoi(fld[3]);
        snprintf(l[*n].reason, sizeof(l[*n].reason), "%s", fld[4]);
        l[*n].hard = atoi(fld[5]);
        (*n)++;
    }
    fclose(f);
    return l;
}

/* Messages in a file read as an mbox: a new message starts at a "From " line at the
 * start of the file or after a blank line, followed by a header line. Fills starts[]
 * (offsets); returns the count (at least 1). */
static size_t mbox_split(const char *b, size_t len, size_t *starts, size_t max)
{
    size_t n = 0, pos = 0;
    starts[n++] = 0;
    while (pos < len && n < max) {
        const char *nl = memchr(b + pos, '\n', len - pos);
        size_t e = nl ? (size_t)(nl - b) : len;
        if (pos > 1 && e - pos > 5 && memcmp(b + pos, "From ", 5) == 0 && b[pos - 1] == '\n' &&
            (b[pos - 2] == '\n' || (pos > 2 && b[pos - 2] == '\r' && b[pos - 3] == '\n'))) {
            /* next line must look like a header */
            size_t q = e + 1, k = q;
            while (k < len && k - q < 80 && b[k] != ':' && b[k] != ' ' && b[k] != '\n')
                k++;
            if (k < len && b[k] == ':' && k > q)
                starts[n++] = pos;
        }
        pos = e + 1;
    }
    return n;
}

/* Parse every message of a file; records of all of them, in order, go to *all. */
static size_t parse_file(const bounce_kb_t *kb, const msg *m, bounce_dsn_t **ds, size_t max)
{
    size_t starts[16], n = mbox_split(m->buf, m->len, starts, 16), i, got = 0;
    for (i = 0; i < n && got < max; i++) {
        size_t end = i + 1 < n ? starts[i + 1] : m->len;
        bounce_dsn_t *d = NULL;
        if (bounce_dsn_parse(kb, m->buf + starts[i], end - starts[i], m->path, 0, &d) ==
            BOUNCE_OK)
            ds[got++] = d;
    }
    return got;
}

/* JSON of all records without the file name, to compare line-ending variants. */
static char *result_key(const bounce_kb_t *kb, const msg *m)
{
    bounce_dsn_t *d = NULL;
    char *json = NULL;
    if (bounce_dsn_parse(kb, m->buf, m->len, NULL, 0, &d) != BOUNCE_OK)
        return NULL;
    if (bounce_dsn_to_json(d, BOUNCE_JSON_CANONICAL, &json) != BOUNCE_OK)
        json = NULL;
    bounce_dsn_free(d);
    return json;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define NREASON 34

/* Labels where libbounce disagrees on purpose: a file, or a class of misses (expected
 * reason, reason given, and optionally the cause). Misses are counted per entry and
 * printed, so a reader sees how much of the gap is a difference of convention. */
static const struct {
    const char *file, *want, *got, *cause;
    const char *why;
    const char *cmd; /* the record's SMTP command must be this ("-": none), or NULL: any */
} debatable[] = {
    {"rb-issue-368-bug.eml", NULL, NULL, NULL,
     "a real bounce notification from postmaster (\"Your message was rejected ... reject "
     "reason: Mailbox full / target mail address: ...\"), filed under not/ by the corpus: it "
     "names one recipient and a reason, so libbounce reports it (mailboxfull) on purpose.", NULL},
    {NULL, "filtered", "userunknown", "recipient.unknown_user",
     "an unknown-user text with no SMTP stage that libbounce takes as firm: one without a "
     "reply code (an MTA writing about its own users, '[User unknown]', as Exchange and Domino "
     "do), or a wording tagged as a provider's own (RFC 5321's 'Requested action not taken: "
     "mailbox unavailable', tagged GMX); Sisimai guesses filtered when it cannot tell the "
     "stage.", "-"},
    {NULL, "filtered", "userunknown", "recipient.unknown_user",
     "Sendmail's pipelined transcript ('>>> DATA' then the recipient's '<<< 550 ... <rcpt>: "
     "Recipient address rejected: User unknown', Postfix's RCPT-time reply): Sisimai takes the "
     "last command sent (DATA, so filtered); the reply is the RCPT one (userunknown).", "RCPT"},
    {NULL, "userunknown", "filtered", "recipient.unknown_user",
     "'550 - Requested action not taken: no such user here' with no stage: the corpus labels "
     "the same reply userunknown here (Verizon) and filtered in lhost-apachejames-01; "
     "libbounce reads both the same way (filtered: a relayed reply whose stage is unknown).", "-"},
    {NULL, "suspend", "filtered", "recipient.unknown_user",
     "'550 5.2.1 <rcpt>... User Unknown' with no stage: the corpus labels this shape suspend "
     "here (from 5.2.1) and filtered in lhost-sendmail-02 #2; libbounce reads both the same "
     "way (filtered).", NULL},
    {NULL, "blocked", "requireptr", "dns.missing_ptr",
     "'missing reverse DNS' for the sending IP: requireptr, whatever the stage.", NULL},
    {NULL, "rejected", "filtered", "recipient.unknown_user",
     "'550 Unknown user' / 'All recipient addresses rejected' after DATA: Sisimai's NTT docomo "
     "and m-FILTER modules read it as the recipient refusing this sender (rejected); nothing in "
     "the text names the sender, so libbounce keeps its stage rule (filtered).", NULL},
    {NULL, "networkerror", "expired", "network.connection_timeout",
     "qmail's 'wasn't able to establish an SMTP connection ... in the queue too long': the "
     "same wording is labelled expired elsewhere in the corpus; libbounce says expired for "
     "both (the MTA retried until the message's lifetime ran out).", NULL},
    {NULL, "blocked", "networkerror", "network.connection_refused",
     "Sendmail's 'Deferred: Connection refused by HOST' until the message expired: the host "
     "refused TCP connections (down, or closed to everyone); nothing says it refused this "
     "client, so networkerror, as for Postfix's 'connect to HOST: Connection refused' (the "
     "real-MTA test's host with nothing listening gives exactly that).", NULL},
    {NULL, "blocked", "networkerror", "network.lost_connection",
     "'Connection reset by peer' after a 550 at DATA in an old Sendmail transcript: the lost "
     "connection decides; nothing says the host refused this client.", NULL},
    {NULL, "policyviolation", "syntaxerror", "syntax.protocol",
     "'550 Protocol violation': the server says the SMTP dialogue broke its rules "
     "(syntaxerror, like Exim's and Postfix's protocol errors), not which policy refused it.", NULL},
    {NULL, "securityerror", "policyviolation", "policy.violation",
     "'550 5.7.1 <rcpt>... Access denied': a recipient refused by the receiver's access rules "
     "(5.7.1, policyviolation); nothing in it is about security or authentication.", NULL},
    {"rhost-messagelabs-03.eml", "userunknown", "onhold", NULL,
     "'542 <rcpt> Rejected': a non-standard reply code and one word; nothing says that the "
     "user does not exist.", NULL},
};

/* The entry of debatable[] a miss falls in, or -1. */
static int debatable_index(const char *path, const char *want, const char *got, const char *cause,
                           const char *cmd)
{
    size_t i;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (i = 0; i < sizeof(debatable) / sizeof(debatable[0]); i++) {
        if (debatable[i].file) {
            if (!strcmp(debatable[i].file, base))
                return (int)i;
            continue;
        }
        if (strcmp(debatable[i].want, want) || strcmp(debatable[i].got, got))
            continue;
        if (debatable[i].cause && (!cause || strcmp(debatable[i].cause, cause)))
            continue;
        if (debatable[i].cmd && strcmp(debatable[i].cmd, cmd && *cmd ? cmd : "-"))
            continue;
        return (int)i;
    }
    return -1;
}

int main(int argc, char **argv)
{
    const char *root = NULL, *kbpath = NULL;
    const bounce_kb_t *kb;
    msg *msgs = NULL;
    size_t nmsgs = 0, capm = 0, nlabels = 0, i, j;
    label *labels;
    int verbose = 0, passes = 5;
    size_t exp_total = 0, found_matched = 0, extra = 0, reason_ok = 0, reason_n = 0;
    size_t esc_ok = 0, esc_n = 0, hard_ok = 0, hard_n = 0, code_ok = 0, code_n = 0;
    size_t esc_pseudo = 0, parse_failed = 0, not_found = 0, not_msgs = 0, twins = 0, twins_same = 0, nbsd = 0;
    static size_t confusion[NREASON][NREASON];
    static size_t per_reason_n[NREASON], per_reason_ok[NREASON];
    size_t deb_n[sizeof(debatable) / sizeof(debatable[0])] = {0}, deb_total = 0;

    for (i = 1; i < (size_t)argc; i++) {
        if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else if (!strcmp(argv[i], "-vv"))
            verbose = 2;
        else if (!strcmp(argv[i], "-p") && i + 1 < (size_t)argc)
            passes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--kb") && i + 1 < (size_t)argc)
            kbpath = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: eval_dsn [-v] [-p PASSES] [--kb PATH] CORPUS_DIR\n");
            return 2;
        } else
            root = argv[i];
    }
    if (!root) {
        fprintf(stderr, "usage: eval_dsn [-v] [-p PASSES] [--kb PATH] CORPUS_DIR\n");
        return 2;
    }
    kb = bounce_kb_builtin();
    if (kbpath) {
        bounce_kb_t *k = NULL;
        bounce_diag_t *dg = NULL;
        if (bounce_kb_load_file(kb, kbpath, &k, &dg) != BOUNCE_OK) {
            fprintf(stderr, "eval_dsn: %s:%zu: %s\n", kbpath, dg ? bounce_diag_line(dg) : 0,
                    dg ? bounce_diag_message(dg) : "cannot load");
            bounce_diag_free(dg);
            return 1;
        }
        kb = k;
    }
    labels = load_labels(root, &nlabels);
    if (!labels)
        return 1;
    nbsd = load_dir(root, "bsd", &msgs, &nmsgs, &capm);
    load_dir(root, "dos", &msgs, &nmsgs, &capm);
    load_dir(root, "mac", &msgs, &nmsgs, &capm);
    load_dir(root, "not", &msgs, &nmsgs, &capm);
    if (!nmsgs) {
        fprintf(stderr, "eval_dsn: no messages under %s/maildir\n", root);
        return 1;
    }

    for (i = 0; i < nmsgs; i++) {
        const msg *m = &msgs[i];
        bounce_dsn_t *dd[16];
        const bounce_record_t *recs[256];
        size_t nd, nrec = 0, nexp = 0, q;
        int is_not = strncmp(m->path, "maildir/not/", 12) == 0;
        nd = parse_file(kb, m, dd, 16);
        if (!nd) {
            if (parse_failed++ < 5)
                fprintf(stderr, "eval_dsn: %s: parse failed\n", m->path);
            continue;
        }
        for (q = 0; q < nd; q++)
            for (j = 0; j < bounce_dsn_record_count(dd[q]) && nrec < 256; j++)
                recs[nrec++] = bounce_dsn_record(dd[q], j);
        if (is_not) {
            not_msgs++;
            not_found += nrec;
            if (nrec) {
                int k = debatable_index(m->path, "", "", NULL, NULL);
                if (k >= 0)
                    deb_n[k] += nrec;
                if (verbose)
                    printf("NOT-BOUNCE %s: %zu recipient(s) found%s\n", m->path, nrec,
                           k >= 0 ? " [documented disagreement]" : "");
            }
            for (q = 0; q < nd; q++)
                bounce_dsn_free(dd[q]);
            continue;
        }
        for (j = 0; j < nlabels; j++) {
            const label *l = &labels[j];
            const bounce_record_t *r;
            const bounce_result_t *res;
            int reason, want;
            if (strcmp(l->path, m->path))
                continue;
            nexp++;
            exp_total++;
            if ((size_t)l->index > nrec) {
                if (verbose)
                    printf("MISSED %s #%d (want %s)\n", m->path, l->index, l->reason);
                continue;
            }
            found_matched++;
            r = recs[(size_t)l->index - 1];
            res = bounce_record_result(r);
            reason = bounce_result_reason(res);
            want = bounce_enum_from_name(BOUNCE_ENUM_REASON, l->reason);
            reason_n++;
            if (want >= 0 && want < NREASON) {
                per_reason_n[want]++;
                if (reason >= 0 && reason < NREASON)
                    confusion[want][reason]++;
            }
            if (reason == want) {
                reason_ok++;
                if (want >= 0)
                    per_reason_ok[want]++;
            }
            if (reason != want) {
                int k = debatable_index(m->path, l->reason,
                                        bounce_enum_name(BOUNCE_ENUM_REASON, reason),
                                        bounce_result_cause(res),
                                        bounce_record_get(r, BOUNCE_FIELD_SMTP_COMMAND));
                if (k >= 0) {
                    deb_n[k]++;
                    deb_total++;
                }
            }
            if (verbose && (reason != want || verbose > 1)) {
                const char *dg = bounce_record_get(r, BOUNCE_FIELD_DIAGNOSTIC);
                const char *cmd = bounce_record_get(r, BOUNCE_FIELD_SMTP_COMMAND);
                const char *en = bounce_record_get(r, BOUNCE_FIELD_ENHANCED);
                printf("%s %s #%d want %s got %s cause=%s ev=%s status=%s cmd=%s esc=%s "
                       "code=%d%s diag=%.300s\n",
                       reason == want ? "OK" : "REASON", m->path, l->index, l->reason, bounce_enum_name(BOUNCE_ENUM_REASON, reason),
                       bounce_result_cause(res) ? bounce_result_cause(res) : "-",
                       bounce_result_evidence(res),
                       bounce_enum_name(BOUNCE_ENUM_EVENT, bounce_record_status(r)),
                       cmd ? cmd : "-", en ? en : "-", bounce_record_reply_code(r),
                       reason != want &&
                               debatable_index(m->path, l->reason,
                                               bounce_enum_name(BOUNCE_ENUM_REASON, reason),
                                               bounce_result_cause(res),
                                               bounce_record_get(r, BOUNCE_FIELD_SMTP_COMMAND)) >= 0
                           ? " [documented disagreement]"
                           : "",
                       dg ? dg : "-");
            }
            if (l->status[0] && strlen(l->status) >= 7 && l->status[4] == '9') {
                esc_pseudo++; /* Sisimai's own 5.0.9xx codes: not in any message */
            } else if (l->status[0]) {
                const char *e = bounce_record_get(r, BOUNCE_FIELD_ENHANCED);
                if (!e || !*e)
                    e = bounce_result_enhanced(res);
                esc_n++;
                if (e && !strcmp(e, l->status))
                    esc_ok++;
                else if (verbose)
                    printf("STATUS %s #%d want %s got %s\n", m->path, l->index, l->status,
                           e ? e : "-");
            }
            if (l->code) {
                code_n++;
                if (bounce_record_reply_code(r) == l->code)
                    code_ok++;
                else if (verbose)
                    printf("CODE %s #%d want %d got %d\n", m->path, l->index, l->code,
                           bounce_record_reply_code(r));
            }
            hard_n++;
            if ((bounce_result_hard_bounce(res) ? 1 : 0) == l->hard)
                hard_ok++;
            else if (verbose)
                printf("HARD %s #%d want %d got %d (want reason %s, got %s, cause %s, %s)\n",
                       m->path, l->index, l->hard, bounce_result_hard_bounce(res) ? 1 : 0,
                       l->reason, bounce_enum_name(BOUNCE_ENUM_REASON, bounce_result_reason(res)),
                       bounce_result_cause(res),
                       bounce_enum_name(BOUNCE_ENUM_SEVERITY, bounce_result_severity(res)));
        }
        if (nrec > nexp) {
            extra += nrec - nexp;
            if (verbose)
                for (j = nexp; j < nrec; j++)
                    printf("EXTRA %s #%zu %s\n", m->path, j + 1,
                           bounce_record_get(recs[j], BOUNCE_FIELD_RECIPIENT));
        }
        for (q = 0; q < nd; q++)
            bounce_dsn_free(dd[q]);
    }

    /* LF / CRLF / CR twins give identical records */
    for (i = 0; i < nmsgs; i++) {
        const char *base;
        char *k0;
        if (strncmp(msgs[i].path, "maildir/dos/", 12) && strncmp(msgs[i].path, "maildir/mac/", 12))
            continue;
        base = msgs[i].path + 12;
        for (j = 0; j < nbsd; j++)
            if (!strcmp(msgs[j].path + 12, base))
                break;
        if (j == nbsd)
            continue;
        twins++;
        k0 = result_key(kb, &msgs[j]);
        {
            char *k1 = result_key(kb, &msgs[i]);
            if (k0 && k1 && !strcmp(k0, k1))
                twins_same++;
            else if (verbose)
                printf("LINE-ENDINGS %s differs from its LF twin\n", msgs[i].path);
            bounce_free(k1);
        }
        bounce_free(k0);
    }

    printf("libbounce %s, eval_dsn on %s\n", bounce_version(), root);
    printf("messages read:            %zu (%zu LF, %zu CRLF/CR copies, %zu not bounces)\n",
           nmsgs, nbsd, nmsgs - nbsd - not_msgs, not_msgs);
    printf("recipients expected:      %zu\n", exp_total);
    printf("recipients found:         %zu matched (recall %.2f%%), %zu extra (%.2f%%)\n",
           found_matched, exp_total ? 100.0 * (double)found_matched / (double)exp_total : 0.0,
           extra, exp_total ? 100.0 * (double)extra / (double)exp_total : 0.0);
    printf("reason accuracy:          %zu/%zu (%.2f%%)\n", reason_ok, reason_n,
           reason_n ? 100.0 * (double)reason_ok / (double)reason_n : 0.0);
    printf("enhanced-status accuracy: %zu/%zu (%.2f%%) (%zu labels with Sisimai's pseudo "
           "codes X.0.9xx not compared)\n",
           esc_ok, esc_n, esc_n ? 100.0 * (double)esc_ok / (double)esc_n : 0.0, esc_pseudo);
    printf("reply-code accuracy:      %zu/%zu (%.2f%%)\n", code_ok, code_n,
           code_n ? 100.0 * (double)code_ok / (double)code_n : 0.0);
    printf("hard-bounce accuracy:     %zu/%zu (%.2f%%)\n", hard_ok, hard_n,
           hard_n ? 100.0 * (double)hard_ok / (double)hard_n : 0.0);
    printf("LF/CRLF/CR identical:     %zu/%zu twins\n", twins_same, twins);
    printf("recipients in not/:       %zu (in %zu messages; must be 0)\n", not_found, not_msgs);

    printf("\nper-reason (expected -> got, misses only):\n");
    for (i = 0; i < NREASON; i++) {
        if (!per_reason_n[i])
            continue;
        printf("  %-16s %3zu/%-3zu", bounce_enum_name(BOUNCE_ENUM_REASON, (int)i),
               per_reason_ok[i], per_reason_n[i]);
        for (j = 0; j < NREASON; j++)
            if (j != i && confusion[i][j])
                printf("  %s:%zu", bounce_enum_name(BOUNCE_ENUM_REASON, (int)j), confusion[i][j]);
        printf("\n");
    }

    printf("\nlabels libbounce disagrees with on purpose (%zu of the reason misses; reason "
           "accuracy if they are granted: %.2f%%):\n",
           deb_total, reason_n ? 100.0 * (double)(reason_ok + deb_total) / (double)reason_n : 0.0);
    for (i = 0; i < sizeof(debatable) / sizeof(debatable[0]); i++) {
        if (debatable[i].file)
            printf("  [%zu] %s: %s\n", deb_n[i], debatable[i].file, debatable[i].why);
        else
            printf("  [%zu] want %s, got %s%s%s%s%s%s: %s\n", deb_n[i], debatable[i].want,
                   debatable[i].got, debatable[i].cause ? " (" : "",
                   debatable[i].cause ? debatable[i].cause : "", debatable[i].cause ? ")" : "",
                   debatable[i].cmd ? ", SMTP command " : "",
                   debatable[i].cmd ? debatable[i].cmd : "", debatable[i].why);
    }

    /* speed: parse + classify only, files in memory */
    {
        double t0 = now_sec(), c0 = cpu_sec(), dt, ct;
        size_t done = 0, bytes = 0;
        int p;
        for (p = 0; p < passes; p++)
            for (i = 0; i < nmsgs; i++) {
                bounce_dsn_t *d = NULL;
                if (bounce_dsn_parse(kb, msgs[i].buf, msgs[i].len, msgs[i].path, 0, &d) ==
                    BOUNCE_OK)
                    done++;
                bytes += msgs[i].len;
                bounce_dsn_free(d);
            }
        dt = now_sec() - t0;
        ct = cpu_sec() - c0;
        printf("\nspeed: %zu messages in %.3f s = %.0f messages/s (%.1f MB/s, %d passes); "
               "CPU time %.3f s = %.0f messages/s per core\n",
               done, dt, dt > 0 ? (double)done / dt : 0.0,
               dt > 0 ? (double)bytes / dt / 1e6 : 0.0, passes, ct,
               ct > 0 ? (double)done / ct : 0.0);
    }

    for (i = 0; i < nmsgs; i++) {
        free(msgs[i].path);
        free(msgs[i].buf);
    }
    free(msgs);
    for (i = 0; i < nlabels; i++)
        free(labels[i].path);
    free(labels);
    if (kbpath)
        bounce_kb_free(kb);
    return 0;
}

/* bounce dsn: parse bounce messages (DSN, NDR, ARF, auto-replies) and report every
 * failed recipient with its reason, cause and remediation.
 *
 *   bounce dsn [--json] [--kb PATH] [--mta NAME] PATH...
 *
 * PATH is a message, a Maildir (cur/ and new/), an mbox file ("From " separator lines),
 * a folder of messages, or "-" (standard input); .gz is read transparently. Messages of
 * an mbox are read one at a time, so memory follows the largest message, not the file. */
#define _GNU_SOURCE
#include "cli.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_MESSAGE (64u * 1024u * 1024u)

/* One group of the human report: a cause. */
struct group {
    char *cause, *reason, *explanation;
    char **steps;
    size_t nsteps;
    char **rcpts;
    size_t nrcpts, caprcpts, count;
    int hard;
};

struct dsn_run {
    const bounce_kb_t *kb;
    int json, mta, problems;
    size_t messages, records, not_bounces;
    size_t kinds[6];
    struct group *groups;
    size_t ngroups, capgroups;
};

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) {
        fprintf(stderr, "bounce dsn: out of memory\n");
        exit(CLI_INPUT_PROBLEM);
    }
    return d;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "bounce dsn: out of memory\n");
        exit(CLI_INPUT_PROBLEM);
    }
    return q;
}

static struct group *group_for(struct dsn_run *run, const bounce_record_t *rec)
{
    const bounce_result_t *r = bounce_record_result(rec);
    const char *cause = bounce_result_cause(r);
    const char *reason = bounce_enum_name(BOUNCE_ENUM_REASON, bounce_result_reason(r));
    size_t i, n;
    struct group *g;
    if (!cause)
        cause = "unknown";
    if (!reason)
        reason = "undefined";
    for (i = 0; i < run->ngroups; i++)
        if (!strcmp(run->groups[i].cause, cause) && !strcmp(run->groups[i].reason, reason))
            return &run->groups[i];
    if (run->ngroups == run->capgroups) {
        run->capgroups = run->capgroups ? run->capgroups * 2 : 16;
        run->groups = xrealloc(run->groups, run->capgroups * sizeof(*run->groups));
    }
    g = &run->groups[run->ngroups++];
    memset(g, 0, sizeof(*g));
    g->cause = xstrdup(cause);
    g->reason = xstrdup(reason);
    g->explanation = xstrdup(bounce_result_explanation(r));
    g->hard = bounce_result_hard_bounce(r);
    n = bounce_result_remediation_count(r, run->mta);
    if (n) {
        g->steps = xrealloc(NULL, n * sizeof(*g->steps));
        for (i = 0; i < n; i++)
            g->steps[i] = xstrdup(bounce_result_remediation(r, run->mta, i));
        g->nsteps = n;
    }
    return g;
}

static void add_to_group(struct dsn_run *run, const bounce_record_t *rec, int kind)
{
    struct group *g = group_for(run, rec);
    const char *rcpt = bounce_record_get(rec, BOUNCE_FIELD_RECIPIENT);
    const char *file = bounce_record_get(rec, BOUNCE_FIELD_FILE);
    const char *diag = bounce_record_get(rec, BOUNCE_FIELD_DIAGNOSTIC);
    const char *kname[] = {"", "", " (delay warning)", " (delivered)", " (feedback)",
                           " (auto-reply)"};
    char line[1024];
    g->count++;
    if (g->nrcpts >= 50) /* list the first 50 recipients of a cause */
        return;
    snprintf(line, sizeof(line), "%s%s  [%s]%s%.160s", rcpt ? rcpt : "(recipient unknown)",
             kind >= 0 && kind < 6 ? kname[kind] : "", file ? file : "-", diag ? "\n        " : "",
             diag ? diag : "");
    if (g->nrcpts == g->caprcpts) {
        g->caprcpts = g->caprcpts ? g->caprcpts * 2 : 8;
        g->rcpts = xrealloc(g->rcpts, g->caprcpts * sizeof(*g->rcpts));
    }
    g->rcpts[g->nrcpts++] = xstrdup(line);
}

static void one_message(struct dsn_run *run, const char *buf, size_t len, const char *name)
{
    bounce_dsn_t *d = NULL;
    bounce_status_t st = bounce_dsn_parse(run->kb, buf, len, name, 0, &d);
    size_t i, n;
    int kind;
    if (st != BOUNCE_OK) {
        fprintf(stderr, "bounce dsn: %s: %s\n", name, bounce_strerror(st));
        run->problems = 1;
        return;
    }
    run->messages++;
    kind = bounce_dsn_kind(d);
    if (kind >= 0 && kind < 6)
        run->kinds[kind]++;
    n = bounce_dsn_record_count(d);
    for (i = 0; i < bounce_dsn_warning_count(d); i++)
        fprintf(stderr, "bounce dsn: %s: warning: %s\n", name, bounce_dsn_warning(d, i));
    if (kind == BOUNCE_DSN_NONE) {
        run->not_bounces++;
        if (!run->json)
            fprintf(stderr, "bounce dsn: %s: not a bounce (no recipients)\n", name);
    }
    for (i = 0; i < n; i++) {
        const bounce_record_t *rec = bounce_dsn_record(d, i);
        run->records++;
        if (run->json) {
            char *js = NULL;
            if (bounce_record_to_json(rec, 0, &js) == BOUNCE_OK) {
                fputs(js, stdout);
                fputc('\n', stdout);
            }
            bounce_free(js);
        } else {
            add_to_group(run, rec, kind);
        }
    }
    bounce_dsn_free(d);
}

/* ---- mbox splitting while reading ---- */

struct mbox {
    struct dsn_run *run;
    const char *path;
    char *buf;
    size_t len, cap, scan, index;
    int is_mbox, first, too_big;
};

static void emit(struct mbox *m, size_t end)
{
    char name[4096];
    m->index++;
    if (m->is_mbox || m->index > 1)
        snprintf(name, sizeof(name), "%s:%zu", m->path, m->index);
    else
        snprintf(name, sizeof(name), "%s", m->path);
    if (end > 0 || m->index == 1)
        one_message(m->run, m->buf, end, name);
    memmove(m->buf, m->buf + end, m->len - end);
    m->len -= end;
    m->scan = 0;
}

/* Does a "From " line start at pos (after a blank line), followed by a header line? */
static int separator_at(const struct mbox *m, size_t pos, int *need_more)
{
    const char *b = m->buf, *nl;
    size_t q, k;
    *need_more = 0;
    if (pos + 5 > m->len || memcmp(b + pos, "From ", 5) != 0)
        return 0;
    nl = memchr(b + pos, '\n', m->len - pos);
    if (!nl) {
        *need_more = 1;
        return 0;
    }
    q = (size_t)(nl - b) + 1;
    for (k = q; k < m->len && k - q < 80; k++) {
        if (b[k] == ':')
            return k > q;
        if (b[k] == ' ' || b[k] == '\n' || b[k] == '\r')
            return 0;
    }
    *need_more = k >= m->len;
    return 0;
}

static void mbox_scan(struct mbox *m, int final)
{
    for (;;) {
        size_t pos = m->scan, found = 0;
        int got = 0;
        while (pos + 7 <= m->len) {
            const char *p = memchr(m->buf + pos, '\n', m->len - pos);
            size_t at;
            int more;
            if (!p)
                break;
            at = (size_t)(p - m->buf) + 1; /* start of the next line */
            if (at >= m->len)
                break;
            if (p > m->buf && (p[-1] == '\n' || (p[-1] == '\r' && p - 1 > m->buf && p[-2] == '\n'))) {
                if (separator_at(m, at, &more)) {
                    found = at;
                    got = 1;
                    break;
                }
                if (more && !final) {
                    m->scan = pos;
                    return;
                }
            }
            pos = at;
        }
        if (!got) {
            m->scan = m->len > 8 ? m->len - 8 : 0;
            return;
        }
        emit(m, found);
    }
}

static int mbox_chunk(void *ctx, const char *buf, size_t len)
{
    struct mbox *m = ctx;
    if (m->first) {
        m->first = 0;
        m->is_mbox = len >= 5 && memcmp(buf, "From ", 5) == 0;
    }
    if (m->len + len > MAX_MESSAGE) {
        /* one message larger than the limit: parse what we have and go on */
        if (!m->too_big)
            fprintf(stderr, "bounce dsn: %s: message larger than %u bytes, cut\n", m->path,
                    MAX_MESSAGE);
        m->too_big = 1;
        m->run->problems = 1;
        if (m->len >= MAX_MESSAGE)
            return 0;
        len = MAX_MESSAGE - m->len;
    }
    if (m->len + len + 1 > m->cap) {
        size_t nc = m->cap ? m->cap : 65536;
        while (nc < m->len + len + 1)
            nc *= 2;
        m->buf = xrealloc(m->buf, nc);
        m->cap = nc;
    }
    memcpy(m->buf + m->len, buf, len);
    m->len += len;
    mbox_scan(m, 0);
    return 0;
}

static void do_file(struct dsn_run *run, const char *path)
{
    struct mbox m;
    memset(&m, 0, sizeof(m));
    m.run = run;
    m.path = path;
    m.first = 1;
    if (cli_read_chunks(path, mbox_chunk, &m) != 0) {
        run->problems = 1;
        free(m.buf);
        return;
    }
    mbox_scan(&m, 1);
    if (m.len || m.index == 0)
        emit(&m, m.len);
    free(m.buf);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void do_dir(struct dsn_run *run, const char *path, int depth)
{
    DIR *dir = opendir(path);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    if (!dir) {
        fprintf(stderr, "bounce dsn: %s: cannot open directory\n", path);
        run->problems = 1;
        return;
    }
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = xrealloc(names, cap * sizeof(*names));
        }
        names[n++] = xstrdup(de->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof(*names), cmp_names);
    for (i = 0; i < n; i++) {
        char full[4096];
        struct stat st;
        snprintf(full, sizeof(full), "%s/%s", path, names[i]);
        if (stat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                /* a Maildir: cur/ and new/ (tmp/ holds partial deliveries) */
                if (depth == 0 && (!strcmp(names[i], "cur") || !strcmp(names[i], "new")))
                    do_dir(run, full, depth + 1);
            } else if (S_ISREG(st.st_mode)) {
                do_file(run, full);
            }
        }
        free(names[i]);
    }
    free(names);
}

static void print_human(struct dsn_run *run)
{
    size_t i, j;
    printf("%zu message(s): %zu bounce(s), %zu delay warning(s), %zu delivery report(s), "
           "%zu feedback report(s), %zu auto-reply(s), %zu not a bounce; %zu recipient(s)\n",
           run->messages, run->kinds[1], run->kinds[2], run->kinds[3], run->kinds[4],
           run->kinds[5], run->kinds[0], run->records);
    for (i = 0; i < run->ngroups; i++) {
        struct group *g = &run->groups[i];
        printf("\n== %s / %s: %zu recipient(s)%s\n", g->reason, g->cause, g->count,
               g->hard ? " - hard bounce: stop sending to these addresses" : "");
        if (g->explanation && *g->explanation)
            printf("   %s\n", g->explanation);
        if (g->nsteps) {
            printf("   what to do:\n");
            for (j = 0; j < g->nsteps; j++)
                printf("     - %s\n", g->steps[j]);
        }
        printf("   recipients:\n");
        for (j = 0; j < g->nrcpts; j++)
            printf("     %s\n", g->rcpts[j]);
        if (g->count > g->nrcpts)
            printf("     ... and %zu more\n", g->count - g->nrcpts);
    }
}

static void free_run(struct dsn_run *run)
{
    size_t i, j;
    for (i = 0; i < run->ngroups; i++) {
        struct group *g = &run->groups[i];
        free(g->cause);
        free(g->reason);
        free(g->explanation);
        for (j = 0; j < g->nsteps; j++)
            free(g->steps[j]);
        free(g->steps);
        for (j = 0; j < g->nrcpts; j++)
            free(g->rcpts[j]);
        free(g->rcpts);
    }
    free(run->groups);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bounce dsn [--json] [--kb PATH] [--mta postfix|exim|plesk|cpanel|any] "
               "PATH...\n"
               "  PATH: a message, a Maildir, an mbox, a folder of messages, or - (stdin);\n"
               "        .gz files are read transparently\n"
               "  --json  one JSON object per recipient (JSON Lines)\n");
}

int cli_cmd_dsn(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"kb", required_argument, NULL, 'k'},
                                         {"mta", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct dsn_run run;
    const char *kbpath = NULL;
    int c, i;
    memset(&run, 0, sizeof(run));
    optind = 1;
    while ((c = getopt_long(argc, argv, "hjk:m:", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            run.json = 1;
            break;
        case 'k':
            kbpath = optarg;
            break;
        case 'm':
            run.mta = cli_parse_mta(optarg);
            if (run.mta < 0) {
                fprintf(stderr, "bounce dsn: unknown --mta '%s'\n", optarg);
                return CLI_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    run.kb = cli_load_kb(kbpath);
    if (!run.kb)
        return CLI_INPUT_PROBLEM;
    for (i = optind; i < argc; i++) {
        struct stat st;
        if (strcmp(argv[i], "-") != 0 && stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            do_dir(&run, argv[i], 0);
        else
            do_file(&run, argv[i]);
    }
    if (!run.json)
        print_human(&run);
    free_run(&run);
    bounce_kb_free(run.kb);
    return run.problems ? CLI_INPUT_PROBLEM : CLI_OK;
}

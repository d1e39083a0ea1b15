/* `bounce log`: Postfix or Exim logs (format detected) -> per-recipient records, and a
 * report with the incident diagnosis, the causes with remediation, destinations, relays
 * and senders. Several files are read in the order given (oldest first), as one stream,
 * so messages that span a log rotation are still joined. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

struct log_ctx {
    bounce_stream_t *stream;
    bounce_report_t *report;
    int json;
    int failed;
    long long since, until; /* -1: no bound */
    const char *sender, *recipient;
    /* progress */
    int progress;
    unsigned long long bytes, total;
    double start, last;
    unsigned long long shown, kept;
};

static void log_usage(FILE *f)
{
    fputs("usage: bounce log [--json] [--since T] [--until T] [--sender S] [--recipient R]\n"
          "                  [--kb PATH] [--mta postfix|exim|plesk|cpanel|any] FILE...\n"
          "Reads Postfix or Exim logs (detected; .gz read transparently; `-` = standard\n"
          "input). Give rotated files oldest first: they are read as one stream.\n"
          "  --json          one JSON record per recipient event (JSON Lines)\n"
          "  --since T       only events at or after T (2026-11-25, 2026-11-25T14:00:00Z,\n"
          "                  \"2026-11-25 14:00\" or epoch seconds; UTC)\n"
          "  --until T       only events before T\n"
          "  --sender S      only this sender (an address; or a domain: matches @S and .S)\n"
          "  --recipient R   only this recipient (same matching)\n"
          "  --kb PATH       knowledge-base file or directory merged over the built-in one\n"
          "  --mta NAME      remediation flavour (default: from the detected log format)\n"
          "Syslog stamps without a year get the latest year that does not put them more\n"
          "than a day in the future; stamps without a zone are taken as UTC.\n",
          f);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* address filter: "a@b" exact (case-insensitive); "b" or "@b" = the domain b or a subdomain */
static int addr_match(const char *pat, const char *v)
{
    if (!v)
        return 0;
    if (pat[0] != '@' && strchr(pat, '@'))
        return strcasecmp(pat, v) == 0;
    if (pat[0] == '@')
        pat++;
    const char *at = strrchr(v, '@');
    if (!at)
        return 0;
    const char *dom = at + 1;
    size_t dl = strlen(dom), pl = strlen(pat);
    if (dl == pl)
        return strcasecmp(dom, pat) == 0;
    return dl > pl && dom[dl - pl - 1] == '.' && strcasecmp(dom + dl - pl, pat) == 0;
}

static int keep(const struct log_ctx *c, const bounce_record_t *rec)
{
    if (c->since >= 0 || c->until >= 0) {
        int64_t t = bounce_record_time(rec);
        if (t == INT64_MIN)
            return 0;
        if (c->since >= 0 && t < c->since)
            return 0;
        if (c->until >= 0 && t >= c->until)
            return 0;
    }
    if (c->sender && !addr_match(c->sender, bounce_record_get(rec, BOUNCE_FIELD_SENDER)))
        return 0;
    if (c->recipient &&
        !addr_match(c->recipient, bounce_record_get(rec, BOUNCE_FIELD_RECIPIENT)))
        return 0;
    return 1;
}

static int log_drain(struct log_ctx *c)
{
    const bounce_record_t *rec;
    while ((rec = bounce_stream_next(c->stream)) != NULL) {
        if (!keep(c, rec))
            continue;
        c->kept++;
        if (c->json) {
            char *js = NULL;
            if (bounce_record_to_json(rec, 0, &js) != BOUNCE_OK)
                return -1;
            cli_print_json(js);
        } else if (bounce_report_add(c->report, rec) != BOUNCE_OK) {
            return -1;
        }
    }
    return 0;
}

static void show_progress(struct log_ctx *c, int final)
{
    double t = now_s();
    if (!final && t - c->last < 0.5)
        return;
    c->last = t;
    double el = t - c->start;
    double mb = (double)c->bytes / 1e6;
    if (c->total)
        fprintf(stderr, "\r%.0f / %.0f MB (%.0f%%), %.0f MB/s   ", mb, (double)c->total / 1e6,
                100.0 * (double)c->bytes / (double)c->total, el > 0 ? mb / el : 0.0);
    else
        fprintf(stderr, "\r%.0f MB, %.0f MB/s   ", mb, el > 0 ? mb / el : 0.0);
    if (final)
        fputc('\n', stderr);
    c->shown = 1;
}

static int log_chunk(void *ctx, const char *buf, size_t len)
{
    struct log_ctx *c = ctx;
    if (bounce_stream_feed(c->stream, buf, len) != BOUNCE_OK || log_drain(c) < 0) {
        fprintf(stderr, "bounce log: out of memory\n");
        c->failed = 1;
        return 1;
    }
    c->bytes += len;
    if (c->progress && c->bytes > 50000000ull)
        show_progress(c, 0);
    return 0;
}

int cli_cmd_log(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"since", required_argument, NULL, 's'},
                                         {"until", required_argument, NULL, 'u'},
                                         {"sender", required_argument, NULL, 'S'},
                                         {"recipient", required_argument, NULL, 'R'},
                                         {"kb", required_argument, NULL, 'k'},
                                         {"mta", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct log_ctx c;
    const char *kb_path = NULL;
    int mta = -1, ch, rc = CLI_OK;

    memset(&c, 0, sizeof c);
    c.since = c.until = -1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'j':
            c.json = 1;
            break;
        case 's':
        case 'u':
            if (cli_parse_time(optarg, ch == 's' ? &c.since : &c.until) < 0) {
                fprintf(stderr, "bounce log: bad time '%s'\n", optarg);
                return CLI_USAGE;
            }
            break;
        case 'S':
            c.sender = optarg;
            break;
        case 'R':
            c.recipient = optarg;
            break;
        case 'k':
            kb_path = optarg;
            break;
        case 'm':
            mta = cli_parse_mta(optarg);
            if (mta < 0) {
                fprintf(stderr, "bounce log: unknown MTA '%s'\n", optarg);
                return CLI_USAGE;
            }
            break;
        case 'h':
            log_usage(stdout);
            return CLI_OK;
        default:
            log_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        log_usage(stderr);
        return CLI_USAGE;
    }

    const bounce_kb_t *kb = cli_load_kb(kb_path);
    if (!kb)
        return CLI_USAGE;
    if (bounce_stream_new(kb, BOUNCE_STREAM_LOG, BOUNCE_FORMAT_AUTO, &c.stream) != BOUNCE_OK ||
        (!c.json && bounce_report_new(0, &c.report) != BOUNCE_OK)) {
        fprintf(stderr, "bounce log: out of memory\n");
        bounce_stream_free(c.stream);
        bounce_kb_free(kb);
        return CLI_INPUT_PROBLEM;
    }
    c.progress = cli_isatty_stderr();
    for (int i = optind; i < argc && c.progress; i++) {
        struct stat st;
        if (strcmp(argv[i], "-") != 0 && stat(argv[i], &st) == 0)
            c.total += (unsigned long long)st.st_size;
        else {
            c.total = 0; /* stdin or unreadable: size unknown, show bytes only */
            break;
        }
    }
    c.start = c.last = now_s();

    for (int i = optind; i < argc && !c.failed; i++) {
        const char *name = strcmp(argv[i], "-") == 0 ? "(stdin)" : argv[i];
        if (bounce_stream_set_file(c.stream, name) != BOUNCE_OK) {
            c.failed = 1;
            break;
        }
        if (cli_read_chunks(argv[i], log_chunk, &c) < 0)
            rc = CLI_INPUT_PROBLEM;
    }
    if (!c.failed &&
        (bounce_stream_finish(c.stream) != BOUNCE_OK || log_drain(&c) < 0)) {
        fprintf(stderr, "bounce log: out of memory\n");
        c.failed = 1;
    }
    if (c.shown)
        show_progress(&c, 1);
    if (c.failed)
        rc = CLI_INPUT_PROBLEM;

    int format = bounce_stream_format(c.stream);
    if (!c.json && !c.failed) {
        if (mta < 0)
            mta = format == BOUNCE_FORMAT_EXIM_LOG ? BOUNCE_MTA_EXIM
                  : format == BOUNCE_FORMAT_POSTFIX_LOG ? BOUNCE_MTA_POSTFIX
                                                        : BOUNCE_MTA_ANY;
        char *txt = NULL;
        if (bounce_report_to_text(c.report, mta, &txt) != BOUNCE_OK) {
            fprintf(stderr, "bounce log: out of memory\n");
            rc = CLI_INPUT_PROBLEM;
        } else {
            fputs(txt, stdout);
            bounce_free(txt);
        }
        printf("\nInput: %s log; %llu lines (%llu understood, %llu skipped, %llu cut at the "
               "line limit), %llu bytes; %llu records (%llu after filters); %llu messages "
               "seen, %llu evicted by the in-flight cap.\n",
               format == BOUNCE_FORMAT_EXIM_LOG      ? "Exim"
               : format == BOUNCE_FORMAT_POSTFIX_LOG ? "Postfix"
                                                     : "unrecognised",
               (unsigned long long)bounce_stream_stat(c.stream, BOUNCE_STAT_LINES),
               (unsigned long long)bounce_stream_stat(c.stream, BOUNCE_STAT_PARSED),
               (unsigned long long)bounce_stream_stat(c.stream, BOUNCE_STAT_SKIPPED),
               (unsigned long long)bounce_stream_stat(c.stream, BOUNCE_STAT_TRUNCATED),
               (unsigned long long)bounce_stream_stat(c.stream, BOUNCE_STAT_BYTES),
               (unsigned long long)bounce_stream_stat(c.stream, BOUNCE_STAT_RECORDS),
               c.kept,
               (unsigned long long)bounce_stream_stat(c.stream, BOUNCE_STAT_MESSAGES),
               (unsigned long long)bounce_stream_stat(c.stream, BOUNCE_STAT_EVICTED));
    }
    if (format == BOUNCE_FORMAT_AUTO && bounce_stream_stat(c.stream, BOUNCE_STAT_LINES) > 0) {
        fprintf(stderr, "bounce log: the input is neither a Postfix nor an Exim log\n");
        rc = CLI_INPUT_PROBLEM;
    }
    fflush(stdout);
    bounce_report_free(c.report);
    bounce_stream_free(c.stream);
    bounce_kb_free(kb);
    return rc;
}

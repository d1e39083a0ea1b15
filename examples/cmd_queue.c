/* `bounce queue`: postqueue -p, postqueue -j or exim -bp output (detected) -> records and a
 * report with the diagnosis, the causes, destinations, senders and the age per domain. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct queue_ctx {
    bounce_stream_t *stream;
    bounce_report_t *report;
    int json;
    int failed;
};

static void queue_usage(FILE *f)
{
    fputs("usage: bounce queue [--json] [--kb PATH] [--mta postfix|exim|plesk|cpanel|any] "
          "[FILE|-]\n"
          "Reads `postqueue -p` / `mailq`, `postqueue -j` or `exim -bp` output (detected;\n"
          "default: standard input, .gz read transparently) and prints a report: diagnosis,\n"
          "causes with remediation, destination domains, senders and queue age per domain.\n"
          "  --json      one JSON record per queued recipient (JSON Lines)\n"
          "  --kb PATH   knowledge-base file or directory merged over the built-in one\n"
          "  --mta NAME  remediation flavour (default: from the input)\n",
          f);
}

static int queue_drain(struct queue_ctx *c)
{
    const bounce_record_t *rec;
    while ((rec = bounce_stream_next(c->stream)) != NULL) {
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

static int queue_chunk(void *ctx, const char *buf, size_t len)
{
    struct queue_ctx *c = ctx;
    if (bounce_stream_feed(c->stream, buf, len) != BOUNCE_OK || queue_drain(c) < 0) {
        fprintf(stderr, "bounce queue: out of memory\n");
        c->failed = 1;
        return 1;
    }
    return 0;
}

/* Safe next steps for a queue, after the report. */
static void queue_next_steps(int format, int mta)
{
    int exim = format == BOUNCE_FORMAT_EXIM_QUEUE || mta == BOUNCE_MTA_EXIM ||
               mta == BOUNCE_MTA_CPANEL;
    puts("\nSafe next steps for the queue");
    puts("-----------------------------");
    puts("1. Fix the cause named above first; retrying before that only adds load.");
    if (exim) {
        puts("2. Then retry everything once: exim -qff (frozen messages too; -qf for the rest).");
        puts("3. Delete only what is spam, by message id: exiqgrep -i -f SENDER | xargs exim -Mrm");
        puts("   (exiqgrep -i -z lists the frozen ones; exim -Mvh ID shows a message's headers).");
        puts("4. Never remove the whole queue blindly: legitimate mail would be lost.");
    } else {
        puts("2. Then flush the queue once: postqueue -f (one message: postqueue -i QUEUE_ID).");
        puts("3. Delete only what is spam, by queue id:");
        puts("   postqueue -j | jq -r 'select(.sender == \"SENDER\") | .queue_id' | postsuper -d -");
        puts("   (postcat -q QUEUE_ID shows a message; postsuper -h/-H holds and releases).");
        puts("4. Never run `postsuper -d ALL` blindly: legitimate mail would be lost.");
    }
}

int cli_cmd_queue(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"kb", required_argument, NULL, 'k'},
        {"mta", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct queue_ctx c;
    const char *kb_path = NULL, *path = "-";
    const bounce_kb_t *kb;
    int mta = BOUNCE_MTA_ANY, ch, rc = CLI_OK;

    memset(&c, 0, sizeof c);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "jk:m:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'j': c.json = 1; break;
        case 'k': kb_path = optarg; break;
        case 'm':
            mta = cli_parse_mta(optarg);
            if (mta < 0) {
                fprintf(stderr, "bounce queue: unknown MTA '%s'\n", optarg);
                return CLI_USAGE;
            }
            break;
        case 'h': queue_usage(stdout); return CLI_OK;
        default: queue_usage(stderr); return CLI_USAGE;
        }
    }
    if (argc - optind > 1) {
        queue_usage(stderr);
        return CLI_USAGE;
    }
    if (optind < argc)
        path = argv[optind];

    kb = cli_load_kb(kb_path);
    if (!kb)
        return CLI_INPUT_PROBLEM;
    if (bounce_stream_new(kb, BOUNCE_STREAM_QUEUE, BOUNCE_FORMAT_AUTO, &c.stream) != BOUNCE_OK ||
        bounce_report_new(0, &c.report) != BOUNCE_OK) {
        fprintf(stderr, "bounce queue: out of memory\n");
        rc = CLI_INPUT_PROBLEM;
        goto done;
    }
    /* ages of queued mail are counted up to the real current time */
    bounce_report_set_reference_time(c.report, (int64_t)time(NULL));
    if (strcmp(path, "-") != 0)
        bounce_stream_set_file(c.stream, path);
    if (cli_read_chunks(path, queue_chunk, &c) != 0 || c.failed) {
        rc = CLI_INPUT_PROBLEM;
        goto done;
    }
    if (bounce_stream_finish(c.stream) != BOUNCE_OK || queue_drain(&c) < 0) {
        fprintf(stderr, "bounce queue: out of memory\n");
        rc = CLI_INPUT_PROBLEM;
        goto done;
    }
    if (bounce_stream_stat(c.stream, BOUNCE_STAT_BYTES) > 0 &&
        bounce_stream_stat(c.stream, BOUNCE_STAT_PARSED) == 0) {
        fprintf(stderr, "bounce queue: %s: not a postqueue -p, postqueue -j or exim -bp listing\n",
                strcmp(path, "-") ? path : "(stdin)");
        rc = CLI_INPUT_PROBLEM;
    }
    if (!c.json) {
        char *text = NULL;
        uint64_t skipped = bounce_stream_stat(c.stream, BOUNCE_STAT_SKIPPED);
        if (bounce_report_to_text(c.report, mta, &text) != BOUNCE_OK) {
            fprintf(stderr, "bounce queue: out of memory\n");
            rc = CLI_INPUT_PROBLEM;
            goto done;
        }
        printf("Queue: %llu messages, ",
               (unsigned long long)bounce_stream_stat(c.stream, BOUNCE_STAT_MESSAGES));
        fputs(text, stdout);
        bounce_free(text);
        if (skipped)
            printf("\n(%llu lines not understood were skipped)\n", (unsigned long long)skipped);
        if (bounce_stream_stat(c.stream, BOUNCE_STAT_RECORDS) > 0)
            queue_next_steps(bounce_stream_format(c.stream), mta);
    }
done:
    bounce_report_free(c.report);
    bounce_stream_free(c.stream);
    bounce_kb_free(kb);
    return rc;
}

/* bounce explain: classify SMTP replies and diagnostic texts, one per argument or per
 * line of standard input ("-"). */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct explain_opts {
    const bounce_kb_t *kb;
    int json, mta, code, stage;
    const char *esc;
};

static const char *label(bounce_enum_t family, int v)
{
    const char *s = bounce_enum_name(family, v);
    return s ? s : "?";
}

static void print_human(const struct explain_opts *o, const char *text, size_t len,
                        const bounce_result_t *r)
{
    size_t off = 0, slen = 0, i, n;
    const char *expl = bounce_result_explanation(r);
    int reason = bounce_result_reason(r);

    printf("%.*s\n", (int)len, text);
    printf("  reason:    %s (%s%s)\n", label(BOUNCE_ENUM_REASON, reason),
           label(BOUNCE_ENUM_SEVERITY, bounce_result_severity(r)),
           bounce_result_hard_bounce(r) ? ", hard bounce: stop sending to this address" : "");
    printf("  cause:     %s\n", bounce_result_cause(r));
    if (expl && *expl)
        printf("  meaning:   %s\n", expl);
    printf("  who acts:  %s; action: %s\n", label(BOUNCE_ENUM_WHO, bounce_result_who(r)),
           label(BOUNCE_ENUM_ACTION, bounce_result_action(r)));
    if (bounce_result_reply_code(r) || *bounce_result_enhanced(r))
        printf("  codes:     %d %s\n", bounce_result_reply_code(r), bounce_result_enhanced(r));
    printf("  evidence:  %s", bounce_result_evidence(r));
    if (bounce_result_span(r, &off, &slen) && off <= len && slen <= len - off)
        printf(" matched \"%.*s\"", (int)slen, text + off);
    printf(" (confidence %.2f)\n", bounce_result_confidence(r));
    n = bounce_result_remediation_count(r, o->mta);
    if (n) {
        printf("  what to do:\n");
        for (i = 0; i < n; i++)
            printf("    - %s\n", bounce_result_remediation(r, o->mta, i));
    }
    putchar('\n');
}

static int explain_one(const struct explain_opts *o, const char *text, size_t len)
{
    bounce_result_t *r = NULL;
    bounce_status_t st = bounce_classify(o->kb, text, len, o->code, o->esc, o->stage, &r);
    if (st != BOUNCE_OK) {
        fprintf(stderr, "bounce explain: %s\n", bounce_strerror(st));
        return -1;
    }
    if (o->json) {
        char *json = NULL;
        st = bounce_result_to_json(r, 0, &json);
        if (st != BOUNCE_OK) {
            fprintf(stderr, "bounce explain: %s\n", bounce_strerror(st));
            bounce_result_free(r);
            return -1;
        }
        cli_print_json(json);
    } else
        print_human(o, text, len, r);
    bounce_result_free(r);
    return 0;
}

struct stdin_ctx {
    const struct explain_opts *o;
    char *line;
    size_t len, cap;
    int failed;
};

static int flush_line(struct stdin_ctx *c)
{
    if (explain_one(c->o, c->line, c->len) < 0)
        c->failed = 1;
    c->len = 0;
    return 0;
}

static int on_chunk(void *vctx, const char *buf, size_t len)
{
    struct stdin_ctx *c = vctx;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (c->len + n + 1 > c->cap) {
            size_t cap = c->cap ? c->cap : 4096;
            char *q;
            while (cap < c->len + n + 1)
                cap *= 2;
            if (!(q = realloc(c->line, cap)))
                return -3;
            c->line = q;
            c->cap = cap;
        }
        memcpy(c->line + c->len, p, n);
        c->len += n;
        if (!nl)
            break;
        if (c->len && c->line[c->len - 1] == '\r')
            c->len--;
        flush_line(c);
        p = nl + 1;
    }
    fflush(stdout);
    return 0;
}

int cli_cmd_explain(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},   {"kb", required_argument, NULL, 'k'},
        {"mta", required_argument, NULL, 'm'}, {"code", required_argument, NULL, 'c'},
        {"enhanced", required_argument, NULL, 'e'}, {"stage", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},   {NULL, 0, NULL, 0},
    };
    struct explain_opts o = {NULL, 0, BOUNCE_MTA_ANY, 0, 0, NULL};
    const char *kbpath = NULL;
    int c, i, rc = CLI_OK;

    while ((c = getopt_long(argc, argv, "hjk:m:c:e:s:", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': o.json = 1; break;
        case 'k': kbpath = optarg; break;
        case 'm':
            if ((o.mta = cli_parse_mta(optarg)) < 0) {
                fprintf(stderr, "bounce explain: unknown --mta '%s'\n", optarg);
                return CLI_USAGE;
            }
            break;
        case 'c': o.code = atoi(optarg); break;
        case 'e': o.esc = optarg; break;
        case 's':
            if ((o.stage = bounce_enum_from_name(BOUNCE_ENUM_STAGE, optarg)) < 0) {
                fprintf(stderr, "bounce explain: unknown --stage '%s'\n", optarg);
                return CLI_USAGE;
            }
            break;
        case 'h':
            printf("usage: bounce explain [--json] [--kb PATH] [--mta NAME] [--code N] "
                   "[--enhanced X.Y.Z] [--stage rcpt|data|...] TEXT...|-\n"
                   "Classifies each TEXT (or each line of standard input with '-').\n");
            return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: bounce explain [--json] TEXT...|-\n");
        return CLI_USAGE;
    }
    if (!(o.kb = cli_load_kb(kbpath)))
        return CLI_INPUT_PROBLEM;
    for (i = optind; i < argc; i++) {
        if (!strcmp(argv[i], "-")) {
            struct stdin_ctx ctx = {&o, NULL, 0, 0, 0};
            if (cli_read_chunks("-", on_chunk, &ctx) != 0)
                rc = CLI_INPUT_PROBLEM;
            if (ctx.len)
                flush_line(&ctx);
            if (ctx.failed)
                rc = CLI_INPUT_PROBLEM;
            free(ctx.line);
        } else if (explain_one(&o, argv[i], strlen(argv[i])) < 0)
            rc = CLI_INPUT_PROBLEM;
    }
    bounce_kb_free(o.kb);
    return rc;
}

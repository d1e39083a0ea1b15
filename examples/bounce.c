/* bounce: the example command-line front end of libbounce.
 *   bounce explain TEXT...   classify diagnostic texts
 *   bounce dsn PATH...       bounce messages (.eml, Maildir, mbox, folders)
 *   bounce log FILE...       Postfix / Exim logs with incident diagnosis
 *   bounce queue [FILE]      postqueue -p / -j, exim -bp listings */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bounce COMMAND [OPTIONS] ARGS...\n"
            "\n"
            "commands:\n"
            "  explain [--json] TEXT...|-   classify SMTP replies / diagnostic texts\n"
            "  dsn [--json] PATH...         parse bounce messages (.eml, Maildir, mbox, folder, -)\n"
            "  log [--json] FILE...         Postfix or Exim logs: records and incident diagnosis\n"
            "  queue [--json] [FILE|-]      postqueue -p, postqueue -j or exim -bp output\n"
            "\n"
            "common options: --json  --kb PATH  --mta postfix|exim|plesk|cpanel  -h/--help\n"
            "`.gz` input is read transparently; `-` is standard input.\n"
            "exit status: 0 ok, 1 the input had problems (reported), 2 usage error\n");
}

int cli_read_chunks(const char *path, int (*fn)(void *ctx, const char *buf, size_t len), void *ctx)
{
    gzFile gz;
    char *buf;
    int rc = 0, n;
    const size_t bufsize = 1u << 20;

    if (strcmp(path, "-") == 0)
        gz = gzdopen(dup(STDIN_FILENO), "rb");
    else
        gz = gzopen(path, "rb");
    if (!gz) {
        fprintf(stderr, "bounce: %s: %s\n", path, errno ? strerror(errno) : "cannot open");
        return -1;
    }
    gzbuffer(gz, 256 * 1024);
    buf = malloc(bufsize);
    if (!buf) {
        gzclose(gz);
        fprintf(stderr, "bounce: out of memory\n");
        return -1;
    }
    while ((n = gzread(gz, buf, (unsigned)bufsize)) > 0) {
        rc = fn(ctx, buf, (size_t)n);
        if (rc)
            break;
    }
    if (n < 0) {
        int err;
        const char *msg = gzerror(gz, &err);
        fprintf(stderr, "bounce: %s: %s\n", path, err == Z_ERRNO ? strerror(errno) : msg);
        rc = -1;
    }
    free(buf);
    gzclose(gz);
    return rc;
}

struct all_ctx {
    char *buf;
    size_t len, cap, max;
};

static int append_all(void *vctx, const char *buf, size_t len)
{
    struct all_ctx *c = vctx;
    if (len > c->max - c->len)
        return -2;
    if (c->len + len + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 65536;
        char *p;
        while (cap < c->len + len + 1)
            cap *= 2;
        p = realloc(c->buf, cap);
        if (!p)
            return -3;
        c->buf = p;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, buf, len);
    c->len += len;
    return 0;
}

int cli_read_all(const char *path, size_t max_bytes, char **buf, size_t *len)
{
    struct all_ctx c = {NULL, 0, 0, max_bytes};
    int rc = cli_read_chunks(path, append_all, &c);
    if (rc == -2)
        fprintf(stderr, "bounce: %s: larger than %zu bytes, skipped\n", path, max_bytes);
    else if (rc == -3)
        fprintf(stderr, "bounce: out of memory\n");
    if (rc) {
        free(c.buf);
        return rc == -2 ? -2 : -1;
    }
    if (!c.buf && !(c.buf = malloc(1)))
        return -1;
    c.buf[c.len] = '\0';
    *buf = c.buf;
    *len = c.len;
    return 0;
}

const bounce_kb_t *cli_load_kb(const char *path)
{
    bounce_kb_t *kb = NULL;
    bounce_diag_t *diag = NULL;
    bounce_status_t st;

    if (!path)
        return bounce_kb_builtin();
    st = bounce_kb_load_file(bounce_kb_builtin(), path, &kb, &diag);
    if (st != BOUNCE_OK) {
        if (diag)
            fprintf(stderr, "bounce: %s:%zu:%zu: %s\n", bounce_diag_file(diag) ? bounce_diag_file(diag) : path,
                    bounce_diag_line(diag), bounce_diag_column(diag), bounce_diag_message(diag));
        else
            fprintf(stderr, "bounce: %s: %s\n", path, bounce_strerror(st));
        bounce_diag_free(diag);
        return NULL;
    }
    return kb;
}

int cli_parse_mta(const char *name)
{
    return bounce_enum_from_name(BOUNCE_ENUM_MTA, name);
}

int cli_isatty_stderr(void) { return isatty(STDERR_FILENO); }

void cli_print_json(char *json)
{
    if (!json)
        return;
    fputs(json, stdout);
    putchar('\n');
    bounce_free(json);
}

int cli_parse_time(const char *s, long long *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    char *end;
    long long v;
    struct tm tm;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (*s && !*end && !errno && v > 100000) {
        *out = v;
        return 0;
    }
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) < 3)
        return -1;
    s += n;
    if (*s == 'T' || *s == ' ') {
        if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &n) < 2)
            return -1;
        s += 1 + n;
        if (*s == ':' && sscanf(s + 1, "%2d%n", &sec, &n) == 1)
            s += 1 + n;
    }
    if (*s == 'Z')
        s++;
    if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (long long)timegm(&tm);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"explain", cli_cmd_explain},
        {"dsn", cli_cmd_dsn},
        {"log", cli_cmd_log},
        {"queue", cli_cmd_queue},
    };
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        const bounce_kb_t *kb = bounce_kb_builtin();
        printf("bounce (libbounce) %s, built-in KB: %zu signatures, %zu causes, sha256 %s\n",
               bounce_version(), bounce_kb_signature_count(kb), bounce_kb_cause_count(kb),
               bounce_kb_checksum(kb));
        return CLI_OK;
    }
    for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "bounce: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}

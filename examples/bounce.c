/* bounce: the example command-line front end of libbounce.
 *   bounce explain TEXT...   classify diagnostic texts
 *   bounce dsn PATH...       bounce messages (.eml, Maildir, mbox, folders)
 *   bounce log FILE...       Postfix / Exim logs with incident diagnosis
 *   bounce queue [FILE]      postqueue -p / -j, exim -bp listings */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
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

/* fill buf from fd up to size bytes (fewer only at end of input); -1 on a read error */
static ssize_t read_full(int fd, char *buf, size_t size)
{
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* gzread loop (transparent for plain data) over an open gzFile; closes it */
static int read_gz(gzFile gz, const char *path, char *buf, size_t bufsize,
                   int (*fn)(void *ctx, const char *buf, size_t len), void *ctx)
{
    int rc = 0, n;
    gzbuffer(gz, 256 * 1024);
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
    gzclose(gz);
    return rc;
}

/* Plain input is read with read() into one reused buffer; gzip input (magic 1f 8b) goes
 * through zlib. The magic is checked on the first chunk, so that needs a seekable input
 * (a file, or stdin redirected from one) to go back; a pipe is read through zlib's
 * transparent mode as before. fn gets full chunks of bufsize bytes except the last. */
int cli_read_chunks(const char *path, int (*fn)(void *ctx, const char *buf, size_t len), void *ctx)
{
    const size_t bufsize = 1u << 20;
    int is_stdin = strcmp(path, "-") == 0, fd, rc = 0;
    off_t start;
    ssize_t n;
    char *buf;
    gzFile gz;

    errno = 0;
    fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "bounce: %s: %s\n", path, errno ? strerror(errno) : "cannot open");
        return -1;
    }
    buf = malloc(bufsize);
    if (!buf) {
        if (!is_stdin)
            close(fd);
        fprintf(stderr, "bounce: out of memory\n");
        return -1;
    }
    start = lseek(fd, 0, SEEK_CUR);
    if (start >= 0) {
        n = read_full(fd, buf, bufsize);
        if (n >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) {
            if (lseek(fd, start, SEEK_SET) == start)
                goto gzip; /* back to the start: zlib reads it */
            n = -1;
        }
        while (n > 0) {
            rc = fn(ctx, buf, (size_t)n);
            if (rc || (size_t)n < bufsize)
                break;
            n = read_full(fd, buf, bufsize);
        }
        if (n < 0) {
            fprintf(stderr, "bounce: %s: %s\n", path, strerror(errno));
            rc = -1;
        }
        free(buf);
        if (!is_stdin)
            close(fd);
        return rc;
    }
gzip:
    /* reopened by name, so that zlib's messages name the file as before */
    if (!is_stdin)
        close(fd);
    errno = 0;
    gz = is_stdin ? gzdopen(dup(fd), "rb") : gzopen(path, "rb");
    if (!gz) {
        fprintf(stderr, "bounce: %s: %s\n", path, errno ? strerror(errno) : "cannot open");
        free(buf);
        return -1;
    }
    rc = read_gz(gz, path, buf, bufsize, fn, ctx);
    free(buf);
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

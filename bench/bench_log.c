/* Log benchmark: build a large realistic Postfix log, then measure on the same file, in
 * the same run: `wc -l` (the practical limit), parse + join + classify in report mode and
 * in JSON Lines mode (each record serialised), peak RSS of each mode (measured in a child
 * process, also on a 1/8 prefix to show that memory does not grow with the file), and
 * pflogsumm if it is installed (on a prefix when the file is big; then scaled).
 *
 * usage: bench_log [SIZE] [FILE]
 *   SIZE  e.g. 1G (the documented big run), 200M, 50M (default 1G)
 *   FILE  where the log is written (default /tmp/bounce-bench-SIZE.log; reused if it
 *         already has the size; delete it yourself)
 * Options (environment): BENCH_NO_PFLOGSUMM=1, BENCH_PFLOGSUMM_MAX=bytes (default 200M).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bounce.h>

#include "genlog.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t parse_size(const char *s)
{
    char *e;
    double v = strtod(s, &e);
    switch (*e) {
    case 'G': case 'g': v *= 1e9; break;
    case 'M': case 'm': v *= 1e6; break;
    case 'K': case 'k': v *= 1e3; break;
    default: break;
    }
    return (uint64_t)v;
}

struct result {
    double secs, cpu; /* wall and CPU (user + system) seconds */
    uint64_t bytes, lines, records, skipped, evicted, failures;
    long maxrss_kb;
};

/* Run one mode in a child: 0 = report, 1 = JSON Lines. limit = bytes to read (0 = all). */
static int run_mode(const char *path, int mode, uint64_t limit, struct result *res)
{
    int fd[2];
    if (pipe(fd) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        struct result r;
        memset(&r, 0, sizeof r);
        close(fd[0]);
        int in = open(path, O_RDONLY);
        FILE *out = fopen("/dev/null", "w");
        bounce_stream_t *s = NULL;
        bounce_report_t *rep = NULL;
        static char buf[1 << 20];
        if (in < 0 || !out ||
            bounce_stream_new(bounce_kb_builtin(), BOUNCE_STREAM_LOG, BOUNCE_FORMAT_AUTO, &s) ||
            bounce_report_new(0, &rep))
            _exit(3);
        double t0 = now_s();
        uint64_t total = 0;
        for (;;) {
            size_t want = sizeof buf;
            if (limit && limit - total < want)
                want = (size_t)(limit - total);
            if (want == 0)
                break;
            ssize_t n = read(in, buf, want);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            total += (uint64_t)n;
            if (bounce_stream_feed(s, buf, (size_t)n) != BOUNCE_OK)
                _exit(4);
            const bounce_record_t *rec;
            while ((rec = bounce_stream_next(s)) != NULL) {
                r.records++;
                int st = bounce_record_status(rec);
                if (st != BOUNCE_EVENT_DELIVERED)
                    r.failures++;
                if (mode == 0) {
                    if (bounce_report_add(rep, rec) != BOUNCE_OK)
                        _exit(5);
                } else {
                    char *js = NULL;
                    if (bounce_record_to_json(rec, 0, &js) != BOUNCE_OK)
                        _exit(5);
                    fputs(js, out);
                    fputc('\n', out);
                    bounce_free(js);
                }
            }
        }
        if (bounce_stream_finish(s) != BOUNCE_OK)
            _exit(4);
        {
            const bounce_record_t *rec;
            while ((rec = bounce_stream_next(s)) != NULL) {
                r.records++;
                if (mode == 0)
                    bounce_report_add(rep, rec);
            }
        }
        if (mode == 0) {
            char *txt = NULL;
            if (bounce_report_to_text(rep, BOUNCE_MTA_POSTFIX, &txt) == BOUNCE_OK) {
                fputs(txt, out);
                bounce_free(txt);
            }
        }
        fflush(out);
        r.secs = now_s() - t0;
        r.bytes = total;
        r.lines = bounce_stream_stat(s, BOUNCE_STAT_LINES);
        r.skipped = bounce_stream_stat(s, BOUNCE_STAT_SKIPPED);
        r.evicted = bounce_stream_stat(s, BOUNCE_STAT_EVICTED);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        r.maxrss_kb = ru.ru_maxrss;
        r.cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r)
            _exit(6);
        _exit(0);
    }
    close(fd[1]);
    ssize_t n = read(fd[0], res, sizeof *res);
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    if (n != (ssize_t)sizeof *res || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return 0;
}

/* wall time of a shell command */
static double time_cmd(const char *cmd)
{
    double t0 = now_s();
    int rc = system(cmd);
    if (rc != 0)
        return -1;
    return now_s() - t0;
}

static int have_cmd(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

static void print_mode(const char *name, const struct result *r, double wc_secs)
{
    double mb = (double)r->bytes / 1e6;
    printf("%-22s %8.2f s %9.1f MB/s %11.0f lines/s | CPU %6.2f s %7.1f MB/s | peak RSS %6.1f MB",
           name, r->secs, mb / r->secs, (double)r->lines / r->secs, r->cpu,
           r->cpu > 0 ? mb / r->cpu : 0.0, (double)r->maxrss_kb / 1024.0);
    if (wc_secs > 0)
        printf(" | %.1fx wc -l", r->secs / wc_secs);
    printf("\n");
}

int main(int argc, char **argv)
{
    uint64_t size = argc > 1 ? parse_size(argv[1]) : 1000000000ull;
    char pathbuf[256];
    const char *path = argc > 2 ? argv[2] : NULL;
    if (!path) {
        snprintf(pathbuf, sizeof pathbuf, "/tmp/bounce-bench-%s.log", argc > 1 ? argv[1] : "1G");
        path = pathbuf;
    }
    if (size < 1000) {
        fprintf(stderr, "usage: bench_log [SIZE e.g. 1G|200M] [FILE]\n");
        return 2;
    }
    struct stat st;
    if (stat(path, &st) == 0 && (uint64_t)st.st_size >= size &&
        (uint64_t)st.st_size < size + 4096) {
        printf("reusing %s (%.1f MB)\n", path, (double)st.st_size / 1e6);
    } else {
        FILE *f = fopen(path, "w");
        if (!f) {
            perror(path);
            return 1;
        }
        static char fbuf[1 << 20];
        setvbuf(f, fbuf, _IOFBF, sizeof fbuf);
        double t0 = now_s();
        uint64_t w = bounce_bench_genlog(f, size, 42);
        if (fclose(f) != 0) {
            perror(path);
            return 1;
        }
        printf("generated %s: %.1f MB in %.1f s\n", path, (double)w / 1e6, now_s() - t0);
    }
    stat(path, &st);
    uint64_t fsize = (uint64_t)st.st_size;
    printf("libbounce %s, file %.1f MB\n", bounce_version(), (double)fsize / 1e6);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "cat '%s' > /dev/null", path); /* warm the page cache */
    time_cmd(cmd);
    snprintf(cmd, sizeof cmd, "wc -l < '%s' > /dev/null", path);
    double wc = time_cmd(cmd);
    if (wc > 0)
        printf("%-22s %8.2f s %9.1f MB/s\n", "wc -l", wc, (double)fsize / 1e6 / wc);

    struct result rep, js, small;
    if (run_mode(path, 0, 0, &rep) < 0) {
        fprintf(stderr, "report mode failed\n");
        return 1;
    }
    print_mode("report mode", &rep, wc);
    if (run_mode(path, 1, 0, &js) < 0) {
        fprintf(stderr, "JSON Lines mode failed\n");
        return 1;
    }
    print_mode("JSON Lines mode", &js, wc);
    if (run_mode(path, 0, fsize / 8, &small) < 0) {
        fprintf(stderr, "prefix run failed\n");
        return 1;
    }
    print_mode("report, 1/8 of file", &small, 0);
    printf("records %" PRIu64 " (%" PRIu64 " not delivered), lines %" PRIu64
           ", skipped %" PRIu64 ", evicted %" PRIu64 "\n",
           rep.records, rep.failures, rep.lines, rep.skipped, rep.evicted);
    printf("JSON Lines / report time: %.2fx wall, %.2fx CPU (target <= 2x); report target "
           ">= 500 MB/s\n",
           js.secs / rep.secs, js.cpu / rep.cpu);
    printf("(wall times suffer when other processes share the cores; CPU time is the "
           "single-core figure)\n");
    printf("peak RSS full file %.1f MB vs 1/8 prefix %.1f MB (memory bounded by in-flight "
           "messages, not file size)\n",
           (double)rep.maxrss_kb / 1024.0, (double)small.maxrss_kb / 1024.0);

    const char *nop = getenv("BENCH_NO_PFLOGSUMM");
    if ((!nop || !*nop) && have_cmd("pflogsumm")) {
        uint64_t max = getenv("BENCH_PFLOGSUMM_MAX") ? parse_size(getenv("BENCH_PFLOGSUMM_MAX"))
                                                     : 200000000ull;
        uint64_t part = fsize < max ? fsize : max;
        if (part < fsize)
            snprintf(cmd, sizeof cmd, "head -c %" PRIu64 " '%s' | pflogsumm > /dev/null 2>&1",
                     part, path);
        else
            snprintf(cmd, sizeof cmd, "pflogsumm '%s' > /dev/null 2>&1", path);
        double t = time_cmd(cmd);
        if (t > 0) {
            double mbps = (double)part / 1e6 / t;
            printf("%-22s %8.2f s %9.1f MB/s  on %s%.1f MB%s\n", "pflogsumm", t, mbps,
                   part < fsize ? "the first " : "", (double)part / 1e6,
                   part < fsize ? " (whole-file time scaled linearly)" : "");
            printf("report mode vs pflogsumm: %.1fx faster by wall time (target >= 25x)\n",
                   ((double)rep.bytes / 1e6 / rep.secs) / mbps);
        } else {
            printf("pflogsumm failed\n");
        }
    } else {
        printf("pflogsumm: not installed (apt-get install pflogsumm) or disabled\n");
    }
    return 0;
}

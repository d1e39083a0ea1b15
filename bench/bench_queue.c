/* Queue benchmark: writes a realistic listing of N queued messages (default 1,000,000) in
 * one of the three formats to a temporary file, then streams it back in 1 MiB chunks
 * through parse + classify + report, and prints messages/s, MB/s and the peak RSS.
 *
 *   bench/bench_queue [-n MESSAGES] [-f p|j|exim] [-o FILE (keep the listing)]
 *
 * Every third message is active, one in 50 held, and the deferred ones carry a mix of
 * realistic delay reasons (timeouts, greylisting, quota, unknown users, DNSBL, DNS). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"

static const char *const reasons[] = {
    "connect to mx%u.example%u.net[192.0.2.%u]:25: Connection timed out",
    "host mx%u.example%u.org[198.51.100.%u] said: 450 4.2.0 <u@x>: Recipient address rejected: Greylisted (in reply to RCPT TO command)",
    "host mx%u.example%u.com[203.0.113.%u] said: 452 4.2.2 The email account that you tried to reach is over quota. (in reply to RCPT TO command)",
    "host mx%u.example%u.info[192.0.2.%u] said: 550 5.1.1 <u@x>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
    "host mx%u.example%u.net[198.51.100.%u] said: 554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org (in reply to RCPT TO command)",
    "Host or domain name not found. Name service error for name=example%u%u.net type=MX: Host not found, try again%u",
    "delivery temporarily suspended: connect to mx%u.example%u.org[192.0.2.%u]:25: Connection refused",
};

static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static void write_listing(FILE *f, unsigned long n, char fmt, time_t now)
{
    unsigned long i;
    if (fmt == 'p')
        fputs("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n", f);
    for (i = 0; i < n; i++) {
        unsigned r = (unsigned)(i * 2654435761u >> 7);
        time_t t = now - (time_t)(r % (3 * 86400));
        struct tm tm;
        char reason[256];
        int active = i % 3 == 0, held = i % 50 == 7;
        unsigned dom = r % 5000, k = r % 7;
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
        snprintf(reason, sizeof reason, reasons[k], r % 3, dom, r % 250 + 1);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
        gmtime_r(&t, &tm);
        if (fmt == 'p') {
            fprintf(f, "%06lX%05lX%s %8u %s %s %2d %02d:%02d:%02d  sender%u@example.com\n", i,
                    (unsigned long)(r & 0xFFFFF), active ? "*" : held ? "!" : " ",
                    1000 + r % 90000, wd[tm.tm_wday], mon[tm.tm_mon], tm.tm_mday, tm.tm_hour,
                    tm.tm_min, tm.tm_sec, r % 300);
            if (!active)
                fprintf(f, "(%s)\n", reason);
            fprintf(f, "%41s%s%u@example%u.net\n", "", "user", r % 100000, dom);
            if (i % 4 == 1)
                fprintf(f, "%41s%s%u@example%u.net\n", "", "other", r % 1000, dom);
            fputc('\n', f);
        } else if (fmt == 'j') {
            fprintf(f,
                    "{\"queue_name\": \"%s\", \"queue_id\": \"%06lX%05lX\", \"arrival_time\": %lld, "
                    "\"message_size\": %u, \"forced_expire\": false, \"sender\": "
                    "\"sender%u@example.com\", \"recipients\": [{\"address\": "
                    "\"user%u@example%u.net\"%s%s%s}]}\n",
                    active ? "active" : held ? "hold" : "deferred", i,
                    (unsigned long)(r & 0xFFFFF), (long long)t, 1000 + r % 90000, r % 300,
                    r % 100000, dom, active ? "" : ", \"delay_reason\": \"", active ? "" : reason,
                    active ? "" : "\"");
        } else {
            long age = (long)(now - t);
            fprintf(f, "%3ldh  %u.%uK 1vQJ2b-%011lu-%04u <%s%u@example.com>%s\n", age / 3600,
                    r % 90, r % 10, i, r % 10000, i % 20 ? "sender" : "", r % 300,
                    i % 41 ? "" : " *** frozen ***");
            fprintf(f, "          user%u@example%u.net\n", r % 100000, dom);
            if (i % 4 == 1)
                fprintf(f, "        D other%u@example%u.net\n", r % 1000, dom);
            fputc('\n', f);
        }
    }
    if (fmt == 'p')
        fprintf(f, "-- %lu Kbytes in %lu Requests.\n", n * 40, n);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    unsigned long n = 1000000;
    char fmt = 'p';
    const char *keep = NULL;
    char path[] = "/tmp/bench_queue.XXXXXX";
    int fd, opt;
    FILE *f;
    char *buf;
    size_t got, records = 0;
    double t0, t1, bytes = 0;
    time_t now = (time_t)1795608000; /* 2026-11-25T12:00:00Z */
    bounce_stream_t *s = NULL;
    bounce_report_t *rep = NULL;
    const bounce_record_t *rec;
    struct rusage ru;
    char *text = NULL;

    while ((opt = getopt(argc, argv, "n:f:o:")) != -1) {
        if (opt == 'n')
            n = strtoul(optarg, NULL, 10);
        else if (opt == 'f')
            fmt = optarg[0] == 'j' ? 'j' : optarg[0] == 'e' ? 'e' : 'p';
        else if (opt == 'o')
            keep = optarg;
        else {
            fprintf(stderr, "usage: %s [-n MESSAGES] [-f p|j|exim] [-o FILE]\n", argv[0]);
            return 2;
        }
    }
    if (keep) {
        f = fopen(keep, "w+b");
    } else {
        fd = mkstemp(path);
        f = fd >= 0 ? fdopen(fd, "w+b") : NULL;
        if (f)
            unlink(path);
    }
    if (!f) {
        perror("bench_queue: listing file");
        return 1;
    }
    t0 = now_s();
    write_listing(f, n, fmt, now);
    fflush(f);
    rewind(f);
    fprintf(stderr, "generated %lu messages (%s) in %.1f s\n", n,
            fmt == 'p' ? "postqueue -p" : fmt == 'j' ? "postqueue -j" : "exim -bp", now_s() - t0);

    buf = malloc(1 << 20);
    if (!buf || bounce_stream_new(bounce_kb_builtin(), BOUNCE_STREAM_QUEUE, BOUNCE_FORMAT_AUTO, &s) ||
        bounce_report_new(0, &rep)) {
        fprintf(stderr, "bench_queue: out of memory\n");
        return 1;
    }
    bounce_stream_set_reference_time(s, (int64_t)now);
    t0 = now_s();
    while ((got = fread(buf, 1, 1 << 20, f)) > 0) {
        bytes += (double)got;
        if (bounce_stream_feed(s, buf, got) != BOUNCE_OK)
            return 1;
        while ((rec = bounce_stream_next(s)) != NULL) {
            bounce_report_add(rep, rec);
            records++;
        }
    }
    bounce_stream_finish(s);
    while ((rec = bounce_stream_next(s)) != NULL) {
        bounce_report_add(rep, rec);
        records++;
    }
    if (bounce_report_to_text(rep, BOUNCE_MTA_ANY, &text) != BOUNCE_OK)
        return 1;
    t1 = now_s();
    getrusage(RUSAGE_SELF, &ru);
    printf("format %s: %llu messages, %zu records, %.1f MB in %.2f s\n",
           fmt == 'p' ? "postqueue -p" : fmt == 'j' ? "postqueue -j" : "exim -bp",
           (unsigned long long)bounce_stream_stat(s, BOUNCE_STAT_MESSAGES), records, bytes / 1e6,
           t1 - t0);
    printf("%.0f messages/s, %.0f records/s, %.1f MB/s (parse + classify + report)\n",
           (double)bounce_stream_stat(s, BOUNCE_STAT_MESSAGES) / (t1 - t0),
           (double)records / (t1 - t0), bytes / 1e6 / (t1 - t0));
    printf("peak RSS %.1f MB; findings: %zu", ru.ru_maxrss / 1024.0,
           bounce_report_finding_count(rep));
    if (bounce_report_finding_count(rep))
        printf(" (first: %s)", bounce_report_finding_id(rep, 0));
    putchar('\n');
    bounce_free(text);
    bounce_report_free(rep);
    bounce_stream_free(s);
    free(buf);
    fclose(f);
    return 0;
}

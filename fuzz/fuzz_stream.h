/* Stream driving shared by the log and queue fuzz targets (header-only, static inline, so
 * each target stays one .c file for OSS-Fuzz). A target decodes its first input byte into
 * a struct fuzz_stream and calls fuzz_stream_run on the rest: the input is fed in a first
 * piece and then in steps, every record is read field by field, turned into JSON and added
 * to a report, the stream's statistics are read, the report is turned into JSON and text
 * and its findings are read, and everything is freed. */
#ifndef BOUNCE_FUZZ_STREAM_H
#define BOUNCE_FUZZ_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "bounce.h"

/* The inputs every target takes: a control byte and at most 64 KiB after it. */
#define FUZZ_STREAM_MAX_INPUT 65536
/* The reference time of every target: 2026-11-25T12:00:00Z */
#define FUZZ_STREAM_REF_TIME INT64_C(1795608000)

struct fuzz_stream {
    int kind;                  /* BOUNCE_STREAM_LOG or BOUNCE_STREAM_QUEUE */
    int format;                /* BOUNCE_FORMAT_* */
    int64_t max_in_flight;     /* BOUNCE_OPT_MAX_IN_FLIGHT, 0: the default */
    int64_t max_line;          /* BOUNCE_OPT_MAX_LINE, 0: the default */
    size_t first;              /* the first feed: this many bytes (at most the input) */
    size_t step;               /* the rest in feeds of this many bytes (0: one feed) */
    uint32_t first_flags;      /* BOUNCE_JSON_* for the records after the first feed */
    uint32_t rest_flags;       /* ... after the other feeds */
    uint32_t finish_flags;     /* ... after bounce_stream_finish */
    int mta;                   /* bounce_report_to_text's MTA */
};

static inline void fuzz_stream_drain(bounce_stream_t *s, bounce_report_t *rep, uint32_t flags)
{
    const bounce_record_t *rec;
    char *out = NULL;
    int f;
    while ((rec = bounce_stream_next(s)) != NULL) {
        for (f = 0; f < BOUNCE_FIELD_COUNT_; f++)
            (void)bounce_record_get(rec, f);
        bounce_report_add(rep, rec);
        if (bounce_record_to_json(rec, flags, &out) == BOUNCE_OK)
            bounce_free(out);
    }
}

static inline void fuzz_stream_report(const bounce_report_t *rep, int mta)
{
    char *out = NULL;
    size_t i;
    if (bounce_report_to_json(rep, BOUNCE_JSON_CANONICAL, &out) == BOUNCE_OK)
        bounce_free(out);
    if (bounce_report_to_text(rep, mta, &out) == BOUNCE_OK)
        bounce_free(out);
    for (i = 0; i < bounce_report_finding_count(rep); i++) {
        (void)bounce_report_finding_id(rep, i);
        (void)bounce_report_finding_text(rep, i);
    }
}

/* Run buf[0..len) as *f says. Errors end the run early (and are not failures: the library
 * reports them, the fuzzer looks for crashes, leaks and undefined behaviour). */
static inline void fuzz_stream_run(const struct fuzz_stream *f, const char *buf, size_t len)
{
    bounce_stream_t *s = NULL;
    bounce_report_t *rep = NULL;
    size_t off, n, k;

    if (bounce_stream_new(bounce_kb_builtin(), f->kind, f->format, &s) != BOUNCE_OK ||
        bounce_report_new(0, &rep) != BOUNCE_OK)
        goto done;
    bounce_stream_set_reference_time(s, FUZZ_STREAM_REF_TIME);
    if (f->max_in_flight)
        bounce_stream_set_option(s, BOUNCE_OPT_MAX_IN_FLIGHT, f->max_in_flight);
    if (f->max_line)
        bounce_stream_set_option(s, BOUNCE_OPT_MAX_LINE, f->max_line);
    off = f->first < len ? f->first : len;
    if (bounce_stream_feed(s, buf, off) != BOUNCE_OK)
        goto done;
    fuzz_stream_drain(s, rep, f->first_flags);
    while (off < len) {
        n = f->step && len - off > f->step ? f->step : len - off;
        if (bounce_stream_feed(s, buf + off, n) != BOUNCE_OK)
            goto done;
        off += n;
        fuzz_stream_drain(s, rep, f->rest_flags);
    }
    if (bounce_stream_finish(s) != BOUNCE_OK)
        goto done;
    fuzz_stream_drain(s, rep, f->finish_flags);
    (void)bounce_stream_format(s);
    for (k = 0; k <= BOUNCE_STAT_MESSAGES; k++)
        (void)bounce_stream_stat(s, (int)k);
    fuzz_stream_report(rep, f->mta);
done:
    bounce_report_free(rep);
    bounce_stream_free(s);
}

/* The one-MTA log targets (postfix_line, exim_line): the control byte picks auto-detection
 * or fixed_format (bit 0), an in-flight cap of 1..4 (bits 1-2, so eviction runs), where the
 * input is split in two feeds (bits 3-7) and the text report's MTA. */
static inline int fuzz_stream_log_lines(const uint8_t *data, size_t size, int fixed_format)
{
    struct fuzz_stream f = {0};
    size_t len;

    if (size < 1 || size > FUZZ_STREAM_MAX_INPUT)
        return 0;
    len = size - 1;
    f.kind = BOUNCE_STREAM_LOG;
    f.format = (data[0] & 1) ? fixed_format : BOUNCE_FORMAT_AUTO;
    f.max_in_flight = 1 + ((data[0] >> 1) & 3);
    f.first = len ? (data[0] >> 3) % (len + 1) : 0;
    f.first_flags = BOUNCE_JSON_CANONICAL;
    f.mta = data[0] % 5;
    fuzz_stream_run(&f, (const char *)data + 1, len);
    return 0;
}

#endif

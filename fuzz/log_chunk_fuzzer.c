/* libFuzzer target for log streams fed in chunks (variant of postfix_line_fuzzer and
 * exim_line_fuzzer). The first byte picks the format (auto, Postfix or Exim), a
 * small line limit or in-flight cap (to reach truncation and eviction), and the chunk size
 * the input is fed in (lines split anywhere); every record is turned into JSON and added to
 * a report, the report is turned into JSON and text, and everything is freed. */
#include <stdint.h>
#include <stdlib.h>

#include "bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(bounce_stream_t *s, bounce_report_t *rep, uint32_t flags)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int formats[] = {BOUNCE_FORMAT_AUTO, BOUNCE_FORMAT_POSTFIX_LOG,
                                  BOUNCE_FORMAT_EXIM_LOG, BOUNCE_FORMAT_AUTO};
    static const size_t chunks[] = {65536, 1, 7, 64, 4096, 3, 65536, 65536};
    bounce_stream_t *s = NULL;
    bounce_report_t *rep = NULL;
    const char *buf;
    size_t len, off, step, i;
    char *out = NULL;

    if (size < 1 || size > 65536)
        return 0;
    buf = (const char *)data + 1;
    len = size - 1;
    step = chunks[data[0] & 7];
    if (bounce_stream_new(bounce_kb_builtin(), BOUNCE_STREAM_LOG, formats[data[0] >> 6], &s) !=
            BOUNCE_OK ||
        bounce_report_new(0, &rep) != BOUNCE_OK)
        goto done;
    bounce_stream_set_reference_time(s, 1795608000);
    if (data[0] & 0x10)
        bounce_stream_set_option(s, BOUNCE_OPT_MAX_IN_FLIGHT, 2);
    if (data[0] & 0x20)
        bounce_stream_set_option(s, BOUNCE_OPT_MAX_LINE, 80);
    for (off = 0; off < len; off += step) {
        if (bounce_stream_feed(s, buf + off, len - off < step ? len - off : step) != BOUNCE_OK)
            goto done;
        drain(s, rep, data[0] & 1u);
    }
    if (bounce_stream_finish(s) != BOUNCE_OK)
        goto done;
    drain(s, rep, BOUNCE_JSON_CANONICAL);
    (void)bounce_stream_format(s);
    for (i = 0; i <= BOUNCE_STAT_MESSAGES; i++)
        (void)bounce_stream_stat(s, (int)i);
    if (bounce_report_to_json(rep, BOUNCE_JSON_CANONICAL, &out) == BOUNCE_OK)
        bounce_free(out);
    if (bounce_report_to_text(rep, (data[0] >> 3) & 1 ? 1 : 2, &out) == BOUNCE_OK)
        bounce_free(out);
    for (i = 0; i < bounce_report_finding_count(rep); i++) {
        (void)bounce_report_finding_id(rep, i);
        (void)bounce_report_finding_text(rep, i);
    }
done:
    bounce_report_free(rep);
    bounce_stream_free(s);
    return 0;
}

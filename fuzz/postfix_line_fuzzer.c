/* libFuzzer target for the Postfix log lines (every prefix form: RFC 3164/3339/5424, journald short-iso and JSON)
 * and the tracker that joins them. The first byte picks auto-detection or the fixed
 * format, a tiny in-flight cap (so eviction runs) and where the input is split in two
 * feeds; every record is turned into JSON, the report into JSON and text, and everything
 * is freed. */
#include <stdint.h>
#include <stdlib.h>

#include "bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bounce_stream_t *s = NULL;
    bounce_report_t *rep = NULL;
    const bounce_record_t *rec;
    const char *buf;
    size_t len, split;
    char *out = NULL;

    if (size < 1 || size > 65536)
        return 0;
    buf = (const char *)data + 1;
    len = size - 1;
    split = len ? (data[0] >> 3) % (len + 1) : 0;
    if (bounce_stream_new(bounce_kb_builtin(), BOUNCE_STREAM_LOG,
                          (data[0] & 1) ? BOUNCE_FORMAT_POSTFIX_LOG : BOUNCE_FORMAT_AUTO, &s) != BOUNCE_OK ||
        bounce_report_new(0, &rep) != BOUNCE_OK)
        goto done;
    bounce_stream_set_reference_time(s, 1795608000);
    bounce_stream_set_option(s, BOUNCE_OPT_MAX_IN_FLIGHT, 1 + ((data[0] >> 1) & 3));
    if (bounce_stream_feed(s, buf, split) != BOUNCE_OK)
        goto done;
    while ((rec = bounce_stream_next(s)) != NULL) {
        bounce_report_add(rep, rec);
        if (bounce_record_to_json(rec, BOUNCE_JSON_CANONICAL, &out) == BOUNCE_OK)
            bounce_free(out);
    }
    if (bounce_stream_feed(s, buf + split, len - split) != BOUNCE_OK ||
        bounce_stream_finish(s) != BOUNCE_OK)
        goto done;
    while ((rec = bounce_stream_next(s)) != NULL) {
        bounce_report_add(rep, rec);
        if (bounce_record_to_json(rec, 0, &out) == BOUNCE_OK)
            bounce_free(out);
    }
    if (bounce_report_to_json(rep, BOUNCE_JSON_CANONICAL, &out) == BOUNCE_OK)
        bounce_free(out);
    if (bounce_report_to_text(rep, data[0] % 5, &out) == BOUNCE_OK)
        bounce_free(out);
done:
    bounce_report_free(rep);
    bounce_stream_free(s);
    return 0;
}

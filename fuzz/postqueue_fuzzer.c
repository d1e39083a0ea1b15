/* libFuzzer target for the queue listings (postqueue -p, postqueue -j, exim -bp) and the
 * report built from them. The first byte picks the format (auto or one of the three) and
 * where the input is split in two feeds; every record is turned into JSON, the report into
 * JSON and text, and everything is freed. */
#include <stdint.h>
#include <stdlib.h>

#include "bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int formats[] = {BOUNCE_FORMAT_AUTO, BOUNCE_FORMAT_POSTQUEUE,
                                  BOUNCE_FORMAT_POSTQUEUE_JSON, BOUNCE_FORMAT_EXIM_QUEUE};
    bounce_stream_t *s = NULL;
    bounce_report_t *rep = NULL;
    const bounce_record_t *rec;
    const char *buf;
    size_t len, split, i;
    char *out = NULL;

    if (size < 1 || size > 65536)
        return 0;
    buf = (const char *)data + 1;
    len = size - 1;
    split = len ? (data[0] >> 2) % (len + 1) : 0;
    if (bounce_stream_new(bounce_kb_builtin(), BOUNCE_STREAM_QUEUE, formats[data[0] & 3], &s) !=
            BOUNCE_OK ||
        bounce_report_new(0, &rep) != BOUNCE_OK)
        goto done;
    bounce_stream_set_reference_time(s, 1795608000);
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
    for (i = 0; i < bounce_report_finding_count(rep); i++)
        (void)bounce_report_finding_text(rep, i);
done:
    bounce_report_free(rep);
    bounce_stream_free(s);
    return 0;
}

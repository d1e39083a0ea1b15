/* libFuzzer target for the Postfix log lines (every prefix form: RFC 3164/3339/5424, journald short-iso and JSON)
 * and the tracker that joins them. The first byte picks auto-detection or the fixed
 * format, a tiny in-flight cap (so eviction runs) and where the input is split in two
 * feeds; every record is turned into JSON, the report into JSON and text, and everything
 * is freed. */
#include <stdint.h>

#include "fuzz_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_stream f = {0};
    size_t len;

    if (size < 1 || size > FUZZ_STREAM_MAX_INPUT)
        return 0;
    len = size - 1;
    f.kind = BOUNCE_STREAM_LOG;
    f.format = (data[0] & 1) ? BOUNCE_FORMAT_POSTFIX_LOG : BOUNCE_FORMAT_AUTO;
    f.max_in_flight = 1 + ((data[0] >> 1) & 3);
    f.first = len ? (data[0] >> 3) % (len + 1) : 0;
    f.first_flags = BOUNCE_JSON_CANONICAL;
    f.mta = data[0] % 5;
    fuzz_stream_run(&f, (const char *)data + 1, len);
    return 0;
}

/* libFuzzer target for the queue listings (postqueue -p, postqueue -j, exim -bp) and the
 * report built from them. The first byte picks the format (auto or one of the three) and
 * where the input is split in two feeds; every record is turned into JSON, the report into
 * JSON and text, and everything is freed. */
#include <stdint.h>

#include "fuzz_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int formats[] = {BOUNCE_FORMAT_AUTO, BOUNCE_FORMAT_POSTQUEUE,
                                  BOUNCE_FORMAT_POSTQUEUE_JSON, BOUNCE_FORMAT_EXIM_QUEUE};
    struct fuzz_stream f = {0};
    size_t len;

    if (size < 1 || size > FUZZ_STREAM_MAX_INPUT)
        return 0;
    len = size - 1;
    f.kind = BOUNCE_STREAM_QUEUE;
    f.format = formats[data[0] & 3];
    f.first = len ? (data[0] >> 2) % (len + 1) : 0;
    f.first_flags = BOUNCE_JSON_CANONICAL;
    f.mta = data[0] % 5;
    fuzz_stream_run(&f, (const char *)data + 1, len);
    return 0;
}

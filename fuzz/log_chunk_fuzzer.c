/* libFuzzer target for log streams fed in chunks (variant of postfix_line_fuzzer and
 * exim_line_fuzzer). The first byte picks the format (auto, Postfix or Exim), a
 * small line limit or in-flight cap (to reach truncation and eviction), and the chunk size
 * the input is fed in (lines split anywhere); every record is turned into JSON and added to
 * a report, the report is turned into JSON and text, and everything is freed. */
#include <stdint.h>

#include "fuzz_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int formats[] = {BOUNCE_FORMAT_AUTO, BOUNCE_FORMAT_POSTFIX_LOG,
                                  BOUNCE_FORMAT_EXIM_LOG, BOUNCE_FORMAT_AUTO};
    static const size_t chunks[] = {65536, 1, 7, 64, 4096, 3, 65536, 65536};
    struct fuzz_stream f = {0};

    if (size < 1 || size > FUZZ_STREAM_MAX_INPUT)
        return 0;
    f.kind = BOUNCE_STREAM_LOG;
    f.format = formats[data[0] >> 6];
    f.max_in_flight = (data[0] & 0x10) ? 2 : 0;
    f.max_line = (data[0] & 0x20) ? 80 : 0;
    f.first = f.step = chunks[data[0] & 7];
    f.first_flags = f.rest_flags = data[0] & 1u;
    f.finish_flags = BOUNCE_JSON_CANONICAL;
    f.mta = (data[0] >> 3) & 1 ? 1 : 2;
    fuzz_stream_run(&f, (const char *)data + 1, size - 1);
    return 0;
}

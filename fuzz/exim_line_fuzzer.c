/* libFuzzer target for the Exim main log lines (old and 4.97+ message ids, syslog-relayed lines)
 * and the tracker that joins them. The first byte picks auto-detection or the fixed
 * format, a tiny in-flight cap (so eviction runs) and where the input is split in two
 * feeds; every record is turned into JSON, the report into JSON and text, and everything
 * is freed. */
#include <stdint.h>

#include "fuzz_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_stream_log_lines(data, size, BOUNCE_FORMAT_EXIM_LOG);
}

/* libFuzzer target: parse one bounce message with the built-in KB, export it as JSON,
 * read every accessor, free everything. Inputs are capped at 64 KiB. */
#include <stddef.h>
#include <stdint.h>

#include <bounce.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bounce_dsn_t *d = NULL;
    char *json = NULL;
    size_t i;
    int f;
    if (size > 65536)
        size = 65536;
    if (bounce_dsn_parse(bounce_kb_builtin(), (const char *)data, size, "fuzz", 0, &d) !=
        BOUNCE_OK)
        return 0;
    if (bounce_dsn_to_json(d, BOUNCE_JSON_CANONICAL, &json) == BOUNCE_OK)
        bounce_free(json);
    for (f = 0; f < BOUNCE_DSN_FIELD_COUNT_; f++)
        (void)bounce_dsn_get(d, f);
    for (i = 0; i < bounce_dsn_warning_count(d); i++)
        (void)bounce_dsn_warning(d, i);
    for (i = 0; i < bounce_dsn_record_count(d); i++) {
        const bounce_record_t *r = bounce_dsn_record(d, i);
        for (f = 0; f < BOUNCE_FIELD_COUNT_; f++)
            (void)bounce_record_get(r, f);
    }
    (void)bounce_dsn_kind(d);
    bounce_dsn_free(d);
    return 0;
}

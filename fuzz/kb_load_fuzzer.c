/* libFuzzer target for the knowledge-base loader: load the input as a KB file over the
 * built-in KB, read the diagnostic on failure; on success read every signature and cause,
 * classify the input text with the new KB, turn the result into JSON, and free everything. */
#include <stdint.h>
#include <stdlib.h>

#include "bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const fields[] = {"id", "cause", "pattern", "example", "url",
                                         "constraints"};
    bounce_kb_t *kb = NULL;
    bounce_diag_t *diag = NULL;
    bounce_result_t *res = NULL;
    size_t i, n, f;
    char *out = NULL;

    if (size > 65536)
        return 0;
    if (bounce_kb_load_buffer(bounce_kb_builtin(), (const char *)data, size, "fuzz.tsv", &kb,
                              &diag) != BOUNCE_OK) {
        if (diag) {
            (void)bounce_diag_file(diag);
            (void)bounce_diag_line(diag);
            (void)bounce_diag_column(diag);
            (void)bounce_diag_message(diag);
            bounce_diag_free(diag);
        }
        return 0;
    }
    bounce_diag_free(diag);
    (void)bounce_kb_checksum(kb);
    for (i = 0, n = bounce_kb_signature_count(kb); i < n; i++)
        for (f = 0; f < sizeof fields / sizeof fields[0]; f++)
            (void)bounce_kb_signature_field(kb, i, fields[f]);
    for (i = 0, n = bounce_kb_cause_count(kb); i < n; i++)
        (void)bounce_kb_cause_id(kb, i);
    (void)bounce_kb_esc_count(kb);
    if (bounce_classify(kb, (const char *)data, size, 0, NULL, BOUNCE_STAGE_UNKNOWN, &res) ==
        BOUNCE_OK) {
        if (bounce_result_to_json(res, 0, &out) == BOUNCE_OK)
            bounce_free(out);
        bounce_result_free(res);
    }
    bounce_kb_free(kb);
    return 0;
}

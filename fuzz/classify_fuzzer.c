/* libFuzzer target for reply parsing and classification of a free diagnostic text: extract
 * the reply and enhanced codes, classify with the built-in KB (with and without the codes,
 * at the stage the first byte picks), read every accessor, turn the result into JSON, and
 * free everything. */
#include <stdint.h>
#include <stdlib.h>

#include "bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void use(const bounce_result_t *r, uint32_t flags)
{
    size_t off, len, i, n;
    char *out = NULL;
    int mta;
    (void)bounce_result_reason(r);
    (void)bounce_result_cause(r);
    (void)bounce_result_severity(r);
    (void)bounce_result_hard_bounce(r);
    (void)bounce_result_action(r);
    (void)bounce_result_who(r);
    (void)bounce_result_confidence(r);
    (void)bounce_result_evidence(r);
    (void)bounce_result_span(r, &off, &len);
    (void)bounce_result_reply_code(r);
    (void)bounce_result_enhanced(r);
    (void)bounce_result_explanation(r);
    for (mta = 0; mta <= BOUNCE_MTA_CPANEL; mta++)
        for (i = 0, n = bounce_result_remediation_count(r, mta); i < n; i++)
            (void)bounce_result_remediation(r, mta, i);
    if (bounce_result_to_json(r, flags, &out) == BOUNCE_OK)
        bounce_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bounce_result_t *r = NULL;
    const char *text;
    size_t len;
    char enhanced[16];
    int code = 0;

    if (size < 1 || size > 65536)
        return 0;
    text = (const char *)data + 1;
    len = size - 1;
    if (bounce_reply_extract(text, len, &code, enhanced) != BOUNCE_OK)
        return 0;
    if (bounce_classify(bounce_kb_builtin(), text, len, code, enhanced, data[0] % 9, &r) ==
        BOUNCE_OK) {
        use(r, data[0] >> 4);
        bounce_result_free(r);
        r = NULL;
    }
    if (bounce_classify(bounce_kb_builtin(), text, len, 0, NULL, BOUNCE_STAGE_UNKNOWN, &r) ==
        BOUNCE_OK) {
        use(r, BOUNCE_JSON_CANONICAL);
        bounce_result_free(r);
    }
    return 0;
}

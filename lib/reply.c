/* STUB by the lead: replaced by its owner. */
#include "internal.h"

void bounce__reply_extract(const char *text, size_t len, int *reply_code, char *enhanced)
{
    (void)text;
    (void)len;
    *reply_code = 0;
    enhanced[0] = '\0';
}

/* STUB by the lead: replaced by its owner. */
#include "internal.h"
const char *bounce__kb_cause_id(const bounce_kb_t *kb, int32_t c) { (void)kb; (void)c; return NULL; }
const char *bounce__kb_cause_explanation(const bounce_kb_t *kb, int32_t c) { (void)kb; (void)c; return NULL; }
size_t bounce__kb_remedy_count(const bounce_kb_t *kb, int32_t c, int m) { (void)kb; (void)c; (void)m; return 0; }
const char *bounce__kb_remedy(const bounce_kb_t *kb, int32_t c, int m, size_t i) { (void)kb; (void)c; (void)m; (void)i; return NULL; }
const char *bounce__kb_sig_id(const bounce_kb_t *kb, int32_t s) { (void)kb; (void)s; return NULL; }

/* A small MIME walker for bounce messages (internal). */
#ifndef BOUNCE_MIME_H
#define BOUNCE_MIME_H

#include <stddef.h>

#include "internal.h"

#define BOUNCE__MIME_MAX_DEPTH 16
#define BOUNCE__MIME_MAX_PARTS 256
#define BOUNCE__MIME_MAX_DECODED (1024u * 1024u) /* decoded bytes kept per part */

/* Warning bits set by the walker. */
#define BOUNCE__MIME_W_DEPTH 0x01u      /* nesting deeper than the limit */
#define BOUNCE__MIME_W_PARTS 0x02u      /* more parts than the limit */
#define BOUNCE__MIME_W_NOBOUNDARY 0x04u /* multipart without its boundary in the body */
#define BOUNCE__MIME_W_UNCLOSED 0x08u   /* multipart without the closing delimiter */
#define BOUNCE__MIME_W_NUL 0x10u        /* NUL bytes (replaced by spaces) */
#define BOUNCE__MIME_W_TRUNCATED 0x20u  /* a decoded part was cut at the size limit */
#define BOUNCE__MIME_W_CHARSET 0x40u    /* unknown charset (bytes kept as they are) */
#define BOUNCE__MIME_W_NOHEADER 0x80u   /* the message has no header block */

#define BOUNCE__MIME_ENC_IDENTITY 0
#define BOUNCE__MIME_ENC_BASE64 1
#define BOUNCE__MIME_ENC_QP 2

typedef struct bounce__mime_part {
    const char *hdr;   /* header block (LF line endings), without the blank line */
    size_t hdr_len;
    const char *body;  /* raw body, still transfer-encoded */
    size_t body_len;
    int depth;         /* 0 = the message itself */
    int parent;        /* index of the parent part, -1 for the root */
    int embedded;      /* inside a returned message (message/rfc822 or similar) */
    int encoding;      /* BOUNCE__MIME_ENC_* */
    int attachment;    /* Content-Disposition: attachment */
    char type[64];     /* lower-case "type/subtype"; "text/plain" by default */
    char charset[40];  /* lower-case, "" if none */
} bounce__mime_part;

typedef struct bounce__mime {
    char *text;        /* the normalised copy of the input: LF line endings, no NUL */
    size_t len;
    bounce__mime_part *parts;
    size_t nparts, cap;
    unsigned warnings; /* BOUNCE__MIME_W_* */
} bounce__mime;

/* Normalise and walk a message. 0 ok, -1 out of memory (m is then freed). */
int bounce__mime_parse(bounce__mime *m, const char *buf, size_t len) BOUNCE__HIDDEN;
void bounce__mime_free(bounce__mime *m) BOUNCE__HIDDEN;

/* Raw value of the first header `name` (case-insensitive, without colon) in a header
 * block; *vlen = length including folded continuation lines. NULL if absent. */
const char *bounce__mime_header_raw(const char *hdr, size_t hlen, const char *name,
                                    size_t *vlen) BOUNCE__HIDDEN;
/* Same, unfolded, trimmed and RFC 2047-decoded to UTF-8, appended to out.
 * Returns 1 if found, 0 if absent, -1 on out of memory. */
int bounce__mime_header(const char *hdr, size_t hlen, const char *name, bounce__buf *out)
    BOUNCE__HIDDEN;
/* Append the unfolded, RFC 2047-decoded form of s[0..n) to out. 0 ok, -1 nomem. */
int bounce__mime_decode_words(const char *s, size_t n, bounce__buf *out) BOUNCE__HIDDEN;
/* A parameter of a structured header value (boundary, charset, report-type) into out,
 * lower-cased if lower. Returns its length, or -1 if absent. */
int bounce__mime_param(const char *v, size_t vlen, const char *param, char *out, size_t outsz,
                       int lower) BOUNCE__HIDDEN;
/* Decode a part's body (transfer encoding, then charset to UTF-8) and append at most
 * cap bytes to out. Returns 0, 1 if cut at cap, -1 on out of memory. */
int bounce__mime_decode(const bounce__mime_part *p, bounce__buf *out, size_t cap)
    BOUNCE__HIDDEN;
/* Convert s[0..n) from charset to UTF-8, appended to out. Returns 0, 1 if the charset
 * is unknown (bytes copied as they are), -1 on out of memory. */
int bounce__mime_to_utf8(const char *charset, const char *s, size_t n, bounce__buf *out)
    BOUNCE__HIDDEN;

#endif /* BOUNCE_MIME_H */

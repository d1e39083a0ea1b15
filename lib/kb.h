/* Internal: the compiled knowledge base. Never installed.
 *
 * A KB is plain arrays plus one string pool; every string is an offset into the pool.
 * The same struct is filled by the run-time loader (heap arrays) and emitted as
 * `static const` data by tools/kbgen (lib/kb_builtin.c), so the only pointers are the
 * ones to the arrays themselves.
 *
 * The matcher is an Aho-Corasick automaton over all distinct signature fragments, built
 * as a dense DFA over byte classes: delta[(state << class_shift) + byte_class[byte]]
 * (rows padded to a power of two so that a step needs no multiplication).
 * States are numbered so that every state with outputs has an id >= first_out.
 * Whitespace folding is in the table: a state entered by a space stays where it is on
 * another space (the matcher suppresses the outputs of such a repeated, folded space).
 */
#ifndef BOUNCE_KB_H
#define BOUNCE_KB_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define BOUNCE__KB_FORMAT 1
#define BOUNCE__KB_BUILTIN 0x1u  /* flags: the static built-in KB (never freed) */
#define BOUNCE__KB_NONE UINT32_MAX /* "no string" / "no index" */
#define BOUNCE__KB_MAX_FRAGS 31  /* fragments per signature */
#define BOUNCE__KB_NMTA 5        /* any, postfix, exim, plesk, cpanel */

typedef struct bounce__kb_cause {
    uint32_t id;          /* pool offset */
    uint32_t explanation; /* pool offset */
    uint8_t reason, severity, who, action;
    uint32_t rem_first;   /* index into remedy[]; grouped by mta in order any..cpanel */
    uint16_t rem_n[BOUNCE__KB_NMTA];
} bounce__kb_cause;

typedef struct bounce__kb_code {
    uint16_t code;        /* 200..599 */
    int32_t cause;        /* -1 = none */
    uint32_t desc;
} bounce__kb_code;

typedef struct bounce__kb_esc {
    uint8_t cls;          /* 0 = class independent ("X.S.D"), else 2, 4 or 5 */
    uint16_t subject, detail;
    uint32_t code;        /* pool: the code as written ("X.1.1", "5.7.26") */
    uint32_t title, desc;
    int32_t perm_cause, trans_cause; /* -1 = none */
} bounce__kb_esc;

/* esc constraint kinds */
#define BOUNCE__ESCK_NONE 0
#define BOUNCE__ESCK_CLASS 1   /* esc=5.* */
#define BOUNCE__ESCK_SUBJECT 2 /* esc=5.7.* */
#define BOUNCE__ESCK_EXACT 3   /* esc=5.7.1 */

typedef struct bounce__kb_sig {
    uint32_t id, pattern, example, url, constraints; /* pool offsets ("" when absent) */
    int32_t cause;
    uint8_t priority;     /* 0..100 */
    uint8_t nfrag;        /* 1..BOUNCE__KB_MAX_FRAGS */
    uint8_t stage;        /* bounce_stage_t, 0 = any */
    uint8_t code_class;   /* 2..5, 0 = any */
    uint16_t code;        /* exact reply code, 0 = any */
    uint8_t esc_kind;     /* BOUNCE__ESCK_* */
    uint8_t esc_class;
    uint16_t esc_subject, esc_detail;
    uint32_t frag_first;  /* first entry in sig_frag[] */
    uint32_t frag_bytes;  /* total normalized fragment length (tie-break) */
    uint32_t multi;       /* slot in the per-call progress scratch, NONE if nfrag == 1 */
} bounce__kb_sig;

struct bounce_kb {
    uint32_t flags;
    int format;
    const char *pool;
    uint32_t pool_len;
    const char *checksum;      /* hex SHA-256 of the source data, "" if loaded */

    uint32_t ncauses;
    const bounce__kb_cause *causes;
    const uint32_t *cause_sorted; /* cause indices sorted by id (binary search) */
    uint32_t nremedies;
    const uint32_t *remedies;  /* pool offsets */
    uint32_t ncodes;
    const bounce__kb_code *codes;    /* sorted by code */
    uint32_t nesc;
    const bounce__kb_esc *esc;       /* sorted by (subject, detail, cls) */
    uint32_t nsigs;
    const bounce__kb_sig *sigs;
    uint32_t nsig_frag;
    const uint32_t *sig_frag;  /* fragment ids of every signature, in order */

    /* fragments */
    uint32_t nfrags;
    const uint32_t *frag_text; /* pool offset of the normalized fragment */
    const uint16_t *frag_len;  /* normalized length */
    const uint8_t *frag_edge;  /* bit 0: begins with a space, bit 1: ends with a space */
    const uint32_t *frag_use_start; /* nfrags + 1 */
    const uint32_t *frag_use;  /* (sig << 5) | position in the signature */
    uint32_t nmulti;           /* signatures with more than one fragment */
    uint32_t max_frag_len;     /* longest normalized fragment (= depth of the automaton) */

    /* automaton */
    uint8_t byte_class[256];
    uint32_t nclasses;
    uint32_t class_shift;      /* row stride = 1 << class_shift >= nclasses */
    uint32_t space_class;
    uint32_t nstates;
    uint32_t first_out;
    const uint16_t *delta16;   /* one of delta16 / delta32 is set (nstates << class_shift) */
    const uint32_t *delta32;
    const uint8_t *depth;      /* depth of each state in the trie (length of its string) */
    const uint32_t *out_start; /* nstates - first_out + 1 */
    const uint32_t *out_frag;
};

#define BOUNCE__KB_STR(kb, off) ((kb)->pool + (off))

/* Lookups used by the classifier. */
int32_t bounce__kb_find_cause(const bounce_kb_t *kb, const char *id) BOUNCE__HIDDEN;
const bounce__kb_code *bounce__kb_code_lookup(const bounce_kb_t *kb, int code) BOUNCE__HIDDEN;
/* Exact lookup of one esc row (cls 0 = the X row). */
const bounce__kb_esc *bounce__kb_esc_find(const bounce_kb_t *kb, int cls, int subject,
                                          int detail) BOUNCE__HIDDEN;
/* Parse "C.S.D" / "X.S.D" (whole string). cls 0 for X. Returns 0 on success. */
int bounce__esc_parse(const char *s, size_t len, int *cls, int *subject, int *detail)
    BOUNCE__HIDDEN;

/* For tools/kbgen: load files (or directories, walked recursively in sorted order) into a
 * new KB over an empty base. Same parser and builder as bounce_kb_load_file(). */
bounce_status_t bounce__kb_load_paths(const char *const *paths, size_t n, bounce_kb_t **out,
                                      bounce_diag_t **diag) BOUNCE__HIDDEN;
/* Collect the *.tsv files below path (or path itself) in sorted order; caller frees each
 * string and the array with bounce__free. Returns 0, or -1 (nomem), -2 (I/O). */
int bounce__kb_list_files(const char *path, char ***files, size_t *n) BOUNCE__HIDDEN;

#endif /* BOUNCE_KB_H */

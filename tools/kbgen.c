/* kbgen: compile the KB source data (data/kb/ (all *.tsv files)) into lib/kb_builtin.c.
 *
 *   kbgen -o lib/kb_builtin.c data/kb [more files or directories...]
 *
 * Without a path it writes an empty KB. *
 * Uses the library's own parser and builder (lib/kb.c), so the built-in KB goes through the
 * same validation as a KB loaded at run time. Directories are walked recursively and their
 * *.tsv files read in sorted path order. The output is deterministic: no time stamps, no
 * paths; it records the format version, the counts and the SHA-256 of the concatenated
 * source files (in the order read). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kb.h"

/* ---- SHA-256 (FIPS 180-4) ---- */
typedef struct sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
    size_t n;
} sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(sha256 *s, const unsigned char *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, h;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
    s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init(sha256 *s)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->len = 0;
    s->n = 0;
}

static void sha_update(sha256 *s, const unsigned char *p, size_t n)
{
    s->len += n;
    while (n > 0) {
        size_t k = 64 - s->n < n ? 64 - s->n : n;
        memcpy(s->buf + s->n, p, k);
        s->n += k;
        p += k;
        n -= k;
        if (s->n == 64) {
            sha_block(s, s->buf);
            s->n = 0;
        }
    }
}

static void sha_hex(sha256 *s, char out[65])
{
    uint64_t bits = s->len * 8;
    unsigned char pad = 0x80, z = 0, lenb[8];
    int i;
    sha_update(s, &pad, 1);
    while (s->n != 56)
        sha_update(s, &z, 1);
    for (i = 0; i < 8; i++)
        lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_update(s, lenb, 8);
    for (i = 0; i < 8; i++)
        sprintf(out + 8 * i, "%08x", (unsigned)s->h[i]);
    out[64] = '\0';
}

/* ---- output helpers ---- */
static FILE *out;

static void emit_u32s(const char *type, const char *name, const uint32_t *a, size_t n)
{
    size_t i;
    fprintf(out, "static const %s %s[] = {", type, name);
    if (!n)
        fputs("0", out);
    for (i = 0; i < n; i++)
        fprintf(out, "%s%s%u", i ? "," : "", i % 16 == 0 ? "\n    " : "", (unsigned)a[i]);
    fputs("\n};\n\n", out);
}

static void emit_u16s(const char *name, const uint16_t *a, size_t n)
{
    size_t i;
    fprintf(out, "static const uint16_t %s[] = {", name);
    if (!n)
        fputs("0", out);
    for (i = 0; i < n; i++)
        fprintf(out, "%s%s%u", i ? "," : "", i % 20 == 0 ? "\n    " : "", (unsigned)a[i]);
    fputs("\n};\n\n", out);
}

static void emit_pool(const char *p, size_t n)
{
    size_t i, col = 0;
    fputs("static const char kb_pool[] =\n    \"", out);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\0') {
            fputs("\\000\"\n    \"", out);
            col = 0;
            continue;
        }
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f || c == '?')
            fprintf(out, "\\%03o", c);
        else
            fputc(c, out);
        if (++col >= 100) {
            fputs("\"\n    \"", out);
            col = 0;
        }
    }
    fputs("\";\n\n", out);
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int usage(void)
{
    fputs("usage: kbgen -o OUTPUT.c [PATH...]\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *outpath = NULL, **paths;
    size_t np = 0, i, k;
    bounce_kb_t *kb = NULL;
    bounce_diag_t *diag = NULL;
    bounce_status_t st;
    sha256 sha;
    char hex[65], tmpname[4096];
    const struct bounce_kb *K_;
    uint32_t *tmp;

    paths = calloc((size_t)argc + 1, sizeof(char *));
    if (!paths)
        return 1;
    for (i = 1; i < (size_t)argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < (size_t)argc)
            outpath = argv[++i];
        else if (argv[i][0] == '-')
            return usage();
        else
            paths[np++] = argv[i];
    }
    if (!outpath)
        return usage();
    /* the same order whatever the command line says */
    qsort(paths, np, sizeof(char *), cmp_path);

    /* checksum of the source data, in the order the loader reads it */
    sha_init(&sha);
    for (i = 0; i < np; i++) {
        char **files;
        size_t nf;
        if (bounce__kb_list_files(paths[i], &files, &nf) != 0) {
            fprintf(stderr, "kbgen: cannot read %s\n", paths[i]);
            return 1;
        }
        for (k = 0; k < nf; k++) {
            FILE *f = fopen(files[k], "rb");
            unsigned char buf[65536];
            size_t n;
            if (!f) {
                fprintf(stderr, "kbgen: cannot open %s\n", files[k]);
                return 1;
            }
            while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                sha_update(&sha, buf, n);
            fclose(f);
            bounce__free(files[k]);
        }
        bounce__free(files);
    }
    sha_hex(&sha, hex);

    st = bounce__kb_load_paths(paths, np, &kb, &diag);
    if (st != BOUNCE_OK) {
        if (diag)
            fprintf(stderr, "%s:%zu:%zu: error: %s\n", bounce_diag_file(diag),
                    bounce_diag_line(diag), bounce_diag_column(diag), bounce_diag_message(diag));
        else
            fprintf(stderr, "kbgen: %s\n", bounce_strerror(st));
        bounce_diag_free(diag);
        return 1;
    }
    K_ = kb;

    snprintf(tmpname, sizeof tmpname, "%s.tmp", outpath);
    if (!(out = fopen(tmpname, "w"))) {
        fprintf(stderr, "kbgen: cannot write %s\n", tmpname);
        return 1;
    }
    fputs("/* Generated by tools/kbgen from data/kb/: do not edit. */\n", out);
    fprintf(out, "/* KB format %d; %u causes, %u remedies, %u reply codes, %u enhanced codes,\n"
                 " * %u signatures, %u fragments, %u DFA states x %u byte classes.\n"
                 " * SHA-256 of the source data: %s */\n",
            K_->format, K_->ncauses, K_->nremedies, K_->ncodes, K_->nesc, K_->nsigs,
            K_->nfrags, K_->nstates, K_->nclasses, hex);
    fputs("#include \"internal.h\"\n#include \"kb.h\"\n\n", out);
    emit_pool(K_->pool, K_->pool_len);
    fprintf(out, "static const char kb_checksum[] = \"%s\";\n\n", hex);

    fputs("static const bounce__kb_cause kb_causes[] = {", out);
    for (i = 0; i < K_->ncauses; i++) {
        const bounce__kb_cause *c = &K_->causes[i];
        fprintf(out, "%s\n    {%u, %u, %u, %u, %u, %u, %u, {%u, %u, %u, %u, %u}}", i ? "," : "",
                c->id, c->explanation, c->reason, c->severity, c->who, c->action, c->rem_first,
                c->rem_n[0], c->rem_n[1], c->rem_n[2], c->rem_n[3], c->rem_n[4]);
    }
    if (!K_->ncauses)
        fputs("\n    {0, 0, 0, 0, 0, 0, 0, {0, 0, 0, 0, 0}}", out);
    fputs("\n};\n\n", out);
    emit_u32s("uint32_t", "kb_cause_sorted", K_->cause_sorted, K_->ncauses);
    emit_u32s("uint32_t", "kb_remedies", K_->remedies, K_->nremedies);

    fputs("static const bounce__kb_code kb_codes[] = {", out);
    for (i = 0; i < K_->ncodes; i++)
        fprintf(out, "%s\n    {%u, %d, %u}", i ? "," : "", K_->codes[i].code,
                (int)K_->codes[i].cause, K_->codes[i].desc);
    if (!K_->ncodes)
        fputs("\n    {0, -1, 0}", out);
    fputs("\n};\n\n", out);

    fputs("static const bounce__kb_esc kb_esc[] = {", out);
    for (i = 0; i < K_->nesc; i++) {
        const bounce__kb_esc *e = &K_->esc[i];
        fprintf(out, "%s\n    {%u, %u, %u, %u, %u, %u, %d, %d}", i ? "," : "", e->cls,
                e->subject, e->detail, e->code, e->title, e->desc, (int)e->perm_cause,
                (int)e->trans_cause);
    }
    if (!K_->nesc)
        fputs("\n    {0, 0, 0, 0, 0, 0, -1, -1}", out);
    fputs("\n};\n\n", out);

    fputs("static const bounce__kb_sig kb_sigs[] = {", out);
    for (i = 0; i < K_->nsigs; i++) {
        const bounce__kb_sig *s = &K_->sigs[i];
        fprintf(out,
                "%s\n    {%u, %u, %u, %u, %u, %d, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, %u, "
                "%uu}",
                i ? "," : "", s->id, s->pattern, s->example, s->url, s->constraints,
                (int)s->cause, s->priority, s->nfrag, s->stage, s->code_class, s->code,
                s->esc_kind, s->esc_class, s->esc_subject, s->esc_detail, s->frag_first,
                s->frag_bytes, s->multi);
    }
    if (!K_->nsigs)
        fputs("\n    {0}", out);
    fputs("\n};\n\n", out);
    emit_u32s("uint32_t", "kb_sig_frag", K_->sig_frag, K_->nsig_frag);
    emit_u32s("uint32_t", "kb_frag_text", K_->frag_text, K_->nfrags);
    emit_u16s("kb_frag_len", K_->frag_len, K_->nfrags);
    tmp = calloc((size_t)K_->nfrags + 1, sizeof(uint32_t));
    if (!tmp)
        return 1;
    for (i = 0; i < K_->nfrags; i++)
        tmp[i] = K_->frag_edge[i];
    emit_u32s("uint8_t", "kb_frag_edge", tmp, K_->nfrags);
    free(tmp);
    emit_u32s("uint32_t", "kb_frag_use_start", K_->frag_use_start, (size_t)K_->nfrags + 1);
    emit_u32s("uint32_t", "kb_frag_use", K_->frag_use, K_->nsig_frag);
    if (K_->delta16)
        emit_u16s("kb_delta16", K_->delta16, (size_t)K_->nstates << K_->class_shift);
    else
        emit_u32s("uint32_t", "kb_delta32", K_->delta32, (size_t)K_->nstates << K_->class_shift);
    tmp = calloc((size_t)K_->nstates + 1, sizeof(uint32_t));
    if (!tmp)
        return 1;
    for (i = 0; i < K_->nstates; i++)
        tmp[i] = K_->depth[i];
    emit_u32s("uint8_t", "kb_depth", tmp, K_->nstates);
    free(tmp);
    emit_u32s("uint32_t", "kb_out_start", K_->out_start, (size_t)(K_->nstates - K_->first_out) + 1);
    emit_u32s("uint32_t", "kb_out_frag", K_->out_frag,
              K_->out_start[K_->nstates - K_->first_out]);

    fputs("static const struct bounce_kb kb_builtin = {\n", out);
    fputs("    .flags = BOUNCE__KB_BUILTIN,\n", out);
    fprintf(out, "    .format = %d,\n", K_->format);
    fprintf(out, "    .pool = kb_pool,\n    .pool_len = %u,\n", K_->pool_len);
    fputs("    .checksum = kb_checksum,\n", out);
    fprintf(out, "    .ncauses = %u,\n    .causes = kb_causes,\n", K_->ncauses);
    fputs("    .cause_sorted = kb_cause_sorted,\n", out);
    fprintf(out, "    .nremedies = %u,\n    .remedies = kb_remedies,\n", K_->nremedies);
    fprintf(out, "    .ncodes = %u,\n    .codes = kb_codes,\n", K_->ncodes);
    fprintf(out, "    .nesc = %u,\n    .esc = kb_esc,\n", K_->nesc);
    fprintf(out, "    .nsigs = %u,\n    .sigs = kb_sigs,\n", K_->nsigs);
    fprintf(out, "    .nsig_frag = %u,\n    .sig_frag = kb_sig_frag,\n", K_->nsig_frag);
    fprintf(out, "    .nfrags = %u,\n    .frag_text = kb_frag_text,\n", K_->nfrags);
    fputs("    .frag_len = kb_frag_len,\n    .frag_edge = kb_frag_edge,\n", out);
    fputs("    .frag_use_start = kb_frag_use_start,\n    .frag_use = kb_frag_use,\n", out);
    fprintf(out, "    .nmulti = %u,\n    .max_frag_len = %u,\n", K_->nmulti, K_->max_frag_len);
    fputs("    .byte_class = {", out);
    for (i = 0; i < 256; i++)
        fprintf(out, "%s%s%u", i ? "," : "", i % 32 == 0 ? "\n        " : "", K_->byte_class[i]);
    fputs("},\n", out);
    fprintf(out, "    .nclasses = %u,\n    .class_shift = %u,\n    .space_class = %u,\n", K_->nclasses,
            K_->class_shift, K_->space_class);
    fprintf(out, "    .nstates = %u,\n    .first_out = %u,\n", K_->nstates, K_->first_out);
    if (K_->delta16)
        fputs("    .delta16 = kb_delta16,\n    .delta32 = NULL,\n", out);
    else
        fputs("    .delta16 = NULL,\n    .delta32 = kb_delta32,\n", out);
    fputs("    .depth = kb_depth,\n", out);
    fputs("    .out_start = kb_out_start,\n    .out_frag = kb_out_frag,\n};\n\n", out);
    fputs("const bounce_kb_t *bounce_kb_builtin(void) { return &kb_builtin; }\n", out);
    if (fclose(out) != 0 || rename(tmpname, outpath) != 0) {
        fprintf(stderr, "kbgen: cannot write %s\n", outpath);
        remove(tmpname);
        return 1;
    }
    fprintf(stderr, "kbgen: %u causes, %u signatures, %u states -> %s\n", K_->ncauses,
            K_->nsigs, K_->nstates, outpath);
    bounce_kb_free(kb);
    free(paths);
    return 0;
}

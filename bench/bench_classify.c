/* bench_classify: classifications per second over a file of diagnostic lines.
 *
 *   bench/bench_classify [FILE] [SECONDS]
 *
 * FILE defaults to bench/data/diagnostics.txt (one diagnostic per line). Prints:
 * - the built-in KB's start-up cost (first bounce_kb_builtin() call and first classification);
 * - bounce__classify (no allocation: what the parsers use) in lines/s and MB/s;
 * - bounce_classify + bounce_result_free (the allocating public call);
 * - a reference in the same process: a naive classifier that searches every signature's
 *   pattern fragments with a case-insensitive memmem per line (what a regex-free "loop over
 *   the rules" implementation does), and the ratio;
 * - how many lines got a cause, and the most frequent causes.
 * Target (DESIGN.md): >= 2,000,000 classifications/s on one core, start-up < 2 ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "kb.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of the process: the rate a busy machine would otherwise hide */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct line {
    const char *p;
    size_t n;
} line;

static volatile unsigned long sink;

/* naive reference: every fragment of every signature, searched independently */
static int naive(const bounce_kb_t *kb, const char *t, size_t n)
{
    uint32_t s;
    int best = -1, bestp = -1;
    for (s = 0; s < kb->nsigs; s++) {
        const bounce__kb_sig *sig = &kb->sigs[s];
        uint32_t k;
        const char *p = t;
        size_t left = n;
        for (k = 0; k < sig->nfrag; k++) {
            const char *frag = kb->pool + kb->frag_text[kb->sig_frag[sig->frag_first + k]];
            const char *hit = bounce__memcasestr(p, left, frag);
            if (!hit)
                break;
            left -= (size_t)(hit - p) + strlen(frag);
            p = hit + strlen(frag);
        }
        if (k == sig->nfrag && sig->priority > bestp) {
            best = (int)s;
            bestp = sig->priority;
        }
    }
    return best;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : SRCDIR "/bench/data/diagnostics.txt";
    double secs = argc > 2 ? atof(argv[2]) : 1.0, t0, t1, el, c0, cel;
    FILE *f = fopen(path, "rb");
    char *buf;
    long fl;
    size_t nl = 0, cap = 1024, i, bytes = 0, classified = 0, done, rounds;
    line *lines;
    const bounce_kb_t *kb;
    struct bounce_result r;
    size_t *per_cause;
    double rate_auto;

    if (!f) {
        fprintf(stderr, "bench_classify: cannot open %s\n", path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    fl = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)fl + 1);
    lines = malloc(cap * sizeof(line));
    if (!buf || !lines || fread(buf, 1, (size_t)fl, f) != (size_t)fl)
        return 1;
    fclose(f);
    for (i = 0; i < (size_t)fl;) {
        char *nlp = memchr(buf + i, '\n', (size_t)fl - i);
        size_t n = nlp ? (size_t)(nlp - (buf + i)) : (size_t)fl - i;
        if (nl == cap && !(lines = realloc(lines, (cap *= 2) * sizeof(line))))
            return 1;
        if (n) {
            lines[nl].p = buf + i;
            lines[nl].n = n;
            bytes += n;
            nl++;
        }
        i += n + 1;
    }
    if (!nl) {
        fprintf(stderr, "bench_classify: no lines in %s\n", path);
        return 1;
    }

    /* start-up: the built-in KB is static data; the first call and first use */
    t0 = now();
    kb = bounce_kb_builtin();
    bounce__classify(kb, lines[0].p, lines[0].n, 0, NULL, 0, &r);
    t1 = now();
    printf("built-in KB: %zu signatures, %zu causes, %u DFA states x %u classes (%s)\n",
           bounce_kb_signature_count(kb), bounce_kb_cause_count(kb), kb->nstates, kb->nclasses,
           kb->delta16 ? "uint16" : "uint32");
    printf("start-up (first bounce_kb_builtin() + first classification): %.3f ms\n",
           (t1 - t0) * 1e3);
    printf("input: %s: %zu lines, %.1f bytes/line\n", path, nl, (double)bytes / (double)nl);

    per_cause = calloc(kb->ncauses + 1, sizeof(size_t));
    if (!per_cause)
        return 1;
    for (i = 0; i < nl; i++) {
        bounce__classify(kb, lines[i].p, lines[i].n, 0, NULL, 0, &r);
        if (r.cause >= 0) {
            classified++;
            per_cause[r.cause]++;
        }
    }
    printf("lines with a cause: %zu of %zu (%.1f%%)\n", classified, nl, 100.0 * classified / nl);

    /* bounce__classify: no allocation */
    done = 0;
    rounds = 0;
    t0 = now();
    c0 = cpu_now();
    do {
        for (i = 0; i < nl; i++) {
            bounce__classify(kb, lines[i].p, lines[i].n, 0, NULL, 0, &r);
            sink += (unsigned long)r.cause;
        }
        done += nl;
        rounds++;
        el = now() - t0;
    } while (el < secs);
    cel = cpu_now() - c0;
    rate_auto = done / el;
    printf("bounce__classify:           %10.0f lines/s  %7.1f MB/s  (%.0f ns/line)\n",
           rate_auto, (double)bytes * rounds / el / 1e6, el / done * 1e9);
    printf("  per CPU second:           %10.0f lines/s  %7.1f MB/s\n", done / cel,
           (double)bytes * rounds / cel / 1e6);

    /* bounce_classify: allocating public API */
    done = 0;
    t0 = now();
    c0 = cpu_now();
    do {
        for (i = 0; i < nl; i++) {
            bounce_result_t *res = NULL;
            if (bounce_classify(kb, lines[i].p, lines[i].n, 0, NULL, 0, &res) != BOUNCE_OK)
                return 1;
            sink += (unsigned long)bounce_result_reason(res);
            bounce_result_free(res);
        }
        done += nl;
        el = now() - t0;
    } while (el < secs);
    cel = cpu_now() - c0;
    printf("bounce_classify + free:     %10.0f lines/s  (%.0f lines per CPU second)\n",
           done / el, done / cel);

    /* reference: naive per-signature search, one pass */
    {
        double tn;
        t0 = now();
        for (i = 0; i < nl; i++)
            sink += (unsigned long)naive(kb, lines[i].p, lines[i].n);
        tn = now() - t0;
        printf("naive per-signature search: %10.0f lines/s  (the automaton is %.0fx faster)\n",
               nl / tn, rate_auto / (nl / tn));
    }

    /* the most frequent causes */
    {
        size_t k;
        printf("top causes:\n");
        for (k = 0; k < 8; k++) {
            size_t best = 0, c;
            int32_t bi = -1;
            for (c = 0; c < kb->ncauses; c++)
                if (per_cause[c] > best) {
                    best = per_cause[c];
                    bi = (int32_t)c;
                }
            if (bi < 0)
                break;
            printf("  %6zu  %s\n", best, bounce__kb_cause_id(kb, bi));
            per_cause[bi] = 0;
        }
    }
    free(per_cause);
    free(lines);
    free(buf);
    return 0;
}

/* Realistic mixed Postfix log generator (bench/genlog.c). */
#ifndef BOUNCE_BENCH_GENLOG_H
#define BOUNCE_BENCH_GENLOG_H
#include <stdint.h>
#include <stdio.h>
/* Write about `bytes` bytes of log lines to f (deterministic for a seed). Returns bytes. */
uint64_t bounce_bench_genlog(FILE *f, uint64_t bytes, uint64_t seed);
#endif

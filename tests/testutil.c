/* main() for every Check program, and fixture helpers. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SRCDIR
#define SRCDIR "."
#endif

char *bounce_test_fixture_path(const char *rel)
{
    size_t n = strlen(SRCDIR) + strlen(rel) + 32;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/tests/fixtures/%s", SRCDIR, rel);
    return p;
}

char *bounce_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;

    if (!f)
        return NULL;
    for (;;) {
        size_t got;
        if (cap - n < 4096) {
            char *p = realloc(buf, cap ? cap * 2 : 8192);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
            cap = cap ? cap * 2 : 8192;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *bounce_test_read_fixture(const char *rel, size_t *len)
{
    char *path = bounce_test_fixture_path(rel);
    char *buf;
    ck_assert_ptr_nonnull(path);
    buf = bounce_test_read_file(path, len);
    ck_assert_msg(buf != NULL, "cannot read fixture %s", path);
    free(path);
    return buf;
}

char *bounce_test_compare_jsonl(const char *actual, const char *expected_path)
{
    const char *regen = getenv("REGENERATE");
    size_t elen = 0;
    char *expected, *msg;
    const char *a = actual, *e;
    size_t lineno = 1;

    if (regen && *regen == '1') {
        FILE *f = fopen(expected_path, "wb");
        if (!f || fputs(actual, f) < 0) {
            if (f)
                fclose(f);
            return strdup("cannot write expected file");
        }
        fclose(f);
        return NULL;
    }
    expected = bounce_test_read_file(expected_path, &elen);
    if (!expected) {
        msg = malloc(strlen(expected_path) + 64);
        sprintf(msg, "missing expected file %s (run with REGENERATE=1)", expected_path);
        return msg;
    }
    e = expected;
    /* The library writes canonical JSON (BOUNCE_JSON_CANONICAL): compare line by line. */
    while (*a || *e) {
        const char *an = strchr(a, '\n'), *en = strchr(e, '\n');
        size_t al = an ? (size_t)(an - a) : strlen(a), el = en ? (size_t)(en - e) : strlen(e);
        if (al != el || memcmp(a, e, al) != 0) {
            msg = malloc(al + el + 128);
            sprintf(msg, "line %zu differs:\n  got:      %.*s\n  expected: %.*s", lineno, (int)al,
                    a, (int)el, e);
            free(expected);
            return msg;
        }
        a += al + (an ? 1 : 0);
        e += el + (en ? 1 : 0);
        lineno++;
    }
    free(expected);
    return NULL;
}

#ifndef BOUNCE_TEST_SUITE
#error "compile with -DBOUNCE_TEST_SUITE=bounce_test_AREA_suite"
#endif
Suite *BOUNCE_TEST_SUITE(void);

int main(void)
{
    SRunner *sr = srunner_create(BOUNCE_TEST_SUITE());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

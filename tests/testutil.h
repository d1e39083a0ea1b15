/* Shared helpers for the Check suites. */
#ifndef BOUNCE_TESTUTIL_H
#define BOUNCE_TESTUTIL_H

#include <check.h>
#include <stddef.h>

#include "bounce.h"

/* Absolute path of a file under tests/fixtures/ (static buffer per call site is not
 * thread-safe; the result is malloc'ed: free() it). */
char *bounce_test_fixture_path(const char *rel);
/* Read a whole file (malloc'ed, NUL-terminated; *len excludes the NUL). NULL on error. */
char *bounce_test_read_file(const char *path, size_t *len);
/* Read tests/fixtures/<rel> (malloc'ed, NUL-terminated); fails the test when it cannot. */
char *bounce_test_read_fixture(const char *rel, size_t *len);
/* Parse JSON Lines text and compare it canonically (sorted keys, one object per line)
 * with the expected file; with REGENERATE=1 in the environment, rewrite the file instead.
 * Returns NULL when equal, else a malloc'ed description of the first difference. */
char *bounce_test_compare_jsonl(const char *actual, const char *expected_path);

/* Each tests/check_AREA.c defines `Suite *bounce_test_AREA_suite(void)`; the program's
 * CFLAGS name it with -DBOUNCE_TEST_SUITE=bounce_test_AREA_suite (see tests/Makemodule.am). */

#endif

/* Shared helpers of the `bounce` example CLI. Only the public API of libbounce is used. */
#ifndef BOUNCE_CLI_H
#define BOUNCE_CLI_H

#include <stddef.h>

#include <bounce.h>

/* Exit codes */
#define CLI_OK 0
#define CLI_INPUT_PROBLEM 1
#define CLI_USAGE 2

/* path "-" = stdin; gzip input is read transparently (zlib). Prints an error and returns
 * -1 on failure; returns what fn returned if it was not 0 (stops early). */
int cli_read_chunks(const char *path, int (*fn)(void *ctx, const char *buf, size_t len), void *ctx);
/* Whole file (gzip transparent) into a malloc'ed buffer (caller free()s). -1 on error
 * (printed), -2 if larger than max_bytes (printed). */
int cli_read_all(const char *path, size_t max_bytes, char **buf, size_t *len);
/* --kb FILE|DIR: NULL gives the built-in KB; prints the diagnostic and returns NULL on
 * error. Release with bounce_kb_free() (which ignores the built-in KB). */
const bounce_kb_t *cli_load_kb(const char *path);
/* postfix|exim|plesk|cpanel|any -> bounce_mta_t, -1 if unknown */
int cli_parse_mta(const char *name);
int cli_isatty_stderr(void);
/* Print a JSON string owned by the library followed by a newline, then free it. */
void cli_print_json(char *json);
/* "2026-11-25", "2026-11-25T14:00:00Z", "2026-11-25 14:00" or epoch seconds -> epoch; -1 on error */
int cli_parse_time(const char *s, long long *out);

int cli_cmd_explain(int argc, char **argv);
int cli_cmd_dsn(int argc, char **argv);
int cli_cmd_log(int argc, char **argv);
int cli_cmd_queue(int argc, char **argv);

#endif

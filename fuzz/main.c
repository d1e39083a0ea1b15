/* Without --enable-fuzzing, each fuzz target is linked with this main(), which feeds it
 * every seed in fuzz/<target>.in/ and every reproducer in fuzz/<target>.repro/ (or the
 * files and folders given as arguments), so `make check` replays them all (libpsl's way). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef SRCDIR
#define SRCDIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (!f)
        return -1;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return -1;
    }
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    return 0;
}

static int run_path(const char *path, int *count)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    int rc = 0;

    if (stat(path, &st) != 0)
        return 0; /* a missing corpus folder is fine */
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    if (!(d = opendir(path)))
        return -1;
    while ((e = readdir(d))) {
        char full[4096];
        if (e->d_name[0] == '.')
            continue;
        snprintf(full, sizeof full, "%s/%s", path, e->d_name);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
            (*count)++;
            if (run_file(full) < 0)
                rc = -1;
        }
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    int i, count = 0, rc = 0;
    if (argc > 1) {
        for (i = 1; i < argc; i++)
            if (run_path(argv[i], &count) < 0)
                rc = 1;
    } else {
        const char *name = strrchr(argv[0], '/');
        char dir[4096];
        name = name ? name + 1 : argv[0];
        if (!strncmp(name, "lt-", 3))
            name += 3;
        snprintf(dir, sizeof dir, "%s/fuzz/%s.in", SRCDIR, name);
        if (run_path(dir, &count) < 0)
            rc = 1;
        snprintf(dir, sizeof dir, "%s/fuzz/%s.repro", SRCDIR, name);
        if (run_path(dir, &count) < 0)
            rc = 1;
    }
    printf("%s: %d inputs\n", argv[0], count);
    return rc;
}

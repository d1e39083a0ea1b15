#!/bin/sh
# Compiles and runs a small program against an installed libbounce found by pkg-config.
# usage: PKG_CONFIG_PATH=LIBDIR/pkgconfig [PKG_CONFIG_SYSROOT_DIR=DESTDIR] tests/install-test.sh LIBDIR
set -eu
libdir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/t.c" <<'C'
#include <bounce.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    const char *t = "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in local recipient table";
    bounce_result_t *r = NULL;
    if (!bounce_check_version(BOUNCE_VERSION_NUMBER)) return 1;
    if (bounce_classify(bounce_kb_builtin(), t, strlen(t), 0, NULL, 0, &r) != BOUNCE_OK) return 2;
    printf("%s %s\n", bounce_enum_name(BOUNCE_ENUM_REASON, bounce_result_reason(r)), bounce_result_cause(r));
    if (bounce_result_reason(r) != BOUNCE_REASON_USERUNKNOWN) return 3;
    bounce_result_free(r);
    return 0;
}
C
# shellcheck disable=SC2046
cc -o "$tmp/t" "$tmp/t.c" $(pkg-config --cflags --libs libbounce)
LD_LIBRARY_PATH="$libdir" "$tmp/t"
echo "install test ok"

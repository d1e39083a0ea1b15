#!/bin/sh
# Tests of the package itself: exported symbols, header compiles as C99 -pedantic and as
# C++, version consistency. Skips (77) when a tool is missing.
set -eu
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
lib="$top_builddir/lib/.libs/libbounce.so"
command -v nm >/dev/null || exit 77
[ -f "$lib" ] || { echo "no $lib (static build?)"; exit 77; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. exported symbols = lib/libbounce.sym = functions declared BOUNCE_API in bounce.h
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' | sort -u > "$tmp/exported"
grep -v '^#' "$srcdir/lib/libbounce.sym" | sed '/^$/d' | sort -u > "$tmp/listed"
tr '\n' ' ' < "$srcdir/include/bounce.h" | grep -o 'BOUNCE_API [^;(#]*(' | grep -o 'bounce_[a-z0-9_]*($' | tr -d '(' | sort -u > "$tmp/declared"
if ! cmp -s "$tmp/exported" "$tmp/listed"; then
    echo "FAIL: exported symbols differ from lib/libbounce.sym:"; diff "$tmp/listed" "$tmp/exported" || true; fail=1
fi
if ! cmp -s "$tmp/declared" "$tmp/listed"; then
    echo "FAIL: bounce.h declarations differ from lib/libbounce.sym:"; diff "$tmp/listed" "$tmp/declared" || true; fail=1
fi
if grep -v '^bounce_[a-z]' "$tmp/exported"; then echo "FAIL: symbols outside the bounce_ namespace"; fail=1; fi

# 2. header compiles as C99 -pedantic and as C++
printf '#include <bounce.h>\nint main(void) { return bounce_version_number() == 0; }\n' > "$tmp/h.c"
cc -std=c99 -pedantic -Werror -Wall -Wextra -I"$srcdir/include" -I"$top_builddir/include" -c "$tmp/h.c" -o "$tmp/h.o" || { echo "FAIL: C99 -pedantic"; fail=1; }
if command -v c++ >/dev/null; then
    cp "$tmp/h.c" "$tmp/h.cc"
    c++ -std=c++11 -pedantic -Werror -Wall -Wextra -I"$srcdir/include" -I"$top_builddir/include" -c "$tmp/h.cc" -o "$tmp/hh.o" || { echo "FAIL: C++"; fail=1; }
fi

# 3. version consistency: version.txt, bounce_version.h, libbounce.pc, doc/symbols-in-versions
v=$(cat "$srcdir/version.txt")
grep -q "BOUNCE_VERSION_STRING \"$v\"" "$top_builddir/include/bounce_version.h" || { echo "FAIL: bounce_version.h"; fail=1; }
grep -q "^Version: $v\$" "$top_builddir/libbounce.pc" || { echo "FAIL: libbounce.pc"; fail=1; }
if [ -f "$srcdir/doc/symbols-in-versions" ]; then
    awk '!/^#/ && NF {print $1}' "$srcdir/doc/symbols-in-versions" | sort -u > "$tmp/versioned"
    cmp -s "$tmp/versioned" "$tmp/listed" || { echo "FAIL: doc/symbols-in-versions differs from lib/libbounce.sym"; diff "$tmp/listed" "$tmp/versioned" || true; fail=1; }
fi
exit $fail

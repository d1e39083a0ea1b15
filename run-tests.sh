#!/bin/sh
# The whole test suite, from a fresh Debian 12 machine (as root): installs what is missing,
# then builds and runs `make check` normally (including the real Postfix/Exim tests), again
# with ASan+UBSan, the Check suites under valgrind, the Doxygen build with warnings as
# errors, `make install` + a pkg-config build against the installed library, and
# `make distcheck`.
set -eu
cd "$(dirname "$0")"
top=$(pwd)
jobs=$(nproc)
step() { printf '\n==== %s ====\n' "$*"; }

step "dependencies"
tools/install-deps.sh --test
autoreconf -fi >/dev/null 2>&1

step "build and make check"
rm -rf build-test && mkdir build-test && cd build-test
../configure -q --enable-werror
make -j"$jobs" >/dev/null
make -j"$jobs" check || { cat test-suite.log; exit 1; }

step "Check suites under valgrind"
for t in tests/check_*; do
    case "$t" in *.o|*.log|*.trs) continue ;; esac
    [ -x "$t" ] || continue
    CK_FORK=no ./libtool --mode=execute valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --suppressions=../tests/valgrind.supp --error-exitcode=99 "$t" >/dev/null || { echo "valgrind: $t failed"; exit 1; }
    echo "valgrind clean: $t"
done

step "API documentation (doxygen, warnings are errors)"
make doc

step "install and build against it with pkg-config"
dest="$top/build-test/inst"
rm -rf "$dest"
make install DESTDIR="$dest" >/dev/null
libdir=$(sed -n 's/^libdir=//p' libbounce.pc | sed "s|\${exec_prefix}|$(sed -n 's/^exec_prefix=//p' libbounce.pc)|; s|\${prefix}|$(sed -n 's/^prefix=//p' libbounce.pc)|")
PKG_CONFIG_PATH="$dest$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest" sh ../tests/install-test.sh "$dest$libdir"
test -x "$dest$(sed -n 's/^prefix=//p' libbounce.pc)/bin/bounce" || { echo "bounce CLI not installed"; exit 1; }

step "make distcheck"
BOUNCE_SKIP_MTA=1 make distcheck >/dev/null 2>&1 || { BOUNCE_SKIP_MTA=1 make distcheck 2>&1 | tail -40; exit 1; }
echo "distcheck ok"
cd "$top"

step "ASan + UBSan build and make check"
rm -rf build-asan && mkdir build-asan && cd build-asan
../configure -q --enable-asan --enable-ubsan
make -j"$jobs" >/dev/null
CK_DEFAULT_TIMEOUT=120 BOUNCE_SKIP_MTA=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 make -j"$jobs" check || { cat test-suite.log; exit 1; }
cd "$top"

step "all tests passed"

#!/bin/sh
# Runs the Perl binding's tests against the freshly built library.
command -v prove >/dev/null || exit 77
perl -MFFI::Platypus -MFFI::CheckLib -e 1 2>/dev/null || exit 77
case "${SAN_CFLAGS:-}" in *sanitize*) exit 77 ;; esac
lib="${top_builddir:-.}/lib/.libs/libbounce.so"
[ -f "$lib" ] || exit 77
BOUNCE_LIBRARY="$(cd "$(dirname "$lib")" && pwd)/libbounce.so" SRCDIR="${srcdir:-.}" exec prove -q "${srcdir:-.}/bindings/perl/t"

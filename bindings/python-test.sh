#!/bin/sh
# Runs the Python binding's tests against the freshly built library.
command -v python3 >/dev/null || exit 77
case "${SAN_CFLAGS:-}" in *sanitize*) exit 77 ;; esac
lib="${top_builddir:-.}/lib/.libs/libbounce.so"
[ -f "$lib" ] || exit 77
BOUNCE_LIBRARY="$(cd "$(dirname "$lib")" && pwd)/libbounce.so" SRCDIR="${srcdir:-.}" exec python3 "${srcdir:-.}/bindings/python/test_bounce.py"

#!/bin/sh
# Build script for OSS-Fuzz ($CC, $CFLAGS, $LIB_FUZZING_ENGINE and $OUT come from it).
set -eu
autoreconf -fi
./configure --enable-fuzzing --disable-shared --disable-tests LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE"
make -j"$(nproc)" lib/libbounce.la
for t in $(sed -n 's/^FUZZ_TARGETS += fuzz\///p' fuzz/Makemodule.am); do
    make "fuzz/$t"
    cp "fuzz/$t" "$OUT/"
    [ -d "fuzz/$t.in" ] && (cd "fuzz/$t.in" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
    [ -f "fuzz/$t.dict" ] && cp "fuzz/$t.dict" "$OUT/$t.dict"
done

#!/bin/sh
# One command from a fresh Debian 12 machine (as root): install what is missing, build,
# and run the example CLI on the bundled sample data.
set -eu
cd "$(dirname "$0")"
tools/install-deps.sh
[ -x configure ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q
make -j"$(nproc)" >/dev/null
B=./examples/bounce
S=../examples/samples
echo "== bounce explain: one diagnostic line =="
$B explain '550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient'"'"'s email address for typos or unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser'
$B explain 'connect to 127.0.0.1[127.0.0.1]:10024: Connection refused'
for f in "$S"/*.eml; do [ -e "$f" ] || continue; echo "== bounce dsn $f =="; $B dsn "$f" || true; done
for f in "$S"/*.log; do [ -e "$f" ] || continue; echo "== bounce log $f =="; $B log "$f" || true; done
for f in "$S"/*queue*; do [ -e "$f" ] || continue; echo "== bounce queue $f =="; $B queue "$f" || true; done
echo "built in ./build; the CLI is ./build/examples/bounce (or run 'make install' there)"

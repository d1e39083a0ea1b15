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
F=../tests/fixtures
echo "== bounce explain: one diagnostic line =="
$B explain '550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient'"'"'s email address for typos or unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser'
$B explain 'connect to 127.0.0.1[127.0.0.1]:10024: Connection refused'
echo "== bounce dsn: bounce messages (a Gmail NDR, an Exim bounce, an RFC 3464 report) =="
$B dsn "$F/dsn/gmail.eml" "$F/dsn/exim.eml" "$F/dsn/postfix-report.eml"
echo "== bounce log: a Postfix log =="
$B log "$F/log/postfix-basic.log"
echo "== bounce queue: postqueue -p output =="
$B queue "$F/queue/postqueue-basic.txt"
echo "built in ./build; the CLI is ./build/examples/bounce (or run 'make install' there)"

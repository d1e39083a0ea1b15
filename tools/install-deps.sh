#!/bin/sh
# Installs the Debian 12 packages libbounce needs, only those that are missing.
#   tools/install-deps.sh          build + demo dependencies
#   tools/install-deps.sh --test   also what the whole test suite needs
set -eu
pkgs="autoconf automake libtool pkg-config make gcc g++ check libjansson-dev zlib1g-dev doxygen"
if [ "${1:-}" = "--test" ]; then
    pkgs="$pkgs valgrind python3 perl libffi-platypus-perl libfile-which-perl libffi-checklib-perl"
    pkgs="$pkgs iproute2 util-linux"
fi
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "missing packages:$missing (run as root, or install them)" >&2
        exit 1
    fi
    echo "installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || apt-get update
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

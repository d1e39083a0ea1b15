#!/bin/sh
# Installs what the real-MTA tests need, once; reruns are fast (everything is cached).
#   - Postfix with apt (debconf "No configuration": no main.cf, no service started);
#   - Exim (exim4-base, exim4-config, exim4-daemon-light) with `apt-get download` and
#     `dpkg -x` into a private prefix, because the two packages conflict in apt
#     (both provide mail-transport-agent); its libraries come from apt;
#   - the Debian-exim system user that the Exim binary has compiled in.
# Prints the Exim binary's path on stdout.  Must run as root.
# Environment: MTA_CACHE (default /var/cache/libbounce-mta).
set -eu

cache=${MTA_CACHE:-/var/cache/libbounce-mta}
prefix=$cache/exim
export DEBIAN_FRONTEND=noninteractive

log() { echo "setup: $*" >&2; }

apt_updated=
apt_update() {
    [ -n "$apt_updated" ] && return 0
    apt-get update -q >/dev/null 2>&1 || apt-get update
    apt_updated=1
}

# --- Postfix ---------------------------------------------------------------------------
if ! command -v postfix >/dev/null 2>&1 || [ ! -x /usr/sbin/postqueue ]; then
    log "installing postfix with apt"
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt_update
    apt-get install -y -q --no-install-recommends postfix >/dev/null
fi

# --- the tools the harness uses -------------------------------------------------------
for tool in unshare:util-linux ip:iproute2 python3:python3; do
    cmd=${tool%%:*}
    pkg=${tool#*:}
    if ! command -v "$cmd" >/dev/null 2>&1; then
        apt_update
        apt-get install -y -q --no-install-recommends "$pkg" >/dev/null
    fi
done

# --- Exim into a private prefix -------------------------------------------------------
exim=$prefix/usr/sbin/exim4
if [ ! -x "$exim" ]; then
    log "extracting exim4 into $prefix"
    mkdir -p "$cache/debs"
    apt_update
    (cd "$cache/debs" && apt-get download exim4-base exim4-config exim4-daemon-light >/dev/null 2>&1) || {
        log "apt-get download of exim4 failed"; exit 1; }
    rm -rf "$prefix.tmp"
    mkdir -p "$prefix.tmp"
    for deb in "$cache"/debs/exim4-base_*.deb "$cache"/debs/exim4-config_*.deb "$cache"/debs/exim4-daemon-light_*.deb; do
        dpkg -x "$deb" "$prefix.tmp"
    done
    rm -rf "$prefix"
    mv "$prefix.tmp" "$prefix"
fi
# The shared libraries the Exim binary needs (Depends of exim4-daemon-light), from apt.
missing=$(ldd "$exim" 2>/dev/null | awk '/not found/ {print $1}')
if [ -n "$missing" ]; then
    pkgs=$(dpkg-deb -f "$cache"/debs/exim4-daemon-light_*.deb Depends |
        tr ',' '\n' | sed -e 's/[(|].*//' -e 's/ //g' | grep '^lib' | tr '\n' ' ')
    log "installing Exim's libraries: $pkgs"
    apt_update
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $pkgs >/dev/null
fi

if ! getent passwd Debian-exim >/dev/null 2>&1; then
    log "adding the Debian-exim system user"
    if command -v adduser >/dev/null 2>&1; then
        adduser --system --group --quiet --home /var/spool/exim4 --no-create-home \
            --disabled-login --force-badname Debian-exim >/dev/null 2>&1 ||
            useradd --system --user-group --no-create-home --home-dir /var/spool/exim4 \
                --shell /usr/sbin/nologin Debian-exim
    else
        useradd --system --user-group --no-create-home --home-dir /var/spool/exim4 \
            --shell /usr/sbin/nologin Debian-exim
    fi
fi

"$exim" -bV >/dev/null 2>&1 || true   # warms the page cache; real errors show in run-exim.sh
echo "$exim"

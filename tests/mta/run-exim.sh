#!/bin/sh
# Runs a private Exim on loopback inside `unshare --net --mount --pid`, sends one message per
# row of scenarios.tsv to the scripted peer, and captures into OUTDIR:
#   exim-mainlog         Exim's main log;  exim-rejectlog / exim-paniclog when not empty
#   exim-bp.txt          `exim -bp` while the deferred mail is still queued
#   exim-mailbox.mbox    the sender's mailbox: Exim's own bounce and delay notifications
#   exim-peer.log        the peer's transcript (for debugging)
# Usage: run-exim.sh OUTDIR [EXIM]       (as root; EXIM defaults to what setup.sh prints)
#
# Exim drops root privileges when given -C, so its configuration is put at the compiled-in
# path, /etc/exim4/exim4.conf, in an overlay on /etc that exists only in this namespace.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-python3}

if [ "${1:-}" != "--inner" ]; then
    out=${1:?usage: run-exim.sh OUTDIR [EXIM]}
    exim=${2:-${MTA_CACHE:-/var/cache/libbounce-mta}/exim/usr/sbin/exim4}
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    work=$(mktemp -d /tmp/libbounce-exim.XXXXXX)
    chmod 755 "$work"
    rc=0
    unshare --net --mount --pid --fork --mount-proc "$0" --inner "$work" "$out" "$exim" || rc=$?
    if [ -z "${MTA_KEEP_WORK:-}" ]; then rm -rf "$work"; else echo "work dir kept: $work" >&2; fi
    exit $rc
fi

work=$2
out=$3
exim=$4
log() { echo "run-exim: $*" >&2; }

# --- the namespace: only lo, a private /etc -------------------------------------------
mount --make-rprivate /
ip link set lo up
mkdir -p "$work/etc-upper" "$work/etc-work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$work/etc-upper,workdir=$work/etc-work" /etc
"$PY" "$here/scen.py" gen "$work"
rm -f /etc/resolv.conf /etc/hosts
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\nsearch .\n' >/etc/resolv.conf
printf '127.0.0.1 localhost\n127.0.0.1 mta.bounce.test\n' >/etc/hosts

"$PY" "$here/dnsstub.py" "$work/zone" 127.0.0.1 53 >"$work/dnsstub.out" 2>"$work/dnsstub.err" &
"$PY" "$here/peer.py" "$work/peer.script" "$work/peer.log" 2>"$work/peer.err" &
i=0
until grep -q '^[0-9.]* ready' "$work/peer.log" 2>/dev/null && grep -q '^ready' "$work/dnsstub.out"; do
    i=$((i + 1)); [ $i -lt 100 ] || { log "peer or DNS stub did not start"; cat "$work/peer.err" "$work/dnsstub.err" >&2; exit 1; }
    sleep 0.1
done

# --- a private Exim configuration -----------------------------------------------------------
mkdir -p "$work/spool" "$work/log" "$work/mail" /etc/exim4
chown Debian-exim:Debian-exim "$work/spool" "$work/log" "$work/mail"
write_conf() {   # $1 = retry rule
    cat >/etc/exim4/exim4.conf <<EOF
primary_hostname = mta.bounce.test
qualify_domain = bounce.test
exim_path = $exim
exim_user = Debian-exim
exim_group = Debian-exim
never_users = root
spool_directory = $work/spool
log_file_path = $work/log/%slog
local_interfaces = 127.0.0.1
disable_ipv6 = true
dns_retrans = 1s
dns_retry = 1
host_lookup =
rfc1413_hosts =
delay_warning = 2s
timeout_frozen_after = 5s
ignore_bounce_errors_after = 0s
keep_environment =

begin routers

local_sender:
  driver = accept
  domains = bounce.test
  transport = local_mbox

dnslookup:
  driver = dnslookup
  domains = ! bounce.test
  transport = remote_smtp
  no_more

begin transports

remote_smtp:
  driver = smtp
  connect_timeout = 2s
  command_timeout = 3s
  data_timeout = 3s
  final_timeout = 3s
  hosts_avoid_tls = *

local_mbox:
  driver = appendfile
  file = $work/mail/mbox
  user = Debian-exim
  group = Debian-exim
  mode = 0600
  delivery_date_add
  envelope_to_add
  return_path_add

begin retry

*   *   $1

begin rewrite
EOF
}
write_conf "F,1h,10m"
"$exim" -bV >"$work/exim-bV.out" 2>&1 || { cat "$work/exim-bV.out" >&2; exit 1; }

# --- send one message per scenario ------------------------------------------------------
n=0
while IFS="$(printf '\t')" read -r rcpt behaviour; do
    "$exim" -odb -f sender@bounce.test "$rcpt" <"$work/msg/$n.eml"
    n=$((n + 1))
done <"$work/rcpts"
log "sent $n messages"

# --- phase 1: every recipient has a first result; bounces delivered ---------------------------
mainlog=$work/log/mainlog
all_have_status() {
    while IFS="$(printf '\t')" read -r rcpt behaviour; do
        grep -q -E "(=>|\\*\\*|==) $rcpt( |:|\$)" "$mainlog" 2>/dev/null || return 1
    done <"$work/rcpts"
}
bounces_pending() {   # a notification (sender <>) still in the queue
    "$exim" -bp 2>/dev/null | grep -q ' <>$'
}
t=0
while ! all_have_status || bounces_pending; do
    t=$((t + 1)); [ $t -lt 300 ] || { log "phase 1 timed out"; break; }
    sleep 0.2
done
"$exim" -bp >"$out/exim-bp.txt" 2>&1 || true
log "phase 1 done after $((t / 5))s; queue captured"

# --- phase 2: a retry rule that has run out, then a forced queue run ---------------------------
write_conf "F,1s,1s"
sleep 2
force_all() {   # one forced delivery process per queued message, in parallel
    pids=
    for id in $("$exim" -bpr 2>/dev/null | awk 'NF >= 4 && $3 ~ /-/ {print $3}'); do
        "$exim" -M "$id" >/dev/null 2>&1 &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p" || true; done
}
force_all
t=0
while [ "$("$exim" -bpc 2>/dev/null || echo 1)" != 0 ]; do
    t=$((t + 1)); [ $t -lt 300 ] || { log "phase 2 timed out"; break; }
    sleep 0.2
    [ $((t % 25)) -ne 0 ] || force_all
done
log "phase 2 done after $((t / 5))s"
"$exim" -bp >"$out/exim-bp-end.txt" 2>&1 || true

cp "$mainlog" "$out/exim-mainlog"
for f in rejectlog paniclog; do
    [ ! -s "$work/log/$f" ] || cp "$work/log/$f" "$out/exim-$f"
done
cp "$work/mail/mbox" "$out/exim-mailbox.mbox" 2>/dev/null || : >"$out/exim-mailbox.mbox"
cp "$work/peer.log" "$out/exim-peer.log"
exit 0

#!/bin/sh
# Runs a private Postfix instance on loopback inside `unshare --net --mount --pid`, sends one
# message per row of scenarios.tsv to the scripted peer, and captures into OUTDIR:
#   postfix.log            the log Postfix wrote (maillog_file, via postlogd)
#   postqueue-p.txt        `postqueue -p` while the deferred mail is still queued
#   postqueue-j.json       `postqueue -j` at the same moment
#   postfix-mailbox.mbox   the sender's mailbox: Postfix's own bounce and delay notifications
#   postfix-peer.log       the peer's transcript (for debugging)
# Usage: run-postfix.sh OUTDIR       (as root; needs postfix installed, see setup.sh)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-python3}

if [ "${1:-}" != "--inner" ]; then
    out=${1:?usage: run-postfix.sh OUTDIR}
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    work=$(mktemp -d /tmp/libbounce-pf.XXXXXX)
    chmod 755 "$work"
    rc=0
    unshare --net --mount --pid --fork --mount-proc "$0" --inner "$work" "$out" || rc=$?
    if [ -z "${MTA_KEEP_WORK:-}" ]; then rm -rf "$work"; else echo "work dir kept: $work" >&2; fi
    exit $rc
fi

work=$2
out=$3
log() { echo "run-postfix: $*" >&2; }

# --- the namespace: only lo, a private /etc (resolv.conf, hosts, postfix) --------------
mount --make-rprivate /
ip link set lo up
"$PY" "$here/scen.py" gen "$work"
# an overlay on /etc that exists only in this namespace (resolv.conf may be a symlink)
mkdir -p "$work/etc-upper" "$work/etc-work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$work/etc-upper,workdir=$work/etc-work" /etc
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

# --- a private Postfix configuration --------------------------------------------------
conf=$work/etc
mkdir -p "$conf" "$work/spool" "$work/data" "$work/mail"
cp -a /etc/postfix/. "$conf/"
rm -f "$conf/main.cf"
: >"$work/postfix.log"
cat >"$conf/main.cf" <<EOF
compatibility_level = 3.6
myhostname = mta.bounce.test
mydomain = bounce.test
myorigin = bounce.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
queue_directory = $work/spool
data_directory = $work/data
maillog_file = $work/postfix.log
maillog_file_prefixes = $work
mail_owner = postfix
setgid_group = postdrop
alias_maps =
alias_database =
biff = no
smtputf8_enable = no
# the sender's own domain: bounces and delay notices are delivered to a mailbox here
virtual_mailbox_domains = bounce.test
virtual_mailbox_base = $work/mail
virtual_mailbox_maps = inline:{ sender@bounce.test=mbox }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
# a local content filter for one sending path (X-Libbounce-Filter), with nothing listening
header_checks = regexp:$conf/header_checks
# short timers: the whole run takes seconds
smtp_connect_timeout = 2s
smtp_helo_timeout = 3s
smtp_mail_timeout = 3s
smtp_rcpt_timeout = 3s
smtp_data_init_timeout = 3s
smtp_data_xfer_timeout = 3s
smtp_data_done_timeout = 3s
smtp_quit_timeout = 2s
queue_run_delay = 1s
minimal_backoff_time = 1h
maximal_backoff_time = 2h
maximal_queue_lifetime = 1d
bounce_queue_lifetime = 1d
delay_warning_time = 1s
EOF
printf '/^X-Libbounce-Filter:/ FILTER smtp-amavis:[127.0.0.1]:10024\n' >"$conf/header_checks"
# no listening smtpd, no chroot; the Amavis-style content filter transport
sed -i -e 's/^smtp\( *\)inet/#smtp\1inet/' "$conf/master.cf"
postconf -c "$conf" -F '*/*/chroot = n'
postconf -c "$conf" -M 'smtp-amavis/unix = smtp-amavis unix - - n - 2 smtp -o smtp_data_done_timeout=1200 -o smtp_send_xforward_command=yes'
mount --bind "$conf" /etc/postfix
chown root "$work/spool"; chown postfix "$work/data"; chown 65534:65534 "$work/mail"

postfix check >"$work/postfix-check.out" 2>&1 || true
postfix start >"$work/postfix-start.out" 2>&1 || { cat "$work/postfix-start.out" >&2; exit 1; }

# --- send one message per scenario ------------------------------------------------------
n=0
while IFS="$(printf '\t')" read -r rcpt behaviour; do
    sendmail -f sender@bounce.test "$rcpt" <"$work/msg/$n.eml"
    n=$((n + 1))
done <"$work/rcpts"
log "sent $n messages"

# --- phase 1: every recipient has a first status; nothing active any more -----------------
queue_busy() {
    [ -n "$(find "$work/spool/incoming" "$work/spool/active" "$work/spool/maildrop" -type f 2>/dev/null | head -1)" ]
}
all_have_status() {
    while IFS="$(printf '\t')" read -r rcpt behaviour; do
        grep -q "to=<$rcpt>.* status=" "$work/postfix.log" || return 1
    done <"$work/rcpts"
}
t=0
while ! all_have_status || queue_busy; do
    t=$((t + 1)); [ $t -lt 300 ] || { log "phase 1 timed out"; break; }
    sleep 0.2
done
sleep 1   # delay notices (delay_warning_time) and the last bounce deliveries
while queue_busy; do t=$((t + 1)); [ $t -lt 400 ] || break; sleep 0.2; done
postqueue -p >"$out/postqueue-p.txt" 2>&1 || true
postqueue -j >"$out/postqueue-j.json" 2>&1 || true
log "phase 1 done after $((t / 5))s; queue captured"

# --- phase 2: force expiry of everything still deferred ------------------------------------
postconf -e maximal_queue_lifetime=0 bounce_queue_lifetime=0 delay_warning_time=0
postfix reload >/dev/null 2>&1
sleep 1
postqueue -f
t=0
until postqueue -p 2>/dev/null | grep -q 'Mail queue is empty'; do
    t=$((t + 1)); [ $t -lt 300 ] || { log "phase 2 timed out"; break; }
    sleep 0.2
    [ $((t % 25)) -ne 0 ] || postqueue -f
done
log "phase 2 done after $((t / 5))s"
postqueue -p >"$out/postqueue-p-end.txt" 2>&1 || true
postfix stop >/dev/null 2>&1 || true
sleep 0.5

cp "$work/postfix.log" "$out/postfix.log"
cp "$work/mail/mbox" "$out/postfix-mailbox.mbox" 2>/dev/null || : >"$out/postfix-mailbox.mbox"
cp "$work/peer.log" "$out/postfix-peer.log"
exit 0

#!/bin/sh
# The real-MTA test: a real Postfix and a real Exim on loopback only (private instances inside
# `unshare --net --mount --pid`), a scripted SMTP peer and DNS, one message per row of
# scenarios.tsv; then the freshly built CLI must turn the logs, queue listings and bounce
# notifications the MTAs really wrote into the records the table expects.
#
# Usage: tests/mta/mta-test.sh [--keep DIR] [--mta postfix|exim|postfix,exim]
# Exit: 0 pass, 1 mismatch, 77 skip (not root, or no unshare/namespaces), 99 harness error.
# Environment: BOUNCE_SKIP_MTA (skip), BOUNCE_CLI (default $abs_top_builddir/examples/bounce or ./examples/bounce),
#              MTA_CACHE (setup.sh's cache, default /var/cache/libbounce-mta).
set -u

here=$(cd "$(dirname "$0")" && pwd)
keep=
mtas=postfix,exim
while [ $# -gt 0 ]; do
    case $1 in
        --keep) keep=${2:?--keep needs a folder}; shift 2 ;;
        --mta) mtas=${2:?--mta needs a value}; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "mta-test: unknown argument $1" >&2; exit 99 ;;
    esac
done

if [ -n "${BOUNCE_SKIP_MTA:-}" ]; then
    echo "SKIP: BOUNCE_SKIP_MTA is set (sanitizer and distcheck runs)"
    exit 77
fi
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the real-MTA test needs root (private Postfix/Exim instances in namespaces)"
    exit 77
fi
if ! command -v unshare >/dev/null 2>&1 ||
   ! unshare --net --mount --pid --fork --mount-proc true >/dev/null 2>&1; then
    echo "SKIP: unshare --net --mount --pid is not possible here"
    exit 77
fi

cli=${BOUNCE_CLI:-}
if [ -z "$cli" ]; then
    if [ -n "${abs_top_builddir:-}" ]; then cli=$abs_top_builddir/examples/bounce; else cli=./examples/bounce; fi
fi
case $cli in /*) ;; *) cli=$(pwd)/$cli ;; esac
if [ ! -x "$cli" ]; then
    echo "mta-test: the CLI $cli is not built (set BOUNCE_CLI)" >&2
    exit 99
fi

start=$(date +%s)
exim=$("$here/setup.sh") || { echo "mta-test: setup.sh failed" >&2; exit 99; }

if [ -n "$keep" ]; then
    mkdir -p "$keep" && out=$(cd "$keep" && pwd)
    rm -f "$out"/postfix* "$out"/postqueue* "$out"/exim*
else
    out=$(mktemp -d /tmp/libbounce-mta-out.XXXXXX)
    trap 'rm -rf "$out"' EXIT
fi

# Both MTAs at once: each has its own network, mount and PID namespace.
pids=
case ,$mtas, in *,postfix,*)
    "$here/run-postfix.sh" "$out" >"$out/run-postfix.out" 2>&1 &
    pids="$pids postfix:$!" ;;
esac
case ,$mtas, in *,exim,*)
    "$here/run-exim.sh" "$out" "$exim" >"$out/run-exim.out" 2>&1 &
    pids="$pids exim:$!" ;;
esac
harness_ok=1
for p in $pids; do
    if ! wait "${p#*:}"; then
        echo "mta-test: run-${p%%:*}.sh failed:" >&2
        cat "$out/run-${p%%:*}.out" >&2
        harness_ok=
    fi
done
cat "$out"/run-*.out
[ -n "$harness_ok" ] || exit 99
echo "mta-test: MTA runs took $(( $(date +%s) - start ))s"

rc=0
"${PYTHON:-python3}" "$here/check.py" --cli "$cli" --out "$out" --mta "$mtas" || rc=$?
[ -z "$keep" ] || echo "mta-test: captured output kept in $out"
echo "mta-test: total $(( $(date +%s) - start ))s"
case $rc in 0|1) exit $rc ;; *) exit 99 ;; esac

#!/usr/bin/env bash
# Section 7 of BENCHMARKS.md: transfers per second of the ledger example
# (money_ledger::Ledger::transfer, driven by the ledger_tps binary) against
# pgbench running the same statements (benches/pgbench/transfer.sql), with
# the same number of concurrent clients, against the same server.
#
# Each round runs both sides, in an order that alternates from round to
# round; before each side, `ledger_tps setup` re-creates the ledger's tables
# (its own DDL) and the accounts, so that both start from the same state.
# Prints each side's transfers per second per round, the per-round ratio
# ledger / pgbench (above 1: the ledger is faster) and its median and
# quartiles (nearest rank, as the paired harness).
#
# Needs pgbench (Debian: apt-get install postgresql-client) and a server:
# DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test (as
# benches/src/db.rs). It works in a database of its own on that server,
# money_ledger_bench, dropped at the end (KEEP_DB=1 keeps it).
#
# Usage: bash benches/ledger-vs-pgbench.sh
#   ROUNDS=5 SECONDS_PER_SIDE=20 WORKERS=8 ACCOUNTS=10000 MAX_TRIES=20
#   PGBENCH_THREADS=2
# Variants, for finding where the difference goes: PGBENCH_SCRIPT (another
# pgbench script, such as benches/pgbench/transfer-two-syncs.sql) and
# LEDGER_ARGS (more options of `ledger_tps run`, such as
# "--test-before-acquire false").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
rounds="${ROUNDS:-5}"
seconds="${SECONDS_PER_SIDE:-20}"
workers="${WORKERS:-8}"
accounts="${ACCOUNTS:-10000}"
# The ledger's default: at most 20 attempts (Ledger::default_options).
max_tries="${MAX_TRIES:-20}"
threads="${PGBENCH_THREADS:-2}"
pgbench_script="${PGBENCH_SCRIPT:-benches/pgbench/transfer.sql}"
read -r -a ledger_args <<<"${LEDGER_ARGS:-}"

if ! command -v pgbench >/dev/null 2>&1; then
    echo "ledger-vs-pgbench: pgbench not found (Debian: apt-get install postgresql-client)" >&2
    exit 1
fi
cd "$root"
cargo build -q --release -p money-benches --bin ledger_tps
bin="$target/release/ledger_tps"
url="$("$bin" url)"
# Both sides in plain text: money-benches builds sqlx without a TLS backend,
# so the ledger's connections are never encrypted, while libpq's default
# (sslmode=prefer) would give pgbench TLS on a server with ssl = on (its
# client then spends a fifth of its CPU time in libcrypto and libssl).
export PGSSLMODE=disable
"$bin" setup --accounts "$accounts"

echo "# ledger vs pgbench, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD)"
echo
echo "nproc: $(nproc); $(grep -m1 'model name' /proc/cpuinfo || true)"
echo "start: $(uptime)"
echo "$(pgbench --version); server $(psql "$url" -Atc 'SHOW server_version' 2>/dev/null || echo '?')"
echo "database: $url (DATABASE_URL: ${DATABASE_URL:-unset})"
echo "$rounds rounds x $seconds s per side, $workers clients, $accounts accounts, pgbench -j $threads --max-tries=$max_tries, PGSSLMODE=$PGSSLMODE"
echo "pgbench script: $pgbench_script; ledger_tps run options: ${ledger_args[*]:-(none)}"
echo

# The client's own CPU time (user + system, seconds), from GNU time.
cpu_file="$(mktemp)"
trap 'rm -f "$cpu_file"' EXIT
timed() { /usr/bin/time -f '%U %S' -o "$cpu_file" "$@"; }
client_cpu() { awk '{ printf "%.2f", $1 + $2 }' "$cpu_file"; }

# The server's CPU time, when it runs on this machine: the CPU time of the
# postmaster's children that have exited (cutime + cstime, in clock ticks),
# read before and after a side, a second after its connections closed. It
# counts every backend that exited in between, ours and any other client's
# (and autovacuum's): an upper bound for our side.
postmaster="$("$bin" server-pid || true)"
ticks="$(getconf CLK_TCK)"
children_cpu() {
    if [ -n "$postmaster" ] && [ -r "/proc/$postmaster/stat" ]; then
        sed 's/.*) //' "/proc/$postmaster/stat" | awk '{ print $14 + $15 }'
    else
        echo 0
    fi
}
server_cpu_since() {
    awk -v a="$1" -v b="$(children_cpu)" -v t="$ticks" 'BEGIN { printf "%.2f", (b - a) / t }'
}

ledger_side() {
    local output before
    before="$(children_cpu)"
    output="$(timed "$bin" run --seconds "$seconds" --workers "$workers" --accounts "$accounts" \
        ${ledger_args[@]+"${ledger_args[@]}"})"
    sleep 1
    echo "$output client_cpu_s=$(client_cpu) server_cpu_s=$(server_cpu_since "$before")"
}

pgbench_side() {
    local output tps failed retries processed before
    before="$(children_cpu)"
    output="$(timed pgbench -n -M prepared -c "$workers" -j "$threads" -T "$seconds" \
        --max-tries="$max_tries" -D accounts="$accounts" -D sequence=0 \
        -f "$pgbench_script" "$url" 2>&1)" || {
        echo "$output" >&2
        return 1
    }
    processed="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$output")"
    failed="$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$output")"
    retries="$(sed -n 's/^total number of retries: \([0-9]*\).*/\1/p' <<<"$output")"
    tps="$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$output")"
    tps="$(awk -v tps="$tps" 'BEGIN { printf "%.1f", tps }')"
    sleep 1
    echo "pgbench: clients=$workers transfers=$processed tps=$tps retries=$retries failures=$failed client_cpu_s=$(client_cpu) server_cpu_s=$(server_cpu_since "$before")"
}

# The value of key=... in a line of either side.
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }

ratios=()
ledger_all=()
pgbench_all=()
declare -A cpu_all=()
table=("| round | order | ledger tps | retries | failures | CPU per transfer: client, server | pgbench tps | retries | failures | CPU per transfer: client, server | ledger / pgbench |"
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
# CPU microseconds per committed transfer of one side's line: $2 is
# client_cpu_s or server_cpu_s.
micros() {
    awk -v cpu="$(field "$2" "$1")" -v n="$(field transfers "$1")" \
        'BEGIN { if (n > 0) printf "%.1f", cpu / n * 1e6 }'
}
# Client and server CPU microseconds per committed transfer.
per_transfer() {
    awk -v client="$(field client_cpu_s "$1")" -v server="$(field server_cpu_s "$1")" \
        -v n="$(field transfers "$1")" \
        'BEGIN { if (n > 0) printf "%.0f, %.0f µs", client / n * 1e6, server / n * 1e6 }'
}
for round in $(seq 1 "$rounds"); do
    if (( round % 2 == 1 )); then order=(ledger pgbench); else order=(pgbench ledger); fi
    declare -A line=()
    for side in "${order[@]}"; do
        "$bin" setup --accounts "$accounts"
        sleep 1
        line[$side]="$("${side}_side")"
        summary="$("$bin" summary)"
        echo "round $round: ${line[$side]}; $(uptime | sed 's/.*load/load/')"
        echo "  $summary"
    done
    ledger_tps="$(field tps "${line[ledger]}")"
    pgbench_tps="$(field tps "${line[pgbench]}")"
    ratio="$(awk -v a="$ledger_tps" -v b="$pgbench_tps" 'BEGIN { printf "%.3f", a / b }')"
    ratios+=("$ratio")
    ledger_all+=("$ledger_tps")
    pgbench_all+=("$pgbench_tps")
    for side in ledger pgbench; do
        for cpu in client server; do
            cpu_all[$side.$cpu]+=" $(micros "${line[$side]}" ${cpu}_cpu_s)"
        done
    done
    table+=("| $round | ${order[0]} first | $ledger_tps | $(field retries "${line[ledger]}") | $(field failures "${line[ledger]}") | $(per_transfer "${line[ledger]}") | $pgbench_tps | $(field retries "${line[pgbench]}") | $(field failures "${line[pgbench]}") | $(per_transfer "${line[pgbench]}") | $ratio |")
    unset line
done

echo
printf '%s\n' "${table[@]}"
echo
echo "ledger tps, median (q1-q3): $("$bin" quartiles "${ledger_all[@]}")"
echo "pgbench tps, median (q1-q3): $("$bin" quartiles "${pgbench_all[@]}")"
echo "ledger / pgbench, median (q1-q3): $("$bin" quartiles "${ratios[@]}")"
for side in ledger pgbench; do
    for cpu in client server; do
        # Unquoted on purpose: one argument per round.
        # shellcheck disable=SC2086
        echo "$side $cpu CPU per transfer (µs), median (q1-q3): $("$bin" quartiles ${cpu_all[$side.$cpu]})"
    done
done
echo
echo "end: $(uptime)"
if [ "${KEEP_DB:-0}" != 1 ]; then
    "$bin" drop
fi

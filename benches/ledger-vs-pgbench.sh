#!/usr/bin/env bash
# Section 7 of BENCHMARKS.md: transfers per second of the ledger example
# (money_ledger::Ledger::transfer, driven by the ledger_tps binary) against
# pgbench running the same statements (benches/pgbench/transfer.sql), with
# the same number of concurrent clients, against the same server.
#
# Each round runs every side, in an order that rotates from round to round;
# before each side, `ledger_tps setup` re-creates the ledger's tables (its
# own DDL) and the accounts, so that every side starts from the same state.
# Prints each side's transfers per second per round, the per-round ratio to
# pgbench (above 1: faster than pgbench) with its median and quartiles
# (nearest rank, as the paired harness), and the client's and the server's
# CPU time per transfer.
#
# Sides (SIDES, default "ledger pgbench"; pgbench must be one of them):
#   ledger             Ledger::transfer on a pool of WORKERS connections
#   ledger-no-ping     the same, the pool built with
#                      test_before_acquire(false) (one round trip fewer)
#   ledger-held        each worker holds one connection for the run and
#                      calls Ledger::transfer_on (money_sqlx::transaction_on):
#                      no pool ping, pgbench's round trips
#   pgbench            pgbench -f benches/pgbench/transfer.sql
#   pgbench-two-syncs  pgbench -f benches/pgbench/transfer-two-syncs.sql
#                      (plus the two round trips of the ledger's pool pings)
#
# Needs pgbench (Debian: apt-get install postgresql-client) and a server:
# DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test (as
# benches/src/db.rs). It works in a database of its own on that server,
# money_ledger_bench, dropped at the end (KEEP_DB=1 keeps it).
#
# Usage: bash benches/ledger-vs-pgbench.sh
#   ROUNDS=5 SECONDS_PER_SIDE=20 WORKERS=8 ACCOUNTS=10000 MAX_TRIES=20
#   PGBENCH_THREADS=2 SIDES="ledger pgbench"
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
read -r -a sides <<<"${SIDES:-ledger pgbench}"

for side in "${sides[@]}"; do
    case "$side" in
        ledger | ledger-no-ping | ledger-held | pgbench | pgbench-two-syncs) ;;
        *) echo "ledger-vs-pgbench: unknown side $side" >&2; exit 2 ;;
    esac
done
if [[ " ${sides[*]} " != *" pgbench "* ]]; then
    echo "ledger-vs-pgbench: SIDES must include pgbench, the baseline" >&2
    exit 2
fi
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
echo "$rounds rounds x $seconds s per side, sides: ${sides[*]}; $workers clients, $accounts accounts, pgbench -j $threads --max-tries=$max_tries, PGSSLMODE=$PGSSLMODE"
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

ledger_run() {
    local output before
    before="$(children_cpu)"
    output="$(timed "$bin" run --seconds "$seconds" --workers "$workers" --accounts "$accounts" "$@")"
    sleep 1
    echo "$output client_cpu_s=$(client_cpu) server_cpu_s=$(server_cpu_since "$before")"
}

pgbench_run() {
    local output tps failed retries processed before
    before="$(children_cpu)"
    output="$(timed pgbench -n -M prepared -c "$workers" -j "$threads" -T "$seconds" \
        --max-tries="$max_tries" -D accounts="$accounts" -D sequence=0 \
        -f "$1" "$url" 2>&1)" || {
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

run_side() {
    case "$1" in
        ledger) ledger_run ;;
        ledger-no-ping) ledger_run --test-before-acquire false ;;
        ledger-held) ledger_run --held-connection true ;;
        pgbench) pgbench_run benches/pgbench/transfer.sql ;;
        pgbench-two-syncs) pgbench_run benches/pgbench/transfer-two-syncs.sql ;;
    esac
}

# The value of key=... in a line of either side.
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
# CPU microseconds per committed transfer of one side's line: $2 is
# client_cpu_s or server_cpu_s.
micros() {
    awk -v cpu="$(field "$2" "$1")" -v n="$(field transfers "$1")" \
        'BEGIN { if (n > 0) printf "%.1f", cpu / n * 1e6 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# Per side, one value per round, space-separated.
declare -A tps_all=() ratio_all=() client_all=() server_all=() retries_all=() failures_all=()
header="| round | order |"
rule="|---:|---|"
for side in "${sides[@]}"; do
    header+=" $side tps |"
    rule+="---:|"
done
for side in "${sides[@]}"; do
    if [ "$side" != pgbench ]; then
        header+=" $side / pgbench |"
        rule+="---:|"
    fi
done
table=("$header" "$rule")

count="${#sides[@]}"
for round in $(seq 1 "$rounds"); do
    order=()
    for index in $(seq 0 $((count - 1))); do
        order+=("${sides[$(((round - 1 + index) % count))]}")
    done
    declare -A line=()
    for side in "${order[@]}"; do
        "$bin" setup --accounts "$accounts"
        sleep 1
        line[$side]="$(run_side "$side")"
        echo "round $round, $side: ${line[$side]}; $(uptime | sed 's/.*load/load/')"
        echo "  $("$bin" summary)"
    done
    row="| $round | ${order[*]} |"
    for side in "${sides[@]}"; do
        tps="$(field tps "${line[$side]}")"
        row+=" $tps |"
        tps_all[$side]+=" $tps"
        client_all[$side]+=" $(micros "${line[$side]}" client_cpu_s)"
        server_all[$side]+=" $(micros "${line[$side]}" server_cpu_s)"
        retries_all[$side]+=" $(field retries "${line[$side]}")"
        failures_all[$side]+=" $(field failures "${line[$side]}")"
    done
    for side in "${sides[@]}"; do
        if [ "$side" != pgbench ]; then
            value="$(ratio "$(field tps "${line[$side]}")" "$(field tps "${line[pgbench]}")")"
            row+=" $value |"
            ratio_all[$side]+=" $value"
        fi
    done
    table+=("$row")
    unset line
done

echo
printf '%s\n' "${table[@]}"
echo
echo "Medians (q1-q3) over the rounds; CPU per committed transfer."
echo
echo "| side | tps | vs pgbench | client CPU, µs | server CPU, µs | retries per round | failures per round |"
echo "|---|---:|---:|---:|---:|---:|---:|"
# Unquoted expansions below on purpose: one argument per round.
# shellcheck disable=SC2086
for side in "${sides[@]}"; do
    versus="1"
    if [ "$side" != pgbench ]; then versus="$("$bin" quartiles ${ratio_all[$side]})"; fi
    echo "| $side | $("$bin" quartiles ${tps_all[$side]}) | $versus | $("$bin" quartiles ${client_all[$side]}) | $("$bin" quartiles ${server_all[$side]}) | $("$bin" quartiles ${retries_all[$side]}) | $("$bin" quartiles ${failures_all[$side]}) |"
done
echo
echo "end: $(uptime)"
if [ "${KEEP_DB:-0}" != 1 ]; then
    "$bin" drop
fi

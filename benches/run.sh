#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md, one after the other:
#   1. cargo bench -p money-benches   criterion (cpu, postgres) and the
#                                     interleaved comparisons (paired), then
#                                     criterion's medians as a table
#   2. benches/callgrind.sh           instruction counts (needs valgrind)
#   3. benches/compile-time.sh        200 models: build times, expanded lines
#   4. benches/ledger-vs-pgbench.sh   the ledger example's transfers per
#                                     second against pgbench (needs pgbench)
# The PostgreSQL parts use DATABASE_URL, else
# postgres://postgres@127.0.0.1:5432/test (see benches/src/db.rs).
# Everything printed is also kept in target/money-benches/run.log.
#
# Usage: bash benches/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$target/money-benches"
log="$target/money-benches/run.log"
{
    echo "# money benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$root" rev-parse --short HEAD)"
    echo "nproc: $(nproc)"
    grep -m1 'model name' /proc/cpuinfo || true
    free -g
    uptime
    rustc -V
    echo "DATABASE_URL: ${DATABASE_URL:-unset, so postgres://postgres@127.0.0.1:5432/test}"
    cd "$root"
    cargo bench -p money-benches
    cargo run -q --profile bench -p money-benches --bin criterion-medians
    bash "$root/benches/callgrind.sh"
    bash "$root/benches/compile-time.sh"
    bash "$root/benches/ledger-vs-pgbench.sh"
    echo "end: $(uptime)"
} 2>&1 | tee "$log"

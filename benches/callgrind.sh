#!/usr/bin/env bash
# Instruction counts of the CPU-bound comparisons under
# valgrind --tool=callgrind: repeatable whatever the load. Each scenario of
# the `scenario` binary (benches/src/bin/scenario.rs) runs N calls, and
# --toggle-collect counts only the instructions inside its
# scenario_<name> function (no start-up, input building or connection).
#
# Usage: bash benches/callgrind.sh   (needs valgrind: apt-get install valgrind)
#   N=100000          calls per scenario
#   MONEY_BENCH_NO_DB=1  skip the decode, round trip and bulk scenarios
#                     (they use PostgreSQL: DATABASE_URL, else
#                     postgres://postgres@127.0.0.1:5432/test; only the
#                     client's instructions are counted)
# Output: a table on stdout and in target/callgrind/results.md; the raw
# profiles and the top functions by self cost (callgrind_annotate) per
# scenario in target/callgrind/.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/callgrind"
N="${N:-100000}"
mkdir -p "$out"
results="$out/results.md"
: >"$results"
say() { echo "$*" | tee -a "$results"; }

command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
(cd "$root" && cargo build -q --profile bench -p money-benches --bin scenario)
binary="$target/release/scenario"

# instructions SCENARIO [CALLS]: Ir per call (or per row), profile kept,
# top functions written.
instructions() {
    local name="$1" calls="${2:-$N}" total
    # validate_every_* run the functions of validate_invalid_* on another
    # account (see scenario.rs).
    local function="${name/validate_every_/validate_invalid_}"
    valgrind --tool=callgrind --callgrind-out-file="$out/$name.out" \
        --toggle-collect="*scenario_${function}" "$binary" "$name" "$calls" >"$out/$name.log" 2>&1
    total=$(grep -o 'Collected : [0-9]*' "$out/$name.log" | awk '{ print $3 }')
    callgrind_annotate "$out/$name.out" 2>/dev/null | sed -n '/file:function/,$p' | head -25 >"$out/$name.top.txt"
    awk -v total="$total" -v n="$calls" 'BEGIN { printf "%.0f", total / n }'
}

say "# Instructions per call (valgrind --tool=callgrind, $N calls per scenario, $(valgrind --version))"
say ""
say "| comparison | baseline | Ir/call | measured | Ir/call | ratio |"
say "|---|---|---:|---|---:|---:|"
pair() {
    local label="$1" base="$2" base_label="$3" side="$4" side_label="$5" calls="${6:-$N}" a b
    a=$(instructions "$base" "$calls")
    b=$(instructions "$side" "$calls")
    say "| $label | $base_label | $a | $side_label | $b | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }') |"
}
pair "1. validate()" validate_hand "hand-written" validate_generated "generated"
pair "1. validate()" validate_hand "hand-written" validate_garde "garde"
pair "1. validate(), error path (3 rules broken)" validate_invalid_hand "hand-written" validate_invalid_generated "generated"
pair "1. validate(), error path (3 rules broken)" validate_invalid_hand_reported "hand-written, same information" validate_invalid_generated "generated"
pair "1. validate(), error path (every rule, 8)" validate_every_hand "hand-written" validate_every_generated "generated"
pair "1. validate(), error path (every rule, 8)" validate_every_hand_reported "hand-written, same information" validate_every_generated "generated"
pair "2. JSON deserialize" json_plain "serde_json + serde-str" json_generated "#[money(serde)]"
pair "2. JSON serialize" json_serialize_plain "serde_json + serde-str" json_serialize_generated "#[money(serde)]"
if [ -z "${MONEY_BENCH_NO_DB:-}" ] || [ "${MONEY_BENCH_NO_DB}" = 0 ]; then
    pair "5. numeric decode, per value" decode_sqlx "sqlx Decimal" decode_ours "decode_numeric_binary"
    pair "5. numeric decode, per value" decode_sqlx "sqlx Decimal" decode_value "MoneyValue (checked)"
    pair "5. row decode, per row" row_plain "FromRow by hand" row_generated "generated FromRow (checked)"
    pair "3. round trip, client side, per round trip" roundtrip_raw "raw sqlx" roundtrip_generated "generated insert + FromRow" 2000
    pair "4. bulk insert, client side, per row" bulk_copy "COPY (text)" bulk_insert_many "generated insert_many" 20000
    pair "4. bulk insert, client side, per row" bulk_copy "COPY (text)" bulk_row_by_row "generated insert, row by row, one transaction" 20000
else
    say "(decode scenarios skipped: MONEY_BENCH_NO_DB is set)"
fi
say ""
say "Top functions by self cost per scenario: $out/<scenario>.top.txt"

#!/usr/bin/env bash
# The ledger's transfers/s with its currency CHECKs spelled as IN lists (as
# money-core rendered them before) and as array constants (as it renders
# them now), alternated (BENCHMARKS.md, section 7, "the cost per
# statement"). Each side: `ledger_tps setup` (the tables from the
# declarations, 10,000 accounts), then the currency CHECKs of `accounts` and
# `journal_entries` replaced by the side's spelling (for the array side, by
# themselves, so both sides pay the same ALTERs), `VACUUM ANALYZE accounts`
# and a `CHECKPOINT` as `setup` ends, then `ledger_tps run` (8 workers).
#
# Usage: [ROUNDS=5] [SECONDS_PER_SIDE=10] bash benches/ledger-currency-spellings.sh
#        (DATABASE_URL, else the benchmarks' default server)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${ROUNDS:-5}"
seconds="${SECONDS_PER_SIDE:-10}"
cd "$root"
cargo build --release -q -p money-benches --bin ledger_tps
tps="$root/target/release/ledger_tps"
url="$("$tps" url)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$tps" setup >/dev/null
# The CHECKs as the declarations render them (array constants), and the
# same sets as IN lists.
psql -X -A -t -q -F $'\t' "$url" -c "
    SELECT conrelid::regclass, conname, pg_get_constraintdef(oid)
    FROM pg_constraint
    WHERE contype = 'c' AND conrelid IN ('accounts'::regclass, 'journal_entries'::regclass)
      AND pg_get_constraintdef(oid) ~ '(= ANY|<> ALL) \(''\{'" > "$work/checks.tsv"
python3 - "$work" <<'EOF'
import re, sys
work = sys.argv[1]
def in_lists(definition):
    def replace(match):
        codes = ", ".join(f"'{code}'" for code in match.group(2).split(","))
        return ("IN" if match.group(1) == "= ANY" else "NOT IN") + f" ({codes})"
    return re.sub(r"(= ANY|<> ALL) \('\{([A-Z,]+)\}'::text\[\]\)", replace, definition)
rows = [line.rstrip("\n").split("\t") for line in open(f"{work}/checks.tsv") if line.strip()]
assert rows, "no currency CHECK found"
with open(f"{work}/in_lists.sql", "w") as old, open(f"{work}/arrays.sql", "w") as new:
    for table, name, definition in rows:
        old.write(f"ALTER TABLE {table} DROP CONSTRAINT {name}, ADD CONSTRAINT {name} {in_lists(definition)};\n")
        new.write(f"ALTER TABLE {table} DROP CONSTRAINT {name}, ADD CONSTRAINT {name} {definition};\n")
EOF
uptime
for round in $(seq 1 "$rounds"); do
    for side in in_lists arrays; do
        "$tps" setup >/dev/null
        psql -X -q "$url" -f "$work/$side.sql"
        psql -X -q "$url" -c "VACUUM ANALYZE accounts" -c "CHECKPOINT"
        tree=$(psql -X -A -t -q "$url" -c "SELECT length(conbin::text) FROM pg_constraint WHERE conname = 'accounts_currency_currency'")
        echo "round $round, $side (accounts_currency_currency: $tree characters of tree): $("$tps" run --seconds "$seconds" 2>&1 | grep '^ledger: workers')"
    done
done
uptime
"$tps" drop >/dev/null

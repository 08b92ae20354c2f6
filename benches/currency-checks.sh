#!/usr/bin/env bash
# What the currency CHECKs cost PostgreSQL (BENCHMARKS.md, section 7;
# README, "Currencies"), in the two spellings the migrations example's
# history holds for its accounts table:
# - `IN` lists (`"currency" IN ('AED', ...)`, `NOT IN (...)`), as
#   examples/migrations/migrations/0004_alter_accounts.sql added them;
# - array constants (`"currency" = ANY ('{AED,...}'::text[])`, `<> ALL`),
#   as 0005_alter_accounts.sql replaced them (what the DDL renders now).
# The build checks the newest against the model's generated DDL.
#
# Two loads, on temporary tables with no CHECK, with both CHECKs as IN lists
# and with both as array constants, each twice, alternated, timed by psql's
# \timing:
# - per row: 300,000 rows of four currencies in one INSERT ... SELECT;
# - per statement: 20,000 single-row INSERTs, one statement each (a
#   PL/pgSQL loop, so no round trip is timed), which is how an application
#   writes. PostgreSQL reads a table's CHECK expressions back from their
#   stored trees in every statement that writes to it.
# Then over the wire: pgbench (-M prepared, 1 client, 10 s, twice each,
# alternated) updating random rows by primary key in two 10,000-row tables
# with both CHECKs, one per spelling.
#
# Usage: bash benches/currency-checks.sh   (DATABASE_URL, else
# postgres://postgres@127.0.0.1:5432/test)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
migrations="$root/examples/migrations/migrations"
check() {
    grep -o "ADD CONSTRAINT \"$2\" CHECK (.*);" "$migrations/$1" \
        | sed "s/^ADD CONSTRAINT \"$2\" //; s/;\$//"
}
old_code=$(check 0004_alter_accounts.sql accounts_currency_currency)
old_units=$(check 0004_alter_accounts.sql accounts_balance_minor_units)
new_code=$(check 0005_alter_accounts.sql accounts_currency_currency)
new_units=$(check 0005_alter_accounts.sql accounts_balance_minor_units)
for text in "$old_code" "$old_units" "$new_code" "$new_units"; do
    [ -n "$text" ] || { echo "a CHECK was not found in $migrations" >&2; exit 1; }
done
rows="SELECT (ARRAY['EUR', 'USD', 'JPY', 'BHD'])[1 + i % 4], (i % 1000)::numeric FROM generate_series(1, 300000) i"
{
    echo '\timing on'
    echo "SET synchronous_commit = off;"
    echo "CREATE TEMP TABLE t_none (currency text NOT NULL, balance numeric NOT NULL);"
    echo "CREATE TEMP TABLE t_in_lists (currency text NOT NULL, balance numeric NOT NULL, $old_code, $old_units);"
    echo "CREATE TEMP TABLE t_arrays (currency text NOT NULL, balance numeric NOT NULL, $new_code, $new_units);"
    echo "SELECT conrelid::regclass AS table, conname, length(conbin::text) AS stored_tree_chars FROM pg_constraint WHERE conrelid IN ('t_in_lists'::regclass, 't_arrays'::regclass) ORDER BY 1, 2;"
    for round in 1 2; do
        for table in t_none t_in_lists t_arrays; do
            echo "\\echo round $round, per row, $table"
            echo "INSERT INTO $table $rows;"
        done
        for table in t_none t_in_lists t_arrays; do
            echo "\\echo round $round, per statement, $table"
            echo "DO \$\$ BEGIN FOR i IN 1..20000 LOOP INSERT INTO $table VALUES ((ARRAY['EUR', 'USD', 'JPY', 'BHD'])[1 + i % 4], (i % 1000)::numeric); END LOOP; END \$\$;"
        done
    done
} | psql -X -q "$url" 2>&1
psql -X -q "$url" <<SQL
DROP TABLE IF EXISTS currency_checks_in_lists, currency_checks_arrays;
CREATE TABLE currency_checks_in_lists (id bigint PRIMARY KEY, currency text NOT NULL, balance numeric NOT NULL, $old_code, $old_units);
CREATE TABLE currency_checks_arrays (id bigint PRIMARY KEY, currency text NOT NULL, balance numeric NOT NULL, $new_code, $new_units);
INSERT INTO currency_checks_in_lists SELECT i, 'USD', 1000 FROM generate_series(1, 10000) i;
INSERT INTO currency_checks_arrays SELECT i, 'USD', 1000 FROM generate_series(1, 10000) i;
VACUUM ANALYZE currency_checks_in_lists;
VACUUM ANALYZE currency_checks_arrays;
SQL
script=$(mktemp)
for round in 1 2; do
    for table in currency_checks_in_lists currency_checks_arrays; do
        printf '\\set id random(1, 10000)\nUPDATE %s SET balance = balance + 0.01 WHERE id = :id;\n' "$table" > "$script"
        echo "round $round, UPDATE over the wire, $table: $(PGOPTIONS='-c synchronous_commit=off' \
            pgbench -n -M prepared -c 1 -T 10 -f "$script" "$url" 2>&1 | grep -E 'latency average|^tps' | tr '\n' ' ')"
    done
done
rm -f "$script"
psql -X -q "$url" -c "DROP TABLE currency_checks_in_lists, currency_checks_arrays"
uptime

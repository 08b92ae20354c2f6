#!/usr/bin/env bash
# What the currency CHECKs cost PostgreSQL per row (BENCHMARKS.md, section
# 7; README, "Currencies"): 300,000 rows of four currencies inserted with
# INSERT ... SELECT into temporary tables with no CHECK, with the code CHECK
# alone, with the minor-units CHECK alone and with both, twice each, timed
# by psql's \timing. The CHECKs are those of the migrations example's
# accounts table (examples/migrations/migrations/0004_alter_accounts.sql),
# which the build checks against the model's generated DDL.
#
# Usage: bash benches/currency-checks.sh   (DATABASE_URL, else
# postgres://postgres@127.0.0.1:5432/test)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
migration="$root/examples/migrations/migrations/0004_alter_accounts.sql"
check() {
    grep -o "ADD CONSTRAINT \"$1\" CHECK (.*);" "$migration" \
        | sed "s/^ADD CONSTRAINT \"$1\" //; s/;\$//"
}
code=$(check accounts_currency_currency)
units=$(check accounts_balance_minor_units)
rows="SELECT (ARRAY['EUR', 'USD', 'JPY', 'BHD'])[1 + i % 4], (i % 1000)::numeric FROM generate_series(1, 300000) i"
{
    echo '\timing on'
    echo "CREATE TEMP TABLE t_none (currency text NOT NULL, balance numeric NOT NULL);"
    echo "CREATE TEMP TABLE t_code (currency text NOT NULL, balance numeric NOT NULL, $code);"
    echo "CREATE TEMP TABLE t_units (currency text NOT NULL, balance numeric NOT NULL, $units);"
    echo "CREATE TEMP TABLE t_both (currency text NOT NULL, balance numeric NOT NULL, $code, $units);"
    for round in 1 2; do
        for table in t_none t_code t_units t_both; do
            echo "\\echo round $round: $table"
            echo "INSERT INTO $table $rows;"
        done
    done
} | psql -X -q "$url" 2>&1 | grep -E '^round|^Time'
uptime

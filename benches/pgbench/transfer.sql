-- One transfer of the ledger example (money_ledger::Ledger::transfer), as
-- pgbench runs it: the statements one Ledger::transfer sends when the
-- transfer id is new and both accounts are in EUR (the only path this
-- benchmark takes), in the same order, in the same SERIALIZABLE
-- transaction. Read from the server's log (log_statement = 'all'); see
-- section 7 of BENCHMARKS.md.
--
-- Run by benches/ledger-vs-pgbench.sh as
--   PGSSLMODE=disable pgbench -n -M prepared -c 8 -j 2 -T 20 --max-tries=20 \
--       -D accounts=10000 -D sequence=0 -f benches/pgbench/transfer.sql URL
-- against the tables `ledger_tps setup` creates (the ledger's own DDL).
--
-- Differences: pgbench sends its parameters untyped, so the arrays of the
-- journal insert are built with ARRAY[...] and cast where sqlx binds typed
-- arrays to UNNEST($1, ..., $5); amounts are drawn as whole cents and
-- scaled in SQL; BEGIN and SET LOCAL go in one pipeline (one Sync, one
-- round trip) where sqlx sends them in one simple-query message; BEGIN,
-- SET LOCAL, SELECT 1 and COMMIT go through the extended
-- protocol (-M prepared) where sqlx sends them as simple queries, which
-- the server parses at every transfer (about 8 µs of its CPU per
-- transfer, BENCHMARKS.md section 7).

-- The transfer: a debit account, a different credit account (uniform),
-- 0.01 to 100.00, drawn as the Rust driver (ledger_tps) draws them.
\set from random(1, :accounts)
\set to 1 + (:from + random(0, :accounts - 2)) % :accounts
\set cents random(1, 10000)
-- Unique ids: each client counts its own transfers (pgbench keeps a
-- client's variables from one transaction to the next; -D sequence=0
-- starts them). A retry after a serialization failure re-runs the script
-- from here with the same random draws and a new id (the ids skipped equal
-- pgbench's count of retries), where the ledger retries with the same id;
-- the id is unused either way.
\set sequence :sequence + 1
\set transfer_id (:client_id + 1) * 1000000000000 + :sequence
-- The balances are updated in account order, the lower id first.
\set low least(:from, :to)
\set high greatest(:from, :to)
\set low_cents CASE WHEN :low = :from THEN -:cents ELSE :cents END

-- BEGIN and the statement timeout in one round trip, as
-- money_sqlx::transaction sends them (one simple-query message there, one
-- pipeline with one Sync here).
\startpipeline
BEGIN ISOLATION LEVEL SERIALIZABLE;
SET LOCAL statement_timeout = '5000ms';
\endpipeline
SELECT "id", "currency" FROM "accounts" WHERE "id" IN (:from, :to);
INSERT INTO "transfers" ("transfer_id", "debit_account_id", "credit_account_id", "amount") VALUES (:transfer_id, :from, :to, 0.01 * :cents) ON CONFLICT DO NOTHING RETURNING "transfer_id", "debit_account_id", "credit_account_id", "amount";
INSERT INTO "journal_entries" ("transfer_id", "leg", "account_id", "currency", "amount") SELECT * FROM UNNEST(ARRAY[:transfer_id, :transfer_id]::int8[], ARRAY[0, 1]::int2[], ARRAY[:from, :to]::int8[], ARRAY['EUR', 'EUR']::text[], ARRAY[-0.01 * :cents, 0.01 * :cents]::numeric[]);
UPDATE "accounts" SET "balance" = "balance" + 0.01 * :low_cents WHERE "id" = :low;
UPDATE "accounts" SET "balance" = "balance" - 0.01 * :low_cents WHERE "id" = :high;
SELECT 1;
COMMIT;

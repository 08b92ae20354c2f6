-- benches/pgbench/transfer.sql with two more round trips per transfer,
-- each a bare Sync message answered by ReadyForQuery (an empty pipeline):
-- what the ledger's connection pool adds around every transaction attempt
-- (sqlx's PgPoolOptions::test_before_acquire ping when money_sqlx::transaction
-- takes the connection, and the ping when the connection goes back to the
-- pool): the round trips of Ledger::transfer on a pool, where
-- Ledger::transfer_on on a held connection has transfer.sql's. For finding
-- where the difference goes (BENCHMARKS.md, section 7):
--   PGBENCH_SCRIPT=benches/pgbench/transfer-two-syncs.sql \
--       bash benches/ledger-vs-pgbench.sh

\set from random(1, :accounts)
\set to 1 + (:from + random(0, :accounts - 2)) % :accounts
\set cents random(1, 10000)
\set sequence :sequence + 1
\set transfer_id (:client_id + 1) * 1000000000000 + :sequence
\set low least(:from, :to)
\set high greatest(:from, :to)
\set low_cents CASE WHEN :low = :from THEN -:cents ELSE :cents END

-- The ping of the previous attempt's release, then the one of this acquire.
\startpipeline
\endpipeline
\startpipeline
\endpipeline
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

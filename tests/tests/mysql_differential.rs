//! The proof that Rust and MariaDB (or MySQL, through `MYSQL_URL`) agree, on
//! the same spec matrix and values as the PostgreSQL and SQLite tests: each
//! value is checked with `validate()` and inserted through the generated DDL,
//! and the two verdicts must be equal. On rejection the server must name a
//! constraint that `validate()` also reported; on acceptance it must store
//! exactly the value Rust says it stores.
//!
//! Every value goes through a stored procedure that inserts a batch one row
//! at a time with the generated `INSERT`, as a prepared statement whose
//! parameter is the value's text, which is what sqlx sends for a `Decimal`
//! (a `NEWDECIMAL` parameter holding `Decimal::to_string()`); a handler
//! records each row's error number and message instead of stopping. One value
//! in 32 is also inserted directly as an sqlx `Decimal` parameter, and must
//! get the same verdict. `INSERT IGNORE` would not do: it turns errors into
//! warnings (a text that is no number is stored as 0, and MySQL documents
//! that a CHECK violation becomes a warning too).

use money_core::{Decimal, Dialect, ddl};
use money_tests::matrix::{self, Case, Summary, Tally, Verdict};
use money_tests::mysql::{self, STRICT_SQL_MODE};
use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, MySql, MySqlPool};

/// Values sent per call of `try_insert`: a stored procedure copies its
/// `longtext` argument whenever it reads it, so a long list costs time
/// quadratic in its length.
const BATCH: usize = 250;

/// One value in this many is also bound directly as an sqlx parameter.
const DIRECT_EVERY: usize = 32;

/// Ids of the directly bound rows start here, above every batch's ids.
const DIRECT_ID_OFFSET: i64 = 1_000_000_000;

const VERDICTS: &str = "CREATE TEMPORARY TABLE try_insert_verdicts (
    ordinal int NOT NULL PRIMARY KEY,
    errno int NOT NULL,
    message varchar(512)
) ENGINE = MEMORY";

/// Runs `insert_sql` (two `?`: id, amount) once per comma-separated amount,
/// with ids `first_id + 1, first_id + 2, ...`, and records each row's error
/// number (0 when inserted) and message in `try_insert_verdicts`. It keeps
/// the `sql_mode` of the session that creates it, a strict one.
///
/// The error is the first condition whose SQLSTATE is not of class `01`: in
/// round mode the server's rounding note (1265, "Data truncated") comes
/// before the CHECK violation in the diagnostics area. The amounts are ASCII
/// so that positions in them are byte offsets, not a scan from the start.
const TRY_INSERT: &str = "CREATE PROCEDURE try_insert(insert_sql text, first_id bigint, amounts longtext CHARACTER SET ascii)
BEGIN
    DECLARE ordinal int DEFAULT 0;
    DECLARE start int DEFAULT 1;
    DECLARE total int DEFAULT LENGTH(amounts);
    DECLARE stop int;
    DECLARE errno int;
    DECLARE message text;
    DECLARE state char(5);
    DECLARE conditions int;
    DECLARE i int;
    DECLARE CONTINUE HANDLER FOR SQLEXCEPTION
    BEGIN
        GET DIAGNOSTICS conditions = NUMBER;
        SET i = 1;
        WHILE i <= conditions AND errno = 0 DO
            GET DIAGNOSTICS CONDITION i state = RETURNED_SQLSTATE;
            IF state NOT LIKE '01%' THEN
                GET DIAGNOSTICS CONDITION i errno = MYSQL_ERRNO, message = MESSAGE_TEXT;
            END IF;
            SET i = i + 1;
        END WHILE;
        IF errno = 0 THEN
            SET errno = -1, message = 'no error condition in the diagnostics area';
        END IF;
    END;
    DELETE FROM try_insert_verdicts;
    SET @try_insert_sql = insert_sql;
    PREPARE insert_statement FROM @try_insert_sql;
    WHILE start <= total DO
        SET stop = LOCATE(',', amounts, start);
        IF stop = 0 THEN
            SET stop = total + 1;
        END IF;
        SET ordinal = ordinal + 1;
        SET @try_insert_id = first_id + ordinal;
        SET @try_insert_amount = SUBSTRING(amounts, start, stop - start);
        SET errno = 0, message = NULL;
        EXECUTE insert_statement USING @try_insert_id, @try_insert_amount;
        INSERT INTO try_insert_verdicts VALUES (ordinal, errno, message);
        SET start = stop + 1;
    END WHILE;
    DEALLOCATE PREPARE insert_statement;
END";

/// The stored `DECIMAL` as the server prints it (`1.200000000000000000000000000000` in a
/// `decimal(65, 30)` column), read exactly: trailing zeros after the point dropped, then
/// `from_str_exact`, which refuses anything it would have to round.
fn parse_stored(text: &str) -> Result<Decimal, String> {
    let trimmed = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    };
    Decimal::from_str_exact(trimmed).map_err(|error| format!("stored {text}: {error}"))
}

fn verdict(errno: i32, message: Option<&str>, stored: Option<&str>) -> Verdict {
    let constraint = u16::try_from(errno)
        .ok()
        .zip(message)
        .and_then(|(number, message)| mysql::check_violation(number, message));
    match (errno, constraint, stored) {
        (0, _, Some(stored)) => match parse_stored(stored) {
            Ok(stored) => Verdict::Stored(stored),
            Err(detail) => Verdict::Other(detail),
        },
        (_, Some(constraint), None) => Verdict::Violated(constraint.to_owned()),
        (errno, _, stored) => {
            Verdict::Other(format!("error {errno} {message:?} stored {stored:?}"))
        }
    }
}

async fn run_case(
    connection: &mut PoolConnection<MySql>,
    case: &Case,
    values: &[Decimal],
) -> (Tally, usize) {
    let table = ddl::quote(Dialect::MySql, case.name());
    sqlx::raw_sql(AssertSqlSafe((case.create_table_sql)(Dialect::MySql)))
        .execute(&mut **connection)
        .await
        .expect("the generated DDL runs");
    let insert = ddl::insert_sql(case.table, Dialect::MySql, false);
    let verdicts = format!(
        "SELECT v.ordinal, v.errno, v.message, CAST(t.amount AS CHAR) \
         FROM try_insert_verdicts v LEFT JOIN {table} t ON t.id = ? + v.ordinal \
         ORDER BY v.ordinal"
    );
    let stored_by_id = format!("SELECT CAST(amount AS CHAR) FROM {table} WHERE id = ?");
    let mut tally = Tally::default();
    let mut direct = 0;
    for (batch_index, batch) in values.chunks(BATCH).enumerate() {
        let first_id = (batch_index * BATCH) as i64;
        let amounts: Vec<String> = batch.iter().map(Decimal::to_string).collect();
        // One transaction per batch: a failed insert rolls back only itself.
        sqlx::raw_sql("START TRANSACTION")
            .execute(&mut **connection)
            .await
            .expect("START TRANSACTION");
        sqlx::query("CALL try_insert(?, ?, ?)")
            .bind(&insert)
            .bind(first_id)
            .bind(amounts.join(","))
            .execute(&mut **connection)
            .await
            .expect("try_insert runs");
        let rows: Vec<(i32, i32, Option<String>, Option<String>)> =
            sqlx::query_as(AssertSqlSafe(verdicts.clone()))
                .bind(first_id)
                .fetch_all(&mut **connection)
                .await
                .expect("read the verdicts");
        sqlx::raw_sql("COMMIT")
            .execute(&mut **connection)
            .await
            .expect("COMMIT");
        assert_eq!(rows.len(), batch.len(), "one verdict per value");
        for (ordinal, errno, message, stored) in rows {
            let value = batch[ordinal as usize - 1];
            let verdict = verdict(errno, message.as_deref(), stored.as_deref());
            tally.record(case, value, verdict, "as prepared-statement text");
        }

        for (position, value) in batch.iter().enumerate().step_by(DIRECT_EVERY) {
            direct += 1;
            let id = DIRECT_ID_OFFSET + first_id + position as i64;
            let inserted = sqlx::query(AssertSqlSafe(insert.clone()))
                .bind(id)
                .bind(*value)
                .execute(&mut **connection)
                .await;
            let verdict = match inserted {
                Ok(_) => {
                    let stored: String = sqlx::query_scalar(AssertSqlSafe(stored_by_id.clone()))
                        .bind(id)
                        .fetch_one(&mut **connection)
                        .await
                        .expect("read the inserted row");
                    verdict(0, None, Some(&stored))
                }
                Err(error) => match mysql::violated_check(&error) {
                    Some(constraint) => Verdict::Violated(constraint.to_owned()),
                    None => Verdict::Other(format!("error: {error}")),
                },
            };
            tally.record(case, *value, verdict, "as an sqlx Decimal parameter");
        }
    }
    (tally, direct)
}

/// Connections that run cases side by side: the server does the work, on as
/// many threads.
const WORKERS: usize = 2;

/// Runs every `WORKERS`-th case, from the `worker`-th on, on a connection of
/// its own (with its own temporary verdicts table).
async fn run_cases(pool: MySqlPool, worker: usize) -> Vec<(usize, Tally, usize)> {
    let mut connection = pool.acquire().await.expect("a connection");
    let mode: String = sqlx::query_scalar("SELECT @@SESSION.sql_mode")
        .fetch_one(&mut *connection)
        .await
        .expect("read sql_mode");
    assert_eq!(mode, STRICT_SQL_MODE, "the session's sql_mode");
    sqlx::raw_sql(VERDICTS)
        .execute(&mut *connection)
        .await
        .expect("create the verdicts table");
    let mut results = Vec::new();
    for (index, case) in matrix::cases()
        .iter()
        .enumerate()
        .skip(worker)
        .step_by(WORKERS)
    {
        let values = matrix::values_for(index, case.spec());
        let (tally, direct) = run_case(&mut connection, case, &values).await;
        results.push((index, tally, direct));
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_and_mariadb_agree_on_every_value() {
    let database = mysql::fresh_database().await;
    let version = mysql::version(&database.pool).await;
    sqlx::raw_sql(TRY_INSERT)
        .execute(&database.pool)
        .await
        .expect("create try_insert");
    let procedure_mode: String = sqlx::query_scalar(
        "SELECT sql_mode FROM information_schema.ROUTINES \
         WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME = 'try_insert'",
    )
    .fetch_one(&database.pool)
    .await
    .expect("read the procedure's sql_mode");
    assert_eq!(procedure_mode, STRICT_SQL_MODE, "try_insert's sql_mode");

    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| tokio::spawn(run_cases(database.pool.clone(), worker)))
        .collect();
    let mut results = Vec::new();
    for worker in workers {
        match worker.await {
            Ok(done) => results.extend(done),
            Err(error) => match error.try_into_panic() {
                Ok(payload) => std::panic::resume_unwind(payload),
                Err(error) => panic!("a worker failed: {error}"),
            },
        }
    }
    results.sort_by_key(|(index, ..)| *index);
    let cases = matrix::cases();
    let mut summary = Summary::new(version);
    for (index, tally, direct) in results {
        summary.add(
            &cases[index],
            tally,
            &format!("  ({direct} of them bound as sqlx parameters)"),
        );
    }
    database.drop().await;
    summary.finish();
}

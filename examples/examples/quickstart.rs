//! The whole loop on a real database: create the tables from the generated
//! DDL, insert valid rows, read them back exactly, and watch an invalid row
//! be refused twice: by `validate()` before anything is sent, and by the
//! database's named CHECK when sent anyway, mapped back to the field.
//!
//! ```text
//! cargo run --example quickstart                         # in-memory SQLite, nothing to install
//! DATABASE_URL=postgres://... cargo run --example quickstart
//! DATABASE_URL=mysql://...    cargo run --example quickstart   # MariaDB 10.5+ / MySQL 8.0.16+
//! ```
//!
//! On PostgreSQL and MariaDB/MySQL the tables are `TEMPORARY`: nothing is
//! left behind.

use std::error::Error as StdError;

use money_core::{Decimal, Dialect, MoneyModel};
use money_examples::{Account, FxRate, Settlement};
use money_sqlx::{Driver, Idempotent, InsertMany, ModelExt, SqlModel, map_error};
use sqlx::pool::PoolOptions;
use sqlx::{AssertSqlSafe, Database, Executor, FromRow, Pool};

type Result<T> = std::result::Result<T, Box<dyn StdError + Send + Sync>>;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    let outcome = match url.split(':').next() {
        Some("postgres" | "postgresql") => run::<sqlx::Postgres>(&url).await,
        Some("mysql" | "mariadb") => run::<sqlx::MySql>(&url.replacen("mariadb", "mysql", 1)).await,
        Some("sqlite") => run::<sqlx::Sqlite>(&url).await,
        _ => Err(
            format!("DATABASE_URL {url:?}: expected a postgres://, mysql:// or sqlite: URL").into(),
        ),
    };
    if let Err(error) = outcome {
        eprintln!("quickstart failed: {error}");
        std::process::exit(1);
    }
}

async fn run<DB>(url: &str) -> Result<()>
where
    DB: Driver,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    Account: SqlModel<DB> + InsertMany<DB> + for<'r> FromRow<'r, DB::Row>,
    Settlement: SqlModel<DB> + for<'r> FromRow<'r, DB::Row>,
    FxRate: SqlModel<DB> + for<'r> FromRow<'r, DB::Row>,
{
    let dialect = DB::DIALECT;
    // One connection: temporary tables (and an in-memory SQLite database)
    // live as long as it.
    let pool: Pool<DB> = PoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .map_err(|error| format!("cannot connect to {url}: {error}"))?;
    println!("-- {dialect}: tables from the generated DDL\n");
    for ddl in [
        Account::create_table_sql(dialect),
        Settlement::create_table_sql(dialect),
        FxRate::create_table_sql(dialect),
    ] {
        println!("{ddl}\n");
        let ddl = match dialect {
            Dialect::Sqlite => ddl,
            _ => ddl.replacen("CREATE TABLE", "CREATE TEMPORARY TABLE", 1),
        };
        pool.execute(AssertSqlSafe(ddl)).await?;
    }

    println!("-- valid rows, inserted and read back exactly");
    let accounts = [
        account(1, "123.45", "EUR"),
        account(2, "0", "USD"),
        account(3, "99999999999999", "JPY"),
    ];
    Account::insert_many(&accounts, &pool).await?;
    // Round mode: the database rounds 1.084250005 half away from zero, as
    // `validate()` and Rust do.
    let rate = FxRate {
        id: 1,
        pair: "EURUSD".to_owned(),
        rate: amount("1.084250005"),
    };
    rate.insert(&pool).await?;
    let stored: Vec<Account> = sqlx::query_as(AssertSqlSafe(select(Account::DEFINITION, dialect)))
        .fetch_all(&pool)
        .await?;
    for account in &stored {
        println!(
            "account {}: {} {}",
            account.id, account.balance, account.currency
        );
    }
    let stored: FxRate = sqlx::query_as(AssertSqlSafe(select(FxRate::DEFINITION, dialect)))
        .fetch_one(&pool)
        .await?;
    println!(
        "fx rate {}: sent {}, stored {}",
        stored.pair, rate.rate, stored.rate
    );

    println!("\n-- an invalid row");
    let overdrawn = account(4, "-0.01", "EUR");
    match overdrawn.insert(&pool).await {
        Err(error) => println!("insert() refused it before sending: {error}"),
        Ok(()) => return Err("a negative balance was accepted".into()),
    }
    // Sent anyway, around `validate()`: the database's CHECK refuses it,
    // and the error maps back to the field and rule.
    let mut arguments = <DB as Database>::Arguments::default();
    overdrawn.bind_columns(&mut arguments)?;
    let insert = money_core::ddl::insert_sql(Account::DEFINITION, dialect, false);
    match sqlx::query_with(AssertSqlSafe(insert), arguments)
        .execute(&pool)
        .await
    {
        Err(error) => println!(
            "the database refused it too: {}",
            map_error::<Account>(error, None)
        ),
        Ok(_) => return Err("the database accepted a negative balance".into()),
    }

    println!("\n-- an idempotent settlement, sent three times");
    let settlement = Settlement {
        id: 1,
        settlement_id: 7,
        account_id: 1,
        amount: amount("25.00"),
        note: String::new(),
    };
    let mut connection = pool.acquire().await?;
    for attempt in [
        settlement.clone(),
        Settlement {
            amount: amount("25"),
            ..settlement.clone()
        },
        Settlement {
            amount: amount("26"),
            ..settlement.clone()
        },
    ] {
        let outcome = match attempt.insert_idempotent(&mut connection).await? {
            Idempotent::Inserted(_) => "inserted".to_owned(),
            Idempotent::AlreadyExists(_) => "already there: a replay, not an error".to_owned(),
            Idempotent::Conflict { existing } => format!(
                "conflict: settlement 7 is stored with {}, not {}",
                existing.amount, attempt.amount
            ),
        };
        println!("amount {}: {outcome}", attempt.amount);
    }
    Ok(())
}

/// `SELECT <every column> FROM <table> ORDER BY 1`.
fn select(table: &money_core::Table, dialect: Dialect) -> String {
    format!(
        "SELECT {} FROM {} ORDER BY 1",
        money_core::ddl::column_list(table, dialect),
        money_core::ddl::quote(dialect, table.name())
    )
}

fn account(id: i64, balance: &str, currency: &str) -> Account {
    Account {
        id,
        balance: amount(balance),
        currency: currency.to_owned(),
        overdraft_limit: None,
    }
}

fn amount(text: &str) -> Decimal {
    Decimal::from_str_exact(text).expect("sample values are valid decimals")
}

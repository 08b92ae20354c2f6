//! The README's money-sqlx example, run against the real database. The
//! lines between `README begin` and `README end` are the README's block,
//! character for character (`tests/tests/readme.rs` compares them): change
//! both together.

// README begin
use money_core::{Decimal, Dialect, MoneyModel, MoneyValue, RuleKind};
use money_sqlx::{Committed, Error, Idempotent, ModelExt, TransactionOptions, transaction};
use sqlx::PgPool;

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 19, scale = 4, min = "0")]
pub struct Amount(Decimal);

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "accounts")]
pub struct Account {
    #[money(primary_key)]
    pub id: i64,
    pub balance: Amount,
}

#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "settlements", unique(settlement_id, account_id))]
pub struct Settlement {
    #[money(primary_key)]
    pub id: i64,
    pub settlement_id: i64,
    pub account_id: i64,
    #[money(precision = 19, scale = 4, min = "0.0001")]
    pub amount: Decimal,
}

/// Moves `amount` between two accounts in one SERIALIZABLE transaction,
/// retried on 40001/40P01. Each leg must touch exactly one row, or the whole
/// transaction rolls back: no money can vanish into an account that is not there.
pub async fn transfer(
    pool: &PgPool,
    from: i64,
    to: i64,
    amount: Decimal,
) -> Result<Committed<()>, Error> {
    transaction(pool, &TransactionOptions::default(), |connection| {
        Box::pin(async move {
            let debited = sqlx::query("UPDATE accounts SET balance = balance - $1 WHERE id = $2")
                .bind(amount)
                .bind(from)
                .execute(&mut *connection)
                .await?;
            let credited = sqlx::query("UPDATE accounts SET balance = balance + $1 WHERE id = $2")
                .bind(amount)
                .bind(to)
                .execute(&mut *connection)
                .await?;
            if debited.rows_affected() != 1 || credited.rows_affected() != 1 {
                return Err(Error::Database(sqlx::Error::RowNotFound));
            }
            Ok(())
        })
    })
    .await
}

pub async fn example(pool: PgPool) -> Result<(), Box<dyn std::error::Error>> {
    // Migrate: the DDL comes from the same declaration.
    for ddl in [
        Account::create_table_sql(Dialect::Postgres),
        Settlement::create_table_sql(Dialect::Postgres),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
            .execute(&pool)
            .await?;
    }

    // Insert: validated first, every column bound for you.
    let balance: Amount = "100.00".parse()?;
    Account { id: 1, balance }.insert(&pool).await?;
    Account { id: 2, balance }.insert(&pool).await?;

    // Map an error: a rule broken by a statement the model did not build comes
    // back as the field and rule that declared it.
    let error = sqlx::query("UPDATE accounts SET balance = -5 WHERE id = 1")
        .execute(&pool)
        .await
        .unwrap_err();
    match money_sqlx::map_error::<Account>(error, None) {
        Error::Check { field, rule, .. } => {
            assert_eq!((field, rule.kind()), ("balance", RuleKind::Min))
        }
        other => panic!("{other}"),
    }

    // Retry: the transfer commits (here at the first attempt) ...
    let moved = transfer(&pool, 1, 2, Decimal::new(2500, 2)).await?;
    println!("moved 25.00 in {} attempt(s)", moved.attempts);
    // ... and one to an account that does not exist moves nothing.
    let refused = transfer(&pool, 1, 3, Decimal::new(2500, 2)).await;
    assert!(matches!(
        refused,
        Err(Error::Database(sqlx::Error::RowNotFound))
    ));
    let accounts: Vec<Account> = sqlx::query_as("SELECT id, balance FROM accounts ORDER BY id")
        .fetch_all(&pool)
        .await?;
    let balances: Vec<String> = accounts
        .iter()
        .map(|account| account.balance.to_string())
        .collect();
    assert_eq!(balances, ["75.00", "125.00"]);

    // Idempotent writes: the same settlement twice is not an error.
    let mut connection = pool.acquire().await?;
    let settlement = Settlement {
        id: 1,
        settlement_id: 7,
        account_id: 1,
        amount: Decimal::new(2500, 2),
    };
    assert!(matches!(
        settlement.insert_idempotent(&mut connection).await?,
        Idempotent::Inserted(_)
    ));
    assert!(matches!(
        settlement.insert_idempotent(&mut connection).await?,
        Idempotent::AlreadyExists(_)
    ));
    Ok(())
}
// README end

#[tokio::test]
async fn readme_example() {
    let schema = money_tests::pg::fresh_schema().await;
    let pool = schema.pool.clone();
    example(pool.clone())
        .await
        .expect("the README example runs");

    // What the example left behind: both accounts, no money created or lost,
    // one settlement.
    let accounts: Vec<Account> = sqlx::query_as("SELECT id, balance FROM accounts ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("accounts");
    let ids: Vec<i64> = accounts.iter().map(|account| account.id).collect();
    assert_eq!(ids, [1, 2]);
    let total: Decimal = accounts
        .iter()
        .map(|account| Decimal::from(account.balance))
        .sum();
    assert_eq!(total, Decimal::new(200, 0));
    let settlements: Vec<Settlement> = sqlx::query_as("SELECT * FROM settlements")
        .fetch_all(&pool)
        .await
        .expect("settlements");
    assert_eq!(settlements.len(), 1);
    schema.drop().await;
}

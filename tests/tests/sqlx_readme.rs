//! The README's money-sqlx example, run against the real database: if this
//! test changes, change the README with it.

use money_core::{Decimal, Dialect, MoneyModel, MoneyValue, RuleKind};
use money_sqlx::{Error, Idempotent, ModelExt, TransactionOptions, transaction};

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

#[tokio::test]
async fn readme_example() -> Result<(), Error> {
    let schema = money_tests::pg::fresh_schema().await;
    let pool = schema.pool.clone();

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
    let balance: Amount = "100.00".parse().expect("a valid amount");
    Account { id: 1, balance }.insert(&pool).await?;
    Account { id: 2, balance }.insert(&pool).await?;

    // Map an error: a rule broken in a statement the model did not build
    // comes back as the field and rule that declared it.
    let error = sqlx::query("UPDATE accounts SET balance = -5 WHERE id = 1")
        .execute(&pool)
        .await
        .expect_err("balance may not go below 0");
    match money_sqlx::map_error::<Account>(error, None) {
        Error::Check { field, rule, .. } => {
            assert_eq!((field, rule.kind()), ("balance", RuleKind::Min));
        }
        other => panic!("expected a mapped CHECK violation, got {other}"),
    }

    // Retry: a SERIALIZABLE transaction, retried on 40001/40P01.
    let moved = transaction(&pool, &TransactionOptions::default(), |connection| {
        Box::pin(async move {
            let amount = Decimal::new(2500, 2);
            sqlx::query("UPDATE accounts SET balance = balance - $1 WHERE id = 1")
                .bind(amount)
                .execute(&mut *connection)
                .await?;
            sqlx::query("UPDATE accounts SET balance = balance + $1 WHERE id = 2")
                .bind(amount)
                .execute(&mut *connection)
                .await?;
            Ok::<_, Error>(amount)
        })
    })
    .await?;
    assert_eq!(moved.value, Decimal::new(2500, 2));
    // Nothing else runs: the first attempt commits.
    assert_eq!(moved.attempts, 1);

    // Idempotent writes: the same settlement twice is not an error.
    let settlement = Settlement {
        id: 1,
        settlement_id: 7,
        account_id: 1,
        amount: Decimal::new(2500, 2),
    };
    let mut connection = pool.acquire().await?;
    let first = settlement.insert_idempotent(&mut connection).await?;
    let again = settlement.insert_idempotent(&mut connection).await?;
    assert!(matches!(first, Idempotent::Inserted(_)));
    assert!(matches!(again, Idempotent::AlreadyExists(_)));
    drop(connection);

    let accounts: Vec<Account> = sqlx::query_as("SELECT id, balance FROM accounts ORDER BY id")
        .fetch_all(&pool)
        .await?;
    assert_eq!(accounts[0].balance.to_string(), "75.00");
    assert_eq!(accounts[1].balance.to_string(), "125.00");
    schema.drop().await;
    Ok(())
}

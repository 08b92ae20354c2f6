//! The sqlx part of the expansion (row decoding, binding, batches, value
//! types' `Encode`/`Decode`) must name everything by absolute path, as the
//! rest does (`tests/ui/compile-pass/hygiene.rs`, which builds without
//! sqlx). Here the derives run with money-core's `postgres`, `mysql` and
//! `sqlite` features on, in a module whose items shadow the prelude, std's
//! and the crates' names; the model then goes through SQLite and back.

#![allow(dead_code, non_camel_case_types)]

mod shadowed {
    use ::money_core::{MoneyModel, MoneyValue};

    struct Result;
    struct Option;
    struct Some;
    struct None;
    struct Ok;
    struct Err;
    struct Vec;
    struct String;
    struct Box;
    struct bool;
    struct i64;
    struct usize;
    struct str;
    struct core;
    struct std;
    struct alloc;
    struct sqlx;
    struct money_core;
    struct money_sqlx;
    type Decimal = ();
    trait Encode {}
    trait Decode {}
    trait Type {}
    trait Row {}
    trait FromRow {}
    trait Database {}
    trait Executor {}
    trait Arguments {}
    trait Into {}
    trait From {}
    trait Iterator {}
    trait IntoIterator {}
    trait Default {}
    trait Clone {}
    trait Send {}
    trait Sized {}

    #[derive(Debug, ::core::clone::Clone, ::core::marker::Copy, PartialEq, MoneyValue)]
    #[money(precision = 19, scale = 4, min = "0")]
    pub struct Amount(::money_core::Decimal);

    #[derive(Debug, ::core::clone::Clone, PartialEq, MoneyModel)]
    #[money(table = "accounts")]
    pub struct Account {
        #[money(primary_key)]
        pub id: ::core::primitive::i64,
        #[money(currency)]
        pub currency: ::std::string::String,
        #[money(precision = 19, scale = 4, min = "0")]
        pub balance: ::money_core::Decimal,
        #[money(precision = 10, scale = 2)]
        pub limit: ::core::option::Option<::money_core::Decimal>,
        pub held: Amount,
        pub note: ::core::option::Option<::std::string::String>,
    }
}

use money_core::{Decimal, Dialect, MoneyModel};
use money_sqlx::ModelExt;
use shadowed::{Account, Amount};

#[tokio::test]
async fn the_sqlx_expansion_names_everything_by_absolute_path() {
    let mut connection = money_tests::sqlite::fresh_database().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(Account::create_table_sql(
        Dialect::Sqlite,
    )))
    .execute(&mut connection)
    .await
    .expect("the table");
    let held: Amount = "2.5".parse().expect("an amount");
    let accounts = [
        Account {
            id: 1,
            currency: "EUR".into(),
            balance: Decimal::new(1_234_567, 4),
            limit: Some(Decimal::new(-5000, 2)),
            held,
            note: Some("first".into()),
        },
        Account {
            id: 2,
            currency: "JPY".into(),
            balance: Decimal::new(7, 0),
            limit: None,
            held,
            note: None,
        },
    ];
    accounts[0].insert(&mut connection).await.expect("insert");
    Account::insert_many(&accounts[1..], &mut connection)
        .await
        .expect("insert_many");
    let stored: std::vec::Vec<Account> = sqlx::query_as(
        r#"SELECT "id", "currency", "balance", "limit", "held", "note" FROM "accounts" ORDER BY "id""#,
    )
    .fetch_all(&mut connection)
    .await
    .expect("the rows decode");
    assert_eq!(stored, accounts);
    // The value type's own Encode/Decode, alone.
    let read: Amount = sqlx::query_scalar(r#"SELECT "held" FROM "accounts" WHERE "id" = 2"#)
        .fetch_one(&mut connection)
        .await
        .expect("an amount decodes");
    assert_eq!(read, held);
    // And the database still refuses what the declaration refuses.
    let overdrawn = Account {
        id: 3,
        balance: Decimal::new(-1, 0),
        ..accounts[1].clone()
    };
    let refused = sqlx::query(
        r#"INSERT INTO "accounts" ("id", "currency", "balance", "limit", "held", "note") VALUES (3, 'JPY', -10000, NULL, 25000, NULL)"#,
    )
    .execute(&mut connection)
    .await
    .expect_err("the CHECK refuses a negative balance");
    assert_eq!(
        money_tests::sqlite::violated_check(&refused),
        Some("accounts_balance_min"),
        "{refused}"
    );
    assert!(overdrawn.validate().is_err());
}

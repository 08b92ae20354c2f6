use std::marker::PhantomData;

use money_core::{Decimal, Dialect, MoneyModel, RuleKind};

// Only the derive reads most fields.
#[allow(dead_code)]
#[derive(MoneyModel)]
#[money(table = "accounts")]
struct Account<T> {
    #[money(primary_key)]
    id: i64,
    #[money(
        precision = 19,
        scale = 4,
        min = "0",
        max = "9999999999999.9999",
        column = "bal",
        on_excess_scale = "reject"
    )]
    balance: Decimal,
    #[money(precision = 10, scale = 2, min = "-100.50", on_excess_scale = "round")]
    overdraft: Option<Decimal>,
    // A raw identifier: the column is `type`, without `r#`.
    r#type: String,
    // A reserved word is fine as a column: the DDL quotes every name.
    order: Option<i32>,
    active: bool,
    #[money(sql_type = "uuid")]
    external_id: Option<[u8; 16]>,
    #[money(skip)]
    marker: PhantomData<T>,
}

fn account(balance: &str, overdraft: Option<&str>) -> Account<()> {
    Account {
        id: 1,
        balance: balance.parse().unwrap(),
        overdraft: overdraft.map(|value| value.parse().unwrap()),
        r#type: "checking".to_owned(),
        order: None,
        active: true,
        external_id: None,
        marker: PhantomData,
    }
}

fn main() {
    assert_eq!(<Account<()> as MoneyModel>::TABLE, "accounts");

    let columns: Vec<&str> = Account::<()>::DEFINITION
        .columns()
        .iter()
        .map(|column| column.name())
        .collect();
    assert_eq!(
        columns,
        ["id", "bal", "overdraft", "type", "order", "active", "external_id"]
    );

    assert!(account("0", None).validate().is_ok());
    assert!(account("9999999999999.9999", Some("-100.50")).validate().is_ok());
    // Rounded to -100.50 as the database would store it, so still in range.
    assert!(account("1", Some("-100.504")).validate().is_ok());

    let errors = account("-0.00001", Some("-100.51")).validate().unwrap_err();
    let constraints: Vec<&str> = errors.iter().map(|error| error.constraint()).collect();
    assert_eq!(
        constraints,
        ["accounts_bal_scale", "accounts_bal_min", "accounts_overdraft_min"]
    );
    assert_eq!(errors.iter().next().unwrap().field(), "balance");
    assert_eq!(errors.iter().next().unwrap().rule_kind(), RuleKind::Scale);

    let ddl = Account::<()>::create_table_sql(Dialect::Postgres);
    for expected in [
        r#""id" bigint NOT NULL"#,
        r#""type" text NOT NULL"#,
        r#""order" integer,"#,
        r#""external_id" uuid,"#,
        r#"CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")"#,
        r#"CONSTRAINT "accounts_bal_max" CHECK ("bal" <= 9999999999999.9999)"#,
        r#"CONSTRAINT "accounts_overdraft_min""#,
    ] {
        assert!(ddl.contains(expected), "{expected:?} not in\n{ddl}");
    }
    assert!(!ddl.contains("marker"), "{ddl}");
}

//! Prints the PostgreSQL DDL of the example models and validates sample
//! values, showing what is accepted, what is rounded and what is rejected.
//! No database server needed:
//!
//! ```text
//! cargo run --example quickstart
//! ```

use money_core::{Decimal, Dialect, MoneyModel};
use money_examples::{Account, FxRate, Settlement};

fn main() {
    for ddl in [
        Account::create_table_sql(Dialect::Postgres),
        Settlement::create_table_sql(Dialect::Postgres),
        FxRate::create_table_sql(Dialect::Postgres),
    ] {
        println!("{ddl}\n");
    }

    println!("-- accounts.balance: precision 19, scale 4, min 0 (excess digits rejected)");
    for balance in [
        "123.45",
        "1.20000",
        "123.45678",
        "-0.01",
        "1000000000000000",
        "-123.45678",
    ] {
        let account = Account {
            id: 1,
            balance: amount(balance),
            currency: "EUR".to_owned(),
            overdraft_limit: None,
        };
        report(balance, account.validate());
    }

    println!("\n-- settlements.amount: 0.0001 ..= 9999999999999.9999");
    for value in ["0.0001", "0", "9999999999999.9999", "10000000000000"] {
        let settlement = Settlement {
            id: 1,
            settlement_id: 7,
            account_id: 1,
            amount: amount(value),
            note: String::new(),
        };
        report(value, settlement.validate());
    }

    println!(
        "\n-- fx_rates.rate: precision 18, scale 8, min 0.00000001 (excess digits rounded half away from zero)"
    );
    let spec = FxRate::DEFINITION
        .column_of_field("rate")
        .and_then(|column| column.money_spec())
        .expect("rate is a money column");
    for value in ["1.0842500049", "1.084250005", "0.000000004", "0.000000005"] {
        let rate = FxRate {
            id: 1,
            pair: "EURUSD".to_owned(),
            rate: amount(value),
        };
        let stored = spec.stored_value(rate.rate);
        report(&format!("{value} (stored as {stored})"), rate.validate());
    }
}

fn amount(text: &str) -> Decimal {
    Decimal::from_str_exact(text).expect("sample values are valid decimals")
}

fn report(label: &str, outcome: Result<(), money_core::ValidationErrors>) {
    match outcome {
        Ok(()) => println!("ok       {label}"),
        Err(errors) => {
            for error in &errors {
                println!("rejected {label}: {error}");
            }
        }
    }
}

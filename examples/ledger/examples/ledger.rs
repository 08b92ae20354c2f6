//! The double-entry ledger against a real PostgreSQL: transfers, a replay,
//! a reused id, an overdraft refused by the `min = "0"` CHECK, and
//! concurrent transfers retried under SERIALIZABLE.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo run -p money-ledger --example ledger
//! ```
//!
//! It works in a schema of its own, dropped at the end. Without
//! `DATABASE_URL` it says how to set it and exits with status 2.

#[path = "common/mod.rs"]
mod common;

use std::error::Error;
use std::process::ExitCode;

use money_core::Decimal;
use money_ledger::{Account, Ledger, LedgerError, Posted, minimum_balance};

#[tokio::main]
async fn main() -> ExitCode {
    let (ledger, schema) = match common::open("ledger").await {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let outcome = run(&ledger).await;
    let closed = common::close(ledger, &schema).await;
    match outcome.and(closed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn amount(text: &str) -> Result<Decimal, Box<dyn Error>> {
    Ok(money_core::parse_decimal(text)?)
}

async fn run(ledger: &Ledger) -> Result<(), Box<dyn Error>> {
    let minimum = minimum_balance().ok_or("Account declares no minimum balance")?;
    println!("accounts.balance: minimum {minimum}, from #[money(min = \"0\")]");
    for (id, balance) in [(1, "100.00"), (2, "0"), (3, "50.00")] {
        ledger
            .open_account(&Account {
                id,
                currency: "EUR".to_owned(),
                balance: amount(balance)?,
            })
            .await?;
    }
    show_balances(ledger).await?;

    println!("\n-- transfer 1001: 25.00 EUR from 1 to 2");
    let first = ledger.transfer(1001, 1, 2, amount("25.00")?).await?;
    show_posted(&first);

    println!("\n-- transfer 1001 again, same payload: the first outcome, nothing booked");
    let replay = ledger.transfer(1001, 1, 2, amount("25.00")?).await?;
    show_posted(&replay);
    println!(
        "same receipt as the first: {}",
        replay.receipt == first.receipt
    );

    println!("\n-- transfer 1001 again, another amount: a conflict");
    show_error(ledger.transfer(1001, 1, 2, amount("26.00")?).await);

    println!("\n-- transfer 1002: 500.00 EUR from 3, which holds 50.00");
    let overdraft = ledger.transfer(1002, 3, 1, amount("500.00")?).await;
    if let Err(LedgerError::BelowMinimum { source, .. }) = &overdraft {
        println!("money_sqlx::Error from the database: {source}");
    }
    show_error(overdraft);

    println!("\n-- transfer 1003: 0.005 EUR (EUR has 2 minor units)");
    show_error(ledger.transfer(1003, 1, 2, amount("0.005")?).await);

    println!("\n-- 40 concurrent transfers of 1.00 EUR around 1 -> 2 -> 3 -> 1");
    let tasks: Vec<_> = (0..40_i64)
        .map(|index| {
            let ledger = ledger.clone();
            let (from, to) = [(1, 2), (2, 3), (3, 1)][usize::try_from(index % 3).unwrap_or(0)];
            tokio::spawn(async move { ledger.transfer(2000 + index, from, to, Decimal::ONE).await })
        })
        .collect();
    let (mut booked, mut refused, mut retries) = (0, 0, 0);
    for task in tasks {
        match task.await? {
            Ok(posted) => {
                booked += 1;
                retries += posted.attempts - 1;
            }
            Err(LedgerError::BelowMinimum { .. }) => refused += 1,
            Err(error) => return Err(error.into()),
        }
    }
    println!(
        "{booked} booked, {refused} refused for lack of funds, {retries} serialization retries"
    );
    show_balances(ledger).await?;
    Ok(())
}

fn show_posted(posted: &Posted) {
    println!(
        "booked transfer {} in {} attempt(s), replayed: {}",
        posted.receipt.transfer.transfer_id, posted.attempts, posted.replayed
    );
    for entry in &posted.receipt.entries {
        println!(
            "  leg {}: account {} {:>8} {}",
            entry.leg, entry.account_id, entry.amount, entry.currency
        );
    }
}

fn show_error(result: Result<Posted, LedgerError>) {
    match result {
        Ok(posted) => println!("unexpectedly booked: {posted:?}"),
        Err(error) => println!("refused: {error}"),
    }
}

async fn show_balances(ledger: &Ledger) -> Result<(), Box<dyn Error>> {
    let accounts = ledger.accounts().await?;
    let total: Decimal = accounts.iter().map(|account| account.balance).sum();
    let balances: Vec<String> = accounts
        .iter()
        .map(|account| format!("{}: {} {}", account.id, account.balance, account.currency))
        .collect();
    println!("balances {} (total {total})", balances.join(", "));
    Ok(())
}

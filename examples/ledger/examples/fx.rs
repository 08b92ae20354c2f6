//! Cross-currency transfers against a real PostgreSQL: a rate read in the
//! booking transaction and checked against its `now()`, a stale rate
//! refused, the converted amount rounded half away from zero to the target
//! currency's minor units, and the rounding difference reported.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo run -p money-ledger --example fx
//! ```
//!
//! It works in a schema of its own, dropped at the end. Without
//! `DATABASE_URL` it says how to set it and exits with status 2.

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use money_core::Decimal;
use money_ledger::{Account, FxPolicy, FxRate, Ledger, LedgerError, Posted};

const ALICE_USD: i64 = 1;
const BOB_EUR: i64 = 2;
const CAROL_JPY: i64 = 3;
const DESK_USD: i64 = 900;
const DESK_EUR: i64 = 901;
const DESK_JPY: i64 = 902;

#[tokio::main]
async fn main() -> ExitCode {
    let (ledger, schema) = match common::open("fx").await {
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
    for (id, currency, balance) in [
        (ALICE_USD, "USD", "1000.00"),
        (BOB_EUR, "EUR", "0"),
        (CAROL_JPY, "JPY", "0"),
        (DESK_USD, "USD", "0"),
        (DESK_EUR, "EUR", "50000.00"),
        (DESK_JPY, "JPY", "5000000"),
    ] {
        ledger
            .open_account(&Account {
                id,
                currency: currency.to_owned(),
                balance: amount(balance)?,
            })
            .await?;
    }
    let policy = FxPolicy::new(Duration::from_secs(60))
        .desk("USD", DESK_USD)
        .desk("EUR", DESK_EUR)
        .desk("JPY", DESK_JPY);
    println!(
        "policy: rates at most {:?} old at the booking transaction's now()",
        policy.max_rate_age()
    );

    let now = ledger.database_now().await?;
    let ago = |seconds| {
        now.checked_sub(money_ledger::time::Duration::seconds(seconds))
            .ok_or("clock out of range")
    };
    let rates = [
        (1, "USD", "EUR", "0.91234567", ago(10)?),
        (2, "USD", "JPY", "149.123", ago(2 * 3600)?),
    ];
    for (id, base, quote, rate, as_of) in rates {
        ledger
            .publish_rate(&FxRate {
                id,
                base_currency: base.to_owned(),
                quote_currency: quote.to_owned(),
                rate: amount(rate)?,
                as_of,
            })
            .await?;
        println!("rate {id}: 1 {base} = {rate} {quote} as of {as_of}");
    }

    println!("\n-- transfer 1: 100.00 USD from alice to bob (EUR)");
    let first = ledger
        .fx_transfer(&policy, 1, ALICE_USD, BOB_EUR, amount("100.00")?)
        .await?;
    show(&first);

    println!("\n-- transfer 1 again: the first outcome, the same rate, nothing booked");
    let replay = ledger
        .fx_transfer(&policy, 1, ALICE_USD, BOB_EUR, amount("100.00")?)
        .await?;
    println!(
        "replayed: {}, same receipt: {}",
        replay.replayed,
        replay.receipt == first.receipt
    );

    println!("\n-- transfer 2: 12.34 USD to bob");
    show(
        &ledger
            .fx_transfer(&policy, 2, ALICE_USD, BOB_EUR, amount("12.34")?)
            .await?,
    );

    println!("\n-- transfer 3: 10.00 USD to carol (JPY), whose newest rate is 2 hours old");
    match ledger
        .fx_transfer(&policy, 3, ALICE_USD, CAROL_JPY, amount("10.00")?)
        .await
    {
        Err(error @ LedgerError::StaleRate { .. }) => println!("refused: {error}"),
        other => return Err(format!("expected a stale rate, got {other:?}").into()),
    }

    let now = ledger.database_now().await?;
    ledger
        .publish_rate(&FxRate {
            id: 3,
            base_currency: "USD".to_owned(),
            quote_currency: "JPY".to_owned(),
            rate: amount("149.125")?,
            as_of: now,
        })
        .await?;
    println!("rate 3: 1 USD = 149.125 JPY as of {now}");
    println!("\n-- transfer 3 again, after a fresh rate: JPY has no minor units");
    show(
        &ledger
            .fx_transfer(&policy, 3, ALICE_USD, CAROL_JPY, amount("10.02")?)
            .await?,
    );

    ledger
        .publish_rate(&FxRate {
            id: 4,
            base_currency: "EUR".to_owned(),
            quote_currency: "USD".to_owned(),
            rate: amount("1.25")?,
            as_of: now,
        })
        .await?;
    println!("\nrate 4: 1 EUR = 1.25 USD as of {now}");
    println!("-- transfer 4: 0.10 EUR from bob to alice: 0.125 USD, a midpoint");
    println!(
        "   (half to even would book 0.12; half away from zero, as PostgreSQL rounds, books 0.13)"
    );
    show(
        &ledger
            .fx_transfer(&policy, 4, BOB_EUR, ALICE_USD, amount("0.10")?)
            .await?,
    );

    println!("\n-- a plain transfer between USD and EUR accounts is refused");
    match ledger
        .transfer(5, ALICE_USD, BOB_EUR, amount("1.00")?)
        .await
    {
        Err(error @ LedgerError::CurrencyMismatch { .. }) => println!("refused: {error}"),
        other => return Err(format!("expected a currency mismatch, got {other:?}").into()),
    }

    let accounts = ledger.accounts().await?;
    let mut totals: BTreeMap<&str, Decimal> = BTreeMap::new();
    println!();
    for account in &accounts {
        println!(
            "account {:>3}: {:>12} {}",
            account.id, account.balance, account.currency
        );
        *totals.entry(account.currency.as_str()).or_default() += account.balance;
    }
    println!("totals per currency (unchanged by transfers): {totals:?}");
    Ok(())
}

fn show(posted: &Posted) {
    let receipt = &posted.receipt;
    if let Some(conversion) = &receipt.conversion {
        println!(
            "rate {} ({}) as of {}, priced at {}",
            conversion.rate_id, conversion.rate, conversion.rate_as_of, conversion.priced_at
        );
        println!(
            "{} x {} = {} exactly; booked {} (half away from zero), rounding difference {}",
            conversion.source_amount,
            conversion.rate,
            conversion.exact_amount.normalize(),
            conversion.booked_amount,
            conversion.rounding_difference.normalize()
        );
    }
    for entry in &receipt.entries {
        println!(
            "  leg {}: account {:>3} {:>12} {}",
            entry.leg, entry.account_id, entry.amount, entry.currency
        );
    }
}

//! `money_ledger`'s cross-currency transfers against real databases, each
//! behaviour on PostgreSQL and on MariaDB:
//! the newest fresh rate is used (stale, missing and future rates are not),
//! the converted amount is rounded half away from zero to the target
//! currency's minor units with the difference stored and returned, a replay
//! returns the first pricing, and a used rate cannot be deleted.

#[macro_use]
mod support;

use std::time::Duration;

use money_core::Decimal;
use money_ledger::{FxPolicy, FxRate, Ledger, LedgerError, Timestamp};
use money_tests::dec;
use support::{Server, Store, balances};

const ALICE_USD: i64 = 1;
const BOB_EUR: i64 = 2;
const CAROL_JPY: i64 = 3;
const DESK_USD: i64 = 900;
const DESK_EUR: i64 = 901;
const DESK_JPY: i64 = 902;

async fn fx_ledger<DB: Server>() -> (DB::Store, Ledger<DB>, FxPolicy) {
    let (store, ledger) = DB::ledger_with(&[
        (ALICE_USD, "USD", "1000.00"),
        (BOB_EUR, "EUR", "100.00"),
        (CAROL_JPY, "JPY", "0"),
        (DESK_USD, "USD", "1000.00"),
        (DESK_EUR, "EUR", "1000.00"),
        (DESK_JPY, "JPY", "1000000"),
    ])
    .await;
    let policy = FxPolicy::new(Duration::from_secs(60))
        .desk("USD", DESK_USD)
        .desk("EUR", DESK_EUR)
        .desk("JPY", DESK_JPY);
    (store, ledger, policy)
}

/// An instant `seconds` before (negative: after) the database's `now()`.
async fn database_time<DB: Server>(ledger: &Ledger<DB>, seconds_ago: i64) -> Timestamp {
    let now = ledger.database_now().await.expect("now");
    now - money_ledger::time::Duration::seconds(seconds_ago)
}

async fn publish<DB: Server>(
    ledger: &Ledger<DB>,
    id: i64,
    pair: (&str, &str),
    rate: &str,
    as_of: Timestamp,
) {
    ledger
        .publish_rate(&FxRate {
            id,
            base_currency: pair.0.to_owned(),
            quote_currency: pair.1.to_owned(),
            rate: dec(rate),
            as_of,
        })
        .await
        .expect("publish rate");
}

async fn fx_uses_the_newest_fresh_rate_rounds_half_away_from_zero_and_stores_the_difference<
    DB: Server,
>() {
    let (store, ledger, policy) = fx_ledger::<DB>().await;
    publish(
        &ledger,
        1,
        ("EUR", "USD"),
        "1.20",
        database_time(&ledger, 30).await,
    )
    .await;
    publish(
        &ledger,
        2,
        ("EUR", "USD"),
        "1.25",
        database_time(&ledger, 5).await,
    )
    .await;
    // Not yet valid: ignored.
    publish(
        &ledger,
        3,
        ("EUR", "USD"),
        "9.99",
        database_time(&ledger, -3600).await,
    )
    .await;

    // 0.10 EUR at 1.25 is 0.125 USD: a midpoint, booked 0.13 (half to even
    // would book 0.12), and the 0.005 is reported.
    let posted = ledger
        .fx_transfer(&policy, 7, BOB_EUR, ALICE_USD, dec("0.10"))
        .await
        .expect("fx transfer");
    let conversion = posted.receipt.conversion.clone().expect("a conversion");
    assert_eq!(conversion.rate_id, 2);
    assert_eq!(conversion.rate, dec("1.25"));
    assert_eq!(conversion.exact_amount, dec("0.125"));
    assert_eq!(conversion.booked_amount, dec("0.13"));
    assert_eq!(conversion.rounding_difference, dec("0.005"));
    let age = std::time::Duration::try_from(conversion.priced_at - conversion.rate_as_of)
        .expect("rate not from the future");
    assert!(age <= policy.max_rate_age(), "{age:?}");
    let legs: Vec<(i64, Decimal, &str)> = posted
        .receipt
        .entries
        .iter()
        .map(|entry| (entry.account_id, entry.amount, entry.currency.as_str()))
        .collect();
    assert_eq!(
        legs,
        [
            (BOB_EUR, dec("-0.10"), "EUR"),
            (DESK_EUR, dec("0.10"), "EUR"),
            (DESK_USD, dec("-0.13"), "USD"),
            (ALICE_USD, dec("0.13"), "USD"),
        ]
    );
    assert_eq!(
        balances(&ledger).await,
        [
            (ALICE_USD, dec("1000.13")),
            (BOB_EUR, dec("99.90")),
            (CAROL_JPY, dec("0")),
            (DESK_USD, dec("999.87")),
            (DESK_EUR, dec("1000.10")),
            (DESK_JPY, dec("1000000")),
        ]
    );
    // Stored as returned, and a replay returns the same pricing even after
    // a newer rate appears.
    publish(
        &ledger,
        4,
        ("EUR", "USD"),
        "1.30",
        database_time(&ledger, 0).await,
    )
    .await;
    let replay = ledger
        .fx_transfer(&policy, 7, BOB_EUR, ALICE_USD, dec("0.10"))
        .await
        .expect("replay");
    assert!(replay.replayed);
    assert_eq!(replay.receipt, posted.receipt);

    // A rate a conversion used cannot be deleted.
    // (PostgreSQL's 23503, MariaDB's 1451.)
    let deleted = store.refused("DELETE FROM fx_rates WHERE id = 2").await;
    assert_eq!(
        deleted.as_database_error().map(|error| error.kind()),
        Some(sqlx::error::ErrorKind::ForeignKeyViolation),
        "{deleted}"
    );

    // JPY has no minor units: 10.02 USD at 149.125 is 1494.2325, booked 1494.
    publish(
        &ledger,
        5,
        ("USD", "JPY"),
        "149.125",
        database_time(&ledger, 1).await,
    )
    .await;
    let posted = ledger
        .fx_transfer(&policy, 8, ALICE_USD, CAROL_JPY, dec("10.02"))
        .await
        .expect("fx transfer");
    let conversion = posted.receipt.conversion.expect("a conversion");
    assert_eq!(
        (conversion.booked_amount, conversion.rounding_difference),
        (dec("1494"), dec("-0.2325"))
    );
    store.remove().await;
}

async fn fx_refuses_a_stale_or_missing_rate_and_books_nothing<DB: Server>() {
    let (store, ledger, policy) = fx_ledger::<DB>().await;
    match ledger
        .fx_transfer(&policy, 7, ALICE_USD, BOB_EUR, dec("10.00"))
        .await
    {
        Err(LedgerError::NoRate { base, quote }) => {
            assert_eq!((base, quote), ("USD".into(), "EUR".into()))
        }
        other => panic!("expected NoRate, got {other:?}"),
    }
    publish(
        &ledger,
        1,
        ("USD", "EUR"),
        "0.9",
        database_time(&ledger, 120).await,
    )
    .await;
    match ledger
        .fx_transfer(&policy, 7, ALICE_USD, BOB_EUR, dec("10.00"))
        .await
    {
        Err(LedgerError::StaleRate {
            rate, age, max_age, ..
        }) => {
            assert_eq!(rate.id, 1);
            assert!(age >= Duration::from_secs(120), "{age:?}");
            assert_eq!(max_age, policy.max_rate_age());
        }
        other => panic!("expected StaleRate, got {other:?}"),
    }
    assert_eq!(store.count("transfers").await, 0);

    // A fresh rate: the same request now goes through.
    publish(
        &ledger,
        2,
        ("USD", "EUR"),
        "0.9",
        database_time(&ledger, 0).await,
    )
    .await;
    let posted = ledger
        .fx_transfer(&policy, 7, ALICE_USD, BOB_EUR, dec("10.00"))
        .await
        .expect("fx transfer");
    assert_eq!(posted.receipt.conversion.expect("conversion").rate_id, 2);

    // No desk for the currency, or an amount that converts to nothing.
    let no_yen_desk = FxPolicy::new(Duration::from_secs(60))
        .desk("USD", DESK_USD)
        .desk("EUR", DESK_EUR);
    assert!(matches!(
        ledger
            .fx_transfer(&no_yen_desk, 8, ALICE_USD, CAROL_JPY, dec("1.00"))
            .await,
        Err(LedgerError::NoDesk { currency }) if currency == "JPY"
    ));
    publish(
        &ledger,
        3,
        ("USD", "JPY"),
        "10",
        database_time(&ledger, 0).await,
    )
    .await;
    assert!(matches!(
        ledger
            .fx_transfer(&policy, 9, ALICE_USD, CAROL_JPY, dec("0.01"))
            .await,
        Err(LedgerError::ConvertsToZero { .. })
    ));
    assert_eq!(store.count("transfers").await, 1);
    store.remove().await;
}

on_both_databases! {
    #[tokio::test]
    fx_uses_the_newest_fresh_rate_rounds_half_away_from_zero_and_stores_the_difference,
    #[tokio::test]
    fx_refuses_a_stale_or_missing_rate_and_books_nothing,
}

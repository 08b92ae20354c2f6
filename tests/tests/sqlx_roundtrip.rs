//! Money values through sqlx and a real PostgreSQL, both ways: what Rust
//! writes comes back equal (rounded, in round mode, as the database rounds),
//! what another client wrote decodes exactly or is refused with an error that
//! names the field and the rule, and nothing invalid is ever sent.

use std::time::Instant;

use money_core::{Decimal, Dialect, MoneyModel, RuleKind, round_like_database};
use money_sqlx::{Error, ModelExt};
use money_tests::dec;
use money_tests::pg::{count, schema_with};
use sqlx::{AssertSqlSafe, PgPool, Row};

/// A non-negative amount in reject mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, money_core::MoneyValue)]
#[money(precision = 19, scale = 4, min = "0")]
struct Amount(Decimal);

/// An amount in round mode: the constructor rounds as PostgreSQL does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, money_core::MoneyValue)]
#[money(precision = 19, scale = 4, on_excess_scale = "round")]
struct Rounded(Decimal);

/// 28 significant digits, the most a `Decimal` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, money_core::MoneyValue)]
#[money(precision = 28, scale = 10)]
struct Wide(Decimal);

/// Every kind of money field, reject mode.
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "wallets")]
struct Wallet {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4, min = "0")]
    balance: Decimal,
    #[money(precision = 19, scale = 4)]
    credit: Option<Decimal>,
    fee: Amount,
    refund: Option<Amount>,
}

/// Every kind of money field, round mode.
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "round_wallets")]
struct RoundWallet {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4, min = "0", on_excess_scale = "round")]
    balance: Decimal,
    #[money(precision = 19, scale = 4, on_excess_scale = "round")]
    credit: Option<Decimal>,
    fee: Rounded,
    refund: Option<Rounded>,
}

/// Stored values with odd scales: newtype and `Decimal` fields, up to 28 digits.
#[derive(Debug, Clone, PartialEq, MoneyModel)]
#[money(table = "holdings")]
struct Holding {
    #[money(primary_key)]
    id: i64,
    balance: Amount,
    #[money(precision = 28, scale = 10)]
    exact: Decimal,
    #[money(precision = 28, scale = 10)]
    maybe: Option<Decimal>,
    wide: Wide,
}

/// Same value and same scale: what "exactly" means for a `Decimal`.
fn assert_exact(actual: Decimal, expected: &str, what: &str) {
    assert_eq!(actual.to_string(), expected, "{what}");
}

/// A wallet's amounts as text, scale included.
fn texts(w: &Wallet) -> (String, Option<String>, String, Option<String>) {
    let text = |value: &dyn ToString| value.to_string();
    (
        text(&w.balance),
        w.credit.map(|c| text(&c)),
        text(&w.fee),
        w.refund.map(|r| text(&r)),
    )
}

#[tokio::test]
async fn every_money_type_round_trips_in_reject_mode() {
    let schema = schema_with(&[Wallet::create_table_sql(Dialect::Postgres)]).await;
    let rows = [
        Wallet {
            id: 1,
            balance: dec("12.5000"),
            credit: Some(dec("-0.0001")),
            fee: Amount::try_from(dec("0.25")).expect("valid"),
            refund: Some("999999999999999.9999".parse().expect("valid")),
        },
        Wallet {
            id: 2,
            balance: dec("1.20000"), // trailing zeros are not excess digits
            credit: None,
            fee: "0".parse().expect("valid"),
            refund: None,
        },
    ];
    for row in &rows {
        let returned = row.insert_returning(&schema.pool).await.expect("insert");
        assert_eq!(&returned, row);
        // What PostgreSQL holds, as text: the value as sent, scale included.
        let stored: (String, Option<String>, String, Option<String>) = sqlx::query_as(
            "SELECT balance::text, credit::text, fee::text, refund::text FROM wallets WHERE id = $1",
        )
        .bind(row.id)
        .fetch_one(&schema.pool)
        .await
        .expect("stored text");
        assert_eq!(stored, texts(row));
        // Reject mode stores `numeric` unconstrained: the scale survives too.
        // Regression guard (this was a bug, now fixed): it does not on the way back: the binary decoder returns the
        // scale of PostgreSQL's 4-digit groups instead of the stored display
        // scale, so `fee` 0.25 comes back as 0.2500 (see also
        // `odd_scales_written_by_raw_sql_decode_exactly_and_rebind`).
        // Expected: 0.25, as PostgreSQL itself returns (`fee::text`).
        assert_eq!(texts(&returned), texts(row));
    }
    let read: Vec<Wallet> =
        sqlx::query_as("SELECT id, balance, credit, fee, refund FROM wallets ORDER BY id")
            .fetch_all(&schema.pool)
            .await
            .expect("select");
    assert_eq!(read, rows);
    schema.drop().await;
}

#[tokio::test]
async fn round_mode_returns_the_rounded_values() {
    let schema = schema_with(&[RoundWallet::create_table_sql(Dialect::Postgres)]).await;
    // 2.34565 at scale 4: half away from zero gives 2.3457, half to even
    // (`round_dp`) would give 2.3456. 2.00005 tells them apart the same way.
    assert_eq!(dec("2.34565").round_dp(4), dec("2.3456"));
    let fee = Rounded::try_from(dec("2.00005")).expect("rounded");
    assert_exact(*fee.as_ref(), "2.0001", "the constructor rounds");
    let row = RoundWallet {
        id: 1,
        balance: dec("2.34565"),
        credit: Some(dec("-2.34565")),
        fee,
        refund: Some("-0.00005".parse().expect("rounds to -0.0001")),
    };
    let returned = row.insert_returning(&schema.pool).await.expect("insert");
    assert_exact(returned.balance, "2.3457", "balance");
    assert_exact(returned.credit.expect("some"), "-2.3457", "credit");
    assert_exact(*returned.fee.as_ref(), "2.0001", "fee");
    assert_exact(
        *returned.refund.expect("some").as_ref(),
        "-0.0001",
        "refund",
    );
    assert_eq!(returned.balance, round_like_database(row.balance, 4));
    // None stays None.
    let none = RoundWallet {
        id: 2,
        balance: dec("0.00004"), // rounds to 0, passes min 0
        credit: None,
        fee: "1".parse().expect("valid"),
        refund: None,
    };
    let returned = none.insert_returning(&schema.pool).await.expect("insert");
    assert_eq!((returned.credit, returned.refund), (None, None));
    // Regression guard (this was a bug, now fixed): PostgreSQL stores and returns 0.0000 (numeric(33, 4)); the binary
    // decoder returns every zero as `Decimal::ZERO`, scale 0, so this is "0".
    // Expected: "0.0000", like any other value of the column.
    assert_exact(returned.balance, "0.0000", "rounded zero");
    schema.drop().await;
}

/// `(stored text, expected Decimal display)` for a (19, 4) and a (28, 10)
/// column. PostgreSQL keeps any scale in `numeric`; a `Decimal` keeps at
/// most 28 places, so longer tails of zeros are dropped, never rounded.
const ODD: &[(&str, &str, &str, &str)] = &[
    ("1.20000", "1.20000", "1.20000", "1.20000"),
    ("12.5", "12.5", "0.123", "0.123"),
    (
        "0.10000000000000000000000000000", // scale 29
        "0.1000000000000000000000000000",
        "0.10000000000000000000000000000",
        "0.1000000000000000000000000000",
    ),
    ("-0.0000", "0.0000", "-0.0000000000", "0.0000000000"),
    (
        "999999999999999.9999",
        "999999999999999.9999",
        "999999999999999999.9999999999", // 28 digits, at the bound
        "999999999999999999.9999999999",
    ),
    (
        "123456789012345.6789",
        "123456789012345.6789",
        "-123456789012345678.9012345678",
        "-123456789012345678.9012345678",
    ),
    (
        "0.0001",
        "0.0001",
        // 29 digits of which the last is a zero: 10 places kept.
        "999999999999999999.99999999990",
        "999999999999999999.9999999999",
    ),
];

#[tokio::test]
async fn odd_scales_written_by_raw_sql_decode_exactly_and_rebind() {
    let schema = schema_with(&[
        Holding::create_table_sql(Dialect::Postgres),
        "CREATE TABLE holdings_copy (LIKE holdings INCLUDING ALL)".to_owned(),
    ])
    .await;
    let pool = &schema.pool;
    for (id, (balance, _, wide, _)) in (1_i64..).zip(ODD) {
        sqlx::query(
            "INSERT INTO holdings (id, balance, exact, maybe, wide) \
             VALUES ($1, $2::numeric, $3::numeric, $3::numeric, $3::numeric)",
        )
        .bind(id)
        .bind(balance)
        .bind(wide)
        .execute(pool)
        .await
        .unwrap_or_else(|error| panic!("{balance} / {wide}: {error}"));
    }
    // Values are compared numerically (a hard failure), scales as text,
    // collected so that the rebinding below still runs.
    let mut scales = Vec::new();
    let mut expect = |what: &str, actual: Decimal, expected: &str| {
        assert_eq!(actual, dec(expected), "{what}: wrong value");
        assert!(actual.scale() <= 28, "{what}: scale {}", actual.scale());
        if actual.to_string() != expected {
            scales.push(format!("{what}: decoded {actual}, stored {expected}"));
        }
    };

    // As the newtype, in the binary and in the text format.
    let mut text_errors = Vec::new();
    for (id, case) in (1..).zip(ODD) {
        let select = |column: &str| format!("SELECT {column} FROM holdings WHERE id = {id}");
        let amounts = read_as::<Amount>(pool, select("balance")).await;
        let wides = read_as::<Wide>(pool, select("wide")).await;
        for ((format, amount), (_, wide)) in amounts.into_iter().zip(wides) {
            for (name, result, stored, decoded) in [
                ("Amount", amount, case.0, case.1),
                ("Wide", wide, case.2, case.3),
            ] {
                match result {
                    Ok(value) => expect(&format!("{name}, {format}"), dec(&value), decoded),
                    Err(error) => {
                        text_errors.push(format!("{stored} as {name}, {format}: {error}"))
                    }
                }
            }
        }
    }

    // As the model.
    let holdings: Vec<Holding> =
        sqlx::query_as("SELECT id, balance, exact, maybe, wide FROM holdings ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("decode as Holding");
    assert_eq!(holdings.len(), ODD.len());
    for (holding, case) in holdings.iter().zip(ODD) {
        expect("Holding.balance", *holding.balance.as_ref(), case.1);
        expect("Holding.exact", holding.exact, case.3);
        expect("Holding.maybe", holding.maybe.expect("not null"), case.3);
    }

    // Bind every decoded value back: sqlx's own `Decimal` encode panics on a
    // scale above 28, so this proves none came out of the decoder.
    for holding in &holdings {
        sqlx::query("INSERT INTO holdings_copy VALUES ($1, $2, $3, $4, $5)")
            .bind(holding.id)
            .bind(holding.balance)
            .bind(holding.exact)
            .bind(holding.maybe)
            .bind(holding.wide)
            .execute(pool)
            .await
            .expect("rebind");
        let again = Holding {
            id: holding.id + 1_000,
            ..holding.clone()
        };
        assert_eq!(again.insert_returning(pool).await.expect("reinsert"), again);
    }
    let equal: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM holdings h JOIN holdings_copy c USING (id) \
         WHERE h.balance = c.balance AND h.exact = c.exact \
           AND h.maybe IS NOT DISTINCT FROM c.maybe AND h.wide = c.wide",
    )
    .fetch_one(pool)
    .await
    .expect("compare");
    assert_eq!(equal, ODD.len() as i64);
    // Regression guard (this was a bug, now fixed): the text decoder (`decode_numeric_text`, i.e. `parse_decimal`)
    // refuses `999999999999999999.99999999990` as Inexact, while the binary
    // decoder reads it exactly as `999999999999999999.9999999999`: trailing
    // zeros are only dropped past 28 places, not when they push the mantissa
    // past 96 bits. Expected: the same exact value in both formats (the
    // documentation says trailing zeros are "dropped as far as needed").
    // Regression guard (this was a bug, now fixed): the binary decoder (`money_core::pg::decode_numeric_binary`)
    // returns the scale of PostgreSQL's base-10000 digit groups, not the
    // stored display scale, when the latter is not a multiple of 4 (`12.5`
    // decodes as `12.5000`, `0.123` as `0.1230`), and returns a zero with
    // scale 0 (`0.0000` decodes as `0`). The text format is exact. Expected:
    // the stored scale, as its documentation says ("1.20000 keeps scale 5").
    text_errors.extend(scales);
    assert!(text_errors.is_empty(), "{}", text_errors.join("\n"));
    schema.drop().await;
}

/// A stored value decodes the same in the text format (the simple query
/// protocol) as in the binary one, whatever the column's declared scale:
/// `numeric(300, 200)` prints `0.1` with 200 digits after the point, and
/// that is still exactly `0.1` (the README's promise; the text decoder once
/// refused it for its length). Generated values, cast to wide types.
#[tokio::test]
async fn text_and_binary_formats_agree_for_wide_declared_scales() {
    let schema = schema_with(&[]).await;
    let pool = &schema.pool;
    let mut rng = fastrand::Rng::with_seed(19);
    let digits = |rng: &mut fastrand::Rng, len: usize| -> String {
        (0..len).map(|_| rng.digit(10)).collect()
    };
    let mut values: Vec<String> = vec!["0.1".into(), "-7.25".into(), "0".into()];
    for _ in 0..120 {
        let (whole_len, fraction_len) = (rng.usize(1..=10), rng.usize(0..=12));
        let whole = digits(&mut rng, whole_len);
        let fraction = digits(&mut rng, fraction_len);
        let sign = if rng.bool() { "-" } else { "" };
        values.push(if fraction.is_empty() {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{fraction}")
        });
    }
    let (mut agreed, mut accepted) = (0, 0);
    for value in &values {
        for sql_type in [
            "numeric(300,200)",
            "numeric(1000,990)",
            "numeric(40,30)",
            "numeric",
        ] {
            let sql = format!("SELECT '{value}'::{sql_type}");
            for (name, [binary, text]) in [
                ("Amount", read_as::<Amount>(pool, sql.clone()).await),
                ("Wide", read_as::<Wide>(pool, sql.clone()).await),
            ] {
                let (binary, text) = (binary.1, text.1);
                match (&binary, &text) {
                    (Ok(binary), Ok(text)) => {
                        assert_eq!(binary, text, "{value}::{sql_type} as {name}");
                        assert_eq!(dec(text), dec(value), "{value}::{sql_type} as {name}");
                        accepted += 1;
                    }
                    (Err(binary), Err(text)) => assert_eq!(
                        binary.to_string(),
                        text.to_string(),
                        "{value}::{sql_type} as {name}"
                    ),
                    _ => panic!("{value}::{sql_type} as {name}: binary {binary:?}, text {text:?}"),
                }
                agreed += 1;
            }
        }
    }
    println!("text and binary: {agreed} reads agreed, {accepted} of them decoded");
    assert!(
        accepted > agreed / 3,
        "too few values decoded: {accepted} of {agreed}"
    );
    schema.drop().await;
}

/// Reads the one value `sql` selects as `T`, in the binary format (a
/// prepared statement) and in the text format (the simple query protocol).
async fn read_as<T>(pool: &PgPool, sql: String) -> [(&'static str, Result<String, sqlx::Error>); 2]
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    T: Send + Unpin + ToString,
{
    let binary = sqlx::query_scalar::<_, T>(AssertSqlSafe(sql.clone()))
        .fetch_one(pool)
        .await;
    let row = sqlx::raw_sql(AssertSqlSafe(sql))
        .fetch_one(pool)
        .await
        .expect("raw select");
    let text = row.try_get::<T, _>(0);
    [
        ("binary", binary.map(|value| value.to_string())),
        ("text", text.map(|value| value.to_string())),
    ]
}

/// Values no declaration allows, written where nothing stopped them: each
/// read must fail with a message naming the field or type and the rule.
#[tokio::test]
async fn values_breaking_the_declaration_are_decode_errors() {
    let schema = schema_with(&["CREATE TABLE holdings (id bigint, balance numeric, \
         exact numeric, maybe numeric, wide numeric)"
        .to_owned()])
    .await;
    let pool = &schema.pool;
    let (inexact, after, before) = (
        "more digits than a Decimal holds",
        "digits after the point",
        "digits before the point",
    );
    let (amount, wide) = (Some("Amount"), Some("Wide"));
    // 29 digits after the point: no `Decimal` holds it, rounding would lie.
    const TINY: &str = "0.00000000000000000000000000001";
    // (column, stored text, the newtype's name if the column has one, rule text)
    let cases: &[(&str, &str, Option<&str>, &str)] = &[
        ("balance", "-1", amount, "below the minimum"),
        ("balance", "1.23456", amount, after),
        ("balance", "1000000000000000", amount, before),
        ("balance", "NaN", amount, "NaN"),
        ("balance", "Infinity", amount, "infinity"),
        ("balance", TINY, amount, inexact),
        ("wide", "1e40", wide, inexact),
        ("wide", "-Infinity", wide, "infinity"),
        ("exact", "1.00000000001", None, after),
        ("exact", "NaN", None, "NaN"),
        ("exact", TINY, None, inexact),
        ("maybe", "Infinity", None, "infinity"),
        ("maybe", "-1000000000000000000", None, before),
    ];
    let mut failures = Vec::new();
    for &(column, text, type_name, rule) in cases {
        let write = format!(
            "TRUNCATE holdings; \
             INSERT INTO holdings (id, balance, exact, maybe, wide) VALUES (1, 1, 1, NULL, 1); \
             UPDATE holdings SET {column} = '{text}'::numeric"
        );
        sqlx::raw_sql(AssertSqlSafe(write))
            .execute(pool)
            .await
            .expect("raw write");
        let mut check = |what: String, result: Result<String, sqlx::Error>, names: &str| {
            let message = match result {
                Ok(value) => return failures.push(format!("{what}: decoded as {value}")),
                Err(error) => error.to_string(),
            };
            if !(message.contains(names) && message.contains(rule)) {
                failures.push(format!("{what}: {message:?} lacks {names:?} or {rule:?}"));
            }
        };

        if let Some(type_name) = type_name {
            let select = format!("SELECT {column} FROM holdings");
            let results = if column == "balance" {
                read_as::<Amount>(pool, select).await
            } else {
                read_as::<Wide>(pool, select).await
            };
            for (format, result) in results {
                check(
                    format!("{text} as {type_name} ({format})"),
                    result,
                    type_name,
                );
            }
        }

        let model =
            sqlx::query_as::<_, Holding>("SELECT id, balance, exact, maybe, wide FROM holdings")
                .fetch_one(pool)
                .await
                .map(|holding| format!("{holding:?}"));
        check(format!("{column} = {text} as Holding"), model, column);
    }
    // Regression guard (this was a bug, now fixed): for NaN, the infinities and values a Decimal cannot hold exactly,
    // the newtype's decode error is the bare numeric error ("error occurred
    // while decoding column 0: NaN is not an amount") and does not name the
    // type (`Amount`, `Wide`), whereas a rule violation does ("Amount: -1 is
    // below the minimum 0"). Expected: the type named in every decode error.
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    schema.drop().await;
}

fn wallet(id: i64) -> Wallet {
    Wallet {
        id,
        balance: Decimal::new(id * 12_345, 4),
        credit: (id % 3 != 0).then(|| Decimal::new(-id, 2)),
        fee: Amount::try_from(Decimal::new(id % 1_000, 1)).expect("valid"),
        refund: (id % 2 == 0).then(|| Amount::try_from(Decimal::new(id, 4)).expect("valid")),
    }
}

#[tokio::test]
async fn insert_many_writes_ten_thousand_rows_in_one_statement() {
    let schema = schema_with(&[Wallet::create_table_sql(Dialect::Postgres)]).await;
    let rows: Vec<Wallet> = (1..=10_000).map(wallet).collect();
    let started = Instant::now();
    let affected = Wallet::insert_many(&rows, &schema.pool)
        .await
        .expect("insert_many");
    println!("insert_many of 10,000 rows: {:?}", started.elapsed());
    assert_eq!(affected, 10_000);

    let sums: (String, String, String, String) = sqlx::query_as(
        "SELECT sum(balance)::text, sum(credit)::text, sum(fee)::text, sum(refund)::text \
         FROM wallets",
    )
    .fetch_one(&schema.pool)
    .await
    .expect("sums");
    let sum =
        |field: fn(&Wallet) -> Option<Decimal>| -> Decimal { rows.iter().filter_map(field).sum() };
    assert_eq!(dec(&sums.0), sum(|w| Some(w.balance)));
    assert_eq!(dec(&sums.1), sum(|w| w.credit));
    assert_eq!(dec(&sums.2), sum(|w| Some(*w.fee.as_ref())));
    assert_eq!(dec(&sums.3), sum(|w| w.refund.map(Decimal::from)));
    schema.drop().await;
}

#[tokio::test]
async fn insert_many_reports_every_invalid_row_and_inserts_nothing() {
    let schema = schema_with(&[Wallet::create_table_sql(Dialect::Postgres)]).await;
    let mut rows: Vec<Wallet> = (1..=10).map(wallet).collect();
    rows[3].balance = dec("-0.01"); // min
    rows[7].credit = Some(dec("1.23456")); // scale
    let error = Wallet::insert_many(&rows, &schema.pool)
        .await
        .expect_err("two invalid rows");
    let Error::InvalidRows { rows: invalid } = &error else {
        panic!("expected InvalidRows, got {error:?}");
    };
    let found: Vec<(usize, &str, RuleKind)> = invalid
        .iter()
        .flat_map(|(index, errors)| errors.iter().map(|e| (*index, e.field(), e.rule_kind())))
        .collect();
    assert_eq!(
        found,
        [
            (3, "balance", RuleKind::Min),
            (7, "credit", RuleKind::Scale)
        ]
    );
    assert_eq!(count(&schema.pool, "wallets").await, 0);
    schema.drop().await;
}

#[tokio::test]
async fn insert_never_sends_an_invalid_row() {
    let schema = schema_with(&[Wallet::create_table_sql(Dialect::Postgres)]).await;
    let pool = &schema.pool;
    let invalid = Wallet {
        balance: dec("-5"),
        credit: Some(dec("0.00001")),
        ..wallet(1)
    };
    for result in [
        invalid.insert(pool).await,
        invalid.insert_returning(pool).await.map(drop),
    ] {
        match result {
            Err(Error::Invalid(errors)) => {
                assert_eq!(errors, invalid.validate().expect_err("invalid"));
                assert_eq!(errors.len(), 2);
            }
            other => panic!("expected Error::Invalid, got {other:?}"),
        }
    }
    // A newtype built around its constructor (possible inside its module):
    // `validate()` trusts newtypes, so the encoder is the last line, and it
    // must refuse rather than send.
    let forged = Wallet {
        fee: Amount(dec("-1")),
        ..wallet(2)
    };
    let error = forged.insert(pool).await.expect_err("forged newtype");
    let message = error.to_string();
    assert!(
        message.contains("Amount") && message.contains("below the minimum"),
        "{error:?}"
    );
    let error = Wallet::insert_many(&[wallet(3), forged], pool)
        .await
        .expect_err("forged newtype in a batch");
    assert!(error.to_string().contains("below the minimum"), "{error:?}");
    assert_eq!(count(pool, "wallets").await, 0);
    schema.drop().await;
}

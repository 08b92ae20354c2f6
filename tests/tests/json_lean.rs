//! A `#[money(serde)]` model without serde attributes gets serde impls the
//! derive writes itself (the cheaper expansion); one with any serde
//! attribute gets serde_derive's, on a hidden remote copy. Both must read
//! and write the same documents the same way: here two models that differ
//! only by a serde attribute that changes nothing (`rename_all =
//! "snake_case"` on snake_case names) read the same generated documents,
//! as objects and as arrays, with every kind of field missing, repeated,
//! unknown, null or of the wrong type, and must agree on every value and
//! every error message.

use money_core::{Currency, Decimal, MoneyModel};
use serde::{Deserialize, Serialize};

/// The fields of both models, for the one macro that declares both.
macro_rules! model {
    ($name:ident, $table:literal $(, #[$serde:meta])?) => {
        #[derive(Debug, PartialEq, MoneyModel)]
        #[money(table = $table, serde)]
        $(#[$serde])?
        struct $name {
            #[money(primary_key)]
            id: i64,
            #[money(currency)]
            code: String,
            #[money(precision = 12, scale = 4, min = "0", currency_field = "code")]
            balance: Decimal,
            #[money(precision = 10, scale = 2, on_excess_scale = "round")]
            overdraft: Option<Decimal>,
            currency: Option<Currency>,
            note: Option<String>,
            count: i32,
        }
    };
}

model!(Lean, "lean_accounts");
model!(Remote, "remote_accounts", #[serde(rename_all = "snake_case")]);

const KEYS: [&str; 7] = [
    "id",
    "code",
    "balance",
    "overdraft",
    "currency",
    "note",
    "count",
];

/// A JSON value for a field, valid or not.
fn value(rng: &mut fastrand::Rng) -> String {
    const VALUES: &[&str] = &[
        "null",
        "1",
        "-3",
        "2147483648",
        "1.5",
        "true",
        "\"\"",
        "\"EUR\"",
        "\"JPY\"",
        "\"XXZ\"",
        "\"12.5\"",
        "\"12.34567\"",
        "\"-1\"",
        "\"0.001\"",
        "\"99999999.995\"",
        "\"1e3\"",
        "\"NaN\"",
        "12.5",
        "[]",
        "{}",
        "[\"1\"]",
        "{\"a\":1}",
        "\"text\"",
    ];
    VALUES[rng.usize(..VALUES.len())].to_owned()
}

/// A document: mostly objects with a random choice of keys (some
/// repeated, some unknown), sometimes arrays of random length, sometimes
/// something else entirely.
fn document(rng: &mut fastrand::Rng) -> String {
    match rng.u8(0..10) {
        0..=6 => {
            let mut members = Vec::new();
            for key in KEYS {
                if rng.u8(0..5) != 0 {
                    members.push(format!("\"{key}\":{}", value(rng)));
                }
            }
            if rng.u8(0..4) == 0 {
                members.push(format!("\"unknown\":{}", value(rng)));
            }
            if rng.u8(0..6) == 0 {
                let key = KEYS[rng.usize(..KEYS.len())];
                members.push(format!("\"{key}\":{}", value(rng)));
            }
            rng.shuffle(&mut members);
            format!("{{{}}}", members.join(","))
        }
        7 | 8 => {
            let elements: Vec<String> = (0..rng.usize(0..9)).map(|_| value(rng)).collect();
            format!("[{}]", elements.join(","))
        }
        _ => value(rng),
    }
}

/// A document of valid values, as an object or an array, with some fields
/// left out (or the array cut short), some replaced by `null`, and unknown
/// keys: so that agreement is also agreement on values and on what an
/// absent field reads as.
fn valid_document(rng: &mut fastrand::Rng) -> String {
    let code = ["EUR", "JPY", "USD", "BHD"][rng.usize(..4)];
    let values = [
        rng.i64(..).to_string(),
        format!("\"{code}\""),
        ["\"0\"", "\"12.5\"", "\"7\"", "\"1234.5678\"", "\"0.001\""][rng.usize(..5)].to_owned(),
        ["\"5.555\"", "\"-12.34\"", "\"0\""][rng.usize(..3)].to_owned(),
        format!("\"{code}\""),
        "\"a note\"".to_owned(),
        rng.i32(..).to_string(),
    ];
    let mut members: Vec<(usize, String)> = Vec::new();
    for (position, value) in values.into_iter().enumerate() {
        if rng.u8(0..6) == 0 {
            continue;
        }
        let value = if rng.u8(0..8) == 0 {
            "null".to_owned()
        } else {
            value
        };
        members.push((position, value));
    }
    if rng.bool() {
        // An array: the values in order, cut short where one was left out.
        let cut = members
            .iter()
            .enumerate()
            .find(|(index, (position, _))| index != position)
            .map_or(members.len(), |(index, _)| index);
        let elements: Vec<&str> = members[..cut]
            .iter()
            .map(|(_, value)| value.as_str())
            .collect();
        return format!("[{}]", elements.join(","));
    }
    let mut texts: Vec<String> = members
        .drain(..)
        .map(|(position, value)| format!("\"{}\":{value}", KEYS[position]))
        .collect();
    if rng.u8(0..3) == 0 {
        texts.push("\"unknown\":{\"a\":[1,null]}".to_owned());
    }
    rng.shuffle(&mut texts);
    format!("{{{}}}", texts.join(","))
}

/// The result of reading `text` as `M`, written back as JSON, or the error
/// message with the model's name taken out.
fn read<M: for<'de> Deserialize<'de> + Serialize>(
    text: &str,
    name: &str,
) -> Result<String, String> {
    serde_json::from_str::<M>(text)
        .map(|model| serde_json::to_string(&model).expect("a model serializes"))
        .map_err(|error| error.to_string().replace(name, "MODEL"))
}

#[test]
fn the_derives_own_serde_impls_agree_with_serde_derive() {
    let mut rng = fastrand::Rng::with_seed(0x1EA4);
    let (mut accepted, mut refused) = (0, 0);
    for round in 0..50_000 {
        let text = if round % 2 == 0 {
            valid_document(&mut rng)
        } else {
            document(&mut rng)
        };
        let lean = read::<Lean>(&text, "Lean");
        let remote = read::<Remote>(&text, "Remote");
        assert_eq!(lean, remote, "{text}");
        if lean.is_ok() {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    // Both outcomes were exercised, many times.
    assert!(accepted > 2_000 && refused > 20_000, "{accepted} {refused}");
}

#[test]
fn messages_of_the_derives_own_impls() {
    let error = |text: &str| {
        serde_json::from_str::<Lean>(text)
            .expect_err("refused")
            .to_string()
    };
    assert_eq!(
        error(r#""x""#),
        "invalid type: string \"x\", expected struct Lean at line 1 column 3"
    );
    assert_eq!(
        error(r#"[1,"EUR"]"#),
        "invalid length 2, expected struct Lean with 7 elements at line 1 column 9"
    );
    assert_eq!(
        error(r#"{"id":1,"id":2}"#),
        "duplicate field `id` at line 1 column 12"
    );
    assert!(
        error(r#"{"id":1,"code":"EUR","count":1}"#).starts_with("missing field `balance`"),
        "{}",
        error(r#"{"id":1,"code":"EUR","count":1}"#)
    );
    assert!(
        error(r#"{"id":1,"code":"EUR","balance":"1.001","count":1,"x":[1]}"#).contains("balance")
    );
    // Absent `Option` fields are `None`, adapted or not; unknown keys are
    // skipped whatever their value.
    let read: Lean =
        serde_json::from_str(r#"{"x":{"y":[1]},"id":1,"code":"JPY","balance":"12","count":3}"#)
            .expect("valid");
    assert_eq!(read.overdraft, None);
    assert_eq!(read.currency, None);
    assert_eq!(read.note, None);
    assert_eq!(
        serde_json::to_string(&read).expect("serializes"),
        r#"{"id":1,"code":"JPY","balance":"12.0000","overdraft":null,"currency":null,"note":null,"count":3}"#
    );
}

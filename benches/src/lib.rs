//! What the benchmarks compare (not published): one model with three money
//! fields declared with `#[derive(MoneyModel)]`, and the code it stands in
//! for, written by hand (the limit), with garde custom rules, and with
//! serde_json plus rust_decimal's string serde.
//!
//! The benchmarks themselves are in `benches/benches` (`cpu.rs`,
//! `postgres.rs`: criterion; `paired.rs`: interleaved A/B rounds); the
//! method and the results are in `BENCHMARKS.md` at the root of the
//! workspace.
//!
//! ```
//! use money_benches::{Account, hand, sample};
//! use money_core::MoneyModel;
//!
//! let account = sample(7);
//! assert!(account.validate().is_ok());
//! assert!(hand::validate(&account).is_ok());
//! ```
#![forbid(unsafe_code)]

pub mod db;
pub mod garde_rules;
pub mod hand;
pub mod paired;
pub mod plain;

use money_core::{Decimal, MoneyModel};

/// Declares the model of every comparison under a name, with its doc and
/// its serde attributes, so that [`Account`] and [`RemoteAccount`] are one
/// declaration.
macro_rules! account {
    ($(#[$attr:meta])* $name:ident) => {
        #[derive(Debug, Clone, PartialEq, MoneyModel)]
        #[money(table = "bench_accounts", serde)]
        $(#[$attr])*
        pub struct $name {
            /// The primary key.
            #[money(primary_key)]
            pub id: i64,
            /// `numeric` with the `(19, 4)` rules and `min = 0`.
            #[money(precision = 19, scale = 4, min = "0")]
            pub balance: Decimal,
            /// Nullable, `(19, 4)` rules, no bounds.
            #[money(precision = 19, scale = 4)]
            pub overdraft_limit: Option<Decimal>,
            /// `(10, 2)` rules, `0 <= fee <= 1000`.
            #[money(precision = 10, scale = 2, min = "0", max = "1000")]
            pub fee: Decimal,
        }
    };
}

account! {
    /// The model of every comparison: three money fields (two NOT NULL, one
    /// nullable; one with a minimum, one with both bounds), as an accounts
    /// table would declare them.
    Account
}

account! {
    /// [`Account`] with a serde attribute that changes nothing: its serde
    /// impls are serde_derive's, on the derive's hidden remote copy, where
    /// `Account` (no serde attribute) gets the ones the derive writes
    /// itself. Row 2 reads the same documents with both.
    #[serde(rename_all = "snake_case")]
    RemoteAccount
}

/// A money value type, for the `numeric` decode through sqlx: `(19, 4)`,
/// `min = 0`, checked when decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, money_core::MoneyValue)]
#[money(precision = 19, scale = 4, min = "0")]
pub struct Balance(Decimal);

/// A valid account, different for every `index` (amounts of 10 to 14
/// significant digits, every fourth overdraft limit `None`), the same in
/// every run.
pub fn sample(index: u64) -> Account {
    let id = index as i64;
    let index = index % 1_000_000_000;
    Account {
        id,
        // 123456.7890 and up: 10 digits, scale 4.
        balance: Decimal::new(1_234_567_890 + (index as i64) * 7_919, 4),
        overdraft_limit: (!index.is_multiple_of(4))
            .then(|| Decimal::new(50_000_000_000_000 + index as i64, 4)),
        // 0.00 to 999.99.
        fee: Decimal::new((index % 100_000) as i64, 2),
    }
}

/// `count` valid accounts with ids `first..first + count`.
pub fn samples(first: u64, count: usize) -> Vec<Account> {
    (first..first + count as u64).map(sample).collect()
}

/// An account that breaks one rule of each money field (scale, digits,
/// max): the error path, where every broken rule is collected.
pub fn invalid_sample() -> Account {
    Account {
        id: 1,
        balance: Decimal::new(1_234_567_891, 5),
        overdraft_limit: Some(Decimal::new(10_000_000_000_000_000, 0)),
        fee: Decimal::new(100_001, 2),
    }
}

/// An account that breaks every rule that can break at once: digits, scale
/// and minimum of the balance, digits and scale of the overdraft limit,
/// digits, scale and maximum of the fee (a fee cannot be below 0 and above
/// 1000 at once): eight errors.
pub fn every_rule_broken_sample() -> Account {
    Account {
        id: 1,
        // -1234567890123456.78901
        balance: Decimal::from_i128_with_scale(-123_456_789_012_345_678_901, 5),
        // -10000000000000000.00001
        overdraft_limit: Some(Decimal::from_i128_with_scale(
            -1_000_000_000_000_000_000_001,
            5,
        )),
        // 100000000.001
        fee: Decimal::new(100_000_000_001, 3),
    }
}

/// The JSON of [`sample`]`(index)`, as `#[money(serde)]` writes it (and as
/// rust_decimal's string serde reads it).
pub fn sample_json(index: u64) -> String {
    serde_json::to_string(&sample(index)).expect("an account serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_valid_and_the_invalid_one_is_not() {
        for index in [0, 1, 2, 3, 99_999, 100_000, 999_999_999] {
            assert!(sample(index).validate().is_ok(), "{index}");
        }
        assert_eq!(invalid_sample().validate().expect_err("invalid").len(), 3);
        assert_eq!(
            every_rule_broken_sample()
                .validate()
                .expect_err("invalid")
                .len(),
            8
        );
    }

    #[test]
    fn json_reads_back() {
        let json = sample_json(5);
        assert_eq!(
            json,
            r#"{"id":5,"balance":"123460.7485","overdraft_limit":"5000000000.0005","fee":"0.05"}"#
        );
        let account: Account = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(account, sample(5));
    }
}

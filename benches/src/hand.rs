//! The validation of [`Account`] written by hand: the limit for the
//! generated `validate()`.
//!
//! It checks the same rules with the same arithmetic (the cheap
//! trailing-zero test before `normalize`), reports every broken rule with
//! the field and the constraint's name, and allocates only when a rule is
//! broken, as the generated code does. What it does not do is look
//! anything up: every limit is a constant in the code.

use money_core::{Decimal, Rule};

use crate::Account;

/// One broken rule, as a hand-written validator would report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandError {
    /// The Rust field.
    pub field: &'static str,
    /// The database constraint that enforces the same rule.
    pub constraint: &'static str,
    /// The value that broke it.
    pub value: Decimal,
}

/// `10^15`: the magnitude bound of `(19, 4)`.
pub const BOUND_19_4: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);
/// `10^8`: the magnitude bound of `(10, 2)`.
pub const BOUND_10_2: Decimal = Decimal::from_parts(100_000_000, 0, 0, false, 0);
/// `1000`: the maximum fee.
pub const MAX_FEE: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

/// Digits after the point once trailing zeros are dropped.
#[inline]
pub fn fraction_digits(value: Decimal) -> u32 {
    let scale = value.scale();
    if scale == 0 {
        0
    } else if value.mantissa() % 10 != 0 {
        scale
    } else {
        value.normalize().scale()
    }
}

/// Every broken rule of `account`, as `Account::validate()` reports them.
///
/// ```
/// use money_benches::{hand, invalid_sample, sample};
/// assert!(hand::validate(&sample(1)).is_ok());
/// assert_eq!(hand::validate(&invalid_sample()).unwrap_err().len(), 3);
/// ```
#[inline]
pub fn validate(account: &Account) -> Result<(), Vec<HandError>> {
    let mut errors = Vec::new();
    let mut broken = |field, constraint, value| {
        errors.push(HandError {
            field,
            constraint,
            value,
        })
    };

    let balance = account.balance;
    if balance.abs() >= BOUND_19_4 {
        broken("balance", "bench_accounts_balance_digits", balance);
    }
    if fraction_digits(balance) > 4 {
        broken("balance", "bench_accounts_balance_scale", balance);
    }
    if balance < Decimal::ZERO {
        broken("balance", "bench_accounts_balance_min", balance);
    }

    if let Some(limit) = account.overdraft_limit {
        if limit.abs() >= BOUND_19_4 {
            broken(
                "overdraft_limit",
                "bench_accounts_overdraft_limit_digits",
                limit,
            );
        }
        if fraction_digits(limit) > 4 {
            broken(
                "overdraft_limit",
                "bench_accounts_overdraft_limit_scale",
                limit,
            );
        }
    }

    let fee = account.fee;
    if fee.abs() >= BOUND_10_2 {
        broken("fee", "bench_accounts_fee_digits", fee);
    }
    if fraction_digits(fee) > 2 {
        broken("fee", "bench_accounts_fee_scale", fee);
    }
    if fee < Decimal::ZERO {
        broken("fee", "bench_accounts_fee_min", fee);
    }
    if fee > MAX_FEE {
        broken("fee", "bench_accounts_fee_max", fee);
    }

    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// One broken rule with everything a generated
/// [`ValidationError`](money_core::ValidationError) holds: what a
/// hand-written validator returning the same information would report. The
/// baseline of issue 15's error-path target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandReport {
    /// The table.
    pub table: &'static str,
    /// The Rust field.
    pub field: &'static str,
    /// Its column.
    pub column: &'static str,
    /// The database constraint that enforces the same rule.
    pub constraint: &'static str,
    /// The rule, with its limit.
    pub rule: Rule,
    /// The value that broke it.
    pub value: Decimal,
    /// The value as stored (the value itself: no field rounds).
    pub stored: Decimal,
    /// The row's currency, for a minor-units rule (none here).
    pub code: Option<String>,
}

const TABLE: &str = "bench_accounts";
const DIGITS_19_4: Rule = Rule::Digits {
    precision: 19,
    scale: 4,
    bound: BOUND_19_4,
};
const DIGITS_10_2: Rule = Rule::Digits {
    precision: 10,
    scale: 2,
    bound: BOUND_10_2,
};

/// [`validate`] returning, for every broken rule, what the generated code
/// returns: table, field, column, constraint, rule with its limit, value as
/// given and as stored, currency.
///
/// ```
/// use money_benches::{every_rule_broken_sample, hand, invalid_sample};
/// assert_eq!(hand::validate_reported(&invalid_sample()).unwrap_err().len(), 3);
/// assert_eq!(hand::validate_reported(&every_rule_broken_sample()).unwrap_err().len(), 8);
/// ```
#[inline]
pub fn validate_reported(account: &Account) -> Result<(), Vec<HandReport>> {
    let mut errors = Vec::new();
    let mut broken = |field, constraint, rule, value| {
        errors.push(HandReport {
            table: TABLE,
            field,
            column: field,
            constraint,
            rule,
            value,
            stored: value,
            code: None,
        })
    };

    let balance = account.balance;
    if balance.abs() >= BOUND_19_4 {
        broken(
            "balance",
            "bench_accounts_balance_digits",
            DIGITS_19_4,
            balance,
        );
    }
    if fraction_digits(balance) > 4 {
        broken(
            "balance",
            "bench_accounts_balance_scale",
            Rule::Scale { scale: 4 },
            balance,
        );
    }
    if balance < Decimal::ZERO {
        broken(
            "balance",
            "bench_accounts_balance_min",
            Rule::Min(Decimal::ZERO),
            balance,
        );
    }

    if let Some(limit) = account.overdraft_limit {
        if limit.abs() >= BOUND_19_4 {
            broken(
                "overdraft_limit",
                "bench_accounts_overdraft_limit_digits",
                DIGITS_19_4,
                limit,
            );
        }
        if fraction_digits(limit) > 4 {
            broken(
                "overdraft_limit",
                "bench_accounts_overdraft_limit_scale",
                Rule::Scale { scale: 4 },
                limit,
            );
        }
    }

    let fee = account.fee;
    if fee.abs() >= BOUND_10_2 {
        broken("fee", "bench_accounts_fee_digits", DIGITS_10_2, fee);
    }
    if fraction_digits(fee) > 2 {
        broken(
            "fee",
            "bench_accounts_fee_scale",
            Rule::Scale { scale: 2 },
            fee,
        );
    }
    if fee < Decimal::ZERO {
        broken(
            "fee",
            "bench_accounts_fee_min",
            Rule::Min(Decimal::ZERO),
            fee,
        );
    }
    if fee > MAX_FEE {
        broken("fee", "bench_accounts_fee_max", Rule::Max(MAX_FEE), fee);
    }

    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{every_rule_broken_sample, invalid_sample, sample};
    use money_core::MoneyModel;

    #[test]
    fn constants_are_what_they_say() {
        assert_eq!(BOUND_19_4, Decimal::from(1_000_000_000_000_000_i64));
        assert_eq!(BOUND_10_2, Decimal::from(100_000_000));
        assert_eq!(MAX_FEE, Decimal::from(1000));
    }

    /// What an error reports: table, field, column, constraint; rule;
    /// value and stored value; currency.
    type Reported = (
        [String; 4],
        Rule,
        Option<Decimal>,
        Option<Decimal>,
        Option<String>,
    );

    /// Same verdicts and the same constraint names as the generated code;
    /// `validate_reported`, the same information.
    #[test]
    fn agrees_with_the_generated_validate() {
        let mut accounts: Vec<Account> = (0..2_000).map(sample).collect();
        accounts.push(invalid_sample());
        accounts.push(every_rule_broken_sample());
        let texts = [
            "0",
            "-0.0001",
            "1.20000",
            "1.23456",
            "999999999999999.9999",
            "1000000000000000",
            "-1000",
            "1000",
            "1000.01",
            "99999999.99",
            "100000000",
            "0.001",
        ];
        for balance in texts {
            for fee in texts {
                for limit in [None, Some(balance), Some(fee)] {
                    let parse = |text: &str| Decimal::from_str_exact(text).expect("literal");
                    accounts.push(Account {
                        id: 1,
                        balance: parse(balance),
                        overdraft_limit: limit.map(parse),
                        fee: parse(fee),
                    });
                }
            }
        }
        for account in &accounts {
            let generated: Vec<String> = match account.validate() {
                Ok(()) => Vec::new(),
                Err(errors) => errors.iter().map(|e| e.constraint().to_owned()).collect(),
            };
            let by_hand: Vec<String> = match validate(account) {
                Ok(()) => Vec::new(),
                Err(errors) => errors.iter().map(|e| e.constraint.to_owned()).collect(),
            };
            assert_eq!(generated, by_hand, "{account:?}");
            // The same information, item by item.
            let generated: Vec<Reported> = match account.validate() {
                Ok(()) => Vec::new(),
                Err(errors) => errors
                    .iter()
                    .map(|e| {
                        (
                            [e.table(), e.field(), e.column(), e.constraint()].map(str::to_owned),
                            e.rule(),
                            e.value(),
                            e.stored_value(),
                            e.code().map(str::to_owned),
                        )
                    })
                    .collect(),
            };
            let by_hand: Vec<Reported> = validate_reported(account)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| {
                    (
                        [e.table, e.field, e.column, e.constraint].map(str::to_owned),
                        e.rule,
                        Some(e.value),
                        Some(e.stored),
                        e.code,
                    )
                })
                .collect();
            assert_eq!(generated, by_hand, "{account:?}");
        }
    }
}

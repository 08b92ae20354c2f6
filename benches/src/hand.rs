//! The validation of [`Account`] written by hand: the limit for the
//! generated `validate()`.
//!
//! It checks the same rules with the same arithmetic (the cheap
//! trailing-zero test before `normalize`), reports every broken rule with
//! the field and the constraint's name, and allocates only when a rule is
//! broken, as the generated code does. What it does not do is look
//! anything up: every limit is a constant in the code.

use money_core::Decimal;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{invalid_sample, sample};
    use money_core::MoneyModel;

    #[test]
    fn constants_are_what_they_say() {
        assert_eq!(BOUND_19_4, Decimal::from(1_000_000_000_000_000_i64));
        assert_eq!(BOUND_10_2, Decimal::from(100_000_000));
        assert_eq!(MAX_FEE, Decimal::from(1000));
    }

    /// Same verdicts and the same constraint names as the generated code.
    #[test]
    fn agrees_with_the_generated_validate() {
        let mut accounts: Vec<Account> = (0..2_000).map(sample).collect();
        accounts.push(invalid_sample());
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
        }
    }
}

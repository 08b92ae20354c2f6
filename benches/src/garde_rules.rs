//! The same validation with garde: one custom rule per money rule, so
//! that garde, like the generated code, reports every broken rule.

use money_core::Decimal;

use crate::Account;
use crate::hand::{BOUND_10_2, BOUND_19_4, MAX_FEE, fraction_digits};

/// [`Account`] with garde's derive instead of ours.
#[derive(Debug, Clone, PartialEq, garde::Validate)]
pub struct GardeAccount {
    /// The primary key.
    #[garde(skip)]
    pub id: i64,
    /// `(19, 4)`, `min = 0`.
    #[garde(
        custom(digits(BOUND_19_4)),
        custom(scale(4)),
        custom(min(Decimal::ZERO))
    )]
    pub balance: Decimal,
    /// Nullable `(19, 4)`.
    #[garde(custom(optional_digits(BOUND_19_4)), custom(optional_scale(4)))]
    pub overdraft_limit: Option<Decimal>,
    /// `(10, 2)`, `0 <= fee <= 1000`.
    #[garde(
        custom(digits(BOUND_10_2)),
        custom(scale(2)),
        custom(min(Decimal::ZERO)),
        custom(max(MAX_FEE))
    )]
    pub fee: Decimal,
}

impl From<&Account> for GardeAccount {
    fn from(account: &Account) -> Self {
        GardeAccount {
            id: account.id,
            balance: account.balance,
            overdraft_limit: account.overdraft_limit,
            fee: account.fee,
        }
    }
}

/// `|value| < bound`.
pub fn digits(bound: Decimal) -> impl FnOnce(&Decimal, &()) -> garde::Result {
    move |value, _| {
        if value.abs() < bound {
            Ok(())
        } else {
            Err(garde::Error::new("too many digits before the point"))
        }
    }
}

/// At most `scale` digits after the point, trailing zeros dropped.
pub fn scale(scale: u32) -> impl FnOnce(&Decimal, &()) -> garde::Result {
    move |value, _| {
        if fraction_digits(*value) <= scale {
            Ok(())
        } else {
            Err(garde::Error::new("too many digits after the point"))
        }
    }
}

/// `value >= min`.
pub fn min(min: Decimal) -> impl FnOnce(&Decimal, &()) -> garde::Result {
    move |value, _| {
        if *value >= min {
            Ok(())
        } else {
            Err(garde::Error::new("below the minimum"))
        }
    }
}

/// `value <= max`.
pub fn max(max: Decimal) -> impl FnOnce(&Decimal, &()) -> garde::Result {
    move |value, _| {
        if *value <= max {
            Ok(())
        } else {
            Err(garde::Error::new("above the maximum"))
        }
    }
}

/// [`digits`] when `Some`.
pub fn optional_digits(bound: Decimal) -> impl FnOnce(&Option<Decimal>, &()) -> garde::Result {
    move |value, context| {
        value
            .as_ref()
            .map_or(Ok(()), |value| digits(bound)(value, context))
    }
}

/// [`scale`] when `Some`.
pub fn optional_scale(limit: u32) -> impl FnOnce(&Option<Decimal>, &()) -> garde::Result {
    move |value, context| {
        value
            .as_ref()
            .map_or(Ok(()), |value| scale(limit)(value, context))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{invalid_sample, sample};
    use garde::Validate;

    #[test]
    fn same_verdicts() {
        assert!(GardeAccount::from(&sample(3)).validate().is_ok());
        let report = GardeAccount::from(&invalid_sample())
            .validate()
            .expect_err("invalid");
        assert_eq!(report.iter().count(), 3);
    }
}

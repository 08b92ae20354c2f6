//! A prototype of the change BENCHMARKS.md proposes for the generated
//! `validate()`, built here from money-core's public pieces so that it can
//! be measured without touching money-core.
//!
//! Today each money field calls `money_core::__private::check_money`, which
//! is not inlined into `validate()`: it reads the spec through the table,
//! builds `MoneySpec::rules()` (an array of four `Option<Rule>`), and walks
//! it. The proposal splits the check in two: an always-inlined test of
//! every rule, straight-line code that the compiler folds against the
//! constant spec, and the existing `check_money` as the cold path that
//! runs only when some rule is broken, to record every broken rule as
//! today. Verdicts and errors are unchanged.
//!
//! A second step, [`validate_integer`], also replaces rust_decimal's
//! general comparison (`Decimal::cmp`, which aligns scales in 96-bit
//! arithmetic and is most of what validation costs) by comparisons of the
//! integer mantissas against limits scaled to the value's scale.

use money_core::__private::check_money;
use money_core::{Decimal, ExcessScale, MoneyModel, MoneySpec, Table, ValidationErrors};

use crate::Account;

/// Whether `value` obeys every rule of `spec`: the same rules as
/// `MoneySpec::rules()`, without building them.
#[inline(always)]
pub fn holds(spec: &MoneySpec, value: Decimal) -> bool {
    let stored = spec.stored_value(value);
    stored.abs() < spec.magnitude_bound()
        && (spec.on_excess_scale() == ExcessScale::Round
            || crate::hand::fraction_digits(stored) <= spec.scale())
        && spec.min().is_none_or(|min| stored >= min)
        && spec.max().is_none_or(|max| stored <= max)
}

/// `10^0` to `10^28`.
const POW10: [u128; 29] = {
    let mut table = [1u128; 29];
    let mut index = 1;
    while index < 29 {
        table[index] = table[index - 1] * 10;
        index += 1;
    }
    table
};

/// `value` against `limit` in integers: both mantissas at the larger of
/// the two scales, or `Decimal::cmp` when that would overflow `i128`.
#[inline(always)]
fn compare(value: Decimal, limit: Decimal) -> std::cmp::Ordering {
    let (scale, limit_scale) = (value.scale(), limit.scale());
    let (mut a, mut b) = (value.mantissa(), limit.mantissa());
    if scale > limit_scale {
        match b.checked_mul(POW10[(scale - limit_scale) as usize] as i128) {
            Some(scaled) => b = scaled,
            None => return value.cmp(&limit),
        }
    } else if limit_scale > scale {
        match a.checked_mul(POW10[(limit_scale - scale) as usize] as i128) {
            Some(scaled) => a = scaled,
            None => return value.cmp(&limit),
        }
    }
    a.cmp(&b)
}

/// [`holds`] with integer comparisons.
#[inline(always)]
pub fn holds_integer(spec: &MoneySpec, value: Decimal) -> bool {
    let stored = spec.stored_value(value);
    let scale = stored.scale();
    let magnitude = stored.mantissa().unsigned_abs();
    // |v| < 10^(P - S)  <=>  |mantissa| < 10^(P - S + scale); past 10^28
    // every mantissa (below 2^96) is smaller.
    let digits = spec.integer_digits() + scale;
    (digits > 28 || magnitude < POW10[digits as usize])
        && (spec.on_excess_scale() == ExcessScale::Round
            || scale <= spec.scale()
            || magnitude.is_multiple_of(POW10[(scale - spec.scale()) as usize]))
        && spec.min().is_none_or(|min| compare(stored, min).is_ge())
        && spec.max().is_none_or(|max| compare(stored, max).is_le())
}

/// The per-field call the derive would emit instead of `check_money`.
#[inline(always)]
pub fn check_money_inline(
    errors: &mut ValidationErrors,
    table: &'static Table,
    index: usize,
    amount: Option<Decimal>,
) {
    let Some(value) = amount else { return };
    let Some(spec) = table.columns()[index].money_spec() else {
        return;
    };
    if !holds(spec, value) {
        record(errors, table, index, value);
    }
}

/// [`check_money_inline`] with [`holds_integer`].
#[inline(always)]
pub fn check_money_integer(
    errors: &mut ValidationErrors,
    table: &'static Table,
    index: usize,
    amount: Option<Decimal>,
) {
    let Some(value) = amount else { return };
    let Some(spec) = table.columns()[index].money_spec() else {
        return;
    };
    if !holds_integer(spec, value) {
        record(errors, table, index, value);
    }
}

/// The error path: today's `check_money`, which records every broken rule.
#[cold]
#[inline(never)]
fn record(errors: &mut ValidationErrors, table: &'static Table, index: usize, value: Decimal) {
    check_money(errors, table, index, Some(value));
}

/// What the derive would generate for [`Account`] with the proposal.
///
/// ```
/// use money_benches::{invalid_sample, proposed, sample};
/// use money_core::MoneyModel;
/// assert_eq!(proposed::validate(&sample(1)), sample(1).validate());
/// assert_eq!(proposed::validate(&invalid_sample()), invalid_sample().validate());
/// ```
#[inline]
pub fn validate(account: &Account) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let table = <Account as MoneyModel>::DEFINITION;
    check_money_inline(&mut errors, table, 1, Some(account.balance));
    check_money_inline(&mut errors, table, 2, account.overdraft_limit);
    check_money_inline(&mut errors, table, 3, Some(account.fee));
    errors.into_result()
}

/// [`validate`] with integer comparisons ([`holds_integer`]).
///
/// ```
/// use money_benches::{invalid_sample, proposed, sample};
/// use money_core::MoneyModel;
/// assert_eq!(proposed::validate_integer(&sample(1)), sample(1).validate());
/// assert_eq!(proposed::validate_integer(&invalid_sample()), invalid_sample().validate());
/// ```
#[inline]
pub fn validate_integer(account: &Account) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let table = <Account as MoneyModel>::DEFINITION;
    check_money_integer(&mut errors, table, 1, Some(account.balance));
    check_money_integer(&mut errors, table, 2, account.overdraft_limit);
    check_money_integer(&mut errors, table, 3, Some(account.fee));
    errors.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{invalid_sample, sample};

    #[test]
    fn same_results_as_the_generated_validate() {
        let texts = [
            "0",
            "-0.0001",
            "1.20000",
            "1.23456",
            "1000000000000000",
            "1000",
            "1000.01",
            "0.001",
        ];
        let parse = |text: &str| Decimal::from_str_exact(text).expect("literal");
        let mut accounts: Vec<Account> = (0..1_000).map(sample).collect();
        accounts.push(invalid_sample());
        for balance in texts {
            for fee in texts {
                accounts.push(Account {
                    id: 1,
                    balance: parse(balance),
                    overdraft_limit: Some(parse(fee)),
                    fee: parse(fee),
                });
            }
        }
        for account in &accounts {
            assert_eq!(validate(account), account.validate(), "{account:?}");
            assert_eq!(validate_integer(account), account.validate(), "{account:?}");
        }
    }

    /// `holds_integer` agrees with `holds` on every spec shape of the
    /// model and values of every scale, sign and magnitude.
    #[test]
    fn integer_comparisons_agree() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let specs: Vec<MoneySpec> = <Account as MoneyModel>::DEFINITION
            .columns()
            .iter()
            .filter_map(|column| column.money_spec().copied())
            .collect();
        for _ in 0..200_000 {
            let digits = next() % 30;
            let mantissa =
                (u128::from(next()) << 64 | u128::from(next())) % 10u128.pow(digits as u32).max(1);
            let mantissa = mantissa.min((1u128 << 96) - 1) as i128;
            let sign = if next() % 2 == 0 { 1 } else { -1 };
            let scale = (next() % 29) as u32;
            let value = Decimal::from_i128_with_scale(sign * mantissa, scale);
            for spec in &specs {
                assert_eq!(
                    holds_integer(spec, value),
                    holds(spec, value),
                    "{value} {spec:?}"
                );
            }
        }
    }
}

//! The declaration of one money column: precision, scale, bounds and what
//! happens to excess digits.

use std::cmp::Ordering;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::rules::{Rule, RuleKind};

/// The most significant digits a [`Decimal`] can hold, and so the largest
/// precision a declaration may ask for (the derive checks the same
/// constant).
pub use money_spec_core::MAX_PRECISION;

pub use money_spec_core::ExcessScale;

/// The declaration of one money column, as `#[money(...)]` states it.
///
/// A value `v` is valid iff, after rounding in [`ExcessScale::Round`] mode:
/// it has at most `scale` digits after the point once trailing zeros are
/// dropped, `|v| < 10^(precision - scale)`, and `min <= v <= max` where
/// declared. The derive checks every declaration at compile time
/// (`scale <= precision <= 28`, bounds that fit the column, `min <= max`), so
/// a `MoneySpec` in a model is always consistent.
///
/// ```
/// use money_core::{MoneyModel, Decimal};
///
/// #[derive(MoneyModel)]
/// struct Fee {
///     #[money(precision = 10, scale = 2, min = "0")]
///     amount: Decimal,
/// }
///
/// let spec = Fee::DEFINITION.columns()[0].money_spec().expect("a money column");
/// assert_eq!((spec.precision(), spec.scale()), (10, 2));
/// assert_eq!(spec.min(), Some(Decimal::ZERO));
/// assert_eq!(spec.magnitude_bound(), Decimal::from(100_000_000));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoneySpec {
    precision: u32,
    scale: u32,
    min: Option<Decimal>,
    max: Option<Decimal>,
    on_excess_scale: ExcessScale,
    magnitude_bound: Decimal,
    currency_column: Option<&'static str>,
}

impl MoneySpec {
    /// Builds a spec without checking it; the derive calls this only after
    /// checking the declaration at compile time.
    pub(crate) const fn new_unchecked(
        precision: u32,
        scale: u32,
        min: Option<Decimal>,
        max: Option<Decimal>,
        on_excess_scale: ExcessScale,
    ) -> Self {
        // 10^(precision - scale) <= 10^28 always fits a Decimal's 96 bits.
        let mut bound: u128 = 1;
        let mut digits = precision - scale;
        while digits > 0 {
            bound *= 10;
            digits -= 1;
        }
        let magnitude_bound = Decimal::from_parts(
            bound as u32,
            (bound >> 32) as u32,
            (bound >> 64) as u32,
            false,
            0,
        );
        MoneySpec {
            precision,
            scale,
            min,
            max,
            on_excess_scale,
            magnitude_bound,
            currency_column: None,
        }
    }

    /// The same spec, with amounts limited to the minor units of the
    /// currency held in `column` of the same row (`currency_field = "..."`,
    /// see [`Rule::MinorUnits`]).
    pub(crate) const fn with_currency_column(mut self, column: &'static str) -> Self {
        self.currency_column = Some(column);
        self
    }

    /// The column holding the currency whose minor units limit the amount,
    /// if declared with `currency_field = "..."`.
    pub const fn currency_column(&self) -> Option<&'static str> {
        self.currency_column
    }

    /// Total significant digits the column holds.
    pub const fn precision(&self) -> u32 {
        self.precision
    }

    /// Digits after the point the column holds.
    pub const fn scale(&self) -> u32 {
        self.scale
    }

    /// The declared inclusive minimum, if any.
    pub const fn min(&self) -> Option<Decimal> {
        self.min
    }

    /// The declared inclusive maximum, if any.
    pub const fn max(&self) -> Option<Decimal> {
        self.max
    }

    /// What happens to digits beyond the scale.
    pub const fn on_excess_scale(&self) -> ExcessScale {
        self.on_excess_scale
    }

    /// Digits allowed before the point: `precision - scale`.
    pub const fn integer_digits(&self) -> u32 {
        self.precision - self.scale
    }

    /// `10^(precision - scale)`: every valid value has a magnitude strictly
    /// below it.
    pub const fn magnitude_bound(&self) -> Decimal {
        self.magnitude_bound
    }

    /// The value the database stores for `value`: rounded to the scale, half
    /// away from zero, in [`ExcessScale::Round`] mode; unchanged in
    /// [`ExcessScale::Reject`] mode (where excess digits are an error, not a
    /// rounding). A zero never keeps a minus sign, as PostgreSQL has none.
    ///
    /// `Decimal::round_dp` rounds half to even (2.345 -> 2.34) and would
    /// disagree with the database (2.35); this does not.
    ///
    /// ```
    /// use money_core::{MoneyModel, Decimal};
    ///
    /// #[derive(MoneyModel)]
    /// struct Price {
    ///     #[money(precision = 10, scale = 2, on_excess_scale = "round")]
    ///     amount: Decimal,
    /// }
    ///
    /// let spec = Price::DEFINITION.columns()[0].money_spec().unwrap();
    /// assert_eq!(spec.stored_value("2.345".parse().unwrap()).to_string(), "2.35");
    /// assert_eq!(spec.stored_value("-2.345".parse().unwrap()).to_string(), "-2.35");
    /// ```
    #[inline]
    pub fn stored_value(&self, value: Decimal) -> Decimal {
        match self.on_excess_scale {
            ExcessScale::Reject => value,
            ExcessScale::Round => round_like_database(value, self.scale),
        }
    }

    /// Whether `value` obeys every rule of [`rules`](Self::rules), checked on
    /// its [`stored_value`](Self::stored_value): the verdict of validation
    /// without the errors. It is
    /// `self.rules().all(|rule| rule.holds(self.stored_value(value)))`,
    /// computed without building the rules: the mantissa is compared, as an
    /// integer, with the limits brought to the value's scale, and
    /// `Decimal`'s general comparison is used only where that would overflow.
    /// Inlined, so that against a constant spec it folds to a few integer
    /// comparisons. A [`Rule::MinorUnits`] needs the row's currency too
    /// ([`Rule::holds_for`]); like `holds`, this judges it without one.
    ///
    /// ```
    /// use money_core::{MoneyModel, Decimal};
    ///
    /// #[derive(MoneyModel)]
    /// struct Fee {
    ///     #[money(precision = 10, scale = 2, min = "0", max = "1000")]
    ///     amount: Decimal,
    /// }
    ///
    /// let spec = Fee::DEFINITION.columns()[0].money_spec().unwrap();
    /// let value = |text: &str| text.parse::<Decimal>().unwrap();
    /// assert!(spec.accepts(value("999.90")));
    /// assert!(spec.accepts(value("1000.0000")));
    /// assert!(!spec.accepts(value("1000.01"))); // above the maximum
    /// assert!(!spec.accepts(value("0.001"))); // three digits after the point
    /// assert!(!spec.accepts(value("-1"))); // below the minimum
    /// ```
    #[inline(always)]
    pub fn accepts(&self, value: Decimal) -> bool {
        let stored = self.stored_value(value);
        let scale = stored.scale();
        let magnitude = stored.mantissa().unsigned_abs();
        // |v| < 10^(P - S)  <=>  |mantissa| < 10^(P - S + scale); past 10^28
        // every mantissa (below 2^96) is smaller.
        let digits = self.integer_digits().saturating_add(scale);
        let fits_digits = POW10
            .get(digits as usize)
            .is_none_or(|&bound| magnitude < bound);
        // Trailing zeros beyond the scale are allowed: `1.20000` at scale 4.
        let fits_scale = self.on_excess_scale == ExcessScale::Round
            || scale <= self.scale
            || POW10
                .get((scale - self.scale) as usize)
                .is_some_and(|&unit| magnitude.is_multiple_of(unit));
        fits_digits
            && fits_scale
            && self.min.is_none_or(|min| compare(stored, min).is_ge())
            && self.max.is_none_or(|max| compare(stored, max).is_le())
    }

    /// Whether `stored`, a value as stored ([`stored_value`](Self::stored_value)),
    /// obeys this spec's rule of kind `kind`: what
    /// [`Rule::holds`] answers for that rule of [`rules`](Self::rules), as
    /// the integer test [`accepts`](Self::accepts) makes. True for a kind the
    /// spec has no rule of, and for [`RuleKind::MinorUnits`] and
    /// [`RuleKind::Currency`], which need more than the amount
    /// ([`Rule::holds_for`]). Validation's error path uses it to tell which
    /// rules a refused value breaks; `tests/accepts.rs` checks it against
    /// `Rule::holds` rule by rule.
    #[doc(hidden)]
    #[inline(always)]
    pub fn holds(&self, kind: RuleKind, stored: Decimal) -> bool {
        let magnitude = || stored.mantissa().unsigned_abs();
        match kind {
            // |v| < 10^(P - S)  <=>  |mantissa| < 10^(P - S + scale); past
            // 10^28 every mantissa (below 2^96) is smaller.
            RuleKind::Digits => POW10
                .get(self.integer_digits().saturating_add(stored.scale()) as usize)
                .is_none_or(|&bound| magnitude() < bound),
            // Trailing zeros beyond the scale are allowed: `1.20000` at
            // scale 4.
            RuleKind::Scale => {
                let scale = stored.scale();
                self.on_excess_scale == ExcessScale::Round
                    || scale <= self.scale
                    || POW10
                        .get((scale - self.scale) as usize)
                        .is_some_and(|&unit| magnitude().is_multiple_of(unit))
            }
            RuleKind::Min => self.min.is_none_or(|min| compare(stored, min).is_ge()),
            RuleKind::Max => self.max.is_none_or(|max| compare(stored, max).is_le()),
            RuleKind::MinorUnits | RuleKind::Currency => true,
        }
    }

    /// The [`Rule::MinorUnits`] of a spec with `currency_field`, if it can
    /// fail: what [`rules`](Self::rules) lists, and what validation and
    /// JSON check once the row's currency is known.
    #[inline]
    pub fn minor_units_rule(&self) -> Option<Rule> {
        // Every currency has at least 0 minor units: at scale 0 the rule
        // could never fail.
        self.currency_column
            .filter(|_| self.scale > 0)
            .map(|currency_column| Rule::MinorUnits {
                scale: self.scale,
                currency_column,
            })
    }

    /// The rules a value must satisfy, in the order validation reports them.
    /// Each one is rendered as one named CHECK constraint by every dialect.
    pub fn rules(&self) -> impl Iterator<Item = Rule> + '_ {
        RuleKind::ALL
            .into_iter()
            .filter_map(move |kind| self.rule(kind))
    }

    /// This spec's rule of kind `kind`, if it has one: always a
    /// [`Rule::Digits`]; a [`Rule::Scale`] in
    /// [`ExcessScale::Reject`] mode; a [`Rule::MinorUnits`] with
    /// `currency_field` and a scale above 0
    /// ([`minor_units_rule`](Self::minor_units_rule)); [`Rule::Min`] and
    /// [`Rule::Max`] with those bounds; never a [`Rule::Currency`], a rule
    /// of currency columns.
    ///
    /// ```
    /// use money_core::{Decimal, MoneyValue, Rule, RuleKind};
    ///
    /// #[derive(MoneyValue)]
    /// #[money(precision = 19, scale = 4, min = "0")]
    /// struct Balance(Decimal);
    ///
    /// let spec = Balance::SPEC;
    /// assert_eq!(spec.rule(RuleKind::Min), Some(Rule::Min(Decimal::ZERO)));
    /// assert_eq!(spec.rule(RuleKind::Max), None);
    /// assert!(matches!(spec.rule(RuleKind::Scale), Some(Rule::Scale { scale: 4 })));
    /// ```
    #[inline(always)]
    pub fn rule(&self, kind: RuleKind) -> Option<Rule> {
        match kind {
            RuleKind::Digits => Some(Rule::Digits {
                precision: self.precision,
                scale: self.scale,
                bound: self.magnitude_bound,
            }),
            RuleKind::Scale => match self.on_excess_scale {
                // Rounding makes every value fit the scale, so there is no
                // rule.
                ExcessScale::Round => None,
                ExcessScale::Reject => Some(Rule::Scale { scale: self.scale }),
            },
            RuleKind::MinorUnits => self.minor_units_rule(),
            RuleKind::Min => self.min.map(Rule::Min),
            RuleKind::Max => self.max.map(Rule::Max),
            RuleKind::Currency => None,
        }
    }
}

/// `10^0` to `10^28`: every power of ten a scale difference can need.
/// How [`MoneySpec::accepts`] decides each rule, as a `match` without a
/// wildcard: a new [`Rule`] variant does not compile until the fast path
/// says how it handles it (and `accepts` does so).
#[allow(dead_code)]
const fn decided_by_accepts(rule: &Rule) -> &'static str {
    match rule {
        Rule::Digits { .. } => {
            "fits_digits: the mantissa against 10^(precision - scale + its scale)"
        }
        Rule::Scale { .. } => "fits_scale: the digits past the scale are zeros (reject mode only)",
        Rule::Min(_) => "compare(stored, min)",
        Rule::Max(_) => "compare(stored, max)",
        Rule::MinorUnits { .. } => {
            "not here: it needs the row's currency; validate::fits_currency and json::field::check_minor_units decide it through MoneySpec::minor_units_rule"
        }
        Rule::Currency => "not here: a rule of a currency column's codes, not of amounts",
    }
}

const POW10: [u128; 29] = {
    let mut table = [1u128; 29];
    let mut index = 1;
    while index < 29 {
        table[index] = table[index - 1] * 10;
        index += 1;
    }
    table
};

/// `value` against `limit`: both mantissas brought to the larger of the two
/// scales and compared as integers, or `Decimal`'s comparison where that
/// would overflow an `i128`. The same order as `Decimal`'s `Ord` (tested
/// below), without its general alignment: what [`MoneySpec::accepts`] and
/// [`Rule::holds_for`] compare amounts with.
#[inline(always)]
pub(crate) fn compare(value: Decimal, limit: Decimal) -> Ordering {
    // The most common bound, `min = "0"`, needs no alignment.
    if limit.is_zero() {
        return value.mantissa().cmp(&0);
    }
    let (value_scale, limit_scale) = (value.scale(), limit.scale());
    let (mut left, mut right) = (value.mantissa(), limit.mantissa());
    let scaled = if value_scale > limit_scale {
        scale_up(right, value_scale - limit_scale).map(|scaled| right = scaled)
    } else {
        scale_up(left, limit_scale - value_scale).map(|scaled| left = scaled)
    };
    match scaled {
        Some(()) => left.cmp(&right),
        None => compare_exactly(value, limit),
    }
}

/// `Decimal`'s own comparison, for the mantissas an `i128` cannot align:
/// out of line, so that the common path keeps its values in registers.
#[cold]
#[inline(never)]
fn compare_exactly(value: Decimal, limit: Decimal) -> Ordering {
    value.cmp(&limit)
}

/// `mantissa * 10^digits`, if it fits an `i128`.
#[inline(always)]
fn scale_up(mantissa: i128, digits: u32) -> Option<i128> {
    let factor = i128::try_from(*POW10.get(digits as usize)?).ok()?;
    if digits <= 9 {
        // A mantissa is below 2^96 and 10^9 below 2^30: the product fits,
        // and the multiplication needs no overflow test.
        return Some(mantissa.wrapping_mul(factor));
    }
    mantissa.checked_mul(factor)
}

/// Rounds `value` to `scale` digits after the point, half away from zero, as
/// PostgreSQL's `numeric(p, s)` input and MySQL's `DECIMAL(p, s)` do.
///
/// ```
/// use money_core::{round_like_database, Decimal};
/// let value: Decimal = "123.45678".parse().unwrap();
/// assert_eq!(round_like_database(value, 4).to_string(), "123.4568");
/// ```
pub fn round_like_database(value: Decimal, scale: u32) -> Decimal {
    if value.scale() <= scale {
        return value;
    }
    let mut rounded = value.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    if rounded.is_zero() {
        rounded.set_sign_positive(true);
    }
    rounded
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).expect("test literal")
    }

    #[test]
    fn magnitude_bound_is_a_power_of_ten() {
        let spec = MoneySpec::new_unchecked(19, 4, None, None, ExcessScale::Reject);
        assert_eq!(spec.magnitude_bound(), dec("1000000000000000"));
        let widest = MoneySpec::new_unchecked(28, 0, None, None, ExcessScale::Reject);
        assert_eq!(
            widest.magnitude_bound(),
            dec("10000000000000000000000000000")
        );
        let fraction = MoneySpec::new_unchecked(28, 28, None, None, ExcessScale::Reject);
        assert_eq!(fraction.magnitude_bound(), Decimal::ONE);
    }

    #[test]
    fn rounds_half_away_from_zero_unlike_round_dp() {
        assert_eq!(dec("2.345").round_dp(2), dec("2.34"));
        assert_eq!(round_like_database(dec("2.345"), 2), dec("2.35"));
        assert_eq!(round_like_database(dec("-2.345"), 2), dec("-2.35"));
        assert_eq!(round_like_database(dec("123.45678"), 4), dec("123.4568"));
        assert_eq!(round_like_database(dec("2.3449"), 2), dec("2.34"));
    }

    #[test]
    fn rounded_zero_has_no_sign() {
        let zero = round_like_database(dec("-0.00004"), 4);
        assert!(zero.is_zero());
        assert!(zero.is_sign_positive());
        assert_eq!(zero.to_string(), "0.0000");
    }

    #[test]
    fn reject_mode_stores_the_value_unchanged() {
        let spec = MoneySpec::new_unchecked(19, 4, None, None, ExcessScale::Reject);
        assert_eq!(spec.stored_value(dec("1.23456")), dec("1.23456"));
        assert_eq!(spec.stored_value(dec("1.23456")).scale(), 5);
    }

    #[test]
    fn rules_follow_the_declaration() {
        let min = Decimal::from_str("0").expect("literal");
        let spec = MoneySpec::new_unchecked(19, 4, Some(min), None, ExcessScale::Reject);
        let kinds: Vec<_> = spec.rules().map(|rule| rule.kind()).collect();
        use crate::rules::RuleKind::*;
        assert_eq!(kinds, [Digits, Scale, Min]);
        let round = MoneySpec::new_unchecked(19, 4, None, Some(min), ExcessScale::Round);
        let kinds: Vec<_> = round.rules().map(|rule| rule.kind()).collect();
        assert_eq!(kinds, [Digits, Max]);
    }

    #[test]
    fn compare_is_decimal_order() {
        let texts = [
            "0",
            "-0",
            "0.000",
            "-0.0000",
            "1",
            "-1",
            "1.0",
            "0.9999",
            "1.0001",
            "-1.0001",
            "1000",
            "999.99",
            "1000.000000001",
            "0.0000000000000000000000000001",
            "-0.0000000000000000000000000001",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "7.9228162514264337593543950335",
            "999999999999999.9999",
            "1000000000000000",
            "-1000000000000000",
            "123456789012345678.9012345678",
            "0.5",
            "-0.5",
            "5e-28",
        ];
        let values: Vec<Decimal> = texts
            .iter()
            .map(|text| Decimal::from_scientific(text).unwrap_or_else(|_| dec(text)))
            .collect();
        for value in &values {
            for limit in &values {
                assert_eq!(
                    compare(*value, *limit),
                    value.cmp(limit),
                    "{value} against {limit}"
                );
            }
        }
    }
}

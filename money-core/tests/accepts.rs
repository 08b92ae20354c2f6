//! `MoneySpec::accepts` is the verdict of `MoneySpec::rules()`: the same
//! answer as checking every rule on the stored value, for values of every
//! scale, sign and magnitude, near every limit, against many declarations
//! in both excess-scale modes; and `MoneySpec::holds`, the same integer
//! tests rule by rule, is `Rule::holds` for each rule. Deterministic: a
//! seeded generator.

use money_core::{Decimal, ExcessScale, MoneySpec, RuleKind};

/// A declaration built at run time, as generated code builds one (through
/// the hidden `__private` module: specs are otherwise declared with the
/// derive). Every call here has `scale <= precision <= 28`.
fn spec_unchecked(
    precision: u32,
    scale: u32,
    min: Option<Decimal>,
    max: Option<Decimal>,
    mode: ExcessScale,
) -> MoneySpec {
    money_core::__private::money_spec(precision, scale, min, max, mode, None)
}

/// The largest mantissa a `Decimal` holds: `2^96 - 1`.
const MAX_MANTISSA: u128 = (1 << 96) - 1;

fn pow10(digits: u32) -> u128 {
    10u128.pow(digits)
}

/// What `accepts` must agree with, by definition.
fn rules_hold(spec: &MoneySpec, value: Decimal) -> bool {
    let stored = spec.stored_value(value);
    spec.rules().all(|rule| rule.holds(stored))
}

/// A value of `digits` random digits (at most the 96 bits of a mantissa),
/// a random sign and `scale`.
fn random_value(rng: &mut fastrand::Rng, digits: u32, scale: u32) -> Decimal {
    let mantissa =
        (u128::from(rng.u64(..)) << 64 | u128::from(rng.u64(..))) % pow10(digits.min(29));
    let mantissa = mantissa.min(MAX_MANTISSA) as i128;
    let sign = if rng.bool() { -1 } else { 1 };
    Decimal::from_i128_with_scale(sign * mantissa, scale)
}

/// `value` with `zeros` more trailing zeros after the point, if a
/// `Decimal` holds it.
fn with_trailing_zeros(value: Decimal, zeros: u32) -> Option<Decimal> {
    let scale = value.scale() + zeros;
    let mantissa = value
        .mantissa()
        .checked_mul(i128::try_from(pow10(zeros)).ok()?)?;
    if scale > 28 || mantissa.unsigned_abs() > MAX_MANTISSA {
        return None;
    }
    Some(Decimal::from_i128_with_scale(mantissa, scale))
}

/// A bound for a column of `precision` and `scale`: usually one the derive
/// allows (inside the column, at most `scale` digits once trailing zeros
/// are dropped, sometimes written with more), sometimes any value at all,
/// which `accepts` must handle the same way.
fn random_bound(rng: &mut fastrand::Rng, precision: u32, scale: u32) -> Decimal {
    if rng.u8(0..4) == 0 {
        let (digits, bound_scale) = (rng.u32(0..=29), rng.u32(0..=28));
        return random_value(rng, digits, bound_scale);
    }
    let digits = rng.u32(0..=precision);
    let value = random_value(rng, digits, scale);
    with_trailing_zeros(value, rng.u32(0..=28)).unwrap_or(value)
}

/// Declarations of every precision, with scales from 0 to the precision,
/// in both modes, without bounds, with one, with both (and `min == max`),
/// with bounds at the column's largest values.
fn specs(rng: &mut fastrand::Rng) -> Vec<MoneySpec> {
    let mut specs = Vec::new();
    for precision in 1..=28 {
        let mut scales = vec![0, precision / 2, precision - 1, precision, 2.min(precision)];
        scales.push(rng.u32(0..=precision));
        scales.sort_unstable();
        scales.dedup();
        for scale in scales {
            let unit = Decimal::new(1, scale);
            let largest = spec_unchecked(precision, scale, None, None, ExcessScale::Reject)
                .magnitude_bound()
                - unit;
            for mode in [ExcessScale::Reject, ExcessScale::Round] {
                let spec = |min, max| spec_unchecked(precision, scale, min, max, mode);
                let (a, b) = (
                    random_bound(rng, precision, scale),
                    random_bound(rng, precision, scale),
                );
                let (low, high) = if a <= b { (a, b) } else { (b, a) };
                specs.push(spec(None, None));
                specs.push(spec(Some(Decimal::ZERO), None));
                specs.push(spec(Some(a), None));
                specs.push(spec(None, Some(b)));
                specs.push(spec(Some(low), Some(high)));
                specs.push(spec(Some(high), Some(low))); // nothing is valid
                specs.push(spec(Some(a), Some(a)));
                specs.push(spec(Some(-largest), Some(largest)));
            }
        }
    }
    specs
}

/// Values near every limit of `spec` (zero, the magnitude bound, the
/// largest valid value, the bounds), each moved by `10^-k` and `5 * 10^-k`
/// for every `k` (the rounding midpoints), written with trailing zeros;
/// negative zeros of every scale; and random values of every scale and
/// length.
fn values(spec: &MoneySpec, rng: &mut fastrand::Rng) -> Vec<Decimal> {
    let unit = Decimal::new(1, spec.scale());
    let mut anchors = vec![
        Decimal::ZERO,
        spec.magnitude_bound(),
        -spec.magnitude_bound(),
        spec.magnitude_bound() - unit,
        unit - spec.magnitude_bound(),
    ];
    anchors.extend(spec.min());
    anchors.extend(spec.max());
    let mut values = Vec::new();
    for anchor in anchors {
        values.push(anchor);
        for zeros in [1, 3, 28] {
            values.extend(with_trailing_zeros(anchor, zeros));
        }
        for k in 0..=28 {
            for step in [Decimal::new(1, k), Decimal::new(5, k)] {
                values.extend(anchor.checked_add(step));
                values.extend(anchor.checked_sub(step));
            }
        }
    }
    for scale in 0..=28 {
        values.push(Decimal::from_parts(0, 0, 0, true, scale));
        for _ in 0..12 {
            let digits = rng.u32(0..=30);
            let value = random_value(rng, digits, scale);
            values.push(value);
            values.extend(with_trailing_zeros(value, rng.u32(1..=6)));
        }
    }
    values
}

#[test]
fn accepts_is_the_verdict_of_every_rule() {
    let mut rng = fastrand::Rng::with_seed(0x00AC_CE97_5EED);
    let specs = specs(&mut rng);
    let (mut accepted, mut refused, mut checked) = (0usize, 0usize, 0usize);
    // How often each rule was the only one broken: each branch of
    // `accepts` is then decisive somewhere.
    // The rules of the amount alone; `MinorUnits` also needs the row's
    // currency (and holds without one), `Currency` is a rule of codes.
    const DECIDED: [RuleKind; 4] = [
        RuleKind::Digits,
        RuleKind::Scale,
        RuleKind::Min,
        RuleKind::Max,
    ];
    let mut alone = [0usize; DECIDED.len()];
    let mut round = 0usize;
    for spec in &specs {
        for value in values(spec, &mut rng) {
            let expected = rules_hold(spec, value);
            assert_eq!(
                spec.accepts(value),
                expected,
                "value {value} (scale {}) {spec:?}",
                value.scale()
            );
            // Rule by rule, `holds` (what validation's error path uses to
            // tell which rules broke) is `Rule::holds`.
            let stored = spec.stored_value(value);
            for rule in spec.rules() {
                assert_eq!(
                    spec.holds(rule.kind(), stored),
                    rule.holds(stored),
                    "{rule:?} on {value} (scale {}) {spec:?}",
                    value.scale()
                );
            }
            // A kind the spec has no rule of holds: validation's error path
            // asks about every kind.
            for kind in RuleKind::ALL {
                if spec.rule(kind).is_none() {
                    assert!(spec.holds(kind, stored), "{kind} on {value} {spec:?}");
                }
            }
            checked += 1;
            if expected {
                accepted += 1;
            } else {
                refused += 1;
                let stored = spec.stored_value(value);
                let mut broken = spec.rules().filter(|rule| !rule.holds(stored));
                if let (Some(rule), None) = (broken.next(), broken.next()) {
                    let kind = DECIDED.iter().position(|&kind| kind == rule.kind());
                    alone[kind.expect("a known rule")] += 1;
                }
            }
            if spec.stored_value(value) != value
                || spec.stored_value(value).scale() != value.scale()
            {
                round += 1;
            }
        }
    }
    assert!(specs.len() > 2_000, "{} specs", specs.len());
    assert!(checked > 1_000_000, "{checked} values checked");
    assert!(accepted > checked / 10, "{accepted} of {checked} accepted");
    assert!(refused > checked / 10, "{refused} of {checked} refused");
    for (kind, count) in DECIDED.iter().zip(alone) {
        assert!(count > 1_000, "{kind} broken alone only {count} times");
    }
    assert!(round > 10_000, "only {round} values rounded");
}

/// The limits themselves, by hand: the comparisons are strict or inclusive
/// as the rules say, whatever the scales of the value and the limit.
#[test]
fn accepts_at_the_limits() {
    let dec = |text: &str| Decimal::from_str_exact(text).expect("literal");
    let spec = spec_unchecked(
        19,
        4,
        Some(dec("-10.50")),
        Some(dec("999999999999999.9999")),
        ExcessScale::Reject,
    );
    assert!(spec.accepts(dec("999999999999999.9999")));
    assert!(spec.accepts(dec("999999999999999.999900000")));
    assert!(!spec.accepts(dec("999999999999999.99991")));
    assert!(!spec.accepts(dec("1000000000000000")));
    assert!(spec.accepts(dec("-10.5")));
    assert!(spec.accepts(dec("-10.500000000000000000000000")));
    assert!(!spec.accepts(dec("-10.5000000000000000000000001")));
    assert!(spec.accepts(dec("1.20000")));
    assert!(!spec.accepts(dec("1.23456")));
    assert!(spec.accepts(Decimal::from_parts(0, 0, 0, true, 28)));

    let round = spec_unchecked(5, 2, Some(dec("0")), Some(dec("10")), ExcessScale::Round);
    assert!(round.accepts(dec("10.004")));
    assert!(!round.accepts(dec("10.005")));
    assert!(round.accepts(dec("-0.004")));
    assert!(!round.accepts(dec("-0.005")));
    assert!(round.accepts(dec("1.23456")));

    // Where a mantissa brought to the other's scale overflows an i128,
    // `Decimal`'s own comparison decides.
    let wide = spec_unchecked(
        28,
        2,
        Some(dec("-99999999999999999999999999.99")),
        None,
        ExcessScale::Round,
    );
    assert!(wide.accepts(dec("-7.9228162514264337593543950335")));
    assert!(wide.accepts(dec("-99999999999999999999999999.99")));
    assert!(wide.accepts(dec("-99999999999999999999999999.9")));
    let spec = |min: Option<&str>, max: Option<&str>| {
        spec_unchecked(28, 0, min.map(dec), max.map(dec), ExcessScale::Reject)
    };
    let half = "0.5000000000000000000000000000";
    let minus_half = "-0.5000000000000000000000000000";
    let largest = dec("9999999999999999999999999999");
    assert!(!spec(None, Some(half)).accepts(largest));
    assert!(spec(None, Some(half)).accepts(-largest));
    assert!(spec(Some(minus_half), None).accepts(largest));
    assert!(!spec(Some(minus_half), None).accepts(-largest));
}

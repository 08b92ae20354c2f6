//! The fast path for the common amount: a short plain text that obeys every
//! rule, read in one scan and checked with integer comparisons.
//!
//! [`parse_decimal`](crate::parse_decimal) scans the text, then hands it to
//! `Decimal::from_str_exact`, which scans it again; the rules are then
//! checked one by one. Most amounts are short (every value of a `(19, 4)`
//! column has at most 19 digits), so [`plain_amount`] reads those into a
//! 64-bit mantissa at once, and [`MoneySpec::accepts`](crate::MoneySpec::accepts)
//! checks them. Every other text, and every value a rule refuses, takes the
//! full path, which gives the same value and states what is wrong.

use rust_decimal::Decimal;

/// The most digits [`plain_amount`] reads: any 19 digits fit a `u64`.
const MAX_DIGITS: usize = 19;

/// `-?digits(.digits)?` with at most 19 digits in all, read in one scan with
/// its scale as written (`"1.20"` has scale 2), as `parse_decimal` reads it.
/// `None` for anything else: longer texts, `-0` (kept to the full path, which
/// decides its sign), an empty text, `.5`, `5.`, `+1`, exponents, spaces.
#[inline]
pub(super) fn plain_amount(text: &str) -> Option<Decimal> {
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    // The digits and a point.
    if digits.is_empty() || digits.len() > MAX_DIGITS + 1 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut point = None;
    for (index, &byte) in digits.iter().enumerate() {
        match byte {
            // 20 digits may wrap: they are refused below, after the loop,
            // which keeps the loop to one test per byte.
            b'0'..=b'9' => {
                mantissa = mantissa
                    .wrapping_mul(10)
                    .wrapping_add(u64::from(byte - b'0'))
            }
            b'.' if point.is_none() && index > 0 && index + 1 < digits.len() => {
                point = Some(index);
            }
            _ => return None,
        }
    }
    let count = digits.len() - usize::from(point.is_some());
    if count > MAX_DIGITS || (negative && mantissa == 0) {
        return None;
    }
    // At most 19 digits after the point, well within a Decimal's 28.
    let scale = point.map_or(0, |point| digits.len() - point - 1) as u32;
    Some(Decimal::from_parts(
        mantissa as u32,
        (mantissa >> 32) as u32,
        0,
        negative,
        scale,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::AmountVisitor;
    use crate::parse::parse_decimal;
    use crate::spec::{ExcessScale, MoneySpec};

    fn spec(
        precision: u32,
        scale: u32,
        min: Option<&str>,
        max: Option<&str>,
        round: bool,
    ) -> MoneySpec {
        let mode = if round {
            ExcessScale::Round
        } else {
            ExcessScale::Reject
        };
        let bound = |text: Option<&str>| text.map(|text| parse_decimal(text).expect("literal"));
        MoneySpec::new_unchecked(precision, scale, bound(min), bound(max), mode)
    }

    fn specs() -> Vec<MoneySpec> {
        vec![
            // The benchmarks' model.
            spec(19, 4, Some("0"), None, false),
            spec(19, 4, None, None, false),
            spec(10, 2, Some("0"), Some("1000"), false),
            spec(19, 4, None, None, true),
            spec(19, 4, Some("0"), Some("9999999999999.9999"), true),
            spec(10, 0, Some("-500"), Some("500"), true),
            spec(28, 0, None, None, false),
            spec(28, 28, None, Some("0.5"), false),
            spec(28, 10, None, None, true),
            spec(1, 0, None, None, false),
            spec(4, 4, Some("-0.5"), Some("0.9999"), true),
            spec(12, 2, Some("0.01"), Some("1000000"), false),
            spec(18, 8, Some("0.00000001"), None, true),
            spec(5, 2, Some("-3.5"), Some("-1.25"), true),
            spec(3, 1, Some("0"), Some("0"), true),
            spec(6, 3, Some("-0.001"), Some("0.001"), false),
        ]
    }

    /// Whether `text` is in the fast path's grammar: `-?digits(.digits)?`
    /// with 1 to 19 digits, and not a negative zero.
    fn in_grammar(text: &str) -> bool {
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "1"));
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        let count = unsigned.bytes().filter(u8::is_ascii_digit).count();
        let zero = unsigned.bytes().all(|b| b == b'0' || b == b'.');
        digits(whole) && digits(fraction) && count <= MAX_DIGITS && !(zero && text.starts_with('-'))
    }

    /// The edge cases, and texts near every limit of `spec`.
    fn texts(spec: &MoneySpec, rng: &mut fastrand::Rng) -> Vec<String> {
        let mut texts: Vec<String> = [
            "",
            "-",
            "0",
            "-0",
            "00",
            "-00",
            "0.0",
            "-0.0",
            "0.000",
            "-0.00",
            "007.50",
            "-007.50",
            ".5",
            "-.5",
            "5.",
            "-5.",
            "+1",
            "+0",
            "1..2",
            "1.2.3",
            "--1",
            "-1-",
            " 1",
            "1 ",
            " ",
            "\t1",
            "1\n",
            "1e3",
            "1E3",
            "1e-2",
            "NaN",
            "-nan",
            "inf",
            "-Infinity",
            "1_000",
            "1,5",
            "0x10",
            "١٢",
            "１",
            "1.20",
            "1.2000",
            "-12.5",
            "999999.9999",
            "9999999999999999999",
            "-9999999999999999999",
            "99999999999999999999",
            "-99999999999999999999",
            "18446744073709551615",
            "18446744073709551616",
            "1844674407370955161",
            "999999999.9999999999",
            "-999999999.9999999999",
            "9999999999.9999999999",
            "0.000000000000000001",
            "0.0000000000000000001",
            "0.00000000000000000001",
            "1.000000000000000000",
            "1.0000000000000000000",
            "0000000000000000001",
            "00000000000000000001",
            "999999999999999.9999",
            "1000000000000000",
            "1000000000000000.0000",
            "-1000000000000000",
            "1000.01",
            "1000",
            "1000.00",
            "0.001",
            "-0.01",
            "1.23456",
            "1.20000",
        ]
        .iter()
        .map(|&text| text.to_owned())
        .collect();
        texts.push("9".repeat(MAX_DIGITS));
        texts.push("1".repeat(MAX_DIGITS + 1));
        texts.push(format!("0.{}", "9".repeat(MAX_DIGITS - 1)));
        texts.push(format!("0.{}", "9".repeat(MAX_DIGITS)));
        texts.push(format!("1.{}", "0".repeat(40)));
        texts.push("1".repeat(200));
        // Near the limits, as written and with trailing zeros.
        let unit = Decimal::new(1, spec.scale());
        let largest = spec.magnitude_bound() - unit;
        let mut anchors = vec![
            Decimal::ZERO,
            unit,
            largest,
            -largest,
            spec.magnitude_bound(),
        ];
        anchors.extend(spec.min());
        anchors.extend(spec.max());
        for anchor in anchors {
            for step in [
                Decimal::ZERO,
                unit,
                unit / Decimal::TWO,
                Decimal::new(1, 19),
            ] {
                for value in [anchor + step, anchor - step] {
                    let plain = value.to_string();
                    texts.push(format!(
                        "{plain}{}",
                        if plain.contains('.') { "00" } else { ".00" }
                    ));
                    texts.push(plain);
                }
            }
        }
        // Random: digits, points, signs, and now and then a stray character.
        let alphabet = b"0123456789.-+eE _";
        for _ in 0..5_000 {
            let mut text = String::new();
            if rng.u8(0..3) == 0 {
                text.push('-');
            }
            let integer = rng.usize(0..22);
            for _ in 0..integer {
                let digit = match rng.u8(0..4) {
                    0 => b'0',
                    1 => b'9',
                    _ => b'0' + rng.u8(0..10),
                };
                text.push(char::from(digit));
            }
            if rng.bool() {
                text.push('.');
                for _ in 0..rng.usize(0..22) {
                    text.push(char::from(b'0' + rng.u8(0..10)));
                }
            }
            if rng.u8(0..20) == 0 {
                let at = rng.usize(0..=text.len());
                text.insert(at, char::from(alphabet[rng.usize(0..alphabet.len())]));
            }
            texts.push(text);
        }
        texts
    }

    #[test]
    fn plain_amount_reads_as_parse_decimal_reads() {
        let mut rng = fastrand::Rng::with_seed(0x0FA5_70A7);
        let mut read = 0;
        for spec in specs() {
            for text in texts(&spec, &mut rng) {
                let fast = plain_amount(&text);
                assert_eq!(fast.is_some(), in_grammar(&text), "{text:?}");
                let Some(fast) = fast else { continue };
                let exact = parse_decimal(&text).expect("in the grammar");
                assert_eq!(
                    (fast, fast.scale(), fast.is_sign_negative()),
                    (exact, exact.scale(), exact.is_sign_negative()),
                    "{text:?}"
                );
                read += 1;
            }
        }
        assert!(read > 20_000, "only {read} texts read by the fast path");
    }

    /// The visitor's answer, with the fast path and without: the same value
    /// (with its scale and sign) or the same message, for every text and
    /// every spec.
    #[test]
    fn the_fast_path_changes_no_verdict_and_no_message() {
        type Answer = Result<Option<(Decimal, u32, bool)>, String>;
        fn answer(result: Result<Option<Decimal>, serde::de::value::Error>) -> Answer {
            result
                .map(|value| value.map(|value| (value, value.scale(), value.is_sign_negative())))
                .map_err(|error| error.to_string())
        }
        let mut rng = fastrand::Rng::with_seed(0x0FA5_70A8);
        let (mut fast, mut refused, mut other) = (0, 0, 0);
        for spec in specs() {
            let visitor = AmountVisitor {
                label: "amount",
                spec: &spec,
                nullable: false,
            };
            for text in texts(&spec, &mut rng) {
                assert_eq!(
                    answer(visitor.text(&text)),
                    answer(visitor.exact_text(&text)),
                    "{text:?} {spec:?}"
                );
                match plain_amount(&text) {
                    Some(value) if spec.accepts(value) => fast += 1,
                    Some(_) => refused += 1,
                    None => other += 1,
                }
            }
        }
        // Every way through was taken many times.
        assert!(fast > 10_000, "fast path {fast}");
        assert!(refused > 5_000, "read, then refused by a rule {refused}");
        assert!(other > 5_000, "full path {other}");
    }
}

//! A regular expression that matches exactly the strings an amount field
//! accepts: the grammar of [`parse_decimal`](crate::parse_decimal), at most
//! 28 significant digits, and every rule of the declaration, including the
//! bounds, so that a JSON Schema validator that knows nothing of decimals
//! gives the same verdict as the deserializer.
//!
//! # How
//! A valid amount is a sign and a non-negative `y` in an interval. Scaled by
//! `10^G` (`G` = scale in reject mode, scale + 1 in round mode, where the
//! extra digit decides the rounding), the interval's ends are integers, and
//! whether `y` is inside depends only on `t`, the digits of `y` up to `G`
//! after the point, plus whether any digit after them is non-zero. The
//! integers `t` of a range are the classic digit-range alternation
//! (`1[2-9][0-9]|[2-4][0-9]{2}`); the point is put back `G` digits from the
//! right, with the trailing digits optional where they may be zero.

use rust_decimal::Decimal;

use crate::rules::Rule;
use crate::spec::MoneySpec;

use super::MAX_SIGNIFICANT_DIGITS;

/// The most digits after the point a `Decimal` holds.
const MAX_SCALE: u32 = money_spec_core::MAX_SCALE;

/// The pattern (ECMA-262 and Rust `regex` syntax, anchored) for the strings
/// that an amount declared with `spec` accepts. Use it with `maxLength`
/// [`MAX_DECIMAL_TEXT_LEN`](crate::MAX_DECIMAL_TEXT_LEN), which it does not
/// repeat.
///
/// ```
/// use money_core::{MoneyModel, Decimal, json::amount_pattern};
///
/// #[derive(MoneyModel)]
/// struct Fee {
///     #[money(precision = 5, scale = 2, min = "0")]
///     amount: Decimal,
/// }
///
/// let spec = Fee::DEFINITION.columns()[0].money_spec().unwrap();
/// assert_eq!(
///     amount_pattern(spec),
///     r"^(?:0+(?:\.[0-9]{1,2}0*)?|0*[1-9][0-9]{0,2}(?:\.[0-9]{1,2}0*)?|-(?:0+(?:\.0+)?))$",
/// );
/// ```
pub fn amount_pattern(spec: &MoneySpec) -> String {
    let scale = spec.scale();
    // What each rule of the declaration asks of the text, read from the
    // rules themselves: a new rule does not compile until it is said here.
    let (mut precision, mut scale_limited, mut min, mut max) =
        (money_spec_core::MAX_PRECISION, false, None, None);
    for rule in spec.rules() {
        match rule {
            Rule::Digits {
                precision: digits, ..
            } => precision = digits,
            Rule::Scale { .. } => scale_limited = true,
            Rule::Min(bound) => min = Some(bound),
            Rule::Max(bound) => max = Some(bound),
            // Judged against the row's currency, which the pattern of one
            // amount cannot see: the reader checks it once the row is read.
            Rule::MinorUnits { .. } => {}
            // A rule of currency codes, never of an amount.
            Rule::Currency => {}
        }
    }
    // Without a scale rule the value is rounded to the scale (round mode).
    let round = !scale_limited && scale < MAX_SCALE;
    // Stored values in units of 10^-scale: |n| < 10^precision, min..max.
    let limit = 10i128.pow(precision) - 1;
    let low = min.map_or(-limit, |min| units(min, scale, true).max(-limit));
    let high = max.map_or(limit, |max| units(max, scale, false).min(limit));
    if low > high {
        return NOTHING.to_owned();
    }
    // The values x that are accepted: an interval on the grid 10^-grid.
    let (grid, interval) = if round {
        // Half away from zero: n > 0 comes from [n - 0.5, n + 0.5), n < 0
        // from (n - 0.5, n + 0.5], 0 from (-0.5, 0.5).
        (
            scale + 1,
            Interval {
                low: 10 * low - 5,
                low_closed: low > 0,
                high: 10 * high + 5,
                high_closed: high < 0,
            },
        )
    } else {
        (
            scale,
            Interval {
                low,
                low_closed: true,
                high,
                high_closed: true,
            },
        )
    };
    let tail = if round { Tail::Any } else { Tail::Zero };
    let alternatives = |interval: Option<Interval>| -> Vec<String> {
        let pieces = interval
            .map(|interval| interval.pieces(tail))
            .unwrap_or_default();
        pieces
            .iter()
            .flat_map(|piece| piece.branches(grid))
            .collect()
    };
    let positive = alternatives(interval.non_negative());
    let negative = alternatives(interval.negated().non_negative());
    match (positive.is_empty(), negative.is_empty()) {
        (true, true) => NOTHING.to_owned(),
        _ if positive == negative => format!("^-?(?:{})$", positive.join("|")),
        (false, true) => format!("^(?:{})$", positive.join("|")),
        (true, false) => format!("^-(?:{})$", negative.join("|")),
        (false, false) => format!("^(?:{}|-(?:{}))$", positive.join("|"), negative.join("|")),
    }
}

/// A pattern no string matches.
const NOTHING: &str = "^[^\\s\\S]$";

/// `value * 10^scale` rounded up (`ceil`) or down, as an integer.
fn units(value: Decimal, scale: u32, ceil: bool) -> i128 {
    let mantissa = value.mantissa();
    let own = value.scale();
    if own <= scale {
        return mantissa * 10i128.pow(scale - own);
    }
    let divisor = 10i128.pow(own - scale);
    let quotient = mantissa.div_euclid(divisor);
    let exact = mantissa.rem_euclid(divisor) == 0;
    if ceil && !exact {
        quotient + 1
    } else {
        quotient
    }
}

/// An interval of integers on the grid, each end open or closed.
#[derive(Clone, Copy, Debug)]
struct Interval {
    low: i128,
    low_closed: bool,
    high: i128,
    high_closed: bool,
}

impl Interval {
    fn contains(&self, value: i128) -> bool {
        (value > self.low || (self.low_closed && value == self.low))
            && (value < self.high || (self.high_closed && value == self.high))
    }

    /// The part at or above zero, if any.
    fn non_negative(&self) -> Option<Interval> {
        let (low, low_closed) = if self.low < 0 {
            (0, self.contains(0))
        } else {
            (self.low, self.low_closed)
        };
        let empty = self.high < low || (self.high == low && !(low_closed && self.high_closed));
        (!empty).then_some(Interval {
            low,
            low_closed,
            high: self.high,
            high_closed: self.high_closed,
        })
    }

    /// `{-x : x in self}`: the magnitudes of the negative values, plus zero
    /// (written `-0`) when zero is in.
    fn negated(&self) -> Interval {
        Interval {
            low: -self.high,
            low_closed: self.high_closed,
            high: -self.low,
            high_closed: self.low_closed,
        }
    }

    /// `y >= 0` in the interval, as ranges of its digits `t` (on the grid)
    /// and what may follow them.
    fn pieces(&self, tail: Tail) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let Interval {
            low,
            low_closed,
            high,
            high_closed,
        } = *self;
        match tail {
            // On the grid: y = t.
            Tail::Zero | Tail::NonZero => {
                let from = if low_closed { low } else { low + 1 };
                let to = if high_closed { high } else { high - 1 };
                if from <= to {
                    pieces.push(Piece {
                        from,
                        to,
                        tail: Tail::Zero,
                    });
                }
            }
            // y >= low iff t >= low; y > low iff t > low or more digits
            // follow; y < high iff t < high; y <= high iff that or y = high.
            Tail::Any => {
                if low == high {
                    if low_closed && high_closed {
                        pieces.push(Piece {
                            from: low,
                            to: low,
                            tail: Tail::Zero,
                        });
                    }
                    return pieces;
                }
                let from = if low_closed { low } else { low + 1 };
                if from < high {
                    pieces.push(Piece {
                        from,
                        to: high - 1,
                        tail: Tail::Any,
                    });
                }
                if !low_closed {
                    pieces.push(Piece {
                        from: low,
                        to: low,
                        tail: Tail::NonZero,
                    });
                }
                if high_closed {
                    pieces.push(Piece {
                        from: high,
                        to: high,
                        tail: Tail::Zero,
                    });
                }
            }
        }
        pieces
    }
}

/// What may follow the grid digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tail {
    /// Only zeros.
    Zero,
    /// Anything (up to the significant-digit limit).
    Any,
    /// At least one non-zero digit.
    NonZero,
}

/// The digits `t` in `from..=to` (both >= 0), followed by `tail`.
struct Piece {
    from: i128,
    to: i128,
    tail: Tail,
}

/// The digits a position may hold.
type Class = (u8, u8);

impl Piece {
    /// One alternative per run of digit strings, by the number of digits
    /// before the point (0 for `0.xxx`).
    fn branches(&self, grid: u32) -> Vec<String> {
        let mut out = Vec::new();
        for integer_digits in 0..=MAX_SIGNIFICANT_DIGITS + 1 {
            let width = integer_digits + grid;
            let first = match integer_digits {
                0 => Some(0),
                _ => 10i128.checked_pow(width - 1),
            };
            let last = 10i128.checked_pow(width).map(|power| power - 1);
            let (Some(first), Some(last)) = (first, last) else {
                break;
            };
            let from = self.from.max(first);
            let to = self.to.min(last);
            if from > to {
                continue;
            }
            let width = width as usize;
            let (from, to) = (format!("{from:0width$}"), format!("{to:0width$}"));
            for classes in fixed_width(from.as_bytes(), to.as_bytes()) {
                let (integer, fraction) = classes.split_at(integer_digits as usize);
                out.extend(render(integer, fraction, self.tail));
            }
        }
        merge(out)
    }
}

/// The strings of one width between `from` and `to` (digit strings of equal
/// length), as sequences of classes.
fn fixed_width(from: &[u8], to: &[u8]) -> Vec<Vec<Class>> {
    let Some((&a, from_rest)) = from.split_first() else {
        return vec![Vec::new()];
    };
    let Some((&b, to_rest)) = to.split_first() else {
        return Vec::new();
    };
    let (a, b) = (a - b'0', b - b'0');
    let prepend = |class: Class, rests: Vec<Vec<Class>>| {
        rests.into_iter().map(move |rest| {
            let mut classes = vec![class];
            classes.extend(rest);
            classes
        })
    };
    if a == b {
        return prepend((a, a), fixed_width(from_rest, to_rest)).collect();
    }
    let zeros = vec![b'0'; from_rest.len()];
    let nines = vec![b'9'; from_rest.len()];
    let any = vec![(0, 9); from_rest.len()];
    let mut out = Vec::new();
    let mut middle = (a, b);
    if from_rest.iter().any(|&digit| digit != b'0') {
        out.extend(prepend((a, a), fixed_width(from_rest, &nines)));
        middle.0 = a + 1;
    }
    let mut upper = Vec::new();
    if to_rest.iter().any(|&digit| digit != b'9') {
        upper.extend(prepend((b, b), fixed_width(&zeros, to_rest)));
        middle.1 = b - 1;
    }
    if middle.0 <= middle.1 {
        let mut classes = vec![middle];
        classes.extend(any.iter().copied());
        out.push(classes);
    }
    out.extend(upper);
    out
}

/// One alternative: the digits before the point (none for `0.xxx`, leading
/// zeros allowed), the grid digits after it (trailing ones optional where
/// they may be zero), then the tail. `None` when no string of this shape
/// can be read exactly.
fn render(integer: &[Class], fraction: &[Class], tail: Tail) -> Option<String> {
    // Digits after the point a Decimal can hold next to these before it.
    let significant = match integer.len() as u32 {
        0 => MAX_SCALE,
        digits => MAX_SIGNIFICANT_DIGITS.saturating_sub(digits),
    } as usize;
    let mut fraction = fraction.to_vec();
    for class in fraction.iter_mut().skip(significant) {
        if class.0 > 0 {
            return None;
        }
        *class = (0, 0);
    }
    let spare = significant.saturating_sub(fraction.len());
    // From the end: `pending` digits of any value that may all be left
    // out, then `rest`; `optional` when all of it may be left out.
    let (mut pending, mut rest, mut optional) = match tail {
        Tail::Zero => (0, "0*".to_owned(), true),
        Tail::Any => (spare, "0*".to_owned(), true),
        Tail::NonZero if spare == 0 => return None,
        Tail::NonZero => (
            0,
            format!("{}[1-9]0*", repeat("[0-9]", 0, spare - 1)),
            false,
        ),
    };
    for (position, &class) in fraction.iter().enumerate().rev() {
        if optional && class == (0, 9) {
            pending += 1;
            continue;
        }
        if optional && pending == 0 && class == (0, 0) && rest == "0*" {
            continue; // `(?:00*)?` is `0*`
        }
        rest = format!("{}{rest}", repeat("[0-9]", 0, pending));
        pending = 0;
        optional = optional && class.0 == 0;
        let body = format!("{}{rest}", class_text(class));
        rest = if optional && position > 0 {
            format!("(?:{body})?")
        } else {
            body
        };
    }
    // After the point there is at least one digit.
    if pending > 0 {
        rest = format!("{}{rest}", repeat("[0-9]", 1, pending));
    } else if optional && rest == "0*" {
        rest = "0+".to_owned();
    }
    let integer = if integer.is_empty() {
        "0+".to_owned()
    } else {
        format!("0*{}", classes_text(integer))
    };
    Some(if optional {
        format!("{integer}(?:\\.{rest})?")
    } else {
        format!("{integer}\\.{rest}")
    })
}

fn class_text((low, high): Class) -> String {
    match (low, high) {
        (0, 9) => "[0-9]".to_owned(),
        _ if low == high => low.to_string(),
        _ => format!("[{low}-{high}]"),
    }
}

/// Classes, with runs written once with a count.
fn classes_text(classes: &[Class]) -> String {
    let mut text = String::new();
    let mut index = 0;
    while index < classes.len() {
        let class = classes[index];
        let run = classes[index..]
            .iter()
            .take_while(|&&other| other == class)
            .count();
        text.push_str(&repeat(&class_text(class), run, run));
        index += run;
    }
    text
}

/// `atom{min,max}`, written as short as it goes.
fn repeat(atom: &str, min: usize, max: usize) -> String {
    match (min, max) {
        (1, 1) => atom.to_owned(),
        (0, 0) => String::new(),
        (0, 1) => format!("{atom}?"),
        _ if min == max => format!("{atom}{{{min}}}"),
        _ => format!("{atom}{{{min},{max}}}"),
    }
}

/// Joins `0*[1-9]X`, `0*[1-9][0-9]X`, `0*[1-9][0-9]{2}X`... (the same `X`,
/// consecutive lengths) into `0*[1-9][0-9]{0,2}X`.
fn merge(branches: Vec<String>) -> Vec<String> {
    fn split(branch: &str) -> Option<(&str, usize, &str)> {
        let sign = "";
        let rest = branch.strip_prefix("0*[1-9]")?;
        let (count, rest) = if let Some(after) = rest.strip_prefix("[0-9]{") {
            let end = after.find('}')?;
            (after[..end].parse().ok()?, &after[end + 1..])
        } else if let Some(after) = rest.strip_prefix("[0-9]") {
            (1, after)
        } else {
            (0, rest)
        };
        // The rest must not start with another digit class.
        if rest.starts_with('[') || rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        Some((sign, count, rest))
    }
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(String, usize, usize, String)> = None;
    let flush = |run: &mut Option<(String, usize, usize, String)>, out: &mut Vec<String>| {
        if let Some((sign, min, max, rest)) = run.take() {
            out.push(format!("{sign}0*[1-9]{}{rest}", repeat("[0-9]", min, max)));
        }
    };
    for branch in branches {
        match (split(&branch), &mut run) {
            (Some((sign, count, rest)), Some((run_sign, _, max, run_rest)))
                if sign == run_sign && rest == run_rest && count == *max + 1 =>
            {
                *max = count;
            }
            (Some((sign, count, rest)), _) => {
                flush(&mut run, &mut out);
                run = Some((sign.to_owned(), count, count, rest.to_owned()));
            }
            (None, _) => {
                flush(&mut run, &mut out);
                out.push(branch);
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::MAX_SIGNIFICANT_DIGITS;
    use crate::parse::{MAX_DECIMAL_TEXT_LEN, parse_decimal};
    use crate::spec::ExcessScale;

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
        let bound = |text: Option<&str>| text.map(|text| text.parse::<Decimal>().unwrap());
        MoneySpec::new_unchecked(precision, scale, bound(min), bound(max), mode)
    }

    /// What the deserializer accepts, by definition.
    fn accepts(spec: &MoneySpec, text: &str) -> bool {
        if text.len() > MAX_DECIMAL_TEXT_LEN {
            return false;
        }
        let Ok(value) = parse_decimal(text) else {
            return false;
        };
        if value.normalize().mantissa().unsigned_abs() >= 10u128.pow(MAX_SIGNIFICANT_DIGITS) {
            return false;
        }
        let stored = spec.stored_value(value);
        spec.rules().all(|rule| rule.holds(stored))
    }

    fn specs() -> Vec<MoneySpec> {
        vec![
            spec(19, 4, None, None, false),
            spec(19, 4, None, None, true),
            spec(19, 4, Some("0"), None, false),
            spec(19, 4, Some("0"), Some("9999999999999.9999"), true),
            spec(10, 0, None, None, false),
            spec(10, 0, Some("-500"), Some("500"), true),
            spec(28, 0, None, None, false),
            spec(28, 0, None, None, true),
            spec(28, 28, None, Some("0.5"), false),
            spec(28, 10, None, None, true),
            spec(28, 14, Some("-99999999999999.99999999999999"), None, false),
            spec(1, 0, None, None, false),
            spec(4, 4, Some("-0.5"), Some("0.9999"), true),
            spec(12, 2, Some("0.01"), Some("1000000"), false),
            spec(18, 8, Some("0.00000001"), None, true),
            spec(5, 2, Some("-3.5"), Some("-1.25"), true),
            spec(5, 2, Some("1.25"), Some("3.5"), true),
            spec(3, 1, Some("0"), Some("0"), true),
            spec(6, 3, Some("-0.001"), Some("0.001"), false),
        ]
    }

    /// Texts near every edge of `spec`: its bounds and their neighbours at
    /// the scale and at the rounding midpoints, written with leading and
    /// trailing zeros and signs, plus random digit strings.
    fn texts(spec: &MoneySpec, rng: &mut fastrand::Rng) -> Vec<String> {
        let scale = spec.scale();
        let unit = Decimal::new(1, scale);
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
        let mut values = Vec::new();
        for anchor in anchors {
            for offset in [Decimal::ZERO, unit, unit / Decimal::TWO] {
                for step in [Decimal::ZERO, Decimal::new(1, (scale + 2).min(28))] {
                    for value in [
                        anchor + offset + step,
                        anchor - offset - step,
                        anchor + offset - step,
                        anchor - offset + step,
                    ] {
                        values.push(value);
                    }
                }
            }
        }
        let mut texts: Vec<String> = Vec::new();
        for value in values {
            let plain = value.to_string();
            texts.push(plain.clone());
            texts.push(canonical_text(&plain, 3));
            texts.push(format!("00{}", plain.trim_start_matches('-')));
            if value.is_zero() {
                texts.push(format!("-{plain}"));
            }
        }
        let alphabet = b"0123456789.-";
        for _ in 0..20_000 {
            let length = rng.usize(1..40);
            let mut text = String::new();
            if rng.bool() {
                text.push('-');
            }
            let integer = rng.usize(1..length.min(31) + 1);
            for _ in 0..integer {
                text.push(char::from(b'0' + rng.u8(0..10)));
            }
            if rng.u8(0..4) > 0 {
                text.push('.');
                for _ in 0..rng.usize(0..32) {
                    let digit = if rng.u8(0..3) == 0 {
                        b'0'
                    } else {
                        b'0' + rng.u8(0..10)
                    };
                    text.push(char::from(digit));
                }
            }
            if rng.u8(0..50) == 0 {
                let at = rng.usize(0..=text.len());
                text.insert(at, char::from(alphabet[rng.usize(0..alphabet.len())]));
            }
            texts.push(text);
        }
        texts.push(format!("1.{}", "0".repeat(40)));
        texts.push(format!("0.{}1", "0".repeat(27)));
        texts.push(format!("0.{}1", "0".repeat(28)));
        texts.push("1.".to_owned());
        texts.push(".5".to_owned());
        texts.push("".to_owned());
        texts
    }

    fn canonical_text(plain: &str, zeros: usize) -> String {
        if plain.contains('.') {
            format!("{plain}{}", "0".repeat(zeros))
        } else {
            format!("{plain}.{}", "0".repeat(zeros))
        }
    }

    #[test]
    fn the_pattern_accepts_exactly_what_the_deserializer_accepts() {
        let mut rng = fastrand::Rng::with_seed(0x005E_ED0F_4A50);
        let mut checked = 0;
        for spec in specs() {
            let pattern = amount_pattern(&spec);
            let regex = regex::Regex::new(&pattern).unwrap();
            let mut accepted = 0;
            for text in texts(&spec, &mut rng) {
                let expected = accepts(&spec, &text);
                assert_eq!(
                    regex.is_match(&text),
                    expected,
                    "{spec:?}\ntext {text:?}: deserializer {}\npattern {pattern}",
                    if expected { "accepts" } else { "refuses" }
                );
                accepted += usize::from(expected);
                checked += 1;
            }
            assert!(
                accepted > 0,
                "{spec:?}: nothing accepted, the test proves little"
            );
        }
        assert!(checked > 300_000);
    }
}

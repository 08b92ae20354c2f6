//! PostgreSQL `numeric` to [`Decimal`], exactly (the sqlx glue built on it
//! is in `db`, feature `postgres`).
//!
//! sqlx's own `Decimal` decode can keep a stored scale above 28, and binding
//! such a value back panics inside sqlx; it also builds the value from
//! powers of 10,000 in `Decimal` arithmetic. This decoder reads the base
//! 10,000 digits into an integer mantissa, refuses what a `Decimal` cannot
//! hold exactly (NaN, infinities, more than 28 significant digits after the
//! point, magnitudes of 2^96 and more), drops trailing zeros past scale 28,
//! and never panics, whatever the bytes.

use rust_decimal::Decimal;

use crate::StoredAmountError;
use crate::parse::ParseDecimalError;

const SIGN_POSITIVE: u16 = 0x0000;
const SIGN_NEGATIVE: u16 = 0x4000;
const SIGN_NAN: u16 = 0xC000;
const SIGN_POSITIVE_INFINITY: u16 = 0xD000;
const SIGN_NEGATIVE_INFINITY: u16 = 0xF000;
const DECIMAL_MAX_MANTISSA: u128 = (1 << 96) - 1;
const DECIMAL_MAX_SCALE: u32 = money_spec_core::MAX_SCALE;

/// Decodes PostgreSQL's binary `numeric` (`ndigits`, `weight`, `sign`,
/// `dscale`, then `ndigits` base-10,000 digits, all big-endian `i16`/`u16`)
/// into the exact [`Decimal`], with the stored display scale where a
/// `Decimal` can carry it (`1.20000` keeps scale 5).
///
/// ```
/// use money_core::pg::decode_numeric_binary;
/// // 123.4500: ndigits 2, weight 0, positive, dscale 4, digits 123 and 4500.
/// let bytes = [0, 2, 0, 0, 0, 0, 0, 4, 0, 123, 0x11, 0x94];
/// assert_eq!(decode_numeric_binary(&bytes).unwrap().to_string(), "123.4500");
/// ```
pub fn decode_numeric_binary(bytes: &[u8]) -> Result<Decimal, StoredAmountError> {
    let header = bytes.get(..8).ok_or(StoredAmountError::Malformed(
        "shorter than its 8-byte header",
    ))?;
    let word = |index: usize| u16::from_be_bytes([header[index], header[index + 1]]);
    let ndigits = word(0) as i16;
    let weight = i32::from(word(2) as i16);
    let sign = word(4);
    let display_scale = u32::from(word(6));
    match sign {
        SIGN_POSITIVE | SIGN_NEGATIVE => {}
        SIGN_NAN => return Err(StoredAmountError::NaN),
        SIGN_POSITIVE_INFINITY | SIGN_NEGATIVE_INFINITY => {
            return Err(StoredAmountError::Infinite);
        }
        _ => return Err(StoredAmountError::Malformed("unknown sign")),
    }
    if ndigits < 0 || display_scale > 0x3FFF {
        return Err(StoredAmountError::Malformed(
            "negative digit count or scale",
        ));
    }
    let digits = &bytes[8..];
    if digits.len() != ndigits as usize * 2 {
        return Err(StoredAmountError::Malformed(
            "digit count does not match the length",
        ));
    }
    // value = mantissa * 10^exponent, exactly, in integers.
    let mut mantissa: u128 = 0;
    for pair in digits.chunks_exact(2) {
        let digit = u16::from_be_bytes([pair[0], pair[1]]);
        if digit >= 10_000 {
            return Err(StoredAmountError::Malformed(
                "a base-10000 digit above 9999",
            ));
        }
        // An exact Decimal has at most 3 trailing zeros in its last group:
        // past 2^96 * 10^4 nothing can be exact. Checked after each step, so
        // the mantissa stays below 2^110 and `* 10_000` cannot overflow.
        mantissa = mantissa * 10_000 + u128::from(digit);
        if mantissa > DECIMAL_MAX_MANTISSA * 10_000 {
            return Err(StoredAmountError::Inexact);
        }
    }
    let exponent = 4 * (weight - (i32::from(ndigits) - 1));
    assemble(mantissa, exponent, display_scale, sign == SIGN_NEGATIVE)
}

/// The value `±mantissa * 10^exponent` as a [`Decimal`] with the stored
/// display scale where a `Decimal` can carry it, shared by the binary and
/// the text decoder so that both give the same value and the same scale.
///
/// `mantissa` may carry trailing zeros (binary base-10,000 groups) and may
/// exceed 96 bits by those zeros; it is at most `2^96 * 10^4`.
fn assemble(
    mut mantissa: u128,
    mut exponent: i32,
    display_scale: u32,
    negative: bool,
) -> Result<Decimal, StoredAmountError> {
    // The display scale is the scale PostgreSQL stored (`12.5` has 1 even
    // though its last base-10000 group is `5000`); a Decimal keeps it where
    // it can, up to 28.
    let target_scale = display_scale.min(DECIMAL_MAX_SCALE);
    if mantissa == 0 {
        return Ok(Decimal::from_parts(0, 0, 0, false, target_scale));
    }
    // Drop trailing zeros down to the display scale, and further while the
    // value needs more than 28 places or more than 96 bits.
    while exponent < 0
        && mantissa.is_multiple_of(10)
        && (exponent.unsigned_abs() > target_scale || mantissa > DECIMAL_MAX_MANTISSA)
    {
        mantissa /= 10;
        exponent += 1;
    }
    while exponent > 0 {
        mantissa = mantissa.checked_mul(10).ok_or(StoredAmountError::Inexact)?;
        exponent -= 1;
        if mantissa > DECIMAL_MAX_MANTISSA {
            return Err(StoredAmountError::Inexact);
        }
    }
    let mut scale = exponent.unsigned_abs();
    if scale > DECIMAL_MAX_SCALE || mantissa > DECIMAL_MAX_MANTISSA {
        return Err(StoredAmountError::Inexact);
    }
    // Restore trailing zeros of the display scale that fit.
    while scale < target_scale {
        match mantissa.checked_mul(10) {
            Some(wider) if wider <= DECIMAL_MAX_MANTISSA => {
                mantissa = wider;
                scale += 1;
            }
            _ => break,
        }
    }
    Ok(Decimal::from_parts(
        mantissa as u32,
        (mantissa >> 32) as u32,
        (mantissa >> 64) as u32,
        negative,
        scale,
    ))
}

/// Appends `value` in PostgreSQL's binary `numeric` form, exactly as the
/// server's `numeric_send` writes the same number with the same display
/// scale: `ndigits`, `weight`, `sign`, `dscale` (the `Decimal`'s scale),
/// then the base-10,000 digits without leading or trailing zero groups.
/// Zero (and `-0`) is positive with no digits. The exact inverse of
/// [`decode_numeric_binary`]: decoding the bytes gives back `value`, scale
/// included. Returns the number of bytes written.
///
/// ```
/// use money_core::Decimal;
/// use money_core::pg::{decode_numeric_binary, encode_numeric_binary};
/// let mut bytes = Vec::new();
/// encode_numeric_binary(Decimal::new(1_234_500, 4), &mut bytes);
/// assert_eq!(bytes, [0, 2, 0, 0, 0, 0, 0, 4, 0, 123, 0x11, 0x94]);
/// assert_eq!(decode_numeric_binary(&bytes).unwrap().to_string(), "123.4500");
/// ```
pub fn encode_numeric_binary(value: Decimal, out: &mut Vec<u8>) -> usize {
    let scale = value.scale();
    let mantissa = value.mantissa().unsigned_abs();
    // Shift so that the point falls between two base-10,000 digits: at most
    // 2^96 * 1000 < 2^106, no overflow.
    let pad = (4 - scale % 4) % 4;
    let mut shifted = mantissa * 10_u128.pow(pad);
    let fraction_groups = ((scale + pad) / 4) as i32;
    // Base-10,000 digits, least significant first (at most 8 for 2^106).
    let mut groups = [0_u16; 8];
    let mut count = 0;
    while shifted > 0 {
        groups[count] = (shifted % 10_000) as u16;
        shifted /= 10_000;
        count += 1;
    }
    // Leading zero groups cannot occur (the loop stops at the highest
    // non-zero one); trailing ones are dropped, as `numeric_send` does.
    let mut lowest = 0;
    while lowest < count && groups[lowest] == 0 {
        lowest += 1;
    }
    let ndigits = count - lowest;
    let (weight, sign) = if ndigits == 0 {
        (0_i16, SIGN_POSITIVE)
    } else {
        let weight = count as i32 - fraction_groups - 1;
        let sign = if value.is_sign_negative() {
            SIGN_NEGATIVE
        } else {
            SIGN_POSITIVE
        };
        (weight as i16, sign)
    };
    let start = out.len();
    out.extend_from_slice(&(ndigits as u16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&(scale as u16).to_be_bytes());
    for group in groups[lowest..count].iter().rev() {
        out.extend_from_slice(&group.to_be_bytes());
    }
    out.len() - start
}

/// Decodes PostgreSQL's text `numeric` output (also MariaDB/MySQL's
/// `DECIMAL` text) exactly, to the same value and scale as
/// [`decode_numeric_binary`] gives for the same stored value.
///
/// The text is the server's own rendering, so its length is not capped the
/// way [`parse_decimal`](crate::parse_decimal)'s untrusted input is: a `numeric(300, 200)` column
/// prints `0.1` with 200 digits after the point, and that is exactly `0.1`.
/// Nothing is allocated, whatever the length: leading zeros of the whole
/// part and trailing zeros of the fraction are skipped, and the digits left
/// must fit a `Decimal` (else [`StoredAmountError::Inexact`]).
///
/// ```
/// use money_core::pg::decode_numeric_text;
/// let long = format!("0.1{}", "0".repeat(199));
/// assert_eq!(decode_numeric_text(&long).unwrap().to_string(), "0.1000000000000000000000000000");
/// assert!(decode_numeric_text("NaN").is_err());
/// ```
pub fn decode_numeric_text(text: &str) -> Result<Decimal, StoredAmountError> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if unsigned.eq_ignore_ascii_case("nan") {
        return Err(StoredAmountError::NaN);
    }
    if unsigned.eq_ignore_ascii_case("infinity") || unsigned.eq_ignore_ascii_case("inf") {
        return Err(StoredAmountError::Infinite);
    }
    if text.is_empty() {
        return Err(StoredAmountError::Text(ParseDecimalError::Empty));
    }
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || (fraction.is_empty() && unsigned.ends_with('.'))
    {
        return Err(StoredAmountError::Text(ParseDecimalError::Syntax));
    }
    let significant_whole = whole.trim_start_matches('0');
    let significant_fraction = fraction.trim_end_matches('0');
    // Digits beyond what 96 bits hold are inexact, whatever follows; the
    // bound keeps the loop below short for any input length.
    if significant_whole.len() + significant_fraction.len() > 29
        || significant_fraction.len() > DECIMAL_MAX_SCALE as usize
    {
        return Err(StoredAmountError::Inexact);
    }
    let mut mantissa: u128 = 0;
    for digit in significant_whole
        .bytes()
        .chain(significant_fraction.bytes())
    {
        mantissa = mantissa * 10 + u128::from(digit - b'0');
    }
    if mantissa > DECIMAL_MAX_MANTISSA {
        return Err(StoredAmountError::Inexact);
    }
    // The display scale is the number of digits printed after the point;
    // anything past 28 only says "more than a Decimal keeps".
    let display_scale = u32::try_from(fraction.len()).unwrap_or(u32::MAX);
    let exponent = -(significant_fraction.len() as i32);
    assemble(mantissa, exponent, display_scale, negative && mantissa != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes like PostgreSQL's `numeric_send`, from a decimal string.
    fn numeric_send(text: &str) -> Vec<u8> {
        let (sign, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (SIGN_NEGATIVE, rest),
            None => (SIGN_POSITIVE, text),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let display_scale = fraction.len() as u16;
        let whole = whole.trim_start_matches('0');
        let pad_whole = (4 - whole.len() % 4) % 4;
        let pad_fraction = (4 - fraction.len() % 4) % 4;
        let all = format!(
            "{}{whole}{fraction}{}",
            "0".repeat(pad_whole),
            "0".repeat(pad_fraction)
        );
        let mut groups: Vec<u16> = all
            .as_bytes()
            .chunks(4)
            .map(|chunk| {
                std::str::from_utf8(chunk)
                    .expect("ascii")
                    .parse()
                    .expect("digits")
            })
            .collect();
        let mut weight = ((pad_whole + whole.len()) / 4) as i16 - 1;
        while groups.first() == Some(&0) {
            groups.remove(0);
            weight -= 1;
        }
        while groups.last() == Some(&0) {
            groups.pop();
        }
        if groups.is_empty() {
            weight = 0;
        }
        let mut bytes = Vec::new();
        for word in [groups.len() as u16, weight as u16, sign, display_scale] {
            bytes.extend(word.to_be_bytes());
        }
        for group in groups {
            bytes.extend(group.to_be_bytes());
        }
        bytes
    }

    #[test]
    fn decodes_exactly_with_the_stored_scale() {
        for text in [
            "0",
            "1",
            "-1",
            "123.4500",
            "1.20000",
            "0.0001",
            "-0.0000000000000000000000000001",
            "10000",
            "79228162514264337593543950335",
            "7922816251426433759354395033.5",
            "0.0000000000000000000000000005",
            "12345678901234567890.12345678",
            "12.5",
            "0.123",
            "0.0000",
            "-7.10",
            "1234567890123456789.012345678",
            "999999999999999999.9999999999",
        ] {
            let decoded = decode_numeric_binary(&numeric_send(text)).expect(text);
            assert_eq!(
                decoded.to_string(),
                Decimal::from_str_exact(text).expect(text).to_string(),
                "{text}"
            );
        }
    }

    #[test]
    fn more_than_28_places_of_trailing_zeros_are_dropped() {
        let text = format!("0.1{}", "0".repeat(28));
        let decoded = decode_numeric_binary(&numeric_send(&text)).expect("exact");
        assert_eq!(decoded, Decimal::new(1, 1));
        assert_eq!(decoded.scale(), 28);
        let one = format!("1.{}", "0".repeat(40));
        assert_eq!(decode_numeric_binary(&numeric_send(&one)), Ok(Decimal::ONE));
    }

    #[test]
    fn refuses_what_a_decimal_cannot_hold() {
        for text in [
            "0.00000000000000000000000000001",
            "79228162514264337593543950336",
            "1e40",
        ] {
            let bytes = if text == "1e40" {
                numeric_send(&format!("1{}", "0".repeat(40)))
            } else {
                numeric_send(text)
            };
            assert_eq!(
                decode_numeric_binary(&bytes),
                Err(StoredAmountError::Inexact),
                "{text}"
            );
        }
        let nan = [0, 0, 0, 0, 0xC0, 0, 0, 0];
        assert_eq!(decode_numeric_binary(&nan), Err(StoredAmountError::NaN));
        let infinity = [0, 0, 0, 0, 0xD0, 0, 0, 0];
        assert_eq!(
            decode_numeric_binary(&infinity),
            Err(StoredAmountError::Infinite)
        );
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut rng_state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            rng_state ^= rng_state << 13;
            rng_state ^= rng_state >> 7;
            rng_state ^= rng_state << 17;
            rng_state
        };
        for _ in 0..200_000 {
            let len = (next() % 40) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = decode_numeric_binary(&bytes);
            // Plausible headers with random digits reach the arithmetic.
            let ndigits = (next() % 12) as u16;
            let mut plausible = Vec::new();
            for word in [
                ndigits,
                (next() % 20) as u16 ^ (0xFFF0 * (next() % 2) as u16),
                0,
                (next() % 40) as u16,
            ] {
                plausible.extend(word.to_be_bytes());
            }
            for _ in 0..ndigits {
                plausible.extend(((next() % 10_000) as u16).to_be_bytes());
            }
            if let Ok(value) = decode_numeric_binary(&plausible) {
                assert!(value.scale() <= 28);
            }
        }
    }

    /// A random `Decimal`: any 96-bit mantissa, or a short one, any scale
    /// from 0 to 28, either sign.
    fn random_decimal() -> Decimal {
        let mantissa: u128 = match fastrand::u8(0..4) {
            0 => fastrand::u128(..1 << 96),
            1 => fastrand::u128(..100_000),
            2 => fastrand::u128(..1_000_000_000_000) * 10_u128.pow(fastrand::u32(0..8)),
            _ => 10_u128.pow(fastrand::u32(0..28)),
        };
        Decimal::from_parts(
            mantissa as u32,
            (mantissa >> 32) as u32,
            (mantissa >> 64) as u32,
            fastrand::bool(),
            fastrand::u32(0..=28),
        )
    }

    #[test]
    fn encode_is_the_exact_inverse_of_decode() {
        for _ in 0..200_000 {
            let value = random_decimal();
            let mut bytes = Vec::new();
            let written = encode_numeric_binary(value, &mut bytes);
            assert_eq!(written, bytes.len());
            let decoded = decode_numeric_binary(&bytes).expect("decodes");
            assert_eq!(decoded, value, "{value}");
            assert_eq!(decoded.scale(), value.scale(), "{value}");
            // The same bytes as `numeric_send` of the same number (PostgreSQL
            // has no negative zero).
            if !value.is_zero() {
                assert_eq!(bytes, numeric_send(&value.to_string()), "{value}");
            }
            // And decoding then encoding gives the bytes back.
            let mut again = Vec::new();
            encode_numeric_binary(decoded, &mut again);
            assert_eq!(again, bytes, "{value}");
        }
    }

    #[test]
    fn encode_writes_zero_as_positive_with_no_digits() {
        for value in [Decimal::ZERO, Decimal::new(0, 4), Decimal::new(-0, 2)] {
            let mut bytes = Vec::new();
            encode_numeric_binary(value, &mut bytes);
            let scale = value.scale() as u8;
            assert_eq!(bytes, [0, 0, 0, 0, 0, 0, 0, scale]);
        }
        let mut negative_zero = Vec::new();
        encode_numeric_binary(-Decimal::new(0, 3), &mut negative_zero);
        assert_eq!(negative_zero, [0, 0, 0, 0, 0, 0, 0, 3]);
        let mut max = Vec::new();
        encode_numeric_binary(Decimal::MAX, &mut max);
        assert_eq!(decode_numeric_binary(&max), Ok(Decimal::MAX));
        assert_eq!(max, numeric_send("79228162514264337593543950335"));
    }

    #[test]
    fn text_format() {
        assert_eq!(decode_numeric_text("12.50"), Ok(Decimal::new(1250, 2)));
        assert_eq!(decode_numeric_text("NaN"), Err(StoredAmountError::NaN));
        assert_eq!(
            decode_numeric_text("-Infinity"),
            Err(StoredAmountError::Infinite)
        );
        assert_eq!(
            decode_numeric_text("0.00000000000000000000000000001"),
            Err(StoredAmountError::Inexact)
        );
    }

    #[test]
    fn text_from_the_server_is_not_capped_in_length() {
        let long = format!("0.1{}", "0".repeat(199));
        let decoded = decode_numeric_text(&long).expect("exact");
        assert_eq!(decoded, Decimal::new(1, 1));
        assert_eq!(decoded.scale(), 28);
        let negative = format!("-7.25{}", "0".repeat(988));
        assert_eq!(decode_numeric_text(&negative), Ok(Decimal::new(-725, 2)));
        let huge_zeros = format!("{}1.5", "0".repeat(1 << 20));
        assert_eq!(decode_numeric_text(&huge_zeros), Ok(Decimal::new(15, 1)));
        let inexact = format!("0.{}1", "0".repeat(1 << 20));
        assert_eq!(
            decode_numeric_text(&inexact),
            Err(StoredAmountError::Inexact)
        );
        for (text, error) in [
            ("", ParseDecimalError::Empty),
            ("-", ParseDecimalError::Syntax),
            ("1.", ParseDecimalError::Syntax),
            (".5", ParseDecimalError::Syntax),
            ("1e3", ParseDecimalError::Syntax),
            (" 1", ParseDecimalError::Syntax),
            ("+1", ParseDecimalError::Syntax),
        ] {
            assert_eq!(
                decode_numeric_text(text),
                Err(StoredAmountError::Text(error)),
                "{text:?}"
            );
        }
    }

    /// The two formats of one stored value decode to the same `Decimal`,
    /// scale included, or to the same error: the text is what
    /// `numeric_out` prints (every digit of the display scale), the bytes
    /// what `numeric_send` sends.
    #[test]
    fn text_and_binary_agree_on_every_value() {
        let mut rng_state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            rng_state ^= rng_state << 13;
            rng_state ^= rng_state >> 7;
            rng_state ^= rng_state << 17;
            rng_state
        };
        let digit_string = |next: &mut dyn FnMut() -> u64, len: usize| -> String {
            (0..len)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect()
        };
        for round in 0..100_000 {
            let whole_len = (next() % 32) as usize;
            let fraction_len = match round % 4 {
                0 => (next() % 8) as usize,
                1 => (next() % 32) as usize,
                2 => 28 + (next() % 4) as usize,
                _ => (next() % 1200) as usize,
            };
            let mut whole = digit_string(&mut next, whole_len);
            let mut fraction = digit_string(&mut next, fraction_len.min(40));
            // Mostly zeros after the random part, as a wide declared scale
            // prints them; sometimes a last non-zero digit far out.
            fraction.push_str(&"0".repeat(fraction_len.saturating_sub(40)));
            if round % 7 == 0 && fraction_len > 40 {
                fraction.pop();
                fraction.push('3');
            }
            if round % 5 == 0 {
                fraction = fraction.trim_end_matches(|_| next() % 3 == 0).to_owned();
            }
            let whole_significant = whole.trim_start_matches('0');
            whole = if whole_significant.is_empty() {
                "0".to_owned()
            } else {
                whole_significant.to_owned()
            };
            let sign = if next() % 2 == 0 { "-" } else { "" };
            let zero = whole == "0" && fraction.bytes().all(|byte| byte == b'0');
            let sign = if zero { "" } else { sign };
            let text = if fraction.is_empty() {
                format!("{sign}{whole}")
            } else {
                format!("{sign}{whole}.{fraction}")
            };
            let from_text = decode_numeric_text(&text);
            let from_binary = decode_numeric_binary(&numeric_send(&text));
            assert_eq!(
                from_text.map(|value| (value, value.scale())),
                from_binary.map(|value| (value, value.scale())),
                "{text}"
            );
        }
    }
}

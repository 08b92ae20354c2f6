//! No panic through the public API, whatever the values (issue 15, item 5):
//! every public function that takes plain values runs here on generated
//! ones, extremes included. A panic fails the test with the input that
//! caused it in the message of the panic itself.

use money_core::naming::{constraint_name, foreign_key_name, primary_key_name, unique_key_name};
use money_core::{Currency, Decimal, MoneyValue, Rule, parse_decimal, round_like_database};

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 4, scale = 2, min = "-1", max = "1")]
struct Narrow(Decimal);

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 28, scale = 28, on_excess_scale = "round")]
struct AllFraction(Decimal);

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 28, scale = 0, on_excess_scale = "round")]
struct Whole(Decimal);

/// A random `Decimal`, from every region: zero, tiny, huge, `MAX`/`MIN`,
/// any scale 0..=28.
fn decimal(rng: &mut fastrand::Rng) -> Decimal {
    match rng.u8(0..8) {
        0 => Decimal::MAX,
        1 => Decimal::MIN,
        2 => Decimal::ZERO,
        3 => Decimal::from_parts(rng.u32(..), 0, 0, rng.bool(), rng.u32(0..=28)),
        _ => Decimal::from_parts(
            rng.u32(..),
            rng.u32(..),
            rng.u32(..),
            rng.bool(),
            rng.u32(0..=28),
        ),
    }
}

/// A random string: ASCII, digits and signs, multi-byte characters, long.
fn text(rng: &mut fastrand::Rng) -> String {
    const PIECES: &[&str] = &[
        "0",
        "1",
        "9",
        ".",
        "-",
        "+",
        "e",
        "E",
        " ",
        "_",
        "é",
        "€",
        "日本",
        "𝟘",
        "\u{0}",
        "\"",
        "`",
        "'",
        "a",
        "Z",
        "NaN",
        "inf",
        "USD",
        "000000000000",
    ];
    let length = match rng.u8(0..10) {
        0 => rng.usize(100..400),
        _ => rng.usize(0..12),
    };
    (0..length)
        .map(|_| PIECES[rng.usize(..PIECES.len())])
        .collect()
}

fn rule(rng: &mut fastrand::Rng) -> Rule {
    match rng.u8(0..6) {
        0 => Rule::Digits {
            precision: rng.u32(0..=40),
            scale: rng.u32(0..=40),
            bound: decimal(rng),
        },
        1 => Rule::Scale {
            scale: rng.u32(0..=40),
        },
        2 => Rule::Min(decimal(rng)),
        3 => Rule::Max(decimal(rng)),
        4 => Rule::MinorUnits {
            scale: rng.u32(0..=40),
            currency_column: "currency",
        },
        _ => Rule::Currency,
    }
}

#[test]
fn public_functions_take_any_value_without_panicking() {
    let mut rng = fastrand::Rng::with_seed(0x006d_6f6e_6579);
    let codes: Vec<&str> = Currency::all().map(Currency::code).collect();
    for _ in 0..50_000 {
        let value = decimal(&mut rng);
        let scale = rng.u32(0..=40);
        let rounded = round_like_database(value, scale);
        assert!(rounded.scale() <= value.scale().max(scale));

        let rule = rule(&mut rng);
        let _ = rule.holds(value);
        let code = if rng.bool() {
            codes[rng.usize(..codes.len())].to_owned()
        } else {
            text(&mut rng)
        };
        let _ = rule.holds_for(value, Some(&code));
        let _ = rule.holds_for(value, None);
        let _ = rule.holds_for_code(&code);
        let _ = (rule.to_string(), rule.kind(), rule.kind().suffix());

        let input = text(&mut rng);
        if let Err(error) = parse_decimal(&input) {
            let _ = error.to_string();
        }
        // A value type's constructors: errors are values, never panics.
        let _ = Narrow::new(value).map_err(|error| error.to_string());
        let _ = AllFraction::new(value).map_err(|error| error.to_string());
        let _ = Whole::new(value).map(|whole| whole.to_string());
        let _ = input.parse::<Narrow>().map_err(|error| error.to_string());
        let _ = input
            .parse::<AllFraction>()
            .map(|amount| amount.to_string());
        let _ = value.to_string().parse::<Whole>();
        let _ = Currency::from_code(&input).map(Currency::minor_units);

        let (table, column) = (text(&mut rng), text(&mut rng));
        for name in [
            constraint_name(&table, &column, rule.kind().suffix()),
            primary_key_name(&table),
            unique_key_name(&table, &[&column, &input]),
            foreign_key_name(&table, &[&column]),
        ] {
            // PostgreSQL's limit: 63 bytes, cut on a character boundary.
            assert!(name.len() <= 63, "{name:?}");
        }
    }
}

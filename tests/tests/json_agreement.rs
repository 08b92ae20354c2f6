//! The JSON proof, over the spec matrix of the differential tests: for
//! generated texts the deserializer accepts exactly what `validate()`
//! accepts, a JSON Schema validator (the `jsonschema` crate) built from the
//! generated schema agrees with both, and serializing then deserializing a
//! valid value gives it back.

use money_core::json::{
    MAX_SIGNIFICANT_DIGITS, amount_schema, canonical, deserialize_field, serialize_field,
};
use money_core::{Decimal, MoneySpec};
use money_tests::matrix::{cases, values_for};

/// The texts tried for one value: as `Display` writes it, canonical, with
/// leading zeros, with trailing zeros, and `-0` forms of zero.
fn texts(value: Decimal, scale: u32) -> Vec<String> {
    let plain = value.to_string();
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(digits) => ("-", digits),
        None => ("", plain.as_str()),
    };
    let mut texts = vec![
        plain.clone(),
        canonical(value, scale).to_string(),
        format!("{sign}00{digits}"),
    ];
    texts.push(if plain.contains('.') {
        format!("{plain}000")
    } else {
        format!("{plain}.000")
    });
    if value.is_zero() {
        texts.push(format!("-{digits}"));
    }
    texts
}

fn read(text: &str, spec: &MoneySpec) -> Result<Decimal, serde_json::Error> {
    let document = serde_json::to_string(text).unwrap();
    let mut deserializer = serde_json::Deserializer::from_str(&document);
    deserialize_field::<Decimal, _>(&mut deserializer, spec, "amount")
}

fn significant_digits(value: Decimal) -> u32 {
    let mantissa = value.normalize().mantissa().unsigned_abs();
    mantissa.checked_ilog10().map_or(1, |log| log + 1)
}

#[test]
fn deserializer_schema_and_validate_agree_and_valid_values_round_trip() {
    let mut tried = 0usize;
    let mut accepted = 0usize;
    let mut too_long = 0usize;
    let mut round_trips = 0usize;
    let cases = cases();
    for (index, case) in cases.iter().enumerate() {
        let spec = case.spec();
        let schema = serde_json::to_value(amount_schema(spec, false)).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        for value in values_for(index, spec) {
            let valid = (case.validate)(value).is_ok();
            let representable = significant_digits(value) <= MAX_SIGNIFICANT_DIGITS;
            for text in texts(value, spec.scale()) {
                tried += 1;
                let read = read(&text, spec);
                let schema_says = validator.is_valid(&serde_json::Value::String(text.clone()));
                // JSON amounts have at most 28 significant digits, a format
                // rule the schema states too; below that, validate() decides.
                let expected = valid && representable;
                assert_eq!(
                    read.is_ok(),
                    expected,
                    "{}: {text:?}: validate {valid}, representable {representable}, deserializer {read:?}",
                    case.name()
                );
                assert_eq!(
                    schema_says,
                    expected,
                    "{}: {text:?}: the schema disagrees (deserializer {read:?})\n{schema}",
                    case.name()
                );
                if let Ok(read) = read {
                    assert_eq!(
                        read,
                        value,
                        "{}: {text:?} read as another value",
                        case.name()
                    );
                    accepted += 1;
                }
                if valid && !representable {
                    too_long += 1;
                }
            }
            if valid && representable {
                let mut out = Vec::new();
                serialize_field(&value, spec, &mut serde_json::Serializer::new(&mut out)).unwrap();
                let written: String = serde_json::from_slice(&out).unwrap();
                assert_eq!(written, canonical(value, spec.scale()).to_string());
                assert_eq!(
                    self::read(&written, spec).unwrap(),
                    value,
                    "{}: {written}",
                    case.name()
                );
                round_trips += 1;
            }
        }
    }
    eprintln!(
        "json agreement: {} specs, {tried} texts tried, {accepted} accepted, {round_trips} round trips, \
         {too_long} valid values refused for more than 28 significant digits, 0 disagreements",
        cases.len()
    );
    assert!(tried > 100_000 && accepted > 10_000 && round_trips > 5_000);
}

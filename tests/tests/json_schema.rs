//! The JSON Schema of a `#[money(serde)]` model: the serde names, amounts as
//! strings with their pattern and bounds, what is required, and a validator
//! built from it that agrees with the deserializer on whole documents.

use money_core::{Decimal, MoneyModel, MoneyValue};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 12, scale = 2, min = "0")]
struct Fee(Decimal);

/// A settlement.
#[derive(Debug, MoneyModel)]
#[money(table = "settlements", serde, json_schema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Settlement {
    settlement_id: i64,
    /// What was settled.
    #[money(precision = 19, scale = 4, min = "0.0001")]
    amount: Decimal,
    #[money(precision = 19, scale = 4, max = "0")]
    adjustment: Option<Decimal>,
    fee: Fee,
}

fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Settlement)).unwrap()
}

#[test]
fn amounts_are_strings_with_pattern_and_bounds_under_their_json_names() {
    let schema = schema();
    assert_eq!(schema["title"], "Settlement");
    let properties = &schema["properties"];
    let amount = &properties["amount"];
    assert_eq!(amount["type"], "string");
    assert_eq!(amount["x-minimum"], "0.0001");
    assert_eq!(amount["x-maximum"], "999999999999999.9999");
    assert_eq!(amount["maxLength"], 100);
    assert!(amount["pattern"].as_str().unwrap().starts_with('^'));
    assert_eq!(properties["adjustment"]["type"], json!(["string", "null"]));
    assert_eq!(properties["adjustment"]["x-maximum"], "0.0000");
    assert_eq!(properties["settlementId"]["type"], "integer");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect();
    assert_eq!(required, ["settlementId", "amount", "fee"]);
    // The value type is a definition of its own, referenced.
    let fee = &schema["$defs"]["Fee"];
    assert_eq!(fee["type"], "string");
    assert_eq!(fee["x-minimum"], "0.00");
}

#[test]
fn the_schema_and_the_deserializer_agree_on_documents() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let base = json!({"settlementId": 1, "amount": "10.5", "fee": "0.25"});
    let mut documents = vec![base.clone()];
    for (key, values) in [
        (
            "amount",
            vec![
                json!("0"),
                json!("0.0001"),
                json!("0.00005"),
                json!("-1"),
                json!("1.23456"),
                json!("1.20000"),
                json!("999999999999999.9999"),
                json!("1000000000000000"),
                json!(" 1"),
                json!("1e3"),
                json!(null),
                json!("NaN"),
                json!(""),
            ],
        ),
        (
            "adjustment",
            vec![
                json!(null),
                json!("0"),
                json!("-0"),
                json!("-5.5"),
                json!("0.01"),
            ],
        ),
        (
            "fee",
            vec![json!("0"), json!("-0.01"), json!("1.234"), json!(null)],
        ),
    ] {
        for value in values {
            let mut document = base.clone();
            document[key] = value;
            documents.push(document);
        }
    }
    let mut accepted = 0;
    for document in &documents {
        let read = serde_json::from_value::<Settlement>(document.clone());
        assert_eq!(
            validator.is_valid(document),
            read.is_ok(),
            "{document}: deserializer says {read:?}"
        );
        accepted += usize::from(read.is_ok());
    }
    assert!(accepted >= 8 && accepted < documents.len());
}

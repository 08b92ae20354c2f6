//! `#[money(serde)]` and money value types in JSON: the format, the serde
//! attributes that keep working, and the messages.

use money_core::{Decimal, MoneyModel, MoneyValue};
use money_tests::dec;
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 12, scale = 2, min = "0")]
struct Fee(Decimal);

/// A model using the serde attributes people use most.
#[derive(Debug, PartialEq, MoneyModel)]
#[money(table = "accounts", serde)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Account {
    #[money(primary_key)]
    account_id: i64,
    #[money(precision = 19, scale = 4, min = "0")]
    balance: Decimal,
    #[money(precision = 19, scale = 4)]
    overdraft_limit: Option<Decimal>,
    #[money(precision = 10, scale = 2, max = "100")]
    #[serde(rename = "fee_cap")]
    cap: Decimal,
    monthly_fee: Fee,
    #[serde(default)]
    note: String,
    #[money(skip)]
    #[serde(skip)]
    cached: Option<i32>,
}

fn account() -> Account {
    Account {
        account_id: 7,
        balance: dec("123.45"),
        overdraft_limit: None,
        cap: dec("99.5"),
        monthly_fee: Fee::try_from(dec("1.5")).unwrap(),
        note: "n".into(),
        cached: Some(3),
    }
}

#[test]
fn amounts_are_strings_with_exactly_the_scale_and_none_is_null() {
    let text = serde_json::to_string(&account()).unwrap();
    assert_eq!(
        text,
        r#"{"accountId":7,"balance":"123.4500","overdraftLimit":null,"fee_cap":"99.50","monthlyFee":"1.50","note":"n"}"#
    );
    let back: Account = serde_json::from_str(&text).unwrap();
    assert_eq!(
        back,
        Account {
            cached: None,
            ..account()
        }
    );
}

/// Without `arbitrary_precision`, serde_json hands `-0` and integers beyond
/// 64 bits over as `f64`: refused, with a message that says what happened.
/// Integers that fit 64 bits are read exactly.
#[test]
fn numbers_that_are_not_64_bit_integers_are_refused_as_floats() {
    let read = |balance: &str| {
        serde_json::from_str::<Account>(&format!(
            r#"{{"accountId":1,"balance":{balance},"fee_cap":"1","monthlyFee":"0"}}"#
        ))
    };
    for (balance, arrived) in [
        ("-0", "-0.0"),
        ("12345678901234567890123", "1.2345678901234568e22"),
        ("1e-400", "0.0"),
        ("0.0", "0.0"),
    ] {
        let message = read(balance).unwrap_err().to_string();
        assert!(
            message.starts_with(&format!(
                "balance: a JSON number that is not a 64-bit integer (a fraction, an exponent, \
                 -0, or an integer beyond 64 bits) cannot be read exactly: it arrived as the \
                 binary float {arrived};"
            )),
            "{balance}: {message}"
        );
    }
    assert_eq!(read("0").unwrap().balance, dec("0"));
    assert_eq!(
        read("9223372036854775807")
            .unwrap_err()
            .to_string()
            .split(" at line")
            .next(),
        Some(
            "balance: 9223372036854775807 has 19 digits before the point, at most 15 allowed (precision 19, scale 4)"
        )
    );
    assert_eq!(
        read("123456789012345").unwrap().balance,
        dec("123456789012345")
    );
}

#[test]
fn reading_validates_and_names_the_json_field() {
    let error = |document: serde_json::Value| {
        serde_json::from_value::<Account>(document)
            .unwrap_err()
            .to_string()
    };
    let base = || json!({"accountId": 1, "balance": "1", "fee_cap": "1", "monthlyFee": "0"});
    let mut document = base();
    document["balance"] = json!("1.23456");
    assert_eq!(
        error(document),
        "balance: 1.23456 has 5 digits after the point, at most 4 allowed"
    );
    let mut document = base();
    document["balance"] = json!("-1");
    assert_eq!(error(document), "balance: -1 is below the minimum 0");
    let mut document = base();
    document["fee_cap"] = json!("100.01");
    assert_eq!(error(document), "fee_cap: 100.01 is above the maximum 100");
    let mut document = base();
    document["monthlyFee"] = json!("-0.01");
    assert_eq!(error(document), "Fee: -0.01 is below the minimum 0");
    let mut document = base();
    document["overdraftLimit"] = json!("1e3");
    assert!(error(document).starts_with("overdraftLimit: not a plain decimal number"));
    let mut document = base();
    document["balance"] = json!(1.5);
    assert_eq!(
        error(document),
        "balance: a JSON number that is not a 64-bit integer (a fraction, an exponent, -0, or \
         an integer beyond 64 bits) cannot be read exactly: it arrived as the binary float 1.5; \
         send the amount as a string, such as \"12.50\""
    );
    let mut document = base();
    document["balance"] = json!(null);
    assert_eq!(error(document), "balance: null is not an amount");
    let mut document = base();
    document["balance"] = json!(true);
    assert_eq!(
        error(document),
        "invalid type: boolean `true`, expected a decimal amount as a string, such as \"12.50\""
    );
    let mut document = base();
    document["extra"] = json!(1);
    assert!(error(document).starts_with("unknown field `extra`"));
    let mut document = base();
    document.as_object_mut().unwrap().remove("balance");
    assert_eq!(error(document), "missing field `balance`");
}

#[test]
fn serde_json_positions_come_with_the_message() {
    let text = r#"{"accountId":1,"balance":"1.00000000000000000000000000001","fee_cap":"1","monthlyFee":"0"}"#;
    let error = serde_json::from_str::<Account>(text).unwrap_err();
    assert_eq!(
        error.to_string(),
        "balance: more digits than a decimal amount holds exactly (at most 28 after the point, magnitude below 7.9e28) at line 1 column 58"
    );
}

#[test]
fn what_may_be_absent_is_absent_and_integers_are_exact() {
    let account: Account = serde_json::from_str(
        r#"{"accountId":1,"balance":5,"fee_cap":"-7.10","monthlyFee":"0.00"}"#,
    )
    .unwrap();
    assert_eq!(account.balance, Decimal::from(5));
    assert_eq!(account.cap, dec("-7.1"));
    assert_eq!(account.overdraft_limit, None);
    assert_eq!(account.note, "");
    // Trailing zeros past the scale are only zeros.
    let account: Account = serde_json::from_str(
        r#"{"accountId":1,"balance":"2.50000000","fee_cap":"0","monthlyFee":"0","overdraftLimit":"-3"}"#,
    )
    .unwrap();
    assert_eq!(account.balance, dec("2.5"));
    assert_eq!(account.overdraft_limit, Some(dec("-3")));
}

#[test]
fn bad_text_gets_a_clear_error_and_long_text_is_refused_unread() {
    let amount = |text: &str| {
        let document = json!({"accountId": 1, "balance": text, "fee_cap": "1", "monthlyFee": "0"});
        serde_json::from_value::<Account>(document)
            .map(|account| account.balance)
            .map_err(|error| error.to_string())
    };
    for (text, message) in [
        ("", "balance: empty string"),
        (" 1", "balance: not a plain decimal number"),
        ("1 ", "balance: not a plain decimal number"),
        ("NaN", "balance: not a number"),
        ("-Infinity", "balance: not a number"),
        ("0x10", "balance: not a plain decimal number"),
        ("1,5", "balance: not a plain decimal number"),
    ] {
        let error = amount(text).unwrap_err();
        assert!(error.starts_with(message), "{text:?}: {error}");
    }
    let huge = "9".repeat(1 << 20);
    let error = amount(&huge).unwrap_err();
    assert!(
        error.starts_with("balance: 1048576 characters, more than the 100"),
        "{error}"
    );
    // The message gives the length: the text was refused on its length,
    // before any digit was looked at (no timing assertion in tests).
}

#[test]
fn money_value_types_serialize_canonically_and_read_validated() {
    let fee = Fee::try_from(dec("3")).unwrap();
    assert_eq!(serde_json::to_string(&fee).unwrap(), r#""3.00""#);
    assert_eq!(serde_json::from_str::<Fee>(r#""3.0""#).unwrap(), fee);
    assert_eq!(serde_json::from_str::<Fee>("3").unwrap(), fee);
    assert_eq!(
        serde_json::from_str::<Fee>(r#""3.001""#)
            .unwrap_err()
            .to_string(),
        "Fee: 3.001 has 3 digits after the point, at most 2 allowed at line 1 column 7"
    );
    assert!(serde_json::from_str::<Fee>("null").is_err());
    let fees: Vec<Option<Fee>> = serde_json::from_str(r#"["1", null]"#).unwrap();
    assert_eq!(fees, vec![Some(Fee::try_from(dec("1")).unwrap()), None]);
}

/// serde_json's `arbitrary_precision` hands a number's text over as a map
/// with one private key: that form is read exactly, exponent included.
#[test]
fn number_text_from_arbitrary_precision_is_read_exactly() {
    let document = |number: &str| {
        format!(
            r#"{{"accountId":1,"balance":{{"$serde_json::private::Number":"{number}"}},"fee_cap":"1","monthlyFee":"0"}}"#
        )
    };
    let read = |number: &str| serde_json::from_str::<Account>(&document(number));
    assert_eq!(read("12.5e-1").unwrap().balance, dec("1.25"));
    assert_eq!(
        read("0.10000000000000000000000000000000").unwrap().balance,
        dec("0.1")
    );
    assert_eq!(
        read("1.00000000000000000000000000001")
            .unwrap_err()
            .to_string(),
        "balance: more digits than a decimal amount holds exactly (at most 28 after the point, magnitude below 7.9e28) at line 1 column 91"
    );
    assert!(
        read("1.23456")
            .unwrap_err()
            .to_string()
            .starts_with("balance: 1.23456 has 5 digits")
    );
}

/// A round-mode field keeps what was sent; the database rounds it, as
/// declared.
#[derive(Debug, PartialEq, MoneyModel)]
#[money(serde)]
struct Quote {
    #[money(precision = 10, scale = 2, on_excess_scale = "round", max = "10")]
    price: Decimal,
    #[money(precision = 10, scale = 2, min = "1")]
    #[serde(default = "one")]
    quantity: Decimal,
}

fn one() -> Decimal {
    Decimal::ONE
}

#[test]
fn round_mode_is_not_rounded_in_json_and_defaults_are_checked() {
    let quote: Quote = serde_json::from_str(r#"{"price":"1.005"}"#).unwrap();
    assert_eq!(quote.price, dec("1.005"));
    assert_eq!(quote.quantity, Decimal::ONE);
    assert_eq!(
        serde_json::to_string(&quote).unwrap(),
        r#"{"price":"1.005","quantity":"1.00"}"#
    );
    // 10.005 rounds to 10.01, above the maximum.
    assert_eq!(
        serde_json::from_str::<Quote>(r#"{"price":"10.005"}"#)
            .unwrap_err()
            .to_string(),
        "price: 10.005 (rounded to 10.01) is above the maximum 10 at line 1 column 17"
    );
}

#[derive(Debug, MoneyModel)]
#[money(serde)]
struct Defaulted {
    #[money(precision = 10, scale = 2, min = "1")]
    #[serde(default)]
    quantity: Decimal,
}

#[test]
fn a_default_that_breaks_a_rule_is_an_error() {
    assert_eq!(
        serde_json::from_str::<Defaulted>("{}")
            .unwrap_err()
            .to_string(),
        "quantity: 0 is below the minimum 1"
    );
    assert_eq!(
        serde_json::from_str::<Defaulted>(r#"{"quantity":"2"}"#)
            .unwrap()
            .quantity,
        dec("2")
    );
}

#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Audit {
    created_by: String,
}

/// `flatten` on a field that is not money works as serde documents it.
#[derive(Debug, PartialEq, MoneyModel)]
#[money(serde)]
struct Invoice {
    #[money(precision = 10, scale = 2)]
    total: Decimal,
    #[money(skip)]
    #[serde(flatten)]
    audit: Audit,
}

#[test]
fn flatten_on_other_fields_works() {
    let invoice: Invoice = serde_json::from_str(r#"{"total":"1.5","created_by":"ann"}"#).unwrap();
    assert_eq!(invoice.total, dec("1.5"));
    assert_eq!(invoice.audit.created_by, "ann");
    assert_eq!(
        serde_json::to_string(&invoice).unwrap(),
        r#"{"total":"1.50","created_by":"ann"}"#
    );
    assert_eq!(
        serde_json::from_str::<Invoice>(r#"{"total":"1.555","created_by":"ann"}"#)
            .unwrap_err()
            .to_string(),
        "total: 1.555 has 3 digits after the point, at most 2 allowed at line 1 column 16"
    );
}

//! JSON Schema for amounts (feature `schemars`).

use schemars::Schema;
use serde_json::{Map, Value, json};

use crate::parse::MAX_DECIMAL_TEXT_LEN;
use crate::spec::{ExcessScale, MoneySpec};

use super::{amount_pattern, canonical};

/// The JSON Schema of an amount declared with `spec`: a string (or null,
/// when `nullable`) whose `pattern` accepts exactly the texts the
/// deserializer accepts, with `maxLength`, and the bounds stated as exact
/// strings in `x-minimum`/`x-maximum` (JSON Schema's `minimum` applies to
/// numbers only), plus `x-precision`, `x-scale` and a description. Valid in
/// JSON Schema 2020-12 and OpenAPI 3.1 (which allows `x-` keys).
///
/// ```
/// use money_core::{MoneyModel, Decimal, json::amount_schema};
///
/// #[derive(MoneyModel)]
/// struct Fee {
///     #[money(precision = 5, scale = 2, min = "0")]
///     amount: Decimal,
/// }
///
/// let spec = Fee::DEFINITION.columns()[0].money_spec().unwrap();
/// let schema = amount_schema(spec, false);
/// assert_eq!(schema.get("type").unwrap(), "string");
/// assert_eq!(schema.get("x-minimum").unwrap(), "0.00");
/// assert_eq!(schema.get("x-maximum").unwrap(), "999.99");
/// ```
pub fn amount_schema(spec: &MoneySpec, nullable: bool) -> Schema {
    let scale = spec.scale();
    let unit = rust_decimal::Decimal::new(1, scale);
    let largest = spec.magnitude_bound() - unit;
    let minimum = spec.min().unwrap_or(-largest);
    let maximum = spec.max().unwrap_or(largest);
    let (minimum, maximum) = (
        canonical(minimum, scale).to_string(),
        canonical(maximum, scale).to_string(),
    );
    let rounding = match spec.on_excess_scale() {
        ExcessScale::Reject => "",
        ExcessScale::Round => {
            "; more digits after the point are accepted and rounded half away from zero when stored"
        }
    };
    let description = format!(
        "A decimal amount as a string, never a number: at most {scale} digits after the point, \
         from {minimum} to {maximum}{rounding}."
    );
    let kind = if nullable {
        json!(["string", "null"])
    } else {
        json!("string")
    };
    let mut schema = Map::new();
    schema.insert("type".into(), kind);
    schema.insert("pattern".into(), Value::String(amount_pattern(spec)));
    schema.insert("maxLength".into(), json!(MAX_DECIMAL_TEXT_LEN));
    schema.insert("description".into(), Value::String(description));
    schema.insert("x-precision".into(), json!(spec.precision()));
    schema.insert("x-scale".into(), json!(scale));
    schema.insert("x-minimum".into(), Value::String(minimum));
    schema.insert("x-maximum".into(), Value::String(maximum));
    Schema::from(schema)
}

/// Emits a model's `JsonSchema` impl (feature `schemars`). Generated code
/// calls it for `#[money(serde, json_schema)]`.
#[doc(hidden)]
#[macro_export]
macro_rules! __schemars_model {
    ($($tokens:tt)*) => {
        $($tokens)*
    };
}

/// Emits a value type's `JsonSchema` impl (feature `schemars`). Generated
/// code calls it.
#[doc(hidden)]
#[macro_export]
macro_rules! __schemars {
    ($($tokens:tt)*) => {
        $($tokens)*
    };
}

//! Reading decimals from text exactly: no rounding, no floats, no
//! surprises. The reader lives in money-spec-core, which the derive uses to
//! read `min` and `max`, so a bound and a value are read the same way.

pub use money_spec_core::{MAX_DECIMAL_TEXT_LEN, ParseDecimalError, parse_decimal};

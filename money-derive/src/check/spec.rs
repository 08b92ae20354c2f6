//! A field's money declaration: precision, scale and bounds that a
//! `Decimal` and the column can hold; what kind of column a field is.

use money_spec_core::MAX_PRECISION;
use rust_decimal::Decimal;

use super::{Kind, Money};
use crate::ast;
use crate::attr::{self, Bound};
use crate::ctxt::Ctxt;
use crate::ident;

/// What kind of column a field is, with the checks of its kind's keys.
pub(super) fn check_kind(cx: &mut Ctxt, field: &ast::Field) -> Option<Kind> {
    let attrs = &field.attrs;
    let kind = if attrs.currency.get().is_some() {
        for (key, conflict) in [
            ("precision", attrs.precision.key_span()),
            ("scale", attrs.scale.key_span()),
            ("sql_type", attrs.sql_type.key_span()),
            ("min", attrs.min.key_span()),
            ("max", attrs.max.key_span()),
            ("on_excess_scale", attrs.on_excess_scale.key_span()),
            ("currency_field", attrs.currency_field.key_span()),
        ] {
            if let Some(conflict) = conflict {
                cx.syn_error(syn::Error::new(
                    conflict,
                    format!("`{key}` cannot be combined with `currency`: a currency field holds an ISO 4217 code, its column type and CHECK come from it"),
                ));
            }
        }
        Kind::Currency
    } else if attrs.is_money() {
        if let Some(literal) = attrs.sql_type.get() {
            cx.error_spanned_by(
                literal,
                "`sql_type` cannot be combined with `precision`/`scale`: a money column's type comes from its declaration",
            );
        }
        Kind::Money(check_money(cx, attrs)?)
    } else {
        for (span, key) in [
            (attrs.min.key_span(), "min"),
            (attrs.max.key_span(), "max"),
            (attrs.on_excess_scale.key_span(), "on_excess_scale"),
        ] {
            if let Some(span) = span {
                cx.syn_error(syn::Error::new(
                    span,
                    format!(
                        "`{key}` applies to a money field; declare `precision` and `scale` too"
                    ),
                ));
            }
        }
        match attrs.sql_type.get() {
            Some(literal) => {
                let sql_type = literal.value();
                if !ident::is_valid_sql_type(&sql_type) {
                    cx.error_spanned_by(
                        literal,
                        format!(
                            "invalid `sql_type` {sql_type:?}: write a type name such as \"uuid\", \"varchar(64)\" or \"timestamp with time zone\" (letters, digits, spaces, one list of numbers in parentheses, `[]`)"
                        ),
                    );
                }
                Kind::Custom {
                    sql_type,
                    nullable: ast::is_option(field.ty),
                }
            }
            None if !attrs.had_errors
                && attrs.written_keys().is_empty()
                && ast::is_decimal(field.ty) =>
            {
                cx.error_spanned_by(
                    field.ty,
                    format!(
                        "money field `{}` needs its declaration: add `#[money(precision = 19, scale = 4)]` with the digits the column holds",
                        field.name
                    ),
                );
                return None;
            }
            None => Kind::Scalar,
        }
    };
    if let Some(span) = attrs.primary_key.key_span() {
        let nullable = match &kind {
            Kind::Custom { nullable, .. } => *nullable,
            _ => ast::is_option(field.ty),
        };
        if nullable {
            cx.syn_error(syn::Error::new(
                span,
                "a primary key column cannot be NULL: remove `Option` from the field's type or remove `primary_key`",
            ));
        }
    }
    Some(kind)
}

/// `precision` and `scale` within a `Decimal`, bounds within both,
/// `min <= max`; `None` when any of that fails (reported).
pub(super) fn check_money(cx: &mut Ctxt, attrs: &attr::Field) -> Option<Money> {
    let (precision, scale) = match (attrs.precision.get(), attrs.scale.get()) {
        (Some(precision), Some(scale)) => (precision, scale),
        (precision, _) => {
            // A bad `precision = ...` was reported already; do not also call
            // it missing.
            if !attrs.had_errors {
                let (present, missing) = if precision.is_some() {
                    (&attrs.precision, "scale")
                } else {
                    (&attrs.scale, "precision")
                };
                if let Some(span) = present.key_span() {
                    cx.syn_error(syn::Error::new(
                        span,
                        format!("missing `{missing}`: a money field needs both, like `#[money(precision = 19, scale = 4)]`"),
                    ));
                }
            }
            return None;
        }
    };
    let mut ok = true;
    if precision.value == 0 || precision.value > MAX_PRECISION {
        cx.error_spanned_by(
            &precision.literal,
            format!(
                "`precision` must be between 1 and {MAX_PRECISION}, not {}: rust_decimal::Decimal holds at most {MAX_PRECISION} significant digits",
                precision.value
            ),
        );
        ok = false;
    } else if scale.value > precision.value {
        cx.error_spanned_by(
            &scale.literal,
            format!(
                "`scale` {} is above `precision` {}: scale counts the digits after the point, out of precision digits in all; use a scale of at most {}",
                scale.value, precision.value, precision.value
            ),
        );
        ok = false;
    }
    let min = attrs.min.get();
    let max = attrs.max.get();
    if ok {
        for (key, bound) in [("min", min), ("max", max)] {
            if let Some(bound) = bound {
                ok &= check_bound(cx, key, bound, precision.value, scale.value);
            }
        }
    }
    if let (Some(min), Some(max)) = (min, max)
        && min.value > max.value
    {
        cx.error_spanned_by(
            &min.literal,
            format!(
                "`min` {} is greater than `max` {}: no value could be valid",
                min.value, max.value
            ),
        );
        ok = false;
    }
    ok.then(|| Money {
        precision: precision.value,
        scale: scale.value,
        min: min.map(|bound| bound.value),
        max: max.map(|bound| bound.value),
        on_excess_scale: attrs.on_excess_scale.get().copied().unwrap_or_default(),
        currency_column: None,
    })
}

/// A bound must itself be a value of the column.
fn check_bound(cx: &mut Ctxt, key: &str, bound: &Bound, precision: u32, scale: u32) -> bool {
    let value = bound.value.normalize();
    let fraction_digits = value.scale();
    if fraction_digits > scale {
        cx.error_spanned_by(
            &bound.literal,
            format!(
                "`{key}` {} has {} after the point, but `scale` is {scale}: round the bound to {} or raise `scale`",
                bound.value,
                digits(fraction_digits),
                if scale == 0 { "a whole number".to_owned() } else { format!("{} after the point", digits(scale)) },
            ),
        );
        return false;
    }
    let integer_digits = integer_digits(value);
    let allowed = precision - scale;
    if integer_digits > allowed {
        let largest = format!(
            "{}{}{}",
            if allowed == 0 { "0" } else { "" },
            "9".repeat(allowed as usize),
            if scale > 0 {
                format!(".{}", "9".repeat(scale as usize))
            } else {
                String::new()
            }
        );
        cx.error_spanned_by(
            &bound.literal,
            format!(
                "`{key}` {} has {} before the point, but precision {precision} with scale {scale} allows {}: the largest magnitude is {largest}",
                bound.value,
                digits(integer_digits),
                digits(allowed),
            ),
        );
        return false;
    }
    true
}

fn digits(count: u32) -> String {
    match count {
        1 => "1 digit".to_owned(),
        _ => format!("{count} digits"),
    }
}

/// Digits before the point of a non-zero whole part; 0 for `|v| < 1`.
fn integer_digits(value: Decimal) -> u32 {
    let mut whole = value.abs().trunc().mantissa().unsigned_abs();
    let mut digits = 0;
    while whole > 0 {
        whole /= 10;
        digits += 1;
    }
    digits
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::check::test_input::run;

    /// A checked declaration as `(precision, scale, min, max)`.
    type Declaration = (u32, u32, Option<String>, Option<String>);

    /// `check_money` on the first field of `input`: the declaration, if it
    /// holds, and the messages.
    fn money_of(input: &syn::DeriveInput) -> (Option<Declaration>, Vec<String>) {
        run(input, |cx, container| {
            check_money(cx, &container.fields[0].attrs).map(|money| {
                (
                    money.precision,
                    money.scale,
                    money.min.map(|min| min.to_string()),
                    money.max.map(|max| max.to_string()),
                )
            })
        })
    }

    /// `check_kind` on every field of `input`: the messages.
    fn kind_errors(input: &syn::DeriveInput) -> Vec<String> {
        run(input, |cx, container| {
            for field in &container.fields {
                check_kind(cx, field);
            }
        })
        .1
    }

    #[test]
    fn a_valid_declaration_is_kept() {
        let input = parse_quote! {
            struct T {
                #[money(precision = 5, scale = 2, min = "-999.99", max = "999.99")]
                amount: Decimal,
            }
        };
        let declaration = Some((5, 2, Some("-999.99".to_owned()), Some("999.99".to_owned())));
        assert_eq!(money_of(&input), (declaration, vec![]));
    }

    #[test]
    fn precision_is_between_1_and_28_and_scale_at_most_precision() {
        let input = parse_quote! { struct T { #[money(precision = 29, scale = 2)] a: Decimal } };
        assert_eq!(
            money_of(&input),
            (None, vec!["`precision` must be between 1 and 28, not 29: rust_decimal::Decimal holds at most 28 significant digits".to_owned()])
        );
        let input = parse_quote! { struct T { #[money(precision = 0, scale = 0)] a: Decimal } };
        assert_eq!(
            money_of(&input).1,
            [
                "`precision` must be between 1 and 28, not 0: rust_decimal::Decimal holds at most 28 significant digits"
            ]
        );
        let input = parse_quote! { struct T { #[money(precision = 4, scale = 5)] a: Decimal } };
        assert_eq!(
            money_of(&input),
            (None, vec!["`scale` 5 is above `precision` 4: scale counts the digits after the point, out of precision digits in all; use a scale of at most 4".to_owned()])
        );
        let input = parse_quote! { struct T { #[money(precision = 28, scale = 28)] a: Decimal } };
        assert_eq!(money_of(&input), (Some((28, 28, None, None)), vec![]));
    }

    #[test]
    fn both_precision_and_scale_are_needed() {
        let input = parse_quote! { struct T { #[money(precision = 19)] a: Decimal } };
        assert_eq!(
            money_of(&input),
            (None, vec!["missing `scale`: a money field needs both, like `#[money(precision = 19, scale = 4)]`".to_owned()])
        );
        let input = parse_quote! { struct T { #[money(scale = 4)] a: Decimal } };
        assert_eq!(
            money_of(&input).1,
            [
                "missing `precision`: a money field needs both, like `#[money(precision = 19, scale = 4)]`"
            ]
        );
    }

    #[test]
    fn a_bound_is_a_value_of_the_column() {
        let input = parse_quote! { struct T { #[money(precision = 5, scale = 2, max = "1000")] a: Decimal } };
        assert_eq!(
            money_of(&input),
            (None, vec!["`max` 1000 has 4 digits before the point, but precision 5 with scale 2 allows 3 digits: the largest magnitude is 999.99".to_owned()])
        );
        let input = parse_quote! { struct T { #[money(precision = 5, scale = 0, max = "99.5")] a: Decimal } };
        assert_eq!(
            money_of(&input).1,
            [
                "`max` 99.5 has 1 digit after the point, but `scale` is 0: round the bound to a whole number or raise `scale`"
            ]
        );
        let input = parse_quote! { struct T { #[money(precision = 5, scale = 2, min = "0.001")] a: Decimal } };
        assert_eq!(
            money_of(&input).1,
            [
                "`min` 0.001 has 3 digits after the point, but `scale` is 2: round the bound to 2 digits after the point or raise `scale`"
            ]
        );
        // Trailing zeros are not digits a bound needs.
        let input = parse_quote! { struct T { #[money(precision = 3, scale = 3, min = "0.5000")] a: Decimal } };
        assert_eq!(
            money_of(&input),
            (Some((3, 3, Some("0.5000".to_owned()), None)), vec![])
        );
        let input =
            parse_quote! { struct T { #[money(precision = 3, scale = 3, max = "1")] a: Decimal } };
        assert_eq!(
            money_of(&input).1,
            [
                "`max` 1 has 1 digit before the point, but precision 3 with scale 3 allows 0 digits: the largest magnitude is 0.999"
            ]
        );
    }

    #[test]
    fn min_is_at_most_max() {
        let input = parse_quote! { struct T { #[money(precision = 5, scale = 0, min = "100", max = "10")] a: Decimal } };
        assert_eq!(
            money_of(&input),
            (
                None,
                vec!["`min` 100 is greater than `max` 10: no value could be valid".to_owned()]
            )
        );
    }

    #[test]
    fn a_currency_field_takes_no_money_keys() {
        let input = parse_quote! {
            struct T {
                #[money(currency, precision = 3, sql_type = "text")]
                code: String,
            }
        };
        let conflict = |key: &str| {
            format!(
                "`{key}` cannot be combined with `currency`: a currency field holds an ISO 4217 code, its column type and CHECK come from it"
            )
        };
        assert_eq!(
            kind_errors(&input),
            [conflict("precision"), conflict("sql_type")]
        );
    }

    #[test]
    fn money_keys_need_a_money_field() {
        let input = parse_quote! {
            struct T {
                #[money(min = "1", on_excess_scale = "round")]
                count: i64,
                #[money(precision = 19, scale = 4, sql_type = "numeric")]
                amount: Decimal,
            }
        };
        assert_eq!(
            kind_errors(&input),
            [
                "`min` applies to a money field; declare `precision` and `scale` too",
                "`on_excess_scale` applies to a money field; declare `precision` and `scale` too",
                "`sql_type` cannot be combined with `precision`/`scale`: a money column's type comes from its declaration",
            ]
        );
    }

    #[test]
    fn a_decimal_needs_its_declaration() {
        let input = parse_quote! {
            struct T {
                balance: Option<rust_decimal::Decimal>,
                #[money(sql_type = "numeric")]
                raw: Decimal,
            }
        };
        assert_eq!(
            kind_errors(&input),
            [
                "money field `balance` needs its declaration: add `#[money(precision = 19, scale = 4)]` with the digits the column holds"
            ]
        );
    }

    #[test]
    fn sql_type_is_a_type_name() {
        let input = parse_quote! {
            struct T {
                #[money(sql_type = "varchar(64)")]
                a: String,
                #[money(sql_type = "text; drop table x")]
                b: String,
            }
        };
        assert_eq!(
            kind_errors(&input),
            [
                "invalid `sql_type` \"text; drop table x\": write a type name such as \"uuid\", \"varchar(64)\" or \"timestamp with time zone\" (letters, digits, spaces, one list of numbers in parentheses, `[]`)"
            ]
        );
    }

    #[test]
    fn a_primary_key_is_not_null() {
        let input = parse_quote! {
            struct T {
                #[money(primary_key)]
                id: Option<i64>,
                #[money(primary_key, sql_type = "uuid")]
                other: Option<Uuid>,
                #[money(primary_key)]
                fine: i64,
            }
        };
        let message = "a primary key column cannot be NULL: remove `Option` from the field's type or remove `primary_key`";
        assert_eq!(kind_errors(&input), [message, message]);
    }

    #[test]
    fn digits_are_counted() {
        assert_eq!(digits(1), "1 digit");
        assert_eq!(digits(0), "0 digits");
        assert_eq!(digits(15), "15 digits");
        let value = |text: &str| Decimal::from_str_exact(text).expect("literal");
        assert_eq!(integer_digits(value("0.5")), 0);
        assert_eq!(integer_digits(value("-999.99")), 3);
        assert_eq!(integer_digits(value("1000")), 4);
    }
}

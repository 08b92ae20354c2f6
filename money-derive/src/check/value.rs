//! `#[derive(MoneyValue)]`: a newtype over `Decimal` with a money
//! declaration and no key that only a model's field takes.

use super::{Money, spec::check_money};
use crate::ast;
use crate::ctxt::Ctxt;
use crate::symbol::VALUE_KEYS;

/// A checked value type.
pub struct Value<'a> {
    /// The newtype's field, when its type is `Decimal`: the impls can be
    /// emitted (with a stand-in declaration when `money` is `None`).
    pub over_decimal: Option<&'a syn::Field>,
    /// The declaration, when every rule holds.
    pub money: Option<Money>,
}

/// Checks a value type; `money` is `None` when any error was found (in
/// `cx`, with the errors of `ast` and `attr`).
pub fn check_value<'a>(cx: &mut Ctxt, value: &ast::Value<'a>) -> Value<'a> {
    let mut over_decimal = None;
    if let Some(field) = value.field {
        let is_decimal = matches!(&field.ty, syn::Type::Path(path)
            if path.path.segments.last().is_some_and(|segment| segment.ident == "Decimal"));
        if is_decimal {
            over_decimal = Some(field);
        } else {
            cx.error_spanned_by(
                &field.ty,
                "the field of a money value type must be `rust_decimal::Decimal`, like `struct Amount(Decimal);`",
            );
        }
    }
    let attrs = &value.attrs;
    for (key, span) in attrs.written_keys() {
        if !VALUE_KEYS.contains(&key) {
            cx.syn_error(syn::Error::new(
                span,
                format!("`{key}` applies to a field of a `MoneyModel`, not to a money value type"),
            ));
        }
    }
    if !attrs.is_money() && !attrs.had_errors {
        cx.error_spanned_by(
            value.ident,
            "a money value type needs its declaration: add `#[money(precision = 19, scale = 4)]` to the struct",
        );
    }
    let money = check_money(cx, attrs).filter(|_| !cx.has_errors());
    Value {
        over_decimal,
        money,
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    /// `ast` then `check` on `input`: whether the impls can be emitted,
    /// the declaration's precision and scale, and every message.
    fn check(input: &syn::DeriveInput) -> (bool, Option<(u32, u32)>, Vec<String>) {
        let mut cx = Ctxt::default();
        let value = ast::Value::from_ast(&mut cx, input);
        let checked = check_value(&mut cx, &value);
        (
            checked.over_decimal.is_some(),
            checked.money.map(|money| (money.precision, money.scale)),
            cx.messages(),
        )
    }

    #[test]
    fn a_declared_newtype_over_decimal_is_checked() {
        let input = parse_quote! {
            #[money(precision = 19, scale = 4, min = "0")]
            struct Balance(rust_decimal::Decimal);
        };
        assert_eq!(check(&input), (true, Some((19, 4)), vec![]));
    }

    #[test]
    fn only_a_newtype_over_decimal() {
        let input = parse_quote! {
            #[money(precision = 19, scale = 4)]
            struct Balance { amount: Decimal }
        };
        assert_eq!(
            check(&input),
            (false, None, vec!["`MoneyValue` is derived for a newtype over `Decimal`, like `struct Amount(Decimal);`".to_owned()])
        );
        let input = parse_quote! {
            #[money(precision = 19, scale = 4)]
            struct Balance(f64);
        };
        assert_eq!(
            check(&input),
            (false, None, vec!["the field of a money value type must be `rust_decimal::Decimal`, like `struct Amount(Decimal);`".to_owned()])
        );
    }

    #[test]
    fn a_wrong_declaration_still_lets_the_impls_be_emitted() {
        let input = parse_quote! {
            #[money(precision = 4, scale = 6)]
            struct Balance(Decimal);
        };
        assert_eq!(
            check(&input),
            (true, None, vec!["`scale` 6 is above `precision` 4: scale counts the digits after the point, out of precision digits in all; use a scale of at most 4".to_owned()])
        );
        let input = parse_quote! { struct Balance(Decimal); };
        assert_eq!(
            check(&input),
            (true, None, vec!["a money value type needs its declaration: add `#[money(precision = 19, scale = 4)]` to the struct".to_owned()])
        );
    }

    #[test]
    fn model_keys_do_not_apply() {
        let input = parse_quote! {
            #[money(precision = 19, scale = 4, column = "x", primary_key)]
            struct Balance(Decimal);
        };
        assert_eq!(
            check(&input),
            (
                true,
                None,
                vec![
                    "`column` applies to a field of a `MoneyModel`, not to a money value type"
                        .to_owned(),
                    "`primary_key` applies to a field of a `MoneyModel`, not to a money value type"
                        .to_owned(),
                ]
            )
        );
    }
}

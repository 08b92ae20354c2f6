//! `#[money(serde)]` and `json_schema`: what `json` can expand.

use super::{Column, Kind};
use crate::ast::Container;
use crate::ctxt::Ctxt;

/// `serde` and `json_schema`: what `json` can expand. Money and currency
/// fields are read by money-core's adapter, so no serde key may replace it.
pub(super) fn check_serde(cx: &mut Ctxt, container: &Container, columns: &[Column]) {
    let Some(span) = container.attrs.serde.key_span() else {
        if let Some(span) = container.attrs.json_schema.key_span() {
            cx.syn_error(syn::Error::new(
                span,
                "`json_schema` describes the JSON that `serde` reads and writes: write `#[money(serde, json_schema)]`",
            ));
        }
        return;
    };
    if !container.generics.params.is_empty() {
        cx.syn_error(syn::Error::new(
            span,
            "`serde` is not supported on a generic struct yet; derive serde for a non-generic struct, or use money value types (`#[derive(MoneyValue)]`) as the field types",
        ));
        return;
    }
    for field in &container.fields {
        let read_by_us = columns.iter().any(|column| {
            column.member == field.member && matches!(column.kind, Kind::Money(_) | Kind::Currency)
        });
        if !read_by_us {
            continue;
        }
        if let Some((key, span)) =
            crate::serde_attr::FieldSerde::from_attrs(field.raw_attrs).replaced_by
        {
            cx.syn_error(syn::Error::new(
                span,
                format!(
                    "`#[serde({key})]` on a money field would bypass its checks: with `#[money(serde)]` the field is read exactly and validated against its declaration; remove `{key}`"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use crate::check::test_input::check;

    #[test]
    fn json_schema_needs_serde() {
        let input = parse_quote! {
            #[money(json_schema)]
            struct Payment { #[money(precision = 19, scale = 4)] amount: Decimal }
        };
        assert_eq!(
            check(&input),
            (false, vec!["`json_schema` describes the JSON that `serde` reads and writes: write `#[money(serde, json_schema)]`".to_owned()])
        );
    }

    #[test]
    fn serde_needs_a_struct_without_generics() {
        let input = parse_quote! {
            #[money(serde)]
            struct Payment<T> {
                #[money(precision = 19, scale = 4)]
                amount: Decimal,
                #[money(skip)]
                tag: T,
            }
        };
        assert_eq!(
            check(&input).1,
            [
                "`serde` is not supported on a generic struct yet; derive serde for a non-generic struct, or use money value types (`#[derive(MoneyValue)]`) as the field types"
            ]
        );
    }

    #[test]
    fn no_serde_key_replaces_the_reading_of_a_money_or_currency_field() {
        let input = parse_quote! {
            #[money(serde)]
            struct Payment {
                #[money(precision = 19, scale = 4)]
                #[serde(with = "as_float")]
                amount: Decimal,
                #[money(currency)]
                #[serde(deserialize_with = "lenient")]
                currency: String,
                #[serde(with = "fine_here")]
                note: String,
                #[money(precision = 19, scale = 4)]
                #[serde(rename = "fee_amount", default)]
                fee: Decimal,
            }
        };
        let (made, errors) = check(&input);
        assert!(!made);
        assert_eq!(
            errors,
            [
                "`#[serde(with)]` on a money field would bypass its checks: with `#[money(serde)]` the field is read exactly and validated against its declaration; remove `with`",
                "`#[serde(deserialize_with)]` on a money field would bypass its checks: with `#[money(serde)]` the field is read exactly and validated against its declaration; remove `deserialize_with`",
            ]
        );
    }
}

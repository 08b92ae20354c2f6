//! `currency_field`: an amount checked against the currency of its row.

use super::{Column, Kind};
use crate::ast::Container;
use crate::ctxt::Ctxt;
use crate::ident;

/// `currency_field = "x"` names a stored field declared `currency`.
pub(super) fn check_currency_fields(cx: &mut Ctxt, container: &Container, columns: &mut [Column]) {
    for field in &container.fields {
        let Some(literal) = field.attrs.currency_field.get() else {
            continue;
        };
        let Some(amount) = columns.iter().position(|column| column.field == field.name) else {
            continue; // skipped, or its own errors were reported
        };
        if !matches!(columns[amount].kind, Kind::Money(_)) {
            cx.error_spanned_by(
                literal,
                "`currency_field` applies to a money field: declare `precision` and `scale` too",
            );
            continue;
        }
        let name = literal.value();
        let Some(target) = container.fields.iter().find(|other| other.name == name) else {
            let known: Vec<&str> = container
                .fields
                .iter()
                .map(|other| other.name.as_str())
                .collect();
            let message = match ident::suggest(&name, &known) {
                Some(nearest) => {
                    format!("no field `{name}` in this struct; did you mean `{nearest}`?")
                }
                None => format!(
                    "no field `{name}` in this struct: `currency_field` names the field that holds the amount's currency"
                ),
            };
            cx.error_spanned_by(literal, message);
            continue;
        };
        if target.attrs.skip.get().is_some() {
            cx.error_spanned_by(
                literal,
                format!(
                    "`{name}` is skipped, so the database could not check the amount against it"
                ),
            );
            continue;
        }
        if target.attrs.currency.get().is_none() {
            cx.error_spanned_by(
                literal,
                format!("`{name}` is not a currency field: mark it `#[money(currency)]`"),
            );
            continue;
        }
        let Some(index) = columns.iter().position(|column| column.field == name) else {
            continue; // its own errors were reported
        };
        let currency_column = columns[index].name.clone();
        if let Kind::Money(money) = &mut columns[amount].kind {
            money.currency_column = Some(currency_column);
        }
        columns[amount].currency_of = Some(index);
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use crate::check::test_input::check;

    #[test]
    fn currency_field_names_a_stored_currency_field() {
        let input = parse_quote! {
            struct Payment {
                #[money(currency)]
                currency: String,
                quote_currency: String,
                #[money(skip)]
                cached: String,
                #[money(precision = 19, scale = 4, currency_field = "curency")]
                a: Decimal,
                #[money(precision = 19, scale = 4, currency_field = "quote_currency")]
                b: Decimal,
                #[money(precision = 19, scale = 4, currency_field = "cached")]
                c: Decimal,
                #[money(currency_field = "currency")]
                d: i64,
                #[money(precision = 19, scale = 4, currency_field = "zzzzzz")]
                e: Decimal,
            }
        };
        assert_eq!(
            check(&input),
            (
                false,
                vec![
                    "no field `curency` in this struct; did you mean `currency`?".to_owned(),
                    "`quote_currency` is not a currency field: mark it `#[money(currency)]`".to_owned(),
                    "`cached` is skipped, so the database could not check the amount against it".to_owned(),
                    "`currency_field` applies to a money field: declare `precision` and `scale` too".to_owned(),
                    "no field `zzzzzz` in this struct: `currency_field` names the field that holds the amount's currency".to_owned(),
                ]
            )
        );
    }
}

//! `unique(...)`: keys over stored fields.

use crate::ast::Container;
use crate::ctxt::Ctxt;
use crate::ident;

/// Each `unique(...)` names stored fields, each once.
pub(super) fn check_unique(
    cx: &mut Ctxt,
    container: &Container,
    used: &[(String, &str)],
) -> Vec<Vec<String>> {
    let mut keys = Vec::new();
    for fields in &container.attrs.unique {
        let mut columns = Vec::new();
        for (position, ident) in fields.iter().enumerate() {
            let name = ident.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name);
            if fields[..position].iter().any(|earlier| earlier == ident) {
                cx.error_spanned_by(ident, format!("`{name}` is already in this unique key"));
                continue;
            }
            match used.iter().find(|(_, field)| *field == name) {
                Some((column, _)) => columns.push(column.clone()),
                None => {
                    cx.error_spanned_by(ident, missing_field(container, used, name, "to be unique"))
                }
            }
        }
        keys.push(columns);
    }
    keys
}

/// The message for a field name that has no column: skipped, or no such
/// field (with the nearest one).
pub(super) fn missing_field(
    container: &Container,
    used: &[(String, &str)],
    name: &str,
    purpose: &str,
) -> String {
    if container.fields.iter().any(|field| field.name == name) {
        format!("`{name}` is skipped, so it has no column {purpose}")
    } else {
        let known: Vec<&str> = used.iter().map(|(_, field)| *field).collect();
        match ident::suggest(name, &known) {
            Some(nearest) => format!("no field `{name}` in this struct; did you mean `{nearest}`?"),
            None => format!("no field `{name}` in this struct"),
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::check::test_input::{run, used};

    fn unique_of(input: &syn::DeriveInput) -> (Vec<Vec<String>>, Vec<String>) {
        run(input, |cx, container| {
            check_unique(cx, container, &used(container))
        })
    }

    #[test]
    fn a_key_lists_its_columns() {
        let input = parse_quote! {
            #[money(unique(settlement_id, account_id), unique(r#ref))]
            struct Settlement { settlement_id: i64, account_id: i64, r#ref: String }
        };
        assert_eq!(
            unique_of(&input),
            (
                vec![
                    vec!["settlement_id".to_owned(), "account_id".to_owned()],
                    vec!["ref".to_owned()]
                ],
                vec![]
            )
        );
    }

    #[test]
    fn a_key_names_stored_fields_each_once() {
        let input = parse_quote! {
            #[money(unique(settlement_id, settlement_id), unique(note), unique(acount_id), unique(zzz))]
            struct Settlement {
                settlement_id: i64,
                account_id: i64,
                #[money(skip)]
                note: String,
            }
        };
        let (keys, errors) = unique_of(&input);
        assert_eq!(
            errors,
            [
                "`settlement_id` is already in this unique key",
                "`note` is skipped, so it has no column to be unique",
                "no field `acount_id` in this struct; did you mean `account_id`?",
                "no field `zzz` in this struct",
            ]
        );
        assert_eq!(keys[0], ["settlement_id"]);
    }
}

//! `references = "..."` on a field and `foreign_key(...)` on the struct.

use super::ForeignKey;
use super::keys::missing_field;
use crate::ast::Container;
use crate::attr::ReferentialAction;
use crate::ctxt::Ctxt;
use crate::ident;

/// `references = "..."` on fields, then `foreign_key(...)` on the struct:
/// stored fields, each once, as many as the referenced columns; a valid
/// `table(column, ...)`; actions only with a key; no two keys on the same
/// columns (they would share a name).
pub(super) fn check_foreign_keys(
    cx: &mut Ctxt,
    container: &Container,
    used: &[(String, &str)],
) -> Vec<ForeignKey> {
    let mut keys: Vec<ForeignKey> = Vec::new();
    let mut push = |cx: &mut Ctxt, key: ForeignKey, literal: &syn::LitStr| {
        if keys.iter().any(|other| other.columns == key.columns) {
            cx.error_spanned_by(
                literal,
                format!(
                    "a foreign key on ({}) is already declared; keep one",
                    key.fields.join(", ")
                ),
            );
        } else {
            keys.push(key);
        }
    };
    for field in &container.fields {
        let attrs = &field.attrs;
        if attrs.skip.get().is_some() {
            continue; // `check_skip` reported any key
        }
        let Some(references) = attrs.references.get() else {
            for (key, span) in [
                (crate::symbol::ON_DELETE, attrs.on_delete.key_span()),
                (crate::symbol::ON_UPDATE, attrs.on_update.key_span()),
            ] {
                if let Some(span) = span {
                    cx.syn_error(syn::Error::new(
                        span,
                        format!("`{key}` needs `references` on the same field, like `#[money(references = \"accounts(id)\", {key} = \"cascade\")]`"),
                    ));
                }
            }
            continue;
        };
        let Some((table, columns)) = referenced(cx, &references.literal, 1) else {
            continue;
        };
        let Some((column, _)) = used.iter().find(|(_, name)| *name == field.name) else {
            continue; // its column name was reported
        };
        let key = ForeignKey {
            columns: vec![column.clone()],
            fields: vec![field.name.clone()],
            referenced_table: table,
            referenced_columns: columns,
            on_delete: attrs
                .on_delete
                .get()
                .copied()
                .unwrap_or(ReferentialAction::Restrict),
            on_update: attrs
                .on_update
                .get()
                .copied()
                .unwrap_or(ReferentialAction::Restrict),
        };
        push(cx, key, &references.literal);
    }
    for declared in &container.attrs.foreign_keys {
        let (Some(fields), Some(references)) = (declared.fields.get(), declared.references.get())
        else {
            if declared.had_errors {
                continue;
            }
            let missing = match declared.fields.get() {
                None => "`fields(...)`",
                Some(_) => "`references = \"...\"`",
            };
            cx.error_spanned_by(
                &declared.key,
                format!("`foreign_key` needs {missing}, like `foreign_key(fields(account_id, currency), references = \"accounts(id, currency)\")`"),
            );
            continue;
        };
        if fields.is_empty() {
            continue; // reported by the parser
        }
        let mut columns = Vec::new();
        let mut names = Vec::new();
        for (position, ident) in fields.iter().enumerate() {
            let name = ident.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
            if fields[..position].iter().any(|earlier| earlier == ident) {
                cx.error_spanned_by(ident, format!("`{name}` is already in this foreign key"));
                continue;
            }
            match used.iter().find(|(_, field)| *field == name) {
                Some((column, _)) => {
                    columns.push(column.clone());
                    names.push(name);
                }
                None => cx.error_spanned_by(
                    ident,
                    missing_field(container, used, &name, "to reference another table"),
                ),
            }
        }
        let Some((table, referenced_columns)) = referenced(cx, &references.literal, fields.len())
        else {
            continue;
        };
        if columns.len() != fields.len() {
            continue;
        }
        let key = ForeignKey {
            columns,
            fields: names,
            referenced_table: table,
            referenced_columns,
            on_delete: declared
                .on_delete
                .get()
                .copied()
                .unwrap_or(ReferentialAction::Restrict),
            on_update: declared
                .on_update
                .get()
                .copied()
                .unwrap_or(ReferentialAction::Restrict),
        };
        push(cx, key, &references.literal);
    }
    keys
}

/// `"table(column, ...)"` with valid identifiers and `count` columns, or
/// `None` (reported on the literal).
fn referenced(cx: &mut Ctxt, literal: &syn::LitStr, count: usize) -> Option<(String, Vec<String>)> {
    let text = literal.value();
    let parsed = text.trim().strip_suffix(')').and_then(|rest| {
        let (table, columns) = rest.split_once('(')?;
        let columns: Vec<String> = columns
            .split(',')
            .map(|column| column.trim().to_owned())
            .collect();
        Some((table.trim().to_owned(), columns))
    });
    let Some((table, columns)) = parsed else {
        cx.error_spanned_by(
            literal,
            format!("`references` names a table and its key columns, like \"accounts(id)\" or \"accounts(id, currency)\", not {text:?}"),
        );
        return None;
    };
    if let Some(bad) = std::iter::once(&table)
        .chain(&columns)
        .find(|name| !ident::is_valid(name))
    {
        cx.error_spanned_by(
            literal,
            format!("invalid name {bad:?} in `references`: {}", ident::RULE),
        );
        return None;
    }
    if columns.len() != count {
        let plural = |count: usize, word: &str| {
            format!("{count} {word}{}", if count == 1 { "" } else { "s" })
        };
        cx.error_spanned_by(
            literal,
            format!(
                "`references` lists {} but the key has {}: one referenced column per referencing field",
                plural(columns.len(), "column"),
                plural(count, "field")
            ),
        );
        return None;
    }
    Some((table, columns))
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::check::test_input::{run, used};

    fn keys_of(input: &syn::DeriveInput) -> (Vec<String>, Vec<String>) {
        let (keys, errors) = run(input, |cx, container| {
            check_foreign_keys(cx, container, &used(container))
        });
        let keys = keys
            .iter()
            .map(|key| {
                format!(
                    "({}) -> {}({}) {} {}",
                    key.columns.join(", "),
                    key.referenced_table,
                    key.referenced_columns.join(", "),
                    key.on_delete.variant(),
                    key.on_update.variant()
                )
            })
            .collect();
        (keys, errors)
    }

    #[test]
    fn field_keys_then_struct_keys() {
        let input = parse_quote! {
            #[money(foreign_key(fields(account_id, currency), references = "accounts(id, currency)", on_delete = "cascade"))]
            struct Entry {
                #[money(references = " journals ( id ) ", on_update = "set_null")]
                journal_id: i64,
                account_id: i64,
                currency: String,
            }
        };
        assert_eq!(
            keys_of(&input),
            (
                vec![
                    "(journal_id) -> journals(id) Restrict SetNull".to_owned(),
                    "(account_id, currency) -> accounts(id, currency) Cascade Restrict".to_owned(),
                ],
                vec![]
            )
        );
    }

    #[test]
    fn references_names_a_table_and_as_many_columns() {
        let input = parse_quote! {
            #[money(foreign_key(fields(account_id, other_id), references = "accounts(id)"))]
            struct Transfer {
                #[money(references = "accounts")]
                account_id: i64,
                #[money(references = "Accounts(id)")]
                other_id: i64,
                #[money(references = "accounts(id, currency)")]
                third_id: i64,
            }
        };
        assert_eq!(
            keys_of(&input),
            (
                vec![],
                vec![
                    "`references` names a table and its key columns, like \"accounts(id)\" or \"accounts(id, currency)\", not \"accounts\"".to_owned(),
                    format!("invalid name \"Accounts\" in `references`: {}", ident::RULE),
                    "`references` lists 2 columns but the key has 1 field: one referenced column per referencing field".to_owned(),
                    "`references` lists 1 column but the key has 2 fields: one referenced column per referencing field".to_owned(),
                ]
            )
        );
    }

    #[test]
    fn one_key_per_set_of_columns() {
        let input = parse_quote! {
            #[money(foreign_key(fields(account_id), references = "ledgers(id)"))]
            struct Transfer {
                #[money(references = "accounts(id)")]
                account_id: i64,
            }
        };
        let (keys, errors) = keys_of(&input);
        assert_eq!(keys, ["(account_id) -> accounts(id) Restrict Restrict"]);
        assert_eq!(
            errors,
            ["a foreign key on (account_id) is already declared; keep one"]
        );
    }

    #[test]
    fn key_fields_are_stored_fields_each_once() {
        let input = parse_quote! {
            #[money(foreign_key(fields(acount_id, note, account_id, account_id), references = "a(x, y, z, w)"))]
            struct Transfer {
                account_id: i64,
                #[money(skip)]
                note: String,
            }
        };
        assert_eq!(
            keys_of(&input).1,
            [
                "no field `acount_id` in this struct; did you mean `account_id`?",
                "`note` is skipped, so it has no column to reference another table",
                "`account_id` is already in this foreign key",
            ]
        );
    }

    #[test]
    fn actions_need_a_key() {
        let input = parse_quote! {
            struct Transfer {
                #[money(on_delete = "cascade")]
                account_id: i64,
            }
        };
        assert_eq!(
            keys_of(&input).1,
            [
                "`on_delete` needs `references` on the same field, like `#[money(references = \"accounts(id)\", on_delete = \"cascade\")]`"
            ]
        );
        let input = parse_quote! {
            #[money(foreign_key(fields(account_id)))]
            struct Transfer { account_id: i64 }
        };
        assert_eq!(
            keys_of(&input).1,
            [
                "`foreign_key` needs `references = \"...\"`, like `foreign_key(fields(account_id, currency), references = \"accounts(id, currency)\")`"
            ]
        );
    }
}

//! Table and column names: valid SQL identifiers, with a hint when one is
//! not.

use crate::ast::{self, Container};
use crate::ctxt::Ctxt;
use crate::ident;

/// The table name: the attribute's, else the struct's name in snake_case.
pub(super) fn table_name(cx: &mut Ctxt, container: &Container) -> String {
    match container.attrs.table.get() {
        Some(table) => {
            let name = table.value();
            if !ident::is_valid(&name) {
                cx.error_spanned_by(
                    table,
                    format!(
                        "invalid table name {name:?}: {}{}",
                        ident::RULE,
                        lowercase_hint(&name)
                    ),
                );
            }
            name
        }
        None => {
            let name = ident::snake_case(&container.ident.to_string());
            if !ident::is_valid(&name) {
                cx.error_spanned_by(
                    container.ident,
                    format!(
                        "the default table name {name:?} is not a valid SQL identifier: {}; name the table with `#[money(table = \"...\")]`",
                        ident::RULE
                    ),
                );
            }
            name
        }
    }
}

/// The column name: the attribute's, else the field's name.
pub(super) fn column_name(cx: &mut Ctxt, field: &ast::Field) -> String {
    match field.attrs.column.get() {
        Some(literal) => {
            let name = literal.value();
            if !ident::is_valid(&name) {
                cx.error_spanned_by(
                    literal,
                    format!(
                        "invalid column name {name:?}: {}{}",
                        ident::RULE,
                        lowercase_hint(&name)
                    ),
                );
            }
            name
        }
        None => {
            if !ident::is_valid(&field.name) {
                cx.error_spanned_by(
                    field.member,
                    format!(
                        "field name `{}` is not a valid column name: {}; name the column with `#[money(column = \"...\")]`",
                        field.name,
                        ident::RULE
                    ),
                );
            }
            field.name.clone()
        }
    }
}

/// `; did you mean "..."?` when the lowercase spelling would be valid.
fn lowercase_hint(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower != name && ident::is_valid(&lower) {
        format!("; did you mean {lower:?}?")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::check::test_input::{check, run};

    #[test]
    fn the_attribute_names_the_table() {
        let input = parse_quote! {
            #[money(table = "ledger_accounts")]
            struct Account { id: i64 }
        };
        let (name, errors) = run(&input, table_name);
        assert_eq!(name, "ledger_accounts");
        assert_eq!(errors, Vec::<String>::new());
    }

    #[test]
    fn the_default_table_name_is_the_struct_in_snake_case() {
        let input = parse_quote! { struct AccountEntry { id: i64 } };
        assert_eq!(
            run(&input, table_name),
            ("account_entry".to_owned(), vec![])
        );
    }

    #[test]
    fn an_invalid_table_name_says_what_is_valid_and_suggests_lowercase() {
        let input = parse_quote! {
            #[money(table = "Accounts")]
            struct Account { id: i64 }
        };
        let (_, errors) = run(&input, table_name);
        assert_eq!(
            errors,
            [format!(
                "invalid table name \"Accounts\": {}; did you mean \"accounts\"?",
                ident::RULE
            )]
        );
        let input = parse_quote! {
            #[money(table = "accounts; drop table x")]
            struct Account { id: i64 }
        };
        let (_, errors) = run(&input, table_name);
        assert_eq!(
            errors,
            [format!(
                "invalid table name \"accounts; drop table x\": {}",
                ident::RULE
            )]
        );
    }

    #[test]
    fn an_invalid_default_table_name_asks_for_the_attribute() {
        let input = parse_quote! { struct Café { id: i64 } };
        let (_, errors) = run(&input, table_name);
        assert_eq!(
            errors,
            [format!(
                "the default table name \"café\" is not a valid SQL identifier: {}; name the table with `#[money(table = \"...\")]`",
                ident::RULE
            )]
        );
    }

    #[test]
    fn column_names_come_from_the_attribute_or_the_field() {
        let input = parse_quote! {
            struct Account {
                #[money(column = "account_id")]
                id: i64,
                r#type: i64,
                #[money(column = "Balance")]
                balance: i64,
            }
        };
        let (names, errors) = run(&input, |cx, container| {
            container
                .fields
                .iter()
                .map(|field| column_name(cx, field))
                .collect::<Vec<_>>()
        });
        assert_eq!(names, ["account_id", "type", "Balance"]);
        assert_eq!(
            errors,
            [format!(
                "invalid column name \"Balance\": {}; did you mean \"balance\"?",
                ident::RULE
            )]
        );
    }

    #[test]
    fn a_field_name_that_is_no_column_name_asks_for_the_attribute() {
        let input = parse_quote! { struct Account { Id: i64 } };
        let (_, errors) = check(&input);
        assert_eq!(
            errors,
            [format!(
                "field name `Id` is not a valid column name: {}; name the column with `#[money(column = \"...\")]`",
                ident::RULE
            )]
        );
    }
}

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

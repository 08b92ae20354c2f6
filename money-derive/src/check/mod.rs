//! Rules that involve several values of a declaration. Checking turns the
//! parsed attributes into a [`Model`] that expansion can trust: a `Model`
//! exists only when every rule holds.
//!
//! One module per concern, each with its unit tests: `names` (table and
//! column names), `spec` (a field's kind and money declaration), `currency`
//! (`currency_field`), `keys` (`unique`), `foreign` (foreign keys),
//! `dialects` and `serde`; `value`, a `MoneyValue`'s declaration. This
//! module holds the checked types and runs a model's checks in order.

mod currency;
mod dialects;
mod foreign;
mod keys;
mod names;
mod serde;
mod spec;
#[cfg(test)]
mod test_input;
mod value;

use rust_decimal::Decimal;
use syn::{Generics, Ident, Type};

use crate::ast::Container;
use crate::attr::{self, ExcessScale, ReferentialAction};
use crate::ctxt::Ctxt;

pub use value::check_value;

/// A checked model.
pub struct Model<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub table: String,
    pub columns: Vec<Column<'a>>,
    /// Unique keys, as column names.
    pub unique: Vec<Vec<String>>,
    /// Foreign keys: field keys in field order, then the struct's.
    pub foreign_keys: Vec<ForeignKey>,
    /// Fields left out of the table (`skip`).
    pub skipped: Vec<&'a Ident>,
    /// The databases `dialects(...)` names, for the checks only the field
    /// types can answer (made by the compiler, see `expand`).
    pub targets: Targets,
    /// Whether to generate `sqlx::FromRow` (not with `no_from_row`).
    pub from_row: bool,
}

/// A checked foreign key.
pub struct ForeignKey {
    /// The referencing columns.
    pub columns: Vec<String>,
    /// Their fields.
    pub fields: Vec<String>,
    pub referenced_table: String,
    pub referenced_columns: Vec<String>,
    pub on_delete: ReferentialAction,
    pub on_update: ReferentialAction,
}

/// The databases a model targets beyond PostgreSQL.
#[derive(Clone, Copy, Default)]
pub struct Targets {
    pub sqlite: bool,
    pub mysql: bool,
}

/// A checked column.
pub struct Column<'a> {
    pub field: String,
    pub member: &'a Ident,
    pub ty: &'a Type,
    pub name: String,
    pub kind: Kind,
    pub primary_key: bool,
    /// For an amount with `currency_field`: the index, in the model's
    /// columns, of the currency column.
    pub currency_of: Option<usize>,
}

/// What a checked column holds.
pub enum Kind {
    Money(Money),
    /// A scalar whose SQL type comes from the Rust type.
    Scalar,
    /// `sql_type = "..."`, with the nullability read off the type's spelling.
    Custom {
        sql_type: String,
        nullable: bool,
    },
    /// `currency`: an ISO 4217 code.
    Currency,
}

/// A checked money declaration: `scale <= precision <= 28`, bounds within
/// both, `min <= max`.
pub struct Money {
    pub precision: u32,
    pub scale: u32,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    pub on_excess_scale: ExcessScale,
    /// `currency_field`, resolved to the currency's column name.
    pub currency_column: Option<String>,
}

/// Checks the whole container; `None` when any error was found.
pub fn check<'a>(cx: &mut Ctxt, container: &'a Container<'a>) -> Option<Model<'a>> {
    let table = names::table_name(cx, container);
    let mut used: Vec<(String, &str)> = Vec::new();
    let mut columns: Vec<Column<'a>> = Vec::new();
    for field in &container.fields {
        if field.attrs.skip.get().is_some() {
            check_skip(cx, &field.attrs);
            continue;
        }
        // Names first, so a duplicate is reported even when the field has
        // other mistakes.
        let name = names::column_name(cx, field);
        if let Some((_, first)) = used.iter().find(|(other, _)| *other == name) {
            let message = format!(
                "column `{name}` is already used by field `{first}`; choose another name with `column = \"...\"`"
            );
            match field.attrs.column.get() {
                Some(literal) => cx.error_spanned_by(literal, message),
                None => cx.error_spanned_by(field.member, message),
            }
        }
        used.push((name.clone(), &field.name));
        if let Some(kind) = spec::check_kind(cx, field) {
            columns.push(Column {
                field: field.name.clone(),
                member: field.member,
                ty: field.ty,
                name,
                kind,
                primary_key: field.attrs.primary_key.get().is_some(),
                currency_of: None,
            });
        }
    }
    currency::check_currency_fields(cx, container, &mut columns);
    let unique = keys::check_unique(cx, container, &used);
    let foreign_keys = foreign::check_foreign_keys(cx, container, &used);
    let targets = dialects::check_dialects(cx, container);
    serde::check_serde(cx, container, &columns);
    if cx.has_errors() {
        return None;
    }
    Some(Model {
        ident: container.ident,
        generics: container.generics,
        table,
        columns,
        unique,
        foreign_keys,
        skipped: container
            .fields
            .iter()
            .filter(|field| field.attrs.skip.get().is_some())
            .map(|field| field.member)
            .collect(),
        targets,
        from_row: container.attrs.no_from_row.get().is_none(),
    })
}

/// `skip` leaves the field out, so any other key would be ignored.
fn check_skip(cx: &mut Ctxt, attrs: &attr::Field) {
    for (key, span) in attrs.written_keys() {
        if key != crate::symbol::SKIP {
            cx.syn_error(syn::Error::new(
                span,
                format!(
                    "`{key}` has no effect on a skipped field; remove `{key}` or remove `skip`"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::test_input::check;

    #[test]
    fn a_valid_model_is_checked_into_columns() {
        let input = parse_quote! {
            #[money(table = "accounts", unique(currency))]
            struct Account {
                #[money(primary_key)]
                id: i64,
                #[money(precision = 19, scale = 4, min = "0", currency_field = "currency")]
                balance: Decimal,
                #[money(currency)]
                currency: String,
                #[money(skip)]
                cache: u8,
            }
        };
        let mut cx = crate::ctxt::Ctxt::default();
        let container = crate::ast::Container::from_ast(&mut cx, &input).expect("a struct");
        let model = super::check(&mut cx, &container).expect("a valid model");
        assert_eq!(model.table, "accounts");
        let names: Vec<_> = model
            .columns
            .iter()
            .map(|column| column.name.as_str())
            .collect();
        assert_eq!(names, ["id", "balance", "currency"]);
        assert!(model.columns[0].primary_key);
        assert_eq!(model.columns[1].currency_of, Some(2));
        let super::Kind::Money(money) = &model.columns[1].kind else {
            panic!("balance is money");
        };
        assert_eq!((money.precision, money.scale), (19, 4));
        assert_eq!(money.currency_column.as_deref(), Some("currency"));
        assert_eq!(model.unique, [["currency"]]);
        assert_eq!(model.skipped.len(), 1);
        assert!(model.from_row);
    }

    #[test]
    fn a_column_used_twice_is_reported_on_the_second_field() {
        let input = parse_quote! {
            struct Account {
                amount: i64,
                #[money(column = "amount")]
                other: i64,
            }
        };
        assert_eq!(
            check(&input),
            (
                false,
                vec![
                    "column `amount` is already used by field `amount`; choose another name with `column = \"...\"`"
                        .to_owned()
                ]
            )
        );
    }

    #[test]
    fn a_skipped_field_takes_no_other_key() {
        let input = parse_quote! {
            struct Account {
                id: i64,
                #[money(skip, column = "x", primary_key)]
                cache: i64,
            }
        };
        assert_eq!(
            check(&input).1,
            [
                "`column` has no effect on a skipped field; remove `column` or remove `skip`",
                "`primary_key` has no effect on a skipped field; remove `primary_key` or remove `skip`",
            ]
        );
    }

    #[test]
    fn every_mistake_is_reported_by_one_check() {
        let input = parse_quote! {
            #[money(table = "Bad", dialects(oracle))]
            struct Account {
                #[money(precision = 4, scale = 6)]
                amount: Decimal,
                #[money(min = "1")]
                count: i64,
            }
        };
        let (made, errors) = check(&input);
        assert!(!made);
        assert_eq!(
            errors,
            [
                format!("invalid table name \"Bad\": {}; did you mean \"bad\"?", crate::ident::RULE),
                "`scale` 6 is above `precision` 4: scale counts the digits after the point, out of precision digits in all; use a scale of at most 4".to_owned(),
                "`min` applies to a money field; declare `precision` and `scale` too".to_owned(),
                "unknown dialect `oracle`: expected postgres, mysql or sqlite".to_owned(),
            ]
        );
    }
}

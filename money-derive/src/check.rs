//! Rules that involve several values of a declaration. Checking turns the
//! parsed attributes into a [`Model`] that expansion can trust: a `Model`
//! exists only when every rule holds.

use rust_decimal::Decimal;
use syn::{Generics, Ident, Type};

use crate::ast::{self, Container};
use crate::attr::{self, Bound, ExcessScale, ReferentialAction};
use crate::ctxt::Ctxt;
use crate::ident;

/// rust_decimal holds at most 28 significant digits.
use money_spec_core::MAX_PRECISION;

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

/// `serde` and `json_schema`: what `json` can expand. Money and currency
/// fields are read by money-core's adapter, so no serde key may replace it.
fn check_serde(cx: &mut Ctxt, container: &Container, columns: &[Column]) {
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

/// The table name: the attribute's, else the struct's name in snake_case.
pub fn table_name(cx: &mut Ctxt, container: &Container) -> String {
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

/// Checks the whole container; `None` when any error was found.
pub fn check<'a>(cx: &mut Ctxt, container: &'a Container<'a>) -> Option<Model<'a>> {
    let table = table_name(cx, container);
    let mut used: Vec<(String, &str)> = Vec::new();
    let mut columns: Vec<Column<'a>> = Vec::new();
    for field in &container.fields {
        if field.attrs.skip.get().is_some() {
            check_skip(cx, &field.attrs);
            continue;
        }
        // Names first, so a duplicate is reported even when the field has
        // other mistakes.
        let name = column_name(cx, field);
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
        if let Some(kind) = check_kind(cx, field) {
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
    check_currency_fields(cx, container, &mut columns);
    let unique = check_unique(cx, container, &used);
    let foreign_keys = check_foreign_keys(cx, container, &used);
    let targets = check_dialects(cx, container);
    check_serde(cx, container, &columns);
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

/// The most digits SQLite's 64-bit integer minor units hold, the constant
/// money-core's `dialect::sqlite::MAX_PRECISION` is. `tests/ui/dialects`
/// pins it: 18 compiles, 19 does not, on a field here and through a value
/// type there.
use money_spec_core::SQLITE_MAX_PRECISION;

/// `dialects(...)`: every named database must hold every money column.
fn check_dialects(cx: &mut Ctxt, container: &Container) -> Targets {
    let mut targets = Targets::default();
    let Some(dialects) = container.attrs.dialects.get() else {
        return targets;
    };
    for dialect in dialects {
        match dialect.to_string().as_str() {
            "postgres" => {}
            "sqlite" => {
                targets.sqlite = true;
                for field in &container.fields {
                    let Some(precision) = field.attrs.precision.get() else {
                        continue;
                    };
                    if precision.value > SQLITE_MAX_PRECISION && field.attrs.skip.get().is_none() {
                        cx.error_spanned_by(
                            &precision.literal,
                            format!(
                                "precision {} cannot be stored on SQLite, which this model targets (`dialects(.., sqlite)`): amounts are stored there as 64-bit integer minor units, which hold at most {SQLITE_MAX_PRECISION} digits; declare a precision of at most {SQLITE_MAX_PRECISION} or drop sqlite",
                                precision.value
                            ),
                        );
                    }
                }
            }
            "mysql" => targets.mysql = true,
            other => cx.error_spanned_by(
                dialect,
                format!("unknown dialect `{other}`: expected postgres, mysql or sqlite"),
            ),
        }
    }
    targets
}

/// `currency_field = "x"` names a stored field declared `currency`.
fn check_currency_fields(cx: &mut Ctxt, container: &Container, columns: &mut [Column]) {
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

/// Each `unique(...)` names stored fields, each once.
fn check_unique(cx: &mut Ctxt, container: &Container, used: &[(String, &str)]) -> Vec<Vec<String>> {
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

/// `references = "..."` on fields, then `foreign_key(...)` on the struct:
/// stored fields, each once, as many as the referenced columns; a valid
/// `table(column, ...)`; actions only with a key; no two keys on the same
/// columns (they would share a name).
fn check_foreign_keys(
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

/// The message for a field name that has no column: skipped, or no such
/// field (with the nearest one).
fn missing_field(
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

fn check_kind(cx: &mut Ctxt, field: &ast::Field) -> Option<Kind> {
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

fn lowercase_hint(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower != name && ident::is_valid(&lower) {
        format!("; did you mean {lower:?}?")
    } else {
        String::new()
    }
}

fn column_name(cx: &mut Ctxt, field: &ast::Field) -> String {
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

pub fn check_money(cx: &mut Ctxt, attrs: &attr::Field) -> Option<Money> {
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

//! The `#[money(...)]` parser: one branch per key, duplicates and unknown
//! keys reported on the key itself, and parsing goes on after an error so
//! that every mistake shows up in one compile.

use proc_macro2::{Span, TokenTree};
use rust_decimal::Decimal;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Lit, LitInt, LitStr, Token};

use crate::ctxt::Ctxt;
use crate::ident;
use crate::symbol::*;

/// One key's value, with the span of the key for "duplicate" errors.
pub struct Attr<T> {
    name: &'static str,
    value: Option<(Span, T)>,
}

impl<T> Attr<T> {
    fn none(name: &'static str) -> Self {
        Attr { name, value: None }
    }

    fn set(&mut self, cx: &mut Ctxt, key: &syn::Path, value: T) {
        if self.value.is_some() {
            cx.error_spanned_by(key, format!("duplicate `{}` key; keep one", self.name));
        } else {
            self.value = Some((span_of(key), value));
        }
    }

    pub fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, value)| value)
    }

    pub fn key_span(&self) -> Option<Span> {
        self.value.as_ref().map(|(span, _)| *span)
    }
}

fn span_of(path: &syn::Path) -> Span {
    path.segments
        .first()
        .map_or_else(Span::call_site, |segment| segment.ident.span())
}

/// A decimal bound as written, with its parsed value.
pub struct Bound {
    pub literal: LitStr,
    pub value: Decimal,
}

/// An integer as written, with its parsed value.
pub struct Number {
    pub literal: LitInt,
    pub value: u32,
}

/// `on_excess_scale = "reject" | "round"`: money-core's own type, through
/// the crate both share.
pub use money_spec_core::ExcessScale;

/// A referential action, as `on_delete = "..."` / `on_update = "..."`
/// spell it; money-core's `ReferentialAction` by another name (this crate
/// cannot depend on money-core).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ReferentialAction {
    Restrict,
    NoAction,
    Cascade,
    SetNull,
    SetDefault,
}

impl ReferentialAction {
    /// Every action with its attribute spelling.
    const ALL: [(&'static str, ReferentialAction); 5] = [
        ("restrict", ReferentialAction::Restrict),
        ("no_action", ReferentialAction::NoAction),
        ("cascade", ReferentialAction::Cascade),
        ("set_null", ReferentialAction::SetNull),
        ("set_default", ReferentialAction::SetDefault),
    ];

    /// The name of money-core's `ReferentialAction` variant.
    pub fn variant(self) -> &'static str {
        match self {
            ReferentialAction::Restrict => "Restrict",
            ReferentialAction::NoAction => "NoAction",
            ReferentialAction::Cascade => "Cascade",
            ReferentialAction::SetNull => "SetNull",
            ReferentialAction::SetDefault => "SetDefault",
        }
    }
}

/// `references = "accounts(id, currency)"`, as written.
pub struct References {
    pub literal: LitStr,
}

/// `foreign_key(fields(a, b), references = "t(x, y)", on_delete = "...",
/// on_update = "...")` on the struct.
pub struct ForeignKey {
    /// The `foreign_key` key, for errors about the whole key.
    pub key: syn::Path,
    /// `fields(...)`: the referencing fields, as written.
    pub fields: Attr<Vec<syn::Ident>>,
    pub references: Attr<References>,
    pub on_delete: Attr<ReferentialAction>,
    pub on_update: Attr<ReferentialAction>,
    /// Whether parsing its keys reported an error: then a "needs
    /// `references`" error would only repeat it.
    pub had_errors: bool,
}

/// `#[money(...)]` on the struct.
pub struct Container {
    pub table: Attr<LitStr>,
    /// `unique(a, b)`, once per key: the field names as written.
    pub unique: Vec<Vec<syn::Ident>>,
    /// `serde`: generate `Serialize`/`Deserialize` (and `JsonSchema` with
    /// money-core's `schemars` feature).
    pub serde: Attr<()>,
    /// `json_schema`: with `serde`, generate `schemars::JsonSchema`.
    pub json_schema: Attr<()>,
    /// `dialects(postgres, mysql, sqlite)`: the databases the model must
    /// fit, checked at compile time.
    pub dialects: Attr<Vec<syn::Ident>>,
    /// `no_from_row`: no generated `sqlx::FromRow`, so that the user can
    /// write or derive their own.
    pub no_from_row: Attr<()>,
    /// `foreign_key(...)`, once per key.
    pub foreign_keys: Vec<ForeignKey>,
    /// `crate = "path"`: where generated code finds money-core.
    pub krate: Attr<syn::Path>,
}

/// `#[money(...)]` on a field.
pub struct Field {
    pub precision: Attr<Number>,
    pub scale: Attr<Number>,
    pub min: Attr<Bound>,
    pub max: Attr<Bound>,
    pub column: Attr<LitStr>,
    pub on_excess_scale: Attr<ExcessScale>,
    pub sql_type: Attr<LitStr>,
    pub skip: Attr<()>,
    pub primary_key: Attr<()>,
    /// `currency`: the field holds an ISO 4217 code.
    pub currency: Attr<()>,
    /// `currency_field = "currency"`: the amount is limited to the minor
    /// units of the currency in that field.
    pub currency_field: Attr<LitStr>,
    /// `references = "accounts(id)"`: a foreign key of this one column.
    pub references: Attr<References>,
    /// `on_delete = "cascade"`, with `references`.
    pub on_delete: Attr<ReferentialAction>,
    /// `on_update = "cascade"`, with `references`.
    pub on_update: Attr<ReferentialAction>,
    /// `crate = "path"`, on a `MoneyValue` struct only.
    pub krate: Attr<syn::Path>,
    /// Whether parsing this field's attributes already reported an error
    /// (an unknown key or a bad value): then a "missing key" error would
    /// only repeat it.
    pub had_errors: bool,
}

impl Container {
    /// The path generated code reaches money-core by: `crate = "..."`, else
    /// `::money_core`.
    pub fn crate_path(&self) -> syn::Path {
        crate_path(&self.krate)
    }

    pub fn from_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut container = Container {
            table: Attr::none(TABLE),
            unique: Vec::new(),
            serde: Attr::none(SERDE),
            json_schema: Attr::none(JSON_SCHEMA),
            dialects: Attr::none(DIALECTS),
            no_from_row: Attr::none(NO_FROM_ROW),
            foreign_keys: Vec::new(),
            krate: Attr::none(CRATE),
        };
        for attr in money_attrs(attrs) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(TABLE) {
                    if let Some(table) = string_value(cx, &meta, TABLE, "\"accounts\"")? {
                        container.table.set(cx, &meta.path, table);
                    }
                } else if meta.path.is_ident(UNIQUE) {
                    let usage = "`unique` lists the fields of the key, like `unique(settlement_id, account_id)`";
                    let empty = "`unique()` needs at least one field, like `unique(settlement_id)`";
                    if let Some(fields) = ident_list(cx, &meta, usage, empty)? {
                        container.unique.push(fields);
                    }
                } else if meta.path.is_ident(DIALECTS) {
                    let usage = "`dialects` lists the databases the model must fit, like `dialects(postgres, sqlite)`";
                    let empty = "`dialects()` needs at least one of postgres, mysql, sqlite";
                    if let Some(dialects) = ident_list(cx, &meta, usage, empty)? {
                        container.dialects.set(cx, &meta.path, dialects);
                    }
                } else if meta.path.is_ident(FOREIGN_KEY) {
                    if let Some(key) = foreign_key(cx, &meta)? {
                        container.foreign_keys.push(key);
                    }
                } else if meta.path.is_ident(SERDE) {
                    if flag(cx, &meta, SERDE)? {
                        container.serde.set(cx, &meta.path, ());
                    }
                } else if meta.path.is_ident(JSON_SCHEMA) {
                    if flag(cx, &meta, JSON_SCHEMA)? {
                        container.json_schema.set(cx, &meta.path, ());
                    }
                } else if meta.path.is_ident(NO_FROM_ROW) {
                    if flag(cx, &meta, NO_FROM_ROW)? {
                        container.no_from_row.set(cx, &meta.path, ());
                    }
                } else if meta.path.is_ident(CRATE) {
                    if let Some(path) = crate_value(cx, &meta)? {
                        container.krate.set(cx, &meta.path, path);
                    }
                } else {
                    unknown_key(cx, &meta, CONTAINER_KEYS, FIELD_KEYS, "the struct")?;
                }
                Ok(())
            });
            if let Err(error) = result {
                cx.syn_error(error);
            }
        }
        container
    }
}

/// `key(a, b, ...)`: the identifiers, or `None` (reported) when the key has
/// no parenthesized list. An empty list is reported and returned.
fn ident_list(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta,
    usage: &str,
    empty: &str,
) -> syn::Result<Option<Vec<syn::Ident>>> {
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(&meta.path, usage);
        skip_value(meta)?;
        return Ok(None);
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let idents: Vec<syn::Ident> =
        syn::punctuated::Punctuated::<syn::Ident, Token![,]>::parse_terminated(&content)?
            .into_iter()
            .collect();
    if idents.is_empty() {
        cx.error_spanned_by(&meta.path, empty);
    }
    Ok(Some(idents))
}

impl Field {
    /// The attributes of a `MoneyModel` field.
    pub fn from_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        Self::parse(cx, attrs, false)
    }

    /// The attributes of a `MoneyValue` struct: a field's keys, and `crate`.
    pub fn from_value_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        Self::parse(cx, attrs, true)
    }

    /// The path generated code reaches money-core by (`MoneyValue`).
    pub fn crate_path(&self) -> syn::Path {
        crate_path(&self.krate)
    }

    fn parse(cx: &mut Ctxt, attrs: &[Attribute], value_type: bool) -> Self {
        let mut field = Field {
            precision: Attr::none(PRECISION),
            scale: Attr::none(SCALE),
            min: Attr::none(MIN),
            max: Attr::none(MAX),
            column: Attr::none(COLUMN),
            on_excess_scale: Attr::none(ON_EXCESS_SCALE),
            sql_type: Attr::none(SQL_TYPE),
            skip: Attr::none(SKIP),
            primary_key: Attr::none(PRIMARY_KEY),
            currency: Attr::none(CURRENCY),
            currency_field: Attr::none(CURRENCY_FIELD),
            references: Attr::none(REFERENCES),
            on_delete: Attr::none(ON_DELETE),
            on_update: Attr::none(ON_UPDATE),
            krate: Attr::none(CRATE),
            had_errors: false,
        };
        let errors_before = cx.error_count();
        for attr in money_attrs(attrs) {
            let result = attr.parse_nested_meta(|meta| {
                let path = meta.path.clone();
                if path.is_ident(PRECISION) {
                    if let Some(number) = integer_value(cx, &meta, PRECISION)? {
                        field.precision.set(cx, &path, number);
                    }
                } else if path.is_ident(SCALE) {
                    if let Some(number) = integer_value(cx, &meta, SCALE)? {
                        field.scale.set(cx, &path, number);
                    }
                } else if path.is_ident(MIN) {
                    if let Some(bound) = decimal_value(cx, &meta, MIN)? {
                        field.min.set(cx, &path, bound);
                    }
                } else if path.is_ident(MAX) {
                    if let Some(bound) = decimal_value(cx, &meta, MAX)? {
                        field.max.set(cx, &path, bound);
                    }
                } else if path.is_ident(COLUMN) {
                    if let Some(column) = string_value(cx, &meta, COLUMN, "\"balance\"")? {
                        field.column.set(cx, &path, column);
                    }
                } else if path.is_ident(ON_EXCESS_SCALE) {
                    if let Some(mode) = excess_scale_value(cx, &meta)? {
                        field.on_excess_scale.set(cx, &path, mode);
                    }
                } else if path.is_ident(SQL_TYPE) {
                    if let Some(sql_type) = string_value(cx, &meta, SQL_TYPE, "\"uuid\"")? {
                        field.sql_type.set(cx, &path, sql_type);
                    }
                } else if path.is_ident(SKIP) {
                    if flag(cx, &meta, SKIP)? {
                        field.skip.set(cx, &path, ());
                    }
                } else if path.is_ident(PRIMARY_KEY) {
                    if flag(cx, &meta, PRIMARY_KEY)? {
                        field.primary_key.set(cx, &path, ());
                    }
                } else if path.is_ident(CURRENCY) {
                    if flag(cx, &meta, CURRENCY)? {
                        field.currency.set(cx, &path, ());
                    }
                } else if path.is_ident(CURRENCY_FIELD) {
                    if let Some(name) = string_value(cx, &meta, CURRENCY_FIELD, "\"currency\"")? {
                        field.currency_field.set(cx, &path, name);
                    }
                } else if path.is_ident(REFERENCES) {
                    if let Some(literal) = string_value(cx, &meta, REFERENCES, "\"accounts(id)\"")?
                    {
                        field.references.set(cx, &path, References { literal });
                    }
                } else if path.is_ident(ON_DELETE) {
                    if let Some(action) = action_value(cx, &meta, ON_DELETE)? {
                        field.on_delete.set(cx, &path, action);
                    }
                } else if path.is_ident(ON_UPDATE) {
                    if let Some(action) = action_value(cx, &meta, ON_UPDATE)? {
                        field.on_update.set(cx, &path, action);
                    }
                } else if value_type && path.is_ident(CRATE) {
                    if let Some(krate) = crate_value(cx, &meta)? {
                        field.krate.set(cx, &path, krate);
                    }
                } else {
                    unknown_key(cx, &meta, FIELD_KEYS, CONTAINER_KEYS, "a field")?;
                }
                Ok(())
            });
            if let Err(error) = result {
                cx.syn_error(error);
            }
        }
        field.had_errors = cx.error_count() > errors_before;
        field
    }

    /// The keys that were written, with their spans, in declaration order of
    /// this struct's fields (for "conflicts with" errors).
    pub fn written_keys(&self) -> Vec<(&'static str, Span)> {
        [
            (self.precision.name, self.precision.key_span()),
            (self.scale.name, self.scale.key_span()),
            (self.min.name, self.min.key_span()),
            (self.max.name, self.max.key_span()),
            (self.column.name, self.column.key_span()),
            (self.on_excess_scale.name, self.on_excess_scale.key_span()),
            (self.sql_type.name, self.sql_type.key_span()),
            (self.skip.name, self.skip.key_span()),
            (self.primary_key.name, self.primary_key.key_span()),
            (self.currency.name, self.currency.key_span()),
            (self.currency_field.name, self.currency_field.key_span()),
            (self.references.name, self.references.key_span()),
            (self.on_delete.name, self.on_delete.key_span()),
            (self.on_update.name, self.on_update.key_span()),
        ]
        .into_iter()
        .filter_map(|(name, span)| Some((name, span?)))
        .collect()
    }

    /// Whether the field declares a money column.
    pub fn is_money(&self) -> bool {
        self.precision.get().is_some() || self.scale.get().is_some()
    }
}

fn money_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident(MONEY))
}

/// Reports an unknown key with the nearest known one, then skips its value
/// so the remaining keys are still parsed.
fn unknown_key(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta,
    known: &[&str],
    elsewhere: &[&str],
    position: &str,
) -> syn::Result<()> {
    let key = path_text(&meta.path);
    let message = if elsewhere.contains(&key.as_str()) {
        let other = if position == "a field" {
            "the struct"
        } else {
            "a field"
        };
        format!("`{key}` belongs on {other}, not on {position}")
    } else {
        match ident::suggest(&key, known) {
            Some(nearest) => format!("unknown key `{key}`; did you mean `{nearest}`?"),
            None => format!(
                "unknown key `{key}`; expected one of {}",
                known
                    .iter()
                    .map(|known| format!("`{known}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    cx.error_spanned_by(&meta.path, message);
    skip_value(meta)
}

/// A path as written, without generics (`::money_core`, `serde`), as
/// messages show it and as string attributes (`#[serde(with = "...")]`)
/// take it.
pub fn path_text(path: &syn::Path) -> String {
    let segments: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let leading = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{leading}{}", segments.join("::"))
}

/// Consumes `= value` or `(...)` after a key whose value was not used.
pub fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.input.parse::<Token![=]>()?;
        skip_to_next_key(meta)?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<TokenTree>()?;
    }
    Ok(())
}

/// Skips the rest of a value whose `=` is consumed, up to the next key.
fn skip_to_next_key(meta: &ParseNestedMeta) -> syn::Result<()> {
    while !meta.input.is_empty() && !meta.input.peek(Token![,]) {
        meta.input.parse::<TokenTree>()?;
    }
    Ok(())
}

/// Parses `key = <literal>`. A missing `=` is a syntax error that stops
/// this attribute; a value that is not a literal is recorded, skipped, and
/// parsing goes on (`Ok(None)`).
fn literal_value(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta,
    key: &str,
    example: &str,
) -> syn::Result<Option<Lit>> {
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format!("`{key}` needs a value, like `{key} = {example}`")));
    }
    meta.input.parse::<Token![=]>()?;
    if meta.input.peek(Token![-]) {
        // `-1` is two tokens; point at both.
        let minus: Token![-] = meta.input.parse()?;
        let span = match meta.input.parse::<Lit>() {
            Ok(lit) => minus.span.join(lit.span()).unwrap_or(minus.span),
            Err(_) => minus.span,
        };
        skip_to_next_key(meta)?;
        cx.syn_error(syn::Error::new(
            span,
            format!("`{key}` cannot be a negative number; write it like `{key} = {example}`"),
        ));
        return Ok(None);
    }
    match meta.input.parse::<Lit>() {
        Ok(lit) => Ok(Some(lit)),
        Err(_) => {
            let span = meta.input.span();
            skip_to_next_key(meta)?;
            cx.syn_error(syn::Error::new(
                span,
                format!("expected a literal, like `{key} = {example}`"),
            ));
            Ok(None)
        }
    }
}

fn string_value(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta,
    key: &str,
    example: &str,
) -> syn::Result<Option<LitStr>> {
    match literal_value(cx, meta, key, example)? {
        None => Ok(None),
        Some(Lit::Str(lit)) => Ok(Some(lit)),
        Some(other) => {
            cx.error_spanned_by(
                other,
                format!("`{key}` takes a string, like `{key} = {example}`"),
            );
            Ok(None)
        }
    }
}

fn integer_value(cx: &mut Ctxt, meta: &ParseNestedMeta, key: &str) -> syn::Result<Option<Number>> {
    let Some(literal) = literal_value(cx, meta, key, "4")? else {
        return Ok(None);
    };
    match literal {
        Lit::Int(literal) if !literal.suffix().is_empty() => {
            cx.error_spanned_by(
                &literal,
                format!("`{key}` takes a plain integer without suffix, like `{key} = 4`"),
            );
            Ok(None)
        }
        Lit::Int(literal) => match literal.base10_parse::<u32>() {
            Ok(value) => Ok(Some(Number { literal, value })),
            Err(_) => {
                cx.error_spanned_by(
                    &literal,
                    format!(
                        "`{key}` must be between {} and {}, not {literal}",
                        u32::from(key == PRECISION),
                        money_spec_core::MAX_PRECISION
                    ),
                );
                Ok(None)
            }
        },
        other => {
            cx.error_spanned_by(other, format!("`{key}` takes an integer, like `{key} = 4`"));
            Ok(None)
        }
    }
}

fn decimal_value(cx: &mut Ctxt, meta: &ParseNestedMeta, key: &str) -> syn::Result<Option<Bound>> {
    let Some(literal) = literal_value(cx, meta, key, "\"0\"")? else {
        return Ok(None);
    };
    match literal {
        // The reader money-core reads values with: a bound is read as a
        // value is.
        Lit::Str(literal) => match money_spec_core::parse_decimal(&literal.value()) {
            Ok(value) => Ok(Some(Bound { literal, value })),
            Err(problem) => {
                use money_spec_core::ParseDecimalError;
                let text = literal.value();
                let message = match problem {
                    ParseDecimalError::Inexact | ParseDecimalError::TooLong { .. } => format!(
                        "`{key}` {text:?} does not fit a rust_decimal::Decimal, which holds at most {} digits after the point and magnitudes below 7.9e28",
                        money_spec_core::MAX_SCALE
                    ),
                    // Empty, NaN, syntax: and any kind a later version adds.
                    _ => format!(
                        "`{key}` must be a decimal number such as \"0\" or \"-12.50\", not {text:?}"
                    ),
                };
                cx.error_spanned_by(&literal, message);
                Ok(None)
            }
        },
        number @ (Lit::Int(_) | Lit::Float(_)) => {
            cx.error_spanned_by(
                number,
                format!("write `{key}` as a string, like `{key} = \"0\"`, so that it is read exactly, never through a float"),
            );
            Ok(None)
        }
        other => {
            cx.error_spanned_by(
                other,
                format!("`{key}` takes a decimal number in a string, like `{key} = \"0\"`"),
            );
            Ok(None)
        }
    }
}

fn excess_scale_value(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<ExcessScale>> {
    let Some(literal) = string_value(cx, meta, ON_EXCESS_SCALE, "\"round\"")? else {
        return Ok(None);
    };
    let value = literal.value();
    match ExcessScale::from_name(&value) {
        Some(mode) => Ok(Some(mode)),
        None => {
            let other = value.as_str();
            let hint = ident::suggest(other, &ExcessScale::NAMES)
                .map(|nearest| format!("; did you mean \"{nearest}\"?"))
                .unwrap_or_default();
            cx.error_spanned_by(
                &literal,
                format!("unknown `on_excess_scale` value {other:?}: expected \"reject\" or \"round\"{hint}"),
            );
            Ok(None)
        }
    }
}

/// `foreign_key(fields(a, b), references = "t(x, y)", on_delete = "...",
/// on_update = "...")`: `None` (reported) without a parenthesized list.
fn foreign_key(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<ForeignKey>> {
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            "`foreign_key` needs its fields and the key they reference, like `foreign_key(fields(account_id, currency), references = \"accounts(id, currency)\")`",
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let mut key = ForeignKey {
        key: meta.path.clone(),
        fields: Attr::none(FIELDS),
        references: Attr::none(REFERENCES),
        on_delete: Attr::none(ON_DELETE),
        on_update: Attr::none(ON_UPDATE),
        had_errors: false,
    };
    let errors_before = cx.error_count();
    meta.parse_nested_meta(|inner| {
        let path = inner.path.clone();
        if path.is_ident(FIELDS) {
            let usage =
                "`fields` lists the referencing fields, like `fields(account_id, currency)`";
            let empty = "`fields()` needs at least one field, like `fields(account_id)`";
            if let Some(fields) = ident_list(cx, &inner, usage, empty)? {
                key.fields.set(cx, &path, fields);
            }
        } else if path.is_ident(REFERENCES) {
            if let Some(literal) =
                string_value(cx, &inner, REFERENCES, "\"accounts(id, currency)\"")?
            {
                key.references.set(cx, &path, References { literal });
            }
        } else if path.is_ident(ON_DELETE) {
            if let Some(action) = action_value(cx, &inner, ON_DELETE)? {
                key.on_delete.set(cx, &path, action);
            }
        } else if path.is_ident(ON_UPDATE) {
            if let Some(action) = action_value(cx, &inner, ON_UPDATE)? {
                key.on_update.set(cx, &path, action);
            }
        } else {
            unknown_key(cx, &inner, FOREIGN_KEY_KEYS, &[], "`foreign_key(...)`")?;
        }
        Ok(())
    })?;
    key.had_errors = cx.error_count() > errors_before;
    Ok(Some(key))
}

/// `on_delete = "..."` / `on_update = "..."`: one of [`ReferentialAction::ALL`].
fn action_value(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta,
    key: &str,
) -> syn::Result<Option<ReferentialAction>> {
    let Some(literal) = string_value(cx, meta, key, "\"cascade\"")? else {
        return Ok(None);
    };
    let text = literal.value();
    if let Some((_, action)) = ReferentialAction::ALL
        .iter()
        .find(|(name, _)| *name == text)
    {
        return Ok(Some(*action));
    }
    let names: Vec<&str> = ReferentialAction::ALL
        .iter()
        .map(|(name, _)| *name)
        .collect();
    let hint = ident::suggest(&text.replace(' ', "_").to_lowercase(), &names)
        .map(|nearest| format!("; did you mean \"{nearest}\"?"))
        .unwrap_or_default();
    cx.error_spanned_by(
        &literal,
        format!(
            "unknown `{key}` action {text:?}: expected one of {}{hint}",
            names
                .iter()
                .map(|name| format!("\"{name}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    Ok(None)
}

/// `crate = "path"`: a path without generic arguments, such as
/// `"my_app::money_core"` or `"::money"`, read as serde reads
/// `#[serde(crate = "...")]`. The path's tokens take the literal's span,
/// so it resolves where the struct is declared.
fn crate_value(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<syn::Path>> {
    let example = "\"my_crate::money_core\"";
    let Some(literal) = string_value(cx, meta, CRATE, example)? else {
        return Ok(None);
    };
    match literal.parse_with(syn::Path::parse_mod_style) {
        Ok(path) => Ok(Some(path)),
        Err(_) => {
            cx.error_spanned_by(
                &literal,
                format!(
                    "`crate` must be the path of money-core or of a module that re-exports it, like `crate = {example}`, not {:?}",
                    literal.value()
                ),
            );
            Ok(None)
        }
    }
}

/// `::money_core` unless `crate = "..."` names another path.
fn crate_path(krate: &Attr<syn::Path>) -> syn::Path {
    krate.get().cloned().unwrap_or_else(default_crate_path)
}

/// The path generated code reaches money-core by when nothing else is said.
pub fn default_crate_path() -> syn::Path {
    syn::parse_quote!(::money_core)
}

/// A key without a value: `skip`, `primary_key`.
fn flag(cx: &mut Ctxt, meta: &ParseNestedMeta, key: &str) -> syn::Result<bool> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` takes no value; write `#[money({key})]`"),
        );
        skip_value(meta)?;
        return Ok(false);
    }
    Ok(true)
}

//! Quoting the impl. The generated code is a static description of the
//! table plus one call into money-core per money field; everything that
//! could be a function is a function in money-core.

use money_spec_core::{RuleKind, naming};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use rust_decimal::Decimal;
use syn::DeriveInput;
use syn::spanned::Spanned;

use crate::ast::Container;
use crate::attr::ExcessScale;
use crate::check::{self, Kind, Model, Money};
use crate::ctxt::Ctxt;

/// Parses, checks and expands; on any error, the errors together with a
/// fallback impl, so the user sees the real mistakes and not a cascade of
/// "trait not implemented".
pub fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let container = Container::from_ast(&mut cx, input);
    if let Some(container) = &container
        && let Some(model) = check::check(&mut cx, container)
    {
        let krate = container.attrs.crate_path();
        let serde = crate::json::expand(container, &model, &krate);
        return expand(&model, &krate, serde);
    }
    let errors = cx.into_compile_errors();
    let fallback = fallback(input, container.as_ref());
    quote! { #errors #fallback }
}

/// `krate` is the path generated code reaches money-core by: every path
/// below starts from it (`#p` is its `__private` module).
fn expand(model: &Model, krate: &syn::Path, serde: TokenStream) -> TokenStream {
    let p = quote! { #krate::__private };
    let ident = model.ident;
    let (impl_generics, type_generics, where_clause) = model.generics.split_for_impl();
    let table = &model.table;
    let unique = model.unique.iter().map(|key| quote! { &[#(#key),*] });
    let foreign_keys = {
        let keys = model.foreign_keys.iter().map(|key| {
            let columns = &key.columns;
            let fields = &key.fields;
            let referenced_table = &key.referenced_table;
            let referenced_columns = &key.referenced_columns;
            let on_delete =
                syn::Ident::new(key.on_delete.variant(), proc_macro2::Span::call_site());
            let on_update =
                syn::Ident::new(key.on_update.variant(), proc_macro2::Span::call_site());
            quote! {
                #p::foreign_key(
                    &[#(#columns),*],
                    &[#(#fields),*],
                    #referenced_table,
                    &[#(#referenced_columns),*],
                    #p::ReferentialAction::#on_delete,
                    #p::ReferentialAction::#on_update,
                )
            }
        });
        quote! { &[#(#keys),*] }
    };
    let columns = model.columns.iter().map(|column| {
        let field = &column.field;
        let name = &column.name;
        let ty = column.ty;
        let primary_key = column.primary_key;
        // Type assertions sit on the field's type, so a wrong type errors
        // there and not on the derive.
        let (column_type, nullable) = match &column.kind {
            Kind::Money(money) => {
                let spec = money_spec(money, &p);
                (
                    quote! { #p::ColumnType::Money(#spec) },
                    quote_spanned! {ty.span()=> <#ty as #p::MoneyField>::NULLABLE },
                )
            }
            Kind::Scalar => (
                quote_spanned! {ty.span()=> <#ty as #p::SqlColumn>::COLUMN_TYPE },
                quote_spanned! {ty.span()=> <#ty as #p::SqlColumn>::NULLABLE },
            ),
            Kind::Custom { sql_type, nullable } => (
                quote! { #p::ColumnType::Custom(#sql_type) },
                quote! { #nullable },
            ),
            Kind::Currency => (
                quote! { #p::ColumnType::Currency },
                quote_spanned! {ty.span()=> <#ty as #p::CurrencyField>::NULLABLE },
            ),
        };
        let constraint_names = constraint_names(table, column);
        quote! {
            #p::column(#field, #name, #column_type, #nullable, #primary_key, &[#(#constraint_names),*])
        }
    });
    let checks = model
        .columns
        .iter()
        .enumerate()
        .filter_map(|(index, column)| {
            let member = column.member;
            let ty = column.ty;
            match (&column.kind, column.currency_of) {
                (Kind::Money(_), None) => Some(quote_spanned! {ty.span()=>
                    #p::check_money(
                        &mut errors,
                        <Self as #krate::MoneyModel>::DEFINITION,
                        #index,
                        <#ty as #p::MoneyField>::amount(&self.#member),
                    );
                }),
                (Kind::Money(_), Some(currency)) => {
                    let currency = &model.columns[currency];
                    let (currency_member, currency_ty) = (currency.member, currency.ty);
                    Some(quote_spanned! {ty.span()=>
                        #p::check_money_in(
                            &mut errors,
                            <Self as #krate::MoneyModel>::DEFINITION,
                            #index,
                            <#ty as #p::MoneyField>::amount(&self.#member),
                            <#currency_ty as #p::CurrencyField>::currency_code(&self.#currency_member),
                        );
                    })
                }
                (Kind::Currency, _) => Some(quote_spanned! {ty.span()=>
                    #p::check_currency(
                        &mut errors,
                        <Self as #krate::MoneyModel>::DEFINITION,
                        #index,
                        <#ty as #p::CurrencyField>::currency_code(&self.#member),
                    );
                }),
                _ => None,
            }
        });
    let sqlx = sqlx_impls(model, krate);
    let dialect_checks = dialect_checks(model, &p);
    quote! {
        #[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::MoneyModel for #ident #type_generics #where_clause {
                const TABLE: &'static ::core::primitive::str = #table;
                const DEFINITION: &'static #p::Table =
                    &#p::table(#table, &[#(#columns),*], &[#(#unique),*], #foreign_keys);

                #[inline]
                fn validate(&self) -> #p::Result<(), #p::ValidationErrors> {
                    let mut errors = #p::validation_errors();
                    #(#checks)*
                    #p::validation_result(errors)
                }
            }

            #dialect_checks
            #sqlx
            #serde
        };
    }
}

/// The names of a money or currency column's constraints, by
/// `RuleKind::position`, spelled now so that reporting a broken rule copies
/// nothing; none for other columns (a `MoneyValue` column's rules come from
/// its type, and money-core names them when asked).
fn constraint_names(table: &str, column: &check::Column) -> Vec<String> {
    match column.kind {
        Kind::Money(_) | Kind::Currency => RuleKind::ALL
            .iter()
            .map(|kind| naming::constraint_name(table, &column.name, kind.suffix()))
            .collect(),
        Kind::Scalar | Kind::Custom { .. } => Vec::new(),
    }
}

/// What only a field's type knows, checked by the compiler for the
/// databases `dialects(...)` names: a value type's precision on SQLite, a
/// key on a TEXT column on MariaDB/MySQL.
fn dialect_checks(model: &Model, p: &TokenStream) -> TokenStream {
    let targets = model.targets;
    let checks = model
        .columns
        .iter()
        .filter(|column| matches!(column.kind, Kind::Scalar))
        .flat_map(|column| {
            let ty = column.ty;
            // A failed `const` evaluation points at the call, which starts
            // at the path: give the path the field type's location.
            let p = respanned(p, ty.span());
            let keyed = column.primary_key
                || model.unique.iter().any(|key| key.contains(&column.name))
                || model
                    .foreign_keys
                    .iter()
                    .any(|key| key.columns.contains(&column.name));
            let sqlite = targets.sqlite.then(|| {
                quote_spanned! {ty.span()=>
                    const _: () = #p::sqlite_column(
                        <#ty as #p::SqlColumn>::COLUMN_TYPE,
                    );
                }
            });
            let mysql = (targets.mysql && keyed).then(|| {
                quote_spanned! {ty.span()=>
                    const _: () = #p::mysql_key_column(
                        <#ty as #p::SqlColumn>::COLUMN_TYPE,
                    );
                }
            });
            sqlite.into_iter().chain(mysql)
        });
    quote! { #(#checks)* }
}

/// The sqlx row impls, through a macro of money-core that expands to nothing
/// unless its `sqlx` feature is on. Generic structs get none: their field
/// types would need bounds we cannot guess.
fn sqlx_impls(model: &Model, krate: &syn::Path) -> TokenStream {
    if !model.generics.params.is_empty() {
        return TokenStream::new();
    }
    let ident = model.ident;
    let columns = model.columns.iter().enumerate().map(|(index, column)| {
        let (member, name, ty) = (column.member, &column.name, column.ty);
        let kind = match column.kind {
            Kind::Money(_) => quote! { money },
            _ => quote! { other },
        };
        quote! { #kind #member #index #name #ty }
    });
    let other_types = model
        .columns
        .iter()
        .filter(|column| !matches!(column.kind, Kind::Money(_)))
        .map(|column| column.ty);
    let skipped = &model.skipped;
    let from_row = if model.from_row {
        quote! { yes }
    } else {
        quote! { no }
    };
    quote! {
        #krate::__sqlx_model! {
            #ident;
            from_row #from_row;
            columns [#(#columns),*];
            other_types [#(#other_types),*];
            skipped [#(#skipped),*];
        }
    }
}

/// A checked declaration as a `const` expression; `p` is money-core's
/// `__private` module.
pub fn money_spec(money: &Money, p: &TokenStream) -> TokenStream {
    let Money {
        precision,
        scale,
        min,
        max,
        on_excess_scale,
        currency_column,
    } = money;
    let min = optional_decimal(*min, p);
    let max = optional_decimal(*max, p);
    let mode = match on_excess_scale {
        ExcessScale::Reject => quote! { #p::ExcessScale::Reject },
        ExcessScale::Round => quote! { #p::ExcessScale::Round },
    };
    let currency = match currency_column {
        Some(column) => quote! { #p::Some(#column) },
        None => quote! { #p::None },
    };
    quote! {
        #p::money_spec(#precision, #scale, #min, #max, #mode, #currency)
    }
}

/// `tokens` with the span `span`, for error positions. Used on the crate
/// path only, whose tokens resolve at the derive's call site whatever
/// their span: `::money_core` absolutely, and a `crate = "..."` path from
/// a literal in the user's code, as `span` (a field's type) does.
pub fn respanned(tokens: &TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respanned(&group.stream(), span));
                inner.set_span(span);
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// A `Decimal` as a `const` expression: its parts, computed here.
fn optional_decimal(value: Option<Decimal>, p: &TokenStream) -> TokenStream {
    match value {
        None => quote! { #p::None },
        Some(value) => {
            let mantissa = value.mantissa().unsigned_abs();
            let lo = mantissa as u32;
            let mid = (mantissa >> 32) as u32;
            let hi = (mantissa >> 64) as u32;
            let negative = value.is_sign_negative();
            let scale = value.scale();
            quote! {
                #p::Some(#p::decimal(#lo, #mid, #hi, #negative, #scale))
            }
        }
    }
}

/// The impl emitted next to errors: it compiles for any named type, so the
/// only errors the user sees are ours, plus the field type checks, so that a
/// wrong field type shows up in the same compile as the attribute mistakes.
fn fallback(input: &DeriveInput, container: Option<&Container>) -> TokenStream {
    let ident = &input.ident;
    // The user's `crate = "..."` when it parsed, so that a crate that only
    // re-exports money-core sees no error about `::money_core` besides its
    // own.
    let krate = container.map_or_else(crate::attr::default_crate_path, |container| {
        container.attrs.crate_path()
    });
    let p = quote! { #krate::__private };
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let type_checks = container
        .into_iter()
        .flat_map(|container| &container.fields)
        .filter_map(|field| {
            let attrs = &field.attrs;
            let ty = field.ty;
            if attrs.skip.get().is_some() || attrs.sql_type.get().is_some() {
                None
            } else if attrs.currency.get().is_some() {
                Some(quote_spanned! {ty.span()=> let _ = <#ty as #p::CurrencyField>::NULLABLE; })
            } else if attrs.is_money() {
                Some(quote_spanned! {ty.span()=> let _ = <#ty as #p::MoneyField>::NULLABLE; })
            } else if crate::ast::is_decimal(ty) {
                None
            } else {
                Some(quote_spanned! {ty.span()=> let _ = <#ty as #p::SqlColumn>::NULLABLE; })
            }
        });
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::MoneyModel for #ident #type_generics #where_clause {
                const TABLE: &'static ::core::primitive::str = "";
                const DEFINITION: &'static #p::Table =
                    &#p::table("", &[], &[], &[]);
                fn validate(&self) -> #p::Result<(), #p::ValidationErrors> {
                    #(#type_checks)*
                    ::core::unreachable!("MoneyModel derive failed to compile")
                }
            }
        };
    }
}

//! `#[derive(MoneyValue)]`: a newtype over `Decimal` that carries its
//! declaration. Parsing and checking are shared with the model derive.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

use crate::attr;
use crate::check;
use crate::ctxt::Ctxt;
use crate::expand::money_spec;
use crate::symbol::{COLUMN, CURRENCY, CURRENCY_FIELD, PRIMARY_KEY, SKIP, SQL_TYPE};

/// Parses, checks and expands. On error, the errors; and when the struct is
/// a newtype over `Decimal` whose declaration is wrong, the impls too, with
/// a stand-in declaration ([`STAND_IN`]), so that a model with a field of
/// this type reports nothing more than this derive's own errors (thiserror's
/// fallback).
pub fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let attrs = attr::Field::from_value_attrs(&mut cx, &input.attrs);
    let krate = attrs.crate_path();
    let field = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => fields.unnamed.first(),
            _ => None,
        },
        _ => None,
    };
    let mut over_decimal = None;
    if let Some(field) = field {
        let is_decimal = matches!(&field.ty, syn::Type::Path(path)
            if path.path.segments.last().is_some_and(|segment| segment.ident == "Decimal"));
        if is_decimal {
            over_decimal = Some(field);
        } else {
            cx.error_spanned_by(
                &field.ty,
                "the field of a money value type must be `rust_decimal::Decimal`, like `struct Amount(Decimal);`",
            );
        }
    } else {
        cx.error_spanned_by(
            &input.ident,
            "`MoneyValue` is derived for a newtype over `Decimal`, like `struct Amount(Decimal);`",
        );
    }
    for (key, span) in attrs.written_keys() {
        if [
            COLUMN,
            SQL_TYPE,
            SKIP,
            PRIMARY_KEY,
            CURRENCY,
            CURRENCY_FIELD,
        ]
        .contains(&key)
        {
            cx.syn_error(syn::Error::new(
                span,
                format!("`{key}` applies to a field of a `MoneyModel`, not to a money value type"),
            ));
        }
    }
    if !attrs.is_money() && !attrs.had_errors {
        cx.error_spanned_by(
            &input.ident,
            "a money value type needs its declaration: add `#[money(precision = 19, scale = 4)]` to the struct",
        );
    }
    let money = check::check_money(&mut cx, &attrs);
    match (over_decimal, money) {
        (Some(field), Some(money)) if !cx.has_errors() => expand(input, field, &money, &krate),
        (Some(field), _) => {
            let mut tokens = cx.into_compile_errors();
            tokens.extend(expand(input, field, &STAND_IN, &krate));
            tokens
        }
        (None, _) => cx.into_compile_errors(),
    }
}

/// The declaration the impls of a value type get when its own is wrong:
/// never used, since the crate does not compile, but valid, so that it adds
/// no error of its own.
const STAND_IN: check::Money = check::Money {
    precision: money_spec_core::MAX_PRECISION,
    scale: 0,
    min: None,
    max: None,
    on_excess_scale: attr::ExcessScale::Reject,
    currency_column: None,
};

/// `krate`: the path generated code reaches money-core by.
fn expand(
    input: &DeriveInput,
    field: &syn::Field,
    money: &check::Money,
    krate: &syn::Path,
) -> TokenStream {
    let p = quote! { #krate::__private };
    let ident = &input.ident;
    let name = ident.to_string();
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let spec = money_spec(money, &p);
    let ty = &field.ty;
    let located = crate::expand::respanned(&p, ty.span());
    let amount = quote_spanned! {ty.span()=> #located::decimal_field(&self.0) };
    quote! {
        #[allow(unused_qualifications, clippy::all)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #p::MoneyValue for #ident #type_generics #where_clause {
                const SPEC: #p::MoneySpec = #spec;
                const NAME: &'static ::core::primitive::str = #name;
                #[inline]
                fn amount(&self) -> #p::Decimal {
                    #amount
                }
                #[inline]
                fn from_stored_unchecked(stored: #p::Decimal) -> Self {
                    #ident(stored)
                }
            }

            #[automatically_derived]
            impl #impl_generics #p::SqlColumn for #ident #type_generics #where_clause {
                const COLUMN_TYPE: #p::ColumnType =
                    #p::ColumnType::Money(<Self as #p::MoneyValue>::SPEC);
                const NULLABLE: ::core::primitive::bool = false;
            }

            #[automatically_derived]
            impl #impl_generics #p::TryFrom<#p::Decimal> for #ident #type_generics #where_clause {
                type Error = #p::ValueError;
                #[inline]
                fn try_from(value: #p::Decimal) -> #p::Result<Self, #p::ValueError> {
                    <Self as #p::MoneyValue>::new(value)
                }
            }

            #[automatically_derived]
            impl #impl_generics #p::FromStr for #ident #type_generics #where_clause {
                type Err = #p::ValueError;
                #[inline]
                fn from_str(text: &::core::primitive::str) -> #p::Result<Self, #p::ValueError> {
                    <Self as #p::MoneyValue>::parse(text)
                }
            }

            #[automatically_derived]
            impl #impl_generics #p::Display for #ident #type_generics #where_clause {
                fn fmt(&self, f: &mut #p::Formatter<'_>) -> #p::FmtResult {
                    #p::Display::fmt(&self.0, f)
                }
            }

            #[automatically_derived]
            impl #impl_generics #p::AsRef<#p::Decimal> for #ident #type_generics #where_clause {
                #[inline]
                fn as_ref(&self) -> &#p::Decimal {
                    &self.0
                }
            }

            #[automatically_derived]
            impl #impl_generics #p::From<#ident #type_generics> for #p::Decimal #where_clause {
                #[inline]
                fn from(value: #ident #type_generics) -> #p::Decimal {
                    value.0
                }
            }

            #krate::__sqlx_value!(#ident);
            #krate::__serde_value!(#ident);
            #krate::__schemars! {
                #[automatically_derived]
                impl #p::schemars::JsonSchema for #ident {
                    fn schema_name() -> #p::Cow<'static, ::core::primitive::str> {
                        #p::Cow::Borrowed(#name)
                    }
                    fn schema_id() -> #p::Cow<'static, ::core::primitive::str> {
                        #p::Cow::Borrowed(::core::concat!(::core::module_path!(), "::", #name))
                    }
                    fn json_schema(_: &mut #p::schemars::SchemaGenerator) -> #p::schemars::Schema {
                        #p::json::amount_schema(&<Self as #p::MoneyValue>::SPEC, false)
                    }
                }
            }
        };
    }
}

//! `#[derive(MoneyValue)]`: a newtype over `Decimal` that carries its
//! declaration. The same pipeline as the model derive: `ast::Value`,
//! `attr`, `check::check_value` (sharing the money checks of a model's
//! field), then the expansion here.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use crate::ast;
use crate::attr;
use crate::check;
use crate::ctxt::Ctxt;
use crate::expand::money_spec;

/// Parses (`ast::Value`, `attr`), checks (`check::check_value`) and
/// expands; nothing fails after `check`. On error, the errors; and when
/// the struct is a newtype over `Decimal` whose declaration is wrong, the
/// impls too, with a stand-in declaration ([`STAND_IN`]), so that a model
/// with a field of this type reports nothing more than this derive's own
/// errors (thiserror's fallback).
pub fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let value = ast::Value::from_ast(&mut cx, input);
    let krate = value.attrs.crate_path();
    let checked = check::check_value(&mut cx, &value);
    match (checked.over_decimal, checked.money) {
        (Some(field), Some(money)) => expand(input, field, &money, &krate),
        (Some(field), None) => {
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

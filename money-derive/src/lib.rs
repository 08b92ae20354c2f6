//! `#[derive(MoneyModel)]` and `#[derive(MoneyValue)]`. Use them through
//! [`money_core`](https://docs.rs/money-core), which re-exports them, holds
//! everything the generated code calls, and documents the `#[money(...)]`
//! attributes.
//!
//! For contributors: one module per phase. `ast` turns syn's tree into our
//! model of the struct, `attr` parses `#[money(...)]` (and `serde_attr` the
//! serde attributes `#[money(serde)]` needs), `check` (one file per
//! concern under `check/`, each with its unit tests) validates the
//! declaration into a form `expand` can trust, `expand` quotes the impl
//! (`json` its serde part, `value` a `MoneyValue`'s impls, which go through
//! `ast::Value` and `check::check_value` first); nothing fails after
//! `check`. The modules depend on each other in that order only.
//! Every error of every phase is collected in one `ctxt::Ctxt` and reported
//! together.
#![forbid(unsafe_code)]

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod ident;
mod json;
mod serde_attr;
mod symbol;
mod value;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// This derive, re-exported as `money_core::MoneyModel`, the path to use;
/// its documentation there is the attribute reference.
#[proc_macro_derive(MoneyModel, attributes(money, serde, schemars))]
pub fn derive_money_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

/// This derive, re-exported as `money_core::MoneyValue`, the path to use;
/// its documentation there lists the keys.
#[proc_macro_derive(MoneyValue, attributes(money))]
pub fn derive_money_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    value::derive(&input).into()
}

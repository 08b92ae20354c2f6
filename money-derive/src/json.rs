//! `#[money(serde)]`: serde and JSON Schema impls for a model.
//!
//! The impls are serde's own derives, applied to a hidden copy of the
//! struct declared with `#[serde(remote = "...")]`: every serde attribute
//! the user wrote is copied to it and works as it always does (`rename`,
//! `rename_all`, `default`, `skip`, `alias`, `deny_unknown_fields`, ...).
//! Each money or currency field gets `serialize_with`/`deserialize_with`
//! naming money-core's generic adapter
//! `<crate>::__private::json::Field::<Model, COLUMN>` (`<crate>` is
//! `::money_core` or the path of `#[money(crate = "...")]`), which writes
//! the canonical string and reads exactly, checking the declaration in the
//! model's `DEFINITION`: the spec is emitted once, there, and
//! nothing is generated per field but the attributes. The model's JSON
//! keys, for error messages, are one array (`JsonModel::JSON_KEYS`). With
//! `json_schema`, a copy for schemars gets `schema_with` on the same
//! adapter instead.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Attribute, LitStr};

use crate::ast::Container;
use crate::attr::path_text;
use crate::check::{Kind, Model};
use crate::serde_attr::{ContainerSerde, FieldSerde, rename_field, serde_attrs};

/// The serde (and schemars) impls for `#[money(serde)]`, or nothing.
/// Nothing here fails: `check::check_serde` judged the attributes.
pub fn expand(container: &Container, model: &Model, krate: &syn::Path) -> TokenStream {
    if container.attrs.serde.get().is_none() || !container.generics.params.is_empty() {
        return TokenStream::new();
    }
    let p = quote! { #krate::__private };
    // The same path as serde and schemars read it from a string attribute.
    let krate_text = path_text(krate);
    let ident = container.ident;
    let remote = LitStr::new(&ident.to_string(), ident.span());
    let container_serde = ContainerSerde::from_attrs(container.raw_attrs);
    let container_attrs: Vec<&Attribute> = serde_attrs(container.raw_attrs).collect();
    let docs: Vec<&Attribute> = container
        .raw_attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .collect();

    let mut serde_fields = Vec::new();
    let mut schema_fields = Vec::new();
    let mut post_checks = Vec::new();
    // The JSON key of every column, by column index, for error messages.
    let mut json_keys: Vec<String> = model
        .columns
        .iter()
        .map(|column| column.name.clone())
        .collect();
    for field in &container.fields {
        let member = field.member;
        let ty = field.ty;
        let user_serde: Vec<&Attribute> = serde_attrs(field.raw_attrs).collect();
        let user_schemars: Vec<&Attribute> = field
            .raw_attrs
            .iter()
            .filter(|attr| attr.path().is_ident("schemars") || attr.path().is_ident("doc"))
            .collect();
        let column = model.columns.iter().position(|column| {
            column.member == member && matches!(column.kind, Kind::Money(_) | Kind::Currency)
        });
        let Some(index) = column else {
            serde_fields.push(quote! { #(#user_serde)* #member: #ty });
            schema_fields.push(quote! { #(#user_serde)* #(#user_schemars)* #member: #ty });
            continue;
        };
        let column = &model.columns[index];
        let serde = FieldSerde::from_attrs(field.raw_attrs);
        json_keys[index] = match (&serde.rename, &container_serde.rename_all) {
            (Some(rename), _) => rename.clone(),
            (None, Some(rule)) => rename_field(rule, &field.name),
            (None, None) => field.name.clone(),
        };
        // The adapter of this column, as a path serde and schemars accept.
        let adapter = format!("{krate_text}::__private::json::Field::<{ident}, {index}>");
        let path =
            |function: &str| LitStr::new(&format!("{adapter}::{function}"), Span::call_site());
        let field_path = quote! { #p::json::Field::<#ident, #index> };
        let is_money = matches!(column.kind, Kind::Money(_));
        let implied_default = crate::ast::is_option(ty) && !serde.default;
        let filled_by_serde = serde.default || container_serde.default || serde.skip_deserializing;
        let mut extra = Vec::new();
        if is_money && !serde.skip_serializing {
            let serialize = path("serialize");
            extra.push(quote! { #[serde(serialize_with = #serialize)] });
        }
        if !serde.skip_deserializing {
            let deserialize = path(if is_money {
                "deserialize"
            } else {
                "deserialize_currency"
            });
            extra.push(quote! { #[serde(deserialize_with = #deserialize)] });
        }
        // An absent `Option` amount is `None`, as serde does for `Option`
        // fields it reads itself.
        let schema_default = implied_default.then(|| quote! { #[serde(default)] });
        if let Some(currency) = column.currency_of {
            let currency = model.columns[currency].member;
            post_checks.push(quote! {
                #field_path::check_minor_units::<_, _, __D::Error>(&value.#member, &value.#currency)?;
            });
        }
        if filled_by_serde {
            post_checks.push(if is_money {
                quote! { #field_path::check_filled_amount::<_, __D::Error>(&value.#member)?; }
            } else {
                quote! { #field_path::check_filled_currency::<_, __D::Error>(&value.#member)?; }
            });
        }
        serde_fields.push(quote! { #(#user_serde)* #(#extra)* #schema_default #member: #ty });
        let schema = path(if is_money {
            "schema"
        } else {
            "currency_schema"
        });
        schema_fields.push(quote! {
            #(#user_serde)* #(#user_schemars)* #schema_default
            #[schemars(schema_with = #schema)]
            #member: #ty
        });
    }
    let schema_name = if container_serde.rename {
        TokenStream::new()
    } else {
        quote! { #[schemars(rename = #remote)] }
    };
    let serde_crate = LitStr::new(
        &format!("{krate_text}::__private::serde"),
        Span::call_site(),
    );
    let schemars_crate = LitStr::new(
        &format!("{krate_text}::__private::schemars"),
        Span::call_site(),
    );
    let schema = container.attrs.json_schema.get().map(|()| quote! {
        #krate::__schemars_model! {
            #[derive(#p::schemars::JsonSchema)]
            #[schemars(crate = #schemars_crate)]
            #schema_name
            #(#container_attrs)*
            #(#docs)*
            #[allow(dead_code)]
            struct __MoneySchema {
                #(#schema_fields,)*
            }

            #[automatically_derived]
            impl #p::schemars::JsonSchema for #ident {
                fn schema_name() -> #p::Cow<'static, str> {
                    <__MoneySchema as #p::schemars::JsonSchema>::schema_name()
                }
                fn schema_id() -> #p::Cow<'static, str> {
                    #p::Cow::Borrowed(::core::concat!(::core::module_path!(), "::", #remote))
                }
                fn json_schema(generator: &mut #p::schemars::SchemaGenerator) -> #p::schemars::Schema {
                    <__MoneySchema as #p::schemars::JsonSchema>::json_schema(generator)
                }
            }

        }
    });
    quote! {
        #krate::__serde_model! {
            #[derive(#p::serde::Serialize, #p::serde::Deserialize)]
            #[serde(crate = #serde_crate, remote = #remote)]
            #(#container_attrs)*
            #[allow(dead_code)]
            struct __MoneySerde {
                #(#serde_fields,)*
            }

            #[automatically_derived]
            impl #p::serde::Serialize for #ident {
                fn serialize<__S: #p::serde::Serializer>(&self, serializer: __S) -> #p::Result<__S::Ok, __S::Error> {
                    __MoneySerde::serialize(self, serializer)
                }
            }

            #[automatically_derived]
            impl<'de> #p::serde::Deserialize<'de> for #ident {
                fn deserialize<__D: #p::serde::Deserializer<'de>>(deserializer: __D) -> #p::Result<Self, __D::Error> {
                    let value = __MoneySerde::deserialize(deserializer)?;
                    #(#post_checks)*
                    #p::Result::Ok(value)
                }
            }

            #[automatically_derived]
            impl #p::json::JsonModel for #ident {
                const JSON_KEYS: &'static [&'static str] = &[#(#json_keys),*];
            }
        }

        #schema
    }
}

//! `#[money(serde)]`: serde and JSON Schema impls for a model.
//!
//! The impls are serde's own derives, applied to a hidden copy of the
//! struct declared with `#[serde(remote = "...")]`: every serde attribute
//! the user wrote is copied to it and works as it always does (`rename`,
//! `rename_all`, `default`, `skip`, `alias`, `deny_unknown_fields`, ...).
//! Each money or currency field gets `serialize_with`/`deserialize_with`
//! naming money-core's generic adapter `Field::<Model, COLUMN>`, which
//! writes the canonical string and reads exactly, checking the declaration
//! in the model's `DEFINITION`: the spec is emitted once, there, and
//! nothing is generated per field but the attributes. The model's JSON
//! keys, for error messages, are one array (`JsonModel::JSON_KEYS`). With
//! `json_schema`, a copy for schemars gets `schema_with` on the same
//! adapter instead.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

use crate::ast::Container;
use crate::attr::skip_value;
use crate::check::{Kind, Model};
use crate::ctxt::Ctxt;

/// What we need to know of the serde attributes of the struct.
#[derive(Default)]
struct ContainerSerde {
    rename_all: Option<String>,
    default: bool,
    rename: bool,
}

/// What we need to know of the serde attributes of a field.
#[derive(Default)]
struct FieldSerde {
    /// The name the field has when deserializing.
    rename: Option<String>,
    default: bool,
    skip_serializing: bool,
    skip_deserializing: bool,
    /// A key that would replace our (de)serializer: `with`, `flatten`, ...
    replaced_by: Option<(String, Span)>,
}

fn serde_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("serde"))
}

/// `key = "value"`, or `key(deserialize = "value", ...)` for the
/// deserializing side.
fn deserialize_name(meta: &syn::meta::ParseNestedMeta) -> syn::Result<Option<String>> {
    if meta.input.peek(syn::Token![=]) {
        let value: LitStr = meta.value()?.parse()?;
        return Ok(Some(value.value()));
    }
    let mut name = None;
    if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| {
            if inner.path.is_ident("deserialize") {
                let value: LitStr = inner.value()?.parse()?;
                name = Some(value.value());
            } else {
                skip_value(&inner)?;
            }
            Ok(())
        })?;
    }
    Ok(name)
}

impl ContainerSerde {
    /// Reads what it needs and ignores the rest; serde itself reports
    /// malformed attributes, on the copy, with the user's spans.
    fn from_attrs(attrs: &[Attribute]) -> Self {
        let mut serde = ContainerSerde::default();
        for attr in serde_attrs(attrs) {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename_all") {
                    serde.rename_all = deserialize_name(&meta)?;
                } else if meta.path.is_ident("default") {
                    serde.default = true;
                    skip_value(&meta)?;
                } else if meta.path.is_ident("rename") {
                    serde.rename = true;
                    skip_value(&meta)?;
                } else {
                    skip_value(&meta)?;
                }
                Ok(())
            });
        }
        serde
    }
}

impl FieldSerde {
    fn from_attrs(attrs: &[Attribute]) -> Self {
        let mut serde = FieldSerde::default();
        for attr in serde_attrs(attrs) {
            let _ = attr.parse_nested_meta(|meta| {
                let key = meta
                    .path
                    .get_ident()
                    .map(|ident| ident.to_string())
                    .unwrap_or_default();
                match key.as_str() {
                    "rename" => {
                        if let Some(name) = deserialize_name(&meta)? {
                            serde.rename = Some(name);
                        }
                        return Ok(());
                    }
                    "default" => serde.default = true,
                    "skip" => {
                        serde.skip_serializing = true;
                        serde.skip_deserializing = true;
                    }
                    "skip_serializing" => serde.skip_serializing = true,
                    "skip_deserializing" => serde.skip_deserializing = true,
                    "with" | "serialize_with" | "deserialize_with" | "flatten" | "getter" => {
                        serde.replaced_by = Some((key.clone(), meta.path.span()));
                    }
                    _ => {}
                }
                skip_value(&meta)
            });
        }
        serde
    }
}

/// serde's `rename_all` applied to a field name.
fn rename_field(rule: &str, field: &str) -> String {
    let pascal = || {
        field
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                match chars.next() {
                    Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                    None => String::new(),
                }
            })
            .collect::<String>()
    };
    match rule {
        "UPPERCASE" | "SCREAMING_SNAKE_CASE" => field.to_ascii_uppercase(),
        "PascalCase" => pascal(),
        "camelCase" => {
            let pascal = pascal();
            let mut chars = pascal.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => pascal,
            }
        }
        "kebab-case" => field.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => field.to_ascii_uppercase().replace('_', "-"),
        _ => field.to_owned(),
    }
}

/// The serde (and schemars) impls for `#[money(serde)]`, or nothing.
pub fn expand(cx: &mut Ctxt, container: &Container, model: &Model) -> TokenStream {
    let Some(span) = container.attrs.serde.key_span() else {
        if let Some(span) = container.attrs.json_schema.key_span() {
            cx.syn_error(syn::Error::new(
                span,
                "`json_schema` describes the JSON that `serde` reads and writes: write `#[money(serde, json_schema)]`",
            ));
        }
        return TokenStream::new();
    };
    if !container.generics.params.is_empty() {
        cx.syn_error(syn::Error::new(
            span,
            "`serde` is not supported on a generic struct yet; derive serde for a non-generic struct, or use money value types (`#[derive(MoneyValue)]`) as the field types",
        ));
        return TokenStream::new();
    }
    let p = quote! { ::money_core::__private };
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
        if let Some((key, span)) = &serde.replaced_by {
            cx.syn_error(syn::Error::new(
                *span,
                format!(
                    "`#[serde({key})]` on a money field would bypass its checks: with `#[money(serde)]` the field is read exactly and validated against its declaration; remove `{key}`"
                ),
            ));
            continue;
        }
        json_keys[index] = match (&serde.rename, &container_serde.rename_all) {
            (Some(rename), _) => rename.clone(),
            (None, Some(rule)) => rename_field(rule, &field.name),
            (None, None) => field.name.clone(),
        };
        // The adapter of this column, as a path serde and schemars accept.
        let adapter = format!("::money_core::__private::Field::<{ident}, {index}>");
        let path =
            |function: &str| LitStr::new(&format!("{adapter}::{function}"), Span::call_site());
        let field_path = quote! { #p::Field::<#ident, #index> };
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
                quote! { #field_path::check::<_, __D::Error>(&value.#member)?; }
            } else {
                quote! { #field_path::check_currency::<_, __D::Error>(&value.#member)?; }
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
    let schema = container.attrs.json_schema.get().map(|()| quote! {
        ::money_core::__schemars_model! {
            #[derive(#p::schemars::JsonSchema)]
            #[schemars(crate = "::money_core::__private::schemars")]
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
        ::money_core::__serde_model! {
            #[derive(#p::serde::Serialize, #p::serde::Deserialize)]
            #[serde(crate = "::money_core::__private::serde", remote = #remote)]
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
            impl #p::JsonModel for #ident {
                const JSON_KEYS: &'static [&'static str] = &[#(#json_keys),*];
            }
        }

        #schema
    }
}

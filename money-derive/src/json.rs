//! `#[money(serde)]`: serde and JSON Schema impls for a model.
//!
//! A model without serde attributes gets impls written here
//! (`lean_impls`): they read and write as serde_derive's would, and cost
//! much less to compile. Otherwise the impls are serde's own derives,
//! applied to a hidden copy of the
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
        let Some(index) = adapted_column(model, member) else {
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
        let implied_default = absent_is_none(ty) && !serde.default;
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
        let schema_default = implied_default.then(|| quote! { #[serde(default)] });
        if let Some(currency) = column.currency_of {
            let currency = model.columns[currency].member;
            post_checks.push(quote! {
                #field_path::check_minor_units::<_, _, __D::Error>(&__value.#member, &__value.#currency)?;
            });
        }
        if filled_by_serde {
            post_checks.push(if is_money {
                quote! { #field_path::check_filled_amount::<_, __D::Error>(&__value.#member)?; }
            } else {
                quote! { #field_path::check_filled_currency::<_, __D::Error>(&__value.#member)?; }
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
    let lean = container_attrs.is_empty()
        && container
            .fields
            .iter()
            .all(|field| serde_attrs(field.raw_attrs).next().is_none());
    let impls = if lean {
        lean_impls(container, model, &p)
    } else {
        quote! {
            #[derive(#p::serde::Serialize, #p::serde::Deserialize)]
            #[serde(crate = #serde_crate, remote = #remote)]
            #(#container_attrs)*
            #[allow(dead_code)]
            struct __MoneySerde {
                #(#serde_fields,)*
            }

            #[automatically_derived]
            impl #p::serde::Serialize for #ident {
                fn serialize<__S: #p::serde::Serializer>(&self, __serializer: __S) -> #p::Result<__S::Ok, __S::Error> {
                    __MoneySerde::serialize(self, __serializer)
                }
            }
        }
    };
    let read = if lean {
        quote! { __money_deserialize(__deserializer)? }
    } else {
        quote! { __MoneySerde::deserialize(__deserializer)? }
    };
    quote! {
        #krate::__serde_model! {
            #impls

            #[automatically_derived]
            impl<'de> #p::serde::Deserialize<'de> for #ident {
                fn deserialize<__D: #p::serde::Deserializer<'de>>(__deserializer: __D) -> #p::Result<Self, __D::Error> {
                    let __value = #read;
                    #(#post_checks)*
                    #p::Result::Ok(__value)
                }
            }

            #[automatically_derived]
            impl #p::json::JsonModel for #ident {
                const JSON_KEYS: &'static [&'static ::core::primitive::str] = &[#(#json_keys),*];
            }
        }

        #schema
    }
}

/// The column of a money or currency field, read and written through
/// money-core's adapter; `None` for a field serde handles itself.
fn adapted_column(model: &Model, member: &syn::Ident) -> Option<usize> {
    model.columns.iter().position(|column| {
        column.member == member && matches!(column.kind, Kind::Money(_) | Kind::Currency)
    })
}

/// Whether an adapted field absent from the input is `None`: an `Option`
/// amount or code, as serde reads an `Option` field it reads itself. (The
/// remote copy gets `#[serde(default)]` for it; the derive's own impls
/// default it.)
fn absent_is_none(ty: &syn::Type) -> bool {
    crate::ast::is_option(ty)
}

/// A model without serde attributes: its `Serialize` and the reading of
/// its `Deserialize` written here, as serde_derive writes them for the same
/// struct (the same keys, sequences, missing and duplicate fields, ignored
/// unknown fields, error messages), but with money-core's generic field
/// adapters and key reader in place of serde_derive's wrapper type per
/// field and field-identifier enum: the expansion that costs the least to
/// compile. `tests/tests/json_lean.rs` holds the two to the same results.
fn lean_impls(container: &Container, model: &Model, p: &TokenStream) -> TokenStream {
    let ident = container.ident;
    let name = ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
    let count = container.fields.len();
    let keys: Vec<&str> = container
        .fields
        .iter()
        .map(|field| field.name.as_str())
        .collect();
    let slots: Vec<syn::Ident> = (0..count)
        .map(|position| syn::Ident::new(&format!("__money_field{position}"), Span::call_site()))
        .collect();
    let mut writes = Vec::new();
    let mut seq_reads = Vec::new();
    let mut map_reads = Vec::new();
    let mut slot_types = Vec::new();
    let mut finishes = Vec::new();
    for (position, field) in container.fields.iter().enumerate() {
        let member = field.member;
        let ty = field.ty;
        let key = &field.name;
        let slot = &slots[position];
        let kind = adapted_column(model, member).map(|index| (index, &model.columns[index].kind));
        writes.push(match kind {
            Some((index, Kind::Money(_))) => quote! {
                #p::json::SerializeStruct::serialize_field(
                    &mut __state, #key, &#p::json::Amount::<Self, #index, #ty>::new(&self.#member),
                )?;
            },
            _ => quote! {
                #p::json::SerializeStruct::serialize_field(&mut __state, #key, &self.#member)?;
            },
        });
        let seed = match kind {
            Some((index, Kind::Money(_))) => {
                Some(quote! { #p::json::Seed::<#ident, #index, #ty>::new() })
            }
            Some((index, _)) => {
                Some(quote! { #p::json::CurrencySeed::<#ident, #index, #ty>::new() })
            }
            None => None,
        };
        // Any other absent adapted field is an error, as serde_derive reads
        // a field with `deserialize_with` and no `default`.
        let defaulted = seed.is_some() && absent_is_none(ty);
        let short = if defaulted {
            quote! { ::core::default::Default::default() }
        } else {
            quote! { return #p::Result::Err(#p::json::invalid_length(#position, #name, #count)) }
        };
        let element = match &seed {
            Some(seed) => quote! { #p::json::SeqAccess::next_element_seed(&mut __seq, #seed)? },
            None => quote! { #p::json::SeqAccess::next_element::<#ty>(&mut __seq)? },
        };
        seq_reads.push(quote! {
            let #slot = match #element {
                #p::Some(__value) => __value,
                #p::None => #short,
            };
        });
        let value = match &seed {
            Some(seed) => quote! { #p::json::MapAccess::next_value_seed(&mut __map, #seed)? },
            None => quote! { #p::json::MapAccess::next_value::<#ty>(&mut __map)? },
        };
        map_reads.push(quote! {
            #position => {
                if #p::Option::is_some(&#slot) {
                    return #p::Result::Err(<__A::Error as #p::json::Error>::duplicate_field(#key));
                }
                #slot = #p::Some(#value);
            }
        });
        slot_types.push(quote! { let mut #slot: #p::Option<#ty> = #p::None; });
        let missing = if seed.is_none() {
            quote! { #p::json::missing_field::<#ty, __A::Error>(#key)? }
        } else if defaulted {
            quote! { ::core::default::Default::default() }
        } else {
            quote! { return #p::Result::Err(<__A::Error as #p::json::Error>::missing_field(#key)) }
        };
        finishes.push(quote! {
            let #slot = match #slot {
                #p::Some(__value) => __value,
                #p::None => #missing,
            };
        });
    }
    let members: Vec<&syn::Ident> = container.fields.iter().map(|field| field.member).collect();
    let positions = 0..count;
    let expecting = format!("struct {name}");
    quote! {
        #[automatically_derived]
        impl #p::serde::Serialize for #ident {
            fn serialize<__S: #p::serde::Serializer>(&self, __serializer: __S) -> #p::Result<__S::Ok, __S::Error> {
                let mut __state = #p::serde::Serializer::serialize_struct(__serializer, #name, #count)?;
                #(#writes)*
                #p::json::SerializeStruct::end(__state)
            }
        }

        #[inline]
        fn __money_deserialize<'de, __D: #p::serde::Deserializer<'de>>(__deserializer: __D) -> #p::Result<#ident, __D::Error> {
            const __FIELDS: &[&::core::primitive::str] = &[#(#keys),*];
            struct __MoneyVisitor;
            impl #p::json::FieldNames for __MoneyVisitor {
                const COUNT: ::core::primitive::usize = #count;
                #[inline]
                fn position(__name: &::core::primitive::str) -> ::core::primitive::usize {
                    match __name {
                        #(#keys => #positions,)*
                        _ => #count,
                    }
                }
            }
            impl<'de> #p::json::Visitor<'de> for __MoneyVisitor {
                type Value = #ident;

                fn expecting(&self, __formatter: &mut #p::Formatter<'_>) -> #p::FmtResult {
                    #p::Formatter::write_str(__formatter, #expecting)
                }

                #[inline]
                fn visit_seq<__A: #p::json::SeqAccess<'de>>(self, mut __seq: __A) -> #p::Result<#ident, __A::Error> {
                    #(#seq_reads)*
                    #p::Result::Ok(#ident { #(#members: #slots),* })
                }

                #[inline]
                fn visit_map<__A: #p::json::MapAccess<'de>>(self, mut __map: __A) -> #p::Result<#ident, __A::Error> {
                    #(#slot_types)*
                    while let #p::Some(__key) = #p::json::MapAccess::next_key_seed(&mut __map, #p::json::FieldKey::<__MoneyVisitor>::new())? {
                        match __key {
                            #(#map_reads)*
                            _ => {
                                #p::json::MapAccess::next_value::<#p::json::IgnoredAny>(&mut __map)?;
                            }
                        }
                    }
                    #(#finishes)*
                    #p::Result::Ok(#ident { #(#members: #slots),* })
                }
            }
            #p::serde::Deserializer::deserialize_struct(__deserializer, #name, __FIELDS, __MoneyVisitor)
        }
    }
}

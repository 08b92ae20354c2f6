//! The serde attributes a `#[money(serde)]` model carries, read as far as
//! the derive needs them (part of the `attr` phase: `check` judges them,
//! `json` expands them). serde itself reports malformed attributes, on the
//! hidden copy, with the user's spans.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

use crate::attr::skip_value;

/// What we need to know of the serde attributes of the struct.
#[derive(Default)]
pub struct ContainerSerde {
    pub rename_all: Option<String>,
    pub default: bool,
    pub rename: bool,
}

/// What we need to know of the serde attributes of a field.
#[derive(Default)]
pub struct FieldSerde {
    /// The name the field has when deserializing.
    pub rename: Option<String>,
    pub default: bool,
    pub skip_serializing: bool,
    pub skip_deserializing: bool,
    /// A key that would replace our (de)serializer: `with`, `flatten`, ...
    pub replaced_by: Option<(String, Span)>,
}

pub fn serde_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
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
    pub fn from_attrs(attrs: &[Attribute]) -> Self {
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
    pub fn from_attrs(attrs: &[Attribute]) -> Self {
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
pub fn rename_field(rule: &str, field: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::rename_field;

    #[test]
    fn rename_all_rules_as_serde_applies_them() {
        let field = "overdraft_limit";
        for (rule, renamed) in [
            ("lowercase", "overdraft_limit"),
            ("UPPERCASE", "OVERDRAFT_LIMIT"),
            ("PascalCase", "OverdraftLimit"),
            ("camelCase", "overdraftLimit"),
            ("snake_case", "overdraft_limit"),
            ("SCREAMING_SNAKE_CASE", "OVERDRAFT_LIMIT"),
            ("kebab-case", "overdraft-limit"),
            ("SCREAMING-KEBAB-CASE", "OVERDRAFT-LIMIT"),
        ] {
            assert_eq!(rename_field(rule, field), renamed, "{rule}");
        }
    }
}

//! syn's tree turned into our model of the struct, keeping the syn nodes for
//! spans.

use syn::{Attribute, Data, DeriveInput, Fields, Generics, Ident, Type};

use crate::attr;
use crate::ctxt::Ctxt;

/// The struct being derived.
pub struct Container<'a> {
    pub ident: &'a Ident,
    /// Every attribute of the struct, for the serde attributes.
    pub raw_attrs: &'a [Attribute],
    pub generics: &'a Generics,
    pub attrs: attr::Container,
    pub fields: Vec<Field<'a>>,
}

/// One named field.
pub struct Field<'a> {
    /// The field's name without `r#`.
    pub name: String,
    pub member: &'a Ident,
    pub ty: &'a Type,
    pub attrs: attr::Field,
    /// Every attribute of the field, for the serde attributes.
    pub raw_attrs: &'a [Attribute],
}

impl<'a> Container<'a> {
    /// `None` when the input is not a struct with named fields; the error is
    /// in `cx`.
    pub fn from_ast(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let attrs = attr::Container::from_attrs(cx, &input.attrs);
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named,
                Fields::Unnamed(unnamed) => {
                    cx.error_spanned_by(
                        unnamed,
                        "`MoneyModel` needs named fields: a tuple struct's fields have no column names; write `struct Name { field: Type }`, or derive `MoneyValue` for a newtype over `Decimal`",
                    );
                    return None;
                }
                Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        "`MoneyModel` needs named fields: a unit struct has no columns",
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                cx.error_spanned_by(
                    data.enum_token,
                    "`MoneyModel` can only be derived for a struct with named fields, not an enum",
                );
                return None;
            }
            Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    "`MoneyModel` can only be derived for a struct with named fields, not a union",
                );
                return None;
            }
        };
        let fields = named
            .named
            .iter()
            .filter_map(|field| {
                let member = field.ident.as_ref()?;
                let name = member.to_string();
                Some(Field {
                    name: name.strip_prefix("r#").unwrap_or(&name).to_owned(),
                    member,
                    ty: &field.ty,
                    attrs: attr::Field::from_attrs(cx, &field.attrs),
                    raw_attrs: &field.attrs,
                })
            })
            .collect();
        Some(Container {
            ident: &input.ident,
            raw_attrs: &input.attrs,
            generics: &input.generics,
            attrs,
            fields,
        })
    }
}

/// The newtype a `MoneyValue` is derived for.
pub struct Value<'a> {
    pub ident: &'a Ident,
    /// `#[money(...)]` on the struct: the declaration.
    pub attrs: attr::Field,
    /// The one unnamed field, when the struct is a newtype (its type is
    /// judged in `check`); `None` otherwise, reported here.
    pub field: Option<&'a syn::Field>,
}

impl<'a> Value<'a> {
    /// The struct's declaration and its newtype field; a struct that is not
    /// a newtype is reported in `cx`.
    pub fn from_ast(cx: &mut Ctxt, input: &'a DeriveInput) -> Self {
        let attrs = attr::Field::from_value_attrs(cx, &input.attrs);
        let field = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Unnamed(fields) if fields.unnamed.len() == 1 => fields.unnamed.first(),
                _ => None,
            },
            _ => None,
        };
        if field.is_none() {
            cx.error_spanned_by(
                &input.ident,
                "`MoneyValue` is derived for a newtype over `Decimal`, like `struct Amount(Decimal);`",
            );
        }
        Value {
            ident: &input.ident,
            attrs,
            field,
        }
    }
}

/// Whether `ty` is spelled `Option<...>` (the only way to know the
/// nullability of a `sql_type` field, whose type we do not know).
pub fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Option" && !segment.arguments.is_empty()),
        Type::Group(group) => is_option(&group.elem),
        Type::Paren(paren) => is_option(&paren.elem),
        _ => false,
    }
}

/// Whether `ty` is spelled `Decimal` or `Option<Decimal>` (any path ending
/// so): a field that looks like money but has no declaration.
pub fn is_decimal(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    if last.ident == "Decimal" {
        return true;
    }
    if last.ident != "Option" {
        return false;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(arguments) => {
            arguments.args.iter().any(|argument| match argument {
                syn::GenericArgument::Type(inner) => is_decimal(inner),
                _ => false,
            })
        }
        _ => false,
    }
}

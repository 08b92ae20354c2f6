//! `unique(...)`: keys over stored fields.

use crate::ast::Container;
use crate::ctxt::Ctxt;
use crate::ident;

/// Each `unique(...)` names stored fields, each once.
pub(super) fn check_unique(cx: &mut Ctxt, container: &Container, used: &[(String, &str)]) -> Vec<Vec<String>> {
    let mut keys = Vec::new();
    for fields in &container.attrs.unique {
        let mut columns = Vec::new();
        for (position, ident) in fields.iter().enumerate() {
            let name = ident.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name);
            if fields[..position].iter().any(|earlier| earlier == ident) {
                cx.error_spanned_by(ident, format!("`{name}` is already in this unique key"));
                continue;
            }
            match used.iter().find(|(_, field)| *field == name) {
                Some((column, _)) => columns.push(column.clone()),
                None => {
                    cx.error_spanned_by(ident, missing_field(container, used, name, "to be unique"))
                }
            }
        }
        keys.push(columns);
    }
    keys
}

/// The message for a field name that has no column: skipped, or no such
/// field (with the nearest one).
pub(super) fn missing_field(
    container: &Container,
    used: &[(String, &str)],
    name: &str,
    purpose: &str,
) -> String {
    if container.fields.iter().any(|field| field.name == name) {
        format!("`{name}` is skipped, so it has no column {purpose}")
    } else {
        let known: Vec<&str> = used.iter().map(|(_, field)| *field).collect();
        match ident::suggest(name, &known) {
            Some(nearest) => format!("no field `{name}` in this struct; did you mean `{nearest}`?"),
            None => format!("no field `{name}` in this struct"),
        }
    }
}

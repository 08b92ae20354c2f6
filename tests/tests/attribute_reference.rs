//! The attribute reference in money-core's documentation of
//! `#[derive(MoneyModel)]` names every key the derive accepts: the keys are
//! read from the derive's own list (`money-derive/src/symbol.rs`), so a key
//! added there without documentation fails here.

const SYMBOLS: &str = include_str!("../../money-derive/src/symbol.rs");
const REFERENCE: &str = include_str!("../../money-core/src/docs/money_model.md");

/// The keys of `CONTAINER_KEYS` and `FIELD_KEYS`, resolved through the
/// `pub const NAME: &str = "key";` lines.
fn keys() -> Vec<&'static str> {
    let constant = |name: &str| -> &'static str {
        let prefix = format!("pub const {name}: &str = \"");
        let line = SYMBOLS
            .lines()
            .find(|line| line.trim_start().starts_with(&prefix))
            .unwrap_or_else(|| panic!("symbol.rs defines {name}"));
        let start = line.find('"').expect("a string literal") + 1;
        let end = line.rfind('"').expect("a string literal");
        &line[start..end]
    };
    let list = |name: &str| -> Vec<&'static str> {
        let start = SYMBOLS
            .find(&format!("pub const {name}: &[&str] = &["))
            .unwrap_or_else(|| panic!("symbol.rs defines {name}"));
        let body = &SYMBOLS[start..];
        let body = &body[body.find("= &[").expect("a list") + 4..body.find("];").expect("a list")];
        body.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(constant)
            .collect()
    };
    let mut keys = list("CONTAINER_KEYS");
    keys.extend(list("FIELD_KEYS"));
    keys
}

#[test]
fn every_key_of_the_derive_is_in_the_reference() {
    let keys = keys();
    assert!(keys.len() >= 16, "the key lists were read: {keys:?}");
    let missing: Vec<_> = keys
        .iter()
        .filter(|key| {
            // A table row whose first cell names the key: `key`, `key = ...`, `key(...)`.
            !REFERENCE.lines().any(|line| {
                let Some(cell) = line
                    .strip_prefix('|')
                    .and_then(|rest| rest.split('|').next())
                else {
                    return false;
                };
                cell.split('`').skip(1).step_by(2).any(|code| {
                    code.strip_prefix(**key)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '(']))
                })
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "keys without a row in the attribute reference: {missing:?}"
    );
}

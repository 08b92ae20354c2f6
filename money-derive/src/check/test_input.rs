//! What the unit tests of `check` share: a struct parsed through `ast` and
//! `attr`, then one check run on it, and the messages it reported.

use syn::DeriveInput;

use crate::ast::Container;
use crate::ctxt::Ctxt;

/// Runs `phase` on `input` after `ast` and `attr`, which must accept it,
/// and returns what `phase` reported, in order, with its result.
pub fn run<T>(
    input: &DeriveInput,
    phase: impl FnOnce(&mut Ctxt, &Container) -> T,
) -> (T, Vec<String>) {
    let mut cx = Ctxt::default();
    let container = Container::from_ast(&mut cx, input).expect("a struct with named fields");
    assert_eq!(
        cx.messages(),
        Vec::<String>::new(),
        "ast and attr accept the input"
    );
    let result = phase(&mut cx, &container);
    (result, cx.messages())
}

/// The messages of the whole check of `input`, and whether it made a model.
pub fn check(input: &DeriveInput) -> (bool, Vec<String>) {
    run(input, |cx, container| super::check(cx, container).is_some())
}

/// The `(column, field)` pairs `check` passes to the key checks: every
/// field not skipped, under its own name.
pub fn used<'a>(container: &'a Container) -> Vec<(String, &'a str)> {
    container
        .fields
        .iter()
        .filter(|field| field.attrs.skip.get().is_none())
        .map(|field| (field.name.clone(), field.name.as_str()))
        .collect()
}

//! Compile-fail and compile-pass tests of `#[derive(MoneyModel)]`. Each
//! `ui/<category>/<case>.rs` has its `.stderr`, which is part of the
//! interface: regenerate with `TRYBUILD=overwrite` and read every change.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    for category in [
        "precision",
        "bounds",
        "keys",
        "types",
        "names",
        "shape",
        "values",
        "serde",
        "dialects",
        "currency",
        "foreign_keys",
        "crate_path",
    ] {
        t.compile_fail(format!("{category}/*.rs"));
    }
    t.pass("compile-pass/*.rs");
}

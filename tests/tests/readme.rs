//! The READMEs' code blocks cannot drift from what the tests run.
//!
//! - Every fenced block names its language, and every Rust block is a plain
//!   `rust` block: rustdoc compiles and runs each as a doctest of
//!   money-tests (`tests/src/lib.rs`, module `readme`), and nothing may opt
//!   out with `ignore`, `no_run` or `compile_fail`. Three blocks define
//!   functions that the doctest compiles without calling: the sqlx example,
//!   which `sqlx_readme.rs` runs (below), the cluster example, which needs
//!   real hosts and says so, and the startup schema check.
//! - The README's sqlx block is the code that `tests/tests/sqlx_readme.rs`
//!   runs against PostgreSQL, character for character.

const READMES: [(&str, &str); 4] = [
    ("README.md", include_str!("../../README.md")),
    (
        "money-core/README.md",
        include_str!("../../money-core/README.md"),
    ),
    (
        "money-derive/README.md",
        include_str!("../../money-derive/README.md"),
    ),
    (
        "money-sqlx/README.md",
        include_str!("../../money-sqlx/README.md"),
    ),
];
const SQLX_README_TEST: &str = include_str!("sqlx_readme.rs");

/// The fenced blocks of a Markdown text: (info string, body).
fn blocks(markdown: &str) -> Vec<(&str, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(&str, String)> = None;
    for line in markdown.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.trim(), String::new())),
            (Some(_), Some("")) => blocks.extend(open.take()),
            (Some((_, body)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "an unclosed code block");
    blocks
}

#[test]
fn every_rust_block_is_a_doctest_that_runs() {
    let mut rust = 0;
    for (name, text) in READMES {
        for (info, body) in blocks(text) {
            let first = body.lines().next().unwrap_or_default();
            assert!(
                !info.is_empty(),
                "{name}: a block without a language runs as Rust under rustdoc; label it (it starts with {first:?})"
            );
            let language = info.split(',').next().unwrap_or_default();
            if language == "rust" {
                assert_eq!(
                    info, "rust",
                    "{name}: a Rust block must run as it is (it starts with {first:?})"
                );
                rust += 1;
            } else {
                assert!(
                    ["sh", "text", "toml", "sql", "json"].contains(&language),
                    "{name}: unexpected block language {info:?}"
                );
            }
        }
    }
    assert!(rust >= 7, "the READMEs' Rust blocks were found ({rust})");
}

#[test]
fn the_sqlx_block_is_the_code_the_test_runs() {
    let begin = "// README begin\n";
    let start = SQLX_README_TEST.find(begin).expect("a README begin line") + begin.len();
    let end = SQLX_README_TEST
        .find("// README end\n")
        .expect("a README end line");
    let tested = &SQLX_README_TEST[start..end];

    let readme = READMES[0].1;
    let in_readme: Vec<String> = blocks(readme)
        .into_iter()
        .filter(|(_, body)| body.contains("transaction(pool"))
        .map(|(_, body)| body)
        .collect();
    assert_eq!(
        in_readme.len(),
        1,
        "the README has one sqlx transaction example"
    );
    if in_readme[0] != tested {
        let first_difference = in_readme[0]
            .lines()
            .zip(tested.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "in length".to_owned(),
                |line| format!("at line {}", line + 1),
            );
        panic!(
            "the README's sqlx block differs from tests/tests/sqlx_readme.rs {first_difference}"
        );
    }
}

//! The declared MSRV cannot lie: every workspace member's `rust-version` is at
//! least the `rust-version` of every package it can pull in (all features,
//! every target platform, normal, build and dev dependencies), as `cargo
//! metadata` resolves them from `Cargo.lock`. `.ci/run` runs this test first.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

/// A `rust-version` as numbers (`"1.94"` is `[1, 94, 0]`).
fn version(text: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = text
        .split('.')
        .map(|part| part.parse().expect("a numeric rust-version"))
        .collect();
    parts.resize(3, 0);
    parts
}

#[test]
fn no_dependency_needs_a_newer_rust_than_the_crate_that_uses_it() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--all-features",
            "--locked",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");

    let packages: HashMap<&str, &serde_json::Value> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|package| (package["id"].as_str().expect("package id"), package))
        .collect();
    let edges: HashMap<&str, Vec<&str>> = metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .map(|node| {
            let deps = node["deps"]
                .as_array()
                .expect("deps")
                .iter()
                .map(|dep| dep["pkg"].as_str().expect("dep id"))
                .collect();
            (node["id"].as_str().expect("node id"), deps)
        })
        .collect();

    let mut problems = Vec::new();
    let members = metadata["workspace_members"].as_array().expect("members");
    assert!(members.len() >= 3, "the workspace has its crates");
    let mut checked = 0;
    for member in members {
        let member = member.as_str().expect("member id");
        let package = packages[member];
        let name = package["name"].as_str().expect("name");
        let Some(declared) = package["rust_version"].as_str() else {
            problems.push(format!("{name} declares no rust-version"));
            continue;
        };
        // Everything the member can pull in, transitively.
        let mut seen = BTreeSet::new();
        let mut stack = vec![member];
        while let Some(id) = stack.pop() {
            for &dep in edges.get(id).map(Vec::as_slice).unwrap_or_default() {
                if seen.insert(dep) {
                    stack.push(dep);
                }
            }
        }
        for dep in seen {
            checked += 1;
            let dep = packages[dep];
            if let Some(needed) = dep["rust_version"].as_str()
                && version(needed) > version(declared)
            {
                problems.push(format!(
                    "{name} declares rust-version {declared}, but its dependency {} {} needs {needed}",
                    dep["name"].as_str().unwrap_or("?"),
                    dep["version"].as_str().unwrap_or("?"),
                ));
            }
        }
    }
    assert!(
        checked > 100,
        "the dependency graph was walked ({checked} edges)"
    );
    assert!(problems.is_empty(), "MSRV lies:\n{}", problems.join("\n"));
}

#[test]
fn versions_compare_as_numbers() {
    assert!(version("1.94") > version("1.87.0"));
    assert!(version("1.100") > version("1.94"));
    assert_eq!(version("1.94"), version("1.94.0"));
}

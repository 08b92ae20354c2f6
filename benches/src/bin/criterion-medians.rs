//! Prints criterion's median estimates of the last `cargo bench` as a
//! markdown table (criterion's own summary line shows the mean's
//! estimate): `cargo run -p money-benches --bin criterion-medians`.
//!
//! Reads `<target>/criterion/<group>/<bench>/new/estimates.json`, where
//! `<target>` is `CARGO_TARGET_DIR`, else the workspace's `target`.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
    }
}

fn nanos(value: &serde_json::Value) -> Option<f64> {
    value.as_f64()
}

fn duration(nanos: f64) -> String {
    if nanos < 1e3 {
        format!("{nanos:.1} ns")
    } else if nanos < 1e6 {
        format!("{:.1} µs", nanos / 1e3)
    } else if nanos < 1e9 {
        format!("{:.2} ms", nanos / 1e6)
    } else {
        format!("{:.3} s", nanos / 1e9)
    }
}

fn main() {
    let root = target_dir().join("criterion");
    let mut rows = Vec::new();
    let groups = std::fs::read_dir(&root)
        .unwrap_or_else(|error| panic!("no criterion results in {}: {error}", root.display()));
    for group in groups.flatten().filter(|entry| entry.path().is_dir()) {
        let Ok(benches) = std::fs::read_dir(group.path()) else {
            continue;
        };
        for bench in benches.flatten() {
            let file = bench.path().join("new/estimates.json");
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let json: serde_json::Value = serde_json::from_str(&text).expect("criterion JSON");
            let median = &json["median"];
            let (Some(point), Some(low), Some(high)) = (
                nanos(&median["point_estimate"]),
                nanos(&median["confidence_interval"]["lower_bound"]),
                nanos(&median["confidence_interval"]["upper_bound"]),
            ) else {
                continue;
            };
            rows.push(format!(
                "| {}/{} | {} | {} - {} |",
                group.file_name().to_string_lossy(),
                bench.file_name().to_string_lossy(),
                duration(point),
                duration(low),
                duration(high)
            ));
        }
    }
    rows.sort();
    println!("| criterion benchmark | median per iteration | 95% confidence interval |");
    println!("|---|---:|---:|");
    for row in rows {
        println!("{row}");
    }
}

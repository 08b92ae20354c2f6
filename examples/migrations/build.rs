//! Renders the PostgreSQL DDL of every model in `money_examples::TABLES` and
//! compares it with the committed migrations in `migrations/`, which the
//! crate embeds with `sqlx::migrate!("./migrations")`. See `src/history.rs`
//! for the rule, and the README's "Migrations generated at build time".
//!
//! - Up to date: nothing is written, the build goes on.
//! - A model without a migration, or one whose DDL changed: the build writes
//!   the migrations it would add into `$OUT_DIR/migrations/` and fails with a
//!   message that says why and how to add them. It never edits a committed
//!   migration, and it writes into the source tree only when asked:
//!   `MONEY_WRITE_MIGRATIONS=1 cargo build -p money-migrations-example`.

use std::path::{Path, PathBuf};
use std::{env, fs, io, process};

use money_core::{Dialect, ddl};

#[path = "src/history.rs"]
mod history;

use history::{Comparison, ModelTable, WRITE_VARIABLE, compare, read_dir};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/history.rs");
    // A directory: cargo looks at every file in it, so a new migration also
    // reruns this script, and the crate (and its `sqlx::migrate!`) is then
    // compiled again.
    println!("cargo::rerun-if-changed=migrations");
    println!("cargo::rerun-if-env-changed={WRITE_VARIABLE}");
    // The models are a build-dependency: when they change, cargo compiles
    // this script again and runs it.

    if let Err(message) = run() {
        eprintln!("error: {message}");
        process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    let migrations_dir = manifest_dir.join("migrations");
    let drafts_dir = out_dir.join("migrations");

    let models: Vec<ModelTable> = money_examples::TABLES
        .iter()
        .map(|table| ModelTable {
            name: table.name().to_owned(),
            ddl: ddl::create_table(table, Dialect::Postgres),
        })
        .collect();

    let mut comparison = compare(&read_dir(&migrations_dir)?, &models);
    write_pending(&comparison, &drafts_dir, false)?;
    let write = env::var(WRITE_VARIABLE).is_ok_and(|value| value == "1");
    if write && !comparison.pending.is_empty() {
        fs::create_dir_all(&migrations_dir)
            .map_err(|error| format!("cannot create {}: {error}", migrations_dir.display()))?;
        write_pending(&comparison, &migrations_dir, true)?;
        for pending in &comparison.pending {
            println!(
                "cargo::warning=wrote migrations/{}{}",
                pending.file_name,
                if pending.draft {
                    " (a draft: finish it, then delete its draft line)"
                } else {
                    ""
                }
            );
        }
        comparison = compare(&read_dir(&migrations_dir)?, &models);
    }
    if comparison.is_clean() {
        return Ok(());
    }
    Err(report(&comparison, &migrations_dir, &drafts_dir))
}

/// Writes the pending migrations into `dir`: the drafts directory in
/// `OUT_DIR` (emptied first), or the committed directory (where an existing
/// file is never replaced).
fn write_pending(comparison: &Comparison, dir: &Path, committed: bool) -> Result<(), String> {
    if !committed {
        match fs::remove_dir_all(dir) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(format!("cannot empty {}: {error}", dir.display())),
        }
        fs::create_dir_all(dir)
            .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    }
    for pending in &comparison.pending {
        let path = dir.join(&pending.file_name);
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(committed)
            .create(true)
            .truncate(true)
            .open(&path);
        file.and_then(|mut file| io::Write::write_all(&mut file, pending.text.as_bytes()))
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    }
    Ok(())
}

/// Why the build stops, and what to do.
fn report(comparison: &Comparison, migrations_dir: &Path, drafts_dir: &Path) -> String {
    let mut message = format!(
        "the migrations in {} do not match the models in money_examples::TABLES:\n",
        migrations_dir.display()
    );
    for problem in &comparison.problems {
        message.push_str(&format!("  - {problem}\n"));
    }
    for pending in &comparison.pending {
        message.push_str(&format!(
            "  - {}: {} would {}\n",
            pending.reason,
            pending.file_name,
            if pending.draft {
                "alter it (a draft, to finish by hand)"
            } else {
                "create it"
            }
        ));
    }
    if !comparison.pending.is_empty() {
        message.push_str(&format!(
            "The new migrations are in {drafts}. Add them to {dir} with\n\
             \n    {WRITE_VARIABLE}=1 cargo build -p money-migrations-example\n\n\
             then review and commit them.\n",
            drafts = drafts_dir.display(),
            dir = migrations_dir.display(),
        ));
    }
    message.push_str(
        "Never edit a migration that a database may have applied: sqlx stores its checksum \
         and refuses to migrate when the file changed. Change the model and add a migration.",
    );
    message
}

fn env_var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|error| format!("{name}: {error}"))
}

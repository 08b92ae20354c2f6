//! Migrations generated from the models at build time.
//!
//! The models of `money-examples` are both a dependency and a
//! build-dependency of this crate. On every build, `build.rs` renders their
//! PostgreSQL DDL and compares it with the committed migrations in
//! `migrations/` (see [`history`] for the rule); when a model has no
//! migration or changed, the build fails and drafts the migrations to add.
//! [`MIGRATOR`] embeds those committed files with `sqlx::migrate!`, so a
//! binary built from this crate carries the schema its structs were compiled
//! with.
//!
//! Why committed files and not files generated into `OUT_DIR`:
//! `sqlx::migrate!` takes a string literal only, refuses absolute paths and
//! resolves relative ones against `CARGO_MANIFEST_DIR`, so it cannot read
//! `OUT_DIR`; and a migration regenerated from the current model would change
//! under every database that already applied it. The README's "Migrations
//! generated at build time" has the whole argument.
//!
//! ```no_run
//! # async fn demo(pool: sqlx::PgPool) -> Result<(), sqlx::migrate::MigrateError> {
//! for migration in money_migrations_example::apply(&pool).await? {
//!     println!("{} {} applied now: {}", migration.version, migration.description, migration.applied_now);
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod history;

use sqlx::PgPool;
use sqlx::migrate::{MigrateError, Migrator};

/// The committed migrations in `migrations/`, embedded at compile time
/// (`build.rs` has checked them against the models in the same build).
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The table in which sqlx records applied migrations (its default).
pub const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// One migration of [`MIGRATOR`] and what [`apply`] did with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// Its version.
    pub version: i64,
    /// Its description, from the file name.
    pub description: String,
    /// Whether this run applied it; `false` when the database had it
    /// already.
    pub applied_now: bool,
}

/// Applies the migrations a database lacks, in the schema first on its
/// `search_path` (where sqlx also keeps `_sqlx_migrations`), after checking
/// that the ones it has are unchanged (sqlx compares their checksums).
/// Returns every embedded migration, each marked with whether this run
/// applied it.
///
/// # Errors
///
/// What [`Migrator::run`] returns, such as
/// [`MigrateError::VersionMismatch`] when an applied migration's file
/// changed, and any error reading which migrations were applied before.
pub async fn apply(pool: &PgPool) -> Result<Vec<Applied>, MigrateError> {
    let before = applied_versions(pool).await?;
    MIGRATOR.run(pool).await?;
    Ok(MIGRATOR
        .iter()
        .map(|migration| Applied {
            version: migration.version,
            description: migration.description.to_string(),
            applied_now: !before.contains(&migration.version),
        })
        .collect())
}

/// The versions the database records as applied, none when it has no
/// `_sqlx_migrations` table yet.
///
/// # Errors
///
/// A failing query, as [`MigrateError::Execute`].
pub async fn applied_versions(pool: &PgPool) -> Result<Vec<i64>, MigrateError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(MIGRATIONS_TABLE)
        .fetch_one(pool)
        .await?;
    if !exists {
        return Ok(Vec::new());
    }
    let versions =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?;
    Ok(versions)
}

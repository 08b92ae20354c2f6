//! The committed migration history compared with the models: what
//! `build.rs` runs on every build, and the migrations it drafts when the two
//! differ. Pure functions over file names and texts, so that the build script
//! (which includes this file with `#[path]`) and the tests share them.
//!
//! A migration names the tables it brings to their model with a directive
//! line, and holds the definition each of them has afterwards:
//!
//! - `-- money-migrations: creates accounts`, then the model's own
//!   `CREATE TABLE "accounts" (...)` statement;
//! - `-- money-migrations: alters accounts`, then statements of its own, and
//!   the table's definition afterwards as comment lines starting with `-- | `.
//!
//! The rule the build enforces: for every model table, the **last** migration
//! that names it holds exactly the DDL the model renders now. A model without
//! one gets a `creates` migration; a model that changed gets an `alters`
//! draft with a new version, so that no migration a database may have applied
//! ever changes (sqlx stores each applied migration's checksum and refuses to
//! run when a file no longer matches it). Whether the statements of an
//! `alters` migration really produce that definition only a database can
//! tell: the crate's tests apply the history and compare the catalog with the
//! model's DDL.
//!
//! ```
//! use money_migrations_example::history::{Migration, ModelTable, compare};
//!
//! let ddl = "CREATE TABLE \"accounts\" (\n    \"id\" bigint NOT NULL\n);";
//! let model = ModelTable { name: "accounts".into(), ddl: ddl.into() };
//!
//! // No migration yet: the build drafts one that creates the table.
//! let comparison = compare(&[], std::slice::from_ref(&model));
//! assert_eq!(comparison.pending[0].file_name, "0001_create_accounts.sql");
//!
//! // Committed, it matches the model: nothing to do.
//! let committed = Migration::new("0001_create_accounts.sql", &comparison.pending[0].text)?;
//! assert!(compare(&[committed], &[model]).is_clean());
//! # Ok::<(), String>(())
//! ```

use std::collections::BTreeSet;
use std::path::Path;
use std::{fs, io};

/// Prefix of the directive lines this module reads and writes.
pub const DIRECTIVE: &str = "-- money-migrations:";

/// Prefix of the comment lines that hold a table's definition in an
/// `alters` migration.
pub const SNAPSHOT: &str = "-- | ";

/// The environment variable that lets the build script write the migrations
/// it drafts into the committed `migrations/` directory.
pub const WRITE_VARIABLE: &str = "MONEY_WRITE_MIGRATIONS";

/// A model's table as the build sees it: its name and the PostgreSQL DDL its
/// model renders now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelTable {
    /// The table's name.
    pub name: String,
    /// `CREATE TABLE ...;`, as `money_core::ddl::create_table` renders it.
    pub ddl: String,
}

/// One committed migration file, named as sqlx names them:
/// `<version>_<description>.sql`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migration {
    /// The version, the number before the first `_`.
    pub version: i64,
    /// The file's name.
    pub file_name: String,
    /// The file's text.
    pub text: String,
}

/// A migration the build drafted: what to write into `migrations/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// `<version>_create_<table>.sql` or `<version>_alter_<table>.sql`.
    pub file_name: String,
    /// The file's text.
    pub text: String,
    /// Why it is needed, for the build's message.
    pub reason: String,
    /// Whether it is a draft that a person must finish (an `alters`
    /// migration) rather than complete as written (a `creates` one).
    pub draft: bool,
}

/// What [`compare`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Migrations to add, with versions after the last committed one.
    pub pending: Vec<Pending>,
    /// What must be fixed by hand in the committed files.
    pub problems: Vec<String>,
}

impl Comparison {
    /// Whether the history matches the models.
    pub fn is_clean(&self) -> bool {
        self.pending.is_empty() && self.problems.is_empty()
    }
}

impl Migration {
    /// A migration file, or why sqlx would not run it as a simple migration.
    /// Call it for the files [`is_migration_name`] accepts: sqlx ignores the
    /// others.
    pub fn new(file_name: &str, text: &str) -> Result<Self, String> {
        let (version, description) = file_name
            .split_once('_')
            .filter(|(_, rest)| rest.ends_with(".sql"))
            .ok_or_else(|| format!("{file_name}: not named `<version>_<description>.sql`"))?;
        let version = version
            .parse()
            .map_err(|_| format!("{file_name}: the version `{version}` is not an integer"))?;
        if description.ends_with(".up.sql") || description.ends_with(".down.sql") {
            return Err(format!(
                "{file_name}: reversible migrations are not supported here; write simple `.sql` migrations"
            ));
        }
        Ok(Migration {
            version,
            file_name: file_name.to_owned(),
            text: text.to_owned(),
        })
    }

    /// The tables this migration brings to their model: its `creates` and
    /// `alters` directives.
    pub fn tables(&self) -> BTreeSet<&str> {
        self.directives()
            .filter_map(|directive| {
                directive
                    .strip_prefix("creates ")
                    .or_else(|| directive.strip_prefix("alters "))
            })
            .map(str::trim)
            .collect()
    }

    /// Whether it has a `draft` directive: a migration the build drafted
    /// that nobody has finished yet.
    pub fn is_draft(&self) -> bool {
        self.directives()
            .any(|directive| directive.starts_with("draft"))
    }

    /// The definition of the table whose DDL starts with `create_line`
    /// (`CREATE TABLE "accounts" (`), as this migration holds it: the
    /// statement itself, or its `-- | ` comment lines.
    pub fn definition(&self, create_line: &str) -> Option<String> {
        let mut lines = self
            .text
            .lines()
            .map(|line| line.strip_prefix(SNAPSHOT).unwrap_or(line));
        lines.find(|line| *line == create_line)?;
        let mut definition = vec![create_line];
        for line in lines {
            definition.push(line);
            if line == ");" {
                return Some(definition.join("\n"));
            }
        }
        None
    }

    fn directives(&self) -> impl Iterator<Item = &str> {
        self.text
            .lines()
            .filter_map(|line| line.strip_prefix(DIRECTIVE))
            .map(str::trim)
    }
}

/// Whether sqlx reads a file of the migrations directory as a migration:
/// `<something>_<something>.sql`. It ignores every other file, so this
/// module does too.
pub fn is_migration_name(file_name: &str) -> bool {
    file_name
        .split_once('_')
        .is_some_and(|(_, rest)| rest.ends_with(".sql"))
}

/// The migrations in `dir`, as sqlx reads them (other files are ignored);
/// none when `dir` does not exist.
///
/// # Errors
///
/// A file that cannot be read, or a migration name sqlx would refuse or that
/// is not a simple migration, as a message.
pub fn read_dir(dir: &Path) -> Result<Vec<Migration>, String> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(format!("cannot read {}: {error}", dir.display())),
    };
    let mut history = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|error| format!("cannot read {}: {error}", dir.display()))?
            .path();
        let Some(file_name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if !path.is_file() || !is_migration_name(file_name) {
            continue;
        }
        let text = fs::read_to_string(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        history.push(Migration::new(file_name, &text)?);
    }
    history.sort_by_key(|migration| migration.version);
    Ok(history)
}

/// Compares the committed `history` (in any order) with the `models` (in
/// creation order): the migrations to add and the problems to fix by hand.
pub fn compare(history: &[Migration], models: &[ModelTable]) -> Comparison {
    let mut history: Vec<&Migration> = history.iter().collect();
    history.sort_by_key(|migration| migration.version);
    let mut comparison = Comparison::default();
    for pair in history.windows(2) {
        if pair[0].version == pair[1].version {
            comparison.problems.push(format!(
                "{} and {} have the same version {}",
                pair[0].file_name, pair[1].file_name, pair[0].version
            ));
        }
    }
    for migration in history.iter().filter(|migration| migration.is_draft()) {
        comparison.problems.push(format!(
            "{} is a draft: finish its statements, then delete its `{DIRECTIVE} draft` line",
            migration.file_name
        ));
    }

    let mut next_version = history.last().map_or(1, |last| last.version + 1);
    for model in models {
        let create_line = model.ddl.lines().next().unwrap_or_default();
        let last = history
            .iter()
            .rev()
            .find(|migration| migration.tables().contains(model.name.as_str()));
        let pending = match last {
            None => Pending {
                file_name: format!("{next_version:04}_create_{}.sql", model.name),
                text: create_text(model),
                reason: format!("table {} has no migration", model.name),
                draft: false,
            },
            Some(last) => match last.definition(create_line) {
                Some(definition) if definition == model.ddl => continue,
                Some(definition) => Pending {
                    file_name: format!("{next_version:04}_alter_{}.sql", model.name),
                    text: alter_text(model, &definition, &last.file_name),
                    reason: format!(
                        "the model of table {} no longer renders the definition in {}, which a database may have applied already (sqlx refuses a changed migration: its checksum is stored)",
                        model.name, last.file_name
                    ),
                    draft: true,
                },
                None => {
                    comparison.problems.push(format!(
                        "{} names table {} but holds no `{create_line}` definition of it",
                        last.file_name, model.name
                    ));
                    continue;
                }
            },
        };
        comparison.pending.push(pending);
        next_version += 1;
    }
    comparison
}

/// A complete migration that creates `model`'s table.
fn create_text(model: &ModelTable) -> String {
    format!(
        "{DIRECTIVE} creates {name}\n\
         -- Generated by build.rs from the model of table {name}. Once a database has\n\
         -- applied it, never edit it: change the model, and the build drafts the next\n\
         -- migration.\n\
         {ddl}\n",
        name = model.name,
        ddl = model.ddl,
    )
}

/// A draft that alters `model`'s table from `previous` (the definition in
/// `previous_file`) to what the model renders now: generated statements for
/// the constraints, comments for the columns, whose changes depend on the data
/// a person knows about.
fn alter_text(model: &ModelTable, previous: &str, previous_file: &str) -> String {
    let table = model.ddl.lines().next().unwrap_or_default();
    let table = table
        .strip_prefix("CREATE TABLE ")
        .and_then(|rest| rest.strip_suffix(" ("))
        .unwrap_or(table);
    let before = items(previous);
    let after = items(&model.ddl);
    let mut changes = Vec::new();
    let mut drops = Vec::new();
    let mut columns = Vec::new();
    let mut adds = Vec::new();
    for (key, item) in &before {
        let now = after
            .iter()
            .find(|(other, _)| other == key)
            .map(|(_, now)| now);
        if now == Some(item) {
            continue;
        }
        changes.push(format!("--   - {item}"));
        match key {
            Item::Constraint(name) => drops.push(format!("ALTER TABLE {table} DROP CONSTRAINT {name};")),
            Item::Column(name) if now.is_none() => columns.push(format!(
                "-- TODO column {name} is gone: ALTER TABLE {table} DROP COLUMN {name};"
            )),
            Item::Column(name) => columns.push(format!(
                "-- TODO column {name} changed to `{}`: ALTER TABLE {table} ALTER COLUMN {name} TYPE ... / SET NOT NULL / DROP NOT NULL;",
                now.map(String::as_str).unwrap_or_default()
            )),
        }
    }
    for (key, item) in &after {
        let then = before
            .iter()
            .find(|(other, _)| other == key)
            .map(|(_, then)| then);
        if then == Some(item) {
            continue;
        }
        changes.push(format!("--   + {item}"));
        match key {
            Item::Constraint(_) => adds.push(format!("ALTER TABLE {table} ADD {item};")),
            Item::Column(name) if then.is_none() => columns.push(format!(
                "-- TODO new column {name}: ALTER TABLE {table} ADD COLUMN {item}; (a NOT NULL column needs a value for the rows already there)"
            )),
            Item::Column(_) => {}
        }
    }
    let statements: Vec<String> = drops.into_iter().chain(columns).chain(adds).collect();
    let snapshot: Vec<String> = model
        .ddl
        .lines()
        .map(|line| format!("{SNAPSHOT}{line}"))
        .collect();
    format!(
        "{DIRECTIVE} alters {name}\n\
         {DIRECTIVE} draft (the build fails until this line is deleted)\n\
         -- Check the statements and finish the TODOs: the rows already there must satisfy\n\
         -- every new rule (on a large table, consider ADD CONSTRAINT ... NOT VALID, then\n\
         -- VALIDATE CONSTRAINT in a later migration). Then delete the line above.\n\
         -- Changes since {previous_file}:\n\
         {changes}\n\
         {statements}\n\
         \n\
         -- The table after this migration, as its model renders it. The build compares\n\
         -- the model with this definition, and the tests compare it with the database\n\
         -- these statements produce: keep it as it is.\n\
         {snapshot}\n",
        name = model.name,
        changes = changes.join("\n"),
        statements = statements.join("\n"),
        snapshot = snapshot.join("\n"),
    )
}

/// What a line inside `CREATE TABLE (...)` declares.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    /// `"name" type ...`: the quoted column name.
    Column(String),
    /// `CONSTRAINT "name" ...`: the quoted constraint name.
    Constraint(String),
}

/// The items of a `CREATE TABLE` statement as rendered (one per line), keyed
/// by what they declare.
fn items(ddl: &str) -> Vec<(Item, String)> {
    let lines: Vec<&str> = ddl.lines().collect();
    let inner = lines
        .get(1..lines.len().saturating_sub(1))
        .unwrap_or_default();
    inner
        .iter()
        .map(|line| {
            let item = line.trim().trim_end_matches(',').to_owned();
            let key = match item.strip_prefix("CONSTRAINT ") {
                Some(rest) => Item::Constraint(first_identifier(rest)),
                None => Item::Column(first_identifier(&item)),
            };
            (key, item)
        })
        .collect()
}

/// The leading quoted identifier of `text` (`"a""b"` included), or its first
/// word.
fn first_identifier(text: &str) -> String {
    if !text.starts_with('"') {
        return text
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
    }
    let mut end = 1;
    let bytes = text.as_bytes();
    while end < bytes.len() {
        if bytes[end] == b'"' {
            if bytes.get(end + 1) == Some(&b'"') {
                end += 2;
                continue;
            }
            return text[..=end].to_owned();
        }
        end += 1;
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "CREATE TABLE \"accounts\" (\n    \"id\" bigint NOT NULL,\n    \"balance\" numeric NOT NULL,\n    CONSTRAINT \"accounts_pkey\" PRIMARY KEY (\"id\"),\n    CONSTRAINT \"accounts_balance_min\" CHECK (\"balance\" >= 0)\n);";
    const V2: &str = "CREATE TABLE \"accounts\" (\n    \"id\" bigint NOT NULL,\n    \"balance\" numeric NOT NULL,\n    \"limit\" numeric,\n    CONSTRAINT \"accounts_pkey\" PRIMARY KEY (\"id\"),\n    CONSTRAINT \"accounts_balance_min\" CHECK (\"balance\" >= 1)\n);";

    fn model(ddl: &str) -> ModelTable {
        ModelTable {
            name: "accounts".to_owned(),
            ddl: ddl.to_owned(),
        }
    }

    fn committed(pending: &Pending) -> Migration {
        Migration::new(&pending.file_name, &pending.text).expect("a drafted name is valid")
    }

    #[test]
    fn a_new_model_gets_a_complete_create_migration() {
        let comparison = compare(&[], &[model(V1)]);
        assert!(comparison.problems.is_empty());
        let [pending] = comparison.pending.as_slice() else {
            panic!("{comparison:?}")
        };
        assert_eq!(pending.file_name, "0001_create_accounts.sql");
        assert!(!pending.draft);
        assert!(
            pending
                .text
                .starts_with("-- money-migrations: creates accounts\n")
        );
        assert!(pending.text.ends_with(&format!("{V1}\n")));
        assert!(compare(&[committed(pending)], &[model(V1)]).is_clean());
    }

    #[test]
    fn a_changed_model_gets_an_alter_draft_and_the_applied_file_stays() {
        let v1 = committed(&compare(&[], &[model(V1)]).pending[0]);
        let comparison = compare(std::slice::from_ref(&v1), &[model(V2)]);
        let [pending] = comparison.pending.as_slice() else {
            panic!("{comparison:?}")
        };
        assert_eq!(pending.file_name, "0002_alter_accounts.sql");
        assert!(pending.draft);
        assert!(pending.reason.contains("0001_create_accounts.sql"));
        let statements: Vec<&str> = pending
            .text
            .lines()
            .filter(|line| !line.starts_with("--"))
            .filter(|line| !line.is_empty())
            .collect();
        assert_eq!(
            statements,
            [
                "ALTER TABLE \"accounts\" DROP CONSTRAINT \"accounts_balance_min\";",
                "ALTER TABLE \"accounts\" ADD CONSTRAINT \"accounts_balance_min\" CHECK (\"balance\" >= 1);",
            ]
        );
        assert!(pending.text.contains(
            "-- TODO new column \"limit\": ALTER TABLE \"accounts\" ADD COLUMN \"limit\" numeric;"
        ));
        assert!(
            pending
                .text
                .contains("--   - CONSTRAINT \"accounts_balance_min\" CHECK (\"balance\" >= 0)")
        );

        // Committed as drafted, the build still fails: a person must finish it.
        let draft = committed(pending);
        let comparison = compare(&[v1.clone(), draft.clone()], &[model(V2)]);
        assert!(comparison.pending.is_empty());
        assert_eq!(comparison.problems.len(), 1, "{comparison:?}");
        assert!(comparison.problems[0].starts_with("0002_alter_accounts.sql is a draft"));

        // Finished, it is the table's definition now.
        let finished = Migration::new(
            &draft.file_name,
            &draft
                .text
                .replace("-- money-migrations: draft", "-- reviewed"),
        )
        .expect("valid name");
        assert!(compare(&[finished.clone(), v1.clone()], &[model(V2)]).is_clean());
        // And the next change is compared with it, not with version 1.
        let comparison = compare(&[v1, finished], &[model(V1)]);
        assert_eq!(comparison.pending[0].file_name, "0003_alter_accounts.sql");
        assert!(
            comparison.pending[0]
                .reason
                .contains("0002_alter_accounts.sql")
        );
    }

    #[test]
    fn problems_in_the_history_are_reported() {
        let one = Migration::new(
            "1_a.sql",
            "-- money-migrations: creates accounts\nSELECT 1;",
        )
        .expect("valid name");
        let two = Migration::new("01_b.sql", "SELECT 2;").expect("valid name");
        let comparison = compare(&[one, two], &[model(V1)]);
        assert_eq!(
            comparison.problems,
            [
                "1_a.sql and 01_b.sql have the same version 1",
                "1_a.sql names table accounts but holds no `CREATE TABLE \"accounts\" (` definition of it",
            ]
        );
        assert!(Migration::new("x_a.sql", "").is_err());
        assert!(Migration::new("1_a.up.sql", "").is_err());
        assert!(is_migration_name("0001_a.sql"));
        assert!(!is_migration_name("README.md"));
        assert!(!is_migration_name("schema.sql"));
    }

    #[test]
    fn quoted_identifiers_keep_doubled_quotes() {
        assert_eq!(first_identifier("\"a\"\"b\" text"), "\"a\"\"b\"");
        assert_eq!(first_identifier("\"a\" text"), "\"a\"");
    }
}

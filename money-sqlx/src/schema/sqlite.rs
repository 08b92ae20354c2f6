//! [`verify`](super::verify) on SQLite.
//!
//! SQLite keeps no normalized form of a constraint: `sqlite_master.sql` is
//! the `CREATE TABLE` text as it was sent. The declared types, nullability
//! and keys are read through the pragma functions (`pragma_table_info`,
//! `pragma_index_list`, `pragma_index_info`, `pragma_foreign_key_list`),
//! joined with `sqlite_master` so that each is one query for all tables;
//! CHECKs are cut out of the stored text and compared with the
//! declaration's rendering token by token (whitespace, comments, identifier
//! quoting and letter case do not count; literals do). SQLite keeps the name
//! of a key only in that text, so a key is matched with its declaration by
//! kind and columns.
//!
//! SQLite cannot alter a column or a constraint: every fix but a missing
//! table is the table rebuild its documentation describes
//! (<https://www.sqlite.org/lang_altertable.html#otheralter>), once per
//! table, keeping the columns the declaration does not have.

use std::collections::BTreeMap;

use money_core::{ColumnType, Dialect, MoneySpec, Table, ddl};
use sqlx::{Row, SqlitePool};

use super::compare::{
    CatalogColumn, CatalogConstraint, CatalogTable, FixSql, compare_table, declared_keys,
    foreign_key_definition, key_definition, missing_table,
};
use super::sqlite_text::{check_definition, table_constraints, tokens};
use super::{ConstraintKind, Difference, Entry, Error, Fix, SchemaReport, ordered};

fn unreadable(what: &str) -> impl Fn(sqlx::Error) -> Error + use<> {
    let what = what.to_owned();
    move |source| Error::Unreadable {
        what: what.clone(),
        source,
    }
}

/// Every column of the named tables (in `json_each`, one bound JSON array).
const COLUMNS: &str = "
SELECT m.name, p.name, p.type, p.\"notnull\", p.pk
FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p
WHERE m.type = 'table' AND m.name IN (SELECT value FROM json_each(?1))
ORDER BY m.name, p.cid";

/// The columns of every UNIQUE constraint of the named tables, and of every
/// unique index made by `CREATE UNIQUE INDEX` (origin `c`) that is neither
/// partial nor on an expression: such an index refuses what a UNIQUE on its
/// columns refuses, and SQLite's error names the columns either way.
const UNIQUE_KEYS: &str = "
SELECT m.name, l.name, i.name, l.origin
FROM sqlite_master AS m JOIN pragma_index_list(m.name) AS l JOIN pragma_index_info(l.name) AS i
WHERE m.type = 'table' AND m.name IN (SELECT value FROM json_each(?1))
  AND l.\"unique\" AND (l.origin = 'u' OR (l.origin = 'c' AND NOT l.partial
      AND NOT EXISTS (SELECT 1 FROM pragma_index_xinfo(l.name) AS x WHERE x.key AND x.cid < 0)))
ORDER BY m.name, l.name, i.seqno";

/// The foreign keys of the named tables, one row per column.
const FOREIGN_KEYS: &str = "
SELECT m.name, f.id, f.\"table\", f.\"from\", coalesce(f.\"to\", ''), f.on_delete, f.on_update
FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f
WHERE m.type = 'table' AND m.name IN (SELECT value FROM json_each(?1))
ORDER BY m.name, f.id, f.seq";

/// The stored `CREATE TABLE` text of the named tables.
const TEXTS: &str = "
SELECT name, sql FROM sqlite_master
WHERE type = 'table' AND name IN (SELECT value FROM json_each(?1))";

/// Checks the database (`main`) against `tables`: see the [module
/// documentation](super).
pub(crate) async fn verify(
    pool: &SqlitePool,
    tables: &[&'static Table],
) -> Result<SchemaReport, Error> {
    let ordered = ordered(tables)?;
    let names: Vec<&str> = ordered.iter().map(|table| table.name()).collect();
    let names = json_array(&names);
    let mut connection = pool
        .acquire()
        .await
        .map_err(unreadable("open a connection"))?;
    let fetch = |sql: &'static str| sqlx::query(sql).bind(names.clone());
    let column_rows = fetch(COLUMNS)
        .fetch_all(&mut *connection)
        .await
        .map_err(unreadable("read the columns (pragma_table_info)"))?;
    let unique_rows = fetch(UNIQUE_KEYS)
        .fetch_all(&mut *connection)
        .await
        .map_err(unreadable("read the unique keys (pragma_index_list)"))?;
    let foreign_rows = fetch(FOREIGN_KEYS)
        .fetch_all(&mut *connection)
        .await
        .map_err(unreadable(
            "read the foreign keys (pragma_foreign_key_list)",
        ))?;
    let text_rows = fetch(TEXTS)
        .fetch_all(&mut *connection)
        .await
        .map_err(unreadable("read the tables' text (sqlite_master)"))?;
    drop(connection);

    let mut live: BTreeMap<String, Live> = BTreeMap::new();
    for row in &column_rows {
        let decode = unreadable("decode a column row");
        let table: String = row.try_get(0).map_err(&decode)?;
        let name: String = row.try_get(1).map_err(&decode)?;
        let sql_type: String = row.try_get(2).map_err(&decode)?;
        let not_null: bool = row.try_get(3).map_err(&decode)?;
        let key_position: i64 = row.try_get(4).map_err(&decode)?;
        let entry = live.entry(table).or_default();
        if key_position > 0 {
            entry.primary_key.push((key_position, name.clone()));
        }
        entry.table.columns.push(CatalogColumn {
            name,
            sql_type: normalize_type(&sql_type),
            not_null,
        });
    }
    for row in &unique_rows {
        let decode = unreadable("decode a unique key row");
        let table: String = row.try_get(0).map_err(&decode)?;
        let index: String = row.try_get(1).map_err(&decode)?;
        let column: String = row.try_get(2).map_err(&decode)?;
        let origin: String = row.try_get(3).map_err(&decode)?;
        let entry = live.entry(table).or_default();
        match entry.unique.last_mut() {
            Some((name, columns, _)) if *name == index => columns.push(column),
            _ => entry.unique.push((index, vec![column], origin == "c")),
        }
    }
    for row in &foreign_rows {
        let decode = unreadable("decode a foreign key row");
        let table: String = row.try_get(0).map_err(&decode)?;
        let id: i64 = row.try_get(1).map_err(&decode)?;
        let referenced: String = row.try_get(2).map_err(&decode)?;
        let from: String = row.try_get(3).map_err(&decode)?;
        let to: String = row.try_get(4).map_err(&decode)?;
        let on_delete: String = row.try_get(5).map_err(&decode)?;
        let on_update: String = row.try_get(6).map_err(&decode)?;
        let entry = live.entry(table).or_default();
        match entry.foreign.last_mut() {
            Some(key) if key.id == id => {
                key.columns.push(from);
                key.referenced_columns.push(to);
            }
            _ => entry.foreign.push(LiveForeignKey {
                id,
                columns: vec![from],
                referenced,
                referenced_columns: vec![to],
                on_delete,
                on_update,
            }),
        }
    }
    for row in &text_rows {
        let decode = unreadable("decode a table's text");
        let table: String = row.try_get(0).map_err(&decode)?;
        let sql: Option<String> = row.try_get(1).map_err(&decode)?;
        live.entry(table).or_default().text = sql.unwrap_or_default();
    }

    let mut entries = Vec::new();
    for table in &ordered {
        let Some(found) = live.get(table.name()) else {
            entries.push(missing_table(table, &SqliteFixes));
            continue;
        };
        let declared = declared_table(table);
        let found = found.catalog(table);
        let start = entries.len();
        compare_table(table, &declared, &found, &SqliteFixes, &mut entries);
        rebuild(table, &found, &mut entries[start..]);
    }
    Ok(SchemaReport { entries })
}

/// `["a","b"]`: the names as one JSON array, bound once.
fn json_array(names: &[&str]) -> String {
    let quoted: Vec<String> = names
        .iter()
        .map(|name| {
            let mut escaped = String::from("\"");
            for c in name.chars() {
                match c {
                    '"' => escaped.push_str("\\\""),
                    '\\' => escaped.push_str("\\\\"),
                    c if (c as u32) < 0x20 => escaped.push_str(&format!("\\u{:04x}", c as u32)),
                    c => escaped.push(c),
                }
            }
            escaped.push('"');
            escaped
        })
        .collect();
    format!("[{}]", quoted.join(","))
}

/// What the pragmas and the stored text say about one table.
#[derive(Default)]
struct Live {
    table: CatalogTable,
    /// (position in the key, column).
    primary_key: Vec<(i64, String)>,
    /// (index name, columns, whether it is a `CREATE UNIQUE INDEX`).
    unique: Vec<(String, Vec<String>, bool)>,
    foreign: Vec<LiveForeignKey>,
    text: String,
}

struct LiveForeignKey {
    id: i64,
    columns: Vec<String>,
    referenced: String,
    referenced_columns: Vec<String>,
    on_delete: String,
    on_update: String,
}

impl Live {
    /// The table with its constraints named: a key after the declared key
    /// of its kind and columns, else after the `CONSTRAINT` clause of the
    /// text that declares it, else after the index (or a number).
    fn catalog(&self, table: &Table) -> CatalogTable {
        let mut catalog = self.table.clone();
        let clauses = table_constraints(&self.text);
        let name_of = |kind: ConstraintKind, columns: &[String], fallback: String| {
            let same = |candidate: &[String]| {
                candidate.len() == columns.len()
                    && candidate
                        .iter()
                        .zip(columns)
                        .all(|(a, b)| a.eq_ignore_ascii_case(b))
            };
            let declared_name = match kind {
                ConstraintKind::Unique => table
                    .unique_keys()
                    .find(|key| {
                        same(
                            &key.columns
                                .iter()
                                .map(|c| c.to_string())
                                .collect::<Vec<_>>(),
                        )
                    })
                    .map(|key| key.name),
                ConstraintKind::ForeignKey => table
                    .foreign_keys()
                    .find(|key| {
                        same(
                            &key.columns
                                .iter()
                                .map(|c| c.to_string())
                                .collect::<Vec<_>>(),
                        )
                    })
                    .map(|key| key.name),
                _ => None,
            };
            declared_name
                .or_else(|| {
                    clauses
                        .iter()
                        .find(|clause| clause.kind == kind && same(&clause.columns))
                        .and_then(|clause| clause.name.clone())
                })
                .unwrap_or(fallback)
        };
        let mut insert = |constraint: CatalogConstraint| {
            catalog
                .constraints
                .insert(constraint.name.clone(), constraint);
        };
        let mut primary = self.primary_key.clone();
        primary.sort();
        let primary: Vec<String> = primary.into_iter().map(|(_, column)| column).collect();
        if !primary.is_empty() {
            insert(CatalogConstraint {
                name: table.primary_key_name(),
                kind: ConstraintKind::PrimaryKey,
                validated: true,
                enforced: true,
                definition: key_definition(Dialect::Sqlite, ConstraintKind::PrimaryKey, &primary),
            });
        }
        for (index, columns, created) in &self.unique {
            // A `CREATE UNIQUE INDEX` stands for a declared UNIQUE on its
            // columns; any other is an index, not a constraint, and not
            // compared.
            let declares = |key: &money_core::UniqueKey| {
                key.columns.len() == columns.len()
                    && key
                        .columns
                        .iter()
                        .zip(columns)
                        .all(|(declared, found)| declared.eq_ignore_ascii_case(found))
            };
            if *created && !table.unique_keys().any(|key| declares(&key)) {
                continue;
            }
            insert(CatalogConstraint {
                name: name_of(ConstraintKind::Unique, columns, index.clone()),
                kind: ConstraintKind::Unique,
                validated: true,
                enforced: true,
                definition: key_definition(Dialect::Sqlite, ConstraintKind::Unique, columns),
            });
        }
        for key in &self.foreign {
            insert(CatalogConstraint {
                name: name_of(
                    ConstraintKind::ForeignKey,
                    &key.columns,
                    format!("(unnamed foreign key {})", key.id),
                ),
                kind: ConstraintKind::ForeignKey,
                validated: true,
                enforced: true,
                definition: foreign_key_definition(
                    Dialect::Sqlite,
                    &key.columns,
                    &key.referenced,
                    &key.referenced_columns,
                    &key.on_delete,
                    &key.on_update,
                ),
            });
        }
        let mut unnamed = 0;
        for clause in clauses {
            if clause.kind != ConstraintKind::Check {
                continue;
            }
            let name = clause.name.unwrap_or_else(|| {
                unnamed += 1;
                format!("(unnamed CHECK {unnamed})")
            });
            insert(CatalogConstraint {
                name,
                kind: ConstraintKind::Check,
                validated: true,
                enforced: true,
                definition: clause.definition,
            });
        }
        catalog
    }
}

/// The declaration as the comparison reads it: types and CHECK texts
/// normalized the way the live ones are.
fn declared_table(table: &Table) -> CatalogTable {
    let mut declared = CatalogTable::default();
    for column in table.columns() {
        declared.columns.push(CatalogColumn {
            name: column.name().to_owned(),
            sql_type: normalize_type(&ddl::column_type(column, Dialect::Sqlite)),
            not_null: !column.nullable(),
        });
    }
    for (name, expression) in ddl::checks(table, Dialect::Sqlite) {
        declared.constraints.insert(
            name.clone(),
            CatalogConstraint {
                name,
                kind: ConstraintKind::Check,
                validated: true,
                enforced: true,
                definition: check_definition(&tokens(&expression)),
            },
        );
    }
    for key in declared_keys(table, Dialect::Sqlite) {
        declared.constraints.insert(key.name.clone(), key);
    }
    declared
}

/// A declared type as SQLite keeps it, in lower case with single spaces.
fn normalize_type(sql_type: &str) -> String {
    sql_type
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

fn quote(ident: &str) -> String {
    ddl::quote(Dialect::Sqlite, ident)
}

/// SQLite's fixes: a missing table is created; a column that accepts NULL
/// can be added; anything else is the table rebuild, which [`rebuild`]
/// writes once per table.
struct SqliteFixes;

impl FixSql for SqliteFixes {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn add_column(&self, _table: &Table, _column: &CatalogColumn) -> Vec<Fix> {
        Vec::new()
    }

    fn change_type(&self, _table: &Table, _declared: &CatalogColumn) -> Vec<Fix> {
        Vec::new()
    }

    fn set_nullability(&self, _table: &Table, _declared: &CatalogColumn) -> Vec<Fix> {
        Vec::new()
    }

    fn drop_constraint(&self, _table: &Table, _found: &CatalogConstraint) -> Vec<Fix> {
        Vec::new()
    }

    fn add_constraint(&self, _table: &Table, _declared: &CatalogConstraint) -> Vec<Fix> {
        Vec::new()
    }

    fn type_effect(&self, found: &str, declared: &str, _spec: &MoneySpec) -> Option<String> {
        Some(format!(
            "a declared type `{found}` gives the column {} affinity: SQLite converts a text that looks like a number before any CHECK runs (a fractional one to a float, rounded), where the declaration (`{declared}`) stores what the client sent",
            affinity(found)
        ))
    }
}

/// SQLite's affinity rules for a declared type (section 3.1 of its
/// datatype documentation).
fn affinity(sql_type: &str) -> &'static str {
    let upper = sql_type.to_ascii_uppercase();
    if upper.contains("INT") {
        "INTEGER"
    } else if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") {
        "TEXT"
    } else if upper.contains("BLOB") || upper.is_empty() {
        "BLOB"
    } else if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

/// Gives the first entry of `table` that needs it the table rebuild, and
/// says so on the others: an extra column needs none (it is kept), nor a
/// missing column that accepts NULL when nothing else differs.
fn rebuild(table: &Table, found: &CatalogTable, entries: &mut [Entry]) {
    let needs = |entry: &Entry| !matches!(entry.difference, Difference::ExtraColumn { .. });
    let Some(first) = entries.iter().position(needs) else {
        return;
    };
    let only_nullable_columns = entries.iter().filter(|entry| needs(entry)).all(|entry| {
        matches!(&entry.difference, Difference::MissingColumn { column, .. }
            if table.column(column).is_some_and(|c| c.nullable() && c.money_spec().is_none() && !matches!(c.column_type(), ColumnType::Currency)))
    });
    let quoted = quote(table.name());
    if only_nullable_columns {
        for entry in entries.iter_mut().filter(|entry| needs(entry)) {
            if let Difference::MissingColumn { column, .. } = &entry.difference {
                let sql_type = table
                    .column(column)
                    .map(|c| ddl::column_type(c, Dialect::Sqlite))
                    .unwrap_or_default();
                entry.fixes = vec![Fix {
                    sql: format!(
                        "ALTER TABLE {quoted} ADD COLUMN {} {sql_type}",
                        quote(column)
                    )
                    .trim_end()
                    .to_owned(),
                    rewrites_table: false,
                    violations_query: None,
                }];
            }
        }
        return;
    }
    let fixes = rebuild_statements(table, found);
    for (position, entry) in entries.iter_mut().enumerate() {
        if !needs(entry) {
            continue;
        }
        if position == first {
            entry.fixes = fixes.clone();
        } else {
            entry.fixed_by = Some(format!("the rebuild of table {} given above", table.name()));
        }
    }
}

/// SQLite's table rebuild: the declared table created under a new name,
/// the rows copied, the old table dropped, the new one renamed; undeclared
/// columns are kept.
fn rebuild_statements(table: &Table, found: &CatalogTable) -> Vec<Fix> {
    let name = table.name();
    let quoted = quote(name);
    let new_name = format!("money_verify_new_{name}");
    let new_quoted = quote(&new_name);
    let create = ddl::create_table(table, Dialect::Sqlite);
    let create = create.trim_end_matches(';');
    let body_at = create.find('(').unwrap_or(create.len());
    let mut create = format!("CREATE TABLE {new_quoted} {}", &create[body_at..]);
    let extra: Vec<&CatalogColumn> = found
        .columns
        .iter()
        .filter(|column| table.column(&column.name).is_none())
        .collect();
    if !extra.is_empty() {
        // Keep the undeclared columns, after the declared ones and before
        // the table constraints.
        let mut kept = String::new();
        for column in &extra {
            kept.push_str(&format!(
                ",\n    {} {}{}",
                quote(&column.name),
                column.sql_type,
                if column.not_null { " NOT NULL" } else { "" }
            ));
        }
        let at = create
            .find(",\n    CONSTRAINT ")
            .or_else(|| create.rfind("\n)"))
            .unwrap_or(create.len());
        create.insert_str(at, &kept);
    }
    let common: Vec<String> = found
        .columns
        .iter()
        .filter(|column| {
            table.column(&column.name).is_some() || extra.iter().any(|e| e.name == column.name)
        })
        .map(|column| quote(&column.name))
        .collect();
    let common = common.join(", ");
    let mut broken: Vec<String> = Vec::new();
    let live = |column: &str| found.columns.iter().any(|c| c.name == column);
    for column in table.columns() {
        if live(column.name()) && !column.nullable() {
            broken.push(format!("{} IS NULL", quote(column.name())));
        }
    }
    let missing: Vec<String> = table
        .columns()
        .iter()
        .filter(|column| !live(column.name()))
        .map(|column| quote(column.name()))
        .collect();
    for (_, expression) in ddl::checks(table, Dialect::Sqlite) {
        if missing
            .iter()
            .all(|column| !expression.contains(column.as_str()))
        {
            broken.push(format!("NOT ({expression})"));
        }
    }
    let plain = |sql: String| Fix {
        sql,
        rewrites_table: false,
        violations_query: None,
    };
    vec![
        plain("PRAGMA foreign_keys = OFF".to_owned()),
        plain("BEGIN".to_owned()),
        plain(create),
        Fix {
            sql: format!("INSERT INTO {new_quoted} ({common}) SELECT {common} FROM {quoted}"),
            rewrites_table: true,
            violations_query: (!broken.is_empty()).then(|| {
                format!(
                    "SELECT count(*) OVER () AS violations, t.* FROM {quoted} AS t WHERE {} LIMIT 10",
                    broken.join(" OR ")
                )
            }),
        },
        plain(format!("DROP TABLE {quoted}")),
        plain(format!("ALTER TABLE {new_quoted} RENAME TO {quoted}")),
        Fix {
            sql: "COMMIT".to_owned(),
            rewrites_table: false,
            violations_query: Some(format!(
                "SELECT count(*) OVER () AS violations, * FROM pragma_foreign_key_check('{}') LIMIT 10",
                name.replace('\'', "''")
            )),
        },
        plain("PRAGMA foreign_keys = ON".to_owned()),
    ]
}

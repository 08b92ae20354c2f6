//! [`verify`](super::verify) on MariaDB and MySQL.
//!
//! DDL commits implicitly there, so there is no rolled-back scratch schema:
//! the declarations' column types and CHECKs are rendered into a few
//! `TEMPORARY` tables (which commit nothing and no other session sees), read
//! back with `SHOW FULL COLUMNS` and `SHOW CREATE TABLE`, and dropped. The
//! server prints a CHECK there exactly as `information_schema` shows the
//! live one (`CHECK_CLAUSE`: `` `balance` = round(`balance`,4) ``), and a
//! type as `COLUMN_TYPE` does (`decimal(65,30)`, `bigint(20)` on MariaDB).
//! The live tables are read from `information_schema` by a fixed number of
//! queries, whatever the number of tables. Keys are compared as data
//! (columns, referenced table and columns, actions); the primary key, which
//! MariaDB and MySQL always name `PRIMARY`, is matched by kind.
//!
//! MySQL 8 can mark a CHECK `NOT ENFORCED` (`TABLE_CONSTRAINTS.ENFORCED`),
//! which is reported; MariaDB has no such state (its
//! `check_constraint_checks` variable switches every CHECK of a session off
//! at once, and is no property of the schema).

use std::collections::BTreeMap;

use money_core::{Dialect, Table, ddl};
use sqlx::mysql::MySqlRow;
use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, MySql, MySqlPool, Row};

use super::compare::{
    CatalogColumn, CatalogConstraint, CatalogTable, FixSql, compare_table, declared_clause,
    foreign_key_definition, key_definition, missing_table, violations_query,
};
use super::scratch::Scratch;
use super::{ConstraintKind, Error, Fix, SchemaReport, ordered};

/// The most columns one scratch table gets: well below InnoDB's 1017 and
/// the 65,535-byte row size limit for the usual column types.
const SCRATCH_COLUMNS: usize = 60;

fn unreadable(what: &str) -> impl Fn(sqlx::Error) -> Error + use<> {
    let what = what.to_owned();
    move |source| Error::Unreadable {
        what: what.clone(),
        source,
    }
}

/// `?, ?, ...`: one placeholder per name.
fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}

/// A column type with its collation, as both sides are compared:
/// `char(3) COLLATE ascii_bin`.
fn column_type(column_type: String, collation: Option<String>) -> String {
    match collation {
        Some(collation) => format!("{column_type} COLLATE {collation}"),
        None => column_type,
    }
}

/// Checks the connection's current database against `tables`: see the
/// [module documentation](super).
pub(crate) async fn verify(
    pool: &MySqlPool,
    tables: &[&'static Table],
) -> Result<SchemaReport, Error> {
    let ordered = ordered(tables)?;
    let mut connection = pool
        .acquire()
        .await
        .map_err(unreadable("open a connection"))?;
    let live: Option<String> = sqlx::query_scalar("SELECT DATABASE()")
        .fetch_one(&mut *connection)
        .await
        .map_err(unreadable("read the connection's current database"))?;
    let live = live.ok_or(Error::NoCurrentSchema)?;
    let scratch = Scratch::plan(&ordered, Dialect::MySql, SCRATCH_COLUMNS);
    let rendered = match render(&mut connection, &scratch).await {
        Ok(rendered) => rendered,
        Err(error) => {
            // Whatever scratch table was created goes with the connection.
            connection.close_on_drop();
            return Err(error);
        }
    };
    let names: Vec<&str> = ordered.iter().map(|table| table.name()).collect();
    let mut live_tables = read_live(&mut connection, &live, &names).await?;

    let mut entries = Vec::new();
    for (position, table) in ordered.iter().enumerate() {
        let declared = scratch.declared(table, position, &rendered)?;
        let Some(found) = live_tables.get_mut(table.name()) else {
            let found_in = elsewhere(&mut connection, &live, table.name()).await?;
            if !found_in.is_empty() {
                return Err(Error::TableInOtherSchema {
                    table: table.name().to_owned(),
                    schema: live,
                    found_in,
                });
            }
            entries.push(missing_table(table, &MySqlFixes));
            continue;
        };
        // MariaDB and MySQL name every primary key `PRIMARY`.
        if let Some(mut key) = found.constraints.remove("PRIMARY") {
            key.name = table.primary_key_name();
            found.constraints.insert(key.name.clone(), key);
        }
        compare_table(table, &declared, found, &MySqlFixes, &mut entries);
    }
    Ok(SchemaReport { entries })
}

/// Creates the scratch tables, reads them back (by name) and drops them.
async fn render(
    connection: &mut PoolConnection<MySql>,
    scratch: &Scratch,
) -> Result<BTreeMap<String, CatalogTable>, Error> {
    for statement in scratch.statements("CREATE TEMPORARY TABLE") {
        sqlx::raw_sql(AssertSqlSafe(statement))
            .execute(&mut **connection)
            .await
            .map_err(unreadable(
                "render the declarations into scratch temporary tables (needs CREATE TEMPORARY TABLES)",
            ))?;
    }
    let mut rendered = BTreeMap::new();
    let mut names = Vec::new();
    for index in 0..scratch.len() {
        let name = scratch.table_name(index);
        let quoted = ddl::quote(Dialect::MySql, &name);
        let mut table = CatalogTable::default();
        let rows = sqlx::query(AssertSqlSafe(format!("SHOW FULL COLUMNS FROM {quoted}")))
            .fetch_all(&mut **connection)
            .await
            .map_err(unreadable("read the scratch table's columns"))?;
        for row in &rows {
            let decode = unreadable("decode a scratch column");
            table.columns.push(CatalogColumn {
                name: text(row, 0).map_err(&decode)?,
                sql_type: column_type(
                    text(row, 1).map_err(&decode)?,
                    optional_text(row, 2).map_err(&decode)?,
                ),
                not_null: false,
            });
        }
        let create: String = sqlx::query(AssertSqlSafe(format!("SHOW CREATE TABLE {quoted}")))
            .fetch_one(&mut **connection)
            .await
            .and_then(|row| text(&row, 1))
            .map_err(unreadable("read the scratch table's CHECKs"))?;
        for (check, clause) in create.lines().filter_map(check_line) {
            table.constraints.insert(
                check.clone(),
                CatalogConstraint {
                    name: check,
                    kind: ConstraintKind::Check,
                    validated: true,
                    enforced: true,
                    definition: clause,
                },
            );
        }
        rendered.insert(name.clone(), table);
        names.push(quoted);
    }
    if !names.is_empty() {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP TEMPORARY TABLE IF EXISTS {}",
            names.join(", ")
        )))
        .execute(&mut **connection)
        .await
        .map_err(unreadable("drop the scratch temporary tables"))?;
    }
    Ok(rendered)
}

/// `CONSTRAINT `name` CHECK (clause)` from `SHOW CREATE TABLE`, as (name,
/// clause): the clause as `CHECK_CONSTRAINTS.CHECK_CLAUSE` has it.
fn check_line(line: &str) -> Option<(String, String)> {
    let line = line.trim().trim_end_matches(',');
    let line = line
        .strip_suffix("/*!80016 NOT ENFORCED */")
        .unwrap_or(line)
        .trim_end();
    let rest = line.strip_prefix("CONSTRAINT `")?;
    let (name, rest) = rest.split_once("` CHECK (")?;
    let clause = rest.strip_suffix(')')?;
    Some((name.replace("``", "`"), clause.to_owned()))
}

/// A text column, whatever character set the server sends it in.
fn text(row: &MySqlRow, index: usize) -> Result<String, sqlx::Error> {
    optional_text(row, index)?.ok_or_else(|| sqlx::Error::ColumnDecode {
        index: index.to_string(),
        source: "unexpected NULL".into(),
    })
}

fn optional_text(row: &MySqlRow, index: usize) -> Result<Option<String>, sqlx::Error> {
    match row.try_get::<Option<String>, _>(index) {
        Ok(text) => Ok(text),
        Err(_) => {
            let bytes: Option<Vec<u8>> = row.try_get(index)?;
            Ok(bytes.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
        }
    }
}

/// The live tables named `names` in `database`.
async fn read_live(
    connection: &mut PoolConnection<MySql>,
    database: &str,
    names: &[&str],
) -> Result<BTreeMap<String, CatalogTable>, Error> {
    let list = placeholders(names.len());
    let bind_all = |sql: String| {
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(database.to_owned());
        for name in names {
            query = query.bind(name.to_string());
        }
        query
    };
    // What this server's information_schema has: MySQL 8's ENFORCED, and
    // MariaDB's CHECK_CONSTRAINTS.TABLE_NAME (MySQL's CHECK names are
    // unique per schema, and it has no such column).
    let features = sqlx::query(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS
         WHERE TABLE_SCHEMA = 'information_schema'
           AND ((TABLE_NAME = 'TABLE_CONSTRAINTS' AND COLUMN_NAME = 'ENFORCED')
             OR (TABLE_NAME = 'CHECK_CONSTRAINTS' AND COLUMN_NAME = 'TABLE_NAME'))",
    )
    .fetch_all(&mut **connection)
    .await
    .map_err(unreadable("read which columns information_schema has"))?;
    let mut has_enforced = false;
    let mut checks_have_table = false;
    for row in &features {
        let decode = unreadable("decode an information_schema column");
        match (
            text(row, 0).map_err(&decode)?.to_ascii_uppercase().as_str(),
            text(row, 1).map_err(&decode)?.to_ascii_uppercase().as_str(),
        ) {
            ("TABLE_CONSTRAINTS", "ENFORCED") => has_enforced = true,
            ("CHECK_CONSTRAINTS", "TABLE_NAME") => checks_have_table = true,
            _ => {}
        }
    }

    let mut tables: BTreeMap<String, CatalogTable> = BTreeMap::new();
    let rows = bind_all(format!(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR),
                CAST(COLLATION_NAME AS CHAR), CAST(IS_NULLABLE AS CHAR)
         FROM information_schema.COLUMNS
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN ({list})
         ORDER BY TABLE_NAME, ORDINAL_POSITION"
    ))
    .fetch_all(&mut **connection)
    .await
    .map_err(unreadable(
        "read the columns from information_schema.COLUMNS",
    ))?;
    for row in &rows {
        let decode = unreadable("decode a column row");
        let table = text(row, 0).map_err(&decode)?;
        let column = CatalogColumn {
            name: text(row, 1).map_err(&decode)?,
            sql_type: column_type(
                text(row, 2).map_err(&decode)?,
                optional_text(row, 3).map_err(&decode)?,
            ),
            not_null: text(row, 4).map_err(&decode)? == "NO",
        };
        tables.entry(table).or_default().columns.push(column);
    }

    // Key columns, in order, per (table, constraint).
    let rows = bind_all(format!(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR),
                CAST(REFERENCED_TABLE_NAME AS CHAR), CAST(REFERENCED_COLUMN_NAME AS CHAR)
         FROM information_schema.KEY_COLUMN_USAGE
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN ({list})
         ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION"
    ))
    .fetch_all(&mut **connection)
    .await
    .map_err(unreadable(
        "read the key columns from information_schema.KEY_COLUMN_USAGE",
    ))?;
    type KeyColumns = (Vec<String>, String, Vec<String>);
    let mut key_columns: BTreeMap<(String, String), KeyColumns> = BTreeMap::new();
    for row in &rows {
        let decode = unreadable("decode a key column row");
        let entry = key_columns
            .entry((
                text(row, 0).map_err(&decode)?,
                text(row, 1).map_err(&decode)?,
            ))
            .or_default();
        entry.0.push(text(row, 2).map_err(&decode)?);
        if let Some(referenced) = optional_text(row, 3).map_err(&decode)? {
            entry.1 = referenced;
        }
        if let Some(column) = optional_text(row, 4).map_err(&decode)? {
            entry.2.push(column);
        }
    }

    let rows = bind_all(format!(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR),
                CAST(UPDATE_RULE AS CHAR), CAST(DELETE_RULE AS CHAR)
         FROM information_schema.REFERENTIAL_CONSTRAINTS
         WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME IN ({list})"
    ))
    .fetch_all(&mut **connection)
    .await
    .map_err(unreadable(
        "read the foreign keys from information_schema.REFERENTIAL_CONSTRAINTS",
    ))?;
    let mut rules: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for row in &rows {
        let decode = unreadable("decode a foreign key row");
        rules.insert(
            (
                text(row, 0).map_err(&decode)?,
                text(row, 1).map_err(&decode)?,
            ),
            (
                text(row, 3).map_err(&decode)?,
                text(row, 2).map_err(&decode)?,
            ),
        );
    }

    let table_column = if checks_have_table {
        "CAST(TABLE_NAME AS CHAR)"
    } else {
        "''"
    };
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {table_column}, CAST(CONSTRAINT_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR)
         FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?"
    )))
    .bind(database.to_owned())
    .fetch_all(&mut **connection)
    .await
    .map_err(unreadable(
        "read the CHECKs from information_schema.CHECK_CONSTRAINTS",
    ))?;
    let mut clauses: BTreeMap<(String, String), String> = BTreeMap::new();
    for row in &rows {
        let decode = unreadable("decode a CHECK row");
        clauses.insert(
            (
                text(row, 0).map_err(&decode)?,
                text(row, 1).map_err(&decode)?,
            ),
            text(row, 2).map_err(&decode)?,
        );
    }

    let enforced = if has_enforced {
        "CAST(ENFORCED AS CHAR)"
    } else {
        "'YES'"
    };
    let rows = bind_all(format!(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR),
                CAST(CONSTRAINT_TYPE AS CHAR), {enforced}
         FROM information_schema.TABLE_CONSTRAINTS
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN ({list})"
    ))
    .fetch_all(&mut **connection)
    .await
    .map_err(unreadable(
        "read the constraints from information_schema.TABLE_CONSTRAINTS",
    ))?;
    for row in &rows {
        let decode = unreadable("decode a constraint row");
        let table = text(row, 0).map_err(&decode)?;
        let name = text(row, 1).map_err(&decode)?;
        let constraint_type = text(row, 2).map_err(&decode)?;
        let enforced = text(row, 3).map_err(&decode)? != "NO";
        let key = (table.clone(), name.clone());
        let missing = |what: &str| Error::Unreadable {
            what: format!(
                "read the {what} of constraint {name} on {table} from information_schema"
            ),
            source: sqlx::Error::RowNotFound,
        };
        let (kind, definition) = match constraint_type.as_str() {
            "CHECK" => {
                let by_table = (
                    if checks_have_table {
                        table.clone()
                    } else {
                        String::new()
                    },
                    name.clone(),
                );
                let clause = clauses.get(&by_table).ok_or_else(|| missing("clause"))?;
                (ConstraintKind::Check, clause.clone())
            }
            "PRIMARY KEY" | "UNIQUE" => {
                let kind = if constraint_type == "UNIQUE" {
                    ConstraintKind::Unique
                } else {
                    ConstraintKind::PrimaryKey
                };
                let (columns, ..) = key_columns.get(&key).ok_or_else(|| missing("columns"))?;
                (kind, key_definition(Dialect::MySql, kind, columns))
            }
            "FOREIGN KEY" => {
                let (columns, referenced, referenced_columns) =
                    key_columns.get(&key).ok_or_else(|| missing("columns"))?;
                let (on_delete, on_update) = rules.get(&key).ok_or_else(|| missing("actions"))?;
                (
                    ConstraintKind::ForeignKey,
                    foreign_key_definition(
                        Dialect::MySql,
                        columns,
                        referenced,
                        referenced_columns,
                        on_delete,
                        on_update,
                    ),
                )
            }
            _ => continue,
        };
        tables.entry(table).or_default().constraints.insert(
            name.clone(),
            CatalogConstraint {
                name,
                kind,
                validated: true,
                enforced,
                definition,
            },
        );
    }
    Ok(tables)
}

/// The other databases that hold a table named `table`, but the server's
/// own (`performance_schema` has an `accounts` table).
async fn elsewhere(
    connection: &mut PoolConnection<MySql>,
    database: &str,
    table: &str,
) -> Result<Vec<String>, Error> {
    let rows = sqlx::query(
        "SELECT CAST(TABLE_SCHEMA AS CHAR) FROM information_schema.TABLES
         WHERE TABLE_NAME = ? AND TABLE_SCHEMA <> ? AND TABLE_TYPE = 'BASE TABLE'
           AND TABLE_SCHEMA NOT IN ('information_schema', 'performance_schema', 'mysql', 'sys')
         ORDER BY TABLE_SCHEMA",
    )
    .bind(table.to_owned())
    .bind(database.to_owned())
    .fetch_all(&mut **connection)
    .await
    .map_err(unreadable("look for the table in other databases"))?;
    rows.iter()
        .map(|row| text(row, 0).map_err(unreadable("decode a table row")))
        .collect()
}

fn quote(ident: &str) -> String {
    ddl::quote(Dialect::MySql, ident)
}

/// The declared type of `column` of `table` as `CREATE TABLE` spells it,
/// with its nullability: what `ADD COLUMN` and `MODIFY COLUMN` restate.
fn column_definition(table: &Table, column: &CatalogColumn) -> String {
    let sql_type = table
        .column(&column.name)
        .map(|declared| ddl::column_type(declared, Dialect::MySql))
        .unwrap_or_else(|| column.sql_type.clone());
    let null = if column.not_null { "NOT NULL" } else { "NULL" };
    format!("{} {sql_type} {null}", quote(&column.name))
}

/// MariaDB's and MySQL's fixes. Adding a CHECK or foreign key checks every
/// existing row at once (there is no `NOT VALID`); `MODIFY COLUMN` copies
/// the table.
struct MySqlFixes;

impl FixSql for MySqlFixes {
    fn dialect(&self) -> Dialect {
        Dialect::MySql
    }

    fn add_column(&self, table: &Table, column: &CatalogColumn) -> Vec<Fix> {
        vec![Fix {
            sql: format!(
                "ALTER TABLE {} ADD COLUMN {}",
                quote(table.name()),
                column_definition(table, column)
            ),
            rewrites_table: false,
            violations_query: column.not_null.then(|| self.rows_query(table)),
        }]
    }

    fn change_type(&self, table: &Table, declared: &CatalogColumn) -> Vec<Fix> {
        vec![Fix {
            sql: format!(
                "ALTER TABLE {} MODIFY COLUMN {}",
                quote(table.name()),
                column_definition(table, declared)
            ),
            rewrites_table: true,
            violations_query: None,
        }]
    }

    fn set_nullability(&self, table: &Table, declared: &CatalogColumn) -> Vec<Fix> {
        let quoted = quote(table.name());
        vec![Fix {
            sql: format!(
                "ALTER TABLE {quoted} MODIFY COLUMN {}",
                column_definition(table, declared)
            ),
            // InnoDB changes nullability in place (ALGORITHM=INPLACE).
            rewrites_table: false,
            violations_query: declared.not_null.then(|| {
                format!(
                    "SELECT count(*) OVER () AS violations, t.* FROM {quoted} AS t WHERE {} IS NULL LIMIT 10",
                    quote(&declared.name)
                )
            }),
        }]
    }

    fn drop_constraint(&self, table: &Table, found: &CatalogConstraint) -> Vec<Fix> {
        let name = quote(&found.name);
        let drop = match found.kind {
            ConstraintKind::Check => format!("DROP CONSTRAINT {name}"),
            ConstraintKind::PrimaryKey => "DROP PRIMARY KEY".to_owned(),
            ConstraintKind::Unique => format!("DROP INDEX {name}"),
            ConstraintKind::ForeignKey => format!("DROP FOREIGN KEY {name}"),
        };
        vec![Fix {
            sql: format!("ALTER TABLE {} {drop}", quote(table.name())),
            rewrites_table: false,
            violations_query: None,
        }]
    }

    fn add_constraint(&self, table: &Table, declared: &CatalogConstraint) -> Vec<Fix> {
        let Some(clause) = declared_clause(table, Dialect::MySql, &declared.name, declared.kind)
        else {
            return Vec::new();
        };
        vec![Fix {
            sql: format!("ALTER TABLE {} ADD {clause}", quote(table.name())),
            // MariaDB adds a CHECK, and a foreign key while
            // foreign_key_checks is on, only with ALGORITHM=COPY (checked on
            // 10.11); a key's index is built in place.
            rewrites_table: matches!(
                declared.kind,
                ConstraintKind::Check | ConstraintKind::ForeignKey
            ),
            violations_query: violations_query(
                table,
                Dialect::MySql,
                &declared.name,
                declared.kind,
            ),
        }]
    }

    fn enforce(&self, table: &Table, declared: &CatalogConstraint) -> Vec<Fix> {
        vec![Fix {
            sql: format!(
                "ALTER TABLE {} ALTER CHECK {} ENFORCED",
                quote(table.name()),
                quote(&declared.name)
            ),
            rewrites_table: false,
            violations_query: violations_query(
                table,
                Dialect::MySql,
                &declared.name,
                declared.kind,
            ),
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::check_line;

    #[test]
    fn check_lines_of_show_create_table() {
        assert_eq!(
            check_line("  CONSTRAINT `c1` CHECK (`balance` = round(`balance`,4)),"),
            Some(("c1".to_owned(), "`balance` = round(`balance`,4)".to_owned()))
        );
        // MySQL 8 parenthesizes the clause and marks NOT ENFORCED in a comment.
        assert_eq!(
            check_line("  CONSTRAINT `c2` CHECK ((`x` >= 0)) /*!80016 NOT ENFORCED */"),
            Some(("c2".to_owned(), "(`x` >= 0)".to_owned()))
        );
        assert_eq!(check_line("  PRIMARY KEY (`id`),"), None);
        assert_eq!(check_line("  `balance` decimal(65,30) DEFAULT NULL,"), None);
    }
}

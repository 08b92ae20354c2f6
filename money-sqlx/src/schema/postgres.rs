//! [`verify`] on PostgreSQL: the declarations rendered into a scratch
//! schema in a rolled-back transaction, both schemas read by the same two
//! catalog queries.

use std::collections::BTreeMap;

use money_core::{ColumnType, Dialect, Table, ddl};
use sqlx::{AssertSqlSafe, PgPool, Row};

use super::{ConstraintKind, Difference, Entry, Error, Fix, SchemaReport, numeric_effect};

/// Every column of the named tables, in every schema: the live one, the
/// scratch one, and any other (to tell "in another schema" from "missing").
const COLUMNS: &str = "
SELECT n.nspname::text, c.relname::text, a.attname::text,
       format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
WHERE c.relname = ANY($1) AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY n.nspname, c.relname, a.attnum";

/// The CHECK, primary key, unique and foreign key constraints of the named
/// tables in the live and scratch schemas. A foreign key is read as data
/// (its printed form would name the scratch schema); the others through
/// `pg_get_constraintdef`, which prints both sides the same way.
const CONSTRAINTS: &str = "
SELECT n.nspname::text, c.relname::text, k.conname::text, k.contype::text, k.convalidated,
       CASE WHEN k.contype = 'f' THEN '' ELSE pg_get_constraintdef(k.oid) END,
       coalesce(f.relname::text, ''),
       ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, position)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
             ORDER BY u.position),
       ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS u(attnum, position)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum
             ORDER BY u.position),
       k.confdeltype::text, k.confupdtype::text
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class f ON f.oid = k.confrelid
WHERE n.nspname IN ($2, $3) AND c.relname = ANY($1) AND k.contype IN ('c', 'p', 'u', 'f')
ORDER BY k.conname";

/// A column as the catalog has it.
#[derive(Clone, Debug)]
struct CatalogColumn {
    name: String,
    sql_type: String,
    not_null: bool,
}

/// A constraint as the catalog has it.
#[derive(Clone, Debug)]
struct CatalogConstraint {
    name: String,
    kind: ConstraintKind,
    validated: bool,
    /// The comparable definition: `pg_get_constraintdef` without `NOT
    /// VALID`, or a foreign key's data spelled out.
    definition: String,
}

/// One schema's tables: name -> (columns in order, constraints by name).
type Schema = BTreeMap<String, (Vec<CatalogColumn>, BTreeMap<String, CatalogConstraint>)>;

/// Checks the connection's current schema against `tables`: see the
/// [module documentation](super). Every foreign key's referenced table must
/// be among `tables`.
///
/// # Errors
///
/// [`Error`]: a catalog or scratch schema that cannot be read or created, no
/// current schema, a declared table that lives in another schema, a
/// reference outside `tables`, a cycle. Never a clean report instead.
pub async fn verify(pool: &PgPool, tables: &[&'static Table]) -> Result<SchemaReport, Error> {
    let ordered = ddl::dependency_order(tables)?;
    for table in &ordered {
        for key in table.foreign_keys() {
            if !ordered
                .iter()
                .any(|other| other.name() == key.referenced_table)
            {
                return Err(Error::MissingReference {
                    table: table.name(),
                    constraint: key.name,
                    referenced_table: key.referenced_table,
                });
            }
        }
    }
    let unreadable = |what: &str| {
        let what = what.to_owned();
        move |source| Error::Unreadable {
            what: what.clone(),
            source,
        }
    };
    let mut transaction = pool
        .begin()
        .await
        .map_err(unreadable("open a transaction"))?;
    let live: Option<String> = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(&mut *transaction)
        .await
        .map_err(unreadable("read the connection's current schema"))?;
    let live = live.ok_or(Error::NoCurrentSchema)?;
    let scratch = format!(
        "money_verify_{}_{:016x}",
        std::process::id(),
        fastrand::u64(..)
    );
    let mut script =
        format!("CREATE SCHEMA \"{scratch}\"; SET LOCAL search_path TO \"{scratch}\";\n");
    for table in &ordered {
        script.push_str(&ddl::create_table(table, Dialect::Postgres));
        script.push('\n');
    }
    sqlx::raw_sql(AssertSqlSafe(script))
        .execute(&mut *transaction)
        .await
        .map_err(unreadable(
            "render the declarations into a scratch schema (needs CREATE on the database)",
        ))?;
    let names: Vec<String> = ordered
        .iter()
        .map(|table| table.name().to_owned())
        .collect();
    let column_rows = sqlx::query(COLUMNS)
        .bind(&names)
        .fetch_all(&mut *transaction)
        .await
        .map_err(unreadable("read the columns from pg_catalog"))?;
    let constraint_rows = sqlx::query(CONSTRAINTS)
        .bind(&names)
        .bind(&live)
        .bind(&scratch)
        .fetch_all(&mut *transaction)
        .await
        .map_err(unreadable("read the constraints from pg_catalog"))?;
    // Nothing of the scratch schema may remain.
    transaction
        .rollback()
        .await
        .map_err(unreadable("roll back the scratch schema"))?;

    let mut schemas: BTreeMap<String, Schema> = BTreeMap::new();
    for row in &column_rows {
        let schema: String = row.try_get(0).map_err(unreadable("decode a column row"))?;
        let table: String = row.try_get(1).map_err(unreadable("decode a column row"))?;
        let column = CatalogColumn {
            name: row.try_get(2).map_err(unreadable("decode a column row"))?,
            sql_type: row.try_get(3).map_err(unreadable("decode a column row"))?,
            not_null: row.try_get(4).map_err(unreadable("decode a column row"))?,
        };
        schemas
            .entry(schema)
            .or_default()
            .entry(table)
            .or_default()
            .0
            .push(column);
    }
    for row in &constraint_rows {
        let decode = unreadable("decode a constraint row");
        let schema: String = row.try_get(0).map_err(&decode)?;
        let table: String = row.try_get(1).map_err(&decode)?;
        let name: String = row.try_get(2).map_err(&decode)?;
        let contype: String = row.try_get(3).map_err(&decode)?;
        let validated: bool = row.try_get(4).map_err(&decode)?;
        let printed: String = row.try_get(5).map_err(&decode)?;
        let referenced: String = row.try_get(6).map_err(&decode)?;
        let columns: Vec<String> = row.try_get(7).map_err(&decode)?;
        let referenced_columns: Vec<String> = row.try_get(8).map_err(&decode)?;
        let on_delete: String = row.try_get(9).map_err(&decode)?;
        let on_update: String = row.try_get(10).map_err(&decode)?;
        let kind = match contype.as_str() {
            "c" => ConstraintKind::Check,
            "p" => ConstraintKind::PrimaryKey,
            "u" => ConstraintKind::Unique,
            _ => ConstraintKind::ForeignKey,
        };
        let definition = if kind == ConstraintKind::ForeignKey {
            format!(
                "FOREIGN KEY ({}) REFERENCES {referenced}({}) ON DELETE {} ON UPDATE {}",
                columns.join(", "),
                referenced_columns.join(", "),
                action(&on_delete),
                action(&on_update)
            )
        } else {
            printed
                .strip_suffix(" NOT VALID")
                .unwrap_or(&printed)
                .to_owned()
        };
        schemas
            .entry(schema)
            .or_default()
            .entry(table)
            .or_default()
            .1
            .insert(
                name.clone(),
                CatalogConstraint {
                    name,
                    kind,
                    validated,
                    definition,
                },
            );
    }

    let empty = Schema::new();
    let declared_schema = schemas.get(&scratch).unwrap_or(&empty);
    let live_schema = schemas.get(&live).unwrap_or(&empty);
    let mut entries = Vec::new();
    for table in &ordered {
        let name = table.name();
        let Some(declared) = declared_schema.get(name) else {
            // The scratch schema was created from these declarations in this
            // very call: not finding a table there means the catalog hid it.
            return Err(Error::Unreadable {
                what: format!("read table {name} back from the scratch schema"),
                source: sqlx::Error::RowNotFound,
            });
        };
        let Some(found) = live_schema.get(name) else {
            let elsewhere: Vec<String> = schemas
                .iter()
                .filter(|(schema, tables)| {
                    **schema != live && **schema != scratch && tables.contains_key(name)
                })
                .map(|(schema, _)| schema.clone())
                .collect();
            if !elsewhere.is_empty() {
                return Err(Error::TableInOtherSchema {
                    table: name.to_owned(),
                    schema: live,
                    found_in: elsewhere,
                });
            }
            entries.push(Entry {
                difference: Difference::MissingTable {
                    table: name.to_owned(),
                },
                declared: Some(format!("table {name}")),
                found: None,
                effect: "every statement on the table fails".to_owned(),
                fixes: vec![Fix {
                    sql: ddl::create_table(table, Dialect::Postgres)
                        .trim_end_matches(';')
                        .to_owned(),
                    rewrites_table: false,
                    violations_query: None,
                }],
            });
            continue;
        };
        compare_table(table, declared, found, &mut entries);
    }
    Ok(SchemaReport { entries })
}

/// `pg_constraint.confdeltype`/`confupdtype` spelled as SQL.
fn action(code: &str) -> &'static str {
    match code {
        "a" => "NO ACTION",
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "UNKNOWN",
    }
}

fn quote(ident: &str) -> String {
    ddl::quote(Dialect::Postgres, ident)
}

fn compare_table(
    table: &Table,
    declared: &(Vec<CatalogColumn>, BTreeMap<String, CatalogConstraint>),
    found: &(Vec<CatalogColumn>, BTreeMap<String, CatalogConstraint>),
    entries: &mut Vec<Entry>,
) {
    let name = table.name();
    let quoted = quote(name);
    for column in &declared.0 {
        let Some(live) = found.0.iter().find(|live| live.name == column.name) else {
            let not_null = if column.not_null { " NOT NULL" } else { "" };
            entries.push(Entry {
                difference: Difference::MissingColumn {
                    table: name.to_owned(),
                    column: column.name.clone(),
                    declared_type: column.sql_type.clone(),
                },
                declared: Some(format!("{} {}{not_null}", column.name, column.sql_type)),
                found: None,
                effect: "every statement that reads or writes the column fails".to_owned(),
                fixes: vec![Fix {
                    sql: format!(
                        "ALTER TABLE {quoted} ADD COLUMN {} {}{not_null}",
                        quote(&column.name),
                        column.sql_type
                    ),
                    rewrites_table: false,
                    // A NOT NULL column without a default cannot be added
                    // to a table that has rows.
                    violations_query: column.not_null.then(|| {
                        format!("SELECT count(*) OVER () AS violations, * FROM {quoted} LIMIT 10")
                    }),
                }],
            });
            continue;
        };
        if live.sql_type != column.sql_type {
            let spec =
                table
                    .column(&column.name)
                    .and_then(|declared| match declared.column_type() {
                        ColumnType::Money(spec) => Some(spec),
                        _ => None,
                    });
            let effect = spec
                .and_then(|spec| numeric_effect(&live.sql_type, spec.precision(), spec.scale()))
                .unwrap_or_else(|| {
                    format!(
                        "values are converted to {} on the way in, not kept as {}",
                        live.sql_type, column.sql_type
                    )
                });
            let column_name = quote(&column.name);
            entries.push(Entry {
                difference: Difference::ColumnType {
                    table: name.to_owned(),
                    column: column.name.clone(),
                    declared: column.sql_type.clone(),
                    found: live.sql_type.clone(),
                },
                declared: Some(column.sql_type.clone()),
                found: Some(live.sql_type.clone()),
                effect,
                fixes: vec![Fix {
                    sql: format!(
                        "ALTER TABLE {quoted} ALTER COLUMN {column_name} TYPE {} USING {column_name}::{}",
                        column.sql_type, column.sql_type
                    ),
                    rewrites_table: true,
                    violations_query: None,
                }],
            });
        }
        if live.not_null != column.not_null {
            let column_name = quote(&column.name);
            let (effect, fix, violations) = if column.not_null {
                (
                    "NULL is stored where the declaration refuses it, and decoding such a row into the model fails".to_owned(),
                    format!("ALTER TABLE {quoted} ALTER COLUMN {column_name} SET NOT NULL"),
                    Some(format!(
                        "SELECT count(*) OVER () AS violations, * FROM {quoted} WHERE {column_name} IS NULL LIMIT 10"
                    )),
                )
            } else {
                (
                    "NULL is refused where the declaration allows it (an Option field's None)"
                        .to_owned(),
                    format!("ALTER TABLE {quoted} ALTER COLUMN {column_name} DROP NOT NULL"),
                    None,
                )
            };
            entries.push(Entry {
                difference: Difference::Nullability {
                    table: name.to_owned(),
                    column: column.name.clone(),
                    declared_not_null: column.not_null,
                },
                declared: Some(
                    if column.not_null {
                        "NOT NULL"
                    } else {
                        "NULL allowed"
                    }
                    .to_owned(),
                ),
                found: Some(
                    if live.not_null {
                        "NOT NULL"
                    } else {
                        "NULL allowed"
                    }
                    .to_owned(),
                ),
                effect,
                fixes: vec![Fix {
                    sql: fix,
                    rewrites_table: false,
                    violations_query: violations,
                }],
            });
        }
    }
    for live in &found.0 {
        if !declared.0.iter().any(|column| column.name == live.name) {
            entries.push(Entry {
                difference: Difference::ExtraColumn {
                    table: name.to_owned(),
                    column: live.name.clone(),
                    found_type: live.sql_type.clone(),
                },
                declared: None,
                found: Some(format!(
                    "{} {}{}",
                    live.name,
                    live.sql_type,
                    if live.not_null { " NOT NULL" } else { "" }
                )),
                effect: if live.not_null {
                    "the model's inserts do not write it, so they fail unless it has a default"
                        .to_owned()
                } else {
                    "the model neither writes nor reads it; it stays NULL on the model's inserts"
                        .to_owned()
                },
                fixes: Vec::new(),
            });
        }
    }
    for constraint in declared.1.values() {
        match found.1.get(&constraint.name) {
            None => entries.push(Entry {
                difference: Difference::MissingConstraint {
                    table: name.to_owned(),
                    constraint: constraint.name.clone(),
                    kind: constraint.kind,
                    declared: constraint.definition.clone(),
                },
                declared: Some(constraint.definition.clone()),
                found: None,
                effect: missing_effect(constraint.kind),
                fixes: add_constraint(table, constraint),
            }),
            Some(live) if live.kind != constraint.kind || live.definition != constraint.definition => {
                let mut fixes = vec![Fix {
                    sql: format!("ALTER TABLE {quoted} DROP CONSTRAINT {}", quote(&live.name)),
                    rewrites_table: false,
                    violations_query: None,
                }];
                fixes.extend(add_constraint(table, constraint));
                entries.push(Entry {
                    difference: Difference::ConstraintDiffers {
                        table: name.to_owned(),
                        constraint: constraint.name.clone(),
                        kind: constraint.kind,
                        declared: constraint.definition.clone(),
                        found: live.definition.clone(),
                    },
                    declared: Some(constraint.definition.clone()),
                    found: Some(live.definition.clone()),
                    effect: "the database enforces another rule than the declaration: values Rust accepts may be refused, or values it refuses stored".to_owned(),
                    fixes,
                });
            }
            Some(live) if !live.validated => entries.push(Entry {
                difference: Difference::NotValidated {
                    table: name.to_owned(),
                    constraint: constraint.name.clone(),
                    kind: constraint.kind,
                },
                declared: Some(format!("{} (validated)", constraint.definition)),
                found: Some(format!("{} NOT VALID", live.definition)),
                effect: "new rows are checked, but rows stored before the constraint was added never were: they may break it".to_owned(),
                fixes: vec![Fix {
                    sql: format!(
                        "ALTER TABLE {quoted} VALIDATE CONSTRAINT {}",
                        quote(&constraint.name)
                    ),
                    rewrites_table: false,
                    violations_query: violations_query(table, constraint),
                }],
            }),
            Some(_) => {}
        }
    }
    for live in found.1.values() {
        if !declared.1.contains_key(&live.name) {
            entries.push(Entry {
                difference: Difference::ExtraConstraint {
                    table: name.to_owned(),
                    constraint: live.name.clone(),
                    kind: live.kind,
                    found: live.definition.clone(),
                },
                declared: None,
                found: Some(live.definition.clone()),
                effect: "the database refuses rows the declaration accepts; such a refusal maps to no field (UnknownConstraint)".to_owned(),
                fixes: vec![Fix {
                    sql: format!("ALTER TABLE {quoted} DROP CONSTRAINT {}", quote(&live.name)),
                    rewrites_table: false,
                    violations_query: None,
                }],
            });
        }
    }
}

fn missing_effect(kind: ConstraintKind) -> String {
    match kind {
        ConstraintKind::Check => {
            "the database stores values the declaration refuses; only validate() stands in the way"
        }
        ConstraintKind::PrimaryKey => "duplicate or NULL keys can be stored",
        ConstraintKind::Unique => {
            "duplicates can be stored, and idempotent inserts no longer detect a replay"
        }
        ConstraintKind::ForeignKey => {
            "rows can reference rows that do not exist, and referenced rows can be deleted"
        }
    }
    .to_owned()
}

/// The statements that add `constraint`: a CHECK or foreign key `NOT VALID`
/// then `VALIDATE CONSTRAINT` (the scan takes no lock that blocks writes); a
/// key directly (it builds its index).
fn add_constraint(table: &Table, constraint: &CatalogConstraint) -> Vec<Fix> {
    let quoted = quote(table.name());
    let name = quote(&constraint.name);
    let violations = violations_query(table, constraint);
    match constraint.kind {
        ConstraintKind::Check | ConstraintKind::ForeignKey => {
            // A foreign key from the declaration (the catalog's would name
            // the scratch schema); a CHECK as the database printed it.
            let clause = match (constraint.kind, table.find_foreign_key(&constraint.name)) {
                (ConstraintKind::ForeignKey, Some(key)) => {
                    ddl::foreign_key(&key, Dialect::Postgres)
                }
                _ => format!("CONSTRAINT {name} {}", constraint.definition),
            };
            vec![
                Fix {
                    sql: format!("ALTER TABLE {quoted} ADD {clause} NOT VALID"),
                    rewrites_table: false,
                    violations_query: None,
                },
                Fix {
                    sql: format!("ALTER TABLE {quoted} VALIDATE CONSTRAINT {name}"),
                    rewrites_table: false,
                    violations_query: violations,
                },
            ]
        }
        ConstraintKind::PrimaryKey | ConstraintKind::Unique => vec![Fix {
            sql: format!(
                "ALTER TABLE {quoted} ADD CONSTRAINT {name} {}",
                constraint.definition
            ),
            rewrites_table: false,
            violations_query: violations,
        }],
    }
}

/// A query that counts (`violations`, on every row) and shows up to ten
/// rows that break `constraint`.
fn violations_query(table: &Table, constraint: &CatalogConstraint) -> Option<String> {
    let quoted = quote(table.name());
    let list = |columns: &[&str], prefix: &str| {
        columns
            .iter()
            .map(|column| format!("{prefix}{}", quote(column)))
            .collect::<Vec<_>>()
    };
    match constraint.kind {
        ConstraintKind::Check => {
            let expression = constraint.definition.strip_prefix("CHECK ")?;
            Some(format!(
                "SELECT count(*) OVER () AS violations, * FROM {quoted} WHERE NOT {expression} LIMIT 10"
            ))
        }
        ConstraintKind::ForeignKey => {
            let key = table.find_foreign_key(&constraint.name)?;
            let present = list(key.columns, "child.").join(" IS NOT NULL AND ");
            let matches: Vec<String> = key
                .columns
                .iter()
                .zip(key.referenced_columns)
                .map(|(column, referenced)| {
                    format!("parent.{} = child.{}", quote(referenced), quote(column))
                })
                .collect();
            Some(format!(
                "SELECT count(*) OVER () AS violations, child.* FROM {quoted} AS child WHERE {present} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {} AS parent WHERE {}) LIMIT 10",
                quote(key.referenced_table),
                matches.join(" AND ")
            ))
        }
        ConstraintKind::PrimaryKey | ConstraintKind::Unique => {
            let columns: Vec<&str> = if constraint.kind == ConstraintKind::PrimaryKey {
                table.primary_key().map(|column| column.name()).collect()
            } else {
                table
                    .unique_keys()
                    .find(|key| key.name == constraint.name)?
                    .columns
                    .to_vec()
            };
            let columns = list(&columns, "").join(", ");
            Some(format!(
                "SELECT count(*) OVER () AS violations, {columns}, count(*) AS copies FROM {quoted} GROUP BY {columns} HAVING count(*) > 1 LIMIT 10"
            ))
        }
    }
}

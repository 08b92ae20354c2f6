//! The comparison every dialect shares: a declared table and the table the
//! catalog holds, both in one model ([`CatalogTable`]), turned into report
//! entries; each dialect spells only its fixes ([`FixSql`]).

// The ALTER-based helpers (declared_clause, violations_query) serve the
// server dialects; a build with SQLite alone does not use them.
#![cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]

use std::collections::BTreeMap;

use money_core::{ColumnType, Dialect, MoneySpec, Table, ddl};

use super::{ConstraintKind, Difference, Entry, Fix, numeric_effect};

/// A column as the catalog has it, or as the declaration renders it.
#[derive(Clone, Debug)]
pub(crate) struct CatalogColumn {
    pub(crate) name: String,
    /// The type as the database prints it.
    pub(crate) sql_type: String,
    pub(crate) not_null: bool,
}

/// A constraint as the catalog has it, or as the declaration renders it.
#[derive(Clone, Debug)]
pub(crate) struct CatalogConstraint {
    pub(crate) name: String,
    pub(crate) kind: ConstraintKind,
    /// False for a constraint added `NOT VALID` and never validated
    /// (PostgreSQL).
    pub(crate) validated: bool,
    /// False for a CHECK marked `NOT ENFORCED` (MySQL 8).
    pub(crate) enforced: bool,
    /// The comparable definition: a CHECK as the database normalizes it, a
    /// key through [`key_definition`] or [`foreign_key_definition`].
    pub(crate) definition: String,
}

/// One table: its columns in order, its constraints by name.
#[derive(Clone, Debug, Default)]
pub(crate) struct CatalogTable {
    pub(crate) columns: Vec<CatalogColumn>,
    pub(crate) constraints: BTreeMap<String, CatalogConstraint>,
    /// Unique indexes that no constraint owns and that refuse exactly what a
    /// `UNIQUE` on their columns refuses, by name: their definition as
    /// [`key_definition`] prints a `UNIQUE` (PostgreSQL's `CREATE UNIQUE
    /// INDEX`; a MariaDB/MySQL unique index is a constraint already).
    pub(crate) unique_indexes: BTreeMap<String, String>,
}

/// An identifier as the comparable definitions print it: bare when it is a
/// plain lower-case name, quoted the dialect's way otherwise. Both sides of
/// a comparison go through it, so it decides nothing by itself.
pub(crate) fn display_ident(dialect: Dialect, ident: &str) -> String {
    let plain = ident
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && ident
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        ident.to_owned()
    } else {
        ddl::quote(dialect, ident)
    }
}

fn ident_list<S: AsRef<str>>(dialect: Dialect, columns: &[S]) -> String {
    columns
        .iter()
        .map(|column| display_ident(dialect, column.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `PRIMARY KEY (a, b)` or `UNIQUE (a, b)`.
pub(crate) fn key_definition<S: AsRef<str>>(
    dialect: Dialect,
    kind: ConstraintKind,
    columns: &[S],
) -> String {
    format!("{kind} ({})", ident_list(dialect, columns))
}

/// `FOREIGN KEY (a) REFERENCES t(b) ON DELETE x ON UPDATE y`.
pub(crate) fn foreign_key_definition<S: AsRef<str>, R: AsRef<str>>(
    dialect: Dialect,
    columns: &[S],
    referenced_table: &str,
    referenced_columns: &[R],
    on_delete: &str,
    on_update: &str,
) -> String {
    format!(
        "FOREIGN KEY ({}) REFERENCES {}({}) ON DELETE {on_delete} ON UPDATE {on_update}",
        ident_list(dialect, columns),
        display_ident(dialect, referenced_table),
        ident_list(dialect, referenced_columns),
    )
}

/// The declared primary key, unique keys and foreign keys of `table`, with
/// their comparable definitions. CHECKs are not among them: only the
/// database can normalize an expression.
pub(crate) fn declared_keys(table: &Table, dialect: Dialect) -> Vec<CatalogConstraint> {
    let mut keys = Vec::new();
    let constraint = |name: String, kind, definition| CatalogConstraint {
        name,
        kind,
        validated: true,
        enforced: true,
        definition,
    };
    let primary: Vec<&str> = table.primary_key().map(|column| column.name()).collect();
    if !primary.is_empty() {
        keys.push(constraint(
            table.primary_key_name(),
            ConstraintKind::PrimaryKey,
            key_definition(dialect, ConstraintKind::PrimaryKey, &primary),
        ));
    }
    for key in table.unique_keys() {
        keys.push(constraint(
            key.name,
            ConstraintKind::Unique,
            key_definition(dialect, ConstraintKind::Unique, key.columns),
        ));
    }
    for key in table.foreign_keys() {
        let definition = foreign_key_definition(
            dialect,
            key.columns,
            key.referenced_table,
            key.referenced_columns,
            key.on_delete.sql(),
            key.on_update.sql(),
        );
        keys.push(constraint(key.name, ConstraintKind::ForeignKey, definition));
    }
    keys
}

/// The clause that adds the declared constraint `name` of `table`, as
/// [`ddl::create_table`] renders it: `CONSTRAINT "n" CHECK (...)`, `...
/// PRIMARY KEY (...)`, `... UNIQUE (...)`, `... FOREIGN KEY ...`.
pub(crate) fn declared_clause(
    table: &Table,
    dialect: Dialect,
    name: &str,
    kind: ConstraintKind,
) -> Option<String> {
    let quote = |ident: &str| ddl::quote(dialect, ident);
    let list = |columns: &[&str]| {
        columns
            .iter()
            .map(|column| quote(column))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match kind {
        ConstraintKind::Check => ddl::checks(table, dialect)
            .into_iter()
            .find(|(check, _)| check == name)
            .map(|(_, expression)| format!("CONSTRAINT {} CHECK ({expression})", quote(name))),
        ConstraintKind::PrimaryKey => {
            let columns: Vec<&str> = table.primary_key().map(|column| column.name()).collect();
            Some(format!(
                "CONSTRAINT {} PRIMARY KEY ({})",
                quote(name),
                list(&columns)
            ))
        }
        ConstraintKind::Unique => table
            .unique_keys()
            .find(|key| key.name == name)
            .map(|key| format!("CONSTRAINT {} UNIQUE ({})", quote(name), list(key.columns))),
        ConstraintKind::ForeignKey => table
            .find_foreign_key(name)
            .map(|key| ddl::foreign_key(&key, dialect)),
    }
}

/// A query that counts (`violations`, on every row) and shows up to ten
/// rows of `table` that break its declared constraint `name`: what a fix
/// that adds or validates it would fail on.
pub(crate) fn violations_query(
    table: &Table,
    dialect: Dialect,
    name: &str,
    kind: ConstraintKind,
) -> Option<String> {
    let quote = |ident: &str| ddl::quote(dialect, ident);
    let quoted = quote(table.name());
    let list = |columns: &[&str], prefix: &str| {
        columns
            .iter()
            .map(|column| format!("{prefix}{}", quote(column)))
            .collect::<Vec<_>>()
    };
    match kind {
        ConstraintKind::Check => {
            let (_, expression) = ddl::checks(table, dialect)
                .into_iter()
                .find(|(check, _)| check == name)?;
            Some(format!(
                "SELECT count(*) OVER () AS violations, t.* FROM {quoted} AS t WHERE NOT ({expression}) LIMIT 10"
            ))
        }
        ConstraintKind::ForeignKey => {
            let key = table.find_foreign_key(name)?;
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
            let columns: Vec<&str> = if kind == ConstraintKind::PrimaryKey {
                table.primary_key().map(|column| column.name()).collect()
            } else {
                table
                    .unique_keys()
                    .find(|key| key.name == name)?
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

/// How one dialect spells the statements that fix each kind of difference.
pub(crate) trait FixSql {
    /// The dialect whose SQL this is.
    fn dialect(&self) -> Dialect;

    /// Creates a missing table.
    fn create_table(&self, table: &Table) -> Vec<Fix> {
        vec![Fix {
            sql: ddl::create_table(table, self.dialect())
                .trim_end_matches(';')
                .to_owned(),
            rewrites_table: false,
            violations_query: None,
        }]
    }

    /// Adds a missing column.
    fn add_column(&self, table: &Table, column: &CatalogColumn) -> Vec<Fix>;

    /// Gives a column its declared type.
    fn change_type(&self, table: &Table, declared: &CatalogColumn) -> Vec<Fix>;

    /// Gives a column its declared nullability.
    fn set_nullability(&self, table: &Table, declared: &CatalogColumn) -> Vec<Fix>;

    /// Drops a constraint (an extra one, or one that differs).
    fn drop_constraint(&self, table: &Table, found: &CatalogConstraint) -> Vec<Fix>;

    /// Adds a declared constraint.
    fn add_constraint(&self, table: &Table, declared: &CatalogConstraint) -> Vec<Fix>;

    /// Turns a unique index of the declared name and columns into the
    /// declared `UNIQUE` constraint (PostgreSQL's `ADD CONSTRAINT ... UNIQUE
    /// USING INDEX`, which neither rebuilds the index nor reads the table).
    fn unique_using_index(&self, _table: &Table, _declared: &CatalogConstraint) -> Vec<Fix> {
        Vec::new()
    }

    /// Validates a constraint that exists `NOT VALID`.
    fn validate(&self, _table: &Table, _declared: &CatalogConstraint) -> Vec<Fix> {
        Vec::new()
    }

    /// Enforces a CHECK that exists `NOT ENFORCED`.
    fn enforce(&self, _table: &Table, _declared: &CatalogConstraint) -> Vec<Fix> {
        Vec::new()
    }

    /// Whether two printed CHECKs that differ as text are the same rule in
    /// another spelling of this dialect (an older version's rendering), so
    /// that the difference does nothing to values.
    fn same_rule_respelled(&self, _declared: &str, _found: &str) -> bool {
        false
    }

    /// What a column of type `found` does to values where the declaration
    /// says `declared`, when the column holds money; `None` for the generic
    /// wording.
    fn type_effect(&self, found: &str, _declared: &str, spec: &MoneySpec) -> Option<String> {
        numeric_effect(found, spec.precision(), spec.scale())
    }

    /// The query for the rows a NOT NULL column would fail on when added to
    /// a table that has rows.
    fn rows_query(&self, table: &Table) -> String {
        format!(
            "SELECT count(*) OVER () AS violations, t.* FROM {} AS t LIMIT 10",
            ddl::quote(self.dialect(), table.name())
        )
    }
}

/// The entry of a declared table that does not exist.
pub(crate) fn missing_table(table: &Table, fixer: &dyn FixSql) -> Entry {
    let name = table.name();
    Entry {
        difference: Difference::MissingTable {
            table: name.to_owned(),
        },
        declared: Some(format!("table {name}")),
        found: None,
        effect: "every statement on the table fails".to_owned(),
        fixed_by: None,
        fixes: fixer.create_table(table),
    }
}

/// The differences between `declared` (the declaration of `table`, as the
/// database normalizes it) and `found` (the live table), appended to
/// `entries`: columns in declared order, then extra columns, then
/// constraints by name, then extra constraints.
pub(crate) fn compare_table(
    table: &Table,
    declared: &CatalogTable,
    found: &CatalogTable,
    fixer: &dyn FixSql,
    entries: &mut Vec<Entry>,
) {
    let name = table.name();
    for column in &declared.columns {
        let Some(live) = found.columns.iter().find(|live| live.name == column.name) else {
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
                fixed_by: None,
                fixes: fixer.add_column(table, column),
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
                .and_then(|spec| fixer.type_effect(&live.sql_type, &column.sql_type, &spec))
                .unwrap_or_else(|| {
                    format!(
                        "values are converted to {} on the way in, not kept as {}",
                        live.sql_type, column.sql_type
                    )
                });
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
                fixed_by: None,
                fixes: fixer.change_type(table, column),
            });
        }
        if live.not_null != column.not_null {
            let effect = if column.not_null {
                "NULL is stored where the declaration refuses it, and decoding such a row into the model fails"
            } else {
                "NULL is refused where the declaration allows it (an Option field's None)"
            };
            let nullability =
                |not_null: bool| if not_null { "NOT NULL" } else { "NULL allowed" }.to_owned();
            entries.push(Entry {
                difference: Difference::Nullability {
                    table: name.to_owned(),
                    column: column.name.clone(),
                    declared_not_null: column.not_null,
                },
                declared: Some(nullability(column.not_null)),
                found: Some(nullability(live.not_null)),
                effect: effect.to_owned(),
                fixed_by: None,
                fixes: fixer.set_nullability(table, column),
            });
        }
    }
    for live in &found.columns {
        if !declared
            .columns
            .iter()
            .any(|column| column.name == live.name)
        {
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
                fixed_by: None,
                fixes: Vec::new(),
            });
        }
    }
    for constraint in declared.constraints.values() {
        match found.constraints.get(&constraint.name) {
            None if constraint.kind == ConstraintKind::Unique
                && found.unique_indexes.get(&constraint.name) == Some(&constraint.definition) =>
            {
                entries.push(Entry {
                    difference: Difference::UniqueIndex {
                        table: name.to_owned(),
                        constraint: constraint.name.clone(),
                        declared: constraint.definition.clone(),
                    },
                    declared: Some(constraint.definition.clone()),
                    found: Some(format!(
                        "a unique index {} on the same columns, not a constraint",
                        constraint.name
                    )),
                    effect: "none on values: it refuses the same rows, and a violation names it, so it maps to the field; but a statement that names the constraint (ALTER TABLE ... DROP CONSTRAINT, ON CONFLICT ON CONSTRAINT) does not find it".to_owned(),
                    fixed_by: None,
                    fixes: fixer.unique_using_index(table, constraint),
                });
            }
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
                fixed_by: None,
                fixes: fixer.add_constraint(table, constraint),
            }),
            Some(live)
                if live.kind != constraint.kind || live.definition != constraint.definition =>
            {
                let mut fixes = fixer.drop_constraint(table, live);
                fixes.extend(fixer.add_constraint(table, constraint));
                let effect = if constraint.kind == ConstraintKind::Check
                    && fixer.same_rule_respelled(&constraint.definition, &live.definition)
                {
                    "none on values: the same rule spelled as an older version rendered it (currency codes as IN lists); the declared spelling costs the database less on every write".to_owned()
                } else {
                    "the database enforces another rule than the declaration: values Rust accepts may be refused, or values it refuses stored".to_owned()
                };
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
                    effect,
                    fixed_by: None,
                    fixes,
                });
            }
            Some(live) if !live.enforced => entries.push(Entry {
                difference: Difference::NotEnforced {
                    table: name.to_owned(),
                    constraint: constraint.name.clone(),
                    kind: constraint.kind,
                },
                declared: Some(format!("{} (enforced)", constraint.definition)),
                found: Some(format!("{} NOT ENFORCED", live.definition)),
                effect: "the database checks nothing: it stores values the declaration refuses"
                    .to_owned(),
                fixed_by: None,
                fixes: fixer.enforce(table, constraint),
            }),
            Some(live) if !live.validated => entries.push(Entry {
                difference: Difference::NotValidated {
                    table: name.to_owned(),
                    constraint: constraint.name.clone(),
                    kind: constraint.kind,
                },
                declared: Some(format!("{} (validated)", constraint.definition)),
                found: Some(format!("{} NOT VALID", live.definition)),
                effect: "new rows are checked, but rows stored before the constraint was added never were: they may break it".to_owned(),
                fixed_by: None,
                fixes: fixer.validate(table, constraint),
            }),
            Some(_) => {}
        }
    }
    for live in found.constraints.values() {
        if !declared.constraints.contains_key(&live.name) {
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
                fixed_by: None,
                fixes: fixer.drop_constraint(table, live),
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

//! `CREATE TABLE` and the statements generated code runs, rendered the same
//! way for every dialect.

use crate::dialect::Dialect;
use crate::rules::RuleKind;
use crate::table::{Column, ColumnType, ForeignKey, Table};

/// The complete `CREATE TABLE` statement for `table`: column types,
/// `NOT NULL`, the primary key and one named CHECK constraint per rule.
///
/// ```
/// use money_core::{MoneyModel, Decimal, Dialect};
///
/// #[derive(MoneyModel)]
/// #[money(table = "accounts")]
/// struct Account {
///     #[money(primary_key)]
///     id: i64,
///     #[money(precision = 19, scale = 4, min = "0")]
///     balance: Decimal,
/// }
///
/// assert_eq!(Account::create_table_sql(Dialect::Postgres), r#"CREATE TABLE "accounts" (
///     "id" bigint NOT NULL,
///     "balance" numeric NOT NULL,
///     CONSTRAINT "accounts_pkey" PRIMARY KEY ("id"),
///     CONSTRAINT "accounts_balance_digits" CHECK (abs("balance") < 1000000000000000),
///     CONSTRAINT "accounts_balance_scale" CHECK ("balance" = round("balance", 4)),
///     CONSTRAINT "accounts_balance_min" CHECK ("balance" >= 0)
/// );"#);
/// ```
pub fn create_table(table: &Table, dialect: Dialect) -> String {
    let renderer = dialect.renderer();
    let quote = |ident: &str| renderer.quote(ident);
    let mut items: Vec<String> = Vec::new();
    for column in table.columns() {
        let mut item = quote(column.name());
        let sql_type = column_type(column, dialect);
        if !sql_type.is_empty() {
            item.push(' ');
            item.push_str(&sql_type);
        }
        if !column.nullable() {
            item.push_str(" NOT NULL");
        }
        items.push(item);
    }
    let key: Vec<String> = table
        .primary_key()
        .map(|column| quote(column.name()))
        .collect();
    if !key.is_empty() {
        items.push(format!(
            "CONSTRAINT {} PRIMARY KEY ({})",
            quote(&table.primary_key_name()),
            key.join(", ")
        ));
    }
    for key in table.unique_keys() {
        let columns: Vec<String> = key.columns.iter().map(|column| quote(column)).collect();
        items.push(format!(
            "CONSTRAINT {} UNIQUE ({})",
            quote(&key.name),
            columns.join(", ")
        ));
    }
    for key in table.foreign_keys() {
        items.push(foreign_key(&key, dialect));
    }
    for (name, expression) in checks(table, dialect) {
        items.push(format!("CONSTRAINT {} CHECK ({expression})", quote(&name)));
    }
    let mut sql = format!("CREATE TABLE {} (\n", quote(table.name()));
    for (position, item) in items.iter().enumerate() {
        sql.push_str("    ");
        sql.push_str(item);
        sql.push_str(if position + 1 < items.len() {
            ",\n"
        } else {
            "\n"
        });
    }
    sql.push_str(");");
    sql
}

/// A foreign key as a table constraint, the same clause in every dialect
/// but for the quoting: `CONSTRAINT "t_a_fkey" FOREIGN KEY ("a") REFERENCES
/// "u" ("id") ON DELETE RESTRICT ON UPDATE RESTRICT`. Both actions are always
/// spelled out, so the database never falls back to its own default.
///
/// ```
/// use money_core::{MoneyModel, Dialect, ddl};
///
/// #[derive(MoneyModel)]
/// #[money(table = "journal_entries", foreign_key(fields(account_id, currency), references = "accounts(id, currency)"))]
/// struct Entry {
///     account_id: i64,
///     #[money(currency)]
///     currency: String,
/// }
///
/// let key = Entry::DEFINITION.foreign_keys().next().unwrap();
/// assert_eq!(
///     ddl::foreign_key(&key, Dialect::MySql),
///     "CONSTRAINT `journal_entries_account_id_currency_fkey` FOREIGN KEY (`account_id`, `currency`) \
///      REFERENCES `accounts` (`id`, `currency`) ON DELETE RESTRICT ON UPDATE RESTRICT",
/// );
/// ```
pub fn foreign_key(key: &ForeignKey, dialect: Dialect) -> String {
    let renderer = dialect.renderer();
    let list = |columns: &[&str]| {
        columns
            .iter()
            .map(|column| renderer.quote(column))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
        renderer.quote(&key.name),
        list(key.columns),
        renderer.quote(key.referenced_table),
        list(key.referenced_columns),
        key.on_delete.sql(),
        key.on_update.sql()
    )
}

/// Why a set of tables cannot be created one after the other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderError {
    /// The foreign keys form a cycle: no table of it can be created first.
    /// A table that refers to itself is no cycle.
    #[error(
        "the foreign keys of these tables form a cycle, so none of them can be created first: {}; drop one of the keys from the declarations and add it with ALTER TABLE after the tables exist",
        .tables.join(" -> ")
    )]
    Cycle {
        /// The tables of the cycle, in reference order, the first repeated
        /// at the end (`a -> b -> a`).
        tables: Vec<&'static str>,
    },
    /// A foreign key names a column that the referenced table, which is in
    /// the set, does not have.
    #[error(
        "foreign key {constraint} of table {table} references {referenced_table}({}), but {referenced_table} has no column `{missing}`",
        .referenced_columns.join(", ")
    )]
    UnknownColumn {
        /// The referencing table.
        table: &'static str,
        /// The foreign key's name.
        constraint: String,
        /// The referenced table.
        referenced_table: &'static str,
        /// The referenced columns as declared.
        referenced_columns: &'static [&'static str],
        /// The first of them that the table does not have.
        missing: &'static str,
    },
    /// Two tables of the set have the same name.
    #[error("table {table} appears twice in the set")]
    Duplicate {
        /// The table.
        table: &'static str,
    },
}

/// `tables` in an order in which each can be created: every table after the
/// tables its foreign keys reference, otherwise in the given order. Tables
/// referenced but not in the set are assumed to exist already; a table that
/// refers to itself needs nothing first.
///
/// # Errors
///
/// [`OrderError::Cycle`] naming the tables of a reference cycle,
/// [`OrderError::UnknownColumn`] when a key references a column its table in
/// the set does not have, [`OrderError::Duplicate`] for a table given twice.
///
/// ```
/// use money_core::{MoneyModel, Dialect, ddl};
///
/// #[derive(MoneyModel)]
/// #[money(table = "accounts")]
/// struct Account {
///     #[money(primary_key)]
///     id: i64,
/// }
///
/// #[derive(MoneyModel)]
/// #[money(table = "transfers")]
/// struct Transfer {
///     #[money(primary_key)]
///     id: i64,
///     #[money(references = "accounts(id)")]
///     account_id: i64,
/// }
///
/// let ordered = ddl::dependency_order(&[Transfer::DEFINITION, Account::DEFINITION]).unwrap();
/// let names: Vec<&str> = ordered.iter().map(|table| table.name()).collect();
/// assert_eq!(names, ["accounts", "transfers"]);
/// let script = ddl::create_tables(&[Transfer::DEFINITION, Account::DEFINITION], Dialect::Sqlite).unwrap();
/// assert!(script[0].starts_with(r#"CREATE TABLE "accounts""#));
/// ```
pub fn dependency_order(tables: &[&'static Table]) -> Result<Vec<&'static Table>, OrderError> {
    for (position, table) in tables.iter().enumerate() {
        if tables[..position]
            .iter()
            .any(|earlier| earlier.name() == table.name())
        {
            return Err(OrderError::Duplicate {
                table: table.name(),
            });
        }
    }
    let index_of = |name: &str| tables.iter().position(|table| table.name() == name);
    // The tables each table needs first (in the set, not itself).
    let mut needs: Vec<Vec<usize>> = Vec::with_capacity(tables.len());
    for (position, table) in tables.iter().enumerate() {
        let mut first = Vec::new();
        for key in table.foreign_keys() {
            let Some(referenced) = index_of(key.referenced_table) else {
                continue;
            };
            if let Some(missing) = key
                .referenced_columns
                .iter()
                .find(|column| tables[referenced].column(column).is_none())
            {
                return Err(OrderError::UnknownColumn {
                    table: table.name(),
                    constraint: key.name,
                    referenced_table: key.referenced_table,
                    referenced_columns: key.referenced_columns,
                    missing,
                });
            }
            if referenced != position && !first.contains(&referenced) {
                first.push(referenced);
            }
        }
        needs.push(first);
    }
    // Depth-first, in the given order: a table is placed once everything it
    // needs is; meeting a table that is still on the path is a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Placed,
    }
    let mut marks = vec![Mark::New; tables.len()];
    let mut ordered = Vec::with_capacity(tables.len());
    for start in 0..tables.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // (table, next dependency to look at)
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::OnPath;
        while let Some((table, next)) = path.last().copied() {
            match needs[table].get(next) {
                Some(&needed) => {
                    if let Some(top) = path.last_mut() {
                        top.1 += 1;
                    }
                    match marks[needed] {
                        Mark::Placed => {}
                        Mark::New => {
                            marks[needed] = Mark::OnPath;
                            path.push((needed, 0));
                        }
                        Mark::OnPath => {
                            // The path from `needed` to here, then `needed`
                            // again: each table references the next.
                            let from = path
                                .iter()
                                .position(|(on_path, _)| *on_path == needed)
                                .unwrap_or(0);
                            let mut cycle: Vec<&'static str> = path[from..]
                                .iter()
                                .map(|(on_path, _)| tables[*on_path].name())
                                .collect();
                            cycle.push(tables[needed].name());
                            return Err(OrderError::Cycle { tables: cycle });
                        }
                    }
                }
                None => {
                    marks[table] = Mark::Placed;
                    ordered.push(tables[table]);
                    path.pop();
                }
            }
        }
    }
    Ok(ordered)
}

/// The `CREATE TABLE` statements of `tables` in [`dependency_order`].
///
/// # Errors
///
/// As [`dependency_order`].
pub fn create_tables(
    tables: &[&'static Table],
    dialect: Dialect,
) -> Result<Vec<String>, OrderError> {
    Ok(dependency_order(tables)?
        .into_iter()
        .map(|table| create_table(table, dialect))
        .collect())
}

/// The named CHECK constraints of `table` in `dialect`, as (name,
/// expression), exactly as [`create_table`] renders them:
/// [`Table::constraints`], plus the dialect's guard rules (SQLite's
/// integer-only CHECK in round mode), each column's in the order of
/// [`RuleKind::ALL`], the order in which the database checks and reports
/// them.
///
/// ```
/// use money_core::{MoneyModel, Decimal, Dialect, ddl};
///
/// #[derive(MoneyModel)]
/// #[money(table = "accounts")]
/// struct Account {
///     #[money(precision = 19, scale = 4, min = "0")]
///     balance: Decimal,
/// }
///
/// let checks = ddl::checks(Account::DEFINITION, Dialect::Postgres);
/// assert_eq!(checks[2], ("accounts_balance_min".to_owned(), r#""balance" >= 0"#.to_owned()));
/// ```
pub fn checks(table: &Table, dialect: Dialect) -> Vec<(String, String)> {
    let renderer = dialect.renderer();
    let column_position = |column: &Column| {
        table
            .columns()
            .iter()
            .position(|candidate| std::ptr::eq(candidate, column))
            .unwrap_or(usize::MAX)
    };
    let rule_position = |kind: RuleKind| {
        RuleKind::ALL
            .iter()
            .position(|candidate| *candidate == kind)
            .unwrap_or(usize::MAX)
    };
    let mut checks: Vec<(usize, usize, String, String)> = Vec::new();
    for constraint in table.constraints() {
        let column = renderer.quote(constraint.column.name());
        let expression = match constraint.column.money_spec() {
            Some(spec) => renderer.check(&column, spec, &constraint.rule),
            None => renderer.currency_check(&column),
        };
        checks.push((
            column_position(constraint.column),
            rule_position(constraint.rule.kind()),
            constraint.name,
            expression,
        ));
    }
    for (position, column) in table.columns().iter().enumerate() {
        let Some(spec) = column.money_spec() else {
            continue;
        };
        let quoted = renderer.quote(column.name());
        for rule in renderer.guard_rules(spec) {
            checks.push((
                position,
                rule_position(rule.kind()),
                table.constraint_name(column, rule.kind()),
                renderer.check(&quoted, spec, &rule),
            ));
        }
    }
    // Stable: the rules' own order among equals.
    checks.sort_by_key(|(column, rule, ..)| (*column, *rule));
    checks
        .into_iter()
        .map(|(_, _, name, expression)| (name, expression))
        .collect()
}

/// `INSERT INTO t (c1, c2, ...) VALUES ($1, $2, ...)`, every column in
/// field order, with `RETURNING *`-style `returning` columns when asked.
///
/// ```
/// use money_core::{MoneyModel, Decimal, Dialect, ddl};
///
/// #[derive(MoneyModel)]
/// #[money(table = "accounts")]
/// struct Account {
///     id: i64,
///     #[money(precision = 19, scale = 4)]
///     balance: Decimal,
/// }
///
/// assert_eq!(
///     ddl::insert_sql(Account::DEFINITION, Dialect::Postgres, false),
///     r#"INSERT INTO "accounts" ("id", "balance") VALUES ($1, $2)"#,
/// );
/// ```
pub fn insert_sql(table: &Table, dialect: Dialect, returning: bool) -> String {
    let renderer = dialect.renderer();
    let placeholders: Vec<String> = (1..=table.columns().len())
        .map(|index| renderer.placeholder(index))
        .collect();
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        renderer.quote(table.name()),
        column_list(table, dialect),
        placeholders.join(", ")
    );
    if returning {
        sql.push_str(" RETURNING ");
        sql.push_str(&column_list(table, dialect));
    }
    sql
}

/// The SQL type of a column, as `CREATE TABLE` declares it: what a value
/// must be cast to for the database to treat it as it treats a stored one
/// (rounded, in round mode). Empty for an SQLite money column, which has no
/// declared type (see [`Dialect::Sqlite`]).
pub fn column_type(column: &Column, dialect: Dialect) -> String {
    let renderer = dialect.renderer();
    match column.column_type() {
        ColumnType::Money(spec) => renderer.money_type(&spec),
        ColumnType::Scalar(scalar) => renderer.scalar_type(scalar).to_owned(),
        ColumnType::Custom(sql_type) => sql_type.to_owned(),
        ColumnType::Currency => renderer.currency_type().to_owned(),
    }
}

/// The quoted column names, in field order, comma separated.
pub fn column_list(table: &Table, dialect: Dialect) -> String {
    let renderer = dialect.renderer();
    let columns: Vec<String> = table
        .columns()
        .iter()
        .map(|column| renderer.quote(column.name()))
        .collect();
    columns.join(", ")
}

/// The quoted form of an identifier in `dialect`.
pub fn quote(dialect: Dialect, ident: &str) -> String {
    dialect.renderer().quote(ident)
}

/// The placeholder of bind parameter `index` (1-based) in `dialect`: `$1`
/// on PostgreSQL, `?1` on SQLite, `?` on MariaDB/MySQL (which numbers its
/// parameters by position, so one cannot be used twice).
pub fn placeholder(dialect: Dialect, index: usize) -> String {
    dialect.renderer().placeholder(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{ForeignKeyDecl, ReferentialAction, Scalar};

    const ID: &[Column] = &[
        Column::new(
            "id",
            "id",
            ColumnType::Scalar(Scalar::BigInt),
            false,
            true,
            &[],
        ),
        Column::new(
            "other_id",
            "other_id",
            ColumnType::Scalar(Scalar::BigInt),
            true,
            false,
            &[],
        ),
    ];

    const fn references(table: &'static str) -> ForeignKeyDecl {
        ForeignKeyDecl::new(
            &["other_id"],
            &["other_id"],
            table,
            &["id"],
            ReferentialAction::Restrict,
            ReferentialAction::Restrict,
        )
    }

    static A_TO_B: Table = Table::new("a", ID, &[]).with_foreign_keys(&[references("b")]);
    static B_TO_C: Table = Table::new("b", ID, &[]).with_foreign_keys(&[references("c")]);
    static C: Table = Table::new("c", ID, &[]);
    static C_TO_A: Table = Table::new("c", ID, &[]).with_foreign_keys(&[references("a")]);
    static SELF: Table = Table::new("s", ID, &[]).with_foreign_keys(&[references("s")]);
    static OUTSIDE: Table = Table::new("o", ID, &[]).with_foreign_keys(&[references("elsewhere")]);
    static BAD_COLUMN: Table = Table::new("x", ID, &[]).with_foreign_keys(&[ForeignKeyDecl::new(
        &["other_id"],
        &["other_id"],
        "c",
        &["nope"],
        ReferentialAction::Restrict,
        ReferentialAction::Cascade,
    )]);

    fn names(tables: &[&'static Table]) -> Result<Vec<&'static str>, OrderError> {
        dependency_order(tables).map(|tables| tables.iter().map(|table| table.name()).collect())
    }

    #[test]
    fn referenced_tables_come_first() {
        assert_eq!(names(&[&A_TO_B, &B_TO_C, &C]), Ok(vec!["c", "b", "a"]));
        assert_eq!(names(&[&C, &A_TO_B, &B_TO_C]), Ok(vec!["c", "b", "a"]));
        // Independent tables keep the given order.
        assert_eq!(names(&[&SELF, &OUTSIDE, &C]), Ok(vec!["s", "o", "c"]));
        assert_eq!(names(&[]), Ok(vec![]));
    }

    #[test]
    fn a_cycle_is_named() {
        let error = names(&[&A_TO_B, &B_TO_C, &C_TO_A]).unwrap_err();
        assert_eq!(
            error,
            OrderError::Cycle {
                tables: vec!["a", "b", "c", "a"]
            }
        );
        assert!(error.to_string().contains("a -> b -> c -> a"), "{error}");
        let error = names(&[&B_TO_C, &C_TO_A, &A_TO_B]).unwrap_err();
        assert_eq!(
            error,
            OrderError::Cycle {
                tables: vec!["b", "c", "a", "b"]
            }
        );
    }

    #[test]
    fn a_missing_column_and_a_duplicate_are_errors() {
        let error = names(&[&BAD_COLUMN, &C]).unwrap_err();
        assert!(
            matches!(
                error,
                OrderError::UnknownColumn {
                    missing: "nope",
                    referenced_table: "c",
                    ..
                }
            ),
            "{error}"
        );
        assert_eq!(
            names(&[&C, &C_TO_A]).unwrap_err(),
            OrderError::Duplicate { table: "c" }
        );
    }

    #[test]
    fn every_dialect_spells_both_actions() {
        let key = BAD_COLUMN.foreign_keys().next().unwrap();
        assert_eq!(key.name, "x_other_id_fkey");
        assert_eq!(
            foreign_key(&key, Dialect::Postgres),
            r#"CONSTRAINT "x_other_id_fkey" FOREIGN KEY ("other_id") REFERENCES "c" ("nope") ON DELETE RESTRICT ON UPDATE CASCADE"#
        );
        let sql = create_table(&A_TO_B, Dialect::Sqlite);
        assert!(sql.contains(r#"CONSTRAINT "a_other_id_fkey" FOREIGN KEY ("other_id") REFERENCES "b" ("id") ON DELETE RESTRICT ON UPDATE RESTRICT"#), "{sql}");
    }
}

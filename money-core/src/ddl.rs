//! `CREATE TABLE` and the statements generated code runs, rendered the same
//! way for every dialect.

use crate::dialect::Dialect;
use crate::rules::RuleKind;
use crate::table::{Column, ColumnType, Table};

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

/// The named CHECK constraints of `table` in `dialect`, as (name,
/// expression): [`Table::constraints`], plus the dialect's guard rules
/// (SQLite's integer-only CHECK in round mode), each column's in the order of
/// [`RuleKind::ALL`], the order in which the database checks and reports
/// them.
fn checks(table: &Table, dialect: Dialect) -> Vec<(String, String)> {
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

//! `CREATE TABLE` and the statements generated code runs, rendered the same
//! way for every dialect.

use crate::dialect::Dialect;
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
        let mut item = format!("{} {}", quote(column.name()), column_type(column, dialect));
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
    for constraint in table.constraints() {
        let column = quote(constraint.column.name());
        items.push(format!(
            "CONSTRAINT {} CHECK ({})",
            quote(&constraint.name),
            renderer.check(&column, &constraint.rule)
        ));
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
/// (rounded, in round mode).
pub fn column_type(column: &Column, dialect: Dialect) -> String {
    let renderer = dialect.renderer();
    match column.column_type() {
        ColumnType::Money(spec) => renderer.money_type(&spec),
        ColumnType::Scalar(scalar) => renderer.scalar_type(scalar).to_owned(),
        ColumnType::Custom(sql_type) => sql_type.to_owned(),
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

//! `CREATE TABLE` rendering, shared by every dialect.

use crate::dialect::Dialect;
use crate::table::{ColumnType, Table};

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
        let mut item = format!("{} ", quote(column.name()));
        match column.column_type() {
            ColumnType::Money(spec) => item.push_str(&renderer.money_type(&spec)),
            ColumnType::Scalar(scalar) => item.push_str(renderer.scalar_type(scalar)),
            ColumnType::Custom(sql_type) => item.push_str(sql_type),
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

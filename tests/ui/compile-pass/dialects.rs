//! A model that fits every database it names.
use money_core::{Decimal, Dialect, MoneyModel, MoneyValue};

#[derive(Debug, Clone, Copy, MoneyValue)]
#[money(precision = 18, scale = 2, min = "0")]
struct Fee(Decimal);

#[derive(MoneyModel)]
#[money(table = "payments", unique(reference), dialects(postgres, mysql, sqlite))]
struct Payment {
    #[money(primary_key)]
    id: i64,
    #[money(sql_type = "varchar(64)")]
    reference: String,
    #[money(precision = 18, scale = 4)]
    amount: Decimal,
    fee: Fee,
    note: String,
}

fn main() {
    for dialect in Dialect::ALL {
        assert!(Payment::create_table_sql(*dialect).contains("payments"));
    }
}

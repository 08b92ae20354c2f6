use money_core::{Decimal, MoneyModel, MoneyValue};

#[derive(Debug, Clone, Copy, MoneyValue)]
#[money(precision = 28, scale = 10)]
struct Wide(Decimal);

#[derive(MoneyModel)]
#[money(table = "ledger", dialects(sqlite))]
struct Ledger {
    #[money(primary_key)]
    id: i64,
    amount: Wide,
}

fn main() {}

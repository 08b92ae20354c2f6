use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
#[money(table = "ledger", dialects(postgres, sqlite))]
struct Ledger {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4)]
    amount: Decimal,
}

fn main() {}

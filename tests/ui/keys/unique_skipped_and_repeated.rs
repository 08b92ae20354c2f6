use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
#[money(unique(settlement_id, settlement_id), unique(note), unique())]
struct Settlement {
    settlement_id: i64,
    #[money(precision = 19, scale = 4)]
    amount: Decimal,
    #[money(skip)]
    note: String,
}

fn main() {}

use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
#[money(unique(settlement_id, acount_id))]
struct Settlement {
    settlement_id: i64,
    account_id: i64,
    #[money(precision = 19, scale = 4)]
    amount: Decimal,
}

fn main() {}

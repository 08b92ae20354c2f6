use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 19, scale = 4, on_excess_scale = "floor")]
    balance: Decimal,
}

fn main() {}

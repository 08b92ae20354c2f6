use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
struct Account {
    #[money(precision = -1, scale = 4294967296)]
    balance: Decimal,
    // The rest of a bad value is skipped: the next key is still read.
    #[money(precision = -2 x, scale = 4294967296)]
    fee: Decimal,
}

fn main() {}

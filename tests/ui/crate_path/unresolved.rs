// A path that names nothing: the compiler's own error, on the literal.
use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
#[money(crate = "no_such_crate")]
struct Account {
    #[money(precision = 19, scale = 4)]
    balance: Decimal,
}

fn main() {}

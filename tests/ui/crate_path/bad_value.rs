use money_core::{Decimal, MoneyModel, MoneyValue};

#[derive(MoneyModel)]
#[money(crate = renamed)]
struct NotAString {
    #[money(precision = 19, scale = 4)]
    balance: Decimal,
}

#[derive(MoneyModel)]
#[money(crate = "")]
struct Empty {
    #[money(precision = 19, scale = 4)]
    balance: Decimal,
}

#[derive(MoneyModel)]
#[money(crate = "my crate")]
struct Spaces {
    #[money(precision = 19, scale = 4)]
    balance: Decimal,
}

#[derive(MoneyModel)]
#[money(crate = "money_core::<u8>")]
struct Generic {
    #[money(precision = 19, scale = 4)]
    balance: Decimal,
}

#[derive(MoneyModel)]
#[money(crate = 1)]
struct Number {
    #[money(precision = 19, scale = 4)]
    balance: Decimal,
}

#[derive(MoneyValue)]
#[money(crate = "1money", precision = 10, scale = 2)]
struct Fee(Decimal);

#[derive(MoneyModel)]
#[money(crate)]
struct NoValue {
    #[money(precision = 19, scale = 4)]
    balance: Decimal,
}

fn main() {}

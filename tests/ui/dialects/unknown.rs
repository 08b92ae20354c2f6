use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
#[money(table = "payments", dialects(postgres, oracle))]
struct Payment {
    #[money(precision = 19, scale = 4)]
    amount: Decimal,
}

#[derive(MoneyModel)]
#[money(table = "refunds", dialects = "sqlite")]
struct Refund {
    #[money(precision = 19, scale = 4)]
    amount: Decimal,
}

fn main() {}

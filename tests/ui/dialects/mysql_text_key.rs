use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
#[money(table = "payments", unique(reference), dialects(mysql))]
struct Payment {
    #[money(primary_key)]
    id: i64,
    reference: String,
    #[money(precision = 19, scale = 4)]
    amount: Decimal,
}

fn main() {}

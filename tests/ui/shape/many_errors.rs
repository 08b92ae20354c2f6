use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
#[money(table = "Accounts", tabel = "x")]
struct Account {
    #[money(primary_key)]
    id: Option<i64>,
    #[money(precison = 19, scale = 4)]
    balance: Decimal,
    #[money(precision = 10, scale = 2, min = "abc", max = "0.001")]
    limit: Decimal,
    #[money(precision = 4, scale = 5, on_excess_scale = "rund")]
    fee: Decimal,
    #[money(column = "limit")]
    note: String,
}

fn main() {}

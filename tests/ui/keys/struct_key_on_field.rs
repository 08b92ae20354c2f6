use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Account {
    #[money(table = "accounts")]
    id: i64,
}

fn main() {}

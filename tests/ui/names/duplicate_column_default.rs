use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Account {
    #[money(column = "id")]
    key: i64,
    id: i64,
}

fn main() {}

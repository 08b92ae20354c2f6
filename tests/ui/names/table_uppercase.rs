use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "Accounts")]
struct Account {
    id: i64,
}

fn main() {}

use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "accounts", primary_key)]
struct Account {
    id: i64,
}

fn main() {}

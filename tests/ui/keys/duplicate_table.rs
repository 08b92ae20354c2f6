use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "accounts")]
#[money(table = "ledger")]
struct Account {
    id: i64,
}

fn main() {}

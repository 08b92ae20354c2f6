use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(tabel = "accounts")]
struct Account {
    id: i64,
}

fn main() {}

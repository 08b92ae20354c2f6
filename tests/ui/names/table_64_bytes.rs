use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
struct Account {
    id: i64,
}

fn main() {}

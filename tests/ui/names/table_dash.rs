use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "acc-ounts")]
struct Account {
    id: i64,
}

fn main() {}

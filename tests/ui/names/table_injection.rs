use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "a; drop table x")]
struct Account {
    id: i64,
}

fn main() {}

use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Account {
    #[money(primary_key)]
    id: Option<i64>,
}

fn main() {}

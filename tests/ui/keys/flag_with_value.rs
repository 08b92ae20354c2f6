use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Account {
    #[money(primary_key = true)]
    id: i64,
}

fn main() {}

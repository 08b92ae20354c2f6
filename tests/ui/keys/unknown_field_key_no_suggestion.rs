use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Account {
    #[money(colour = "red")]
    id: i64,
}

fn main() {}

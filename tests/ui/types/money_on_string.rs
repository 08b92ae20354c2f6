use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 19, scale = 4)]
    balance: String,
}

fn main() {}

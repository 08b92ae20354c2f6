use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Account {
    #[money(precision = 19, scale = 4)]
    balance: Option<f64>,
}

fn main() {}

use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Payment {
    #[money(currency)]
    currency: i32,
}

fn main() {}

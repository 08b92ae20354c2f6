use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Café {
    id: i64,
}

fn main() {}

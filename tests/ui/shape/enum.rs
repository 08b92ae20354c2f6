use money_core::MoneyModel;

#[derive(MoneyModel)]
enum Account {
    Open,
    Closed,
}

fn main() {}

use money_core::MoneyModel;

#[derive(MoneyModel)]
#[allow(non_snake_case)]
struct Account {
    accountId: i64,
}

fn main() {}

use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Account;

fn main() {}

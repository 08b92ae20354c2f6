use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Account {
    id: i64,
    #[money(skip, column = "cache")]
    cache: Vec<u8>,
}

fn main() {}

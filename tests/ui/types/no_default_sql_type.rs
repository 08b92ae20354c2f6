use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Account {
    id: i64,
    created_at: std::time::SystemTime,
}

fn main() {}

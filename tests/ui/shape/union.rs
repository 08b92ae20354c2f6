use money_core::MoneyModel;

#[derive(MoneyModel)]
union Account {
    id: i64,
    flag: bool,
}

fn main() {}

use money_core::MoneyModel;

#[derive(MoneyModel)]
struct Account {
    #[money(sql_type = "text; drop table x")]
    note: String,
}

fn main() {}

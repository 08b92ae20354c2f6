use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "transfers", foreign_key(fields(account_id), referencs = "accounts(id)"))]
struct Transfer {
    account_id: i64,
}

fn main() {}

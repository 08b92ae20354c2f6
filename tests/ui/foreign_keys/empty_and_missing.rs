use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "entries", foreign_key(fields(), references = "accounts(id)"))]
#[money(foreign_key(fields(account_id)))]
#[money(foreign_key)]
struct Entry {
    account_id: i64,
}

fn main() {}

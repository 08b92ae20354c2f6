use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "entries", foreign_key(fields(acount_id, note, acount_id), references = "accounts(id, currency, x)"))]
struct Entry {
    account_id: i64,
    #[money(skip)]
    note: String,
}

fn main() {}

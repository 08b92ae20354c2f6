use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "transfers", foreign_key(fields(account_id, other_id), references = "accounts(id)"))]
struct Transfer {
    #[money(references = "accounts")]
    account_id: i64,
    #[money(references = "Accounts(id)")]
    other_id: i64,
    #[money(references = "accounts(id, currency)")]
    third_id: i64,
}

fn main() {}

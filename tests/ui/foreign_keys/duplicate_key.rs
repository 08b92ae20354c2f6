use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "transfers", foreign_key(fields(account_id), references = "ledgers(id)", on_delete = "cascade"))]
struct Transfer {
    #[money(references = "accounts(id)", references = "accounts(id)")]
    account_id: i64,
}

fn main() {}

use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "transfers")]
struct Transfer {
    #[money(on_delete = "cascade")]
    account_id: i64,
    #[money(skip, references = "accounts(id)")]
    note: String,
}

fn main() {}

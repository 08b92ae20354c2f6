use money_core::MoneyModel;

#[derive(MoneyModel)]
#[money(table = "transfers")]
struct Transfer {
    #[money(references = "accounts(id)", on_delete = "set null")]
    account_id: i64,
    #[money(references = "accounts(id)", on_update = "explode")]
    other_id: i64,
}

fn main() {}

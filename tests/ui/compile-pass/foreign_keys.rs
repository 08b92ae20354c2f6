use money_core::{Decimal, Dialect, MoneyModel, ReferentialAction};

#[derive(MoneyModel)]
#[money(table = "accounts", unique(id, currency))]
struct Account {
    #[money(primary_key)]
    id: i64,
    #[money(currency)]
    currency: String,
}

#[derive(MoneyModel)]
#[money(
    table = "journal_entries",
    foreign_key(fields(account_id, currency), references = "accounts(id, currency)", on_delete = "no_action", on_update = "cascade")
)]
struct Entry {
    #[money(primary_key)]
    id: i64,
    #[money(references = "journal_entries(id)", on_delete = "set_null")]
    parent_id: Option<i64>,
    account_id: i64,
    #[money(currency)]
    currency: String,
    #[money(precision = 19, scale = 4)]
    amount: Decimal,
}

fn main() {
    let keys: Vec<_> = Entry::DEFINITION.foreign_keys().collect();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].name, "journal_entries_parent_id_fkey");
    assert_eq!(keys[0].on_delete, ReferentialAction::SetNull);
    assert_eq!(keys[1].name, "journal_entries_account_id_currency_fkey");
    assert_eq!(keys[1].fields, ["account_id", "currency"]);
    assert_eq!(keys[1].referenced_columns, ["id", "currency"]);
    assert_eq!((keys[1].on_delete, keys[1].on_update), (ReferentialAction::NoAction, ReferentialAction::Cascade));
    let script = money_core::ddl::create_tables(&[Entry::DEFINITION, Account::DEFINITION], Dialect::Postgres).unwrap();
    assert!(script[0].starts_with("CREATE TABLE \"accounts\""));
    assert!(Account::DEFINITION.foreign_keys().next().is_none());
}

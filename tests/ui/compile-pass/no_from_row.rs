//! `no_from_row` is a key of the struct; what it turns off is tested with
//! sqlx in the tests crate (`tests/tests/problem_details.rs`).
use money_core::{Decimal, MoneyModel};

#[derive(MoneyModel)]
#[money(table = "notes", no_from_row)]
struct Note {
    #[money(primary_key)]
    id: i64,
    #[money(precision = 19, scale = 4)]
    amount: Decimal,
}

fn main() {
    assert_eq!(Note::TABLE, "notes");
    let note = Note { id: 1, amount: Decimal::ONE };
    assert!(note.validate().is_ok() && note.id == 1);
}

// A value type whose own derive fails: the model that uses it must not add
// a second error (its field type still has the impls it needs).
use money_core::{Decimal, MoneyModel, MoneyValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 4, scale = 6)]
pub struct Amount(Decimal);

#[derive(MoneyModel)]
#[money(table = "payments")]
pub struct Payment {
    #[money(primary_key)]
    pub id: i64,
    pub amount: Amount,
}

fn main() {}

use money_core::{Decimal, MoneyValue};

#[derive(MoneyValue)]
#[money(precision = 19, scale = 4, column = "amount", primary_key)]
struct Amount(Decimal);

// A value type refers to nothing: a foreign key is a model's column.
#[derive(MoneyValue)]
#[money(precision = 19, scale = 4, references = "accounts(id)", on_delete = "cascade")]
struct Fee(Decimal);

fn main() {}

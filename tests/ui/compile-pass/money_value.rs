//! A newtype declared once: constructors check it, a model field of that
//! type needs no attribute and its rules reach the table's DDL.

use money_core::{Decimal, Dialect, MoneyModel, MoneyValue, ValueError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 19, scale = 4, min = "0")]
pub struct Amount(Decimal);

#[derive(Debug, Clone, Copy, PartialEq, Eq, MoneyValue)]
#[money(precision = 10, scale = 2, on_excess_scale = "round")]
pub struct Price(Decimal);

#[derive(MoneyModel)]
#[money(table = "payments")]
pub struct Payment {
    #[money(primary_key)]
    pub id: i64,
    pub amount: Amount,
    pub tip: Option<Price>,
}

fn main() {
    let amount: Amount = "12.50".parse().expect("valid");
    assert_eq!(amount.to_string(), "12.50");
    assert_eq!(Decimal::from(amount), Decimal::new(1250, 2));
    assert!(matches!("-1".parse::<Amount>(), Err(ValueError::Broken { .. })));
    assert!(matches!("1e3".parse::<Amount>(), Err(ValueError::Parse { .. })));
    assert!(Amount::try_from(Decimal::new(123_456_78, 5)).is_err());
    assert_eq!(Price::try_from(Decimal::new(2345, 3)).expect("rounds").to_string(), "2.35");

    let payment = Payment { id: 1, amount, tip: None };
    assert!(payment.validate().is_ok());
    let ddl = Payment::create_table_sql(Dialect::Postgres);
    assert!(ddl.contains(r#"CONSTRAINT "payments_amount_min" CHECK ("amount" >= 0)"#), "{ddl}");
    assert!(ddl.contains(r#""tip" numeric(31, 2),"#), "{ddl}");
}

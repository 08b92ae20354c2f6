use money_core::{Decimal, Dialect, MoneyModel};

#[derive(MoneyModel)]
struct Edges {
    #[money(precision = 19, scale = 4, min = "0", max = "0")]
    zero_only: Decimal,
    #[money(precision = 4, scale = 4, max = "0.9999")]
    fraction: Decimal,
    #[money(precision = 28, scale = 0)]
    whole: Decimal,
    #[money(precision = 28, scale = 28)]
    tiny: Decimal,
    #[money(precision = 5, scale = 2, min = "-999.99", max = "999.990")]
    trailing_zero: Decimal,
}

fn edges(zero_only: &str, fraction: &str) -> Edges {
    Edges {
        zero_only: zero_only.parse().unwrap(),
        fraction: fraction.parse().unwrap(),
        whole: "-9999999999999999999999999999".parse().unwrap(),
        tiny: "0.0000000000000000000000000001".parse().unwrap(),
        trailing_zero: "-999.99".parse().unwrap(),
    }
}

fn main() {
    assert_eq!(Edges::TABLE, "edges");
    edges("0", "0.9999").validate().unwrap();
    edges("0.0000", "0").validate().unwrap();

    let errors = edges("0.01", "1").validate().unwrap_err();
    let constraints: Vec<&str> = errors.iter().map(|error| error.constraint()).collect();
    assert_eq!(
        constraints,
        ["edges_zero_only_max", "edges_fraction_digits", "edges_fraction_max"]
    );

    let ddl = Edges::create_table_sql(Dialect::Postgres);
    assert!(ddl.contains(r#"CONSTRAINT "edges_zero_only_min" CHECK ("zero_only" >= 0)"#), "{ddl}");
    assert!(ddl.contains(r#"CONSTRAINT "edges_zero_only_max" CHECK ("zero_only" <= 0)"#), "{ddl}");
}

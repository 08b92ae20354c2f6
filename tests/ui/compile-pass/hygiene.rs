//! The generated code must name everything by absolute path: these items
//! shadow the prelude and the crate's own names where the derive is used.

#![allow(dead_code, non_camel_case_types, non_upper_case_globals)]

/// The names both modules shadow: the prelude's, the crates', and
/// lowercase constants, which would capture a binding of the same name in a
/// pattern of the generated code.
macro_rules! shadow {
    () => {
        struct Result;
        struct Option;
        struct Some;
        struct None;
        struct Ok;
        struct Err;
        struct Vec;
        struct String;
        struct bool;
        struct i64;
        struct core;
        struct std;
        struct money_core;
        type Decimal = ();
        trait SqlColumn {}
        trait MoneyField {}
        trait Default {}
        const value: () = ();
        const key: () = ();
        const name: () = ();
        const state: () = ();
        const serializer: () = ();
        const deserializer: () = ();
        const map: () = ();
        const seq: () = ();
        const f: () = ();
    };
}

mod shadowed {
    // `money_core` itself is shadowed below, so name the crate absolutely.
    use ::money_core::MoneyModel;

    shadow!();

    #[derive(MoneyModel)]
    #[money(table = "accounts", serde)]
    #[serde(rename_all = "camelCase")]
    pub struct Account {
        #[money(primary_key)]
        pub id: ::core::primitive::i64,
        #[money(precision = 19, scale = 4, min = "0", max = "100")]
        pub balance: ::money_core::Decimal,
        #[money(precision = 19, scale = 4, on_excess_scale = "round")]
        pub limit: ::core::option::Option<::money_core::Decimal>,
        pub note: ::core::option::Option<::std::string::String>,
    }
}

/// The serde impls the derive writes itself (a model without serde
/// attributes) name even the primitive types absolutely, which serde's own
/// derive does not (so `shadowed` above cannot shadow them).
mod shadowed_primitives {
    use ::money_core::MoneyModel;

    shadow!();
    struct usize;
    struct str;

    #[derive(MoneyModel)]
    #[money(table = "transfers", serde)]
    pub struct Transfer {
        #[money(primary_key)]
        pub id: ::core::primitive::i64,
        #[money(currency)]
        pub currency: ::std::string::String,
        #[money(precision = 19, scale = 4, min = "0", currency_field = "currency")]
        pub amount: ::money_core::Decimal,
        #[money(precision = 19, scale = 4)]
        pub fee: ::core::option::Option<::money_core::Decimal>,
        pub note: ::core::option::Option<::std::string::String>,
    }
}

use money_core::{Decimal, MoneyModel};

fn main() {
    assert_eq!(shadowed::Account::TABLE, "accounts");
    let account = shadowed::Account {
        id: 1,
        balance: Decimal::new(10001, 2),
        limit: Some(Decimal::new(1, 5)),
        note: None,
    };
    let errors = account.validate().unwrap_err();
    let constraints: Vec<&str> = errors.iter().map(|error| error.constraint()).collect();
    assert_eq!(constraints, ["accounts_balance_max"]);
    let limit = shadowed::Account::DEFINITION.column("limit").unwrap();
    assert!(limit.nullable());
}

//! `dialects(...)`: the databases a model targets beyond PostgreSQL.

use super::Targets;
use crate::ast::Container;
use crate::ctxt::Ctxt;

/// The most digits SQLite's 64-bit integer minor units hold, the constant
/// money-core's `dialect::sqlite::MAX_PRECISION` is. `tests/ui/dialects`
/// pins it: 18 compiles, 19 does not, on a field here and through a value
/// type there.
use money_spec_core::SQLITE_MAX_PRECISION;

/// `dialects(...)`: every named database must hold every money column.
pub(super) fn check_dialects(cx: &mut Ctxt, container: &Container) -> Targets {
    let mut targets = Targets::default();
    let Some(dialects) = container.attrs.dialects.get() else {
        return targets;
    };
    for dialect in dialects {
        match dialect.to_string().as_str() {
            "postgres" => {}
            "sqlite" => {
                targets.sqlite = true;
                for field in &container.fields {
                    let Some(precision) = field.attrs.precision.get() else {
                        continue;
                    };
                    if precision.value > SQLITE_MAX_PRECISION && field.attrs.skip.get().is_none() {
                        cx.error_spanned_by(
                            &precision.literal,
                            format!(
                                "precision {} cannot be stored on SQLite, which this model targets (`dialects(.., sqlite)`): amounts are stored there as 64-bit integer minor units, which hold at most {SQLITE_MAX_PRECISION} digits; declare a precision of at most {SQLITE_MAX_PRECISION} or drop sqlite",
                                precision.value
                            ),
                        );
                    }
                }
            }
            "mysql" => targets.mysql = true,
            other => cx.error_spanned_by(
                dialect,
                format!("unknown dialect `{other}`: expected postgres, mysql or sqlite"),
            ),
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::check::test_input::run;

    fn targets_of(input: &syn::DeriveInput) -> ((bool, bool), Vec<String>) {
        let (targets, errors) = run(input, check_dialects);
        ((targets.sqlite, targets.mysql), errors)
    }

    #[test]
    fn the_named_databases_are_targets() {
        let input = parse_quote! {
            #[money(dialects(postgres, mysql, sqlite))]
            struct T { #[money(precision = 18, scale = 2)] a: Decimal }
        };
        assert_eq!(targets_of(&input), ((true, true), vec![]));
        let input = parse_quote! { struct T { id: i64 } };
        assert_eq!(targets_of(&input), ((false, false), vec![]));
    }

    #[test]
    fn an_unknown_dialect_lists_the_known_ones() {
        let input = parse_quote! {
            #[money(dialects(postgres, oracle))]
            struct T { id: i64 }
        };
        assert_eq!(
            targets_of(&input),
            (
                (false, false),
                vec!["unknown dialect `oracle`: expected postgres, mysql or sqlite".to_owned()]
            )
        );
    }

    #[test]
    fn sqlite_holds_at_most_18_digits() {
        let input = parse_quote! {
            #[money(dialects(sqlite))]
            struct T {
                #[money(precision = 19, scale = 4)]
                a: Decimal,
                #[money(skip, precision = 28, scale = 4)]
                b: Decimal,
            }
        };
        assert_eq!(
            targets_of(&input).1,
            [
                "precision 19 cannot be stored on SQLite, which this model targets (`dialects(.., sqlite)`): amounts are stored there as 64-bit integer minor units, which hold at most 18 digits; declare a precision of at most 18 or drop sqlite"
            ]
        );
    }
}

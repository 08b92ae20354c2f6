//! The proof that Rust and PostgreSQL agree: for every spec of a matrix,
//! generated values are checked with `validate()` and inserted through the
//! generated DDL, and the two verdicts must be equal. On rejection the
//! database must name a constraint that `validate()` also reported; on
//! acceptance it must store exactly the value Rust says it stores.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

use money_core::{Decimal, Dialect, MoneyModel, MoneySpec, Rule, Table, ValidationErrors};
use money_tests::pg;

/// One spec of the matrix: a one-money-column model.
struct Case {
    table: &'static Table,
    create_table_sql: fn(Dialect) -> String,
    validate: fn(Decimal) -> Result<(), ValidationErrors>,
}

impl Case {
    fn spec(&self) -> &'static MoneySpec {
        self.table.columns()[1]
            .money_spec()
            .expect("column 1 is the amount")
    }
}

macro_rules! matrix {
    ($($model:ident $table:literal [$($spec:tt)*];)*) => {
        $(
            #[derive(MoneyModel)]
            #[money(table = $table)]
            #[allow(dead_code)]
            struct $model {
                #[money(primary_key)]
                id: i64,
                #[money($($spec)*)]
                amount: Decimal,
            }
        )*

        fn cases() -> Vec<Case> {
            vec![$(Case {
                table: $model::DEFINITION,
                create_table_sql: $model::create_table_sql,
                validate: |amount| $model { id: 0, amount }.validate(),
            }),*]
        }
    };
}

matrix! {
    P19S4 "p19s4" [precision = 19, scale = 4];
    P19S4Round "p19s4_round" [precision = 19, scale = 4, on_excess_scale = "round"];
    P19S4Min "p19s4_min" [precision = 19, scale = 4, min = "0"];
    P19S4Seed "p19s4_seed_round" [precision = 19, scale = 4, min = "0", max = "9999999999999.9999", on_excess_scale = "round"];
    P10S0 "p10s0" [precision = 10, scale = 0];
    P10S0Round "p10s0_round" [precision = 10, scale = 0, min = "-500", max = "500", on_excess_scale = "round"];
    P28S0 "p28s0" [precision = 28, scale = 0];
    P28S28 "p28s28" [precision = 28, scale = 28, max = "0.5"];
    P28S10Round "p28s10_round" [precision = 28, scale = 10, on_excess_scale = "round"];
    P28S14 "p28s14" [precision = 28, scale = 14, min = "-99999999999999.99999999999999"];
    P1S0 "p1s0" [precision = 1, scale = 0];
    P4S4Round "p4s4_round" [precision = 4, scale = 4, min = "-0.5", max = "0.9999", on_excess_scale = "round"];
    P12S2 "p12s2" [precision = 12, scale = 2, min = "0.01", max = "1000000"];
    P18S8Round "p18s8_round" [precision = 18, scale = 8, min = "0.00000001", on_excess_scale = "round"];
}

/// Values tried per spec; 14 specs make well over 100,000 a run.
const VALUES_PER_SPEC: usize = 8_000;
const SEED: u64 = 0x005E_ED0F_CA5E;
const BATCH: usize = 2_000;

/// `10^exponent` for `exponent` in `-28..=28`.
fn power_of_ten(exponent: i32) -> Decimal {
    if exponent >= 0 {
        Decimal::from_i128_with_scale(10i128.pow(exponent as u32), 0)
    } else {
        Decimal::from_i128_with_scale(1, exponent.unsigned_abs())
    }
}

/// Boundaries and one unit either side, midpoints at the scale and just off
/// them, trailing zeros, both signs, the extreme magnitudes, 28-digit values,
/// then random values of every scale and size up to `VALUES_PER_SPEC`.
fn generate(spec: &MoneySpec, rng: &mut fastrand::Rng) -> Vec<Decimal> {
    let scale = spec.scale() as i32;
    let unit = power_of_ten(-scale);
    let half = unit / Decimal::TWO;
    let bound = spec.magnitude_bound();
    let mut anchors = vec![
        Decimal::ZERO,
        unit,
        bound,
        bound - unit,
        Decimal::ONE,
        Decimal::from(2),
        Decimal::MAX,
        Decimal::new(1, 28),
        Decimal::new(5, 28),
        Decimal::from_i128_with_scale(2_345, 3),
        Decimal::from_i128_with_scale(12_345_678, 5),
    ];
    anchors.extend(spec.min());
    anchors.extend(spec.max());
    let mut offsets = vec![Decimal::ZERO, unit, half];
    if scale + 2 <= 28 {
        let nudge = power_of_ten(-(scale + 2));
        offsets.extend([half + nudge, half - nudge]);
    }
    let mut values = Vec::new();
    for anchor in &anchors {
        for offset in &offsets {
            for candidate in [anchor.checked_add(*offset), anchor.checked_sub(*offset)] {
                values.extend(candidate);
            }
        }
    }
    while values.len() < VALUES_PER_SPEC {
        values.push(random_value(spec, rng));
    }
    // Trailing zeros and signs of everything so far.
    let mut all = Vec::with_capacity(values.len() * 3);
    for value in values {
        all.push(value);
        all.push(-value);
        let mut padded = value;
        padded.rescale((value.scale() + rng.u32(1..=4)).min(28));
        if padded == value {
            all.push(padded);
        }
    }
    all.truncate(VALUES_PER_SPEC * 2);
    all
}

fn random_value(spec: &MoneySpec, rng: &mut fastrand::Rng) -> Decimal {
    match rng.u8(0..4) {
        // Any Decimal: 1 to 96 bits of mantissa, any scale.
        0 => {
            let bits = rng.u32(1..=96);
            let mantissa = rng.u128(..) & ((1u128 << bits) - 1);
            Decimal::from_i128_with_scale(mantissa as i128, rng.u32(0..=28))
        }
        // 28 significant digits.
        1 => {
            let mantissa = rng.u128(10u128.pow(27)..10u128.pow(28));
            Decimal::from_i128_with_scale(mantissa as i128, rng.u32(0..=28))
        }
        // Near the declared shape: up to one digit too many on either side.
        _ => {
            let integer_digits = rng.u32(0..=spec.integer_digits() + 1);
            let fraction_digits = rng.u32(0..=(spec.scale() + 2).min(28));
            let digits = (integer_digits + fraction_digits).clamp(1, 28);
            let mantissa = rng.u128(0..10u128.pow(digits));
            Decimal::from_i128_with_scale(mantissa as i128, fraction_digits.min(digits))
        }
    }
}

const TRY_INSERT: &str = r#"
CREATE FUNCTION try_insert(target text, first_id bigint, amounts numeric[])
RETURNS TABLE(ordinal int, code text, violated text, stored numeric)
LANGUAGE plpgsql AS $$
DECLARE
    i int;
BEGIN
    FOR i IN 1 .. coalesce(array_length(amounts, 1), 0) LOOP
        ordinal := i;
        BEGIN
            EXECUTE format('INSERT INTO %I (id, amount) VALUES ($1, $2) RETURNING amount', target)
                INTO stored USING first_id + i, amounts[i];
            code := '00000';
            violated := NULL;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, violated = CONSTRAINT_NAME;
            stored := NULL;
        END;
        RETURN NEXT;
    END LOOP;
END
$$;
"#;

fn spec_rounds(case: &Case) -> bool {
    case.spec().on_excess_scale() == money_core::ExcessScale::Round
}

#[derive(Default)]
struct Tally {
    tried: usize,
    accepted: usize,
    /// Accepted values where banker's rounding (`round_dp`) would have
    /// stored something else: proof the midpoints are exercised.
    half_even_would_differ: usize,
    /// Rejections by the constraint the database reported.
    rejected: BTreeMap<String, usize>,
    /// Violations by constraint, as `validate()` reported them (a value can
    /// break several rules; the database reports the first by name).
    violated: BTreeMap<String, usize>,
    disagreements: Vec<String>,
}

async fn run_case(pool: &sqlx::PgPool, case: &Case, seed: u64) -> Tally {
    let spec = case.spec();
    let table = case.table.name();
    sqlx::raw_sql(sqlx::AssertSqlSafe((case.create_table_sql)(
        Dialect::Postgres,
    )))
    .execute(pool)
    .await
    .expect("the generated DDL runs");
    let mut rng = fastrand::Rng::with_seed(seed);
    let values = generate(spec, &mut rng);
    let mut tally = Tally::default();
    for (batch_index, batch) in values.chunks(BATCH).enumerate() {
        let first_id = (batch_index * BATCH) as i64;
        let rows: Vec<(i32, String, Option<String>, Option<Decimal>)> =
            sqlx::query_as("SELECT ordinal, code, violated, stored FROM try_insert($1, $2, $3)")
                .bind(table)
                .bind(first_id)
                .bind(batch)
                .fetch_all(pool)
                .await
                .expect("try_insert runs");
        assert_eq!(rows.len(), batch.len(), "one verdict per value");
        for (position, state, constraint, stored) in rows {
            let value = batch[position as usize - 1];
            tally.tried += 1;
            let rust = (case.validate)(value);
            if let Err(errors) = &rust {
                for error in errors {
                    *tally
                        .violated
                        .entry(error.constraint().to_owned())
                        .or_default() += 1;
                }
            }
            let verdict = match (&rust, state.as_str(), constraint, stored) {
                (Ok(()), "00000", _, Some(stored)) => {
                    tally.accepted += 1;
                    let expected = spec.stored_value(value);
                    if value.round_dp(spec.scale()) != expected {
                        tally.half_even_would_differ += 1;
                    }
                    (stored == expected)
                        .then_some(())
                        .ok_or_else(|| format!("stored {stored}, Rust expected {expected}"))
                }
                (Err(errors), "23514", Some(constraint), None) => {
                    *tally.rejected.entry(constraint.clone()).or_default() += 1;
                    errors
                        .iter()
                        .any(|error| error.constraint() == constraint)
                        .then_some(())
                        .ok_or_else(|| {
                            format!("database violated {constraint}, Rust reported: {errors}")
                        })
                }
                (rust, state, constraint, stored) => Err(format!(
                    "Rust {:?}, database sqlstate {state} constraint {constraint:?} stored {stored:?}",
                    rust.as_ref().map_err(|errors| errors.to_string())
                )),
            };
            if let Err(detail) = verdict {
                tally.disagreements.push(format!(
                    "{table}: value {value} (scale {}): {detail}",
                    value.scale()
                ));
            }
        }
    }
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_and_postgres_agree_on_every_value() {
    let schema = pg::fresh_schema().await;
    sqlx::raw_sql(TRY_INSERT)
        .execute(&schema.pool)
        .await
        .expect("create try_insert");
    let cases = cases();
    let mut report = String::new();
    let mut total = Tally::default();
    let mut coverage = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let tally = run_case(&schema.pool, case, SEED + index as u64).await;
        let rejected: usize = tally.rejected.values().sum();
        writeln!(
            report,
            "{:<18} tried {:>6}  accepted {:>6}  rejected {:>6} {:?}",
            case.table.name(),
            tally.tried,
            tally.accepted,
            rejected,
            tally.rejected
        )
        .expect("write to a String");
        // Both verdicts and every rule must be exercised, or agreement
        // proves nothing.
        let name = case.table.name();
        if tally.accepted < 100 || rejected < 100 {
            coverage.push(format!("{name}: too few accepted or rejected values"));
        }
        if spec_rounds(case) && tally.half_even_would_differ < 10 {
            coverage.push(format!(
                "{name}: no accepted midpoint tells half away from zero from half to even"
            ));
        }
        for constraint in case.table.constraints() {
            // A Decimal holds at most 28 digits after the point: at scale 28
            // the scale CHECK only guards against other clients' values.
            let unreachable = constraint.rule == (Rule::Scale { scale: 28 });
            if !unreachable && !tally.violated.contains_key(&constraint.name) {
                coverage.push(format!(
                    "{name}: no generated value violated {}",
                    constraint.name
                ));
            }
        }
        total.tried += tally.tried;
        total.accepted += tally.accepted;
        total.disagreements.extend(tally.disagreements);
    }
    // Written to the stderr handle, not through `println!`, so that the
    // counts show in every run's log, not only with `--nocapture`.
    let summary = format!(
        "{report}\ndifferential test (PostgreSQL): {} specs, {} values tried, {} accepted, {} disagreements (seed {SEED:#x})\n",
        cases.len(),
        total.tried,
        total.accepted,
        total.disagreements.len()
    );
    std::io::stderr()
        .write_all(summary.as_bytes())
        .expect("write the summary to stderr");
    schema.drop().await;
    assert!(total.tried >= 100_000, "only {} values tried", total.tried);
    assert!(
        total.disagreements.is_empty(),
        "{} disagreements, first ones:\n{}",
        total.disagreements.len(),
        total
            .disagreements
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        coverage.is_empty(),
        "the generated values miss cases:\n{}",
        coverage.join("\n")
    );
}

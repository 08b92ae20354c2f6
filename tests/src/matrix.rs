//! The spec matrix, the value generator and the bookkeeping that every
//! differential test shares, so that each dialect is held to the same specs,
//! the same values and the same assertions.
//!
//! A dialect's test creates each [`Case`]'s table from the generated DDL,
//! sends it the values of [`generate`], turns what the database did with each
//! into a [`Verdict`] and hands it to [`Tally::record`], which compares it
//! with `validate()`; [`Summary::finish`] prints the counts and fails the test
//! on any disagreement or on a rule no value exercised.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

use money_core::{
    Decimal, Dialect, ExcessScale, MoneyModel, MoneySpec, Rule, Table, ValidationErrors,
};

/// One spec of the matrix: a model with an `id` primary key and one money
/// column, `amount`.
pub struct Case {
    /// The model's table description.
    pub table: &'static Table,
    /// The model's `create_table_sql`.
    pub create_table_sql: fn(Dialect) -> String,
    /// `validate()` of a model holding `amount`.
    pub validate: fn(Decimal) -> Result<(), ValidationErrors>,
}

impl Case {
    /// The spec of the `amount` column.
    pub fn spec(&self) -> &'static MoneySpec {
        self.table.columns()[1]
            .money_spec()
            .expect("column 1 is the amount")
    }

    /// The table's name.
    pub fn name(&self) -> &'static str {
        self.table.name()
    }

    /// Whether the spec rounds excess digits (rather than rejecting them).
    pub fn rounds(&self) -> bool {
        self.spec().on_excess_scale() == ExcessScale::Round
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

        /// Every spec of the matrix, in a fixed order.
        pub fn cases() -> Vec<Case> {
            vec![$(Case {
                table: $model::DEFINITION,
                create_table_sql: $model::create_table_sql,
                validate: |amount| $model { id: 0, amount }.validate(),
            }),*]
        }
    };
}

// Scale 0, precision 28, scale = precision, with and without bounds, both
// modes; the precision-18 specs sit at the edge of SQLite's 64-bit minor
// units and of a float's 53 bits.
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
    P18S4 "p18s4" [precision = 18, scale = 4];
    P18S18 "p18s18" [precision = 18, scale = 18, min = "-0.5"];
    P18S9Min "p18s9_min" [precision = 18, scale = 9, min = "0", max = "1000000"];
    P16S2Round "p16s2_round" [precision = 16, scale = 2, min = "-1000", max = "99999999999999.99", on_excess_scale = "round"];
}

/// Distinct values generated per spec before signs and trailing zeros; each
/// spec gets twice as many (`2 * VALUES_PER_SPEC`) values.
pub const VALUES_PER_SPEC: usize = 8_000;

/// The seed of the first spec's values; spec `i` uses `SEED + i`.
pub const SEED: u64 = 0x005E_ED0F_CA5E;

/// `10^exponent` for `exponent` in `-28..=28`.
fn power_of_ten(exponent: i32) -> Decimal {
    if exponent >= 0 {
        Decimal::from_i128_with_scale(10i128.pow(exponent as u32), 0)
    } else {
        Decimal::from_i128_with_scale(1, exponent.unsigned_abs())
    }
}

/// The values tried for the `index`-th case: [`generate`] seeded with
/// `SEED + index`.
pub fn values_for(case_index: usize, spec: &MoneySpec) -> Vec<Decimal> {
    let mut rng = fastrand::Rng::with_seed(SEED + case_index as u64);
    generate(spec, &mut rng)
}

/// Boundaries and one unit either side, midpoints at the scale and just off
/// them, trailing zeros, both signs, the extreme magnitudes, 28-digit values,
/// then random values of every scale and size, `2 * VALUES_PER_SPEC` in all.
pub fn generate(spec: &MoneySpec, rng: &mut fastrand::Rng) -> Vec<Decimal> {
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

/// What the database did with one value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted; the value as stored, read back exactly.
    Stored(Decimal),
    /// Refused by the named CHECK constraint.
    Violated(String),
    /// Anything else (another error, a violation without a name, an accepted
    /// value that cannot be read back exactly): always a disagreement.
    Other(String),
}

/// The counts of one case.
#[derive(Default)]
pub struct Tally {
    /// Values checked.
    pub tried: usize,
    /// Values the database accepted (and Rust too).
    pub accepted: usize,
    /// Accepted values where banker's rounding (`round_dp`) would have
    /// stored something else: proof the midpoints are exercised.
    pub half_even_would_differ: usize,
    /// Rejections by the constraint the database reported.
    pub rejected: BTreeMap<String, usize>,
    /// Violations by constraint, as `validate()` reported them (a value can
    /// break several rules; the database reports only one).
    pub violated: BTreeMap<String, usize>,
    /// One line per value where Rust and the database disagree.
    pub disagreements: Vec<String>,
}

impl Tally {
    /// Compares the database's `verdict` on `value` with `validate()`: both
    /// must accept, and the database must store exactly
    /// `spec.stored_value(value)`; or both must refuse, and the database must
    /// name a constraint that `validate()` reported. `path` says how the value
    /// reached the database, for the disagreement's line.
    pub fn record(&mut self, case: &Case, value: Decimal, verdict: Verdict, path: &str) {
        let spec = case.spec();
        self.tried += 1;
        let rust = (case.validate)(value);
        if let Err(errors) = &rust {
            for error in errors {
                *self
                    .violated
                    .entry(error.constraint().to_owned())
                    .or_default() += 1;
            }
        }
        let outcome = match (&rust, verdict) {
            (Ok(()), Verdict::Stored(stored)) => {
                self.accepted += 1;
                let expected = spec.stored_value(value);
                if value.round_dp(spec.scale()) != expected {
                    self.half_even_would_differ += 1;
                }
                (stored == expected)
                    .then_some(())
                    .ok_or_else(|| format!("stored {stored}, Rust expected {expected}"))
            }
            (Err(errors), Verdict::Violated(constraint)) => {
                let reported = errors.iter().any(|error| error.constraint() == constraint);
                *self.rejected.entry(constraint.clone()).or_default() += 1;
                reported.then_some(()).ok_or_else(|| {
                    format!("database violated {constraint}, Rust reported: {errors}")
                })
            }
            (rust, verdict) => Err(format!(
                "Rust {:?}, database {verdict:?}",
                rust.as_ref().map_err(|errors| errors.to_string())
            )),
        };
        if let Err(detail) = outcome {
            self.disagreements.push(format!(
                "{}: value {value} (scale {}) {path}: {detail}",
                case.name(),
                value.scale()
            ));
        }
    }
}

/// The counts of a whole run, printed and asserted by [`Summary::finish`].
pub struct Summary {
    dialect: String,
    specs: usize,
    report: String,
    tried: usize,
    accepted: usize,
    disagreements: Vec<String>,
    coverage: Vec<String>,
}

impl Summary {
    /// An empty summary for the test of `dialect` (a label such as
    /// `MariaDB 10.11.6`).
    pub fn new(dialect: impl Into<String>) -> Self {
        Summary {
            dialect: dialect.into(),
            specs: 0,
            report: String::new(),
            tried: 0,
            accepted: 0,
            disagreements: Vec::new(),
            coverage: Vec::new(),
        }
    }

    /// A line for a spec the dialect cannot store, with the reason; it counts
    /// nowhere else.
    pub fn exclude(&mut self, case: &Case, reason: &str) {
        writeln!(self.report, "{:<18} excluded: {reason}", case.name()).expect("write to a String");
    }

    /// Adds one case's tally, with `note` appended to its line, and checks
    /// that it exercised both verdicts, the midpoints of a rounding spec and
    /// every rule of the spec.
    pub fn add(&mut self, case: &Case, tally: Tally, note: &str) {
        let name = case.name();
        let rejected: usize = tally.rejected.values().sum();
        writeln!(
            self.report,
            "{name:<18} tried {:>6}  accepted {:>6}  rejected {:>6} {:?}{note}",
            tally.tried, tally.accepted, rejected, tally.rejected
        )
        .expect("write to a String");
        // Both verdicts and every rule must be exercised, or agreement
        // proves nothing.
        if tally.accepted < 100 || rejected < 100 {
            self.coverage
                .push(format!("{name}: too few accepted or rejected values"));
        }
        if case.rounds() && tally.half_even_would_differ < 10 {
            self.coverage.push(format!(
                "{name}: no accepted midpoint tells half away from zero from half to even"
            ));
        }
        for constraint in case.table.constraints() {
            // A Decimal holds at most 28 digits after the point: at scale 28
            // the scale CHECK only guards against other clients' values.
            let unreachable = constraint.rule == (Rule::Scale { scale: 28 });
            if !unreachable && !tally.violated.contains_key(&constraint.name) {
                self.coverage.push(format!(
                    "{name}: no generated value violated {}",
                    constraint.name
                ));
            }
        }
        self.specs += 1;
        self.tried += tally.tried;
        self.accepted += tally.accepted;
        self.disagreements.extend(tally.disagreements);
    }

    /// Prints the counts to stderr (in every run, not only with
    /// `--nocapture`), then fails unless at least 100,000 values were tried,
    /// none disagreed and every case exercised what [`Self::add`] asks.
    pub fn finish(self) {
        let summary = format!(
            "{}\ndifferential test ({}): {} specs, {} values tried, {} accepted, {} disagreements (seed {SEED:#x})\n",
            self.report,
            self.dialect,
            self.specs,
            self.tried,
            self.accepted,
            self.disagreements.len()
        );
        // Written to the stderr handle, not through `eprintln!`, which the
        // test harness captures.
        std::io::stderr()
            .write_all(summary.as_bytes())
            .expect("write the summary to stderr");
        assert!(self.tried >= 100_000, "only {} values tried", self.tried);
        assert!(
            self.disagreements.is_empty(),
            "{} disagreements, first ones:\n{}",
            self.disagreements.len(),
            self.disagreements
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(
            self.coverage.is_empty(),
            "the generated values miss cases:\n{}",
            self.coverage.join("\n")
        );
    }
}

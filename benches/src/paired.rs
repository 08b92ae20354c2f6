//! Interleaved comparisons: the sides of a comparison take turns, round
//! after round, so that a change of load on a shared machine hits every
//! side alike, and each round gives one ratio per side.
//!
//! A round runs every side once, each for `batch` calls, in an order that
//! rotates from round to round (A B C, B C A, C A B, ...). A side's result
//! is the median over rounds of its time per call; a ratio is the median
//! over rounds of that round's ratio to the first side (the baseline), with
//! the quartiles of those ratios. The first round only warms up.
//!
//! ```
//! use money_benches::paired::Paired;
//! let report = Paired::new("sum", 5, 100)
//!     .side("loop", |_| { std::hint::black_box((0..10u64).sum::<u64>()); })
//!     .side("formula", |_| { std::hint::black_box(10u64 * 9 / 2); })
//!     .run();
//! assert_eq!(report.sides.len(), 2);
//! assert!(report.sides[1].ratio.median > 0.0);
//! ```

use std::fmt;
use std::time::Instant;

type Call<'a> = Box<dyn FnMut(u64) + 'a>;

/// One comparison to run: its sides, rounds and batch size.
pub struct Paired<'a> {
    name: String,
    rounds: usize,
    batch: u64,
    rows_per_call: u64,
    setup: Option<Box<dyn FnMut() + 'a>>,
    sides: Vec<(String, u64, Call<'a>)>,
}

/// What a comparison measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// The comparison's name.
    pub name: String,
    /// Rounds measured (after the warm-up round).
    pub rounds: usize,
    /// Calls per side per round.
    pub batch: u64,
    /// Each side, the baseline first.
    pub sides: Vec<SideReport>,
}

/// One side's result.
#[derive(Clone, Debug)]
pub struct SideReport {
    /// What the side runs.
    pub label: String,
    /// Median over rounds of the time per call, in nanoseconds.
    pub median_ns: f64,
    /// Rows one call writes or reads (1 unless said).
    pub rows_per_call: u64,
    /// This side's time over the baseline's, per round: median and quartiles.
    pub ratio: Quartiles,
    /// This side's rows per second over the baseline's, per round (for
    /// sides that write or read rows): how many times faster per row.
    pub speedup_per_row: Quartiles,
    /// Time per call in each measured round, in nanoseconds.
    pub per_round_ns: Vec<f64>,
}

/// A median with its first and third quartiles.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quartiles {
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
}

impl Quartiles {
    /// Quartiles of `values` (nearest rank); zero when empty.
    pub fn of(values: &[f64]) -> Quartiles {
        if values.is_empty() {
            return Quartiles::default();
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let at = |fraction: f64| sorted[((sorted.len() - 1) as f64 * fraction).round() as usize];
        Quartiles {
            q1: at(0.25),
            median: at(0.5),
            q3: at(0.75),
        }
    }
}

impl<'a> Paired<'a> {
    /// A comparison of `rounds` measured rounds of `batch` calls per side.
    pub fn new(name: impl Into<String>, rounds: usize, batch: u64) -> Self {
        Paired {
            name: name.into(),
            rounds,
            batch,
            rows_per_call: 1,
            setup: None,
            sides: Vec::new(),
        }
    }

    /// Adds a side; the first one added is the baseline. `call` gets a
    /// number that is new at every call of this side.
    pub fn side(mut self, label: impl Into<String>, call: impl FnMut(u64) + 'a) -> Self {
        let rows = self.rows_per_call;
        self.sides.push((label.into(), rows, Box::new(call)));
        self
    }

    /// Rows that the sides added after this call write or read per call
    /// (for rows per second).
    pub fn rows_per_call(mut self, rows: u64) -> Self {
        self.rows_per_call = rows;
        self
    }

    /// Runs before every side's batch, outside the timing (such as a
    /// `TRUNCATE`).
    pub fn setup(mut self, setup: impl FnMut() + 'a) -> Self {
        self.setup = Some(Box::new(setup));
        self
    }

    /// Runs the rounds and reports.
    pub fn run(mut self) -> Report {
        let count = self.sides.len();
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); count];
        let mut counters = vec![0u64; count];
        for round in 0..=self.rounds {
            let mut this_round = vec![0.0; count];
            for offset in 0..count {
                let index = (round + offset) % count;
                if let Some(setup) = self.setup.as_mut() {
                    setup();
                }
                let (_, _, call) = &mut self.sides[index];
                let started = Instant::now();
                for _ in 0..self.batch {
                    call(counters[index]);
                    counters[index] += 1;
                }
                this_round[index] = started.elapsed().as_nanos() as f64 / self.batch as f64;
            }
            if round > 0 {
                for (side, time) in this_round.into_iter().enumerate() {
                    times[side].push(time);
                }
            }
        }
        let baseline = &times[0];
        let baseline_rows = self.sides[0].1 as f64;
        let sides = self
            .sides
            .iter()
            .zip(&times)
            .map(|((label, rows, _), own)| {
                let ratios: Vec<f64> = own.iter().zip(baseline).map(|(a, b)| a / b).collect();
                let speedups: Vec<f64> = own
                    .iter()
                    .zip(baseline)
                    .map(|(a, b)| (*rows as f64 / a) / (baseline_rows / b))
                    .collect();
                SideReport {
                    label: label.clone(),
                    median_ns: Quartiles::of(own).median,
                    rows_per_call: *rows,
                    ratio: Quartiles::of(&ratios),
                    speedup_per_row: Quartiles::of(&speedups),
                    per_round_ns: own.clone(),
                }
            })
            .collect();
        Report {
            name: self.name,
            rounds: self.rounds,
            batch: self.batch,
            sides,
        }
    }
}

impl Report {
    /// Rows per second of side `of` over those of side `to`, round by round
    /// (sides by index, in the order they were added).
    pub fn speedup_per_row(&self, of: usize, to: usize) -> Quartiles {
        let (of, to) = (&self.sides[of], &self.sides[to]);
        let speedups: Vec<f64> = of
            .per_round_ns
            .iter()
            .zip(&to.per_round_ns)
            .map(|(a, b)| (of.rows_per_call as f64 / a) / (to.rows_per_call as f64 / b))
            .collect();
        Quartiles::of(&speedups)
    }
}

/// A duration in a readable unit.
fn duration(nanos: f64) -> String {
    if nanos < 1e3 {
        format!("{nanos:.1} ns")
    } else if nanos < 1e6 {
        format!("{:.2} µs", nanos / 1e3)
    } else if nanos < 1e9 {
        format!("{:.2} ms", nanos / 1e6)
    } else {
        format!("{:.3} s", nanos / 1e9)
    }
}

impl fmt::Display for Report {
    /// A markdown table: side, median time per call, rows/s where rows are
    /// written, and the ratio to the baseline with its quartiles.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "### {} ({} rounds x {} calls per side, interleaved)\n",
            self.name, self.rounds, self.batch
        )?;
        let with_rows = self.sides.iter().any(|side| side.rows_per_call > 1);
        if with_rows {
            writeln!(
                f,
                "| side | median per call | rows/s | rows/s vs baseline (q1-q3) |"
            )?;
            writeln!(f, "|---|---:|---:|---:|")?;
        } else {
            writeln!(f, "| side | median per call | time vs baseline (q1-q3) |")?;
            writeln!(f, "|---|---:|---:|")?;
        }
        for side in &self.sides {
            if with_rows {
                let rows_per_second = side.rows_per_call as f64 / (side.median_ns / 1e9);
                let speedup = side.speedup_per_row;
                writeln!(
                    f,
                    "| {} ({} rows) | {} | {:.0} | {:.2}x ({:.2}-{:.2}) |",
                    side.label,
                    side.rows_per_call,
                    duration(side.median_ns),
                    rows_per_second,
                    speedup.median,
                    speedup.q1,
                    speedup.q3
                )?;
            } else {
                let ratio = side.ratio;
                writeln!(
                    f,
                    "| {} | {} | {:.3} ({:.3}-{:.3}) |",
                    side.label,
                    duration(side.median_ns),
                    ratio.median,
                    ratio.q1,
                    ratio.q3
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles() {
        let q = Quartiles::of(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!((q.q1, q.median, q.q3), (2.0, 3.0, 4.0));
    }

    #[test]
    fn every_side_runs_every_round_with_fresh_numbers() {
        let mut seen_a = Vec::new();
        let mut seen_b = Vec::new();
        let mut setups = 0;
        let report = Paired::new("t", 3, 2)
            .setup(|| setups += 1)
            .side("a", |n| seen_a.push(n))
            .rows_per_call(10)
            .side("b", |n| seen_b.push(n))
            .run();
        assert_eq!(report.sides[1].rows_per_call, 10);
        drop(report);
        assert_eq!(seen_a, (0..8).collect::<Vec<_>>());
        assert_eq!(seen_b, (0..8).collect::<Vec<_>>());
        assert_eq!(setups, 8);
    }
}

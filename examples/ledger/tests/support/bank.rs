//! The bank tests' shared pieces (`tests/bank.rs`, `bank_failover.rs`,
//! `bank_galera.rs`): the workload (a transfer drawn at random, its
//! submission and outcome, a worker, the resolution of unknown outcomes) and
//! the checker: what a run recorded ([`History`]), what the database holds
//! afterwards ([`State`]), and every invariant the two must satisfy
//! ([`check`]), as a list of violations. The checker takes any state, so
//! that `bank_checker.rs` can feed it corrupted ones and see each check
//! fail.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::time::{Duration, Instant};

use money_ledger::{Ledger, LedgerDatabase, LedgerError, Posted};
use money_sqlx::AsConnection;
use rust_decimal::Decimal;
use sqlx::Database;

/// A transfer's payload as the client submitted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    /// Debit account.
    pub from: i64,
    /// Credit account.
    pub to: i64,
    /// Amount.
    pub amount: Decimal,
}

impl Submitted {
    /// A fresh transfer of a worker: two distinct accounts of `1..=accounts`
    /// and 0.01 to `max_cents` / 100, drawn from `rng` in that order.
    pub fn random(rng: &mut fastrand::Rng, accounts: i64, max_cents: i64) -> Submitted {
        let from = rng.i64(1..=accounts);
        let mut to = rng.i64(1..accounts);
        if to >= from {
            to += 1;
        }
        Submitted {
            from,
            to,
            amount: Decimal::new(rng.i64(1..=max_cents), 2),
        }
    }
}

/// What submitting a fresh transfer came to, as the workers log it.
#[derive(Debug)]
pub enum Outcome {
    /// Booked now.
    Booked(Posted),
    /// Reported as a replay, which a fresh id never is: a violation.
    Replayed(Posted),
    /// Lost at commit, or past the time limit: resolved later by
    /// resubmitting.
    Unknown,
    /// Refused.
    Failed(LedgerError),
}

/// Submits `submitted` as the fresh transfer `transfer_id`, giving up
/// waiting after `limit` (an unknown outcome).
pub async fn submit_fresh<DB: LedgerDatabase>(
    ledger: &Ledger<DB>,
    transfer_id: i64,
    submitted: &Submitted,
    limit: Duration,
) -> Outcome {
    let transfer = ledger.transfer(transfer_id, submitted.from, submitted.to, submitted.amount);
    match tokio::time::timeout(limit, transfer).await {
        Ok(Ok(posted)) if posted.replayed => Outcome::Replayed(posted),
        Ok(Ok(posted)) => Outcome::Booked(posted),
        Ok(Err(LedgerError::OutcomeUnknown { .. })) | Err(_) => Outcome::Unknown,
        Ok(Err(error)) => Outcome::Failed(error),
    }
}

/// What one worker of a failover or cluster run saw.
#[derive(Debug, Default)]
pub struct WorkerLog {
    /// Booked, with the payload.
    pub ok: Vec<(i64, Submitted)>,
    /// When each ok was acknowledged.
    pub acknowledged: Vec<Instant>,
    /// Refused, with the reason.
    pub failed: Vec<(i64, String)>,
    /// Outcome unknown.
    pub unknown: Vec<(i64, Submitted)>,
    /// Attempts beyond the first of the booked transfers.
    pub retries: u64,
    /// What broke an invariant on the spot.
    pub violations: Vec<String>,
}

/// What every worker of a run shares.
#[derive(Clone, Copy)]
pub struct Workload {
    /// The run's seed; each worker's generator mixes in its index.
    pub seed: u64,
    /// Accounts `1..=accounts`.
    pub accounts: i64,
    /// The largest amount, in cents.
    pub max_cents: i64,
    /// How long a submission may take before its outcome counts as unknown.
    pub limit: Duration,
    /// A refusal, by kind, for the report.
    pub failure_reason: fn(&LedgerError) -> String,
}

/// A worker of a run: fresh transfers on `ledger` until `stop`, with ids
/// `(index + 1) * 10,000,000 + n` and payloads drawn from a generator
/// seeded by the run's seed and `index`.
pub async fn worker<DB: LedgerDatabase>(
    index: usize,
    ledger: Ledger<DB>,
    stop: Instant,
    workload: Workload,
) -> WorkerLog {
    let mut rng =
        fastrand::Rng::with_seed(workload.seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9));
    let mut log = WorkerLog::default();
    let first_id = (index as i64 + 1) * 10_000_000;
    let mut sequence = 0;
    while Instant::now() < stop {
        sequence += 1;
        let transfer_id = first_id + sequence;
        let submitted = Submitted::random(&mut rng, workload.accounts, workload.max_cents);
        match submit_fresh(&ledger, transfer_id, &submitted, workload.limit).await {
            Outcome::Replayed(posted) => log.violations.push(format!(
                "fresh transfer {transfer_id} reported as a replay: {posted:?}"
            )),
            Outcome::Booked(posted) => {
                log.retries += u64::from(posted.attempts - 1);
                log.ok.push((transfer_id, submitted));
                log.acknowledged.push(Instant::now());
            }
            Outcome::Unknown => log.unknown.push((transfer_id, submitted)),
            Outcome::Failed(error) => log
                .failed
                .push((transfer_id, (workload.failure_reason)(&error))),
        }
    }
    log
}

/// How long a run lasts: `BANK_SECONDS`, else `default` seconds, within
/// `min..=600`.
pub fn run_length(default: u64, min: u64) -> Duration {
    let seconds = std::env::var("BANK_SECONDS")
        .ok()
        .and_then(|value| value.trim().parse::<u64>().ok())
        .unwrap_or(default);
    Duration::from_secs(seconds.clamp(min, 600))
}

/// Creates the ledger's tables and opens accounts `1..=count`, each with
/// `balance` of `currency` ([`super::open_accounts`]): the initial balances
/// by id, for [`History`].
///
/// # Panics
///
/// When a table or an account cannot be created.
pub async fn open_bank<DB: LedgerDatabase>(
    ledger: &Ledger<DB>,
    count: i64,
    currency: &str,
    balance: Decimal,
) -> BTreeMap<i64, Decimal> {
    let text = balance.to_string();
    let accounts: Vec<(i64, &str, &str)> = (1..=count)
        .map(|id| (id, currency, text.as_str()))
        .collect();
    super::open_accounts(ledger, &accounts).await;
    (1..=count).map(|id| (id, balance)).collect()
}

/// The workers' logs of a run, merged: what [`resolve`] and the report need
/// besides the [`History`].
#[derive(Debug, Default)]
pub struct Merged {
    /// Outcome unknown, to resolve.
    pub unknown: Vec<(i64, Submitted)>,
    /// Refusals, counted by reason.
    pub failure_reasons: BTreeMap<String, usize>,
    /// Attempts beyond the first of the booked transfers.
    pub retries: u64,
    /// What broke an invariant on the spot.
    pub violations: Vec<String>,
}

impl Merged {
    /// Adds `log` to `history` and to these, and returns when each of its
    /// booked transfers was acknowledged (for a run's phases).
    pub fn absorb(&mut self, history: &mut History, log: WorkerLog) -> Vec<Instant> {
        history.ok.extend(log.ok);
        for (transfer_id, reason) in log.failed {
            history.failed.insert(transfer_id);
            *self.failure_reasons.entry(reason).or_default() += 1;
        }
        self.unknown.extend(log.unknown);
        self.retries += log.retries;
        self.violations.extend(log.violations);
        log.acknowledged
    }
}

/// How the unknown outcomes were resolved.
#[derive(Debug, Default)]
pub struct Resolution {
    /// Replayed: they had been booked.
    pub had_committed: usize,
    /// They had not, and are booked now.
    pub booked_now: usize,
    /// They had not, and are refused now (insufficient funds).
    pub refused_now: usize,
    /// No definite answer after every try.
    pub unresolved: usize,
}

impl fmt::Display for Resolution {
    /// The report's line: "unknown resolved by resubmitting the same id: ...".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown resolved by resubmitting the same id: {} had been booked (replayed), \
             {} had not (booked now), {} had not (refused now), {} unresolved",
            self.had_committed, self.booked_now, self.refused_now, self.unresolved
        )
    }
}

/// Resubmits every unknown transfer with its payload, up to `tries` times
/// of at most `limit` each, until the ledger gives a definite answer: a
/// replay (it had been booked), a booking (it had not, and is booked now)
/// or a refusal for lack of funds (it had not: the idempotency check
/// passed, so no row held its id). Records each answer in `history`; a
/// conflict with what is stored is a violation.
pub async fn resolve<DB: LedgerDatabase>(
    ledger: &Ledger<DB>,
    unknown: &[(i64, Submitted)],
    tries: usize,
    limit: Duration,
    history: &mut History,
    violations: &mut Vec<String>,
) -> Resolution {
    let mut resolution = Resolution::default();
    'transfers: for (transfer_id, submitted) in unknown {
        for _ in 0..tries {
            let transfer =
                ledger.transfer(*transfer_id, submitted.from, submitted.to, submitted.amount);
            match tokio::time::timeout(limit, transfer).await {
                Ok(Ok(posted)) => {
                    if posted.replayed {
                        resolution.had_committed += 1;
                    } else {
                        resolution.booked_now += 1;
                    }
                    history.ok.insert(*transfer_id, submitted.clone());
                    continue 'transfers;
                }
                Ok(Err(LedgerError::BelowMinimum { .. })) => {
                    resolution.refused_now += 1;
                    history.failed.insert(*transfer_id);
                    continue 'transfers;
                }
                Ok(Err(LedgerError::IdConflict { existing, .. })) => {
                    violations.push(format!(
                        "unknown transfer {transfer_id} ({submitted:?}) conflicts with what is stored: {existing:?}"
                    ));
                    continue 'transfers;
                }
                Ok(Err(_)) | Err(_) => {}
            }
        }
        resolution.unresolved += 1;
    }
    resolution
}

/// What the clients saw, once unknown outcomes are resolved.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Each account's balance before the run.
    pub initial: BTreeMap<i64, Decimal>,
    /// The minimum balance every account declares.
    pub minimum: Decimal,
    /// Transfers known to be booked, with the payload submitted.
    pub ok: BTreeMap<i64, Submitted>,
    /// Transfers known not to be booked (rolled back).
    pub failed: BTreeSet<i64>,
    /// Every successful read: `(account, balance)` by account.
    pub reads: Vec<Vec<(i64, Decimal)>>,
}

/// One journal entry row, read without the model's validation so that a
/// corrupted value is seen rather than refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRow {
    /// Transfer.
    pub transfer_id: i64,
    /// Leg.
    pub leg: i16,
    /// Account.
    pub account_id: i64,
    /// Currency.
    pub currency: String,
    /// Signed amount.
    pub amount: Decimal,
}

/// The ledger's tables after the run.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// `(id, balance)` of every account.
    pub accounts: Vec<(i64, Decimal)>,
    /// `(transfer_id, debit, credit, amount)` of every stored transfer.
    pub transfers: Vec<(i64, i64, i64, Decimal)>,
    /// Every journal entry.
    pub entries: Vec<EntryRow>,
}

impl fmt::Display for State {
    /// The report's count: "N accounts, N transfers stored, N journal
    /// entries".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} accounts, {} transfers stored, {} journal entries",
            self.accounts.len(),
            self.transfers.len(),
            self.entries.len()
        )
    }
}

/// Reads the ledger's tables on `connection`: a PostgreSQL or MariaDB/MySQL
/// connection, a pooled one or an open transaction (run it inside a
/// REPEATABLE READ or SERIALIZABLE transaction for one snapshot). The statements name the tables and columns unquoted
/// (all lowercase), which both dialects read alike, so one reader serves
/// both and [`check`] judges either database's state.
///
/// # Errors
///
/// The database's error.
pub async fn load_state<C>(connection: &mut C) -> Result<State, sqlx::Error>
where
    C: AsConnection + ?Sized,
    for<'e> &'e mut <C::Database as Database>::Connection:
        sqlx::Executor<'e, Database = C::Database>,
    for<'r> (i64, Decimal): sqlx::FromRow<'r, <C::Database as Database>::Row>,
    for<'r> (i64, i64, i64, Decimal): sqlx::FromRow<'r, <C::Database as Database>::Row>,
    for<'r> (i64, i16, i64, String, Decimal): sqlx::FromRow<'r, <C::Database as Database>::Row>,
    <C::Database as Database>::Arguments: sqlx::IntoArguments<C::Database>,
{
    let connection = connection.as_connection();
    let accounts = sqlx::query_as("SELECT id, balance FROM accounts ORDER BY id")
        .fetch_all(&mut *connection)
        .await?;
    let transfers = sqlx::query_as(
        "SELECT transfer_id, debit_account_id, credit_account_id, amount
            FROM transfers ORDER BY transfer_id",
    )
    .fetch_all(&mut *connection)
    .await?;
    let entries: Vec<(i64, i16, i64, String, Decimal)> = sqlx::query_as(
        "SELECT transfer_id, leg, account_id, currency, amount
            FROM journal_entries ORDER BY transfer_id, leg",
    )
    .fetch_all(&mut *connection)
    .await?;
    let entries = entries
        .into_iter()
        .map(
            |(transfer_id, leg, account_id, currency, amount)| EntryRow {
                transfer_id,
                leg,
                account_id,
                currency,
                amount,
            },
        )
        .collect();
    Ok(State {
        accounts,
        transfers,
        entries,
    })
}

/// At most this many violations of one kind are listed; the rest are
/// counted.
const LISTED: usize = 5;

/// Collects violations, listing a few of each kind.
#[derive(Default)]
struct Violations {
    kinds: BTreeMap<&'static str, (usize, String)>,
}

impl Violations {
    fn add(&mut self, kind: &'static str, detail: String) {
        let (count, listed) = self.kinds.entry(kind).or_default();
        *count += 1;
        if *count <= LISTED {
            let _ = write!(listed, "\n    {detail}");
        }
    }

    fn into_list(self) -> Vec<String> {
        self.kinds
            .into_iter()
            .map(|(kind, (count, listed))| format!("{kind}: {count} violation(s){listed}"))
            .collect()
    }
}

/// Every invariant of the bank workload, as violations (empty when all
/// hold):
///
/// - every read and the final state hold exactly the initial accounts and
///   the initial total, and no balance below the minimum;
/// - each transfer's entries sum to zero (per currency), and so do all
///   entries; each transfer has exactly one debit leg (0) and one credit leg
///   (1) matching its stored payload, and no entry lacks its transfer;
/// - each balance is its initial balance plus its entries;
/// - each transfer id is stored at most once and applied once (two legs);
/// - every ok id is stored with the payload submitted, every failed id is
///   absent, and nothing is stored that no client saw succeed.
pub fn check(history: &History, state: &State) -> Vec<String> {
    let mut violations = Violations::default();
    let total: Decimal = history.initial.values().copied().sum();
    let ids: Vec<i64> = history.initial.keys().copied().collect();

    let check_balances = |what: &str, balances: &[(i64, Decimal)], violations: &mut Violations| {
        let seen: Vec<i64> = balances.iter().map(|(id, _)| *id).collect();
        if seen != ids {
            violations.add(
                "account set differs from the initial one",
                format!("{what}: accounts {seen:?}, expected {ids:?}"),
            );
        }
        let sum: Decimal = balances.iter().map(|(_, balance)| *balance).sum();
        if sum != total {
            violations.add(
                "total differs from the initial total",
                format!("{what}: total {sum}, expected {total}"),
            );
        }
        for (id, balance) in balances {
            if *balance < history.minimum {
                violations.add(
                    "balance below its minimum",
                    format!("{what}: account {id} holds {balance} < {}", history.minimum),
                );
            }
        }
    };
    for (index, read) in history.reads.iter().enumerate() {
        check_balances(&format!("read {index}"), read, &mut violations);
    }
    check_balances("final state", &state.accounts, &mut violations);

    // Entries: balanced per transfer and overall, two legs matching the
    // stored payload, no orphans.
    let stored: BTreeMap<i64, (i64, i64, Decimal)> = state
        .transfers
        .iter()
        .map(|(id, from, to, amount)| (*id, (*from, *to, *amount)))
        .collect();
    if stored.len() != state.transfers.len() {
        violations.add(
            "transfer id stored more than once",
            format!("{} rows, {} ids", state.transfers.len(), stored.len()),
        );
    }
    let mut legs: BTreeMap<i64, Vec<&EntryRow>> = BTreeMap::new();
    let mut overall: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut per_account: BTreeMap<i64, Decimal> = BTreeMap::new();
    for entry in &state.entries {
        legs.entry(entry.transfer_id).or_default().push(entry);
        *overall.entry(entry.currency.as_str()).or_default() += entry.amount;
        *per_account.entry(entry.account_id).or_default() += entry.amount;
    }
    for (currency, sum) in &overall {
        if !sum.is_zero() {
            violations.add(
                "entries do not sum to zero overall",
                format!("{currency}: {sum}"),
            );
        }
    }
    for (transfer_id, entries) in &legs {
        let mut sums: BTreeMap<&str, Decimal> = BTreeMap::new();
        for entry in entries {
            *sums.entry(entry.currency.as_str()).or_default() += entry.amount;
        }
        if sums.values().any(|sum| !sum.is_zero()) {
            violations.add(
                "entries of a transfer do not sum to zero",
                format!("transfer {transfer_id}: {sums:?}"),
            );
        }
        let Some((from, to, amount)) = stored.get(transfer_id) else {
            violations.add(
                "entries without a stored transfer",
                format!("transfer {transfer_id}: {} entries", entries.len()),
            );
            continue;
        };
        let shape: Vec<(i16, i64, Decimal)> = entries
            .iter()
            .map(|entry| (entry.leg, entry.account_id, entry.amount))
            .collect();
        if shape.len() > 2 {
            violations.add(
                "transfer applied more than once",
                format!("transfer {transfer_id}: legs {shape:?}"),
            );
        } else if shape != [(0, *from, -*amount), (1, *to, *amount)] {
            violations.add(
                "entries do not match the transfer",
                format!("transfer {transfer_id} ({from} -> {to}, {amount}): legs {shape:?}"),
            );
        }
    }
    for transfer_id in stored.keys() {
        if !legs.contains_key(transfer_id) {
            violations.add(
                "stored transfer without entries",
                format!("transfer {transfer_id}"),
            );
        }
    }

    // Balances against their entries.
    for (id, balance) in &state.accounts {
        let initial = history.initial.get(id).copied().unwrap_or_default();
        let moved = per_account.get(id).copied().unwrap_or_default();
        if *balance != initial + moved {
            violations.add(
                "balance differs from initial balance plus entries",
                format!("account {id}: {balance} != {initial} + {moved}"),
            );
        }
    }

    // Outcomes against what is stored.
    for (transfer_id, submitted) in &history.ok {
        match stored.get(transfer_id) {
            None => violations.add("ok transfer absent", format!("transfer {transfer_id}")),
            Some(&(from, to, amount))
                if (from, to, amount) != (submitted.from, submitted.to, submitted.amount) =>
            {
                violations.add(
                    "ok transfer stored with another payload",
                    format!("transfer {transfer_id}: stored ({from}, {to}, {amount}), submitted {submitted:?}"),
                );
            }
            Some(_) => {}
        }
    }
    for transfer_id in &history.failed {
        if stored.contains_key(transfer_id) || legs.contains_key(transfer_id) {
            violations.add("failed transfer present", format!("transfer {transfer_id}"));
        }
        if history.ok.contains_key(transfer_id) {
            violations.add(
                "transfer both ok and failed",
                format!("transfer {transfer_id}"),
            );
        }
    }
    for transfer_id in stored.keys() {
        if !history.ok.contains_key(transfer_id) && !history.failed.contains(transfer_id) {
            violations.add(
                "stored transfer that no client saw succeed",
                format!("transfer {transfer_id}"),
            );
        }
    }
    violations.into_list()
}

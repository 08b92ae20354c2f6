//! A `tracing` recorder for the `transaction` helper's events and outcome, shared by the
//! transaction tests (`#[path = "support/records.rs"] mod records;`).
//!
//! `tracing` caches per call site whether anyone listens, and with a thread-local default
//! subscriber that cache can be filled from another test's thread, which has none. So one
//! router is the global subscriber and hands each record to the [`Records`] installed on the
//! current thread, if any. Use it from a current-thread runtime, where every task of the test
//! runs on the test's thread.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, Once};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

/// An event's fields, as `(name, value)`.
type EventFields = Vec<(String, String)>;

/// The `transaction` events and the fields of the last `transaction` span, as strings.
#[derive(Clone, Default)]
pub struct Records {
    events: Arc<Mutex<Vec<EventFields>>>,
    outcome: Arc<Mutex<Option<String>>>,
}

struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
}

thread_local! {
    static THREAD_RECORDS: RefCell<Option<Records>> = const { RefCell::new(None) };
}

/// The global layer: forwards to the current thread's [`Records`].
struct Router;

impl<S: tracing::Subscriber> Layer<S> for Router {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        THREAD_RECORDS.with(|slot| {
            if let Some(records) = slot.borrow().as_ref() {
                records.event(event);
            }
        });
    }
    fn on_record(
        &self,
        _: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: Context<'_, S>,
    ) {
        THREAD_RECORDS.with(|slot| {
            if let Some(records) = slot.borrow().as_ref() {
                records.record(values);
            }
        });
    }
}

/// Removes the thread's [`Records`] when dropped.
pub struct RecordsGuard;

impl Drop for RecordsGuard {
    fn drop(&mut self) {
        THREAD_RECORDS.with(|slot| slot.borrow_mut().take());
    }
}

impl Records {
    fn event(&self, event: &tracing::Event<'_>) {
        if event
            .metadata()
            .target()
            .starts_with("money_sqlx::transaction")
        {
            let mut fields = Fields(Vec::new());
            event.record(&mut fields);
            self.events.lock().unwrap().push(fields.0);
        }
    }

    fn record(&self, values: &tracing::span::Record<'_>) {
        let mut fields = Fields(Vec::new());
        values.record(&mut fields);
        for (name, value) in fields.0 {
            if name == "outcome" {
                *self.outcome.lock().unwrap() = Some(value);
            }
        }
    }
}

impl Records {
    /// Installs the recorder on this thread (the tests run on a current-thread runtime).
    pub fn install() -> (Self, RecordsGuard) {
        static ROUTER: Once = Once::new();
        ROUTER.call_once(|| {
            tracing::subscriber::set_global_default(Registry::default().with(Router))
                .expect("no other global tracing subscriber in this test binary");
        });
        let records = Self::default();
        THREAD_RECORDS.with(|slot| *slot.borrow_mut() = Some(records.clone()));
        (records, RecordsGuard)
    }

    /// The retry events, as `(phase, reason, sqlstate)`.
    pub fn retries(&self) -> Vec<(String, String, String)> {
        let field = |event: &[(String, String)], name: &str| {
            event
                .iter()
                .find(|(field, _)| field == name)
                .map(|(_, value)| value.clone())
                .unwrap_or_default()
        };
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|event| field(event, "message").contains("retrying"))
            .map(|event| {
                (
                    field(event, "phase"),
                    field(event, "reason"),
                    field(event, "sqlstate"),
                )
            })
            .collect()
    }

    pub fn outcome(&self) -> Option<String> {
        self.outcome.lock().unwrap().clone()
    }
}

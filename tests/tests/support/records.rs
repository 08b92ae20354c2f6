//! A `tracing` recorder for the `transaction` helper's events and outcome, shared by the
//! transaction tests (`#[path = "support/records.rs"] mod records;`).

use std::sync::{Arc, Mutex};

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

impl<S: tracing::Subscriber> Layer<S> for Records {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
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
    fn on_record(
        &self,
        _: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: Context<'_, S>,
    ) {
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
    pub fn install() -> (Self, tracing::subscriber::DefaultGuard) {
        let records = Self::default();
        let guard = tracing::subscriber::set_default(Registry::default().with(records.clone()));
        (records, guard)
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

//! A `timestamptz` column without a date-time crate: microseconds since the
//! Unix epoch, which is exactly what PostgreSQL stores.
//!
//! The workspace has neither `chrono` nor `time`, and the ledger only needs
//! to store an instant, compare two and print one; PostgreSQL does the clock
//! arithmetic that matters (`now()` of the transaction) itself.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{
    PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueFormat, PgValueRef, Postgres,
};
use sqlx::{Decode, Encode, Type};

/// Microseconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01 UTC.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// `timestamptz`'s OID, fixed for built-in types.
const TIMESTAMPTZ_OID: u32 = 1184;
/// `timestamptz[]`'s OID.
const TIMESTAMPTZ_ARRAY_OID: u32 = 1185;

/// An instant with microsecond resolution, stored as `timestamptz`.
///
/// ```
/// use money_ledger::Timestamp;
///
/// let instant = Timestamp::from_unix_micros(1_700_000_000_123_456);
/// assert_eq!(instant.to_string(), "2023-11-14T22:13:20.123456Z");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    unix_micros: i64,
}

impl Timestamp {
    /// The instant `unix_micros` microseconds after 1970-01-01T00:00:00Z.
    pub const fn from_unix_micros(unix_micros: i64) -> Self {
        Self { unix_micros }
    }

    /// Microseconds since 1970-01-01T00:00:00Z.
    pub const fn unix_micros(self) -> i64 {
        self.unix_micros
    }

    /// This machine's clock. The ledger compares rates against the
    /// database's clock instead (`now()` of the transaction), so that two
    /// clocks never meet in one comparison.
    pub fn now_local() -> Self {
        let micros = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(elapsed) => i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_micros())
                .map(|micros| -micros)
                .unwrap_or(i64::MIN),
        };
        Self::from_unix_micros(micros)
    }

    /// `self - duration`, or `None` when out of range.
    pub fn checked_sub(self, duration: Duration) -> Option<Self> {
        let micros = i64::try_from(duration.as_micros()).ok()?;
        self.unix_micros
            .checked_sub(micros)
            .map(Self::from_unix_micros)
    }

    /// How long after `earlier` this instant is; `None` when it is before.
    pub fn duration_since(self, earlier: Self) -> Option<Duration> {
        let micros = self.unix_micros.checked_sub(earlier.unix_micros)?;
        u64::try_from(micros).ok().map(Duration::from_micros)
    }
}

/// ISO 8601 in UTC with microseconds, `2023-11-14T22:13:20.123456Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.unix_micros.div_euclid(1_000_000);
        let micros = self.unix_micros.rem_euclid(1_000_000);
        let days = seconds.div_euclid(86_400);
        let second_of_day = seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            formatter,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
            second_of_day / 3600,
            second_of_day % 3600 / 60,
            second_of_day % 60
        )
    }
}

/// Year, month, day of the proleptic Gregorian calendar for a count of days
/// since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(TIMESTAMPTZ_OID))
    }
}

impl PgHasArrayType for Timestamp {
    fn array_type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(TIMESTAMPTZ_ARRAY_OID))
    }
}

impl Encode<'_, Postgres> for Timestamp {
    fn encode_by_ref(&self, buffer: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        let postgres_micros = self
            .unix_micros
            .checked_sub(POSTGRES_EPOCH_MICROS)
            .ok_or("timestamp out of timestamptz's range")?;
        buffer.extend_from_slice(&postgres_micros.to_be_bytes());
        Ok(IsNull::No)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        match value.format() {
            PgValueFormat::Binary => {
                let bytes: [u8; 8] = value
                    .as_bytes()?
                    .try_into()
                    .map_err(|_| "a binary timestamptz is 8 bytes")?;
                let postgres_micros = i64::from_be_bytes(bytes);
                // `infinity` and `-infinity` are i64::MAX and i64::MIN.
                if postgres_micros == i64::MAX || postgres_micros == i64::MIN {
                    return Err("an infinite timestamptz is not an instant".into());
                }
                postgres_micros
                    .checked_add(POSTGRES_EPOCH_MICROS)
                    .map(Self::from_unix_micros)
                    .ok_or_else(|| "timestamptz out of range".into())
            }
            PgValueFormat::Text => Err(
                "timestamptz in text format (a simple-protocol query) is not supported: \
                 read it with a prepared query"
                    .into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_utc_with_microseconds() {
        assert_eq!(
            Timestamp::from_unix_micros(0).to_string(),
            "1970-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            Timestamp::from_unix_micros(POSTGRES_EPOCH_MICROS).to_string(),
            "2000-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            Timestamp::from_unix_micros(-1).to_string(),
            "1969-12-31T23:59:59.999999Z"
        );
        // A leap day.
        assert_eq!(
            Timestamp::from_unix_micros(1_709_164_800_000_000).to_string(),
            "2024-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn durations_between_instants() {
        let earlier = Timestamp::from_unix_micros(1_000_000);
        let later = Timestamp::from_unix_micros(3_500_000);
        assert_eq!(
            later.duration_since(earlier),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(earlier.duration_since(later), None);
        assert_eq!(
            later.checked_sub(Duration::from_millis(2500)),
            Some(earlier)
        );
        assert_eq!(
            Timestamp::from_unix_micros(i64::MIN).checked_sub(Duration::from_micros(1)),
            None
        );
    }
}

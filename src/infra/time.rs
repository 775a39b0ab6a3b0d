//! Time helpers: the database keeps naive UTC, the wire speaks RFC 3339.

use chrono::{DateTime, NaiveDateTime, Utc};

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// The years the server answers about. A date outside them is the client's mistake (400
/// `date_out_of_range`), never an overflow in date arithmetic or a database error.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

pub fn check_day(
    d: chrono::NaiveDate,
    field: &str,
) -> Result<chrono::NaiveDate, crate::infra::error::AppError> {
    use chrono::Datelike;
    if YEARS.contains(&d.year()) {
        Ok(d)
    } else {
        Err(out_of_range(field))
    }
}

pub fn check_instant(
    t: DateTime<Utc>,
    field: &str,
) -> Result<DateTime<Utc>, crate::infra::error::AppError> {
    check_day(t.date_naive(), field).map(|_| t)
}

fn out_of_range(field: &str) -> crate::infra::error::AppError {
    crate::infra::error::AppError::bad_request(
        crate::infra::error::Code::DateOutOfRange,
        format!(
            "`{field}` must be between {}-01-01 and {}-12-31",
            YEARS.start(),
            YEARS.end()
        ),
    )
}

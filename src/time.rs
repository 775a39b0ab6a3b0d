//! Time helpers: the database keeps naive UTC, the wire speaks RFC 3339.

use chrono::{DateTime, NaiveDateTime, Utc};

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

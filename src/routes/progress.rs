//! Progress: totals, streaks and accuracy; day-by-day and week views; study pages; the
//! parent's dashboard; the weekly report. All of it reads the daily progress rows the group
//! commit keeps up to date, never the whole answer history.

pub mod dashboard;
pub mod days;
pub mod pages;
pub mod report;
pub mod summary;

use utoipa_actix_web::service_config::ServiceConfig;

pub use self::days::{parse_week, week_of};
pub use crate::progress::Totals;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(summary::progress)
        .service(days::daily)
        .service(days::weekly)
        .service(pages::pages)
        .service(report::report_pdf)
        .service(report::report_csv)
        .service(dashboard::dashboard);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    #[test]
    fn iso_weeks() {
        assert_eq!(parse_week("2026-W47").ok(), Some((d(16), d(22))));
        assert_eq!(week_of(d(22)), "2026-W47");
        assert_eq!(parse_week("2026-47").unwrap_err().code, "validation_failed");
        assert!(parse_week("2026-W60").is_err());
        for far in ["262143-W01", "262142-W52", "-5-W01", "1969-W52"] {
            assert_eq!(
                parse_week(far).unwrap_err().code,
                "date_out_of_range",
                "{far}"
            );
        }
    }
}

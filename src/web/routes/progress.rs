//! Progress: totals, streaks and accuracy; day-by-day and week views; study pages; the
//! parent's dashboard; the weekly report. All of it reads the daily progress rows the group
//! commit keeps up to date, never the whole answer history.

pub mod dashboard;
pub mod days;
pub mod pages;
pub mod report;
pub mod summary;

use utoipa_actix_web::service_config::ServiceConfig;

pub use crate::features::progress::Totals;
pub use crate::features::progress::{parse_week, week_of};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(summary::progress)
        .service(days::daily)
        .service(days::weekly)
        .service(pages::pages)
        .service(report::report_pdf)
        .service(report::report_csv)
        .service(dashboard::dashboard);
}

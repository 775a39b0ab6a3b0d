//! The middle layer: queries and rules by feature. Each takes `&Db` and the handles it needs
//! (never the app's whole state) and may use other features and `infra`, never `web`.

pub mod account;
pub mod achievements;
pub mod activities;
pub mod admin_accounts;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod classes;
pub mod content_files;
pub mod dead_letters;
pub mod drawings;
pub mod export;
pub mod games;
pub mod import;
pub mod learners;
pub mod live;
pub mod mail;
pub mod notifications;
pub mod offline;
pub mod progress;
pub mod pupils;
pub mod push;
pub mod reports;
pub mod retention;
pub mod rotate_key;
pub mod screen_time;
pub mod seed;
pub mod study_hub;
pub mod time_requests;

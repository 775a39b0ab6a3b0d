//! studyhub: the server crate. HTTP and websocket routes, storage, auth, configuration and
//! the CLI live here; the live engine is the `studyhub-actors` crate.

pub mod account;
pub mod achievements;
pub mod activities;
pub mod app;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod classes;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod dead_letters;
pub mod drawings;
pub mod engine;
pub mod error;
pub mod export;
pub mod extract;
pub mod import;
pub mod learners;
pub mod live;
pub mod notifications;
pub mod progress;
pub mod reports;
pub mod routes;
pub mod screen_time;
pub mod seed;
pub mod shutdown;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod time;
pub mod time_requests;
pub mod uri_guard;

pub use app::Application;
pub use config::{RawConfig, Settings};

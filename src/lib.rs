//! studyhub: the server crate. The live engine is the `studyhub-actors` crate; this one is
//! everything around it, in three layers whose arrows point down only (`docs/architecture.md`,
//! kept by `layers`' test):
//! - `web`: the HTTP and websocket edge (routes, sockets, extractors, the app's state) and the
//!   command line (`cli`): may use everything;
//! - `features`: queries and rules by feature, each taking `&Db` and the handles it needs;
//! - `infra`: configuration, errors, the database, cache, object storage, crypto, and the
//!   Diesel store, content cache, bus and shared counts behind the engine's traits.

pub mod cli;
pub mod features;
pub mod infra;
#[cfg(test)]
mod layers;
pub mod web;

pub use infra::config::{RawConfig, Settings};
pub use web::app::Application;

//! The integration suite, one binary: every test starts a real server on port 0 with its own
//! fresh database (see `common`). `TEST_LOG=1` shows the servers' logs.

mod common;

mod audiences;
mod auth;
mod backups;
mod bad_input;
mod dead_letters;
mod drawings;
mod games;
mod hostile;
mod migrations;
mod next;
mod operations;
mod play;
mod redis_nodes;
mod rest;

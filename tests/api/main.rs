//! The integration suite, one binary: every test starts a real server on port 0 with its own
//! fresh database (see `common`). `TEST_LOG=1` shows the servers' logs.

mod common;

mod admin_accounts;
mod audiences;
mod auth;
mod authz;
mod backups;
mod bad_input;
mod balancer;
mod child_device;
mod dead_letters;
mod downtime;
mod drawings;
mod durability;
mod export;
mod family_data;
mod game_pins;
mod games;
mod hostile;
mod kill_under_load;
mod migrations;
mod next;
mod nodes;
mod operations;
mod outages;
mod overload;
mod pages;
mod play;
mod pupils;
mod redis_nodes;
mod redis_outages;
mod rest;
mod rotate_key;
mod security;
mod shutdown;
mod starts;
mod storage_outages;
mod students;
mod tickets;
mod time_requests;
mod tls;
mod visibility;

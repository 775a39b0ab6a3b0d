//! The pages for people (`/`, `/play` with a student's own study, `/parent`, `/teacher`,
//! `/admin`) and a front end on another origin: how they are served, and what people do with
//! them in a real browser (see `pages/browser.rs`).

mod actions;
mod admin;
mod browser;
mod child_device;
mod classroom;
mod cross_origin;
mod editor;
mod email_links;
mod family;
mod family_phone;
mod games;
mod kid;
mod lesson;
mod look;
mod media;
mod offline;
mod phone_fit;
mod play;
mod pupils;
mod push_optin;
mod serving;
mod signin;
mod study;

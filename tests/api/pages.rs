//! The pages for people (`/`, `/play` with a student's own study, `/parent`, `/teacher`): how
//! they are served, and what people do with them in a real browser (see `pages/browser.rs`).

mod actions;
mod browser;
mod child_device;
mod classroom;
mod editor;
mod family;
mod family_phone;
mod games;
mod kid;
mod look;
mod media;
mod phone_fit;
mod play;
mod pupils;
mod serving;
mod signin;
mod study;

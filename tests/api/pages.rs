//! The pages for people (`/`, `/play`, `/parent`, `/teacher`): how they are served, and what
//! people do with them in a real browser (see `pages/browser.rs`).

mod browser;
mod serving;
mod signin;

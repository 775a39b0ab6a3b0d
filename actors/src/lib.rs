//! The studyhub live engine. It knows activities, answers and learners, never HTTP or SQL:
//! storage and content reach it through small traits implemented by the server crate.

pub mod achievements;
pub mod content;

//! Live websockets: the shared connection loop and the three feeds (play, parent, teacher).

pub mod revoke;
pub mod socket;

//! Web Push (RFC 8030) beyond the open page: a user's browsers subscribe
//! (`subscriptions`), every notification stored for the user is encrypted to each of them
//! (RFC 8291) and sent with a VAPID token (RFC 8292, `vapid`) by the `sender`, off the
//! engine's path, only ever to public https addresses (`address`).

pub mod address;
mod payload;
pub mod sender;
pub mod subscriptions;
pub mod vapid;

pub use sender::PushSender;
pub use vapid::Vapid;

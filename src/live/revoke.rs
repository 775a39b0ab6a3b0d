//! Every open websocket of an account, so that a password change, a sign-out everywhere or
//! an erasure can close them (code 4003) on this node. Other nodes are told through the
//! control channel (`engine::control`).

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;

#[derive(Default)]
pub struct UserSockets {
    inner: Mutex<HashMap<String, watch::Sender<u64>>>,
}

impl UserSockets {
    /// A receiver that changes when the account's sockets must close.
    pub fn subscribe(&self, user_id: &str) -> watch::Receiver<u64> {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // Forget accounts with no socket left, so the map stays as small as what is open.
        if map.len() > 1_024 {
            map.retain(|_, tx| tx.receiver_count() > 0);
        }
        map.entry(user_id.to_string())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Closes every socket of `user_id` open on this node.
    pub fn close_all(&self, user_id: &str) {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = map.get(user_id) {
            tx.send_modify(|n| *n += 1);
        }
    }
}

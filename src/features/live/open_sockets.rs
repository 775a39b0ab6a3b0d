//! Closing websockets from outside their loop: every open websocket of an account, so that a
//! password change, a sign-out everywhere or an erasure can close them (code 4003) on this
//! node (other nodes are told through the control channel, `features::live::control`); and every
//! websocket of the server when it stops (1012, see `crate::web::shutdown`).

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;

/// Where a stopping server is, as its sockets see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Running,
    /// The server is stopping: frames from clients are no longer taken (what was not answered
    /// is sent again to the next server), what the engine still sends goes out.
    Draining,
    /// Everything is written: send what is queued, then close with 1012.
    Closing,
}

pub struct UserSockets {
    inner: Mutex<Accounts>,
    stop: watch::Sender<Stop>,
}

/// Each account's revocation channel, and the size at which the map is next swept.
struct Accounts {
    map: HashMap<String, watch::Sender<u64>>,
    sweep_at: usize,
}

/// The map is swept of closed accounts once it holds this many, then at twice what stayed.
const FIRST_SWEEP: usize = 1_024;

impl Default for UserSockets {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Accounts {
                map: HashMap::new(),
                sweep_at: FIRST_SWEEP,
            }),
            stop: watch::channel(Stop::Running).0,
        }
    }
}

/// What may close one socket from outside: its account's sessions ending, the server stopping.
pub struct Signals {
    pub revoked: watch::Receiver<u64>,
    pub stop: watch::Receiver<Stop>,
}

impl UserSockets {
    /// The signals of a new socket of `user_id`.
    pub fn subscribe(&self, user_id: &str) -> Signals {
        let mut accounts = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // Forget accounts with no socket left, so the map stays about as small as what is
        // open; sweeping only when it doubled keeps a connect storm linear.
        if accounts.map.len() >= accounts.sweep_at {
            accounts.map.retain(|_, tx| tx.receiver_count() > 0);
            accounts.sweep_at = (accounts.map.len() * 2).max(FIRST_SWEEP);
        }
        let revoked = accounts
            .map
            .entry(user_id.to_string())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        Signals {
            revoked,
            stop: self.stop.subscribe(),
        }
    }

    /// Closes every socket of `user_id` open on this node.
    pub fn close_all(&self, user_id: &str) {
        let accounts = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = accounts.map.get(user_id) {
            tx.send_modify(|n| *n += 1);
        }
    }

    /// Moves every socket of this server to `phase` of a stop.
    pub fn stop(&self, phase: Stop) {
        self.stop.send_replace(phase);
    }

    /// Sockets open on this server.
    pub fn open(&self) -> usize {
        self.stop.receiver_count()
    }
}

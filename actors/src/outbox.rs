//! A connection's outbox: the frames actors queue for one websocket, read by its socket task.
//!
//! Bounded, and a sender never waits: an outbox that is full means the client stopped
//! reading, and the sender drops that connection. The socket ends once every sender is gone
//! and what they queued is sent.
//!
//! Written here rather than taken from tokio's `mpsc`, whose channel allocates a 32-slot block
//! and a cache-padded channel up front: ~1.5 KiB per connection, a fifteenth of what an idle
//! learner costs. This one costs ~120 bytes until frames wait in it (BENCHMARKS.md, idle RSS).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::sync::Notify;

use crate::protocol::Outbound;

struct Shared {
    queue: Mutex<VecDeque<Outbound>>,
    capacity: usize,
    /// Woken on each frame and when the last sender goes.
    ready: Notify,
    senders: AtomicUsize,
    reader_gone: AtomicBool,
}

impl Shared {
    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<Outbound>> {
        // A panic while holding this lock leaves a queue of whole frames: still usable.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An outbox of at most `capacity` waiting frames.
pub fn outbox(capacity: usize) -> (OutboxTx, OutboxRx) {
    let shared = Arc::new(Shared {
        queue: Mutex::new(VecDeque::new()),
        capacity,
        ready: Notify::new(),
        senders: AtomicUsize::new(1),
        reader_gone: AtomicBool::new(false),
    });
    (OutboxTx(shared.clone()), OutboxRx(shared))
}

/// Queues frames for one connection.
pub struct OutboxTx(Arc<Shared>);

impl OutboxTx {
    /// Queues a frame; gives it back when the outbox is full or its socket is gone.
    pub fn try_send(&self, out: Outbound) -> Result<(), Outbound> {
        if self.0.reader_gone.load(Ordering::Acquire) {
            return Err(out);
        }
        {
            let mut queue = self.0.queue();
            if queue.len() >= self.0.capacity {
                return Err(out);
            }
            queue.push_back(out);
        }
        self.0.ready.notify_one();
        Ok(())
    }

    /// A handle that does not keep the socket open.
    pub fn downgrade(&self) -> WeakOutboxTx {
        WeakOutboxTx(Arc::downgrade(&self.0))
    }
}

impl Clone for OutboxTx {
    fn clone(&self) -> Self {
        self.0.senders.fetch_add(1, Ordering::Relaxed);
        Self(self.0.clone())
    }
}

impl Drop for OutboxTx {
    fn drop(&mut self) {
        if self.0.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.ready.notify_one();
        }
    }
}

/// An [`OutboxTx`] that lets the socket end when the others are gone.
#[derive(Clone)]
pub struct WeakOutboxTx(Weak<Shared>);

impl WeakOutboxTx {
    /// The sender, while another one still keeps the outbox open.
    pub fn upgrade(&self) -> Option<OutboxTx> {
        let shared = self.0.upgrade()?;
        let mut n = shared.senders.load(Ordering::Acquire);
        loop {
            if n == 0 {
                return None;
            }
            match shared
                .senders
                .compare_exchange(n, n + 1, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some(OutboxTx(shared)),
                Err(now) => n = now,
            }
        }
    }
}

/// The socket's end of an outbox.
pub struct OutboxRx(Arc<Shared>);

impl OutboxRx {
    /// The next frame; `None` once every sender is gone and the queue is empty. Cancel-safe:
    /// a frame is taken only when it is returned.
    pub async fn recv(&mut self) -> Option<Outbound> {
        loop {
            if let Some(out) = self.try_recv() {
                return Some(out);
            }
            if self.0.senders.load(Ordering::Acquire) == 0 {
                // A frame queued just before the last sender went.
                return self.try_recv();
            }
            // `notify_one` keeps a permit when nobody waits: a frame queued between the
            // check above and this wait is not missed.
            self.0.ready.notified().await;
        }
    }

    /// The next frame if one is waiting.
    pub fn try_recv(&mut self) -> Option<Outbound> {
        let mut queue = self.0.queue();
        let out = queue.pop_front();
        // A burst's memory goes back once it is sent.
        if queue.is_empty() && queue.capacity() > 64 {
            queue.shrink_to(8);
        }
        out
    }
}

impl Drop for OutboxRx {
    fn drop(&mut self) {
        self.0.reader_gone.store(true, Ordering::Release);
        self.0.queue().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize) -> Outbound {
        Outbound::Frame {
            json: n.to_string(),
            is_error: false,
        }
    }

    #[tokio::test]
    async fn frames_come_in_order_and_a_full_outbox_refuses() {
        let (tx, mut rx) = outbox(3);
        for n in 0..3 {
            tx.try_send(frame(n)).unwrap();
        }
        assert_eq!(tx.try_send(frame(3)), Err(frame(3)));
        for n in 0..3 {
            assert_eq!(rx.recv().await, Some(frame(n)));
        }
        assert_eq!(rx.try_recv(), None);
        tx.try_send(frame(4)).unwrap();
        assert_eq!(rx.recv().await, Some(frame(4)));
    }

    #[tokio::test]
    async fn the_socket_ends_when_the_last_sender_goes_after_what_was_queued() {
        let (tx, mut rx) = outbox(8);
        let other = tx.clone();
        let weak = tx.downgrade();
        tx.try_send(frame(1)).unwrap();
        drop(tx);
        other.try_send(frame(2)).unwrap();
        drop(other);
        assert!(weak.upgrade().is_none(), "a weak sender does not reopen it");
        assert_eq!(rx.recv().await, Some(frame(1)));
        assert_eq!(rx.recv().await, Some(frame(2)));
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn a_waiting_socket_wakes_for_a_frame_and_for_the_end() {
        let (tx, mut rx) = outbox(8);
        let reader = tokio::spawn(async move {
            let first = rx.recv().await;
            let end = rx.recv().await;
            (first, end)
        });
        tokio::task::yield_now().await;
        let weak = tx.downgrade();
        weak.upgrade().expect("open").try_send(frame(7)).unwrap();
        drop(tx);
        assert_eq!(reader.await.unwrap(), (Some(frame(7)), None));
    }

    #[test]
    fn senders_learn_the_socket_is_gone() {
        let (tx, rx) = outbox(8);
        drop(rx);
        assert_eq!(tx.try_send(frame(1)), Err(frame(1)));
    }
}

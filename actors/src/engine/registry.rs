//! The engine's registries: the live actor of each learner, parent, class and game, so that
//! every connection of one of them reaches the same actor.

use std::collections::HashMap;
use std::sync::Mutex;

use actix::prelude::*;

/// Live actors of one kind, by id.
pub(super) struct Registry<K, A: Actor>(Mutex<HashMap<K, Addr<A>>>);

impl<K, A: Actor> Default for Registry<K, A> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K, A> Registry<K, A>
where
    K: Clone + Eq + std::hash::Hash + std::borrow::Borrow<str>,
    A: Actor<Context = Context<A>>,
{
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Addr<A>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn get(&self, id: &str) -> Option<Addr<A>> {
        self.lock().get(id).filter(|a| a.connected()).cloned()
    }

    /// The live actor for `id`, or a new one from `make` (started on this arbiter).
    pub(super) fn get_or_start(&self, id: &K, make: impl FnOnce() -> A) -> Addr<A> {
        let mut reg = self.lock();
        if let Some(addr) = reg.get(id.borrow()).filter(|a| a.connected()) {
            return addr.clone();
        }
        let addr = make().start();
        reg.insert(id.clone(), addr.clone());
        addr
    }

    /// Forgets a stopped actor (only if the registry still points at it).
    pub(super) fn remove_if(&self, id: &str, addr: &Addr<A>) {
        let mut reg = self.lock();
        if reg.get(id).is_some_and(|a| a == addr) {
            reg.remove(id);
        }
    }

    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }
}

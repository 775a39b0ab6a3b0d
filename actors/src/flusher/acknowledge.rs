//! After a commit: who hears what was stored.

use std::collections::HashMap;

use actix::prelude::*;

use super::{Durable, Item, Pending, Stored, Unlocked};
use crate::ids::Seq;
use crate::store::{BatchResult, ItemKey};

/// One `Durable` per session per batch, for the highest seq committed ([`Seq::NONE`]: the
/// session row) and the seqs refused. Refused notifications and unlocks are never announced.
pub(super) fn acknowledge(taken: Vec<Pending>, result: &BatchResult) {
    let mut best: HashMap<crate::ids::SessionId, (Seq, Vec<Seq>, Recipient<Durable>)> =
        HashMap::new();
    // Checked without building keys: on the answer path the list is almost always empty.
    let refused = &result.refused;
    let answer_refused = |sid: &str, n: Seq| {
        refused.iter().any(
            |k| matches!(k, ItemKey::Answer { session_id, seq } if session_id == sid && *seq == n),
        )
    };
    let start_refused = |sid: &str| {
        refused
            .iter()
            .any(|k| matches!(k, ItemKey::Start { session_id } if session_id == sid))
    };
    for p in taken {
        let (session_id, seq, is_refused) = match p.item {
            Item::Answer(a) => {
                let r = answer_refused(&a.session_id, a.seq);
                (a.session_id, a.seq, r)
            }
            Item::Start(s) => {
                let r = start_refused(&s.session_id);
                (s.session_id, Seq::NONE, r)
            }
            // Only an offline sync asks to hear of an end (`Seq::MAX`: the whole session, its
            // end included, is committed); live ends go without a recipient.
            Item::End { end, parent } => {
                let r = refused.iter().any(
                    |k| matches!(k, ItemKey::End { session_id } if *session_id == end.session_id),
                );
                if let (Some(notification), Some((notifier, push))) = (end.notice, parent)
                    && result.ended.contains(&end.session_id)
                {
                    notifier.do_send(Stored { notification, push });
                }
                (end.session_id, Seq::MAX, r)
            }
            Item::Notification {
                notification,
                push,
                to,
            } => {
                let dropped = refused
                    .iter()
                    .any(|k| matches!(k, ItemKey::Notification { id } if *id == notification.id));
                if !dropped {
                    to.do_send(Stored { notification, push });
                }
                continue;
            }
            Item::Unlock {
                request,
                to,
                parent,
            } => {
                if let Some((notifier, push)) = parent {
                    for n in request.notices_of(&result.unlocked) {
                        notifier.do_send(Stored {
                            notification: n.clone(),
                            push,
                        });
                    }
                }
                let new: Vec<String> = request
                    .achievement_ids
                    .into_iter()
                    .filter(|id| {
                        result
                            .unlocked
                            .iter()
                            .any(|(l, a)| *l == request.learner_id && a == id)
                    })
                    .collect();
                if !new.is_empty() {
                    to.do_send(Unlocked {
                        achievement_ids: new,
                    });
                }
                continue;
            }
            _ => continue,
        };
        if let Some(notify) = p.notify {
            let entry = best
                .entry(session_id)
                .or_insert((Seq::NONE, Vec::new(), notify));
            if is_refused {
                entry.1.push(seq);
            } else {
                entry.0 = entry.0.max(seq);
            }
        }
    }
    for (session_id, (up_to_seq, refused, notify)) in best {
        notify.do_send(Durable {
            session_id,
            up_to_seq,
            refused,
        });
    }
}

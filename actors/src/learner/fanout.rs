//! Presence, parent notifications and achievements: what the learner tells others.

use std::time::Instant;

use actix::prelude::*;
use chrono::Utc;

use super::LearnerActor;
use crate::events::ClassEvent;
use crate::events::LiveEvent;
use crate::events::ParentFrame;
use crate::flusher::{Item, Unlocked};
use crate::protocol::ServerMsg;
use crate::shared::LearnerStatus;
use crate::store::{Notification, NotificationKind, UnlockRequest};

impl LearnerActor {
    pub(super) fn present(&self, now: Instant) -> bool {
        !self.conns.is_empty() || self.rest_until.is_some_and(|t| t > now)
    }

    /// Where the learner is on this node.
    pub(super) fn status(&self) -> LearnerStatus {
        let progress = self.session.as_ref().map(|s| s.progress());
        LearnerStatus {
            online: !self.conns.is_empty(),
            activity_id: self.session.as_ref().map(|s| s.activity.id.clone()),
            session_id: self.session.as_ref().map(|s| s.id.clone()),
            answered: progress.map_or(0, |p| p.answered),
            correct: progress.map_or(0, |p| p.correct),
        }
    }

    /// Tells the parent's feed and the class monitors where the learner is now (and the
    /// other nodes, for feeds that open there later).
    pub(super) fn announce_presence(&mut self) {
        let online = !self.conns.is_empty();
        if let Some(shared) = self.env.shared() {
            shared.set_presence(&self.learner_id, online.then(|| self.status()));
            self.said_online = online;
        }
        let activity_id = self.session.as_ref().map(|s| s.activity.id.clone());
        if let Some(parent_id) = self.parent_id.clone() {
            let frame = ParentFrame::Presence {
                child_id: self.learner_id.clone(),
                online,
                activity_id: activity_id.clone(),
            };
            self.env.announce(LiveEvent::Parent { parent_id, frame });
        }
        self.class_event(ClassEvent::Presence {
            learner_id: self.learner_id.clone(),
            online,
            activity_id,
            session_id: self.session.as_ref().map(|s| s.id.clone()),
        });
    }

    pub(super) fn class_event(&self, event: ClassEvent) {
        for id in &self.class_ids {
            self.env.announce(LiveEvent::Class {
                class_id: id.clone(),
                event: event.clone(),
            });
        }
    }

    /// Stores a notification for the parent (pushed unless the parent turned them off).
    pub(super) fn notify_parent(
        &self,
        kind: NotificationKind,
        title: String,
        body: String,
        data: serde_json::Value,
    ) {
        self.notify_parent_at(kind, title, body, data, Utc::now());
    }

    /// The same, dated `at` (an offline session is told as of when it was played).
    pub(super) fn notify_parent_at(
        &self,
        kind: NotificationKind,
        title: String,
        body: String,
        data: serde_json::Value,
        at: chrono::DateTime<Utc>,
    ) {
        let Some(notification) = self.parent_notice(kind, title, body, data, at) else {
            return;
        };
        let to = self.env.parent(&notification.parent_id).recipient();
        // Stored in the group commit; the notifier pushes it once it is committed.
        self.env.flush().push(
            Item::Notification {
                notification,
                push: self.notifications_enabled,
                to,
            },
            None,
        );
    }

    /// A session's end for the flusher, with the parent's notification of a completion (see
    /// `SessionEnd::notice`) and the notifier that pushes it once stored.
    pub(super) fn end_item(
        &self,
        mut end: crate::store::SessionEnd,
        notice: Option<(String, String, serde_json::Value)>,
    ) -> Item {
        end.notice = notice.and_then(|(title, body, data)| {
            self.parent_notice(
                NotificationKind::ActivityCompleted,
                title,
                body,
                data,
                end.ended_at,
            )
        });
        let parent = end.notice.as_ref().map(|n| {
            (
                self.env.parent(&n.parent_id).recipient(),
                self.notifications_enabled,
            )
        });
        Item::End { end, parent }
    }

    /// A notification for the parent, if the learner has one.
    fn parent_notice(
        &self,
        kind: NotificationKind,
        title: String,
        body: String,
        data: serde_json::Value,
        at: chrono::DateTime<Utc>,
    ) -> Option<Notification> {
        Some(Notification {
            id: uuid::Uuid::now_v7().to_string(),
            parent_id: self.parent_id.clone()?,
            child_id: self.learner_id.clone(),
            kind,
            title,
            body,
            data,
            created_at: at,
        })
    }

    /// Checks the catalog after a completion; the database decides each unlock once, and only
    /// what it stored is announced (to the child, the parent and the classes). The parent's
    /// notification is stored with the unlock, in one transaction: a crash between the two
    /// cannot leave an unlock the parent never hears of.
    pub(super) fn check_achievements(&mut self, ctx: &mut Context<Self>) {
        self.check_achievements_at(ctx, Utc::now());
    }

    /// The same, unlocked as of `at` (an offline completion's time).
    pub(super) fn check_achievements_at(
        &mut self,
        ctx: &mut Context<Self>,
        at: chrono::DateTime<Utc>,
    ) {
        let met: Vec<String> = self
            .history
            .newly_met(&self.catalog)
            .into_iter()
            .map(|a| a.id.clone())
            .collect();
        if met.is_empty() {
            return;
        }
        let notices = self
            .catalog
            .iter()
            .filter(|a| met.contains(&a.id))
            .filter_map(|a| {
                let n = self.parent_notice(
                    NotificationKind::AchievementUnlocked,
                    format!("{} unlocked “{}”", self.name, a.title),
                    a.description.clone(),
                    serde_json::json!({"achievement_id": a.id, "reward_points": a.reward_points, "badge_icon_url": a.badge_icon_url}),
                    at,
                )?;
                Some((a.id.clone(), n))
            })
            .collect();
        let parent = self
            .parent_id
            .as_ref()
            .map(|p| (self.env.parent(p).recipient(), self.notifications_enabled));
        let request = UnlockRequest {
            learner_id: self.learner_id.clone(),
            achievement_ids: met,
            at,
            notices,
        };
        self.env.flush().push(
            Item::Unlock {
                request,
                to: ctx.address().recipient(),
                parent,
            },
            None,
        );
    }
}

impl Handler<Unlocked> for LearnerActor {
    type Result = ();

    /// Only what this commit stored first is announced: to the child and the classes (the
    /// parent's notice was stored with it and goes to the parent's notifier from the flusher).
    fn handle(&mut self, msg: Unlocked, _: &mut Context<Self>) {
        let catalog = self.catalog.clone();
        for a in catalog
            .iter()
            .filter(|a| msg.achievement_ids.contains(&a.id))
        {
            self.broadcast(&ServerMsg::Achievement {
                achievement: a.view(),
            });
            self.class_event(ClassEvent::Achievement {
                learner_id: self.learner_id.clone(),
                achievement: a.view(),
            });
        }
    }
}

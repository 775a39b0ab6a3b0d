//! Asking the parent for more time: the request is stored (the database keeps it to one
//! pending and three a day, across nodes), the parent is notified, and the answer comes back
//! as `time_request_answered` followed by `time`.

use actix::prelude::*;
use chrono::Utc;

use super::{AssessmentRecorded, LearnerActor, ReplyTo, TimeRequestAnswered};
use crate::downtime_windows::day_bounds;
use crate::protocol::{ErrorCode, ServerMsg};
use crate::screen_time::local_date;
use crate::store::{AskOutcome, NewTimeRequest, NotificationKind};

/// What a child may ask for at once, in seconds.
pub const ASK_SECONDS: std::ops::RangeInclusive<i64> = 300..=3600;
/// The longest reason, in characters.
pub const MAX_REASON: usize = 500;

impl LearnerActor {
    pub(super) fn ask_time(
        &mut self,
        seconds: i64,
        reason: Option<String>,
        to: ReplyTo,
        ctx: &mut Context<Self>,
    ) {
        if !ASK_SECONDS.contains(&seconds) {
            return self.error(
                to,
                ErrorCode::BadMessage,
                "seconds must be between 300 and 3600",
                None,
            );
        }
        let reason = reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        if reason.as_ref().is_some_and(|r| {
            r.chars().count() > MAX_REASON || r.chars().any(|c| c.is_control() && c != '\n')
        }) {
            return self.error(
                to,
                ErrorCode::BadMessage,
                "reason is at most 500 characters, without control characters",
                None,
            );
        }
        let Some(parent_id) = self.parent_id.clone() else {
            return self.error(
                to,
                ErrorCode::Forbidden,
                "only a child profile can ask a parent for more time",
                None,
            );
        };
        let now = Utc::now();
        let request = NewTimeRequest {
            id: uuid::Uuid::now_v7().to_string(),
            learner_id: self.learner_id.clone(),
            parent_id,
            seconds: seconds as u32,
            reason,
            created_at: now,
            day: day_bounds(self.tz, local_date(self.tz, now)),
        };
        // Not `wait`: play goes on while the database decides.
        let fut = self.env.store().ask_time(request.clone());
        ctx.spawn(fut.into_actor(self).map(move |res, act, _| match res {
            Ok(AskOutcome::Created) => {
                act.reply(
                    to,
                    vec![ServerMsg::TimeRequest {
                        request_id: request.id.clone(),
                        status: "pending",
                    }],
                    None,
                );
                let minutes = request.seconds.div_ceil(60);
                act.notify_parent(
                    NotificationKind::TimeRequest,
                    format!("{} asks for {minutes} more minutes", act.name),
                    request.reason.clone().unwrap_or_default(),
                    serde_json::json!({
                        "request_id": request.id,
                        "seconds": request.seconds,
                        "reason": request.reason,
                    }),
                );
            }
            Ok(AskOutcome::Pending) => act.error(
                to,
                ErrorCode::TimeRequestPending,
                "a request for more time is already waiting for an answer",
                None,
            ),
            Ok(AskOutcome::DailyLimit) => act.error(
                to,
                ErrorCode::TimeRequestLimit,
                "three requests for more time a day; ask again tomorrow",
                None,
            ),
            Err(e) => {
                tracing::warn!(error = %e, "could not store a request for more time");
                act.error(
                    to,
                    ErrorCode::StorageUnavailable,
                    "could not ask now; try again shortly",
                    None,
                )
            }
        }));
    }
}

impl Handler<TimeRequestAnswered> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: TimeRequestAnswered, _: &mut Context<Self>) {
        let seconds = if msg.approved { msg.seconds } else { 0 };
        self.broadcast(&ServerMsg::TimeRequestAnswered {
            request_id: msg.request_id,
            approved: msg.approved,
            seconds,
        });
        if seconds > 0 {
            self.clock.grant(seconds);
        }
        self.time_changed();
    }
}

impl Handler<AssessmentRecorded> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: AssessmentRecorded, _: &mut Context<Self>) {
        self.broadcast(&ServerMsg::Assessment { assessment: msg.0 });
    }
}

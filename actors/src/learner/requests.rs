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

/// Which field of a request broke the rules, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadAsk {
    pub field: &'static str,
    pub message: &'static str,
}

/// The rules of a request for more time, for the socket's `ask_time` and the REST route
/// alike: `seconds` in [`ASK_SECONDS`], and the reason (trimmed; empty is none) at most
/// [`MAX_REASON`] characters without control characters.
pub fn checked_ask(seconds: i64, reason: Option<String>) -> Result<Option<String>, BadAsk> {
    if !ASK_SECONDS.contains(&seconds) {
        return Err(BadAsk {
            field: "seconds",
            message: "seconds must be between 300 and 3600",
        });
    }
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| {
        r.chars().count() > MAX_REASON || r.chars().any(|c| c.is_control() && c != '\n')
    }) {
        return Err(BadAsk {
            field: "reason",
            message: "reason is at most 500 characters, without control characters",
        });
    }
    Ok(reason)
}

/// A request of the child `learner_id` (of `parent_id`, in the time zone `tz`) made now.
pub fn new_request(
    learner_id: crate::ids::LearnerId,
    parent_id: String,
    seconds: u32,
    reason: Option<String>,
    tz: chrono_tz::Tz,
) -> NewTimeRequest {
    let now = Utc::now();
    NewTimeRequest {
        id: uuid::Uuid::now_v7().to_string(),
        learner_id,
        parent_id,
        seconds,
        reason,
        created_at: now,
        day: day_bounds(tz, local_date(tz, now)),
    }
}

/// The parent's notification of a stored request: its title, body and data.
pub fn notification_text(
    child_name: &str,
    request: &NewTimeRequest,
) -> (String, String, serde_json::Value) {
    let minutes = request.seconds.div_ceil(60);
    (
        format!("{child_name} asks for {minutes} more minutes"),
        request.reason.clone().unwrap_or_default(),
        serde_json::json!({
            "request_id": request.id,
            "seconds": request.seconds,
            "reason": request.reason,
        }),
    )
}

impl LearnerActor {
    pub(super) fn ask_time(
        &mut self,
        seconds: i64,
        reason: Option<String>,
        to: ReplyTo,
        ctx: &mut Context<Self>,
    ) {
        let reason = match checked_ask(seconds, reason) {
            Ok(reason) => reason,
            Err(bad) => return self.error(to, ErrorCode::BadMessage, bad.message, None),
        };
        let Some(parent_id) = self.parent_id.clone() else {
            return self.error(
                to,
                ErrorCode::Forbidden,
                "only a child profile can ask a parent for more time",
                None,
            );
        };
        let request = new_request(
            self.learner_id.clone(),
            parent_id,
            seconds as u32,
            reason,
            self.tz,
        );
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
                let (title, body, data) = notification_text(&act.name, &request);
                act.notify_parent(NotificationKind::TimeRequest, title, body, data);
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

//! A replica's way to its game's journal: a command or an answer becomes a step proposed
//! (appended in this node's order, one at a time), the journal is read past what was applied
//! (after each append, when another node wakes it, and every second), and the open question
//! has one close timer here.

use std::time::Duration;

use actix::prelude::*;
use chrono::{DateTime, Utc};

use super::{GameActor, GameState, HostMsg, Step, until};

/// How long a step that could not be appended (the database away) waits to be tried again.
const APPEND_RETRY: Duration = Duration::from_millis(500);

impl GameActor {
    /// The step a host's command asks for, given where the game is on this replica.
    pub(super) fn step_for(&self, msg: HostMsg) -> Step {
        match msg {
            // During a question, `next` closes it early; the following `next` moves on.
            HostMsg::Next if self.state == GameState::Question => Step::Close {
                index: self.round.as_ref().map_or(0, |r| r.index),
            },
            HostMsg::Next => {
                let index = self.round.as_ref().map_or(0, |r| r.index + 1);
                if index >= self.question_count() {
                    Step::End
                } else {
                    Step::Open { index }
                }
            }
            HostMsg::End => Step::End,
        }
    }

    /// Hands a step to the journal (after this node's earlier ones); it takes effect when
    /// the journal gives it back, on every replica alike.
    pub(super) fn propose(&mut self, at: DateTime<Utc>, step: Step, ctx: &mut Context<Self>) {
        self.outgoing.push_back((at, step));
        self.send_next(ctx);
    }

    pub(super) fn send_next(&mut self, ctx: &mut Context<Self>) {
        if self.appending {
            return;
        }
        let Some((at, step)) = self.outgoing.front().cloned() else {
            return;
        };
        self.appending = true;
        self.journal
            .append(&self.spec.game_id, at, step)
            .into_actor(self)
            .map(|res, act, ctx| {
                act.appending = false;
                match res {
                    Ok(()) => {
                        act.outgoing.pop_front();
                        act.env.changed(&act.spec.game_id);
                        act.read(ctx);
                        act.send_next(ctx);
                    }
                    Err(e) => {
                        tracing::warn!(game = %act.spec.game_id, error = %e, "a game step was not kept; trying again");
                        ctx.run_later(APPEND_RETRY, |act, ctx| act.send_next(ctx));
                    }
                }
            })
            .spawn(ctx);
    }

    /// Applies what the journal holds past what this replica applied.
    pub(super) fn read(&mut self, ctx: &mut Context<Self>) {
        if self.reading {
            self.read_again = true;
            return;
        }
        self.reading = true;
        self.journal
            .read(&self.spec.game_id, self.applied)
            .into_actor(self)
            .map(|res, act, ctx| {
                act.reading = false;
                match res {
                    Ok(entries) => {
                        for entry in entries {
                            if entry.n > act.applied {
                                act.apply(entry);
                            }
                        }
                        act.arm_timer(ctx);
                    }
                    Err(e) => {
                        tracing::debug!(game = %act.spec.game_id, error = %e, "a game's journal was not read");
                    }
                }
                if std::mem::take(&mut act.read_again) {
                    act.read(ctx);
                }
            })
            .spawn(ctx);
    }

    /// The open question's close, on this replica's own timer (every replica has one: the
    /// first close in the journal counts).
    pub(super) fn arm_timer(&mut self, ctx: &mut Context<Self>) {
        let Some(round) = self
            .round
            .as_ref()
            .filter(|_| self.state == GameState::Question)
        else {
            return;
        };
        let index = round.index;
        // One timer per question, however often the journal is read meanwhile.
        if self.timer_for == Some(index) {
            return;
        }
        self.timer_for = Some(index);
        ctx.run_later(until(round.closes), move |act, ctx| {
            if act.state == GameState::Question
                && act.round.as_ref().is_some_and(|r| r.index == index)
            {
                act.propose(Utc::now(), Step::Close { index }, ctx);
            }
        });
    }
}

//! The learner's side of a class game: `join_game` opens (or keeps) an ordinary session of
//! the game's activity, the game's frames reach every connection of the learner, and each
//! new answer in that session is reported to the game with the server time it was graded.
//! Answers go through the normal path (seq, feedback, saved, exactly once); the only rule a
//! game adds is that a new answer must be to the question open now.

use crate::ids::{Seq, SessionId};
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::{LearnerActor, ReplyTo};
use crate::content::Answer;
use crate::events::LearnerPush;
use crate::game::{Answered, Bind, GameActor, Join, JoinReply, PlayerEvent, PlayerFrame, ToPlayer};
use crate::protocol::{ErrorCode, Outbound, ServerMsg, close};
use crate::store::SessionStatus;

/// The game this learner plays in now.
pub(super) struct GameLink {
    game_id: String,
    game: Addr<GameActor>,
    session_id: SessionId,
    /// The question that takes answers now (none between questions).
    open_question: Option<String>,
}

/// Wrong PINs a learner may try in [`PIN_WINDOW`] before the socket is closed (4008).
const WRONG_PINS: usize = 10;
const PIN_WINDOW: Duration = Duration::from_secs(60);

impl LearnerActor {
    /// A wrong PIN counts towards the guessing limit: the tenth in a minute closes the
    /// socket that sent it (`true`).
    fn wrong_pin(&mut self, conn_id: u64) -> bool {
        let now = Instant::now();
        self.wrong_pins
            .retain(|t| now.duration_since(*t) < PIN_WINDOW);
        self.wrong_pins.push(now);
        if self.wrong_pins.len() < WRONG_PINS {
            return false;
        }
        self.wrong_pins.clear();
        tracing::info!(learner = %self.learner_id, conn = conn_id, "too many wrong game PINs: closing the socket");
        self.send_to(
            conn_id,
            Outbound::Close {
                code: close::TOO_MANY_ERRORS,
                reason: "too many wrong game pins",
            },
        );
        true
    }

    pub(super) fn join_game(
        &mut self,
        game_id: Option<String>,
        pin: Option<String>,
        to: ReplyTo,
        ctx: &mut Context<Self>,
    ) {
        let ReplyTo::Conn(conn_id) = to else {
            return self.error(
                to,
                ErrorCode::BadMessage,
                "games are played on the websocket",
                None,
            );
        };
        if self.clock.is_up() {
            return self.error(to, ErrorCode::TimeUp, "no screen time left today", None);
        }
        if game_id.is_none() && pin.is_none() {
            return self.error(
                to,
                ErrorCode::BadMessage,
                "join_game takes a game_id or a pin",
                None,
            );
        }
        let by_pin = game_id.is_none();
        // `wait`: nothing else of this learner is handled until the game is found and joined,
        // so the game's next frames find the link below in place.
        let find = self.env.find_game(game_id, pin);
        let fut = find.into_actor(self).map(move |found, act, ctx| {
            let Some((game_id, game)) = found else {
                if by_pin && act.wrong_pin(conn_id) {
                    return;
                }
                return act.error(
                    ReplyTo::Conn(conn_id),
                    ErrorCode::NoGame,
                    "there is no open game with that code",
                    None,
                );
            };
            act.join_found(game_id, game, conn_id, ctx);
        });
        ctx.wait(fut);
    }

    fn join_found(
        &mut self,
        game_id: String,
        game: Addr<GameActor>,
        conn_id: u64,
        ctx: &mut Context<Self>,
    ) {
        let join = Join {
            learner_id: self.learner_id.clone(),
            name: self.name.clone(),
            class_ids: self.class_ids.clone(),
            to: ctx.address().recipient(),
        };
        // `wait`: the game's next frames are handled only once the link below exists.
        let fut = game.send(join).into_actor(self).map(move |res, act, ctx| {
            let to = ReplyTo::Conn(conn_id);
            match res {
                Err(_) => act.error(to, ErrorCode::NoGame, "that game has closed", None),
                Ok(Err(code)) => {
                    let message = match code {
                        ErrorCode::NotInClass => "this game is for a class you are not in",
                        ErrorCode::GameOver => "this game is over",
                        _ => "cannot join this game",
                    };
                    act.error(to, code, message, None)
                }
                Ok(Ok(JoinReply::Over(over))) => act.send_to(conn_id, over.frame),
                Ok(Ok(JoinReply::Joined {
                    activity,
                    session_id,
                    catch_up,
                })) => {
                    let kept = session_id
                        .filter(|s| act.session.as_ref().is_some_and(|live| live.id == *s));
                    let activity_id = activity.id.clone();
                    let question_count = activity.content.questions.len();
                    let session_id = match kept {
                        Some(s) => s,
                        None => {
                            // A new session abandons an open one, as `start` does.
                            let s = act.new_session(activity, ctx);
                            act.announce_presence();
                            s
                        }
                    };
                    game.do_send(Bind {
                        learner_id: act.learner_id.clone(),
                        session_id: session_id.clone(),
                    });
                    act.game = Some(Box::new(GameLink {
                        game_id: game_id.clone(),
                        game,
                        session_id: session_id.clone(),
                        open_question: None,
                    }));
                    // The last answer the server took in that session: a page reloaded
                    // mid-game goes on from the next seq.
                    let last_seq = act
                        .session
                        .as_ref()
                        .filter(|s| s.id == session_id)
                        .map_or(Seq::NONE, |s| s.last_seq());
                    let joined = PlayerFrame::GameJoined {
                        game_id,
                        session_id,
                        activity_id,
                        question_count,
                        last_seq,
                    };
                    act.send_to(conn_id, joined.out());
                    if let Some(now) = catch_up {
                        act.game_event(now, ctx);
                    }
                }
            }
        });
        ctx.wait(fut);
    }

    /// A new answer (`seq` not taken yet) in the game's session to a question of the
    /// activity that is not open now: refused, so nobody answers ahead or after the reveal.
    pub(super) fn game_refuses(&self, session_id: &str, seq: Seq, question_id: &str) -> bool {
        let Some(link) = self.game.as_ref().filter(|l| l.session_id == session_id) else {
            return false;
        };
        let Some(session) = self.session.as_ref().filter(|s| s.id == session_id) else {
            return false;
        };
        Some(seq) == session.next_seq()
            && session.activity.content.question(question_id).is_some()
            && link.open_question.as_deref() != Some(question_id)
    }

    /// Tells the game about a new graded answer in its session (server time, now).
    pub(super) fn game_graded(
        &self,
        session_id: &str,
        question_id: &str,
        answer: &Answer,
        correct: bool,
    ) {
        if let Some(link) = self.game.as_ref().filter(|l| l.session_id == session_id) {
            link.game.do_send(Answered {
                learner_id: self.learner_id.clone(),
                question_id: question_id.to_string(),
                answer: answer.clone(),
                correct,
                at: chrono::Utc::now(),
            });
        }
    }

    /// A frame from the game: to every connection, after noting which question is open.
    /// At the end the game's session is completed (unanswered questions count as not right),
    /// or abandoned if it has no answer at all.
    fn game_event(&mut self, msg: ToPlayer, ctx: &mut Context<Self>) {
        let Some(link) = self.game.as_mut().filter(|l| l.game_id == msg.game_id) else {
            return;
        };
        link.open_question = match &msg.event {
            PlayerEvent::Question { question_id } => Some(question_id.clone()),
            PlayerEvent::Reveal | PlayerEvent::Over => None,
        };
        let over = msg.event == PlayerEvent::Over;
        let session_id = link.session_id.clone();
        self.broadcast_out(msg.frame);
        if over {
            self.game = None;
            if let Some(s) = self.session.as_ref().filter(|s| s.id == session_id) {
                // A session with no answer was only joined: it does not count as played.
                let status = if s.progress().answered > 0 {
                    SessionStatus::Completed
                } else {
                    SessionStatus::Abandoned
                };
                self.complete(status, ctx);
            }
        }
    }

    fn broadcast_out(&mut self, out: Outbound) {
        let ids: Vec<u64> = self.conns.keys().copied().collect();
        for id in ids {
            self.send_to(id, out.clone());
        }
    }
}

impl Handler<ToPlayer> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: ToPlayer, ctx: &mut Context<Self>) {
        self.game_event(msg, ctx);
    }
}

impl Handler<LearnerPush> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: LearnerPush, _: &mut Context<Self>) {
        match msg {
            LearnerPush::GameOpen(open) => {
                self.broadcast_out(Outbound::msg(&ServerMsg::GameOpen(open)));
            }
        }
    }
}

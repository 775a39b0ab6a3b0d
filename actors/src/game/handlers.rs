//! The game actor's messages: the teacher's host sockets (connect, commands), players
//! joining and binding their session, graded answers, extra time and who may host.

use std::time::Instant;

use chrono::Utc;

use actix::prelude::*;

use super::*;

impl Handler<Info> for GameActor {
    type Result = MessageResult<Info>;

    fn handle(&mut self, _: Info, _: &mut Context<Self>) -> Self::Result {
        MessageResult(GameInfo {
            game_id: self.spec.game_id.clone(),
            pin: self.spec.pin.clone(),
            class_id: self.spec.class_id.clone(),
            class_name: self.spec.class_name.clone(),
            teacher_id: self.spec.teacher_id.clone(),
            activity_id: self.spec.activity.id.clone(),
            activity_title: self.spec.activity.title.clone(),
            seconds_per_question: self.spec.seconds_per_question,
            question_count: self.question_count(),
            players: self.players.len(),
            state: self.state,
        })
    }
}

impl Handler<HostConnect> for GameActor {
    type Result = ();

    /// A host socket first hears where the game is: the lobby, then the open question with
    /// its count, the last reveal, or the podium.
    fn handle(&mut self, msg: HostConnect, _: &mut Context<Self>) {
        self.touched = Instant::now();
        let mut frames = vec![self.lobby()];
        if let Some(round) = &self.round {
            match self.state {
                GameState::Question => {
                    frames.push(HostFrame::Question(self.open_question(round, round.closes)));
                    frames.push(self.answers(round));
                }
                GameState::Revealed => frames.push(self.host_reveal(round, &self.standings())),
                GameState::Lobby | GameState::Over => {}
            }
        }
        if self.state == GameState::Over {
            frames.push(HostFrame::GameOver {
                game_id: self.spec.game_id.clone(),
                podium: self.standings().into_iter().take(PODIUM).collect(),
            });
        }
        for f in frames {
            let _ = msg.tx.try_send(f.out());
        }
        self.hosts.insert(msg.conn_id, msg.tx);
    }
}

impl Handler<HostDisconnect> for GameActor {
    type Result = ();

    fn handle(&mut self, msg: HostDisconnect, _: &mut Context<Self>) {
        self.hosts.remove(&msg.conn_id);
    }
}

impl Handler<HostCommand> for GameActor {
    type Result = ();

    fn handle(&mut self, msg: HostCommand, ctx: &mut Context<Self>) {
        self.touched = Instant::now();
        if self.state == GameState::Over {
            return self.host_error(msg.conn_id, ErrorCode::GameOver, "the game is over");
        }
        let step = self.step_for(msg.msg);
        self.propose(Utc::now(), step, ctx);
    }
}

impl Handler<Join> for GameActor {
    type Result = Result<JoinReply, ErrorCode>;

    /// A student on this node joins, or joins again after reconnecting (same score, same
    /// session, new address). A newcomer is a player once the journal has their join.
    fn handle(&mut self, msg: Join, ctx: &mut Context<Self>) -> Self::Result {
        if !msg.class_ids.contains(&self.spec.class_id) {
            return Err(ErrorCode::NotInClass);
        }
        self.touched = Instant::now();
        let known = self.player(&msg.learner_id);
        if self.state == GameState::Over {
            let i = known.ok_or(ErrorCode::GameOver)?;
            return Ok(JoinReply::Over(
                self.player_over(&self.players[i], &self.standings()),
            ));
        }
        self.seats.insert(msg.learner_id.clone(), msg.to);
        let session_id = known.and_then(|i| self.players[i].session_id.clone());
        let catch_up = self.catch_up(&msg.learner_id);
        if known.is_none_or(|i| self.players[i].name != msg.name) {
            let step = Step::Join {
                learner_id: msg.learner_id,
                name: msg.name,
            };
            self.propose(Utc::now(), step, ctx);
        }
        Ok(JoinReply::Joined {
            activity: self.spec.activity.clone(),
            session_id,
            catch_up,
        })
    }
}

impl Handler<Bind> for GameActor {
    type Result = ();

    fn handle(&mut self, msg: Bind, ctx: &mut Context<Self>) {
        let known = self
            .player(&msg.learner_id)
            .and_then(|i| self.players[i].session_id.as_ref());
        if known != Some(&msg.session_id) {
            let step = Step::Bind {
                learner_id: msg.learner_id,
                session_id: msg.session_id,
            };
            self.propose(Utc::now(), step, ctx);
        }
    }
}

impl Handler<SetExtraTime> for GameActor {
    type Result = ();

    /// From the next question on (an open one keeps the deadlines it was shown with).
    fn handle(&mut self, msg: SetExtraTime, ctx: &mut Context<Self>) {
        if msg.class_id != self.spec.class_id {
            return;
        }
        let step = Step::ExtraTime {
            learner_id: msg.learner_id,
            percent: msg.percent,
        };
        self.propose(Utc::now(), step, ctx);
    }
}

impl Handler<Answered> for GameActor {
    type Result = ();

    /// Counted when the journal gives it back: only a player's first answer to the open
    /// question, and only within its time (the time it was graded).
    fn handle(&mut self, msg: Answered, ctx: &mut Context<Self>) {
        self.touched = Instant::now();
        if self.state != GameState::Question {
            return;
        }
        let step = Step::Answer {
            learner_id: msg.learner_id,
            question_id: msg.question_id,
            answer: msg.answer,
            correct: msg.correct,
        };
        self.propose(msg.at, step, ctx);
    }
}

impl Handler<Wake> for GameActor {
    type Result = ();

    /// Another node appended to the journal.
    fn handle(&mut self, _: Wake, ctx: &mut Context<Self>) {
        self.read(ctx);
    }
}

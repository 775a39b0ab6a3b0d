//! The game actor's messages: the teacher's host sockets (connect, commands), players
//! joining and binding their session, graded answers, extra time and who may host.

use std::time::Instant;

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
        match msg.msg {
            // During a question, `next` closes it early; the following `next` moves on.
            HostMsg::Next if self.state == GameState::Question => self.reveal(),
            HostMsg::Next => self.next_question(ctx),
            HostMsg::End => self.finish(),
        }
    }
}

impl Handler<Join> for GameActor {
    type Result = Result<JoinReply, ErrorCode>;

    fn handle(&mut self, msg: Join, _: &mut Context<Self>) -> Self::Result {
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
        let i = match known {
            Some(i) => {
                // Joining again (a reconnect): same score, same session, new address.
                let p = &mut self.players[i];
                p.to = msg.to;
                p.name = msg.name;
                i
            }
            None => {
                self.players.push(Player {
                    learner_id: msg.learner_id,
                    name: msg.name,
                    to: msg.to,
                    session_id: None,
                    score: 0,
                });
                let lobby = self.lobby();
                self.send_hosts(&lobby);
                if let Some(round) = self
                    .round
                    .as_ref()
                    .filter(|_| self.state == GameState::Question)
                {
                    let answers = self.answers(round);
                    self.send_hosts(&answers);
                }
                self.players.len() - 1
            }
        };
        let p = &self.players[i];
        Ok(JoinReply::Joined {
            activity: self.spec.activity.clone(),
            session_id: p.session_id.clone(),
            catch_up: self.catch_up(p),
        })
    }
}

impl Handler<Bind> for GameActor {
    type Result = ();

    fn handle(&mut self, msg: Bind, _: &mut Context<Self>) {
        if let Some(i) = self.player(&msg.learner_id) {
            let p = &mut self.players[i];
            if p.session_id.as_ref() != Some(&msg.session_id) {
                self.env.record(GameRecord::Joined {
                    game_id: self.spec.game_id.clone(),
                    learner_id: p.learner_id.clone(),
                    name: p.name.clone(),
                    session_id: msg.session_id.clone(),
                });
            }
            p.session_id = Some(msg.session_id);
        }
    }
}

impl Handler<SetExtraTime> for GameActor {
    type Result = ();

    /// From the next question on (an open one keeps the deadlines it was shown with).
    fn handle(&mut self, msg: SetExtraTime, _: &mut Context<Self>) {
        if msg.class_id != self.spec.class_id {
            return;
        }
        if msg.percent == 0 {
            self.spec.extra_time.remove(&msg.learner_id);
        } else {
            self.spec.extra_time.insert(msg.learner_id, msg.percent);
        }
    }
}

impl Handler<Answered> for GameActor {
    type Result = ();

    /// Only a player's first answer to the open question counts, and only within its time.
    fn handle(&mut self, msg: Answered, _: &mut Context<Self>) {
        self.touched = Instant::now();
        if self.state != GameState::Question || self.player(&msg.learner_id).is_none() {
            return;
        }
        let Some(round) = self.round.as_mut() else {
            return;
        };
        let question = &self.spec.activity.content.questions[round.index];
        let deadline = round.deadline_of(&self.spec, &msg.learner_id);
        if question.id != msg.question_id
            || msg.at > deadline
            || round.given.contains_key(&msg.learner_id)
        {
            return;
        }
        let points = board::points(msg.correct, round.opened, deadline, msg.at);
        round.given.insert(
            msg.learner_id,
            Given {
                answer: msg.answer,
                correct: msg.correct,
                points,
                millis: msg.at.saturating_duration_since(round.opened).as_millis() as u64,
            },
        );
        let everyone = round.given.len() >= self.players.len();
        let round = self.round.as_ref().expect("just answered");
        let answers = self.answers(round);
        self.send_hosts(&answers);
        if everyone {
            self.reveal();
        }
    }
}

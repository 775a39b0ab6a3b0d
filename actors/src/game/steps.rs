//! Applying the journal's steps, on every replica alike: who plays, the question opened, each
//! first answer in time scored from the journal's times, the reveal and the end. Frames and
//! records go out only once a replica has caught up (`live`).

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::*;

impl GameActor {
    /// One journal entry: the game's only way to change.
    pub(super) fn apply(&mut self, entry: Entry) {
        self.applied = entry.n;
        let at = entry.at;
        match entry.step {
            Step::Join { learner_id, name } => self.add_player(learner_id, name),
            Step::Bind {
                learner_id,
                session_id,
            } => {
                let Some(i) = self.player(&learner_id) else {
                    return;
                };
                let p = &mut self.players[i];
                if p.session_id.as_ref() == Some(&session_id) {
                    return;
                }
                p.session_id = Some(session_id.clone());
                let record = GameRecord::Joined {
                    game_id: self.spec.game_id.clone(),
                    learner_id: p.learner_id.clone(),
                    name: p.name.clone(),
                    session_id,
                };
                self.record(record);
            }
            Step::Open { index } => {
                let next = self.round.as_ref().map_or(0, |r| r.index + 1);
                if matches!(self.state, GameState::Lobby | GameState::Revealed) && index == next {
                    if index >= self.question_count() {
                        self.finish();
                    } else {
                        self.open(index, at);
                    }
                }
            }
            Step::Close { index } => {
                if self.round.as_ref().is_some_and(|r| r.index == index) {
                    self.reveal();
                }
            }
            Step::End => self.finish(),
            Step::Answer {
                learner_id,
                question_id,
                answer,
                correct,
            } => self.answered(learner_id, &question_id, answer, correct, at),
            Step::ExtraTime {
                learner_id,
                percent,
            } => {
                if percent == 0 {
                    self.spec.extra_time.remove(&learner_id);
                } else {
                    self.spec.extra_time.insert(learner_id, percent);
                }
            }
        }
    }

    pub(super) fn add_player(&mut self, learner_id: LearnerId, name: String) {
        if let Some(i) = self.player(&learner_id) {
            self.players[i].name = name;
            return;
        }
        self.players.push(Player {
            learner_id,
            name,
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
    }

    /// Shows question `index` to everyone, open from `opened`.
    pub(super) fn open(&mut self, index: usize, opened: DateTime<Utc>) {
        // Open until the last deadline: the longest extra time of anyone in the class.
        let longest = self
            .spec
            .extra_time
            .keys()
            .map(|l| self.spec.time_for(l))
            .fold(self.spec.time_for(""), chrono::Duration::max);
        let round = Round {
            index,
            opened,
            closes: opened + longest,
            given: HashMap::new(),
        };
        self.state = GameState::Question;
        let host = HostFrame::Question(self.open_question(&round, round.closes));
        self.send_hosts(&host);
        let answers = self.answers(&round);
        self.send_hosts(&answers);
        // One frame for everyone on the same time; a player with extra time gets their own.
        // Every seat here, also one whose join the journal has not given back yet.
        if self.live && !self.seats.is_empty() {
            let common = self.question_event(&round, "");
            for learner_id in self.seats.keys() {
                let event = if self.spec.extra_time.contains_key(learner_id) {
                    self.question_event(&round, learner_id)
                } else {
                    common.clone()
                };
                self.to_seat(learner_id, event);
            }
        }
        self.record(GameRecord::Question {
            game_id: self.spec.game_id.clone(),
            index,
        });
        self.round = Some(round);
    }

    /// A player's answer to the open question: only the first counts, and only in time.
    pub(super) fn answered(
        &mut self,
        learner_id: LearnerId,
        question_id: &str,
        answer: Answer,
        correct: bool,
        at: DateTime<Utc>,
    ) {
        if self.state != GameState::Question || self.player(&learner_id).is_none() {
            return;
        }
        let Some(round) = self.round.as_mut() else {
            return;
        };
        let question = &self.spec.activity.content.questions[round.index];
        let deadline = round.deadline_of(&self.spec, &learner_id);
        if question.id != question_id || at > deadline || round.given.contains_key(&learner_id) {
            return;
        }
        let points = board::points(correct, round.opened, deadline, at);
        round.given.insert(
            learner_id,
            Given {
                answer,
                correct,
                points,
                millis: (at - round.opened).num_milliseconds().max(0) as u64,
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

    /// Closes the open question: scores count, everyone sees the answer and where they stand.
    pub(super) fn reveal(&mut self) {
        if self.state != GameState::Question {
            return;
        }
        let Some(round) = self.round.take() else {
            return;
        };
        for p in &mut self.players {
            if let Some(g) = round.given.get(&p.learner_id) {
                p.score += g.points;
            }
        }
        let mut results: Vec<QuestionResult> = round
            .given
            .iter()
            .map(|(learner_id, g)| QuestionResult {
                learner_id: learner_id.clone(),
                correct: g.correct,
                points: g.points,
                millis: g.millis,
            })
            .collect();
        results.sort_by(|a, b| a.learner_id.cmp(&b.learner_id));
        self.record(GameRecord::Revealed {
            game_id: self.spec.game_id.clone(),
            index: round.index,
            results,
        });
        self.state = GameState::Revealed;
        if self.live {
            let standings = self.standings();
            let host = self.host_reveal(&round, &standings);
            self.send_hosts(&host);
            for learner_id in self.seats.keys() {
                let frame =
                    self.as_player(learner_id, |p| self.player_reveal(&round, p, &standings));
                self.to_seat(learner_id, frame);
            }
        }
        self.round = Some(round);
    }

    /// Ends the game: an open question is revealed first, then the podium goes out.
    pub(super) fn finish(&mut self) {
        if self.state == GameState::Over {
            return;
        }
        self.reveal();
        self.state = GameState::Over;
        self.over_at = Some(Instant::now());
        self.env.closed(&self.spec.game_id);
        self.record(GameRecord::Over {
            game_id: self.spec.game_id.clone(),
        });
        if self.live {
            let standings = self.standings();
            self.send_hosts(&HostFrame::GameOver {
                game_id: self.spec.game_id.clone(),
                podium: standings.iter().take(PODIUM).cloned().collect(),
            });
            for learner_id in self.seats.keys() {
                let frame = self.as_player(learner_id, |p| self.player_over(p, &standings));
                self.to_seat(learner_id, frame);
            }
        }
    }
}

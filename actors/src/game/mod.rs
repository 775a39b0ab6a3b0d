//! `GameActor`: one per class game (teacher-paced, like a quiz show). The teacher's host
//! sockets drive it (`next`, `end`) and hear counts, reveals and the podium; students join
//! from their play sockets through their learner actors, which open an ordinary session of
//! the game's activity, grade every answer as usual and tell the game when they graded one
//! (server time). The game scores, ranks and reveals; it stores nothing itself: the answers
//! are stored as the students' sessions.
//!
//! A game lives in memory on the node that created it (the registry is per engine): players
//! and hosts must reach that node. What it leaves behind (players, each question's results,
//! the end) goes to the engine's [`GameLog`] as it happens, for the teacher's report. A
//! student's extra time (a share of `seconds_per_question`) lengthens that student's own
//! deadline, and speed points count against it; the question closes when the last deadline
//! of its players passes or everyone has answered. It is dropped [`KEEP_FINISHED`] after it
//! ends, or after [`IDLE_LIMIT`] without a command, a join or an answer. The server holds a
//! [`GameHost`]; the game sees of the engine only its `GameEnv`.

mod board;
pub mod frames;
mod handlers;
mod host;
mod messages;
mod record;

use crate::ids::{ClassId, LearnerId, SessionId};
use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::outbox::OutboxTx;
use actix::prelude::*;
use chrono::{DateTime, Utc};

use crate::content::Answer;
use crate::protocol::{ErrorCode, OpenGame, Outbound, ServerMsg};
use crate::store::Activity;
pub use board::{PODIUM, RIGHT_POINTS, SPEED_POINTS, TOP};
pub use frames::{HostFrame, HostMsg, PlayerFrame};
use frames::{OpenQuestion, PlayerView, Standing, You, YouAfterQuestion};
pub use host::GameHost;
pub use messages::*;
pub use record::{GameLog, GameRecord, QuestionResult};

/// `seconds_per_question` a game may have, and its default.
pub const QUESTION_SECONDS: RangeInclusive<u32> = 5..=120;
pub const DEFAULT_QUESTION_SECONDS: u32 = 20;
/// A game nobody touched for this long is dropped.
pub const IDLE_LIMIT: Duration = Duration::from_secs(3 * 3600);
/// A finished game stays this long, so that a player who reconnects still hears the end.
pub const KEEP_FINISHED: Duration = Duration::from_secs(10 * 60);
/// Host sockets are closed with this when the game is dropped.
pub const CLOSE_GAME_GONE: u16 = 1000;
/// A student's extra time, as a share of the question's time.
pub const EXTRA_TIME_PERCENT: RangeInclusive<u32> = 0..=200;

#[derive(Debug, Clone)]
pub struct GameSpec {
    pub game_id: String,
    /// 6 digits, unique among the games not over yet (the server's database sees to it).
    pub pin: String,
    pub class_id: ClassId,
    pub class_name: String,
    pub teacher_id: String,
    pub activity: Arc<Activity>,
    pub seconds_per_question: u32,
    /// Students of the class with extra time, in percent of `seconds_per_question`.
    pub extra_time: HashMap<LearnerId, u32>,
}

impl GameSpec {
    /// The invitation the class's students hear of.
    pub fn open_game(&self) -> OpenGame {
        OpenGame {
            game_id: self.game_id.clone(),
            pin: self.pin.clone(),
            class_name: self.class_name.clone(),
            activity_title: self.activity.title.clone(),
        }
    }

    /// How long this student has for a question.
    fn time_for(&self, learner_id: &str) -> Duration {
        let percent = self.extra_time.get(learner_id).copied().unwrap_or(0);
        let base = u64::from(self.seconds_per_question) * 1000;
        Duration::from_millis(base * u64::from(100 + percent.min(*EXTRA_TIME_PERCENT.end())) / 100)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GameState {
    Lobby,
    Question,
    Revealed,
    Over,
}

impl GameState {
    pub fn as_str(self) -> &'static str {
        match self {
            GameState::Lobby => "lobby",
            GameState::Question => "question",
            GameState::Revealed => "revealed",
            GameState::Over => "over",
        }
    }
}

struct Player {
    learner_id: LearnerId,
    name: String,
    to: Recipient<ToPlayer>,
    session_id: Option<SessionId>,
    score: u32,
}

/// The first answer of a player to the open question.
struct Given {
    answer: Answer,
    correct: bool,
    points: u32,
    /// From the question opening to the answer.
    millis: u64,
}

struct Round {
    index: usize,
    opened: Instant,
    opened_utc: DateTime<Utc>,
    /// When the question closes for everyone: the latest of its players' deadlines.
    closes: Instant,
    given: HashMap<LearnerId, Given>,
}

impl Round {
    /// A player's own deadline: the question's time (with their extra time), never past
    /// the question's close.
    fn deadline_of(&self, spec: &GameSpec, learner_id: &str) -> Instant {
        (self.opened + spec.time_for(learner_id)).min(self.closes)
    }
}

pub struct GameActor {
    spec: GameSpec,
    env: Arc<dyn GameEnv>,
    hosts: HashMap<u64, OutboxTx>,
    players: Vec<Player>,
    state: GameState,
    round: Option<Round>,
    touched: Instant,
    over_at: Option<Instant>,
}

/// What a game may use of the engine around it, and nothing more.
pub(crate) trait GameEnv: Send + Sync {
    /// The game stopped: it is no longer found by its id.
    fn unregister(&self, game_id: &str, addr: &Addr<GameActor>);
    /// The game is over: it is no longer open to join, its PIN is free.
    fn closed(&self, game_id: &str);
    /// Keeps what the game leaves behind (in order).
    fn record(&self, record: GameRecord);
}

impl GameActor {
    pub(crate) fn new(spec: GameSpec, env: Arc<dyn GameEnv>) -> Self {
        Self {
            spec,
            env,
            hosts: HashMap::new(),
            players: Vec::new(),
            state: GameState::Lobby,
            round: None,
            touched: Instant::now(),
            over_at: None,
        }
    }

    fn question_count(&self) -> usize {
        self.spec.activity.content.questions.len()
    }

    fn send_hosts(&mut self, frame: &HostFrame) {
        let out = frame.out();
        // A host socket that cannot keep up is dropped (its task closes it).
        self.hosts.retain(|_, tx| tx.try_send(out.clone()).is_ok());
    }

    fn player(&self, learner_id: &str) -> Option<usize> {
        self.players.iter().position(|p| p.learner_id == learner_id)
    }

    fn standings(&self) -> Vec<Standing> {
        board::standings(
            self.players
                .iter()
                .map(|p| (p.learner_id.as_str(), p.name.as_str(), p.score)),
        )
    }

    fn lobby(&self) -> HostFrame {
        HostFrame::Lobby {
            game_id: self.spec.game_id.clone(),
            activity_id: self.spec.activity.id.clone(),
            players: self
                .players
                .iter()
                .map(|p| PlayerView {
                    learner_id: p.learner_id.clone(),
                    name: p.name.clone(),
                })
                .collect(),
        }
    }

    /// The open question with the deadline that `deadline` gives (a player's own, or the
    /// question's close for the host).
    fn open_question(&self, round: &Round, deadline: Instant) -> OpenQuestion {
        let window = deadline.saturating_duration_since(round.opened);
        OpenQuestion {
            game_id: self.spec.game_id.clone(),
            index: round.index,
            question_count: self.question_count(),
            question: self.spec.activity.content.questions[round.index].public(),
            deadline: round.opened_utc
                + chrono::Duration::from_std(window).unwrap_or(chrono::Duration::zero()),
            seconds: window.as_secs().try_into().unwrap_or(u32::MAX),
            remaining_ms: deadline
                .saturating_duration_since(Instant::now())
                .as_millis() as u64,
        }
    }

    fn answers(&self, round: &Round) -> HostFrame {
        HostFrame::Answers {
            game_id: self.spec.game_id.clone(),
            index: round.index,
            answered: round.given.len(),
            total: self.players.len(),
        }
    }

    fn host_reveal(&self, round: &Round, standings: &[Standing]) -> HostFrame {
        let q = &self.spec.activity.content.questions[round.index];
        HostFrame::Reveal {
            game_id: self.spec.game_id.clone(),
            index: round.index,
            correct_answer: q.correct_answer.clone(),
            explanation: q.explanation.clone(),
            counts_by_option: board::counts(q, round.given.values().map(|g| &g.answer)),
            top: standings.iter().take(TOP).cloned().collect(),
        }
    }

    fn rank_of(standings: &[Standing], learner_id: &str) -> u32 {
        standings
            .iter()
            .find(|s| s.learner_id == learner_id)
            .map_or(0, |s| s.rank)
    }

    fn player_reveal(&self, round: &Round, player: &Player, standings: &[Standing]) -> ToPlayer {
        let q = &self.spec.activity.content.questions[round.index];
        let given = round.given.get(&player.learner_id);
        let frame = PlayerFrame::GameReveal {
            game_id: self.spec.game_id.clone(),
            index: round.index,
            correct_answer: q.correct_answer.clone(),
            explanation: q.explanation.clone(),
            you: YouAfterQuestion {
                score: player.score,
                rank: Self::rank_of(standings, &player.learner_id),
                points: given.map_or(0, |g| g.points),
                answered: given.is_some(),
                correct: given.is_some_and(|g| g.correct),
            },
        };
        self.player_frame(PlayerEvent::Reveal, &frame)
    }

    fn player_over(&self, player: &Player, standings: &[Standing]) -> ToPlayer {
        let frame = PlayerFrame::GameOver {
            game_id: self.spec.game_id.clone(),
            you: You {
                score: player.score,
                rank: Self::rank_of(standings, &player.learner_id),
            },
            podium: standings.iter().take(PODIUM).cloned().collect(),
        };
        self.player_frame(PlayerEvent::Over, &frame)
    }

    fn player_frame(&self, event: PlayerEvent, frame: &PlayerFrame) -> ToPlayer {
        ToPlayer {
            game_id: self.spec.game_id.clone(),
            event,
            frame: frame.out(),
        }
    }

    /// The open question for one player, with their own deadline.
    fn question_event(&self, round: &Round, learner_id: &str) -> ToPlayer {
        let question_id = self.spec.activity.content.questions[round.index].id.clone();
        let deadline = round.deadline_of(&self.spec, learner_id);
        let frame = PlayerFrame::GameQuestion(self.open_question(round, deadline));
        self.player_frame(PlayerEvent::Question { question_id }, &frame)
    }

    /// Where the game stands, for a player who (re)joins.
    fn catch_up(&self, player: &Player) -> Option<ToPlayer> {
        let round = self.round.as_ref()?;
        match self.state {
            GameState::Question => Some(self.question_event(round, &player.learner_id)),
            GameState::Revealed => Some(self.player_reveal(round, player, &self.standings())),
            GameState::Lobby | GameState::Over => None,
        }
    }

    /// Shows the next question to everyone, or ends the game after the last one.
    fn next_question(&mut self, ctx: &mut Context<Self>) {
        let index = self.round.as_ref().map_or(0, |r| r.index + 1);
        if index >= self.question_count() {
            return self.finish();
        }
        let opened = Instant::now();
        // Open until the last deadline: the longest extra time of anyone in the class.
        let longest = self
            .spec
            .extra_time
            .keys()
            .map(|l| self.spec.time_for(l))
            .fold(self.spec.time_for(""), Duration::max);
        let round = Round {
            index,
            opened,
            opened_utc: Utc::now(),
            closes: opened + longest,
            given: HashMap::new(),
        };
        self.state = GameState::Question;
        let host = HostFrame::Question(self.open_question(&round, round.closes));
        self.send_hosts(&host);
        let answers = self.answers(&round);
        self.send_hosts(&answers);
        // One frame for everyone on the same time; a player with extra time gets their own.
        let common = self.question_event(&round, "");
        for p in &self.players {
            let event = if self.spec.extra_time.contains_key(&p.learner_id) {
                self.question_event(&round, &p.learner_id)
            } else {
                common.clone()
            };
            p.to.do_send(event);
        }
        self.env.record(GameRecord::Question {
            game_id: self.spec.game_id.clone(),
            index,
        });
        self.round = Some(round);
        ctx.run_later(longest, move |act, _| {
            if act.state == GameState::Question
                && act.round.as_ref().is_some_and(|r| r.index == index)
            {
                act.reveal();
            }
        });
    }

    /// Closes the open question: scores count, everyone sees the answer and where they stand.
    fn reveal(&mut self) {
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
        self.env.record(GameRecord::Revealed {
            game_id: self.spec.game_id.clone(),
            index: round.index,
            results,
        });
        self.state = GameState::Revealed;
        let standings = self.standings();
        let host = self.host_reveal(&round, &standings);
        self.send_hosts(&host);
        for p in &self.players {
            p.to.do_send(self.player_reveal(&round, p, &standings));
        }
        self.round = Some(round);
    }

    /// Ends the game: an open question is revealed first, then the podium goes out.
    fn finish(&mut self) {
        if self.state == GameState::Over {
            return;
        }
        self.reveal();
        self.state = GameState::Over;
        self.over_at = Some(Instant::now());
        self.env.closed(&self.spec.game_id);
        self.env.record(GameRecord::Over {
            game_id: self.spec.game_id.clone(),
        });
        let standings = self.standings();
        self.send_hosts(&HostFrame::GameOver {
            game_id: self.spec.game_id.clone(),
            podium: standings.iter().take(PODIUM).cloned().collect(),
        });
        for p in &self.players {
            p.to.do_send(self.player_over(p, &standings));
        }
    }

    fn host_error(&mut self, conn_id: u64, code: ErrorCode, message: &str) {
        if let Some(tx) = self.hosts.get(&conn_id) {
            let _ = tx.try_send(Outbound::msg(&ServerMsg::error(code, message, None)));
        }
    }
}

impl Actor for GameActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(Duration::from_secs(60), |act, ctx| {
            let finished = act.over_at.is_some_and(|t| t.elapsed() > KEEP_FINISHED);
            if finished || act.touched.elapsed() > IDLE_LIMIT {
                ctx.stop();
            }
        });
    }

    fn stopped(&mut self, ctx: &mut Context<Self>) {
        for tx in self.hosts.values() {
            let _ = tx.try_send(Outbound::Close {
                code: CLOSE_GAME_GONE,
                reason: "game closed",
            });
        }
        self.env.unregister(&self.spec.game_id, &ctx.address());
    }
}

#[cfg(test)]
mod tests;

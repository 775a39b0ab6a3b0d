//! `GameActor`: a class game (teacher-paced, like a quiz show). The teacher's host sockets
//! drive it (`next`, `end`) and hear counts, reveals and the podium; students join from
//! their play sockets through their learner actors, which open an ordinary session of the
//! game's activity, grade every answer as usual and tell the game when they graded one.
//! The game scores, ranks and reveals; the answers themselves are stored as the students'
//! sessions.
//!
//! A game is not tied to a node: what changes it is a step in its [`journal`] (the server's
//! database), and every node with a host or a player of the game runs a replica of this
//! actor that applies the journal in order and renders it to its own sockets. A command or an
//! answer on any node is appended there; the bus wakes the other replicas, which also read
//! the journal every second in case a wake-up was lost. When a node stops, the sockets it had
//! reconnect to another node, whose replica reads the same journal: nothing of the game was
//! only in the stopped node's memory. Each replica keeps its own timer for the open question
//! and appends its close when it runs out; the first close in the journal counts and the
//! others change nothing (see `journal.rs`).
//!
//! What a game leaves behind for the teacher's report (players, each question's results, the
//! end) goes to the engine's [`GameLog`] as replicas apply it (the writes are idempotent). A
//! student's extra time (a share of `seconds_per_question`) lengthens that student's own
//! deadline, and speed points count against it; the question closes when the last deadline
//! of its players passes or everyone has answered. A replica is dropped [`KEEP_FINISHED`]
//! after the game ends, or after [`IDLE_LIMIT`] without a command, a join or an answer. The
//! server holds a [`GameHost`]; the game sees of the engine only its `GameEnv`.

mod board;
pub mod frames;
mod handlers;
mod host;
pub mod journal;
mod messages;
mod record;
mod replica;
mod steps;

use crate::ids::{ClassId, LearnerId, SessionId};
use std::collections::{HashMap, VecDeque};
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
pub use journal::{Entry, GameStore, MemoryJournal, Step};
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
    fn time_for(&self, learner_id: &str) -> chrono::Duration {
        let percent = self.extra_time.get(learner_id).copied().unwrap_or(0);
        let base = i64::from(self.seconds_per_question) * 1000;
        chrono::Duration::milliseconds(
            base * i64::from(100 + percent.min(*EXTRA_TIME_PERCENT.end())) / 100,
        )
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

/// A player as the journal knows them (on every replica alike).
struct Player {
    learner_id: LearnerId,
    name: String,
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
    opened: DateTime<Utc>,
    /// When the question closes for everyone: the latest of its players' deadlines.
    closes: DateTime<Utc>,
    given: HashMap<LearnerId, Given>,
}

impl Round {
    /// A player's own deadline: the question's time (with their extra time), never past
    /// the question's close.
    fn deadline_of(&self, spec: &GameSpec, learner_id: &str) -> DateTime<Utc> {
        (self.opened + spec.time_for(learner_id)).min(self.closes)
    }
}

/// How long from now until `at` (zero if it has passed).
fn until(at: DateTime<Utc>) -> Duration {
    (at - Utc::now()).to_std().unwrap_or(Duration::ZERO)
}

pub struct GameActor {
    spec: GameSpec,
    env: Arc<dyn GameEnv>,
    journal: Arc<dyn GameStore>,
    hosts: HashMap<u64, OutboxTx>,
    /// The players connected to this node: where their frames go.
    seats: HashMap<LearnerId, Recipient<ToPlayer>>,
    players: Vec<Player>,
    state: GameState,
    round: Option<Round>,
    touched: Instant,
    over_at: Option<Instant>,
    /// The last journal entry applied.
    applied: i64,
    /// Entries are applied without frames or records while the replica catches up on what
    /// happened before it started (that is past: its sockets hear where the game is now).
    live: bool,
    /// This node's steps on their way to the journal, in order, one append at a time.
    outgoing: VecDeque<(DateTime<Utc>, Step)>,
    appending: bool,
    reading: bool,
    read_again: bool,
    /// The question whose close this replica's timer is set for.
    timer_for: Option<usize>,
}

/// What a game may use of the engine around it, and nothing more.
pub(crate) trait GameEnv: Send + Sync {
    /// The game stopped: it is no longer found by its id.
    fn unregister(&self, game_id: &str, addr: &Addr<GameActor>);
    /// The game is over: it is no longer open to join, its PIN is free.
    fn closed(&self, game_id: &str);
    /// Keeps what the game leaves behind (in order).
    fn record(&self, record: GameRecord);
    /// This node appended to the game's journal: the other nodes' replicas read it now.
    fn changed(&self, game_id: &str);
}

/// How often a replica reads its journal without being woken (a lost wake-up costs at most
/// this long).
const READ_EVERY: Duration = Duration::from_secs(1);

impl GameActor {
    /// A replica of a new game, or of one whose journal holds `past` (applied at once,
    /// without frames: nobody is connected yet).
    pub(crate) fn new(
        spec: GameSpec,
        env: Arc<dyn GameEnv>,
        journal: Arc<dyn GameStore>,
        past: Vec<Entry>,
    ) -> Self {
        let mut game = Self {
            spec,
            env,
            journal,
            hosts: HashMap::new(),
            seats: HashMap::new(),
            players: Vec::new(),
            state: GameState::Lobby,
            round: None,
            touched: Instant::now(),
            over_at: None,
            applied: 0,
            live: false,
            outgoing: VecDeque::new(),
            appending: false,
            reading: false,
            read_again: false,
            timer_for: None,
        };
        for entry in past {
            game.apply(entry);
        }
        game.live = true;
        game
    }

    fn question_count(&self) -> usize {
        self.spec.activity.content.questions.len()
    }

    fn send_hosts(&mut self, frame: &HostFrame) {
        if !self.live || self.hosts.is_empty() {
            return;
        }
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
    fn open_question(&self, round: &Round, deadline: DateTime<Utc>) -> OpenQuestion {
        let window = (deadline - round.opened).num_seconds().max(0);
        OpenQuestion {
            game_id: self.spec.game_id.clone(),
            index: round.index,
            question_count: self.question_count(),
            question: self.spec.activity.content.questions[round.index].public(),
            deadline,
            seconds: window.try_into().unwrap_or(u32::MAX),
            remaining_ms: until(deadline).as_millis() as u64,
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

    /// Where the game stands, for a player who (re)joins (perhaps not in the journal yet).
    fn catch_up(&self, learner_id: &str) -> Option<ToPlayer> {
        let round = self.round.as_ref()?;
        match self.state {
            GameState::Question => Some(self.question_event(round, learner_id)),
            GameState::Revealed => Some(self.as_player(learner_id, |p| {
                self.player_reveal(round, p, &self.standings())
            })),
            GameState::Lobby | GameState::Over => None,
        }
    }

    /// `frame` for this learner as a player: as the journal knows them, or as a newcomer
    /// (no points yet) whose join it has not given back yet.
    fn as_player(&self, learner_id: &str, frame: impl FnOnce(&Player) -> ToPlayer) -> ToPlayer {
        match self.player(learner_id) {
            Some(i) => frame(&self.players[i]),
            None => frame(&Player {
                learner_id: learner_id.into(),
                name: String::new(),
                session_id: None,
                score: 0,
            }),
        }
    }

    /// Sends a player's frame if the player is connected to this node.
    fn to_seat(&self, learner_id: &str, event: ToPlayer) {
        if self.live
            && let Some(to) = self.seats.get(learner_id)
        {
            to.do_send(event);
        }
    }

    fn record(&self, record: GameRecord) {
        if self.live {
            self.env.record(record);
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
        // A question open when this replica started (it took over) closes on its timer too.
        self.arm_timer(ctx);
        ctx.run_interval(READ_EVERY, |act, ctx| {
            if act.state != GameState::Over {
                act.read(ctx);
            }
        });
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
